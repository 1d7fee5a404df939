/**
 * Types of the sans-IO HTTP/1.1 response parser (client side: Flightbox reading a server's
 * responses, proxy/h1/response-parser.ts).
 *
 * Like h1.types.ts for requests, no engine logic lives here: only types and the error catalog, which
 * is data. Every refusal of a server's response is a 502 (Bad Gateway): RFC 9112 §6.3 item 5 asks a
 * proxy that receives a response with invalid framing to close the server connection, discard the
 * response and answer 502, and HAProxy answers 502 to every invalid response ("PH--" in its logs).
 */
import type { H1DataEvent, H1EndEvent, H1Header, H1TrailersEvent } from './h1.types.ts';

/** HTTP versions accepted in a status line (RFC 9112 §2.3, §4); anything else is refused. */
export type H1ResponseVersion = '1.0' | '1.1';

/**
 * How the response content is delimited (RFC 9112 §6.3): 'none' for a response that cannot have
 * content (to HEAD, 1xx, 204, 304: item 1; 2xx to CONNECT: item 2), 'length' for a valid
 * Content-Length, 0 included (item 6), 'chunked' when chunked is the final transfer coding (item 4),
 * 'close' when the content runs until the server closes the connection (item 4 for a final coding
 * other than chunked, item 8 when neither Content-Length nor Transfer-Encoding is present).
 */
export type H1ResponseBodyKind = 'none' | 'length' | 'chunked' | 'close';

/**
 * Every way a server's response can be refused. All are 502 (see the module comment). Each code
 * keeps its reason forever: they are asserted in tests, interned in trace rings and shown by the
 * decoder, so change a text only together with its tests. Codes shared with the request side
 * (H1_ERRORS) mean the same rule, applied to a response.
 */
export const H1_RESPONSE_ERRORS = {
  'unexpected-response': {
    status: 502,
    reason: 'server sent response bytes while no request was outstanding (RFC 9112 §9.3)',
  },
  'empty-response': {
    status: 502,
    reason: 'server closed the connection without sending a response',
  },
  'bare-cr': { status: 502, reason: 'bare CR: CR not followed by LF (RFC 9112 §2.2)' },
  'bare-lf': { status: 502, reason: 'bare LF line ending: lines must end with CRLF (RFC 9112 §2.2)' },
  'version-invalid': {
    status: 502,
    reason: 'invalid status line: expected HTTP/DIGIT.DIGIT at its start (RFC 9112 §4, §2.3)',
  },
  'version-unsupported': {
    status: 502,
    reason: 'response HTTP version not supported: only HTTP/1.0 and HTTP/1.1 (RFC 9110 §6.2)',
  },
  'status-line-whitespace': {
    status: 502,
    reason: 'unexpected whitespace in status line: parts are separated by exactly one SP (RFC 9112 §4)',
  },
  'status-invalid': {
    status: 502,
    reason: 'invalid status code: expected three digits in 100..599 (RFC 9110 §15)',
  },
  'reason-invalid-char': {
    status: 502,
    reason: 'invalid character in reason-phrase: CTL other than HTAB, or DEL (RFC 9112 §4)',
  },
  'status-line-too-long': { status: 502, reason: 'status line larger than tune.bufsize' },
  'headers-too-large': { status: 502, reason: 'response header section larger than tune.bufsize' },
  'too-many-headers': { status: 502, reason: 'more response header fields than tune.maxhdr' },
  'header-leading-whitespace': {
    status: 502,
    reason: 'whitespace between the status line and the first header field (RFC 9112 §2.2)',
  },
  'obs-fold': { status: 502, reason: 'obsolete line folding (obs-fold) in a header field (RFC 9112 §5.2)' },
  'header-name-empty': { status: 502, reason: 'empty header field name (RFC 9112 §5)' },
  'header-name-invalid-char': {
    status: 502,
    reason: 'invalid character in header field name: must be a token (RFC 9110 §5.1)',
  },
  'header-name-whitespace': {
    status: 502,
    reason: 'whitespace between header field name and colon (RFC 9112 §5.1)',
  },
  'header-missing-colon': { status: 502, reason: 'header field line has no colon (RFC 9112 §5)' },
  'header-value-invalid-char': {
    status: 502,
    reason: 'invalid character in header field value: CTL other than HTAB, or DEL (RFC 9110 §5.5)',
  },
  'content-length-invalid': {
    status: 502,
    reason: 'invalid Content-Length: expected a non-negative decimal integer (RFC 9110 §8.6, RFC 9112 §6.3)',
  },
  'content-length-conflict': {
    status: 502,
    reason: 'conflicting Content-Length values (RFC 9112 §6.3, RFC 9110 §8.6)',
  },
  'content-length-overflow': { status: 502, reason: 'Content-Length value too large (RFC 9112 §6.3)' },
  'te-in-http10': { status: 502, reason: 'Transfer-Encoding in an HTTP/1.0 response (RFC 9112 §6.1)' },
  'te-invalid': {
    status: 502,
    reason: 'invalid Transfer-Encoding: not a list of transfer-codings, or an empty element or a tab that other parsers read differently (RFC 9112 §6.1)',
  },
  'te-chunked-repeated': {
    status: 502,
    reason: 'chunked transfer coding applied more than once (RFC 9112 §6.1)',
  },
  'te-with-content-length': {
    status: 502,
    reason: 'both Transfer-Encoding and Content-Length in a response (RFC 9112 §6.3: handled as an error)',
  },
  'connection-invalid': {
    status: 502,
    reason: 'invalid Connection header field: expected a list of tokens (RFC 9110 §7.6.1)',
  },
  'switching-not-requested': {
    status: 502,
    reason: '101 Switching Protocols to a request that did not offer an Upgrade (RFC 9110 §15.2.2)',
  },
  'upgrade-missing': {
    status: 502,
    reason: '101 Switching Protocols without Upgrade and Connection: upgrade (RFC 9110 §7.8, §15.2.2)',
  },
  'chunk-size-invalid': { status: 502, reason: 'invalid chunk-size: expected hex digits (RFC 9112 §7.1)' },
  'chunk-size-overflow': { status: 502, reason: 'chunk-size too large (RFC 9112 §7.1)' },
  'chunk-ext-invalid': { status: 502, reason: 'invalid chunk extension syntax (RFC 9112 §7.1.1)' },
  'chunk-line-too-long': { status: 502, reason: 'chunk-size line larger than tune.bufsize' },
  'chunk-data-no-crlf': { status: 502, reason: 'chunk data not followed by CRLF (RFC 9112 §7.1)' },
  'trailers-too-large': { status: 502, reason: 'trailer section larger than tune.bufsize' },
  'truncated-head': {
    status: 502,
    reason: 'server closed the connection before the response head was complete',
  },
  'truncated-body': {
    status: 502,
    reason: 'server closed the connection before the response content was complete (RFC 9112 §8)',
  },
} as const satisfies Record<string, { status: 502; reason: string }>;

