/**
 * The snapshot writer's side of the model: turns the recorder memory of a process (every thread's
 * SharedArrayBuffers, which the supervisor still holds after a worker died) into container sections
 * (diag/snapshot/container.ts), and writes them to a file. The section contents are described in
 * model.types.ts; read.ts is the reader of exactly what is written here.
 */
import { randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { currentBuild, projectRoot } from '../build-info.ts';
import type { FaultKind, FaultRecord, RawFrame } from '../fault.types.ts';
import { readLiveTable } from '../lifecycle.ts';
import type { ProcessMemory, ThreadMemory } from '../recorder.types.ts';
import { copyRing } from '../ring.ts';
import { RING_LAYOUT_VERSION } from '../ring.types.ts';
import { ThreadState } from '../thread-state.ts';
import { TraceControl } from '../trace-control.ts';
import { orderRingNames, threadPoints, threadPools, threadRecord } from '../views.ts';
import type { ProcessInfo } from '../views.types.ts';
import { SECTION, encodeJson, encodeText, packHeaderBody, writeSnapshotFile, type SectionInput } from './container.ts';
import { SNAPSHOT_FORMAT, SNAPSHOT_MODEL_VERSION, type SnapshotMeta, type TocEntry } from './model.types.ts';

/** What the writer needs: the reason, the fault, the process figures and every thread's memory. */
export interface CollectInput {
  reason: FaultKind;
  /** The fault record (absent for an on-demand snapshot: a FAULT section is still written). */
  fault?: FaultRecord;
  info: ProcessInfo;
  threads: { mem: ThreadMemory; restarts: number; status: string; stack?: RawFrame[] }[];
  proc: ProcessMemory;
  /** The configuration, already redacted by the caller (diag/redact.ts). */
  configText: string;
  /** Extra JSON facts kept in META.extra. */
  extra?: object;
  /** Time of the snapshot, epoch ms (default: now). Ages in the views are relative to it. */
  time?: number;
}

/** Section priorities under the size bound: higher survives longer (see container.ts fit()). */
const PRIO = {
  META: 100,
  FAULT: 95,
  THREADS: 90,
  TRACE_POINTS: 80,
  LIVE: 75,
  POOLS: 75,
  TRACE_STATE: 70,
  CHECKS: 60,
  MEMORY: 50,
  CONFIG: 40,
  /** The faulting thread's flight ring. */
  FAULT_RING: 20,
  RING: 10,
} as const;

/** A fault record for snapshots taken without one (on demand, or a caller that lost it). */
function placeholderFault(reason: FaultKind, time: number): FaultRecord {
  return {
    kind: reason,
    message: reason === 'on-demand' ? 'snapshot taken on demand' : `${reason} (no fault record was available)`,
    thread: 0,
    time,
    frames: [],
    context: { connId: 0, streamId: 0 },
  };
}

/** A RING section, shrinkable by dropping its oldest records (newest kept). */
function ringSection(thread: number, ring: string, sab: SharedArrayBuffer, priority: number): SectionInput {
  const copy = copyRing(sab);
  const header = { thread, ring, layout: RING_LAYOUT_VERSION };
  const payload = packHeaderBody({ header, body: copy });
  return {
    type: SECTION.RING,
    payload,
    priority,
    label: `thread ${thread}, ${ring}`,
    shrink: (maxBytes) => {
      const head = packHeaderBody({ header: { ...header, trimmed: true }, body: new Uint8Array(0) }).length;
      if (maxBytes <= head) return undefined;
      const body = copyRing(copy, maxBytes - head);
      if (head + body.length > maxBytes) return undefined;
      return packHeaderBody({ header: { ...header, trimmed: true }, body });
    },
  };
}

/** A plain-number copy of an object of numbers (process.memoryUsage(), heap statistics). */
function numbers(o: object): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'number') out[k] = v;
  return out;
}

/**
 * Builds the sections of a snapshot from live recorder memory: META (format, version, build id,
 * Node, OS, pid, uptime, argv, reason, time, byte order, process figures, table of contents),
 * FAULT, THREADS, TRACE_POINTS / LIVE (with recently freed objects) / POOLS per thread, TRACE_STATE,
 * CHECKS, MEMORY, CONFIG, and one RING per thread per ring (copied at once; shrinkable, the newest
 * records kept). Reading one part may fail (memory of an unknown layout): the failure is noted in
 * META.extra.collectErrors and the rest is still written. Synchronous, so the copies are taken
 * together.
 */
