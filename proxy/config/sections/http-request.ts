/**
 * The `http-request` and `http-response` keywords (HAProxy configuration manual, 4.2). Rules run
 * in order; each may end with `if|unless <condition>` (stored for the ACL engine). Actions:
 *
 *   http-request  return ... | deny [deny_status <code>] ...        (see http-reply.ts)
 *   http-request  redirect location|prefix|scheme <value> [code 301|302|303|307|308]
 *                          [drop-query] [append-slash] [ignore-empty] [set-cookie <c>] [clear-cookie <c>]
 *   http-request  set-header|add-header <name> <fmt> | del-header <name> [-m str|beg|end|sub|reg]
 *   http-request  replace-header <name> <regex> <replacement> | set-path <fmt>
 *   http-request  track-sc0|track-sc1|track-sc2 <key> [table <table>]   (proxy/stick/track-key.ts keys)
 *   http-request  sc-inc-gpc0(<n>) | sc-inc-gpc1(<n>) | sc-set-gpt0(<n>) <int>
 *   http-response set-header|add-header|del-header|replace-header ... | deny ...
 *
 * `<fmt>` values are log-format strings kept as written. Regexes must compile as JavaScript
 * regular expressions. Other HAProxy actions are alerts ("not supported yet").
 */
import { ConfigValueError } from '../alerts.ts';
import type { ProxyState } from '../builder.ts';
import type {
  HttpScIncGpcRule,
  HttpScSetGptRule,
  HttpTrackScRule,
  TrackSlot,
  HeaderMatchMethod,
  HttpDelHeaderRule,
  HttpDenyRule,
  HttpRedirectRule,
  HttpReplaceHeaderRule,
  HttpRequestRule,
  HttpResponseRule,
  HttpReturnRule,
  HttpSetHeaderRule,
  HttpSetPathRule,
  RedirectCode,
} from '../config.types.ts';
import type { KeywordContext, KeywordDef } from '../keyword.ts';
import { checkRegex } from './backend.ts';
import { conditionAt, isConditionWord, optionalCondition } from './condition.ts';
import { parseReply } from './http-reply.ts';
import { parseStickKeyExpr } from '../../stick/track-key.ts';

type Ctx = KeywordContext<ProxyState>;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 9110 5.1 field-name

/** One action: `parse` reads ctx.args from index 2 and returns the rule. */
type ActionParser<R> = (ctx: Ctx, kw: string) => R;

function arg(ctx: Ctx, i: number, kw: string, usage: string): string {
  const v = ctx.args[i];
  if (v === undefined || isConditionWord(v)) throw new ConfigValueError(`missing argument, expected '${usage}'`, kw);
  return v;
}

function headerName(name: string, kw: string): string {
  if (!TOKEN.test(name)) throw new ConfigValueError(`'${name}' is not a valid header name (RFC 9110 5.1)`, kw);
  return name;
}

function fmtValue(value: string, what: string, kw: string): string {
  if (/[\r\n\0]/.test(value)) throw new ConfigValueError(`${what} contains CR, LF or NUL`, kw);
  return value;
}

function withCond<R extends object>(rule: R, ctx: Ctx, at: number, kw: string, usage: string): R {
  const cond = optionalCondition(ctx, at, kw, usage);
  return cond ? { ...rule, cond } : rule;
}

function regexOf(re: string, kw: string): string {
  try {
    return checkRegex(re, 'regex');
  } catch (err) {
    if (err instanceof ConfigValueError) throw new ConfigValueError(err.message, kw);
    throw err;
  }
}

const setHeader: ActionParser<HttpSetHeaderRule> = (ctx, kw) => {
  const action = ctx.args[1] as 'set-header' | 'add-header';
  const usage = `${kw} <name> <fmt> [if|unless <condition>]`;
  const name = headerName(arg(ctx, 2, kw, usage), kw);
  const value = fmtValue(arg(ctx, 3, kw, usage), `value of header '${name}'`, kw);
  return withCond({ kind: action, name, value, file: ctx.file, line: ctx.line }, ctx, 4, kw, usage);
};

