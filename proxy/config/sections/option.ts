/**
 * `option <name> [args]` and `no option <name>` / `no log` (HAProxy configuration manual, 4.2).
 * Supported options and the sections they apply to:
 *
 *   option httpchk [<uri> | <method> <uri> [<version>]]          backend capability
 *   option redispatch [<interval>]        (negatable with `no`)    backend capability
 *   option forwardfor [except <network>] [header <name>] [if-none]   any proxy
 *   option http-server-close              (negatable with `no`)    any proxy
 *   option httplog [clf]                                          frontend capability
 *
 * As HAProxy, an option used where its capability is missing is ignored with a warning, and `no`
 * on an option that cannot be negated is an alert.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigValueError } from '../alerts.ts';
import { hasBackendCap, hasFrontendCap, type ProxyState } from '../builder.ts';
import type { ForwardForConfig, NetworkConfig } from '../config.types.ts';
import type { KeywordContext, KeywordDef } from '../keyword.ts';
import { parseInteger } from '../units.ts';

type Ctx = KeywordContext<ProxyState>;

/** RFC 9110 5.1 field-name / 9.1 method token. */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

interface OptionDef {
  cap: 'fe' | 'be' | 'any';
  /** Applies `option <name> args...` (args start at ctx.args[2]). */
  set(ctx: Ctx): void;
  /** Applies `no option <name>`; absent when the option cannot be negated. */
  unset?(ctx: Ctx): void;
}

function noMoreArgs(ctx: Ctx, from: number, name: string): void {
  if (ctx.args.length > from) throw new ConfigValueError(`unexpected argument '${ctx.args[from]}'`, `option ${name}`);
}

/** Parses `<ipv4>[/<prefix>|/<dotted mask>]` or `<ipv6>[/<prefix>]`. */
export function parseNetwork(text: string): NetworkConfig {
  const [address, mask, extra] = text.split('/');
  const v4 = isIPv4(address);
  if (extra !== undefined || (!v4 && !isIPv6(address))) throw new ConfigValueError(`invalid network '${text}', expected an address with an optional mask (e.g. 127.0.0.0/8, ::1)`);
  const max = v4 ? 32 : 128;
  if (mask === undefined) return { address, prefixLength: max };
  if (/^\d{1,3}$/.test(mask) && Number(mask) <= max) return { address, prefixLength: Number(mask) };
  if (v4 && isIPv4(mask)) {
    const bits = mask.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
    if (/^1*0*$/.test(bits)) return { address, prefixLength: bits.indexOf('0') < 0 ? 32 : bits.indexOf('0') };
  }
  throw new ConfigValueError(`invalid mask '${mask}' in '${text}', expected a prefix length between 0 and ${max}${v4 ? ' or a dotted mask such as 255.255.0.0' : ''}`);
}

function parseForwardFor(ctx: Ctx): ForwardForConfig {
  const kw = 'option forwardfor';
  const ff: ForwardForConfig = { header: 'X-Forwarded-For', except: undefined, ifNone: false, file: ctx.file, line: ctx.line };
  for (let i = 2; i < ctx.args.length; ) {
    const opt = ctx.args[i];
    const val = ctx.args[i + 1];
    if (opt === 'if-none') {
      ff.ifNone = true;
      i += 1;
      continue;
    }
    if (opt !== 'except' && opt !== 'header') throw new ConfigValueError(`unknown argument '${opt}', expected 'except <network>', 'header <name>' or 'if-none'`, kw);
    if (val === undefined) throw new ConfigValueError(`'${opt}' expects ${opt === 'except' ? 'a network (e.g. 127.0.0.0/8)' : 'a header name'}`, kw);
    try {
      if (opt === 'except') ff.except = parseNetwork(val);
    } catch (err) {
      if (err instanceof ConfigValueError) throw new ConfigValueError(err.message, kw);
      throw err;
    }
    if (opt === 'header') {
      if (!TOKEN.test(val)) throw new ConfigValueError(`'${val}' is not a valid header name (RFC 9110 5.1)`, kw);
      ff.header = val;
    }
    i += 2;
  }
  return ff;
}

const HTTP_VERSION = /^HTTP\/\d\.\d$/;

