/**
 * A deterministic in-memory client/server pair (DESIGN.md convention 5): two QuicConnection
 * engines joined by a simulated link that can drop, reorder, duplicate and delay datagrams, driven
 * by a virtual clock. Randomness (loss, jitter, connection ids) comes from one seed, so a run is
 * reproducible. Used by the engine tests and usable by benchmarks.
 */
import { seededRandom, type RandomSource } from '../cid.ts';
import { QuicConnection, type QuicTlsSetup, type TransportSettings } from '../connection.ts';
import type { ConnectionEvent } from '../connection.types.ts';

/** Which way a datagram goes. */
export type Direction = 'to-server' | 'to-client';

/** What the link does to each datagram of one direction. Probabilities are in [0, 1]. */
export interface LinkOptions {
  /** One-way delay in ms (default 10). */
  readonly delay?: number;
  /** Probability that a datagram is lost. */
  readonly loss?: number;
  /** Probability that a datagram is delayed by up to `reorderDelay` more, so that later ones overtake it. */
  readonly reorder?: number;
  /** Extra delay bound for reordered datagrams in ms (default 3 * delay). */
  readonly reorderDelay?: number;
  /** Probability that a datagram is delivered twice. */
  readonly duplicate?: number;
  /**
   * Per-datagram override, consulted first: `drop` loses it, `extraDelay` delays it. `seq` counts
   * datagrams of this direction from 0.
   */
  readonly script?: (d: { readonly dir: Direction; readonly seq: number; readonly data: Uint8Array }) => { drop?: boolean; extraDelay?: number } | undefined;
}

/** Options of a pair. */
export interface PairOptions {
  readonly seed: number;
  readonly client: Extract<QuicTlsSetup, { role: 'client' }>;
  readonly server: Extract<QuicTlsSetup, { role: 'server' }>;
  /** Link behaviour, both directions or per direction. */
  readonly link?: LinkOptions | { readonly toServer: LinkOptions; readonly toClient: LinkOptions };
  readonly clientTransport?: Partial<TransportSettings>;
  readonly serverTransport?: Partial<TransportSettings>;
  /** Virtual clock start in ms (default 1000). */
  readonly start?: number;
  /** Source of the server's connection ids (default seeded from `seed`; e.g. a threadCidSource). */
  readonly serverRandom?: RandomSource;
  /** Trace ids of the two connections. */
  readonly traceIds?: { readonly client: number; readonly server: number };
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly dir: Direction;
  readonly data: Uint8Array;
  /** The client address the datagram carries (source to the server, destination to the client). */
  readonly clientAddr: string;
}

/** The server's address; the client starts at CLIENT_ADDRESS. */
export const SERVER_ADDRESS = '10.0.0.2:443';
export const CLIENT_ADDRESS = '10.0.0.1:50000';

/** mulberry32: a small seeded PRNG giving floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A client and a server engine on a simulated link. */
export class QuicPair {
  readonly client: QuicConnection;
  readonly server: QuicConnection;
  /** Virtual time in ms. */
  now: number;
  /** Every event each side reported, in order. */
  readonly clientEvents: ConnectionEvent[] = [];
  readonly serverEvents: ConnectionEvent[] = [];
  /** Called with each event as it is reported (commands may be issued from here). */
  onClientEvent: ((e: ConnectionEvent, pair: QuicPair) => void) | undefined;
  onServerEvent: ((e: ConnectionEvent, pair: QuicPair) => void) | undefined;
  /** Datagrams handed to the link and delivered, per direction. */
  readonly counts = { 'to-server': { sent: 0, delivered: 0, dropped: 0 }, 'to-client': { sent: 0, delivered: 0, dropped: 0 } };
  private readonly rand: () => number;
  private readonly links: Record<Direction, LinkOptions>;
  private queue: InFlight[] = [];
  private seq = 0;
  private readonly dirSeq: Record<Direction, number> = { 'to-server': 0, 'to-client': 0 };
  /** The client's address as the server sees it (NAT rebinding and migration change it). */
  private clientAddr = CLIENT_ADDRESS;
  /** Client addresses datagrams to the client still reach it through. */
  private readonly reachable = new Set([CLIENT_ADDRESS]);
  /** Datagrams to a client address that no longer reaches the client (after a migration, or blocked). */
  misrouted = 0;

  constructor(o: PairOptions) {
    this.now = o.start ?? 1000;
    this.rand = prng(o.seed);
    const link = o.link ?? {};
    this.links = 'toServer' in link ? { 'to-server': link.toServer, 'to-client': link.toClient } : { 'to-server': link, 'to-client': link };
    this.client = new QuicConnection({
      tls: o.client, path: { local: CLIENT_ADDRESS, remote: SERVER_ADDRESS }, now: this.now, transport: o.clientTransport, random: seededRandom(o.seed * 2 + 1), traceId: o.traceIds?.client,
    });
    this.server = new QuicConnection({
      tls: o.server, path: { local: SERVER_ADDRESS, remote: CLIENT_ADDRESS }, now: this.now, transport: o.serverTransport,
      random: o.serverRandom ?? seededRandom(o.seed * 2 + 2), traceId: o.traceIds?.server,
    });
    this.flush();
  }

  /** The client's address as the server sees it now. */
  get clientAddress(): string {
    return this.clientAddr;
  }

  /**
   * NAT rebinding (RFC 9000 §9): from now on the client's datagrams reach the server from
   * `address`, without the client knowing; the old mapping still reaches the client.
   */
  rebindClient(address: string): void {
    this.clientAddr = address;
    this.reachable.add(address);
  }

  /** Datagrams the server sends to `address` are lost from now on. */
  blockClientAddress(address: string): void {
    this.reachable.delete(address);
  }