const METHODS: readonly HeaderMatchMethod[] = ['str', 'beg', 'end', 'sub', 'reg'];

const delHeader: ActionParser<HttpDelHeaderRule> = (ctx, kw) => {
  const usage = `${kw} <name> [-m str|beg|end|sub|reg] [if|unless <condition>]`;
  let name = arg(ctx, 2, kw, usage);
  let match: HeaderMatchMethod = 'str';
  let at = 3;
  if (ctx.args[3] === '-m') {
    const m = ctx.args[4];
    if (m === undefined || !(METHODS as readonly string[]).includes(m)) {
      throw new ConfigValueError(`'-m' expects one of ${METHODS.join(', ')}${m === undefined ? '' : `, got '${m}'`}`, kw);
    }
    match = m as HeaderMatchMethod;
    at = 5;
  }
  name = match === 'reg' ? regexOf(name, kw) : match === 'str' ? headerName(name, kw) : name;
  return withCond({ kind: 'del-header', name, match, file: ctx.file, line: ctx.line }, ctx, at, kw, usage);
};

const replaceHeader: ActionParser<HttpReplaceHeaderRule> = (ctx, kw) => {
  const usage = `${kw} <name> <match-regex> <replace-fmt> [if|unless <condition>]`;
  const name = headerName(arg(ctx, 2, kw, usage), kw);
  const regex = regexOf(arg(ctx, 3, kw, usage), kw);
  const replacement = fmtValue(arg(ctx, 4, kw, usage), 'the replacement', kw);
  return withCond({ kind: 'replace-header', name, regex, replacement, file: ctx.file, line: ctx.line }, ctx, 5, kw, usage);
};

const setPath: ActionParser<HttpSetPathRule> = (ctx, kw) => {
  const usage = `${kw} <fmt> [if|unless <condition>]`;
  const value = fmtValue(arg(ctx, 2, kw, usage), 'the path', kw);
  if (value === '') throw new ConfigValueError(`the path is empty, expected e.g. '/api%[path]'`, kw);
  return withCond({ kind: 'set-path', value, file: ctx.file, line: ctx.line }, ctx, 3, kw, usage);
};

const REDIRECT_CODES: readonly RedirectCode[] = [301, 302, 303, 307, 308];
const REDIRECT_TYPES = ['location', 'prefix', 'scheme'] as const;

const redirect: ActionParser<HttpRedirectRule> = (ctx, kw) => {
  let type: HttpRedirectRule['type'] | undefined;
  const r: Omit<HttpRedirectRule, 'type'> = {
    kind: 'redirect', value: '', code: 302, dropQuery: false, appendSlash: false, ignoreEmpty: false,
    setCookie: undefined, clearCookie: undefined, file: ctx.file, line: ctx.line,
  };
  let i = 2;
  for (; i < ctx.args.length && !isConditionWord(ctx.args[i]); ) {
    const opt = ctx.args[i];
    if ((REDIRECT_TYPES as readonly string[]).includes(opt)) {
      if (type !== undefined) throw new ConfigValueError(`'${opt}' conflicts with '${type}': give only one of location, prefix or scheme`, kw);
      type = opt as HttpRedirectRule['type'];
      r.value = fmtValue(arg(ctx, i + 1, kw, `${kw} ${opt} <value>`), `the ${opt}`, kw);
      i += 2;
    } else if (opt === 'code') {
      const c = Number(ctx.args[i + 1]);
      if (!(REDIRECT_CODES as readonly number[]).includes(c) || !/^\d+$/.test(ctx.args[i + 1] ?? '')) {
        throw new ConfigValueError(`unsupported HTTP code '${ctx.args[i + 1] ?? ''}', expected 301, 302, 303, 307 or 308`, kw);
      }
      r.code = c as RedirectCode;
      i += 2;
    } else if (opt === 'drop-query' || opt === 'append-slash' || opt === 'ignore-empty') {
      if (opt === 'drop-query') r.dropQuery = true;
      else if (opt === 'append-slash') r.appendSlash = true;
      else r.ignoreEmpty = true;
      i += 1;
    } else if (opt === 'set-cookie' || opt === 'clear-cookie') {
      const c = arg(ctx, i + 1, kw, `${kw} ... ${opt} <name>[=${opt === 'set-cookie' ? 'value' : ''}]`);
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+(=[^\s;,]*)?$/.test(c)) throw new ConfigValueError(`invalid cookie '${c}' after '${opt}', expected NAME or NAME=value`, kw);
      if (opt === 'set-cookie') r.setCookie = c;
      else r.clearCookie = c;
      i += 2;
    } else {
      throw new ConfigValueError(
        `unknown option '${opt}', expected location|prefix|scheme <value>, code <code>, drop-query, append-slash, ignore-empty, set-cookie or clear-cookie`,
        kw,
      );
    }
  }
  if (type === undefined) throw new ConfigValueError(`missing redirect type, expected 'location <url>', 'prefix <prefix>' or 'scheme <scheme>'`, kw);
  const rule: HttpRedirectRule = { ...r, type };
  return i < ctx.args.length ? { ...rule, cond: conditionAt(ctx, i, kw) } : rule;
};

