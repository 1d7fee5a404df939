/**
 * The lifecycle log: connections, streams and applets get process-unique ids; create, attach,
 * detach, upgrade, shutdown, close and free are recorded in a per-thread live-object table in a
 * SharedArrayBuffer (readable by the supervisor after the thread died) and as trace events of the
 * `conn`/`stream` sources. Each object keeps a termination log of its first 4 and last 12 events, so
 * a snapshot answers "how did this one die". Freed objects stay readable until their slot is reused
 * (slots are reused oldest-freed first).
 *
 * Slot layout (SLOT_BYTES bytes): i32[0] id, [1] kind, [2] parent id, [3] 0 empty | 1 live | 2 freed,
 * [4] total events, [5] info length; f64 at byte 24 created (epoch ms), byte 32 last event (epoch
 * ms); info UTF-8 at byte 40 (INFO_BYTES); log at byte 128: 16 entries of 16 bytes
 * (f64 time, i32 event, i32 arg): entries 0..3 first events, 4..15 a ring of the last ones.
 */
import { LC_EVENTS, OBJ_KINDS, type LcEvent, type LcLogEntry, type LiveObject, type ObjKind } from './lifecycle.types.ts';
import { declareTraceSource, type TracePoint } from './trace.ts';
import { clockEpochMs } from './ring.ts';

const SLOT_BYTES = 384;
const INFO_OFF = 40;
const INFO_BYTES = 88;
const LOG_OFF = 128;
const FIRST = 4;
const LAST = 12;
const HEADER_BYTES = 64;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A handle on a tracked object: its id and its slot (-1 when the table was full). */
export interface LcHandle {
  readonly id: number;
  readonly kind: ObjKind;
  /** The parent's id (a stream's connection), 0 if none. */
  readonly parentId: number;
  slot: number;
}

/** Allocates a live table of `slots` objects for thread `thread`. */
export function createLiveTable(slots: number, thread: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(HEADER_BYTES + slots * SLOT_BYTES);
  const h = new Int32Array(sab, 0, 16);
  h[0] = 0x4642_4c56; // "FBLV"
  h[1] = slots;
  h[2] = thread;
  return sab;
}

/** A process-wide id counter (one Int32 in a SharedArrayBuffer shared by all threads). */
export function createIdCounter(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
}

const LC_TRACE_EVENTS = LC_EVENTS.map((name) => ({ name, desc: `object ${name}` }));
const SRC_CONN = declareTraceSource('conn', 'Connection lifecycle', LC_TRACE_EVENTS);
const SRC_STREAM = declareTraceSource('stream', 'Stream lifecycle', LC_TRACE_EVENTS);
const SRC_OTHER = declareTraceSource('objects', 'Lifecycle of applets and other objects', LC_TRACE_EVENTS);
const MESSAGES: Partial<Record<LcEvent, string>> = {
  create: 'created: {s}',
  free: 'freed',
  error: 'error {0}',
  timeout: 'timeout after {0} ms',
  request: 'request #{0}',
  response: 'response {0}',
  state: 'state {0} {s}',
};
const pointsFor = (src: typeof SRC_CONN, fn: string) =>
  LC_EVENTS.map((e) => src.point(e, e === 'error' ? 'error' : 'state', fn, MESSAGES[e] ?? e));
const TP: Record<string, TracePoint[]> = {
  conn: pointsFor(SRC_CONN, 'conn_lifecycle'),
  stream: pointsFor(SRC_STREAM, 'stream_lifecycle'),
  other: pointsFor(SRC_OTHER, 'object_lifecycle'),
};

/** The writer of one thread's live table. */
export class Lifecycle {
  readonly sab: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  private readonly ids: Int32Array;
  private readonly free: number[] = [];
  private readonly slots: number;
  private overflow = 0;

  constructor(sab: SharedArrayBuffer, idCounter: SharedArrayBuffer) {
    this.sab = sab;
    this.i32 = new Int32Array(sab);
    this.f64 = new Float64Array(sab);
    this.u8 = new Uint8Array(sab);
    this.ids = new Int32Array(idCounter);
    this.slots = this.i32[1];
    for (let i = 0; i < this.slots; i++) this.free.push(i);
  }

  /** Creates an object of `kind` (child of `parentId`, 0 if none) and records `create`. */
  create(kind: ObjKind, parentId: number, info: string): LcHandle {
    const id = Atomics.add(this.ids, 0, 1) + 1;
    const slot = this.free.shift() ?? -1;
    const h: LcHandle = { id, kind, parentId, slot };
    if (slot < 0) this.overflow++;
    else {
      const b = (HEADER_BYTES + slot * SLOT_BYTES) / 4;
      this.i32.fill(0, b, b + SLOT_BYTES / 4);
      this.i32[b] = id;
      this.i32[b + 1] = OBJ_KINDS.indexOf(kind);
      this.i32[b + 2] = parentId;
      this.f64[b / 2 + 3] = clockEpochMs();
      this.setInfo(h, info);
      this.i32[b + 3] = 1;
    }
    this.event(h, 'create', parentId, info);
    return h;
  }

