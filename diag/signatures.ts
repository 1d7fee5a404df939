/**
 * Known-issue signatures: matches a decoded snapshot against the catalogue of known crash classes
 * (diag/signatures-catalogue.ts) and computes the crash's fingerprint.
 *
 * - The matcher scores each signature whose fault kinds include the snapshot's: the kind counts one
 *   point, each piece of evidence found (a top in-app frame by function name, the message, a
 *   detail of the fault, the kind of the object being handled, a pool's figures, a trace event)
 *   counts its weight. Confidence is the points found over the points looked for; a signature
 *   matches when all its `required` evidence holds and the confidence is at least 0.5 (`medium`;
 *   `high` from 0.8). Matches are ranked by points found, so a specific signature (more evidence)
 *   wins over a generic one that also fits.
 * - The fingerprint is the first 10 hex digits of the SHA-256 of canonical inputs: the fault kind,
 *   the pool inconsistency kind and the declared pool names with their allocation (and, for a
 *   double free or a write after free, free) site functions, the error type of an uncaught error,
 *   and the names of the top 3 named in-app frames. No line, column, path, id, address or time
 *   enters it, so two crashes of one bug get the same fingerprint across builds and line changes.
 */
import { createHash } from 'node:crypto';
import type { RawFrame } from './fault.types.ts';
import type { LiveObject } from './lifecycle.types.ts';
import type { PoolsView } from './pool.types.ts';
import type { DecodedSnapshot } from './snapshot/model.types.ts';
import { SIGNATURES } from './signatures-catalogue.ts';
import type { Evidence, FnPattern, KnownIssueResult, Signature, SignatureMatch, SignatureSubject, SubjectFrame } from './signatures.types.ts';

export { SIGNATURES } from './signatures-catalogue.ts';

/** Confidence from which a signature is reported as a match (`medium`). */
export const MATCH_THRESHOLD = 0.5;
/** Confidence from which a match is `high`. */
export const HIGH_THRESHOLD = 0.8;
/** How many named in-app frames enter the fingerprint. */
export const FINGERPRINT_FRAMES = 3;
/** Length of a fingerprint, hex digits. */
export const FINGERPRINT_LENGTH = 10;

/**
 * A function name as signatures and fingerprints use it: V8's `Class.method` becomes `method`,
 * `async `/`new `/`get `/`set ` prefixes go, and `<anonymous>` becomes `''`.
 */
export function normaliseFn(fn: string): string {
  let s = fn.trim().replace(/^(async|new|get|set)\s+/, '');
  const dot = s.lastIndexOf('.');
  if (dot >= 0) s = s.slice(dot + 1);
  s = s.replace(/^\[(.*)\]$/, '$1');
  return s === '<anonymous>' || s === 'anonymous' ? '' : s;
}

/** True for a frame of the recorder itself (diag/*.ts or dist/diag/*.js: panic, BUG_ON, pool free checks), not of the code that faulted. */
export function isRecorderFrame(file: string): boolean {
  return /(?:^|\/)diag\/[^/]+\.[cm]?[jt]s$/.test(file) && !/(?:^|\/)test\/diag\//.test(file);
}

/** In-app guess for an unmapped raw frame: a script of ours, not `node:` internals, native code or node_modules. */
function rawInApp(f: RawFrame): boolean {
  return f.file !== '' && !f.file.startsWith('node:') && !/[\\/]node_modules[\\/]/.test(f.file) && f.file !== 'native';
}

/** A frame as the matcher reads it: a mapped frame (explain.ts) or a raw one. */
export interface FrameLike {
  fn: string;
  file: string;
  inApp?: boolean;
  raw?: RawFrame;
}

/** The call chain as the matcher sees it: normalised names, recorder frames left out. */
export function subjectFrames(frames: readonly FrameLike[]): SubjectFrame[] {
  return frames
    .filter((f) => !isRecorderFrame(f.file) && !isRecorderFrame(f.raw?.file ?? ''))
    .map((f) => ({
      // V8's name (raw) is stable whether or not source maps were found; the mapped one is a fallback.
      fn: normaliseFn(f.raw?.fn || f.fn),
      file: f.file,
      inApp: f.inApp ?? rawInApp(f.raw ?? { fn: f.fn, file: f.file, line: 0, col: 0 }),
    }));
}

/** The object the fault names (stream first, else connection), from the live table. */
function contextObject(d: DecodedSnapshot): LiveObject | undefined {
  const ctx = d.fault?.context;
  if (!ctx) return undefined;
  const byId = (id: number) => (id ? d.live.find((o) => o.id === id) : undefined);
  return byId(ctx.streamId) ?? byId(ctx.connId);
}

