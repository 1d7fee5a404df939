/**
 * Types of the sans-IO HTTP/1.1 server-side codec (proxy/h1/parser.ts, proxy/h1/response.ts).
 *
 * These are the shapes that the socket driver, the trace decoder (diag/) and the CLI share. No engine
 * logic lives here: only types and the error catalog, which is data (a stable code, an HTTP status and
 * a one-line reason for every way a request can be refused).
 */

/** HTTP versions the request parser accepts (RFC 9112 §2.3); anything else is refused with 505. */
export type H1Version = '1.0' | '1.1';

/**
 * How the request content is delimited (RFC 9112 §6.3): 'none' when neither Content-Length nor
 * Transfer-Encoding is present (length zero, item 7), 'length' for a valid Content-Length (item 6),
 * 'chunked' when the final transfer coding is chunked (item 4).
 */
export type H1BodyKind = 'none' | 'length' | 'chunked';

/** The four request-target forms of RFC 9112 §3.2. */
export type H1TargetForm = 'origin' | 'absolute' | 'authority' | 'asterisk';

/** One field line: name as received (case preserved), value with leading/trailing OWS removed. */
export type H1Header = [name: string, value: string];

/** Status codes the parser may ask the caller to answer with before closing the connection. */
export type H1ErrorStatus = 400 | 408 | 413 | 414 | 431 | 501 | 505;

/**
 * Every way a request can be refused. Each code keeps its status and reason forever: they are
 * asserted in tests, interned in trace rings and shown by the decoder, so change a text only
 * together with its tests. Sizes follow HAProxy: a request line or header section larger than
 * tune.bufsize gets 400 (HAProxy's answer), not 414/431, and the reason says which limit was hit.
 */
