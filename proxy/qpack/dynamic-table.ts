/**
 * The QPACK dynamic table as the decoder keeps it (RFC 9204 §3.2): a FIFO of field lines addressed
 * by absolute index (§3.2.4), with a capacity set by the encoder within the decoder's maximum
 * (§3.2.3) and eviction from the oldest end before each insert (§3.2.2). Entry size is name octets +
 * value octets + 32 (§3.2.1); names and values are latin1 strings, so `.length` is the octet count.
 */

/** Overhead added to every entry's size (RFC 9204 §3.2.1). */
export const ENTRY_OVERHEAD = 32;

/** Size of an entry with this name and value (RFC 9204 §3.2.1). */
export function entrySize(name: string, value: string): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

/** A dynamic table bounded by `maxCapacity` (SETTINGS_QPACK_MAX_TABLE_CAPACITY). */
export class DynamicTable {
  /** The decoder's limit on capacity (RFC 9204 §3.2.3). */
  readonly maxCapacity: number;
  /** Current capacity set by the encoder (initially 0, §3.2.2). */
  capacity = 0;
  /** Sum of the sizes of the entries held (§3.2.1). */
  size = 0;
  /** Number of inserts so far, duplicates included; the next entry's absolute index (§3.2.4). */
  insertCount = 0;
  /** Absolute index of the oldest entry still held (= number of entries evicted). */
  dropped = 0;
  private names: string[] = [];
  private values: string[] = [];
  /** Position in `names`/`values` of absolute index `dropped`. */
  private head = 0;

  constructor(maxCapacity: number) {
    this.maxCapacity = maxCapacity;
  }

  /** Number of entries held. */
  get length(): number {
    return this.insertCount - this.dropped;
  }

  /**
   * Sets the capacity (Set Dynamic Table Capacity, §4.3.1), evicting entries until the size fits.
   * Returns false, changing nothing, when `capacity` exceeds `maxCapacity`.
   */
  setCapacity(capacity: number): boolean {
    if (capacity > this.maxCapacity) return false;
    this.capacity = capacity;
    this.evictTo(capacity);
    return true;
  }

  /**
   * Inserts an entry (§3.2.2): evicts the oldest entries until the size is at most capacity - the
   * new entry's size, then adds it. Returns false, changing nothing, when the entry is larger than
   * the capacity. The caller reads a referenced name before calling, so an insert may evict the
   * entry it copied its name from (§3.2.2).
   */
  insert(name: string, value: string): boolean {
    const sz = entrySize(name, value);
    if (sz > this.capacity) return false;
    this.evictTo(this.capacity - sz);
    this.names.push(name);
    this.values.push(value);
    this.size += sz;
    this.insertCount++;
    return true;
  }

  /** True when absolute index `abs` is held (inserted and not evicted). */
  has(abs: number): boolean {
    return abs >= this.dropped && abs < this.insertCount;
  }

  /** Name of absolute index `abs`; the caller checks `has(abs)` first. */
  nameAt(abs: number): string {
    return this.names[this.head + abs - this.dropped];
  }

  /** Value of absolute index `abs`; the caller checks `has(abs)` first. */
  valueAt(abs: number): string {
    return this.values[this.head + abs - this.dropped];
  }

  /** The entries held, oldest first, with their absolute indices (for tests and `show` commands). */
  entries(): { abs: number; name: string; value: string }[] {
    const out: { abs: number; name: string; value: string }[] = [];
    for (let abs = this.dropped; abs < this.insertCount; abs++) out.push({ abs, name: this.nameAt(abs), value: this.valueAt(abs) });
    return out;
  }

  private evictTo(limit: number): void {
    while (this.size > limit && this.insertCount > this.dropped) {
      this.size -= entrySize(this.names[this.head], this.values[this.head]);
      this.head++;
      this.dropped++;
    }
    if (this.head > 64 && this.head * 2 > this.names.length) {
      this.names = this.names.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
  }
}
