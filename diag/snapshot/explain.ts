/**
 * Explains a decoded snapshot: the model behind `flightbox decode` (text and --json, see
 * diag/render/decode.ts and docs/decode-json.md) and the TUI. What a crash analysis needs, in this
 * order: the summary (reason, message, thread, time, version, build id), the call chain mapped to
 * TypeScript (diag/symbolicate.ts, matched by build id), the object being handled (its connection,
 * parent and children, termination log), its last trace events, the pools with the offending one
 * first, the threads, and what is wrong with the file; plus the known issue whose signature fits and
 * the crash's fingerprint (diag/signatures.ts).
 */
import { defaultSearchDirs, createSymbolicator } from '../symbolicate.ts';
import type { MappedFrame } from '../symbolicate.types.ts';
import type { FaultContext, FaultKind } from '../fault.types.ts';
import type { CheckHit } from '../invariants.ts';
import type { LiveObject } from '../lifecycle.types.ts';
import type { PoolsView } from '../pool.types.ts';
import type { RingRecord } from '../ring.types.ts';
import { TRACE_LEVELS, type TraceLevel, type TracePointInfo } from '../trace.types.ts';
import { formatTraceLine, formatTraceMessage } from '../render/trace-line.ts';
import { parseObjectId } from '../render/sess.ts';
import { createSnapshotSource, mergeRecords, snapshotTime } from '../views.ts';
import type { ThreadView, TraceStatusEntry } from '../views.types.ts';
import type { DecodedSnapshot, SectionSummary, SnapshotMemory } from './model.types.ts';
import { matchKnownIssue } from '../signatures.ts';
import type { KnownIssueResult } from '../signatures.types.ts';

/** How many events of the context object are shown without a filter. */
export const CONTEXT_EVENTS = 20;

/** Help text of `--events <filter>` (also printed by `flightbox decode --help`). */
export const EVENTS_FILTER_HELP =
  'Filter terms, separated by commas: conn=<id>, stream=<id> (ids as 0x1f or decimal), source=<name>, ' +
  'level<=<level> (error, user, proto, state, data, developer), thread=<n>. Terms of different kinds must ' +
  'all match; repeated terms of one kind match any of their values (conn=0x1e,conn=0x2a). ' +
  'Example: --events stream=0x1f,level<=proto';

/** A parsed `--events` filter. Empty lists match everything. */
export interface EventsFilter {
  conns: number[];
  streams: number[];
  sources: string[];
  threads: number[];
  /** Keep events at this level or more important (lower). */
  maxLevel?: TraceLevel;
}

/** Parses an `--events` filter; throws an Error saying which term is wrong and what is expected. */
export function parseEventsFilter(text: string): EventsFilter {
  const f: EventsFilter = { conns: [], streams: [], sources: [], threads: [] };
  for (const raw of text.split(',')) {
    const term = raw.trim();
    if (term === '') continue;
    const m = /^(conn|stream|source|thread|level)\s*(<=|=)\s*(.+)$/.exec(term);
    if (!m || (m[1] === 'level') !== (m[2] === '<=')) {
      throw new Error(`invalid events filter term '${term}'. ${EVENTS_FILTER_HELP}`);
    }
    const [, key, , value] = m;
    if (key === 'conn' || key === 'stream') {
      const id = parseObjectId(value);
      if (id === undefined) throw new Error(`invalid ${key} id '${value}' in events filter: give it as 0x1f or in decimal`);
      (key === 'conn' ? f.conns : f.streams).push(id);
    } else if (key === 'thread') {
      if (!/^\d+$/.test(value)) throw new Error(`invalid thread '${value}' in events filter: give a thread number`);
      f.threads.push(Number(value));
    } else if (key === 'source') {
      f.sources.push(value);
    } else {
      if (!(TRACE_LEVELS as readonly string[]).includes(value)) {
        throw new Error(`invalid level '${value}' in events filter: expected one of ${TRACE_LEVELS.join(', ')}`);
      }
      f.maxLevel = value as TraceLevel;
    }
  }
  return f;
}

