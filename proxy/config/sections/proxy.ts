/**
 * Proxy sections: `defaults`, `frontend`, `listen` and `backend` (HAProxy configuration manual, 4
 * "Proxies"). Each proxy copies the values of the `defaults` section in force when it is declared;
 * a new `defaults` section starts from scratch, as in HAProxy. Which keyword goes where follows
 * HAProxy's keyword matrix (4.1); a keyword of another kind of section is an alert that says where
 * it belongs.
 */
import { ConfigValueError } from '../alerts.ts';
import { hasBackendCap, hasFrontendCap, newProxyState, type ProxyKind, type ProxyState } from '../builder.ts';
import type { ProxyTimeouts } from '../config.types.ts';
import { expectArgs, sectionName, type KeywordDef, type KeywordTable, type SectionDef, type SectionOpenContext } from '../keyword.ts';
import { parseInteger, parseTime } from '../units.ts';
import { BALANCE_KEYWORD, HTTP_CHECK_KEYWORD, HTTP_REUSE_KEYWORD, RETRIES_KEYWORD } from './backend.ts';
import { BIND_KEYWORD } from './bind.ts';
import { HTTP_REQUEST_KEYWORD, HTTP_RESPONSE_KEYWORD, trackKeyAndTable } from './http-request.ts';
import { TCP_REQUEST_KEYWORD } from './tcp-request.ts';
import { optionalCondition } from './condition.ts';
import type { StickRuleConfig } from '../config.types.ts';
import { STICK_DATA_TYPES, type StickTableDef } from '../../stick/stick.types.ts';
import { PROXY_LOG_KEYWORD } from './log.ts';
import { NO_KEYWORD, OPTION_KEYWORD } from './option.ts';
import { ACL_KEYWORD, DEFAULT_BACKEND_KEYWORD, USE_BACKEND_KEYWORD } from './routing.ts';
import { DEFAULT_SERVER_KEYWORD, SERVER_KEYWORD } from './server.ts';
import { STICK_TABLE_KEYWORD } from './stick-table.ts';

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
  queue: { field: 'queue', fe: false, be: true },
  tunnel: { field: 'tunnel', fe: false, be: true },
  check: { field: 'check', fe: false, be: true },
};

const TIMEOUT_LIST = 'client, http-request, http-keep-alive, server, connect, queue, tunnel or check';

