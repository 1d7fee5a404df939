/**
 * A QPACK encoder that uses the static table and literals only (RFC 9204 §2.1; the dynamic table
 * is never used, which §3.2.3 and §4.2 allow: no encoder stream is needed). Each field section has
 * Required Insert Count 0 and Base 0 (prefix 0x00 0x00, §4.5.1), then per field line:
 *
 * - an Indexed Field Line (§4.5.2) when name and value are a static entry;
 * - else a Literal Field Line with Name Reference (§4.5.4) when the name is a static entry's;
 * - else a Literal Field Line with Literal Name (§4.5.6);
 *
 * with string literals Huffman-coded when that is shorter (§4.1.2), and the 'N' bit kept for lines
 * marked `neverIndex` (such lines are never indexed, even when the static table has them, §4.5.4).
 * Names are written as given: HTTP/3 requires lowercase names (RFC 9114 §4.2), the caller's job.
 *
 * It also reads the peer decoder's decoder stream (§4.4), where only Stream Cancellations are
 * legal for a static-only encoder: a Section Acknowledgment or Insert Count Increment refers to
 * something never sent and is QPACK_DECODER_STREAM_ERROR (§4.4.1, §4.4.3).
 */
import type { FieldLine, FieldLineRepresentation, QpackError } from './qpack.types.ts';
import { staticIndexOf, staticNameIndexOf } from './static-table.ts';
import { fieldLineLength, writeFieldLine } from './field-lines.ts';
import { parseDecoderInstruction } from './decoder-instructions.ts';
import type { HuffmanChoice } from './string-literal.ts';

/** Options of the static-only encoder. */
export interface QpackEncoderOptions {
  /** Huffman coding of literals: 'auto' (default: when shorter), 'always' or 'never'. */
  readonly huffman?: HuffmanChoice;
}

/** Chooses the representation of one field line for a static-only encoder (see module doc). */
export function staticRepresentation(f: FieldLine): FieldLineRepresentation {
  const neverIndex = f.neverIndex === true;
  if (!neverIndex) {
    const idx = staticIndexOf(f.name, f.value);
    if (idx >= 0) return { kind: 'indexed', isStatic: true, index: idx };
  }
  const nameIdx = staticNameIndexOf(f.name);
  if (nameIdx >= 0) return { kind: 'literal-name-ref', isStatic: true, index: nameIdx, value: f.value, neverIndex };
  return { kind: 'literal-literal-name', name: f.name, value: f.value, neverIndex };
}

/** A static-only QPACK encoder for one HTTP/3 connection. */
export class QpackStaticEncoder {
  private readonly huffman: HuffmanChoice;
  private failed: QpackError | undefined;
  private pending: Uint8Array = new Uint8Array(0);
  private decoderOffset = 0;

  constructor(options: QpackEncoderOptions = {}) {
    this.huffman = options.huffman ?? 'auto';
  }

  /** Encodes one field section (RFC 9204 §4.5) into a new array: the HEADERS frame payload. */
  encodeFieldSection(fields: readonly FieldLine[]): Uint8Array {
    const reps = fields.map(staticRepresentation);
    let len = 2;
    for (const rep of reps) len += fieldLineLength(rep, this.huffman);
    const out = new Uint8Array(len);
    let pos = 2; // Required Insert Count 0, Sign 0, Delta Base 0
    for (const rep of reps) pos = writeFieldLine(out, pos, rep, this.huffman);
    return out;
  }

  /**
   * Reads bytes of the peer's decoder stream (RFC 9204 §4.4). Returns undefined while it is valid,
   * or the QPACK_DECODER_STREAM_ERROR connection error (then from every later call).
   */
  onDecoderStream(bytes: Uint8Array): QpackError | undefined {
    if (this.failed) return this.failed;
    let buf = bytes;
    if (this.pending.length > 0) {
      buf = new Uint8Array(this.pending.length + bytes.length);
      buf.set(this.pending, 0);
      buf.set(bytes, this.pending.length);
    }
    const cur = { pos: 0 };
    while (cur.pos < buf.length) {
      const at = cur.pos;
      const r = parseDecoderInstruction(buf, cur);
      if (r.status === 'truncated') break;
      let message: string | undefined;
      if (r.status === 'invalid') message = r.message;
      else if (r.instruction.kind === 'section-ack') {
        message = `Section Acknowledgment for stream ${r.instruction.streamId}, but no field section referencing the dynamic table was sent`;
      } else if (r.instruction.kind === 'insert-count-increment') {
        message = `Insert Count Increment of ${r.instruction.increment}, but no dynamic table insert was sent`;
      }
      if (message !== undefined) {
        this.failed = { code: 'QPACK_DECODER_STREAM_ERROR', where: 'decoder stream', offset: this.decoderOffset + at, message };
        return this.failed;
      }
    }
    this.decoderOffset += cur.pos;
    this.pending = cur.pos === buf.length ? new Uint8Array(0) : buf.slice(cur.pos);
    return undefined;
  }
}
