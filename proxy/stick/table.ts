/**
 * The stick-table engine (HAProxy configuration manual 4.2 `stick-table`, src/stick_table.c).
 *
 * ## Process model and layout
 *
 * HAProxy's tables are shared by all its threads; Flightbox's workers are worker_threads that share
 * memory only through SharedArrayBuffers, so a table lives entirely in one SharedArrayBuffer made
 * once by {@link createStickTable} (the supervisor, at configuration time) and attached by every
 * thread with `new StickTable(sab, def)`: workers track entries, the supervisor answers
 * `show table` / `clear table` / `set table`, all on the same memory. Nothing about an entry lives
 * in a thread's heap. The buffer holds, as Int32 words:
 *
 * ```
 * header   HEADER_WORDS   magic, version, owner tag, capacity, buckets, slot words, key size,
 *                         table lock, live count, free-stack top, LRU head/tail, expire, nopurge,
 *                         statistics (kills, expired, purged, refused)
 * buckets  nbuckets       hash index: first slot of each chain (-1: empty); nbuckets = 2^k >= size
 * free     size           stack of free slot numbers (top in the header)
 * slots    size * slotW   fixed-size entries:
 *   [0] OWNER   the table's owner tag while the slot holds an entry, 0 when free
 *   [1] GEN     generation: bumped when the slot is taken and when it is freed
 *   [2] REF     references held (HAProxy ref_cnt, `use=` in `show table`)
 *   [3] LOCK    the entry's data lock
 *   [4] HNEXT   next slot of the same hash chain (-1: end)
 *   [5] HASH    key hash
 *   [6] EXPIRE  expiry tick (ms, 32-bit wrapping; 0 = never)
 *   [7] LPREV   previous / [8] LNEXT next slot in touch order (the LRU list; -1: none)
 *   [9] KEYLEN  meaningful key bytes (strings; the key size for other types)
 *   [10] UPD    update id of the entry's last change (0: none yet; see "Update tracking")
 *   [11] UPDSRC who made that change: 0 local, n > 0 learned from peer source n; bit 30 DIRTY
 *               (data changed since the last update id was given)
 *   key         ceil(keySize / 4) words of key bytes
 *   data        per stored type, in STICK_DATA_TYPES order: sint/uint 1 word, ull 2 (lo, hi),
 *               frqp 3 (curr_tick, curr_ctr, prev_ctr; proxy/stick/freq-ctr.ts)
 * ```
 *
 * The index is a chained hash table whose chains run through the slots (no allocation, no
 * tombstones). Entries are ordered by last touch in a doubly-linked LRU list: with the table's
 * fixed `expire`, touch order is expiry order, so expiry walks from the head and stops at the first
 * live entry, and a full table purges the oldest unreferenced entries from the head (HAProxy
 * `stktable_trash_oldest()`, batches of `size / 256 + 1`).
 *
 * ## Locking rule
 *
 * Two kinds of locks (proxy/stick/lock.ts, futex-style, usable by every thread):
 * - the TABLE lock guards the index, the LRU list, the free stack, every slot's OWNER, GEN, REF,
 *   EXPIRE and key, and the live count: lookups, creation, touch, reference changes, kills,
 *   expiry, purge and listing take it (HAProxy <= 2.8's `STK_TABLE_LOCK`);
 * - each entry's LOCK guards its data words: get/add/set take it (HAProxy's `ts->lock`).
 * Order: table lock before an entry lock, never the reverse. Data access needs only the entry lock
 * because the caller holds a reference, so the entry cannot be killed under it.
 * Every locked section releases its lock in a `finally`, so a BUG_ON that throws (tests, the CLI)
 * leaves the table usable. A worker that dies inside a locked section (a BUG_ON ends the thread
 * through process.exit: no `finally` runs) frees the table lock in its exit handler
 * ({@link StickTable.abandonLocks}); one terminated while holding a lock (a stall) leaves its holder
 * id (threadId + 1) in the lock word, and the supervisor frees it after the thread is gone
 * ({@link StickTable.releaseThread}, which finds the holder id in the thread's ledger).
 *
 * ## Reference rule (the one rule)
 *
 * A reference is held by whoever will use an entry after the table lock is released: a stream
 * tracking it (`track-sc*`, `stick match/store`) takes one through {@link StickTable.acquire} or
 * {@link StickTable.lookup} and drops it with {@link StickTable.release} or
 * {@link StickTable.touchAndRelease} when it stops tracking (stream end, or tracking another key);
 * a peer session takes one when it queues the entry for sending and drops it once the update is
 * encoded; a runtime command that edits one entry takes one for that command. Every change of REF
 * happens under the table lock, in those functions only; each holder drops exactly the
 * reference it took, through the handle it got (the handle carries the slot's generation, so a drop
 * on a slot that was killed and reused is caught). Expiry, purge and clear kill only entries with
 * REF == 0, under the table lock, and only through {@link StickTable.stksessKill}, which BUG_ONs
 * (diag/invariants.ts) when the table lock is not held, the slot is already free (double kill), the
 * slot belongs to another table (wrong pool), the handle's generation is stale, or REF != 0. A
 * release that brings REF to 0 on an expired entry kills it on the spot, still under the lock
 * (HAProxy `stksess_kill_if_expired()`): the race of seed crash 5 (a decrement outside the lock
 * racing expiry) cannot happen; the fault site `stktable.unlocked-release` re-creates it.
 *
 * ## Reference ledger (a dead worker's references)
 *
 * Workers die on their own (BUG_ON, panic, uncaught error, out of memory, the watchdog's terminate)
 * and the supervisor starts a replacement; HAProxy's threads never do. A thread ended by terminate()
 * or by the heap limit runs no code, so the references its streams held would stay forever (REF > 0:
 * never expired, never purged; repeated deaths fill the table). So each worker thread `t`
 * (1..THREADS, the supervisor's thread numbers, which a replacement inherits) counts the references
 * it holds on every slot in its own ledger, in the same SharedArrayBuffer after the slots:
 *
 * ```
 * ledger   2 * THREADS     per thread: [holder id of its current view (threadId + 1), flags]
 *          THREADS * size  Uint16 cells: references thread t holds on slot s (at (t - 1) * size + s)
 * ```
 *
 * A cell changes only under the table lock, in the same critical section as REF, by the thread it
 * belongs to (take: +1, drop: -1), or by the supervisor once that thread is dead
 * ({@link StickTable.releaseThread}: REF -= cell for every slot, an expired entry left with REF 0 is
 * killed through stksessKill as a normal last release, the ledger is zeroed). So for every live
 * slot, the sum of the cells is at most REF (the rest are the supervisor's: peers, runtime
 * commands, which do not die separately), and every cell of a free slot is 0 ({@link verify}).
 * The supervisor runs releaseThread after the worker's `exit` event and before it starts the
 * replacement, which inherits a zeroed ledger. Cost: one Uint16 read-modify-write per take and per
 * drop, under the lock already held; 2 bytes per entry per worker thread (plus 8 per thread). A
 * thread holding 65535 references on one entry is refused a 65536th (as for a full table, counted
 * in LEDGER_FULL). Views made with thread 0 (the supervisor, tests) keep no ledger.
 *
 * ## Update tracking (peers)
 *
 * The peers protocol teaches a remote peer the entries changed since the last update it was sent
 * (HAProxy `t->update`, `ts->upd`, `stktable_touch_local()`). Here every data change, from any
 * thread, sets the entry's DIRTY bit (add/set: one atomic OR under the entry lock); the next
 * operation under the TABLE lock on that entry (touch, touchAndRelease, release, or a peers scan
 * in {@link StickTable.collectUpdates}) gives it the next update id of the table: the header's
 * UPDATE counter (32-bit, wrapping, 0 skipped), incremented and stored in the slot under the table
 * lock, so an id <= the counter read under the lock is always already visible in its slot. A new
 * entry gets an id at creation. A change learned from a peer ({@link StickTable.applyLearned})
 * gets an id too, with UPDSRC naming the peer: peers teach only local changes (UPDSRC 0)
 * incrementally, so a learned update is never echoed back nor forwarded (HAProxy's full-mesh
 * rule); a full resync teaches every entry.
 *
 * Handles: an entry is named by `gen * 2^26 + slot` (at most 2^26 slots, 27-bit generations), a
 * plain number; -1 means none.
 */
