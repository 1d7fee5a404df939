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
 */
import { panic } from './invariants.ts';
import { captureFrames, frameAbove } from './frames.ts';
import { projectPosition } from './paths.ts';
import type { RawFrame } from './fault.types.ts';
import type { DashDMResult, PoolItemInfo, PoolKind, PoolOptions, PoolsView } from './pool.types.ts';
import {
  C,
  H,
  P,
  PF,
  CALLER_REC_WORDS,
  CALLER_TEXT_BYTES,
  HEADER_WORDS,
  POOL_AVG_SAMPLES,
  POOL_NAMES_BYTES,
  POOL_REC_WORDS,
  attachedPoolMemory,
  callerRecord,
  callerTextOffset,
  initPoolMemory,
  onPoolMemoryAttach,
  poolMemoryBytes,
  poolNamesOffset,
  poolRecord,
  readPoolMemory,
  writeOptions,
  writeText,
} from './pool-memory.ts';

// ---------------------------------------------------------------------------------------------
// Options

/** The defaults: tagging on (as HAProxy builds with DEBUG_MEMORY_POOLS), everything else off. */
export const DEFAULT_POOL_OPTIONS: Readonly<PoolOptions> = Object.freeze({
  tag: true,
  integrity: false,
  caller: false,
  noMerge: false,
  fail: false,
  failPercent: 0,
  poison: false,
  poisonByte: 0x50,
  coldFirst: false,
  noCache: false,
  memLimitBytes: 0,
  seed: 0x2545f491,
  thread: 1,
});

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
// Call sites (recorded with `caller`, and the free site with `integrity`)

const siteTexts: string[] = [];
const siteIds = new Map<string, number>();

function frameText(f: RawFrame | undefined): string {
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
 * Error.captureStackTrace so nothing but that frame is materialised. Used with `caller`/`integrity`.
 */
function siteAbove(fn: Function): number {
  return siteOf(frameAbove(fn));
}

function siteText(id: number): string | undefined {
  return id >= 0 ? siteTexts[id] : undefined;
}

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
    const len = writeText(M8, callerTextOffset(maxPools, i), CALLER_TEXT_BYTES, siteTexts[site]);
    Atomics.store(M, r + C.TEXT_LEN, len);
    Atomics.store(M, H.CALLER_COUNT, i + 1);
    callerIndex.set(key, i);
  }
  M[callerRecord(maxPools, i) + field]++;
}

// ---------------------------------------------------------------------------------------------
// Underlying pools

const TAG = Symbol('flightbox.pool.tag');
const SLAB = Symbol('flightbox.pool.slab');
const ST_RELEASED = 0;
const ST_ALLOCATED = 1;
const ST_FREE = 2;
const STATE_NAMES = ['released', 'allocated', 'free'] as const;

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

/** A ring of free slot numbers: LIFO by default (hot first), FIFO with `cold-first`. */
class FreeList {
  q = new Int32Array(16);
  head = 0;
  count = 0;
  push(slot: number): void {
    if (this.count === this.q.length) this.grow();
    this.q[(this.head + this.count) & (this.q.length - 1)] = slot;
    this.count++;
  }
  pop(): number {
    this.count--;
    return this.q[(this.head + this.count) & (this.q.length - 1)];
  }
  shift(): number {
    const s = this.q[this.head];
    this.head = (this.head + 1) & (this.q.length - 1);
    this.count--;
    return s;
  }
  private grow(): void {
    const n = new Int32Array(this.q.length * 2);
    for (let i = 0; i < this.count; i++) n[i] = this.q[(this.head + i) & (this.q.length - 1)];
    this.q = n;
    this.head = 0;
  }
}

/** One underlying pool (HAProxy's pool_head): possibly several declared pools merged. */
class Backing {
  readonly index: number;
  readonly id: number;
  readonly name: string;
  readonly kind: PoolKind;
  readonly isBuffer: boolean;
  readonly size: number;
  readonly realSize: number;
  /** Distance between slots in a slab (realSize rounded up to 8 so views stay aligned). */
  readonly stride: number;
  readonly shared: boolean;
  readonly base: number;
  readonly perSlab: number;
  readonly users: Pool<unknown>[] = [];
  readonly freeLists: FreeList[] = [];
  dead = false;
  cap = 0;
  top = 0;
  state = new Uint8Array(0);
  decl = new Uint16Array(0);
  owner = new Float64Array(0);
  gen = new Uint32Array(0);
  allocSite = new Int32Array(0);
  freeSite = new Int32Array(0);
  pattern = new Uint32Array(0);
  rel = new Int32Array(0);
  relTop = 0;
  items: unknown[] = [];
  fps: (unknown[] | undefined)[] = [];
  slabs: (ArrayBuffer | null)[] = [];
  slabLive: number[] = [];
  fill = 0;

