/**
 * HAProxy's default error responses, byte for byte as HAProxy puts them on the wire.
 *
 * Source: HAProxy 3.x `src/http.c`, table `http_err_msgs[]` (status line, Content-length and body
 * texts, including HAProxy's own typos such as the '.' opening the 501 sentence). HAProxy converts
 * these messages to HTX at boot, which stores header names in lower case, and its H1 mux drops the
 * Connection header from the middle and appends `connection: close` after the others when it sends
 * an error (the stream is closed by http_reply_and_close()). That gives what clients receive:
 *
 *     HTTP/1.1 503 Service Unavailable\r\n
 *     content-length: 107\r\n
 *     cache-control: no-cache\r\n
 *     content-type: text/html\r\n
 *     connection: close\r\n
 *     \r\n
 *     <html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n
 *
 * (as seen from a live HAProxy in public nmap fingerprints).
 */
import { reasonPhrase, statusHasNoContent } from './response.ts';

interface HaproxyMessage {
  /** Reason phrase of HAProxy's status line (differs from RFC 9110's for 400, 408, 413, 504). */
  reason: string;
  /** Content-length as HAProxy declares it (always the body's byte length). */
  length: number;
  /** The sentence after the <h1> line. */
  text: string;
}

/** http_err_msgs[] of HAProxy 3.x (200, 401 and 407 left out: they are not plain errors there). */
const HAPROXY_MESSAGES: Readonly<Record<number, HaproxyMessage>> = {
  400: { reason: 'Bad request', length: 90, text: 'Your browser sent an invalid request.' },
  403: { reason: 'Forbidden', length: 93, text: 'Request forbidden by administrative rules.' },
  404: { reason: 'Not Found', length: 83, text: 'The resource could not be found.' },
  405: {
    reason: 'Method Not Allowed',
    length: 146,
    text: 'A request was made of a resource using a request method not supported by that resource',
  },
  408: { reason: 'Request Time-out', length: 110, text: "Your browser didn't send a complete request in time." },
  410: {
    reason: 'Gone',
    length: 114,
    text: 'The resource is no longer available and will not be available again.',
  },
  413: { reason: 'Payload Too Large', length: 106, text: 'The request entity exceeds the maximum allowed.' },
  414: { reason: 'URI Too Long', length: 110, text: 'The URI provided was too long for the server to process.' },
  421: { reason: 'Misdirected Request', length: 104, text: 'Request sent to a non-authoritative server.' },
  422: {
    reason: 'Unprocessable Content',
    length: 116,
    text: 'The server cannot process the contained instructions.',
  },
  425: { reason: 'Too Early', length: 80, text: 'Your browser sent early data.' },
  429: {
    reason: 'Too Many Requests',
    length: 117,
    text: 'You have sent too many requests in a given amount of time.',
  },
  431: {
    reason: 'Request Header Fields Too Large',
    length: 106,
    text: '>Request Header Fields Too Large.',
  },
  500: { reason: 'Internal Server Error', length: 97, text: 'An internal server error occurred.' },
  501: {
    reason: 'Not Implemented',
    length: 136,
    text: '.The server does not support the functionality required to fulfill the request.',
  },
  502: {
    reason: 'Bad Gateway',
    length: 107,
    text: 'The server returned an invalid or incomplete response.',
  },
  503: {
    reason: 'Service Unavailable',
    length: 107,
    text: 'No server is available to handle this request.',
  },
  504: { reason: 'Gateway Time-out', length: 92, text: "The server didn't respond in time." },
};

/** Status codes for which HAProxy has a built-in error page (see errorResponse()). */
export const HAPROXY_ERROR_STATUSES: readonly number[] = Object.keys(HAPROXY_MESSAGES).map(Number);

function render(status: number, reason: string, length: number | undefined, body: string): string {
  const cl = length === undefined ? '' : `content-length: ${length}\r\n`;
  return (
    `HTTP/1.1 ${status} ${reason}\r\n${cl}cache-control: no-cache\r\n` +
    `${body === '' ? '' : 'content-type: text/html\r\n'}connection: close\r\n\r\n${body}`
  );
}

function haproxyText(status: number, m: HaproxyMessage): string {
  return render(status, m.reason, m.length, `<html><body><h1>${status} ${m.reason}</h1>\n${m.text}\n</body></html>\n`);
}

/**
 * The text of the error response for `status`. HAProxy's statuses (HAPROXY_ERROR_STATUSES) give
 * HAProxy's exact message. Any other status in 200..599 gets a page in the same style
 * (`<h1>status reason</h1>`, no sentence; no body at all for 204/304); anything else gets HAProxy's
 * 500 message, which is what HAProxy falls back to for a code it has no page for.
 */
export function errorResponseText(status: number): string {
  const m = HAPROXY_MESSAGES[status];
  if (m !== undefined) return haproxyText(status, m);
  if (!Number.isInteger(status) || status < 200 || status > 599) return haproxyText(500, HAPROXY_MESSAGES[500]);
  const reason = reasonPhrase(status);
  if (statusHasNoContent(status)) return render(status, reason, undefined, '');
  const body = `<html><body><h1>${status} ${reason}</h1>\n</body></html>\n`;
  return render(status, reason, Buffer.byteLength(body, 'latin1'), body);
}

/**
 * The bytes of the error response for `status` (see errorResponseText()): a complete response that
 * ends with `connection: close`, to be written before closing. Returns a fresh copy every time, so a
 * caller that modifies it cannot corrupt later responses. Never throws.
 */
export function errorResponse(status: number): Uint8Array {
  return Buffer.from(errorResponseText(status), 'latin1');
}
