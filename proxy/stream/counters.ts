/**
 * The traffic counters behind `show stat` (HAProxy management.txt 9.1), kept in one
 * SharedArrayBuffer that the supervisor allocates (createCounters) and passes to every worker
 * (WorkerInit.counters), so the supervisor reads them while workers serve and they outlive a worker
 * that dies (its replacement keeps adding to the same slice).
 *
 * Objects: index 0 is a sink (writes for "no such object", e.g. a stream without a server yet, land
 * there and are never read), then every frontend, every backend, then every server in
 * configuration order (the slots of proxy/stream/server-state.ts). Each object has:
 *
 * - a record of {@link RECORD_WORDS} Float64 words in each worker thread's own slice, written by
 *   that thread only, without Atomics (plain typed-array adds on the request path); the supervisor
 *   sums (counters, rates), takes the maximum (maxima, dates) or pools (averages) the slices;
 * - {@link GAUGE_WORDS} shared Int32 words for the gauges whose maximum must be process-wide
 *   (frontend sessions, queue lengths), changed with Atomics, and only when they change (once per
 *   connection, or when a queue moves). Each thread also keeps its own contribution in its slice,
 *   so that a replacement thread takes back what its dead predecessor left (attachCounters).
 *
 * Semantics follow HAProxy: rates are freq_ctr (events of the current second plus the previous
 * second's count weighted by what is left of the current one; `*_max` is the highest per-second
 * count); qtime/ctime/rtime/ttime are swrate averages over the last {@link SWRATE_SAMPLES}
 * samples (an exact mean until that many were recorded). With several threads, averages pool the
 * threads' windows and `*_rate_max` is the sum of the threads' maxima (an upper bound).
 */
import type { Config, FrontendConfig } from '../config/config.types.ts';

/** Word offsets inside one object's record (Float64) in a thread slice. */
export const CK = {
  /** Bytes in: from the client (frontend, backend), sent to the server (server). */
  bin: 0,
  /** Bytes out: sent to the client (frontend, backend), received from the server (server). */
  bout: 1,
  /** Requests denied by `http-request deny` (frontend). */
  dreq: 2,
  /** Responses denied by `http-response deny`. */
  dresp: 3,
  /** Request errors (frontend): invalid requests, `timeout http-request`, client gone mid-request. */
  ereq: 4,
  /** Connection errors not tied to a server (backend: no server usable, `timeout queue`). */
  econ: 5,
  /** Response errors: invalid or incomplete response, `timeout server`, server abort. */
  eresp: 6,
  /** Connection retries on the same server. */
  wretr: 7,
  /** Redispatches (server: switched away from it). */
  wredis: 8,
  /** hrsp_1xx .. hrsp_5xx at hrsp + 0 .. 4, hrsp_other at hrsp + 5. */
  hrsp: 9,
  /** HTTP requests: received (frontend), answered (backend). */
  reqTot: 15,
  cliAbrt: 16,
  srvAbrt: 17,
  /** Requests answered by the frontend itself (`http-request return|redirect`). */
  intercepted: 18,
  /** Sessions (frontend: accepted connections). */
  stot: 19,
  /** Server connection attempts. */
  connect: 20,
  /** Server connections reused. */
  reuse: 21,
  /** Internal errors. */
  eint: 22,
  /** Epoch ms of the last session (0: never). */
  lastSess: 23,
  /** freq_ctr of sessions: [second, count this second, count last second, max per second]. */
  sessRate: 24,
  /** freq_ctr of HTTP requests (frontend). */
  reqRate: 28,
  /** Samples recorded into the time averages. */
  tN: 32,
  /** swrate sums of queue, connect, response and total times (ms). */
  qSum: 33,
  cSum: 34,
  rSum: 35,
  tSum: 36,
  /** Maxima of the same times (ms). */
  qMax: 37,
  cMax: 38,
  rMax: 39,
  tMax: 40,
  /** This thread's contribution to the shared `scur` / `qcur` gauges. */
  scurOwn: 41,
  qcurOwn: 42,
} as const;

/** Float64 words per object record. */
export const RECORD_WORDS = 48;
/** Shared Int32 gauge words per object: see {@link G}. */
export const GAUGE_WORDS = 4;
/** Offsets of the shared gauges of one object. */
export const G = { scur: 0, smax: 1, qcur: 2, qmax: 3 } as const;
/** HAProxy's TIME_STATS_SAMPLES: the window of the time averages. */
export const SWRATE_SAMPLES = 1024;

