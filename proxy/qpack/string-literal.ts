/**
 * String literals (RFC 7541 §5.2) with QPACK's N-bit prefix extension (RFC 9204 §4.1.2): one 'H'
 * bit (Huffman-coded or not), then the length of the octets that follow as an (N-1)-bit prefix
 * integer, then the octets. N is 2..8; the bits above the H bit belong to the enclosing
 * representation.
 */
import { INT_OVERFLOW, INT_TRUNCATED, prefixedIntLength, readPrefixedInt, writePrefixedInt, type Cursor } from './integer.ts';
import { huffmanDecode, huffmanEncodedLength, huffmanEncodeInto } from './huffman.ts';

/** Outcome of reading a string literal: the string, or why it could not be read. */
export type StringRead =
  | { readonly status: 'ok'; readonly value: string; readonly huffman: boolean }
  | { readonly status: 'truncated' }
  | { readonly status: 'invalid'; readonly message: string };

const TRUNCATED: StringRead = { status: 'truncated' };

/**
 * Reads an N-bit prefix string literal (`prefixBits` = N, 2..8) starting at `buf[cur.pos]`, whose H
 * bit is bit N-1 of that octet. On success moves `cur.pos` past it. `truncated` means the buffer
 * ends inside the literal (the caller decides whether more can come); `invalid` is a length too
 * large to hold or a bad Huffman coding. `maxLength` bounds the encoded length accepted (longer is
 * `invalid` right away, without waiting for the octets). Never throws on any input.
 */
export function readStringLiteral(buf: Uint8Array, cur: Cursor, prefixBits: number, maxLength = Number.MAX_SAFE_INTEGER): StringRead {
  if (cur.pos >= buf.length) return TRUNCATED;
  const huffman = (buf[cur.pos] & (1 << (prefixBits - 1))) !== 0;
  const at = { pos: cur.pos };
  const len = readPrefixedInt(buf, at, prefixBits - 1);
  if (len === INT_TRUNCATED) return TRUNCATED;
  if (len === INT_OVERFLOW || len > maxLength) {
    return { status: 'invalid', message: `string literal length ${len === INT_OVERFLOW ? 'over 2^53-1' : len} exceeds the limit of ${maxLength} octets` };
  }
  const start = at.pos;
  const end = start + len;
  if (end > buf.length) return TRUNCATED;
  let value: string;
  if (huffman) {
    const r = huffmanDecode(buf, start, end);
    if (typeof r !== 'string') return { status: 'invalid', message: r.error };
    value = r;
  } else {
    value = Buffer.from(buf.buffer, buf.byteOffset + start, len).toString('latin1');
  }
  cur.pos = end;
  return { status: 'ok', value, huffman };
}

/** How to choose the H bit when writing: Huffman when strictly shorter, always, or never. */
export type HuffmanChoice = 'auto' | 'always' | 'never';

/** Decides whether `s` is written Huffman-coded under `choice` ('auto': only when shorter). */
export function useHuffman(s: string, choice: HuffmanChoice): boolean {
  if (choice === 'never') return false;
  if (choice === 'always') return true;
  return huffmanEncodedLength(s) < s.length;
}

/** Number of octets the literal of `s` takes with an N-bit prefix, Huffman-coded or not. */
export function stringLiteralLength(s: string, prefixBits: number, huffman: boolean): number {
  const len = huffman ? huffmanEncodedLength(s) : s.length;
  return prefixedIntLength(len, prefixBits - 1) + len;
}

/**
 * Writes latin1 string `s` as an N-bit prefix string literal at `out[pos]`, OR-ing `firstByteBits`
 * (the enclosing representation's bits above the H bit) into the first octet. Returns the position
 * after it; the caller provides `stringLiteralLength(s, prefixBits, huffman)` octets of room.
 */
export function writeStringLiteral(out: Uint8Array, pos: number, s: string, prefixBits: number, huffman: boolean, firstByteBits: number): number {
  const hBit = huffman ? 1 << (prefixBits - 1) : 0;
  if (huffman) {
    pos = writePrefixedInt(out, pos, huffmanEncodedLength(s), prefixBits - 1, firstByteBits | hBit);
    return huffmanEncodeInto(s, out, pos);
  }
  pos = writePrefixedInt(out, pos, s.length, prefixBits - 1, firstByteBits);
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
  return pos;
}
