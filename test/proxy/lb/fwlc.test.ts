/**
 * `balance leastconn` (proxy/lb/fwlc.ts, HAProxy's lb_fwlc.c): fewest connections relative to
 * weight, idle servers first, round robin among equals.
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../proxy/lb/balance.ts';
import type { Balancer } from '../../../proxy/lb/balance.ts';

function load(b: Balancer, name: string, n: number): void {
  for (let i = 0; i < n; i++) b.take(b.find(name)!);
}

describe('leastconn', () => {
  it('chooses the server with the fewest connections under uneven load', () => {
    const b = createBalancer('leastconn', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    load(b, 'a', 5);
    load(b, 'b', 1);
    load(b, 'c', 3);
    expect(b.pick()?.name).toBe('b');
    load(b, 'b', 4);
    expect(b.pick()?.name).toBe('c');
  });

  it('compares connections relative to weight: (conns + 1) / weight', () => {
    const b = createBalancer('leastconn', [{ name: 'heavy', weight: 3 }, { name: 'light', weight: 1 }]);
    load(b, 'heavy', 5); // (5+1)*4096/48 = 512
    load(b, 'light', 2); // (2+1)*4096/16 = 768
    expect(b.pick()?.name).toBe('heavy');
    load(b, 'heavy', 3); // (8+1)*4096/48 = 768: tie, light was queued first
    expect(b.pick()?.name).toBe('light');
  });

  it('always tries an idle server first, whatever its weight', () => {
    const b = createBalancer('leastconn', [{ name: 'big', weight: 100 }, { name: 'small', weight: 1 }]);
    load(b, 'big', 1);
    expect(b.pick()?.name).toBe('small');
  });

  it('round-robins among servers of equal load', () => {
    const b = createBalancer('leastconn', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const seq: string[] = [];
    for (let i = 0; i < 7; i++) {
      const s = b.pick()!;
      b.take(s);
      b.release(s);
      seq.push(s.name);
    }
    expect(seq).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('long-lived connections end up spread in proportion to weights', () => {
    const b = createBalancer('leastconn', [{ name: 'a', weight: 3 }, { name: 'b', weight: 1 }]);
    for (let i = 0; i < 400; i++) b.take(b.pick()!);
    expect(b.find('a')!.cur).toBeGreaterThanOrEqual(298);
    expect(b.find('a')!.cur).toBeLessThanOrEqual(302);
  });

  it('re-sorts on release: the server that just freed a slot is chosen next', () => {
    const b = createBalancer('leastconn', [{ name: 'a' }, { name: 'b' }]);
    load(b, 'a', 3);
    load(b, 'b', 3);
    b.release(b.find('b')!);
    expect(b.pick()?.name).toBe('b');
  });

  it('a weight change re-sorts the server at once', () => {
    const b = createBalancer('leastconn', [{ name: 'a' }, { name: 'b' }]);
    load(b, 'a', 4);
    load(b, 'b', 2);
    expect(b.pick()?.name).toBe('b');
    b.setWeight(b.find('a')!, 4); // (4+1)*4096/64 = 320 < (2+1)*4096/16 = 768
    expect(b.pick()?.name).toBe('a');
  });
});
