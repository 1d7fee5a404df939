/**
 * Request semantics of HTTP/1.1 that are checked once a line or section is complete, on strings
 * rather than bytes: the form of the request-target (RFC 9112 §3.2) and the framing and semantic
 * rules of the header section (Content-Length, Transfer-Encoding, Host, Connection, Expect; RFC 9112
 * §3.2, §6, §9.3 and RFC 9110 §5.6, §7.2, §7.6.1, §8.6, §10.1.1).
 *
 * Pure functions of their arguments; the byte-level state machine that finds the strings lives in
 * parser.ts and turns the refusals returned here into error events with precise offsets.
 */
import { BACKSLASH, COMMA, DQUOTE, fieldNameIs, isDigits, isToken } from './chars.ts';
import type { H1BodyKind, H1ErrorCode, H1Header, H1TargetForm, H1Version } from './h1.types.ts';

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const AUTHORITY_FORM = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+;=%]+):[0-9]+$/;
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+;=%]*)(?::[0-9]*)?$/;

/** transfer-coding = token *( OWS ";" OWS token BWS "=" BWS ( token / quoted-string ) ) (RFC 9112 §7). */
export const TRANSFER_CODING =
  /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)((?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[^"\\]|\\.)*"))*)$/;

/** Transfer codings this proxy can frame or forward (RFC 9112 §7, IANA HTTP Transfer Coding registry). */
const KNOWN_CODINGS = new Set(['chunked', 'gzip', 'x-gzip', 'deflate', 'compress', 'x-compress']);

/**
 * The form of a request-target (RFC 9112 §3.2): asterisk-form `*`, origin-form (starts with '/'),
 * absolute-form (scheme "://"), authority-form (host:port); undefined if it is none of them.
 */
export function targetForm(target: string): H1TargetForm | undefined {
  if (target === '*') return 'asterisk';
  if (target.charCodeAt(0) === 47) return 'origin';
  if (ABSOLUTE_FORM.test(target)) return 'absolute';
  if (AUTHORITY_FORM.test(target)) return 'authority';
  return undefined;
}

/**
 * Which rule a request-target of form `form` breaks with `method`, or undefined if none: CONNECT
 * takes the authority-form and only CONNECT does (RFC 9112 §3.2.3), the asterisk-form is for OPTIONS
 * only (RFC 9112 §3.2.4), and an absolute-form target must not carry userinfo (RFC 9110 §4.2.4).
 */
export function targetRefusal(method: string, target: string, form: H1TargetForm): H1ErrorCode | undefined {
  if (method === 'CONNECT') return form === 'authority' ? undefined : 'target-connect-not-authority';
  if (form === 'authority') return 'target-authority-not-connect';
  if (form === 'asterisk' && method !== 'OPTIONS') return 'target-asterisk-not-options';
  if (form === 'absolute' && targetAuthority(target).includes('@')) return 'target-userinfo';
  return undefined;
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
export function listElements(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === BACKSLASH) i++;
      else if (c === DQUOTE) quoted = false;
    } else if (c === DQUOTE) quoted = true;
    else if (c === COMMA) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

/** The outcome of checkHeaders() for an acceptable header section. */
export interface HeadCheck {
  /** Whether the connection persists after this request (RFC 9112 §9.3). */
  keepAlive: boolean;
  /** How the body is framed (RFC 9112 §6.3). */
  bodyKind: H1BodyKind;
  /** The Content-Length, when bodyKind is 'length'. */
  contentLength?: number;
  /** Index of the first Content-Length field, or -1 (to point an error such as body-too-large at it). */
  clIndex: number;
  /** An HTTP/1.1 request with `Expect: 100-continue` (RFC 9110 §10.1.1). */
  expectContinue: boolean;
}

/**
 * A refusal found while checking the header section: which rule, and where. `at` is a field index
 * (>= 0), or for a rule about the section as a whole, -(section-relative position of its end) - 1.
 */
export interface Refusal {
  code: H1ErrorCode;
  at: number;
}

/**
 * The framing and semantic rules of a request header section (RFC 9112 §3.2, §6, §9.3; RFC 9110
 * §7.2, §8.6, §10.1.1). `endAt` is the section-relative position of the CR of the empty line that
 * ends the section. Returns the outcome, or a refusal (see Refusal for the meaning of `at`).
 */
