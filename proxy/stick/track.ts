/**
 * Tracked counters of a stream or of a connection: HAProxy's `stkctr` arrays (`sc0`..`sc2`,
 * include/haproxy/stream.h, session.h), filled by `tcp-request connection track-sc<n>` (the
 * connection's, HAProxy's session level) and `http-request track-sc<n>` (the stream's, one per
 * request), and read by the `sc*_` fetches (proxy/acl/stick-fetches.ts).
 *
 * ## References (the reference rule of proxy/stick/table.ts)
 *
 * Tracking an entry takes ONE reference, through StickTable.acquire(), held by the
 * {@link TrackCounters} object in its slot; {@link TrackCounters.release} drops every reference it
 * holds, each exactly once: the slot is emptied BEFORE the engine is called, so a second call (a
 * driver's error path meeting its normal end, a callback arriving late) finds nothing to drop.
 * The drivers call release() where a stream ends (proxy/h1/conn.ts endStream(): normal end,
 * error, client abort, timeout, tunnel end all go through it) and where a connection ends
 * (its release()). A thread that exits with counters still held (a worker stopping or dying)
 * drops them in its `exit` handler through StickTable.releaseQuiet(), which never hangs nor
 * panics; a thread ended by terminate() (a stalled worker, or out of memory) runs no code: the
 * supervisor drops what it held from its reference ledger once it is gone (StickTable.releaseThread,
 * table.ts "Reference ledger"), as it does for what releaseQuiet had to leave (a thread that died
 * holding the table lock).
 *
 * ## Counters updated (HAProxy's, data types the table does not store are skipped)
 *
 * - when tracking starts (stream_start_counters): conn_cur + 1, conn_cnt + 1, conn_rate, the
 *   entry touched (expires `expire` from now); for a connection, once its rules ran:
 *   sess_cnt + 1, sess_rate;
 * - per HTTP request: http_req_cnt + 1, http_req_rate, on the stream's entry of each slot or, when
 *   the stream tracks nothing in it, the connection's (stream_inc_http_req_ctr); a stream that
 *   starts tracking counts its request at once (http_req_get_intercept_rule);
 * - per client error (4xx answer, denied or invalid request): http_err_cnt, http_err_rate
 *   (stream_inc_http_err_ctr);
 * - as bytes flow: bytes_in (client to proxy), bytes_out (proxy to client), count and rate;
 * - when tracking ends (stream_store_counters): conn_cur - 1 (never below 0), touched, and the
 *   reference dropped (an entry that expired meanwhile is killed then, under the table lock).
 */
import { isMainThread } from 'node:worker_threads';
import type { StickDataType } from './stick.types.ts';
import type { StickKey } from './key.ts';
import type { StickTable } from './table.ts';

/** Number of tracked counter slots (`sc0`, `sc1`, `sc2`: HAProxy's default MAX_SESS_STKCTR). */
export const MAX_TRACKED = 3;

/** One tracked entry: its table and the handle of the reference held. */
export interface TrackedEntry {
  readonly table: StickTable;
  readonly h: number;
}

interface Slot extends TrackedEntry {
  /** The table stores bytes_in_* / bytes_out_* (checked once, not per chunk). */
  readonly bytesIn: boolean;
  readonly bytesOut: boolean;
}

/** References held by TrackCounters objects of this thread, for tests and the exit handler. */
const live = new Set<TrackCounters>();
let exitHook = false;

/** References to stick-table entries that this thread's tracked counters hold now. */
export function trackedReferences(): number {
  let n = 0;
  for (const t of live) n += t.count;
  return n;
}

/**
 * Drops every reference this thread's tracked counters still hold (StickTable.releaseQuiet: no
 * BUG_ON, no wait on a lock this thread holds). Called by the `exit` handler a worker installs on
 * its first tracked entry; exported for the integrator (worker stop) and tests. Returns how many
 * references were dropped.
 */
export function releaseThreadTracking(): number {
  let n = 0;
  for (const t of [...live]) n += t.releaseQuietly();
  return n;
}

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    releaseThreadTracking();
  });
}

/**
 * The tracked counters of one stream or connection. A stream's object names its connection's as
 * `parent`: a slot the stream does not track falls back to the connection's for counting and
 * for the `sc*_` fetches, as HAProxy's stream_inc_http_req_ctr() / smp_fetch_sc_stkctr() do.
 */
export class TrackCounters {
  private readonly slots: (Slot | undefined)[] = [undefined, undefined, undefined];
  readonly parent: TrackCounters | undefined;
  /** References held now. */
  count = 0;

  constructor(parent?: TrackCounters) {
    this.parent = parent;
  }

  /** The entry tracked in slot `n`: this object's, else the parent's; undefined when none. */
  tracked(n: number): TrackedEntry | undefined {
    return this.slots[n] ?? this.parent?.slots[n];
  }

  /** The entry this object itself tracks in slot `n` (not the parent's). */
  own(n: number): TrackedEntry | undefined {
    return this.slots[n];
  }