  /** Datagrams the server sends to `address` reach the client (again). */
  unblockClientAddress(address: string): void {
    this.reachable.add(address);
  }

  /** Active migration (RFC 9000 §9.2): the client moves to `address` (QuicConnection.migrate); false when refused. */
  migrateClient(address: string): boolean {
    if (!this.client.migrate(this.now, { local: address, remote: SERVER_ADDRESS })) return false;
    this.clientAddr = address;
    this.reachable.clear();
    this.reachable.add(address);
    this.flush();
    return true;
  }

  /** Delivers `data` to one side right now, outside the link (hostile input, tests). */
  inject(dir: Direction, data: Uint8Array): void {
    this.deliver(dir, data, this.clientAddr);
    this.flush();
  }

  private deliver(dir: Direction, data: Uint8Array, clientAddr: string): void {
    if (dir === 'to-server') {
      this.server.receive(this.now, data, { local: SERVER_ADDRESS, remote: clientAddr });
    } else if (!this.reachable.has(clientAddr)) {
      this.misrouted++; // sent to an address the client left
    } else {
      this.client.receive(this.now, data, { local: this.clientAddr, remote: SERVER_ADDRESS });
    }
  }

  /** Sends everything both sides have to send and dispatches their events, until quiet. */
  flush(): void {
    for (let round = 0; round < 1000; round++) {
      let moved = false;
      for (const [conn, dir] of [[this.client, 'to-server'], [this.server, 'to-client']] as const) {
        for (let d = conn.transmit(this.now); d; d = conn.transmit(this.now)) {
          // The client's datagrams leave from its current address (a NAT may rewrite it); the server's go to the address it chose.
          this.send(dir, d.data, dir === 'to-server' ? this.clientAddr : d.path.remote);
          moved = true;
        }
      }
      moved = this.dispatch(this.client, this.clientEvents, this.onClientEvent) || moved;
      moved = this.dispatch(this.server, this.serverEvents, this.onServerEvent) || moved;
      if (!moved) return;
    }
  }

  private dispatch(conn: QuicConnection, log: ConnectionEvent[], hook: ((e: ConnectionEvent, p: QuicPair) => void) | undefined): boolean {
    const events = conn.pollEvents();
    for (const e of events) {
      log.push(e);
      hook?.(e, this);
    }
    return events.length > 0;
  }

  private send(dir: Direction, data: Uint8Array, clientAddr: string): void {
    const link = this.links[dir];
    const seq = this.dirSeq[dir]++;
    this.counts[dir].sent++;
    const scripted = link.script?.({ dir, seq, data });
    const delay = link.delay ?? 10;
    if (scripted?.drop || (!scripted && this.rand() < (link.loss ?? 0))) {
      this.counts[dir].dropped++;
      return;
    }
    let extra = scripted?.extraDelay ?? 0;
    if (!scripted && this.rand() < (link.reorder ?? 0)) extra += this.rand() * (link.reorderDelay ?? 3 * delay);
    this.enqueue({ at: this.now + delay + extra, seq: this.seq++, dir, data, clientAddr });
    if (!scripted && this.rand() < (link.duplicate ?? 0)) {
      this.enqueue({ at: this.now + delay + this.rand() * delay, seq: this.seq++, dir, data: data.slice(), clientAddr });
    }
  }

  private enqueue(f: InFlight): void {
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1].at > f.at || (this.queue[i - 1].at === f.at && this.queue[i - 1].seq > f.seq))) i--;
    this.queue.splice(i, 0, f);
  }

  /** The next time something happens (an arrival or a timer), or undefined when nothing will. */
  nextTime(): number | undefined {
    const times = [this.queue[0]?.at, this.client.deadline(), this.server.deadline()].filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Advances the clock to the next event and handles it; false when nothing is scheduled. */
  step(): boolean {
    const next = this.nextTime();
    if (next === undefined) return false;
    this.now = Math.max(this.now, next);
    while (this.queue.length > 0 && this.queue[0].at <= this.now) {
      const f = this.queue.shift()!;
      this.counts[f.dir].delivered++;
      this.deliver(f.dir, f.data, f.clientAddr);
    }
    for (const conn of [this.client, this.server]) {
      const d = conn.deadline();
      if (d !== undefined && d <= this.now) conn.onTimeout(this.now);
    }
    this.flush();
    return true;
  }

  /** Handles everything scheduled in the next `ms` milliseconds of virtual time, then sets the clock to their end. */
  runFor(ms: number): void {
    const end = this.now + ms;
    const spin = { last: this.now, same: 0 };
    for (let n = 0; n < 1_000_000; n++) {
      const next = this.nextTime();
      if (next === undefined || next > end) break;
      this.stepWithoutSpinning(spin);
    }
    this.now = Math.max(this.now, end);
  }

  /** Steps until `done()` holds (true) or the virtual clock passes `maxTime` ms from now or nothing is scheduled (false). */
  runUntil(done: () => boolean, maxTime = 60_000): boolean {
    const limit = this.now + maxTime;
    const spin = { last: this.now, same: 0 };
    while (!done()) {
      if (this.now > limit || !this.stepWithoutSpinning(spin)) return done();
    }
    return true;
  }

  /**
   * step(), for the loops of runFor() and runUntil(): a timer that stays due without progress would
   * spin, so after 1000 steps at the same time (`spin` counts them across calls) the clock advances
   * 1 ms. Returns step()'s answer; nothing else happens when it is false.
   */
  private stepWithoutSpinning(spin: { last: number; same: number }): boolean {
    if (!this.step()) return false;
    if (this.now === spin.last && ++spin.same > 1000) {
      this.now += 1;
      spin.same = 0;
    } else if (this.now !== spin.last) {
      spin.same = 0;
      spin.last = this.now;
    }
    return true;
  }
}
