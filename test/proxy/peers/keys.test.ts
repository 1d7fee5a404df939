/**
 * proxy/peers/keys.ts: key encodings of update messages (2.1 text, "Entry update message format",
 * "Key"): integer keys are 4 bytes in network order, addresses their raw bytes, binary keys padded
 * to the announced key length, string keys their bytes (the length varint is the codec's).
 */
import { describe, expect, it } from 'vitest';
import { decodeFixedKey, encodeKey, formatIPv6, parseIPv4, parseIPv6 } from '../../../proxy/peers/keys.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('addresses', () => {
  it('parses dotted IPv4 and refuses anything else', () => {
    expect(hex(parseIPv4('127.0.0.1')!)).toBe('7f000001');
    for (const bad of ['127.0.0', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '1..2.3', '']) expect(parseIPv4(bad)).toBeUndefined();
  });

  it.each([
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
  ])('parses IPv6 %s', (text, expected) => {
    expect(hex(parseIPv6(text)!)).toBe(expected);
  });

  it('refuses malformed IPv6 text', () => {
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '::1.2.3', '1:2:3:4:5:6:7::8']) {
      expect(parseIPv6(bad), bad).toBeUndefined();
    }
  });

  it('formats IPv6 in RFC 5952 form (longest zero run compressed, lowercase)', () => {
    expect(formatIPv6(parseIPv6('2001:DB8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6(parseIPv6('::1')!)).toBe('::1');
    expect(formatIPv6(parseIPv6('1:0:2:3:4:5:6:7')!)).toBe('1:0:2:3:4:5:6:7');
    expect(formatIPv6(new Uint8Array(16))).toBe('::');
  });
});

describe('encodeKey / decodeFixedKey', () => {
  it('integer keys are 4 bytes in network order, read back signed', () => {
    expect(hex(encodeKey('sint', 4, 0x01020304))).toBe('01020304');
    expect(hex(encodeKey('sint', 4, -2))).toBe('fffffffe');
    expect(decodeFixedKey('sint', Uint8Array.of(0xff, 0xff, 0xff, 0xfe))).toBe(-2);
  });

  it('ipv4 and ipv6 keys round-trip through their bytes', () => {
    expect(decodeFixedKey('ipv4', encodeKey('ipv4', 4, '10.0.0.255'))).toBe('10.0.0.255');
    expect(decodeFixedKey('ipv6', encodeKey('ipv6', 16, '2001:db8::42'))).toBe('2001:db8::42');
  });

  it('binary keys are padded with zeros to the key length', () => {
    expect(hex(encodeKey('binary', 6, Uint8Array.of(1, 2)))).toBe('010200000000');
    expect(decodeFixedKey('binary', Uint8Array.of(1, 2, 0))).toEqual(Uint8Array.of(1, 2, 0));
  });

  it('string keys are their UTF-8 bytes', () => {
    expect(hex(encodeKey('string', 32, 'abc'))).toBe('616263');
  });

  it('refuses keys that do not fit the table type', () => {
    expect(() => encodeKey('ipv4', 4, '::1')).toThrow(/not an IPv4 address/);
    expect(() => encodeKey('ipv6', 16, '1.2.3.4')).toThrow(/not an IPv6 address/);
    expect(() => encodeKey('sint', 4, 2 ** 32)).toThrow(/32-bit integer/);
    expect(() => encodeKey('string', 4, 5)).toThrow(/string key/);
    expect(() => encodeKey('binary', 2, Uint8Array.of(1, 2, 3))).toThrow(/exceed the table's key length 2/);
    expect(() => encodeKey('binary', 2, 'ab')).toThrow(/Uint8Array/);
  });
});
