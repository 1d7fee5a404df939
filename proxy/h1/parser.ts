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
import { H1_ERRORS } from './h1.types.ts';
import type {
  H1BodyKind,
  H1ErrorCode,
  H1ErrorEvent,
  H1Event,
  H1HeadEvent,
  H1Header,
  H1ParserOptions,
  H1ParserState,
  H1TargetForm,
  H1Version,
} from './h1.types.ts';

/** Default tune.maxhdr, as in HAProxy. */
export const DEFAULT_MAX_HEADERS = 101;

// ---- character classes (RFC 9110 §5.6.2 tchar, §5.5 field-vchar, RFC 9112 §3.2 request-target) ----
const TCHAR = 1;
const FVCHAR = 2; // VCHAR or obs-text: a field value byte other than SP/HTAB
const TARGET = 4; // 0x21..0x7E, as HAProxy accepts in a request-target
const HEX = 8;
const CLASS = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) CLASS[c] |= FVCHAR | TARGET;
for (let c = 0x80; c <= 0xff; c++) CLASS[c] |= FVCHAR;
for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  CLASS[ch.charCodeAt(0)] |= TCHAR;
}
for (const ch of '0123456789abcdefABCDEF') CLASS[ch.charCodeAt(0)] |= HEX;

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;
const SEMI = 59;
const EQUALS = 61;
const DQUOTE = 34;
const BACKSLASH = 92;
const HASH = 35;

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
/** Transfer codings this proxy can frame or forward (RFC 9112 §7, IANA HTTP Transfer Coding registry). */
const KNOWN_CODINGS = new Set(['chunked', 'gzip', 'x-gzip', 'deflate', 'compress', 'x-compress']);

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const AUTHORITY_FORM = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+;=%]+):[0-9]+$/;
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+;=%]*)(?::[0-9]*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** True if `name` equals `lower` (an already lower-cased name) ignoring ASCII case. */
function nameIs(name: string, lower: string): boolean {
  return name.length === lower.length && name.toLowerCase() === lower;
}

/**
 * A parsed request head. A class so that the case-insensitive lookups are shared methods rather than
 * per-event closures (events stay plain data for structural comparison and tracing).
 */
class RequestHead implements H1HeadEvent {
  readonly type = 'head' as const;
  method: string;
  target: string;
  targetForm: H1TargetForm;
  version: H1Version;
  headers: H1Header[];
  keepAlive: boolean;
  bodyKind: H1BodyKind;
  contentLength?: number;
  expectContinue: boolean;

  constructor(
    method: string,
    target: string,
    targetForm: H1TargetForm,
    version: H1Version,
    headers: H1Header[],
    keepAlive: boolean,
    bodyKind: H1BodyKind,
    contentLength: number | undefined,
    expectContinue: boolean,
  ) {
    this.method = method;
    this.target = target;
    this.targetForm = targetForm;
    this.version = version;
    this.headers = headers;
    this.keepAlive = keepAlive;
    this.bodyKind = bodyKind;
    if (contentLength !== undefined) this.contentLength = contentLength;
    this.expectContinue = expectContinue;
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

/** A refusal found while checking the header section: which rule, and where (head-relative). */
interface Refusal {
  code: H1ErrorCode;
  at: number;
}

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
  #buf: Buffer = Buffer.allocUnsafe(0);
  #len = 0;
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

  /** Copies chunk[from, to) into the section buffer (growing it, never beyond maxHeaderBytes). */
  #append(chunk: Uint8Array, from: number, to: number): void {
    const need = this.#len + (to - from);
    if (need > this.#buf.length) {
      let size = Math.max(this.#buf.length * 2, 1024);
      while (size < need) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, this.#maxHead));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(chunk.subarray(from, to), this.#len);
    this.#len = need;
  }

  #text(start: number, end: number): string {
    return this.#buf.toString('latin1', start, end);
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
    let rb = this.#len - seg;
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
            this.#len = 0;
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
          this.#append(chunk, seg, i + 1);
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
          this.#append(chunk, seg, i + 1);
          this.#hs = S_IDLE;
          if (this.#phase === P_TRAILERS) this.#trailersDone(out);
          else this.#headDone(out);
          return i + 1;
      }
    }
    if (this.#phase !== P_IDLE) this.#append(chunk, seg, n);
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
    const method = this.#text(0, this.#methodEnd);
    const target = this.#text(this.#targetStart, this.#targetEnd);
    let form: H1TargetForm;
    let code: H1ErrorCode | undefined;
    if (target === '*') form = 'asterisk';
    else if (target.charCodeAt(0) === 47) form = 'origin';
    else if (ABSOLUTE_FORM.test(target)) form = 'absolute';
    else if (AUTHORITY_FORM.test(target)) form = 'authority';
    else {
      form = 'origin';
      code = 'target-invalid-form';
    }
    if (code === undefined) {
      if (method === 'CONNECT') {
        if (form !== 'authority') code = 'target-connect-not-authority';
      } else if (form === 'authority') code = 'target-authority-not-connect';
      else if (form === 'asterisk' && method !== 'OPTIONS') code = 'target-asterisk-not-options';
      else if (form === 'absolute' && targetAuthority(target).includes('@')) code = 'target-userinfo';
    }
    if (code !== undefined) {
      this.#fail(out, code, this.#startAbs + this.#targetStart);
      return false;
    }
    this.#method = method;
    this.#target = target;
    this.#form = form;
    this.#count = 0;
    return true;
  }

  #fields(): H1Header[] {
    const headers: H1Header[] = new Array(this.#count);
    const p = this.#pos;
    for (let k = 0; k < this.#count; k++) {
      const b = k * 4;
      headers[k] = [this.#text(p[b], p[b + 1]), this.#text(p[b + 2], p[b + 3])];
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
    this.#len = 0;
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
      this.#len = 0;
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

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 0x20) - 87;
}

/** The authority of an absolute-form target: between "://" and the next '/' or '?'. */
function targetAuthority(target: string): string {
  const start = target.indexOf('://') + 3;
  let end = start;
  while (end < target.length && target[end] !== '/' && target[end] !== '?') end++;
  return target.slice(start, end);
}

/** Lower-cases a host[:port] and drops the port when it is the scheme's default (RFC 9110 §4.2.3). */
function normalizeAuthority(authority: string, scheme: string): string {
  const a = authority.toLowerCase();
  const colon = a.lastIndexOf(':');
  if (colon < 0 || a.indexOf(']', colon) >= 0) return a;
  const port = a.slice(colon + 1);
  const defaults = scheme === 'https' || scheme === 'wss' ? ['443'] : scheme === '' ? ['80', '443'] : ['80'];
  return port === '' || defaults.includes(port) ? a.slice(0, colon) : a;
}

/** Splits a field value into list elements (RFC 9110 §5.6.1), honouring quoted strings. */
function listElements(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === BACKSLASH) i++;
      else if (c === DQUOTE) quoted = false;
    } else if (c === DQUOTE) quoted = true;
    else if (c === 44) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

/** transfer-coding = token *( OWS ";" OWS token BWS "=" BWS ( token / quoted-string ) ) (RFC 9112 §7). */
const TRANSFER_CODING =
  /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)((?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[^"\\]|\\.)*"))*)$/;

interface HeadCheck {
  keepAlive: boolean;
  bodyKind: H1BodyKind;
  contentLength?: number;
  clIndex: number;
  expectContinue: boolean;
}

/**
 * The framing and semantic rules of a request header section (RFC 9112 §3.2, §6, §9.3; RFC 9110
 * §7.2, §8.6, §10.1.1). Returns the outcome, or a refusal whose `at` is a field index (>= 0) or, for
 * a rule about the section as a whole, -(position of its end) - 1.
 */
function checkHeaders(
  headers: H1Header[],
  version: H1Version,
  form: H1TargetForm,
  target: string,
  endAt: number,
): HeadCheck | Refusal {
  let cl: number | undefined;
  let clIndex = -1;
  let teIndex = -1;
  const codings: { name: string; at: number }[] = [];
  let hostIndex = -1;
  let close = false;
  let ka = false;
  let expectContinue = false;

  for (let k = 0; k < headers.length; k++) {
    const [name, value] = headers[k];
    const lower = name.length <= 17 ? name.toLowerCase() : '';
    if (lower === 'content-length') {
      // "Content-Length: 5, 5" and repeated identical fields are one value; differing ones are not.
      for (const el of listElements(value)) {
        if (!/^[0-9]+$/.test(el)) return { code: 'content-length-invalid', at: k };
        const v = Number(el);
        if (!Number.isSafeInteger(v)) return { code: 'content-length-overflow', at: k };
        if (cl !== undefined && v !== cl) return { code: 'content-length-conflict', at: k };
        cl = v;
      }
      if (clIndex < 0) clIndex = k;
    } else if (lower === 'transfer-encoding') {
      if (teIndex < 0) teIndex = k;
      const before = codings.length;
      for (const el of listElements(value)) {
        if (el === '') continue; // empty list elements are ignored (RFC 9110 §5.6.1.2)
        const m = TRANSFER_CODING.exec(el);
        if (!m) return { code: 'te-invalid', at: k };
        const coding = m[1].toLowerCase();
        if (coding === 'chunked' && m[2] !== '') return { code: 'te-invalid', at: k };
        codings.push({ name: coding, at: k });
      }
      // A field line without any coding is read as "reset" by some implementations: refuse it.
      if (codings.length === before) return { code: 'te-invalid', at: k };
    } else if (lower === 'host') {
      if (hostIndex >= 0) return { code: 'host-repeated', at: k };
      if (!HOST_VALUE.test(value)) return { code: 'host-invalid', at: k };
      hostIndex = k;
    } else if (lower === 'connection') {
      for (const el of listElements(value)) {
        if (el === '') continue;
        if (!TOKEN.test(el)) return { code: 'connection-invalid', at: k };
        const opt = el.toLowerCase();
        if (opt === 'close') close = true;
        else if (opt === 'keep-alive') ka = true;
      }
    } else if (lower === 'expect') {
      if (version === '1.1' && value.toLowerCase() === '100-continue') expectContinue = true;
    }
  }

  let bodyKind: H1BodyKind = cl === undefined ? 'none' : 'length';
  if (teIndex >= 0) {
    if (version === '1.0') return { code: 'te-in-http10', at: teIndex };
    let chunked = 0;
    for (const c of codings) {
      if (c.name === 'chunked' && ++chunked > 1) return { code: 'te-chunked-repeated', at: c.at };
    }
    const last = codings[codings.length - 1];
    if (last.name !== 'chunked') return { code: 'te-chunked-not-final', at: last.at };
    for (const c of codings) if (!KNOWN_CODINGS.has(c.name)) return { code: 'te-unsupported', at: c.at };
    if (clIndex >= 0) return { code: 'te-with-content-length', at: Math.max(clIndex, teIndex) };
    bodyKind = 'chunked';
  }

  if (hostIndex < 0) {
    if (version === '1.1') return { code: 'host-missing', at: -endAt - 1 };
  } else if (form === 'absolute' || form === 'authority') {
    // HAProxy refuses a Host that differs from the target's authority (RFC 9112 §3.2.2 says the
    // target wins; refusing removes the ambiguity for anything behind us).
    const scheme = form === 'absolute' ? target.slice(0, target.indexOf(':')).toLowerCase() : '';
    const authority = form === 'absolute' ? targetAuthority(target) : target;
    if (normalizeAuthority(authority, scheme) !== normalizeAuthority(headers[hostIndex][1], scheme)) {
      return { code: 'host-mismatch', at: hostIndex };
    }
  }

  const keepAlive = version === '1.1' ? !close : ka && !close;
  return {
    keepAlive,
    bodyKind,
    contentLength: bodyKind === 'length' ? cl : undefined,
    clIndex,
    expectContinue,
  };
}

/**
 * Creates the request parser of one connection (see H1RequestParser for the contract).
 * `maxHeaderBytes` is tune.bufsize; `maxHeaders` is tune.maxhdr (default 101).
 */
export function createRequestParser(opts: H1ParserOptions): H1RequestParser {
  return new H1RequestParser(opts);
}
