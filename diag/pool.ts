/**
 * Tagged memory pools, after HAProxy's (src/pool.c, include/haproxy/pool.h; DESIGN.md "Pools").
 *
 * A subsystem declares its pool once, at module load: I/O buffers of `tune.bufsize` bytes, or
 * long-lived objects (connection, stream, appctx, stick-table entry, ...). alloc() hands out an item
 * (or null: allocation failure is an ordinary outcome, counted in `failures`), free() takes it back
 * onto the pool's free list for reuse.
 *
 * Every item carries a tag: the pool it came from, its owner id, a generation bumped on each
 * allocation, and, with `-dMcaller`, where it was last allocated and freed. Tags live off the item:
 * buffers are views into slabs and are found through a side table indexed by slot; objects carry a
 * hidden symbol property naming their slot. With `tag` on (the default), free() catches an item
 * freed into the wrong pool, freed twice, or never allocated from a pool, prints HAProxy's
 * "FATAL: pool inconsistency detected ..." report and panics (which, in a worker, writes a snapshot).
 *
 * Like HAProxy, pools of equal size share one underlying pool unless `-dMno-merge`; `show pools`
 * then lists it under the first name with `users N`. The tag still names the declared pool, so a
 * report can say both the pool an item was freed into and the one it really came from (seed crash 5).
 *
 * Counters live in a buffer laid out by diag/pool-memory.ts; attachPoolMemory() moves them into a
 * SharedArrayBuffer the supervisor can read even after this thread died.
 *
 * Cost: alloc+free of a buffer is a few tens of ns with or without tags (no per-call allocation, no
 * stack capture). `caller` captures one stack frame per alloc and per free, and `integrity` one per
 * free plus a fill/verify of the item: microseconds, debugging only, as in HAProxy.
 *
 * This module owns every piece of mutable pool state (options in force and their hot-path copies,
 * the counter memory, the registry of declared and underlying pools) and runs the hot path over
 * module-local bindings only. Around it: pool-options.ts (defaults, checks, `-dM` parsing),
 * pool-backing.ts (the underlying pool and its side tables), pool-sites.ts (call-site interning),
 * pool-integrity.ts (`-dMintegrity` fill/verify) and pool-report.ts (inconsistency reports). The
 * public API stays here: import pools from diag/pool.ts.
 */
import { captureFrames } from './frames.ts';
import type { DashDMResult, PoolItemInfo, PoolKind, PoolOptions, PoolsView } from './pool.types.ts';
import {
  C,
  H,
  P,
  CALLER_REC_WORDS,
  CALLER_TEXT_BYTES,
  HEADER_WORDS,
  POOL_AVG_SAMPLES,
  attachedPoolMemory,
  callerRecord,
  callerTextOffset,
  initPoolMemory,
  onPoolMemoryAttach,
  poolMemoryBytes,
  poolRecord,
  readPoolMemory,
  writeOptions,
  writeText,
} from './pool-memory.ts';
import {
  DEFAULT_POOL_OPTIONS,
  checkPoolDeclaration,
  parseDashDMFrom,
  resolvePoolOptions,
  type BufferPoolOptions,
  type ObjectPoolOptions,
} from './pool-options.ts';
import { Backing, FreeList, ITEM_STATE } from './pool-backing.ts';
import { siteAbove, siteText } from './pool-sites.ts';
import { checkIntegrity, fillIntegrity } from './pool-integrity.ts';
import { describePoolItem, reportBadFree } from './pool-report.ts';

export { DEFAULT_POOL_OPTIONS } from './pool-options.ts';
export type { BufferPoolOptions, ObjectPoolOptions } from './pool-options.ts';
export { declarePoolSite } from './pool-sites.ts';

// ---------------------------------------------------------------------------------------------
// State: options in force, their hot-path copies, the registry

let opts: PoolOptions = { ...DEFAULT_POOL_OPTIONS };
// Hot-path copies of the options.
let tagOn = true;
let integrityOn = false;
let callerOn = false;
let freeSiteOn = false;
let failOn = false;
let failPercent = 0;
let poisonOn = false;
let poisonByte = 0x50;
let coldFirst = false;
let noCache = false;
let memLimit = 0;
let rngState = DEFAULT_POOL_OPTIONS.seed;

/** Bytes allocated across all pools (items that exist times their size), checked against `-m`. */
let totalBytes = 0;

