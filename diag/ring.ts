/**
 * Trace rings: fixed-layout binary records in a SharedArrayBuffer (layout in ring.types.ts), written
 * by one thread without allocation and read by any thread, including after the writer died.
 */
import {
  RING_HEADER_BYTES,
  RING_LAYOUT_VERSION,
  RING_MAGIC,
  RING_RECORD_BYTES,
  type RingRecord,
} from './ring.types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The recorder's clock, as HAProxy's traces use the date of the current poll-loop wakeup: reading
 * a clock costs ~60 ns here (more than a whole record), so records take the time cached by the
 * last tickClock(). Drivers call tickClock() when an I/O callback starts; the worker's heartbeat
 * calls it too, which bounds how stale a time can be on a path that forgot to.
 */
let clockNow = performance.now();
/** Set by useLiveClock(): every read refreshes the clock first. */
let liveClock = false;
/** performance.timeOrigin, read once: the getter costs more than the rest of clockEpochMs(). */
const timeOrigin = performance.timeOrigin;

/** Refreshes the recorder's clock (call at the start of each I/O callback). */
export function tickClock(): void {
  clockNow = performance.now();
}

/**
 * Makes this thread's recorder read the clock on every record instead of using the cached time:
 * for a thread whose events are few and whose I/O callbacks do not tick the clock (the supervisor:
 * peers, checks, watchdog), where a cached time would stamp a second of events with one date.
 */
export function useLiveClock(): void {
  liveClock = true;
}

/** The recorder's clock in epoch milliseconds (as of the last tickClock()). */
export function clockEpochMs(): number {
  if (liveClock) clockNow = performance.now();
  return timeOrigin + clockNow;
}

/**
 * The recorder's clock as whole epoch milliseconds, like Date.now() but without reading a clock:
 * the date the current I/O callback started (HAProxy's now_ms). For the timers of streams and logs.
 */
export function nowMs(): number {
  if (liveClock) clockNow = performance.now();
  return Math.floor(timeOrigin + clockNow);
}

/**
 * Allocates a ring of about `bytes` bytes (records take 3/4, text 1/4) for thread `thread`.
 * The record capacity is rounded down to a power of two; at least 16 records.
 */
export function createRingMemory(bytes: number, thread: number): SharedArrayBuffer {
  const textCap = Math.max(1024, Math.floor(bytes / 4));
  let cap = 16;
  while (cap * 2 * RING_RECORD_BYTES <= bytes - textCap) cap *= 2;
  const sab = new SharedArrayBuffer(RING_HEADER_BYTES + cap * RING_RECORD_BYTES + textCap);
  const i32 = new Int32Array(sab, 0, 16);
  const f64 = new Float64Array(sab, 0, 8);
  i32[0] = RING_MAGIC;
  i32[1] = RING_LAYOUT_VERSION;
  i32[2] = RING_RECORD_BYTES;
  i32[3] = cap;
  i32[4] = textCap;
  i32[5] = thread;
  f64[5] = performance.timeOrigin;
  return sab;
}

/** The single writer of a ring. Not thread-safe: exactly one thread may own a RingWriter per ring. */
export class RingWriter {
  readonly sab: SharedArrayBuffer;
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly text: Uint8Array;
  private readonly mask: number;
  private readonly textCap: number;
  private readonly textBase: number;
  private seq: number;
  private textPos: number;

  constructor(sab: SharedArrayBuffer) {
    const head = new Int32Array(sab, 0, 16);
    if (head[0] !== RING_MAGIC || head[1] !== RING_LAYOUT_VERSION) throw new Error('not a ring of a known layout');
    this.sab = sab;
    this.f64 = new Float64Array(sab);
    this.i32 = new Int32Array(sab);
    this.mask = head[3] - 1;
    this.textCap = head[4];
    this.textBase = RING_HEADER_BYTES + head[3] * RING_RECORD_BYTES;
    this.text = new Uint8Array(sab, this.textBase, this.textCap);
    this.seq = this.f64[3];
    this.textPos = this.f64[4];
  }

