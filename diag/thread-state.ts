/**
 * Per-thread state in shared memory, readable by the supervisor at any time, including after the
 * thread died: a heartbeat (the watchdog's input), live counters, the object being handled, and a few
 * JSON documents the thread publishes (its trace point registry, CHECK_IF hits, and the fault record
 * written just before a panic ends the thread).
 *
 * Layout: f64[0..31] counters (indices in TS), then DOCS in order, each `cap` bytes:
 * i32 sequence (odd while being written), i32 length, UTF-8 JSON.
 */

/** Counter indices into the f64 header. */
export const TS = {
  heartbeat: 0,
  heartbeatTime: 1,
  curConn: 2,
  curStream: 3,
  connsTotal: 4,
  connsCur: 5,
  reqsTotal: 6,
  started: 7,
  status: 8,
  heapUsed: 9,
  poolFailures: 10,
  /** Traffic log lines this thread could not send (all its `log` targets), HAProxy's DroppedLogs. */
  droppedLogs: 11,
} as const;

/** Thread status codes stored at TS.status. */
export const THREAD_STATUS = ['starting', 'running', 'stopping', 'stopped', 'dead'] as const;

const DOCS = { points: 1 << 20, fault: 256 << 10, checks: 64 << 10, info: 16 << 10 } as const;
/** Names of the JSON documents a thread publishes. */
export type ThreadDoc = keyof typeof DOCS;
const HEADER = 32 * 8;

function docOffset(name: ThreadDoc): number {
  let off = HEADER;
  for (const [k, cap] of Object.entries(DOCS)) {
    if (k === name) return off;
    off += cap;
  }
  throw new Error(`no document ${name}`);
}
const TOTAL = HEADER + Object.values(DOCS).reduce((a, b) => a + b, 0);

/** Allocates a thread-state buffer. */
export function createThreadState(): SharedArrayBuffer {
  return new SharedArrayBuffer(TOTAL);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Reads and writes a thread-state buffer. Counters are single-writer (the owning thread). */
export class ThreadState {
  readonly sab: SharedArrayBuffer;
  readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly u8: Uint8Array;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.f64 = new Float64Array(sab, 0, 32);
    this.i32 = new Int32Array(sab);
    this.u8 = new Uint8Array(sab);
  }

  /** Advances the heartbeat (called by the owning thread once per event-loop turn or timer tick). */
  beat(now = Date.now()): void {
    this.f64[TS.heartbeat]++;
    this.f64[TS.heartbeatTime] = now;
  }

  /** Publishes a JSON document; too large a document is cut to a note saying so. */
  publish(name: ThreadDoc, value: unknown): void {
    const off = docOffset(name);
    const cap = DOCS[name] - 8;
    let bytes = enc.encode(JSON.stringify(value));
    if (bytes.length > cap) bytes = enc.encode(JSON.stringify({ truncated: true, bytes: bytes.length }));
    const seq = this.i32[off / 4];
    Atomics.store(this.i32, off / 4, seq + 1); // odd: writing
    this.i32[off / 4 + 1] = bytes.length;
    this.u8.set(bytes, off + 8);
    Atomics.store(this.i32, off / 4, seq + 2);
  }

  /** Reads a published document, or undefined if none (or torn by a concurrent writer). */
  read<T = unknown>(name: ThreadDoc): T | undefined {
    const off = docOffset(name);
    for (let attempt = 0; attempt < 3; attempt++) {
      const seq = Atomics.load(this.i32, off / 4);
      if (seq === 0) return undefined;
      if (seq & 1) continue;
      const n = this.i32[off / 4 + 1];
      const text = dec.decode(this.u8.slice(off + 8, off + 8 + n));
      if (Atomics.load(this.i32, off / 4) !== seq) continue;
      try {
        return JSON.parse(text) as T;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  /** Clears a document (e.g. a fault once the post-mortem is written). */
  clear(name: ThreadDoc): void {
    Atomics.store(this.i32, docOffset(name) / 4, 0);
  }
}
