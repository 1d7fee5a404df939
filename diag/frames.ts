/**
 * Raw call-chain capture. Uses V8's structured call sites so the frames are the real JavaScript
 * positions whatever stack formatter (source-map-support, --enable-source-maps) is installed;
 * mapping back to TypeScript is the decoder's job (diag/symbolicate.ts), driven by the build id.
 */
import type { RawFrame } from './fault.types.ts';

interface CallSiteLike {
  getFunctionName(): string | null;
  getMethodName(): string | null;
  getTypeName(): string | null;
  getFileName(): string | undefined | null;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}

function toRaw(cs: CallSiteLike): RawFrame {
  let fn = cs.getFunctionName() ?? '';
  if (!fn) {
    const m = cs.getMethodName();
    const t = cs.getTypeName();
    if (m) fn = t ? `${t}.${m}` : m;
  }
  return { fn, file: cs.getFileName() ?? '', line: cs.getLineNumber() ?? 0, col: cs.getColumnNumber() ?? 0 };
}

/**
 * Returns the current call chain, innermost first, skipping `skip` frames above the caller
 * (0 = the function that called captureFrames is frame #0). At most `limit` frames.
 */
export function captureFrames(skip = 0, limit = 64): RawFrame[] {
  return withCallSites(limit + skip, () => {
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, captureFrames); // frames above captureFrames only
    return holder.stack;
  }).slice(skip, skip + limit);
}

/**
 * Returns the one frame that called `fn` (which must be on the stack), or undefined. Only that
 * frame is materialised, so it is the cheapest capture V8 offers (still ~1 us: use sparingly).
 */
export function frameAbove(fn: Function): RawFrame | undefined {
  return withCallSites(1, () => {
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, fn);
    return holder.stack;
  })[0];
}

/**
 * Returns the raw frames of an existing error (where it was constructed), innermost first. If the
 * error's stack was already formatted (someone read `err.stack`), the text is parsed instead.
 */
export function framesOf(err: Error, limit = 64): RawFrame[] {
  const frames = withCallSites(limit, () => err.stack);
  return frames.length > 0 ? frames.slice(0, limit) : parseStack(String(err.stack ?? '')).slice(0, limit);
}

/** Runs `read` with V8's prepareStackTrace hook returning structured call sites. */
function withCallSites(limit: number, read: () => unknown): RawFrame[] {
  const E = Error as unknown as {
    prepareStackTrace?: (e: Error, cs: CallSiteLike[]) => unknown;
    stackTraceLimit: number;
  };
  const prev = E.prepareStackTrace;
  const prevLimit = E.stackTraceLimit;
  try {
    E.stackTraceLimit = limit;
    E.prepareStackTrace = (_e, cs) => cs;
    const s = read();
    return Array.isArray(s) ? (s as CallSiteLike[]).map(toRaw) : [];
  } finally {
    E.prepareStackTrace = prev;
    E.stackTraceLimit = prevLimit;
  }
}

const FRAME_RE = /^\s*at (?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/;

/** Parses a formatted V8 stack ("    at fn (file:line:col)") into raw frames; unparsable lines are skipped. */
export function parseStack(stack: string): RawFrame[] {
  const out: RawFrame[] = [];
  for (const line of stack.split('\n')) {
    const m = FRAME_RE.exec(line);
    if (!m) continue;
    out.push({ fn: m[1] ?? '', file: m[2], line: Number(m[3]), col: Number(m[4]) });
  }
  return out;
}