/** Source and event names of the records about the object being handled, or of the faulting thread when it names none. */
function subjectEvents(d: DecodedSnapshot, obj: LiveObject | undefined): { source: string; event: string }[] {
  const ctx = d.fault?.context;
  const ids = new Set<number>([ctx?.connId ?? 0, ctx?.streamId ?? 0, obj?.id ?? 0, obj?.parentId ?? 0].filter((x) => x !== 0));
  const thread = d.fault?.thread ?? 0;
  const out: { source: string; event: string }[] = [];
  for (const ring of d.rings) {
    for (const r of ring.records) {
      const mine = ids.size > 0 ? ids.has(r.connId) || ids.has(r.streamId) : r.thread === thread;
      if (!mine) continue;
      const p = d.points.get(r.thread)?.[r.point];
      if (p) out.push({ source: p.source, event: p.event });
    }
  }
  return out;
}

/**
 * The facts of a decoded snapshot a signature is matched against. `frames` are the call chain as
 * explain.ts mapped it (with in-app flags); without them the raw frames are used with an in-app guess.
 */
export function subjectOf(d: DecodedSnapshot, frames?: readonly FrameLike[]): SignatureSubject {
  const f = d.fault;
  const details = f?.context.details ?? {};
  const obj = contextObject(d);
  const s: SignatureSubject = {
    kind: f?.kind ?? d.meta?.reason ?? 'unknown',
    message: f?.message ?? '',
    frames: subjectFrames(frames ?? (f?.frames ?? []).map((r) => ({ fn: r.fn, file: r.file, raw: r }))),
    details,
    pools: d.pools,
    events: subjectEvents(d, obj),
  };
  if (f?.report !== undefined) s.report = f.report;
  if (obj) s.objectKind = obj.kind;
  if (typeof details.pool === 'string') s.offendingPool = details.pool;
  return s;
}

function fnMatches(p: FnPattern, fn: string): boolean {
  return typeof p === 'string' ? p === fn : p.test(fn);
}

function poolHolds(pools: readonly PoolsView[], e: Extract<Evidence, { type: 'pool' }>, offending: string | undefined): boolean {
  return pools.some((v) =>
    v.pools.some((p) => {
      const names = [p.name, ...p.userNames];
      if (!names.some((n) => e.name.test(n))) return false;
      if (e.failures && !(p.failures > 0)) return false;
      if (e.offending && !(offending !== undefined && names.includes(offending))) return false;
      return true;
    }),
  );
}

/** Whether one piece of evidence holds for the subject. */
export function evidenceHolds(e: Evidence, s: SignatureSubject): boolean {
  switch (e.type) {
    case 'frame': {
      const top = s.frames.filter((f) => f.inApp).slice(0, e.within ?? 4);
      return top.some((f) => f.fn !== '' && e.fns.some((p) => fnMatches(p, f.fn)));
    }
    case 'message':
      return e.pattern.test(s.message) || (s.report !== undefined && e.pattern.test(s.report));
    case 'detail': {
      const v = s.details[e.key];
      return v !== undefined && v !== '' && (e.pattern === undefined || e.pattern.test(String(v)));
    }
    case 'object':
      return s.objectKind !== undefined && e.kinds.includes(s.objectKind);
    case 'pool':
      return poolHolds(s.pools, e, s.offendingPool);
    case 'event':
      return s.events.some((x) => x.source === e.source && (e.event === undefined || e.event.test(x.event)));
  }
}

/** Scores one signature; undefined when the kind or a required piece of evidence rules it out, or the confidence is under the threshold. */
export function scoreSignature(sig: Signature, s: SignatureSubject): SignatureMatch | undefined {
  if (!sig.kinds.includes(s.kind)) return undefined;
  let score = 1;
  let total = 1;
  const matched = [`fault kind ${s.kind}`];
  const missing: string[] = [];
  for (const e of sig.evidence) {
    total += e.weight;
    if (evidenceHolds(e, s)) {
      score += e.weight;
      matched.push(e.label);
    } else {
      if (e.required) return undefined;
      missing.push(e.label);
    }
  }
  const confidence = Math.round((score / total) * 100) / 100;
  if (confidence < MATCH_THRESHOLD) return undefined;
  return { signature: sig, confidence, level: confidence >= HIGH_THRESHOLD ? 'high' : 'medium', matched, missing, score };
}

/** Every signature of `catalogue` that fits, best first: most evidence found, then highest confidence, then catalogue order. */
export function matchSignatures(s: SignatureSubject, catalogue: readonly Signature[] = SIGNATURES): SignatureMatch[] {
  return catalogue
    .map((sig, i) => ({ m: scoreSignature(sig, s), i }))
    .filter((x): x is { m: SignatureMatch; i: number } => x.m !== undefined)
    .sort((a, b) => b.m.score - a.m.score || b.m.confidence - a.m.confidence || a.i - b.i)
    .map((x) => x.m);
}

