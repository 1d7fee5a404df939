import { describe, expect, it } from 'vitest';
import { freqCtrRead, freqCtrRemain, freqCtrSet, freqCtrTotal, freqCtrUpdate } from '../../../proxy/stick/freq-ctr.ts';

// Every expected value below is computed by hand from HAProxy's formulas:
//   update: rotate when now - curr_tick >= period (prev = curr, curr = 0, tick += period; a second
//           missed period clears prev and restarts the tick at now, made even);
//   read:   remain = tick + period - now; curr + floor(past * remain / period); past the period,
//           the current count becomes the past one; curr == 0 && past <= 1 reads past.
const P = 10_000;

describe('freq_ctr over a period (HAProxy update_freq_ctr_period / read_freq_ctr_period)', () => {
  it('counts events of the current period and weights the previous one by what is left', () => {
    const w = new Int32Array(3);
    expect(freqCtrUpdate(w, 0, P, 1000, 1)).toBe(1);
    expect(freqCtrRead(w, 0, P, 1000)).toBe(1);
    freqCtrUpdate(w, 0, P, 5000, 4);
    expect(freqCtrRead(w, 0, P, 5000)).toBe(5);
    expect([...w]).toEqual([0, 5, 0]); // no rotation yet: tick 0 is a valid start

    freqCtrUpdate(w, 0, P, 12_000, 1); // rotates: prev 5, tick 10000
    expect([...w]).toEqual([10_000, 1, 5]);
    expect(freqCtrRead(w, 0, P, 12_000)).toBe(5); // 1 + 5 * 8000 / 10000 = 5
    expect(freqCtrRead(w, 0, P, 15_000)).toBe(3); // 1 + 5 * 5000 / 10000 = 3.5 -> 3
    expect(freqCtrRead(w, 0, P, 19_999)).toBe(1); // 1 + 5 * 1 / 10000
  });

  it('reads a finished period as the past one, then zero after two periods', () => {
    const w = new Int32Array(3);
    freqCtrUpdate(w, 0, P, 12_000, 10); // tick 10000 (rotated from 0), curr 10
    expect(freqCtrRead(w, 0, P, 21_000)).toBe(9); // period over: past 10 * (9000 / 10000)
    expect(freqCtrRead(w, 0, P, 25_000)).toBe(5); // 10 * 5000 / 10000
    expect(freqCtrRead(w, 0, P, 30_000)).toBe(0); // remain 0
    expect(freqCtrRead(w, 0, P, 30_001)).toBe(0);
  });

  it('applies the anti-flapping correction at very low rates', () => {
    const w = new Int32Array(3);
    freqCtrUpdate(w, 0, P, 12_000, 1); // curr 1 in period starting 10000
    // period over, 1 event in the last one: reads 1 (not 1 * 9000 / 10000 = 0)
    expect(freqCtrRead(w, 0, P, 21_000)).toBe(1);
    // without the correction (pend >= 0) the weighted value shows: 1 * 9000 (scaled by period)
    expect(freqCtrTotal(w, 0, P, 21_000, 0)).toBe(9000);
  });

  it('restarts after two missed periods with prev cleared and an even tick', () => {
    const w = new Int32Array(3);
    freqCtrUpdate(w, 0, P, 12_000, 10); // tick 10000
    freqCtrUpdate(w, 0, P, 35_000, 1); // 25000 later: two periods missed
    expect([...w]).toEqual([35_000, 1, 0]);
    freqCtrUpdate(w, 0, P, 47_001, 1); // one period later: rotate to tick 45000
    expect([...w]).toEqual([45_000, 1, 1]);
    freqCtrUpdate(w, 0, P, 77_777, 1); // two missed: tick = 77777 & ~1
    expect([...w]).toEqual([77_776, 1, 0]);
  });

  it('survives the 32-bit tick wrap', () => {
    const w = new Int32Array(3);
    const base = 2 ** 32;
    w[0] = (base - 1000) | 0;
    w[1] = 4;
    expect(freqCtrRead(w, 0, P, base + 500)).toBe(4); // remain 8500, curr 4
    freqCtrUpdate(w, 0, P, base + 9500, 1); // now - tick = 10500: rotate to tick 9000
    expect([w[0]! >>> 0, w[1], w[2]]).toEqual([9000, 1, 4]);
    expect(freqCtrRead(w, 0, P, base + 14_000)).toBe(3); // 1 + 4 * 5000 / 10000
  });

  it('stays exact when past * remain passes 2^53', () => {
    const w = new Int32Array(3);
    const period = 2 ** 31 - 1;
    w[0] = 0;
    w[1] = 0;
    w[2] = -1; // prev_ctr = 2^32 - 1
    const now = 12_345;
    const remain = BigInt(period - now);
    const want = Number((2n ** 32n - 1n) * remain / BigInt(period));
    expect(freqCtrRead(w, 0, period, now)).toBe(want);
  });

  it('tells how many events remain under a limit, counting pending ones', () => {
    const w = new Int32Array(3);
    freqCtrUpdate(w, 0, P, 5000, 5);
    expect(freqCtrRemain(w, 0, P, 5000, 10, 0)).toBe(5);
    expect(freqCtrRemain(w, 0, P, 5000, 10, 2)).toBe(3);
    expect(freqCtrRemain(w, 0, P, 5000, 4, 0)).toBe(0);
  });

  it('set makes the rate read the value for a whole period, then fade out', () => {
    const w = new Int32Array(3);
    freqCtrSet(w, 0, 1235, 7);
    expect([...w]).toEqual([1234, 7, 0]);
    expect(freqCtrRead(w, 0, P, 1235)).toBe(7);
    expect(freqCtrRead(w, 0, P, 6234)).toBe(7);
    expect(freqCtrRead(w, 0, P, 16_234)).toBe(3); // past 7 * 5000 / 10000 = 3.5
  });
});
