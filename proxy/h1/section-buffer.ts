/**
 * The bytes of one HTTP/1.1 head or trailer section (RFC 9112 §2.1), gathered across chunks by the
 * request and response parsers: copied in segments (never per byte), grown by doubling, and never
 * beyond the section limit (`tune.bufsize`), which the parsers enforce before appending.
 */
export class SectionBuffer {
  /** Bytes gathered so far; set to 0 to start the next section. */
  len = 0;
  #buf: Buffer = Buffer.allocUnsafe(0);
  readonly #max: number;

  /** `max` is the largest section, in bytes (the caller never appends beyond it). */
  constructor(max: number) {
    this.#max = max;
  }

  /** Copies chunk[from, to) after the bytes gathered so far. */
  append(chunk: Uint8Array, from: number, to: number): void {
    const need = this.len + (to - from);
    if (need > this.#buf.length) {
      let size = Math.max(this.#buf.length * 2, 1024);
      while (size < need) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, this.#max));
      grown.set(this.#buf.subarray(0, this.len));
      this.#buf = grown;
    }
    this.#buf.set(chunk.subarray(from, to), this.len);
    this.len = need;
  }

  /** Bytes [start, end) of the section as latin1 text (field values are octets, RFC 9110 §5.5). */
  text(start: number, end: number): string {
    return this.#buf.toString('latin1', start, end);
  }
}
