/**
 * Redaction: nothing secret leaves the process in a snapshot, a trace export or a bug report.
 * Authorization, Proxy-Authorization, Cookie and Set-Cookie values, the header and query parameter
 * names an operator configures as secret, TLS private keys and credentials in the configuration are
 * replaced by `<redacted>`. The environment is never written: `${VAR}` references in the
 * configuration are kept as written and never expanded.
 *
 * Every function here is pure and keeps everything it does not redact byte for byte, so a redacted
 * configuration still reads like the original and keeps its line numbers.
 */

/** What every redacted value is replaced with. */
export const REDACTED = '<redacted>';

/** Header names whose values are always redacted (RFC 9110 §11.6.2, §11.7.2; RFC 6265 §4). */
export const ALWAYS_REDACTED_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

/** Operator-configured names, in addition to the built-in ones. Matched case-insensitively. */
export interface RedactExtra {
  headers: string[];
  queries: string[];
}

function headerSet(extra: readonly string[] | undefined): Set<string> {
  const s = new Set(ALWAYS_REDACTED_HEADERS);
  for (const h of extra ?? []) s.add(h.toLowerCase());
  return s;
}

/**
 * Returns a copy of `headers` (same shape: a list of name/value pairs or a record) in which the
 * values of Authorization, Proxy-Authorization, Cookie, Set-Cookie and of `extra.headers` are
 * `<redacted>`. Names are compared case-insensitively (RFC 9110 §5.1); order and names are kept.
 */
export function redactHeaders(headers: [string, string][], extra?: Pick<RedactExtra, 'headers'>): [string, string][];
export function redactHeaders(headers: Record<string, string>, extra?: Pick<RedactExtra, 'headers'>): Record<string, string>;
export function redactHeaders(
  headers: [string, string][] | Record<string, string>,
  extra?: Pick<RedactExtra, 'headers'>,
): [string, string][] | Record<string, string> {
  const secret = headerSet(extra?.headers);
  if (Array.isArray(headers)) {
    return headers.map(([n, v]): [string, string] => [n, secret.has(n.toLowerCase()) ? REDACTED : v]);
  }
  const out: Record<string, string> = {};
  for (const [n, v] of Object.entries(headers)) out[n] = secret.has(n.toLowerCase()) ? REDACTED : v;
  return out;
}

function decodeQueryName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** Redacts the userinfo of `scheme://user:pass@host` and the values of `queries` in one URL-ish string. */
function redactUrlText(text: string, queries: ReadonlySet<string>): string {
  let out = text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]*)@/i, (_m, scheme: string) => `${scheme}${REDACTED}@`);
  if (queries.size === 0) return out;
  const q = out.indexOf('?');
  if (q === -1) return out;
  const hash = out.indexOf('#', q);
  const end = hash === -1 ? out.length : hash;
  const params = out
    .slice(q + 1, end)
    .split('&')
    .map((p) => {
      const eq = p.indexOf('=');
      if (eq === -1 || !queries.has(decodeQueryName(p.slice(0, eq)))) return p;
      return `${p.slice(0, eq + 1)}${REDACTED}`;
    });
  out = `${out.slice(0, q + 1)}${params.join('&')}${out.slice(end)}`;
  return out;
}

/**
 * Redacts a request target (origin-form `/p?a=1` or absolute-form `https://u:p@h/p?a=1`, RFC 9112
 * §3.2): the values of query parameters named in `extra.queries` (names compared
 * case-insensitively, after percent-decoding) and any userinfo (`user:pass@`) become `<redacted>`.
 * The rest of the target (path, other parameters, fragment, escaping) is kept exactly.
 */
export function redactUrl(target: string, extra?: Pick<RedactExtra, 'queries'>): string {
  // The usual request: origin-form (no userinfo possible) and nothing to look for in a query.
  const queries = extra?.queries;
  if (target.charCodeAt(0) === 0x2f && (queries === undefined || queries.length === 0 || target.indexOf('?') === -1)) return target;
  return redactUrlText(target, new Set((extra?.queries ?? []).map((n) => n.toLowerCase())));
}

// ---------------------------------------------------------------------------------------------
// Free text

const PEM_PRIVATE = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----([\s\S]*?)(-----END \1-----|$(?![\s\S]))/gi;

