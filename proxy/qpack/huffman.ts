/**
 * Huffman coding of string literals (RFC 7541 §5.2 and Appendix B, used by QPACK per RFC 9204
 * §4.1.2). Strings are latin1 (one code unit per octet, see qpack.types.ts).
 *
 * Decoding runs a byte-at-a-time state machine built once at module load from the code table: a
 * state is an internal node of the code tree (the bits read since the last symbol), and each
 * (state, octet) pair gives the next state and the 0, 1 or 2 symbols completed on the way. It
 * refuses what RFC 7541 §5.2 says a decoder must: EOS inside the string, padding longer than 7
 * bits, and padding that is not the most significant bits of EOS (all ones).
 */
import { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from './huffman-table.ts';

// ---- code tree: child[2*node + bit] is an internal node (>0) or ~symbol for a leaf (<0) --------
const child = new Int32Array(2 * 256);
const ones = new Uint8Array(256); // 1 when the node is on the all-ones path at depth <= 7
(() => {
  let nodes = 1;
  for (let sym = 0; sym <= HUFFMAN_EOS; sym++) {
    const code = HUFFMAN_CODES[sym];
    const len = HUFFMAN_LENGTHS[sym];
    let node = 0;
    for (let i = len - 1; i > 0; i--) {
      const bit = Math.floor(code / 2 ** i) & 1;
      let next = child[2 * node + bit];
      if (next === 0) {
        next = nodes++;
        child[2 * node + bit] = next;
      }
      node = next;
    }
    child[2 * node + (code & 1)] = ~sym;
  }
  let node = 0;
  ones[0] = 1;
  for (let depth = 1; depth <= 7; depth++) {
    node = child[2 * node + 1];
    ones[node] = 1;
  }
})();

// ---- byte transitions: entry = next | count << 8 | fail << 10 | sym1 << 11 | sym2 << 19 ----------
const FAIL = 1 << 10;
const TRANS = new Int32Array(256 * 256);
(() => {
  for (let state = 0; state < 256; state++) {
    for (let byte = 0; byte < 256; byte++) {
      let node = state;
      let count = 0;
      let fail = 0;
      let syms = 0;
      for (let bit = 7; bit >= 0; bit--) {
        const next = child[2 * node + ((byte >> bit) & 1)];
        if (next < 0) {
          const sym = ~next;
          if (sym === HUFFMAN_EOS) {
            fail = FAIL;
            break;
          }
          syms |= sym << (count === 0 ? 11 : 19);
          count++;
          node = 0;
        } else {
          node = next;
        }
      }
      TRANS[(state << 8) | byte] = node | (count << 8) | fail | syms;
    }
  }
})();

let scratch = new Uint8Array(4096);

/** Why a Huffman-coded string was refused. */
export interface HuffmanDecodeError {
  readonly error: string;
}

/**
 * Decodes the Huffman-coded octets `buf[start..end)` into a latin1 string, or returns an error
 * saying why the input is not a valid coding (EOS symbol, padding over 7 bits or not all ones; RFC
 * 7541 §5.2). Never throws on any input.
 */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): string | HuffmanDecodeError {
  const maxOut = Math.ceil(((end - start) * 8) / 5);
  if (scratch.length < maxOut) scratch = new Uint8Array(Math.max(maxOut, scratch.length * 2));
  const out = scratch;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const t = TRANS[(state << 8) | buf[i]];
    if ((t & FAIL) !== 0) return { error: `EOS symbol inside a Huffman-coded string (octet ${i - start})` };
    const count = (t >> 8) & 3;
    if (count > 0) {
      out[n++] = (t >> 11) & 0xff;
      if (count > 1) out[n++] = (t >> 19) & 0xff;
    }
    state = t & 0xff;
  }
  if (ones[state] === 0) {
    return { error: 'Huffman-coded string ends in padding that is longer than 7 bits or not the prefix of EOS' };
  }
  return Buffer.from(out.buffer, out.byteOffset, n).toString('latin1');
}

/** Number of octets the Huffman coding of latin1 string `s` takes (RFC 7541 §5.2). */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += HUFFMAN_LENGTHS[s.charCodeAt(i) & 0xff];
  return Math.ceil(bits / 8);
}

/**
 * Writes the Huffman coding of latin1 string `s` at `out[pos]`, padded with the most significant
 * bits of EOS (RFC 7541 §5.2), and returns the position after it. The caller provides
 * `huffmanEncodedLength(s)` octets of room.
 */
export function huffmanEncodeInto(s: string, out: Uint8Array, pos: number): number {
  let acc = 0; // pending bits, fewer than 8 between symbols (the value stays below 2^38)
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    const len = HUFFMAN_LENGTHS[sym];
    acc = acc * 2 ** len + HUFFMAN_CODES[sym];
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      const div = 2 ** bits;
      const byte = Math.floor(acc / div);
      out[pos++] = byte;
      acc -= byte * div;
    }
  }
  if (bits > 0) out[pos++] = (acc << (8 - bits)) | (0xff >> bits);
  return pos;
}

/** Huffman-codes latin1 string `s` into a new array. */
export function huffmanEncode(s: string): Uint8Array {
  const out = new Uint8Array(huffmanEncodedLength(s));
  huffmanEncodeInto(s, out, 0);
  return out;
}
