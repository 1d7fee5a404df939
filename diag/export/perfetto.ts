/**
 * `flightbox export --format perfetto`: a decoded snapshot as Chrome Trace Event JSON, which the
 * Perfetto UI (ui.perfetto.dev) and chrome://tracing open (format: export.types.ts).
 *
 * - One process (`pid` = the snapshot's pid, named by a `process_name` metadata event) and one
 *   track per thread (`tid` = thread number: 0 the supervisor, 1..n the workers), named by
 *   `thread_name` and ordered by `thread_sort_index` metadata events.
 * - Connection and stream lifetimes (the live-object table: live objects, and freed ones not yet
 *   reused) are async slices, `b` at creation and `e` at the last event (freed) or the snapshot time
 *   (still live), `cat` `conn`/`stream` (`lifecycle` for other kinds), `id` the object id in hex:
 *   lifetimes overlap freely, which thread-track slices may not. `args` carry the description,
 *   state, timer and termination log.
 * - Each object also gets a 1 µs complete (`X`) slice `create <kind> 0x..` on its thread's track at
 *   its creation, the anchor its flows bind to. A flow (`s` on the parent's anchor, `f` with `bp: e`
 *   on the child's, `cat` `flow`, one numeric `id` per flow) links each stream to its connection, and
 *   each server connection to its stream (server connections are `conn` objects whose parent is a
 *   stream), so the path client connection -> stream -> server connection can be followed.
 * - Every trace record is an instant (`i`, scope `t`) on its thread's track, named `<source>
 *   <event>`, `cat` the source, with its level, message, ids, arguments and the trace point.
 * - The fault is a global instant `fault: <kind>` at its time on the faulting thread.
 *
 * Timestamps are microseconds (3 decimals) since `otherData.timeOriginEpochMs`, the earliest time
 * the snapshot holds (kept relative so that doubles keep sub-microsecond precision).
 */
import type { LiveObject } from '../lifecycle.types.ts';
import { formatTraceMessage } from '../render/trace-line.ts';
import type { DecodedSnapshot } from '../snapshot/model.types.ts';
import type { KnownIssueResult } from '../signatures.types.ts';
import { mergeRecords, snapshotTime } from '../views.ts';
import type { TraceDocument, TraceEvent } from './export.types.ts';

/** Duration of the `create` anchor slices, µs (shortened to keep slices of one track nested). */
export const ANCHOR_US = 1;

const hex = (id: number) => `0x${id.toString(16)}`;

/** Options of {@link exportPerfetto}. */
export interface PerfettoOptions {
  /** The known issue and fingerprint, to put on the fault instant and in `otherData`. */
  knownIssue?: KnownIssueResult;
}

/** What an object is, for its slice name: `stream`, `conn`, `server conn` (a conn whose parent is a stream), or its kind. */
function objectLabel(o: LiveObject, byId: Map<number, LiveObject>): string {
  if (o.kind === 'conn' && o.parentId !== 0 && byId.get(o.parentId)?.kind === 'stream') return 'server conn';
  return o.kind;
}

function category(o: LiveObject): string {
  return o.kind === 'conn' || o.kind === 'stream' ? o.kind : 'lifecycle';
}

/** The earliest time of the snapshot: object creations, trace records, the fault. */
function timeOrigin(d: DecodedSnapshot): number {
  let t = snapshotTime(d);
  for (const o of d.live) if (o.created > 0) t = Math.min(t, o.created);
  for (const r of d.rings) for (const rec of r.records) if (rec.time > 0) t = Math.min(t, rec.time);
  if (d.fault && d.fault.time > 0) t = Math.min(t, d.fault.time);
  return Math.floor(t);
}

/**
 * Builds the Trace Event document of a decoded snapshot (see the module comment). Pure: the same
 * snapshot gives the same document.
 */