  /**
   * Appends one record. `text` is optional; when given it is stored UTF-8 in the text area (at most
   * a quarter of the text area, longer text is cut). Allocation-free when `text` is undefined.
   * The timestamp is the recorder's clock (see tickClock).
   */
  write(point: number, connId: number, streamId: number, a0: number, a1: number, a2: number, text?: string): void {
    const seq = this.seq;
    const w = RING_HEADER_BYTES / 8 + (seq & this.mask) * (RING_RECORD_BYTES / 8); // f64 index of the record
    const f64 = this.f64;
    const i32 = this.i32;
    f64[w + 1] = 0; // invalidate while writing
    if (liveClock) clockNow = performance.now();
    f64[w] = clockNow;
    i32[2 * w + 4] = connId;
    i32[2 * w + 5] = streamId;
    i32[2 * w + 6] = point;
    f64[w + 5] = a0;
    f64[w + 6] = a1;
    f64[w + 7] = a2;
    if (text === undefined || text.length === 0) {
      i32[2 * w + 7] = 0;
    } else {
      const n = this.putText(text);
      i32[2 * w + 7] = n;
      f64[w + 4] = this.textPos - n;
    }
    f64[w + 1] = seq + 1;
    this.seq = seq + 1;
    f64[3] = seq + 1;
  }

  /** Appends a record with an explicit timestamp (ms since the ring's time origin); used to copy rings. */
  writeAt(ts: number, point: number, connId: number, streamId: number, args: readonly number[], text?: string): void {
    this.write(point, connId, streamId, args[0], args[1], args[2], text);
    const w = RING_HEADER_BYTES / 8 + ((this.seq - 1) & this.mask) * (RING_RECORD_BYTES / 8);
    this.f64[w] = ts;
  }

  private putText(s: string): number {
    const cap = this.textCap;
    const max = cap >> 2;
    const start = this.textPos % cap;
    let n = -1;
    if (s.length <= max && start + s.length <= cap) n = putAscii(s, this.text, start);
    if (n >= 0) {
      // ASCII written in place (the usual case: no view, no call into the encoder)
    } else if (start + max <= cap) {
      n = encoder.encodeInto(s.length > max ? s.slice(0, max) : s, this.text.subarray(start, start + max)).written;
    } else {
      const bytes = encoder.encode(s.length > max ? s.slice(0, max) : s).subarray(0, max);
      n = bytes.length;
      const first = Math.min(n, cap - start);
      this.text.set(bytes.subarray(0, first), start);
      this.text.set(bytes.subarray(first), 0);
    }
    this.textPos += n;
    this.f64[4] = this.textPos;
    return n;
  }
}

/**
 * Writes `s` at `dst[at..]` when it is all ASCII (then UTF-8 is the same bytes) and returns its
 * length; returns -1, having written a prefix that the caller overwrites, at the first non-ASCII
 * character. The caller guarantees the room. Short trace texts are written faster so than through
 * TextEncoder.encodeInto, which needs a view of the destination and a call into C++.
 */
export function putAscii(s: string, dst: Uint8Array, at: number): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    dst[at + i] = c;
  }
  return n;
}

/** Static facts about a ring, read from its header. */
export interface RingInfo {
  thread: number;
  capacity: number;
  textCapacity: number;
  written: number;
  textWritten: number;
  timeOrigin: number;
  bytes: number;
}

/** Reads a ring header; throws a clear error when the bytes are not a ring of a known layout. */
export function ringInfo(buf: SharedArrayBuffer | ArrayBuffer | Uint8Array): RingInfo {
  const u8 = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  if (u8.byteLength < RING_HEADER_BYTES) throw new Error(`ring too short (${u8.byteLength} bytes)`);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const magic = dv.getInt32(0, true);
  const version = dv.getInt32(4, true);
  if (magic !== RING_MAGIC) throw new Error('not a ring (bad magic)');
  if (version !== RING_LAYOUT_VERSION) throw new Error(`unknown ring layout version ${version}`);
  return {
    capacity: dv.getInt32(12, true),
    textCapacity: dv.getInt32(16, true),
    thread: dv.getInt32(20, true),
    written: dv.getFloat64(24, true),
    textWritten: dv.getFloat64(32, true),
    timeOrigin: dv.getFloat64(40, true),
    bytes: u8.byteLength,
  };
}

