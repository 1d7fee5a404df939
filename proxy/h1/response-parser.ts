/**
 * Sans-IO HTTP/1.1 response parser (client side: Flightbox reading a server's responses): bytes in,
 * typed events out (RFC 9112, RFC 9110). The response half of the "one codec for both sides"; the
 * request half is parser.ts. Both scan field lines with field-scanner.ts, read bodies with
 * body-decoder.ts and share the character classes of chars.ts: this file keeps the status line and
 * what only responses have (framing by the request, interim responses, close-delimited bodies,
 * tunnels).
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
import { FieldScanner } from './field-scanner.ts';
import { fieldValue, fieldValues } from './head.ts';
import * as body from './body-decoder.ts';
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
import * as chars from './chars.ts';
import { checkResponseHeaders, type ResponseFraming } from './response-semantics.ts';

// Module-local copies of the byte values and outcomes (see parser.ts for why).
const { CLASS, FVCHAR, CR, LF, SP, HTAB } = chars;
const { BODY_DATA_END, BODY_LAST_CHUNK, BODY_ERROR } = body;

// ---- phases ----
const P_IDLE = 0;
const P_HEAD = 1;
const P_BODY = 2; // Content-Length or chunked, up to the last-chunk (see body-decoder.ts)
const P_CLOSE_BODY = 3; // until the server closes
const P_TRAILERS = 4;
const P_TUNNEL = 5;
const P_CLOSED = 6;
const P_DEAD = 7;

// ---- head sub-states: the status line, then the field lines (see field-scanner.ts) ----
const S_IDLE = 0;
const S_IDLE_LF = 1;
const S_VERSION = 2;
const S_STATUS = 3;
const S_AFTER_STATUS = 4;
const S_REASON = 5;
const S_SL_LF = 6;
const S_FIELDS = 7;

const HTTP_SLASH = [72, 84, 84, 80, 47]; // "HTTP/"

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
    return fieldValue(this.headers, name);
  }

  getAll(name: string): string[] {
    return fieldValues(this.headers, name);
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
  #phase = P_IDLE;
  /** Bytes received before the current chunk: absolute offset of chunk[0]. */
  #base = 0;
  #responses = 0;
  #queue: Expected[] = [];
  /** Interim heads received for the request at the head of the queue. */
  #interims = 0;
  #lastError: H1ResponseErrorEvent | undefined;

  // head / trailer section (positions are relative to the section's first byte)
  #fs: FieldScanner;
  #startAbs = 0;
  #hs = S_IDLE;
  #major = 0;
  #minor = 0;
  #status = 0;
  #digits = 0;
  #reasonStart = 0;
  #reasonEnd = 0;

  // current message
  #keepAlive = true;
  #tunnel = false;

  #body: body.BodyDecoder;

  constructor(opts: H1ResponseParserOptions) {
    this.#fs = new FieldScanner(opts.maxHeaderBytes, opts.maxHeaders); // validates both
    this.#body = new body.BodyDecoder(opts.maxHeaderBytes);
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
          i = this.#hs === S_FIELDS ? this.#scanFields(chunk, i, out) : this.#scanStatusLine(chunk, i, out);
          break;
        case P_TRAILERS:
          i = this.#scanFields(chunk, i, out);
          break;
        case P_BODY:
          i = this.#readBody(chunk, i, out);
          break;
        case P_CLOSE_BODY:
          out.push({ type: 'data', bytes: chunk.subarray(i) });
          i = n;
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

  /**
   * Scans the bytes before and of the status line from chunk[i] (RFC 9112 §2.2, §4), appending the
   * status line to the section buffer. Positions are relative to the section start: rel = rb + i, rb
   * constant for this chunk. Returns the first index not consumed: after the status line's LF (then
   * state S_FIELDS), or chunk.length.
   */
  #scanStatusLine(chunk: Uint8Array, i: number, out: H1ResponseEvent[]): number {
    const n = chunk.length;
    const sec = this.#fs.buf;
    let s = this.#hs;
    let seg = i; // first byte of this chunk belonging to the section
    let rb = sec.len - seg;
    // bytes at index >= limit would make the section larger than maxHeaderBytes
    let limit = this.#phase === P_IDLE ? n : Math.min(n, this.#fs.maxBytes - rb);

    for (; i < n; i++) {
      if (i >= limit) return this.#failAt(out, 'status-line-too-long', i);
      const c = chunk[i];
      switch (s) {
        case S_IDLE: // before the status line: skip empty lines, as HAProxy does (RFC 9112 §2.2)
          if (this.#queue.length === 0) return this.#failAt(out, 'unexpected-response', i);
          if (c === CR) s = S_IDLE_LF;
          else if (c === LF) return this.#failAt(out, 'bare-lf', i);
          else {
            this.#phase = P_HEAD;
            this.#startAbs = this.#base + i;
            this.#fs.begin(false);
            seg = i;
            rb = -i;
            limit = Math.min(n, this.#fs.maxBytes - rb);
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
          sec.append(chunk, seg, i + 1);
          this.#hs = S_FIELDS;
          return i + 1;
      }
    }
    if (this.#phase !== P_IDLE) sec.append(chunk, seg, n);
    this.#hs = s;
    return n;
  }

  /**
   * Scans field lines of the head or the trailer section from chunk[i] (see FieldScanner); returns
   * the index of the first byte not consumed.
   */
  #scanFields(chunk: Uint8Array, i: number, out: H1ResponseEvent[]): number {
    const fs = this.#fs;
    const next = fs.scan(chunk, i);
    if (fs.error !== undefined) return this.#failAt(out, fs.error, fs.errorAt);
    if (!fs.done) return next;
    this.#hs = S_IDLE;
    if (this.#phase === P_TRAILERS) this.#trailersDone(out);
    else this.#headDone(out);
    return next;
  }

  /** Header section complete: apply the framing rules (RFC 9112 §6.3), emit the head, go on. */
  #headDone(out: H1ResponseEvent[]): void {
    const fs = this.#fs;
    const headers = fs.fields();
    const version: H1ResponseVersion = this.#minor === 1 ? '1.1' : '1.0';
    const expected = this.#queue[0];
    const res = checkResponseHeaders(headers, fs.tabs, version, this.#status, expected, fs.endAt);
    if ('code' in res) {
      this.#fail(out, res.code, this.#startAbs + (res.at >= 0 ? fs.nameStart(res.at) : -res.at - 1));
      return;
    }
    const reason = fs.buf.text(this.#reasonStart, this.#reasonEnd);
    out.push(new ResponseHead(this.#status, reason, version, headers, expected.method, res));
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
    if (res.bodyKind === 'chunked') {
      this.#phase = P_BODY;
      this.#body.startChunked();
    } else if (res.bodyKind === 'close') this.#phase = P_CLOSE_BODY;
    else if (res.bodyKind === 'length' && res.contentLength! > 0) {
      this.#phase = P_BODY;
      this.#body.startLength(res.contentLength!);
    } else this.#finish(out);
  }

  #trailersDone(out: H1ResponseEvent[]): void {
    if (this.#fs.count > 0) out.push({ type: 'trailers', headers: this.#fs.fields() });
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

  /** Reads content (see BodyDecoder); after a chunked body's last-chunk, the trailer section follows. */
  #readBody(chunk: Uint8Array, i: number, out: H1ResponseEvent[]): number {
    const bd = this.#body;
    const next = bd.read(chunk, i, out); // appends the data events
    const ev = bd.event;
    if (ev === BODY_DATA_END) this.#finish(out);
    else if (ev === BODY_LAST_CHUNK) {
      this.#phase = P_TRAILERS; // RFC 9112 §7.1.2
      this.#fs.begin(true);
    } else if (ev === BODY_ERROR) return this.#failAt(out, bd.error!, bd.errorAt);
    return next;
  }
}

/**
 * Creates the response parser of one server connection (see H1ResponseParser for the contract).
 * `maxHeaderBytes` is tune.bufsize; `maxHeaders` is tune.maxhdr (default 101).
 */
export function createResponseParser(opts: H1ResponseParserOptions): H1ResponseParser {
  return new H1ResponseParser(opts);
}