export const H1_ERRORS = {
  'bare-cr': { status: 400, reason: 'bare CR: CR not followed by LF (RFC 9112 §2.2)' },
  'bare-lf': { status: 400, reason: 'bare LF line ending: lines must end with CRLF (RFC 9112 §2.2)' },
  'method-invalid-char': { status: 400, reason: 'invalid character in method: must be a token (RFC 9110 §9.1)' },
  'request-line-whitespace': {
    status: 400,
    reason: 'unexpected whitespace in request line: parts are separated by exactly one SP (RFC 9112 §3)',
  },
  'target-missing': { status: 400, reason: 'request line has no request-target (RFC 9112 §3)' },
  'target-invalid-char': {
    status: 400,
    reason: 'invalid character in request-target: CTL, DEL or non-ASCII byte (RFC 9112 §3.2)',
  },
  'target-fragment': { status: 400, reason: "fragment ('#') in request-target (RFC 9112 §3.2)" },
  'target-invalid-form': {
    status: 400,
    reason: 'request-target is not in origin, absolute, authority or asterisk form (RFC 9112 §3.2)',
  },
  'target-asterisk-not-options': {
    status: 400,
    reason: "asterisk-form '*' is only allowed with OPTIONS (RFC 9112 §3.2.4)",
  },
  'target-connect-not-authority': {
    status: 400,
    reason: 'CONNECT requires an authority-form target host:port (RFC 9112 §3.2.3)',
  },
  'target-authority-not-connect': {
    status: 400,
    reason: 'authority-form target is only allowed with CONNECT (RFC 9112 §3.2.3)',
  },
  'target-userinfo': { status: 400, reason: 'userinfo in request-target authority (RFC 9110 §4.2.4)' },
  'version-missing': {
    status: 400,
    reason: 'request line has no HTTP version: HTTP/0.9 is not supported (RFC 9112 §3)',
  },
  'version-invalid': { status: 400, reason: 'invalid HTTP version: expected HTTP/DIGIT.DIGIT (RFC 9112 §2.3)' },
  'version-unsupported': {
    status: 505,
    reason: 'HTTP version not supported: only HTTP/1.0 and HTTP/1.1 (RFC 9110 §15.6.6)',
  },
  'request-line-too-long': {
    status: 400,
    reason: 'request line larger than tune.bufsize (HAProxy answers 400 where RFC 9112 §3 allows 414)',
  },
  'headers-too-large': {
    status: 400,
    reason: 'request header section larger than tune.bufsize (HAProxy answers 400 where RFC 6585 allows 431)',
  },
  'too-many-headers': { status: 400, reason: 'more header fields than tune.maxhdr' },
  'header-leading-whitespace': {
    status: 400,
    reason: 'whitespace between the request line and the first header field (RFC 9112 §2.2)',
  },
  'obs-fold': { status: 400, reason: 'obsolete line folding (obs-fold) in a header field (RFC 9112 §5.2)' },
  'header-name-empty': { status: 400, reason: 'empty header field name (RFC 9112 §5)' },
  'header-name-invalid-char': {
    status: 400,
    reason: 'invalid character in header field name: must be a token (RFC 9110 §5.1)',
  },
  'header-name-whitespace': {
    status: 400,
    reason: 'whitespace between header field name and colon (RFC 9112 §5.1)',
  },
  'header-missing-colon': { status: 400, reason: 'header field line has no colon (RFC 9112 §5)' },
  'header-value-invalid-char': {
    status: 400,
    reason: 'invalid character in header field value: CTL other than HTAB, or DEL (RFC 9110 §5.5)',
  },
  'content-length-invalid': {
    status: 400,
    reason: 'invalid Content-Length: expected a non-negative decimal integer (RFC 9110 §8.6)',
  },
  'content-length-conflict': {
    status: 400,
    reason: 'conflicting Content-Length values (RFC 9112 §6.3, RFC 9110 §8.6)',
  },
  'content-length-overflow': { status: 400, reason: 'Content-Length value too large (RFC 9112 §6.3)' },
  'te-in-http10': { status: 400, reason: 'Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)' },
  'te-invalid': { status: 400, reason: 'invalid Transfer-Encoding syntax (RFC 9112 §6.1)' },
  'te-chunked-repeated': { status: 400, reason: 'chunked transfer coding applied more than once (RFC 9112 §6.1)' },
  'te-chunked-not-final': {
    status: 400,
    reason: 'chunked is not the final transfer coding of a request (RFC 9112 §6.3)',
  },
  'te-unsupported': { status: 501, reason: 'unsupported transfer coding (RFC 9112 §6.1)' },
  'te-with-content-length': {
    status: 400,
    reason: 'both Transfer-Encoding and Content-Length in a request (RFC 9112 §6.3)',
  },
  'host-missing': { status: 400, reason: 'HTTP/1.1 request without a Host header field (RFC 9112 §3.2)' },
  'host-repeated': { status: 400, reason: 'more than one Host header field (RFC 9112 §3.2)' },
  'host-invalid': { status: 400, reason: 'invalid Host header field value (RFC 9110 §7.2)' },
  'host-mismatch': {
    status: 400,
    reason: 'Host header field does not match the authority of the request-target (RFC 9112 §3.2.2)',
  },
  'connection-invalid': {
    status: 400,
    reason: 'invalid Connection header field: expected a list of tokens (RFC 9110 §7.6.1)',
  },
  'chunk-size-invalid': { status: 400, reason: 'invalid chunk-size: expected hex digits (RFC 9112 §7.1)' },
  'chunk-size-overflow': { status: 400, reason: 'chunk-size too large (RFC 9112 §7.1)' },
  'chunk-ext-invalid': { status: 400, reason: 'invalid chunk extension syntax (RFC 9112 §7.1.1)' },
  'chunk-line-too-long': { status: 400, reason: 'chunk-size line larger than tune.bufsize' },
  'chunk-data-no-crlf': { status: 400, reason: 'chunk data not followed by CRLF (RFC 9112 §7.1)' },
  'trailers-too-large': { status: 400, reason: 'trailer section larger than tune.bufsize' },
  'body-too-large': { status: 413, reason: 'request content larger than the configured limit (RFC 9110 §15.5.14)' },
  'truncated-head': { status: 400, reason: 'connection closed before the request head was complete' },
  'truncated-body': { status: 400, reason: 'connection closed before the request content was complete' },
  'request-timeout': { status: 408, reason: 'timeout before the request was complete (timeout http-request)' },
} as const satisfies Record<string, { status: H1ErrorStatus; reason: string }>;

