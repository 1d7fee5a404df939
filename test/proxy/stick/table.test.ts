import { describe, expect, it } from 'vitest';
import { parseStickFilter } from '../../../proxy/stick/filter.ts';
import { integerKey, parseStickKey, stringKey } from '../../../proxy/stick/key.ts';
import { StickTable } from '../../../proxy/stick/table.ts';
import { stickDef, virtualTable } from './helpers.ts';

const ip = (s: string) => parseStickKey('ip', 4, s);

describe('StickTable: lookup, creation, keys', () => {
  it('creates on acquire, finds on lookup, keeps keys apart', () => {
    const { t } = virtualTable('stick-table type ip size 16 store gpc0');
    expect(t.lookup(ip('10.0.0.1'))).toBe(-1);
    const a = t.acquire(ip('10.0.0.1'));
    const b = t.acquire(ip('10.0.0.2'));
    expect(a).not.toBe(b);
    expect(t.lookup(ip('10.0.0.1'))).toBe(a);
    expect(t.acquire(ip('10.0.0.1'))).toBe(a);
    expect(t.refs(a)).toBe(3);
    expect(t.current).toBe(2);
    expect(t.has(ip('10.0.0.2'))).toBe(true);
    expect(t.verify()).toEqual([]);
  });

  it('compares string keys by length and content, truncated to the key size', () => {
    const { t } = virtualTable('stick-table type string len 4 size 16');
    const h1 = t.acquire(stringKey('abc', 5));
    const h2 = t.acquire(stringKey('abcd', 5));
    expect(h1).not.toBe(h2);
    expect(t.lookup(stringKey('abcdXYZ', 5))).toBe(h2); // truncated to 4 characters
    expect(t.list().map((v) => v.key).sort()).toEqual(['abc', 'abcd']);
  });

  it('stays consistent under a random mix of operations (index, LRU, free stack, counts)', () => {
    const { t, clock } = virtualTable('stick-table type integer size 64 expire 50 store http_req_cnt');
    let seed = 12345;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let i = 0; i < 5000; i++) {
      const k = rnd(200);
      const op = rnd(10);
      if (op < 6) {
        const h = t.acquire(integerKey(k));
        if (h >= 0) {
          t.add(h, 'http_req_cnt', 1);
          t.touchAndRelease(h);
        }
      } else if (op < 8) {
        t.clear({ key: integerKey(k) });
      } else {
        clock.now += rnd(20);
        t.expire();
      }
    }
    expect(t.verify()).toEqual([]);
    expect(t.current).toBeLessThanOrEqual(64);
    // every listed entry is found by its key
    for (const v of t.list()) expect(t.has(integerKey(Number(v.key)))).toBe(true);
  });
});

