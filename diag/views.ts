/**
 * The two implementations of {@link RecorderSource}: over the shared memory of a running process
 * (`createLiveSource`, used by the supervisor's runtime socket) and over a decoded snapshot
 * (`createSnapshotSource`, used by `flightbox show ... --snapshot` and `flightbox decode`). Both go
 * through the same conversions (`threadRecord` -> `threadView`), so the renderers print the same
 * text for the same memory.
 */
import type { RawFrame } from './fault.types.ts';
import { readLiveTable } from './lifecycle.ts';
import type { LiveObject } from './lifecycle.types.ts';
import { readPoolMemory } from './pool-memory.ts';
import type { PoolsView } from './pool.types.ts';
import type { ProcessMemory, ThreadMemory } from './recorder.types.ts';
import { readRing } from './ring.ts';
import type { RingRecord } from './ring.types.ts';
import { formatTraceLine } from './render/trace-line.ts';
import type { DecodedSnapshot, SnapshotThread } from './snapshot/model.types.ts';
import { THREAD_STATUS, TS, ThreadState } from './thread-state.ts';
import { TraceControl } from './trace-control.ts';
import type { TracePointInfo } from './trace.types.ts';
import type { ProcessInfo, RecorderSource, RingEvents, ThreadView } from './views.types.ts';

export type { ProcessInfo, RecorderSource, RingEvents, ThreadView, TraceStatusEntry } from './views.types.ts';

/**
 * What a renderer throws for a request it cannot answer (unknown ring, unknown trace source, bad
 * option). The message is the user-facing answer, in HAProxy's words where HAProxy has one; the
 * runtime socket turns it into a CommandError, the CLI prints it and exits 1.
 */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

/** One thread handed to {@link createLiveSource} (and to the snapshot writer). */
export interface LiveThreadInput {
  mem: ThreadMemory;
  /** Times this thread's worker was replaced. */
  restarts: number;
  /** The caller's word for the thread (e.g. `stalled`, `dead`); default: the status the thread published. */
  status?: string;
  /** Stack captured from a stalled thread. */
  stack?: RawFrame[];
}

/**
 * Reads one thread's state counters into the SNAPSHOT THREADS record shape. `status` overrides the
 * status the thread published itself. Used by the live source and by the snapshot writer alike.
 */
export function threadRecord(t: LiveThreadInput): SnapshotThread {
  const f = new ThreadState(t.mem.state).f64;
  const rec: SnapshotThread = {
    thread: t.mem.thread,
    status: t.status ?? THREAD_STATUS[f[TS.status]] ?? 'unknown',
    restarts: t.restarts,
    heartbeat: f[TS.heartbeat],
    heartbeatTime: f[TS.heartbeatTime],
    started: f[TS.started],
    connsCur: f[TS.connsCur],
    connsTotal: f[TS.connsTotal],
    reqsTotal: f[TS.reqsTotal],
    heapUsed: f[TS.heapUsed],
    curConn: f[TS.curConn],
    curStream: f[TS.curStream],
    poolFailures: f[TS.poolFailures],
  };
  if (t.stack) rec.stack = t.stack;
  return rec;
}

/** The view of a thread record as of `now` (epoch ms). */
export function threadView(t: SnapshotThread, now: number): ThreadView {
  const v: ThreadView = {
    thread: t.thread,
    status: t.status,
    heartbeat: t.heartbeat,
    lastBeatAgoMs: t.heartbeatTime > 0 ? Math.max(0, Math.round(now - t.heartbeatTime)) : -1,
    connsCur: t.connsCur,
    connsTotal: t.connsTotal,
    reqsTotal: t.reqsTotal,
    heapUsed: t.heapUsed,
    curConn: t.curConn,
    curStream: t.curStream,
    restarts: t.restarts,
  };
  if (t.stack) v.stack = t.stack;
  return v;
}

/** The pools of one thread, labelled with the recorder's thread number. */
export function threadPools(mem: ThreadMemory): PoolsView {
  return { ...readPoolMemory(mem.pools), thread: mem.thread };
}

/** The trace point registry a thread published, or [] when none (or when it did not fit). */
export function threadPoints(mem: ThreadMemory): TracePointInfo[] {
  const doc = new ThreadState(mem.state).read<unknown>('points');
  return Array.isArray(doc) ? (doc as TracePointInfo[]) : [];
}


/** Ring names in display order: `flight` first, then the others in the order met. */
export function orderRingNames(names: Iterable<string>): string[] {
  const set = new Set(names);
  const out = set.has('flight') ? ['flight'] : [];
  for (const n of set) if (n !== 'flight') out.push(n);
  return out;
}

/** Sorts records of several threads oldest first (time, then thread, then sequence). */
export function mergeRecords(records: RingRecord[]): RingRecord[] {
  return records.sort((a, b) => a.time - b.time || a.thread - b.thread || a.seq - b.seq);
}

/** Options of {@link createLiveSource}. */
export interface LiveSourceOptions {
  /** The process figures, computed by the caller (the supervisor) on each call. */
  info: () => ProcessInfo;
  /** The threads, supervisor (0) only when it has recorder memory. */
  threads: () => LiveThreadInput[];
  proc: ProcessMemory;
  /** Clock (epoch ms); default Date.now. */
  now?: () => number;
}

