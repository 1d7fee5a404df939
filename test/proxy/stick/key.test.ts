import { describe, expect, it } from 'vitest';
import { StickKeyError, formatStickKey, parseStickKey } from '../../../proxy/stick/key.ts';

const roundTrip = (type: Parameters<typeof parseStickKey>[0], size: number, text: string): string => {
  const k = parseStickKey(type, size, text);
  return formatStickKey(type, k.bytes, k.len);
};

describe('stick-table keys', () => {
  it('encodes ip keys in network order and accepts IPv4-mapped IPv6', () => {
    expect([...parseStickKey('ip', 4, '192.0.2.10').bytes]).toEqual([192, 0, 2, 10]);
    expect(roundTrip('ip', 4, '::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(() => parseStickKey('ip', 4, '256.0.0.1')).toThrow(StickKeyError);
    expect(() => parseStickKey('ip', 4, '2001:db8::1')).toThrow(/invalid IPv4 address '2001:db8::1'/);
  });

  it('encodes ipv6 keys, maps IPv4, prints the RFC 5952 short form', () => {
    expect(roundTrip('ipv6', 16, '2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(roundTrip('ipv6', 16, '::')).toBe('::');
    expect(roundTrip('ipv6', 16, '1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(roundTrip('ipv6', 16, '10.1.2.3')).toBe('::ffff:10.1.2.3');
    expect(() => parseStickKey('ipv6', 16, '1::2::3')).toThrow(/invalid IPv6 address/);
  });

  it('encodes integers modulo 2^32 and prints them unsigned', () => {
    expect([...parseStickKey('integer', 4, '258').bytes]).toEqual([0, 0, 1, 2]);
    expect(roundTrip('integer', 4, '-1')).toBe('4294967295');
    expect(() => parseStickKey('integer', 4, '1.5')).toThrow(/invalid integer '1.5'/);
  });

  it('truncates strings to key size - 1 and pads binary keys with zeros', () => {
    const k = parseStickKey('string', 4, 'abcdef');
    expect(k.len).toBe(3);
    expect(formatStickKey('string', k.bytes, k.len)).toBe('abc');
    expect(roundTrip('binary', 4, '0a1b')).toBe('0a1b0000');
    expect(() => parseStickKey('binary', 4, 'abc')).toThrow(/even number of hex digits/);
  });
});
