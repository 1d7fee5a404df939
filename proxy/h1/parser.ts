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
 * The field lines of heads and trailers are scanned by field-scanner.ts and bodies read by
 * body-decoder.ts, both shared with the response parser; this file keeps the request line and what
 * only requests have (the target forms, the body size limit, the request timeout).
 *
 * Memory: one head buffer per parser, grown on demand up to maxHeaderBytes and reused by every
 * request of the connection; header positions live in a preallocated Int32Array; body bytes are
 * handed out as views of the pushed chunks, never copied.
 */
import { FieldScanner } from './field-scanner.ts';
import * as body from './body-decoder.ts';
import { H1_ERRORS } from './h1.types.ts';
import type {
  H1ErrorCode,
  H1ErrorEvent,
  H1Event,
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
const { CLASS, TCHAR, TARGET, CR, LF, SP, HTAB, HASH } = chars;
const { RequestHead } = head;
const { BODY_DATA_END, BODY_CHUNK, BODY_LAST_CHUNK, BODY_ERROR } = body;

export { DEFAULT_MAX_HEADERS } from './field-scanner.ts';

// ---- phases ----
const P_IDLE = 0;
const P_HEAD = 1;
const P_BODY = 2; // Content-Length or chunked, up to the last-chunk (see body-decoder.ts)
const P_TRAILERS = 3;
const P_CLOSED = 4;
const P_DEAD = 5;

// ---- head sub-states: the request line, then the field lines (see field-scanner.ts) ----
const S_IDLE = 0;
const S_IDLE_LF = 1;
const S_METHOD = 2;
const S_TARGET0 = 3;
const S_TARGET = 4;
const S_VERSION = 5;
const S_RL_LF = 6;
const S_FIELDS = 7;

const HTTP_SLASH = [72, 84, 84, 80, 47]; // "HTTP/"

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
  readonly #maxBody: number;

  #phase = P_IDLE;
  /** Bytes received before the current chunk: absolute offset of chunk[0]. */
  #base = 0;
  #requests = 0;
  #lastError: H1ErrorEvent | undefined;

  // head / trailer section (positions are relative to the section's first byte)
  #fs: FieldScanner;
  #startAbs = 0;
  #hs = S_IDLE;
  #methodEnd = 0;
  #targetStart = 0;
  #targetEnd = 0;
  #versionStart = 0;
  #major = 0;
  #minor = 0;

  // request line, kept from the request line to the end of the head
  #method = '';
  #target = '';
  #form: H1TargetForm = 'origin';

  // current message
  #keepAlive = true;
  #bodyTotal = 0;

  #body: body.BodyDecoder;

  constructor(opts: H1ParserOptions) {
    this.#fs = new FieldScanner(opts.maxHeaderBytes, opts.maxHeaders); // validates both
    this.#body = new body.BodyDecoder(opts.maxHeaderBytes);
    this.#maxBody = opts.maxBodyBytes ?? Infinity;
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
    return this.#phase === P_BODY ? this.#body.lengthRemaining : 0;
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
          i = this.#hs === S_FIELDS ? this.#scanFields(chunk, i, out) : this.#scanRequestLine(chunk, i, out);
          break;
        case P_TRAILERS:
          i = this.#scanFields(chunk, i, out);
          break;
        case P_BODY:
          i = this.#readBody(chunk, i, out);
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

  /**
   * Scans the bytes before and of the request line from chunk[i] (RFC 9112 §2.2, §3), appending the
   * request line to the section buffer. Positions are kept relative to the section start: rel = rb + i,
   * where rb stays constant for this chunk. Returns the index of the first byte not consumed: after
   * the request line's LF (then state S_FIELDS), or chunk.length.
   */
  #scanRequestLine(chunk: Uint8Array, i: number, out: H1Event[]): number {
    const n = chunk.length;
    const sec = this.#fs.buf;
    let s = this.#hs;
    let seg = i; // first byte of this chunk belonging to the section
    let rb = sec.len - seg;
    // bytes at index >= limit would make the section larger than maxHeaderBytes
    let limit = this.#phase === P_IDLE ? n : Math.min(n, this.#fs.maxBytes - rb);

    for (; i < n; i++) {
      if (i >= limit) return this.#failAt(out, 'request-line-too-long', i);
      const c = chunk[i];
      switch (s) {
        case S_IDLE: // before the request line: skip empty lines (RFC 9112 §2.2)
          if (c === CR) s = S_IDLE_LF;
          else if (CLASS[c] & TCHAR) {
            this.#phase = P_HEAD;
            this.#startAbs = this.#base + i;
            this.#fs.begin(false);
            seg = i;
            rb = -i;
            limit = Math.min(n, this.#fs.maxBytes - rb);
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
          sec.append(chunk, seg, i + 1);
          if (!this.#requestLine(out)) return n;
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
  #scanFields(chunk: Uint8Array, i: number, out: H1Event[]): number {
    const fs = this.#fs;
    const next = fs.scan(chunk, i);
    if (fs.error !== undefined) {
      // Whitespace before the first trailer field: FieldScanner says obs-fold, as the response parser
      // reports; this parser has always reported header-leading-whitespace there.
      const code = fs.error === 'obs-fold' && fs.count === 0 ? 'header-leading-whitespace' : fs.error;
      return this.#failAt(out, code, fs.errorAt);
    }
    if (!fs.done) return next;
    this.#hs = S_IDLE;
    if (this.#phase === P_TRAILERS) this.#trailersDone(out);
    else this.#headDone(out);
    return next;
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
    const method = this.#fs.buf.text(0, this.#methodEnd);
    const target = this.#fs.buf.text(this.#targetStart, this.#targetEnd);
    const form = targetForm(target);
    const code = form === undefined ? 'target-invalid-form' : targetRefusal(method, target, form);
    if (code !== undefined) {
      this.#fail(out, code, this.#startAbs + this.#targetStart);
      return false;
    }
    this.#method = method;
    this.#target = target;
    this.#form = form!; // defined: an undefined form gave a code
    return true;
  }

  /** Header section complete: apply the framing and semantic rules, then emit the head. */
  #headDone(out: H1Event[]): void {
    const fs = this.#fs;
    const headers = fs.fields();
    const version: H1Version = this.#minor === 1 ? '1.1' : '1.0';
    const res = checkHeaders(headers, version, this.#form, this.#target, fs.endAt);
    if ('code' in res) {
      this.#fail(out, res.code, this.#startAbs + (res.at >= 0 ? fs.nameStart(res.at) : -res.at - 1));
      return;
    }
    if (res.bodyKind === 'length' && res.contentLength! > this.#maxBody) {
      this.#fail(out, 'body-too-large', this.#startAbs + fs.nameStart(res.clIndex));
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
    if (res.bodyKind === 'chunked') {
      this.#phase = P_BODY;
      this.#body.startChunked();
    } else if (res.bodyKind === 'length' && res.contentLength! > 0) {
      this.#phase = P_BODY;
      this.#body.startLength(res.contentLength!);
    } else this.#finish(out);
  }

  #trailersDone(out: H1Event[]): void {
    if (this.#fs.count > 0) out.push({ type: 'trailers', headers: this.#fs.fields() });
    this.#finish(out);
  }

  /** Message complete: emit end and get ready for the next request (or close). */
  #finish(out: H1Event[]): void {
    out.push({ type: 'end' });
    this.#phase = this.#keepAlive ? P_IDLE : P_CLOSED;
    this.#hs = S_IDLE;
  }

  /** Reads content (see BodyDecoder); after a chunked body's last-chunk, the trailer section follows. */
  #readBody(chunk: Uint8Array, i: number, out: H1Event[]): number {
    const bd = this.#body;
    const next = bd.read(chunk, i, out); // appends the data events
    const ev = bd.event;
    if (ev === BODY_DATA_END) this.#finish(out);
    else if (ev === BODY_CHUNK) {
      this.#bodyTotal += bd.size; // refused where the chunk-size line that passes the limit began
      if (this.#bodyTotal > this.#maxBody) return this.#failAt(out, 'body-too-large', next - bd.lineLength);
    } else if (ev === BODY_LAST_CHUNK) {
      this.#phase = P_TRAILERS; // RFC 9112 §7.1.2
      this.#fs.begin(true);
    } else if (ev === BODY_ERROR) return this.#failAt(out, bd.error!, bd.errorAt);
    return next;
  }
}

/**
 * Creates the request parser of one connection (see H1RequestParser for the contract).
 * `maxHeaderBytes` is tune.bufsize; `maxHeaders` is tune.maxhdr (default 101).
 */
export function createRequestParser(opts: H1ParserOptions): H1RequestParser {
  return new H1RequestParser(opts);
}