  constructor(index: number, name: string, kind: PoolKind, size: number, realSize: number, shared: boolean) {
    this.index = index;
    this.id = index + 1;
    this.name = name;
    this.kind = kind;
    this.isBuffer = kind === 'buffer';
    this.size = size;
    this.realSize = realSize;
    this.stride = Math.ceil(realSize / 8) * 8;
    this.shared = shared;
    this.base = poolRecord(index);
    this.perSlab = this.isBuffer ? Math.max(1, Math.min(64, Math.floor(262144 / this.stride))) : 1;
  }

  /** Doubles the side tables. */
  grow(): void {
    const cap = Math.max(16, this.cap * 2);
    const g = <A extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(a: A, make: (n: number) => A): A => {
      const n = make(cap);
      n.set(a as ArrayLike<number> & A);
      return n;
    };
    this.state = g(this.state, (n) => new Uint8Array(n));
    this.decl = g(this.decl, (n) => new Uint16Array(n));
    this.owner = g(this.owner, (n) => new Float64Array(n));
    this.gen = g(this.gen, (n) => new Uint32Array(n));
    this.allocSite = g(this.allocSite, (n) => new Int32Array(n).fill(-1));
    this.freeSite = g(this.freeSite, (n) => new Int32Array(n).fill(-1));
    this.pattern = g(this.pattern, (n) => new Uint32Array(n));
    this.rel = g(this.rel, (n) => new Int32Array(n));
    this.cap = cap;
  }

  address(slot: number): string {
    return '0x' + (this.id * 2 ** 32 + slot * this.stride).toString(16);
  }
}

let backings: Backing[] = [];
let declared: Pool<unknown>[] = [];
const declaredNames = new Set<string>();
let finalized = false;

/** HAProxy's swrate_add_scaled_opportunistic(sum, POOL_AVG_SAMPLES, v, POOL_AVG_SAMPLES/4). */
function swrateUp(sum: number, v: number): number {
  // floor((sum * 256 + 1023) / 1024) is ceil(sum / 4) for an integer sum.
  return (sum + v * (POOL_AVG_SAMPLES / 4) - Math.ceil(sum / 4)) >>> 0;
}

/** HAProxy's swrate_add_opportunistic(sum, POOL_AVG_SAMPLES, v). */
function swrateDown(sum: number, v: number): number {
  return (sum - Math.ceil(sum / POOL_AVG_SAMPLES) + v) >>> 0;
}

function writeUsers(b: Backing): void {
  const r = b.base;
  const text = b.users.map((u) => u.name).join('\n');
  const old = M[r + P.NAMES_LEN];
  // Names only grow: write the bytes, then publish the new length.
  const len = writeText(M8, poolNamesOffset(b.index), POOL_NAMES_BYTES, text);
  if (len >= old) Atomics.store(M, r + P.NAMES_LEN, len);
  M[r + P.USERS] = b.users.length;
  M[r + P.FLAGS] = (b.shared ? PF.SHARED : 0) | (b.users.length > 1 ? PF.MERGED : 0) | (b.isBuffer ? PF.EXACT : PF.OBJECT);
}

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
  const r = b.base;
  M.fill(0, r, r + POOL_REC_WORDS);
  M[r + P.SIZE] = b.size;
  M[r + P.REAL] = b.realSize;
  M[r + P.ID] = b.id;
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
  writeUsers(b);
  if (fresh) Atomics.store(M, H.POOL_COUNT, backings.length);
}

/** (Re)builds the underlying pools from the declared ones with the current options. */
function rebuild(): void {
  for (const b of backings) b.dead = true;
  backings = [];
  totalBytes = 0;
  callerIndex.clear();
  M.fill(0, HEADER_WORDS, M.length);
  writeOptions(M, opts);
  Atomics.store(M, H.CALLER_COUNT, 0);
  Atomics.store(M, H.POOL_COUNT, 0);
  finalized = true;
  for (const p of declared) bindDeclared(p);
}