export function collectSnapshot(input: CollectInput): SectionInput[] {
  const time = input.time ?? Date.now();
  const errors: string[] = [];
  const attempt = <T>(what: string, f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
      return undefined;
    }
  };
  const fault = input.fault ?? placeholderFault(input.reason, time);
  const threads = [...input.threads].sort((a, b) => a.mem.thread - b.mem.thread);
  const out: SectionInput[] = [];
  const json = (type: number, value: unknown, priority: number, label?: string) =>
    out.push({ type, payload: encodeJson(value), priority, label });

  json(SECTION.FAULT, fault, PRIO.FAULT);
  json(SECTION.THREADS, { threads: threads.map((t) => threadRecord(t)) }, PRIO.THREADS);
  for (const t of threads) {
    const n = t.mem.thread;
    json(SECTION.TRACE_POINTS, { thread: n, points: attempt(`trace points of thread ${n}`, () => threadPoints(t.mem)) ?? [] }, PRIO.TRACE_POINTS, `thread ${n}`);
    const objects = attempt(`live objects of thread ${n}`, () => readLiveTable(t.mem.live, true));
    if (objects) json(SECTION.LIVE, { thread: n, objects }, PRIO.LIVE, `thread ${n}`);
    const view = attempt(`pools of thread ${n}`, () => threadPools(t.mem));
    if (view) json(SECTION.POOLS, { thread: n, view }, PRIO.POOLS, `thread ${n}`);
  }
  const ctl = new TraceControl(input.proc.traceControl);
  const sources = attempt('trace state', () => ctl.status());
  if (sources) json(SECTION.TRACE_STATE, { sinks: ctl.sinks(), sources }, PRIO.TRACE_STATE);
  const checks = threads.map((t) => {
    const hits = attempt(`checks of thread ${t.mem.thread}`, () => new ThreadState(t.mem.state).read<unknown>('checks'));
    return { thread: t.mem.thread, hits: Array.isArray(hits) ? hits : [] };
  });
  json(SECTION.CHECKS, { threads: checks }, PRIO.CHECKS);
  json(SECTION.MEMORY, { usage: numbers(process.memoryUsage()), heap: numbers(getHeapStatistics()) }, PRIO.MEMORY);
  out.push({ type: SECTION.CONFIG, payload: encodeText(input.configText), priority: PRIO.CONFIG });
  const ringNames = orderRingNames(threads.flatMap((t) => Object.keys(t.mem.rings)));
  for (const t of threads) {
    for (const ring of ringNames) {
      const sab = t.mem.rings[ring];
      if (!sab) continue;
      const prio = t.mem.thread === fault.thread && ring === 'flight' ? PRIO.FAULT_RING : PRIO.RING;
      const sec = attempt(`ring ${ring} of thread ${t.mem.thread}`, () => ringSection(t.mem.thread, ring, sab, prio));
      if (sec) out.push(sec);
    }
  }

  const build = currentBuild();
  const toc: TocEntry[] = [{ type: SECTION.META }, ...out.map((s) => (s.label ? { type: s.type, label: s.label } : { type: s.type }))];
  const extra = errors.length > 0 ? { ...(input.extra ?? {}), collectErrors: errors } : input.extra;
  const meta: SnapshotMeta = {
    format: SNAPSHOT_FORMAT,
    modelVersion: SNAPSHOT_MODEL_VERSION,
    version: input.info.version || build.version,
    buildId: build.buildId,
    distDir: build.distDir,
    projectRoot: projectRoot(),
    node: input.info.node,
    os: input.info.os,
    pid: input.info.pid,
    startedAt: input.info.startedAt,
    uptimeSec: input.info.uptimeSec,
    argv: input.info.argv,
    reason: input.reason,
    time,
    byteOrder: endianness(),
    info: input.info,
    rings: ringNames,
    layouts: { ring: RING_LAYOUT_VERSION },
    toc,
  };
  if (extra !== undefined) meta.extra = extra;
  out.unshift({ type: SECTION.META, payload: encodeJson(meta), priority: PRIO.META });
  return out;
}

/**
 * The file name of a snapshot: `flightbox-<pid>-<YYYYmmdd-HHMMSS>-<reason>[-t<thread>]-<4 hex>.fbsnap`,
 * the time in UTC, `-t<thread>` when a fault names a worker thread, 4 random hex digits so that two
 * snapshots of the same second do not collide.
 */
export function snapshotFileName(pid: number, time: number, reason: FaultKind, thread?: number): string {
  const d = new Date(time);
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  const t = thread !== undefined && thread > 0 ? `-t${thread}` : '';
  return `flightbox-${pid}-${stamp}-${reason}${t}-${randomBytes(2).toString('hex')}.fbsnap`;
}

/**
 * Collects a snapshot and writes it into `dir` (created if missing) under {@link snapshotFileName},
 * atomically (temporary name, fsync, rename; container.ts writeSnapshotFile), never larger than
 * `opts.maxSize` bytes (rings lose their oldest records first). Throws an Error naming the path when
 * the file cannot be written.
 */
export function writeSnapshot(dir: string, input: CollectInput, opts: { maxSize: number }): { path: string; bytes: number } {
  const time = input.time ?? Date.now();
  const sections = collectSnapshot({ ...input, time });
  const name = snapshotFileName(input.info.pid, time, input.reason, input.fault?.thread);
  return writeSnapshotFile(join(dir, name), sections, { maxSize: opts.maxSize, createdAt: time });
}
