/**
 * HTTP message rules of HTTP/3 (RFC 9114 §4.1.2, §4.2, §4.3): validation of a received request
 * header section and trailers, and preparation of response fields for encoding.
 *
 * A request is malformed (stream error H3_MESSAGE_ERROR, §4.1.2) when:
 * - a field name has an uppercase letter or a character outside RFC 9110 §5.1's token (§4.2), or a
 *   value has NUL, CR or LF (RFC 9110 §5.5);
 * - it has a connection-specific field (connection, keep-alive, proxy-connection,
 *   transfer-encoding, upgrade), or TE with another value than "trailers" (§4.2);
 * - a pseudo-header field follows a regular field, is unknown, repeated, or is :status (§4.3);
 * - :method is missing; for CONNECT (§4.4) :authority is missing or :scheme/:path present;
 *   otherwise :scheme or :path is missing, :path is empty, or for http/https neither :authority
 *   nor Host is present, either is empty, or they differ (§4.3.1);
 * - content-length is not a decimal number or has differing values (§4.1.2).
 */
import type { FieldLine } from '../qpack/qpack.types.ts';
import type { H3Request } from './h3.types.ts';

/** Connection-specific fields forbidden in HTTP/3 (RFC 9114 §4.2, RFC 9110 §7.6.1). */
export const CONNECTION_SPECIFIC_FIELDS: readonly string[] = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

