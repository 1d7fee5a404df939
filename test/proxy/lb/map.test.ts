/**
 * Map-based hashing (proxy/lb/map.ts, HAProxy's lb_map.c, the default `hash-type`) for
 * `balance source` and `balance uri`. Exact server choices of HAProxy 2.6.12 are replayed in
 * balance.test.ts; these tests pin the properties.
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../proxy/lb/balance.ts';
import type { Balancer } from '../../../proxy/lb/balance.ts';

const ip = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function owners(b: Balancer, n: number, key: (i: number) => { srcAddr?: string; uri?: string }): string[] {
  return Array.from({ length: n }, (_, i) => b.pick(key(i))?.name ?? '-');
}

describe('balance source (map-based)', () => {
  it('sends a client address to the same server on every pick while the farm is unchanged', () => {
    const b = createBalancer('source', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const first = owners(b, 500, (i) => ({ srcAddr: ip(i * 7919) }));
    for (let round = 0; round < 3; round++) {
      expect(owners(b, 500, (i) => ({ srcAddr: ip(i * 7919) }))).toEqual(first);
    }
  });

  it('spreads 10 000 clients in proportion to weights (1/2/1)', () => {
    const b = createBalancer('source', [{ name: 'a' }, { name: 'b', weight: 2 }, { name: 'c' }]);
    const got = owners(b, 10_000, (i) => ({ srcAddr: ip(i) }));
    const share = (n: string) => got.filter((x) => x === n).length / 10_000;
    expect(share('a')).toBeCloseTo(0.25, 2);
    expect(share('b')).toBeCloseTo(0.5, 2);
    expect(share('c')).toBeCloseTo(0.25, 2);
  });

  it('when a server goes down its clients move; with map-based hashing many others move too', () => {
    // configuration.txt "balance source": "If the hash result changes due to the number of running
    // servers changing, many clients will be directed to a different server." (use hash-type
    // consistent to move only the lost server's clients; see chash.test.ts).
    const b = createBalancer('source', [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }]);
    const before = owners(b, 4000, (i) => ({ srcAddr: ip(i) }));
    b.setOperational(b.find('d')!, 'down');
    const after = owners(b, 4000, (i) => ({ srcAddr: ip(i) }));
    expect(after).not.toContain('d');
    const stayed = before.filter((s, i) => s !== 'd' && after[i] === s).length;
    const others = before.filter((s) => s !== 'd').length;
    expect(stayed / others).toBeLessThan(0.5);
    b.setOperational(b.find('d')!, 'up');
    expect(owners(b, 4000, (i) => ({ srcAddr: ip(i) }))).toEqual(before);
  });

  it('hashes an IPv4-mapped IPv6 client like its IPv4 address, and IPv6 clients by their words', () => {
    const b = createBalancer('source', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    for (let i = 0; i < 50; i++) {
      expect(b.pick({ srcAddr: `::ffff:${ip(i)}` })).toBe(b.pick({ srcAddr: ip(i) }));
    }
    expect(new Set(owners(b, 30, (i) => ({ srcAddr: `2001:db8::${i.toString(16)}` }))).size).toBe(3);
  });

  it('without a usable address falls back to round robin', () => {
    const b = createBalancer('source', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    expect(owners(b, 6, () => ({}))).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(owners(b, 3, () => ({ srcAddr: 'unix@/tmp/sock' }))).toEqual(['a', 'b', 'c']);
  });

  it('returns the hashed server even when saturated, so the request waits there (affinity)', () => {
    const b = createBalancer('source', [{ name: 'a', maxconn: 1 }, { name: 'b', maxconn: 1 }]);
    const s = b.pick({ srcAddr: '192.0.2.1' })!;
    b.take(s);
    expect(b.pick({ srcAddr: '192.0.2.1' })).toBe(s);
  });
});

describe('balance uri (map-based)', () => {
  it('hashes the path without the query string by default', () => {
    const b = createBalancer('uri', [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }]);
    for (let i = 0; i < 100; i++) {
      expect(b.pick({ uri: `/img/${i}.png?v=1` })).toBe(b.pick({ uri: `/img/${i}.png?v=2&x=${i}` }));
    }
  });

  it('`whole` hashes the query string too', () => {
    const b = createBalancer('uri', [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }], { uri: { whole: true } });
    const differ = Array.from({ length: 100 }, (_, i) => b.pick({ uri: `/p?id=${i}` })!.name);
    expect(new Set(differ).size).toBe(4);
  });

  it('`depth` and `len` limit the hashed part', () => {
    const deep = createBalancer('uri', [{ name: 'a' }, { name: 'b' }, { name: 'c' }], { uri: { depth: 2 } });
    for (let i = 0; i < 30; i++) expect(deep.pick({ uri: `/d/e/${i}` })).toBe(deep.pick({ uri: '/d/e' }));
    const short = createBalancer('uri', [{ name: 'a' }, { name: 'b' }, { name: 'c' }], { uri: { len: 4 } });
    for (let i = 0; i < 30; i++) expect(short.pick({ uri: `/abc${i}` })).toBe(short.pick({ uri: '/abc' }));
  });

  it('`path-only` ignores scheme and authority of absolute-form targets', () => {
    const b = createBalancer('uri', [{ name: 'a' }, { name: 'b' }, { name: 'c' }], { uri: { pathOnly: true } });
    for (let i = 0; i < 30; i++) {
      expect(b.pick({ uri: `http://example.com:8080/f/${i}` })).toBe(b.pick({ uri: `/f/${i}` }));
    }
  });

  it('a weight-0 server leaves the map and the rest is rebuilt', () => {
    const b = createBalancer('uri', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    b.setWeight(b.find('b')!, '0%');
    const got = new Set(owners(b, 300, (i) => ({ uri: `/${i}` })));
    expect(got).toEqual(new Set(['a', 'c']));
  });
});