  /** Replaces an object's short description (e.g. once the request line is known). */
  setInfo(h: LcHandle, info: string): void {
    if (h.slot < 0) return;
    const off = HEADER_BYTES + h.slot * SLOT_BYTES;
    const n = enc.encodeInto(info, this.u8.subarray(off + INFO_OFF, off + INFO_OFF + INFO_BYTES)).written;
    this.i32[off / 4 + 5] = n;
  }

  /** Records `event` (with a numeric `arg`, and `text` for the trace record only) on object `h`. */
  event(h: LcHandle, event: LcEvent, arg = 0, text?: string): void {
    const e = LC_EVENTS.indexOf(event);
    const tp = (TP[h.kind] ?? TP.other)[e];
    if (tp.on) tp.emit(h.kind === 'stream' ? h.parentId : h.id, h.kind === 'stream' ? h.id : 0, arg, 0, 0, text);
    if (h.slot < 0) return;
    const b = (HEADER_BYTES + h.slot * SLOT_BYTES) / 4;
    if (this.i32[b] !== h.id) return; // slot reused: the handle is stale
    const n = this.i32[b + 4];
    const entry = n < FIRST ? n : FIRST + ((n - FIRST) % LAST);
    const eb = b + LOG_OFF / 4 + entry * 4;
    const now = clockEpochMs();
    this.f64[eb / 2] = now;
    this.i32[eb + 2] = e;
    this.i32[eb + 3] = arg;
    this.f64[b / 2 + 4] = now;
    this.i32[b + 4] = n + 1;
  }

  /** Records `free` and releases the slot (it stays readable as freed until reused). */
  release(h: LcHandle): void {
    this.event(h, 'free');
    if (h.slot < 0) return;
    const b = (HEADER_BYTES + h.slot * SLOT_BYTES) / 4;
    if (this.i32[b] === h.id && this.i32[b + 3] === 1) {
      this.i32[b + 3] = 2;
      this.free.push(h.slot);
    }
    h.slot = -1;
  }

  /** Objects that could not be tracked because the table was full. */
  untracked(): number {
    return this.overflow;
  }
}

/** Reads a live table (from any thread, or from a snapshot copy). `all` includes freed objects. */
export function readLiveTable(buf: SharedArrayBuffer | Uint8Array, all = false): LiveObject[] {
  const u8 = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (u8.byteLength < HEADER_BYTES || dv.getInt32(0, true) !== 0x4642_4c56) throw new Error('not a live-object table');
  const slots = Math.min(dv.getInt32(4, true), Math.floor((u8.byteLength - HEADER_BYTES) / SLOT_BYTES));
  const thread = dv.getInt32(8, true);
  const out: LiveObject[] = [];
  for (let s = 0; s < slots; s++) {
    const o = HEADER_BYTES + s * SLOT_BYTES;
    const state = dv.getInt32(o + 12, true);
    if (state === 0 || (state === 2 && !all)) continue;
    const total = dv.getInt32(o + 16, true);
    const infoLen = Math.min(dv.getInt32(o + 20, true), INFO_BYTES);
    const entries: number[] = [];
    for (let i = 0; i < Math.min(total, FIRST); i++) entries.push(i);
    const nLast = Math.min(Math.max(total - FIRST, 0), LAST);
    for (let k = total - nLast; k < total; k++) entries.push(FIRST + ((k - FIRST) % LAST));
    const log: LcLogEntry[] = entries.map((i) => {
      const eo = o + LOG_OFF + i * 16;
      return {
        time: dv.getFloat64(eo, true),
        event: LC_EVENTS[dv.getInt32(eo + 8, true)] ?? 'state',
        arg: dv.getInt32(eo + 12, true),
      };
    });
    out.push({
      id: dv.getInt32(o, true),
      kind: OBJ_KINDS[dv.getInt32(o + 4, true)] ?? 'conn',
      parentId: dv.getInt32(o + 8, true),
      thread,
      live: state === 1,
      created: dv.getFloat64(o + 24, true),
      lastEvent: dv.getFloat64(o + 32, true),
      info: dec.decode(u8.slice(o + INFO_OFF, o + INFO_OFF + infoLen)),
      totalEvents: total,
      log,
    });
  }
  return out.sort((a, b) => a.id - b.id);
}
