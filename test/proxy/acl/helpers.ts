import { compileAcl, evaluateAcl } from '../../../proxy/acl/acl.ts';
import type { Acl, AclCompileOptions } from '../../../proxy/acl/acl.types.ts';
import { requestContext } from '../../../proxy/acl/context.ts';
import type { RequestContextInit } from '../../../proxy/acl/context.ts';

export const WHERE = { file: 't.cfg', line: 7 };

/** Splits a line into words at spaces (tests never need quoted spaces). */
export function words(line: string): string[] {
  return line.split(/\s+/).filter((w) => w !== '');
}

/** Compiles `acl <line>` (e.g. `t path_beg /api`) and fails the test on an error. */
export function acl(line: string, opts: AclCompileOptions = {}): Acl {
  const r = compileAcl(['acl', ...words(line)], WHERE, opts);
  if ('error' in r) throw new Error(`unexpected error: ${r.error}`);
  return r.acl;
}

/** The error of compiling `acl <line>`; fails the test if it compiles. */
export function aclError(line: string | string[], opts: AclCompileOptions = {}): string {
  const r = compileAcl(['acl', ...(Array.isArray(line) ? line : words(line))], WHERE, opts);
  if (!('error' in r)) throw new Error(`expected an error for: ${String(line)}`);
  return r.error;
}

/** Whether `acl t <expr>` matches the request described by `init`. */
export function matches(expr: string | string[], init: RequestContextInit = {}, opts: AclCompileOptions = {}): boolean {
  const r = compileAcl(['acl', 't', ...(Array.isArray(expr) ? expr : words(expr))], WHERE, opts);
  if ('error' in r) throw new Error(`unexpected error: ${r.error}`);
  return evaluateAcl(r.acl, requestContext(init));
}
