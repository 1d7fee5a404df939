/**
 * The underlying pool (HAProxy's pool_head): one per size class, possibly shared by several declared
 * pools (merging), with its free lists and the per-slot side tables that hold item tags.
 *
 * Data only: diag/pool.ts owns the registry of backings and the memory they publish into, and runs
 * the alloc/free hot path over these fields directly (no accessor per call).
 */
import { P, PF, POOL_NAMES_BYTES, POOL_REC_WORDS, poolNamesOffset, poolRecord, writeText } from './pool-memory.ts';
import type { PoolKind } from './pool.types.ts';
import type { Pool } from './pool.ts';

/**
 * Values of Backing.state[slot]. RELEASED: the slot holds no memory (never used, or given back by
 * gcPools/no-cache); ALLOCATED: handed out; FREE: waiting on a free list for reuse.
 */
export const ITEM_STATE = { RELEASED: 0, ALLOCATED: 1, FREE: 2 } as const;

/** Display names of the ITEM_STATE values, indexed by value. */
export const STATE_NAMES = ['released', 'allocated', 'free'] as const;

/** A ring of free slot numbers: LIFO by default (hot first), FIFO with `cold-first`. */
export class FreeList {
  q = new Int32Array(16);
  head = 0;
  count = 0;
  /** Adds a slot at the hot end. */
  push(slot: number): void {
    if (this.count === this.q.length) this.grow();
    this.q[(this.head + this.count) & (this.q.length - 1)] = slot;
    this.count++;
  }
  /** Takes the hottest slot (the last pushed); count must be > 0. */
  pop(): number {
    this.count--;
    return this.q[(this.head + this.count) & (this.q.length - 1)];
  }
  /** Takes the coldest slot (the first pushed); count must be > 0. */
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

/**
 * One underlying pool. Slot `s` is an item: `items[s]` the item itself (a Uint8Array view into a
 * slab for buffers, the object for object pools), and its tag spread over the side tables `state`,
 * `decl` (declared pool id), `owner`, `gen`, `allocSite`/`freeSite` (site ids, -1 none), `pattern`
 * and `fps` (integrity fill). `dead` once the pools are rebuilt: its items are then foreign.
 */
export class Backing {
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
  /** Word index of this pool's record in the pool memory. */
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

  /** The item's pseudo address in reports: pool id in the high 32 bits, byte offset below. */
  address(slot: number): string {
    return '0x' + (this.id * 2 ** 32 + slot * this.stride).toString(16);
  }

  /** Name of the declared pool the slot's item was last allocated from (this pool's if none). */
  declaredName(slot: number): string {
    const id = this.decl[slot];
    return this.users.find((u) => u.id === id)?.name ?? this.name;
  }

  /** Clears this pool's record in the pool memory `m` and writes its static facts. */
  initRecord(m: Uint32Array): void {
    const r = this.base;
    m.fill(0, r, r + POOL_REC_WORDS);
    m[r + P.SIZE] = this.size;
    m[r + P.REAL] = this.realSize;
    m[r + P.ID] = this.id;
  }

  /** Publishes the users' names, count and flags into the pool memory (`m`, `m8`: its views). */
  publishUsers(m: Uint32Array, m8: Uint8Array): void {
    const r = this.base;
    const text = this.users.map((u) => u.name).join('\n');
    const old = m[r + P.NAMES_LEN];
    // Names only grow: write the bytes, then publish the new length.
    const len = writeText(m8, poolNamesOffset(this.index), POOL_NAMES_BYTES, text);
    if (len >= old) Atomics.store(m, r + P.NAMES_LEN, len);
    m[r + P.USERS] = this.users.length;
    m[r + P.FLAGS] = (this.shared ? PF.SHARED : 0) | (this.users.length > 1 ? PF.MERGED : 0) | (this.isBuffer ? PF.EXACT : PF.OBJECT);
  }
}