/** One trace record, decoded. */
export interface ExplainedEvent {
  time: number;
  thread: number;
  ring: string;
  seq: number;
  source: string;
  event: string;
  level: string;
  fn: string;
  file: string;
  line: number;
  connId: number;
  streamId: number;
  args: [number, number, number];
  text?: string;
  /** The point's message with its arguments. */
  message: string;
  /** The full formatted trace line (diag/render/trace-line.ts). */
  formatted: string;
}

/** The object the faulting thread was handling. */
export interface ExplainedContext {
  connId: number;
  streamId: number;
  details?: FaultContext['details'];
  /** The stream when there is one, else the connection. */
  object?: LiveObject;
  /** The connection the object belongs to (the object itself when it is a connection). */
  connection?: LiveObject;
  /** The object's parent, when it has one. */
  parent?: LiveObject;
  children: LiveObject[];
  /** Ids named by the fault but not found in the live-object table, with why. */
  notes: string[];
}

/** Everything `flightbox decode` shows. */
export interface Explanation {
  file?: string;
  bytes: number;
  formatVersion: number;
  complete: boolean;
  /** Reference time of the snapshot (ages are relative to it). */
  now: number;
  summary: {
    reason: FaultKind | string;
    message: string;
    report?: string;
    thread: number;
    time: number;
    version: string;
    buildId: string;
    distDir?: string;
    node: string;
    os: string;
    pid: number;
    startedAt: number;
    uptimeSec: number;
    argv: string[];
  };
  callChain: { frames: MappedFrame[]; mapped: boolean; distDir?: string; warnings: string[] };
  context?: ExplainedContext;
  events: { selection: string; filter?: string; total: number; shown: ExplainedEvent[] };
  /** One per thread, the faulting thread first; within each, the offending pool first. */
  pools: PoolsView[];
  /** Name of the pool the fault names (details.pool), if any. */
  offendingPool?: string;
  threads: (ThreadView & { mappedStack?: MappedFrame[] })[];
  /** Every tracked object (live and recently freed). */
  objects: LiveObject[];
  checks: { thread: number; hits: CheckHit[] }[];
  memory?: SnapshotMemory;
  config?: string;
  traceState?: TraceStatusEntry[];
  sections: SectionSummary[];
  problems: string[];
  /** The known issue whose signature fits (diag/signatures.ts), and the crash's fingerprint. */
  knownIssue: KnownIssueResult;
}

/** Options of {@link explainSnapshot}. */
export interface ExplainOptions {
  /** Directories holding the build's dist (`--maps`), searched before the recorded one. */
  mapsDirs?: string[];
  /** `--events` filter: replaces the context selection of events (all matching records shown). */
  eventsFilter?: string;
}

function decodeEvent(rec: RingRecord, ring: string, points: Map<number, TracePointInfo[]>): ExplainedEvent {
  const p = points.get(rec.thread)?.[rec.point];
  const ev: ExplainedEvent = {
    time: rec.time,
    thread: rec.thread,
    ring,
    seq: rec.seq,
    source: p?.source ?? '?',
    event: p?.event ?? `point#${rec.point}`,
    level: p?.level ?? '?',
    fn: p?.fn ?? '?',
    file: p?.file ?? '?',
    line: p?.line ?? 0,
    connId: rec.connId,
    streamId: rec.streamId,
    args: rec.args,
    message: p ? formatTraceMessage(p.msg, rec) : `args=${rec.args.join(',')}`,
    formatted: formatTraceLine(rec, p),
  };
  if (rec.text !== undefined) ev.text = rec.text;
  return ev;
}

