/**
 * Types shared by the pool allocator (diag/pool.ts), its shared-memory mirror (diag/pool-memory.ts),
 * the `show pools` renderer (diag/render/pools.ts) and the snapshot writer/reader. Plain data only:
 * a PoolsView is JSON-able so a snapshot can store it and the renderer can take it from either a
 * live process or a file.
 */

/** What a pool hands out: byte buffers (`Uint8Array` of exactly `size` bytes) or recycled objects. */
export type PoolKind = 'buffer' | 'object';

/**
 * The `-dM` debugging options (HAProxy's POOL_DBG_* flags, configuration.txt `-dM`) plus the
 * memory cap (`-m`) and the injected-failure rate (`tune.fail-alloc`).
 */
export interface PoolOptions {
  /** Tag every item with its pool and check it on free() (HAProxy `tag`; on by default). */
  tag: boolean;
  /** Fill freed items with a pattern and verify it when they are handed out again (`integrity`). */
  integrity: boolean;
  /** Record the allocation and release site of every item and count per caller (`caller`). */
  caller: boolean;
  /** Never merge pools of similar size (`no-merge`). */
  noMerge: boolean;
  /** Fail allocations at random, `failPercent` percent of the time (`fail` / `tune.fail-alloc`). */
  fail: boolean;
  /** 0..100; the share of allocations that fail when `fail` is on. */
  failPercent: number;
  /** Fill every newly allocated buffer with `poisonByte` (`-dM` alone, or `-dM<byte>`; `poison`). */
  poison: boolean;
  /** The poison byte, 0x50 ('P') unless `-dM<byte>` says otherwise. */
  poisonByte: number;
  /** Hand out the oldest free item first instead of the most recent one (`cold-first`). */
  coldFirst: boolean;
  /** Keep no free items: every free() releases the item at once (`no-cache`). */
  noCache: boolean;
  /** Cap on the bytes allocated across all pools (`-m <MB>`, `pool-memory-limit`); 0 = none. */
  memLimitBytes: number;
  /** Seed of the PRNG behind `fail` (tests set it for reproducible runs). */
  seed: number;
  /** Thread number printed in "pool inconsistency detected in thread N" (1-based). */
  thread: number;
}

/** Allocation and release counts of one call site of one declared pool (`-dMcaller`). */
export interface PoolCallerStat {
  /** The declared pool the site allocated from (may differ from the merged pool's name). */
  user: string;
  /** "function (file:line)" of the code that called alloc()/free(). */
  site: string;
  allocs: number;
  frees: number;
}

/** One underlying pool as `show pools` lists it (possibly several declared pools merged). */
export interface PoolStat {
  /** Pool number, 1-based, stable for the life of the configuration; also its `@0x...` address. */
  id: number;
  /** Name of the first declared pool; the merged pool is shown under it. */
  name: string;
  kind: PoolKind;
  /** Bytes an item accounts for, after rounding (HAProxy `size`). */
  size: number;
  /** Bytes with the debugging extras (tag, caller), HAProxy `real` (alloc_sz). */
  realSize: number;
  /** Number of declared pools sharing this one. */
  users: number;
  /** Names of the declared pools sharing this one, in declaration order (first = `name`). */
  userNames: string[];
  /** The pool may be shared with other pools of the same size (HAProxy MEM_F_SHARED, `[SHARED]`). */
  shared: boolean;
  /** Items that exist: in use plus kept on the free list. */
  allocated: number;
  /** Items handed out and not yet freed. */
  used: number;
  /** Items held in per-thread caches (always 0 here: each worker has its own pools). */
  cached: number;
  /** Moving average of `used` (HAProxy `needed_avg`, sliding window of 1024 samples). */
  neededAvg: number;
  /** Allocations that returned null (memory cap, injected failure). */
  failures: number;
  /** Per-caller counts when `caller` is on. */
  callers: PoolCallerStat[];
}

/** Sums over all pools of one view. */
export interface PoolsTotals {
  pools: number;
  allocatedBytes: number;
  usedBytes: number;
  cachedBytes: number;
  failures: number;
}

/** The pools of one thread: what `show pools` renders and a snapshot stores. */
export interface PoolsView {
  /** Worker thread number the figures belong to (as configured; 1-based). */
  thread: number;
  pools: PoolStat[];
  totals: PoolsTotals;
  options: PoolOptions;
}

/** What the allocator knows about one item (for reports, snapshots and `pool.inspect`). */
export interface PoolItemInfo {
  /** Pseudo address: the pool's address plus slot times real size, e.g. "0x300000340". */
  address: string;
  /** The underlying (possibly merged) pool. */
  pool: string;
  /** The declared pool the item was last allocated from. */
  declaredPool: string;
  state: 'allocated' | 'free' | 'released';
  /** Owner id given to alloc() (a connection/stream/entry id), 0 if none. */
  owner: number;
  /** Incremented on each allocation of this item. */
  generation: number;
  /** "0x" + 8 hex digits: declared pool number (high byte) and generation (low 24 bits). */
  tag: string;
  /** "function (file:line)" of the last alloc() caller, when recorded (`caller`). */
  allocSite?: string;
  /** "function (file:line)" of the last free() caller, when recorded (`caller` or `integrity`). */
  freeSite?: string;
}

/** Result of parsing a `-dM` argument (see parseDashDM in diag/pool.ts). */
export type DashDMResult =
  | { kind: 'ok'; options: PoolOptions; warnings: string[] }
  | { kind: 'help'; text: string }
  | { kind: 'error'; error: string };
