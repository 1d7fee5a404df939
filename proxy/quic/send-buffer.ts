/**
 * The sending side of a CRYPTO stream (RFC 9000 §7.5) or of a STREAM (RFC 9000 §2.2, §3.1): bytes
 * written by TLS or the application, sent once as new data, acknowledged or declared lost by range
 * (RFC 9000 §13.3: lost data is sent again in new frames, the packet is never retransmitted as is),
 * and an optional FIN at the final size. Acknowledged bytes at the front are dropped.
 */
import { RangeSet } from './range-set.ts';

/** A chunk to put in one CRYPTO or STREAM frame. `data` is a view valid until the next write. */
export interface SendChunk {
  readonly offset: number;
  readonly data: Uint8Array;
  readonly fin: boolean;
  /** Bytes beyond everything sent before (they consume flow-control credit, RFC 9000 §4.1). */
  readonly newBytes: number;
}

/** Bytes to send at increasing offsets, with retransmission by range. */
export class SendBuffer {
  private buf = new Uint8Array(0);
  /** Index in `buf` of stream offset `base`. */
  private start = 0;
  /** Stream offset of buf[start]: everything below was acknowledged and dropped. */
  private base = 0;
  /** Stream offset just past the last byte written. */
  private endOffset = 0;
  /** Highest offset sent as new data. */
  private sentUpTo = 0;
  private readonly acked = new RangeSet();
  private readonly lost = new RangeSet();
  /** The final size is known (RFC 9000 §4.5). */
  finished = false;
  private finSent = false;
  private finLost = false;
  /** The peer acknowledged the FIN. */
  finAcked = false;

  /** Stream offset just past the last byte written (the final size once finished). */
  get end(): number {
    return this.endOffset;
  }

  /** Highest offset sent as new data (the flow-control credit used, RFC 9000 §4.1). */
  get sent(): number {
    return this.sentUpTo;
  }

  /** Bytes written and not yet acknowledged. */
  get buffered(): number {
    return this.endOffset - this.base;
  }

  /** Appends `data`. Throws after finish() (a caller bug). */
  write(data: Uint8Array): void {
    if (this.finished) throw new Error('SendBuffer.write after finish');
    if (data.length === 0) return;
    const used = this.endOffset - this.base;
    if (this.start + used + data.length > this.buf.length) {
      const size = Math.max(used + data.length, this.buf.length * 2, 256);
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(this.start, this.start + used));
      this.buf = next;
      this.start = 0;
    }
    this.buf.set(data, this.start + used);
    this.endOffset += data.length;
  }

  /** Marks the end of the data (a FIN is to be sent at offset `end`). */
  finish(): void {
    this.finished = true;
  }

  /** Whether new data (below `limit`), lost data or a FIN waits to be sent. */
  hasPending(limit = Infinity): boolean {
    if (!this.lost.empty) return true;
    if (this.sentUpTo < Math.min(this.endOffset, limit)) return true;
    return this.finPending();
  }

  /** Whether only flow control holds new data back (for DATA_BLOCKED / STREAM_DATA_BLOCKED, RFC 9000 §4.1). */
  blockedBy(limit: number): boolean {
    return this.lost.empty && this.sentUpTo >= limit && this.endOffset > limit;
  }

  private finPending(): boolean {
    return this.finished && !this.finAcked && (!this.finSent || this.finLost) && this.sentUpTo === this.endOffset;
  }

  /**
   * The next chunk of at most `maxBytes` bytes: lost data first, then new data up to `limit` (the
   * flow-control limit for new bytes), with the FIN when the chunk ends at the final size. Returns
   * null when nothing can be sent.
   */
  next(maxBytes: number, limit = Infinity): SendChunk | null {
    const lostRange = this.lost.first();
    if (lostRange !== undefined && maxBytes > 0) {
      const s = lostRange.start;
      const e = Math.min(lostRange.end, s + maxBytes);
      this.lost.remove(s, e);
      return { offset: s, data: this.view(s, e), fin: this.takeFin(e), newBytes: 0 };
    }
    const s = this.sentUpTo;
    const e = Math.min(this.endOffset, limit, s + Math.max(0, maxBytes));
    if (e > s) {
      this.sentUpTo = e;
      return { offset: s, data: this.view(s, e), fin: this.takeFin(e), newBytes: e - s };
    }
    if (this.finPending()) return { offset: s, data: new Uint8Array(0), fin: this.takeFin(s), newBytes: 0 };
    return null;
  }

  private takeFin(end: number): boolean {
    if (!this.finished || end !== this.endOffset || this.finAcked) return false;
    if (this.finSent && !this.finLost) return false;
    this.finSent = true;
    this.finLost = false;
    return true;
  }

  private view(s: number, e: number): Uint8Array {
    const i = this.start + (s - this.base);
    return this.buf.subarray(i, i + (e - s));
  }

  /** The peer acknowledged [offset, offset + length) (and the FIN with it). */
  onAck(offset: number, length: number, fin: boolean): void {
    if (fin) this.finAcked = true;
    const s = Math.max(offset, this.base);
    const e = offset + length;
    if (e <= s) return;
    this.acked.add(s, e);
    this.lost.remove(s, e);
    const newBase = this.acked.coveredFrom(this.base);
    if (newBase > this.base) {
      this.start += newBase - this.base;
      this.base = newBase;
      this.acked.remove(0, newBase);
      if (this.start > 4096 && this.start > this.buf.length / 2) {
        this.buf = this.buf.slice(this.start, this.start + (this.endOffset - this.base));
        this.start = 0;
      }
    }
  }

  /** [offset, offset + length) (and the FIN with it) was declared lost: send again what is not acknowledged. */
  onLost(offset: number, length: number, fin: boolean): void {
    if (fin && !this.finAcked) this.finLost = true;
    for (const g of this.acked.gaps(Math.max(offset, this.base), offset + length)) this.lost.add(g.start, g.end);
  }

  /** Everything up to the final size and the FIN were acknowledged (RFC 9000 §3.1 "Data Recvd"). */
  get allAcked(): boolean {
    return this.finished && this.finAcked && this.base === this.endOffset;
  }

  /** Drops everything not yet sent or acknowledged (RESET_STREAM sent, RFC 9000 §3.3). */
  abandon(): void {
    this.lost.clear();
    this.acked.clear();
    this.buf = new Uint8Array(0);
    this.start = 0;
    this.base = this.endOffset = this.sentUpTo;
    this.finished = true;
    this.finAcked = true;
  }
}