import { BUG_ON, CHECK_IF } from '../../diag/invariants.ts';
import { declareFaultSite } from '../../diag/fault-sites.ts';
import { FREQ_CTR_WORDS, freqCtrRead, freqCtrSet, freqCtrUpdate } from './freq-ctr.ts';
import { stickFilterMatches } from './filter.ts';
import { formatStickKey, hashKeyBytes, type StickKey } from './key.ts';
import { LOCK_SELF, shmLock, shmLockHeld, shmLockHolder, shmUnlock } from './lock.ts';
import { STP } from './trace.ts';
import { STICK_DATA_TYPES, type StickDataFilter, type StickDataType, type StickEntryView, type StickStdType, type StickTableDef } from './stick.types.ts';

/** Header word offsets. */
const H = {
  MAGIC: 0,
  VERSION: 1,
  TAG: 2,
  CAPACITY: 3,
  BUCKETS: 4,
  SLOT_WORDS: 5,
  KEY_SIZE: 6,
  LOCK: 7,
  CURRENT: 8,
  FREE_TOP: 9,
  LRU_HEAD: 10,
  LRU_TAIL: 11,
  EXPIRE: 12,
  NOPURGE: 13,
  KILLS: 14,
  EXPIRED: 15,
  PURGED: 16,
  REFUSED: 17,
  UPDATE: 18,
  /** Worker threads with a reference ledger (0: none). */
  THREADS: 19,
  /** Word offset of the ledger area (see "Reference ledger"). */
  LEDGER: 20,
  /** References refused because a thread's ledger cell was full (65535 on one entry). */
  LEDGER_FULL: 21,
} as const;
const HEADER_WORDS = 32;
const MAGIC = 0x53544b54; // 'STKT'
const VERSION = 1;

/** Slot word offsets (see the module comment). */
export const SLOT = {
  OWNER: 0,
  GEN: 1,
  REF: 2,
  LOCK: 3,
  HNEXT: 4,
  HASH: 5,
  EXPIRE: 6,
  LPREV: 7,
  LNEXT: 8,
  KEYLEN: 9,
  UPD: 10,
  UPDSRC: 11,
  KEY: 12,
} as const;

/** UPDSRC bit: data changed since the entry's last update id. */
const DIRTY = 1 << 30;
const SRC_MASK = DIRTY - 1;

/** One entry as copied out for the peers protocol by {@link StickTable.collectUpdates}. */
export interface StickUpdateEntry {
  /** The entry's update id (32-bit, wrapping). */
  readonly updateId: number;
  /** 0 for a local change, else the peer source that taught it. */
  readonly source: number;
  readonly key: StickKey;
  /** Milliseconds until expiry (0: the table has no expire). */
  readonly expireIn: number;
  /** Stored values, raw, in STICK_DATA_TYPES order: counters as numbers, rates as their 3 words. */
  readonly data: readonly StickRawValue[];
}

/** A raw stored value: a counter, or a rate's words (tick age from now, current and previous counts). */
export type StickRawValue =
  | { readonly type: StickDataType; readonly value: number }
  | { readonly type: StickDataType; readonly rate: { readonly tickAge: number; readonly curr: number; readonly prev: number } };

/** What {@link StickTable.collectUpdates} found. */
export interface StickUpdateBatch {
  /** The table's update counter when the scan started: every change up to it is accounted for. */
  readonly upTo: number;
  /** Matching entries, in update id order. */
  readonly entries: StickUpdateEntry[];
}

/** Largest table: handles keep the slot in 26 bits. */
export const MAX_STICK_TABLE_SIZE = 1 << 26;
const SLOT_SPAN = 1 << 26;
const GEN_MASK = (1 << 27) - 1;

const STD_WORDS: Record<StickStdType, number> = { sint: 1, uint: 1, ull: 2, frqp: FREQ_CTR_WORDS };
const TYPE_STD = new Map(STICK_DATA_TYPES.map((t) => [t.name, t.std]));

/** Where each stored data type lives in a slot. */
export interface StickLayout {
  readonly slotWords: number;
  readonly keyWords: number;
  readonly buckets: number;
  /** Word offset in a slot of each stored type. */
  readonly data: ReadonlyMap<StickDataType, { readonly off: number; readonly std: StickStdType; readonly period: number }>;
  /** Bytes of the whole SharedArrayBuffer. */
  readonly bytes: number;
}

/** The layout of a table for `def` (identical in every thread for the same definition). */
export function stickLayout(def: StickTableDef): StickLayout {
  if (!Number.isInteger(def.size) || def.size < 1 || def.size > MAX_STICK_TABLE_SIZE) {
    throw new RangeError(`stick-table '${def.name}': size ${def.size} is out of range (1 to ${MAX_STICK_TABLE_SIZE})`);
  }
  const keyWords = Math.ceil(def.keySize / 4);
  let off = SLOT.KEY + keyWords;
  const data = new Map<StickDataType, { off: number; std: StickStdType; period: number }>();
  for (const t of STICK_DATA_TYPES) {
    const s = def.store.find((x) => x.type === t.name);
    if (!s) continue;
    data.set(t.name, { off, std: t.std, period: s.period });
    off += STD_WORDS[t.std];
  }
  let buckets = 1;
  while (buckets < def.size) buckets *= 2;
  const words = HEADER_WORDS + buckets + def.size + def.size * off;
  return { slotWords: off, keyWords, buckets, data, bytes: words * 4 };
}

let nextTag = 1;

/** Largest count of one ledger cell (Uint16). */
const LEDGER_MAX = 0xffff;
/** Ledger flag: the thread died inside a locked section and its exit handler freed the table lock. */
const LEDGER_DIED_LOCKED = 1;

/** Most worker threads a table keeps a reference ledger for. */
export const MAX_STICK_LEDGER_THREADS = 4096;

/**
 * Bytes the reference ledger of `threads` worker threads adds to a table of `def` (see "Reference
 * ledger"): 2 per entry per thread, plus 8 per thread, rounded up to a word.
 */
export function stickLedgerBytes(def: StickTableDef, threads: number): number {
  if (threads === 0) return 0;
  return 8 * threads + Math.ceil((threads * def.size * 2) / 4) * 4;
}

/**
 * Allocates and initialises the shared memory of a table for `def`: every slot free, nothing
 * indexed. `tag` (non-zero, default: a process-unique number) is the owner tag written into the
 * slots of this table, so that an entry handed to another table is recognised. `threads`: the
 * number of worker threads (numbered 1..threads) that keep a reference ledger in it, so that the
 * references of a dead one can be dropped ({@link StickTable.releaseThread}); 0 (default) for none.
 */
export function createStickTable(def: StickTableDef, tag = 0, threads = 0): SharedArrayBuffer {
  const l = stickLayout(def);
  if (!Number.isInteger(threads) || threads < 0 || threads > MAX_STICK_LEDGER_THREADS) {
    throw new RangeError(`stick-table '${def.name}': ${threads} worker threads is out of range for a reference ledger (0 to ${MAX_STICK_LEDGER_THREADS})`);
  }
  const sab = new SharedArrayBuffer(l.bytes + stickLedgerBytes(def, threads));
  const w = new Int32Array(sab);
  w[H.THREADS] = threads;
  w[H.LEDGER] = l.bytes / 4;
  w[H.MAGIC] = MAGIC;
  w[H.VERSION] = VERSION;
  w[H.TAG] = tag || ((process.pid & 0xffff) << 12) | (nextTag++ & 0xfff) || 1;
  w[H.CAPACITY] = def.size;
  w[H.BUCKETS] = l.buckets;
  w[H.SLOT_WORDS] = l.slotWords;
  w[H.KEY_SIZE] = def.keySize;
  w[H.EXPIRE] = def.expire;
  w[H.NOPURGE] = def.nopurge ? 1 : 0;
  w[H.LRU_HEAD] = -1;
  w[H.LRU_TAIL] = -1;
  const b0 = HEADER_WORDS;
  w.fill(-1, b0, b0 + l.buckets);
  const f0 = b0 + l.buckets;
  for (let i = 0; i < def.size; i++) w[f0 + i] = def.size - 1 - i; // slot 0 on top
  // Generations start at a per-table offset: a handle of another table (or a stale one) does not
  // match a live slot here except by a 1 in 2^27 chance.
  const s0 = f0 + def.size;
  const salt = Math.imul(w[H.TAG]!, 0x9e3779b1);
  for (let i = 0; i < def.size; i++) w[s0 + i * l.slotWords + SLOT.GEN] = (salt + Math.imul(i, 0x85ebca6b)) & GEN_MASK;
  w[H.FREE_TOP] = def.size;
  return sab;
}