// The registry (declared before the counter memory, which may be moved while this module loads).
/** Underlying pools, by index; replaced (the old ones marked dead) on each rebuild. */
let backings: Backing[] = [];
/** Declared pools, by id - 1. */
let declared: Pool<unknown>[] = [];
const declaredNames = new Set<string>();
/** Whether the underlying pools were built (configurePools, or lazily on first use). */
let finalized = false;

function applyOptions(o: PoolOptions): void {
  opts = o;
  tagOn = o.tag;
  integrityOn = o.integrity;
  callerOn = o.caller;
  freeSiteOn = o.caller || o.integrity;
  failOn = o.fail && o.failPercent > 0;
  failPercent = o.failPercent;
  poisonOn = o.poison;
  poisonByte = o.poisonByte & 0xff;
  coldFirst = o.coldFirst;
  noCache = o.noCache;
  memLimit = o.memLimitBytes;
  rngState = o.seed >>> 0 || 1;
}

/** xorshift32: fast, seedable; decides injected failures (HAProxy: statistical_prng_range(100)). */
function shouldFail(): boolean {
  let x = rngState;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rngState = x >>> 0;
  return (rngState / 4294967296) * 100 < failPercent; // fractional percentages (tune.fail-alloc 0.5)
}

// ---------------------------------------------------------------------------------------------
// Counter memory (local ArrayBuffer, or the SharedArrayBuffer attached by the worker)

let memBuf: ArrayBufferLike;
let M: Uint32Array;
let M8: Uint8Array;
let maxPools = 0;
let maxCallers = 0;
let memShared = false;

function setMemory(buf: ArrayBufferLike, shared: boolean): void {
  memBuf = buf;
  M = new Uint32Array(buf);
  M8 = new Uint8Array(buf);
  maxPools = M[H.MAX_POOLS];
  maxCallers = M[H.MAX_CALLERS];
  memShared = shared;
}

function newLocalMemory(pools: number, callers: number): ArrayBuffer {
  const buf = new ArrayBuffer(poolMemoryBytes(pools, callers));
  initPoolMemory(buf, pools, callers);
  return buf;
}

/** Copies options, pool records and caller records from the current memory into `to`. */
function moveMemory(to: ArrayBufferLike, shared: boolean): void {
  const dst = new Uint32Array(to);
  const dstPools = dst[H.MAX_POOLS];
  const dstCallers = dst[H.MAX_CALLERS];
  if (backings.length > dstPools) {
    throw new Error(
      `pool memory holds ${dstPools} pools but ${backings.length} are in use; create it with createPoolMemory(${backings.length * 2})`,
    );
  }
  const nCallers = Math.min(M[H.CALLER_COUNT], dstCallers);
  dst.set(M.subarray(HEADER_WORDS, poolRecord(backings.length)), HEADER_WORDS);
  for (let i = 0; i < nCallers; i++) {
    const from = callerRecord(maxPools, i);
    dst.set(M.subarray(from, from + CALLER_REC_WORDS), callerRecord(dstPools, i));
  }
  writeOptions(dst, opts);
  Atomics.store(dst, H.CALLER_COUNT, nCallers);
  Atomics.store(dst, H.POOL_COUNT, backings.length);
  setMemory(to, shared);
}

setMemory(newLocalMemory(256, 512), false);
onPoolMemoryAttach((sab) => moveMemory(sab ?? newLocalMemory(Math.max(256, maxPools), Math.max(512, maxCallers)), sab !== undefined));
{
  const sab = attachedPoolMemory();
  if (sab) moveMemory(sab, true);
}

// ---------------------------------------------------------------------------------------------
// Per-caller accounting (`caller`)

/** Per (declared pool, site) caller record index. */
const callerIndex = new Map<number, number>();

function bumpCaller(p: Pool<unknown>, b: Backing, site: number, field: number): void {
  const key = p.id * 0x100000 + site;
  let i = callerIndex.get(key);
  if (i === undefined) {
    i = M[H.CALLER_COUNT];
    if (i >= maxCallers) {
      if (memShared) return; // bounded table: further callers are not counted
      moveMemory(newLocalMemory(maxPools, Math.max(16, maxCallers * 2)), false);
    }
    const r = callerRecord(maxPools, i);
    M[r + C.POOL] = b.index;
    M[r + C.USER] = p.ordinal;
    M[r + C.ALLOCS] = 0;
    M[r + C.FREES] = 0;
    const len = writeText(M8, callerTextOffset(maxPools, i), CALLER_TEXT_BYTES, siteText(site) ?? 'unknown');
    Atomics.store(M, r + C.TEXT_LEN, len);
    Atomics.store(M, H.CALLER_COUNT, i + 1);
    callerIndex.set(key, i);
  }
  M[callerRecord(maxPools, i) + field]++;
}