export function checkHeaders(
  headers: H1Header[],
  version: H1Version,
  form: H1TargetForm,
  target: string,
  endAt: number,
): HeadCheck | Refusal {
  let cl: number | undefined;
  let clIndex = -1;
  let teIndex = -1;
  const codings: Coding[] = [];
  let hostIndex = -1;
  let close = false;
  let ka = false;
  let expectContinue = false;

  for (let k = 0; k < headers.length; k++) {
    const [name, value] = headers[k];
    if (fieldNameIs(name, 'content-length')) {
      const v = contentLength(value, cl);
      if (typeof v === 'string') return { code: v, at: k };
      cl = v;
      if (clIndex < 0) clIndex = k;
    } else if (fieldNameIs(name, 'transfer-encoding')) {
      if (teIndex < 0) teIndex = k;
      if (!addCodings(value, k, codings)) return { code: 'te-invalid', at: k };
    } else if (fieldNameIs(name, 'host')) {
      // RFC 9110 §7.2, RFC 9112 §3.2: one Host field, whose value is uri-host [ ":" port ]
      if (hostIndex >= 0) return { code: 'host-repeated', at: k };
      if (!HOST_VALUE.test(value)) return { code: 'host-invalid', at: k };
      hostIndex = k;
    } else if (fieldNameIs(name, 'connection')) {
      const opts = connectionOptions(value);
      if (opts < 0) return { code: 'connection-invalid', at: k };
      if (opts & CONN_CLOSE) close = true;
      if (opts & CONN_KEEP_ALIVE) ka = true;
    } else if (fieldNameIs(name, 'expect')) {
      if (version === '1.1' && value.toLowerCase() === '100-continue') expectContinue = true;
    }
  }

  let bodyKind: H1BodyKind = cl === undefined ? 'none' : 'length';
  if (teIndex >= 0) {
    const refusal = checkCodings(codings, version, teIndex, clIndex);
    if (refusal !== undefined) return refusal;
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

/** Why a Content-Length field is refused (the same codes on the request and the response side). */
export type ContentLengthRefusal = 'content-length-invalid' | 'content-length-overflow' | 'content-length-conflict';

/**
 * The value of a Content-Length field given the value `prev` of the earlier ones (undefined: none),
 * or why it is refused. "Content-Length: 5, 5" and repeated identical fields are one value;
 * differing ones are not (RFC 9110 §8.6, RFC 9112 §6.3). Shared by both sides' framing rules.
 */
export function contentLength(value: string, prev: number | undefined): number | ContentLengthRefusal {
  if (isDigits(value)) return lengthElement(value, prev); // the usual single number, not split
  let cl = prev;
  for (const el of listElements(value)) {
    const v = lengthElement(el, cl);
    if (typeof v === 'string') return v;
    cl = v;
  }
  return cl!; // listElements() returns at least one element
}

function lengthElement(el: string, prev: number | undefined): number | ContentLengthRefusal {
  if (!isDigits(el)) return 'content-length-invalid';
  const v = Number(el);
  if (!Number.isSafeInteger(v)) return 'content-length-overflow';
  if (prev !== undefined && v !== prev) return 'content-length-conflict';
  return v;
}

/** A transfer coding named in Transfer-Encoding field `at`. */
interface Coding {
  name: string;
  at: number;
}

/**
 * Appends the transfer codings of Transfer-Encoding field `k` to `codings` (RFC 9112 §6.1, §7);
 * false if one is malformed (chunked takes no parameters) or the field names none.
 */
function addCodings(value: string, k: number, codings: Coding[]): boolean {
  const before = codings.length;
  for (const el of listElements(value)) {
    if (el === '') continue; // empty list elements are ignored (RFC 9110 §5.6.1.2)
    const m = TRANSFER_CODING.exec(el);
    if (!m) return false;
    const coding = m[1].toLowerCase();
    if (coding === 'chunked' && m[2] !== '') return false;
    codings.push({ name: coding, at: k });
  }
  // A field line without any coding is read as "reset" by some implementations: refuse it.
  return codings.length > before;
}

/**
 * The Transfer-Encoding rules once every field is seen (RFC 9112 §6.1, §6.3): not in HTTP/1.0,
 * chunked exactly once and last, only codings we know, and never together with Content-Length.
 * `codings` is not empty (addCodings() refuses a field without any).
 */
function checkCodings(codings: Coding[], version: H1Version, teIndex: number, clIndex: number): Refusal | undefined {
  if (version === '1.0') return { code: 'te-in-http10', at: teIndex };
  let chunked = 0;
  for (const c of codings) {
    if (c.name === 'chunked' && ++chunked > 1) return { code: 'te-chunked-repeated', at: c.at };
  }
  const last = codings[codings.length - 1];
  if (last.name !== 'chunked') return { code: 'te-chunked-not-final', at: last.at };
  for (const c of codings) if (!KNOWN_CODINGS.has(c.name)) return { code: 'te-unsupported', at: c.at };
  if (clIndex >= 0) return { code: 'te-with-content-length', at: Math.max(clIndex, teIndex) };
  return undefined;
}

/** connectionOptions() bit: `close`. */
export const CONN_CLOSE = 1;
/** connectionOptions() bit: `keep-alive`. */
export const CONN_KEEP_ALIVE = 2;
/** connectionOptions() bit: `upgrade` (RFC 9110 §7.8). */
export const CONN_UPGRADE = 4;

/**
 * The options of a Connection field that matter to persistence and upgrades (RFC 9110 §7.6.1,
 * §7.8, RFC 9112 §9.3), matched ignoring case: CONN_CLOSE | CONN_KEEP_ALIVE | CONN_UPGRADE bits, or
 * -1 if an option is not a token. Shared by the request and response sides.
 */
export function connectionOptions(value: string): number {
  let opts = 0;
  for (const el of listElements(value)) {
    if (el === '') continue;
    if (!isToken(el)) return -1;
    if (fieldNameIs(el, 'close')) opts |= CONN_CLOSE;
    else if (fieldNameIs(el, 'keep-alive')) opts |= CONN_KEEP_ALIVE;
    else if (fieldNameIs(el, 'upgrade')) opts |= CONN_UPGRADE;
  }
  return opts;
}
