/**
 * The output of `flightbox decode`: a text report with one headed section per question a crash
 * analysis asks (summary, call chain, context object, its last events, pools, threads, checks,
 * memory, configuration, problems), and the `--json` document described field by field in
 * docs/decode-json.md (schema `flightbox.decode/1`). Both are pure functions of an Explanation
 * (diag/snapshot/explain.ts).
 */
import { basename } from 'node:path';
import type { Explanation } from '../snapshot/explain.ts';
import { formatFrame } from '../symbolicate.ts';
import { renderKnownIssue } from '../signatures.ts';
import { formatUptime } from './info.ts';
import { renderShowPools } from './pools.ts';
import { hexId, objectDetail } from './sess.ts';
import { threadBlock } from './threads.ts';

/** Value of the `schema` field of the --json document. Bump the suffix on any incompatible change. */
export const DECODE_JSON_SCHEMA = 'flightbox.decode/1';

function heading(title: string): string[] {
  return ['', `== ${title} ==`];
}

function iso(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : 'unknown';
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '?' : `${(bytes / 1048576).toFixed(1)}MB`;
}

function summary(ex: Explanation): string[] {
  const s = ex.summary;
  const state = ex.complete ? 'complete' : 'PARTIAL: see Problems';
  const lines = [
    `Flightbox snapshot ${ex.file ? basename(ex.file) : '(buffer)'} (${ex.bytes} bytes, container format ${ex.formatVersion}, ${state})`,
    ...heading('Summary'),
    `Reason    : ${s.reason}`,
    `Message   : ${s.message}`,
    `Thread    : ${s.thread === 0 ? '0 (supervisor)' : s.thread}`,
    `Time      : ${iso(s.time)} (uptime ${formatUptime(s.uptimeSec)})`,
    `Version   : ${s.version} (build ${s.buildId})`,
    `Node      : ${s.node} on ${s.os}`,
    `Pid       : ${s.pid}`,
    `Arguments : ${s.argv.join(' ')}`,
  ];
  if (s.report) lines.push(...heading('Report'), ...s.report.split('\n').map((l) => `  ${l}`));
  return lines;
}

function callChain(ex: Explanation): string[] {
  const c = ex.callChain;
  const lines = heading('Call chain');
  if (c.frames.length === 0) lines.push('(no frames recorded)');
  lines.push(...c.frames.map((f, i) => formatFrame(f, i)));
  for (const w of c.warnings) lines.push(`warning: ${w}`);
  return lines;
}

function context(ex: Explanation): string[] {
  const c = ex.context;
  if (!c) return [...heading('Context'), '(the fault names no connection, stream or object)'];
  return [...heading('Context'), ...contextLines(ex, c, 'not found')];
}

/**
 * The lines describing the fault's context object (decode's "Context" section and the report's
 * "Context object" part): the object and its detail, its connection, or `missing` when the ids
 * name nothing in the live-object table, then notes and details.
 */
export function contextLines(ex: Explanation, c: NonNullable<Explanation['context']>, missing: string): string[] {
  const lines: string[] = [];
  if (c.object) {
    lines.push(`${c.object.kind} ${hexId(c.object.id)} on thread ${c.object.thread}:`);
    lines.push(...objectDetail(c.object, ex.objects, ex.now).map((l) => `  ${l}`));
    if (c.connection && c.connection.id !== c.object.id) {
      lines.push(`its connection ${hexId(c.connection.id)}:`);
      lines.push(...objectDetail(c.connection, ex.objects, ex.now).map((l) => `  ${l}`));
    }
  } else if (c.connId || c.streamId) {
    lines.push(`connection ${hexId(c.connId)}, stream ${hexId(c.streamId)}: ${missing}`);
  }
  for (const n of c.notes) lines.push(`note: ${n}`);
  if (c.details) {
    lines.push('details:');
    for (const [k, v] of Object.entries(c.details)) lines.push(`  ${k}: ${String(v)}`);
  }
  return lines;
}

function events(ex: Explanation): string[] {
  const e = ex.events;
  const count = e.filter !== undefined ? `${e.total}` : e.total > e.shown.length ? `last ${e.shown.length} of ${e.total}` : `${e.total}`;
  const lines = heading(`Last events (${e.selection}: ${count})`);
  if (e.shown.length === 0) lines.push('(none recorded)');
  for (const x of e.shown) lines.push(x.formatted);
  return lines;
}

function pools(ex: Explanation): string[] {
  const lines = heading('Pools');
  if (ex.pools.length === 0) return [...lines, '(no pool figures in this snapshot)'];
  const trim = (t: string) => t.replace(/\n$/, '').split('\n');
  if (ex.offendingPool) {
    lines.push(`Offending pool (named by the fault): ${ex.offendingPool}`);
    lines.push(...trim(renderShowPools(ex.pools, ['match', ex.offendingPool, 'detailed'])).map((l) => `  ${l}`));
    lines.push('All pools:');
  }
  lines.push(...trim(renderShowPools(ex.pools, ['detailed'])));
  return lines;
}

function threads(ex: Explanation): string[] {
  const lines = heading('Threads');
  if (ex.threads.length === 0) return [...lines, '(no thread figures in this snapshot)'];
  for (const t of [...ex.threads].sort((a, b) => a.thread - b.thread)) {
    const mapped = t.mappedStack;
    lines.push(...threadBlock(t, ex.objects, mapped ? { formatStack: () => mapped.map((f, i) => formatFrame(f, i)) } : {}));
  }
  return lines;
}

