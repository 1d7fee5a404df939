/**
 * Conditions: `if|unless <condition>` after an action (HAProxy configuration manual, 7.2 "Using
 * ACLs to form conditions"; `parse_acl_cond()` in src/acl.c), and HAProxy's pre-defined ACLs (7.4).
 *
 * A condition is in disjunctive form: `[!]acl1 [!]acl2 ... { or | || } [!]acl3 ...`. ACLs side by
 * side are AND-ed, `or`/`||` (`or` in any case) separate the OR-ed groups, so AND binds tighter
 * than OR; `!` negates the ACL it is glued to or stands before (several `!` toggle). `{ <fetch>
 * [flags] [patterns] }` is an anonymous ACL; braces must be words of their own. A name is looked
 * up among the section's ACLs first, then among the pre-defined ACLs; ACLs must be declared before
 * the condition that uses them.
 */
import type { SourceRef } from '../config/config.types.ts';
import type {
  Acl,
  AclCompileOptions,
  AclCondition,
  AclTable,
  AclTerm,
  CompileConditionResult,
  RequestContext,
} from './acl.types.ts';
import { evaluateAcl } from './acl.ts';
import { parseAclExpr } from './expr.ts';

/**
 * The pre-defined ACLs (7.4), as HAProxy's `default_acl_list` in src/acl.c (LOCALHOST includes
 * `::1` and HTTP_2.0 / HTTP_3.0 exist, as in current HAProxy).
 */
export const PREDEFINED_ACLS: Readonly<Record<string, readonly string[]>> = {
  TRUE: ['always_true'],
  FALSE: ['always_false'],
  LOCALHOST: ['src', '127.0.0.1/8', '::1'],
  HTTP: ['req.proto_http'],
  'HTTP_1.0': ['req.ver', '1.0'],
  'HTTP_1.1': ['req.ver', '1.1'],
  'HTTP_2.0': ['req.ver', '2.0'],
  'HTTP_3.0': ['req.ver', '3.0'],
  METH_CONNECT: ['method', 'CONNECT'],
  METH_DELETE: ['method', 'DELETE'],
  METH_GET: ['method', 'GET', 'HEAD'],
  METH_HEAD: ['method', 'HEAD'],
  METH_OPTIONS: ['method', 'OPTIONS'],
  METH_POST: ['method', 'POST'],
  METH_PUT: ['method', 'PUT'],
  METH_TRACE: ['method', 'TRACE'],
  HTTP_URL_ABS: ['url_reg', '^[^/:]*://'],
  HTTP_URL_SLASH: ['url_beg', '/'],
  HTTP_URL_STAR: ['url', '*'],
  HTTP_CONTENT: ['req.hdr_val(content-length)', 'gt', '0'],
};

/** Pre-defined ACLs of HAProxy that need fetches Flightbox does not have yet. */
const UNSUPPORTED_PREDEFINED = ['RDP_COOKIE', 'REQ_CONTENT', 'WAIT_END'];

const PREDEFINED_WHERE: SourceRef = { file: '<predefined>', line: 0 };
const predefinedCache = new Map<string, Acl>();

/** The pre-defined ACL `name`, compiled once; undefined if there is none. */
export function predefinedAcl(name: string): Acl | undefined {
  const cached = predefinedCache.get(name);
  if (cached) return cached;
  if (!Object.hasOwn(PREDEFINED_ACLS, name)) return undefined;
  const parsed = parseAclExpr(PREDEFINED_ACLS[name], PREDEFINED_WHERE);
  if ('error' in parsed) throw new Error(`pre-defined ACL ${name} does not compile: ${parsed.error}`);
  const acl: Acl = { name, exprs: [parsed.expr], predefined: true };
  predefinedCache.set(name, acl);
  return acl;
}

/** Finds a named ACL: the section's first, then the pre-defined ones; or HAProxy's error. */
function lookup(name: string, acls: AclTable): Acl | string {
  const acl = acls.get(name) ?? predefinedAcl(name);
  if (acl) return acl;
  if (UNSUPPORTED_PREDEFINED.includes(name)) return `pre-defined ACL '${name}' is not supported by Flightbox yet`;
  const hint = name === 'and' || name === '&&' ? ' (AND is implicit: write the ACLs one after the other)' : '';
  return `no such ACL : '${name}'${hint}`;
}

/**
 * Compiles `tokens` = `if|unless <condition words...>` against the section's named ACLs. Returns the
 * condition with the warnings of its anonymous ACLs, or HAProxy's message (`no such ACL : 'foo'`,
 * `missing closing '}' in condition`, an anonymous ACL's expression error, ...), which the caller
 * wraps in its keyword's wording.
 */
export function compileCondition(
  tokens: readonly string[],
  acls: AclTable,
  where: SourceRef,
  options: AclCompileOptions = {},
): CompileConditionResult {
  const polarity = tokens[0];
  if (polarity !== 'if' && polarity !== 'unless') return { error: `conditions must start with either 'if' or 'unless'` };
  const suites: AclTerm[][] = [];
  const warnings: string[] = [];
  let suite: AclTerm[] | undefined;
  let negated = false;
  for (let i = 1; i < tokens.length; i++) {
    let word = tokens[i];
    while (word.startsWith('!')) {
      negated = !negated;
      word = word.slice(1);
    }
    if (word === '') continue; // a lone '!' applies to the next word
    if (word.toLowerCase() === 'or' || word === '||') {
      suite = undefined;
      negated = false;
      continue;
    }
    let acl: Acl;
    if (word === '{') {
      const close = tokens.indexOf('}', i + 1);
      if (close < 0) return { error: `missing closing '}' in condition` };
      const parsed = parseAclExpr(tokens.slice(i + 1, close), where, options);
      if ('error' in parsed) return { error: parsed.error };
      warnings.push(...parsed.warnings);
      acl = { name: '', exprs: [parsed.expr], predefined: false };
      i = close;
    } else {
      const found = lookup(word, acls);
      if (typeof found === 'string') return { error: found };
      acl = found;
    }
    if (!suite) {
      suite = [];
      suites.push(suite);
    }
    suite.push({ acl, negated });
    negated = false;
  }
  if (suites.length === 0) warnings.push(`empty condition after '${polarity}': it is ${polarity === 'if' ? 'never' : 'always'} true`);
  return { cond: { polarity, suites, where, text: tokens.join(' ') }, warnings };
}

/** The condition's value before its polarity: OR over suites of AND over (possibly negated) ACLs. */
export function conditionMatches(cond: AclCondition, ctx: RequestContext): boolean {
  return cond.suites.some((suite) => suite.every((t) => evaluateAcl(t.acl, ctx) !== t.negated));
}

/**
 * Evaluates a condition for a request: true when the guarded action applies (`if` and the condition
 * holds, or `unless` and it does not).
 */
export function evaluate(cond: AclCondition, ctx: RequestContext): boolean {
  const m = conditionMatches(cond, ctx);
  return cond.polarity === 'if' ? m : !m;
}
