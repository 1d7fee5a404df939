/**
 * Prefixed integers of HPACK (RFC 7541 §5.1), used unmodified by QPACK (RFC 9204 §4.1.1) with
 * prefixes of 3 to 8 bits.
 *
 * Reading works on a cursor so that a parser walks a buffer without allocating. Values are
 * JavaScript numbers: RFC 9204 §4.1.1 asks for integers of up to 62 bits, which this reader parses,
 * but a value above 2^53-1 cannot be held exactly and is reported as INT_OVERFLOW, the
 * implementation limit RFC 9204 §7.4 allows (no index, length or count of ours gets near it).
 */

/** A read position in a buffer; readers advance `pos` only on success. */
export interface Cursor {
  pos: number;
}

/** Returned by readPrefixedInt when the buffer ends before the integer does. */
export const INT_TRUNCATED = -1;
/** Returned by readPrefixedInt for a value above 2^53-1 or an encoding longer than 62 bits needs. */
export const INT_OVERFLOW = -2;

/** Largest number of continuation octets of a 62-bit value after a prefix of at least 1 bit. */
const MAX_CONTINUATION = 9;

/**
 * Reads an integer whose prefix is the low `prefixBits` bits (1..8) of `buf[cur.pos]` (RFC 7541
 * §5.1, decoding pseudocode). Returns the value and moves `cur.pos` past it, or INT_TRUNCATED /
 * INT_OVERFLOW (negative) leaving `cur.pos` unchanged. Never throws on any input.
 */
export function readPrefixedInt(buf: Uint8Array, cur: Cursor, prefixBits: number): number {
  let pos = cur.pos;
  if (pos >= buf.length) return INT_TRUNCATED;
  const max = (1 << prefixBits) - 1;
  let value = buf[pos++] & max;
  if (value < max) {
    cur.pos = pos;
    return value;
  }
  let mult = 1;
  for (let i = 0; i < MAX_CONTINUATION; i++) {
    if (pos >= buf.length) return INT_TRUNCATED;
    const b = buf[pos++];
    value += (b & 0x7f) * mult;
    if (value > Number.MAX_SAFE_INTEGER) return INT_OVERFLOW;
    if ((b & 0x80) === 0) {
      cur.pos = pos;
      return value;
    }
    mult *= 128;
  }
  return INT_OVERFLOW;
}

/** Number of octets `value` takes with a `prefixBits`-bit prefix (RFC 7541 §5.1). */
export function prefixedIntLength(value: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let rest = value - max;
  let n = 2;
  while (rest >= 128) {
    rest = Math.floor(rest / 128);
    n++;
  }
  return n;
}

/**
 * Writes `value` with a `prefixBits`-bit prefix at `out[pos]`, OR-ing `firstByteBits` (the pattern
 * bits above the prefix) into the first octet (RFC 7541 §5.1, encoding pseudocode). Returns the
 * position after it; the caller provides `prefixedIntLength(value, prefixBits)` octets of room.
 * Throws RangeError for a value that is not a safe non-negative integer (a caller's error).
 */
export function writePrefixedInt(out: Uint8Array, pos: number, value: number, prefixBits: number, firstByteBits: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`QPACK integer: ${value} is not an integer in 0..2^53-1`);
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[pos++] = firstByteBits | value;
    return pos;
  }
  out[pos++] = firstByteBits | max;
  let rest = value - max;
  while (rest >= 128) {
    out[pos++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  out[pos++] = rest;
  return pos;
}

/** Encodes `value` with a `prefixBits`-bit prefix and the given pattern bits into a new array. */
export function encodePrefixedInt(value: number, prefixBits: number, firstByteBits = 0): Uint8Array {
  const out = new Uint8Array(prefixedIntLength(value, prefixBits));
  writePrefixedInt(out, 0, value, prefixBits, firstByteBits);
  return out;
}
