/**
 * The content of a message whose framing the parser has decided (RFC 9112 §6.3): a Content-Length
 * body (§6.2) or the chunked transfer coding (§7.1), read for both the request parser (parser.ts) and
 * the response parser (response-parser.ts), so that the chunked grammar and its refusals exist once:
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk   = 1*("0") [ chunk-ext ] CRLF
 *   chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )   (§7.1.1)
 *   chunk-ext-val = token / quoted-string                                           (RFC 9110 §5.6.4)
 *
 * A chunked body ends, for the decoder, with the last-chunk line: the trailer section (§7.1.2) is
 * field lines, which the parser scans with its FieldScanner. What a parser does with a chunk's size
 * (the request side's body size limit) stays in the parser: the decoder reports each chunk-size line.
 * Bodies delimited by the close of the connection and tunnels are the response parser's own.
 *
 * Hot path: read() is called once per content run or per chunk-size line piece, never per byte, and
 * allocates nothing but the `data` events; the chunk-size line is one loop over a switch on a numeric
 * state. Content is never copied: a `data` event is a view of the pushed chunk.
 */
import * as chars from './chars.ts';
import type { H1DataEvent } from './h1.types.ts';

// Module-local copies of the byte tables (see parser.ts for why).
const { CLASS, TCHAR, FVCHAR, HEX, CR, LF, SP, HTAB, SEMI, EQUALS, DQUOTE, BACKSLASH } = chars;
const { hexValue } = chars;

/**
 * The refusals of the chunked coding. Both parsers' error catalogs (H1_ERRORS, H1_RESPONSE_ERRORS)
 * have every one of these codes, each with its own HTTP status.
 */
export type BodyErrorCode =
  | 'bare-cr'
  | 'bare-lf'
  | 'chunk-size-invalid'
  | 'chunk-size-overflow'
  | 'chunk-ext-invalid'
  | 'chunk-line-too-long'
  | 'chunk-data-no-crlf';

/** read() outcome: nothing to report (a piece of a chunk-size line, or the CR or LF after chunk data). */
export const BODY_MORE = 0;
/** read() outcome: content was handed out (a `data` event), and more follows. */
export const BODY_DATA = 1;
/** read() outcome: the last content of a Content-Length body was handed out: the message is complete. */
export const BODY_DATA_END = 2;
/** read() outcome: the chunk-size line of a non-empty chunk ended (see `size`, `lineLength`). */
export const BODY_CHUNK = 3;
/** read() outcome: the last-chunk line ended; the trailer section starts at the returned index. */
export const BODY_LAST_CHUNK = 4;
/** read() outcome: refused (see `error`, `errorAt`); the message cannot be framed any further. */
export const BODY_ERROR = 5;

// ---- chunk-size line states (RFC 9112 §7.1, §7.1.1) ----
const C_SIZE0 = 0;
const C_SIZE = 1;
const C_SIZE_WS = 2;
const C_NAME0 = 3;
const C_NAME = 4;
const C_NAME_WS = 5;
const C_VAL0 = 6;
const C_TOKEN = 7;
const C_QUOTED = 8;
const C_QUOTED_ESC = 9;
const C_AFTER_QUOTED = 10;
const C_VAL_WS = 11;
const C_LF = 12;
// ---- chunk data and the CRLF after it ----
const D_DATA = 13;
const D_CR = 14;
const D_LF = 15;
// ---- Content-Length content ----
const D_LENGTH = 16;

/** Largest chunk size before `size * 16 + 15` could leave the safe-integer range. */
const CHUNK_SIZE_LIMIT = Math.floor((Number.MAX_SAFE_INTEGER - 15) / 16);

/**
 * The body decoder of one parser (one per connection, reused by every message with content).
 *
 * Contract: startLength() or startChunked() once the head has decided the framing, then read() while
 * bytes remain, acting on `event` after each call, until BODY_DATA_END (a Content-Length body is
 * complete), BODY_LAST_CHUNK (the trailer section follows) or BODY_ERROR. A chunk-size line longer
 * than `maxLine` bytes (tune.bufsize, CRLF included) is refused with chunk-line-too-long.
 */