// ---------------------------------------------------------------------------------------------
// Registry of declared and underlying pools

function newBacking(p: Pool<unknown>, size: number): Backing {
  const index = backings.length;
  if (index >= maxPools) {
    if (memShared) {
      throw new Error(
        `pool '${p.name}': the shared pool memory holds at most ${maxPools} pools; create it with a larger createPoolMemory(maxPools)`,
      );
    }
    moveMemory(newLocalMemory(maxPools * 2, maxCallers), false);
  }
  const extra = (tagOn ? 8 : 0) + (callerOn ? 8 : 0); // HAProxy POOL_EXTRA_MARK + POOL_EXTRA_CALLER
  const b = new Backing(index, p.name, p.kind, size, size + extra, p.shared);
  b.initRecord(M);
  backings.push(b);
  return b;
}

/** Binds a declared pool to an underlying pool, merging like HAProxy's create_pool(). */
function bindDeclared(p: Pool<unknown>): void {
  // Buffers keep their exact size (MEM_F_EXACT); objects round up to 8 with tags, else 16.
  const align = tagOn ? 8 : 16;
  const size = p.kind === 'buffer' ? p.size : Math.ceil(p.size / align) * align;
  let b: Backing | undefined;
  if (p.shared) {
    b = backings.find((x) => x.kind === p.kind && x.size === size && x.shared && (!opts.noMerge || x.name === p.name));
  }
  const fresh = b === undefined;
  if (!b) b = newBacking(p, size);
  p.b = b;
  p.ordinal = b.users.length;
  b.users.push(p);
  if (b.isBuffer && b.freeLists.length > 0) {
    p.fl = b.freeLists[0]; // buffers of one size are interchangeable: one free list
  } else {
    p.fl = new FreeList(); // objects are made by each pool's create(): one free list per declared pool
    b.freeLists.push(p.fl);
  }
  b.publishUsers(M, M8);
  if (fresh) Atomics.store(M, H.POOL_COUNT, backings.length);
}

/**
 * Drops every underlying pool (their items become foreign) and counter, and publishes the options
 * in force into the emptied memory.
 */
function forgetItems(): void {
  for (const b of backings) b.dead = true;
  backings = [];
  totalBytes = 0;
  callerIndex.clear();
  M.fill(0, HEADER_WORDS, M.length);
  writeOptions(M, opts);
  Atomics.store(M, H.CALLER_COUNT, 0);
  Atomics.store(M, H.POOL_COUNT, 0);
}

/** (Re)builds the underlying pools from the declared ones with the current options. */
function rebuild(): void {
  forgetItems();
  finalized = true;
  for (const p of declared) bindDeclared(p);
}

function bound(p: Pool<unknown>): Backing {
  if (!finalized) rebuild();
  return p.b as Backing;
}

// ---------------------------------------------------------------------------------------------
// Items

// Item states and tag symbols, as module-local bindings for the hot path.
const ST_RELEASED = ITEM_STATE.RELEASED;
const ST_ALLOCATED = ITEM_STATE.ALLOCATED;
const ST_FREE = ITEM_STATE.FREE;
const TAG = Symbol('flightbox.pool.tag');
const SLAB = Symbol('flightbox.pool.slab');

/** What a tagged object carries under TAG (made once per object, not per allocation). */
interface ObjTag {
  readonly backing: Backing;
  readonly slot: number;
}
/** What a slab (ArrayBuffer) carries under SLAB. */
interface SlabTag {
  readonly backing: Backing;
  readonly first: number;
}
type Tagged = { [TAG]?: ObjTag };
type SlabHolder = { [SLAB]?: SlabTag };

/** HAProxy's swrate_add_scaled_opportunistic(sum, POOL_AVG_SAMPLES, v, POOL_AVG_SAMPLES/4). */
function swrateUp(sum: number, v: number): number {
  // floor((sum * 256 + 1023) / 1024) is ceil(sum / 4) for an integer sum.
  return (sum + v * (POOL_AVG_SAMPLES / 4) - Math.ceil(sum / 4)) >>> 0;
}

/** HAProxy's swrate_add_opportunistic(sum, POOL_AVG_SAMPLES, v). */
function swrateDown(sum: number, v: number): number {
  return (sum - Math.ceil(sum / POOL_AVG_SAMPLES) + v) >>> 0;
}

