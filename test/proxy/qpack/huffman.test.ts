/**
 * proxy/qpack/huffman.ts: Huffman coding of string literals (RFC 7541 §5.2, Appendix B). Vectors are
 * the Huffman-coded strings of RFC 7541 Appendix C.4 (requests) and C.6.1 (first response), the
 * octets after each literal's length byte, checked both ways.
 */
import { describe, expect, it } from 'vitest';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from '../../../proxy/qpack/huffman.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const decode = (b: Uint8Array) => huffmanDecode(b, 0, b.length);

const VECTORS: [string, string, string][] = [
  ['C.4.1', 'www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
  ['C.4.2', 'no-cache', 'a8eb 1064 9cbf'],
  ['C.4.3', 'custom-key', '25a8 49e9 5ba9 7d7f'],
  ['C.4.3', 'custom-value', '25a8 49e9 5bb8 e8b4 bf'],
  ['C.6.1', '302', '6402'],
  ['C.6.1', 'private', 'aec3 771a 4b'],
  ['C.6.1', 'Mon, 21 Oct 2013 20:13:21 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
  ['C.6.1', 'https://www.example.com', '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
];

describe('Huffman: RFC 7541 Appendix C.4 and C.6.1 strings', () => {
  for (const [sec, text, wire] of VECTORS) {
    it(`${sec}: "${text}" encodes to and decodes from ${wire}`, () => {
      expect(hex(huffmanEncode(text))).toBe(wire.replace(/\s/g, ''));
      expect(huffmanEncodedLength(text)).toBe(wire.replace(/\s/g, '').length / 2);
      expect(decode(bytes(wire))).toBe(text);
    });
  }
});

describe('huffmanDecode', () => {
  it('round-trips every octet value, alone and all together', () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    expect(decode(huffmanEncode(all))).toBe(all);
    for (let c = 0; c < 256; c++) {
      const s = String.fromCharCode(c).repeat(3);
      expect(decode(huffmanEncode(s))).toBe(s);
    }
  });

  it('decodes the empty string', () => {
    expect(decode(new Uint8Array(0))).toBe('');
  });

  it('refuses padding longer than 7 bits (a whole octet of ones)', () => {
    const r = decode(bytes('6402 ff'));
    expect(typeof r).toBe('object');
    expect((r as { error: string }).error).toMatch(/padding/);
  });

  it('refuses padding that is not the prefix of EOS (zeros)', () => {
    // "a" is 00011 (5 bits): pad with 000 instead of 111.
    expect(typeof decode(bytes('18'))).toBe('object');
    expect(decode(bytes('1f'))).toBe('a');
  });

  it('refuses the EOS symbol inside a string', () => {
    const r = decode(bytes('ffff ffff'));
    expect((r as { error: string }).error).toMatch(/EOS/);
  });

  it('never throws on random input', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const b = Uint8Array.from({ length: i % 40 }, rnd);
      const r = decode(b);
      expect(typeof r === 'string' || typeof r.error === 'string').toBe(true);
    }
  });
});
