/**
 * A non-contiguous reassembly buffer ("ncbuf", after HAProxy's src/ncbuf.c) for CRYPTO data (and
 * later STREAM data): a window of `capacity` bytes starting at stream offset `head`, into which
 * ranges arrive out of order, overlapping or duplicated (RFC 9000 §2.2, §19.6), and out of which
 * the contiguous prefix is read in order.
 *
 * - Data at an offset already held must be identical (RFC 9000 §2.2: "data at a given offset MUST
 *   NOT change"); a mismatch is PROTOCOL_VIOLATION and leaves the buffer unchanged.
 * - Data ending beyond `head + capacity` is CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5), as is a
 *   frame that would split the window into more than `maxRanges` pieces (a bound on the work a
 *   peer sending tiny fragments can cause, as HAProxy's minimum gap size is).
 * - Data entirely below `head` was already delivered: it is accepted and ignored.
 *
 * Memory is one Uint8Array from a buffer pool (diag/pool.ts); `release()` gives it back exactly
 * once (a second release is a BUG_ON). Getting such a buffer may fail: see crypto-rx.ts
 * (`quicGetNcbuf`) for the handled outcome.
 */
import { BUG_ON } from '../../diag/invariants.ts';
import type { Pool } from '../../diag/pool.ts';
import { decodeError, type QuicDecodeError } from './errors.ts';
import { FRAME_TYPE } from './frame.types.ts';

/** Default bound on the number of disjoint filled ranges one buffer tracks. */
export const NCBUF_MAX_RANGES = 64;

/** Outcome of `Ncbuf.add`: how many new bytes were stored, or the connection error to close with. */
export type NcbufAdd = { readonly ok: true; readonly added: number } | { readonly ok: false; readonly error: QuicDecodeError };

/** A reassembly buffer over one pool buffer. Offsets are absolute stream offsets. */
export class Ncbuf {
  /** Bytes the window holds (the pool buffer's length). */
  readonly capacity: number;
  /** Frame type named in errors (CRYPTO by default; STREAM users pass 0x08). */
  readonly frameType: number;
  private readonly maxRanges: number;
  private storage: Uint8Array | null;
  private readonly pool: Pool<Uint8Array> | null;
  /** Stream offset of the next byte to deliver. */
  private headOffset: number;
  /** Index in `storage` of `head` (the window is circular). */
  private start = 0;
  /** Filled ranges as flat [start0, end0, start1, end1, ...], absolute, sorted, disjoint, not adjacent. */
  private ranges: number[] = [];

  /**
   * Wraps `storage` (taken from `pool`, given back by release(); pool null = caller-owned memory)
   * for data starting at stream offset `head`.
   */
  constructor(storage: Uint8Array, pool: Pool<Uint8Array> | null, head = 0, opts: { frameType?: number; maxRanges?: number } = {}) {
    if (storage.length === 0) throw new RangeError('Ncbuf: storage must not be empty');
    this.storage = storage;
    this.pool = pool;
    this.capacity = storage.length;
    this.headOffset = head;
    this.frameType = opts.frameType ?? FRAME_TYPE.CRYPTO;
    this.maxRanges = opts.maxRanges ?? NCBUF_MAX_RANGES;
  }

  /** Stream offset of the next byte `read` returns. */
  get head(): number {
    return this.headOffset;
  }

  /** Whether release() was called. */
  get released(): boolean {
    return this.storage === null;
  }

  /** Whether no byte beyond `head` is held. */
  get empty(): boolean {
    return this.ranges.length === 0;
  }

  /** Number of disjoint filled ranges held. */
  get rangeCount(): number {
    return this.ranges.length / 2;
  }

  /** Bytes readable now, in order, from `head`. */
  contiguous(): number {
    const r = this.ranges;
    return r.length > 0 && r[0] === this.headOffset ? r[1] - r[0] : 0;
  }

