/**
 * A bounds-checked cursor over a byte slice, used by the QUIC decoders (headers, frames,
 * transport parameters). Reads never throw: a read past `end` returns a sentinel (-1, -1n or
 * undefined) and leaves `pos` unchanged, so the caller can report where the input stopped.
 */
import { decodeVarint, decodeVarintBig } from './varint.ts';

/** Cursor over `buf[pos..end)`. */
export class ByteReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** A QUIC varint (RFC 9000 §16) as a number (saturated above 2^53-1), or -1 if truncated. */
  varint(): number {
    const r = decodeVarint(this.buf, this.pos, this.end);
    if (!r.ok) return -1;
    this.pos = r.next;
    return r.value;
  }

  /** A QUIC varint as an exact bigint, or -1n if truncated. */
  varintBig(): bigint {
    const r = decodeVarintBig(this.buf, this.pos, this.end);
    if (!r.ok) return -1n;
    this.pos = r.next;
    return r.value;
  }

  /** One byte, or -1 at the end. */
  u8(): number {
    if (this.pos >= this.end) return -1;
    return this.buf[this.pos++];
  }

  /** A 16-bit big-endian integer, or -1 if truncated. */
  u16(): number {
    if (this.pos + 2 > this.end) return -1;
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  /** A 32-bit big-endian unsigned integer, or -1 if truncated. */
  u32(): number {
    if (this.pos + 4 > this.end) return -1;
    const b = this.buf;
    const p = this.pos;
    const v = b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
    this.pos += 4;
    return v;
  }

  /** A copy of the next `n` bytes, or undefined if fewer remain (or `n` is negative). */
  bytes(n: number): Uint8Array | undefined {
    if (n < 0 || this.pos + n > this.end) return undefined;
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