export class BodyDecoder {
  /** Longest chunk-size line, in bytes (CRLF included). */
  readonly maxLine: number;
  /** What the last read() found: one of the BODY_* outcomes. */
  event = BODY_MORE;
  /** After BODY_ERROR: the refusal. */
  error: BodyErrorCode | undefined;
  /** After BODY_ERROR: index in the read chunk of the byte it is about (-1: the previous chunk's last byte). */
  errorAt = 0;

  #state = C_SIZE0;
  #size = 0;
  #lineLen = 0;
  #remaining = 0;

  constructor(maxLine: number) {
    this.maxLine = maxLine;
  }

  /** The size of the chunk whose chunk-size line ended last (after BODY_CHUNK). */
  get size(): number {
    return this.#size;
  }

  /**
   * The length in bytes of the chunk-size line that ended last, CRLF included, even if it came in
   * several chunks: after BODY_CHUNK at index `next`, the line began at `next - lineLength`.
   */
  get lineLength(): number {
    return this.#lineLen;
  }

  /** Content bytes still expected for a Content-Length body (0 for a chunked one). */
  get lengthRemaining(): number {
    return this.#state === D_LENGTH ? this.#remaining : 0;
  }

  /** A Content-Length body of `length` > 0 bytes starts (RFC 9112 §6.2). */
  startLength(length: number): void {
    this.#state = D_LENGTH;
    this.#remaining = length;
  }

  /** A chunked body starts: a chunk-size line is expected (RFC 9112 §7.1). */
  startChunked(): void {
    this.#state = C_SIZE0;
    this.#size = 0;
    this.#lineLen = 0;
    this.error = undefined;
  }