function checks(ex: Explanation): string[] {
  const hits = ex.checks.flatMap((c) => c.hits.map((h) => ({ thread: c.thread, h })));
  if (hits.length === 0) return [];
  const lines = heading('CHECK_IF warnings');
  for (const { thread, h } of hits) {
    lines.push(`thread ${thread}: ${h.site}: ${h.message} (${h.count} hit${h.count === 1 ? '' : 's'}, first at ${iso(h.firstTime)})`);
  }
  return lines;
}

function memory(ex: Explanation): string[] {
  const m = ex.memory;
  if (!m) return [];
  const u = m.usage;
  const h = m.heap;
  return [
    ...heading('Memory'),
    `rss=${mb(u.rss)} heap_used=${mb(u.heapUsed)} heap_total=${mb(u.heapTotal)} external=${mb(u.external)} array_buffers=${mb(u.arrayBuffers)} heap_limit=${mb(h.heap_size_limit)}`,
  ];
}

function config(ex: Explanation): string[] {
  if (ex.config === undefined) return [];
  const text = ex.config.replace(/\n+$/, '');
  return [...heading('Configuration (secrets removed)'), ...(text === '' ? ['(empty)'] : text.split('\n').map((l) => `  ${l}`))];
}

function problems(ex: Explanation): string[] {
  const lines = heading('Problems');
  if (ex.problems.length === 0) return [...lines, 'none: every section decoded'];
  return [...lines, ...ex.problems.map((p) => `- ${p}`)];
}

function knownIssue(ex: Explanation): string[] {
  return [...heading('Known issue'), ...renderKnownIssue(ex.knownIssue)];
}

/** Options of {@link renderDecodeText}. */
export interface DecodeTextOptions {
  /**
   * Print the `Known issue` section (fingerprint and best matching signature) after the summary.
   * `flightbox decode` does; the default leaves it out so the golden decode text of format v1
   * (fixtures/snapshots/v1-bug.decode.txt), which predates signatures, stays byte for byte.
   */
  knownIssue?: boolean;
}

/** The text report of `flightbox decode`, ending with a newline. */
export function renderDecodeText(ex: Explanation, opts: DecodeTextOptions = {}): string {
  return (
    [
      ...summary(ex),
      ...(opts.knownIssue ? knownIssue(ex) : []),
      ...callChain(ex),
      ...context(ex),
      ...events(ex),
      ...pools(ex),
      ...threads(ex),
      ...checks(ex),
      ...memory(ex),
      ...config(ex),
      ...problems(ex),
    ].join('\n') + '\n'
  );
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** The `--json` document (docs/decode-json.md): stable keys, `null` for what is absent. */
export function decodeJsonDocument(ex: Explanation): Record<string, unknown> {
  const c = ex.context;
  return {
    schema: DECODE_JSON_SCHEMA,
    file: orNull(ex.file),
    bytes: ex.bytes,
    formatVersion: ex.formatVersion,
    complete: ex.complete,
    time: ex.now,
    summary: {
      reason: ex.summary.reason,
      fingerprint: ex.knownIssue.fingerprint,
      message: ex.summary.message,
      report: orNull(ex.summary.report),
      thread: ex.summary.thread,
      time: ex.summary.time,
      version: ex.summary.version,
      buildId: ex.summary.buildId,
      distDir: orNull(ex.summary.distDir),
      node: ex.summary.node,
      os: ex.summary.os,
      pid: ex.summary.pid,
      startedAt: ex.summary.startedAt,
      uptimeSec: ex.summary.uptimeSec,
      argv: ex.summary.argv,
    },
    callChain: {
      mapped: ex.callChain.mapped,
      distDir: orNull(ex.callChain.distDir),
      warnings: ex.callChain.warnings,
      frames: ex.callChain.frames.map((f, index) => ({ index, fn: f.fn, file: f.file, line: f.line, col: f.col, inApp: f.inApp, mapped: f.mapped, raw: f.raw })),
    },
    context: c
      ? {
          connId: c.connId,
          streamId: c.streamId,
          details: orNull(c.details),
          object: orNull(c.object),
          connection: orNull(c.connection),
          parent: orNull(c.parent),
          children: c.children,
          notes: c.notes,
        }
      : null,
    events: { selection: ex.events.selection, filter: orNull(ex.events.filter), total: ex.events.total, shown: ex.events.shown.map((e) => ({ ...e, text: orNull(e.text) })) },
    offendingPool: orNull(ex.offendingPool),
    pools: ex.pools,
    threads: ex.threads.map((t) => ({ ...t, stack: orNull(t.stack), mappedStack: orNull(t.mappedStack) })),
    objects: ex.objects,
    checks: ex.checks,
    memory: orNull(ex.memory),
    config: orNull(ex.config),
    traceState: ex.traceState ?? [],
    sections: ex.sections.map((s) => ({ ...s, label: orNull(s.label), problem: orNull(s.problem) })),
    problems: ex.problems,
    knownIssue: knownIssueJson(ex),
  };
}

/** The `knownIssue` object of the --json document (docs/decode-json.md "knownIssue"). */
export function knownIssueJson(ex: Explanation): Record<string, unknown> {
  const k = ex.knownIssue;
  const brief = (m: (typeof k.matches)[number]) => ({
    id: m.signature.id,
    title: m.signature.title,
    seed: orNull(m.signature.seed),
    confidence: m.confidence,
    level: m.level,
  });
  const b = k.best;
  return {
    fingerprint: k.fingerprint,
    fingerprintInputs: k.fingerprintInputs,
    match: b
      ? {
          ...brief(b),
          haproxy: orNull(b.signature.haproxy),
          what: b.signature.what,
          why: b.signature.why,
          check: b.signature.check,
          fix: b.signature.fix,
          matched: b.matched,
          missing: b.missing,
        }
      : null,
    others: k.matches.slice(1).map(brief),
  };
}
