/**
 * Encoded field sections (RFC 9204 §4.5): the prefix (Required Insert Count §4.5.1.1, Base
 * §4.5.1.2) and the five field line representations, parsed one at a time and written. Parse and
 * build come in pairs and round-trip. Resolving indices against tables is the decoder's job
 * (proxy/qpack/decoder.ts).
 *
 *   1Txxxxxx  Indexed Field Line, index 6+                                   (§4.5.2)
 *   0001xxxx  Indexed Field Line with Post-Base Index, index 4+              (§4.5.3)
 *   01NTxxxx  Literal Field Line with Name Reference, index 4+, value 8+     (§4.5.4)
 *   0000Nxxx  Literal Field Line with Post-Base Name Reference, 3+, value 8+ (§4.5.5)
 *   001NHxxx  Literal Field Line with Literal Name, name 4+, value 8+        (§4.5.6)
 */
import type { FieldLineRepresentation, FieldSectionPrefix } from './qpack.types.ts';
import { INT_OVERFLOW, INT_TRUNCATED, prefixedIntLength, readPrefixedInt, writePrefixedInt, type Cursor } from './integer.ts';
import { readStringLiteral, stringLiteralLength, useHuffman, writeStringLiteral, type HuffmanChoice } from './string-literal.ts';
import type { InstructionRead } from './encoder-instructions.ts';

/** MaxEntries = floor(MaxTableCapacity / 32) (RFC 9204 §4.5.1.1). */
export function maxEntries(maxTableCapacity: number): number {
  return Math.floor(maxTableCapacity / 32);
}

/** The encoder's transform of the Required Insert Count (RFC 9204 §4.5.1.1). */
export function encodeRequiredInsertCount(requiredInsertCount: number, maxEntriesValue: number): number {
  if (requiredInsertCount === 0) return 0;
  return (requiredInsertCount % (2 * maxEntriesValue)) + 1;
}

/**
 * Reconstructs the Required Insert Count from its encoded value (RFC 9204 §4.5.1.1, the decoder's
 * algorithm) given the decoder's total number of inserts. Returns -1 for a value no conformant
 * encoder could have produced.
 */
export function decodeRequiredInsertCount(encoded: number, maxEntriesValue: number, totalInserts: number): number {
  if (encoded === 0) return 0;
  const fullRange = 2 * maxEntriesValue;
  if (encoded > fullRange) return -1;
  const maxValue = totalInserts + maxEntriesValue;
  const maxWrapped = Math.floor(maxValue / fullRange) * fullRange;
  let ric = maxWrapped + encoded - 1;
  if (ric > maxValue) {
    if (ric <= fullRange) return -1;
    ric -= fullRange;
  }
  if (ric === 0) return -1;
  return ric;
}

/**
 * Reads the Encoded Field Section Prefix at `buf[cur.pos]` (RFC 9204 §4.5.1) and moves `cur.pos`
 * past it. Refuses (`invalid`) an encoded Required Insert Count no conformant encoder produces and
 * a negative Base (Sign 1 with Delta Base >= Required Insert Count, §4.5.1.2). Never throws.
 */
export function readFieldSectionPrefix(
  buf: Uint8Array,
  cur: Cursor,
  maxEntriesValue: number,
  totalInserts: number,
): InstructionRead<FieldSectionPrefix> {
  const at = { pos: cur.pos };
  const enc = readPrefixedInt(buf, at, 8);
  if (enc === INT_TRUNCATED) return { status: 'truncated' };
  if (enc === INT_OVERFLOW) return { status: 'invalid', message: 'encoded Required Insert Count is larger than 2^53-1' };
  const ric = decodeRequiredInsertCount(enc, maxEntriesValue, totalInserts);
  if (ric < 0) {
    return {
      status: 'invalid',
      message: `encoded Required Insert Count ${enc} is impossible with ${maxEntriesValue} max entries and ${totalInserts} inserts`,
    };
  }
  if (at.pos >= buf.length) return { status: 'truncated' };
  const sign = (buf[at.pos] & 0x80) !== 0;
  const delta = readPrefixedInt(buf, at, 7);
  if (delta === INT_TRUNCATED) return { status: 'truncated' };
  if (delta === INT_OVERFLOW) return { status: 'invalid', message: 'Delta Base is larger than 2^53-1' };
  if (sign && ric <= delta) {
    return { status: 'invalid', message: `negative Base: Sign 1, Delta Base ${delta}, Required Insert Count ${ric}` };
  }
  cur.pos = at.pos;
  return { status: 'ok', instruction: { requiredInsertCount: ric, base: sign ? ric - delta - 1 : ric + delta } };
}

