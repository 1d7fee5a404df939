/**
 * proxy/qpack/string-literal.ts: N-bit prefix string literals (RFC 7541 §5.2, RFC 9204 §4.1.2).
 * Vectors: RFC 7541 C.4.1 (`8c f1e3...`, Huffman, 8-bit prefix) and RFC 9204 Appendix B.3 (the
 * Insert with Literal Name `4a 6375...` whose name is a 6-bit prefix literal, not Huffman-coded).
 */
import { describe, expect, it } from 'vitest';
import { readStringLiteral, stringLiteralLength, useHuffman, writeStringLiteral } from '../../../proxy/qpack/string-literal.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

function write(s: string, prefix: number, huffman: boolean, bits = 0): Uint8Array {
  const out = new Uint8Array(stringLiteralLength(s, prefix, huffman));
  expect(writeStringLiteral(out, 0, s, prefix, huffman, bits)).toBe(out.length);
  return out;
}

describe('string literals', () => {
  it('RFC 7541 C.4.1: 8c f1e3 c2e5 f23a 6ba0 ab90 f4ff is "www.example.com", Huffman, both ways', () => {
    const wire = '8cf1e3c2e5f23a6ba0ab90f4ff';
    const cur = { pos: 0 };
    expect(readStringLiteral(bytes(wire), cur, 8)).toEqual({ status: 'ok', value: 'www.example.com', huffman: true });
    expect(cur.pos).toBe(13);
    expect(hex(write('www.example.com', 8, true))).toBe(wire);
  });

  it('RFC 9204 B.3: 6-bit prefix name literal 4a "custom-key" after the 01 pattern, both ways', () => {
    const wire = '4a637573746f6d2d6b6579';
    const cur = { pos: 0 };
    expect(readStringLiteral(bytes(wire), cur, 6)).toEqual({ status: 'ok', value: 'custom-key', huffman: false });
    expect(hex(write('custom-key', 6, false, 0x40))).toBe(wire);
  });

  it('reports truncation in the length and in the octets', () => {
    const wire = write('x'.repeat(200), 4, false);
    for (const cut of [0, 1, 2, 50, wire.length - 1]) {
      const cur = { pos: 0 };
      expect(readStringLiteral(wire.subarray(0, cut), cur, 4).status).toBe('truncated');
      expect(cur.pos).toBe(0);
    }
  });

  it('refuses a length above maxLength before the octets arrive', () => {
    const r = readStringLiteral(bytes('7f e107'), { pos: 0 }, 8, 100);
    expect(r.status).toBe('invalid');
  });

  it('refuses a bad Huffman coding', () => {
    const r = readStringLiteral(bytes('81 00'), { pos: 0 }, 8);
    expect(r).toMatchObject({ status: 'invalid' });
  });

  it('round-trips every prefix size 2..8, both codings, with pattern bits kept', () => {
    for (let n = 2; n <= 8; n++) {
      for (const h of [false, true]) {
        const s = 'text/html; charset=utf-8 \u00e9\u00ff';
        const pattern = n === 8 ? 0 : (0xff << n) & 0xff & 0xaa;
        const wire = write(s, n, h, pattern);
        expect(wire[0] & ~((1 << n) - 1) & 0xff).toBe(pattern);
        expect(readStringLiteral(wire, { pos: 0 }, n)).toEqual({ status: 'ok', value: s, huffman: h });
      }
    }
  });

  it("'auto' Huffman-codes only when strictly shorter", () => {
    expect(useHuffman('www.example.com', 'auto')).toBe(true);
    expect(useHuffman('\u0000\u0001', 'auto')).toBe(false);
    expect(useHuffman('www.example.com', 'never')).toBe(false);
  });
});
