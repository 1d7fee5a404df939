/**
 * The lifecycle log: connections, streams and applets get process-unique ids; create, attach,
 * detach, upgrade, shutdown, close and free are recorded in a per-thread live-object table in a
 * SharedArrayBuffer (readable by the supervisor after the thread died) and as trace events of the
 * `conn`/`stream` sources. Each object keeps a termination log of its first 4 and last 12 events, so
 * a snapshot answers "how did this one die". Freed objects stay readable until their slot is reused
 * (slots are reused oldest-freed first). Each slot also holds what the object is doing (a state code,
 * LC_STATES) and the timer it waits on with its expiry, for `show sess` (HAProxy prints `exp=`):
 * setState()/setTimer()/armTimer() are a few typed-array writes, no event, no allocation.
 *
 * Table header (HEADER_BYTES): i32[0] magic "FBLV", [1] slots, [2] thread, [3] slot layout version.
 *
 * Slot layout 1 (SLOT_BYTES bytes): i32[0] id, [1] kind, [2] parent id, [3] 0 empty | 1 live |
 * 2 freed, [4] total events; byte 20 info length, byte 21 state code, byte 22 timer code (LC_TIMERS),
 * byte 23 unused; f64 at byte 24 created (epoch ms), byte 32 last event (epoch ms), byte 40 timer
 * expiry (epoch ms); info UTF-8 at byte 48 (80 bytes); log at byte 128: 16 entries of 16 bytes
 * (f64 time, i32 event, i32 arg): entries 0..3 first events, 4..15 a ring of the last ones.
 *
 * Slot layout 0 (tables whose header says 0, written before states were recorded): the same, except
 * i32[5] info length, no state, timer or expiry, and info at byte 40 (88 bytes). readLiveTable()
 * reads both.
 */
import { LC_EVENTS, LC_STATES, LC_TIMERS, OBJ_KINDS, type LcEvent, type LcLogEntry, type LiveObject, type ObjKind } from './lifecycle.types.ts';
import { declareTraceSource, type TracePoint } from './trace.ts';
import { clockEpochMs, putAscii } from './ring.ts';

const SLOT_BYTES = 384;
/** The slot layout this build writes (header i32[3]). */
export const LIVE_TABLE_LAYOUT = 1;
const INFO_LEN_OFF = 20;
const STATE_OFF = 21;
const TIMER_OFF = 22;
const EXPIRES_OFF = 40;
const INFO_OFF = 48;
const INFO_BYTES = 80;
const V0_INFO_OFF = 40;
const V0_INFO_BYTES = 88;
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
  h[3] = LIVE_TABLE_LAYOUT;
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

const TP_CONN = TP.conn;
const TP_STREAM = TP.stream;
const TP_OTHER = TP.other;
/** Event name -> index in LC_EVENTS (a Map: this runs about ten times per request). */
const EVENT_INDEX: ReadonlyMap<LcEvent, number> = new Map(LC_EVENTS.map((e, i) => [e, i]));

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
    // ASCII (the usual description) is written in place, without a view of the slot.
    let n = info.length <= INFO_BYTES ? putAscii(info, this.u8, off + INFO_OFF) : -1;
    if (n < 0) n = enc.encodeInto(info, this.u8.subarray(off + INFO_OFF, off + INFO_OFF + INFO_BYTES)).written;
    this.u8[off + INFO_LEN_OFF] = n;
  }

  /** Byte offset of `h`'s slot, or -1 when it has none or the handle is stale (slot reused). */
  private slotOf(h: LcHandle): number {
    if (h.slot < 0) return -1;
    const off = HEADER_BYTES + h.slot * SLOT_BYTES;
    return this.i32[off >> 2] === h.id ? off : -1;
  }

  /**
   * Sets what object `h` is doing: `code` indexes LC_STATES of its kind (LC_CONN_STATE,
   * LC_STREAM_STATE). One byte written; not an event (the termination log is not touched).
   */
  setState(h: LcHandle, code: number): void {
    const off = this.slotOf(h);
    if (off >= 0) this.u8[off + STATE_OFF] = code;
  }

  /** Sets the timer `h` waits on (`code` indexes LC_TIMERS, LC_TIMER) and its expiry (epoch ms). */
  setTimer(h: LcHandle, code: number, expiresAtMs: number): void {
    const off = this.slotOf(h);
    if (off < 0) return;
    this.u8[off + TIMER_OFF] = code;
    this.f64[(off + EXPIRES_OFF) >> 3] = expiresAtMs;
  }

  /** `h` waits on no timer any more. */
  clearTimer(h: LcHandle): void {
    this.setTimer(h, 0, 0);
  }

  /**
   * Arms timer `code` to expire `ms` from now (the recorder's clock, as of the last tickClock());
   * `ms` undefined (the timeout is not configured) or `code` 0 clears it. Drivers call it again when
   * an inactivity timer (`client`, `server`, `tunnel`) is pushed back by data.
   */
  armTimer(h: LcHandle, code: number, ms: number | undefined): void {
    if (ms === undefined || code === 0) this.setTimer(h, 0, 0);
    else this.setTimer(h, code, clockEpochMs() + ms);
  }

  /** setState(h, state) and armTimer(h, timer, ms) in one call: a phase change of the object. */
  setPhase(h: LcHandle, state: number, timer: number, ms: number | undefined): void {
    const off = this.slotOf(h);
    if (off < 0) return;
    this.u8[off + STATE_OFF] = state;
    const on = ms !== undefined && timer !== 0;
    this.u8[off + TIMER_OFF] = on ? timer : 0;
    this.f64[(off + EXPIRES_OFF) >> 3] = on ? clockEpochMs() + ms : 0;
  }

  /** Records `event` (with a numeric `arg`, and `text` for the trace record only) on object `h`. */
  event(h: LcHandle, event: LcEvent, arg = 0, text?: string): void {
    const e = EVENT_INDEX.get(event)!;
    const tp = (h.kind === 'stream' ? TP_STREAM : h.kind === 'conn' ? TP_CONN : TP_OTHER)[e];
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
      this.clearTimer(h); // the state stays: what it was doing when it was freed
      this.free.push(h.slot);
    }
    h.slot = -1;
  }

  /** Objects that could not be tracked because the table was full. */
  untracked(): number {
    return this.overflow;
  }
}

