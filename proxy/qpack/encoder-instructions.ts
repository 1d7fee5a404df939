/**
 * Encoder-stream instructions (RFC 9204 §4.3): parsing one instruction at a time from the bytes
 * received so far, and writing them. Parse and build come in pairs and round-trip.
 *
 *   001xxxxx  Set Dynamic Table Capacity, capacity 5+            (§4.3.1)
 *   1Txxxxxx  Insert with Name Reference, index 6+, value 8+     (§4.3.2)
 *   01Hxxxxx  Insert with Literal Name, name 6+, value 8+        (§4.3.3)
 *   000xxxxx  Duplicate, relative index 5+                       (§4.3.4)
 */
import type { EncoderInstruction } from './qpack.types.ts';
import { INT_OVERFLOW, INT_TRUNCATED, prefixedIntLength, readPrefixedInt, writePrefixedInt, type Cursor } from './integer.ts';
import { readStringLiteral, stringLiteralLength, useHuffman, writeStringLiteral, type HuffmanChoice } from './string-literal.ts';

/** Outcome of parsing one instruction: the instruction, need more bytes, or malformed. */
export type InstructionRead<T> =
  | { readonly status: 'ok'; readonly instruction: T }
  | { readonly status: 'truncated' }
  | { readonly status: 'invalid'; readonly message: string };

const TRUNCATED = { status: 'truncated' } as const;

function intInvalid(what: string): { status: 'invalid'; message: string } {
  return { status: 'invalid', message: `${what} is larger than 2^53-1` };
}

/**
 * Parses the encoder instruction at `buf[cur.pos]` and moves `cur.pos` past it. `truncated` leaves
 * `cur.pos` alone (wait for more stream data). `maxStringLength` bounds each string literal's
 * encoded length: the decoder passes a bound beyond which the entry could never fit its table, so
 * a hostile length is refused at once instead of buffered. Never throws on any input.
 */
export function parseEncoderInstruction(buf: Uint8Array, cur: Cursor, maxStringLength = Number.MAX_SAFE_INTEGER): InstructionRead<EncoderInstruction> {
  if (cur.pos >= buf.length) return TRUNCATED;
  const b = buf[cur.pos];
  const at = { pos: cur.pos };
  if ((b & 0x80) !== 0) {
    const index = readPrefixedInt(buf, at, 6);
    if (index === INT_TRUNCATED) return TRUNCATED;
    if (index === INT_OVERFLOW) return intInvalid('Insert with Name Reference: name index');
    const v = readStringLiteral(buf, at, 8, maxStringLength);
    if (v.status === 'truncated') return TRUNCATED;
    if (v.status === 'invalid') return { status: 'invalid', message: `Insert with Name Reference: value: ${v.message}` };
    cur.pos = at.pos;
    return { status: 'ok', instruction: { kind: 'insert-name-ref', isStatic: (b & 0x40) !== 0, index, value: v.value, huffman: v.huffman } };
  }
  if ((b & 0x40) !== 0) {
    const n = readStringLiteral(buf, at, 6, maxStringLength);
    if (n.status === 'truncated') return TRUNCATED;
    if (n.status === 'invalid') return { status: 'invalid', message: `Insert with Literal Name: name: ${n.message}` };
    const v = readStringLiteral(buf, at, 8, maxStringLength);
    if (v.status === 'truncated') return TRUNCATED;
    if (v.status === 'invalid') return { status: 'invalid', message: `Insert with Literal Name: value: ${v.message}` };
    cur.pos = at.pos;
    return {
      status: 'ok',
      instruction: { kind: 'insert-literal-name', name: n.value, value: v.value, huffmanName: n.huffman, huffmanValue: v.huffman },
    };
  }
  const n = readPrefixedInt(buf, at, 5);
  if (n === INT_TRUNCATED) return TRUNCATED;
  const isCapacity = (b & 0x20) !== 0;
  if (n === INT_OVERFLOW) return intInvalid(isCapacity ? 'Set Dynamic Table Capacity: capacity' : 'Duplicate: index');
  cur.pos = at.pos;
  return { status: 'ok', instruction: isCapacity ? { kind: 'set-capacity', capacity: n } : { kind: 'duplicate', index: n } };
}

/**
 * Writes one encoder instruction (RFC 9204 §4.3). String literals follow each instruction's
 * `huffman*` flag when given, otherwise `huffman` ('auto': Huffman when shorter).
 */
export function buildEncoderInstruction(ins: EncoderInstruction, huffman: HuffmanChoice = 'auto'): Uint8Array {
  const pick = (s: string, flag: boolean | undefined): boolean => flag ?? useHuffman(s, huffman);
  switch (ins.kind) {
    case 'set-capacity': {
      const out = new Uint8Array(prefixedIntLength(ins.capacity, 5));
      writePrefixedInt(out, 0, ins.capacity, 5, 0x20);
      return out;
    }
    case 'duplicate': {
      const out = new Uint8Array(prefixedIntLength(ins.index, 5));
      writePrefixedInt(out, 0, ins.index, 5, 0x00);
      return out;
    }
    case 'insert-name-ref': {
      const h = pick(ins.value, ins.huffman);
      const out = new Uint8Array(prefixedIntLength(ins.index, 6) + stringLiteralLength(ins.value, 8, h));
      const pos = writePrefixedInt(out, 0, ins.index, 6, ins.isStatic ? 0xc0 : 0x80);
      writeStringLiteral(out, pos, ins.value, 8, h, 0);
      return out;
    }
    case 'insert-literal-name': {
      const hn = pick(ins.name, ins.huffmanName);
      const hv = pick(ins.value, ins.huffmanValue);
      const out = new Uint8Array(stringLiteralLength(ins.name, 6, hn) + stringLiteralLength(ins.value, 8, hv));
      const pos = writeStringLiteral(out, 0, ins.name, 6, hn, 0x40);
      writeStringLiteral(out, pos, ins.value, 8, hv, 0);
      return out;
    }
  }
}
