/**
 * Trace sources and points: the writer side of the flight recorder.
 *
 *   const H1 = declareTraceSource('h1', 'HTTP/1.1 multiplexer', H1_EVENTS);
 *   const TP_RCV = H1.point('rcv-req', 'proto', 'h1_rcv_req', 'request line parsed, {0} bytes');
 *   ...
 *   if (TP_RCV.on) TP_RCV.emit(connId, streamId, bytes);
 *
 * A point is declared once, at module load; its file:line is captured then (never per record). The
 * enabled-check `on` is one load from the shared enable table (diag/trace-control.ts); `emit` writes
 * one fixed-layout record into the ring of the source's sink without allocating. Until the thread
 * attaches (attachTrace), every point is off.
 */
import { TraceControl, TBL_RECORD, TBL_OFF, tableKey, sourceWord, W_SINK, type TraceDefaults } from './trace-control.ts';
import { TRACE_LEVELS, type TraceEventDef, type TraceLevel, type TracePointInfo } from './trace.types.ts';
import { captureFrames } from './frames.ts';
import { projectPosition } from './paths.ts';
import type { RingWriter } from './ring.ts';
import { formatTraceLine } from './render/trace-line.ts';

const DEFAULTS: TraceDefaults = { state: 'running', level: 'state', sink: 'flight' };
const OFF_TABLE = new Uint8Array(1);

/** A declared source: a name, a description and a typed catalog of events. */
export class TraceSource<E extends string = string> {
  readonly name: string;
  readonly desc: string;
  readonly events: readonly TraceEventDef[];
  /** Index in the shared control once attached, -1 before. */
  index = -1;

  constructor(name: string, desc: string, events: readonly TraceEventDef[]) {
    this.name = name;
    this.desc = desc;
    this.events = events;
  }

  /**
   * Declares a trace point of this source: event `event` at `level`, in function `fn`, with a message
   * template (`{0}` `{1}` `{2}` = numeric args, `{s}` = text). Call at module load, not per request.
   */
  point(event: E, level: TraceLevel, fn: string, msg: string): TracePoint {
    const ev = this.events.findIndex((e) => e.name === event);
    if (ev < 0) throw new Error(`trace source ${this.name}: no event '${event}' in its catalog`);
    const f = captureFrames(1, 1)[0];
    const pos = f ? projectPosition(f.file, f.line, f.col) : { file: '?', line: 0 };
    const tp = new TracePoint(points.length, this, ev, TRACE_LEVELS.indexOf(level), {
      id: points.length,
      source: this.name,
      event,
      level,
      fn,
      file: pos.file,
      line: pos.line,
      msg,
    });
    points.push(tp);
    if (control) bindPoint(tp);
    return tp;
  }
}

/** A trace point. `on` is the cheap enabled-check; `emit` records (call it only when `on`). */
export class TracePoint {
  readonly id: number;
  readonly source: TraceSource;
  readonly event: number;
  readonly level: number;
  readonly info: TracePointInfo;
  /** Index of this point's byte in the enable table. */
  key = 0;
  /** Index of this point's source's sink word in the control. */
  sinkWord = 0;

  constructor(id: number, source: TraceSource, event: number, level: number, info: TracePointInfo) {
    this.id = id;
    this.source = source;
    this.event = event;
    this.level = level;
    this.info = info;
  }

  /** True when emitting would record (or trigger a start/stop/pause transition). */
  get on(): boolean {
    return table[this.key] !== TBL_OFF;
  }

  /** Records one event on connection `conn`, stream `strm` with up to three numbers and a text. */
  emit(conn: number, strm: number, a0 = 0, a1 = 0, a2 = 0, text?: string): void {
    const v = table[this.key];
    if (v === TBL_RECORD) {
      const r = sinkRings[ctl32[this.sinkWord]];
      if (r !== undefined) r.write(this.id, conn, strm, a0, a1, a2, text);
      return;
    }
    if (v !== TBL_OFF) slowEmit(this, conn, strm, a0, a1, a2, text);
  }
}

const sources: TraceSource[] = [];
const points: TracePoint[] = [];
let control: TraceControl | undefined;
let table: Uint8Array<ArrayBufferLike> = OFF_TABLE;
let ctl32: Int32Array<ArrayBufferLike> = new Int32Array(1);
let sinkRings: (RingWriter | undefined)[] = [];
let thread = 0;
let stderrSink: ((line: string) => void) | undefined;

/**
 * Declares a trace source with its event catalog. Idempotent per name within a thread only by
 * returning the same object, so declare each source once, next to its subsystem.
 */
export function declareTraceSource<const E extends readonly TraceEventDef[]>(
  name: string,
  desc: string,
  events: E,
): TraceSource<E[number]['name']> {
  const existing = sources.find((s) => s.name === name);
  if (existing) return existing as TraceSource<E[number]['name']>;
  const src = new TraceSource<E[number]['name']>(name, desc, events);
  sources.push(src as TraceSource);
  if (control) src.index = control.declareSource(name, desc, events, DEFAULTS);
  return src;
}

function bindPoint(tp: TracePoint): void {
  if (tp.source.index < 0) tp.source.index = control!.declareSource(tp.source.name, tp.source.desc, tp.source.events, DEFAULTS);
  tp.key = tableKey(tp.source.index, tp.event, tp.level);
  tp.sinkWord = sourceWord(tp.source.index) + W_SINK;
}

/**
 * Attaches this thread to the shared trace control and gives it its rings: `rings[sinkName]` is this
 * thread's shard of that ring. Sources declared so far (and later) register in the control.
 * `stderr` receives formatted lines for the `stderr` sink and for `-d` error traces.
 */
export function attachTrace(
  ctl: TraceControl,
  threadNumber: number,
  rings: Record<string, RingWriter>,
  stderr: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): void {
  control = ctl;
  thread = threadNumber;
  table = ctl.table;
  ctl32 = ctl.i32;
  stderrSink = stderr;
  sinkRings = ctl.sinks().map((n) => rings[n]);
  for (const s of sources) s.index = ctl.declareSource(s.name, s.desc, s.events, DEFAULTS);
  for (const p of points) bindPoint(p);
}

/** Detaches (tests): every point is off again. */
export function detachTrace(): void {
  control = undefined;
  table = OFF_TABLE;
  sinkRings = [];
}

/** The registry of this thread's points, for decoders (`point` ids in ring records index it). */
export function tracePoints(): TracePointInfo[] {
  return points.map((p) => p.info);
}

function slowEmit(tp: TracePoint, conn: number, strm: number, a0: number, a1: number, a2: number, text?: string): void {
  if (!control) return;
  const record = control.onEvent(tp.source.index, tp.event, tp.level);
  const sinkId = ctl32[tp.sinkWord];
  const sinkName = control.sinks()[sinkId];
  if (record) {
    const r = sinkRings[sinkId];
    if (r !== undefined) r.write(tp.id, conn, strm, a0, a1, a2, text);
  }
  const toStderr = (record && sinkName === 'stderr') || (tp.level === 0 && control.debugStderr());
  if (toStderr && stderrSink) {
    stderrSink(
      formatTraceLine(
        { seq: 0, time: Date.now(), thread, point: tp.id, connId: conn, streamId: strm, args: [a0, a1, a2], text },
        tp.info,
      ),
    );
  }
}
