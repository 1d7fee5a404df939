/**
 * Consistent hashing (proxy/lb/chash.ts, HAProxy's lb_chash.c, `hash-type consistent`): only the
 * keys of a server that goes away move, weights are dynamic. Exact choices of HAProxy 2.6.12 are
 * replayed in balance.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../proxy/lb/balance.ts';
import type { Balancer } from '../../../proxy/lb/balance.ts';
import type { BalanceAlgo, HashType } from '../../../proxy/lb/lb.types.ts';
import { fullHash } from '../../../proxy/lb/hash.ts';

const CONSISTENT: HashType = { method: 'consistent', fn: 'sdbm', avalanche: true };
const ip = (i: number): string => `172.16.${(i >> 8) & 255}.${i & 255}`;

function owners(b: Balancer, n: number, algo: BalanceAlgo): string[] {
  return Array.from({ length: n }, (_, i) => b.pick(algo === 'source' ? { srcAddr: ip(i) } : { uri: `/k/${i}` })!.name);
}

for (const algo of ['source', 'uri'] as const) {
  describe(`balance ${algo}, hash-type consistent`, () => {
    it('when a server goes down only its own clients move, and they all come back with it', () => {
      const b = createBalancer(algo, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }], { hashType: CONSISTENT });
      const before = owners(b, 3000, algo);
      expect(new Set(before).size).toBe(4);
      b.setState(b.find('c')!, 'maint');
      const after = owners(b, 3000, algo);
      before.forEach((s, i) => {
        if (s !== 'c') expect(after[i]).toBe(s);
        else expect(after[i]).not.toBe('c');
      });
      b.setState(b.find('c')!, 'ready');
      expect(owners(b, 3000, algo)).toEqual(before);
    });

    it('follows weights roughly (16 ring points per unit of weight)', () => {
      const b = createBalancer(algo, [{ name: 'a' }, { name: 'b', weight: 2 }, { name: 'c' }], { hashType: CONSISTENT });
      const got = owners(b, 10_000, algo);
      const share = (n: string) => got.filter((x) => x === n).length / 10_000;
      expect(share('b')).toBeGreaterThan(0.4);
      expect(share('b')).toBeLessThan(0.6);
      expect(share('a')).toBeGreaterThan(0.18);
      expect(share('c')).toBeGreaterThan(0.18);
    });

    it('raising a weight at runtime only moves keys to that server', () => {
      const b = createBalancer(algo, [{ name: 'a' }, { name: 'b' }, { name: 'c' }], { hashType: CONSISTENT });
      const before = owners(b, 3000, algo);
      b.setWeight(b.find('b')!, 3);
      const after = owners(b, 3000, algo);
      let moved = 0;
      before.forEach((s, i) => {
        if (after[i] !== s) {
          moved++;
          expect(after[i]).toBe('b');
        }
      });
      expect(moved).toBeGreaterThan(300);
    });

    it('skips the avoided server for a retry', () => {
      const b = createBalancer(algo, [{ name: 'a' }, { name: 'b' }], { hashType: CONSISTENT });
      for (let i = 0; i < 50; i++) {
        const ctx = algo === 'source' ? { srcAddr: ip(i) } : { uri: `/k/${i}` };
        const home = b.pick(ctx)!;
        expect(b.pick({ ...ctx, avoid: home })).not.toBe(home);
      }
    });
  });
}

describe('consistent hashing without hash input', () => {
  it('walks the ring round robin, skipping saturated servers', () => {
    const b = createBalancer('uri', [{ name: 'a', maxconn: 1 }, { name: 'b' }, { name: 'c' }], { hashType: CONSISTENT });
    const seen = new Map<string, number>();
    for (let i = 0; i < 480; i++) {
      const s = b.pick()!;
      seen.set(s.name, (seen.get(s.name) ?? 0) + 1);
    }
    // 16 points per server: 10 full turns of the ring.
    expect(Object.fromEntries(seen)).toEqual({ a: 160, b: 160, c: 160 });
    b.take(b.find('a')!);
    for (let i = 0; i < 100; i++) expect(b.pick()!.name).not.toBe('a');
  });
});

describe('ring lookup', () => {
  it('takes the nearest point, the one before winning a tie (source without avalanche: the key is the address)', () => {
    const b = createBalancer('source', [{ name: 'a' }, { name: 'b' }], {
      hashType: { method: 'consistent', fn: 'sdbm', avalanche: false },
    });
    // Ring points: full_hash(id * 4096 + n), 16 per server of weight 1.
    const points = [1, 2]
      .flatMap((id) => Array.from({ length: 16 }, (_, n) => ({ key: fullHash(id * 4096 + n), name: id === 1 ? 'a' : 'b' })))
      .sort((x, y) => x.key - y.key);
    const i = points.findIndex((p, k) => k > 0 && p.name !== points[k - 1].name && (p.key - points[k - 1].key) % 2 === 0 && p.key - points[k - 1].key > 4);
    expect(i).toBeGreaterThan(0);
    const prev = points[i - 1];
    const next = points[i];
    const addr = (h: number): string => [h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255].join('.');
    const mid = (prev.key + next.key) / 2;
    expect(b.pick({ srcAddr: addr(mid) })?.name).toBe(prev.name);
    expect(b.pick({ srcAddr: addr(mid + 1) })?.name).toBe(next.name);
    expect(b.pick({ srcAddr: addr(prev.key + 1) })?.name).toBe(prev.name);
    expect(b.pick({ srcAddr: addr(next.key - 1) })?.name).toBe(next.name);
  });
});
