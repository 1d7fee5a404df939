/**
 * Pool counters in shared memory. A worker's pool module keeps every counter `show pools` needs
 * (allocated, used, cached, failures, needed_avg, per-caller counts) and each pool's static facts
 * (name, size, real size, users, flags) in one buffer laid out here. When that buffer is a
 * SharedArrayBuffer handed to the worker by the supervisor, the supervisor can read the figures at
 * any time, including after the worker died of OOM (DESIGN.md "Process model").
 *
 * One writer (the worker thread), any number of readers. Counters are aligned 32-bit words, which
 * JavaScript reads and writes without tearing; a reader may see slightly stale numbers, never
 * garbage. A pool record (or caller record) is written completely before the count that makes it
 * visible is published with Atomics.store, and read after Atomics.load of that count. Names are
 * stored with a byte-length prefix that is stored after the bytes; lists only ever grow, so a reader
 * that sees an older length still sees a consistent prefix.
 *
 * Layout (32-bit little-endian words):
 *   header   HEADER_WORDS words: magic, version, capacities, published counts, options
 *   pools    maxPools records of POOL_REC_WORDS words: counters, static info, names
 *   callers  maxCallers records of CALLER_REC_WORDS words: pool, user, allocs, frees, site text
 */
import type { PoolOptions, PoolStat, PoolsView, PoolCallerStat, PoolKind } from './pool.types.ts';

/** "FBPL" */
export const POOL_MEMORY_MAGIC = 0x4c504246;
/** Bumped whenever the layout below changes. */
export const POOL_MEMORY_VERSION = 1;

/** Header word indexes. */
export const H = {
  MAGIC: 0,
  VERSION: 1,
  MAX_POOLS: 2,
  POOL_COUNT: 3,
  OPTS: 4,
  FAIL_PERCENT: 5,
  POISON_BYTE: 6,
  MEMLIMIT_LO: 7,
  MEMLIMIT_HI: 8,
  MAX_CALLERS: 9,
  CALLER_COUNT: 10,
  THREAD: 11,
  SEED: 12,
} as const;
export const HEADER_WORDS = 16;

/** Pool record word indexes (relative to the record). */
export const P = {
  ALLOCATED: 0,
  USED: 1,
  CACHED: 2,
  FAILED: 3,
  /** HAProxy's swrate sum over POOL_AVG_SAMPLES; needed_avg = ceil(sum / POOL_AVG_SAMPLES). */
  NEEDED_SUM: 4,
  SIZE: 5,
  REAL: 6,
  USERS: 7,
  FLAGS: 8,
  ID: 9,
  /** Byte length of the names text (user names joined by '\n'), stored after the bytes. */
  NAMES_LEN: 15,
} as const;
const NAMES_WORD = 16;
export const POOL_REC_WORDS = 96;
/** Bytes available for a pool's names. */
export const POOL_NAMES_BYTES = (POOL_REC_WORDS - NAMES_WORD) * 4;

/** Caller record word indexes. */
export const C = { POOL: 0, USER: 1, ALLOCS: 2, FREES: 3, TEXT_LEN: 4 } as const;
const CALLER_TEXT_WORD = 5;
export const CALLER_REC_WORDS = 48;
export const CALLER_TEXT_BYTES = (CALLER_REC_WORDS - CALLER_TEXT_WORD) * 4;

/** Pool flag bits (P.FLAGS). */
export const PF = { SHARED: 1, MERGED: 2, OBJECT: 4, EXACT: 8 } as const;

/** Option bits (H.OPTS). */
const OPT_BITS = {
  tag: 1,
  integrity: 2,
  caller: 4,
  noMerge: 8,
  fail: 16,
  poison: 32,
  coldFirst: 64,
  noCache: 128,
} as const;

/** HAProxy's POOL_AVG_SAMPLES: the needed_avg sliding window (include/haproxy/pool-t.h). */
export const POOL_AVG_SAMPLES = 1024;

/** Bytes needed for a pool memory of these capacities. */
export function poolMemoryBytes(maxPools: number, maxCallers: number): number {
  return (HEADER_WORDS + maxPools * POOL_REC_WORDS + maxCallers * CALLER_REC_WORDS) * 4;
}

/** Word index of pool record `i`. */
export function poolRecord(i: number): number {
  return HEADER_WORDS + i * POOL_REC_WORDS;
}

/** Word index of caller record `i` in a memory holding `maxPools` pool records. */
export function callerRecord(maxPools: number, i: number): number {
  return HEADER_WORDS + maxPools * POOL_REC_WORDS + i * CALLER_REC_WORDS;
}