/** Clock of a table: milliseconds (any origin; used as 32-bit wrapping ticks). */
export type StickClock = () => number;

/** What {@link StickTable.clear} did. */
export interface StickClearResult {
  /** Entries removed. */
  readonly removed: number;
  /** Matching entries left because they are referenced (HAProxy skips them too). */
  readonly inUse: number;
}

/** Fault site re-creating seed crash 5: the reference drop done outside the table lock. */
export const FS_UNLOCKED_RELEASE = declareFaultSite(
  'stktable.unlocked-release',
  'drops a stick-table entry reference without the table lock, then kills it if expired (seed crash 5: double kill)',
);

/** Test hooks (deterministic interleavings); never set in production. */
export const STICK_TEST_HOOKS: { afterUnlockedDrop: (() => void) | undefined } = { afterUnlockedDrop: undefined };

/** Entry address as `show table` prints it (HAProxy prints the pointer). */
function slotAddr(slot: number): string {
  return '0x' + slot.toString(16);
}

/** What {@link StickTable.releaseThread} did for one dead thread. */
export interface StickThreadRelease {
  /** References dropped (the sum of the thread's ledger). */
  readonly released: number;
  /** Entries the thread held references on. */
  readonly entries: number;
  /** Entries killed because they had expired and lost their last reference here. */
  readonly killed: number;
  /** Locks the dead thread still held (the table lock, entry data locks), freed here. */
  readonly locksFreed: number;
  /** Inconsistencies found (each explained); empty normally. The ledger is zeroed regardless. */
  readonly problems: readonly string[];
}

/**
 * One thread's view of a shared stick-table. Cheap to create (a few typed-array views); every
 * thread that uses the table makes its own with the same `def` (the one given to
 * createStickTable), its own clock and, for a worker, its thread number (its reference ledger).
 */
export class StickTable {
  readonly def: StickTableDef;
  readonly layout: StickLayout;
  /** The whole buffer as Int32 words. */
  readonly w: Int32Array;
  private readonly u8: Uint8Array;
  private readonly now: StickClock;
  private readonly tag: number;
  private readonly cap: number;
  private readonly bmask: number;
  private readonly b0: number;
  private readonly f0: number;
  private readonly s0: number;
  private readonly sw: number;
  private readonly keySize: number;
  private readonly expireMs: number;
  private readonly fixedKey: boolean;
  /** Worker threads with a ledger in this buffer (0: none). */
  private readonly threads: number;
  /** Word of the ledger area: per-thread header words, then the cells. */
  private readonly lw0: number;
  /** This thread's ledger cells (undefined: this view keeps no ledger). */
  private readonly led: Uint16Array | undefined;
  /** This view's worker thread number (0: the supervisor or a test, no ledger). */
  readonly thread: number;
  /** Data offsets by type name, for the hot path (-1: not stored). */
  private readonly off: Record<string, number> = {};
  private readonly std: Record<string, StickStdType> = {};
  private readonly period: Record<string, number> = {};