/** Writes the Encoded Field Section Prefix (RFC 9204 §4.5.1) for this Required Insert Count and Base. */
export function buildFieldSectionPrefix(prefix: FieldSectionPrefix, maxEntriesValue: number): Uint8Array {
  const enc = encodeRequiredInsertCount(prefix.requiredInsertCount, maxEntriesValue);
  const negative = prefix.base < prefix.requiredInsertCount;
  const delta = negative ? prefix.requiredInsertCount - prefix.base - 1 : prefix.base - prefix.requiredInsertCount;
  const out = new Uint8Array(prefixedIntLength(enc, 8) + prefixedIntLength(delta, 7));
  const pos = writePrefixedInt(out, 0, enc, 8, 0);
  writePrefixedInt(out, pos, delta, 7, negative ? 0x80 : 0);
  return out;
}

function valueOf(buf: Uint8Array, at: Cursor, what: string) {
  const v = readStringLiteral(buf, at, 8);
  if (v.status === 'invalid') return { status: 'invalid' as const, message: `${what}: value: ${v.message}` };
  return v;
}

/**
 * Parses the field line representation at `buf[cur.pos]` (RFC 9204 §4.5.2-§4.5.6) and moves
 * `cur.pos` past it. In a field section `truncated` is an error (the section is complete). Never
 * throws on any input.
 */
export function parseFieldLine(buf: Uint8Array, cur: Cursor): InstructionRead<FieldLineRepresentation> {
  if (cur.pos >= buf.length) return { status: 'truncated' };
  const b = buf[cur.pos];
  const at = { pos: cur.pos };
  if ((b & 0x80) !== 0) {
    const index = readPrefixedInt(buf, at, 6);
    if (index < 0) return index === INT_TRUNCATED ? { status: 'truncated' } : { status: 'invalid', message: 'Indexed Field Line: index is larger than 2^53-1' };
    cur.pos = at.pos;
    return { status: 'ok', instruction: { kind: 'indexed', isStatic: (b & 0x40) !== 0, index } };
  }
  if ((b & 0x40) !== 0) {
    const index = readPrefixedInt(buf, at, 4);
    if (index < 0) return index === INT_TRUNCATED ? { status: 'truncated' } : { status: 'invalid', message: 'Literal Field Line with Name Reference: index is larger than 2^53-1' };
    const v = valueOf(buf, at, 'Literal Field Line with Name Reference');
    if (v.status !== 'ok') return v;
    cur.pos = at.pos;
    return {
      status: 'ok',
      instruction: { kind: 'literal-name-ref', isStatic: (b & 0x10) !== 0, index, value: v.value, neverIndex: (b & 0x20) !== 0, huffman: v.huffman },
    };
  }
  if ((b & 0x20) !== 0) {
    const n = readStringLiteral(buf, at, 4);
    if (n.status === 'truncated') return n;
    if (n.status === 'invalid') return { status: 'invalid', message: `Literal Field Line with Literal Name: name: ${n.message}` };
    const v = valueOf(buf, at, 'Literal Field Line with Literal Name');
    if (v.status !== 'ok') return v;
    cur.pos = at.pos;
    return {
      status: 'ok',
      instruction: { kind: 'literal-literal-name', name: n.value, value: v.value, neverIndex: (b & 0x10) !== 0, huffmanName: n.huffman, huffmanValue: v.huffman },
    };
  }
  if ((b & 0x10) !== 0) {
    const index = readPrefixedInt(buf, at, 4);
    if (index < 0) return index === INT_TRUNCATED ? { status: 'truncated' } : { status: 'invalid', message: 'Indexed Field Line with Post-Base Index: index is larger than 2^53-1' };
    cur.pos = at.pos;
    return { status: 'ok', instruction: { kind: 'indexed-post-base', index } };
  }
  const index = readPrefixedInt(buf, at, 3);
  if (index < 0) return index === INT_TRUNCATED ? { status: 'truncated' } : { status: 'invalid', message: 'Literal Field Line with Post-Base Name Reference: index is larger than 2^53-1' };
  const v = valueOf(buf, at, 'Literal Field Line with Post-Base Name Reference');
  if (v.status !== 'ok') return v;
  cur.pos = at.pos;
  return { status: 'ok', instruction: { kind: 'literal-post-base-name-ref', index, value: v.value, neverIndex: (b & 0x08) !== 0, huffman: v.huffman } };
}