/** Replaces the body of every PEM private key block, keeping its BEGIN/END lines and line count. */
function redactPem(s: string): string {
  return s.replace(PEM_PRIVATE, (_m, label: string, body: string, end: string) => {
    const kept = body.replace(/[^\r\n]+/g, (line) => {
      const indent = /^[ \t]*/.exec(line)?.[0] ?? '';
      return line.trim() === '' ? line : indent + REDACTED;
    });
    return `-----BEGIN ${label}-----${kept}${end}`;
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function headerNamesRe(secret: ReadonlySet<string>): string {
  return [...secret].map(escapeRe).join('|');
}

/** Credentials after an auth scheme (RFC 9110 §11.4, RFC 7617, RFC 6750 §2.1): `Bearer <token68>`, `Basic <token68>`. */
const AUTH_SCHEME = /\b(Bearer|Basic)([ \t]+)([A-Za-z0-9\-._~+/]+=*)/gi;

/**
 * True when `token` after `scheme` looks like a credential rather than an English word ("Basic
 * setup", "Bearer tokens"): Basic credentials are base64 of "user:pass"; a bearer token is long or
 * carries a digit or punctuation.
 */
function isCredential(scheme: string, token: string): boolean {
  if (scheme.toLowerCase() === 'basic') {
    if (token.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return false;
    return Buffer.from(token, 'base64').toString('latin1').includes(':');
  }
  return token.length >= 16 || /[0-9\-._~+/=]/.test(token);
}

function redactAuthSchemes(s: string): string {
  if (!/bearer|basic/i.test(s)) return s;
  return s.replace(AUTH_SCHEME, (m, scheme: string, sp: string, token: string) =>
    isCredential(scheme, token) ? `${scheme}${sp}${REDACTED}` : m,
  );
}

/**
 * Last-resort scrub for free text (error messages, trace strings, reports): PEM private key bodies,
 * the values of `Authorization:`, `Proxy-Authorization:`, `Cookie:` and `Set-Cookie:` header lines
 * (plus `extra.headers`), the same names as JSON keys (`"cookie": "..."`), and the credentials after
 * `Bearer` / `Basic` (when they look like credentials, see redactConfigText). Everything else is kept. It cannot know every secret: structured data should
 * go through {@link redactHeaders} / {@link redactUrl} first.
 */
export function redactText(s: string, extra?: Pick<RedactExtra, 'headers'>): string {
  const secret = headerSet(extra?.headers);
  let out = s.includes('-----BEGIN') ? redactPem(s) : s;
  const lower = out.includes(':') ? out.toLowerCase() : '';
  if (lower !== '' && [...secret].some((n) => lower.includes(n))) {
    const re = textRegexes(headerNamesRe(secret));
    // Header lines: "Name: value" up to the end of the line (the name must not continue a longer word).
    out = out.replace(re.line, (_m, pre: string, n: string, sep: string) => `${pre}${n}${sep}${REDACTED}`);
    // JSON-ish: "name": "value"
    out = out.replace(re.json, (_m, key: string) => `${key}"${REDACTED}"`);
  }
  return redactAuthSchemes(out);
}

/** The compiled header-line and JSON-key expressions of redactText, per set of names (few sets exist). */
const TEXT_RE = new Map<string, { line: RegExp; json: RegExp }>();

function textRegexes(names: string): { line: RegExp; json: RegExp } {
  let re = TEXT_RE.get(names);
  if (!re) {
    if (TEXT_RE.size > 64) TEXT_RE.clear();
    re = {
      line: new RegExp(`(^|[^A-Za-z0-9_-])(${names})([ \\t]*:[ \\t]*)[^\\r\\n]*`, 'gi'),
      json: new RegExp(`("(?:${names})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'),
    };
    TEXT_RE.set(names, re);
  }
  return re;
}

// ---------------------------------------------------------------------------------------------
// Configuration text (HAProxy syntax, doc "2.2. Quoting and escaping")

interface Token {
  start: number;
  end: number;
  /** The word after quote removal and unescaping, for keyword matching. */
  word: string;
}

/** Splits one config line into words, honouring "", '' and backslash escapes; stops at a comment. */
function tokenize(line: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === ' ' || line[i] === '\t' || line[i] === '\r')) i++;
    if (i >= n || line[i] === '#') break;
    const start = i;
    let word = '';
    let quote = '';
    while (i < n) {
      const c = line[i];
      if (quote) {
        if (c === quote) quote = '';
        else if (c === '\\' && quote === '"' && i + 1 < n) word += line[++i];
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '\\' && i + 1 < n) word += line[++i];
      else if (c === ' ' || c === '\t' || c === '\r' || c === '#') break;
      else word += c;
      i++;
    }
    toks.push({ start, end: i, word });
  }
  return toks;
}

/** Actions whose first argument is a header name and whose next arguments are its value (HAProxy doc 4.2). */
const HEADER_ACTIONS = new Set(['set-header', 'add-header', 'replace-header', 'replace-value', 'early-hint']);
/**
 * Keywords whose next argument is a secret: userlist passwords (doc 3.4), bind ca-sign-pass (doc 5.1),
 * global cluster-secret (doc 3.1, QUIC retry tokens).
 */
const SECRET_KEYWORDS = new Set(['password', 'insecure-password', 'ca-sign-pass', 'cluster-secret']);
/** A value that is only environment references is kept: it reveals nothing, and is never expanded. */
const ENV_ONLY = /^"?(?:\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)+"?$/;

interface Edit {
  start: number;
  end: number;
  text: string;
}

function redactToken(line: string, t: Token, edits: Edit[]): void {
  if (ENV_ONLY.test(line.slice(t.start, t.end))) return;
  edits.push({ start: t.start, end: t.end, text: REDACTED });
}

/** Finds the edits for one line of configuration. */
function lineEdits(line: string, secret: ReadonlySet<string>, queries: ReadonlySet<string>, names: string): Edit[] {
  const toks = tokenize(line);
  const edits: Edit[] = [];
  const redacted = new Set<Token>();
  const redact = (t: Token): void => {
    if (redacted.has(t)) return;
    redacted.add(t);
    redactToken(line, t, edits);
  };
  const lower = toks.map((t) => t.word.toLowerCase());
  for (let i = 0; i < toks.length; i++) {
    const w = lower[i];
    if (HEADER_ACTIONS.has(w) && i + 1 < toks.length && secret.has(lower[i + 1])) {
      for (let j = i + 2; j < toks.length && lower[j] !== 'if' && lower[j] !== 'unless'; j++) redact(toks[j]);
    } else if (w === 'hdr' && i + 2 < toks.length && secret.has(lower[i + 1])) {
      redact(toks[i + 2]); // http-check send hdr <name> <value>
    } else if (SECRET_KEYWORDS.has(w) && i + 1 < toks.length) {
      redact(toks[i + 1]);
    }
  }
  if ((lower[0] === 'setenv' || lower[0] === 'presetenv') && toks.length > 2) {
    for (let j = 2; j < toks.length; j++) redact(toks[j]); // values put into the environment
  }
  if (lower[0] === 'stats' && lower[1] === 'auth' && toks.length > 2) {
    const t = toks[2];
    const raw = line.slice(t.start, t.end);
    const colon = raw.indexOf(':');
    if (colon !== -1 && !ENV_ONLY.test(raw.slice(colon + 1))) edits.push({ start: t.start + colon + 1, end: t.end, text: REDACTED });
    else if (colon === -1) redactToken(line, t, edits);
    redacted.add(t);
  }
  // Inside every other word: URLs (userinfo, secret query parameters) and inline "Name: value"
  // headers (old `option httpchk` strings, where `\r\n` and `\ ` are written escaped).
  const inline = new RegExp(`^((?:[^]*?(?:[^A-Za-z0-9_\\\\-]|\\\\[rn]))?(?:${names}):(?:\\\\ |[ \\t])*)[^]+$`, 'i');
  for (const t of toks) {
    if (redacted.has(t)) continue;
    const raw = line.slice(t.start, t.end);
    // Work inside matching outer quotes so they survive.
    const quoted = raw.length >= 2 && (raw[0] === '"' || raw[0] === "'") && raw[raw.length - 1] === raw[0];
    const inner = quoted ? raw.slice(1, -1) : raw;
    let next = redactUrlText(inner, queries);
    next = next.replace(inline, (_m, head: string) => `${head}${REDACTED}`);
    if (next !== inner) edits.push({ start: t.start, end: t.end, text: quoted ? raw[0] + next + raw[0] : next });
  }
  return edits;
}

/**
 * Redacts configuration text while keeping it readable and its line numbers unchanged:
 * - PEM private key blocks: the body becomes `<redacted>` (BEGIN/END lines kept);
 * - `set-header`, `add-header`, `replace-header`, `replace-value`, `early-hint` of Authorization,
 *   Proxy-Authorization, Cookie, Set-Cookie or an `extra.headers` name: the value words (up to
 *   `if`/`unless`) become `<redacted>`; likewise `http-check send hdr <name> <value>`;
 * - `password`, `insecure-password` (userlist `user` lines), `ca-sign-pass` and `cluster-secret`: the next word;
 * - `stats auth <user>:<password>`: the password;
 * - `setenv` / `presetenv` (global): the value (it goes into the environment);
 * - URLs in any word: userinfo and the values of `extra.queries` parameters;
 * - inline `Authorization: ...` style headers inside a word (old `option httpchk` strings);
 * - `Bearer` / `Basic` credentials anywhere, comments included (only what looks like a credential:
 *   base64 of `user:pass` for Basic; 16+ characters, or a digit or punctuation, for Bearer).
 * A value that is only `${VAR}` / `$VAR` references is kept as written: the environment is never
 * expanded nor written. Header names are matched case-insensitively.
 */
export function redactConfigText(text: string, extra?: Partial<RedactExtra>): string {
  const secret = headerSet(extra?.headers);
  const queries = new Set((extra?.queries ?? []).map((q) => q.toLowerCase()));
  const names = headerNamesRe(secret);
  const lines = redactPem(text).split('\n');
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li];
    const edits = lineEdits(line, secret, queries, names).sort((a, b) => b.start - a.start);
    let out = line;
    for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
    lines[li] = redactAuthSchemes(out);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Free text of reports (flightbox report): URLs inside text, configured names, user patterns

const USERINFO_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s"'<>]+)@/gi;
const QUERY_PARAM_IN_TEXT = /(^|[?&;\s])([^=&#?\s"'<>;]+)=([^&#\s"'<>;]*)/g;

/**
 * Redacts URLs found anywhere in free text (request lines such as `GET /p?token=abc HTTP/1.1`, log
 * lines, messages): the userinfo of `scheme://user:pass@host` and the values of query parameters
 * named in `extra.queries` (names compared case-insensitively after percent-decoding, RFC 3986 §3.4)
 * become `<redacted>`; a `name=value` pair standing alone in the text (after a space) counts too. Everything else is kept byte for byte. Use {@link redactUrl} when the text is
 * exactly one request target.
 */
export function redactUrlsInText(s: string, extra?: Pick<RedactExtra, 'queries'>): string {
  let out = s.includes('://') ? s.replace(USERINFO_IN_TEXT, (_m, scheme: string) => `${scheme}${REDACTED}@`) : s;
  const queries = new Set((extra?.queries ?? []).map((q) => q.toLowerCase()));
  if (queries.size === 0 || !out.includes('=')) return out;
  out = out.replace(QUERY_PARAM_IN_TEXT, (m, sep: string, name: string, value: string) =>
    value !== '' && value !== REDACTED && queries.has(decodeQueryName(name)) ? `${sep}${name}=${REDACTED}` : m,
  );
  return out;
}

/**
 * The secret header and query parameter names an operator declared in configuration text (`global`
 * keywords `redact-header <name>...` and `redact-query <name>...`, repeatable; quotes honoured,
 * comments ignored). Header names are lower-cased; query names are kept as written (they are
 * compared case-insensitively anyway). Used to redact a snapshot with the names its writer used.
 */
export function redactNamesFromConfig(text: string): RedactExtra {
  const out: RedactExtra = { headers: [], queries: [] };
  for (const line of text.split('\n')) {
    const toks = tokenize(line);
    const kw = toks[0]?.word.toLowerCase();
    if (kw !== 'redact-header' && kw !== 'redact-query') continue;
    for (const t of toks.slice(1)) {
      const name = kw === 'redact-header' ? t.word.toLowerCase() : t.word;
      const list = kw === 'redact-header' ? out.headers : out.queries;
      if (name !== '' && !list.includes(name)) list.push(name);
    }
  }
  return out;
}

/**
 * Replaces every match of each of `patterns` (applied in order, each as if it had the `g` flag) by
 * `<redacted>`. Empty matches are ignored, so a pattern that can match nothing cannot garble the text;
 * the `<redacted>` marks already in `s` are left alone (a pattern never matches inside or across one).
 */
export function redactMatches(s: string, patterns: readonly RegExp[]): string {
  if (patterns.length === 0) return s;
  const global = patterns.map((p) => (p.global ? p : new RegExp(p.source, p.flags + 'g')));
  // Work between the `<redacted>` marks (those there before and those each pattern adds), so a
  // pattern cannot match inside one.
  let out = s;
  for (const re of global) {
    out = out
      .split(REDACTED)
      .map((part) => {
        re.lastIndex = 0;
        return part.replace(re, (m) => (m === '' ? m : REDACTED));
      })
      .join(REDACTED);
  }
  return out;
}
