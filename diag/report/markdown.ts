/**
 * The Markdown half of a bug-report bundle (`flightbox report`): a GitHub-flavoured Markdown page
 * ready to paste into an issue, built from the explanation of the *redacted* snapshot
 * (diag/snapshot/explain.ts), so it can only show what the redacted copy holds.
 *
 * Layout: a title line; a table of version, build, Node, platform, reason, time, pid, snapshot;
 * the reason and message (HAProxy-style report collapsed); the call chain; the context object and
 * its last events; the recently active connections and streams; the pools table (the offending
 * pool first and marked); the threads; CHECK_IF
 * warnings; the configuration (collapsed); the known-issue match and fingerprint; problems with the
 * file. Long parts sit in collapsible `<details>` blocks. The page is kept under a byte budget
 * (60 KB by default) by cutting the longest parts, and a note at the top says what was cut.
 */
import { basename } from 'node:path';
import type { Explanation } from '../snapshot/explain.ts';
import type { KnownIssueResult } from '../signatures.types.ts';
import { formatFrame } from '../symbolicate.ts';
import { contextLines } from '../render/decode.ts';
import { formatUptime } from '../render/info.ts';
import { formatMs, hexId, sessLine } from '../render/sess.ts';

/** Default byte budget of the Markdown (GitHub issue bodies hold 65536 characters). */
export const DEFAULT_REPORT_MAX_BYTES = 60 * 1024;

/** What the known-issue slot shows. */
export type KnownIssueSlot =
  /** The catalogue ran: its result (a match or none). */
  | { status: 'matched'; result: KnownIssueResult }
  /** This build has no catalogue (diag/signatures.ts); the slot says so. */
  | { status: 'unavailable'; reason: string };

/** Options of {@link renderReportMarkdown}. */
export interface MarkdownOptions {
  /** File name of the redacted snapshot written beside the report (what to attach). */
  redactedName: string;
  /** Byte budget (default {@link DEFAULT_REPORT_MAX_BYTES}). */
  maxBytes?: number;
  knownIssue: KnownIssueSlot;
  /** The report's redaction: applied to every string of the explanation, then to every line; identity by default. */
  scrub?: (line: string) => string;
  /** Lines for the "How this report was redacted" note (what the report removed). */
  redactionNotes?: string[];
}

/** A rendered report and what the byte budget cost. */
export interface RenderedReport {
  markdown: string;
  /** `<part>: N lines` for each part that was cut, empty when nothing was. */
  cuts: string[];
}

/** Longest line kept in any block; longer lines end with `…`. */
const MAX_LINE = 1000;

/** One part of the page. `body` may be cut (from `cutFrom`), down to `keep` lines. */
interface Part {
  title: string;
  heading?: string;
  intro: string[];
  body: string[];
  kind: 'code' | 'md';
  /** Summary line of a `<details>` block around the body; no block when absent. */
  details?: string;
  cutFrom: 'start' | 'end';
  keep: number;
  cut: number;
}

function part(p: Partial<Part> & Pick<Part, 'title'>): Part {
  return { intro: [], body: [], kind: 'code', cutFrom: 'end', keep: 0, cut: 0, ...p };
}

/** Escapes text for Markdown outside code: HTML and the characters GFM treats as markup. */
export function mdText(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~])/g, '\\$1')
    .replace(/\r?\n/g, ' ');
}