const MAGIC = 0x46424354; // "FBCT"
const VERSION = 1;
const HEADER_WORDS = 8; // Int32: magic, version, objects, threads, frontends, backends, servers, 0

/** Where each configured object lives: object indexes (multiply by RECORD_WORDS for a record base). */
export interface CounterLayout {
  frontends: number;
  backends: number;
  servers: number;
  /** Objects including the sink. */
  objects: number;
}

/** The layout for `config`: sink, frontends, backends, servers. */
export function counterLayout(config: Pick<Config, 'frontends' | 'backends'>): CounterLayout {
  const servers = config.backends.reduce((n, b) => n + b.servers.length, 0);
  return { frontends: config.frontends.length, backends: config.backends.length, servers, objects: 1 + config.frontends.length + config.backends.length + servers };
}

/** Object index of frontend `i` (configuration order). */
export function frontendObject(i: number): number {
  return 1 + i;
}
/** Object index of backend `i` (configuration order). */
export function backendObject(l: CounterLayout, i: number): number {
  return 1 + l.frontends + i;
}
/** Object index of the server in slot `slot` (proxy/stream/server-state.ts serverSlots). */
export function serverObject(l: CounterLayout, slot: number): number {
  return 1 + l.frontends + l.backends + slot;
}

function gaugeByteOffset(): number {
  return HEADER_WORDS * 4;
}
function sliceByteOffset(objects: number): number {
  return HEADER_WORDS * 4 + objects * GAUGE_WORDS * 4; // a multiple of 8: GAUGE_WORDS is even
}

/**
 * Allocates the counters of `config` for `threads` worker threads (thread numbers 1..threads), all
 * at zero.
 */
export function createCounters(config: Pick<Config, 'frontends' | 'backends'>, threads: number): SharedArrayBuffer {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  const l = counterLayout(config);
  const sab = new SharedArrayBuffer(sliceByteOffset(l.objects) + threads * l.objects * RECORD_WORDS * 8);
  const h = new Int32Array(sab, 0, HEADER_WORDS);
  h.set([MAGIC, VERSION, l.objects, threads, l.frontends, l.backends, l.servers, 0]);
  return sab;
}

function header(sab: SharedArrayBuffer): { objects: number; threads: number; layout: CounterLayout } {
  const h = new Int32Array(sab, 0, HEADER_WORDS);
  if (h[0] !== MAGIC || h[1] !== VERSION) throw new Error('counters memory has an unknown layout (not made by createCounters of this version)');
  return { objects: h[2]!, threads: h[3]!, layout: { frontends: h[4]!, backends: h[5]!, servers: h[6]!, objects: h[2]! } };
}

// ---- pure helpers on a record (exported for the tests; the clock is always passed in) ----

/**
 * HAProxy's update_freq_ctr() on the 4 words at `o` ([second, current, previous, max]): counts `n`
 * events at `nowMs`, rotating the period when the second changed (the previous count is kept only
 * if exactly one second passed). Updates the max with the current second's count and returns it.
 */
export function freqAdd(f: Float64Array, o: number, nowMs: number, n = 1): number {
  const sec = Math.floor(nowMs / 1000);
  const at = f[o]!;
  if (sec !== at) {
    f[o + 2] = sec === at + 1 ? f[o + 1]! : 0;
    f[o + 1] = 0;
    f[o] = sec;
  }
  const curr = f[o + 1]! + n;
  f[o + 1] = curr;
  if (curr > f[o + 3]!) f[o + 3] = curr;
  return curr;
}

/**
 * HAProxy's read_freq_ctr(): events over the last second at `nowMs`: the current second's count
 * plus the previous second's weighted by the part of the current second still to come; 0 when
 * nothing happened for two seconds; a previous count of 0 or 1 alone is returned as is.
 */
export function freqRead(f: Float64Array, o: number, nowMs: number): number {
  const sec = Math.floor(nowMs / 1000);
  const age = sec - f[o]!;
  if (age > 1 || age < 0) return 0;
  let curr = f[o + 1]!;
  let past = f[o + 2]!;
  if (age === 1) {
    past = curr;
    curr = 0;
  }
  if (past <= 1 && curr === 0) return past;
  const ms = nowMs - sec * 1000;
  return curr + Math.floor(past * (((999 - ms) * 4294971) / 4294967296));
}