/** Stable identifier of a refusal; see H1_ERRORS. */
export type H1ErrorCode = keyof typeof H1_ERRORS;

/**
 * A request line and header section (RFC 9112 §2.1). `headers` keeps every field line in order,
 * names as received; `get`/`getAll`/`has` look names up case-insensitively (RFC 9110 §5.1).
 */
export interface H1HeadEvent {
  type: 'head';
  method: string;
  /** The request-target exactly as received (RFC 9112 §3.2). */
  target: string;
  targetForm: H1TargetForm;
  version: H1Version;
  headers: H1Header[];
  /** Whether the connection may carry another request after this one (RFC 9112 §9.3). */
  keepAlive: boolean;
  bodyKind: H1BodyKind;
  /** Set when bodyKind is 'length'. */
  contentLength?: number;
  /** HTTP/1.1 request with `Expect: 100-continue` (RFC 9110 §10.1.1; ignored for HTTP/1.0). */
  expectContinue: boolean;
  /** First value of the named field, or undefined. `name` is matched case-insensitively. */
  get(name: string): string | undefined;
  /** Every value of the named field, in order (one entry per field line). */
  getAll(name: string): string[];
  has(name: string): boolean;
}

/**
 * Request content, streamed as it arrives (already de-chunked). `bytes` is a view into the chunk
 * passed to push(): copy it if it must outlive that chunk.
 */
export interface H1DataEvent {
  type: 'data';
  bytes: Uint8Array;
}

/** The trailer section of a chunked request (RFC 9112 §7.1.2), only emitted when non-empty. */
export interface H1TrailersEvent {
  type: 'trailers';
  headers: H1Header[];
}

/** The request is complete. */
export interface H1EndEvent {
  type: 'end';
}

/**
 * The request is refused: answer `status` (if nothing was answered yet) and close the connection.
 * The parser is dead afterwards. `offset` is the position of the offending byte (or of the start of
 * the offending field line) counted from the first byte the parser ever received.
 */
export interface H1ErrorEvent {
  type: 'error';
  status: H1ErrorStatus;
  code: H1ErrorCode;
  reason: string;
  offset: number;
}

/** What push(), end() and timeout() return: per request, head, data*, trailers?, end; or error. */
export type H1Event = H1HeadEvent | H1DataEvent | H1TrailersEvent | H1EndEvent | H1ErrorEvent;

/**
 * Where the parser is: 'idle' between requests (nothing of the next one received, empty lines
 * aside), 'head' inside a request line or header section, 'body' inside the content, 'trailers'
 * inside a trailer section, 'closed' after a request that ends the connection (further bytes are
 * ignored, RFC 9112 §9.6) or after end(), 'error' after an error event.
 */
export type H1ParserState = 'idle' | 'head' | 'body' | 'trailers' | 'closed' | 'error';

/** Options of createRequestParser(). */
export interface H1ParserOptions {
  /**
   * Largest request line + header section, CRLFs included (tune.bufsize). Also bounds a chunk-size
   * line and a trailer section.
   */
  maxHeaderBytes: number;
  /** Largest number of header fields (tune.maxhdr, default 101). Also bounds trailer fields. */
  maxHeaders?: number;
  /** Largest request content in bytes; more is refused with 413. Default: unlimited. */
  maxBodyBytes?: number;
}
