/**
 * Pool inconsistency reports, after HAProxy's pool_inspect_item() (src/pool.c): the
 * "FATAL: pool inconsistency detected in thread N: ..." text printed when free() meets an item of
 * another pool, a double free or a foreign item, or when `-dMintegrity` finds a free item written
 * to. Each report ends in panic('pool', ...) (diag/invariants.ts), which in a worker writes a
 * snapshot; the report text and its fields go into the fault record.
 *
 * Also the description of one item's tag that inspectPoolItem() returns. Cold path only: nothing
 * here runs unless a report or a description is asked for. Reads the pool's side tables; changes
 * nothing.
 */
import { panic } from './invariants.ts';
import { captureFrames } from './frames.ts';
import { ITEM_STATE, STATE_NAMES, type Backing } from './pool-backing.ts';
import { frameText, siteText } from './pool-sites.ts';
import type { RawFrame } from './fault.types.ts';
import type { Pool } from './pool.ts';
import type { PoolItemInfo, PoolOptions } from './pool.types.ts';

type Inconsistency = 'tag-mismatch' | 'double-free' | 'foreign' | 'integrity';
type Details = Record<string, string | number | boolean>;

/** The slot's tag as HAProxy prints it: declared pool id (low byte) << 24 | generation (24 bits). */
function tagValue(b: Backing, slot: number): string {
  return '0x' + ((((b.decl[slot] & 0xff) << 24) | (b.gen[slot] & 0xffffff)) >>> 0).toString(16).padStart(8, '0');
}

/** Everything known about the item in `slot` of `b` (a live slot: the caller checked). */
export function describePoolItem(b: Backing, slot: number): PoolItemInfo {
  return {
    address: b.address(slot),
    pool: b.name,
    declaredPool: b.declaredName(slot),
    state: STATE_NAMES[b.state[slot]],
    owner: b.owner[slot],
    generation: b.gen[slot],
    tag: tagValue(b, slot),
    allocSite: siteText(b.allocSite[slot]),
    freeSite: siteText(b.freeSite[slot]),
  };
}

function poolLine(b: Backing): string {
  return `'${b.name}' (size ${b.size}, real ${b.realSize}, users ${b.users.length})`;
}

function tagLines(b: Backing, slot: number, out: string[], o: Readonly<PoolOptions>): void {
  const decl = b.declaredName(slot);
  const where = decl === b.name ? `'${b.name}'` : `'${decl}' (merged into '${b.name}')`;
  out.push(`  tag: pool ${where}, owner ${b.owner[slot]}, generation ${b.gen[slot]}, ${STATE_NAMES[b.state[slot]]}`);
  const sitesKnown = o.caller || o.integrity; // free sites are recorded with either
  out.push(`  allocated by: ${siteText(b.allocSite[slot]) ?? (o.caller ? 'unknown' : 'not recorded (no site given to alloc(); -dMcaller records every call)')}`);
  const freed = siteText(b.freeSite[slot]);
  out.push(`  last freed by: ${freed ?? (sitesKnown ? 'never freed since recording started' : 'not recorded (never freed, or no site given to free(); -dMcaller records every call)')}`);
}

/** The slot's tag fields for the fault record's details. */
function tagDetails(b: Backing, slot: number): Details {
  return {
    tag: tagValue(b, slot),
    owner: b.owner[slot],
    generation: b.gen[slot],
    state: STATE_NAMES[b.state[slot]],
    allocSite: siteText(b.allocSite[slot]) ?? '',
    freeSite: siteText(b.freeSite[slot]) ?? '',
  };
}

function describeForeign(item: unknown): string {
  if (ArrayBuffer.isView(item)) return `${item.constructor.name}(${(item as Uint8Array).length})`;
  if (typeof item === 'object' && item !== null) return `[${item.constructor?.name ?? 'object'}]`;
  return `${typeof item} ${String(item)}`;
}

/**
 * True when `item` is an earlier occupant of `slot`, handed out before the slot was released: an
 * object that still carries the slot's tag, or a view into a slab since dropped. A view the caller
 * made itself over a live slab (a subarray, a copy of the view) is not: it was never allocated.
 */
function isStale(b: Backing, slot: number, item: unknown): boolean {
  if (!b.isBuffer) return true;
  const v = item as Uint8Array;
  return v.length === b.size && v.buffer !== b.slabs[(slot / b.perSlab) | 0];
}

function raise(kind: Inconsistency, msg: string, lines: string[], frames: RawFrame[], details: Details, o: Readonly<PoolOptions>): never {
  const first = `FATAL: pool inconsistency detected in thread ${o.thread}: ${msg}.`;
  const report = [first, `  caller: ${frameText(frames[0])}`, ...lines].join('\n') + '\n';
  return panic('pool', first, { report, frames, details: { kind, caller: frameText(frames[0]), ...details } });
}

