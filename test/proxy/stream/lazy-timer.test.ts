import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { LazyTimer } from '../../../proxy/stream/lazy-timer.ts';
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
