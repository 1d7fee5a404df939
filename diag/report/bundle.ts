/**
 * A bug-report bundle (`flightbox report <snapshot>`): from one snapshot file, writes into a
 * directory a Markdown report (diag/report/markdown.ts) and a redacted copy of the snapshot
 * (diag/report/redact-snapshot.ts), and says what to attach. The report is built from the redacted
 * copy, so it can only show what the copy holds; both are searched once more for what the policy
 * knows to be secret before anything is written, and nothing is written when that finds a hit.
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { explainSnapshot, type Explanation } from '../snapshot/explain.ts';
import { readSnapshot, SnapshotFormatError } from '../snapshot/read.ts';
import type { DecodedSnapshot } from '../snapshot/model.types.ts';
import { ALWAYS_REDACTED_HEADERS } from '../redact.ts';
import { renderReportMarkdown, unescapeMarkdown, type KnownIssueSlot } from './markdown.ts';
import { buildPolicy, findLeaks, redactString, type RedactPolicy } from './policy.ts';
import { redactSnapshotImage } from './redact-snapshot.ts';

/** Options of {@link writeReportBundle}. */
export interface ReportBundleOptions {
  /** Directory the two files go to (created if missing). */
  outDir: string;
  /** `--redact` patterns, as typed (diag/report/policy.ts parseRedactPattern). */
  patterns?: readonly string[];
  /** Byte budget of the Markdown (default 60 KB). */
  maxBytes?: number;
  /** Environment of the report: values of variables the configuration references are redacted. */
  env?: Readonly<Record<string, string | undefined>>;
  /** `--maps` directories for symbolication. */
  mapsDirs?: string[];
  /**
   * Fills the known-issue slot from the explanation of the redacted snapshot; default: the
   * explanation's own match and fingerprint (diag/signatures.ts, through explainSnapshot).
   */
  knownIssue?: (ex: Explanation, snap: DecodedSnapshot) => KnownIssueSlot;
  /** Time stamped into the redacted copy's META (default now). */
  now?: number;
}

/** What {@link writeReportBundle} wrote. */
export interface ReportBundle {
  markdownPath: string;
  markdownBytes: number;
  snapshotPath: string;
  snapshotBytes: number;
  /** Parts of the Markdown cut to respect the budget (`Configuration (redacted): 120 lines`). */
  cuts: string[];
  /** Sections of the snapshot whose content the redaction changed. */
  changed: string[];
  /** Sections kept empty because they could not be decoded (so not checked for secrets). */
  emptied: string[];
  /** What the report removed, one sentence each (also at the foot of the Markdown). */
  redactionNotes: string[];
  /** The files to attach to an issue, with what to do with each. */
  attach: string[];
}

/** Thrown when the redacted output still holds something the policy knows to be secret. */
export class RedactionLeakError extends Error {
  readonly leaks: string[];
  constructor(leaks: string[]) {
    super(
      `redaction check failed, nothing written: ${leaks.slice(0, 5).join('; ')}${leaks.length > 5 ? ` (and ${leaks.length - 5} more)` : ''}; ` +
        'please report this as a Flightbox bug (without the snapshot)',
    );
    this.name = 'RedactionLeakError';
    this.leaks = leaks;
  }
}

/** One sentence per kind of thing the policy removes. Never prints a secret nor a pattern's text. */
export function describePolicy(policy: RedactPolicy): string[] {
  const headers = [...ALWAYS_REDACTED_HEADERS, ...policy.headers.filter((h) => !ALWAYS_REDACTED_HEADERS.includes(h))];
  const notes = [
    `Redacted: values of the headers ${headers.join(', ')}; passwords, keys and credentials in the configuration; URL credentials.`,
  ];
  if (policy.queries.length > 0) notes.push(`Redacted: values of the query parameters ${policy.queries.join(', ')}.`);
  if (policy.patterns.length > 0) notes.push(`Redacted: every match of ${policy.patterns.length} --redact pattern${policy.patterns.length === 1 ? '' : 's'}.`);
  if (policy.envNames.length > 0) notes.push(`Redacted: values of the environment variables ${policy.envNames.join(', ')} (referenced by the configuration).`);
  return notes;
}

/** Events shown when the fault names no object: the newest of every thread. */
export const REPORT_RECENT_EVENTS = 100;