  /**
   * Attaches to the table in `sab`, made by createStickTable for `def`. `thread` (1..the
   * `threads` given to createStickTable) is the worker thread this view belongs to: its takes and
   * drops are counted in that thread's reference ledger, and the view records this thread's lock
   * holder id there. 0 (default): no ledger (the supervisor, whose references are its own).
   * Throws when the buffer does not match `def` or has no ledger for `thread`.
   */
  constructor(sab: SharedArrayBuffer, def: StickTableDef, now: StickClock = Date.now, thread = 0) {
    this.def = def;
    this.layout = stickLayout(def);
    this.w = new Int32Array(sab);
    this.u8 = new Uint8Array(sab);
    this.now = now;
    const w = this.w;
    if (w[H.MAGIC] !== MAGIC || w[H.VERSION] !== VERSION) throw new Error(`stick-table '${def.name}': the shared buffer is not a stick-table`);
    if (w[H.CAPACITY] !== def.size || w[H.SLOT_WORDS] !== this.layout.slotWords || w[H.KEY_SIZE] !== def.keySize) {
      throw new Error(`stick-table '${def.name}': the shared buffer was made for another definition (size, key or stored data differ)`);
    }
    this.tag = w[H.TAG]!;
    this.cap = def.size;
    this.bmask = this.layout.buckets - 1;
    this.b0 = HEADER_WORDS;
    this.f0 = this.b0 + this.layout.buckets;
    this.s0 = this.f0 + def.size;
    this.sw = this.layout.slotWords;
    this.keySize = def.keySize;
    this.expireMs = def.expire;
    this.fixedKey = def.type !== 'string';
    this.threads = w[H.THREADS]!;
    this.lw0 = w[H.LEDGER]!;
    this.thread = thread;
    if (thread !== 0) {
      if (!Number.isInteger(thread) || thread < 0 || thread > this.threads) {
        throw new Error(`stick-table '${def.name}': no reference ledger for worker thread ${thread} (the shared buffer has ${this.threads}; the supervisor makes one per thread of nbthread)`);
      }
      this.led = this.cellsOf(thread);
      Atomics.store(w, this.lw0 + 2 * (thread - 1), LOCK_SELF);
      Atomics.store(w, this.lw0 + 2 * (thread - 1) + 1, 0);
    }
    for (const t of STICK_DATA_TYPES) this.off[t.name] = -1;
    for (const [name, d] of this.layout.data) {
      this.off[name] = d.off;
      this.std[name] = d.std;
      this.period[name] = d.period;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Small helpers

  private base(slot: number): number {
    return this.s0 + slot * this.sw;
  }
  private tick(): number {
    return this.now() >>> 0;
  }
  private expiryFrom(now: number): number {
    return this.expireMs > 0 ? ((now + this.expireMs) >>> 0) || 1 : 0;
  }
  private static expired(exp: number, now: number): boolean {
    return exp !== 0 && ((now - exp) | 0) >= 0;
  }
  private handle(slot: number): number {
    return this.w[this.base(slot) + SLOT.GEN]! * SLOT_SPAN + slot;
  }
  private lock(): void {
    shmLock(this.w, H.LOCK);
  }
  /** The ledger cells of worker thread `t` (1..threads). */
  private cellsOf(t: number): Uint16Array {
    return new Uint16Array(this.w.buffer, (this.lw0 + 2 * this.threads) * 4 + (t - 1) * this.cap * 2, this.cap);
  }
  /** Counts one reference of this thread dropped on `slot` (table lock held). */
  private ledgerDrop(slot: number, what: string): void {
    const led = this.led;
    if (led === undefined) return;
    if (led[slot] === 0) {
      CHECK_IF(true, `${what}: thread ${this.thread} drops a reference on slot ${slot} of stick-table '${this.def.name}' that its ledger does not hold (taken by another thread?)`);
      return;
    }
    led[slot]!--;
  }
  private unlock(): void {
    shmUnlock(this.w, H.LOCK);
  }

  /** Number of live entries. */
  get current(): number {
    return Atomics.load(this.w, H.CURRENT);
  }
  /** Counters: kills (all causes), expired, purged, refused creations. */
  stats(): { kills: number; expired: number; purged: number; refused: number } {
    const w = this.w;
    return { kills: Atomics.load(w, H.KILLS), expired: Atomics.load(w, H.EXPIRED), purged: Atomics.load(w, H.PURGED), refused: Atomics.load(w, H.REFUSED) };
  }
  /** Whether data type `type` is stored. */
  stores(type: StickDataType): boolean {
    return this.off[type]! >= 0;
  }

  // -------------------------------------------------------------------------------------------
  // Index (table lock held)

  private keyLen(key: StickKey): number {
    return this.fixedKey ? this.keySize : Math.min(key.len, this.keySize - 1);
  }

  private find(key: StickKey, hash: number, len: number): number {
    const w = this.w;
    const u8 = this.u8;
    const kb = key.bytes;
    const h32 = hash | 0;
    let s = w[this.b0 + (hash & this.bmask)]!;
    while (s >= 0) {
      const b = this.base(s);
      if (w[b + SLOT.HASH] === h32) {
        if (w[b + SLOT.KEYLEN] === len) {
          const k = (b + SLOT.KEY) * 4;
          let i = 0;
          while (i < len && u8[k + i] === kb[i]) i++;
          if (i === len) return s;
        }
      }
      s = w[b + SLOT.HNEXT]!;
    }
    return -1;
  }

  private lruUnlink(slot: number): void {
    const w = this.w;
    const b = this.base(slot);
    const p = w[b + SLOT.LPREV]!;
    const n = w[b + SLOT.LNEXT]!;
    if (p >= 0) w[this.base(p) + SLOT.LNEXT] = n;
    else w[H.LRU_HEAD] = n;
    if (n >= 0) w[this.base(n) + SLOT.LPREV] = p;
    else w[H.LRU_TAIL] = p;
    w[b + SLOT.LPREV] = -1;
    w[b + SLOT.LNEXT] = -1;
  }

  private lruAppend(slot: number): void {
    const w = this.w;
    const b = this.base(slot);
    const t = w[H.LRU_TAIL]!;
    w[b + SLOT.LPREV] = t;
    w[b + SLOT.LNEXT] = -1;
    if (t >= 0) w[this.base(t) + SLOT.LNEXT] = slot;
    else w[H.LRU_HEAD] = slot;
    w[H.LRU_TAIL] = slot;
  }

  /** HAProxy __stktable_trash_oldest(): kills up to `batch` unreferenced entries, oldest first. */
  private trashOldest(batch: number): number {
    const w = this.w;
    let n = 0;
    let s = w[H.LRU_HEAD]!;
    while (s >= 0 && n < batch) {
      const next = w[this.base(s) + SLOT.LNEXT]!;
      if (w[this.base(s) + SLOT.REF] === 0) {
        this.stksessKill(this.handle(s), 'purge');
        n++;
      }
      s = next;
    }
    Atomics.add(w, H.PURGED, n);
    return n;
  }

  /** HAProxy __stksess_new() + __stktable_store(): a new entry for `key` (-1 when full). */
  private create(key: StickKey, hash: number, len: number, now: number): number {
    const w = this.w;
    if (w[H.FREE_TOP] === 0) {
      if (w[H.NOPURGE] || this.trashOldest((this.cap >> 8) + 1) === 0) {
        Atomics.add(w, H.REFUSED, 1);
        if (STP.refused.on) STP.refused.emit(0, 0, this.cap, 0, 0, this.def.name);
        return -1;
      }
    }
    const top = w[H.FREE_TOP]! - 1;
    const slot = w[this.f0 + top]!;
    w[H.FREE_TOP] = top;
    const b = this.base(slot);
    if (w[b + SLOT.OWNER] !== 0) BUG_ON(true, `stksess_new: free slot ${slot} of table '${this.def.name}' still has owner ${w[b + SLOT.OWNER]}`);
    // clear the data words and the key, then publish
    w.fill(0, b + SLOT.KEY, b + this.sw);
    this.u8.set(key.bytes.subarray(0, len), (b + SLOT.KEY) * 4);
    w[b + SLOT.KEYLEN] = len;
    w[b + SLOT.HASH] = hash | 0;
    w[b + SLOT.REF] = 0;
    w[b + SLOT.EXPIRE] = this.expiryFrom(now);
    w[b + SLOT.GEN] = (w[b + SLOT.GEN]! + 1) & GEN_MASK;
    w[b + SLOT.OWNER] = this.tag;
    const bucket = this.b0 + (hash & this.bmask);
    w[b + SLOT.HNEXT] = w[bucket]!;
    w[bucket] = slot;
    this.lruAppend(slot);
    this.stamp(b, 0);
    Atomics.add(w, H.CURRENT, 1);
    if (STP.created.on) STP.created.emit(0, 0, slot, w[b + SLOT.GEN], 0, this.def.name);
    return slot;
  }

  // -------------------------------------------------------------------------------------------
  // Public operations

  /**
   * HAProxy stktable_get_entry(): the entry for `key`, created if absent, with one reference
   * taken for the caller (who must drop it: release / touchAndRelease). A new entry expires
   * `expire` ms from now. When the table is full, the oldest unreferenced entries are purged
   * first, unless `nopurge`; -1 when no room could be made.
   */
  acquire(key: StickKey): number {
    return this.locate(key, true, true);
  }

  /** HAProxy stktable_lookup_key(): the entry for `key` with one reference taken, or -1. */
  lookup(key: StickKey): number {
    return this.locate(key, false, true);
  }

  /** Whether `key` has an entry now (no reference taken: the answer may be stale at once). */
  has(key: StickKey): boolean {
    return this.locate(key, false, false) >= 0;
  }

  /**
   * Finds `key` under the table lock, creating it when `create`; with `takeRef`, takes one reference
   * and returns its handle, else returns the slot (>= 0) or -1 when absent.
   */
  private locate(key: StickKey, create: boolean, takeRef: boolean): number {
    const len = this.keyLen(key);
    const hash = hashKeyBytes(key.bytes, 0, len);
    const now = create ? this.tick() : 0;
    this.lock();
    try {
      let s = this.find(key, hash, len);
      if (s < 0 && create) s = this.create(key, hash, len, now);
      if (s < 0 || !takeRef) return s;
      const led = this.led;
      if (led !== undefined) {
        if (led[s] === LEDGER_MAX) {
          Atomics.add(this.w, H.LEDGER_FULL, 1);
          return -1;
        }
        led[s]!++;
      }
      this.w[this.base(s) + SLOT.REF]!++;
      return this.handle(s);
    } finally {
      this.unlock();
    }
  }


  /** Checks that `h` names a live entry of this table; returns its slot. Table lock held or ref held. */
  private check(h: number, what: string): number {
    const slot = h % SLOT_SPAN;
    const gen = (h - slot) / SLOT_SPAN;
    if (!(h >= 0 && slot < this.cap)) BUG_ON(true, `${what}: handle ${h} is not an entry of stick-table '${this.def.name}' (size ${this.cap})`);
    const b = this.base(slot);
    const owner = this.w[b + SLOT.OWNER]!;
    if (owner === 0) BUG_ON(true, `${what}: entry slot ${slot} of stick-table '${this.def.name}' is free (used after its kill)`);
    if (owner !== this.tag) BUG_ON(true, `${what}: entry slot ${slot} belongs to another table (owner tag ${owner}, '${this.def.name}' is ${this.tag})`);
    if (this.w[b + SLOT.GEN] !== gen) BUG_ON(true, `${what}: stale or foreign handle on slot ${slot} of '${this.def.name}': generation ${gen}, the slot holds generation ${this.w[b + SLOT.GEN]} (entry killed and reused, or handle of another table)`);
    return slot;
  }

  /**
   * HAProxy stktable_touch_local(): the entry expires `expire` ms from now and becomes the
   * youngest (last to be purged). The caller holds a reference.
   */
  touch(h: number): void {
    const now = this.tick();
    this.lock();
    try {
      this.touchSlot(this.check(h, 'stktable_touch'), now);
    } finally {
      this.unlock();
    }
  }

  /** Gives the entry at slot base `b` the table's next update id, made by `src` (table lock held). */
  private stamp(b: number, src: number): void {
    const w = this.w;
    const id = (w[H.UPDATE]! + 1) | 0 || 1;
    w[H.UPDATE] = id;
    Atomics.store(w, b + SLOT.UPD, id);
    Atomics.store(w, b + SLOT.UPDSRC, src);
  }

  /** Stamps the entry when its data changed since its last update id (table lock held). */
  private stampIfDirty(b: number): void {
    if (Atomics.load(this.w, b + SLOT.UPDSRC) & DIRTY) this.stamp(b, 0);
  }

  private touchSlot(slot: number, now: number): void {
    this.stampIfDirty(this.base(slot));
    this.w[this.base(slot) + SLOT.EXPIRE] = this.expiryFrom(now);
    if (this.w[H.LRU_TAIL] !== slot) {
      this.lruUnlink(slot);
      this.lruAppend(slot);
    }
  }

  /**
   * Drops the caller's reference on `h` (HAProxy stktable_release / stksess_kill_if_expired with
   * decrefcnt): under the table lock; when it was the last one and the entry has expired, the
   * entry is killed now. Returns true when this release killed it.
   */
  release(h: number): boolean {
    if (FS_UNLOCKED_RELEASE.armed && FS_UNLOCKED_RELEASE.fire()) return this.releaseUnlocked(h);
    const now = this.tick();
    this.lock();
    try {
      const slot = this.check(h, 'stktable_release');
      const b = this.base(slot);
      const ref = this.w[b + SLOT.REF]! - 1;
      if (ref < 0) BUG_ON(true, `stktable_release: reference count of slot ${slot} in '${this.def.name}' would drop below 0 (released more than taken)`);
      this.ledgerDrop(slot, 'stktable_release');
      this.w[b + SLOT.REF] = ref;
      this.stampIfDirty(b);
      if (ref !== 0 || !StickTable.expired(this.w[b + SLOT.EXPIRE]!, now)) return false;
      this.stksessKill(h, 'release');
      Atomics.add(this.w, H.EXPIRED, 1);
      return true;
    } finally {
      this.unlock();
    }
  }

  /**
   * {@link release} for a thread that is going away (a worker's exit path): drops the reference on
   * `h` under the table lock, but returns false instead of a BUG_ON when the handle is no longer
   * a live entry of this table or holds no reference, and does nothing when this thread already
   * holds the table lock (it died inside a locked section: waiting would hang, the reference is
   * then left). True when the reference was dropped.
   */
  releaseQuiet(h: number): boolean {
    const w = this.w;
    if (shmLockHeld(w, H.LOCK)) return false;
    const slot = h % SLOT_SPAN;
    const gen = (h - slot) / SLOT_SPAN;
    if (!(h >= 0 && slot < this.cap)) return false;
    const now = this.tick();
    this.lock();
    try {
      const b = this.base(slot);
      if (w[b + SLOT.OWNER] !== this.tag || w[b + SLOT.GEN] !== gen || w[b + SLOT.REF]! <= 0) return false;
      if (this.led !== undefined && this.led[slot]! > 0) this.led[slot]!--;
      const ref = w[b + SLOT.REF]! - 1;
      w[b + SLOT.REF] = ref;
      if (ref === 0 && StickTable.expired(w[b + SLOT.EXPIRE]!, now)) {
        this.stksessKill(h, 'release');
        Atomics.add(w, H.EXPIRED, 1);
      }
      return true;
    } finally {
      this.unlock();
    }
  }

  /**
   * The key of entry `h` (a copy: `keySize` bytes, `len` meaningful), for looking the same key up
   * in another table (`sc_http_req_rate(0,other)`). The caller holds a reference.
   */
  keyOf(h: number): StickKey {
    const b = this.base(h % SLOT_SPAN);
    const k = (b + SLOT.KEY) * 4;
    return { bytes: this.u8.slice(k, k + this.keySize), len: this.w[b + SLOT.KEYLEN]! };
  }

  /** The seed-5 defect, for `debug dev fault stktable.unlocked-release`: decrement outside the lock. */
  private releaseUnlocked(h: number): boolean {
    const slot = h % SLOT_SPAN;
    const b = this.base(slot);
    const left = Atomics.sub(this.w, b + SLOT.REF, 1) - 1;
    // the ledger follows the (racy) drop, so a later death of this thread does not drop it again
    if (this.led !== undefined && Atomics.load(this.led, slot) > 0) Atomics.sub(this.led, slot, 1);
    STICK_TEST_HOOKS.afterUnlockedDrop?.();
    if (left !== 0 || !StickTable.expired(Atomics.load(this.w, b + SLOT.EXPIRE), this.tick())) return false;
    this.lock();
    try {
      this.stksessKill(h, 'release');
    } finally {
      this.unlock();
    }
    return true;
  }

  /** HAProxy stktable_touch_local(t, ts, 1): touch then release, in one lock. */
  touchAndRelease(h: number): void {
    const now = this.tick();
    this.lock();
    try {
      const slot = this.check(h, 'stktable_touch_local');
      const b = this.base(slot);
      const ref = this.w[b + SLOT.REF]! - 1;
      if (ref < 0) BUG_ON(true, `stktable_touch_local: reference count of slot ${slot} in '${this.def.name}' would drop below 0 (released more than taken)`);
      this.ledgerDrop(slot, 'stktable_touch_local');
      this.touchSlot(slot, now);
      this.w[b + SLOT.REF] = ref;
    } finally {
      this.unlock();
    }
  }

  /**
   * Kills the entry `h`: unlinks it from the index and the LRU list and frees its slot (HAProxy
   * __stksess_kill). The ONLY function that frees an entry. Preconditions, each a BUG_ON: the
   * table lock is held by this thread, the slot holds an entry (not a double kill), of this table
   * (owner tag), of the handle's generation, with no reference.
   */
  stksessKill(h: number, why: string): void {
    const w = this.w;
    if (!shmLockHeld(w, H.LOCK)) BUG_ON(true, `stksessKill: table lock of '${this.def.name}' not held (${why})`);
    const slot = h % SLOT_SPAN;
    const gen = (h - slot) / SLOT_SPAN;
    if (!(h >= 0 && slot < this.cap)) BUG_ON(true, `stksessKill: handle ${h} is not an entry of stick-table '${this.def.name}' (${why})`);
    const b = this.base(slot);
    const owner = w[b + SLOT.OWNER]!;
    if (owner === 0) BUG_ON(true, `stksessKill: entry slot ${slot} of stick-table '${this.def.name}' is already free: double kill (${why})`);
    if (owner !== this.tag) BUG_ON(true, `stksessKill: entry slot ${slot} freed into stick-table '${this.def.name}' (tag ${this.tag}) but owned by tag ${owner} (${why})`);
    if (w[b + SLOT.GEN] !== gen) BUG_ON(true, `stksessKill: stale or foreign handle on slot ${slot} of '${this.def.name}': generation ${gen}, the slot holds generation ${w[b + SLOT.GEN]} (entry killed and reused, or handle of another table) (${why})`);
    const ref = w[b + SLOT.REF]!;
    if (ref !== 0) BUG_ON(true, `stksessKill: entry slot ${slot} of stick-table '${this.def.name}' is still referenced (use=${ref}) (${why})`);
    // unlink from its hash chain
    const bucket = this.b0 + ((w[b + SLOT.HASH]! >>> 0) & this.bmask);
    let p = -1;
    let s = w[bucket]!;
    while (s >= 0 && s !== slot) {
      p = s;
      s = w[this.base(s) + SLOT.HNEXT]!;
    }
    if (s !== slot) BUG_ON(true, `stksessKill: entry slot ${slot} of '${this.def.name}' is not in its hash chain (index corrupted)`);
    if (p < 0) w[bucket] = w[b + SLOT.HNEXT]!;
    else w[this.base(p) + SLOT.HNEXT] = w[b + SLOT.HNEXT]!;
    this.lruUnlink(slot);
    w[b + SLOT.HNEXT] = -1;
    w[b + SLOT.OWNER] = 0;
    w[b + SLOT.GEN] = (gen + 1) & GEN_MASK;
    const top = w[H.FREE_TOP]!;
    if (top >= this.cap) BUG_ON(true, `stksessKill: free stack of '${this.def.name}' overflows (${top} >= ${this.cap})`);
    w[this.f0 + top] = slot;
    w[H.FREE_TOP] = top + 1;
    Atomics.sub(w, H.CURRENT, 1);
    Atomics.add(w, H.KILLS, 1);
    if (STP.killed.on) STP.killed.emit(0, 0, slot, gen, 0, why);
  }

  /**
   * Kills entry `h` now (table lock taken here). The caller must have dropped every reference:
   * killing a referenced or already-killed entry is a BUG_ON. `clear` is the checked front-end.
   */
  kill(h: number): void {
    this.lock();
    try {
      this.stksessKill(h, 'kill');
    } finally {
      this.unlock();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reference ledger (dead workers)

  /**
   * References worker thread `t` holds now according to its ledger (the sum of its cells; O(size),
   * no lock: tests, diagnostics). 0 when the buffer keeps no ledger for `t`.
   */
  ledgerCount(t: number): number {
    if (!(t >= 1 && t <= this.threads)) return 0;
    const cells = this.cellsOf(t);
    let n = 0;
    for (let s = 0; s < this.cap; s++) n += Atomics.load(cells, s);
    return n;
  }

  /** References refused because one thread's ledger cell was full (65535 on one entry). */
  get ledgerRefused(): number {
    return Atomics.load(this.w, H.LEDGER_FULL);
  }

  /**
   * For a worker thread that is ending (its `exit` handler): when it still holds the table lock (it
   * died inside a locked section: a BUG_ON ends the thread through process.exit, no `finally`
   * runs), frees it and flags its ledger, so the other threads do not wait forever and the
   * supervisor checks the table ({@link releaseThread}). True when the lock was freed.
   */
  abandonLocks(): boolean {
    const w = this.w;
    if (!shmLockHeld(w, H.LOCK)) return false;
    if (this.thread > 0) Atomics.or(w, this.lw0 + 2 * (this.thread - 1) + 1, LEDGER_DIED_LOCKED);
    shmUnlock(w, H.LOCK);
    return true;
  }

  /**
   * Drops every reference worker thread `t` still held (its ledger), for the supervisor once that
   * thread is dead and before its replacement attaches: under the table lock, 4096 slots at a time,
   * each entry's REF loses the thread's count; an entry left unreferenced after its expiry is
   * killed through stksessKill, as its last release would have (HAProxy
   * stksess_kill_if_expired()); then the ledger is zeroed. Locks the dead thread still held (the
   * table lock of a thread terminated inside a locked section, an entry's data lock) are freed
   * first; when that happened, or the thread's exit handler had to free the table lock, the table
   * is checked ({@link verify}) and what is wrong is reported in `problems`. Never BUG_ONs: a
   * ledger that disagrees with REF is reported and repaired as far as possible. Must not be called
   * for a live thread (its references would be dropped under it). RangeError when the buffer has no
   * ledger for `t`.
   */
  releaseThread(t: number): StickThreadRelease {
    if (!(Number.isInteger(t) && t >= 1 && t <= this.threads)) {
      throw new RangeError(`stick-table '${this.def.name}': no reference ledger for worker thread ${t} (the buffer has ${this.threads})`);
    }
    const w = this.w;
    const hw = this.lw0 + 2 * (t - 1);
    const holder = Atomics.load(w, hw);
    const flags = Atomics.load(w, hw + 1);
    const problems: string[] = [];
    let locksFreed = 0;
    if (holder !== 0 && shmLockHolder(w, H.LOCK) === holder) {
      shmUnlock(w, H.LOCK); // its holder is gone: nobody else would ever free it
      locksFreed++;
    }
    const cells = this.cellsOf(t);
    let released = 0;
    let entries = 0;
    let killed = 0;
    const now = this.tick();
    for (let start = 0; start < this.cap; start += 4096) {
      const end = Math.min(this.cap, start + 4096);
      let any = false;
      for (let s = start; s < end && !any; s++) any = Atomics.load(cells, s) !== 0;
      if (!any) continue; // the dead thread's cells cannot change: no lock needed to skip them
      this.lock();
      try {
        for (let s = start; s < end; s++) {
          const c = cells[s]!;
          if (c === 0) continue;
          cells[s] = 0;
          entries++;
          const b = this.base(s);
          if (w[b + SLOT.OWNER] !== this.tag) {
            problems.push(`slot ${s}: the ledger of thread ${t} holds ${c} reference(s) on a free slot`);
            continue;
          }
          if (holder !== 0 && shmLockHolder(w, b + SLOT.LOCK) === holder) {
            shmUnlock(w, b + SLOT.LOCK);
            locksFreed++;
          }
          const refs = w[b + SLOT.REF]!;
          if (refs < c) problems.push(`slot ${s}: the ledger of thread ${t} holds ${c} reference(s), the entry has use=${refs}`);
          const drop = Math.min(refs, c);
          released += drop;
          w[b + SLOT.REF] = refs - drop;
          this.stampIfDirty(b);
          if (refs - drop !== 0 || !StickTable.expired(w[b + SLOT.EXPIRE]!, now)) continue;
          try {
            this.stksessKill(this.handle(s), 'dead-thread');
            Atomics.add(w, H.EXPIRED, 1);
            killed++;
          } catch (e) {
            problems.push(`slot ${s}: ${(e as Error).message}`);
          }
        }
      } finally {
        this.unlock();
      }
    }
    cells.fill(0);
    Atomics.store(w, hw, 0);
    Atomics.store(w, hw + 1, 0);
    if (locksFreed > 0 || flags & LEDGER_DIED_LOCKED) {
      const why = locksFreed > 0 ? `thread ${t} was ended holding ${locksFreed} lock(s)` : `thread ${t} died inside a locked section`;
      for (const e of this.verify()) problems.push(`${why}: ${e}`);
    }
    if (STP.expired.on && killed > 0) STP.expired.emit(0, 0, killed, this.current, 0, this.def.name);
    return { released, entries, killed, locksFreed, problems };
  }

  /**
   * HAProxy process_table_expire(): kills expired unreferenced entries, oldest first, at most
   * `budget`. Returns how many died and the delay in ms until the next expiry (-1: none pending).
   */
  expire(budget = Infinity): { killed: number; next: number } {
    const now = this.tick();
    const w = this.w;
    let killed = 0;
    let next = -1;
    this.lock();
    try {
      let s = w[H.LRU_HEAD]!;
      while (s >= 0 && killed < budget) {
        const b = this.base(s);
        const after = w[b + SLOT.LNEXT]!;
        const exp = w[b + SLOT.EXPIRE]!;
        if (!StickTable.expired(exp, now)) {
          if (exp !== 0) next = (exp - now) | 0;
          break;
        }
        if (w[b + SLOT.REF] === 0) {
          this.stksessKill(this.handle(s), 'expire');
          killed++;
        }
        s = after;
      }
    } finally {
      Atomics.add(w, H.EXPIRED, killed);
      this.unlock();
    }
    if (STP.expired.on) STP.expired.emit(0, 0, killed, this.current, 0, this.def.name);
    return { killed, next };
  }

  // -------------------------------------------------------------------------------------------
  // Data (caller holds a reference)

  private dataOff(h: number, type: StickDataType): number {
    const o = this.off[type];
    return o === undefined ? -1 : o;
  }

  /**
   * The value of `type` in entry `h` (rates read at now over their period), or undefined when
   * the table does not store it.
   */
  get(h: number, type: StickDataType): number | undefined {
    const o = this.dataOff(h, type);
    if (o < 0) return undefined;
    const slot = h % SLOT_SPAN;
    const b = this.base(slot);
    const w = this.w;
    shmLock(w, b + SLOT.LOCK);
    const v = this.readData(b, o, this.std[type]!, this.period[type]!, this.tick());
    shmUnlock(w, b + SLOT.LOCK);
    return v;
  }

  private readData(b: number, o: number, std: StickStdType, period: number, now: number): number {
    const w = this.w;
    switch (std) {
      case 'sint':
        return w[b + o]!;
      case 'uint':
        return w[b + o]! >>> 0;
      case 'ull':
        return (w[b + o + 1]! >>> 0) * 2 ** 32 + (w[b + o]! >>> 0);
      case 'frqp':
        return freqCtrRead(w, b + o, period, now);
    }
  }

  /**
   * Adds `n` to `type` in entry `h`: a counter (uint wraps at 2^32 like HAProxy's, a negative `n`
   * stops at 0, as `conn_cur` does), or `n` events of a rate. False when `type` is not stored.
   */
  add(h: number, type: StickDataType, n: number): boolean {
    const o = this.dataOff(h, type);
    if (o < 0) return false;
    const b = this.base(h % SLOT_SPAN) + o;
    const w = this.w;
    const lk = b - o + SLOT.LOCK;
    shmLock(w, lk);
    switch (this.std[type]!) {
      case 'sint':
        w[b] = (w[b]! + n) | 0;
        break;
      case 'uint': {
        const v = (w[b]! >>> 0) + n;
        w[b] = n >= 0 ? v >>> 0 : Math.max(0, v);
        break;
      }
      case 'ull': {
        const v = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, (w[b + 1]! >>> 0) * 2 ** 32 + (w[b]! >>> 0) + n));
        w[b] = v % 2 ** 32;
        w[b + 1] = Math.floor(v / 2 ** 32);
        break;
      }
      case 'frqp':
        if (n > 0) freqCtrUpdate(w, b, this.period[type]!, this.tick(), n);
        break;
    }
    Atomics.or(w, lk - SLOT.LOCK + SLOT.UPDSRC, DIRTY);
    shmUnlock(w, lk);
    return true;
  }

  /**
   * Sets `type` in entry `h` to `v` (HAProxy `set table ... data.<type> <v>`; a rate then reads
   * `v` for its whole current period). False when `type` is not stored.
   */
  set(h: number, type: StickDataType, v: number): boolean {
    const o = this.dataOff(h, type);
    if (o < 0) return false;
    const b = this.base(h % SLOT_SPAN) + o;
    const w = this.w;
    const lk = b - o + SLOT.LOCK;
    shmLock(w, lk);
    switch (this.std[type]!) {
      case 'sint':
        w[b] = v | 0;
        break;
      case 'uint':
        w[b] = v >>> 0;
        break;
      case 'ull': {
        const x = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(v)));
        w[b] = x % 2 ** 32;
        w[b + 1] = Math.floor(x / 2 ** 32);
        break;
      }
      case 'frqp':
        freqCtrSet(w, b, this.tick(), v);
        break;
    }
    Atomics.or(w, lk - SLOT.LOCK + SLOT.UPDSRC, DIRTY);
    shmUnlock(w, lk);
    return true;
  }

