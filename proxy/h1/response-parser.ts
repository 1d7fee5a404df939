/**
 * Sans-IO HTTP/1.1 response parser (client side: Flightbox reading a server's responses): bytes in,
 * typed events out (RFC 9112, RFC 9110). The response half of the "one codec for both sides"; the
 * request half is parser.ts, and both share the character classes of chars.ts.
 *
 * A response cannot be framed without knowing the request it answers (RFC 9112 §6.3 items 1-2: no
 * content after HEAD, a tunnel after a 2xx to CONNECT), so the driver tells the parser, in order, the
 * method of every request it sent (expect()). Interim 1xx responses (RFC 9110 §15.2) do not consume
 * an expected request; a 101 (or a 2xx to CONNECT) ends HTTP framing and the rest of the connection
 * is reported as raw `tunnel-data`.
 *
 * It is as strict as the request parser where response splitting and desynchronisation live:
 * conflicting Content-Length, Transfer-Encoding with Content-Length, obs-fold, bare CR or LF, invalid
 * names and values, oversized heads are refused (502, see H1_RESPONSE_ERRORS), after which the
 * parser is dead and the server connection must be closed. Two refusals go beyond the request side,
 * both found by the differential tests against llhttp (test/proxy/h1/differential.test.ts), which
 * frames such responses as close-delimited where a by-the-RFC reading finds chunked: an empty element
 * in Transfer-Encoding ("chunked,") and an HTAB in it ("chunked<HTAB>"). Events do not depend on how
 * the input is split (only the sizes of `data` and `tunnel-data` events do).
 */
import { SectionBuffer } from './section-buffer.ts';
import { H1_RESPONSE_ERRORS } from './response.types.ts';
import type {
  H1ExpectOptions,
  H1ResponseBodyKind,
  H1ResponseErrorCode,
  H1ResponseErrorEvent,
  H1ResponseEvent,
  H1ResponseHeadEvent,
  H1ResponseParserOptions,
  H1ResponseParserState,
  H1ResponseVersion,
} from './response.types.ts';
import type { H1Header } from './h1.types.ts';
import { BACKSLASH, CLASS, COLON, CR, DQUOTE, EQUALS, FVCHAR, HEX, HTAB, LF, SEMI, SP, TCHAR, hexValue } from './chars.ts';
import { DEFAULT_MAX_HEADERS } from './parser.ts';
import { checkResponseHeaders, type ResponseFraming } from './response-semantics.ts';

// ---- phases ----
const P_IDLE = 0;
const P_HEAD = 1;
const P_BODY = 2; // Content-Length
const P_CLOSE_BODY = 3; // until the server closes
const P_CHUNK_LINE = 4;
const P_CHUNK_DATA = 5;
const P_CHUNK_CR = 6;
const P_CHUNK_LF = 7;
const P_TRAILERS = 8;
const P_TUNNEL = 9;
const P_CLOSED = 10;
const P_DEAD = 11;

// ---- head sub-states (status line, field lines; field lines are shared with trailers) ----
const S_IDLE = 0;
const S_IDLE_LF = 1;
const S_VERSION = 2;
const S_STATUS = 3;
const S_AFTER_STATUS = 4;
const S_REASON = 5;
const S_SL_LF = 6;
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

/** True if `name` equals `lower` (an already lower-cased name) ignoring ASCII case. */
function nameIs(name: string, lower: string): boolean {
  return name.length === lower.length && name.toLowerCase() === lower;
}

/**
 * A parsed response head (see H1ResponseHeadEvent). A class so that the case-insensitive lookups
 * (RFC 9110 §5.1) are shared methods and the event stays plain data for comparison and tracing.
 */
class ResponseHead implements H1ResponseHeadEvent {
  readonly type = 'head' as const;
  status: number;
  reason: string;
  version: H1ResponseVersion;
  headers: H1Header[];
  method: string;
  interim: boolean;
  keepAlive: boolean;
  bodyKind: H1ResponseBodyKind;
  contentLength?: number;