/**
 * Reads a live table (from any thread, or from a snapshot copy), slot layout 0 or 1 (see the module
 * comment). `all` includes freed objects. Objects of layout-0 tables have no state, timer or expiry.
 */
export function readLiveTable(buf: SharedArrayBuffer | Uint8Array, all = false): LiveObject[] {
  const u8 = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (u8.byteLength < HEADER_BYTES || dv.getInt32(0, true) !== 0x4642_4c56) throw new Error('not a live-object table');
  const slots = Math.min(dv.getInt32(4, true), Math.floor((u8.byteLength - HEADER_BYTES) / SLOT_BYTES));
  const thread = dv.getInt32(8, true);
  const layout = dv.getInt32(12, true);
  if (layout !== 0 && layout !== LIVE_TABLE_LAYOUT) {
    throw new Error(`live-object table of slot layout ${layout}: this build reads layouts 0 to ${LIVE_TABLE_LAYOUT}; decode it with the Flightbox version that wrote it`);
  }
  const out: LiveObject[] = [];
  for (let s = 0; s < slots; s++) {
    const o = HEADER_BYTES + s * SLOT_BYTES;
    const state = dv.getInt32(o + 12, true);
    if (state === 0 || (state === 2 && !all)) continue;
    const total = dv.getInt32(o + 16, true);
    const infoOff = layout === 0 ? V0_INFO_OFF : INFO_OFF;
    const infoLen = layout === 0 ? Math.min(dv.getInt32(o + 20, true), V0_INFO_BYTES) : Math.min(u8[o + INFO_LEN_OFF], INFO_BYTES);
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
    const kind = OBJ_KINDS[dv.getInt32(o + 4, true)] ?? 'conn';
    const obj: LiveObject = {
      id: dv.getInt32(o, true),
      kind,
      parentId: dv.getInt32(o + 8, true),
      thread,
      live: state === 1,
      created: dv.getFloat64(o + 24, true),
      lastEvent: dv.getFloat64(o + 32, true),
      info: dec.decode(u8.slice(o + infoOff, o + infoOff + infoLen)),
      totalEvents: total,
      log,
    };
    if (layout >= 1) {
      const sc = u8[o + STATE_OFF];
      const tc = u8[o + TIMER_OFF];
      const names: readonly string[] = LC_STATES[kind];
      obj.state = names[sc] ?? `state#${sc}`;
      obj.timer = LC_TIMERS[tc] ?? 'none';
      obj.expires = obj.timer === 'none' ? 0 : dv.getFloat64(o + EXPIRES_OFF, true);
    }
    out.push(obj);
  }
  return out.sort((a, b) => a.id - b.id);
}