/** The function of a pool site text (`serveH1 (proxy/h1/conn.ts)` gives `serveH1`). */
function siteFn(v: string | number | boolean | undefined): string {
  return typeof v === 'string' ? normaliseFn(v.replace(/\s*\(.*$/, '')) : '';
}

/** The canonical inputs of a crash's fingerprint, in order (see the module comment). */
export function fingerprintInputs(s: SignatureSubject): string[] {
  const out = [`kind=${s.kind}`];
  const d = s.details;
  if (s.kind === 'pool' && typeof d.kind === 'string') {
    out.push(`pool-problem=${d.kind}`);
    // Declared names, not the underlying (merged) pool: merging depends on -dM options, not on the bug.
    const into = d.freedInto ?? d.declaredPool ?? d.pool;
    if (into !== undefined) out.push(`pool=${String(into)}`);
    if (d.itemPool !== undefined) out.push(`item-pool=${String(d.itemPool)}`);
    const alloc = siteFn(d.allocSite);
    if (alloc) out.push(`alloc-site=${alloc}`);
    // The last free of a slot is part of the bug only for a double free or a write after free.
    const free = d.kind === 'double-free' || d.kind === 'integrity' ? siteFn(d.freeSite) : '';
    if (free) out.push(`free-site=${free}`);
  }
  if (s.kind === 'uncaught') {
    const m = /^(\w*(?:Error|Exception))\b/.exec(s.message);
    if (m) out.push(`error=${m[1]}`);
  }
  const fns = s.frames.filter((f) => f.inApp && f.fn !== '').slice(0, FINGERPRINT_FRAMES);
  for (const f of fns) out.push(`fn=${f.fn}`);
  return out;
}

/** Hashes fingerprint inputs: the first FINGERPRINT_LENGTH hex digits of their SHA-256. */
export function fingerprintOf(inputs: readonly string[]): string {
  return createHash('sha256').update(inputs.join('\n')).digest('hex').slice(0, FINGERPRINT_LENGTH);
}

/** Matches a subject against the catalogue and fingerprints it. */
export function knownIssueOfSubject(s: SignatureSubject, catalogue: readonly Signature[] = SIGNATURES): KnownIssueResult {
  const matches = matchSignatures(s, catalogue);
  const inputs = fingerprintInputs(s);
  const r: KnownIssueResult = { matches, fingerprint: fingerprintOf(inputs), fingerprintInputs: inputs };
  if (matches[0]) r.best = matches[0];
  return r;
}

/**
 * The known issue of a decoded snapshot: the best fitting signature (if any), every fitting one and
 * the fingerprint. `frames`: the mapped call chain when the caller has it (explain.ts).
 */
export function matchKnownIssue(d: DecodedSnapshot, frames?: readonly FrameLike[], catalogue: readonly Signature[] = SIGNATURES): KnownIssueResult {
  return knownIssueOfSubject(subjectOf(d, frames), catalogue);
}

/** One line naming a match: `stksess-kill-race (seed 5): Stick-table entry ... (confidence 0.86, high)`. */
export function matchLine(m: SignatureMatch): string {
  const seed = m.signature.seed !== undefined ? ` (seed crash ${m.signature.seed})` : '';
  return `${m.signature.id}${seed}: ${m.signature.title} (confidence ${m.confidence.toFixed(2)}, ${m.level})`;
}

/**
 * The text block `flightbox decode` (and the report, the TUI) print for a result: the fingerprint,
 * then the best match with what happened, why, what to check and the fix, the evidence found and
 * missing, and the other fitting signatures; or `no known issue matches`.
 */
export function renderKnownIssue(r: KnownIssueResult): string[] {
  const lines = [`Fingerprint: ${r.fingerprint} (${r.fingerprintInputs.join(', ')})`];
  const b = r.best;
  if (!b) return [...lines, 'No known issue matches this snapshot.'];
  const s = b.signature;
  lines.push(`Match: ${matchLine(b)}`);
  if (s.haproxy) lines.push(`  HAProxy: ${s.haproxy}`);
  lines.push(`  What happened: ${s.what}`, `  Why: ${s.why}`, '  Check:', ...s.check.map((c) => `    - ${c}`), `  Fix: ${s.fix}`);
  lines.push(`  Evidence found: ${b.matched.join('; ')}`);
  if (b.missing.length > 0) lines.push(`  Not found: ${b.missing.join('; ')}`);
  for (const o of r.matches.slice(1)) lines.push(`Also fits: ${matchLine(o)}`);
  return lines;
}
