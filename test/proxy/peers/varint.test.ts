/**
 * proxy/peers/varint.ts: HAProxy's variable-length integers. Vectors come from the peers protocol
 * 2.1 text ("Encoding", example 0x1234 -> f4 94 01) and the byte-count boundaries of the v2.0 text
 * ("I) Encoded Integer and Bitfield": 240, 2288, 264432, 33818864, 4328786160).
 */
import { describe, expect, it } from 'vitest';
import {
  encodeVarint,
  readVarint,
  readVarintNumber,
  varintLength,
  VARINT_MAX,
  VARINT_THRESHOLDS,
  writeVarint,
} from '../../../proxy/peers/varint.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('encodeVarint', () => {
  it('encodes the 2.1 text example 0x1234 as f4 94 01 ("Encoding", Example)', () => {
    expect(hex(encodeVarint(0x1234))).toBe('f49401');
    expect(readVarint(bytes('f49401'), 0)).toEqual({ status: 'ok', value: 0x1234n, next: 3 });
  });

  it.each([
    [0, '00'],
    [239, 'ef'],
    [240, 'f000'],
    [2287, 'ff7f'],
    [2288, 'f08000'],
    [264431, 'ffff7f'],
    [264432, 'f0808000'],
    [33818863, 'ffffff7f'],
    [33818864, 'f080808000'],
    [4328786159, 'ffffffff7f'],
    [4328786160, 'f08080808000'],
  ])('encodes %d as %s (v2.0 text, 1 to 6 byte boundaries)', (value, expected) => {
    expect(hex(encodeVarint(value))).toBe(expected);
    expect(varintLength(value)).toBe(expected.length / 2);
    expect(readVarintNumber(bytes(expected), 0)).toEqual({ status: 'ok', value, next: expected.length / 2 });
  });

  it('matches the PEER_ENC_nBYTES_MIN thresholds of src/peers.c up to 10 bytes', () => {
    expect(VARINT_THRESHOLDS.map(String)).toEqual([
      '0', '240', '2288', '264432', '33818864', '4328786160', '554084600048', '70922828777712', '9078122083518704', '1161999626690365680',
    ]);
    for (let n = 1; n < VARINT_THRESHOLDS.length; n++) {
      expect(varintLength(VARINT_THRESHOLDS[n] - 1n)).toBe(n);
      expect(varintLength(VARINT_THRESHOLDS[n])).toBe(n + 1);
    }
  });

  it('round-trips every boundary as bigint, including 2^64-1 in 10 bytes', () => {
    const values = [...VARINT_THRESHOLDS.flatMap((t) => [t, t === 0n ? 0n : t - 1n, t + 1n]), (1n << 53n) + 1n, VARINT_MAX];
    for (const v of values) {
      const enc = encodeVarint(v);
      expect(readVarint(enc, 0)).toEqual({ status: 'ok', value: v, next: enc.length });
    }
    expect(encodeVarint(VARINT_MAX)).toHaveLength(10);
  });

  it('gives the same bytes through the number and bigint paths', () => {
    for (const v of [241, 65535, 0xffffffff, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      expect(hex(encodeVarint(v))).toBe(hex(encodeVarint(BigInt(v))));
    }
  });

  it('writes at an offset and returns the position after the value', () => {
    const out = new Uint8Array(5);
    expect(writeVarint(out, 1, 0x1234)).toBe(4);
    expect(hex(out)).toBe('00f4940100');
  });

  it('refuses negative, fractional, unsafe and >64-bit values with a RangeError', () => {
    expect(() => encodeVarint(-1)).toThrow(RangeError);
    expect(() => encodeVarint(1.5)).toThrow(/not an integer/);
    expect(() => encodeVarint(2 ** 60)).toThrow(/pass a bigint/);
    expect(() => encodeVarint(1n << 64n)).toThrow(/outside 0\.\.2\^64-1/);
  });
});

describe('readVarint', () => {
  it('says truncated for empty input and for every strict prefix of a multi-byte value', () => {
    expect(readVarint(new Uint8Array(0), 0)).toEqual({ status: 'truncated' });
    const enc = encodeVarint(VARINT_MAX);
    for (let n = 1; n < enc.length; n++) expect(readVarint(enc, 0, n)).toEqual({ status: 'truncated' });
    expect(readVarintNumber(bytes('f0'), 0)).toEqual({ status: 'truncated' });
    expect(readVarintNumber(bytes('f08080808080'), 0)).toEqual({ status: 'truncated' });
  });

  it('refuses an encoding that runs past 10 bytes (overlong for 64 bits)', () => {
    expect(readVarint(bytes('ff ff ff ff ff ff ff ff ff ff 00'), 0)).toEqual({ status: 'overflow' });
    expect(readVarintNumber(bytes('ff ff ff ff ff ff ff ff ff ff 00'), 0)).toEqual({ status: 'overflow' });
  });

  it('refuses a 10-byte encoding whose value exceeds 2^64-1', () => {
    const max = encodeVarint(VARINT_MAX);
    const over = max.slice();
    over[9] += 1;
    expect(readVarint(over, 0)).toEqual({ status: 'overflow' });
  });

  it('respects `end` and reads from an offset', () => {
    const b = bytes('aa f49401 bb');
    expect(readVarint(b, 1)).toEqual({ status: 'ok', value: 0x1234n, next: 4 });
    expect(readVarint(b, 1, 3)).toEqual({ status: 'truncated' });
  });

  it('readVarintNumber reports too-large with the value and the next position when above max', () => {
    expect(readVarintNumber(bytes('f49401'), 0, 3, 0x1000)).toEqual({ status: 'too-large', value: 0x1234n, next: 3 });
    expect(readVarintNumber(bytes('05'), 0, 1, 4)).toEqual({ status: 'too-large', value: 5n, next: 1 });
    const big = encodeVarint(VARINT_MAX);
    expect(readVarintNumber(big, 0)).toEqual({ status: 'too-large', value: VARINT_MAX, next: 10 });
    expect(readVarintNumber(encodeVarint(Number.MAX_SAFE_INTEGER), 0)).toMatchObject({ status: 'ok', value: Number.MAX_SAFE_INTEGER });
  });
});
