/**
 * proxy/qpack/encoder-instructions.ts: encoder-stream instructions (RFC 9204 §4.3), checked both
 * ways against every encoder-stream dump of Appendix B (B.2, B.3, B.4, B.5).
 */
import { describe, expect, it } from 'vitest';
import { buildEncoderInstruction, parseEncoderInstruction } from '../../../proxy/qpack/encoder-instructions.ts';
import type { EncoderInstruction } from '../../../proxy/qpack/qpack.types.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

const APPENDIX_B: [string, string, EncoderInstruction][] = [
  ['B.2', '3fbd01', { kind: 'set-capacity', capacity: 220 }],
  ['B.2', 'c00f 7777 772e 6578 616d 706c 652e 636f 6d', { kind: 'insert-name-ref', isStatic: true, index: 0, value: 'www.example.com', huffman: false }],
  ['B.2', 'c10c 2f73 616d 706c 652f 7061 7468', { kind: 'insert-name-ref', isStatic: true, index: 1, value: '/sample/path', huffman: false }],
  [
    'B.3',
    '4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565',
    { kind: 'insert-literal-name', name: 'custom-key', value: 'custom-value', huffmanName: false, huffmanValue: false },
  ],
  ['B.4', '02', { kind: 'duplicate', index: 2 }],
  ['B.5', '810d 6375 7374 6f6d 2d76 616c 7565 32', { kind: 'insert-name-ref', isStatic: false, index: 1, value: 'custom-value2', huffman: false }],
];

describe('encoder instructions: RFC 9204 Appendix B', () => {
  for (const [sec, wire, ins] of APPENDIX_B) {
    it(`${sec}: ${wire} is ${ins.kind}, both ways`, () => {
      const b = bytes(wire);
      const cur = { pos: 0 };
      expect(parseEncoderInstruction(b, cur)).toEqual({ status: 'ok', instruction: ins });
      expect(cur.pos).toBe(b.length);
      expect(hex(buildEncoderInstruction(ins))).toBe(hex(b));
    });
  }
});

describe('parseEncoderInstruction', () => {
  it('waits (truncated) at every cut of every Appendix B instruction', () => {
    for (const [, wire] of APPENDIX_B) {
      const b = bytes(wire);
      for (let cut = 0; cut < b.length; cut++) {
        const cur = { pos: 0 };
        expect(parseEncoderInstruction(b.subarray(0, cut), cur)).toEqual({ status: 'truncated' });
        expect(cur.pos).toBe(0);
      }
    }
  });

  it('refuses a string longer than the bound before its octets arrive', () => {
    // Insert with Literal Name, name length 2^20 (not Huffman), only the header present.
    const r = parseEncoderInstruction(bytes('5f e1ff3f'), { pos: 0 }, 1000);
    expect(r.status).toBe('invalid');
  });

  it("'auto' Huffman-codes strings when shorter and still round-trips", () => {
    const ins: EncoderInstruction = { kind: 'insert-literal-name', name: 'custom-key', value: 'custom-value' };
    const b = buildEncoderInstruction(ins);
    expect(b.length).toBeLessThan(24);
    expect(parseEncoderInstruction(b, { pos: 0 })).toEqual({ status: 'ok', instruction: { ...ins, huffmanName: true, huffmanValue: true } });
  });
});