describe('StickTable: data types', () => {
  it('counts, wraps 32-bit counters, floors conn_cur at 0, keeps 64-bit byte counters', () => {
    const { t } = virtualTable('stick-table type ip size 4 store gpc0,conn_cur,bytes_in_cnt,server_id');
    const h = t.acquire(ip('1.1.1.1'));
    t.add(h, 'gpc0', 3);
    expect(t.get(h, 'gpc0')).toBe(3);
    t.set(h, 'gpc0', 2 ** 32 - 1);
    t.add(h, 'gpc0', 2);
    expect(t.get(h, 'gpc0')).toBe(1); // HAProxy's unsigned int wraps
    t.add(h, 'conn_cur', 1);
    t.add(h, 'conn_cur', -1);
    t.add(h, 'conn_cur', -1);
    expect(t.get(h, 'conn_cur')).toBe(0);
    t.add(h, 'bytes_in_cnt', 2 ** 32 + 5);
    t.add(h, 'bytes_in_cnt', 2 ** 32);
    expect(t.get(h, 'bytes_in_cnt')).toBe(2 ** 33 + 5);
    t.set(h, 'server_id', -3);
    expect(t.get(h, 'server_id')).toBe(-3);
    expect(t.get(h, 'http_req_cnt')).toBeUndefined();
    expect(t.add(h, 'http_req_cnt', 1)).toBe(false);
    expect(t.stores('gpc0')).toBe(true);
  });

  it('computes rates over their own period on the injected clock (hand-computed)', () => {
    const { t, clock } = virtualTable('stick-table type ip size 4 store http_req_rate(10s),conn_rate(1s)', 0);
    const h = t.acquire(ip('1.1.1.1'));
    clock.now = 1000;
    for (let i = 0; i < 5; i++) t.add(h, 'http_req_rate', 1);
    t.add(h, 'conn_rate', 2);
    expect(t.get(h, 'http_req_rate')).toBe(5);
    expect(t.get(h, 'conn_rate')).toBe(2);
    clock.now = 12_000; // 10 s period rotated at 10000; 1 s period: two periods missed
    t.add(h, 'http_req_rate', 1);
    expect(t.get(h, 'http_req_rate')).toBe(5); // 1 + 5 * 8000 / 10000
    expect(t.get(h, 'conn_rate')).toBe(0);
    clock.now = 15_000;
    expect(t.get(h, 'http_req_rate')).toBe(3); // 1 + 5 * 5000 / 10000 = 3.5
    t.set(h, 'conn_rate', 40);
    clock.now = 15_500;
    expect(t.get(h, 'conn_rate')).toBe(40);
  });
});

describe('StickTable: expiry, purge, nopurge', () => {
  it('expires entries `expire` ms after their last touch, never referenced ones', () => {
    const { t, clock } = virtualTable('stick-table type ip size 8 expire 1s');
    const a = t.acquire(ip('1.0.0.1'));
    t.release(a);
    const b = t.acquire(ip('1.0.0.2')); // kept referenced
    clock.now += 600;
    const c = t.acquire(ip('1.0.0.3'));
    t.touchAndRelease(c);
    clock.now += 400; // a and b expire now, c in 600 ms
    expect(t.expire()).toEqual({ killed: 1, next: 600 });
    expect(t.has(ip('1.0.0.1'))).toBe(false);
    expect(t.has(ip('1.0.0.2'))).toBe(true);
    // the holder's release of an expired entry kills it on the spot
    expect(t.release(b)).toBe(true);
    expect(t.has(ip('1.0.0.2'))).toBe(false);
    expect(t.stats()).toMatchObject({ kills: 2, expired: 2 });
    expect(t.verify()).toEqual([]);
  });

  it('touch pushes the expiry and the purge order back', () => {
    const { t, clock } = virtualTable('stick-table type ip size 8 expire 1s');
    const a = t.acquire(ip('1.0.0.1'));
    clock.now += 900;
    t.touch(a);
    t.release(a);
    clock.now += 900;
    expect(t.expire().killed).toBe(0);
    expect(t.list()[0]!.exp).toBe(100);
  });

  it('purges the oldest unreferenced entry when full (batch size/256 + 1)', () => {
    const { t } = virtualTable('stick-table type integer size 4');
    const hs = [1, 2, 3, 4].map((k) => t.acquire(integerKey(k)));
    t.release(hs[2]!);
    t.touchAndRelease(t.acquire(integerKey(1))); // 1 is touched again: 3 is now the oldest unreferenced
    t.release(hs[0]!);
    expect(t.acquire(integerKey(5))).toBeGreaterThanOrEqual(0);
    expect(t.has(integerKey(3))).toBe(false);
    expect([1, 2, 4, 5].every((k) => t.has(integerKey(k)))).toBe(true);
    expect(t.stats().purged).toBe(1);
    expect(t.verify()).toEqual([]);
  });

  it('refuses new entries when full and every entry is referenced, or with nopurge', () => {
    const { t } = virtualTable('stick-table type integer size 2');
    t.acquire(integerKey(1));
    t.acquire(integerKey(2));
    expect(t.acquire(integerKey(3))).toBe(-1);
    const np = virtualTable('stick-table type integer size 2 nopurge').t;
    np.release(np.acquire(integerKey(1)));
    np.release(np.acquire(integerKey(2)));
    expect(np.acquire(integerKey(3))).toBe(-1);
    expect(np.stats().refused).toBe(1);
    expect(np.has(integerKey(1))).toBe(true);
  });
});