/**
 * Adds one sample `v` to the swrate sum at `sumOff` whose sample count `n` (before this one) is
 * given: an exact sum until {@link SWRATE_SAMPLES} samples, then HAProxy's sliding window
 * (sum - sum / N + v).
 */
export function swrateAdd(f: Float64Array, sumOff: number, n: number, v: number): void {
  const s = f[sumOff]!;
  f[sumOff] = n < SWRATE_SAMPLES ? s + v : s - s / SWRATE_SAMPLES + v;
}

/** The mean a swrate sum stands for after `n` samples (HAProxy's swrate_avg, rounded up); 0 without samples. */
export function swrateAvg(sum: number, n: number): number {
  return meanUp(sum, Math.min(n, SWRATE_SAMPLES));
}

/** sum / w rounded up (as HAProxy's integer swrate_avg), 0 for an empty window. */
function meanUp(sum: number, w: number): number {
  return w > 0 ? Math.max(0, Math.ceil(sum / w - 1e-9)) : 0;
}

/**
 * The counters' clock: epoch ms refreshed every {@link COARSE_CLOCK_MS} by a timer of the attached
 * worker (reading a clock costs 50-60 ns here, more than all the counting of a request; rates and
 * `lastsess` have a resolution of one second, HAProxy's freq_ctr reads its poll-loop date too).
 */
let coarseNow = Date.now();
const coarseClock = (): number => coarseNow;
/** Refresh period of the counters' clock (ms). */
export const COARSE_CLOCK_MS = 50;
let coarseTimer: NodeJS.Timeout | undefined;

/** Index of the hrsp word of `status` (1xx..5xx, else other) from the record base. */
function hrspWord(status: number): number {
  const c = (status / 100) | 0;
  return CK.hrsp + (c >= 1 && c <= 5 ? c - 1 : 5);
}

/**
 * One worker thread's writer. Every method takes record bases (object index x RECORD_WORDS)
 * resolved once (per connection for frontends, when a backend runtime is built for backends and
 * servers), so that the request path does plain typed-array adds and no lookups. A base of 0 is the
 * sink.
 */
export class ThreadCounters {
  /** This thread's slice. */
  readonly f: Float64Array;
  private readonly g: Int32Array;
  private readonly clock: () => number;
  private readonly layout: CounterLayout;
  private readonly feBase = new Map<string, number>();
  private readonly beBase = new Map<string, number>();

  /**
   * A writer over thread `thread`'s slice of `sab` for `config`, or, without `sab`, over a private
   * sink (unit tests, and code running before the worker attached). `clock` gives epoch ms (default:
   * the coarse clock that attachCounters() keeps running).
   */
  constructor(sab: SharedArrayBuffer | undefined, thread: number, config: Pick<Config, 'frontends' | 'backends'>, clock: () => number = coarseClock) {
    this.clock = clock;
    if (!sab) {
      this.layout = { frontends: 0, backends: 0, servers: 0, objects: 1 };
      this.f = new Float64Array(RECORD_WORDS);
      this.g = new Int32Array(GAUGE_WORDS);
      return;
    }
    const h = header(sab);
    if (thread < 1 || thread > h.threads) throw new RangeError(`thread ${thread} has no counters slice (1..${h.threads})`);
    const l = counterLayout(config);
    if (l.objects !== h.objects) throw new Error(`counters memory was made for ${h.objects - 1} objects, this configuration has ${l.objects - 1}`);
    this.layout = l;
    this.g = new Int32Array(sab, gaugeByteOffset(), h.objects * GAUGE_WORDS);
    this.f = new Float64Array(sab, sliceByteOffset(h.objects) + (thread - 1) * h.objects * RECORD_WORDS * 8, h.objects * RECORD_WORDS);
    config.frontends.forEach((fe, i) => this.feBase.set(fe.name, frontendObject(i) * RECORD_WORDS));
    config.backends.forEach((be, i) => this.beBase.set(be.name, backendObject(l, i) * RECORD_WORDS));
    this.reclaimGauges();
  }

  /** Takes back from the shared gauges what a previous (dead) thread of this slice still held. */
  private reclaimGauges(): void {
    for (let obj = 1; obj < this.layout.objects; obj++) {
      const b = obj * RECORD_WORDS;
      this.gauge(b, CK.scurOwn, G.scur, 0);
      this.gauge(b, CK.qcurOwn, G.qcur, 0);
    }
  }