/** An inline code span holding `s` (any backticks inside handled); `|` escaped for table cells. */
export function mdCode(s: string): string {
  const one = s.replace(/\r?\n/g, ' ');
  let longest = 0;
  for (const m of one.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') || one === '' ? ' ' : '';
  return `${fence}${pad}${one.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** A fenced code block around `lines`, the fence longer than any backtick run inside. */
function fenced(lines: string[]): string[] {
  let longest = 2;
  for (const l of lines) for (const m of l.matchAll(/`{3,}/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(longest + 1);
  return [fence, ...lines, fence];
}

function clip(line: string): string {
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line;
}

function iso(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : 'unknown';
}

function firstLine(s: string, max = 140): string {
  const l = s.split('\n')[0].trim();
  return l.length > max ? `${l.slice(0, max - 1)}…` : l;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function facts(ex: Explanation, o: MarkdownOptions): string[] {
  const s = ex.summary;
  const rows: [string, string][] = [
    ['Flightbox', `${mdCode(s.version)} (build ${mdCode(s.buildId)})`],
    ['Node', mdCode(s.node)],
    ['Platform', mdCode(s.os)],
    ['Reason', `${mdCode(String(s.reason))} on ${s.thread === 0 ? 'the supervisor' : `thread ${s.thread}`}`],
    ['Time', `${iso(s.time)} (uptime ${formatUptime(s.uptimeSec)})`],
    ['PID', String(s.pid)],
    ['Arguments', mdCode(s.argv.join(' '))],
    ['Snapshot', `${mdCode(o.redactedName)} (redacted copy, ${ex.bytes} bytes, container format ${ex.formatVersion}, ${ex.complete ? 'complete' : 'partial'})`],
  ];
  if (o.knownIssue.status === 'matched') rows.push(['Fingerprint', mdCode(o.knownIssue.result.fingerprint)]);
  return table(['', ''], rows.map(([k, v]) => [`**${k}**`, v]));
}

function reasonPart(ex: Explanation): Part[] {
  const s = ex.summary;
  const out = [part({ title: 'Reason', intro: [`**${mdText(String(s.reason))}**: ${mdCode(firstLine(s.message, 300))}`], body: s.message.includes('\n') ? s.message.split('\n') : [] })];
  if (s.report) {
    out.push(part({ title: 'fault report', intro: [], body: s.report.split('\n'), details: 'The fault report' }));
  }
  return out;
}

function callChainPart(ex: Explanation): Part {
  const c = ex.callChain;
  const intro = c.warnings.map((w) => `> ${mdText(w)}`);
  const body = c.frames.length === 0 ? ['(no frames recorded)'] : c.frames.map((f, i) => formatFrame(f, i));
  const n = c.frames.filter((f) => f.inApp).length;
  return part({
    title: 'Call chain',
    intro: [`Innermost first; ${n} of ${c.frames.length} frames are Flightbox's own (\`[app]\`)${c.mapped ? ', mapped to TypeScript' : ''}.`, ...intro],
    body,
    details: body.length > 25 ? `${body.length} frames` : undefined,
  });
}

function contextPart(ex: Explanation): Part {
  const c = ex.context;
  if (!c) return part({ title: 'Context object', intro: ['The fault names no connection, stream or object.'] });
  const lines = contextLines(ex, c, 'not in the live-object table');
  const what = c.object ? `The ${c.object.kind} being handled: \`${hexId(c.object.id)}\`${c.object.info ? ` ${mdCode(c.object.info)}` : ''}.` : '';
  return part({ title: 'Context object', intro: what ? [what] : [], body: lines, details: lines.length > 40 ? `${lines.length} lines` : undefined });
}

function eventsPart(ex: Explanation): Part {
  const e = ex.events;
  const count = e.total > e.shown.length ? `last ${e.shown.length} of ${e.total}` : `${e.total}`;
  return part({
    title: 'Last events',
    intro: [`Trace events of ${mdText(e.selection)} (${count}), oldest first.`],
    body: e.shown.length === 0 ? ['(none recorded)'] : e.shown.map((x) => x.formatted),
    details: e.shown.length > 0 ? `${e.shown.length} events` : undefined,
    cutFrom: 'start',
  });
}

/** How many objects the "Connections and streams" part lists. */
const MAX_OBJECTS = 50;

function objectsPart(ex: Explanation): Part[] {
  if (ex.objects.length === 0) return [];
  const recent = [...ex.objects].sort((a, b) => b.lastEvent - a.lastEvent || b.id - a.id).slice(0, MAX_OBJECTS);
  const live = ex.objects.filter((o) => o.live).length;
  return [
    part({
      title: 'Connections and streams',
      intro: [`${ex.objects.length} tracked (${live} live, the others freed recently); the ${recent.length} most recently active, newest first, \`show sess\` style.`],
      body: recent.map((o) => sessLine(o, ex.now)),
      details: `${recent.length} objects`,
    }),
  ];
}

function poolsPart(ex: Explanation): Part {
  if (ex.pools.length === 0) return part({ title: 'Pools', intro: ['No pool figures in this snapshot.'] });
  const off = ex.offendingPool;
  const hit = (p: { name: string; userNames: string[] }) => off !== undefined && (p.name === off || p.userNames.includes(off));
  const rows: string[][] = [];
  for (const v of ex.pools) {
    for (const p of v.pools) {
      const name = hit(p) ? `**${mdText(p.name)}** ⚠` : mdText(p.name);
      const users = p.userNames.length > 1 ? ` (${p.userNames.slice(1).map(mdText).join(', ')})` : '';
      rows.push([String(v.thread), name + users, p.kind, String(p.size), String(p.allocated), String(p.used), p.failures > 0 ? `**${p.failures}**` : '0']);
    }
  }
  const totals = ex.pools.map((v) => `thread ${v.thread}: ${v.totals.pools} pools, ${v.totals.usedBytes} of ${v.totals.allocatedBytes} bytes used, ${v.totals.failures} failures`);
  const tbl = table(['Thread', 'Pool', 'Kind', 'Size', 'Allocated', 'Used', 'Failures'], rows);
  return part({
    title: 'Pools',
    intro: [...(off ? [`Offending pool (named by the fault): **${mdText(off)}** (marked ⚠).`, ''] : []), ...totals.map((t) => `- ${t}`)],
    body: tbl,
    kind: 'md',
    keep: 2,
    details: rows.length > 15 ? `${rows.length} pools` : undefined,
  });
}

function threadsPart(ex: Explanation): Part[] {
  if (ex.threads.length === 0) return [part({ title: 'Threads', intro: ['No thread figures in this snapshot.'] })];
  const ref = (id: number) => {
    const o = ex.objects.find((x) => x.id === id);
    return o ? `${o.kind} ${hexId(id)}${o.info ? ` ${o.info}` : ''}` : hexId(id);
  };
  const sorted = [...ex.threads].sort((a, b) => a.thread - b.thread);
  const rows = sorted.map((t) => {
    const handling = [t.curStream ? ref(t.curStream) : '', t.curConn ? ref(t.curConn) : ''].filter(Boolean).join(' on ') || 'nothing';
    return [
      t.thread === 0 ? 'supervisor' : String(t.thread),
      mdText(t.status),
      String(t.heartbeat),
      t.lastBeatAgoMs < 0 ? 'never' : `${formatMs(t.lastBeatAgoMs)} ago`,
      `${t.connsCur} / ${t.connsTotal}`,
      String(t.reqsTotal),
      `${(t.heapUsed / 1048576).toFixed(1)} MB`,
      String(t.restarts),
      mdCode(handling),
    ];
  });
  const out = [part({ title: 'Threads', body: table(['Thread', 'Status', 'Heartbeat', 'Last beat', 'Conns (now / total)', 'Requests', 'Heap', 'Restarts', 'Handling'], rows), kind: 'md', keep: 2 })];
  for (const t of sorted) {
    if (!t.stack || t.stack.length === 0) continue;
    const lines = t.mappedStack ? t.mappedStack.map((f, i) => formatFrame(f, i)) : t.stack.map((f, i) => `#${i} ${f.fn || '<anonymous>'} (${f.file}:${f.line}:${f.col})`);
    out.push(part({ title: `stack of thread ${t.thread}`, body: lines, details: `Stack of thread ${t.thread} (${t.status})` }));
  }
  return out;
}

function checksPart(ex: Explanation): Part[] {
  const hits = ex.checks.flatMap((c) => c.hits.map((h) => ({ thread: c.thread, h })));
  if (hits.length === 0) return [];
  return [
    part({
      title: 'CHECK_IF warnings',
      body: hits.map(({ thread, h }) => `- thread ${thread}: ${mdCode(h.site)}: ${mdText(h.message)} (${h.count} hit${h.count === 1 ? '' : 's'}, first at ${iso(h.firstTime)})`),
      kind: 'md',
    }),
  ];
}

function configPart(ex: Explanation): Part[] {
  if (ex.config === undefined) return [];
  const text = ex.config.replace(/\n+$/, '');
  const lines = text === '' ? ['(empty)'] : text.split('\n');
  return [part({ title: 'Configuration (redacted)', body: lines, details: `${lines.length} lines, secrets removed` })];
}

function knownIssuePart(slot: KnownIssueSlot): Part {
  if (slot.status === 'unavailable') {
    return part({ title: 'Known issue', intro: [`_Not matched: ${mdText(slot.reason)}._`] });
  }
  const r = slot.result;
  const intro = [`Fingerprint: ${mdCode(r.fingerprint)} (from ${r.fingerprintInputs.map(mdCode).join(', ')}; crashes with the same fingerprint are the same bug).`, ''];
  const best = r.best;
  if (!best) return part({ title: 'Known issue', intro: [...intro, 'No known issue matches this snapshot.'] });
  const sig = best.signature;
  intro.push(
    `**${mdText(sig.title)}** (${mdCode(sig.id)}${sig.seed !== undefined ? `, seed crash ${sig.seed}` : ''}): ${best.level} confidence (${Math.round(best.confidence * 100)}%).`,
  );
  if (sig.haproxy) intro.push(`HAProxy calls it: ${mdText(sig.haproxy)}.`);
  const body = [
    `- **What happened:** ${mdText(sig.what)}`,
    `- **Why:** ${mdText(sig.why)}`,
    ...sig.check.map((c) => `- **Check:** ${mdText(c)}`),
    `- **Fix:** ${mdText(sig.fix)}`,
    ...(best.matched.length > 0 ? [`- Evidence found: ${best.matched.map(mdText).join('; ')}`] : []),
    ...(best.missing.length > 0 ? [`- Evidence not found: ${best.missing.map(mdText).join('; ')}`] : []),
    ...r.matches.slice(1).map((m) => `- Also fits: ${mdText(m.signature.title)} (${Math.round(m.confidence * 100)}%)`),
  ];
  return part({ title: 'Known issue', intro, body, kind: 'md' });
}

function problemsPart(ex: Explanation): Part[] {
  if (ex.problems.length === 0) return [];
  return [part({ title: 'Problems with the snapshot', body: ex.problems.map((p) => `- ${mdText(p)}`), kind: 'md' })];
}

function renderPart(p: Part): string[] {
  const out: string[] = [];
  if (p.heading !== undefined) out.push(p.heading, '');
  if (p.intro.length > 0) out.push(...p.intro, '');
  if (p.body.length === 0 && p.cut === 0) return out;
  const body = p.body.map(clip);
  const note = p.cut > 0 ? `_${p.cut} line${p.cut === 1 ? '' : 's'} ${p.cutFrom === 'start' ? 'before these' : 'after these'} cut to keep the report small; the attached snapshot holds them all._` : '';
  const block = p.kind === 'code' ? fenced(body) : body;
  if (p.details !== undefined) out.push('<details>', `<summary>${mdText(p.details)}</summary>`, '');
  if (note && p.cutFrom === 'start') out.push(note, '');
  out.push(...block, '');
  if (note && p.cutFrom === 'end') out.push(note, '');
  if (p.details !== undefined) out.push('</details>', '');
  return out;
}

/** A copy of `v` with every string passed through `f` (plain objects and arrays only). */
function scrubDeep<T>(v: T, f: (s: string) => string): T {
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return f(x);
    if (Array.isArray(x)) return x.map(walk);
    if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(x)) out[k] = walk(e);
      return out;
    }
    return x;
  };
  return walk(v) as T;
}

