/**
 * Types of the ACL engine (HAProxy configuration manual, section 7 "Using ACLs and fetching
 * samples"). No logic here: the modules of this folder compile `acl` lines and `if`/`unless`
 * conditions into these values and evaluate them against a {@link RequestContext}.
 *
 * Vocabulary, as HAProxy's:
 * - a *fetch* extracts a *sample* from the request (`path`, `hdr(host)`, `src`, ...), 7.3;
 * - a *match method* compares samples with *patterns* (`str`, `beg`, `int`, `ip`, ...), 7.1;
 * - an *ACL expression* is one fetch + flags + patterns; an *ACL* is a named list of expressions
 *   (several `acl` lines with one name are OR-ed together), 7.1;
 * - a *condition* is a disjunction of conjunctions of possibly negated ACLs, 7.2.
 */
import type { SourceRef } from '../config/config.types.ts';
import type { H1Header, H1Version } from '../h1/h1.types.ts';
import type { TrackedEntry } from '../stick/track.ts';

/**
 * Header lookups the header fetches need. An {@link H1HeadEvent} satisfies it as is. `headers`
 * (every field line in order) is only needed by the name-less forms (`hdr`, `hdr_cnt` without a
 * name); without it those fetches find nothing.
 */
export interface AclHeaders {
  /** First value of the named field (name matched case-insensitively), or undefined. */
  get(name: string): string | undefined;
  /** Every value of the named field, one entry per field line, in order. */
  getAll(name: string): string[];
  /** Every field line in order, names as received. */
  readonly headers?: readonly H1Header[];
}

/**
 * What an ACL is evaluated against: one HTTP request and the connection that carried it. Pure
 * data, no sockets; see `requestContextFromHead()` in ./context.ts to build one from a parsed head.
 */
export interface RequestContext {
  /** Request method as received (`GET`). */
  method: string;
  /**
   * HAProxy's `path` (7.3.6): from the first slash of the target up to the `?` (the host part of an
   * absolute-form target excluded); `*` for the asterisk-form; undefined when the target has no
   * path (authority-form), in which case the path fetches find no sample.
   */
  path: string | undefined;
  /** Text after the first `?` of the target (may be empty); undefined when there is no `?`. */
  query: string | undefined;
  /** The request-target exactly as received; when absent, `path` + (`?` + `query`) is used. */
  url?: string;
  /** HTTP version of the request line, as `req.ver` returns it. */
  version: H1Version;
  headers: AclHeaders;
  /** Client IP address as the socket reports it (`127.0.0.1`, `::1`, `::ffff:10.0.0.1`). */
  src: string;
  srcPort: number;
  /** Local port the connection was accepted on. */
  dstPort: number;
  /** Whether the connection is TLS (`ssl_fc`). */
  ssl: boolean;
  /** TLS SNI sent by the client, if any (`ssl_fc_sni`). */
  sni?: string;
  /**
   * The stream's tracked counters (`track-sc0..2`, the connection's as fallback), read by the
   * `sc_*` / `sc<n>_*` fetches (proxy/acl/stick-fetches.ts); absent: nothing tracked.
   */
  stk?: { tracked(n: number): TrackedEntry | undefined };
  /**
   * The stick-table of the proxy whose rules are evaluated: the default table of the `src_*` and
   * `table_*` fetches without a table argument (HAProxy: "the current proxy's table").
   */
  stkTable?: string;
}

/** Output type of a fetch (7.1 "Sample fetch methods return data which can be of the following types"). */
export type SampleType = 'bool' | 'int' | 'ip' | 'str' | 'meth';

/**
 * One fetched value: boolean for `bool`, integer for `int`, the address text for `ip`, text for
 * `str` and `meth`.
 */
export type SampleValue = string | number | boolean;

/**
 * Pattern matching methods (7.1, the `-m` flag). `meth` is internal: the default of the `method`
 * fetch (HTTP method match), never written after `-m`.
 */
export type MatchMethod =
  | 'found'
  | 'bool'
  | 'int'
  | 'ip'
  | 'len'
  | 'str'
  | 'beg'
  | 'sub'
  | 'dir'
  | 'dom'
  | 'end'
  | 'reg'
  | 'meth';

/** A parsed fetch argument (`hdr(host,2)` gives `['host', 2]`); undefined when omitted. */
export type FetchArg = string | number | undefined;

/** A compiled set of patterns for one match method; see ./match.ts. */
export interface PatternMatcher {
  readonly method: MatchMethod;
  /** Number of patterns loaded (inline and from files). */
  readonly count: number;
  /** True if `value` (of sample type `type`) matches at least one pattern. */
  test(value: SampleValue, type: SampleType): boolean;
}

/** One compiled ACL expression: `<fetch> [flags] [patterns]`. */
export interface AclExpr {
  /** The fetch keyword as written, arguments included (`hdr_beg(host)`). */
  readonly keyword: string;
  /** Extracts the samples; an empty list means "no sample" (the expression cannot match). */
  readonly fetch: (ctx: RequestContext) => readonly SampleValue[];
  readonly sampleType: SampleType;
  readonly matcher: PatternMatcher;
  /** `-u <id>` if given. */
  readonly uniqueId: number | undefined;
  /** Where the expression was written. */
  readonly where: SourceRef;
}

/**
 * A named ACL: the OR of its expressions (7.1: several `acl` lines with the same name). Anonymous
 * ACLs (`{ ... }` in a condition) have an empty name. `exprs` grows when a later line adds to the
 * same name, and conditions compiled earlier see the addition, as in HAProxy.
 */
export interface Acl {
  readonly name: string;
  readonly exprs: AclExpr[];
  /** True for HAProxy's pre-defined ACLs (7.4): TRUE, METH_GET, LOCALHOST, ... */
  readonly predefined: boolean;
}

/** The named ACLs of one proxy section, by name (names are case-sensitive, 7.1). */
export type AclTable = Map<string, Acl>;

/** One operand of a condition: an ACL, possibly negated with `!`. */
export interface AclTerm {
  readonly acl: Acl;
  readonly negated: boolean;
}

/**
 * A compiled `if|unless <condition>` (7.2): `suites` is a disjunction (`||` / `or`) of
 * conjunctions (implicit AND) of terms. An empty `suites` never matches, so an empty `if` is
 * false and an empty `unless` is true, as in HAProxy.
 */
export interface AclCondition {
  readonly polarity: 'if' | 'unless';
  readonly suites: readonly (readonly AclTerm[])[];
  readonly where: SourceRef;
  /** The condition's words as written, `if`/`unless` included, joined by spaces (for display). */
  readonly text: string;
}

/** Options of the compilers. */
export interface AclCompileOptions {
  /** Directory against which `-f` pattern files are resolved; default `process.cwd()`. */
  cwd?: string;
}

/** A compiled ACL line, or why it was refused (HAProxy's message, without `[ALERT]` and location). */
export type CompileAclResult = { acl: Acl; warnings: string[] } | { error: string };

/** A compiled condition, or why it was refused (HAProxy's message, without `[ALERT]` and location). */
export type CompileConditionResult = { cond: AclCondition; warnings: string[] } | { error: string };