  /** Record base of frontend `name` (0 when unknown). */
  frontendBase(name: string): number {
    return this.feBase.get(name) ?? 0;
  }
  /** Record base of backend `name` (0 when unknown). */
  backendBase(name: string): number {
    return this.beBase.get(name) ?? 0;
  }
  /** Record base of the server in slot `slot` of proxy/stream/server-state.ts (0 when out of range). */
  serverBase(slot: number): number {
    return slot >= 0 && slot < this.layout.servers ? serverObject(this.layout, slot) * RECORD_WORDS : 0;
  }

  /** Sets this thread's contribution `own` to a shared gauge to `v`; keeps the process-wide max. */
  private gauge(base: number, own: number, g: number, v: number): void {
    const d = v - this.f[base + own]!;
    if (d === 0) return;
    this.f[base + own] = v;
    const i = (base / RECORD_WORDS) * GAUGE_WORDS + g;
    const cur = Atomics.add(this.g, i, d) + d;
    if (d > 0) for (let m = Atomics.load(this.g, i + 1); cur > m; m = Atomics.load(this.g, i + 1)) if (Atomics.compareExchange(this.g, i + 1, m, cur) === m) break;
  }

  // ---- client side (proxy/h1/conn.ts) ----

  /** A client connection was accepted on `fe`: stot, scur/smax, session and connection rate. Returns its record base. */
  accept(fe: FrontendConfig): number {
    const b = this.feBase.get(fe.name) ?? 0;
    const f = this.f;
    f[b + CK.stot]++;
    this.gauge(b, CK.scurOwn, G.scur, f[b + CK.scurOwn]! + 1);
    freqAdd(f, b + CK.sessRate, this.clock());
    return b;
  }
  /** The client connection of frontend record `fk` closed. */
  close(fk: number): void {
    this.gauge(fk, CK.scurOwn, G.scur, this.f[fk + CK.scurOwn]! - 1);
  }
  /** `n` bytes received from the client, for frontend `fk` and backend `bk` of the stream being forwarded (0: none). */
  rx(fk: number, bk: number, n: number): void {
    this.f[fk + CK.bin] += n;
    this.f[bk + CK.bin] += n;
  }
  /** `n` bytes of a forwarded response written to the client. */
  tx(fk: number, bk: number, n: number): void {
    this.f[fk + CK.bout] += n;
    this.f[bk + CK.bout] += n;
  }
  /** A request head was received on frontend `fk` (req_tot, req_rate). */
  request(fk: number): void {
    this.f[fk + CK.reqTot]++;
    freqAdd(this.f, fk + CK.reqRate, this.clock());
  }
  /** An invalid request, or a request timeout, on frontend `fk`. */
  reqError(fk: number): void {
    this.f[fk + CK.ereq]++;
  }
  /**
   * The frontend answered by itself (rule reply or error page): `n` bytes with `status`; `term` is
   * the termination code the driver chose (`PR`: denied, `LR`: intercepted by return/redirect).
   */
  reply(fk: number, status: number, n: number, term: string | undefined): void {
    const f = this.f;
    f[fk + CK.bout] += n;
    f[fk + hrspWord(status)]++;
    if (term === 'PR') f[fk + CK.dreq]++;
    else if (term === 'LR') f[fk + CK.intercepted]++;
  }

  // ---- backend and server side (proxy/stream/backend-runtime.ts, proxy/stream/forward.ts) ----

