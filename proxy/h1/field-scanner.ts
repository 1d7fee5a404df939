/**
 * The field lines of an HTTP/1.1 header or trailer section (RFC 9112 §5, §7.1.2), scanned byte by
 * byte for both the request parser (parser.ts) and the response parser (response-parser.ts), so that
 * the field grammar and its refusals exist once:
 *
 *   field-line = field-name ":" OWS field-value OWS CRLF            (RFC 9112 §5)
 *   field-name = token; field-value = *field-content                 (RFC 9110 §5.1, §5.5)
 *
 * Refused, as where request smuggling and response splitting live: whitespace before the colon
 * (RFC 9112 §5.1), obs-fold (§5.2) and whitespace before the first field (§2.2), a bare CR or LF
 * (§2.2), CTLs in values (RFC 9110 §5.5), more fields than tune.maxhdr, and a section larger than
 * tune.bufsize. The scanner keeps the section's bytes (a SectionBuffer) and, per field, the positions
 * of its name and value (OWS excluded) relative to the section's first byte; the parser that owns it
 * scans its own start line into the same buffer first, then hands the field lines over.
 *
 * Hot path: scan() is one loop over a switch on a numeric state, with no allocation; the parsers call
 * it once per pushed chunk, never per byte.
 */
import { SectionBuffer } from './section-buffer.ts';
import * as chars from './chars.ts';
import type { H1Header } from './h1.types.ts';

// Module-local copies of the byte tables (see parser.ts for why).
const { CLASS, TCHAR, FVCHAR, CR, LF, SP, HTAB, COLON } = chars;

/** Default tune.maxhdr, as in HAProxy. */
export const DEFAULT_MAX_HEADERS = 101;

/**
 * The refusals of the field-line grammar. Both parsers' error catalogs (H1_ERRORS,
 * H1_RESPONSE_ERRORS) have every one of these codes, each with its own HTTP status.
 */
export type FieldErrorCode =
  | 'bare-cr'
  | 'bare-lf'
  | 'too-many-headers'
  | 'header-leading-whitespace'
  | 'obs-fold'
  | 'header-name-empty'
  | 'header-name-invalid-char'
  | 'header-name-whitespace'
  | 'header-missing-colon'
  | 'header-value-invalid-char'
  | 'headers-too-large'
  | 'trailers-too-large';

// ---- states ----
const S_LINE = 0; // start of a field line, or of the empty line ending the section
const S_NAME = 1;
const S_OWS = 2;
const S_VALUE = 3;
const S_FIELD_LF = 4;
const S_END_LF = 5;
const S_DONE = 6;

/**
 * The field-line scanner of one parser (one per connection, reused by every section).
 *
 * Contract: begin() starts a section; the owning parser may then append its start line to `buf`
 * (a head), and calls scan() with each chunk until `done` or `error`. Positions are relative to the
 * section's first byte (`buf` offset 0); scan() keeps appending the field bytes it consumes to `buf`,
 * so names and values can be read with fields() once the section is done.
 */
export class FieldScanner {
  /** The section's bytes: the start line (appended by the parser), then the field lines. */
  readonly buf: SectionBuffer;
  /** Largest section (start line included), in bytes: tune.bufsize. */
  readonly maxBytes: number;
  /** Most field lines in a section: tune.maxhdr. */
  readonly maxFields: number;
  /** After scan(): the refusal that stopped it, or undefined. */
  error: FieldErrorCode | undefined;
  /** After an error: index in the scanned chunk of the byte it is about (-1: the previous chunk's last byte). */
  errorAt = 0;

  #state = S_LINE;
  #trailers = false;
  #count = 0;
  #pos: Int32Array; // 4 per field: name start, name end, value start, value end
  #tabs: Uint8Array; // 1 per field: an HTAB in its OWS or value
  #valueStart = 0;
  #valueEnd = 0;
  #endAt = 0;