function parseHttpchk(ctx: Ctx): void {
  const kw = 'option httpchk';
  const a = ctx.args.slice(2);
  if (a.length > 3) throw new ConfigValueError(`unexpected argument '${a[3]}', expected 'option httpchk [<method> <uri> [<version>]]'`, kw);
  const [method, uri, rawVersion] = a.length === 1 ? ['OPTIONS', a[0], undefined] : [a[0] ?? 'OPTIONS', a[1] ?? '/', a[2]];
  if (!TOKEN.test(method)) throw new ConfigValueError(`invalid method '${method}', expected a token such as GET, HEAD or OPTIONS`, kw);
  if (uri === '' || /[\s\0]/.test(uri)) throw new ConfigValueError(`invalid URI '${uri}', expected a path such as /health`, kw);
  // Legacy trick: headers appended to the version, separated by "\r\n" (e.g. "HTTP/1.1\r\nHost:\ www").
  const [version, ...lines] = (rawVersion ?? 'HTTP/1.0').split('\r\n');
  if (!HTTP_VERSION.test(version)) throw new ConfigValueError(`invalid version '${version}', expected HTTP/1.0 or HTTP/1.1`, kw);
  const headers: [string, string][] = [];
  for (const l of lines.filter((x) => x !== '')) {
    const colon = l.indexOf(':');
    const name = colon > 0 ? l.slice(0, colon) : '';
    if (!TOKEN.test(name) || /[\r\n\0]/.test(l)) throw new ConfigValueError(`invalid header line '${l}' after the version, expected 'Name: value'`, kw);
    headers.push([name, l.slice(colon + 1).trim()]);
  }
  ctx.state.httpchk = { method, uri, version, headers, file: ctx.file, line: ctx.line };
}

/** The supported options. */
const OPTIONS: Record<string, OptionDef> = {
  httpchk: { cap: 'be', set: parseHttpchk },
  redispatch: {
    cap: 'be',
    set(ctx) {
      const arg = ctx.args[2];
      noMoreArgs(ctx, 3, 'redispatch');
      const interval = arg === undefined ? -1 : parseInteger(arg, -1_000_000, 1_000_000);
      ctx.state.redispatch = { enabled: interval !== 0, interval };
    },
    unset(ctx) {
      ctx.state.redispatch = { enabled: false, interval: -1 };
    },
  },
  forwardfor: {
    cap: 'any',
    set(ctx) {
      ctx.state.forwardfor = parseForwardFor(ctx);
    },
  },
  'http-server-close': {
    cap: 'any',
    set(ctx) {
      noMoreArgs(ctx, 2, 'http-server-close');
      ctx.state.httpServerClose = true;
    },
    unset(ctx) {
      ctx.state.httpServerClose = false;
    },
  },
  httplog: {
    cap: 'fe',
    set(ctx) {
      const arg = ctx.args[2];
      if (arg !== undefined && arg !== 'clf') throw new ConfigValueError(`unexpected argument '${arg}', expected 'option httplog [clf]'`, 'option httplog');
      noMoreArgs(ctx, 3, 'httplog');
      ctx.state.httplog = { format: arg === 'clf' ? 'clf' : 'httplog', file: ctx.file, line: ctx.line };
    },
  },
};

const OPTION_LIST = Object.keys(OPTIONS).join(', ');

/** Finds the option named at ctx.args[at], or throws. Returns undefined (after a warning) when the section lacks its capability. */
function findOption(ctx: Ctx, at: number, kw: string): OptionDef | undefined {
  const name = ctx.args[at];
  if (name === undefined) throw new ConfigValueError(`missing option name, expected one of ${OPTION_LIST}`, kw);
  const def = Object.hasOwn(OPTIONS, name) ? OPTIONS[name] : undefined;
  if (!def) throw new ConfigValueError(`unknown option '${name}' (or not supported yet), expected one of ${OPTION_LIST}`, kw);
  const s = ctx.state;
  const ok = def.cap === 'any' || (def.cap === 'fe' ? hasFrontendCap(s.kind) : hasBackendCap(s.kind));
  if (!ok) {
    ctx.warn(`'option ${name}' ignored because ${s.kind} '${s.name}' has no ${def.cap === 'fe' ? 'frontend' : 'backend'} capability`);
    return undefined;
  }
  return def;
}

/** `option <name> [args...]`. */
export const OPTION_KEYWORD: KeywordDef<ProxyState> = {
  usage: `option <name> [args...]`,
  parse(ctx) {
    findOption(ctx, 1, 'option')?.set(ctx);
  },
};

/** `no option <name>` and `no log`. */
export const NO_KEYWORD: KeywordDef<ProxyState> = {
  usage: `no option <name> | no log`,
  parse(ctx) {
    const what = ctx.args[1];
    if (what === 'log') {
      if (ctx.args.length > 2) throw new ConfigValueError(`unexpected argument '${ctx.args[2]}', 'no log' takes none`, 'no log');
      ctx.state.logs = [];
      return;
    }
    if (what !== 'option') throw new ConfigValueError(`expected 'no option <name>' or 'no log'${what === undefined ? '' : `, got 'no ${what}'`}`);
    const name = ctx.args[2];
    const def = findOption(ctx, 2, 'no option');
    if (!def) return;
    if (!def.unset) throw new ConfigValueError(`negation/default is not supported for option '${name}'`, 'no option');
    if (ctx.args.length > 3) throw new ConfigValueError(`unexpected argument '${ctx.args[3]}', 'no option ${name}' takes none`, 'no option');
    def.unset(ctx);
  },
};
