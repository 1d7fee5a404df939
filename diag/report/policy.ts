/**
 * What `flightbox report` removes, and the string-level redaction it applies to every part of a
 * snapshot and of the Markdown report. The snapshot writer already redacts (diag/redact.ts); the
 * report re-checks with everything it knows at report time:
 * - the always-secret headers (Authorization, Proxy-Authorization, Cookie, Set-Cookie) and the
 *   `redact-header` / `redact-query` names the snapshot's own configuration declares;
 * - passwords and keys in the configuration (diag/redact.ts redactConfigText);
 * - the user's `--redact <regex>` patterns;
 * - the values of environment variables the configuration references (`"${SECRET}"`), when the
 *   report runs in an environment that defines them (the snapshot never holds the environment,
 *   but an expanded value may have travelled into traffic).
 */
import {
  REDACTED,
  redactConfigText,
  redactMatches,
  redactNamesFromConfig,
  redactText,
  redactUrlsInText,
} from '../redact.ts';

/** Everything the report redacts beyond the built-in rules. */
export interface RedactPolicy {
  /** Extra secret header names (lower case), besides the always-redacted ones. */
  headers: string[];
  /** Secret query parameter names. */
  queries: string[];
  /** User patterns (`--redact`), each global. */
  patterns: RegExp[];
  /** Exact secret values (environment values referenced by the configuration), longest first. */
  literals: string[];
  /** Names of the environment variables whose values are in `literals` (never their values). */
  envNames: string[];
}

/** Shortest environment value treated as a secret (shorter ones, like `1` or `on`, would garble the text). */
export const MIN_ENV_SECRET = 6;

/**
 * Parses one `--redact` argument: a JavaScript regular expression, either bare (`tok_[0-9a-f]+`,
 * case-sensitive) or as `/source/flags` (`/api[-_]key=\w+/i`). The result always has the `g` flag.
 * Throws an Error saying which pattern is wrong and why, and what to do, when it does not compile
 * or can match the empty string.
 */
export function parseRedactPattern(text: string): RegExp {
  const slashed = /^\/(.+)\/([a-z]*)$/s.exec(text);
  const source = slashed ? slashed[1] : text;
  const flags = [...new Set(((slashed?.[2] ?? '') + 'g').split(''))].join('');
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (e) {
    throw new Error(`invalid --redact pattern '${text}': ${(e as Error).message}; give a JavaScript regular expression, e.g. --redact 'tok_[0-9a-f]+' or --redact '/secret=\\w+/i'`);
  }
  if (re.test('')) {
    throw new Error(`invalid --redact pattern '${text}': it matches the empty string, so it would not select a secret; make it match at least one character`);
  }
  re.lastIndex = 0;
  return re;
}

/** `${NAME}` and `$NAME` references in configuration text (HAProxy doc 2.3, environment variables). */
export function envReferences(configText: string): string[] {
  const names = new Set<string>();
  for (const m of configText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[-:][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1] ?? m[2]);
  return [...names];
}

/** Inputs of {@link buildPolicy}. */
export interface PolicyInput {
  /** The (already redacted) configuration text stored in the snapshot, if any. */
  configText?: string;
  /** `--redact` arguments, as typed (see {@link parseRedactPattern}). */
  patterns?: readonly string[];
  /** The environment the report runs in (default: none). */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Builds the policy for one snapshot: the redact-header / redact-query names of its configuration,
 * the parsed `--redact` patterns (throws like {@link parseRedactPattern}), and the values in `env` of
 * the variables its configuration references (at least {@link MIN_ENV_SECRET} characters).
 */
export function buildPolicy(input: PolicyInput): RedactPolicy {
  const names = redactNamesFromConfig(input.configText ?? '');
  const patterns = (input.patterns ?? []).map(parseRedactPattern);
  const literals: string[] = [];
  const envNames: string[] = [];
  for (const name of envReferences(input.configText ?? '')) {
    const v = input.env?.[name];
    if (v === undefined || v.length < MIN_ENV_SECRET || v.trim() === '') continue;
    envNames.push(name);
    if (!literals.includes(v)) literals.push(v);
  }
  literals.sort((a, b) => b.length - a.length);
  return { headers: names.headers, queries: names.queries, patterns, literals, envNames };
}

function redactLiterals(s: string, literals: readonly string[]): string {
  let out = s;
  for (const l of literals) if (out.includes(l)) out = out.split(l).join(REDACTED);
  return out;
}

/**
 * Redacts one free-text string (a message, a trace text, an object description, a Markdown
 * report): header lines and credentials (redactText), URLs (userinfo, the policy's query names),
 * the policy's literal values, then its patterns. Text without secrets comes back unchanged.
 */
export function redactString(s: string, policy: RedactPolicy): string {
  let out = redactText(s, { headers: policy.headers });
  out = redactUrlsInText(out, { queries: policy.queries });
  out = redactLiterals(out, policy.literals);
  return redactMatches(out, policy.patterns);
}

/**
 * Redacts configuration text: redactConfigText with the policy's names (line numbers kept), then the
 * literal values and patterns, comments included.
 */
export function redactConfig(text: string, policy: RedactPolicy): string {
  const out = redactLiterals(redactConfigText(text, { headers: policy.headers, queries: policy.queries }), policy.literals);
  return redactMatches(out, policy.patterns);
}

/** JSON keys whose string values are secrets whatever they hold (compared case-insensitively). */
const SECRET_KEYS = /^(?:password|passwd|pass|secret|token|api[-_]?key|private[-_]?key|credentials?|authorization|proxy-authorization|cookie|set-cookie)$/i;

/**
 * Redacts a JSON value: every string goes through {@link redactString}, and the string value of a
 * key named like a secret (`password`, `token`, `api_key`, a secret header name, ...) becomes
 * `<redacted>` entirely. Object keys themselves are kept. Returns a new value; the input is untouched.
 */
export function redactJsonValue(v: unknown, policy: RedactPolicy): unknown {
  const secretHeaders = new Set(policy.headers);
  const walk = (x: unknown, key?: string): unknown => {
    if (typeof x === 'string') {
      if (key !== undefined && (SECRET_KEYS.test(key) || secretHeaders.has(key.toLowerCase()))) return x === '' ? x : REDACTED;
      return redactString(x, policy);
    }
    if (Array.isArray(x)) return x.map((e) => walk(e));
    if (x !== null && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(x)) out[k] = walk(e, k);
      return out;
    }
    return x;
  };
  return walk(v);
}

/**
 * The secrets of the policy still present in `text` (for the report's final check): literal values
 * found, and patterns that still match outside `<redacted>` marks. Returns a description of each
 * hit that names the pattern by its position or the environment variable by its name, never the
 * secret itself nor the pattern's text (a pattern is often the secret written out).
 */
export function findLeaks(text: string, policy: RedactPolicy, what: string): string[] {
  const out: string[] = [];
  policy.literals.forEach((l) => {
    if (text.includes(l)) out.push(`${what}: the value of an environment variable referenced by the configuration (${policy.envNames.join(', ')})`);
  });
  const parts = text.split(REDACTED);
  policy.patterns.forEach((p, i) => {
    const re = new RegExp(p.source, p.flags.replace('g', ''));
    if (parts.some((part) => re.test(part))) out.push(`${what}: a match of --redact pattern #${i + 1}`);
  });
  return out;
}
