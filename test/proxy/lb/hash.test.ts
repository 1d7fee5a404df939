/**
 * HAProxy's hash functions and hash inputs (proxy/lb/hash.ts). Known check values where they exist
 * (CRC-32 of "123456789"), hand-computed ones for the simple functions, and regression values for
 * the rest; all of them are also exercised against a live HAProxy by the vectors in
 * balance.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  fullHash,
  genHash,
  hashCrc32,
  hashDjb2,
  hashSdbm,
  hashWt6,
  parseHashType,
  sourceHashKey,
  uriHashInput,
} from '../../../proxy/lb/hash.ts';

describe('hash functions', () => {
  it('crc32 gives the standard check value', () => {
    expect(hashCrc32('123456789')).toBe(0xcbf43926);
    expect(hashCrc32('')).toBe(0);
  });

  it('sdbm is h = c + h * 65599 (mod 2^32)', () => {
    expect(hashSdbm('')).toBe(0);
    expect(hashSdbm('a')).toBe(97);
    expect(hashSdbm('ab')).toBe(98 + 97 * 65599);
    let h = 0;
    for (const c of '/some/long/path/to/hash') h = (c.charCodeAt(0) + h * 65599) % 2 ** 32;
    expect(hashSdbm('/some/long/path/to/hash')).toBe(h);
  });

  it('djb2 is h = h * 33 + c from 5381 (mod 2^32), past the 8-byte unrolled loop', () => {
    expect(hashDjb2('')).toBe(5381);
    expect(hashDjb2('a')).toBe(5381 * 33 + 97);
    let h = 5381;
    for (const c of 'abcdefghijklmnopq') h = (h * 33 + c.charCodeAt(0)) % 2 ** 32;
    expect(hashDjb2('abcdefghijklmnopq')).toBe(h);
  });

  it('takes strings one byte per character, like byte arrays', () => {
    const bytes = new Uint8Array([0x2f, 0xe9, 0x41]);
    const text = '/\u00e9A';
    expect(hashSdbm(text)).toBe(hashSdbm(bytes));
    expect(hashWt6(text)).toBe(hashWt6(bytes));
    expect(hashCrc32(text)).toBe(hashCrc32(bytes));
  });

  it('wt6 and fullHash keep their values (regression; both checked against HAProxy 2.6.12)', () => {
    expect(hashWt6('')).toBe((0xa53c965a ^ 0x5ca6953a) >>> 0);
    expect([hashWt6('a'), hashWt6('/index.html')]).toEqual([1900802597, 822151038]);
    // full_hash() is Jenkins' avalanche times 3221225473 in HAProxy 2.x.
    expect([fullHash(0), fullHash(1), fullHash(4096)]).toEqual([2874071335, 881230262, 1237450891]);
  });

  it('genHash applies the function, then the avalanche modifier', () => {
    expect(genHash('/x', { method: 'map-based', fn: 'djb2', avalanche: false })).toBe(hashDjb2('/x'));
    expect(genHash('/x', { method: 'consistent', fn: 'crc32', avalanche: true })).toBe(fullHash(hashCrc32('/x')));
  });
});

describe('sourceHashKey', () => {
  it('is the IPv4 address as a 32-bit integer', () => {
    expect(sourceHashKey('10.0.0.1')).toBe(0x0a000001);
    expect(sourceHashKey('255.255.255.255')).toBe(0xffffffff);
  });

  it('is the XOR of the four words of an IPv6 address', () => {
    expect(sourceHashKey('2001:db8::1')).toBe((0x20010db8 ^ 1) >>> 0);
    expect(sourceHashKey('::')).toBe(0);
    expect(sourceHashKey('fe80::1%eth0')).toBe((0xfe800000 ^ 1) >>> 0);
    expect(sourceHashKey('1:2:3:4:5:6:7:8')).toBe(((0x00010002 ^ 0x00030004 ^ 0x00050006 ^ 0x00070008) >>> 0));
    expect(sourceHashKey('64:ff9b::192.0.2.1')).toBe((0x0064ff9b ^ 0xc0000201) >>> 0);
  });

  it('treats IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(sourceHashKey('::ffff:10.0.0.1')).toBe(0x0a000001);
    expect(sourceHashKey('::ffff:a00:1')).toBe(0x0a000001);
  });

  it('is undefined for anything that is not an IP address', () => {
    for (const bad of ['', 'localhost', '1.2.3', '1.2.3.256', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '::1.2.3']) {
      expect(sourceHashKey(bad), bad).toBeUndefined();
    }
  });
});

describe('uriHashInput', () => {
  it('stops at the query string unless `whole`', () => {
    expect(uriHashInput('/a/b?c=d')).toBe('/a/b');
    expect(uriHashInput('/a/b?c=d', { whole: true })).toBe('/a/b?c=d');
  });

  it('`depth` keeps that many directory levels', () => {
    expect(uriHashInput('/a/b/c/d', { depth: 1 })).toBe('/a');
    expect(uriHashInput('/a/b/c/d', { depth: 3 })).toBe('/a/b/c');
    expect(uriHashInput('/a/b', { depth: 5 })).toBe('/a/b');
  });

  it('`len` keeps that many characters, before the other rules', () => {
    expect(uriHashInput('/abcdef?x', { len: 3 })).toBe('/ab');
    expect(uriHashInput('/a?bcdef', { len: 5, whole: true })).toBe('/a?bc');
  });

  it('`path-only` drops scheme and authority', () => {
    expect(uriHashInput('https://h.example:8443/x/y?z', { pathOnly: true })).toBe('/x/y');
    expect(uriHashInput('http://h.example', { pathOnly: true })).toBe('');
    expect(uriHashInput('http://h.example?q', { pathOnly: true, whole: true })).toBe('?q');
    expect(uriHashInput('/x/y', { pathOnly: true })).toBe('/x/y');
    expect(uriHashInput('http://h.example/x')).toBe('http://h.example/x');
  });
});

describe('parseHashType', () => {
  it('defaults to sdbm, and a bare `consistent` turns avalanche on (HAProxy cfgparse)', () => {
    expect(parseHashType(['map-based'])).toEqual({ method: 'map-based', fn: 'sdbm', avalanche: false });
    expect(parseHashType(['consistent'])).toEqual({ method: 'consistent', fn: 'sdbm', avalanche: true });
    expect(parseHashType(['consistent', 'djb2'])).toEqual({ method: 'consistent', fn: 'djb2', avalanche: false });
    expect(parseHashType(['map-based', 'wt6', 'avalanche'])).toEqual({ method: 'map-based', fn: 'wt6', avalanche: true });
  });

  it('says what is accepted for a bad method, function or modifier', () => {
    expect(() => parseHashType(['ring'])).toThrow("only supports 'consistent' and 'map-based'");
    expect(() => parseHashType(['consistent', 'md5'])).toThrow("'sdbm', 'djb2', 'crc32', or 'wt6'");
    expect(() => parseHashType(['consistent', 'sdbm', 'fast'])).toThrow("'avalanche' as a modifier");
  });
});