/** Slot found by the last locate call (avoids allocating a result object). */
let locSlot = -1;

function locateBuffer(item: unknown): Backing | undefined {
  if (!ArrayBuffer.isView(item)) return undefined;
  const v = item as Uint8Array;
  const t = (v.buffer as SlabHolder)[SLAB];
  if (t === undefined) return undefined;
  const q = v.byteOffset / t.backing.stride;
  if ((q | 0) !== q) return undefined;
  locSlot = t.first + q;
  return t.backing;
}

function locateObject(item: unknown): Backing | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const t = (item as Tagged)[TAG];
  if (t === undefined) return undefined;
  locSlot = t.slot;
  return t.backing;
}

function locate(item: unknown): Backing | undefined {
  return locateObject(item) ?? locateBuffer(item);
}

/** Makes a new item (or reuses a released slot); -1 when the memory cap forbids it. */
function newItem(b: Backing, p: Pool<unknown>): number {
  if (memLimit > 0 && totalBytes + b.size > memLimit) {
    gcPools(); // like HAProxy's pool_gc() on allocation failure, then retry once
    if (totalBytes + b.size > memLimit) return -1;
  }
  let slot: number;
  if (b.relTop > 0) slot = b.rel[--b.relTop];
  else {
    if (b.top === b.cap) b.grow();
    slot = b.top++;
  }
  if (b.isBuffer) {
    const s = (slot / b.perSlab) | 0;
    let slab = b.slabs[s];
    if (!slab) {
      slab = new ArrayBuffer(b.perSlab * b.stride);
      (slab as SlabHolder)[SLAB] = { backing: b, first: s * b.perSlab };
      b.slabs[s] = slab;
      b.slabLive[s] = 0;
    }
    b.slabLive[s]++;
    if (!b.items[slot]) b.items[slot] = new Uint8Array(slab, (slot - s * b.perSlab) * b.stride, b.size);
  } else {
    let obj: unknown;
    try {
      obj = p.create!();
      if (typeof obj !== 'object' || obj === null) {
        throw new TypeError(`pool '${p.name}': create() must return an object, got ${obj === null ? 'null' : typeof obj}`);
      }
    } catch (e) {
      b.rel[b.relTop++] = slot; // keep the slot for the next attempt
      throw e;
    }
    // Non-enumerable: a copy made with {...item} or Object.assign must not look like the item.
    Object.defineProperty(obj, TAG, { value: { backing: b, slot } satisfies ObjTag, enumerable: false, writable: false, configurable: true });
    b.items[slot] = obj;
  }
  M[b.base + P.ALLOCATED]++;
  totalBytes += b.size;
  return slot;
}

/** Gives a free slot's memory back (HAProxy pool_put_to_os): it no longer counts as allocated. */
function release(b: Backing, slot: number): void {
  b.state[slot] = ST_RELEASED;
  b.rel[b.relTop++] = slot;
  b.fps[slot] = undefined;
  M[b.base + P.ALLOCATED]--;
  totalBytes -= b.size;
  if (b.isBuffer) {
    const s = (slot / b.perSlab) | 0;
    if (--b.slabLive[s] === 0) {
      b.slabs[s] = null; // the whole slab is unused: let the GC have it
      for (let k = s * b.perSlab; k < (s + 1) * b.perSlab; k++) b.items[k] = undefined;
    }
  } else {
    b.items[slot] = undefined;
  }
}

/**
 * Releases every item kept on a free list, in every pool (HAProxy's pool_gc()); returns the bytes
 * released. Runs by itself when an allocation would cross the `-m` cap.
 */
export function gcPools(): number {
  const before = totalBytes;
  for (const b of backings) {
    for (const fl of b.freeLists) while (fl.count > 0) release(b, fl.pop());
  }
  return before - totalBytes;
}

// ---------------------------------------------------------------------------------------------
// Declared pools

/**
 * A declared pool. alloc() returns an item or null (failure: memory cap, injected failure); free()
 * takes it back and, with tagging on, panics with HAProxy's report on a wrong-pool, double or foreign
 * free. free(null) does nothing, as HAProxy's pool_free(pool, NULL).
 */