/**
 * A source over the shared memory of a running process: every call reads the memory afresh
 * (thread counters, live-object tables, pool memories, rings and the point registry each thread
 * published, the trace control). Safe to use while the threads run and after one died.
 */
export function createLiveSource(opts: LiveSourceOptions): RecorderSource {
  const now = opts.now ?? Date.now;
  const ctl = new TraceControl(opts.proc.traceControl);
  return {
    kind: 'live',
    now,
    info: opts.info,
    threads: () => {
      const t = now();
      return opts.threads().map((x) => threadView(threadRecord(x), t));
    },
    pools: () => opts.threads().map((x) => threadPools(x.mem)),
    objects: (all = false) =>
      opts
        .threads()
        .flatMap((x) => readLiveTable(x.mem.live, all))
        .sort((a, b) => a.id - b.id),
    ringNames: () => orderRingNames(opts.threads().flatMap((x) => Object.keys(x.mem.rings))),
    events: (ring) => {
      const records: RingRecord[] = [];
      const points = new Map<number, TracePointInfo[]>();
      for (const x of opts.threads()) {
        const sab = x.mem.rings[ring];
        if (!sab) continue;
        records.push(...readRing(sab));
        points.set(x.mem.thread, threadPoints(x.mem));
      }
      return { records: mergeRecords(records), points };
    },
    traceStatus: () => ctl.status(),
  };
}

/** Process figures when META is unreadable: what the other sections still tell. */
function fallbackInfo(d: DecodedSnapshot): ProcessInfo {
  const sum = (f: (p: PoolsView) => number) => d.pools.reduce((n, p) => n + f(p), 0);
  return {
    name: 'Flightbox',
    version: 'unknown',
    buildId: 'unknown',
    node: 'unknown',
    os: 'unknown',
    pid: 0,
    nbthread: d.threads.filter((t) => t.thread > 0).length,
    startedAt: 0,
    uptimeSec: 0,
    maxconn: 0,
    currConns: d.threads.reduce((n, t) => n + t.connsCur, 0),
    cumConns: d.threads.reduce((n, t) => n + t.connsTotal, 0),
    cumReq: d.threads.reduce((n, t) => n + t.reqsTotal, 0),
    workerRestarts: d.threads.reduce((n, t) => n + t.restarts, 0),
    snapshotsWritten: 0,
    argv: [],
    poolAllocBytes: sum((p) => p.totals.allocatedBytes),
    poolUsedBytes: sum((p) => p.totals.usedBytes),
    poolFailures: sum((p) => p.totals.failures),
    memLimitMB: 0,
    heapUsed: 0,
    rss: 0,
  };
}

/** Reference time of a decoded snapshot: META time, else the fault's, else the file's creation time. */
export function snapshotTime(d: DecodedSnapshot): number {
  return d.meta?.time ?? d.fault?.time ?? d.createdAt;
}

/**
 * A source over a decoded snapshot (diag/snapshot/read.ts). Ages are relative to the snapshot's
 * time. Sections that could not be read answer empty (no threads, no records, ...).
 */
export function createSnapshotSource(d: DecodedSnapshot): RecorderSource {
  const now = snapshotTime(d);
  return {
    kind: 'snapshot',
    now: () => now,
    info: () => d.meta?.info ?? fallbackInfo(d),
    threads: () => d.threads.map((t) => threadView(t, now)),
    pools: () => d.pools,
    objects: (all = false): LiveObject[] => (all ? d.live : d.live.filter((o) => o.live)),
    ringNames: () => orderRingNames([...(d.meta?.rings ?? []), ...d.rings.map((r) => r.ring)]),
    events: (ring): RingEvents => ({
      records: mergeRecords(d.rings.filter((r) => r.ring === ring).flatMap((r) => r.records)),
      points: d.points,
    }),
    traceStatus: () => d.traceState ?? [],
  };
}

/** Formats one record of `events` with the point registry of its thread. */
export function formatEvent(rec: RingRecord, points: Map<number, TracePointInfo[]>): string {
  return formatTraceLine(rec, points.get(rec.thread)?.[rec.point]);
}

/**
 * Follows a ring for `show events <ring> -w`: remembers, per thread, the last record seen and
 * returns only newer ones on each `next()`. Starts after the records present now when `fromNow`.
 */
export function createEventsCursor(src: RecorderSource, ring: string, fromNow = true): { next(): string[] } {
  const last = new Map<number, number>();
  if (fromNow) for (const r of src.events(ring).records) last.set(r.thread, Math.max(last.get(r.thread) ?? -1, r.seq));
  return {
    next() {
      const ev = src.events(ring);
      const out: string[] = [];
      // A replaced worker starts a fresh ring: its sequence numbers go back below what was seen.
      const top = new Map<number, number>();
      for (const r of ev.records) top.set(r.thread, Math.max(top.get(r.thread) ?? -1, r.seq));
      for (const [t, s] of top) if (s < (last.get(t) ?? -1)) last.set(t, -1);
      for (const r of ev.records) {
        if (r.seq <= (last.get(r.thread) ?? -1)) continue;
        out.push(formatEvent(r, ev.points));
      }
      for (const r of ev.records) last.set(r.thread, Math.max(last.get(r.thread) ?? -1, r.seq));
      return out;
    },
  };
}