  /**
   * `track-sc<n> <key> table <t>`: when slot `n` is free here and in the parent (HAProxy: only the
   * first tracking rule of a slot applies), takes a reference on `key`'s entry (created if absent)
   * and starts its counters (conn_cur, conn_cnt, conn_rate, touch). `countRequest`: the stream's
   * current HTTP request is counted on it at once (http-request rules). False when the slot was
   * taken or the table is full.
   */
  track(n: number, table: StickTable, key: StickKey, countRequest: boolean): boolean {
    if (n < 0 || n >= MAX_TRACKED || this.slots[n] || this.parent?.slots[n]) return false;
    const h = table.acquire(key);
    if (h < 0) return false;
    this.slots[n] = {
      table,
      h,
      bytesIn: table.stores('bytes_in_cnt') || table.stores('bytes_in_rate'),
      bytesOut: table.stores('bytes_out_cnt') || table.stores('bytes_out_rate'),
    };
    if (this.count++ === 0) live.add(this);
    if (!exitHook && !isMainThread) installExitHook();
    table.add(h, 'conn_cur', 1);
    table.add(h, 'conn_cnt', 1);
    table.add(h, 'conn_rate', 1);
    if (countRequest) {
      table.add(h, 'http_req_cnt', 1);
      table.add(h, 'http_req_rate', 1);
    }
    table.touch(h);
    return true;
  }

  /** The entry of slot `i` that counts for this object: its own, else its parent's. */
  private counting(i: number): Slot | undefined {
    return this.slots[i] ?? this.parent?.slots[i];
  }

  private bump(cnt: StickDataType, rate: StickDataType, n: number, touch: boolean): void {
    for (let i = 0; i < MAX_TRACKED; i++) {
      const s = this.counting(i);
      if (!s) continue;
      s.table.add(s.h, cnt, n);
      s.table.add(s.h, rate, n);
      if (touch) s.table.touch(s.h);
    }
  }

  /** A new HTTP request on the entries that count for it (stream_inc_http_req_ctr). */
  httpRequest(): void {
    this.bump('http_req_cnt', 'http_req_rate', 1, true);
  }

  /** A client error: 4xx answer, denied or invalid request (stream_inc_http_err_ctr). */
  httpError(): void {
    this.bump('http_err_cnt', 'http_err_rate', 1, true);
  }

  /**
   * The stream this tracks ended with `status` (`denied`: refused as denied or invalid, HAProxy's
   * PR): a 4xx or a denial counts an HTTP error (stream_inc_http_err_ctr), then every reference is
   * released. Returns the references dropped.
   */
  endStream(status: number, denied: boolean): number {
    if ((status >= 400 && status < 500) || denied) this.httpError();
    return this.release();
  }

  /** A connection passed its rules: sess_cnt, sess_rate of its own entries (HAProxy session counters). */
  session(): void {
    for (const s of this.slots) {
      if (!s) continue;
      s.table.add(s.h, 'sess_cnt', 1);
      s.table.add(s.h, 'sess_rate', 1);
    }
  }

  /** `n` bytes from the client. */
  bytesIn(n: number): void {
    for (let i = 0; i < MAX_TRACKED; i++) {
      const s = this.counting(i);
      if (!s?.bytesIn) continue;
      s.table.add(s.h, 'bytes_in_cnt', n);
      s.table.add(s.h, 'bytes_in_rate', n);
    }
  }

  /** `n` bytes to the client. */
  bytesOut(n: number): void {
    for (let i = 0; i < MAX_TRACKED; i++) {
      const s = this.counting(i);
      if (!s?.bytesOut) continue;
      s.table.add(s.h, 'bytes_out_cnt', n);
      s.table.add(s.h, 'bytes_out_rate', n);
    }
  }

  /**
   * `sc-inc-gpc0(<n>)` / `sc-inc-gpc1(<n>)`: increments the counter (and gpc0_rate) of the entry
   * tracked in slot `n` (the stream's, else the connection's); false when nothing is tracked there.
   */
  incGpc(n: number, which: 0 | 1): boolean {
    const s = this.counting(n);
    if (!s) return false;
    if (which === 0) {
      s.table.add(s.h, 'gpc0', 1);
      s.table.add(s.h, 'gpc0_rate', 1);
    } else s.table.add(s.h, 'gpc1', 1);
    s.table.touch(s.h);
    return true;
  }

  /** `sc-set-gpt0(<n>) <v>`; false when nothing is tracked in slot `n`. */
  setGpt0(n: number, v: number): boolean {
    const s = this.counting(n);
    if (!s) return false;
    s.table.set(s.h, 'gpt0', v);
    s.table.touch(s.h);
    return true;
  }

  /**
   * Stops tracking (stream_store_counters): for each entry this object holds, conn_cur - 1, then
   * its reference is dropped (touch and release in one locked call when conn_cur is stored, else a
   * release that kills the entry if it expired). Each slot is emptied before the engine is called:
   * a second call drops nothing. Returns the references dropped.
   */
  release(): number {
    let n = 0;
    for (let i = 0; i < MAX_TRACKED; i++) {
      const s = this.slots[i];
      if (!s) continue;
      this.slots[i] = undefined;
      this.count--;
      n++;
      if (s.table.stores('conn_cur')) {
        s.table.add(s.h, 'conn_cur', -1);
        s.table.touchAndRelease(s.h);
      } else s.table.release(s.h);
    }
    if (this.count === 0) live.delete(this);
    return n;
  }

  /** release() for a thread going away: no counter update, StickTable.releaseQuiet(). */
  releaseQuietly(): number {
    let n = 0;
    for (let i = 0; i < MAX_TRACKED; i++) {
      const s = this.slots[i];
      if (!s) continue;
      this.slots[i] = undefined;
      this.count--;
      if (s.table.releaseQuiet(s.h)) n++;
    }
    live.delete(this);
    return n;
  }
}
