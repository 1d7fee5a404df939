/**
 * Sans-IO HTTP/1.1 response writer (RFC 9112 §4, §6, §7; RFC 9110 §15): status line, field lines,
 * Content-Length framed bodies and the chunked transfer coding, as bytes ready for a socket.
 *
 * Every status code 100..599 can be written (a seed crash was an encoder that refused legal codes):
 * registered codes get their RFC 9110 / IANA reason phrase, the others a generic phrase for their
 * class, never an exception. What is refused (H1EncodeError) are programming errors that would put
 * invalid or injected bytes on the wire: a status outside 100..599, a CR/LF/NUL in a field value or
 * reason, a field name that is not a token.
 */
import { isFieldText, isToken } from './chars.ts';

/** Why a response could not be encoded; `code` is stable for tests and traces. */
export class H1EncodeError extends TypeError {
  readonly code: 'status-range' | 'reason-invalid' | 'field-name-invalid' | 'field-value-invalid';

  constructor(code: H1EncodeError['code'], message: string) {
    super(message);
    this.name = 'H1EncodeError';
    this.code = code;
  }
}

/**
 * Reason phrases of every status code in the IANA HTTP Status Code Registry (RFC 9110 §15 and the
 * RFCs it points to). 306 and 418 are registered as "(Unused)"; they keep their historical phrases.
 */
const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue', // RFC 9110 §15.2.1
  101: 'Switching Protocols', // RFC 9110 §15.2.2
  102: 'Processing', // RFC 2518
  103: 'Early Hints', // RFC 8297
  200: 'OK', // RFC 9110 §15.3
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status', // RFC 4918
  208: 'Already Reported', // RFC 5842
  226: 'IM Used', // RFC 3229
  300: 'Multiple Choices', // RFC 9110 §15.4
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  306: 'Switch Proxy', // (Unused), RFC 9110 §15.4.7
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request', // RFC 9110 §15.5
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  418: "I'm a teapot", // (Unused), RFC 9110 §15.5.19
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  423: 'Locked', // RFC 4918
  424: 'Failed Dependency', // RFC 4918
  425: 'Too Early', // RFC 8470
  426: 'Upgrade Required',
  428: 'Precondition Required', // RFC 6585
  429: 'Too Many Requests', // RFC 6585
  431: 'Request Header Fields Too Large', // RFC 6585
  451: 'Unavailable For Legal Reasons', // RFC 7725
  500: 'Internal Server Error', // RFC 9110 §15.6
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates', // RFC 2295
  507: 'Insufficient Storage', // RFC 4918
  508: 'Loop Detected', // RFC 5842
  510: 'Not Extended', // RFC 2774 (obsoleted)
  511: 'Network Authentication Required', // RFC 6585
};

/** Generic phrases for unregistered codes, by class (the ones HAProxy's http_get_reason() uses). */
const CLASS_REASONS = ['Informational', 'Success', 'Redirection', 'Client Error', 'Server Error'];

/** True if `status` is in the IANA HTTP Status Code Registry. */
export function isRegisteredStatus(status: number): boolean {
  return Object.hasOwn(REASONS, status);
}

/**
 * The reason phrase for `status`: the registered phrase (RFC 9110 §15), else the generic phrase of
 * its class for any other code in 100..599 ("Server Error" for 599), else ''. Never throws.
 */
export function reasonPhrase(status: number): string {
  const r = REASONS[status];
  if (r !== undefined) return r;
  if (Number.isInteger(status) && status >= 100 && status <= 599) return CLASS_REASONS[Math.floor(status / 100) - 1];
  return '';
}

/** True for statuses whose responses never carry content: 1xx, 204, 304 (RFC 9110 §6.4.1). */
export function statusHasNoContent(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/** A field line to write: [name, value]. Names are written as given (HAProxy sends lower case). */
export type ResponseHeader = readonly [name: string, value: string];

function checkStatus(status: number): void {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new H1EncodeError(
      'status-range',
      `cannot write status ${status}: a response status must be an integer in 100..599 (RFC 9110 §15)`,
    );
  }
}