/** Finds the fault's objects in the live table: the stream or connection, its parent and children. */
function findContext(ctx: FaultContext, live: readonly LiveObject[]): ExplainedContext | undefined {
  if (!ctx.connId && !ctx.streamId) return ctx.details ? { connId: 0, streamId: 0, details: ctx.details, children: [], notes: [] } : undefined;
  const byId = (id: number) => (id ? live.find((o) => o.id === id) : undefined);
  const out: ExplainedContext = { connId: ctx.connId, streamId: ctx.streamId, children: [], notes: [] };
  if (ctx.details) out.details = ctx.details;
  const missing = (what: string, id: number) =>
    out.notes.push(`${what} 0x${id.toString(16)} is not in the live-object table (its slot was reused, or the table was full)`);
  const stream = byId(ctx.streamId);
  if (ctx.streamId && !stream) missing('stream', ctx.streamId);
  const conn = byId(ctx.connId) ?? (stream ? byId(stream.parentId) : undefined);
  if (ctx.connId && !byId(ctx.connId)) missing('connection', ctx.connId);
  out.object = stream ?? conn;
  out.connection = conn;
  if (out.object) {
    const parent = byId(out.object.parentId);
    if (parent) out.parent = parent;
    out.children = live.filter((o) => o.parentId === out.object!.id);
  }
  return out;
}

/** Index of a level name in TRACE_LEVELS; unknown levels (unknown points) sort after all. */
function levelIndex(level: string): number {
  const i = (TRACE_LEVELS as readonly string[]).indexOf(level);
  return i < 0 ? TRACE_LEVELS.length : i;
}

function matcher(f: EventsFilter): (e: ExplainedEvent) => boolean {
  const maxLevel = f.maxLevel === undefined ? undefined : TRACE_LEVELS.indexOf(f.maxLevel);
  return (e) =>
    (f.conns.length === 0 || f.conns.includes(e.connId)) &&
    (f.streams.length === 0 || f.streams.includes(e.streamId)) &&
    (f.sources.length === 0 || f.sources.includes(e.source)) &&
    (f.threads.length === 0 || f.threads.includes(e.thread)) &&
    (maxLevel === undefined || levelIndex(e.level) <= maxLevel);
}

/** Orders pools: the faulting thread's view first, and in each view the offending pool first. */
function orderPools(views: readonly PoolsView[], thread: number, pool: string | undefined): PoolsView[] {
  const hit = (p: PoolsView['pools'][number]) => pool !== undefined && (p.name === pool || p.userNames.includes(pool));
  return [...views]
    .sort((a, b) => Number(b.thread === thread) - Number(a.thread === thread) || a.thread - b.thread)
    .map((v) => ({ ...v, pools: [...v.pools].sort((a, b) => Number(hit(b)) - Number(hit(a))) }));
}

/**
 * Builds the explanation of a decoded snapshot. Frames are mapped through the source maps of the
 * recorded build (searched in `mapsDirs`, then the CLI's own dist, then the recorded dist dir);
 * `callChain.warnings` says when they are missing or belong to another build. Throws an Error for an
 * invalid `eventsFilter` (see {@link EVENTS_FILTER_HELP}).
 */
