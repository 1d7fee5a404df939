/**
 * QUIC variable-length integers (RFC 9000 §16, decoding sample in Appendix A.1).
 *
 * The two most significant bits of the first byte give the encoded length (1, 2, 4 or 8 bytes);
 * the rest, in network byte order, carry a 6-, 14-, 30- or 62-bit value. Non-minimal encodings are
 * legal everywhere except in a frame type (§12.4), which the frame decoder checks itself.
 *
 * Numbers: JavaScript numbers are exact up to 2^53-1. `decodeVarint` returns values above that as
 * `VARINT_SATURATED` (= Number.MAX_SAFE_INTEGER), which is safe for every use a receiver makes of
 * them (limits, offsets, packet numbers and counts that large are never reached in practice and
 * still compare as "too large"). Fields whose validation needs the exact value (stream limits
 * against 2^60, offsets against 2^62-1) read it with `decodeVarintBig`.
 */

/** Largest value a QUIC varint carries: 2^62-1 (RFC 9000 §16, Table 4). */
export const VARINT_MAX = (1n << 62n) - 1n;

/** What `decodeVarint` reports for a value above 2^53-1 (see the module comment). */
export const VARINT_SATURATED = Number.MAX_SAFE_INTEGER;

/** Bytes needed to encode `value` in the shortest form (1, 2, 4 or 8). Throws RangeError outside 0..2^62-1. */
export function varintLength(value: number | bigint): 1 | 2 | 4 | 8 {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`quic varint: ${value} is not an integer in 0..2^53-1 (pass a bigint for larger values)`);
    }
    if (value < 0x40) return 1;
    if (value < 0x4000) return 2;
    if (value < 0x40000000) return 4;
    return 8;
  }
  if (value < 0n || value > VARINT_MAX) throw new RangeError(`quic varint: ${value} is outside 0..2^62-1`);
  if (value < 0x40n) return 1;
  if (value < 0x4000n) return 2;
  if (value < 0x40000000n) return 4;
  return 8;
}

/** Length in bytes (1, 2, 4, 8) of the varint whose first byte is `firstByte` (RFC 9000 §16). */
export function varintLengthFromFirstByte(firstByte: number): 1 | 2 | 4 | 8 {
  return (1 << (firstByte >> 6)) as 1 | 2 | 4 | 8;
}

/**
 * Writes `value` at `out[pos]` on `length` bytes (default: the shortest form) and returns the
 * position after it. Throws RangeError if the value does not fit the requested length or the
 * buffer (programming errors of the caller).
 */
export function writeVarint(out: Uint8Array, pos: number, value: number | bigint, length?: 1 | 2 | 4 | 8): number {
  const min = varintLength(value);
  const n = length ?? min;
  if (n < min || (n !== 1 && n !== 2 && n !== 4 && n !== 8)) {
    throw new RangeError(`quic varint: ${value} does not fit in ${n} byte(s)`);
  }
  if (pos + n > out.length) throw new RangeError(`quic varint: no room for ${n} byte(s) at ${pos}`);
  if (n === 8) {
    const v = BigInt(value);
    const hi = Number(v >> 32n);
    const lo = Number(v & 0xffffffffn);
    out[pos] = 0xc0 | (hi >>> 24);
    out[pos + 1] = (hi >>> 16) & 0xff;
    out[pos + 2] = (hi >>> 8) & 0xff;
    out[pos + 3] = hi & 0xff;
    out[pos + 4] = lo >>> 24;
    out[pos + 5] = (lo >>> 16) & 0xff;
    out[pos + 6] = (lo >>> 8) & 0xff;
    out[pos + 7] = lo & 0xff;
    return pos + 8;
  }
  const v = Number(value);
  if (n === 1) {
    out[pos] = v;
  } else if (n === 2) {
    out[pos] = 0x40 | (v >>> 8);
    out[pos + 1] = v & 0xff;
  } else {
    out[pos] = 0x80 | (v >>> 24);
    out[pos + 1] = (v >>> 16) & 0xff;
    out[pos + 2] = (v >>> 8) & 0xff;
    out[pos + 3] = v & 0xff;
  }
  return pos + n;
}

/** `value` encoded as a new byte array (shortest form unless `length` is given). Throws like `writeVarint`. */
export function encodeVarint(value: number | bigint, length?: 1 | 2 | 4 | 8): Uint8Array {
  const out = new Uint8Array(length ?? varintLength(value));
  writeVarint(out, 0, value, length);
  return out;
}

/** Outcome of reading one varint. `truncated` names the bytes needed and those available. */
export type VarintRead<T> =
  | { readonly ok: true; readonly value: T; readonly next: number; readonly length: 1 | 2 | 4 | 8 }
  | { readonly ok: false; readonly error: 'truncated'; readonly offset: number; readonly needed: number; readonly available: number };

/**
 * Reads the varint at `buf[pos]` (RFC 9000 §16 / A.1), never throwing on any input. Values above
 * 2^53-1 come back as `VARINT_SATURATED`.
 */
export function decodeVarint(buf: Uint8Array, pos: number, end: number = buf.length): VarintRead<number> {
  if (pos >= end) return { ok: false, error: 'truncated', offset: pos, needed: 1, available: 0 };
  const b0 = buf[pos];
  const n = varintLengthFromFirstByte(b0);
  if (pos + n > end) return { ok: false, error: 'truncated', offset: pos, needed: n, available: end - pos };
  let value: number;
  if (n === 1) value = b0;
  else if (n === 2) value = ((b0 & 0x3f) << 8) | buf[pos + 1];
  else if (n === 4) value = ((b0 & 0x3f) * 0x1000000) + ((buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]);
  else {
    const hi = ((b0 & 0x3f) * 0x1000000) + ((buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]);
    const lo = (buf[pos + 4] * 0x1000000) + ((buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]);
    value = hi >= 0x200000 ? VARINT_SATURATED : hi * 0x100000000 + lo;
  }
  return { ok: true, value, next: pos + n, length: n };
}

/** Like `decodeVarint` but exact for the whole 62-bit range (bigint). */
export function decodeVarintBig(buf: Uint8Array, pos: number, end: number = buf.length): VarintRead<bigint> {
  if (pos >= end) return { ok: false, error: 'truncated', offset: pos, needed: 1, available: 0 };
  const n = varintLengthFromFirstByte(buf[pos]);
  if (pos + n > end) return { ok: false, error: 'truncated', offset: pos, needed: n, available: end - pos };
  let v = BigInt(buf[pos] & 0x3f);
  for (let i = 1; i < n; i++) v = (v << 8n) | BigInt(buf[pos + i]);
  return { ok: true, value: v, next: pos + n, length: n };
}