export class Pool<T> {
  /** Declared pool number, 1-based (also the high byte of item tags). */
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly kind: PoolKind;
  readonly shared: boolean;
  /** @internal */ readonly create: (() => T) | undefined;
  /** @internal */ readonly resetFn: ((item: T) => void) | undefined;
  /** @internal the underlying pool, set when pools are configured. */
  b: Backing | null = null;
  /** @internal position among the underlying pool's users. */
  ordinal = 0;
  /** @internal free list (shared by merged buffer pools). */
  fl: FreeList = new FreeList();

  constructor(id: number, name: string, o: BufferPoolOptions | ObjectPoolOptions<T>) {
    this.id = id;
    this.name = name;
    this.size = o.size;
    this.kind = o.kind;
    this.shared = o.shared ?? true;
    this.create = o.kind === 'object' ? o.create : undefined;
    this.resetFn = o.kind === 'object' ? o.reset : undefined;
  }

  /**
   * Takes an item, tagged with `owner` (a connection/stream/entry id). Returns null when the
   * allocation fails (`-m` cap reached even after releasing cached items, or `-dMfail`); the
   * pool's `failures` counter says how often. Callers must handle null.
   */
  alloc(owner = 0, site = -1): T | null {
    const b = this.b ?? bound(this as Pool<unknown>);
    if (failOn && shouldFail()) {
      M[b.base + P.FAILED]++;
      return null;
    }
    const fl = this.fl;
    let slot: number;
    if (fl.count > 0) {
      slot = coldFirst ? fl.shift() : fl.pop();
      if (integrityOn) checkIntegrity(this as Pool<unknown>, b, slot, opts);
    } else {
      slot = newItem(b, this as Pool<unknown>);
      if (slot < 0) {
        M[b.base + P.FAILED]++;
        return null;
      }
    }
    b.state[slot] = ST_ALLOCATED;
    b.decl[slot] = this.id;
    b.owner[slot] = owner;
    b.gen[slot]++;
    if (callerOn) {
      const exact = siteAbove(Pool.prototype.alloc);
      b.allocSite[slot] = exact;
      bumpCaller(this as Pool<unknown>, b, exact, C.ALLOCS);
    } else b.allocSite[slot] = site;
    const m = M;
    const r = b.base;
    const used = m[r + P.USED];
    m[r + P.USED] = used + 1;
    m[r + P.NEEDED_SUM] = swrateUp(m[r + P.NEEDED_SUM], used);
    const item = b.items[slot] as T;
    if (poisonOn && b.isBuffer) (item as Uint8Array).fill(poisonByte);
    return item;
  }

  /** Gives an item back. With `tag` on, a wrong-pool, double or foreign free panics here. */
  free(item: T | null | undefined, site = -1): void {
    if (item === null || item === undefined) return;
    const b = this.b ?? bound(this as Pool<unknown>);
    const ib = b.isBuffer ? locateBuffer(item) : locateObject(item);
    const slot = locSlot;
    if (ib !== b || b.items[slot] !== item || b.state[slot] !== ST_ALLOCATED || b.decl[slot] !== this.id) {
      this.badFree(item, ib === undefined ? locate(item) : ib);
      return;
    }
    b.state[slot] = ST_FREE;
    if (freeSiteOn) {
      const exact = siteAbove(Pool.prototype.free);
      b.freeSite[slot] = exact;
      if (callerOn) bumpCaller(this as Pool<unknown>, b, exact, C.FREES);
    } else b.freeSite[slot] = site;
    if (this.resetFn) this.resetFn(item);
    const m = M;
    const r = b.base;
    const used = m[r + P.USED] - 1;
    m[r + P.USED] = used;
    m[r + P.NEEDED_SUM] = swrateDown(m[r + P.NEEDED_SUM], used);
    if (noCache) release(b, slot);
    else {
      this.fl.push(slot);
      if (integrityOn) fillIntegrity(b, slot, item);
    }
  }

  /** The owner id the item was last allocated for, or undefined if it is not a pool item. */
  owner(item: T): number | undefined {
    const ib = locate(item);
    return ib && !ib.dead && ib.items[locSlot] === item ? ib.owner[locSlot] : undefined;
  }

  /** Moves a live item to another owner (a buffer handed from a connection to a stream). */
  setOwner(item: T, owner: number): void {
    const ib = locate(item);
    if (ib && !ib.dead && ib.items[locSlot] === item && ib.state[locSlot] === ST_ALLOCATED) ib.owner[locSlot] = owner;
  }

