/**
 * The snapshot reader: decodes the container (diag/snapshot/container.ts) and each section written
 * by collect.ts into the typed model of model.types.ts. Damaged, truncated or unreadable sections
 * are named in `problems` ("section RING (thread 2, flight) is damaged: payload checksum mismatch
 * ...") using the table of contents META carries, and everything intact is still decoded.
 */
import { readFileSync } from 'node:fs';
import type { FaultRecord } from '../fault.types.ts';
import type { CheckHit } from '../invariants.ts';
import type { LiveObject } from '../lifecycle.types.ts';
import type { PoolsView } from '../pool.types.ts';
import { readRing, ringInfo } from '../ring.ts';
import type { TracePointInfo } from '../trace.types.ts';
import type { TraceStatusEntry } from '../views.types.ts';
import {
  SECTION,
  decodeJson,
  decodeSnapshot,
  decodeText,
  unpackHeaderBody,
  type DecodedContainer,
  type DecodedSection,
} from './container.ts';
import {
  SNAPSHOT_FORMAT,
  SNAPSHOT_MODEL_VERSION,
  type DecodedSnapshot,
  type SectionSummary,
  type SnapshotMeta,
  type SnapshotThread,
  type TocEntry,
} from './model.types.ts';

export { SnapshotFormatError } from './container.ts';