const REQUEST_PSEUDO = new Set([':method', ':scheme', ':authority', ':path', ':protocol']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const BAD_VALUE = /[\0\r\n]/;

/** Outcome of validating a request header section: the request, or why it is malformed. */
export type RequestCheck = { readonly ok: true; readonly request: H3Request } | { readonly ok: false; readonly message: string };

/** Validates a decoded request header section (see module doc). Never throws. */
export function checkRequestHeaders(fields: readonly FieldLine[]): RequestCheck {
  const pseudo = new Map<string, string>();
  const headers: FieldLine[] = [];
  let regularSeen = false;
  let host: string | undefined;
  let contentLength: number | undefined;
  for (const f of fields) {
    if (f.name.startsWith(':')) {
      if (regularSeen) return bad(`pseudo-header field ${f.name} after a regular field (RFC 9114 §4.3)`);
      if (!REQUEST_PSEUDO.has(f.name)) return bad(`pseudo-header field ${f.name} is not allowed in a request (RFC 9114 §4.3.1)`);
      if (pseudo.has(f.name)) return bad(`pseudo-header field ${f.name} appears twice (RFC 9114 §4.3.1)`);
      if (BAD_VALUE.test(f.value)) return bad(`${f.name} has a NUL, CR or LF in its value`);
      pseudo.set(f.name, f.value);
      continue;
    }
    regularSeen = true;
    const e = checkField(f);
    if (e) return bad(e);
    if (f.name === 'te' && f.value.trim().toLowerCase() !== 'trailers') return bad(`TE: "${f.value}" is not allowed, only "trailers" (RFC 9114 §4.2)`);
    if (f.name === 'host') host = f.value;
    if (f.name === 'content-length') {
      const cl = parseContentLength(f.value);
      if (cl === undefined || (contentLength !== undefined && cl !== contentLength)) return bad(`content-length "${f.value}" is invalid or conflicts (RFC 9114 §4.1.2)`);
      contentLength = cl;
    }
    headers.push(f);
  }
  const method = pseudo.get(':method');
  if (method === undefined || method === '') return bad(':method is missing (RFC 9114 §4.3.1)');
  const scheme = pseudo.get(':scheme');
  const authority = pseudo.get(':authority');
  const path = pseudo.get(':path');
  if (pseudo.has(':protocol')) return bad(':protocol needs extended CONNECT (RFC 9220), not supported');
  if (method === 'CONNECT') {
    if (authority === undefined || authority === '') return bad('CONNECT without :authority (RFC 9114 §4.4)');
    if (scheme !== undefined || path !== undefined) return bad('CONNECT with :scheme or :path (RFC 9114 §4.4)');
  } else {
    if (scheme === undefined || scheme === '') return bad(':scheme is missing (RFC 9114 §4.3.1)');
    if (path === undefined || path === '') return bad(':path is missing or empty (RFC 9114 §4.3.1)');
    if (scheme === 'http' || scheme === 'https') {
      if (authority === undefined && host === undefined) return bad(`:scheme ${scheme} needs :authority or Host (RFC 9114 §4.3.1)`);
      if (authority === '' || host === '') return bad(':authority or Host is empty (RFC 9114 §4.3.1)');
      if (authority !== undefined && host !== undefined && authority !== host) return bad(`:authority "${authority}" and Host "${host}" differ (RFC 9114 §4.3.1)`);
      if (path !== '*' && !path.startsWith('/')) return bad(`:path "${path}" must start with "/" (RFC 9114 §4.3.1)`);
      if (path === '*' && method !== 'OPTIONS') return bad(':path "*" is only for OPTIONS (RFC 9114 §4.3.1)');
    }
  }
  const request: H3Request = { method, headers };
  return {
    ok: true,
    request: {
      ...request,
      ...(scheme !== undefined ? { scheme } : {}),
      ...(authority !== undefined ? { authority } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(contentLength !== undefined ? { contentLength } : {}),
    },
  };
}

/** Validates a trailer section: no pseudo-header fields (RFC 9114 §4.3) and the §4.2 field rules. */
export function checkTrailers(fields: readonly FieldLine[]): string | undefined {
  for (const f of fields) {
    if (f.name.startsWith(':')) return `pseudo-header field ${f.name} in trailers (RFC 9114 §4.3)`;
    const e = checkField(f);
    if (e) return e;
  }
  return undefined;
}

/** The §4.2 rules for one regular field; a message when it is malformed. */
export function checkField(f: FieldLine): string | undefined {
  if (!TOKEN.test(f.name)) {
    return /[A-Z]/.test(f.name) ? `field name "${f.name}" has uppercase characters (RFC 9114 §4.2)` : `field name "${f.name}" has characters outside a token (RFC 9110 §5.1)`;
  }
  if (BAD_VALUE.test(f.value)) return `field ${f.name} has a NUL, CR or LF in its value (RFC 9110 §5.5)`;
  if (CONNECTION_SPECIFIC_FIELDS.includes(f.name)) return `connection-specific field ${f.name} (RFC 9114 §4.2)`;
  return undefined;
}

/** A content-length value (RFC 9110 §8.6): digits, possibly a list of equal values; undefined if invalid. */
export function parseContentLength(v: string): number | undefined {
  let out: number | undefined;
  for (const part of v.split(',')) {
    const s = part.trim();
    if (!/^[0-9]{1,15}$/.test(s)) return undefined;
    const n = Number(s);
    if (out !== undefined && out !== n) return undefined;
    out = n;
  }
  return out;
}

/**
 * Response fields as sent: `:status` first, then `headers` with names lowercased (§4.2) and
 * connection-specific fields dropped (an intermediary MUST remove them, §4.2); pseudo-header fields
 * in `headers` are dropped too (a response has only :status, §4.3.2).
 */
export function responseFieldLines(status: number, headers: readonly FieldLine[]): FieldLine[] {
  const out: FieldLine[] = [{ name: ':status', value: String(status) }];
  for (const h of headers) {
    const name = h.name.toLowerCase();
    if (name.startsWith(':') || CONNECTION_SPECIFIC_FIELDS.includes(name)) continue;
    if (name === 'te') continue;
    out.push(h.neverIndex ? { name, value: h.value, neverIndex: true } : { name, value: h.value });
  }
  return out;
}

/** Size of a field section as RFC 9114 §4.2.2 counts it: name + value + 32 per line. */
export function fieldSectionSize(fields: readonly FieldLine[]): number {
  let n = 0;
  for (const f of fields) n += f.name.length + f.value.length + 32;
  return n;
}

function bad(message: string): RequestCheck {
  return { ok: false, message };
}
