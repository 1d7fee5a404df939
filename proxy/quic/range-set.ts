/**
 * A set of byte offsets kept as sorted, disjoint, non-adjacent half-open ranges [start, end): the
 * acknowledged and the lost parts of a CRYPTO or STREAM send buffer (RFC 9000 §2.2, §13.3: data is
 * retransmitted by range, never by packet).
 */

/** Sorted disjoint ranges of integers. */
export class RangeSet {
  /** Flat [s0, e0, s1, e1, ...], sorted, disjoint and not touching. */
  private r: number[] = [];

  /** Whether the set holds nothing. */
  get empty(): boolean {
    return this.r.length === 0;
  }

  /** Number of disjoint ranges. */
  get count(): number {
    return this.r.length / 2;
  }

  /** The first range, or undefined when empty. */
  first(): { readonly start: number; readonly end: number } | undefined {
    return this.r.length === 0 ? undefined : { start: this.r[0], end: this.r[1] };
  }

  /** End of the range that starts at or covers `from`, i.e. how far [from, x) is covered; `from` when not covered. */
  coveredFrom(from: number): number {
    const r = this.r;
    for (let i = 0; i < r.length; i += 2) {
      if (r[i] > from) break;
      if (r[i + 1] > from) return r[i + 1];
    }
    return from;
  }

  /** Adds [start, end); empty ranges are ignored. */
  add(start: number, end: number): void {
    if (end <= start) return;
    const r = this.r;
    let i = 0;
    while (i < r.length && r[i + 1] < start) i += 2;
    let j = i;
    let s = start;
    let e = end;
    while (j < r.length && r[j] <= end) {
      s = Math.min(s, r[j]);
      e = Math.max(e, r[j + 1]);
      j += 2;
    }
    r.splice(i, j - i, s, e);
  }

  /** Removes [start, end). */
  remove(start: number, end: number): void {
    if (end <= start) return;
    const r = this.r;
    const out: number[] = [];
    for (let i = 0; i < r.length; i += 2) {
      const s = r[i];
      const e = r[i + 1];
      if (e <= start || s >= end) {
        out.push(s, e);
        continue;
      }
      if (s < start) out.push(s, start);
      if (e > end) out.push(end, e);
    }
    this.r = out;
  }

  /** The parts of [start, end) not in the set, in order. */
  gaps(start: number, end: number): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    let cur = start;
    const r = this.r;
    for (let i = 0; i < r.length && cur < end; i += 2) {
      if (r[i + 1] <= cur) continue;
      if (r[i] >= end) break;
      if (r[i] > cur) out.push({ start: cur, end: r[i] });
      cur = Math.max(cur, r[i + 1]);
    }
    if (cur < end) out.push({ start: cur, end });
    return out;
  }

  /** Removes everything. */
  clear(): void {
    this.r = [];
  }
}
