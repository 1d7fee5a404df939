/**
 * A deterministic in-memory client/server pair (DESIGN.md convention 5): two QuicConnection
 * engines joined by a simulated link that can drop, reorder, duplicate and delay datagrams, driven
 * by a virtual clock. Randomness (loss, jitter, connection ids) comes from one seed, so a run is
 * reproducible. Used by the engine tests and usable by benchmarks.
 */
import { seededRandom } from '../cid.ts';
import { QuicConnection, type QuicTlsSetup, type TransportSettings } from '../connection.ts';
import type { ConnectionEvent, QuicPath } from '../connection.types.ts';

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
  /** Trace ids of the two connections. */
  readonly traceIds?: { readonly client: number; readonly server: number };
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly dir: Direction;
  readonly data: Uint8Array;
}

const CLIENT_PATH: QuicPath = { local: '10.0.0.1:50000', remote: '10.0.0.2:443' };
const SERVER_PATH: QuicPath = { local: '10.0.0.2:443', remote: '10.0.0.1:50000' };

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

  constructor(o: PairOptions) {
    this.now = o.start ?? 1000;
    this.rand = prng(o.seed);
    const link = o.link ?? {};
    this.links = 'toServer' in link ? { 'to-server': link.toServer, 'to-client': link.toClient } : { 'to-server': link, 'to-client': link };
    this.client = new QuicConnection({
      tls: o.client, path: CLIENT_PATH, now: this.now, transport: o.clientTransport, random: seededRandom(o.seed * 2 + 1), traceId: o.traceIds?.client,
    });
    this.server = new QuicConnection({
      tls: o.server, path: SERVER_PATH, now: this.now, transport: o.serverTransport, random: seededRandom(o.seed * 2 + 2), traceId: o.traceIds?.server,
    });
    this.flush();
  }

  /** Delivers `data` to one side right now, outside the link (hostile input, tests). */
  inject(dir: Direction, data: Uint8Array): void {
    const to = dir === 'to-server' ? this.server : this.client;
    to.receive(this.now, data, dir === 'to-server' ? SERVER_PATH : CLIENT_PATH);
    this.flush();
  }

  /** Sends everything both sides have to send and dispatches their events, until quiet. */
  flush(): void {
    for (let round = 0; round < 1000; round++) {
      let moved = false;
      for (const [conn, dir] of [[this.client, 'to-server'], [this.server, 'to-client']] as const) {
        for (let d = conn.transmit(this.now); d; d = conn.transmit(this.now)) {
          this.send(dir, d.data);
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

  private send(dir: Direction, data: Uint8Array): void {
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
    this.enqueue({ at: this.now + delay + extra, seq: this.seq++, dir, data });
    if (!scripted && this.rand() < (link.duplicate ?? 0)) {
      this.enqueue({ at: this.now + delay + this.rand() * delay, seq: this.seq++, dir, data: data.slice() });
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
      const to = f.dir === 'to-server' ? this.server : this.client;
      to.receive(this.now, f.data, f.dir === 'to-server' ? SERVER_PATH : CLIENT_PATH);
    }
    for (const conn of [this.client, this.server]) {
      const d = conn.deadline();
      if (d !== undefined && d <= this.now) conn.onTimeout(this.now);
    }
    this.flush();
    return true;
  }

  /** Steps until `done()` holds (true) or the virtual clock passes `maxTime` ms from now or nothing is scheduled (false). */
  runUntil(done: () => boolean, maxTime = 60_000): boolean {
    const limit = this.now + maxTime;
    let sameTime = 0;
    let last = this.now;
    while (!done()) {
      if (this.now > limit || !this.step()) return done();
      // A timer that stays due without progress would spin: advance the clock a little.
      if (this.now === last && ++sameTime > 1000) {
        this.now += 1;
        sameTime = 0;
      } else if (this.now !== last) {
        sameTime = 0;
        last = this.now;
      }
    }
    return true;
  }
}
