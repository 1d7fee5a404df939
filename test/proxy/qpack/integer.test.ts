/**
 * proxy/qpack/integer.ts: HPACK prefixed integers (RFC 7541 §5.1) as QPACK uses them (RFC 9204
 * §4.1.1). Vectors: RFC 7541 Appendix C.1.1 (10 with a 5-bit prefix: 0a), C.1.2 (1337 with a 5-bit
 * prefix: 1f 9a 0a), C.1.3 (42 starting at an octet boundary: 2a).
 */
import { describe, expect, it } from 'vitest';
import { encodePrefixedInt, INT_OVERFLOW, INT_TRUNCATED, prefixedIntLength, readPrefixedInt, writePrefixedInt } from '../../../proxy/qpack/integer.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('prefixed integers: RFC 7541 Appendix C.1', () => {
  const vectors: [string, number, number, string][] = [
    ['C.1.1', 10, 5, '0a'],
    ['C.1.2', 1337, 5, '1f9a0a'],
    ['C.1.3', 42, 8, '2a'],
  ];
  for (const [sec, value, prefix, wire] of vectors) {
    it(`${sec}: ${value} with a ${prefix}-bit prefix is ${wire} both ways`, () => {
      expect(hex(encodePrefixedInt(value, prefix))).toBe(wire);
      const cur = { pos: 0 };
      expect(readPrefixedInt(bytes(wire), cur, prefix)).toBe(value);
      expect(cur.pos).toBe(wire.length / 2);
    });
  }
});

describe('readPrefixedInt', () => {
  it('ignores the pattern bits above the prefix and keeps them when writing', () => {
    const out = new Uint8Array(3);
    expect(writePrefixedInt(out, 0, 1337, 5, 0xe0)).toBe(3);
    expect(hex(out)).toBe('ff9a0a');
    expect(readPrefixedInt(out, { pos: 0 }, 5)).toBe(1337);
  });

  it('reports truncation at every cut and leaves the cursor alone', () => {
    const wire = encodePrefixedInt(2 ** 40, 3);
    for (let cut = 0; cut < wire.length; cut++) {
      const cur = { pos: 0 };
      expect(readPrefixedInt(wire.subarray(0, cut), cur, 3)).toBe(INT_TRUNCATED);
      expect(cur.pos).toBe(0);
    }
  });

  it('round-trips boundaries for every prefix size from 1 to 8', () => {
    for (let n = 1; n <= 8; n++) {
      for (const v of [0, (1 << n) - 2, (1 << n) - 1, (1 << n), (1 << n) + 126, (1 << n) + 127, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
        const wire = encodePrefixedInt(v, n);
        expect(wire.length).toBe(prefixedIntLength(v, n));
        const cur = { pos: 0 };
        expect(readPrefixedInt(wire, cur, n)).toBe(v);
        expect(cur.pos).toBe(wire.length);
      }
    }
  });

  it('refuses values above 2^53-1 and endless continuation octets as INT_OVERFLOW (RFC 9204 §7.4)', () => {
    // 2^62 - 1 with a 6-bit prefix: parseable per §4.1.1 but above what a number holds exactly.
    expect(readPrefixedInt(bytes('3f c0ffffffffffffff3f'), { pos: 0 }, 6)).toBe(INT_OVERFLOW);
    expect(readPrefixedInt(bytes('1f' + '80'.repeat(20) + '00'), { pos: 0 }, 5)).toBe(INT_OVERFLOW);
  });

  it('throws RangeError only for a caller passing a non-integer', () => {
    expect(() => encodePrefixedInt(-1, 5)).toThrow(RangeError);
    expect(() => encodePrefixedInt(1.5, 5)).toThrow(RangeError);
  });
});