  constructor(
    status: number,
    reason: string,
    version: H1ResponseVersion,
    headers: H1Header[],
    method: string,
    framing: ResponseFraming,
  ) {
    this.status = status;
    this.reason = reason;
    this.version = version;
    this.headers = headers;
    this.method = method;
    this.interim = framing.interim;
    this.keepAlive = framing.keepAlive;
    this.bodyKind = framing.bodyKind;
    if (framing.contentLength !== undefined) this.contentLength = framing.contentLength;
  }

  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const h of this.headers) if (nameIs(h[0], lower)) return h[1];
    return undefined;
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (const h of this.headers) if (nameIs(h[0], lower)) out.push(h[1]);
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
}

/** A request sent to the server whose response is awaited. */
interface Expected {
  method: string;
  upgrade: boolean;
}

/**
 * The HTTP/1.1 response parser of one server connection. Create it with createResponseParser().
 *
 * Contract: call expect() for every request written to the server, in order, before (or while) its
 * response bytes are pushed. push() consumes every byte it is given and returns the events they
 * complete, in order. Response bytes while no request is outstanding are an error
 * ('unexpected-response'). After an `error` event the parser is dead (state 'error') and the
 * connection must be closed. After a response that does not keep the connection alive (RFC 9112
 * §9.3) the state is 'closed' and further bytes are ignored (RFC 9112 §9.6); requests still queued
 * then got no response (see `pending`). After `upgrade` every byte is `tunnel-data`.
 */
export class H1ResponseParser {
  readonly #maxHead: number;
  readonly #maxHeaders: number;

  #phase = P_IDLE;
  /** Bytes received before the current chunk: absolute offset of chunk[0]. */
  #base = 0;
  #responses = 0;
  #queue: Expected[] = [];
  /** Interim heads received for the request at the head of the queue. */
  #interims = 0;
  #lastError: H1ResponseErrorEvent | undefined;

  // head / trailer section accumulation (positions are relative to the section's first byte)
  #sec: SectionBuffer;
  #startAbs = 0;
  #hs = S_IDLE;
  #count = 0;
  #pos: Int32Array; // 4 per field: name start, name end, value start, value end
  #tabs: Uint8Array; // 1 per field: an HTAB in its OWS or value (see checkResponseHeaders)
  #major = 0;
  #minor = 0;
  #status = 0;
  #digits = 0;
  #reasonStart = 0;
  #reasonEnd = 0;
  #endAt = 0; // position of the CR of the empty line ending the section
  #valueStart = 0;
  #valueEnd = 0;

  // current message
  #keepAlive = true;
  #tunnel = false;
  #remaining = 0;

  // chunk-size line
  #cs = C_SIZE0;
  #chunkSize = 0;
  #lineLen = 0;

  constructor(opts: H1ResponseParserOptions) {
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
    this.#pos = new Int32Array(maxHeaders * 4);
    this.#tabs = new Uint8Array(maxHeaders);
  }

  /**
   * Announces a request written to the server: its response comes after those of the requests
   * announced before. `method` is the request method as sent (case-sensitive, RFC 9110 §9.1).
   */
  expect(method: string, opts: H1ExpectOptions = {}): void {
    this.#queue.push({ method, upgrade: opts.upgrade === true });
  }

  /** Number of announced requests whose final response has not started yet (head not complete). */
  get pending(): number {
    return this.#queue.length;
  }

  /** Where the parser is (see H1ResponseParserState). */
  get state(): H1ResponseParserState {
    switch (this.#phase) {
      case P_IDLE:
        return 'idle';
      case P_HEAD:
        return 'head';
      case P_TRAILERS:
        return 'trailers';
      case P_TUNNEL:
        return 'tunnel';
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

  /** Number of final (non-interim) response heads emitted so far. */
  get responses(): number {
    return this.#responses;
  }

  /** The error event that killed the parser, if any. */
  get lastError(): H1ResponseErrorEvent | undefined {
    return this.#lastError;
  }

  /** Feeds bytes received from the server; returns the events they complete, in order. */
  push(chunk: Uint8Array): H1ResponseEvent[] {
    const out: H1ResponseEvent[] = [];
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
        case P_CLOSE_BODY:
          out.push({ type: 'data', bytes: chunk.subarray(i) });
          i = n;
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
        case P_TUNNEL:
          out.push({ type: 'tunnel-data', bytes: chunk.subarray(i) });
          i = n;
          break;
        default: // closed or dead: ignore the rest
          i = n;
      }
    }
    this.#base += n;
    return out;
  }

