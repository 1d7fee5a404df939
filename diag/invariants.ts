/**
 * Invariants, as DESIGN.md says: BUG_ON(cond, msg) panics with a snapshot; CHECK_IF(cond, msg)
 * records a warning with a stack once per site, counts later hits, and lets the proxy go on.
 *
 * A panic builds a FaultRecord and hands it to the panic handler. In a worker thread the handler
 * (installed by proxy/worker) stores the record in shared memory for the supervisor and ends the
 * thread; elsewhere (the CLI, unit tests) the default handler throws a PanicError.
 */
import type { FaultKind, FaultRecord, FaultContext, RawFrame } from './fault.types.ts';
import { captureFrames } from './frames.ts';

/** Thrown by the default panic handler; carries the fault so callers and tests can inspect it. */
export class PanicError extends Error {
  readonly fault: FaultRecord;
  constructor(fault: FaultRecord) {
    super(fault.message);
    this.name = 'PanicError';
    this.fault = fault;
  }
}

type PanicHandler = (fault: FaultRecord) => never;

let handler: PanicHandler = (fault) => {
  throw new PanicError(fault);
};
let thread = 0;
const current: FaultContext = { connId: 0, streamId: 0 };

/** Installs the function that receives every panic. It must not return (exit the thread or throw). */
export function setPanicHandler(h: PanicHandler, threadNumber: number): void {
  handler = h;
  thread = threadNumber;
}

let mirror: Float64Array | undefined;
let mirrorAt = 0;

/**
 * Also writes the current connection/stream ids into shared memory (`f64[at]`, `f64[at + 1]`), so
 * the supervisor can name them when this thread stalls or runs out of memory.
 */
export function mirrorCurrentObject(f64: Float64Array, at: number): void {
  mirror = f64;
  mirrorAt = at;
}

/** Notes which connection/stream this thread is handling, so a fault can name it. 0 clears. */
export function setCurrentObject(connId: number, streamId: number): void {
  current.connId = connId;
  current.streamId = streamId;
  if (mirror !== undefined) {
    mirror[mirrorAt] = connId;
    mirror[mirrorAt + 1] = streamId;
  }
}

/** Returns the connection/stream this thread is handling now. */
export function currentObject(): Readonly<FaultContext> {
  return current;
}

/**
 * Raises a fault of `kind` with `message`, capturing the caller's call chain (skipping `skip`
 * frames of helpers). Never returns.
 */
export function panic(
  kind: FaultKind,
  message: string,
  opts: { report?: string; skip?: number; frames?: RawFrame[]; details?: FaultContext['details'] } = {},
): never {
  const fault: FaultRecord = {
    kind,
    message,
    report: opts.report,
    thread,
    time: Date.now(),
    frames: opts.frames ?? captureFrames((opts.skip ?? 0) + 1),
    context: { connId: current.connId, streamId: current.streamId, details: opts.details },
  };
  return handler(fault);
}

/** Panics with a snapshot when `cond` is true. `msg` says what broke; the caller's frame is #0. */
export function BUG_ON(cond: boolean, msg: string): void {
  if (cond) panic('bug', `BUG_ON: ${msg}`, { skip: 1 });
}

/** What CHECK_IF remembers of each site that fired. */
export interface CheckHit {
  site: string;
  message: string;
  count: number;
  firstTime: number;
  frames: RawFrame[];
}

const checks = new Map<string, CheckHit>();
type CheckListener = (hit: CheckHit, first: boolean) => void;
let checkListener: CheckListener | undefined;

/** Registers the function told of each CHECK_IF hit (the worker routes it to traces and stderr). */
export function onCheck(l: CheckListener | undefined): void {
  checkListener = l;
}

/**
 * When `cond` is true, records a warning with the call chain the first time this site fires and
 * counts every later hit. Returns `cond` so it can guard a recovery path: `if (CHECK_IF(...)) return`.
 */
export function CHECK_IF(cond: boolean, msg: string): boolean {
  if (!cond) return false;
  const frames = captureFrames(1, 16);
  const f = frames[0];
  const site = f ? `${f.file}:${f.line}` : msg;
  let hit = checks.get(site);
  const first = hit === undefined;
  if (!hit) {
    hit = { site, message: msg, count: 0, firstTime: Date.now(), frames };
    checks.set(site, hit);
  }
  hit.count++;
  checkListener?.(hit, first);
  return true;
}

/** All CHECK_IF sites that fired in this thread, for `show info`-style reports and snapshots. */
export function checkHits(): CheckHit[] {
  return [...checks.values()];
}