/** `RING`, `TRACE_POINTS`, ... for known type ids; `unknown section type N` otherwise. */
export function sectionTitle(type: number): string {
  for (const [k, v] of Object.entries(SECTION)) if (v === type) return k;
  return type === 0 ? 'unknown' : `unknown section type ${type}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function need(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(what);
}

/**
 * Maps file positions to the writer's table of contents, skipping the sections the writer left out
 * for size. Returns undefined when the mapping cannot be trusted (no META, an elided size note, or a
 * section whose type disagrees with its entry).
 */
function tocByIndex(meta: SnapshotMeta | undefined, c: DecodedContainer): Map<number, TocEntry> | undefined {
  if (!meta || !Array.isArray(meta.toc)) return undefined;
  if (c.size?.elided) return undefined;
  const omitted = new Set((c.size?.omitted ?? []).map((o) => o.inputIndex));
  const map = new Map<number, TocEntry>();
  let index = 0;
  meta.toc.forEach((e, i) => {
    if (!omitted.has(i)) map.set(index++, e);
  });
  for (const s of c.sections) {
    if (s.status !== 'ok' || s.type === SECTION.OMITTED) continue;
    const e = map.get(s.index);
    if (!e || e.type !== s.type) return undefined;
  }
  return map;
}

/** Strips the container's `section N (name) at offset X: ` prefix (the reader names sections itself). */
function detail(problem: string | undefined): string {
  return (problem ?? 'unknown problem').replace(/^section \d+ \([^)]*\)(?: at offset \d+)?: /, '');
}

/** The decoded model, built section by section. */
interface Acc {
  d: DecodedSnapshot;
  labels: Map<number, string>;
}

function parseMeta(v: unknown): SnapshotMeta {
  need(isObject(v) && v.format === SNAPSHOT_FORMAT, `not a ${SNAPSHOT_FORMAT} META document`);
  const m = v as unknown as SnapshotMeta;
  need(typeof m.time === 'number' && typeof m.buildId === 'string' && isObject(m.info), 'META lacks time, buildId or info');
  return m;
}

function parseFault(v: unknown): FaultRecord {
  need(isObject(v) && typeof v.kind === 'string' && typeof v.message === 'string', 'FAULT lacks kind or message');
  const f = v as unknown as FaultRecord;
  return {
    ...f,
    thread: typeof f.thread === 'number' ? f.thread : 0,
    time: typeof f.time === 'number' ? f.time : 0,
    frames: Array.isArray(f.frames) ? f.frames : [],
    context: isObject(f.context) ? f.context : { connId: 0, streamId: 0 },
  };
}

/** Decodes one intact section into the model; throws when its content is not what it should be. */
function parseSection(acc: Acc, s: DecodedSection): void {
  const { d } = acc;
  const data = s.data!;
  const j = () => decodeJson(data);
  switch (s.type) {
    case SECTION.META:
      d.meta = parseMeta(j());
      return;
    case SECTION.FAULT:
      d.fault = parseFault(j());
      return;
    case SECTION.THREADS: {
      const v = j();
      need(isObject(v) && Array.isArray(v.threads), 'THREADS lacks its thread list');
      d.threads.push(...(v.threads as SnapshotThread[]));
      return;
    }
    case SECTION.RING: {
      const { header, body } = unpackHeaderBody(data);
      need(typeof header.thread === 'number' && typeof header.ring === 'string', 'RING header lacks thread or ring');
      acc.labels.set(s.index, `thread ${header.thread}, ${header.ring}`);
      const info = ringInfo(body);
      d.rings.push({
        thread: header.thread as number,
        ring: header.ring as string,
        info,
        records: readRing(body),
        trimmed: header.trimmed === true || s.trimmed === true,
      });
      return;
    }
    case SECTION.TRACE_POINTS: {
      const v = j();
      need(isObject(v) && typeof v.thread === 'number' && Array.isArray(v.points), 'TRACE_POINTS lacks thread or points');
      acc.labels.set(s.index, `thread ${v.thread}`);
      d.points.set(v.thread as number, v.points as TracePointInfo[]);
      return;
    }
    case SECTION.POOLS: {
      const v = j();
      need(isObject(v) && typeof v.thread === 'number' && isObject(v.view), 'POOLS lacks thread or view');
      acc.labels.set(s.index, `thread ${v.thread}`);
      d.pools.push({ ...(v.view as unknown as PoolsView), thread: v.thread as number });
      return;
    }
    case SECTION.LIVE: {
      const v = j();
      need(isObject(v) && typeof v.thread === 'number' && Array.isArray(v.objects), 'LIVE lacks thread or objects');
      acc.labels.set(s.index, `thread ${v.thread}`);
      d.live.push(...(v.objects as LiveObject[]));
      return;
    }
    case SECTION.CHECKS: {
      const v = j();
      need(isObject(v) && Array.isArray(v.threads), 'CHECKS lacks its thread list');
      d.checks = (v.threads as { thread: number; hits: CheckHit[] }[]).map((t) => ({ thread: t.thread, hits: Array.isArray(t.hits) ? t.hits : [] }));
      return;
    }
    case SECTION.CONFIG:
      d.config = decodeText(data);
      return;
    case SECTION.MEMORY: {
      const v = j();
      need(isObject(v) && isObject(v.usage), 'MEMORY lacks usage');
      d.memory = { usage: v.usage as Record<string, number>, heap: isObject(v.heap) ? (v.heap as Record<string, number>) : {} };
      return;
    }
    case SECTION.TRACE_STATE: {
      const v = j();
      need(isObject(v) && Array.isArray(v.sources), 'TRACE_STATE lacks sources');
      d.traceState = v.sources as TraceStatusEntry[];
      return;
    }
    default:
      return; // OMITTED is handled by the container; unknown types are reported by it and skipped
  }
}

/**
 * Decodes a snapshot image. Throws SnapshotFormatError (code 'not-a-snapshot', 'unknown-version' or
 * 'damaged') when the file cannot be read at all; otherwise returns every section it could decode,
 * with `problems` naming the others and `unusable` set when neither META nor FAULT could be read.
 */
export function readSnapshot(buf: Uint8Array, file?: string): DecodedSnapshot {
  const c = decodeSnapshot(buf);
  const d: DecodedSnapshot = {
    file,
    bytes: buf.length,
    formatVersion: c.version,
    createdAt: c.createdAt,
    threads: [],
    rings: [],
    points: new Map(),
    pools: [],
    live: [],
    checks: [],
    sections: [],
    problems: [],
    complete: c.complete,
    unusable: false,
  };
  const acc: Acc = { d, labels: new Map() };
  const failed = new Map<number, string>();
  // META first: its table of contents names every other section.
  const order = [...c.sections].sort((a, b) => Number(b.type === SECTION.META) - Number(a.type === SECTION.META));
  for (const s of order) {
    if (s.status !== 'ok' || !s.data) continue;
    try {
      parseSection(acc, s);
    } catch (e) {
      failed.set(s.index, (e as Error).message);
    }
  }
  const toc = tocByIndex(d.meta, c);
  const own: string[] = [];
  const seen = new Set<number>();
  for (const s of c.sections) {
    seen.add(s.index);
    const entry = toc?.get(s.index);
    const type = s.status !== 'ok' && entry ? entry.type : s.type;
    const label = entry?.label ?? acc.labels.get(s.index) ?? s.label;
    const sum: SectionSummary = { index: s.index, type, name: sectionTitle(type), status: s.status, trimmed: s.trimmed === true };
    if (label) sum.label = label;
    const named = `section ${sum.name}${label ? ` (${label})` : ''}`;
    if (s.status !== 'ok') {
      sum.problem = `${named} is ${s.status}: ${detail(s.problem)}`;
    } else if (failed.has(s.index)) {
      sum.status = 'unreadable';
      sum.problem = `${named} is unreadable: ${failed.get(s.index)}`;
    }
    if (sum.problem) own.push(sum.problem);
    d.sections.push(sum);
  }
  if (toc) {
    for (const [index, e] of toc) {
      if (seen.has(index)) continue;
      const problem = `section ${sectionTitle(e.type)}${e.label ? ` (${e.label})` : ''} is missing: the file ends before it`;
      d.sections.push({ index, type: e.type, name: sectionTitle(e.type), label: e.label, status: 'missing', trimmed: false, problem });
      own.push(problem);
    }
  }
  const sectionProblems = new Set(c.sections.map((s) => s.problem).filter((p): p is string => p !== undefined));
  d.problems = [...own, ...c.problems.filter((p) => !sectionProblems.has(p))];
  const extra = d.meta?.extra;
  if (isObject(extra) && Array.isArray(extra.collectErrors)) {
    for (const e of extra.collectErrors) d.problems.push(`the writer could not read ${String(e)}`);
  }
  if (d.meta && d.meta.modelVersion > SNAPSHOT_MODEL_VERSION) {
    d.problems.push(
      `written by a newer flightbox (content model ${d.meta.modelVersion}, this reader knows ${SNAPSHOT_MODEL_VERSION}): some sections may be misread; decode it with that version`,
    );
  }
  d.threads.sort((a, b) => a.thread - b.thread);
  d.rings.sort((a, b) => a.thread - b.thread || (a.ring === 'flight' ? -1 : b.ring === 'flight' ? 1 : a.ring.localeCompare(b.ring)));
  d.pools.sort((a, b) => a.thread - b.thread);
  d.live.sort((a, b) => a.id - b.id);
  d.complete = c.complete && failed.size === 0;
  d.unusable = d.meta === undefined && d.fault === undefined;
  return d;
}

/** Reads and decodes a snapshot file (see {@link readSnapshot}); fs errors propagate as they are. */
export function readSnapshotFile(path: string): DecodedSnapshot {
  return readSnapshot(readFileSync(path), path);
}
