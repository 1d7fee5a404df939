/**
 * `balance first` (proxy/lb/fas.ts, HAProxy's lb_fas.c): fill servers in increasing id order up to
 * their maxconn.
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../proxy/lb/balance.ts';

describe('first', () => {
  it('fills servers in declaration order up to their maxconn, then queues', () => {
    const b = createBalancer('first', [
      { name: 'a', maxconn: 2 },
      { name: 'b', maxconn: 1 },
      { name: 'c', maxconn: 2 },
    ]);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const s = b.pick()!;
      b.take(s);
      got.push(s.name);
    }
    expect(got).toEqual(['a', 'a', 'b', 'c', 'c']);
    expect(b.pick()).toBeUndefined();
    b.release(b.find('a')!);
    expect(b.pick()?.name).toBe('a');
  });

  it('follows numeric ids, not declaration order', () => {
    const b = createBalancer('first', [
      { name: 'a', maxconn: 1, id: 9 },
      { name: 'b', maxconn: 1 },
      { name: 'c', maxconn: 1, id: 1 },
    ]);
    expect(b.servers.map((s) => s.id)).toEqual([9, 2, 1]);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = b.pick()!;
      b.take(s);
      got.push(s.name);
    }
    expect(got).toEqual(['c', 'b', 'a']);
  });

  it('ignores weights except 0', () => {
    const b = createBalancer('first', [{ name: 'a', weight: 1 }, { name: 'b', weight: 200 }]);
    for (let i = 0; i < 10; i++) b.take(b.pick()!);
    expect(b.find('a')!.cur).toBe(10);
    b.setWeight(b.find('a')!, 0);
    expect(b.pick()?.name).toBe('b');
  });

  it('without maxconn, everything goes to the first server', () => {
    const b = createBalancer('first', [{ name: 'a' }, { name: 'b' }]);
    for (let i = 0; i < 50; i++) b.take(b.pick()!);
    expect([b.find('a')!.cur, b.find('b')!.cur]).toEqual([50, 0]);
  });
});