/** Writes an empty header into `buf` (all counts zero). */
export function initPoolMemory(buf: ArrayBufferLike, maxPools: number, maxCallers: number): void {
  const u32 = new Uint32Array(buf);
  u32.fill(0);
  u32[H.MAGIC] = POOL_MEMORY_MAGIC;
  u32[H.VERSION] = POOL_MEMORY_VERSION;
  u32[H.MAX_POOLS] = maxPools;
  u32[H.MAX_CALLERS] = maxCallers;
}

/**
 * Creates the shared buffer a worker's pools mirror their counters into. The supervisor creates
 * one per worker, passes it in workerData, keeps a reference, and reads it with readPoolMemory.
 * `maxPools` bounds the underlying pools (after merging), `maxCallers` the per-caller table.
 */
export function createPoolMemory(maxPools = 256, maxCallers = 512): SharedArrayBuffer {
  if (!Number.isInteger(maxPools) || maxPools < 1 || !Number.isInteger(maxCallers) || maxCallers < 0) {
    throw new RangeError(`createPoolMemory: maxPools must be an integer >= 1 and maxCallers >= 0 (got ${maxPools}, ${maxCallers})`);
  }
  const sab = new SharedArrayBuffer(poolMemoryBytes(maxPools, maxCallers));
  initPoolMemory(sab, maxPools, maxCallers);
  return sab;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Writes `text` as UTF-8 at byte `off` of `u8` within `cap` bytes (cut at a character boundary)
 * and returns the bytes written. Callers store the length word afterwards.
 */
export function writeText(u8: Uint8Array, off: number, cap: number, text: string): number {
  let bytes = encoder.encode(text);
  if (bytes.length > cap) {
    let n = cap;
    while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--; // do not split a multi-byte character
    bytes = bytes.subarray(0, n);
  }
  u8.set(bytes, off);
  return bytes.length;
}

function readText(u8: Uint8Array, off: number, len: number): string {
  // slice() copies into an unshared buffer: TextDecoder refuses views of shared memory.
  return decoder.decode(u8.slice(off, off + len));
}

/** Byte offset of pool record `i`'s names text. */
export function poolNamesOffset(i: number): number {
  return (poolRecord(i) + NAMES_WORD) * 4;
}

/** Byte offset of caller record `i`'s site text. */
export function callerTextOffset(maxPools: number, i: number): number {
  return (callerRecord(maxPools, i) + CALLER_TEXT_WORD) * 4;
}

/** Stores the options in the header (the reader reports them in PoolsView.options). */
export function writeOptions(u32: Uint32Array, o: PoolOptions): void {
  let bits = 0;
  for (const k of Object.keys(OPT_BITS) as (keyof typeof OPT_BITS)[]) if (o[k]) bits |= OPT_BITS[k];
  u32[H.OPTS] = bits;
  u32[H.FAIL_PERCENT] = o.failPercent;
  u32[H.POISON_BYTE] = o.poisonByte & 0xff;
  u32[H.MEMLIMIT_LO] = o.memLimitBytes % 2 ** 32;
  u32[H.MEMLIMIT_HI] = Math.floor(o.memLimitBytes / 2 ** 32);
  u32[H.THREAD] = o.thread;
  u32[H.SEED] = o.seed >>> 0;
}

function readOptions(u32: Uint32Array): PoolOptions {
  const bits = u32[H.OPTS];
  return {
    tag: (bits & OPT_BITS.tag) !== 0,
    integrity: (bits & OPT_BITS.integrity) !== 0,
    caller: (bits & OPT_BITS.caller) !== 0,
    noMerge: (bits & OPT_BITS.noMerge) !== 0,
    fail: (bits & OPT_BITS.fail) !== 0,
    failPercent: u32[H.FAIL_PERCENT],
    poison: (bits & OPT_BITS.poison) !== 0,
    poisonByte: u32[H.POISON_BYTE],
    coldFirst: (bits & OPT_BITS.coldFirst) !== 0,
    noCache: (bits & OPT_BITS.noCache) !== 0,
    memLimitBytes: u32[H.MEMLIMIT_HI] * 2 ** 32 + u32[H.MEMLIMIT_LO],
    seed: u32[H.SEED],
    thread: u32[H.THREAD],
  };
}

/**
 * Reads a pool memory (shared or not) into plain data. Safe to call from another thread while the
 * owner writes: counts are loaded with Atomics and bounded by the capacities, text lengths by their
 * areas. Throws if `buf` is not a pool memory of this layout version.
 */
export function readPoolMemory(buf: ArrayBufferLike): PoolsView {
  const u32 = new Uint32Array(buf);
  const u8 = new Uint8Array(buf);
  if (u32.length < HEADER_WORDS || u32[H.MAGIC] !== POOL_MEMORY_MAGIC) {
    throw new Error('readPoolMemory: this buffer is not a Flightbox pool memory (bad magic); pass the buffer made by createPoolMemory()');
  }
  if (u32[H.VERSION] !== POOL_MEMORY_VERSION) {
    throw new Error(`readPoolMemory: pool memory layout version ${u32[H.VERSION]} is not supported (this build reads version ${POOL_MEMORY_VERSION})`);
  }
  const maxPools = u32[H.MAX_POOLS];
  const maxCallers = u32[H.MAX_CALLERS];
  const nPools = Math.min(Atomics.load(u32, H.POOL_COUNT), maxPools);
  const nCallers = Math.min(Atomics.load(u32, H.CALLER_COUNT), maxCallers);
  const pools: PoolStat[] = [];
  for (let i = 0; i < nPools; i++) {
    const r = poolRecord(i);
    const len = Math.min(Atomics.load(u32, r + P.NAMES_LEN), POOL_NAMES_BYTES);
    const text = readText(u8, poolNamesOffset(i), len);
    const userNames = text === '' ? [] : text.split('\n');
    const flags = u32[r + P.FLAGS];
    // The writer keeps used <= allocated (allocated grows first, used shrinks first). Read used
    // first; if a release slipped in between the two loads, read again.
    let used = u32[r + P.USED];
    let allocated = u32[r + P.ALLOCATED];
    for (let tries = 0; used > allocated && tries < 3; tries++) {
      used = u32[r + P.USED];
      allocated = u32[r + P.ALLOCATED];
    }
    pools.push({
      id: u32[r + P.ID],
      name: userNames[0] ?? `pool#${u32[r + P.ID]}`,
      kind: (flags & PF.OBJECT ? 'object' : 'buffer') satisfies PoolKind,
      size: u32[r + P.SIZE],
      realSize: u32[r + P.REAL],
      users: u32[r + P.USERS],
      userNames,
      shared: (flags & PF.SHARED) !== 0,
      allocated: Math.max(allocated, used),
      used,
      cached: u32[r + P.CACHED],
      neededAvg: Math.floor((u32[r + P.NEEDED_SUM] + POOL_AVG_SAMPLES - 1) / POOL_AVG_SAMPLES),
      failures: u32[r + P.FAILED],
      callers: [],
    });
  }
  for (let i = 0; i < nCallers; i++) {
    const r = callerRecord(maxPools, i);
    const pool = pools[u32[r + C.POOL]];
    if (!pool) continue;
    const len = Math.min(Atomics.load(u32, r + C.TEXT_LEN), CALLER_TEXT_BYTES);
    const ordinal = u32[r + C.USER];
    const stat: PoolCallerStat = {
      user: pool.userNames[ordinal] ?? `${pool.name}#${ordinal + 1}`,
      site: readText(u8, callerTextOffset(maxPools, i), len),
      allocs: u32[r + C.ALLOCS],
      frees: u32[r + C.FREES],
    };
    pool.callers.push(stat);
  }
  let allocatedBytes = 0;
  let usedBytes = 0;
  let cachedBytes = 0;
  let failures = 0;
  for (const p of pools) {
    allocatedBytes += p.allocated * p.size;
    usedBytes += p.used * p.size;
    cachedBytes += p.cached * p.size;
    failures += p.failures;
  }
  const options = readOptions(u32);
  return {
    thread: options.thread,
    pools,
    totals: { pools: pools.length, allocatedBytes, usedBytes, cachedBytes, failures },
    options,
  };
}

type AttachListener = (sab: SharedArrayBuffer | undefined) => void;
let attached: SharedArrayBuffer | undefined;
const listeners: AttachListener[] = [];

/**
 * Makes this thread's pools mirror their counters into `sab` (made by createPoolMemory). Call it
 * once at worker start, before or after configurePools; figures gathered so far are copied over.
 * Throws if `sab` is not a pool memory or is too small for the pools already declared.
 */
export function attachPoolMemory(sab: SharedArrayBuffer): void {
  const u32 = new Uint32Array(sab);
  if (u32.length < HEADER_WORDS || u32[H.MAGIC] !== POOL_MEMORY_MAGIC || u32[H.VERSION] !== POOL_MEMORY_VERSION) {
    throw new Error('attachPoolMemory: not a pool memory of this version; create it with createPoolMemory()');
  }
  attached = sab;
  for (const l of listeners) l(sab);
}

/** The shared buffer attached in this thread, if any. */
export function attachedPoolMemory(): SharedArrayBuffer | undefined {
  return attached;
}

/** Registers the pool module's hook run on attachPoolMemory (diag/pool.ts uses it; no one else). */
export function onPoolMemoryAttach(l: AttachListener): void {
  listeners.push(l);
}

/**
 * Forgets the attached buffer in this thread (tests, worker restart): the pools go back to
 * thread-local counters, starting from the figures they had.
 */
export function detachPoolMemory(): void {
  attached = undefined;
  for (const l of listeners) l(undefined);
}
