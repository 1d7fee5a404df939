/**
 * The peers driver of the supervisor (which owns the stick-tables): for every `peers` section
 * that names this instance, it listens on the local peer's address (plain TCP), connects to the
 * remote peers when their link's timer says so, runs one sans-IO {@link PeerSession} per
 * connection and the section's {@link PeersSection} state, and moves bytes between them and the
 * sockets. Learned updates go straight into the shared tables (the workers see them at once);
 * local changes made by any thread are found by the sessions' teaching scans.
 *
 * A BUG_ON raised by the learn step (seed crash 3, fault site `peers.learn-released-session`) is
 * caught at this boundary: the fault goes to `onPanic` (the supervisor writes the snapshot), the
 * section's learn state is reset, and synchronisation goes on: the supervisor must not die of one
 * peer. Also registers `show peers [<name>]` (HAProxy management guide 9.3 "show peers").
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Config } from '../config/config.types.ts';
import type { Registry } from '../runtime/runtime.types.ts';
import { CommandError } from '../runtime/registry.ts';
import type { StickTableRegistry } from '../stick/registry.ts';
import type { FaultRecord } from '../../diag/fault.types.ts';
import { PanicError } from '../../diag/invariants.ts';
import { PeerSession } from './session.ts';
import { PeersSection } from './sync.ts';
import { wireTableName, type PeerTable } from './tables.ts';
import { formatShowPeers } from './show.ts';

/** Options of the driver. */
export interface PeersRuntimeOptions {
  readonly config: Config;
  readonly tables: StickTableRegistry;
  /** Operator log lines (`[WARNING] ...`). */
  readonly log: (line: string) => void;
  /** Receives a fault raised inside the peers code (BUG_ON); returns the snapshot path if one was written. */
  readonly onPanic?: (fault: FaultRecord) => string | undefined;
  /** Process id sent in hellos (default process.pid). */
  readonly pid?: number;
  /** Period of the timer that polls sessions (ms, default 50). */
  readonly tickMs?: number;
}

interface Conn {
  readonly socket: Socket;
  readonly section: PeersSection;
  readonly session: PeerSession;
  done: boolean;
}

/** Peers sections of the configuration this instance takes part in, with their local address. */
export function localPeersSections(config: Config): { name: string; host: string; port: number; local: string; remotes: { name: string; host: string; port: number }[]; tables: string[] }[] {
  const out = [];
  for (const p of config.peers) {
    const me = p.peers.find((x) => x.local);
    if (!me) continue;
    const host = me.host ?? p.bind?.host;
    const port = me.port ?? p.bind?.port;
    if (host === undefined || port === undefined) continue;
    const remotes = p.peers.filter((x) => !x.local && x.host !== undefined && x.port !== undefined).map((x) => ({ name: x.name, host: x.host!, port: x.port! }));
    const tables = (config.stickTables ?? []).filter((t) => t.peers === p.name).map((t) => t.name);
    out.push({ name: p.name, host, port, local: me.name, remotes, tables });
  }
  return out;
}

/** The running peers synchronisation of one process. */
export class PeersRuntime {
  readonly sections: PeersSection[] = [];
  private readonly servers: Server[] = [];
  private readonly conns = new Set<Conn>();
  private readonly opts: PeersRuntimeOptions;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listenAt = new Map<PeersSection, { host: string; port: number }>();

  constructor(opts: PeersRuntimeOptions) {
    this.opts = opts;
    const now = Date.now();
    for (const s of localPeersSections(opts.config)) {
      const tables: PeerTable[] = s.tables.map((n) => ({ name: wireTableName(n, s.name), table: opts.tables.get(n)! })).filter((t) => t.table);
      const sec = new PeersSection({ name: s.name, localPeer: s.local, remotes: s.remotes, tables, pid: opts.pid ?? process.pid, now });
      this.sections.push(sec);
      this.listenAt.set(sec, { host: s.host, port: s.port });
    }
  }

