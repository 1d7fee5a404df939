/**
 * HAProxy's variable-length integer encoding (peers protocol 2.1, "Encoding"; v2.0 "I) Encoded
 * Integer and Bitfield"; `intencode`/`intdecode` in src/peers.c).
 *
 * A value below 240 is one byte. Otherwise the first byte is `0xf0 | low 4 bits`, then the value
 * less 240 shifted right by 4 is written 7 bits at a time, every byte but the last with bit 7 set,
 * subtracting 128 before each shift. Decoding adds `byte << (4 + 7*i)` to the first byte. The
 * numeration is bijective (every byte string that ends has exactly one value and vice versa), so
 * there are no overlong forms to refuse; what a decoder refuses is input that does not end
 * (truncated) and encodings of values above 2^64-1 (more than 10 bytes, or a 10-byte form whose sum
 * overflows), which HAProxy's C decoder would silently wrap.
 */

/** Largest value the encoding carries (64 bits). */
export const VARINT_MAX = (1n << 64n) - 1n;

/** Longest encoding of a 64-bit value, in bytes (PEER_ENC_10BYTES_MIN is the 10-byte threshold). */
export const VARINT_MAX_BYTES = 10;

/**
 * Smallest value needing n+1 bytes, for n = 0..9: 0, 240, 2288, 264432, ... (PEER_ENC_nBYTES_MIN in
 * src/peers.c). `VARINT_THRESHOLDS[k]` is the first value encoded with k+1 bytes.
 */
export const VARINT_THRESHOLDS: readonly bigint[] = (() => {
  const out: bigint[] = [0n, 240n];
  for (let n = 2; n < VARINT_MAX_BYTES; n++) out.push(out[n - 1] + (1n << BigInt(4 + 7 * (n - 1))));
  return out;
})();

/** Result of reading one varint from a buffer. */
export type VarintRead<T> =
  | { readonly status: 'ok'; readonly value: T; readonly next: number }
  | { readonly status: 'truncated' }
  | { readonly status: 'overflow' }
  | { readonly status: 'too-large'; readonly value: bigint; readonly next: number };

/** Number of bytes `value` encodes to (1..10). Throws RangeError outside 0..2^64-1. */
export function varintLength(value: number | bigint): number {
  const v = checkValue(value);
  let n = 1;
  while (n < VARINT_MAX_BYTES && v >= VARINT_THRESHOLDS[n]) n++;
  return n;
}

function checkValue(value: number | bigint): bigint {
  if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(`peers varint: ${value} is not an integer in 0..2^53-1 (pass a bigint for larger values)`);
  }
  const v = BigInt(value);
  if (v < 0n || v > VARINT_MAX) throw new RangeError(`peers varint: ${v} is outside 0..2^64-1`);
  return v;
}

/**
 * Writes `value` at `out[pos]` and returns the position after it. The caller provides room
 * (`varintLength(value)` bytes). Throws RangeError for a value outside 0..2^64-1.
 */
export function writeVarint(out: Uint8Array, pos: number, value: number | bigint): number {
  if (typeof value === 'number' && value >= 0 && value < 240 && Number.isInteger(value)) {
    out[pos] = value;
    return pos + 1;
  }
  if (typeof value === 'number' && value >= 0 && value <= 0xffffffff && Number.isInteger(value)) {
    out[pos++] = (value & 0xff) | 0xf0;
    let v = Math.floor((value - 240) / 16);
    while (v >= 128) {
      out[pos++] = (v & 0xff) | 0x80;
      v = Math.floor((v - 128) / 128);
    }
    out[pos++] = v;
    return pos;
  }
  let v = checkValue(value);
  if (v < 240n) {
    out[pos] = Number(v);
    return pos + 1;
  }
  out[pos++] = Number(v & 0xffn) | 0xf0;
  v = (v - 240n) >> 4n;
  while (v >= 128n) {
    out[pos++] = Number(v & 0xffn) | 0x80;
    v = (v - 128n) >> 7n;
  }
  out[pos++] = Number(v);
  return pos;
}

/** Encodes `value` (0..2^64-1) into a new array. Throws RangeError outside that range. */
export function encodeVarint(value: number | bigint): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}

/**
 * Reads one varint from `buf[pos..end)`: `truncated` when the input ends before the last byte (bit 7
 * clear), `overflow` when it runs past 10 bytes or its value exceeds 2^64-1. Never throws.
 */
export function readVarint(buf: Uint8Array, pos: number, end: number = buf.length): VarintRead<bigint> {
  if (pos >= end) return { status: 'truncated' };
  const b0 = buf[pos];
  if (b0 < 240) return { status: 'ok', value: BigInt(b0), next: pos + 1 };
  let value = BigInt(b0);
  let shift = 4n;
  let i = pos + 1;
  for (;;) {
    if (i - pos >= VARINT_MAX_BYTES) return { status: 'overflow' };
    if (i >= end) return { status: 'truncated' };
    const b = buf[i++];
    value += BigInt(b) << shift;
    shift += 7n;
    if (b < 128) break;
  }
  if (value > VARINT_MAX) return { status: 'overflow' };
  return { status: 'ok', value, next: i };
}

/**
 * Reads one varint as a number no larger than `max` (default 2^53-1): `too-large` (with the value
 * and the position after it) when it decodes but exceeds `max`. Never throws.
 */
export function readVarintNumber(
  buf: Uint8Array,
  pos: number,
  end: number = buf.length,
  max: number = Number.MAX_SAFE_INTEGER,
): VarintRead<number> {
  if (pos >= end) return { status: 'truncated' };
  const b0 = buf[pos];
  if (b0 < 240) return b0 <= max ? { status: 'ok', value: b0, next: pos + 1 } : { status: 'too-large', value: BigInt(b0), next: pos + 1 };
  // Fast path: up to 6 bytes (shift <= 39) the sum stays below 2^53 and number arithmetic is exact.
  let value = b0;
  let shift = 4;
  let i = pos + 1;
  while (shift <= 39) {
    if (i >= end) return { status: 'truncated' };
    const b = buf[i++];
    value += b * 2 ** shift;
    shift += 7;
    if (b < 128) return value <= max ? { status: 'ok', value, next: i } : { status: 'too-large', value: BigInt(value), next: i };
  }
  const big = readVarint(buf, pos, end);
  if (big.status !== 'ok') return big;
  if (big.value > BigInt(max)) return { status: 'too-large', value: big.value, next: big.next };
  return { status: 'ok', value: Number(big.value), next: big.next };
}