/** Cuts the longest cuttable part until the page fits `budget` bytes (or nothing can be cut). */
function fit(parts: Part[], render: () => string, budget: number): void {
  for (let guard = 0; guard < 10_000; guard++) {
    const size = Buffer.byteLength(render());
    if (size <= budget) return;
    const sizes = parts.map((p) => (p.body.length > p.keep ? Buffer.byteLength(p.body.slice(p.keep).map(clip).join('\n')) : 0));
    const i = sizes.indexOf(Math.max(...sizes));
    if (sizes[i] === 0) return;
    const p = parts[i];
    // Cut the longest part down towards the next longest (at least 4 KB at a time), so that the
    // cuts spread over the longest parts instead of emptying one of them.
    const second = Math.max(0, ...sizes.filter((_, j) => j !== i));
    let excess = Math.min(size - budget + 200, Math.max(sizes[i] - second, 4096)); // the cut note costs a line
    while (excess > 0 && p.body.length > p.keep) {
      const line = p.cutFrom === 'start' ? p.body.splice(p.keep, 1)[0] : p.body.pop()!;
      excess -= Buffer.byteLength(clip(line)) + 1;
      p.cut++;
    }
  }
}

/**
 * Renders the Markdown report of an explanation (see the module comment). The result is at most
 * `maxBytes` bytes of UTF-8 unless the uncuttable parts (title, facts table, intros) alone are
 * larger; `cuts` names each part that lost lines. Every string of the explanation goes through
 * `scrub` before it is formatted, and every formatted line once more.
 */