export function exportPerfetto(d: DecodedSnapshot, opts: PerfettoOptions = {}): TraceDocument {
  const origin = timeOrigin(d);
  const end = snapshotTime(d);
  const us = (ms: number) => Math.round((Math.max(ms, origin) - origin) * 1e6) / 1e3;
  const pid = d.meta?.pid ?? d.meta?.info.pid ?? 1;
  const byId = new Map(d.live.map((o) => [o.id, o]));

  const threads = new Set<number>([...d.threads.map((t) => t.thread), ...d.live.map((o) => o.thread), ...d.rings.map((r) => r.thread)]);
  if (d.fault) threads.add(d.fault.thread);
  const meta: TraceEvent[] = [
    { ph: 'M', name: 'process_name', pid, tid: 0, args: { name: `flightbox ${d.meta?.version ?? ''} pid ${pid}`.replace('  ', ' ') } },
  ];
  for (const t of [...threads].sort((a, b) => a - b)) {
    meta.push({ ph: 'M', name: 'thread_name', pid, tid: t, args: { name: t === 0 ? 'supervisor' : `worker ${t}` } });
    meta.push({ ph: 'M', name: 'thread_sort_index', pid, tid: t, args: { sort_index: t } });
  }

  const events: TraceEvent[] = [];
  // Anchors first, so their durations can be shortened to keep each track's slices nested.
  const anchors = new Map<number, TraceEvent>();
  for (const o of d.live) {
    const label = objectLabel(o, byId);
    const cat = category(o);
    const ts = us(o.created);
    const stop = Math.max(ts, us(o.live ? end : o.lastEvent));
    const args: Record<string, unknown> = {
      id: hex(o.id),
      kind: o.kind,
      thread: o.thread,
      info: o.info,
      live: o.live,
      parent: o.parentId ? hex(o.parentId) : null,
      state: o.state ?? null,
      timer: o.timer ?? null,
      totalEvents: o.totalEvents,
      log: o.log.map((l) => `+${(l.time - o.created).toFixed(3)}ms ${l.event}${l.arg ? ` ${l.arg}` : ''}`),
    };
    const name = `${label} ${hex(o.id)}`;
    events.push({ ph: 'b', name, cat, id: hex(o.id), ts, pid, tid: o.thread, args });
    events.push({ ph: 'e', name, cat, id: hex(o.id), ts: stop, pid, tid: o.thread });
    const anchor: TraceEvent = { ph: 'X', name: `create ${name}`, cat: 'lifecycle', ts, dur: ANCHOR_US, pid, tid: o.thread, args: { id: hex(o.id), info: o.info } };
    anchors.set(o.id, anchor);
  }
  // An anchor never overlaps the next distinct anchor start of its track: equal starts nest, others follow.
  const byTrack = new Map<number, TraceEvent[]>();
  for (const a of anchors.values()) byTrack.set(a.tid, [...(byTrack.get(a.tid) ?? []), a]);
  for (const list of byTrack.values()) {
    const starts = [...new Set(list.map((a) => a.ts!))].sort((a, b) => a - b);
    const nextStart = new Map(starts.map((t, i) => [t, starts[i + 1]]));
    for (const a of list) {
      const next = nextStart.get(a.ts!);
      if (next !== undefined) a.dur = Math.min(ANCHOR_US, Math.round((next - a.ts!) * 1e3) / 1e3);
    }
  }
  events.push(...anchors.values());

  // Flows: parent -> child (stream -> its connection's anchor; server connection -> its stream).
  let flowId = 0;
  for (const o of d.live) {
    const parent = o.parentId ? byId.get(o.parentId) : undefined;
    const pa = parent ? anchors.get(parent.id) : undefined;
    const ca = anchors.get(o.id);
    if (!parent || !pa || !ca) continue;
    const id = ++flowId;
    const name = `${objectLabel(parent, byId)} ${hex(parent.id)} -> ${objectLabel(o, byId)} ${hex(o.id)}`;
    events.push({ ph: 's', name, cat: 'flow', id, ts: pa.ts!, pid, tid: pa.tid });
    events.push({ ph: 'f', bp: 'e', name, cat: 'flow', id, ts: Math.max(ca.ts!, pa.ts!), pid, tid: ca.tid });
  }

  // Trace records.
  const rings = new Set(d.rings.map((r) => r.ring));
  for (const ring of rings) {
    for (const rec of mergeRecords(d.rings.filter((r) => r.ring === ring).flatMap((r) => [...r.records]))) {
      const p = d.points.get(rec.thread)?.[rec.point];
      const source = p?.source ?? '?';
      const args: Record<string, unknown> = {
        level: p?.level ?? '?',
        message: p ? formatTraceMessage(p.msg, rec) : `args=${rec.args.join(',')}`,
        conn: rec.connId ? hex(rec.connId) : null,
        stream: rec.streamId ? hex(rec.streamId) : null,
        args: rec.args,
        text: rec.text ?? null,
        fn: p?.fn ?? '?',
        at: p ? `${p.file}:${p.line}` : '?',
        ring,
        seq: rec.seq,
      };
      events.push({ ph: 'i', s: 't', name: `${source} ${p?.event ?? `point#${rec.point}`}`, cat: source, ts: us(rec.time), pid, tid: rec.thread, args });
    }
  }

  if (d.fault) {
    const f = d.fault;
    const best = opts.knownIssue?.best;
    events.push({
      ph: 'i',
      s: 'g',
      name: `fault: ${f.kind}`,
      cat: 'fault',
      ts: us(f.time > 0 ? f.time : end),
      pid,
      tid: f.thread,
      args: {
        message: f.message,
        conn: f.context.connId ? hex(f.context.connId) : null,
        stream: f.context.streamId ? hex(f.context.streamId) : null,
        fingerprint: opts.knownIssue?.fingerprint ?? null,
        knownIssue: best ? `${best.signature.id} (${best.confidence.toFixed(2)}, ${best.level})` : null,
      },
    });
  }

  events.sort((a, b) => a.ts! - b.ts!);
  return {
    traceEvents: [...meta, ...events],
    displayTimeUnit: 'ms',
    otherData: {
      generator: 'flightbox export --format perfetto',
      snapshot: d.file ?? null,
      version: d.meta?.version ?? null,
      buildId: d.meta?.buildId ?? null,
      reason: d.meta?.reason ?? d.fault?.kind ?? null,
      timeOriginEpochMs: origin,
      snapshotTimeEpochMs: end,
      fingerprint: opts.knownIssue?.fingerprint ?? null,
      knownIssue: opts.knownIssue?.best?.signature.id ?? null,
    },
  };
}