function fieldLines(headers: readonly ResponseHeader[], what: string): string {
  let s = '';
  for (const [name, value] of headers) {
    if (!isToken(name)) {
      throw new H1EncodeError('field-name-invalid', `${what} field name ${JSON.stringify(name)} is not a token (RFC 9110 §5.1)`);
    }
    if (!isFieldText(value)) {
      throw new H1EncodeError(
        'field-value-invalid',
        `${what} field ${name} has a value with CR, LF, NUL, another control character or a non-Latin-1 character (RFC 9110 §5.5)`,
      );
    }
    s += `${name}: ${value}\r\n`;
  }
  return s;
}

/** Options of writeResponseHead(). */
export interface ResponseHeadInit {
  status: number;
  /** Reason phrase; default reasonPhrase(status). */
  reason?: string;
  headers: readonly ResponseHeader[];
  /** Only HTTP/1.1: a server answers with the highest version it supports (RFC 9110 §6.2). */
  version?: '1.1';
}

/**
 * Encodes a status line and header section (RFC 9112 §4, §5), CRLF-terminated, as Latin-1 bytes.
 * The headers are written verbatim and in order; framing is the caller's business here (see
 * writeResponse() for framed responses). Throws H1EncodeError for a status outside 100..599 or a
 * field/reason that would inject bytes; never for a legal status code.
 */
export function writeResponseHead(init: ResponseHeadInit): Uint8Array {
  checkStatus(init.status);
  const reason = init.reason ?? reasonPhrase(init.status);
  if (!isFieldText(reason)) {
    throw new H1EncodeError('reason-invalid', `reason phrase ${JSON.stringify(reason)} has a forbidden character (RFC 9112 §4)`);
  }
  const text = `HTTP/1.1 ${init.status} ${reason}\r\n${fieldLines(init.headers, 'response')}\r\n`;
  return Buffer.from(text, 'latin1');
}

/** Options of writeResponse(). */
export interface ResponseInit {
  status: number;
  reason?: string;
  /**
   * Fields to send. content-length, transfer-encoding and connection are owned by writeResponse():
   * given here they are dropped (as HAProxy ignores them in `http-request return`).
   */
  headers: readonly ResponseHeader[];
  /** The whole content (default empty). */
  body?: Uint8Array;
  /** Answering a HEAD request: no content bytes, but content-length as for GET (RFC 9110 §9.3.2). */
  head?: boolean;
  /** Close the connection after this response: adds `connection: close` (RFC 9112 §9.6). */
  close: boolean;
}

const FRAMING_FIELDS = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * Encodes a complete response framed by Content-Length (RFC 9112 §6.3): returns the head and,
 * unless empty or `head` is set, the body (the caller's bytes, not copied), ready for writev.
 * Statuses that never carry content (1xx, 204, 304; RFC 9110 §6.4.1) get neither content-length nor
 * body bytes: a body given for them is dropped, since anything after their header section would be
 * read as the next response. Throws H1EncodeError only as writeResponseHead() does.
 */
export function writeResponse(init: ResponseInit): Uint8Array[] {
  const body = init.body ?? new Uint8Array(0);
  const headers: ResponseHeader[] = [];
  for (const h of init.headers) if (!FRAMING_FIELDS.has(h[0].toLowerCase())) headers.push(h);
  const noContent = Number.isInteger(init.status) && statusHasNoContent(init.status);
  if (!noContent) headers.push(['content-length', String(body.length)]);
  if (init.close) headers.push(['connection', 'close']);
  const head = writeResponseHead({ status: init.status, reason: init.reason, headers });
  return init.head || noContent || body.length === 0 ? [head] : [head, body];
}

/**
 * Encodes one chunk of the chunked transfer coding (RFC 9112 §7.1): [size line, data, CRLF], the
 * data not copied. An empty input gives [] (a zero-size chunk would end the body: use lastChunk()).
 */
export function encodeChunk(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0) return [];
  return [Buffer.from(`${bytes.length.toString(16)}\r\n`, 'latin1'), bytes, Buffer.from('\r\n', 'latin1')];
}

/**
 * Encodes the last chunk and the trailer section that ends a chunked body (RFC 9112 §7.1, §7.1.2):
 * "0\r\n", the trailer fields, "\r\n". Throws H1EncodeError for an invalid trailer field.
 */
export function lastChunk(trailers: readonly ResponseHeader[] = []): Uint8Array {
  return Buffer.from(`0\r\n${fieldLines(trailers, 'trailer')}\r\n`, 'latin1');
}
