/**
 * proxy/qpack/field-lines.ts: the Encoded Field Section Prefix (RFC 9204 §4.5.1) and the field line
 * representations (§4.5.2-§4.5.6). Vectors: the §4.5.1.1 example (a 100-byte table encodes the
 * Required Insert Count modulo 6; with 10 inserts an encoded 4 is 9), the §4.5.1.2 example (Required
 * Insert Count 9, Sign 1, Delta Base 2 gives Base 6), and the sections of Appendix B.1, B.2, B.4.
 */
import { describe, expect, it } from 'vitest';
import {
  buildFieldSection,
  buildFieldSectionPrefix,
  decodeRequiredInsertCount,
  encodeRequiredInsertCount,
  fieldLineLength,
  maxEntries,
  parseFieldLine,
  readFieldSectionPrefix,
  writeFieldLine,
} from '../../../proxy/qpack/field-lines.ts';
import type { FieldLineRepresentation } from '../../../proxy/qpack/qpack.types.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

function parseAll(b: Uint8Array, from: number): FieldLineRepresentation[] {
  const cur = { pos: from };
  const out: FieldLineRepresentation[] = [];
  while (cur.pos < b.length) {
    const r = parseFieldLine(b, cur);
    if (r.status !== 'ok') throw new Error(`parse failed: ${JSON.stringify(r)}`);
    out.push(r.instruction);
  }
  return out;
}

describe('Required Insert Count (RFC 9204 §4.5.1.1)', () => {
  it('§4.5.1.1 example: 100-byte table, 10 inserts, encoded 4 is 9', () => {
    const me = maxEntries(100);
    expect(me).toBe(3);
    expect(decodeRequiredInsertCount(4, me, 10)).toBe(9);
    expect(encodeRequiredInsertCount(9, me)).toBe(4);
    expect(encodeRequiredInsertCount(0, me)).toBe(0);
  });

  it('round-trips every Required Insert Count the decoder can be asked for', () => {
    const me = 3;
    for (let total = 0; total < 40; total++) {
      for (let ric = Math.max(1, total - me + 1); ric <= total + me; ric++) {
        expect(decodeRequiredInsertCount(encodeRequiredInsertCount(ric, me), me, total)).toBe(ric);
      }
    }
  });

  it('refuses encodings no conformant encoder produces', () => {
    expect(decodeRequiredInsertCount(7, 3, 10)).toBe(-1); // > FullRange 6
    expect(decodeRequiredInsertCount(1, 0, 0)).toBe(-1); // no dynamic table at all
    expect(decodeRequiredInsertCount(6, 3, 0)).toBe(-1); // would be 5 > MaxValue 3, and <= FullRange
  });
});

describe('field section prefix (RFC 9204 §4.5.1)', () => {
  it('§4.5.1.2 example: RIC 9, Sign 1, Delta Base 2 is Base 6, both ways', () => {
    const cur = { pos: 0 };
    const r = readFieldSectionPrefix(bytes('04 82'), cur, 3, 10);
    expect(r).toEqual({ status: 'ok', instruction: { requiredInsertCount: 9, base: 6 } });
    expect(cur.pos).toBe(2);
    expect(hex(buildFieldSectionPrefix({ requiredInsertCount: 9, base: 6 }, 3))).toBe('0482');
  });

  it('B.2 0381 is RIC 2, Base 0 and B.4 0500 is RIC 4, Base 4 (220-byte table)', () => {
    expect(readFieldSectionPrefix(bytes('0381'), { pos: 0 }, maxEntries(220), 2)).toMatchObject({ instruction: { requiredInsertCount: 2, base: 0 } });
    expect(readFieldSectionPrefix(bytes('0500'), { pos: 0 }, maxEntries(220), 4)).toMatchObject({ instruction: { requiredInsertCount: 4, base: 4 } });
    expect(hex(buildFieldSectionPrefix({ requiredInsertCount: 2, base: 0 }, maxEntries(220)))).toBe('0381');
    expect(hex(buildFieldSectionPrefix({ requiredInsertCount: 4, base: 4 }, maxEntries(220)))).toBe('0500');
  });

  it('refuses a negative Base (Sign 1, Delta Base >= RIC) and reports truncation', () => {
    expect(readFieldSectionPrefix(bytes('0382'), { pos: 0 }, 6, 2)).toMatchObject({ status: 'invalid' });
    expect(readFieldSectionPrefix(bytes('03'), { pos: 0 }, 6, 2)).toEqual({ status: 'truncated' });
    expect(readFieldSectionPrefix(bytes(''), { pos: 0 }, 6, 2)).toEqual({ status: 'truncated' });
  });
});

