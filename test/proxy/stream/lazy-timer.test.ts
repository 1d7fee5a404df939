import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { InactivityTimer, LazyTimer } from '../../../proxy/stream/lazy-timer.ts';
import { nowMs, tickClock } from '../../../diag/ring.ts';

/** Ref'd Node timers pending in this thread. */
function pendingTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** Arms like an I/O callback would: the recorder's clock ticked first. */
function armNow(t: LazyTimer, ms: number): number {
  tickClock();
  t.arm(ms);
  return nowMs();
}

describe('LazyTimer', () => {
  it('expires once, not before its deadline', async () => {
    const fired: number[] = [];
    const t = new LazyTimer(() => fired.push(nowMs()));
    const at = armNow(t, 60);
    expect(t.armed).toBe(true);
    expect(t.deadline).toBe(at + 60);
    await sleep(20);
    expect(fired).toEqual([]);
    await sleep(140);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(at + 60);
    expect(t.armed).toBe(false);
    await sleep(80);
    expect(fired).toHaveLength(1);
  });

  it('re-arming pushes the expiry back: it counts from the last arm', async () => {
    const fired: number[] = [];
    const t = new LazyTimer(() => fired.push(nowMs()));
    armNow(t, 80);
    await sleep(50);
    const last = armNow(t, 80);
    await sleep(50); // 100 ms after the first arm: a plain timer would have expired
    expect(fired).toEqual([]);
    await sleep(150);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(last + 80);
  });

  it('a shorter deadline than the pending timer is honoured', async () => {
    const fired: number[] = [];
    const t = new LazyTimer(() => fired.push(nowMs()));
    armNow(t, 5_000);
    const at = armNow(t, 30);
    await sleep(200);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(at + 30);
    t.cancel();
  });

  it('disarm() stops the expiry; a later arm() works again', async () => {
    let fired = 0;
    const t = new LazyTimer(() => fired++);
    armNow(t, 30);
    t.disarm();
    expect(t.armed).toBe(false);
    expect(t.deadline).toBe(0);
    await sleep(100);
    expect(fired).toBe(0);
    armNow(t, 30);
    await sleep(100);
    expect(fired).toBe(1);
  });

  it('keeps one Node timer however often it is re-armed, and cancel() drops it', () => {
    const before = pendingTimeouts();
    const t = new LazyTimer(() => {});
    for (let i = 0; i < 1000; i++) armNow(t, 10_000);
    expect(pendingTimeouts()).toBe(before + 1);
    t.disarm();
    expect(pendingTimeouts()).toBe(before + 1); // disarm leaves it to fire into nothing
    t.cancel();
    expect(pendingTimeouts()).toBe(before);
  });

  it('with unref, its pending timer does not keep the event loop alive', () => {
    const before = pendingTimeouts();
    const t = new LazyTimer(() => {}, true);
    armNow(t, 10_000);
    expect(pendingTimeouts()).toBe(before); // unref'd timers are not listed as keeping the loop
    expect(t.armed).toBe(true);
    t.cancel();
  });

  it('an expiry callback may re-arm it', async () => {
    let fired = 0;
    const t = new LazyTimer(() => {
      if (++fired < 3) t.arm(20);
    });
    armNow(t, 20);
    await sleep(300);
    expect(fired).toBe(3);
    expect(t.armed).toBe(false);
  });
});

describe('InactivityTimer', () => {
  /** A socket stand-in whose pending write bytes the test sets. */
  const sock = () => ({ writableLength: 0 });

  it('expires after its duration without reads or writes; each pushes it back', async () => {
    const fired: number[] = [];
    const t = new InactivityTimer(sock(), () => fired.push(nowMs()));
    tickClock();
    t.set(60);
    expect(t.ms).toBe(60);
    await sleep(40);
    tickClock();
    t.read();
    await sleep(40);
    tickClock();
    t.wrote();
    const last = nowMs();
    await sleep(40); // 120 ms after set(): a timer that ignored the read and the write would have fired
    expect(fired).toEqual([]);
    await sleep(120);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(last + 60);
    t.cancel();
  });

  it('set(0) or set(undefined) disarms it, and reads then do not arm it', async () => {
    let fired = 0;
    const t = new InactivityTimer(sock(), () => fired++);
    tickClock();
    t.set(30);
    t.set(undefined);
    t.read();
    t.wrote();
    expect(t.ms).toBe(0);
    await sleep(100);
    expect(fired).toBe(0);
  });

  it('a peer draining pending writes counts as activity; one that stops draining expires one period later', async () => {
    const s = sock();
    const fired: number[] = [];
    const t = new InactivityTimer(s, () => fired.push(nowMs()));
    tickClock();
    t.set(50);
    s.writableLength = 100_000;
    t.wrote();
    s.writableLength = 60_000; // drained some before the deadline
    await sleep(80);
    expect(fired).toEqual([]);
    const stalled = nowMs();
    await sleep(100); // no progress in the period that followed
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(stalled);
    t.cancel();
  });

  it('pending writes that never drain do not hold it off', async () => {
    const s = sock();
    let fired = 0;
    const t = new InactivityTimer(s, () => fired++);
    tickClock();
    t.set(40);
    s.writableLength = 100_000;
    t.wrote();
    await sleep(120);
    expect(fired).toBe(1);
  });
});
