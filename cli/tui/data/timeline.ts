/**
 * The TUI's timeline: every trace record of every ring and thread, merged with the lifecycle events
 * of the termination logs (diag/lifecycle.types.ts), oldest first. Built for large snapshots
 * (64 MiB of rings, about half a million records): entries are merged without formatting, filters
 * on connection, stream, thread, source and level read the raw fields (the point registry gives
 * source and level), and only the rows a view shows are decoded into text ({@link Timeline.decode}).
 * A text filter formats messages, once per filter, and is cached with its result.
 */
import type { LcLogEntry, LiveObject } from '../../../diag/lifecycle.types.ts';
import type { RingRecord } from '../../../diag/ring.types.ts';
import type { TraceLevel, TracePointInfo } from '../../../diag/trace.types.ts';
import { TRACE_LEVELS } from '../../../diag/trace.types.ts';
import { formatTraceMessage } from '../../../diag/render/trace-line.ts';

/** One timeline entry: a trace record of ring `ring`, or a lifecycle event of `obj`. */
export interface TimelineEntry {
  time: number;
  thread: number;
  connId: number;
  streamId: number;
  /** Set for a trace record. */
  rec?: RingRecord;
  ring?: string;
  /** Set for a lifecycle event. */
  obj?: LiveObject;
  lc?: LcLogEntry;
}

/** What a view shows of one entry (decoded on demand). */
export interface TimelineEvent {
  time: number;
  thread: number;
  /** `flight`, `buf0`, ... or `lifecycle`. */
  ring: string;
  source: string;
  event: string;
  level: string;
  connId: number;
  streamId: number;
  message: string;
  /** `file:line` of the trace point, when known. */
  where?: string;
}

/** A timeline filter; absent fields match everything. Ids are lifecycle ids. */
export interface TimelineFilter {
  conn?: number;
  stream?: number;
  thread?: number;
  source?: string;
  /** Keep events at this level or more important (HAProxy's order: error first). */
  level?: TraceLevel;
  /** Case-insensitive substring of the message, source or event name. */
  text?: string;
}

/** The merged timeline with lazy decoding; see the module comment. */
export interface Timeline {
  /** Number of entries without a filter. */
  readonly total: number;
  /** Entry `i` of the unfiltered timeline (no decoding). */
  entry(i: number): TimelineEntry;
  /** Indexes of the entries matching `f`, oldest first (cached per filter). */
  select(f: TimelineFilter): Int32Array;
  /** Decodes entry `i` for display. */
  decode(i: number): TimelineEvent;
}

/** The lifecycle ids a lifecycle event concerns: a stream's connection is its parent. */
function lcIds(o: LiveObject): { connId: number; streamId: number } {
  if (o.kind === 'stream') return { connId: o.parentId, streamId: o.id };
  if (o.kind === 'appctx') return { connId: 0, streamId: o.parentId };
  return { connId: o.id, streamId: 0 };
}

/** True when `f` selects nothing out (the empty filter). */
export function isEmptyFilter(f: TimelineFilter): boolean {
  return f.conn === undefined && f.stream === undefined && f.thread === undefined && f.source === undefined && f.level === undefined && !f.text;
}

/** A short text of a filter for the status line: `conn=0x3 level<=proto text~"GET"`. */
export function describeFilter(f: TimelineFilter): string {
  const parts: string[] = [];
  if (f.conn !== undefined) parts.push(`conn=0x${f.conn.toString(16)}`);
  if (f.stream !== undefined) parts.push(`stream=0x${f.stream.toString(16)}`);
  if (f.thread !== undefined) parts.push(`thread=${f.thread}`);
  if (f.source !== undefined) parts.push(`source=${f.source}`);
  if (f.level !== undefined) parts.push(`level<=${f.level}`);
  if (f.text) parts.push(`text~"${f.text}"`);
  return parts.join(' ');
}

/** Merges lists that are each sorted by time into one (k-way, stable: list order breaks ties). */
function mergeSorted(lists: TimelineEntry[][]): TimelineEntry[] {
  const total = lists.reduce((n, l) => n + l.length, 0);
  const out = new Array<TimelineEntry>(total);
  const pos = lists.map(() => 0);
  for (let k = 0; k < total; k++) {
    let best = -1;
    let bestTime = Infinity;
    for (let j = 0; j < lists.length; j++) {
      const e = lists[j][pos[j]];
      if (e !== undefined && (best < 0 || e.time < bestTime)) {
        best = j;
        bestTime = e.time;
      }
    }
    out[k] = lists[best][pos[best]++];
  }
  return out;
}