  /** Slow path of free(): silently repairs what it can with `no-tag`, else reports and panics. */
  private badFree(item: T, ib: Backing | undefined): void {
    const slot = locSlot;
    const known = ib !== undefined && !ib.dead && ib.items[slot] === item;
    if (!tagOn) {
      // No checks wanted: never corrupt a free list either. Give a live item to its real pool.
      if (known && ib.state[slot] === ST_ALLOCATED) declared[ib.decl[slot] - 1]?.free(item);
      return;
    }
    const frames = captureFrames(2); // frame #0 is badFree, #1 free, #2 its caller
    reportBadFree(this as Pool<unknown>, item, ib, slot, known, frames, opts);
  }
}

/**
 * Declares a pool at module load. Names are unique (a duplicate throws) and made of letters,
 * digits and `_.:-` (at most 63). Buffer pools hand out Uint8Arrays of exactly `size` bytes; object
 * pools hand out objects made by `create`, recycled through a free list (`reset` runs on free).
 * Pools of the same kind and size (objects rounded up to 8 bytes with tags, 16 without) share one
 * underlying pool unless `-dMno-merge` or `shared: false`.
 */
export function declarePool<T extends Uint8Array = Uint8Array>(name: string, opts: BufferPoolOptions): Pool<T>;
export function declarePool<T extends object>(name: string, opts: ObjectPoolOptions<T>): Pool<T>;
export function declarePool<T>(name: string, o: BufferPoolOptions | ObjectPoolOptions<T>): Pool<T> {
  checkPoolDeclaration(name, o, declaredNames);
  if (declared.length >= 0xffff) throw new Error('declarePool: too many pools (65535 at most)');
  const p = new Pool<T>(declared.length + 1, name, o);
  if (finalized) bindDeclared(p as Pool<unknown>); // may throw (shared memory full): declare nothing then
  declared.push(p as Pool<unknown>);
  declaredNames.add(name);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Configuration

/**
 * Sets the pool options (unspecified ones take DEFAULT_POOL_OPTIONS) and (re)builds the underlying
 * pools, deciding merges. Call it once at worker start, before any alloc; calling it again forgets
 * every item and counter (items handed out before become foreign). Options given as undefined
 * count as not given; without `seed`, a random one is drawn (poolsView().options says which, so a
 * run can be replayed). `fail` without `failPercent`
 * means 1% (as HAProxy's -dMfail); `failPercent` > 0 without `fail` turns failing on
 * (`tune.fail-alloc`). Throws on out-of-range values (resolvePoolOptions, diag/pool-options.ts),
 * changing nothing then.
 */
export function configurePools(given: Partial<PoolOptions> = {}): void {
  applyOptions(resolvePoolOptions(given));
  rebuild();
}

/** The options in force (a copy). */
export function currentPoolOptions(): PoolOptions {
  return { ...opts };
}

/**
 * Parses HAProxy's `-dM` argument (with or without the leading "-dM"): an optional poison byte
 * (`-dM` alone = poison with 0x50, `-dM0x41`, a negative value turns poisoning off), then
 * comma-separated features from `-dMhelp` (fail, no-merge, cold-first, integrity, no-cache, caller,
 * tag, poison, their opposites, ...). Starts from `base` (default: the options in force) and
 * returns the resulting options, the help text for `help`, or an error naming the unknown feature.
 * Changes nothing: pass the options to configurePools() to apply them. See parseDashDMFrom().
 */
export function parseDashDM(arg: string, base: PoolOptions = currentPoolOptions()): DashDMResult {
  return parseDashDMFrom(arg, base);
}

/**
 * Forgets every declared pool, item and counter and restores the default options (tests; a module
 * that declared a pool must not use it afterwards). Stays attached to shared memory if attached.
 */
export function resetPools(): void {
  declared = [];
  declaredNames.clear();
  finalized = false;
  // Interned sites stay: ids from declarePoolSite() are module-level constants.
  applyOptions({ ...DEFAULT_POOL_OPTIONS });
  forgetItems();
}

/** The live figures of this thread's pools (same data a reader of the shared memory gets). */
export function poolsView(): PoolsView {
  if (!finalized) rebuild();
  return readPoolMemory(memBuf);
}

/** Bytes currently allocated across all pools (what `-m` caps). */
export function poolBytesAllocated(): number {
  return totalBytes;
}

/** Everything known about an item's tag, or null if it is not a live pool item. */
export function inspectPoolItem(item: unknown): PoolItemInfo | null {
  const b = locate(item);
  const slot = locSlot;
  return !b || b.dead || b.items[slot] !== item ? null : describePoolItem(b, slot);
}