  /** References held on `h` now (HAProxy `use=`). */
  refs(h: number): number {
    return Atomics.load(this.w, this.base(h % SLOT_SPAN) + SLOT.REF);
  }

  // -------------------------------------------------------------------------------------------
  // Update tracking (peers)

  /** The table's update counter: the id of its latest change (0 before any). */
  get updateCounter(): number {
    return Atomics.load(this.w, H.UPDATE);
  }

  private rawOf(b: number, now: number): StickRawValue[] {
    const w = this.w;
    const out: StickRawValue[] = [];
    shmLock(w, b + SLOT.LOCK);
    for (const [type, d] of this.layout.data) {
      if (d.std === 'frqp') {
        const o = b + d.off;
        out.push({ type, rate: { tickAge: (now - (w[o]! >>> 0)) >>> 0, curr: w[o + 1]! >>> 0, prev: w[o + 2]! >>> 0 } });
      } else out.push({ type, value: this.readData(b, d.off, d.std, d.period, now) });
    }
    shmUnlock(w, b + SLOT.LOCK);
    return out;
  }

  /**
   * The entries a peer must be taught (HAProxy's teaching walk over `t->updates`): with `full`,
   * every live entry (a full resync); otherwise the entries whose update id comes after `after`
   * (wrapping compare) and at or before the counter read when the scan started, changed locally
   * (UPDSRC 0) when `localOnly` (default true). Entries whose data changed without an update id
   * yet (held by a long stream) get one here, after the returned `upTo`, so the next scan sends
   * them. The table lock is held 4096 slots at a time. At most `limit` entries (lowest ids first).
   */
  collectUpdates(opts: { after: number; full?: boolean; localOnly?: boolean; limit?: number }): StickUpdateBatch {
    const w = this.w;
    const now = this.tick();
    const localOnly = opts.localOnly ?? true;
    let upTo = 0;
    const found: { slot: number; id: number }[] = [];
    for (let start = 0; start < this.cap; start += 4096) {
      this.lock();
      try {
        if (start === 0) upTo = w[H.UPDATE]!;
        const end = Math.min(this.cap, start + 4096);
        for (let s = start; s < end; s++) {
          const b = this.base(s);
          if (w[b + SLOT.OWNER] !== this.tag) continue;
          const id = w[b + SLOT.UPD]!;
          const src = w[b + SLOT.UPDSRC]!;
          if (src & DIRTY) this.stamp(b, 0);
          if (opts.full) {
            found.push({ slot: s, id });
            continue;
          }
          if (localOnly && (src & SRC_MASK) !== 0) continue;
          if (((id - opts.after) | 0) > 0 && ((id - upTo) | 0) <= 0) found.push({ slot: s, id });
        }
      } finally {
        this.unlock();
      }
    }
    const ref = opts.full ? upTo : opts.after;
    found.sort((a, b) => ((a.id - ref) | 0) - ((b.id - ref) | 0));
    const entries: StickUpdateEntry[] = [];
    const limit = opts.limit ?? Infinity;
    for (const f of found) {
      if (entries.length >= limit) break;
      this.lock();
      try {
        const b = this.base(f.slot);
        if (w[b + SLOT.OWNER] !== this.tag) continue; // killed since the scan
        const k = (b + SLOT.KEY) * 4;
        const exp = w[b + SLOT.EXPIRE]!;
        entries.push({
          updateId: f.id,
          source: w[b + SLOT.UPDSRC]! & SRC_MASK,
          key: { bytes: this.u8.slice(k, k + this.keySize), len: w[b + SLOT.KEYLEN]! },
          expireIn: exp === 0 ? 0 : Math.max(0, (exp - now) | 0),
          data: this.rawOf(b, now),
        });
      } finally {
        this.unlock();
      }
    }
    return { upTo, entries };
  }