/**
 * Builds the timeline of `rings` (each ring's records oldest first, as diag/snapshot/read.ts gives
 * them) and of the termination logs of `objects`, with each thread's point registry in `points`.
 */
export function createTimeline(
  rings: readonly { ring: string; thread: number; records: readonly RingRecord[] }[],
  points: ReadonlyMap<number, readonly TracePointInfo[]>,
  objects: readonly LiveObject[],
): Timeline {
  const lists: TimelineEntry[][] = rings.map((r) => {
    const l = new Array<TimelineEntry>(r.records.length);
    for (let i = 0; i < r.records.length; i++) {
      const rec = r.records[i];
      l[i] = { time: rec.time, thread: rec.thread, connId: rec.connId, streamId: rec.streamId, rec, ring: r.ring };
    }
    // A ring is written in time order; a copied ring can hold equal or (clock steps) smaller times.
    for (let i = 1; i < l.length; i++) if (l[i].time < l[i - 1].time) return l.sort((a, b) => a.time - b.time);
    return l;
  });
  const lc: TimelineEntry[] = [];
  for (const o of objects) {
    const ids = lcIds(o);
    for (const e of o.log) lc.push({ time: e.time, thread: o.thread, ...ids, obj: o, lc: e });
  }
  lc.sort((a, b) => a.time - b.time);
  lists.push(lc);
  const all = mergeSorted(lists);

  const pointOf = (e: TimelineEntry): TracePointInfo | undefined => (e.rec ? points.get(e.thread)?.[e.rec.point] : undefined);
  const levelIdx = (e: TimelineEntry): number => {
    if (!e.rec) return TRACE_LEVELS.indexOf('state');
    const p = pointOf(e);
    return p ? TRACE_LEVELS.indexOf(p.level) : TRACE_LEVELS.length;
  };
  const sourceOf = (e: TimelineEntry): string => (e.rec ? (pointOf(e)?.source ?? '?') : 'lifecycle');

  const decode = (i: number): TimelineEvent => {
    const e = all[i];
    if (e.obj && e.lc) {
      return {
        time: e.time,
        thread: e.thread,
        ring: 'lifecycle',
        source: 'lifecycle',
        event: e.lc.event,
        level: 'state',
        connId: e.connId,
        streamId: e.streamId,
        message: `${e.obj.kind} 0x${e.obj.id.toString(16)} ${e.lc.event}${e.lc.arg ? ` ${e.lc.arg}` : ''}`,
      };
    }
    const rec = e.rec!;
    const p = pointOf(e);
    const ev: TimelineEvent = {
      time: e.time,
      thread: e.thread,
      ring: e.ring ?? '?',
      source: p?.source ?? '?',
      event: p?.event ?? `point#${rec.point}`,
      level: p?.level ?? '?',
      connId: e.connId,
      streamId: e.streamId,
      message: p ? `${p.fn}(): ${formatTraceMessage(p.msg, rec)}` : `args=${rec.args.join(',')}${rec.text ? ` ${rec.text}` : ''}`,
    };
    if (p) ev.where = `${p.file}:${p.line}`;
    return ev;
  };

  const cache = new Map<string, Int32Array>();
  const select = (f: TimelineFilter): Int32Array => {
    const key = JSON.stringify(f);
    const hit = cache.get(key);
    if (hit) return hit;
    const max = f.level === undefined ? Infinity : TRACE_LEVELS.indexOf(f.level);
    const text = f.text ? f.text.toLowerCase() : undefined;
    const out = new Int32Array(all.length);
    let n = 0;
    for (let i = 0; i < all.length; i++) {
      const e = all[i];
      if (f.conn !== undefined && e.connId !== f.conn) continue;
      if (f.stream !== undefined && e.streamId !== f.stream) continue;
      if (f.thread !== undefined && e.thread !== f.thread) continue;
      if (f.source !== undefined && sourceOf(e) !== f.source) continue;
      if (max !== Infinity && levelIdx(e) > max) continue;
      if (text !== undefined) {
        const d = decode(i);
        if (!`${d.source} ${d.event} ${d.message}`.toLowerCase().includes(text)) continue;
      }
      out[n++] = i;
    }
    const res = out.slice(0, n);
    if (cache.size > 16) cache.clear();
    cache.set(key, res);
    return res;
  };

  return { total: all.length, entry: (i) => all[i], select, decode };
}