  /**
   * `maxBytes` is tune.bufsize (an integer >= 16), `maxFields` tune.maxhdr (a positive integer,
   * DEFAULT_MAX_HEADERS when undefined); a RangeError that names the setting otherwise.
   */
  constructor(maxBytes: number, maxFields: number | undefined) {
    if (!Number.isInteger(maxBytes) || maxBytes < 16) {
      throw new RangeError(`maxHeaderBytes must be an integer >= 16 (tune.bufsize), got ${maxBytes}`);
    }
    const max = maxFields ?? DEFAULT_MAX_HEADERS;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxHeaders must be a positive integer (tune.maxhdr), got ${max}`);
    }
    this.maxBytes = maxBytes;
    this.maxFields = max;
    this.buf = new SectionBuffer(maxBytes);
    this.#pos = new Int32Array(max * 4);
    this.#tabs = new Uint8Array(max);
  }

  /**
   * Starts a section: a header section (the parser appends its start line to `buf` before the first
   * scan()) or, with `trailers`, a trailer section (RFC 9112 §7.1.2), which only changes which size
   * error is reported and that leading whitespace is obs-fold there.
   */
  begin(trailers: boolean): void {
    this.buf.len = 0;
    this.#count = 0;
    this.#state = S_LINE;
    this.#trailers = trailers;
    this.error = undefined;
  }

  /** True once the empty line ending the section has been scanned. */
  get done(): boolean {
    return this.#state === S_DONE;
  }

  /** Number of complete field lines so far. */
  get count(): number {
    return this.#count;
  }

  /** Position of the CR of the empty line that ended the section. */
  get endAt(): number {
    return this.#endAt;
  }

  /** Position of the first byte of field `k`'s name. */
  nameStart(k: number): number {
    return this.#pos[k * 4];
  }

  /** Per field, 1 if an HTAB was in its OWS or value (read by checkResponseHeaders). */
  get tabs(): Uint8Array {
    return this.#tabs;
  }

  /** The complete field lines as [name, value] pairs, in order (values without OWS). */
  fields(): H1Header[] {
    const n = this.#count;
    const headers: H1Header[] = new Array(n);
    const p = this.#pos;
    for (let k = 0; k < n; k++) {
      const b = k * 4;
      headers[k] = [this.buf.text(p[b], p[b + 1]), this.buf.text(p[b + 2], p[b + 3])];
    }
    return headers;
  }

  /**
   * Scans field-line bytes from chunk[i] and appends the ones it consumes to `buf`. Returns the index
   * of the first byte not consumed: the one after the LF of the empty line when the section is done
   * (`done`), chunk.length when it needs more bytes, or where it stopped on a refusal (`error`, with
   * `errorAt`). A byte that would make the section larger than `maxBytes` is refused with
   * headers-too-large or trailers-too-large at that byte.
   */
  scan(chunk: Uint8Array, i: number): number {
    const n = chunk.length;
    const seg = i; // first byte of this chunk appended to buf
    const rb = this.buf.len - seg; // position of chunk[x] is rb + x
    // bytes at index >= limit would make the section larger than maxBytes
    const limit = Math.min(n, this.maxBytes - rb);
    const pos = this.#pos;
    let s = this.#state;
    for (; i < n; i++) {
      if (i >= limit) return this.#refuse(this.#trailers ? 'trailers-too-large' : 'headers-too-large', i);
      const c = chunk[i];
      switch (s) {
        case S_LINE:
          if (CLASS[c] & TCHAR) {
            if (this.#count >= this.maxFields) return this.#refuse('too-many-headers', i);
            pos[this.#count * 4] = rb + i;
            this.#tabs[this.#count] = 0;
            s = S_NAME;
          } else if (c === CR) {
            this.#endAt = rb + i;
            s = S_END_LF;
          } else if (c === LF) return this.#refuse('bare-lf', i);
          else if (c === SP || c === HTAB) {
            const first = this.#count === 0 && !this.#trailers;
            return this.#refuse(first ? 'header-leading-whitespace' : 'obs-fold', i);
          } else if (c === COLON) return this.#refuse('header-name-empty', i);
          else return this.#refuse('header-name-invalid-char', i);
          break;
        case S_NAME:
          if (CLASS[c] & TCHAR) break;
          if (c === COLON) {
            pos[this.#count * 4 + 1] = rb + i;
            s = S_OWS;
          } else if (c === SP || c === HTAB) return this.#refuse('header-name-whitespace', i);
          else if (c === CR || c === LF) return this.#refuse('header-missing-colon', i);
          else return this.#refuse('header-name-invalid-char', i);
          break;
        case S_OWS:
          if (c === SP) break;
          if (CLASS[c] & FVCHAR) {
            this.#valueStart = rb + i;
            this.#valueEnd = rb + i + 1;
            s = S_VALUE;
          } else if (c === HTAB) this.#tabs[this.#count] = 1;
          else if (c === CR) {
            this.#valueStart = this.#valueEnd = rb + i;
            s = S_FIELD_LF;
          } else if (c === LF) return this.#refuse('bare-lf', i);
          else return this.#refuse('header-value-invalid-char', i);
          break;
        case S_VALUE:
          if (CLASS[c] & FVCHAR) this.#valueEnd = rb + i + 1;
          else if (c === CR) s = S_FIELD_LF;
          else if (c === LF) return this.#refuse('bare-lf', i);
          else if (c === HTAB) this.#tabs[this.#count] = 1;
          else if (c !== SP) return this.#refuse('header-value-invalid-char', i);
          break;
        case S_FIELD_LF: {
          if (c !== LF) return this.#refuse('bare-cr', i - 1);
          const k = this.#count * 4;
          pos[k + 2] = this.#valueStart;
          pos[k + 3] = this.#valueEnd;
          this.#count++;
          s = S_LINE;
          break;
        }
        case S_END_LF:
          if (c !== LF) return this.#refuse('bare-cr', i - 1);
          this.buf.append(chunk, seg, i + 1);
          this.#state = S_DONE;
          return i + 1;
      }
    }
    this.buf.append(chunk, seg, n);
    this.#state = s;
    return n;
  }

  #refuse(code: FieldErrorCode, at: number): number {
    this.error = code;
    this.errorAt = at;
    return at < 0 ? 0 : at;
  }
}