export function explainSnapshot(d: DecodedSnapshot, opts: ExplainOptions = {}): Explanation {
  const filter = opts.eventsFilter !== undefined ? parseEventsFilter(opts.eventsFilter) : undefined;
  const src = createSnapshotSource(d);
  const now = snapshotTime(d);
  const meta = d.meta;
  const fault = d.fault;
  const info = src.info();

  // Without META the build is unknown; frames at .ts positions can only come from a run from sources.
  const guessedDev = !meta && (fault?.frames ?? []).some((f) => /\.[cm]?ts$/.test(f.file));
  const buildId = meta?.buildId ?? (guessedDev ? 'dev' : 'unknown');
  const sym = createSymbolicator({
    buildId,
    distDir: meta?.distDir,
    searchDirs: defaultSearchDirs(opts.mapsDirs ?? []),
    projectRoot: buildId === 'dev' ? meta?.projectRoot : undefined,
  });
  const frames = sym.mapAll(fault?.frames ?? []);
  const threads = src.threads().map((t) => (t.stack && t.stack.length > 0 ? { ...t, mappedStack: sym.mapAll(t.stack) } : t));

  const context = fault ? findContext(fault.context, d.live) : undefined;

  // Events: every ring merged, decoded once.
  const all: ExplainedEvent[] = [];
  for (const ring of src.ringNames()) {
    const recs = mergeRecords(d.rings.filter((r) => r.ring === ring).flatMap((r) => r.records));
    for (const r of recs) all.push(decodeEvent(r, ring, d.points));
  }
  all.sort((a, b) => a.time - b.time || a.thread - b.thread || a.seq - b.seq);
  let selection: string;
  let matched: ExplainedEvent[];
  if (filter) {
    matched = all.filter(matcher(filter));
    selection = `events matching ${opts.eventsFilter}`;
  } else if (context && (context.connId || context.streamId || context.object)) {
    const streams = new Set<number>();
    const conns = new Set<number>();
    if (context.streamId) streams.add(context.streamId);
    if (context.connection) conns.add(context.connection.id);
    if (context.connId) conns.add(context.connId);
    if (context.object && context.object.kind !== 'stream') {
      conns.add(context.object.id);
      for (const c of context.children) if (c.kind === 'stream') streams.add(c.id);
    }
    const hex = (s: Set<number>) => [...s].map((i) => `0x${i.toString(16)}`).join(',');
    matched = all.filter((e) => streams.has(e.streamId) || conns.has(e.connId));
    selection = [streams.size ? `stream=${hex(streams)}` : '', conns.size ? `conn=${hex(conns)}` : ''].filter(Boolean).join(' or ');
  } else {
    const t = fault?.thread ?? 0;
    matched = all.filter((e) => e.thread === t);
    selection = `thread ${t} (the fault names no connection or stream)`;
  }
  const shown = filter ? matched : matched.slice(-CONTEXT_EVENTS);

  const offendingPool = typeof fault?.context.details?.pool === 'string' ? fault.context.details.pool : undefined;
  const ex: Explanation = {
    file: d.file,
    bytes: d.bytes,
    formatVersion: d.formatVersion,
    complete: d.complete,
    now,
    summary: {
      reason: meta?.reason ?? fault?.kind ?? 'unknown',
      message: fault?.message ?? '(the fault section could not be read)',
      thread: fault?.thread ?? 0,
      time: fault?.time ?? now,
      version: meta?.version ?? info.version,
      buildId,
      node: meta?.node ?? info.node,
      os: meta?.os ?? info.os,
      pid: meta?.pid ?? info.pid,
      startedAt: meta?.startedAt ?? info.startedAt,
      uptimeSec: meta?.uptimeSec ?? info.uptimeSec,
      argv: meta?.argv ?? info.argv,
    },
    callChain: {
      frames,
      mapped: sym.status.found,
      warnings: [
        ...(meta
          ? []
          : [
              guessedDev
                ? 'the META section could not be read: the frames point at TypeScript sources, so they are shown as recorded (build assumed dev)'
                : 'the META section could not be read: the build id is unknown, so the frames cannot be matched to source maps',
            ]),
        ...sym.status.warnings,
      ],
    },
    events: { selection, total: matched.length, shown },
    pools: orderPools(d.pools, fault?.thread ?? 0, offendingPool),
    threads,
    objects: d.live,
    checks: d.checks,
    sections: d.sections,
    problems: d.problems,
    knownIssue: matchKnownIssue(d, frames),
  };
  if (fault?.report) ex.summary.report = fault.report;
  if (meta?.distDir) ex.summary.distDir = meta.distDir;
  if (sym.status.distDir) ex.callChain.distDir = sym.status.distDir;
  if (context) ex.context = context;
  if (opts.eventsFilter !== undefined) ex.events.filter = opts.eventsFilter;
  if (offendingPool) ex.offendingPool = offendingPool;
  if (d.memory) ex.memory = d.memory;
  if (d.config !== undefined) ex.config = d.config;
  if (d.traceState) ex.traceState = d.traceState;
  return ex;
}
