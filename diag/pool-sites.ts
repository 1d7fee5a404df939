/**
 * Call sites of pool alloc()/free(), interned as small integers so an item's tag can name where it
 * was allocated and last freed for the price of an integer store (HAProxy keeps the caller's
 * address in the item with -dMcaller; here the tag holds a site id).
 *
 * Two ways in: declarePoolSite() at module load (cheap, names `fn (file)`), and, with `-dMcaller` or
 * `-dMintegrity`, the exact frame above alloc()/free() (slow: one captured frame per call). This
 * module owns the site table; ids are never reused or forgotten (resetPools keeps them, since
 * declared ids are module-level constants of their callers).
 */
import { captureFrames, frameAbove } from './frames.ts';
import { projectPosition } from './paths.ts';
import type { RawFrame } from './fault.types.ts';

const siteTexts: string[] = [];
const siteIds = new Map<string, number>();

/**
 * Display text of a captured frame: "function (file.ts:line)", the position mapped back to the
 * project's TypeScript source; "unknown" without a frame.
 */
export function frameText(f: RawFrame | undefined): string {
  if (!f) return 'unknown';
  const pos = projectPosition(f.file, f.line, f.col || 1);
  return `${f.fn || '<anonymous>'} (${pos.file}:${pos.line})`;
}

/**
 * Declares a call site of `alloc`/`free` once, at module load: `fn` is the calling function's name
 * and the declaring file is captured here. Passing the returned id to `alloc(owner, site)` /
 * `free(item, site)` records the site in the item's tag for the price of an integer store, so a
 * report names where the item was allocated and last freed without `-dMcaller`. Reports show it
 * as `fn (file)`: the line is the call's, which only `-dMcaller` (slow, exact) captures.
 */
export function declarePoolSite(fn: string): number {
  const f = captureFrames(1, 1)[0];
  const file = f ? projectPosition(f.file, f.line, f.col || 1).file : 'unknown';
  const text = `${fn} (${file})`;
  let id = siteIds.get(text);
  if (id === undefined) {
    id = siteTexts.length;
    siteTexts.push(text);
    siteIds.set(text, id);
  }
  return id;
}

/**
 * Interns a frame as a site; returns its id. Keyed by the raw position, so the source-map lookup
 * that makes the display text ("function (file.ts:line)") runs once per distinct site.
 */
function siteOf(f: RawFrame | undefined): number {
  const key = f ? `${f.fn}\0${f.file}\0${f.line}\0${f.col}` : '';
  let id = siteIds.get(key);
  if (id === undefined) {
    id = siteTexts.length;
    siteTexts.push(frameText(f));
    siteIds.set(key, id);
  }
  return id;
}

/**
 * Site id of the caller of `fn` (which must be on the stack): one frame, captured with
 * Error.captureStackTrace so nothing but that frame is materialised (~1 us). Used with
 * `caller`/`integrity`.
 */
export function siteAbove(fn: Function): number {
  return siteOf(frameAbove(fn));
}

/** Display text of site `id`, or undefined for -1 (no site recorded) or an unknown id. */
export function siteText(id: number): string | undefined {
  return id >= 0 ? siteTexts[id] : undefined;
}
