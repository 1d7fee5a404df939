/**
 * Byte-level character classes of HTTP/1.1 (RFC 9110 §5.5, §5.6.2; RFC 9112 §3.2), as a 256-entry
 * table of bit flags so that the parser's state machine tests a byte with one load and one AND, and
 * the byte values it compares against, by name.
 *
 * Everything here is plain data (a table, numbers, a regular expression) except hexValue(), called
 * once per hex digit of a chunk size. The byte loops (parser.ts, response-parser.ts, field-scanner.ts,
 * body-decoder.ts) copy what they use into module-local consts (see parser.ts why): keep these
 * constant.
 */

/** CLASS flag: tchar, a byte allowed in a token (RFC 9110 §5.6.2): method, field name, chunk-ext. */
export const TCHAR = 1;
/** CLASS flag: field-vchar, VCHAR or obs-text: a field value byte other than SP/HTAB (RFC 9110 §5.5). */
export const FVCHAR = 2;
/** CLASS flag: 0x21..0x7E, the bytes HAProxy accepts in a request-target (RFC 9112 §3.2). */
export const TARGET = 4;
/** CLASS flag: HEXDIG, a chunk-size digit (RFC 9112 §7.1). */
export const HEX = 8;

/** Character classes of every byte value: `CLASS[c] & TCHAR` etc. (flags above). Never modified. */
export const CLASS = new Uint8Array(256);
for (let c = 0x21; c <= 0x7e; c++) CLASS[c] |= FVCHAR | TARGET;
for (let c = 0x80; c <= 0xff; c++) CLASS[c] |= FVCHAR;
for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  CLASS[ch.charCodeAt(0)] |= TCHAR;
}
for (const ch of '0123456789abcdefABCDEF') CLASS[ch.charCodeAt(0)] |= HEX;

/** Carriage return: the first byte of CRLF, the only line ending accepted (RFC 9112 §2.2). */
export const CR = 13;
/** Line feed: a bare LF (not preceded by CR) is refused (RFC 9112 §2.2). */
export const LF = 10;
/** Space: the request-line separator (RFC 9112 §3), and OWS in field values (RFC 9110 §5.6.3). */
export const SP = 32;
/** Horizontal tab: OWS/BWS in field values and chunk extensions (RFC 9110 §5.6.3). */
export const HTAB = 9;
/** ':' ending a field name (RFC 9112 §5). */
export const COLON = 58;
/** ';' starting a chunk extension (RFC 9112 §7.1.1). */
export const SEMI = 59;
/** '=' between a chunk-ext name and its value (RFC 9112 §7.1.1). */
export const EQUALS = 61;
/** '"' delimiting a quoted-string (RFC 9110 §5.6.4). */
export const DQUOTE = 34;
/** '\' starting a quoted-pair inside a quoted-string (RFC 9110 §5.6.4). */
export const BACKSLASH = 92;
/** '#' starting a fragment, which a request-target must not carry (RFC 9112 §3.2). */
export const HASH = 35;
/** ',' separating list elements (RFC 9110 §5.6.1). */
export const COMMA = 44;

/** A whole string that is a token (RFC 9110 §5.6.2): 1*tchar. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/*
 * String checks for the writers and the framing rules, as loops over CLASS rather than regular
 * expressions: they run several times per forwarded message on short strings, where a RegExp call
 * (and the last-match state it writes) costs more than the loop.
 */

/** True if `s` is a token (RFC 9110 §5.6.2): 1*tchar, the TOKEN expression. */
export function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || (CLASS[c] & TCHAR) === 0) return false;
  }
  return true;
}

/**
 * True if every character of `s` may appear in a field value or a reason phrase: HTAB, SP, VCHAR or
 * obs-text (RFC 9110 §5.5, RFC 9112 §4); true for ''. Refuses CR, LF, NUL, other controls, DEL and
 * anything above U+00FF (not Latin-1).
 */
export function isFieldText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || !((CLASS[c] & FVCHAR) !== 0 || c === SP || c === HTAB)) return false;
  }
  return true;
}

/** True if `s` is 1*DIGIT (RFC 9110 §8.6 Content-Length). */
export function isDigits(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * True if field name `name` equals `lower`, a lower-case name, ignoring ASCII case (RFC 9110 §5.1).
 * Allocation-free: toLowerCase() makes a string of every mixed-case name, and this runs for every
 * field of every head, several times.
 */
export function fieldNameIs(name: string, lower: string): boolean {
  const n = lower.length;
  if (name.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    const l = lower.charCodeAt(i);
    if (c !== l && !(l >= 0x61 && l <= 0x7a && c === l - 0x20)) return false;
  }
  return true;
}

/** The value of a hex digit byte; `c` must have the HEX class (callers test it first). */
export function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 0x20) - 87;
}
