/**
 * A growable byte writer for the QUIC encoders (frames, transport parameters). Writing a value
 * out of range throws RangeError: encoders are given frames by this process, never by the peer.
 */
import { varintLength, writeVarint } from './varint.ts';

/** Appends bytes, varints and big-endian integers; `finish()` returns exactly what was written. */
export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialSize = 64) {
    this.buf = new Uint8Array(initialSize);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** A QUIC varint (RFC 9000 §16), shortest form unless `length` is given. */
  varint(value: number | bigint, length?: 1 | 2 | 4 | 8): this {
    const n = length ?? varintLength(value);
    this.room(n);
    this.pos = writeVarint(this.buf, this.pos, value, n);
    return this;
  }

  /** One byte. */
  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  /** A 16-bit big-endian integer. */
  u16(v: number): this {
    this.room(2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  /** A 32-bit big-endian integer. */
  u32(v: number): this {
    this.room(4);
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A copy of the written bytes. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