/** Number of octets `rep` takes when written with `huffman` for literals without their own flag. */
export function fieldLineLength(rep: FieldLineRepresentation, huffman: HuffmanChoice = 'auto'): number {
  switch (rep.kind) {
    case 'indexed':
      return prefixedIntLength(rep.index, 6);
    case 'indexed-post-base':
      return prefixedIntLength(rep.index, 4);
    case 'literal-name-ref':
      return prefixedIntLength(rep.index, 4) + stringLiteralLength(rep.value, 8, rep.huffman ?? useHuffman(rep.value, huffman));
    case 'literal-post-base-name-ref':
      return prefixedIntLength(rep.index, 3) + stringLiteralLength(rep.value, 8, rep.huffman ?? useHuffman(rep.value, huffman));
    case 'literal-literal-name':
      return (
        stringLiteralLength(rep.name, 4, rep.huffmanName ?? useHuffman(rep.name, huffman)) +
        stringLiteralLength(rep.value, 8, rep.huffmanValue ?? useHuffman(rep.value, huffman))
      );
  }
}

/**
 * Writes `rep` at `out[pos]` (RFC 9204 §4.5.2-§4.5.6) and returns the position after it; the
 * caller provides `fieldLineLength(rep, huffman)` octets of room. Literals follow their own
 * `huffman*` flag when set, otherwise `huffman` ('auto': Huffman when shorter).
 */
export function writeFieldLine(out: Uint8Array, pos: number, rep: FieldLineRepresentation, huffman: HuffmanChoice = 'auto'): number {
  switch (rep.kind) {
    case 'indexed':
      return writePrefixedInt(out, pos, rep.index, 6, rep.isStatic ? 0xc0 : 0x80);
    case 'indexed-post-base':
      return writePrefixedInt(out, pos, rep.index, 4, 0x10);
    case 'literal-name-ref': {
      pos = writePrefixedInt(out, pos, rep.index, 4, 0x40 | (rep.neverIndex ? 0x20 : 0) | (rep.isStatic ? 0x10 : 0));
      return writeStringLiteral(out, pos, rep.value, 8, rep.huffman ?? useHuffman(rep.value, huffman), 0);
    }
    case 'literal-post-base-name-ref': {
      pos = writePrefixedInt(out, pos, rep.index, 3, rep.neverIndex ? 0x08 : 0);
      return writeStringLiteral(out, pos, rep.value, 8, rep.huffman ?? useHuffman(rep.value, huffman), 0);
    }
    case 'literal-literal-name': {
      pos = writeStringLiteral(out, pos, rep.name, 4, rep.huffmanName ?? useHuffman(rep.name, huffman), 0x20 | (rep.neverIndex ? 0x10 : 0));
      return writeStringLiteral(out, pos, rep.value, 8, rep.huffmanValue ?? useHuffman(rep.value, huffman), 0);
    }
  }
}

/** Writes a field section: the prefix then each representation, into one new array. */
export function buildFieldSection(
  prefix: FieldSectionPrefix,
  lines: readonly FieldLineRepresentation[],
  maxEntriesValue: number,
  huffman: HuffmanChoice = 'auto',
): Uint8Array {
  const head = buildFieldSectionPrefix(prefix, maxEntriesValue);
  let len = head.length;
  for (const rep of lines) len += fieldLineLength(rep, huffman);
  const out = new Uint8Array(len);
  out.set(head, 0);
  let pos = head.length;
  for (const rep of lines) pos = writeFieldLine(out, pos, rep, huffman);
  return out;
}