  /**
   * Decodes bytes from chunk[i] (i < chunk.length), appends to `out` a `data` event for the content
   * among them, and sets `event`. Returns the index of the first byte not consumed: after the content
   * (BODY_DATA, BODY_DATA_END), after the LF of a chunk-size line (BODY_CHUNK, BODY_LAST_CHUNK), or
   * chunk.length when a chunk-size line continues in the next chunk.
   */
  read<E>(chunk: Uint8Array, i: number, out: (E | H1DataEvent)[]): number {
    const s = this.#state;
    if (s < D_DATA) return this.#scanLine(chunk, i);
    if (s === D_DATA || s === D_LENGTH) {
      const take = Math.min(this.#remaining, chunk.length - i);
      out.push({ type: 'data', bytes: chunk.subarray(i, i + take) });
      this.#remaining -= take;
      if (this.#remaining > 0) this.event = BODY_DATA;
      else if (s === D_LENGTH) this.event = BODY_DATA_END;
      else {
        this.#state = D_CR;
        this.event = BODY_DATA;
      }
      return i + take;
    }
    // chunk-data is followed by CRLF (RFC 9112 §7.1)
    if (chunk[i] !== (s === D_CR ? CR : LF)) return this.#refuse('chunk-data-no-crlf', i);
    if (s === D_CR) this.#state = D_LF;
    else this.startChunked();
    this.event = BODY_MORE;
    return i + 1;
  }

  /** Scans a chunk-size line with its extensions (RFC 9112 §7.1, §7.1.1). */
  #scanLine(chunk: Uint8Array, i: number): number {
    const n = chunk.length;
    const first = i;
    // bytes at index >= limit would make the line longer than maxLine
    const limit = Math.min(n, i + this.maxLine - this.#lineLen);
    let s = this.#state;
    let size = this.#size;
    for (; i < n; i++) {
      if (i >= limit) return this.#refuse('chunk-line-too-long', i);
      const c = chunk[i];
      if (c === LF && s !== C_LF) return this.#refuse('bare-lf', i);
      switch (s) {
        case C_SIZE0:
        case C_SIZE:
          if (CLASS[c] & HEX) {
            if (size > CHUNK_SIZE_LIMIT) return this.#refuse('chunk-size-overflow', i);
            size = size * 16 + hexValue(c);
            s = C_SIZE;
          } else if (s === C_SIZE0) return this.#refuse('chunk-size-invalid', i);
          else if (c === CR) s = C_LF;
          else if (c === SEMI) s = C_NAME0;
          else if (c === SP || c === HTAB) s = C_SIZE_WS;
          else return this.#refuse('chunk-size-invalid', i);
          break;
        case C_SIZE_WS: // BWS is only allowed before ';'
          if (c === SEMI) s = C_NAME0;
          else if (c !== SP && c !== HTAB) return this.#refuse('chunk-ext-invalid', i);
          break;
        case C_NAME0:
          if (CLASS[c] & TCHAR) s = C_NAME;
          else if (c !== SP && c !== HTAB) return this.#refuse('chunk-ext-invalid', i);
          break;
        case C_NAME:
          if (CLASS[c] & TCHAR) break;
          if (c === EQUALS) s = C_VAL0;
          else if (c === SEMI) s = C_NAME0;
          else if (c === CR) s = C_LF;
          else if (c === SP || c === HTAB) s = C_NAME_WS;
          else return this.#refuse('chunk-ext-invalid', i);
          break;
        case C_NAME_WS:
          if (c === EQUALS) s = C_VAL0;
          else if (c === SEMI) s = C_NAME0;
          else if (c !== SP && c !== HTAB) return this.#refuse('chunk-ext-invalid', i);
          break;
        case C_VAL0:
          if (CLASS[c] & TCHAR) s = C_TOKEN;
          else if (c === DQUOTE) s = C_QUOTED;
          else if (c !== SP && c !== HTAB) return this.#refuse('chunk-ext-invalid', i);
          break;
        case C_TOKEN:
        case C_AFTER_QUOTED: // after a token or a quoted-string value
          if (s === C_TOKEN && CLASS[c] & TCHAR) break;
          if (c === SEMI) s = C_NAME0;
          else if (c === CR) s = C_LF;
          else if (c === SP || c === HTAB) s = C_VAL_WS;
          else return this.#refuse('chunk-ext-invalid', i);
          break;
        case C_QUOTED: // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 §5.6.4)
          if (c === DQUOTE) s = C_AFTER_QUOTED;
          else if (c === BACKSLASH) s = C_QUOTED_ESC;
          else if (!(CLASS[c] & FVCHAR) && c !== SP && c !== HTAB) return this.#refuse('chunk-ext-invalid', i);
          break;
        case C_QUOTED_ESC: // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
          if (!(CLASS[c] & FVCHAR) && c !== SP && c !== HTAB) return this.#refuse('chunk-ext-invalid', i);
          s = C_QUOTED;
          break;
        case C_VAL_WS:
          if (c === SEMI) s = C_NAME0;
          else if (c !== SP && c !== HTAB) return this.#refuse('chunk-ext-invalid', i);
          break;
        case C_LF:
          if (c !== LF) return this.#refuse('bare-cr', i - 1);
          this.#lineLen += i + 1 - first;
          this.#size = size;
          // a last-chunk is followed by the trailer section (RFC 9112 §7.1.2)
          if (size === 0) this.event = BODY_LAST_CHUNK;
          else {
            this.#remaining = size;
            this.#state = D_DATA;
            this.event = BODY_CHUNK;
          }
          return i + 1;
      }
    }
    this.#lineLen += n - first;
    this.#state = s;
    this.#size = size;
    this.event = BODY_MORE;
    return n;
  }

  #refuse(code: BodyErrorCode, at: number): number {
    this.error = code;
    this.errorAt = at;
    this.event = BODY_ERROR;
    return at < 0 ? 0 : at;
  }
}
