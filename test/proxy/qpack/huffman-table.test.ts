/**
 * proxy/qpack/huffman-table.ts: the RFC 7541 Appendix B code, checked for internal consistency so a
 * transcription error in either column fails: the lengths must form a complete prefix code (Kraft
 * sum exactly 1) and each code must be the canonical code for its length (Appendix B is canonical:
 * codes of one length are consecutive in symbol order, and each length starts where the previous
 * one ended, shifted). Spot values are the Appendix B rows for symbols 0, '0', 'a', 255 and EOS.
 */
import { describe, expect, it } from 'vitest';
import { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from '../../../proxy/qpack/huffman-table.ts';

describe('RFC 7541 Appendix B table', () => {
  it('has 257 symbols with lengths 5..30', () => {
    expect(HUFFMAN_CODES.length).toBe(257);
    expect(HUFFMAN_LENGTHS.length).toBe(257);
    for (let s = 0; s <= HUFFMAN_EOS; s++) {
      expect(HUFFMAN_LENGTHS[s]).toBeGreaterThanOrEqual(5);
      expect(HUFFMAN_LENGTHS[s]).toBeLessThanOrEqual(30);
      expect(HUFFMAN_CODES[s]).toBeLessThan(2 ** HUFFMAN_LENGTHS[s]);
    }
  });

  it('is a complete prefix code (Kraft sum exactly 1)', () => {
    let sum = 0;
    for (const len of HUFFMAN_LENGTHS) sum += 2 ** (30 - len);
    expect(sum).toBe(2 ** 30);
  });

  it('gives every symbol the canonical code of its length', () => {
    const order = [...Array(257).keys()].sort((a, b) => HUFFMAN_LENGTHS[a] - HUFFMAN_LENGTHS[b] || a - b);
    let code = 0;
    let len = HUFFMAN_LENGTHS[order[0]];
    for (let i = 0; i < order.length; i++) {
      const s = order[i];
      if (i > 0) {
        code++;
        code *= 2 ** (HUFFMAN_LENGTHS[s] - len);
        len = HUFFMAN_LENGTHS[s];
      }
      expect([s, HUFFMAN_CODES[s]]).toEqual([s, code]);
    }
  });

  it('has the Appendix B rows for spot symbols', () => {
    expect([HUFFMAN_CODES[0], HUFFMAN_LENGTHS[0]]).toEqual([0x1ff8, 13]);
    expect([HUFFMAN_CODES[48], HUFFMAN_LENGTHS[48]]).toEqual([0x0, 5]);
    expect([HUFFMAN_CODES[97], HUFFMAN_LENGTHS[97]]).toEqual([0x3, 5]);
    expect([HUFFMAN_CODES[255], HUFFMAN_LENGTHS[255]]).toEqual([0x3ffffee, 26]);
    expect([HUFFMAN_CODES[256], HUFFMAN_LENGTHS[256]]).toEqual([0x3fffffff, 30]);
  });
});