function bound(p: Pool<unknown>): Backing {
  if (!finalized) rebuild();
  return p.b as Backing;
}

// ---------------------------------------------------------------------------------------------
// Items

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
// Integrity (fill on free, verify on the next alloc)

function fillPattern(buf: Uint8Array, p: number): void {
  const n4 = buf.length >>> 2;
  if (n4 > 0) new Uint32Array(buf.buffer, buf.byteOffset, n4).fill(p);
  for (let i = n4 * 4; i < buf.length; i++) buf[i] = (p >>> ((i & 3) * 8)) & 0xff;
}

/** Byte offset of the first byte that differs from the fill pattern, or -1. */
function patternMismatch(buf: Uint8Array, p: number): number {
  const n4 = buf.length >>> 2;
  if (n4 > 0) {
    const w = new Uint32Array(buf.buffer, buf.byteOffset, n4);
    for (let i = 0; i < n4; i++) {
      if (w[i] !== p) {
        for (let k = i * 4; k < i * 4 + 4; k++) if (buf[k] !== ((p >>> ((k & 3) * 8)) & 0xff)) return k;
      }
    }
  }
  for (let i = n4 * 4; i < buf.length; i++) if (buf[i] !== ((p >>> ((i & 3) * 8)) & 0xff)) return i;
  return -1;
}

/** Own enumerable fields, as [key, value, key, value, ...] (values by identity). */
function fingerprint(obj: object): unknown[] {
  const out: unknown[] = [];
  for (const k of Object.keys(obj)) out.push(k, (obj as Record<string, unknown>)[k]);
  return out;
}

function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'object' && v !== null) return `[${v.constructor?.name ?? 'object'}]`;
  if (typeof v === 'function') return '[function]';
  return String(v);
}

/** Describes the first difference between an object and its fingerprint, or undefined. */
function fingerprintMismatch(obj: object, fp: unknown[]): { field: string; was: string; now: string } | undefined {
  const rec = obj as Record<string, unknown>;
  for (let i = 0; i < fp.length; i += 2) {
    const k = fp[i] as string;
    if (!Object.prototype.hasOwnProperty.call(rec, k)) return { field: k, was: showValue(fp[i + 1]), now: '(deleted)' };
    if (!Object.is(rec[k], fp[i + 1])) return { field: k, was: showValue(fp[i + 1]), now: showValue(rec[k]) };
  }
  const keys = Object.keys(obj);
  if (keys.length !== fp.length / 2) {
    const known = new Set<unknown>(fp.filter((_, i) => i % 2 === 0));
    const added = keys.find((k) => !known.has(k)) ?? '?';
    return { field: added, was: '(absent)', now: showValue(rec[added]) };
  }
  return undefined;
}

function fillIntegrity(b: Backing, slot: number, item: unknown): void {
  if (b.isBuffer) {
    const p = (b.fill = (b.fill + 0x55555555) >>> 0); // HAProxy pool_fill_pattern: flip about half the bits
    b.pattern[slot] = p;
    fillPattern(item as Uint8Array, p);
  } else {
    b.fps[slot] = fingerprint(item as object);
  }
}

