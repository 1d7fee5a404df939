/**
 * Response semantics of HTTP/1.1 checked once a head is complete, on strings rather than bytes: how
 * the content of a response is delimited given the request it answers (RFC 9112 §6.3), whether the
 * connection persists (RFC 9112 §9.3) and whether it becomes a tunnel (RFC 9110 §7.8, §9.3.6,
 * §15.2.2). The response counterpart of semantics.ts; pure functions, used by response-parser.ts,
 * which turns the refusals returned here into error events with precise offsets.
 */
import { CONN_CLOSE, CONN_KEEP_ALIVE, CONN_UPGRADE, connectionOptions, contentLength, listElements, TRANSFER_CODING } from './semantics.ts';
import { fieldNameIs } from './chars.ts';
import type { H1Header } from './h1.types.ts';
import type { H1ResponseBodyKind, H1ResponseErrorCode, H1ResponseVersion } from './response.types.ts';

/** Position of the status code in the status line ("HTTP/1.1 " is 9 bytes). */
const STATUS_AT = 9;

// The list and transfer-coding grammars are shared with the request side (semantics.ts).
export { listElements } from './semantics.ts';

/** What checkResponseHeaders() decided for an acceptable response head. */
export interface ResponseFraming {
  interim: boolean;
  keepAlive: boolean;
  bodyKind: H1ResponseBodyKind;
  contentLength?: number;
  /** HTTP framing ends after this response (101, 2xx to CONNECT). */
  tunnel: boolean;
}

/**
 * A refused response head: `at` is a field index (>= 0), or for a rule about the head as a whole,
 * -(section-relative position) - 1, as Refusal in semantics.ts.
 */
export interface ResponseRefusal {
  code: H1ResponseErrorCode;
  at: number;
}

/** What the fields of a response head say about framing and persistence. */
interface ResponseScan {
  cl: number | undefined;
  clIndex: number;
  teIndex: number;
  /** Last transfer coding is chunked (RFC 9112 §6.3 item 4). */
  chunkedLast: boolean;
  chunkedCount: number;
  close: boolean;
  ka: boolean;
  connUpgrade: boolean;
  upgrade: boolean;
}

/** Records one field of a response head; refuses a malformed framing or Connection field. */
function scanResponseField(
  scan: ResponseScan,
  name: string,
  value: string,
  tab: boolean,
  k: number,
): ResponseRefusal | undefined {
  if (fieldNameIs(name, 'content-length')) {
    const v = contentLength(value, scan.cl);
    if (typeof v === 'string') return { code: v, at: k };
    scan.cl = v;
    if (scan.clIndex < 0) scan.clIndex = k;
  } else if (fieldNameIs(name, 'transfer-encoding')) {
    if (scan.teIndex < 0) scan.teIndex = k;
    // HTAB is OWS (RFC 9110 §5.6.3), but llhttp no longer sees "chunked" in "chunked<HTAB>" and reads
    // the body until close: a tab anywhere in the field is refused, since framing must not be ambiguous.
    if (tab) return { code: 'te-invalid', at: k };
    for (const el of listElements(value)) {
      // RFC 9110 §5.6.1.2 would ignore an empty element, but llhttp reads "chunked," as a final
      // coding other than chunked (a body until close): refused, since framing must not be ambiguous.
      if (el === '') return { code: 'te-invalid', at: k };
      const m = TRANSFER_CODING.exec(el);
      if (!m) return { code: 'te-invalid', at: k };
      const chunked = m[1].toLowerCase() === 'chunked';
      if (chunked && m[2] !== '') return { code: 'te-invalid', at: k };
      if (chunked && ++scan.chunkedCount > 1) return { code: 'te-chunked-repeated', at: k };
      scan.chunkedLast = chunked;
    }
  } else if (fieldNameIs(name, 'connection')) {
    const opts = connectionOptions(value);
    if (opts < 0) return { code: 'connection-invalid', at: k };
    if (opts & CONN_CLOSE) scan.close = true;
    if (opts & CONN_KEEP_ALIVE) scan.ka = true;
    if (opts & CONN_UPGRADE) scan.connUpgrade = true;
  } else if (fieldNameIs(name, 'upgrade')) scan.upgrade = true;
  return undefined;
}

/**
 * The framing rules of a response head (RFC 9112 §6.3, in its order of precedence) and its
 * persistence (RFC 9112 §9.3), given the request it answers (its method, and whether it offered an
 * Upgrade). `tabs[k]` is 1 when field k had an HTAB in its value or the OWS around it. `endAt` is
 * the section-relative position of the empty line that ends the head. Transfer-Encoding and
 * Content-Length are checked on every response, even one that cannot have content: they are
 * forwarded, and a downstream recipient must not be able to read them differently.
 */
export function checkResponseHeaders(
  headers: H1Header[],
  tabs: ArrayLike<number>,
  version: H1ResponseVersion,
  status: number,
  request: { method: string; upgrade: boolean },
  endAt: number,
): ResponseFraming | ResponseRefusal {
  const scan: ResponseScan = {
    cl: undefined,
    clIndex: -1,
    teIndex: -1,
    chunkedLast: false,
    chunkedCount: 0,
    close: false,
    ka: false,
    connUpgrade: false,
    upgrade: false,
  };
  for (let k = 0; k < headers.length; k++) {
    const refusal = scanResponseField(scan, headers[k][0], headers[k][1], tabs[k] === 1, k);
    if (refusal !== undefined) return refusal;
  }
  if (scan.teIndex >= 0) {
    if (version === '1.0') return { code: 'te-in-http10', at: scan.teIndex }; // RFC 9112 §6.1
    if (scan.clIndex >= 0) return { code: 'te-with-content-length', at: Math.max(scan.clIndex, scan.teIndex) };
  }
  let keepAlive = version === '1.1' ? !scan.close : scan.ka && !scan.close;
  let tunnel = false;
  let bodyKind: H1ResponseBodyKind;
  if (status === 101) {
    // RFC 9110 §15.2.2: only to a request that offered Upgrade, naming the protocol(s) switched to
    if (!request.upgrade) return { code: 'switching-not-requested', at: -STATUS_AT - 1 };
    if (!scan.upgrade || !scan.connUpgrade) return { code: 'upgrade-missing', at: -endAt - 1 };
    tunnel = true;
    bodyKind = 'none';
  } else if (status < 200) {
    return { interim: true, keepAlive: true, bodyKind: 'none', tunnel: false };
  } else if (request.method === 'CONNECT' && status < 300) {
    tunnel = true; // item 2: the connection becomes a tunnel after the header section
    bodyKind = 'none';
  } else if (request.method === 'HEAD' || status === 204 || status === 304) bodyKind = 'none'; // item 1
  else if (scan.teIndex >= 0) bodyKind = scan.chunkedLast ? 'chunked' : 'close'; // item 4
  else if (scan.cl !== undefined) bodyKind = 'length'; // item 6
  else bodyKind = 'close'; // item 8
  if (bodyKind === 'close' || tunnel) keepAlive = false;
  const framing: ResponseFraming = { interim: false, keepAlive, bodyKind, tunnel };
  if (bodyKind === 'length') framing.contentLength = scan.cl;
  return framing;
}
