/**
 * proxy/quic/varint.ts and proxy/quic/packet-number.ts: the RFC 9000 Appendix A.1 varint samples,
 * the four sizes and their bounds, refusals, and the Appendix A.2 / A.3 packet number examples.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeVarint,
  decodeVarintBig,
  encodeVarint,
  VARINT_MAX,
  VARINT_SATURATED,
  varintLength,
  writeVarint,
} from '../../../proxy/quic/varint.ts';
import { decodePacketNumber, packetNumberLength, truncatePacketNumber } from '../../../proxy/quic/packet-number.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

describe('varints (RFC 9000 §16, Appendix A.1)', () => {
  it('decodes the four samples of Appendix A.1 and re-encodes them', () => {
    const big = decodeVarintBig(bytes('c2197c5eff14e88c'), 0);
    expect(big.ok && big.value).toBe(151288809941952652n);
    expect(hex(encodeVarint(151288809941952652n))).toBe('c2197c5eff14e88c');
    for (const [h, v] of [['9d7f3e7d', 494878333], ['7bbd', 15293], ['25', 37]] as const) {
      const r = decodeVarint(bytes(h), 0);
      expect(r).toEqual({ ok: true, value: v, next: h.length / 2, length: h.length / 2 });
      expect(hex(encodeVarint(v))).toBe(h);
    }
  });

  it('accepts the non-minimal two-byte 0x4025 as 37 (Appendix A.1)', () => {
    expect(decodeVarint(bytes('4025'), 0)).toEqual({ ok: true, value: 37, next: 2, length: 2 });
    expect(hex(encodeVarint(37, 2))).toBe('4025');
  });

  it('uses each size up to its bound (Table 4)', () => {
    const cases: [number | bigint, string][] = [
      [0, '00'], [63, '3f'], [64, '4040'], [16383, '7fff'], [16384, '80004000'],
      [1073741823, 'bfffffff'], [1073741824, 'c000000040000000'], [VARINT_MAX, 'ffffffffffffffff'],
    ];
    for (const [v, h] of cases) {
      expect(hex(encodeVarint(v))).toBe(h);
      expect(varintLength(v)).toBe(h.length / 2);
      const r = decodeVarintBig(bytes(h), 0);
      expect(r.ok && r.value).toBe(BigInt(v));
    }
  });

  it('decodes 8-byte values exactly up to 2^53-1 and saturates above', () => {
    expect(decodeVarint(encodeVarint(Number.MAX_SAFE_INTEGER), 0)).toMatchObject({ ok: true, value: Number.MAX_SAFE_INTEGER });
    expect(decodeVarint(encodeVarint(2 ** 40 + 5), 0)).toMatchObject({ ok: true, value: 2 ** 40 + 5 });
    expect(decodeVarint(encodeVarint(2n ** 53n), 0)).toMatchObject({ ok: true, value: VARINT_SATURATED });
    expect(decodeVarint(bytes('ffffffffffffffff'), 0)).toMatchObject({ ok: true, value: VARINT_SATURATED });
  });

  it('reports truncation with what was needed and what was there', () => {
    expect(decodeVarint(new Uint8Array(0), 0)).toEqual({ ok: false, error: 'truncated', offset: 0, needed: 1, available: 0 });
    expect(decodeVarint(bytes('c2197c'), 0)).toEqual({ ok: false, error: 'truncated', offset: 0, needed: 8, available: 3 });
    expect(decodeVarint(bytes('0040'), 1)).toEqual({ ok: false, error: 'truncated', offset: 1, needed: 2, available: 1 });
    expect(decodeVarintBig(bytes('9d7f3e'), 0)).toMatchObject({ ok: false, needed: 4, available: 3 });
    expect(decodeVarint(bytes('7bbd'), 0, 1)).toMatchObject({ ok: false, needed: 2, available: 1 });
  });

  it('refuses to encode out-of-range values or into too small a length', () => {
    expect(() => encodeVarint(-1)).toThrow(RangeError);
    expect(() => encodeVarint(1.5)).toThrow(RangeError);
    expect(() => encodeVarint(2 ** 53)).toThrow(RangeError);
    expect(() => encodeVarint(VARINT_MAX + 1n)).toThrow(RangeError);
    expect(() => encodeVarint(64, 1)).toThrow(/does not fit/);
    expect(() => writeVarint(new Uint8Array(1), 0, 64)).toThrow(/no room/);
  });
});

describe('packet numbers (RFC 9000 §17.1, Appendix A.2 and A.3)', () => {
  it('A.2: 0xac5c02 after 0xabe8b3 was acknowledged takes 16 bits', () => {
    expect(packetNumberLength(0xac5c02, 0xabe8b3)).toBe(2);
    expect(truncatePacketNumber(0xac5c02, 2)).toBe(0x5c02);
  });

  it('A.2: 0xace8fe in the same state takes 24 bits', () => {
    expect(packetNumberLength(0xace8fe, 0xabe8b3)).toBe(3);
    expect(truncatePacketNumber(0xace8fe, 3)).toBe(0xace8fe);
  });

  it('A.3: 0x9b32 on 16 bits after 0xa82f30ea decodes to 0xa82f9b32', () => {
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 16)).toBe(0xa82f9b32);
  });

  it('uses the full range before any acknowledgement and "more than twice" the range after', () => {
    expect(packetNumberLength(0, undefined)).toBe(1);
    expect(packetNumberLength(127, undefined)).toBe(2); // 128 unacknowledged: 8 bits give exactly twice, not more
    expect(packetNumberLength(126, undefined)).toBe(1);
    expect(packetNumberLength(2 ** 31 - 2, undefined)).toBe(4);
    expect(() => packetNumberLength(2 ** 31, undefined)).toThrow(RangeError);
    expect(() => packetNumberLength(5, 5)).toThrow(RangeError);
  });

  it('recovers numbers across window edges in both directions', () => {
    expect(decodePacketNumber(-1, 0, 8)).toBe(0);
    expect(decodePacketNumber(255, 0x00, 8)).toBe(256);
    expect(decodePacketNumber(300, 0xff, 8)).toBe(255); // late packet below the window edge
    expect(decodePacketNumber(0x1ff, 0x7f, 8)).toBe(0x27f);
    // the window is (expected - 128, expected + 128] with expected = 0x200
    expect(decodePacketNumber(0x1ff, 0x80, 8)).toBe(0x280);
    expect(decodePacketNumber(0x1ff, 0x81, 8)).toBe(0x181);
    for (let pn = 1000; pn < 1300; pn++) {
      for (const len of [1, 2, 3, 4] as const) {
        expect(decodePacketNumber(pn - 1, truncatePacketNumber(pn, len), (len * 8) as 8 | 16 | 24 | 32)).toBe(pn);
      }
    }
  });
});