function checkIntegrity(p: Pool<unknown>, b: Backing, slot: number): void {
  const item = b.items[slot];
  if (b.isBuffer) {
    const pat = b.pattern[slot];
    const off = patternMismatch(item as Uint8Array, pat);
    if (off >= 0) {
      const found = (item as Uint8Array)[off];
      const want = (pat >>> ((off & 3) * 8)) & 0xff;
      const where = `offset ${off} (+0x${off.toString(16).padStart(4, '0')})`;
      const what = `Contents changed after free at ${where}: expected 0x${hex2(want)}, found 0x${hex2(found)}.`;
      integrityFailure(p, b, slot, off, what, { offset: off });
    }
  } else {
    const fp = b.fps[slot];
    b.fps[slot] = undefined;
    if (fp) {
      const d = fingerprintMismatch(item as object, fp);
      if (d) {
        integrityFailure(p, b, slot, -1, `Field '${d.field}' changed after free: was ${d.was}, now ${d.now}.`, { field: d.field });
      }
    }
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

// ---------------------------------------------------------------------------------------------
// Reports (HAProxy pool_inspect_item)

function tagValue(b: Backing, slot: number): string {
  return '0x' + ((((b.decl[slot] & 0xff) << 24) | (b.gen[slot] & 0xffffff)) >>> 0).toString(16).padStart(8, '0');
}

function poolLine(b: Backing): string {
  return `'${b.name}' (size ${b.size}, real ${b.realSize}, users ${b.users.length})`;
}

function declaredName(b: Backing, slot: number): string {
  return declared[b.decl[slot] - 1]?.name ?? b.name;
}

function tagLines(b: Backing, slot: number, out: string[]): void {
  const decl = declaredName(b, slot);
  const where = decl === b.name ? `'${b.name}'` : `'${decl}' (merged into '${b.name}')`;
  out.push(`  tag: pool ${where}, owner ${b.owner[slot]}, generation ${b.gen[slot]}, ${STATE_NAMES[b.state[slot]]}`);
  const sitesKnown = callerOn || freeSiteOn;
  out.push(`  allocated by: ${siteText(b.allocSite[slot]) ?? (callerOn ? 'unknown' : 'not recorded (no site given to alloc(); -dMcaller records every call)')}`);
  const freed = siteText(b.freeSite[slot]);
  out.push(`  last freed by: ${freed ?? (sitesKnown ? 'never freed since recording started' : 'not recorded (never freed, or no site given to free(); -dMcaller records every call)')}`);
}

type Inconsistency = 'tag-mismatch' | 'double-free' | 'foreign' | 'integrity';

function describeForeign(item: unknown): string {
  if (ArrayBuffer.isView(item)) return `${item.constructor.name}(${(item as Uint8Array).length})`;
  if (typeof item === 'object' && item !== null) return `[${item.constructor?.name ?? 'object'}]`;
  return `${typeof item} ${String(item)}`;
}

function raise(kind: Inconsistency, msg: string, lines: string[], frames: RawFrame[], details: Record<string, string | number | boolean>): never {
  const first = `FATAL: pool inconsistency detected in thread ${opts.thread}: ${msg}.`;
  const report = [first, `  caller: ${frameText(frames[0])}`, ...lines].join('\n') + '\n';
  return panic('pool', first, { report, frames, details: { kind, caller: frameText(frames[0]), ...details } });
}

function integrityFailure(p: Pool<unknown>, b: Backing, slot: number, offset: number, what: string, extra: Record<string, string | number>): never {
  const frames = captureFrames(3); // #0 integrityFailure, #1 checkIntegrity, #2 alloc, #3 its caller
  const lines = [`  item: ${b.address(slot)} (tag: ${tagValue(b, slot)})`, `  pool: ${poolLine(b)}`];
  if (p.name !== b.name) lines.push(`  allocated from: '${p.name}' (merged into '${b.name}')`);
  lines.push(what);
  tagLines(b, slot, lines);
  return raise('integrity', 'cache corruption detected', lines, frames, {
    pool: b.name,
    declaredPool: p.name,
    item: b.address(slot),
    tag: tagValue(b, slot),
    owner: b.owner[slot],
    generation: b.gen[slot],
    state: STATE_NAMES[b.state[slot]],
    allocSite: siteText(b.allocSite[slot]) ?? '',
    freeSite: siteText(b.freeSite[slot]) ?? '',
    offset,
    ...extra,
  });
}

// ---------------------------------------------------------------------------------------------
// Declared pools

/** Options of an object pool. */
export interface ObjectPoolOptions<T> {
  /** Bytes an item accounts for (for `show pools` and the `-m` cap). */
  size: number;
  kind: 'object';
  /** Makes a new item when the free list is empty. Must return a fresh object. */
  create: () => T;
  /** Called on free() to clear the item before it waits on the free list (drop references!). */
  reset?: (item: T) => void;
  /** May share an underlying pool with pools of the same size (HAProxy MEM_F_SHARED); default true. */
  shared?: boolean;
}

/** Options of a buffer pool: items are Uint8Arrays of exactly `size` bytes. */
export interface BufferPoolOptions {
  size: number;
  kind: 'buffer';
  shared?: boolean;
}

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
      if (integrityOn) checkIntegrity(this as Pool<unknown>, b, slot);
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
    const b = this.b as Backing;
    const lines: string[] = [];
    let kind: Inconsistency;
    let msg: string;
    const details: Record<string, string | number | boolean> = { pool: b.name, freedInto: this.name };
    if (!known) {
      if (ib !== undefined && !ib.dead && isStale(ib, slot, item)) {
        kind = 'double-free';
        msg = 'tag mismatch on free() (double free)';
        lines.push(`  item: ${ib.address(slot)} (tag: stale)`, `  pool: ${poolLine(b)}`);
        if (this.name !== b.name) lines.push(`  freed into: '${this.name}' (merged into '${b.name}')`);
        lines.push(
          `This item was freed before and its memory released${ib.state[slot] === ST_ALLOCATED ? ' then reused' : ''}: this is a double free (use after free).`,
          `Its slot now holds generation ${ib.gen[slot]}:`,
        );
        tagLines(ib, slot, lines);
        Object.assign(details, { item: ib.address(slot), itemPool: declaredName(ib, slot), state: 'released' });
      } else {
        kind = 'foreign';
        msg = 'tag mismatch on free() (foreign item)';
        lines.push(`  item: ${describeForeign(item)} (tag: none)`, `  pool: ${poolLine(b)}`);
        if (this.name !== b.name) lines.push(`  freed into: '${this.name}' (merged into '${b.name}')`);
        lines.push(
          ib?.dead
            ? 'Tag does not match any pool: the item was allocated before the pools were reconfigured.'
            : 'Tag does not match any pool: this item was never allocated from a pool.',
        );
        details.item = describeForeign(item);
      }
    } else {
      const itemPool = declaredName(ib, slot);
      lines.push(`  item: ${ib.address(slot)} (tag: ${tagValue(ib, slot)})`, `  pool: ${poolLine(b)}`);
      if (this.name !== b.name) lines.push(`  freed into: '${this.name}' (merged into '${b.name}')`);
      if (ib.state[slot] !== ST_ALLOCATED) {
        kind = 'double-free';
        msg = 'tag mismatch on free() (double free)';
        lines.push(`The item is already free (it came from pool '${itemPool}'): this is a double free.`);
      } else {
        kind = 'tag-mismatch';
        msg = 'tag mismatch on free()';
        const origin = itemPool === ib.name ? `'${itemPool}'` : `'${itemPool}' (merged into '${ib.name}')`;
        lines.push(`Tag does not match: the item comes from pool ${origin}, not from '${this.name}'.`);
      }
      tagLines(ib, slot, lines);
      Object.assign(details, {
        item: ib.address(slot),
        itemPool,
        itemUnderlyingPool: ib.name,
        tag: tagValue(ib, slot),
        owner: ib.owner[slot],
        generation: ib.gen[slot],
        state: STATE_NAMES[ib.state[slot]],
        allocSite: siteText(ib.allocSite[slot]) ?? '',
        freeSite: siteText(ib.freeSite[slot]) ?? '',
      });
    }
    raise(kind, msg, lines, frames, details);
  }
}

