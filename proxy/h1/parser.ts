/**
 * Sans-IO HTTP/1.1 request parser (server side): bytes in, typed events out (RFC 9112, RFC 9110).
 *
 * No sockets, no timers: the driver feeds whatever it reads to push(), tells end() when the peer
 * closed and timeout() when its request timer fired, and acts on the events. The parser is a byte
 * state machine, so the events do not depend on how the input is split (only the sizes of `data`
 * events do). It is strict where request smuggling lives: anything that could frame a request
 * differently from another HTTP implementation is refused with a precise code (see H1_ERRORS), after
 * which the parser is dead and the connection must be closed.
 *
 * Memory: one head buffer per parser, grown on demand up to maxHeaderBytes and reused by every
 * request of the connection; header positions live in a preallocated Int32Array; body bytes are
 * handed out as views of the pushed chunks, never copied.
 */
import { SectionBuffer } from './section-buffer.ts';
import { H1_ERRORS } from './h1.types.ts';
import type {
  H1ErrorCode,
  H1ErrorEvent,
  H1Event,
  H1Header,
  H1ParserOptions,
  H1ParserState,
  H1TargetForm,
  H1Version,
} from './h1.types.ts';
import * as chars from './chars.ts';
import * as head from './head.ts';
import { checkHeaders, targetForm, targetRefusal } from './semantics.ts';

// Module-local copies of what the hot paths use on every byte or request: optimized code reads an
// imported binding through its module cell at each use (no constant folding, no inline allocation
// of an imported class), while a module-local const is folded. Measured: push() about 7% slower
// with the byte tables imported directly, 2-5% with RequestHead imported directly.
const { CLASS, TCHAR, FVCHAR, TARGET, HEX, CR, LF, SP, HTAB, COLON, SEMI, EQUALS, DQUOTE, BACKSLASH, HASH } = chars;
const { hexValue } = chars;
const { RequestHead } = head;

/** Default tune.maxhdr, as in HAProxy. */
export const DEFAULT_MAX_HEADERS = 101;

// ---- phases ----
const P_IDLE = 0;
const P_HEAD = 1;
const P_BODY = 2;
const P_CHUNK_LINE = 3;
const P_CHUNK_DATA = 4;
const P_CHUNK_CR = 5;
const P_CHUNK_LF = 6;
const P_TRAILERS = 7;
const P_CLOSED = 8;
const P_DEAD = 9;

// ---- head sub-states (request line, field lines; field lines are shared with trailers) ----
const S_IDLE = 0;
const S_IDLE_LF = 1;
const S_METHOD = 2;
const S_TARGET0 = 3;
const S_TARGET = 4;
const S_VERSION = 5;
const S_RL_LF = 6;
const S_LINE = 7;
const S_NAME = 8;
const S_OWS = 9;
const S_VALUE = 10;
const S_FIELD_LF = 11;
const S_END_LF = 12;

// ---- chunk-size line sub-states (RFC 9112 §7.1, §7.1.1) ----
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

const HTTP_SLASH = [72, 84, 84, 80, 47]; // "HTTP/"
/** Largest chunk size before `size * 16 + 15` could leave the safe-integer range. */
const CHUNK_SIZE_LIMIT = Math.floor((Number.MAX_SAFE_INTEGER - 15) / 16);

/**
 * The HTTP/1.1 request parser of one connection. Create it with createRequestParser().
 *
 * Contract: push() consumes every byte it is given and returns the events they complete, in order;
 * several pipelined requests in one chunk give several head…end sequences. After an `error` event the
 * parser is dead (state 'error'), returns no more events, and the connection must be closed. After a
 * request that does not keep the connection alive (RFC 9112 §9.3) the state is 'closed' and further
 * bytes are ignored (RFC 9112 §9.6). Tunnels (CONNECT, Upgrade) are the driver's business: once it
 * switches protocols it stops feeding the parser.
 */
export class H1RequestParser {
  readonly #maxHead: number;
  readonly #maxHeaders: number;
  readonly #maxBody: number;

  #phase = P_IDLE;
  /** Bytes received before the current chunk: absolute offset of chunk[0]. */
  #base = 0;
  #requests = 0;
  #lastError: H1ErrorEvent | undefined;

