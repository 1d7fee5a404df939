/**
 * The recorder's clock: cached per I/O callback (tickClock) on worker threads, read on every record
 * once useLiveClock() was called (the supervisor). Its own file: useLiveClock() is per module
 * instance and cannot be undone.
 */
import { describe, expect, it } from 'vitest';
import { createRingMemory, nowMs, readRing, RingWriter, tickClock, useLiveClock } from '../../diag/ring.ts';

/** Spins until `ms` milliseconds passed (the clock must move between two records). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('recorder clock', () => {
  it('cached: records between two ticks share the time of the first tick; live: each record reads the clock', () => {
    const sab = createRingMemory(64 * 1024, 0);
    const w = new RingWriter(sab);
    tickClock();
    w.write(1, 0, 0, 0, 0, 0);
    spin(5);
    w.write(2, 0, 0, 0, 0, 0);
    const cached = nowMs();
    useLiveClock();
    spin(5);
    w.write(3, 0, 0, 0, 0, 0);
    spin(5);
    w.write(4, 0, 0, 0, 0, 0);
    const [a, b, c, d] = readRing(sab).map((r) => r.time);
    expect(b).toBe(a);
    expect(c - b).toBeGreaterThanOrEqual(4);
    expect(d - c).toBeGreaterThanOrEqual(4);
    expect(nowMs()).toBeGreaterThanOrEqual(cached + 9);
  });
});