  /**
   * Stores `data` at stream offset `offset` (RFC 9000 §19.6). Either every new byte is stored or,
   * on error, nothing changes. Calling it after release() is a BUG_ON.
   */
  add(offset: number, data: Uint8Array): NcbufAdd {
    BUG_ON(this.storage === null, 'ncbuf used after release');
    let off = offset;
    let bytes = data;
    const end = off + bytes.length;
    if (end <= this.headOffset || bytes.length === 0) return { ok: true, added: 0 };
    if (off < this.headOffset) {
      bytes = bytes.subarray(this.headOffset - off);
      off = this.headOffset;
    }
    if (end > this.headOffset + this.capacity) {
      return {
        ok: false,
        error: decodeError('CRYPTO_BUFFER_EXCEEDED', this.frameType, offset,
          `data up to offset ${end} exceeds the ${this.capacity}-byte reassembly window starting at ${this.headOffset}`),
      };
    }
    // Pass 1: every byte already held must match (RFC 9000 §2.2).
    const r = this.ranges;
    let i = 0;
    while (i < r.length && r[i + 1] < off) i += 2; // a range ending at `off` touches it: it merges
    const first = i;
    for (let j = i; j < r.length && r[j] < end; j += 2) {
      const s = Math.max(r[j], off);
      const e = Math.min(r[j + 1], end);
      const at = this.mismatch(s, e, bytes, off);
      if (at >= 0) {
        return {
          ok: false,
          error: decodeError('PROTOCOL_VIOLATION', this.frameType, at,
            `data at offset ${at} differs from data received earlier at the same offset`),
        };
      }
    }
    // Ranges first..last-1 touch or overlap [off, end): they merge into one.
    let last = first;
    while (last < r.length && r[last] <= end) last += 2;
    const merged = last - first;
    const after = r.length / 2 - merged / 2 + 1;
    if (after > this.maxRanges) {
      return {
        ok: false,
        error: decodeError('CRYPTO_BUFFER_EXCEEDED', this.frameType, offset,
          `data at offset ${offset} would split the reassembly window into more than ${this.maxRanges} ranges`),
      };
    }
    // Pass 2: write the gaps, then merge the ranges.
    let added = 0;
    let cursor = off;
    for (let j = first; j < last; j += 2) {
      if (r[j] > cursor) {
        this.write(cursor, r[j], bytes, off);
        added += r[j] - cursor;
      }
      cursor = Math.max(cursor, r[j + 1]);
    }
    if (cursor < end) {
      this.write(cursor, end, bytes, off);
      added += end - cursor;
    }
    const ns = merged > 0 ? Math.min(off, r[first]) : off;
    const ne = merged > 0 ? Math.max(end, r[last - 1]) : end;
    r.splice(first, merged, ns, ne);
    return { ok: true, added };
  }

  /**
   * Copies out up to `max` contiguous bytes from `head` and advances past them (empty when the
   * byte at `head` has not arrived).
   */
  read(max = Infinity): Uint8Array {
    BUG_ON(this.storage === null, 'ncbuf used after release');
    const n = Math.min(this.contiguous(), max);
    const out = new Uint8Array(n);
    const buf = this.storage!;
    const first = Math.min(n, this.capacity - this.start);
    out.set(buf.subarray(this.start, this.start + first), 0);
    if (first < n) out.set(buf.subarray(0, n - first), first);
    this.start = (this.start + n) % this.capacity;
    this.headOffset += n;
    const r = this.ranges;
    if (n > 0) {
      if (r[1] === this.headOffset) r.splice(0, 2);
      else r[0] = this.headOffset;
    }
    return out;
  }

  /**
   * Gives the memory back to its pool. Exactly once: a second call is a BUG_ON (HAProxy frees an
   * ncbuf once, in quic_free_ncbuf()).
   */
  release(): void {
    BUG_ON(this.storage === null, 'ncbuf released twice');
    const buf = this.storage!;
    this.storage = null;
    this.ranges = [];
    this.pool?.free(buf);
  }

  /** Index in storage of absolute offset `abs` (head <= abs < head + capacity). */
  private pos(abs: number): number {
    return (this.start + (abs - this.headOffset)) % this.capacity;
  }

  /** First absolute offset in [s, e) where storage differs from `bytes` (which starts at `base`), or -1. */
  private mismatch(s: number, e: number, bytes: Uint8Array, base: number): number {
    const buf = this.storage!;
    for (let a = s; a < e; a++) if (buf[this.pos(a)] !== bytes[a - base]) return a;
    return -1;
  }

  /** Writes bytes[s - base .. e - base) at absolute [s, e), wrapping around. */
  private write(s: number, e: number, bytes: Uint8Array, base: number): void {
    const buf = this.storage!;
    const p = this.pos(s);
    const n = e - s;
    const first = Math.min(n, this.capacity - p);
    buf.set(bytes.subarray(s - base, s - base + first), p);
    if (first < n) buf.set(bytes.subarray(s - base + first, e - base), 0);
  }
}
