/**
 * Proxy sections: `defaults`, `frontend`, `listen` and `backend` (HAProxy configuration manual, 4
 * "Proxies"). Each proxy copies the values of the `defaults` section in force when it is declared;
 * a new `defaults` section starts from scratch, as in HAProxy.
 */
import { ConfigValueError } from '../alerts.ts';
import { hasBackendCap, hasFrontendCap, newProxyState, type ProxyKind, type ProxyState } from '../builder.ts';
import type { ProxyTimeouts } from '../config.types.ts';
import { expectArgs, sectionName, type KeywordDef, type KeywordTable, type SectionDef, type SectionOpenContext } from '../keyword.ts';
import { parseInteger, parseTime } from '../units.ts';
import { BIND_KEYWORD } from './bind.ts';
import { HTTP_REQUEST_KEYWORD } from './http-request.ts';

/** `mode http|tcp`: only http is accepted for now. */
const MODE: KeywordDef<ProxyState> = {
  usage: 'mode http',
  parse(ctx) {
    expectArgs(ctx, 1, 1);
    const m = ctx.args[1];
    if (m === 'tcp') throw new ConfigValueError(`'tcp' mode is not supported yet, only 'mode http' is`);
    if (m !== 'http') throw new ConfigValueError(`invalid mode '${m}', expected 'http' ('tcp' is not supported yet)`);
    ctx.state.mode = m;
  },
};

/** Timeout kinds: the field they set and the capability they apply to (HAProxy manual, 4.1 keyword matrix). */
const TIMEOUT_KINDS: Record<string, { field: keyof ProxyTimeouts; fe: boolean; be: boolean }> = {
  client: { field: 'client', fe: true, be: false },
  'http-request': { field: 'httpRequest', fe: true, be: true },
  'http-keep-alive': { field: 'httpKeepAlive', fe: true, be: true },
  server: { field: 'server', fe: false, be: true },
  connect: { field: 'connect', fe: false, be: true },
};

/** `timeout <kind> <time>`; a kind that does not apply to the section is ignored with a warning, as HAProxy. */
const TIMEOUT: KeywordDef<ProxyState> = {
  usage: 'timeout client|http-request|http-keep-alive|server|connect <time>',
  parse(ctx) {
    const kind = ctx.args[1];
    const def = kind !== undefined && Object.hasOwn(TIMEOUT_KINDS, kind) ? TIMEOUT_KINDS[kind] : undefined;
    if (!def) {
      const got = kind === undefined ? 'missing timeout kind' : `unknown timeout '${kind}'`;
      throw new ConfigValueError(`${got}, expected client, http-request, http-keep-alive, server or connect`);
    }
    const kw = `timeout ${kind}`;
    if (ctx.args.length < 3) throw new ConfigValueError(`missing time, expected '${kw} <time>' (e.g. '${kw} 30s')`, kw);
    if (ctx.args.length > 3) throw new ConfigValueError(`unexpected argument '${ctx.args[3]}', expected '${kw} <time>'`, kw);
    let ms: number;
    try {
      ms = parseTime(ctx.args[2]);
    } catch (err) {
      throw new ConfigValueError((err as Error).message, kw);
    }
    const kindOk = (def.fe && hasFrontendCap(ctx.state.kind)) || (def.be && hasBackendCap(ctx.state.kind));
    if (!kindOk) {
      const cap = def.fe ? 'frontend' : 'backend';
      ctx.warn(`'${kw}' ignored because ${ctx.state.kind} '${ctx.state.name}' has no ${cap} capability`);
      return;
    }
    ctx.state.timeouts[def.field] = ms;
  },
};

const MAXCONN: KeywordDef<ProxyState> = {
  usage: 'maxconn <number>',
  parse(ctx) {
    expectArgs(ctx, 1, 1);
    ctx.state.maxconn = parseInteger(ctx.args[1], 1, Number.MAX_SAFE_INTEGER);
  },
};

/** Keywords of a `defaults` section. */
export const DEFAULTS_KEYWORDS: KeywordTable<ProxyState> = { mode: MODE, timeout: TIMEOUT, maxconn: MAXCONN };

/** Keywords of a `frontend` section. */
export const FRONTEND_KEYWORDS: KeywordTable<ProxyState> = {
  mode: MODE,
  timeout: TIMEOUT,
  maxconn: MAXCONN,
  bind: BIND_KEYWORD,
  'http-request': HTTP_REQUEST_KEYWORD,
};

/** Keywords of a `listen` section (frontend and backend in one). */
export const LISTEN_KEYWORDS: KeywordTable<ProxyState> = { ...FRONTEND_KEYWORDS };

/** Keywords of a `backend` section. */
export const BACKEND_KEYWORDS: KeywordTable<ProxyState> = { mode: MODE, timeout: TIMEOUT };

function openProxy(kind: Exclude<ProxyKind, 'defaults'>): (ctx: SectionOpenContext) => ProxyState {
  return (ctx) => {
    const name = sectionName(ctx, true);
    const state = newProxyState(kind, name ?? '', ctx, ctx.builder.defaults);
    if (typeof name === 'string') ctx.builder.proxies.push(state);
    return state;
  };
}

function openDefaults(ctx: SectionOpenContext): ProxyState {
  const name = sectionName(ctx, false);
  const state = newProxyState('defaults', name ?? '', ctx, undefined);
  if (name !== undefined) {
    ctx.builder.defaults = state;
    ctx.builder.defaultsSeen = true;
  }
  return state;
}

/** The `defaults [<name>]` section. */
export const DEFAULTS_SECTION: SectionDef<ProxyState> = { keyword: 'defaults', open: openDefaults, keywords: DEFAULTS_KEYWORDS };
/** The `frontend <name>` section. */
export const FRONTEND_SECTION: SectionDef<ProxyState> = { keyword: 'frontend', open: openProxy('frontend'), keywords: FRONTEND_KEYWORDS };
/** The `listen <name>` section. */
export const LISTEN_SECTION: SectionDef<ProxyState> = { keyword: 'listen', open: openProxy('listen'), keywords: LISTEN_KEYWORDS };
/** The `backend <name>` section. */
export const BACKEND_SECTION: SectionDef<ProxyState> = { keyword: 'backend', open: openProxy('backend'), keywords: BACKEND_KEYWORDS };