const returnAction: ActionParser<HttpReturnRule> = (ctx, kw) => {
  const { reply, cond } = parseReply(ctx, 2, { keyword: kw, defaultStatus: 200, statusWords: ['status'], impliedErrorPage: false });
  const rule: HttpReturnRule = { kind: 'return', ...reply, file: ctx.file, line: ctx.line };
  return cond ? { ...rule, cond } : rule;
};

/** `deny`: 403 by default for requests, 502 for responses (HAProxy's). */
function denyAction(defaultStatus: number): ActionParser<HttpDenyRule> {
  return (ctx, kw) => {
    const { reply, cond } = parseReply(ctx, 2, { keyword: kw, defaultStatus, statusWords: ['status', 'deny_status'], impliedErrorPage: true });
    const rule: HttpDenyRule = { kind: 'deny', ...reply, file: ctx.file, line: ctx.line };
    return cond ? { ...rule, cond } : rule;
  };
}

/**
 * `<key> [table <table>]` of a tracking rule from `ctx.args[at]`; returns the key, the table and
 * the index after them. `layer4`: only `src` (tcp-request connection). Shared with tcp-request.ts
 * and the `stick` keyword.
 */
export function trackKeyAndTable(ctx: Ctx, at: number, kw: string, usage: string, layer4 = false): { key: HttpTrackScRule['key']; table: string | undefined; next: number } {
  const text = ctx.args[at];
  if (text === undefined || isConditionWord(text)) throw new ConfigValueError(`missing key, expected '${usage}'`, kw);
  const key = parseStickKeyExpr(text, layer4);
  if (typeof key === 'string') throw new ConfigValueError(key, kw);
  let table: string | undefined;
  let next = at + 1;
  if (ctx.args[next] === 'table') {
    table = ctx.args[next + 1];
    if (table === undefined || table === '' || isConditionWord(table)) throw new ConfigValueError(`missing table name after 'table', expected '${usage}'`, kw);
    next += 2;
  }
  return { key, table, next };
}

const trackSc: ActionParser<HttpTrackScRule> = (ctx, kw) => {
  const slot = Number(ctx.args[1]!.slice('track-sc'.length)) as TrackSlot;
  const usage = `${kw} <key> [table <table>] [if|unless <condition>]`;
  const { key, table, next } = trackKeyAndTable(ctx, 2, kw, usage);
  return withCond({ kind: 'track-sc', slot, key, table, file: ctx.file, line: ctx.line }, ctx, next, kw, usage);
};