  /** Listens on every section's local peer address; rejects naming the address when one cannot be bound. */
  async start(): Promise<void> {
    for (const sec of this.sections) {
      const at = this.listenAt.get(sec)!;
      const server = createServer((socket) => this.accept(sec, socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(new Error(`peers '${sec.name}': cannot listen on ${at.host}:${at.port} for local peer '${sec.localPeer}': ${e.message}; free that address or change the peer's address`)));
        server.listen(at.port, at.host, () => resolve());
      });
      this.servers.push(server);
    }
    if (this.sections.length > 0) {
      this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 50);
      this.timer.unref();
      this.tick();
    }
  }

  private guard(sec: PeersSection, f: () => void): void {
    try {
      f();
    } catch (e) {
      if (!(e instanceof PanicError)) throw e;
      const path = this.opts.onPanic?.(e.fault);
      sec.learnPanics++;
      sec.unassign();
      sec.setLearn('needed', `recovered from ${e.fault.message}`);
      this.opts.log(`[ALERT] peers '${sec.name}': ${e.fault.message}; ${path ? `snapshot written to ${path}` : 'no snapshot written'}; learn state reset, synchronisation goes on`);
    }
  }

  private accept(sec: PeersSection, socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const session = sec.incoming(Date.now());
    this.wire(sec, session, socket);
  }

  private wire(sec: PeersSection, session: PeerSession, socket: Socket): Conn {
    const c: Conn = { socket, section: sec, session, done: false };
    this.conns.add(c);
    socket.on('data', (d: Buffer) => {
      const now = Date.now();
      this.guard(sec, () => {
        session.receive(d, now);
        this.pump(c, now);
      });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.guard(sec, () => this.finish(c, 'connection closed by the peer or the network')));
    return c;
  }

  /** Writes a session's output and handles its events. */
  private pump(c: Conn, now: number): void {
    if (c.done) return;
    const out = c.session.takeOutput();
    if (out.length > 0 && !c.socket.destroyed) c.socket.write(out);
    for (const ev of c.session.takeEvents()) {
      c.section.onEvent(c.session, ev, now);
      if (ev.kind === 'closed') {
        // flush what the session said last (status line, error message), then close
        const last = c.session.takeOutput();
        if (last.length > 0 && !c.socket.destroyed) c.socket.end(last);
        else c.socket.end();
        setTimeout(() => c.socket.destroy(), 200).unref();
        this.finish(c, ev.reason);
        return;
      }
    }
    // learn step and a resync request it may have queued
    const more = c.session.takeOutput();
    if (more.length > 0 && !c.socket.destroyed) c.socket.write(more);
  }

  private finish(c: Conn, why: string): void {
    if (c.done) return;
    c.done = true;
    this.conns.delete(c);
    if (!c.socket.destroyed && c.socket.writableLength === 0) c.socket.destroy();
    c.section.released(c.session, Date.now(), why);
  }

  /** Timers: connects, session polls, learn steps. */
  tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const sec of this.sections) {
      this.guard(sec, () => {
        for (const { link, session } of sec.dueConnects(now)) {
          const socket = connect({ host: link.host, port: link.port });
          socket.setNoDelay(true);
          const c = this.wire(sec, session, socket);
          socket.once('connect', () =>
            this.guard(sec, () => {
              session.connected(Date.now());
              link.lastStatus = 'HSHK';
              this.pump(c, Date.now());
            }),
          );
        }
        sec.step(now);
      });
    }
    for (const c of [...this.conns]) {
      this.guard(c.section, () => {
        c.session.poll(now);
        this.pump(c, now);
      });
    }
  }

  /** `show peers [<section>]` text. */
  show(name?: string): string {
    const secs = name === undefined ? this.sections : this.sections.filter((s) => s.name === name);
    if (name !== undefined && secs.length === 0) {
      const known = this.opts.config.peers.map((p) => p.name);
      throw new CommandError(`No such peers section: '${name}'${known.length ? `; peers sections: ${known.join(', ')}` : '; no peers section is configured'}.`);
    }
    return formatShowPeers(secs, Date.now(), this.listenAt);
  }

  /** Closes every session and listener (soft stop). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    for (const c of [...this.conns]) {
      c.socket.destroy();
      this.guard(c.section, () => this.finish(c, 'local process stopping'));
    }
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** Registers `show peers [<name>]` for `rt`. */
export function registerPeersCommands(reg: Registry, rt: PeersRuntime): void {
  reg.register({
    words: ['show', 'peers'],
    level: 'user',
    usage: 'show peers [<peers section>]',
    help: 'dump some information about all the peers or this peers section',
    handler: (args) => rt.show(args[0]),
  });
}
