/**
 * Bounded reading and writing of TLS presentation-language structures (RFC 8446 section 3):
 * big-endian integers of 1-3 bytes and vectors with a 1, 2 or 3 byte length prefix.
 *
 * The reader never throws on input: the first problem (a field running past its enclosing vector)
 * is kept as a sticky `decode_error` naming the field and its offset, every later read returns
 * zeros or empty bytes, and callers check `failed` before using what they read.
 */
import type { TlsAlert, AlertName } from './tls13.types.ts';

/** Reads fields from `buf[start, end)`; offsets in errors are `base` + index into `buf`. */
export class WireReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  /** Added to buffer indexes in error offsets (where `buf` sits in the message). */
  readonly base: number;
  /** The first problem met, if any. */
  error: TlsAlert | undefined;

  constructor(buf: Uint8Array, start = 0, end = buf.length, base = 0) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.base = base;
    this.error = undefined;
  }

  /** True once a read ran out of bytes or `fail` was called. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Offset of the next byte, as error offsets count it. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Records `alert` about `what` at the current offset (first problem wins) and returns false. */
  fail(alert: AlertName, message: string, at = this.pos): false {
    if (!this.error) this.error = { alert, message, offset: this.base + at };
    return false;
  }

  private take(n: number, what: string): number {
    if (this.error) return -1;
    if (n > this.end - this.pos) {
      this.fail('decode_error', `${what}: needs ${n} bytes, ${this.end - this.pos} left`);
      return -1;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** An unsigned integer of `n` (1..3) bytes; 0 after a failure. */
  uint(n: 1 | 2 | 3, what: string): number {
    const at = this.take(n, what);
    if (at < 0) return 0;
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 8) | this.buf[at + i];
    return v;
  }

  /** `n` bytes (a view, not a copy); empty after a failure. */
  bytes(n: number, what: string): Uint8Array {
    const at = this.take(n, what);
    return at < 0 ? new Uint8Array(0) : this.buf.subarray(at, at + n);
  }

  /**
   * A vector `<min..max>` with a `lenBytes` length prefix: a reader over its contents. A length
   * outside [min, max] fails with decode_error (RFC 8446 section 3.4).
   */
  vector(lenBytes: 1 | 2 | 3, what: string, min = 0, max = Infinity): WireReader {
    const start = this.pos;
    const len = this.uint(lenBytes, `length of ${what}`);
    if (!this.error && (len < min || len > max)) {
      this.fail('decode_error', `${what}: length ${len} outside ${min}..${max === Infinity ? 'max' : max}`, start);
    }
    const at = this.take(len, what);
    const sub = new WireReader(this.buf, at < 0 ? this.pos : at, at < 0 ? this.pos : at + len, this.base);
    if (this.error) sub.error = this.error;
    return sub;
  }

  /** The contents of a vector as bytes (a view). */
  vectorBytes(lenBytes: 1 | 2 | 3, what: string, min = 0, max = Infinity): Uint8Array {
    const sub = this.vector(lenBytes, what, min, max);
    return sub.buf.subarray(sub.pos, sub.end);
  }

  /** Copies a child reader's error up, so one `failed` check covers nested vectors. */
  absorb(child: WireReader): boolean {
    if (child.error && !this.error) this.error = child.error;
    return !this.error;
  }

  /** Fails with decode_error if bytes remain (a structure shorter than its length said). */
  expectEnd(what: string): boolean {
    if (this.error) return false;
    if (this.pos !== this.end) return this.fail('decode_error', `${what}: ${this.end - this.pos} unexpected trailing bytes`);
    return true;
  }
}

/** Builds a TLS structure; vectors are opened with `begin` and closed with `end` (length back-filled). */
export class WireWriter {
  private chunks: number[] = [];
  private readonly open: { at: number; lenBytes: 1 | 2 | 3; max: number }[] = [];

  /** Appends an unsigned integer of `n` bytes. Throws RangeError if it does not fit (caller's bug). */
  uint(n: 1 | 2 | 3, v: number): this {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** (8 * n)) throw new RangeError(`${v} does not fit in ${n} bytes`);
    for (let i = n - 1; i >= 0; i--) this.chunks.push((v >>> (8 * i)) & 0xff);
    return this;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): this {
    for (let i = 0; i < b.length; i++) this.chunks.push(b[i]);
    return this;
  }

  /** Appends a length-prefixed vector holding `b`. */
  vector(lenBytes: 1 | 2 | 3, b: Uint8Array): this {
    return this.uint(lenBytes, b.length).bytes(b);
  }

  /** Opens a vector whose length is written by the matching `end`. */
  begin(lenBytes: 1 | 2 | 3): this {
    this.open.push({ at: this.chunks.length, lenBytes, max: 2 ** (8 * lenBytes) - 1 });
    this.uint(lenBytes, 0);
    return this;
  }

  /** Closes the innermost vector. Throws RangeError if its contents exceed its length field. */
  end(): this {
    const v = this.open.pop();
    if (!v) throw new Error('WireWriter.end without begin');
    const len = this.chunks.length - v.at - v.lenBytes;
    if (len > v.max) throw new RangeError(`vector of ${len} bytes exceeds a ${v.lenBytes}-byte length`);
    for (let i = 0; i < v.lenBytes; i++) this.chunks[v.at + i] = (len >>> (8 * (v.lenBytes - 1 - i))) & 0xff;
    return this;
  }

  /** The bytes written. Throws if a vector is still open. */
  finish(): Uint8Array {
    if (this.open.length) throw new Error('WireWriter.finish with an open vector');
    return Uint8Array.from(this.chunks);
  }
}