  /**
   * The server closed its side. This ends a close-delimited body (`end`, RFC 9112 §6.3 item 8) and
   * a tunnel (no event). Between responses it is a normal end, unless a request is still waiting for
   * its response: 'empty-response' if not a byte of it came (a driver may retry, like HAProxy's
   * `retry-on empty-response`), 'truncated-head' after an interim response or an empty line. Inside
   * a head or a framed body it is a truncated response (RFC 9112 §8).
   */
  end(): H1ResponseEvent[] {
    const phase = this.#phase;
    const out: H1ResponseEvent[] = [];
    if (phase === P_CLOSED || phase === P_DEAD) return out;
    if (phase === P_CLOSE_BODY) {
      out.push({ type: 'end' });
      this.#phase = P_CLOSED;
    } else if (phase === P_TUNNEL) this.#phase = P_CLOSED;
    else if (phase === P_IDLE) {
      // A CR before the status line, or an interim head, started the response: it is truncated.
      if (this.#interims > 0 || this.#hs !== S_IDLE) this.#fail(out, 'truncated-head', this.#base);
      else if (this.#queue.length > 0) this.#fail(out, 'empty-response', this.#base);
      else this.#phase = P_CLOSED;
    } else this.#fail(out, phase === P_HEAD ? 'truncated-head' : 'truncated-body', this.#base);
    return out;
  }

  // ------------------------------------------------------------------------------------------------

  #fail(out: H1ResponseEvent[], code: H1ResponseErrorCode, offset: number): void {
    const def = H1_RESPONSE_ERRORS[code];
    const ev: H1ResponseErrorEvent = { type: 'error', status: def.status, code, reason: def.reason, offset };
    this.#lastError = ev;
    this.#phase = P_DEAD;
    out.push(ev);
  }

  /** Fails with the offset of chunk[i]; returns "consume everything". */
  #failAt(out: H1ResponseEvent[], code: H1ResponseErrorCode, i: number): number {
    this.#fail(out, code, this.#base + i);
    return Number.MAX_SAFE_INTEGER;
  }

  /** Which size limit was hit, given the sub-state the scan was in. */
  #sizeError(s: number): H1ResponseErrorCode {
    if (this.#phase === P_TRAILERS) return 'trailers-too-large';
    return s < S_LINE ? 'status-line-too-long' : 'headers-too-large';
  }