/** Stable identifier of a refused response; see H1_RESPONSE_ERRORS. */
export type H1ResponseErrorCode = keyof typeof H1_RESPONSE_ERRORS;

/**
 * A status line and header section (RFC 9112 §4, §5). `headers` keeps every field line in order,
 * names as received; `get`/`getAll`/`has` look names up case-insensitively (RFC 9110 §5.1).
 */
export interface H1ResponseHeadEvent {
  type: 'head';
  status: number;
  /** The reason-phrase as received ('' when absent); carries no meaning (RFC 9112 §4). */
  reason: string;
  version: H1ResponseVersion;
  headers: H1Header[];
  /** The method of the request this response answers (the head of the expect() queue). */
  method: string;
  /**
   * An interim 1xx response other than 101 (100 Continue, 103 Early Hints, ...; RFC 9110 §15.2):
   * no content, and the final response to the same request follows.
   */
  interim: boolean;
  /**
   * Whether the connection can carry another response after this one (RFC 9112 §9.3): false for
   * HTTP/1.0 without keep-alive, `Connection: close`, a close-delimited body and a tunnel.
   */
  keepAlive: boolean;
  bodyKind: H1ResponseBodyKind;
  /** Set when bodyKind is 'length'. */
  contentLength?: number;
  /** First value of the named field, or undefined. `name` is matched case-insensitively. */
  get(name: string): string | undefined;
  /** Every value of the named field, in order (one entry per field line). */
  getAll(name: string): string[];
  has(name: string): boolean;
}

/**
 * The connection stopped carrying HTTP/1.1 (RFC 9112 §6.3 item 2, RFC 9110 §7.8): after a 101
 * Switching Protocols or a 2xx answer to CONNECT, once that response's `end`. Every later byte is a
 * `tunnel-data` event.
 */
export interface H1UpgradeEvent {
  type: 'upgrade';
  /** 101 for a protocol switch, the 2xx status for a CONNECT tunnel. */
  status: number;
}

/** Raw bytes of the tunnel after `upgrade` (a view into the pushed chunk: copy it to keep it). */
export interface H1TunnelDataEvent {
  type: 'tunnel-data';
  bytes: Uint8Array;
}

/**
 * The response is refused: answer the client 502 (if nothing was answered yet) and close the server
 * connection. The parser is dead afterwards. `offset` is the position of the offending byte (or of
 * the start of the offending field line) counted from the first byte the parser ever received.
 */
export interface H1ResponseErrorEvent {
  type: 'error';
  status: 502;
  code: H1ResponseErrorCode;
  reason: string;
  offset: number;
}

/**
 * What push() and end() return. Per expected request: (interim head)*, then head, data*, trailers?,
 * end; after a 101 or a 2xx to CONNECT, `upgrade` and then only `tunnel-data`. Or an error.
 */
export type H1ResponseEvent =
  | H1ResponseHeadEvent
  | H1DataEvent
  | H1TrailersEvent
  | H1EndEvent
  | H1UpgradeEvent
  | H1TunnelDataEvent
  | H1ResponseErrorEvent;

/**
 * Where the parser is: 'idle' between responses, 'head' inside a status line or header section,
 * 'body' inside the content, 'trailers' inside a trailer section, 'tunnel' after `upgrade`, 'closed'
 * after a response that ends the connection (further bytes are ignored, RFC 9112 §9.6) or after
 * end(), 'error' after an error event.
 */
export type H1ResponseParserState = 'idle' | 'head' | 'body' | 'trailers' | 'tunnel' | 'closed' | 'error';

/** Options of createResponseParser(). */
export interface H1ResponseParserOptions {
  /**
   * Largest status line + header section, CRLFs included (tune.bufsize). Also bounds a chunk-size
   * line and a trailer section.
   */
  maxHeaderBytes: number;
  /** Largest number of header fields (tune.maxhdr, default 101). Also bounds trailer fields. */
  maxHeaders?: number;
}

/** What the parser must know about a request sent to the server, besides its method. */
export interface H1ExpectOptions {
  /**
   * The request offered a protocol upgrade (it was forwarded with Upgrade and `Connection: upgrade`),
   * so a 101 is acceptable (RFC 9110 §7.8). Default false: a 101 is refused.
   */
  upgrade?: boolean;
}
