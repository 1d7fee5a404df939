/**
 * The typed model of a decoded snapshot: what diag/snapshot/collect.ts writes into each section and
 * what diag/snapshot/read.ts gives back. Section payloads (JSON documents and header+body binaries,
 * see container.types.ts) are described here field by field; a writer that changes one must keep
 * the reader of the old shape working (golden files in fixtures/snapshots/ pin them).
 */
import type { FaultKind, FaultRecord, RawFrame } from '../fault.types.ts';
import type { CheckHit } from '../invariants.ts';
import type { LiveObject } from '../lifecycle.types.ts';
import type { PoolsView } from '../pool.types.ts';
import type { RingInfo } from '../ring.ts';
import type { RingRecord } from '../ring.types.ts';
import type { TracePointInfo } from '../trace.types.ts';
import type { ProcessInfo, TraceStatusEntry } from '../views.types.ts';

/** Value of META `format`. */
export const SNAPSHOT_FORMAT = 'flightbox-snapshot';
/**
 * Version of the section contents described in this file (independent of the container version).
 * Bump only with the reader of the previous shapes kept.
 */
export const SNAPSHOT_MODEL_VERSION = 1;

/** One entry of META's table of contents: the writer's input sections, in order. */
export interface TocEntry {
  type: number;
  /** e.g. `thread 2, flight` for a RING section, `thread 2` for POOLS/LIVE/TRACE_POINTS. */
  label?: string;
}

/** META (JSON). */
export interface SnapshotMeta {
  format: typeof SNAPSHOT_FORMAT;
  modelVersion: number;
  /** Application version. */
  version: string;
  /** Build id of the writer (diag/build-info.ts currentBuild()). */
  buildId: string;
  /** Dist directory the writer ran from (absent for a dev build). */
  distDir?: string;
  /** Project root of the writer: frames of a `dev` build are made relative to it. */
  projectRoot?: string;
  node: string;
  os: string;
  pid: number;
  startedAt: number;
  uptimeSec: number;
  argv: string[];
  reason: FaultKind;
  /** Time the snapshot was taken, ms since the epoch: the reference of every age shown. */
  time: number;
  /** Byte order of the binary sections (rings, live tables): always `LE` so far. */
  byteOrder: 'LE' | 'BE';
  /** `show info` figures at the time of the snapshot. */
  info: ProcessInfo;
  /** Ring names, `flight` first. */
  rings: string[];
  /** Layout versions of the binary payloads. */
  layouts: { ring: number };
  /** Every section the writer produced, in order (names damaged sections, see read.ts). */
  toc: TocEntry[];
  /** Caller-provided extra facts (JSON). */
  extra?: unknown;
}

/** One thread in THREADS (JSON `{ threads: SnapshotThread[] }`). */
export interface SnapshotThread {
  thread: number;
  status: string;
  restarts: number;
  heartbeat: number;
  /** Time of the last heartbeat, epoch ms (0 = never). */
  heartbeatTime: number;
  /** Thread start, epoch ms (0 = unknown). */
  started: number;
  connsCur: number;
  connsTotal: number;
  reqsTotal: number;
  heapUsed: number;
  curConn: number;
  curStream: number;
  poolFailures: number;
  stack?: RawFrame[];
}

/** One RING section: header `{ thread, ring, layout }` + a copy of the ring (ring.types.ts layout). */
export interface SnapshotRing {
  thread: number;
  ring: string;
  info: RingInfo;
  /** Decoded records, oldest first. */
  records: RingRecord[];
  /** The writer dropped the oldest records to respect the size bound. */
  trimmed: boolean;
}

/** MEMORY (JSON). */
export interface SnapshotMemory {
  /** process.memoryUsage() of the writer. */
  usage: Record<string, number>;
  /** v8.getHeapStatistics() of the writer. */
  heap: Record<string, number>;
}

/** A section as found in the file, with the name read.ts gives it. */
export interface SectionSummary {
  index: number;
  type: number;
  /** `RING`, `META`, ... (or `unknown section type N`). */
  name: string;
  /** From the table of contents or the section header, e.g. `thread 2, flight`. */
  label?: string;
  status: 'ok' | 'damaged' | 'truncated' | 'missing' | 'unreadable';
  trimmed: boolean;
  problem?: string;
}

/** A snapshot as decoded: every section that could be read, and what could not. */
export interface DecodedSnapshot {
  /** Path it was read from, when read from a file. */
  file?: string;
  /** Size of the file, bytes. */
  bytes: number;
  /** Container format version. */
  formatVersion: number;
  /** Creation time from the file header. */
  createdAt: number;
  meta?: SnapshotMeta;
  fault?: FaultRecord;
  threads: SnapshotThread[];
  rings: SnapshotRing[];
  /** Thread number -> trace point registry of that thread. */
  points: Map<number, TracePointInfo[]>;
  /** One per thread; `thread` is the recorder's thread number. */
  pools: PoolsView[];
  /** Objects of every thread (live and recently freed), sorted by id. */
  live: LiveObject[];
  checks: { thread: number; hits: CheckHit[] }[];
  config?: string;
  memory?: SnapshotMemory;
  traceState?: TraceStatusEntry[];
  sections: SectionSummary[];
  /** Everything wrong with the file, damaged sections named first. */
  problems: string[];
  /** The file is exactly as written and every section decoded. */
  complete: boolean;
  /** Neither META nor FAULT could be read: nothing trustworthy to explain. */
  unusable: boolean;
}