/** The `<n>` of `sc-inc-gpc0(<n>)`: 0, 1 or 2 (HAProxy: "invalid stick table track ID"). */
function scIndex(action: string, kw: string): TrackSlot {
  const m = /\(([^()]*)\)$/.exec(action);
  const n = m ? m[1]! : '';
  if (!/^[0-2]$/.test(n)) throw new ConfigValueError(`invalid stick table track ID '${n}' in '${action}', expected 0, 1 or 2 (e.g. '${action.replace(/\(.*$/, '')}(0)')`, kw);
  return Number(n) as TrackSlot;
}

const scIncGpc: ActionParser<HttpScIncGpcRule> = (ctx, kw) => {
  const action = ctx.args[1]!;
  const kind = action.startsWith('sc-inc-gpc0') ? 'sc-inc-gpc0' : 'sc-inc-gpc1';
  const slot = scIndex(action, kw);
  return withCond({ kind, slot, file: ctx.file, line: ctx.line }, ctx, 2, kw, `${kind}(<n>) [if|unless <condition>]`);
};

const scSetGpt: ActionParser<HttpScSetGptRule> = (ctx, kw) => {
  const slot = scIndex(ctx.args[1]!, kw);
  const usage = `sc-set-gpt0(<n>) <int> [if|unless <condition>]`;
  const v = arg(ctx, 2, kw, usage);
  if (!/^-?[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new ConfigValueError(`'${v}' is not an integer; Flightbox accepts an integer value here (expressions are not supported yet), expected '${usage}'`, kw);
  }
  return withCond({ kind: 'sc-set-gpt0', slot, value: Number(v), file: ctx.file, line: ctx.line }, ctx, 3, kw, usage);
};

const REQUEST_ACTIONS: Record<string, ActionParser<HttpRequestRule>> = {
  return: returnAction,
  deny: denyAction(403),
  redirect,
  'set-header': setHeader,
  'add-header': setHeader,
  'del-header': delHeader,
  'replace-header': replaceHeader,
  'set-path': setPath,
  'track-sc0': trackSc,
  'track-sc1': trackSc,
  'track-sc2': trackSc,
  'sc-inc-gpc0': scIncGpc,
  'sc-inc-gpc1': scIncGpc,
  'sc-set-gpt0': scSetGpt,
};

const RESPONSE_ACTIONS: Record<string, ActionParser<HttpResponseRule>> = {
  'set-header': setHeader,
  'add-header': setHeader,
  'del-header': delHeader,
  'replace-header': replaceHeader,
  deny: denyAction(502),
};

function dispatch<R>(ctx: Ctx, actions: Record<string, ActionParser<R>>): R {
  const section = ctx.args[0];
  const action = ctx.args[1];
  const list = Object.keys(actions).join(', ');
  if (action === undefined || isConditionWord(action)) throw new ConfigValueError(`missing action, expected one of ${list}`);
  // `sc-inc-gpc0(<n>)`: the action's name carries its counter number.
  const name = /^(sc-[a-z0-9-]+)\(/.exec(action)?.[1] ?? action;
  const parse = Object.hasOwn(actions, name) ? actions[name] : undefined;
  if (!parse) throw new ConfigValueError(`unknown action '${action}' (or not supported yet), expected one of ${list}`);
  return parse(ctx, `${section} ${action}`);
}

/** `http-request <action> ... [if|unless <condition>]`. */
export const HTTP_REQUEST_KEYWORD: KeywordDef<ProxyState> = {
  usage: `http-request <action> [args...] [if|unless <condition>]`,
  parse(ctx) {
    ctx.state.httpRequestRules.push(dispatch(ctx, REQUEST_ACTIONS));
  },
};

/** `http-response <action> ... [if|unless <condition>]`. */
export const HTTP_RESPONSE_KEYWORD: KeywordDef<ProxyState> = {
  usage: `http-response <action> [args...] [if|unless <condition>]`,
  parse(ctx) {
    ctx.state.httpResponseRules.push(dispatch(ctx, RESPONSE_ACTIONS));
  },
};
