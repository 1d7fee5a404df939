/**
 * Named ACLs: the `acl <name> <fetch> [flags] [patterns]` keyword of proxy sections (HAProxy
 * configuration manual, 7.1 "ACL basics"; `parse_acl()` in src/acl.c and the `acl` keyword in
 * src/cfgparse-listen.c), and their evaluation.
 *
 * ACL names are made of letters, digits, `-`, `_`, `.` and `:`, and are case-sensitive. Several
 * lines with the same name OR their expressions together (7.1, "acl site_dead nbsrv(dynamic) lt 2"
 * twice): {@link defineAcl} merges them in an {@link AclTable}.
 */
import type { SourceRef } from '../config/config.types.ts';
import type { Acl, AclCompileOptions, AclExpr, AclTable, CompileAclResult, RequestContext } from './acl.types.ts';
import { parseAclExpr } from './expr.ts';

const NAME_CHAR = /[A-Za-z0-9_.:-]/;

/** An empty table of named ACLs (one per proxy section). */
export function newAclTable(): AclTable {
  return new Map();
}

/** HAProxy's warning for `acl name hdr (host)`: a space before the arguments' parenthesis. */
function parenWarning(name: string, fetch: string, pattern: string): string {
  return (
    `parsing acl '${name}' : matching '${fetch}' for pattern '${pattern}' is likely a mistake and probably not what you want. ` +
    `Maybe you need to remove the extraneous space before '('. ` +
    `If you are really sure this is not an error, please insert '--' between the match and the pattern to make this warning message disappear.`
  );
}

/**
 * Compiles one `acl` line. `tokens` is the whole line after lexing, `tokens[0] === 'acl'`. The
 * result holds a new one-expression {@link Acl} (merge it with {@link defineAcl}) and HAProxy's
 * warnings, or the alert message HAProxy prints for the line, e.g.
 * `error detected while parsing ACL 'api' : unknown fetch method 'pth' in ACL expression 'pth'.`
 * (the config parser prefixes `[ALERT] config : parsing [file:line] : `).
 */
export function compileAcl(tokens: readonly string[], where: SourceRef, options: AclCompileOptions = {}): CompileAclResult {
  if (tokens[0] !== 'acl') return { error: `an ACL line starts with 'acl', got '${tokens[0] ?? ''}'` };
  const name = tokens[1] ?? '';
  const bad = [...name].find((c) => !NAME_CHAR.test(c));
  if (bad !== undefined) return { error: `character '${bad}' is not permitted in acl name '${name}'.` };
  if (name.toLowerCase() === 'or') {
    return { error: `acl name '${name}' will never match. 'or' is used to express a logical disjunction within a condition.` };
  }
  const parsed = parseAclExpr(tokens.slice(2), where, options);
  if ('error' in parsed) return { error: `error detected while parsing ACL '${name}' : ${parsed.error}.` };
  const warnings = [...parsed.warnings];
  const fetch = tokens[2] ?? '';
  if (!fetch.includes('(') && tokens[3]?.startsWith('(')) warnings.push(parenWarning(name, fetch, tokens[3]));
  return { acl: { name, exprs: [parsed.expr], predefined: false }, warnings };
}

/**
 * Adds `acl` to `table`. A first definition is stored as is; a later one with the same name appends
 * its expressions to the stored ACL (OR), which conditions compiled earlier also see. Returns the
 * ACL now stored under that name.
 */
export function defineAcl(table: AclTable, acl: Acl): Acl {
  const known = table.get(acl.name);
  if (!known) {
    table.set(acl.name, acl);
    return acl;
  }
  known.exprs.push(...acl.exprs);
  return known;
}

/** True if one sample of `expr` matches one of its patterns; false when the fetch finds nothing. */
export function evaluateExpr(expr: AclExpr, ctx: RequestContext): boolean {
  const samples = expr.fetch(ctx);
  for (const s of samples) if (expr.matcher.test(s, expr.sampleType)) return true;
  return false;
}

/** True if any expression of `acl` matches (7.1: the expressions of an ACL are OR-ed). */
export function evaluateAcl(acl: Acl, ctx: RequestContext): boolean {
  return acl.exprs.some((e) => evaluateExpr(e, ctx));
}
