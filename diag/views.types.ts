/**
 * The one data model behind every view of the flight recorder (DESIGN.md "The same renderers answer a
 * live process and a snapshot file"). A {@link RecorderSource} is implemented twice, over live shared
 * memory (diag/views.ts `createLiveSource`) and over a decoded snapshot (`createSnapshotSource`); the
 * renderers in diag/render/ take either and produce the same text for the same memory.
 * Plain data only: every value here is JSON-able except the Map returned by `events()`.
 */
import type { RawFrame } from './fault.types.ts';
import type { LiveObject } from './lifecycle.types.ts';
import type { PoolsView } from './pool.types.ts';
import type { RingRecord } from './ring.types.ts';
import type { TracePointInfo, TraceSourceStatus } from './trace.types.ts';

/**
 * Process-wide facts, as `show info` prints them (HAProxy management.txt "show info"), plus the
 * Flightbox ones. Figures are as of the source's `now()`.
 */
export interface ProcessInfo {
  name: 'Flightbox';
  /** Application version (package.json). */
  version: string;
  /** Release date `YYYY/MM/DD`, when known. */
  releaseDate?: string;
  /** Build id (diag/build-info.ts): `dev` when running from sources. */
  buildId: string;
  /** Absolute dist directory the process runs from; undefined when running from sources. */
  distDir?: string;
  /** `process.version`, e.g. `v24.9.0`. */
  node: string;
  /** Operating system, e.g. `linux 6.8.0 x64`. */
  os: string;
  pid: number;
  /** Configured worker threads. */
  nbthread: number;
  /** Process start, ms since the epoch. */
  startedAt: number;
  /** Seconds since start, as of the source's `now()`. */
  uptimeSec: number;
  maxconn: number;
  currConns: number;
  cumConns: number;
  cumReq: number;
  /** Traffic log lines lost (slow or failing targets); undefined where not known (snapshots). */
  droppedLogs?: number;
  /** Workers replaced after a death or stall since start. */
  workerRestarts: number;
  snapshotsWritten: number;
  argv: string[];
  /** Bytes allocated by all pools of all threads. */
  poolAllocBytes: number;
  /** Bytes in use in all pools of all threads. */
  poolUsedBytes: number;
  /** Failed pool allocations, all threads. */
  poolFailures: number;
  /** `-m` memory cap in MB, 0 when none (HAProxy `Memmax_MB`). */
  memLimitMB: number;
  /** V8 heap used by the supervisor, bytes. */
  heapUsed: number;
  /** Resident set size of the process, bytes. */
  rss: number;
}

/** One thread as `show threads` prints it. Thread 0 is the supervisor, workers are 1..nbthread. */
export interface ThreadView {
  thread: number;
  /** starting | running | stopping | stopped | dead, or a caller's word (stalled, restarting, ...). */
  status: string;
  /** Heartbeat counter (advances once per event-loop turn). */
  heartbeat: number;
  /** Milliseconds since the last heartbeat, as of the source's `now()`; -1 when it never beat. */
  lastBeatAgoMs: number;
  /** Connections handled now. */
  connsCur: number;
  /** Connections accepted since the thread started. */
  connsTotal: number;
  /** Requests handled since the thread started. */
  reqsTotal: number;
  /** V8 heap used by the thread, bytes (as it last published). */
  heapUsed: number;
  /** Lifecycle id of the connection being handled now, 0 if none. */
  curConn: number;
  /** Lifecycle id of the stream being handled now, 0 if none. */
  curStream: number;
  /** Times this thread's worker was replaced. */
  restarts: number;
  /** JavaScript stack captured from a stalled thread, innermost first. */
  stack?: RawFrame[];
}

/** Trace records of one ring, all threads merged, with what is needed to decode them. */
export interface RingEvents {
  /** Records of every thread, oldest first (by time, then thread, then sequence). */
  records: RingRecord[];
  /** Thread number -> that thread's trace point registry (record.point indexes it). */
  points: Map<number, TracePointInfo[]>;
}

/** A source's trace state, with the count of events it dropped (`show trace` prints it). */
export type TraceStatusEntry = TraceSourceStatus & { dropped?: number };

/**
 * Everything the views read, from a live process or a snapshot. Implementations read on each call
 * (a live source always answers with the current memory).
 */
export interface RecorderSource {
  /** `live` for shared memory of a running process, `snapshot` for a decoded file. */
  readonly kind: 'live' | 'snapshot';
  /** Reference time of the figures (epoch ms): now for a live source, the snapshot's time otherwise. */
  now(): number;
  info(): ProcessInfo;
  threads(): ThreadView[];
  /** One pools view per thread, in thread order. */
  pools(): PoolsView[];
  /** Tracked objects of every thread sorted by id; `all` includes recently freed ones. */
  objects(all?: boolean): LiveObject[];
  /** Ring names, `flight` first. */
  ringNames(): string[];
  /** Records of ring `ring` (empty when there is no such ring). */
  events(ring: string): RingEvents;
  /** State of every trace source. */
  traceStatus(): TraceStatusEntry[];
}
