/**
 * The peers driver of the supervisor (which owns the stick-tables): for every `peers` section
 * that names this instance, it listens on the local peer's address (plain TCP, or TLS when the
 * local peer's line has `ssl`), connects to the remote peers when their link's timer says so (over
 * TLS to those whose line has `ssl`: proxy/peers/tls.ts), runs one sans-IO {@link PeerSession} per
 * connection and the section's {@link PeersSection} state, and moves bytes between them and the
 * sockets. Learned updates go straight into the shared tables (the workers see them at once);
 * local changes made by any thread are found by the sessions' teaching scans.
 *
 * A BUG_ON raised by the learn step (seed crash 3, fault site `peers.learn-released-session`) is
 * caught at this boundary: the fault goes to `onPanic` (the supervisor writes the snapshot), the
 * section's learn state is reset, and synchronisation goes on: the supervisor must not die of one
 * peer. Also registers `show peers [<name>]` (HAProxy management guide 9.3 "show peers").
 *
 * TLS: a session starts once the handshake completed (the hello travels inside TLS). A failed
 * handshake is recorded by the `peers` trace source (`link` event, level error) and, when this
 * side connected, as the link's `last_status=SSLERR` with the error in `show peers`; a failure of
 * an incoming handshake is counted on the section (the peer is not known before its hello).
 * Handshakes are bounded by {@link PEER_TLS_HANDSHAKE_MS}.
 *
 * Reload (HAProxy management guide 4 "Stopping and restarting HAProxy", `-sf`; configuration
 * manual 3.5 "Peers"): listeners are bound with SO_REUSEPORT, so a successor started on the same
 * configuration listens on the same peer address while this process still runs. On a soft stop,
 * {@link PeersRuntime.startHandOver} closes this process's listeners (the local address then
 * reaches the successor only) and its remote sessions, and connects to the local peer's address
 * to teach the successor every table (full resync on its request, then the changes the draining
 * workers still make); {@link PeersRuntime.finishHandOver} waits until the successor has
 * acknowledged everything (bounded), and returns what happened per section.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type ConnectionOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Config } from '../config/config.types.ts';
import type { Registry } from '../runtime/runtime.types.ts';
import { CommandError } from '../runtime/registry.ts';
import type { StickTableRegistry } from '../stick/registry.ts';
import type { FaultRecord } from '../../diag/fault.types.ts';
import { PanicError } from '../../diag/invariants.ts';
import { PeerSession } from './session.ts';
import { PEERS_RESYNC_TIMEOUT_MS, PeersSection } from './sync.ts';
import { wireTableName, type PeerTable } from './tables.ts';
import { formatShowPeers } from './show.ts';
import { PEER_TLS_HANDSHAKE_MS, peerConnectTls, peerListenerTls, type PeerTlsConfig } from './tls.ts';
import { PTP } from './trace.ts';
import { describeTlsError } from '../tls/client.ts';

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
  /**
   * This process replaces old ones (`run -sf/-st <pid>`): each section learns from the old local
   * process first, waiting up to PEERS_RESYNC_TIMEOUT_MS for it (HAProxy's nb_oldpids).
   */
  readonly waitLocal?: boolean;
}

/** How the hand-over of one section's tables to the successor ended (old process, soft stop). */
export interface HandOverResult {
  readonly section: string;
  /**
   * `complete`: the successor asked for the tables, got them all and acknowledged every update;
   * `unasked`: it did not ask within PEERS_RESYNC_TIMEOUT_MS, the local changes were taught and
   * acknowledged; `failed`: no session (nothing listens at the local peer's address: no
   * successor, or one without this peers section); `cut`: the session ended before the end;
   * `timeout`: not acknowledged within the bound.
   */
  readonly outcome: 'complete' | 'unasked' | 'failed' | 'cut' | 'timeout';
  /** Updates sent to the successor. */
  readonly taught: number;
  /** What happened, in words (for the operator log). */
  readonly reason: string;
}

interface HandOver {
  readonly sec: PeersSection;
  readonly session: PeerSession;
  readonly startedAt: number;
  establishedAt: number | undefined;
  result: HandOverResult | undefined;
}