/**
 * When the fault names no connection or stream (an on-demand snapshot, a stall between requests),
 * `explainSnapshot` selects the faulting thread's events only; a report is more useful with the
 * newest {@link REPORT_RECENT_EVENTS} events of every thread. Otherwise returns `ex` as it is.
 */
function withRecentEvents(ex: Explanation, snap: DecodedSnapshot, mapsDirs: string[] | undefined): Explanation {
  const c = ex.context;
  if (c && (c.object || c.connId || c.streamId)) return ex;
  const all = explainSnapshot(snap, { mapsDirs, eventsFilter: 'level<=developer' }).events;
  return {
    ...ex,
    events: { selection: 'every thread (the fault names no connection or stream)', total: all.total, shown: all.shown.slice(-REPORT_RECENT_EVENTS) },
  };
}

/** Writes `data` to `path` through a temporary file and a rename (mode 0600). */
function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw new Error(`cannot write ${path}: ${(e as Error).message}; check that ${resolve(path, '..')} is writable`, { cause: e });
  }
}

/**
 * Builds and writes a bug-report bundle for snapshot `file` (see the module comment): in
 * `opts.outDir`, `<name>.report.md` and `<name>.redacted.fbsnap`, where `<name>` is the snapshot's
 * file name without `.fbsnap`. Throws SnapshotFormatError when the file is not a readable snapshot,
 * an Error naming the pattern for an invalid `--redact` pattern, RedactionLeakError when the final
 * check finds a secret (nothing is written then), and an Error naming the path when writing fails.
 */
export function writeReportBundle(file: string, opts: ReportBundleOptions): ReportBundle {
  const buf = readFileSync(file);
  const original = readSnapshot(buf, file);
  if (original.unusable) {
    throw new SnapshotFormatError('damaged', 'snapshot damaged beyond use: neither its META nor its FAULT section can be read, so there is nothing to report');
  }
  const policy = buildPolicy({ configText: original.config, patterns: opts.patterns, env: opts.env });
  const red = redactSnapshotImage(buf, policy, opts.now);
  if (red.leaks.length > 0) throw new RedactionLeakError(red.leaks);

  const name = basename(file).replace(/\.fbsnap$/i, '');
  const snapshotPath = join(opts.outDir, `${name}.redacted.fbsnap`);
  const markdownPath = join(opts.outDir, `${name}.report.md`);
  if (resolve(snapshotPath) === resolve(file) || resolve(markdownPath) === resolve(file)) {
    throw new Error(`the report would overwrite the snapshot ${file}; choose another directory with -o`);
  }
  const snap = readSnapshot(red.image, file);
  const ex = withRecentEvents(explainSnapshot(snap, { mapsDirs: opts.mapsDirs }), snap, opts.mapsDirs);
  const knownIssue: KnownIssueSlot = opts.knownIssue
    ? opts.knownIssue(ex, snap)
    : ex.knownIssue
      ? { status: 'matched', result: ex.knownIssue }
      : { status: 'unavailable', reason: 'the known-issue catalogue (diag/signatures.ts) gave no result' };
  const redactionNotes = describePolicy(policy);
  if (red.emptied.length > 0) redactionNotes.push(`Left empty in the attached snapshot (could not be decoded, so not redacted): ${red.emptied.length} section(s).`);
  const md = renderReportMarkdown(ex, {
    redactedName: basename(snapshotPath),
    maxBytes: opts.maxBytes,
    knownIssue,
    scrub: (l) => redactString(l, policy),
    redactionNotes,
  });
  const mdLeaks = [...findLeaks(md.markdown, policy, 'the Markdown report'), ...findLeaks(unescapeMarkdown(md.markdown), policy, 'the Markdown report as rendered')];
  if (mdLeaks.length > 0) throw new RedactionLeakError(mdLeaks);

  mkdirSync(opts.outDir, { recursive: true });
  writeAtomic(snapshotPath, red.image);
  writeAtomic(markdownPath, md.markdown);
  const markdownBytes = Buffer.byteLength(md.markdown);
  return {
    markdownPath,
    markdownBytes,
    snapshotPath,
    snapshotBytes: red.image.length,
    cuts: md.cuts,
    changed: red.changed,
    emptied: red.emptied,
    redactionNotes,
    attach: [
      `${markdownPath}: paste its content as the issue's description (${(markdownBytes / 1024).toFixed(1)} KB)`,
      `${snapshotPath}: attach it to the issue (GitHub accepts it inside a .zip or .gz: gzip -k ${basename(snapshotPath)})`,
    ],
  };
}
