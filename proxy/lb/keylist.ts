/**
 * A sorted list of (key, item) pairs standing in for HAProxy's eb32 trees: ordered by unsigned
 * key, and items inserted with an equal key come after those already there (ebtree keeps
 * duplicates in insertion order), which is what makes HAProxy's tree-based algorithms
 * round-robin among equals. Small farms are the norm, so a sorted array is enough.
 */
export class KeyList<T> {
  private readonly keys: number[] = [];
  private readonly items: T[] = [];

  /** Number of entries. */
  get size(): number {
    return this.items.length;
  }

  /** Index of the first entry whose key is >= `key` (size when none). */
  lowerBound(key: number): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private upperBound(key: number): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts after every entry with a key <= `key` (eb32_insert() of a duplicate). */
  insert(key: number, item: T): void {
    const at = this.upperBound(key);
    // Shifted by hand: splice() allocates the array of removed entries even when there are none,
    // and this runs for each request the balancer picks a server for.
    const keys = this.keys;
    const items = this.items;
    let i = keys.length;
    keys.push(key);
    items.push(item);
    for (; i > at; i--) {
      keys[i] = keys[i - 1];
      items[i] = items[i - 1];
    }
    keys[at] = key;
    items[at] = item;
  }

  /**
   * Inserts many entries at once, as if inserted one by one in the given order (a stable merge,
   * O(n log n) instead of O(n) per entry): used to place thousands of ring points.
   */
  insertMany(entries: readonly (readonly [number, T])[]): void {
    const all: [number, T][] = this.keys.map((k, i) => [k, this.items[i]]);
    for (const [k, item] of entries) all.push([k, item]);
    all.sort((a, b) => a[0] - b[0]);
    this.keys.length = this.items.length = 0;
    for (const [k, item] of all) {
      this.keys.push(k);
      this.items.push(item);
    }
  }

  /** Removes every entry whose item is in `items` (one pass). */
  removeMany(items: ReadonlySet<T>): void {
    let w = 0;
    for (let r = 0; r < this.items.length; r++) {
      if (items.has(this.items[r])) continue;
      this.keys[w] = this.keys[r];
      this.items[w] = this.items[r];
      w++;
    }
    this.keys.length = this.items.length = w;
  }

  /** Removes the entry (key, item); returns false when it is not there. */
  remove(key: number, item: T): boolean {
    for (let i = this.lowerBound(key); i < this.keys.length && this.keys[i] === key; i++) {
      if (this.items[i] === item) {
        const keys = this.keys;
        const items = this.items;
        for (let j = i + 1; j < keys.length; j++) {
          keys[j - 1] = keys[j];
          items[j - 1] = items[j];
        }
        keys.pop();
        items.pop();
        return true;
      }
    }
    return false;
  }

  /** The item at index `i` (0 = smallest key). */
  itemAt(i: number): T {
    return this.items[i];
  }

  /** The key at index `i`. */
  keyAt(i: number): number {
    return this.keys[i];
  }
}