/** Where to connect to reach an address a listener is bound to (a wildcard address: the loopback). */
function dialHost(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '*') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

interface Conn {
  readonly socket: Socket;
  readonly section: PeersSection;
  readonly session: PeerSession;
  done: boolean;
  /** TLS connection still handshaking (initiator side): an error now is a TLS failure. */
  tlsPending?: boolean;
  /** Why the TLS handshake failed, when it did. */
  tlsError?: string;
  /** Initiator over TLS: the handshake completed. */
  tlsSecured?: boolean;
  /** Bytes received on the connection. */
  received: number;
  /** The socket's last error (reported for the hand-over connection to the local peer's address). */
  netError?: string;
}

/** True for an error raised by the TLS layer (handshake failure, alert from the other side). */
function isTlsError(e: NodeJS.ErrnoException): boolean {
  return typeof e.code === 'string' && (e.code.startsWith('ERR_SSL') || e.code.startsWith('ERR_TLS') || /CERT|UNABLE_TO|SELF_SIGNED/.test(e.code));
}

/** A remote peer of a local section: where it listens and its TLS settings (undefined: plain TCP). */
export interface LocalRemotePeer {
  name: string;
  host: string;
  port: number;
  ssl?: PeerTlsConfig;
}

/** Peers sections of the configuration this instance takes part in, with their local address and TLS settings. */
export function localPeersSections(config: Config): { name: string; host: string; port: number; local: string; ssl?: PeerTlsConfig; remotes: LocalRemotePeer[]; tables: string[] }[] {
  const out = [];
  for (const p of config.peers) {
    const me = p.peers.find((x) => x.local);
    if (!me) continue;
    const host = me.host ?? p.bind?.host;
    const port = me.port ?? p.bind?.port;
    if (host === undefined || port === undefined) continue;
    const remotes = p.peers
      .filter((x) => !x.local && x.host !== undefined && x.port !== undefined)
      .map((x): LocalRemotePeer => (x.ssl ? { name: x.name, host: x.host!, port: x.port!, ssl: x.ssl } : { name: x.name, host: x.host!, port: x.port! }));
    const tables = (config.stickTables ?? []).filter((t) => t.peers === p.name).map((t) => t.name);
    out.push(me.ssl ? { name: p.name, host, port, local: me.name, ssl: me.ssl, remotes, tables } : { name: p.name, host, port, local: me.name, remotes, tables });
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
  /** TLS of each section: the listener's options, and the connect options per remote peer (and to the local peer's address). */
  private readonly tls = new Map<PeersSection, { listen: TlsOptions | undefined; remotes: Map<string, ConnectionOptions> }>();
  /** Hand-overs to the successor in progress (soft stop), per section with tables. */
  private handing: HandOver[] | undefined;

  constructor(opts: PeersRuntimeOptions) {
    this.opts = opts;
    const now = Date.now();
    for (const s of localPeersSections(opts.config)) {
      const tables: PeerTable[] = s.tables.map((n) => ({ name: wireTableName(n, s.name), table: opts.tables.get(n)! })).filter((t) => t.table);
      const sec = new PeersSection({ name: s.name, localPeer: s.local, remotes: s.remotes, tables, pid: opts.pid ?? process.pid, now, local: { host: s.host, port: s.port }, waitLocal: opts.waitLocal });
      this.sections.push(sec);
      this.listenAt.set(sec, { host: s.host, port: s.port });
      // Certificates were checked by the engine-support check; files may have changed since.
      try {
        const remotes = new Map<string, ConnectionOptions>();
        for (const r of s.remotes) if (r.ssl) remotes.set(r.name, peerConnectTls(r.ssl));
        // The hand-over connects to the local peer's own address as a client with that line's settings
        // (its crt as client certificate; the chain checked against its ca-file when it has one).
        if (s.ssl) remotes.set(s.local, peerConnectTls({ ...s.ssl, verify: s.ssl.caFile !== undefined ? s.ssl.verify : 'none' }));
        this.tls.set(sec, { listen: s.ssl ? peerListenerTls(s.ssl, s.local) : undefined, remotes });
      } catch (err) {
        throw new Error(`peers '${s.name}': ${(err as Error).message}`);
      }
    }
  }

  /**
   * Listens on every section's local peer address (SO_REUSEPORT, so that a successor can listen
   * there too during a reload); rejects naming the address when one cannot be bound, or when
   * another socket serves it and this process is not a reload's successor (`waitLocal`).
   */
  async start(): Promise<void> {
    for (const sec of this.sections) {
      const at = this.listenAt.get(sec)!;
      const tls = this.tls.get(sec)?.listen;
      const cannot = (e: Error) => new Error(`peers '${sec.name}': cannot listen on ${at.host}:${at.port} for local peer '${sec.localPeer}': ${e.message}; free that address or change the peer's address`);
      if (!this.opts.waitLocal) {
        // Not a reload's successor: nobody else may serve this address. A plain bind fails where
        // any other socket is bound (reusePort ones included), which the reusePort bind below would
        // not notice: a second instance started by mistake would split the remote peers' sessions.
        const probe = createServer();
        await new Promise<void>((resolve, reject) => {
          probe.once('error', (e) => reject(cannot(e)));
          probe.listen({ port: at.port, host: at.host }, () => probe.close(() => resolve()));
        });
      }
      const server = tls ? this.tlsServer(sec, tls) : createServer((socket) => this.accept(sec, socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(cannot(e)));
        server.listen({ port: at.port, host: at.host, reusePort: true }, () => resolve());
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

  /**
   * The TLS listener of `sec`: a session starts on each completed handshake; failures are recorded.
   * A client certificate required by `opts` is checked here rather than inside the handshake, so
   * the reason (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `CERT_HAS_EXPIRED`, no certificate...) is known
   * and shown, where node:tls would only report a reset.
   */
  private tlsServer(sec: PeersSection, opts: TlsOptions): Server {
    /** Handshakes in progress: `ip:port` -> start time (ms). */
    const starts = new Map<string, number>();
    const mustVerify = opts.requestCert === true && opts.rejectUnauthorized === true;
    const took = (addr: string) => {
      const t0 = starts.get(addr);
      starts.delete(addr);
      return t0 === undefined ? 0 : Date.now() - t0;
    };
    const fail = (sock: TLSSocket, addr: string, why: string) => {
      const ms = took(addr);
      sec.tlsAcceptErrors++;
      sec.lastAcceptError = `${addr}: ${why}`;
      if (PTP.tlsError.on) PTP.tlsError.emit(0, 0, ms, 0, 0, `${sec.name}/${addr}: ${why} (acceptor)`);
      sock.destroy();
    };
    const server = createTlsServer({ ...opts, rejectUnauthorized: false }, (sock: TLSSocket) => {
      const addr = `${sock.remoteAddress}:${sock.remotePort}`;
      if (mustVerify && !sock.authorized) {
        const e = sock.authorizationError as unknown as NodeJS.ErrnoException | string | null;
        const code = typeof e === 'string' ? e : (e?.code ?? e?.message ?? 'unknown reason');
        const sent = Object.keys(sock.getPeerCertificate() ?? {}).length > 0;
        fail(sock, addr, sent ? `client certificate refused (${code}): the connecting peer's 'crt' is not signed by the 'ca-file' of this local peer's line` : `no client certificate: the connecting peer must present one ('crt <pem>' on its line for this peer), this local peer's line has 'ca-file' with 'verify required'`);
        return;
      }
      const ms = took(addr);
      if (PTP.tlsDone.on) PTP.tlsDone.emit(0, 0, ms, 0, 0, `${sec.name}/${addr}: ${sock.getProtocol() ?? '?'} ${sock.getCipher()?.name ?? '?'} (acceptor)`);
      this.accept(sec, sock);
    });
    const addrs = new WeakMap<Socket, string>();
    server.on('connection', (raw: Socket) => {
      const addr = `${raw.remoteAddress}:${raw.remotePort}`;
      addrs.set(raw, addr);
      starts.set(addr, Date.now());
      raw.once('close', () => starts.delete(addr));
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, sock: TLSSocket) => {
      // node:tls wraps the accepted socket: its address is gone once the handshake failed.
      const raw = (sock as unknown as { _parent?: Socket })._parent;
      const addr = (raw && addrs.get(raw)) ?? (sock.remoteAddress !== undefined ? `${sock.remoteAddress}:${sock.remotePort}` : 'unknown address');
      // node:tls leaves a timed-out handshake open when this event has a listener: fail() destroys it.
      fail(sock, addr, describeTlsError(err));
    });
    return server;
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
    const c: Conn = { socket, section: sec, session, done: false, received: 0 };
    this.conns.add(c);
    socket.on('data', (d: Buffer) => {
      c.received += d.length;
      const now = Date.now();
      this.guard(sec, () => {
        session.receive(d, now);
        this.pump(c, now);
      });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A TLS alert can also come after our side completed (TLS 1.3: the acceptor checks our certificate last).
      if ((c.tlsPending || isTlsError(e)) && c.tlsError === undefined && !c.done) c.tlsError = describeTlsError(e);
      c.netError = e.message;
    });
    socket.on('close', () =>
      this.guard(sec, () => {
        if (c.tlsError !== undefined) this.finish(c, `TLS handshake with '${session.remotePeer}' failed: ${c.tlsError}`, 'SSLERR');
        else if (c.tlsSecured && c.received === 0) {
          // TLS 1.3: the acceptor checks our certificate after our side completed; node:tls reports its refusal as a plain close.
          this.finish(c, `TLS session closed by '${session.remotePeer}' right after the handshake, before any answer: it probably refused this side's certificate ('crt' of this line, checked against its 'ca-file'); see its 'show peers'`, 'SSLERR');
        } else if (c.netError !== undefined && sec.localLink.session === session) this.finish(c, c.netError);
        else this.finish(c, 'connection closed by the peer or the network');
      }),
    );
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

  private finish(c: Conn, why: string, status?: string): void {
    if (c.done) return;
    c.done = true;
    this.conns.delete(c);
    if (!c.socket.destroyed && c.socket.writableLength === 0) c.socket.destroy();
    c.section.released(c.session, Date.now(), why, status);
  }

  /** Opens the connection of initiator `session` to `link` (TLS when its line has `ssl`). */
  private dial(sec: PeersSection, link: { name: string; host: string; port: number }, session: PeerSession): void {
    const tls = this.tls.get(sec)?.remotes.get(link.name);
    const socket = tls ? tlsConnect({ ...tls, host: link.host, port: link.port }) : connect({ host: link.host, port: link.port });
    socket.setNoDelay(true);
    const c = this.wire(sec, session, socket);
    const up = () =>
      this.guard(sec, () => {
        session.connected(Date.now());
        const l = sec.linkOf(session);
        if (l && l.session === session) l.lastStatus = 'HSHK';
        this.pump(c, Date.now());
      });
    if (!tls) {
      socket.once('connect', up);
      return;
    }
    const t0 = Date.now();
    // Errors before the TCP connection is up are connection failures (refused, unreachable).
    socket.once('connect', () => (c.tlsPending = true));
    socket.setTimeout(PEER_TLS_HANDSHAKE_MS, () => {
      if (!c.tlsPending) return;
      c.tlsError = `no TLS handshake within ${PEER_TLS_HANDSHAKE_MS} ms`;
      if (PTP.tlsError.on) PTP.tlsError.emit(session.conn, 0, Date.now() - t0, 0, 0, `${sec.name}/${link.name}: ${c.tlsError} (initiator)`);
      socket.destroy();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if ((c.tlsPending || isTlsError(e)) && PTP.tlsError.on) PTP.tlsError.emit(session.conn, 0, Date.now() - t0, 0, 0, `${sec.name}/${link.name}: ${describeTlsError(e)} (initiator)`);
    });
    socket.once('secureConnect', () => {
      c.tlsPending = false;
      c.tlsSecured = true;
      socket.setTimeout(0);
      const s = socket as TLSSocket;
      if (PTP.tlsDone.on) PTP.tlsDone.emit(session.conn, 0, Date.now() - t0, 0, 0, `${sec.name}/${link.name}: ${s.getProtocol() ?? '?'} ${s.getCipher()?.name ?? '?'} (initiator)`);
      up();
    });
  }

  /** Timers: connects, session polls, learn steps. */
  tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const sec of this.sections) {
      this.guard(sec, () => {
        for (const { link, session } of sec.dueConnects(now)) this.dial(sec, link, session);
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

  /**
   * Soft stop of a reload, first step (HAProxy __process_stopping_peer_sync()): closes this
   * process's peer listeners, so that the local peer's address reaches the successor only, and
   * the sessions with remote peers (no new ones are made), then connects each section that has
   * tables to the local peer's address. The successor asks for a full resync; the session then
   * keeps teaching the changes still made here (the workers drain) until {@link finishHandOver}.
   * Does nothing once stopped or already handing over.
   */
  startHandOver(): void {
    if (this.stopped || this.handing) return;
    this.handing = [];
    const now = Date.now();
    for (const sec of this.sections) sec.handingOver = true;
    for (const server of this.servers) server.close();
    for (const c of [...this.conns]) {
      c.socket.destroy();
      this.guard(c.section, () => this.finish(c, 'local process stopping (soft stop): its tables go to its successor'));
    }
    for (const sec of this.sections) {
      if (sec.tables.length === 0) continue;
      const at = this.listenAt.get(sec)!;
      const session = sec.connectLocal(now);
      this.handing.push({ sec, session, startedAt: now, establishedAt: undefined, result: undefined });
      this.opts.log(`[NOTICE] peers '${sec.name}': soft stop: teaching the tables to the successor at ${at.host}:${at.port} (local peer '${sec.localPeer}')`);
      this.dial(sec, { name: sec.localPeer, host: dialHost(at.host), port: at.port }, session);
    }
  }

  private handOverStep(h: HandOver, now: number, deadline: number): HandOverResult | undefined {
    const s = h.session;
    const done = (outcome: HandOverResult['outcome'], reason: string): HandOverResult => ({ section: h.sec.name, outcome, taught: s.taught, reason });
    if (s.state === 'established' && h.establishedAt === undefined) h.establishedAt = now;
    if (s.released || s.state === 'closed') {
      if (h.establishedAt === undefined) return done('failed', `no successor reached at the local peer's address: ${h.sec.localLink.lastError ?? s.closeReason}`);
      return done('cut', `the session ended before every update was acknowledged: ${s.closeReason}`);
    }
    if (s.state === 'established') {
      if (s.resyncsAsked > 0 && s.caughtUp()) return done('complete', `full resync asked by the successor, ${s.taught} updates taught and acknowledged`);
      if (s.resyncsAsked === 0 && now - h.establishedAt! >= PEERS_RESYNC_TIMEOUT_MS) {
        if (s.teachIsHeld) s.releaseTeach();
        else if (s.caughtUp()) return done('unasked', `the successor did not ask for a resync within ${PEERS_RESYNC_TIMEOUT_MS} ms; the ${s.taught} local changes were taught and acknowledged`);
      }
    }
    if (now >= deadline) return done('timeout', `not every update was acknowledged within ${deadline - h.startedAt} ms (${s.taught} taught, session ${s.state})`);
    return undefined;
  }

  /**
   * Soft stop of a reload, last step (call once this process no longer changes its tables: the
   * workers are gone): resolves when every section's hand-over ended (see HandOverResult), at the
   * latest `timeoutMs` after the call (the sessions are left to {@link stop}). Resolves with no
   * results when no hand-over was started.
   */
  async finishHandOver(timeoutMs: number): Promise<HandOverResult[]> {
    const list = this.handing ?? [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = Date.now();
      for (const h of list) {
        if (h.result) continue;
        this.guard(h.sec, () => {
          h.result = this.handOverStep(h, now, deadline);
        });
      }
      if (list.every((h) => h.result)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return list.map((h) => h.result!);
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