  /** A stream entered backend `bk` (session rate, last session). */
  backendSession(bk: number): void {
    const now = this.clock();
    freqAdd(this.f, bk + CK.sessRate, now);
    this.f[bk + CK.lastSess] = now;
  }
  /** A stream was given to server `sk` (session rate, last session). */
  serverSession(sk: number): void {
    const now = this.clock();
    freqAdd(this.f, sk + CK.sessRate, now);
    this.f[sk + CK.lastSess] = now;
  }
  /** Requests waiting in the queue of record `base` (backend queue or a server's) in this thread. */
  queued(base: number, n: number): void {
    this.gauge(base, CK.qcurOwn, G.qcur, n);
  }
  /** A stream of backend `bk` got no server (no usable server, `timeout queue`). */
  noServer(bk: number): void {
    this.f[bk + CK.econ]++;
  }
  /** A new connection to server `sk` is being opened. */
  connect(bk: number, sk: number): void {
    this.f[bk + CK.connect]++;
    this.f[sk + CK.connect]++;
  }
  /** An idle connection to server `sk` was reused. */
  reuse(bk: number, sk: number): void {
    this.f[bk + CK.reuse]++;
    this.f[sk + CK.reuse]++;
  }
  /** A failed connection attempt to `sk` is retried: on the same server, or redispatched away from it. */
  retry(bk: number, sk: number, redispatch: boolean): void {
    const w = redispatch ? CK.wredis : CK.wretr;
    this.f[bk + w]++;
    this.f[sk + w]++;
  }
  /** `n` bytes sent to server `sk`. */
  srvIn(sk: number, n: number): void {
    this.f[sk + CK.bin] += n;
  }
  /** The pieces about to be sent to server `sk`. */
  srvInPieces(sk: number, pieces: readonly Uint8Array[]): void {
    let n = 0;
    for (let i = 0; i < pieces.length; i++) n += pieces[i]!.length;
    this.f[sk + CK.bin] += n;
  }
  /** `n` bytes received from server `sk`. */
  srvOut(sk: number, n: number): void {
    this.f[sk + CK.bout] += n;
  }
  /** A response head (interim ones included) came from server `sk`. */
  srvStatus(sk: number, status: number): void {
    this.f[sk + hrspWord(status)]++;
  }
  /** A server's final response head with `status` goes to the client: frontend and backend hrsp, backend req_tot. */
  response(fk: number, bk: number, status: number): void {
    const f = this.f;
    const w = hrspWord(status);
    f[fk + w]++;
    f[bk + w]++;
    f[bk + CK.reqTot]++;
  }
  /**
   * A stream of backend `bk` ends with an error page `status` (the frontend counts it when the
   * page is sent). `serverError`: a 502/504 is a response error of `sk` (not an `http-response deny`).
   */
  failed(bk: number, sk: number, status: number, serverError: boolean): void {
    const f = this.f;
    f[bk + hrspWord(status)]++;
    f[bk + CK.reqTot]++;
    if (serverError && (status === 502 || status === 504)) {
      f[bk + CK.eresp]++;
      f[sk + CK.eresp]++;
    }
  }
  /** An `http-response deny` refused the response of `sk`. */
  deniedResponse(fk: number, bk: number, sk: number): void {
    this.f[fk + CK.dresp]++;
    this.f[bk + CK.dresp]++;
    this.f[sk + CK.dresp]++;
  }
  /** The response of `sk` failed after its head was sent (invalid body, timeout server, server abort). */
  respError(bk: number, sk: number): void {
    this.f[bk + CK.eresp]++;
    this.f[sk + CK.eresp]++;
  }
  /** Server `sk` aborted the transfer (closed during the response body). */
  srvAbort(bk: number, sk: number): void {
    this.f[bk + CK.srvAbrt]++;
    this.f[sk + CK.srvAbrt]++;
  }
  /** The client aborted a stream being forwarded. */
  cliAbort(bk: number, sk: number): void {
    this.f[bk + CK.cliAbrt]++;
    this.f[sk + CK.cliAbrt]++;
  }
  /**
   * One stream's times in ms (HAProxy's stream_update_time_stats): queue `q`, connect `c`, response
   * `r` (connection to response head), total `t`; negative values count as 0.
   */
  times(bk: number, sk: number, q: number, c: number, r: number, t: number): void {
    this.addTimes(bk, q, c, r, t);
    this.addTimes(sk, q, c, r, t);
  }
  private addTimes(b: number, q: number, c: number, r: number, t: number): void {
    const f = this.f;
    const n = f[b + CK.tN]!;
    f[b + CK.tN] = n + 1;
    q = q > 0 ? q : 0;
    c = c > 0 ? c : 0;
    r = r > 0 ? r : 0;
    t = t > 0 ? t : 0;
    swrateAdd(f, b + CK.qSum, n, q);
    swrateAdd(f, b + CK.cSum, n, c);
    swrateAdd(f, b + CK.rSum, n, r);
    swrateAdd(f, b + CK.tSum, n, t);
    if (q > f[b + CK.qMax]!) f[b + CK.qMax] = q;
    if (c > f[b + CK.cMax]!) f[b + CK.cMax] = c;
    if (r > f[b + CK.rMax]!) f[b + CK.rMax] = r;
    if (t > f[b + CK.tMax]!) f[b + CK.tMax] = t;
  }
}