  // head / trailer section accumulation (positions are relative to the section's first byte)
  #sec: SectionBuffer;
  #startAbs = 0;
  #hs = S_IDLE;
  #count = 0;
  #pos: Int32Array; // 4 per field: name start, name end, value start, value end
  #methodEnd = 0;
  #targetStart = 0;
  #targetEnd = 0;
  #versionStart = 0;
  #major = 0;
  #minor = 0;
  #endAt = 0; // position of the CR of the empty line ending the section
  #valueStart = 0;
  #valueEnd = 0;

  // request line, kept from the request line to the end of the head
  #method = '';
  #target = '';
  #form: H1TargetForm = 'origin';

  // current message
  #keepAlive = true;
  #remaining = 0;
  #bodyTotal = 0;

  // chunk-size line
  #cs = C_SIZE0;
  #chunkSize = 0;
  #lineLen = 0;
  #lineStartAbs = 0;

  constructor(opts: H1ParserOptions) {
    if (!Number.isInteger(opts.maxHeaderBytes) || opts.maxHeaderBytes < 16) {
      throw new RangeError(`maxHeaderBytes must be an integer >= 16 (tune.bufsize), got ${opts.maxHeaderBytes}`);
    }
    const maxHeaders = opts.maxHeaders ?? DEFAULT_MAX_HEADERS;
    if (!Number.isInteger(maxHeaders) || maxHeaders < 1) {
      throw new RangeError(`maxHeaders must be a positive integer (tune.maxhdr), got ${maxHeaders}`);
    }
    this.#maxHead = opts.maxHeaderBytes;
    this.#sec = new SectionBuffer(opts.maxHeaderBytes);
    this.#maxHeaders = maxHeaders;
    this.#maxBody = opts.maxBodyBytes ?? Infinity;
    this.#pos = new Int32Array(maxHeaders * 4);
  }

  /** Where the parser is (see H1ParserState). */
  get state(): H1ParserState {
    switch (this.#phase) {
      case P_IDLE:
        return 'idle';
      case P_HEAD:
        return 'head';
      case P_TRAILERS:
        return 'trailers';
      case P_CLOSED:
        return 'closed';
      case P_DEAD:
        return 'error';
      default:
        return 'body';
    }
  }

  /** Total bytes received so far (the offset the next pushed byte will have). */
  get offset(): number {
    return this.#base;
  }

  /** Number of request heads emitted so far. */
  get requests(): number {
    return this.#requests;
  }

  /** The error event that killed the parser, if any. */
  get lastError(): H1ErrorEvent | undefined {
    return this.#lastError;
  }

  /** Content bytes still expected for a Content-Length body (0 otherwise). */
  get bodyRemaining(): number {
    return this.#phase === P_BODY ? this.#remaining : 0;
  }

  /** Feeds received bytes; returns the events they complete, in order. */
  push(chunk: Uint8Array): H1Event[] {
    const out: H1Event[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      switch (this.#phase) {
        case P_IDLE:
        case P_HEAD:
        case P_TRAILERS:
          i = this.#scanSection(chunk, i, out);
          break;
        case P_BODY:
          i = this.#readLengthBody(chunk, i, out);
          break;
        case P_CHUNK_LINE:
          i = this.#scanChunkLine(chunk, i, out);
          break;
        case P_CHUNK_DATA:
          i = this.#readChunkData(chunk, i, out);
          break;
        case P_CHUNK_CR:
        case P_CHUNK_LF:
          i = this.#readChunkCrlf(chunk, i, out);
          break;
        default: // closed or dead: ignore the rest
          i = n;
      }
    }
    this.#base += n;
    return out;
  }

  /**
   * The peer closed its side. Between requests this is a normal end (no event); inside a request it
   * is a truncated message: error 400 (HAProxy answers 400 to an incomplete request).
   */
  end(): H1Event[] {
    const phase = this.#phase;
    if (phase === P_IDLE) {
      this.#phase = P_CLOSED;
      return [];
    }
    if (phase === P_CLOSED || phase === P_DEAD) return [];
    const out: H1Event[] = [];
    this.#fail(out, phase === P_HEAD ? 'truncated-head' : 'truncated-body', this.#base);
    return out;
  }

  /**
   * The driver's request timer fired (`timeout http-request`). Like HAProxy: a keep-alive connection
   * waiting for its next request closes silently (no event, state 'closed'); otherwise error 408.
   */
  timeout(): H1Event[] {
    const phase = this.#phase;
    if (phase === P_CLOSED || phase === P_DEAD) return [];
    if (phase === P_IDLE && this.#requests > 0) {
      this.#phase = P_CLOSED;
      return [];
    }
    const out: H1Event[] = [];
    this.#fail(out, 'request-timeout', this.#base);
    return out;
  }