export function renderReportMarkdown(explained: Explanation, o: MarkdownOptions): RenderedReport {
  const scrub = o.scrub ?? ((l: string) => l);
  // Scrub the values before they are escaped for Markdown (an escaped secret would escape the
  // scrub), then every finished line once more.
  const ex = o.scrub ? scrubDeep(explained, scrub) : explained;
  const budget = o.maxBytes ?? DEFAULT_REPORT_MAX_BYTES;
  const s = ex.summary;
  const title = `# Flightbox ${mdText(String(s.reason))} on ${s.thread === 0 ? 'the supervisor' : `thread ${s.thread}`}: ${mdText(firstLine(s.message))}`;
  const intro = [
    `> Generated by \`flightbox report\` from ${mdCode(ex.file ? basename(ex.file) : 'a snapshot')}. Secrets were removed from this page and from the attached snapshot ${mdCode(o.redactedName)}.`,
  ];
  const parts: Part[] = [
    ...reasonPart(ex),
    callChainPart(ex),
    contextPart(ex),
    eventsPart(ex),
    ...objectsPart(ex),
    poolsPart(ex),
    ...threadsPart(ex),
    ...checksPart(ex),
    ...configPart(ex),
    knownIssuePart(o.knownIssue),
    ...problemsPart(ex),
  ];
  for (const p of parts) {
    if (p.heading === undefined && !/^(fault report|stack of thread)/.test(p.title)) p.heading = `## ${p.title}`;
    p.intro = p.intro.map(scrub);
    p.body = p.body.map(scrub);
  }
  const head = [title, '', ...intro.map(scrub), '', ...facts(ex, o).map(scrub), ''];
  const tail = (o.redactionNotes ?? []).length > 0 ? ['---', '', ...(o.redactionNotes ?? []).map((n) => `<sub>${mdText(scrub(n))}</sub>`), ''] : [];
  const cutNote = (): string[] => {
    const cut = parts.filter((p) => p.cut > 0);
    if (cut.length === 0) return [];
    const what = cut.map((p) => `${p.title.toLowerCase()} (${p.cut} line${p.cut === 1 ? '' : 's'})`).join(', ');
    return [`> **Shortened to stay under ${Math.round(budget / 1024)} KB:** cut ${mdText(what)}. The attached snapshot holds everything.`, ''];
  };
  const render = () => [...head, ...cutNote(), ...parts.flatMap(renderPart), ...tail].join('\n').replace(/\n+$/, '\n');
  fit(parts, render, budget - 400);
  const cuts = parts.filter((p) => p.cut > 0).map((p) => `${p.title}: ${p.cut} lines`);
  return { markdown: render(), cuts };
}

/**
 * The text a reader sees in rendered Markdown, near enough to search for secrets: Markdown
 * backslash escapes and the HTML entities {@link mdText} writes are undone.
 */
export function unescapeMarkdown(md: string): string {
  return md.replace(/\\([\\`*_[\]|#~])/g, '$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