  /**
   * Applies an update learned from peer source `source` (> 0; HAProxy peer_treat_updatemsg() +
   * stktable_touch_remote()): the entry of `key` is created if needed (false when the table is
   * full and nothing can be purged), the given values replace the stored ones (types the table
   * does not store are ignored; a rate is given as its words, `tickAge` ms ago), it expires in
   * `expireIn` ms (the table's expire when undefined; nothing when the table has none), and it gets
   * a new update id marked as learned from `source`, so it is not taught back.
   */
  applyLearned(key: StickKey, values: readonly StickRawValue[], expireIn: number | undefined, source: number): boolean {
    if (!(source > 0 && source <= SRC_MASK)) throw new RangeError(`applyLearned: peer source ${source} out of range`);
    const len = this.keyLen(key);
    const hash = hashKeyBytes(key.bytes, 0, len);
    const now = this.tick();
    const w = this.w;
    this.lock();
    try {
      let s = this.find(key, hash, len);
      if (s < 0) s = this.create(key, hash, len, now);
      if (s < 0) return false;
      const b = this.base(s);
      shmLock(w, b + SLOT.LOCK);
      for (const v of values) {
        const o = this.off[v.type];
        if (o === undefined || o < 0) continue;
        const std = this.std[v.type]!;
        const at = b + o;
        if ('rate' in v) {
          if (std !== 'frqp') continue;
          w[at] = (now - v.rate.tickAge) | 0;
          w[at + 1] = v.rate.curr | 0;
          w[at + 2] = v.rate.prev | 0;
        } else if (std === 'ull') {
          const x = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(v.value)));
          w[at] = x % 2 ** 32;
          w[at + 1] = Math.floor(x / 2 ** 32);
        } else if (std !== 'frqp') w[at] = v.value | 0;
      }
      shmUnlock(w, b + SLOT.LOCK);
      if (this.expireMs > 0) w[b + SLOT.EXPIRE] = ((now + (expireIn ?? this.expireMs)) >>> 0) || 1;
      if (w[H.LRU_TAIL] !== s) {
        this.lruUnlink(s);
        this.lruAppend(s);
      }
      this.stamp(b, source);
      return true;
    } finally {
      this.unlock();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Listing and clearing (runtime commands)

  private viewOf(slot: number, now: number): StickEntryView {
    const w = this.w;
    const b = this.base(slot);
    const k = (b + SLOT.KEY) * 4;
    const len = w[b + SLOT.KEYLEN]!;
    const exp = w[b + SLOT.EXPIRE]!;
    const data: { type: StickDataType; period: number; value: number }[] = [];
    shmLock(w, b + SLOT.LOCK);
    for (const [type, d] of this.layout.data) data.push({ type, period: d.period, value: this.readData(b, d.off, d.std, d.period, now) });
    shmUnlock(w, b + SLOT.LOCK);
    return {
      slot,
      key: formatStickKey(this.def.type, this.u8.subarray(k, k + this.keySize), len),
      use: w[b + SLOT.REF]!,
      exp: exp === 0 ? 0 : Math.max(0, (exp - now) | 0),
      data,
    };
  }

  private matches(view: StickEntryView, filters: readonly StickDataFilter[]): boolean {
    for (const f of filters) {
      const d = view.data.find((x) => x.type === f.type);
      if (!d) return false;
      if (!stickFilterMatches(f, d.value)) return false;
    }
    return true;
  }

  /**
   * The entries (oldest touched first) matching every filter (`show table <t> data.<type> <op>
   * <value>`), or the single entry of `key`. The table lock is held while reading, 4096 entries
   * at a time, so traffic goes on during a long listing.
   */
  list(opts: { filters?: readonly StickDataFilter[]; key?: StickKey; limit?: number } = {}): StickEntryView[] {
    const now = this.tick();
    const out: StickEntryView[] = [];
    const filters = opts.filters ?? [];
    const limit = opts.limit ?? Infinity;
    if (opts.key) {
      const len = this.keyLen(opts.key);
      this.lock();
      try {
        const s = this.find(opts.key, hashKeyBytes(opts.key.bytes, 0, len), len);
        if (s >= 0) {
          const v = this.viewOf(s, now);
          if (this.matches(v, filters)) out.push(v);
        }
      } finally {
        this.unlock();
      }
      return out;
    }
    for (let start = 0; start < this.cap && out.length < limit; start += 4096) {
      this.lock();
      try {
        const end = Math.min(this.cap, start + 4096);
        for (let s = start; s < end && out.length < limit; s++) {
          if (this.w[this.base(s) + SLOT.OWNER] !== this.tag) continue;
          const v = this.viewOf(s, now);
          if (this.matches(v, filters)) out.push(v);
        }
      } finally {
        this.unlock();
      }
    }
    return out;
  }

  /**
   * `clear table <t> [key <k> | data.<type> <op> <value>]`: kills the matching unreferenced
   * entries (all of them without key nor filter); referenced ones are left and counted in `inUse`
   * (HAProxy: "Entry currently in use, cannot remove" for a key).
   */
  clear(opts: { filters?: readonly StickDataFilter[]; key?: StickKey } = {}): StickClearResult {
    const now = this.tick();
    const filters = opts.filters ?? [];
    let removed = 0;
    let inUse = 0;
    const consider = (s: number): void => {
      const b = this.base(s);
      if (filters.length > 0 && !this.matches(this.viewOf(s, now), filters)) return;
      if (this.w[b + SLOT.REF] !== 0) {
        inUse++;
        return;
      }
      this.stksessKill(this.handle(s), 'clear');
      removed++;
    };
    if (opts.key) {
      const len = this.keyLen(opts.key);
      this.lock();
      try {
        const s = this.find(opts.key, hashKeyBytes(opts.key.bytes, 0, len), len);
        if (s >= 0) consider(s);
      } finally {
        this.unlock();
      }
      return { removed, inUse };
    }
    for (let start = 0; start < this.cap; start += 4096) {
      this.lock();
      try {
        const end = Math.min(this.cap, start + 4096);
        for (let s = start; s < end; s++) if (this.w[this.base(s) + SLOT.OWNER] === this.tag) consider(s);
      } finally {
        this.unlock();
      }
    }
    return { removed, inUse };
  }

  /**
   * The `show table` header line (HAProxy: `# table: <name>, type: <type>, size:<size>, used:<n>`).
   */
  formatHeader(): string {
    return `# table: ${this.def.name}, type: ${this.def.type}, size:${this.cap}, used:${this.current}`;
  }

  /**
   * One `show table` entry line, HAProxy 3.x's format: `0x<slot>: key=<k> use=<n> exp=<ms> shard=0
   * <type>=<v> <rate>(<period>)=<v> ...` (one shard: Flightbox does not split tables).
   */
  static formatEntry(v: StickEntryView): string {
    let s = `${slotAddr(v.slot)}: key=${v.key} use=${v.use} exp=${v.exp} shard=0`;
    for (const d of v.data) s += d.period ? ` ${d.type}(${d.period})=${d.value}` : ` ${d.type}=${d.value}`;
    return s;
  }

  /**
   * Structural self-check (tests, `debug dev` later): every live slot is in its hash chain once and
   * in the LRU list once, the free stack holds exactly the free slots, counts agree, no negative
   * reference. Returns the problems found (empty when consistent). Takes the table lock.
   */
  verify(): string[] {
    const w = this.w;
    const errs: string[] = [];
    this.lock();
    try {
      let live = 0;
      const seen = new Uint8Array(this.cap);
      for (let bk = 0; bk < this.layout.buckets; bk++) {
        for (let s = w[this.b0 + bk]!, n = 0; s >= 0; s = w[this.base(s) + SLOT.HNEXT]!) {
          if (++n > this.cap) {
            errs.push(`bucket ${bk}: chain loops`);
            break;
          }
          const b = this.base(s);
          if (w[b + SLOT.OWNER] !== this.tag) errs.push(`slot ${s}: indexed but owner ${w[b + SLOT.OWNER]}`);
          if (((w[b + SLOT.HASH]! >>> 0) & this.bmask) !== bk) errs.push(`slot ${s}: in bucket ${bk}, hash says otherwise`);
          if (seen[s]) errs.push(`slot ${s}: indexed twice`);
          seen[s] = 1;
          if (w[b + SLOT.REF]! < 0) errs.push(`slot ${s}: negative reference count ${w[b + SLOT.REF]}`);
          live++;
        }
      }
      let lru = 0;
      for (let s = w[H.LRU_HEAD]!; s >= 0; s = w[this.base(s) + SLOT.LNEXT]!) {
        if (++lru > this.cap) {
          errs.push('LRU list loops');
          break;
        }
        if (!seen[s]) errs.push(`slot ${s}: in the LRU list but not indexed`);
      }
      const top = w[H.FREE_TOP]!;
      for (let i = 0; i < top; i++) {
        const s = w[this.f0 + i]!;
        if (seen[s] || w[this.base(s) + SLOT.OWNER] !== 0) errs.push(`slot ${s}: on the free stack but live`);
      }
      for (let t = 1; t <= this.threads; t++) {
        const cells = this.cellsOf(t);
        for (let s = 0; s < this.cap; s++) {
          const c = cells[s]!;
          if (c === 0) continue;
          if (!seen[s]) errs.push(`slot ${s}: free, but thread ${t}'s ledger holds ${c} reference(s) on it`);
        }
      }
      if (this.threads > 0) {
        const all = Array.from({ length: this.threads }, (_, i) => this.cellsOf(i + 1));
        for (let s = 0; s < this.cap; s++) {
          if (!seen[s]) continue;
          let sum = 0;
          for (const cells of all) sum += cells[s]!;
          if (sum > w[this.base(s) + SLOT.REF]!) errs.push(`slot ${s}: the threads' ledgers hold ${sum} references, the entry has use=${w[this.base(s) + SLOT.REF]}`);
        }
      }
      if (live !== lru) errs.push(`${live} entries indexed, ${lru} in the LRU list`);
      if (live + top !== this.cap) errs.push(`${live} live + ${top} free != size ${this.cap}`);
      if (live !== w[H.CURRENT]) errs.push(`${live} live entries, counter says ${w[H.CURRENT]}`);
    } finally {
      this.unlock();
    }
    return errs;
  }
}

/** The slot of a handle (for messages and `show table` addresses). */
export function stickHandleSlot(h: number): number {
  return h % SLOT_SPAN;
}

/** Whether the std type of `type` is a rate (`*_rate(<period>)`). */
export function isRateType(type: StickDataType): boolean {
  return TYPE_STD.get(type) === 'frqp';
}