/**
 * Reports a free() of `item` into `pool` that failed the tag check, and panics. `ib` and `slot` are
 * where the item's tag was found (`ib` undefined when it carries none), `known` whether that slot
 * really holds this item, `frames` the call chain from free()'s caller (frame #0). Tells apart a
 * free into the wrong pool (naming the pool the item came from, merged or not), a double free
 * (including of an item whose slot was since released or reused) and a foreign item.
 */
export function reportBadFree(
  pool: Pool<unknown>,
  item: unknown,
  ib: Backing | undefined,
  slot: number,
  known: boolean,
  frames: RawFrame[],
  o: Readonly<PoolOptions>,
): never {
  const b = pool.b as Backing;
  const lines: string[] = [];
  const details: Details = { pool: b.name, freedInto: pool.name };
  const mergedLine = () => {
    if (pool.name !== b.name) lines.push(`  freed into: '${pool.name}' (merged into '${b.name}')`);
  };
  if (known && ib) {
    const itemPool = ib.declaredName(slot);
    lines.push(`  item: ${ib.address(slot)} (tag: ${tagValue(ib, slot)})`, `  pool: ${poolLine(b)}`);
    mergedLine();
    const double = ib.state[slot] !== ITEM_STATE.ALLOCATED;
    if (double) {
      lines.push(`The item is already free (it came from pool '${itemPool}'): this is a double free.`);
    } else {
      const origin = itemPool === ib.name ? `'${itemPool}'` : `'${itemPool}' (merged into '${ib.name}')`;
      lines.push(`Tag does not match: the item comes from pool ${origin}, not from '${pool.name}'.`);
    }
    tagLines(ib, slot, lines, o);
    Object.assign(details, { item: ib.address(slot), itemPool, itemUnderlyingPool: ib.name, ...tagDetails(ib, slot) });
    const msg = double ? 'tag mismatch on free() (double free)' : 'tag mismatch on free()';
    return raise(double ? 'double-free' : 'tag-mismatch', msg, lines, frames, details, o);
  }
  if (ib !== undefined && !ib.dead && isStale(ib, slot, item)) {
    lines.push(`  item: ${ib.address(slot)} (tag: stale)`, `  pool: ${poolLine(b)}`);
    mergedLine();
    lines.push(
      `This item was freed before and its memory released${ib.state[slot] === ITEM_STATE.ALLOCATED ? ' then reused' : ''}: this is a double free (use after free).`,
      `Its slot now holds generation ${ib.gen[slot]}:`,
    );
    tagLines(ib, slot, lines, o);
    Object.assign(details, { item: ib.address(slot), itemPool: ib.declaredName(slot), state: 'released' });
    return raise('double-free', 'tag mismatch on free() (double free)', lines, frames, details, o);
  }
  lines.push(`  item: ${describeForeign(item)} (tag: none)`, `  pool: ${poolLine(b)}`);
  mergedLine();
  lines.push(
    ib?.dead
      ? 'Tag does not match any pool: the item was allocated before the pools were reconfigured.'
      : 'Tag does not match any pool: this item was never allocated from a pool.',
  );
  details.item = describeForeign(item);
  return raise('foreign', 'tag mismatch on free() (foreign item)', lines, frames, details, o);
}

/**
 * Reports a free item of `b` (allocated through `p`) found changed after free by `-dMintegrity`,
 * and panics. `what` is the sentence saying what changed; `offset` the first differing byte (-1
 * for objects); `extra` more detail fields. Called from checkIntegrity(), itself called from
 * alloc(): frame #0 of the report is alloc()'s caller.
 */
export function integrityFailure(
  p: Pool<unknown>,
  b: Backing,
  slot: number,
  offset: number,
  what: string,
  extra: Record<string, string | number>,
  o: Readonly<PoolOptions>,
): never {
  const frames = captureFrames(3); // #0 integrityFailure, #1 checkIntegrity, #2 alloc, #3 its caller
  const lines = [`  item: ${b.address(slot)} (tag: ${tagValue(b, slot)})`, `  pool: ${poolLine(b)}`];
  if (p.name !== b.name) lines.push(`  allocated from: '${p.name}' (merged into '${b.name}')`);
  lines.push(what);
  tagLines(b, slot, lines, o);
  return raise('integrity', 'cache corruption detected', lines, frames, {
    pool: b.name,
    declaredPool: p.name,
    item: b.address(slot),
    ...tagDetails(b, slot),
    offset,
    ...extra,
  }, o);
}
