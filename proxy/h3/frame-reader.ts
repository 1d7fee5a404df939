/**
 * Incremental frame reader for one HTTP/3 stream (RFC 9114 §7.1): bytes go in as the transport
 * delivers them, frames come out. Frame headers may span chunks.
 *
 * - DATA payloads are streamed as `data` items as bytes arrive (never buffered whole);
 * - unknown and reserved types (§7.2.8, §9) are skipped without buffering;
 * - every other frame is buffered up to `maxFrameSize` (a larger one is H3_EXCESSIVE_LOAD,
 *   §10.5) and handed over parsed;
 * - the stream ending inside a frame is H3_FRAME_ERROR (§7.1).
 *
 * Errors are outcomes, never exceptions; after one the reader stays failed.
 */
import { joinBytes } from '../bytes.ts';
import type { H3Error, H3Frame } from './h3.types.ts';
import { H3_FRAME_TYPE, H3_RESERVED_H2_FRAME_TYPES } from './h3.types.ts';
import { frameName, parseFramePayload, readFrameHeader } from './frame.ts';

/** One item out of the reader; `offset` is the stream offset of the frame's first byte. */
export type FrameReaderItem =
  | { readonly kind: 'frame'; readonly frame: H3Frame; readonly offset: number }
  | { readonly kind: 'data'; readonly bytes: Uint8Array; readonly offset: number };

/** Outcome of feeding bytes. */
export type FrameReaderOutcome = { readonly ok: true; readonly items: FrameReaderItem[] } | { readonly ok: false; readonly error: H3Error };

/** Reads the frames of one stream (see module doc). */
export class FrameReader {
  private readonly where: string;
  private readonly maxFrameSize: number;
  private head = new Uint8Array(0);
  /** Stream offset of the next byte to be consumed. */
  private offset = 0;
  /** Current frame: wire type, stream offset of its first byte, payload bytes still expected. */
  private cur: { type: number; start: number; remaining: number; empty: boolean; parts: Uint8Array[] | undefined } | undefined;
  private failed: H3Error | undefined;

  /** `where` names the stream in errors (`request stream 4`); `maxFrameSize` bounds buffered frames. */
  constructor(where: string, maxFrameSize = 65536, startOffset = 0) {
    this.where = where;
    this.maxFrameSize = maxFrameSize;
    this.offset = startOffset;
  }

  /** True when no frame is partly read (a FIN now is clean). */
  get atBoundary(): boolean {
    return this.cur === undefined && this.head.length === 0;
  }

  /** Takes the next bytes of the stream. */
  push(bytes: Uint8Array): FrameReaderOutcome {
    if (this.failed) return { ok: false, error: this.failed };
    const items: FrameReaderItem[] = [];
    let buf = bytes;
    if (this.head.length > 0) {
      buf = new Uint8Array(this.head.length + bytes.length);
      buf.set(this.head);
      buf.set(bytes, this.head.length);
      this.offset -= this.head.length;
      this.head = new Uint8Array(0);
    }
    let pos = 0;
    while (pos < buf.length || (this.cur && this.cur.remaining === 0)) {
      if (!this.cur) {
        const h = readFrameHeader(buf, pos);
        if (h.status === 'truncated') {
          this.head = buf.slice(pos);
          this.offset += buf.length - pos;
          return { ok: true, items };
        }
        const start = this.offset;
        this.offset += h.next - pos;
        pos = h.next;
        if (H3_RESERVED_H2_FRAME_TYPES.includes(h.type)) {
          return this.fail('H3_FRAME_UNEXPECTED', start, `frame type 0x${h.type.toString(16)} is an HTTP/2 frame, reserved in HTTP/3 (RFC 9114 §7.2.8)`);
        }
        const buffered = h.type !== H3_FRAME_TYPE.DATA && frameName(h.type) !== 'unknown';
        if (buffered && h.length > this.maxFrameSize) {
          return this.fail('H3_EXCESSIVE_LOAD', start, `${frameName(h.type)} frame of ${h.length} bytes exceeds the limit of ${this.maxFrameSize} (RFC 9114 §10.5)`);
        }
        this.cur = { type: h.type, start, remaining: h.length, empty: h.length === 0, parts: buffered ? [] : undefined };
      }
      const c = this.cur;
      const n = Math.min(c.remaining, buf.length - pos);
      const chunk = buf.subarray(pos, pos + n);
      pos += n;
      this.offset += n;
      c.remaining -= n;
      if (c.type === H3_FRAME_TYPE.DATA) {
        // an empty DATA frame still shows (it may be out of place, RFC 9114 §4.1)
        if (n > 0 || c.empty) items.push({ kind: 'data', bytes: chunk.slice(), offset: c.start });
      } else if (c.parts) {
        if (n > 0) c.parts.push(chunk.slice());
      }
      if (c.remaining > 0) break;
      this.cur = undefined;
      if (!c.parts) continue;
      const payload = joinBytes(c.parts);
      const r = parseFramePayload(c.type, payload, this.where);
      if (!r.ok) return this.fail(r.error.code, c.start, r.error.message);
      items.push({ kind: 'frame', frame: r.frame, offset: c.start });
    }
    return { ok: true, items };
  }

  /** The stream ended (FIN): H3_FRAME_ERROR if it ended inside a frame (§7.1), else undefined. */
  finish(): H3Error | undefined {
    if (this.failed) return this.failed;
    if (!this.atBoundary) {
      const start = this.cur?.start ?? this.offset;
      return this.fail('H3_FRAME_ERROR', start, 'stream ended inside a frame (RFC 9114 §7.1)').error;
    }
    return undefined;
  }

  private fail(code: H3Error['code'], offset: number, message: string): { ok: false; error: H3Error } {
    this.failed = { code, where: this.where, offset, message };
    return { ok: false, error: this.failed };
  }
}