  // ------------------------------------------------------------------------------------------------

  #fail(out: H1Event[], code: H1ErrorCode, offset: number): void {
    const def = H1_ERRORS[code];
    const ev: H1ErrorEvent = { type: 'error', status: def.status, code, reason: def.reason, offset };
    this.#lastError = ev;
    this.#phase = P_DEAD;
    out.push(ev);
  }

  /** Which size limit was hit, given the sub-state the scan was in. */
  #sizeError(s: number): H1ErrorCode {
    if (this.#phase === P_TRAILERS) return 'trailers-too-large';
    return s < S_LINE ? 'request-line-too-long' : 'headers-too-large';
  }

  /**
   * Scans request-line / field-line bytes from chunk[i]. Positions are kept relative to the section
   * start: rel = rb + i, where rb stays constant for this chunk (bytes are appended in segments).
   * Returns the index of the first byte not consumed.
   */
  #scanSection(chunk: Uint8Array, i: number, out: H1Event[]): number {
    const n = chunk.length;
    let s = this.#hs;
    let seg = i; // first byte of this chunk belonging to the section
    let rb = this.#sec.len - seg;
    // bytes at index >= limit would make the section larger than maxHeaderBytes
    let limit = this.#phase === P_IDLE ? n : Math.min(n, this.#maxHead - rb);

    for (; i < n; i++) {
      if (i >= limit) {
        this.#fail(out, this.#sizeError(s), this.#base + i);
        return n;
      }
      const c = chunk[i];
      switch (s) {
        case S_IDLE: // before the request line: skip empty lines (RFC 9112 §2.2)
          if (c === CR) s = S_IDLE_LF;
          else if (CLASS[c] & TCHAR) {
            this.#phase = P_HEAD;
            this.#startAbs = this.#base + i;
            this.#sec.len = 0;
            seg = i;
            rb = -i;
            limit = Math.min(n, this.#maxHead - rb);
            s = S_METHOD;
          } else if (c === LF) return this.#failAt(out, 'bare-lf', i);
          else return this.#failAt(out, 'method-invalid-char', i);
          break;
        case S_IDLE_LF:
          if (c !== LF) return this.#failAt(out, 'bare-cr', i - 1);
          s = S_IDLE;
          break;
        case S_METHOD:
          if (CLASS[c] & TCHAR) break;
          if (c === SP) {
            this.#methodEnd = rb + i;
            s = S_TARGET0;
          } else if (c === HTAB) return this.#failAt(out, 'request-line-whitespace', i);
          else if (c === CR || c === LF) return this.#failAt(out, 'target-missing', i);
          else return this.#failAt(out, 'method-invalid-char', i);
          break;
        case S_TARGET0:
        case S_TARGET:
          if (CLASS[c] & TARGET) {
            if (c === HASH) return this.#failAt(out, 'target-fragment', i);
            if (s === S_TARGET0) {
              this.#targetStart = rb + i;
              s = S_TARGET;
            }
          } else if (c === SP && s === S_TARGET) {
            this.#targetEnd = rb + i;
            this.#versionStart = rb + i + 1;
            s = S_VERSION;
          } else if (c === SP || c === HTAB) return this.#failAt(out, 'request-line-whitespace', i);
          else if (c === CR || c === LF) {
            return this.#failAt(out, s === S_TARGET0 ? 'target-missing' : 'version-missing', i);
          } else return this.#failAt(out, 'target-invalid-char', i);
          break;
        case S_VERSION: {
          const v = rb + i - this.#versionStart;
          if (c === CR && v === 8) {
            s = S_RL_LF;
            break;
          }
          if (c === SP || c === HTAB) return this.#failAt(out, 'request-line-whitespace', i);
          if (c === LF) return this.#failAt(out, 'bare-lf', i);
          if (v < 5 ? c === HTTP_SLASH[v] : v === 6 ? c === 46 : v < 8 && c >= 48 && c <= 57) {
            if (v === 5) this.#major = c - 48;
            else if (v === 7) this.#minor = c - 48;
            break;
          }
          return this.#failAt(out, 'version-invalid', i);
        }
        case S_RL_LF:
          if (c !== LF) return this.#failAt(out, 'bare-cr', i - 1);
          this.#sec.append(chunk, seg, i + 1);
          seg = i + 1;
          if (!this.#requestLine(out)) return n;
          s = S_LINE;
          break;
        case S_LINE:
          if (CLASS[c] & TCHAR) {
            if (this.#count >= this.#maxHeaders) return this.#failAt(out, 'too-many-headers', i);
            this.#pos[this.#count * 4] = rb + i;
            s = S_NAME;
          } else if (c === CR) {
            this.#endAt = rb + i;
            s = S_END_LF;
          } else if (c === LF) return this.#failAt(out, 'bare-lf', i);
          else if (c === SP || c === HTAB) {
            return this.#failAt(out, this.#count === 0 ? 'header-leading-whitespace' : 'obs-fold', i);
          } else if (c === COLON) return this.#failAt(out, 'header-name-empty', i);
          else return this.#failAt(out, 'header-name-invalid-char', i);
          break;
        case S_NAME:
          if (CLASS[c] & TCHAR) break;
          if (c === COLON) {
            this.#pos[this.#count * 4 + 1] = rb + i;
            s = S_OWS;
          } else if (c === SP || c === HTAB) return this.#failAt(out, 'header-name-whitespace', i);
          else if (c === CR || c === LF) return this.#failAt(out, 'header-missing-colon', i);
          else return this.#failAt(out, 'header-name-invalid-char', i);
          break;
        case S_OWS:
          if (c === SP || c === HTAB) break;
          if (CLASS[c] & FVCHAR) {
            this.#valueStart = rb + i;
            this.#valueEnd = rb + i + 1;
            s = S_VALUE;
          } else if (c === CR) {
            this.#valueStart = this.#valueEnd = rb + i;
            s = S_FIELD_LF;
          } else if (c === LF) return this.#failAt(out, 'bare-lf', i);
          else return this.#failAt(out, 'header-value-invalid-char', i);
          break;
        case S_VALUE:
          if (CLASS[c] & FVCHAR) this.#valueEnd = rb + i + 1;
          else if (c === CR) s = S_FIELD_LF;
          else if (c === LF) return this.#failAt(out, 'bare-lf', i);
          else if (c !== SP && c !== HTAB) return this.#failAt(out, 'header-value-invalid-char', i);
          break;
        case S_FIELD_LF: {
          if (c !== LF) return this.#failAt(out, 'bare-cr', i - 1);
          const k = this.#count * 4;
          this.#pos[k + 2] = this.#valueStart;
          this.#pos[k + 3] = this.#valueEnd;
          this.#count++;
          s = S_LINE;
          break;
        }
        case S_END_LF:
          if (c !== LF) return this.#failAt(out, 'bare-cr', i - 1);
          this.#sec.append(chunk, seg, i + 1);
          this.#hs = S_IDLE;
          if (this.#phase === P_TRAILERS) this.#trailersDone(out);
          else this.#headDone(out);
          return i + 1;
      }
    }
    if (this.#phase !== P_IDLE) this.#sec.append(chunk, seg, n);
    this.#hs = s;
    return n;
  }

  /** Fails with the offset of chunk[i]; returns "consume everything". */
  #failAt(out: H1Event[], code: H1ErrorCode, i: number): number {
    this.#fail(out, code, this.#base + i);
    return Number.MAX_SAFE_INTEGER;
  }

  /** Request line complete: decode it and check the target form (RFC 9112 §3.2). */
  #requestLine(out: H1Event[]): boolean {
    if (this.#major !== 1 || this.#minor > 1) {
      this.#fail(out, 'version-unsupported', this.#startAbs + this.#versionStart);
      return false;
    }
    const method = this.#sec.text(0, this.#methodEnd);
    const target = this.#sec.text(this.#targetStart, this.#targetEnd);
    const form = targetForm(target);
    const code = form === undefined ? 'target-invalid-form' : targetRefusal(method, target, form);
    if (code !== undefined) {
      this.#fail(out, code, this.#startAbs + this.#targetStart);
      return false;
    }
    this.#method = method;
    this.#target = target;
    this.#form = form!; // defined: an undefined form gave a code
    this.#count = 0;
    return true;
  }

  #fields(): H1Header[] {
    const headers: H1Header[] = new Array(this.#count);
    const p = this.#pos;
    for (let k = 0; k < this.#count; k++) {
      const b = k * 4;
      headers[k] = [this.#sec.text(p[b], p[b + 1]), this.#sec.text(p[b + 2], p[b + 3])];
    }
    return headers;
  }

  /** Header section complete: apply the framing and semantic rules, then emit the head. */
  #headDone(out: H1Event[]): void {
    const headers = this.#fields();
    const version: H1Version = this.#minor === 1 ? '1.1' : '1.0';
    const res = checkHeaders(headers, version, this.#form, this.#target, this.#endAt);
    if ('code' in res) {
      this.#fail(out, res.code, this.#startAbs + (res.at >= 0 ? this.#pos[res.at * 4] : -res.at - 1));
      return;
    }
    if (res.bodyKind === 'length' && res.contentLength! > this.#maxBody) {
      this.#fail(out, 'body-too-large', this.#startAbs + this.#pos[res.clIndex * 4]);
      return;
    }
    this.#keepAlive = res.keepAlive;
    this.#requests++;
    out.push(
      new RequestHead(
        this.#method,
        this.#target,
        this.#form,
        version,
        headers,
        res.keepAlive,
        res.bodyKind,
        res.contentLength,
        res.expectContinue,
      ),
    );
    this.#bodyTotal = 0;
    if (res.bodyKind === 'chunked') this.#startChunkLine();
    else if (res.bodyKind === 'length' && res.contentLength! > 0) {
      this.#phase = P_BODY;
      this.#remaining = res.contentLength!;
    } else this.#finish(out);
  }

  #trailersDone(out: H1Event[]): void {
    if (this.#count > 0) out.push({ type: 'trailers', headers: this.#fields() });
    this.#finish(out);
  }

  /** Message complete: emit end and get ready for the next request (or close). */
  #finish(out: H1Event[]): void {
    out.push({ type: 'end' });
    this.#phase = this.#keepAlive ? P_IDLE : P_CLOSED;
    this.#hs = S_IDLE;
    this.#sec.len = 0;
    this.#count = 0;
  }

  #readLengthBody(chunk: Uint8Array, i: number, out: H1Event[]): number {
    const take = Math.min(this.#remaining, chunk.length - i);
    out.push({ type: 'data', bytes: chunk.subarray(i, i + take) });
    this.#remaining -= take;
    if (this.#remaining === 0) this.#finish(out);
    return i + take;
  }

  #startChunkLine(): void {
    this.#phase = P_CHUNK_LINE;
    this.#cs = C_SIZE0;
    this.#chunkSize = 0;
    this.#lineLen = 0;
  }

  /** Scans a chunk-size line with its extensions (RFC 9112 §7.1, §7.1.1). */
  #scanChunkLine(chunk: Uint8Array, i: number, out: H1Event[]): number {
    const n = chunk.length;
    let s = this.#cs;
    if (this.#lineLen === 0) this.#lineStartAbs = this.#base + i;
    for (; i < n; i++) {
      if (++this.#lineLen > this.#maxHead) return this.#failAt(out, 'chunk-line-too-long', i);
      const c = chunk[i];
      if (c === LF && s !== C_LF) return this.#failAt(out, 'bare-lf', i);
      switch (s) {
        case C_SIZE0:
        case C_SIZE:
          if (CLASS[c] & HEX) {
            if (this.#chunkSize > CHUNK_SIZE_LIMIT) return this.#failAt(out, 'chunk-size-overflow', i);
            this.#chunkSize = this.#chunkSize * 16 + hexValue(c);
            s = C_SIZE;
          } else if (s === C_SIZE0) return this.#failAt(out, 'chunk-size-invalid', i);
          else if (c === CR) s = C_LF;
          else if (c === SEMI) s = C_NAME0;
          else if (c === SP || c === HTAB) s = C_SIZE_WS;
          else return this.#failAt(out, 'chunk-size-invalid', i);
          break;
        case C_SIZE_WS: // BWS is only allowed before ';'
          if (c === SEMI) s = C_NAME0;
          else if (c !== SP && c !== HTAB) return this.#failAt(out, 'chunk-ext-invalid', i);
          break;
        case C_NAME0:
          if (CLASS[c] & TCHAR) s = C_NAME;
          else if (c !== SP && c !== HTAB) return this.#failAt(out, 'chunk-ext-invalid', i);
          break;
        case C_NAME:
          if (CLASS[c] & TCHAR) break;
          if (c === EQUALS) s = C_VAL0;
          else if (c === SEMI) s = C_NAME0;
          else if (c === CR) s = C_LF;
          else if (c === SP || c === HTAB) s = C_NAME_WS;
          else return this.#failAt(out, 'chunk-ext-invalid', i);
          break;
        case C_NAME_WS:
          if (c === EQUALS) s = C_VAL0;
          else if (c === SEMI) s = C_NAME0;
          else if (c !== SP && c !== HTAB) return this.#failAt(out, 'chunk-ext-invalid', i);
          break;
        case C_VAL0:
          if (CLASS[c] & TCHAR) s = C_TOKEN;
          else if (c === DQUOTE) s = C_QUOTED;
          else if (c !== SP && c !== HTAB) return this.#failAt(out, 'chunk-ext-invalid', i);
          break;
        case C_TOKEN:
          if (CLASS[c] & TCHAR) break;
          if (c === SEMI) s = C_NAME0;
          else if (c === CR) s = C_LF;
          else if (c === SP || c === HTAB) s = C_VAL_WS;
          else return this.#failAt(out, 'chunk-ext-invalid', i);
          break;
        case C_QUOTED: // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 §5.6.4)
          if (c === DQUOTE) s = C_AFTER_QUOTED;
          else if (c === BACKSLASH) s = C_QUOTED_ESC;
          else if (!(CLASS[c] & FVCHAR) && c !== SP && c !== HTAB) {
            return this.#failAt(out, 'chunk-ext-invalid', i);
          }
          break;
        case C_QUOTED_ESC:
          if (!(CLASS[c] & FVCHAR) && c !== SP && c !== HTAB) return this.#failAt(out, 'chunk-ext-invalid', i);
          s = C_QUOTED;
          break;
        case C_AFTER_QUOTED:
          if (c === SEMI) s = C_NAME0;
          else if (c === CR) s = C_LF;
          else if (c === SP || c === HTAB) s = C_VAL_WS;
          else return this.#failAt(out, 'chunk-ext-invalid', i);
          break;
        case C_VAL_WS:
          if (c === SEMI) s = C_NAME0;
          else if (c !== SP && c !== HTAB) return this.#failAt(out, 'chunk-ext-invalid', i);
          break;
        case C_LF:
          if (c !== LF) return this.#failAt(out, 'bare-cr', i - 1);
          return this.#chunkLineDone(out, i + 1);
      }
    }
    this.#cs = s;
    return n;
  }

  #chunkLineDone(out: H1Event[], next: number): number {
    const size = this.#chunkSize;
    if (size === 0) {
      // last-chunk: the trailer section follows (RFC 9112 §7.1.2)
      this.#phase = P_TRAILERS;
      this.#hs = S_LINE;
      this.#sec.len = 0;
      this.#count = 0;
      this.#startAbs = this.#base + next;
      return next;
    }
    if (this.#bodyTotal + size > this.#maxBody) {
      this.#fail(out, 'body-too-large', this.#lineStartAbs);
      return Number.MAX_SAFE_INTEGER;
    }
    this.#bodyTotal += size;
    this.#remaining = size;
    this.#phase = P_CHUNK_DATA;
    return next;
  }

  #readChunkData(chunk: Uint8Array, i: number, out: H1Event[]): number {
    const take = Math.min(this.#remaining, chunk.length - i);
    out.push({ type: 'data', bytes: chunk.subarray(i, i + take) });
    this.#remaining -= take;
    if (this.#remaining === 0) this.#phase = P_CHUNK_CR;
    return i + take;
  }

  #readChunkCrlf(chunk: Uint8Array, i: number, out: H1Event[]): number {
    const c = chunk[i];
    if (this.#phase === P_CHUNK_CR) {
      if (c !== CR) return this.#failAt(out, 'chunk-data-no-crlf', i);
      this.#phase = P_CHUNK_LF;
    } else {
      if (c !== LF) return this.#failAt(out, 'chunk-data-no-crlf', i);
      this.#startChunkLine();
    }
    return i + 1;
  }
}

/**
 * Creates the request parser of one connection (see H1RequestParser for the contract).
 * `maxHeaderBytes` is tune.bufsize; `maxHeaders` is tune.maxhdr (default 101).
 */
export function createRequestParser(opts: H1ParserOptions): H1RequestParser {
  return new H1RequestParser(opts);
}