const NAME_RE = /^[A-Za-z0-9_.:-]{1,63}$/;

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
  if (!NAME_RE.test(name)) {
    throw new Error(`declarePool: invalid pool name '${name}': use 1 to 63 letters, digits or '_.:-'`);
  }
  if (declaredNames.has(name)) {
    throw new Error(`declarePool: pool '${name}' is already declared; pool names must be unique, pick another name`);
  }
  if (!Number.isInteger(o.size) || o.size < 1 || o.size > 2 ** 30) {
    throw new Error(`declarePool: pool '${name}': size must be an integer from 1 to 2^30 bytes (got ${o.size})`);
  }
  if (o.kind !== 'buffer' && (o.kind !== 'object' || typeof o.create !== 'function')) {
    throw new Error(`declarePool: pool '${name}': kind must be 'buffer', or 'object' with a create() function`);
  }
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
 * (`tune.fail-alloc`). Throws on out-of-range values.
 */
export function configurePools(given: Partial<PoolOptions> = {}): void {
  // An option set to undefined counts as not given.
  const o = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<PoolOptions>;
  const next: PoolOptions = { ...DEFAULT_POOL_OPTIONS, ...o };
  if (o.seed === undefined) next.seed = (Math.random() * 2 ** 32) >>> 0 || 1;
  if (o.fail === undefined && o.failPercent !== undefined) next.fail = o.failPercent > 0;
  if (o.failPercent === undefined) next.failPercent = next.fail ? 1 : 0;
  if (!(next.failPercent >= 0 && next.failPercent <= 100)) {
    throw new RangeError(`configurePools: failPercent (tune.fail-alloc) expects a value between 0 and 100, got ${next.failPercent}`);
  }
  if (!Number.isInteger(next.poisonByte) || next.poisonByte < 0 || next.poisonByte > 255) {
    throw new RangeError(`configurePools: poisonByte must be 0..255, got ${next.poisonByte}`);
  }
  if (!(next.memLimitBytes >= 0) || !Number.isSafeInteger(next.memLimitBytes)) {
    throw new RangeError(`configurePools: memLimitBytes must be a whole number of bytes >= 0 (0 = no limit), got ${next.memLimitBytes}`);
  }
  if (!Number.isInteger(next.thread) || next.thread < 0) {
    throw new RangeError(`configurePools: thread must be an integer >= 0, got ${next.thread}`);
  }
  applyOptions(next);
  rebuild();
}