/** `timeout <kind> <time>`; a kind that does not apply to the section is ignored with a warning, as HAProxy. */
const TIMEOUT: KeywordDef<ProxyState> = {
  usage: 'timeout client|http-request|http-keep-alive|server|connect|queue|tunnel|check <time>',
  parse(ctx) {
    const kind = ctx.args[1];
    const def = kind !== undefined && Object.hasOwn(TIMEOUT_KINDS, kind) ? TIMEOUT_KINDS[kind] : undefined;
    if (!def) {
      const got = kind === undefined ? 'missing timeout kind' : `unknown timeout '${kind}'`;
      throw new ConfigValueError(`${got}, expected ${TIMEOUT_LIST}`);
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

/**
 * `maxconn <n>`: limit of concurrent connections of a frontend. In a backend section it is
 * ignored with a warning, as HAProxy does (servers are limited with `server ... maxconn`).
 */
const MAXCONN: KeywordDef<ProxyState> = {
  usage: 'maxconn <number>',
  parse(ctx) {
    expectArgs(ctx, 1, 1);
    const n = parseInteger(ctx.args[1], 1, Number.MAX_SAFE_INTEGER);
    if (!hasFrontendCap(ctx.state.kind)) {
      ctx.warn(`'maxconn' ignored because ${ctx.state.kind} '${ctx.state.name}' has no frontend capability; limit each server with 'server ... maxconn <number>'`);
      return;
    }
    ctx.state.maxconn = n;
  },
};

/** `def` storing `server_id` too (HAProxy adds it to a table that stick rules use). */
function withServerId(def: StickTableDef): StickTableDef {
  if (def.store.some((x) => x.type === 'server_id')) return def;
  const store = [...def.store, { type: 'server_id' as const, period: 0 }];
  return { ...def, store: STICK_DATA_TYPES.flatMap((t) => store.filter((x) => x.type === t.name)) };
}

/** The stick rules of `p` that use the table of section `name`. */
function stickRulesOn(p: ProxyState, name: string): boolean {
  return p.httpRequestRules.some((r) => r.kind === 'stick' && (r.table ?? p.name) === name);
}

/** Gives `server_id` to the table of section `name` when some stick rule already parsed uses it. */
function addServerIdFor(ctx: { state: ProxyState; builder: { proxies: ProxyState[] } }, name: string): void {
  const owner = ctx.builder.proxies.find((q) => q.name === name && q.stickTable) ?? (ctx.state.name === name ? ctx.state : undefined);
  if (owner?.stickTable) owner.stickTable = withServerId(owner.stickTable);
}

/**
 * `stick on|match|store-request <key> [table <table>] [if|unless <condition>]` in a backend or
 * listen section (HAProxy configuration manual 4.2): server persistence through the table's
 * `server_id`, which the table gets automatically as in HAProxy. `stick store-response` is an
 * alert (not supported yet). Stored in `httpRequestRules` with kind `stick` (see StickRuleConfig).
 */
const STICK: KeywordDef<ProxyState> = {
  usage: 'stick on|match|store-request <key> [table <table>] [if|unless <condition>]',
  parse(ctx) {
    const mode = ctx.args[1];
    if (mode !== 'on' && mode !== 'match' && mode !== 'store-request') {
      const what = mode === undefined ? 'missing rule type' : mode === 'store-response' ? `'stick store-response' is not supported by Flightbox yet` : `unknown rule type '${mode}'`;
      throw new ConfigValueError(`${what}, expected 'stick on', 'stick match' or 'stick store-request'`);
    }
    const kw = `stick ${mode}`;
    const usage = `${kw} <key> [table <table>] [if|unless <condition>]`;
    const { key, table, next } = trackKeyAndTable(ctx, 2, kw, usage);
    const rule: StickRuleConfig = { kind: 'stick', mode, key, table, file: ctx.file, line: ctx.line };
    const cond = optionalCondition(ctx, next, kw, usage);
    ctx.state.httpRequestRules.push(cond ? { ...rule, cond } : rule);
    addServerIdFor(ctx, table ?? ctx.state.name);
  },
};

/** `stick-table`, then `server_id` added when stick rules parsed earlier use this table. */
const STICK_TABLE: KeywordDef<ProxyState> = {
  usage: STICK_TABLE_KEYWORD.usage,
  parse(ctx) {
    STICK_TABLE_KEYWORD.parse(ctx);
    const name = ctx.state.name;
    if ([ctx.state, ...ctx.builder.proxies].some((p) => stickRulesOn(p, name)) && ctx.state.stickTable) {
      ctx.state.stickTable = withServerId(ctx.state.stickTable);
    }
  },
};

/** Keywords every proxy section accepts. */
const COMMON_KEYWORDS: KeywordTable<ProxyState> = {
  mode: MODE,
  timeout: TIMEOUT,
  maxconn: MAXCONN,
  option: OPTION_KEYWORD,
  no: NO_KEYWORD,
  log: PROXY_LOG_KEYWORD,
};

/** Backend keywords that a defaults section may preset. */
const BACKEND_PRESETS: KeywordTable<ProxyState> = {
  balance: BALANCE_KEYWORD,
  retries: RETRIES_KEYWORD,
  'http-reuse': HTTP_REUSE_KEYWORD,
  'http-check': HTTP_CHECK_KEYWORD,
  'default-server': DEFAULT_SERVER_KEYWORD,
};

/** Keywords of a `defaults` section. */
export const DEFAULTS_KEYWORDS: KeywordTable<ProxyState> = {
  ...COMMON_KEYWORDS,
  ...BACKEND_PRESETS,
  default_backend: DEFAULT_BACKEND_KEYWORD,
};

/** Keywords of a `frontend` section. */
export const FRONTEND_KEYWORDS: KeywordTable<ProxyState> = {
  ...COMMON_KEYWORDS,
  bind: BIND_KEYWORD,
  acl: ACL_KEYWORD,
  use_backend: USE_BACKEND_KEYWORD,
  default_backend: DEFAULT_BACKEND_KEYWORD,
  'http-request': HTTP_REQUEST_KEYWORD,
  'http-response': HTTP_RESPONSE_KEYWORD,
  'tcp-request': TCP_REQUEST_KEYWORD,
};

/**
 * Keywords of a `backend` section. Its `acl` lines serve its own rules; its `http-request` rules run
 * after the frontend's once the backend is chosen, its `http-response` rules before the frontend's
 * (proxy/stream/rules.ts).
 */
export const BACKEND_KEYWORDS: KeywordTable<ProxyState> = {
  ...COMMON_KEYWORDS,
  ...BACKEND_PRESETS,
  server: SERVER_KEYWORD,
  acl: ACL_KEYWORD,
  'http-request': HTTP_REQUEST_KEYWORD,
  'http-response': HTTP_RESPONSE_KEYWORD,
  'stick-table': STICK_TABLE,
  stick: STICK,
};

/** Keywords of a `listen` section (frontend and backend in one). */
export const LISTEN_KEYWORDS: KeywordTable<ProxyState> = { ...FRONTEND_KEYWORDS, ...BACKEND_KEYWORDS };

/**
 * The alert for a keyword of another kind of proxy section (`server` in a frontend, `bind` in a
 * backend, `server` in defaults), saying where it belongs; undefined for unknown words.
 */
export function misplacedProxyKeyword(word: string, state: ProxyState): string | undefined {
  const fe = Object.hasOwn(FRONTEND_KEYWORDS, word);
  const be = Object.hasOwn(BACKEND_KEYWORDS, word);
  if (!fe && !be) return undefined;
  const where = fe && be ? "a 'frontend', 'backend' or 'listen'" : fe ? "a 'frontend' or 'listen'" : "a 'backend' or 'listen'";
  if (state.kind === 'defaults') return `'${word}' not allowed in 'defaults' section; write it in ${where} section.`;
  const missing = be ? 'backend' : 'frontend';
  const hint =
    word === 'server' || word === 'default-server'
      ? "; declare servers in a 'backend' (or 'listen') section and send traffic to it with 'default_backend' or 'use_backend'"
      : `; write it in ${where} section`;
  return `'${word}' not allowed because ${state.kind} '${state.name}' has no ${missing} capability${hint}.`;
}

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
export const DEFAULTS_SECTION: SectionDef<ProxyState> = {
  keyword: 'defaults',
  open: openDefaults,
  keywords: DEFAULTS_KEYWORDS,
  misplaced: misplacedProxyKeyword,
};
/** The `frontend <name>` section. */
export const FRONTEND_SECTION: SectionDef<ProxyState> = {
  keyword: 'frontend',
  open: openProxy('frontend'),
  keywords: FRONTEND_KEYWORDS,
  misplaced: misplacedProxyKeyword,
};
/** The `listen <name>` section. */
export const LISTEN_SECTION: SectionDef<ProxyState> = { keyword: 'listen', open: openProxy('listen'), keywords: LISTEN_KEYWORDS };
/** The `backend <name>` section. */
export const BACKEND_SECTION: SectionDef<ProxyState> = {
  keyword: 'backend',
  open: openProxy('backend'),
  keywords: BACKEND_KEYWORDS,
  misplaced: misplacedProxyKeyword,
};