describe('field line representations', () => {
  it('B.1: 510b 2f69 6e64 6578 2e68 746d 6c is :path literal with static name ref 1, both ways', () => {
    const wire = bytes('0000 510b 2f69 6e64 6578 2e68 746d 6c');
    const reps = parseAll(wire, 2);
    expect(reps).toEqual([{ kind: 'literal-name-ref', isStatic: true, index: 1, value: '/index.html', neverIndex: false, huffman: false }]);
    expect(hex(buildFieldSection({ requiredInsertCount: 0, base: 0 }, reps, 0))).toBe(hex(wire));
  });

  it('B.2: 10 11 are post-Base indices 0 and 1; B.4: 80 c1 81 are dynamic 0, static 1, dynamic 1', () => {
    expect(parseAll(bytes('1011'), 0)).toEqual([{ kind: 'indexed-post-base', index: 0 }, { kind: 'indexed-post-base', index: 1 }]);
    const b4 = parseAll(bytes('80c181'), 0);
    expect(b4).toEqual([
      { kind: 'indexed', isStatic: false, index: 0 },
      { kind: 'indexed', isStatic: true, index: 1 },
      { kind: 'indexed', isStatic: false, index: 1 },
    ]);
    expect(hex(buildFieldSection({ requiredInsertCount: 4, base: 4 }, b4, maxEntries(220)))).toBe('050080c181');
  });

  it('round-trips every representation kind with the N bit and large indices', () => {
    const reps: FieldLineRepresentation[] = [
      { kind: 'indexed', isStatic: true, index: 98 },
      { kind: 'indexed', isStatic: false, index: 1000 },
      { kind: 'indexed-post-base', index: 70000 },
      { kind: 'literal-name-ref', isStatic: false, index: 15, value: 'v', neverIndex: true, huffman: false },
      { kind: 'literal-name-ref', isStatic: true, index: 5, value: 'secret=1', neverIndex: true, huffman: true },
      { kind: 'literal-post-base-name-ref', index: 7, value: '', neverIndex: true, huffman: false },
      { kind: 'literal-post-base-name-ref', index: 3, value: 'xyz', neverIndex: false, huffman: true },
      { kind: 'literal-literal-name', name: 'x-custom-long-name', value: 'a\u00ffb', neverIndex: true, huffmanName: true, huffmanValue: false },
      { kind: 'literal-literal-name', name: 'n', value: 'v', neverIndex: false, huffmanName: false, huffmanValue: true },
    ];
    for (const rep of reps) {
      const out = new Uint8Array(fieldLineLength(rep));
      expect(writeFieldLine(out, 0, rep)).toBe(out.length);
      expect(parseAll(out, 0)).toEqual([rep]);
    }
  });

  it('reports truncation at every cut of a literal with literal name', () => {
    const rep: FieldLineRepresentation = { kind: 'literal-literal-name', name: 'abc', value: 'defgh', neverIndex: false, huffmanName: false, huffmanValue: false };
    const out = new Uint8Array(fieldLineLength(rep));
    writeFieldLine(out, 0, rep);
    for (let cut = 0; cut < out.length; cut++) expect(parseFieldLine(out.subarray(0, cut), { pos: 0 }).status).toBe('truncated');
  });
});
