/**
 * Decoder-stream instructions (RFC 9204 §4.4): writing them (the decoder emits them) and parsing
 * them one at a time (the encoder reads them). Parse and build come in pairs and round-trip.
 *
 *   1xxxxxxx  Section Acknowledgment, stream ID 7+   (§4.4.1)
 *   01xxxxxx  Stream Cancellation, stream ID 6+      (§4.4.2)
 *   00xxxxxx  Insert Count Increment, increment 6+   (§4.4.3)
 */
import type { DecoderInstruction } from './qpack.types.ts';
import { INT_OVERFLOW, INT_TRUNCATED, prefixedIntLength, readPrefixedInt, writePrefixedInt, type Cursor } from './integer.ts';
import type { InstructionRead } from './encoder-instructions.ts';

/**
 * Parses the decoder instruction at `buf[cur.pos]` and moves `cur.pos` past it; `truncated` leaves
 * `cur.pos` alone. A zero Insert Count Increment parses (the encoder refuses it, §4.4.3). Never
 * throws on any input.
 */
export function parseDecoderInstruction(buf: Uint8Array, cur: Cursor): InstructionRead<DecoderInstruction> {
  if (cur.pos >= buf.length) return { status: 'truncated' };
  const b = buf[cur.pos];
  const prefix = (b & 0x80) !== 0 ? 7 : 6;
  const at = { pos: cur.pos };
  const n = readPrefixedInt(buf, at, prefix);
  if (n === INT_TRUNCATED) return { status: 'truncated' };
  if (n === INT_OVERFLOW) return { status: 'invalid', message: 'decoder instruction integer is larger than 2^53-1' };
  cur.pos = at.pos;
  if (prefix === 7) return { status: 'ok', instruction: { kind: 'section-ack', streamId: n } };
  if ((b & 0x40) !== 0) return { status: 'ok', instruction: { kind: 'stream-cancel', streamId: n } };
  return { status: 'ok', instruction: { kind: 'insert-count-increment', increment: n } };
}

/** Number of octets `ins` takes on the wire. */
export function decoderInstructionLength(ins: DecoderInstruction): number {
  if (ins.kind === 'section-ack') return prefixedIntLength(ins.streamId, 7);
  return prefixedIntLength(ins.kind === 'stream-cancel' ? ins.streamId : ins.increment, 6);
}

/** Writes `ins` at `out[pos]` (RFC 9204 §4.4) and returns the position after it. */
export function writeDecoderInstruction(out: Uint8Array, pos: number, ins: DecoderInstruction): number {
  switch (ins.kind) {
    case 'section-ack':
      return writePrefixedInt(out, pos, ins.streamId, 7, 0x80);
    case 'stream-cancel':
      return writePrefixedInt(out, pos, ins.streamId, 6, 0x40);
    case 'insert-count-increment':
      return writePrefixedInt(out, pos, ins.increment, 6, 0x00);
  }
}

/** Writes a sequence of decoder instructions into one new array. */
export function buildDecoderInstructions(list: readonly DecoderInstruction[]): Uint8Array {
  let len = 0;
  for (const ins of list) len += decoderInstructionLength(ins);
  const out = new Uint8Array(len);
  let pos = 0;
  for (const ins of list) pos = writeDecoderInstruction(out, pos, ins);
  return out;
}