/** The options in force. */
export function currentPoolOptions(): PoolOptions {
  return { ...opts };
}

/**
 * Forgets every declared pool, item and counter and restores the default options (tests; a module
 * that declared a pool must not use it afterwards). Stays attached to shared memory if attached.
 */
export function resetPools(): void {
  for (const b of backings) b.dead = true;
  backings = [];
  declared = [];
  declaredNames.clear();
  finalized = false;
  totalBytes = 0;
  callerIndex.clear();
  // Interned sites stay: ids from declarePoolSite() are module-level constants.
  applyOptions({ ...DEFAULT_POOL_OPTIONS });
  M.fill(0, HEADER_WORDS, M.length);
  writeOptions(M, opts);
  Atomics.store(M, H.CALLER_COUNT, 0);
  Atomics.store(M, H.POOL_COUNT, 0);
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
  if (!b || b.dead || b.items[slot] !== item) return null;
  return {
    address: b.address(slot),
    pool: b.name,
    declaredPool: declaredName(b, slot),
    state: STATE_NAMES[b.state[slot]],
    owner: b.owner[slot],
    generation: b.gen[slot],
    tag: tagValue(b, slot),
    allocSite: siteText(b.allocSite[slot]),
    freeSite: siteText(b.freeSite[slot]),
  };
}

// ---------------------------------------------------------------------------------------------
// -dM parsing (HAProxy pool_parse_debugging)

type Feature = {
  set: string;
  clr: string;
  help: string;
  is: (o: PoolOptions) => boolean;
  apply: (o: PoolOptions, on: boolean, warn: string[]) => void;
};

type FlagKey = 'noMerge' | 'coldFirst' | 'integrity' | 'noCache' | 'caller' | 'tag' | 'poison';

/** A feature that just sets or clears one boolean option. */
function flag(set: string, clr: string, help: string, key: FlagKey): Feature {
  return { set, clr, help, is: (o) => o[key], apply: (o, on) => void (o[key] = on) };
}

/** HAProxy's dbg_options[] (src/pool.c), in its order. */
const FEATURES: Feature[] = [
  {
    set: 'fail',
    clr: 'no-fail',
    help: 'randomly fail allocations',
    is: (o) => o.fail,
    apply: (o, on) => {
      o.fail = on;
      o.failPercent = on ? 1 : 0; // HAProxy presets tune.fail-alloc to 1%
    },
  },
  flag('no-merge', 'merge', 'disable merging of similar pools', 'noMerge'),
  flag('cold-first', 'hot-first', 'pick cold objects first', 'coldFirst'),
  flag('integrity', 'no-integrity', 'enable cache integrity checks', 'integrity'),
  {
    set: 'no-global',
    clr: 'global',
    help: 'disable global shared cache',
    is: () => true,
    apply: (_o, _on, warn) =>
      warn.push("pool debugging feature 'no-global'/'global' has no effect: each worker thread has its own pools, there is no global cache"),
  },
  flag('no-cache', 'cache', 'disable thread-local cache', 'noCache'),
  flag('caller', 'no-caller', 'save caller information in cache', 'caller'),
  flag('tag', 'no-tag', 'add tag at end of allocated objects', 'tag'),
  flag('poison', 'no-poison', 'poison newly allocated objects', 'poison'),
  {
    set: 'uaf',
    clr: 'no-uaf',
    help: 'enable use-after-free checks (slow)',
    is: () => false,
    apply: (o, on, warn) => {
      if (!on) return;
      o.noCache = true;
      warn.push(
        "pool debugging feature 'uaf' needs page protection, which JavaScript lacks: it only disables the cache here; " +
          "use 'integrity' to catch writes after free",
      );
    },
  },
];