/**
 * Decodes the records still present in a ring, oldest first. Works on a live SharedArrayBuffer (a
 * record being overwritten while read is detected by its sequence and skipped) and on a copy taken
 * into a snapshot. `limit` keeps only the newest `limit` records.
 */
export function readRing(buf: SharedArrayBuffer | ArrayBuffer | Uint8Array, limit = Infinity): RingRecord[] {
  const info = ringInfo(buf);
  const u8 = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const recEnd = RING_HEADER_BYTES + info.capacity * RING_RECORD_BYTES;
  if (u8.byteLength < recEnd + info.textCapacity) throw new Error('ring truncated');
  const text = u8.subarray(recEnd, recEnd + info.textCapacity);
  const written = info.written;
  const first = Math.max(0, written - info.capacity, written - limit);
  const out: RingRecord[] = [];
  for (let seq = first; seq < written; seq++) {
    const off = RING_HEADER_BYTES + (seq % info.capacity) * RING_RECORD_BYTES;
    if (dv.getFloat64(off + 8, true) !== seq + 1) continue;
    const len = dv.getInt32(off + 28, true);
    let t: string | undefined;
    if (len > 0) {
      const pos = dv.getFloat64(off + 32, true);
      if (pos < info.textWritten - info.textCapacity || len > info.textCapacity) t = '<lost>';
      else {
        const s = pos % info.textCapacity;
        const bytes =
          s + len <= info.textCapacity
            ? text.subarray(s, s + len)
            : Buffer.concat([text.subarray(s), text.subarray(0, len - (info.textCapacity - s))]);
        t = decoder.decode(bytes.slice());
      }
    }
    const rec: RingRecord = {
      seq,
      time: info.timeOrigin + dv.getFloat64(off, true),
      thread: info.thread,
      connId: dv.getInt32(off + 16, true),
      streamId: dv.getInt32(off + 20, true),
      point: dv.getInt32(off + 24, true),
      args: [dv.getFloat64(off + 40, true), dv.getFloat64(off + 48, true), dv.getFloat64(off + 56, true)],
      text: t,
    };
    // The writer may have overwritten the slot while we read it: check the sequence again.
    if (dv.getFloat64(off + 8, true) === seq + 1) out.push(rec);
  }
  return out;
}

/**
 * Copies a live ring into a plain buffer, keeping the newest records that fit in `maxBytes` (the
 * snapshot size bound). The copy is itself a valid ring (same layout, smaller capacity when shrunk),
 * and keeps the original sequence numbers and timestamps.
 */
export function copyRing(ring: SharedArrayBuffer | Uint8Array, maxBytes = Infinity): Uint8Array {
  const src = ring instanceof Uint8Array ? ring : new Uint8Array(ring);
  const info = ringInfo(src);
  if (src.byteLength <= maxBytes) return src.slice();
  let cap = info.capacity;
  let textCap = info.textCapacity;
  while (cap > 16 && RING_HEADER_BYTES + cap * RING_RECORD_BYTES + textCap > maxBytes) {
    cap >>= 1;
    textCap = Math.max(1024, textCap >> 1);
  }
  const recs = readRing(src, cap);
  const dst = new SharedArrayBuffer(RING_HEADER_BYTES + cap * RING_RECORD_BYTES + textCap);
  const d32 = new Int32Array(dst, 0, 16);
  const d64 = new Float64Array(dst, 0, 8);
  d32[0] = RING_MAGIC;
  d32[1] = RING_LAYOUT_VERSION;
  d32[2] = RING_RECORD_BYTES;
  d32[3] = cap;
  d32[4] = textCap;
  d32[5] = info.thread;
  d64[3] = recs.length > 0 ? recs[0].seq : info.written;
  d64[5] = info.timeOrigin;
  const w = new RingWriter(dst);
  for (const r of recs) w.writeAt(r.time - info.timeOrigin, r.point, r.connId, r.streamId, r.args, r.text);
  return new Uint8Array(dst).slice();
}
