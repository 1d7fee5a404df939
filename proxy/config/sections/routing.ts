/**
 * Content switching in frontends (HAProxy configuration manual, 4.2 and 7):
 *
 *   acl <name> <fetch> [flags] [operator] [values...]
 *   use_backend <backend> [if|unless <condition>]
 *   default_backend <backend>
 *
 * ACL words and conditions are stored as written for the ACL engine. Backend names are checked
 * against the declared backends after parsing (`checks.ts`).
 */
import { ConfigValueError } from '../alerts.ts';
import type { ProxyState } from '../builder.ts';
import type { KeywordContext, KeywordDef } from '../keyword.ts';
import { isConditionWord, optionalCondition } from './condition.ts';

/** Characters HAProxy permits in ACL and proxy names. */
const NAME_RE = /^[A-Za-z0-9_.:-]+$/;

function checkName(name: string, what: string): void {
  if (NAME_RE.test(name)) return;
  const bad = [...name].find((c) => !NAME_RE.test(c));
  const shown = bad === undefined ? `an empty ${what} name` : `character '${bad}' in ${what} name '${name}'`;
  throw new ConfigValueError(`${shown} is not permitted, use letters, digits, '-', '_', '.' and ':'`);
}

function backendName(ctx: KeywordContext<ProxyState>): string {
  const name = ctx.args[1];
  if (name === undefined || isConditionWord(name)) throw new ConfigValueError(`missing backend name, expected '${ctx.usage}'`);
  if (name.includes('%[')) throw new ConfigValueError(`dynamic backend names ('${name}') are not supported yet, name a backend`);
  checkName(name, 'backend');
  return name;
}

/** `acl <name> <fetch> [flags] [operator] [values...]`: declares or extends a named ACL. */
export const ACL_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'acl <name> <fetch> [flags] [operator] [values...]',
  parse(ctx) {
    const name = ctx.args[1];
    if (name === undefined) throw new ConfigValueError(`missing ACL name, expected '${ctx.usage}'`);
    checkName(name, 'ACL');
    if (ctx.args.length < 3 || ctx.args[2] === '') throw new ConfigValueError(`missing fetch for ACL '${name}', expected '${ctx.usage}' (e.g. 'acl is_api path_beg /api')`);
    ctx.state.acls.push({ name, tokens: ctx.args.slice(2), file: ctx.file, line: ctx.line });
  },
};

/** `use_backend <backend> [if|unless <condition>]`. */
export const USE_BACKEND_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'use_backend <backend> [if|unless <condition>]',
  parse(ctx) {
    const backend = backendName(ctx);
    const cond = optionalCondition(ctx, 2, 'use_backend', ctx.usage);
    ctx.state.useBackends.push({ backend, ...(cond && { cond }), file: ctx.file, line: ctx.line });
  },
};

/** `default_backend <backend>`: where requests go when no `use_backend` rule matched (the last line wins). */
export const DEFAULT_BACKEND_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'default_backend <backend>',
  parse(ctx) {
    const backend = backendName(ctx);
    if (ctx.args.length > 2) throw new ConfigValueError(`unexpected argument '${ctx.args[2]}', expected '${ctx.usage}' (conditions belong to 'use_backend')`);
    ctx.state.defaultBackend = { backend, file: ctx.file, line: ctx.line };
  },
};
