/**
 * What the TUI shows, decoded once from a snapshot: the explanation `flightbox decode` prints
 * (diag/snapshot/explain.ts, computed without the rings so that its eager event decoding does not
 * run over half a million records), the lazy {@link Timeline}, the pool rows, and the known-issue
 * match when diag/signatures.ts is available. Pure data; the views render it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { projectRoot } from '../../../diag/build-info.ts';
import type { LiveObject } from '../../../diag/lifecycle.types.ts';
import type { PoolStat } from '../../../diag/pool.types.ts';
import { SnapshotFormatError } from '../../../diag/snapshot/container.ts';
import { explainSnapshot, type Explanation } from '../../../diag/snapshot/explain.ts';
import type { DecodedSnapshot } from '../../../diag/snapshot/model.types.ts';
import { readSnapshotFile } from '../../../diag/snapshot/read.ts';
import type { MappedFrame } from '../../../diag/symbolicate.types.ts';
import type { LiveInfo } from './live-model.ts';
import { createTimeline, type Timeline } from './timeline.ts';
import { knownIssueOf, type KnownIssue } from './signature.ts';

/** One pool of one thread, as the Pools view lists it. */
export interface PoolRow extends Pick<PoolStat, 'name' | 'kind' | 'size' | 'allocated' | 'used' | 'cached' | 'failures' | 'users'> {
  thread: number;
  /** Named by the fault (details.pool), or has failed allocations. */
  offender: boolean;
}

/** Everything the views read. */
export interface TuiModel {
  /** File the snapshot was read from. */
  file?: string;
  explanation: Explanation;
  timeline: Timeline;
  /** Every tracked object (live and recently freed), by id. */
  objects: LiveObject[];
  pools: PoolRow[];
  /** Known-issue match and fingerprint (diag/signatures.ts). */
  knownIssue: KnownIssue;
  /** Roots where the TypeScript sources of the frames are looked for, in order. */
  sourceRoots: string[];
  /** Set in live mode (`flightbox tui -S <socket>`): connection status, process info, pool histories. */
  live?: LiveInfo;
}

/** What {@link openSnapshot} throws: the message is the one-line answer for the user. */
export class TuiOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TuiOpenError';
  }
}

/** Flattens the pools of every thread into rows, marking offenders. */
export function poolRows(ex: Explanation): PoolRow[] {
  const rows: PoolRow[] = [];
  for (const v of ex.pools) {
    for (const p of v.pools) {
      const named = ex.offendingPool !== undefined && (p.name === ex.offendingPool || p.userNames.includes(ex.offendingPool));
      rows.push({
        thread: v.thread,
        name: p.name,
        kind: p.kind,
        size: p.size,
        allocated: p.allocated,
        used: p.used,
        cached: p.cached,
        failures: p.failures,
        users: p.users,
        offender: named || p.failures > 0,
      });
    }
  }
  return rows;
}

/** Options of {@link buildModel} / {@link openSnapshot}. */
export interface ModelOptions {
  /** Dist directories holding the source maps of the build (`--maps`). */
  mapsDirs?: string[];
}

/** Builds the model of a decoded snapshot. */
export function buildModel(d: DecodedSnapshot, opts: ModelOptions = {}): TuiModel {
  const explanation = explainSnapshot({ ...d, rings: [] }, { mapsDirs: opts.mapsDirs });
  const roots = [d.meta?.projectRoot, d.meta?.distDir ? dirname(d.meta.distDir) : undefined, ...(opts.mapsDirs ?? []).map((m) => dirname(m)), ...(opts.mapsDirs ?? []), process.cwd(), projectRoot()];
  const m: TuiModel = {
    file: d.file,
    explanation,
    timeline: createTimeline(d.rings, d.points, d.live),
    objects: d.live,
    pools: poolRows(explanation),
    sourceRoots: [...new Set(roots.filter((r): r is string => typeof r === 'string' && r !== ''))],
    knownIssue: knownIssueOf(d, explanation.callChain.frames),
  };
  return m;
}

/**
 * Reads and decodes `file` into a model. Throws {@link TuiOpenError} with a one-line reason when the
 * file cannot be read, is not a snapshot, or is damaged beyond use (as `flightbox decode` exits 2).
 */
export function openSnapshot(file: string, opts: ModelOptions = {}): TuiModel {
  let d: DecodedSnapshot;
  try {
    d = readSnapshotFile(file);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new TuiOpenError(e instanceof SnapshotFormatError ? `${file}: ${msg}` : `${file}: cannot read the file: ${msg}`);
  }
  if (d.unusable) {
    throw new TuiOpenError(`${file}: snapshot damaged beyond use: neither its META nor its FAULT section can be read`);
  }
  return buildModel(d, opts);
}

/** Source lines around a frame's position. */
export interface SourceExcerpt {
  /** The file read. */
  path: string;
  /** First line number of `lines` (1-based). */
  first: number;
  lines: string[];
  /** The frame's line (1-based). */
  line: number;
}

const sourceCache = new Map<string, string[] | null>();

/**
 * The TypeScript lines `context` above and below a mapped frame's position, read from the first of
 * `roots` holding the frame's project-relative file; undefined when the frame is not mapped to a
 * TypeScript position or no root holds the file.
 */
export function sourceExcerpt(frame: MappedFrame, roots: readonly string[], context = 3): SourceExcerpt | undefined {
  if (!frame.mapped || !/\.[cm]?tsx?$/.test(frame.file) || frame.line < 1) return undefined;
  const candidates = isAbsolute(frame.file) ? [frame.file] : roots.map((r) => join(r, frame.file));
  for (const path of candidates) {
    let lines = sourceCache.get(path);
    if (lines === undefined) {
      lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : null;
      sourceCache.set(path, lines);
    }
    if (!lines || frame.line > lines.length) continue;
    const first = Math.max(1, frame.line - context);
    const last = Math.min(lines.length, frame.line + context);
    return { path, first, lines: lines.slice(first - 1, last), line: frame.line };
  }
  return undefined;
}