describe('StickTable: show / clear', () => {
  const setup = () => {
    const v = virtualTable('stick-table type ip size 16 expire 10s store gpc0,http_req_rate(10s)');
    for (const [k, n] of [['10.0.0.1', 1], ['10.0.0.2', 5], ['10.0.0.3', 12]] as const) {
      const h = v.t.acquire(ip(k));
      v.t.add(h, 'gpc0', n);
      v.t.add(h, 'http_req_rate', n);
      v.t.touchAndRelease(h);
    }
    return v;
  };
  const f = (s: string) => {
    const r = parseStickFilter(s.split(' '), ['gpc0', 'http_req_rate']);
    if (!r.ok) throw new Error(r.error);
    return r.filter;
  };

  it('lists with data filters and prints HAProxy-style lines', () => {
    const { t, clock } = setup();
    clock.now += 2000;
    expect(t.list({ filters: [f('data.gpc0 gt 1')] }).map((v) => v.key)).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(t.list({ filters: [f('data.gpc0 ge 5'), f('data.http_req_rate lt 12')] }).map((v) => v.key)).toEqual(['10.0.0.2']);
    expect(t.list({ filters: [f('data.gpc0 eq 1')] }).map((v) => v.key)).toEqual(['10.0.0.1']);
    expect(t.list({ filters: [f('data.gpc0 ne 1')] })).toHaveLength(2);
    expect(t.list({ filters: [f('data.gpc0 le 5')] })).toHaveLength(2);
    const [v] = t.list({ key: ip('10.0.0.3') });
    expect(StickTable.formatEntry(v!)).toBe(`0x${v!.slot.toString(16)}: key=10.0.0.3 use=0 exp=8000 shard=0 gpc0=12 http_req_rate(10000)=12`);
    expect(t.formatHeader()).toBe('# table: be, type: ip, size:16, used:3');
  });

  it('clears by key, by filter and all, leaving referenced entries', () => {
    const { t } = setup();
    expect(t.clear({ key: ip('10.0.0.1') })).toEqual({ removed: 1, inUse: 0 });
    const held = t.lookup(ip('10.0.0.2'));
    expect(t.clear({ key: ip('10.0.0.2') })).toEqual({ removed: 0, inUse: 1 });
    expect(t.clear({ filters: [f('data.gpc0 gt 0')] })).toEqual({ removed: 1, inUse: 1 });
    t.release(held);
    expect(t.clear()).toEqual({ removed: 1, inUse: 0 });
    expect(t.current).toBe(0);
    expect(t.verify()).toEqual([]);
  });

  it('rejects filters on unknown or unstored types, bad operators and values', () => {
    const stored = ['gpc0'] as const;
    expect(parseStickFilter(['data.foo', 'gt', '1'], stored)).toMatchObject({ ok: false, error: expect.stringMatching(/unknown data type 'foo'/) });
    expect(parseStickFilter(['data.conn_cnt', 'gt', '1'], stored)).toMatchObject({ error: "data type 'conn_cnt' is not stored in this table" });
    expect(parseStickFilter(['data.gpc0', 'gte', '1'], stored)).toMatchObject({ error: expect.stringMatching(/needs an operator among eq, ne, le, lt, ge, gt, got 'gte'/) });
    expect(parseStickFilter(['data.gpc0', 'gt', 'x'], stored)).toMatchObject({ error: expect.stringMatching(/needs an integer value, got 'x'/) });
  });

  it('refuses to attach a buffer made for another definition', () => {
    const { sab } = virtualTable('stick-table type ip size 16');
    expect(() => new StickTable(sab, stickDef('stick-table type ip size 32'))).toThrow(/made for another definition/);
  });
});