/**
 * This thread's counters writer: a sink until attachCounters() ran (then every base resolves to 0).
 * A live binding: importers always see the attached one.
 */
export let CTR: ThreadCounters = new ThreadCounters(undefined, 0, { frontends: [], backends: [] });

/**
 * Attaches this worker thread (1-based `thread`) to the counters the supervisor allocated for
 * `config` (WorkerInit.counters). Gauges a dead predecessor of this thread left are taken back.
 */
export function attachCounters(sab: SharedArrayBuffer, thread: number, config: Pick<Config, 'frontends' | 'backends'>): ThreadCounters {
  CTR = new ThreadCounters(sab, thread, config);
  coarseNow = Date.now();
  coarseTimer ??= setInterval(() => (coarseNow = Date.now()), COARSE_CLOCK_MS).unref();
  return CTR;
}

/** The supervisor's read-only view: sums, maxima, rates and averages over every thread's slice. */
export class CountersView {
  readonly layout: CounterLayout;
  readonly threads: number;
  private readonly g: Int32Array;
  private readonly slices: Float64Array[] = [];

  constructor(sab: SharedArrayBuffer) {
    const h = header(sab);
    this.layout = h.layout;
    this.threads = h.threads;
    this.g = new Int32Array(sab, gaugeByteOffset(), h.objects * GAUGE_WORDS);
    for (let t = 0; t < h.threads; t++) this.slices.push(new Float64Array(sab, sliceByteOffset(h.objects) + t * h.objects * RECORD_WORDS * 8, h.objects * RECORD_WORDS));
  }

  /** Object index of frontend `i`, backend `i`, the server in slot `slot`; -1 when out of range. */
  frontend(i: number): number {
    return i >= 0 && i < this.layout.frontends ? frontendObject(i) : -1;
  }
  backend(i: number): number {
    return i >= 0 && i < this.layout.backends ? backendObject(this.layout, i) : -1;
  }
  server(slot: number): number {
    return slot >= 0 && slot < this.layout.servers ? serverObject(this.layout, slot) : -1;
  }

  /** Sum over the threads of word `w` of object `obj` (0 for -1). */
  sum(obj: number, w: number): number {
    if (obj < 0) return 0;
    let s = 0;
    for (const f of this.slices) s += f[obj * RECORD_WORDS + w]!;
    return s;
  }
  /** Maximum over the threads of word `w`. */
  max(obj: number, w: number): number {
    if (obj < 0) return 0;
    let m = 0;
    for (const f of this.slices) m = Math.max(m, f[obj * RECORD_WORDS + w]!);
    return m;
  }
  /** The freq_ctr at `w` (CK.sessRate, CK.reqRate) read at `nowMs`, summed over the threads. */
  rate(obj: number, w: number, nowMs: number): number {
    if (obj < 0) return 0;
    let s = 0;
    for (const f of this.slices) s += freqRead(f, obj * RECORD_WORDS + w, nowMs);
    return s;
  }
  /** The highest per-second count of the freq_ctr at `w`, summed over the threads. */
  rateMax(obj: number, w: number): number {
    return this.sum(obj, w + 3);
  }
  /** The average of the swrate sum at `w` (CK.qSum .. CK.tSum), pooling every thread's window. */
  avg(obj: number, w: number): number {
    if (obj < 0) return 0;
    let sum = 0;
    let n = 0;
    for (const f of this.slices) {
      const b = obj * RECORD_WORDS;
      const k = Math.min(f[b + CK.tN]!, SWRATE_SAMPLES);
      if (k === 0) continue;
      // each thread's sum stands for min(n, N) samples
      sum += f[b + w]!;
      n += k;
    }
    return meanUp(sum, n);
  }
  /** A shared gauge (G.scur, G.smax, G.qcur, G.qmax). */
  gauge(obj: number, g: number): number {
    return obj < 0 ? 0 : Atomics.load(this.g, obj * GAUGE_WORDS + g);
  }
  /** Seconds since the last session of `obj` at `nowMs`, -1 when it never had one (HAProxy's lastsess). */
  lastSess(obj: number, nowMs: number): number {
    const t = this.max(obj, CK.lastSess);
    return t > 0 ? Math.max(0, Math.floor((nowMs - t) / 1000)) : -1;
  }
}
