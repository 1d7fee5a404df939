/**
 * Frequency counters over a configurable period, as HAProxy computes them (`struct freq_ctr`,
 * include/haproxy/freq_ctr.h update_freq_ctr_period(), src/freq_ctr.c freq_ctr_total() /
 * read_freq_ctr_period()). They back the `*_rate(<period>)` data types of stick-tables.
 *
 * A counter is three 32-bit words at offset `o` of an Int32Array (a stick-table slot, or any
 * buffer): `[o] curr_tick` (start of the current period, in ms ticks), `[o+1] curr_ctr` (events in
 * the current period), `[o+2] prev_ctr` (events in the previous period). All three are unsigned
 * 32-bit values that wrap like HAProxy's; ticks are `now_ms` truncated to 32 bits. An all-zero
 * counter is valid (no events).
 *
 * Update: when `now - curr_tick >= period`, the period rotates: prev_ctr takes curr_ctr, curr_ctr
 * restarts at 0 and curr_tick advances by one period; when a whole further period went by with no
 * event, prev_ctr is cleared and curr_tick restarts at `now`. Like HAProxy, curr_tick is kept even
 * after a rotation (its low bit is HAProxy's rotation lock).
 *
 * Read: the events of the current period plus the previous period's count weighted by the part
 * of the current period not yet elapsed: `curr + past * remain / period`, with
 * `remain = curr_tick + period - now`; when the current period is over but not the next one, the
 * current count becomes the past one. Very low rates (`curr == 0 && past <= 1`) return `past`
 * without weighting, HAProxy's anti-flapping correction.
 *
 * These functions are not atomic: callers serialise access to one counter (the stick-table holds
 * the entry's lock around them; see proxy/stick/table.ts).
 */

/** Words one frequency counter occupies. */
export const FREQ_CTR_WORDS = 3;

/**
 * HAProxy update_freq_ctr_period(): counts `inc` events at `nowMs` on the counter at `o`, rotating
 * the period first if it is over. Returns the new curr_ctr.
 */
export function freqCtrUpdate(w: Int32Array, o: number, period: number, nowMs: number, inc: number): number {
  const now = nowMs >>> 0;
  const tick = w[o]! >>> 0;
  if (((now - tick) >>> 0) >= period) {
    w[o + 2] = w[o + 1]!;
    w[o + 1] = 0;
    let t = (tick + period) >>> 0;
    if (((now - t) >>> 0) >= period) {
      // at least two periods were missed: the previous one had no event either
      w[o + 2] = 0;
      t = now;
    }
    w[o] = t & ~1;
  }
  const curr = ((w[o + 1]! >>> 0) + inc) >>> 0;
  w[o + 1] = curr | 0;
  return curr;
}

/**
 * HAProxy freq_ctr_total(ctr, period, pend): the events over the current and previous period,
 * scaled by `period` (divide by `period` for a rate). `pend` < 0 enables the anti-flapping
 * correction for very low rates (`read_freq_ctr_period`); `pend` >= 0 adds pending events instead.
 */
export function freqCtrTotal(w: Int32Array, o: number, period: number, nowMs: number, pend: number): number {
  let curr = w[o + 1]! >>> 0;
  let past = w[o + 2]! >>> 0;
  const tick = w[o]! >>> 0;
  let remain = (tick + period - (nowMs >>> 0)) | 0;
  if (remain < 0) {
    // past the current period: report what is left of the last one, if anything
    remain += period;
    past = remain >= 0 ? curr : 0;
    curr = 0;
  }
  if (pend < 0) {
    pend = 0;
    if (curr === 0 && past <= 1) return past * period;
  }
  return past * Math.max(remain, 0) + (curr + pend) * period;
}

/**
 * HAProxy read_freq_ctr_period(): the rate over `period` at `nowMs` (an integer, rounded down).
 * Exact for every 32-bit input (falls back to BigInt when the product passes 2^53).
 */
export function freqCtrRead(w: Int32Array, o: number, period: number, nowMs: number): number {
  const total = freqCtrTotal(w, o, period, nowMs, -1);
  if (total <= Number.MAX_SAFE_INTEGER) return Math.floor(total / period);
  // recompute exactly: past * remain + curr * period can exceed 2^53 for huge counters
  let curr = BigInt(w[o + 1]! >>> 0);
  let past = BigInt(w[o + 2]! >>> 0);
  let remain = ((w[o]! >>> 0) + period - (nowMs >>> 0)) | 0;
  if (remain < 0) {
    remain += period;
    past = remain >= 0 ? curr : 0n;
    curr = 0n;
  }
  const p = BigInt(period);
  return Number((past * BigInt(Math.max(remain, 0)) + curr * p) / p);
}

/**
 * HAProxy freq_ctr_remain_period(): how many more events may happen now without the rate going
 * over `freq` per period, counting `pend` pending events (0 when the limit is reached).
 */
export function freqCtrRemain(w: Int32Array, o: number, period: number, nowMs: number, freq: number, pend: number): number {
  const total = freqCtrTotal(w, o, period, nowMs, pend);
  const used = Math.floor(total / period);
  return used >= freq ? 0 : freq - used;
}

/**
 * Sets a counter so that it reads `value` for the whole current period and then fades out, as
 * HAProxy's `set table ... data.<rate> <value>` does (curr_tick = now, curr_ctr = value,
 * prev_ctr = 0).
 */
export function freqCtrSet(w: Int32Array, o: number, nowMs: number, value: number): void {
  w[o] = (nowMs >>> 0) & ~1;
  w[o + 1] = value >>> 0;
  w[o + 2] = 0;
}