  /**
   * Scans status-line / field-line bytes from chunk[i] (RFC 9112 §4, §5). Positions are relative to
   * the section start: rel = rb + i, rb constant for this chunk. Returns the first index not consumed.
   */
  #scanSection(chunk: Uint8Array, i: number, out: H1ResponseEvent[]): number {
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
        case S_IDLE: // before the status line: skip empty lines, as HAProxy does (RFC 9112 §2.2)
          if (this.#queue.length === 0) return this.#failAt(out, 'unexpected-response', i);
          if (c === CR) s = S_IDLE_LF;
          else if (c === LF) return this.#failAt(out, 'bare-lf', i);
          else {
            this.#phase = P_HEAD;
            this.#startAbs = this.#base + i;
            this.#sec.len = 0;
            this.#count = 0;
            seg = i;
            rb = -i;
            limit = Math.min(n, this.#maxHead - rb);
            s = S_VERSION;
            i--; // the version state checks this byte
          }
          break;
        case S_IDLE_LF:
          if (c !== LF) return this.#failAt(out, 'bare-cr', i - 1);
          s = S_IDLE;
          break;
        case S_VERSION: {
          const v = rb + i; // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), then SP
          if (c === LF) return this.#failAt(out, 'bare-lf', i);
          if (v === 8) {
            if (c === SP) {
              if (this.#major !== 1 || this.#minor > 1) return this.#failAt(out, 'version-unsupported', i - 8);
              this.#status = 0;
              this.#digits = 0;
              s = S_STATUS;
            } else if (c === HTAB) return this.#failAt(out, 'status-line-whitespace', i);
            else if (c === CR) return this.#failAt(out, 'status-invalid', i);
            else return this.#failAt(out, 'version-invalid', i);
          } else if (v < 5 ? c === HTTP_SLASH[v] : v === 6 ? c === 46 : c >= 48 && c <= 57) {
            if (v === 5) this.#major = c - 48;
            else if (v === 7) this.#minor = c - 48;
          } else return this.#failAt(out, 'version-invalid', i);
          break;
        }
        case S_STATUS: // status-code = 3DIGIT (RFC 9112 §4)
          if (c >= 48 && c <= 57) {
            this.#status = this.#status * 10 + c - 48;
            if (++this.#digits === 3) s = S_AFTER_STATUS;
          } else if (c === LF) return this.#failAt(out, 'bare-lf', i);
          else if ((c === SP || c === HTAB) && this.#digits === 0) {
            return this.#failAt(out, 'status-line-whitespace', i);
          } else return this.#failAt(out, 'status-invalid', i);
          break;
        case S_AFTER_STATUS:
          if (this.#status < 100 || this.#status > 599) return this.#failAt(out, 'status-invalid', i - 3);
          if (c === SP) {
            this.#reasonStart = this.#reasonEnd = rb + i + 1;
            s = S_REASON;
          } else if (c === CR) {
            // "HTTP/1.1 200\r\n": no SP nor reason, accepted like HAProxy and llhttp do
            this.#reasonStart = this.#reasonEnd = rb + i;
            s = S_SL_LF;
          } else if (c === LF) return this.#failAt(out, 'bare-lf', i);
          else if (c === HTAB) return this.#failAt(out, 'status-line-whitespace', i);
          else return this.#failAt(out, 'status-invalid', i);
          break;
        case S_REASON: // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ) (RFC 9112 §4)
          if (CLASS[c] & FVCHAR || c === SP || c === HTAB) this.#reasonEnd = rb + i + 1;
          else if (c === CR) s = S_SL_LF;
          else if (c === LF) return this.#failAt(out, 'bare-lf', i);
          else return this.#failAt(out, 'reason-invalid-char', i);
          break;
        case S_SL_LF:
          if (c !== LF) return this.#failAt(out, 'bare-cr', i - 1);
          s = S_LINE;
          break;
        case S_LINE:
          if (CLASS[c] & TCHAR) {
            if (this.#count >= this.#maxHeaders) return this.#failAt(out, 'too-many-headers', i);
            this.#pos[this.#count * 4] = rb + i;
            this.#tabs[this.#count] = 0;
            s = S_NAME;
          } else if (c === CR) {
            this.#endAt = rb + i;
            s = S_END_LF;
          } else if (c === LF) return this.#failAt(out, 'bare-lf', i);
          else if (c === SP || c === HTAB) {
            const first = this.#count === 0 && this.#phase === P_HEAD;
            return this.#failAt(out, first ? 'header-leading-whitespace' : 'obs-fold', i);
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
          if (c === HTAB) this.#tabs[this.#count] = 1;
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
          else if (c === HTAB) this.#tabs[this.#count] = 1;
          else if (c !== SP) return this.#failAt(out, 'header-value-invalid-char', i);
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

  #fields(): H1Header[] {
    const headers: H1Header[] = new Array(this.#count);
    const p = this.#pos;
    for (let k = 0; k < this.#count; k++) {
      const b = k * 4;
      headers[k] = [this.#sec.text(p[b], p[b + 1]), this.#sec.text(p[b + 2], p[b + 3])];
    }
    return headers;
  }

  /** Header section complete: apply the framing rules (RFC 9112 §6.3), emit the head, go on. */
  #headDone(out: H1ResponseEvent[]): void {
    const headers = this.#fields();
    const version: H1ResponseVersion = this.#minor === 1 ? '1.1' : '1.0';
    const expected = this.#queue[0];
    const res = checkResponseHeaders(headers, this.#tabs, version, this.#status, expected, this.#endAt);
    if ('code' in res) {
      this.#fail(out, res.code, this.#startAbs + (res.at >= 0 ? this.#pos[res.at * 4] : -res.at - 1));
      return;
    }
    const reason = this.#sec.text(this.#reasonStart, this.#reasonEnd);
    out.push(new ResponseHead(this.#status, reason, version, headers, expected.method, res));
    this.#sec.len = 0;
    this.#count = 0;
    if (res.interim) {
      this.#phase = P_IDLE; // the final response to the same request follows (RFC 9110 §15.2)
      this.#interims++;
      return;
    }
    this.#queue.shift();
    this.#interims = 0;
    this.#responses++;
    this.#keepAlive = res.keepAlive;
    this.#tunnel = res.tunnel;
    if (res.bodyKind === 'chunked') this.#startChunkLine();
    else if (res.bodyKind === 'close') this.#phase = P_CLOSE_BODY;
    else if (res.bodyKind === 'length' && res.contentLength! > 0) {
      this.#phase = P_BODY;
      this.#remaining = res.contentLength!;
    } else this.#finish(out);
  }

  #trailersDone(out: H1ResponseEvent[]): void {
    if (this.#count > 0) out.push({ type: 'trailers', headers: this.#fields() });
    this.#sec.len = 0;
    this.#count = 0;
    this.#finish(out);
  }

  /** Response complete: emit end, then switch to a tunnel, wait for the next response, or close. */
  #finish(out: H1ResponseEvent[]): void {
    out.push({ type: 'end' });
    this.#hs = S_IDLE;
    if (this.#tunnel) {
      out.push({ type: 'upgrade', status: this.#status });
      this.#phase = P_TUNNEL;
    } else this.#phase = this.#keepAlive ? P_IDLE : P_CLOSED;
  }

  #readLengthBody(chunk: Uint8Array, i: number, out: H1ResponseEvent[]): number {
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

  /** Scans a chunk-size line with its extensions (RFC 9112 §7.1, §7.1.1), as the request parser does. */
  #scanChunkLine(chunk: Uint8Array, i: number, out: H1ResponseEvent[]): number {
    const n = chunk.length;
    let s = this.#cs;
    for (; i < n; i++) {
      if (++this.#lineLen > this.#maxHead) return this.#failAt(out, 'chunk-line-too-long', i);
      const c = chunk[i];
      if (c === LF && s !== C_LF) return this.#failAt(out, 'bare-lf', i);
      const next = chunkLineStep(s, c, this.#chunkSize);
      if (next < 0) return this.#failAt(out, CHUNK_ERRORS[-next - 1], next === ERR_BARE_CR ? i - 1 : i);
      if (s <= C_SIZE && next === C_SIZE) this.#chunkSize = this.#chunkSize * 16 + hexValue(c);
      if (next === C_DONE) return this.#chunkLineDone(i + 1);
      s = next;
    }
    this.#cs = s;
    return n;
  }

  #chunkLineDone(next: number): number {
    if (this.#chunkSize === 0) {
      // last-chunk: the trailer section follows (RFC 9112 §7.1.2)
      this.#phase = P_TRAILERS;
      this.#hs = S_LINE;
      this.#sec.len = 0;
      this.#count = 0;
      this.#startAbs = this.#base + next;
      return next;
    }
    this.#remaining = this.#chunkSize;
    this.#phase = P_CHUNK_DATA;
    return next;
  }

  #readChunkData(chunk: Uint8Array, i: number, out: H1ResponseEvent[]): number {
    const take = Math.min(this.#remaining, chunk.length - i);
    out.push({ type: 'data', bytes: chunk.subarray(i, i + take) });
    this.#remaining -= take;
    if (this.#remaining === 0) this.#phase = P_CHUNK_CR;
    return i + take;
  }

  #readChunkCrlf(chunk: Uint8Array, i: number, out: H1ResponseEvent[]): number {
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

// ---- chunk-size line: one step of the state machine ----

/** chunkLineStep() result: the line is complete (after its LF). */
const C_DONE = 100;
const CHUNK_ERRORS = ['chunk-size-invalid', 'chunk-size-overflow', 'chunk-ext-invalid', 'bare-cr'] as const;
const ERR_SIZE = -1;
const ERR_OVERFLOW = -2;
const ERR_EXT = -3;
const ERR_BARE_CR = -4;

function isWs(c: number): boolean {
  return c === SP || c === HTAB;
}

/**
 * The next chunk-size line state after byte `c` in state `s` (RFC 9112 §7.1: chunk-size [ BWS
 * chunk-ext ] CRLF; §7.1.1: chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ), value = token /
 * quoted-string), C_DONE after the final LF, or a negative ERR_* code. `size` is the size so far.
 */
function chunkLineStep(s: number, c: number, size: number): number {
  switch (s) {
    case C_SIZE0:
    case C_SIZE:
      if (CLASS[c] & HEX) return size > CHUNK_SIZE_LIMIT ? ERR_OVERFLOW : C_SIZE;
      if (s === C_SIZE0) return ERR_SIZE;
      if (c === CR) return C_LF;
      if (c === SEMI) return C_NAME0;
      return isWs(c) ? C_SIZE_WS : ERR_SIZE;
    case C_SIZE_WS: // BWS is only allowed before ';'
      if (c === SEMI) return C_NAME0;
      return isWs(c) ? s : ERR_EXT;
    case C_NAME0:
      if (CLASS[c] & TCHAR) return C_NAME;
      return isWs(c) ? s : ERR_EXT;
    case C_NAME:
      if (CLASS[c] & TCHAR) return s;
      if (c === EQUALS) return C_VAL0;
      if (c === SEMI) return C_NAME0;
      if (c === CR) return C_LF;
      return isWs(c) ? C_NAME_WS : ERR_EXT;
    case C_NAME_WS:
      if (c === EQUALS) return C_VAL0;
      if (c === SEMI) return C_NAME0;
      return isWs(c) ? s : ERR_EXT;
    case C_VAL0:
      if (CLASS[c] & TCHAR) return C_TOKEN;
      if (c === DQUOTE) return C_QUOTED;
      return isWs(c) ? s : ERR_EXT;
    case C_TOKEN:
      if (CLASS[c] & TCHAR) return s;
      if (c === SEMI) return C_NAME0;
      if (c === CR) return C_LF;
      return isWs(c) ? C_VAL_WS : ERR_EXT;
    case C_QUOTED: // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 §5.6.4)
      if (c === DQUOTE) return C_AFTER_QUOTED;
      if (c === BACKSLASH) return C_QUOTED_ESC;
      return CLASS[c] & FVCHAR || isWs(c) ? s : ERR_EXT;
    case C_QUOTED_ESC:
      return CLASS[c] & FVCHAR || isWs(c) ? C_QUOTED : ERR_EXT;
    case C_AFTER_QUOTED:
      if (c === SEMI) return C_NAME0;
      if (c === CR) return C_LF;
      return isWs(c) ? C_VAL_WS : ERR_EXT;
    case C_VAL_WS:
      if (c === SEMI) return C_NAME0;
      return isWs(c) ? s : ERR_EXT;
    default: // C_LF
      return c === LF ? C_DONE : ERR_BARE_CR;
  }
}

/**
 * Creates the response parser of one server connection (see H1ResponseParser for the contract).
 * `maxHeaderBytes` is tune.bufsize; `maxHeaders` is tune.maxhdr (default 101).
 */
export function createResponseParser(opts: H1ResponseParserOptions): H1ResponseParser {
  return new H1ResponseParser(opts);
}