function dashDMHelp(o: PoolOptions): string {
  const rule = '  -----------------+-----------------+-----------------------------------------\n';
  let t =
    '-dM alone enables memory poisonning with byte 0x50 on allocation. A numeric\n' +
    'value may be appended immediately after -dM to use another value (0 supported).\n' +
    'Then an optional list of comma-delimited keywords may be appended to set or\n' +
    "clear some debugging options ('*' marks the current setting):\n\n" +
    '    set               clear            description\n' +
    rule;
  for (const f of FEATURES) {
    const on = f.is(o);
    t += `  ${on ? '*' : ' '} ${f.set.padEnd(15)}|${on ? ' ' : '*'} ${f.clr.padEnd(15)}| ${f.help}\n`;
  }
  t +=
    rule +
    'Examples:\n' +
    "  Disable merging and enable poisonning with byte 'P': -dM0x50,no-merge\n" +
    '  Randomly fail allocations: -dMfail\n' +
    '  Detect out-of-bound corruptions: -dMno-merge,tag\n' +
    '  Detect post-free cache corruptions: -dMno-merge,cold-first,integrity,caller\n' +
    '  Detect all cache corruptions: -dMno-merge,cold-first,integrity,tag,caller\n';
  return t;
}

const NUM_RE = /^[+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(?=,|$)/;

/**
 * Parses HAProxy's `-dM` argument (with or without the leading "-dM"): an optional poison byte
 * (`-dM` alone = poison with 0x50, `-dM0x41`, a negative value turns poisoning off), then
 * comma-separated features from `-dMhelp` (fail, no-merge, cold-first, integrity, no-cache, caller,
 * tag, poison, their opposites, ...). Starts from `base` (default: the options in force) and
 * returns the resulting options, the help text for `help`, or an error naming the unknown feature.
 */
export function parseDashDM(arg: string, base: PoolOptions = currentPoolOptions()): DashDMResult {
  const given = arg.startsWith('-dM') ? arg.slice(3) : arg;
  let s = given;
  const o: PoolOptions = { ...base };
  const warnings: string[] = [];
  const num = NUM_RE.exec(s);
  if (s === '' || num) {
    const value = num ? parseNumber(num[0]) : 0x50;
    if (value > 255) {
      return { kind: 'error', error: `'-dM${s}': the poison byte must be between 0 and 255 (or negative to disable poisoning), got ${value}` };
    }
    o.poison = value >= 0;
    if (value >= 0) o.poisonByte = value;
    s = num ? s.slice(num[0].length) : '';
  }
  for (const feat of s.split(',')) {
    if (feat === '') continue;
    if (feat === 'help') return { kind: 'help', text: dashDMHelp(base) };
    const f = FEATURES.find((x) => x.set === feat || x.clr === feat);
    if (!f) {
      const valid = FEATURES.flatMap((x) => [x.set, x.clr]).join(', ');
      return { kind: 'error', error: `unknown pool debugging feature <${feat}> in '-dM${given}'; valid features: ${valid}, help` };
    }
    f.apply(o, feat === f.set, warnings);
  }
  return { kind: 'ok', options: o, warnings };
}

/** strtol(str, &end, 0) for a string already validated by NUM_RE. */
function parseNumber(t: string): number {
  const neg = t.startsWith('-');
  const u = t.replace(/^[+-]/, '');
  const v = /^0[xX]/.test(u) ? parseInt(u.slice(2), 16) : u.length > 1 && u.startsWith('0') ? parseInt(u.slice(1), 8) : parseInt(u, 10);
  return neg ? -v : v;
}
