/**
 * The `http-request` and `http-response` rules of a proxy and `option forwardfor` (HAProxy
 * configuration manual, 4.2 "http-request", "http-response", "option forwardfor"), compiled once
 * per proxy and applied as HAProxy's stream does:
 *
 * 1. the frontend's `http-request` rules, in order, as soon as the request head is parsed: header
 *    actions and `set-path` rewrite the head that will be forwarded; the first `deny`, `return` or
 *    `redirect` whose condition holds stops the evaluation and answers;
 * 2. routing (use_backend / default_backend), then the backend's `http-request` rules (HAProxy runs
 *    them too, unless the backend is the frontend itself, a `listen` section);
 * 3. `option forwardfor` adds the client address just before the request is forwarded;
 * 4. on the response head: the backend's `http-response` rules, then the frontend's; a `deny`
 *    replaces the response (502 by default) and closes the connection.
 *
 * Conditions are compiled by proxy/acl against the proxy's `acl` lines (like the routing rules in
 * backend-runtime.ts); `<fmt>` arguments by ./log-format.ts. A line that does not compile is listed
 * in `errors` (the configuration check turns each into an alert) and left out.
 *
 * Tracking (proxy/stick/track.ts): `http-request track-sc<n>` makes the stream (its
 * TrackCounters, passed in by the driver) track an entry and counts the request on it;
 * `sc-inc-gpc0/1`, `sc-set-gpt0` update the tracked entry; conditions and formats see the tracked
 * counters (`sc_*` fetches) and the proxy's table (`src_*`). `tcp-request connection track-sc<n>`
 * rules run once per connection ({@link runConnectionRules}); `stick on|match|store-request`
 * rules run in the forwarding stream ({@link stickRulesFor}). A rule's table is its `table
 * <name>`, else the table of the section holding it (a `frontend` has none: `table` is needed).
 */
import type {
  AclConfig,
  BackendConfig,
  Config,
  ForwardForConfig,
  FrontendConfig,
  HttpDelHeaderRule,
  HttpRedirectRule,
  HttpReply,
  HttpRequestRule,
  HttpResponseRule,
  RuleCondition,
  SourceRef,
} from '../config/config.types.ts';
import type { H1Header, H1HeadEvent } from '../h1/h1.types.ts';
import type { AclCondition, AclTable, RequestContext } from '../acl/acl.types.ts';
import type { ConnectionFacts } from '../acl/context.ts';
import type { Router, BackendRuntime } from './backend-runtime.ts';
import type { RuleError, RuleReply } from './rules.types.ts';
import { compileAcl, defineAcl, newAclTable } from '../acl/acl.ts';
import { compileCondition, evaluate } from '../acl/condition.ts';
import { requestContext, requestContextFromHead } from '../acl/context.ts';
import { clientAddress } from '../acl/fetches.ts';
import { splitTarget } from '../acl/http-values.ts';
import { ipInNetwork, parseIpAddress, parseIpNetwork } from '../acl/ip.ts';
import { errorResponse } from '../h1/errors.ts';
import { writeResponse } from '../h1/response.ts';
import { fieldNameIs } from '../h1/chars.ts';
import { compileLogFormat, type FormatContext, type LogFormat, type ResponseFacts } from './log-format.ts';
import { CHECK_IF } from '../../diag/invariants.ts';
import { threadStickTables } from '../stick/registry.ts';
import { fetchKeySample, stickKeyOf } from '../stick/track-key.ts';
import type { TrackCounters } from '../stick/track.ts';
import type { StickKeyExpr } from '../stick/stick.types.ts';
import type { StickTable } from '../stick/table.ts';
import type { StickKey } from '../stick/key.ts';

export type { RuleReply, RuleError } from './rules.types.ts';
export type { ResponseFacts } from './log-format.ts';

/** What a rule acts on: the header fields (rewritten in place), for requests the head itself and the stream's tracked counters. */
interface Target {
  headers: H1Header[];
  head?: H1HeadEvent;
  stk?: TrackCounters;
}

/**
 * A rule's action. Returns a reply when the rule is terminal, 'path' when it rewrote the request
 * target (the ACL context must be rebuilt), undefined to go on with the next rule.
 */
type Action = (t: Target, ctx: FormatContext) => RuleReply | 'path' | undefined;

interface CompiledRule {
  ref: SourceRef;
  cond: AclCondition | undefined;
  run: Action;
}

/** A `tcp-request connection track-sc<n>` rule, compiled. */
export interface CompiledConnectionRule {
  ref: SourceRef;
  cond: AclCondition | undefined;
  slot: number;
  key: StickKeyExpr;
  table: string | undefined;
}

/** A `stick on|match|store-request` rule, compiled. */
export interface CompiledStickRule {
  ref: SourceRef;
  cond: AclCondition | undefined;
  match: boolean;
  store: boolean;
  key: StickKeyExpr;
  table: string | undefined;
}

/** One proxy's rules, compiled. */
export interface CompiledRules {
  /** The proxy's name. */
  name: string;
  /** The table of the proxy (its own `stick-table`'s name), the default of its rules and `src_*` fetches. */
  defaultTable: string | undefined;
  request: CompiledRule[];
  response: CompiledRule[];
  /** `tcp-request connection` tracking rules (frontends). */
  connection: CompiledConnectionRule[];
  /** `stick` rules (backends). */
  stick: CompiledStickRule[];
  /** Lines that do not compile, in order (already left out of the lists above). */
  errors: RuleError[];
}

/** What rules are compiled from: a frontend, a backend, or a `listen` section's either half. */
export interface RuleSource {
  name: string;
  /** `frontend` sections have no table of their own; the others' table is named after them. */
  kind?: 'frontend' | 'backend' | 'listen';
  acls?: readonly AclConfig[];
  httpRequestRules?: readonly HttpRequestRule[];
  httpResponseRules?: readonly HttpResponseRule[];
}

/** This thread's table `name`; undefined (and a CHECK_IF once per site) when it does not exist. */
function tableOf(name: string | undefined, ref: SourceRef): StickTable | undefined {
  if (name === undefined) return undefined;
  const t = threadStickTables().get(name);
  CHECK_IF(t === undefined, `rule at ${ref.file}:${ref.line} uses stick-table '${name}', which does not exist: the rule does nothing`);
  return t;
}

function headerIs(name: string): (h: H1Header) => boolean {
  const lower = name.toLowerCase();
  return (h) => fieldNameIs(h[0], lower);
}

/** Removes, in place, every field for which `drop` is true. */
function removeFields(headers: H1Header[], drop: (h: H1Header) => boolean): void {
  let w = 0;
  for (const h of headers) if (!drop(h)) headers[w++] = h;
  headers.length = w;
}

/** `\0`..`\9` in `replacement` with the groups of `m` (HAProxy's exp_replace(); `\\` is a backslash). */
export function expandBackrefs(replacement: string, m: RegExpExecArray): string {
  return replacement.replace(/\\([0-9\\])/g, (_, d: string) => (d === '\\' ? '\\' : (m[Number(d)] ?? '')));
}

function delMatcher(r: HttpDelHeaderRule): (h: H1Header) => boolean {
  const p = r.name.toLowerCase();
  switch (r.match) {
    case 'str':
      return (h) => h[0].toLowerCase() === p;
    case 'beg':
      return (h) => h[0].toLowerCase().startsWith(p);
    case 'end':
      return (h) => h[0].toLowerCase().endsWith(p);
    case 'sub':
      return (h) => h[0].toLowerCase().includes(p);
    case 'reg': {
      const re = new RegExp(r.name, 'i');
      return (h) => re.test(h[0]);
    }
  }
}

/** Replaces the path of `target` (origin or absolute form), keeping the query string. */
export function replacePath(target: string, path: string): string {
  const q = target.indexOf('?');
  const query = q < 0 ? '' : target.slice(q);
  const before = q < 0 ? target : target.slice(0, q);
  let prefix = '';
  const scheme = before.indexOf('://');
  if (!before.startsWith('/') && scheme > 0) {
    const slash = before.indexOf('/', scheme + 3);
    prefix = slash < 0 ? before : before.slice(0, slash);
  }
  return `${prefix}${path}${query}`;
}

const REDIRECT_REASONS: Record<number, string> = { 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect' };

/** The Location of a redirect rule (HAProxy's http_apply_redirect_rule()); undefined: skip the rule (ignore-empty). */
function redirectLocation(r: HttpRedirectRule, value: string, head: H1HeadEvent): string | undefined {
  if (r.ignoreEmpty && value === '') return undefined;
  if (r.type === 'location') return value;
  const { path, query } = splitTarget(head.target);
  let tail = path ?? '/';
  if (!r.dropQuery && query !== undefined) tail += `?${query}`;
  let loc: string;
  if (r.type === 'prefix') loc = (value === '/' ? '' : value) + tail; // a '/' prefix adds nothing: self-redirects stay possible
  else loc = `${value}://${head.get('host') ?? ''}${tail}`;
  if (r.appendSlash && !loc.endsWith('/')) loc += '/';
  return loc;
}

/** The reply of `return` / `deny`, with its `hdr` values and `lf-string` body compiled. */
function compileReply(
  reply: HttpReply,
  kw: string,
  close: boolean,
  fmt: (text: string) => LogFormat | undefined,
): ((ctx: FormatContext) => RuleReply) | undefined {
  const why = `${kw} rule`;
  if (reply.bodySource === 'default-errorfiles') return () => ({ kind: 'error-page', status: reply.status, why });
  const hdrs: [string, LogFormat][] = [];
  for (const [n, v] of reply.headers) {
    const f = fmt(v);
    if (!f) return undefined;
    hdrs.push([n, f]);
  }
  let body: ((ctx: FormatContext) => Uint8Array) | undefined;
  if (reply.bodySource === 'lf-string') {
    const f = fmt(Buffer.from(reply.body).toString('utf8')); // a Uint8Array once the config crossed into a worker
    if (!f) return undefined;
    body = (ctx) => Buffer.from(f.render(ctx), 'utf8');
  }
  return (ctx) => {
    const headers: [string, string][] = [];
    if (reply.contentType) headers.push(['content-type', reply.contentType]);
    for (const [n, f] of hdrs) headers.push([n, f.render(ctx)]);
    return { kind: 'message', status: reply.status, headers, body: body ? body(ctx) : reply.body, close, why };
  };
}

/** Compiles one rule's action; undefined when an argument does not compile (an error was recorded). */
function compileAction(
  r: HttpRequestRule,
  section: 'http-request' | 'http-response',
  fmtOf: (text: string) => LogFormat | undefined,
  defaultTable: string | undefined = undefined,
): Action | undefined {
  const kw = `${section} ${r.kind}`;
  switch (r.kind) {
    case 'track-sc': {
      const name = r.table ?? defaultTable;
      let table: StickTable | undefined;
      return (t, ctx) => {
        const stk = t.stk;
        if (!stk || stk.own(r.slot) || stk.parent?.own(r.slot)) return undefined; // only the first rule of a counter applies
        table ??= tableOf(name, r);
        const sample = table && fetchKeySample(r.key, ctx.req);
        const key = sample && stickKeyOf(table!.def, sample);
        if (key) stk.track(r.slot, table!, key, true);
        return undefined;
      };
    }
    case 'sc-inc-gpc0':
    case 'sc-inc-gpc1': {
      const which = r.kind === 'sc-inc-gpc0' ? 0 : 1;
      return (t) => {
        t.stk?.incGpc(r.slot, which);
        return undefined;
      };
    }
    case 'sc-set-gpt0':
      return (t) => {
        t.stk?.setGpt0(r.slot, r.value);
        return undefined;
      };
    case 'tcp-connection-track-sc':
    case 'stick':
      return undefined; // not http-request rules: compiled by compileRules into their own lists
    case 'return': {
      const build = compileReply(r, kw, false, fmtOf);
      return build && ((_t, ctx) => build(ctx));
    }
    case 'deny': {
      const build = compileReply(r, kw, true, fmtOf);
      return build && ((_t, ctx) => build(ctx));
    }
    case 'redirect': {
      const f = fmtOf(r.value);
      if (!f) return undefined;
      const headers: [string, string][] = [];
      if (r.setCookie) headers.push(['set-cookie', `${r.setCookie}; path=/;`]);
      if (r.clearCookie) headers.push(['set-cookie', `${r.clearCookie}; path=/; Max-Age=0; Expires=Thu, 01-Jan-1970 00:00:01 GMT;`]);
      const noCache = r.code === 302 || r.code === 303 || r.code === 307;
      return (t, ctx) => {
        const loc = redirectLocation(r, f.render(ctx), t.head!);
        if (loc === undefined) return undefined;
        const h: [string, string][] = [['location', loc]];
        if (noCache) h.push(['cache-control', 'no-cache']);
        return { kind: 'message', status: r.code, headers: [...h, ...headers], body: new Uint8Array(0), close: false, why: `${kw} rule` };
      };
    }
    case 'set-header':
    case 'add-header': {
      const f = fmtOf(r.value);
      if (!f) return undefined;
      const same = headerIs(r.name);
      const set = r.kind === 'set-header';
      return (t, ctx) => {
        const v = f.render(ctx); // before removing: the format may read the field it replaces
        if (set) removeFields(t.headers, same);
        t.headers.push([r.name, v]);
        return undefined;
      };
    }
    case 'del-header': {
      const drop = delMatcher(r);
      return (t) => {
        removeFields(t.headers, drop);
        return undefined;
      };
    }
    case 'replace-header': {
      const f = fmtOf(r.replacement);
      if (!f) return undefined;
      const re = new RegExp(r.regex);
      const same = headerIs(r.name);
      return (t, ctx) => {
        let rep: string | undefined;
        for (let i = 0; i < t.headers.length; i++) {
          const h = t.headers[i];
          if (!same(h)) continue;
          const m = re.exec(h[1]);
          if (!m) continue;
          rep ??= f.render(ctx);
          t.headers[i] = [h[0], expandBackrefs(rep, m)];
        }
        return undefined;
      };
    }
    case 'set-path': {
      const f = fmtOf(r.value);
      if (!f) return undefined;
      return (t, ctx) => {
        const head = t.head!;
        head.target = replacePath(head.target, f.render(ctx));
        return 'path';
      };
    }
  }
}

/**
 * Compiles a proxy's `http-request` and `http-response` rules against its `acl` lines. ACL lines
 * that do not compile are not reported here (compileRouting() reports them); a rule whose condition
 * or `<fmt>` does not compile is, with HAProxy's wording.
 */
export function compileRules(px: RuleSource): CompiledRules {
  const table: AclTable = newAclTable();
  for (const a of px.acls ?? []) {
    const r = compileAcl(['acl', a.name, ...a.tokens], a);
    if (!('error' in r)) defineAcl(table, r.acl);
  }
  const errors: RuleError[] = [];
  const defaultTable = px.kind === 'frontend' ? undefined : px.name;
  const connection: CompiledConnectionRule[] = [];
  const stick: CompiledStickRule[] = [];
  const compileList = (rules: readonly HttpRequestRule[], section: 'http-request' | 'http-response'): CompiledRule[] => {
    const out: CompiledRule[] = [];
    for (const r of rules) {
      if (r.kind === 'tcp-connection-track-sc' || r.kind === 'stick') {
        const what = r.kind === 'stick' ? `stick ${r.mode}` : `tcp-request connection track-sc${r.slot}`;
        const cond = r.cond && compileCond(r.cond, table, what, errors, r);
        if (r.cond && !cond) continue;
        if (r.kind === 'stick') stick.push({ ref: r, cond, match: r.mode !== 'store-request', store: r.mode !== 'match', key: r.key, table: r.table ?? defaultTable });
        else connection.push({ ref: r, cond, slot: r.slot, key: r.key, table: r.table ?? defaultTable });
        continue;
      }
      const kw = `${section} ${r.kind}`;
      let ok = true;
      const fmtOf = (text: string): LogFormat | undefined => {
        const f = compileLogFormat(text, section === 'http-request' ? 'request' : 'response');
        if ('error' in f) {
          errors.push({ ref: r, message: `error detected while parsing '${kw}' rule : failed to parse log-format '${text}' : ${f.error}.` });
          ok = false;
          return undefined;
        }
        return f;
      };
      const cond = r.cond && compileCond(r.cond, table, kw, errors, r);
      if (r.cond && !cond) continue;
      const run = compileAction(r, section, fmtOf, defaultTable);
      if (run && ok) out.push({ ref: r, cond, run });
    }
    return out;
  };
  const request = compileList(px.httpRequestRules ?? [], 'http-request');
  const response = compileList(px.httpResponseRules ?? [], 'http-response');
  return { name: px.name, defaultTable, request, response, connection, stick, errors };
}

/**
 * The `acl` lines of `acls` that do not compile, with HAProxy's message (e.g. `error detected while
 * parsing ACL 'x' : unknown fetch method 'pth' ...`). For frontends compileRouting() reports them;
 * this serves `backend` sections, which have no routing rules.
 */
export function aclErrors(acls: readonly AclConfig[]): RuleError[] {
  const out: RuleError[] = [];
  for (const a of acls) {
    const r = compileAcl(['acl', a.name, ...a.tokens], a);
    if ('error' in r) out.push({ ref: a, message: r.error });
  }
  return out;
}

function compileCond(c: RuleCondition, table: AclTable, kw: string, errors: RuleError[], ref: SourceRef): AclCondition | undefined {
  const r = compileCondition([c.kind, ...c.tokens], table, c);
  if ('error' in r) {
    errors.push({ ref, message: `error detected while parsing an '${kw}' condition : ${r.error}.` });
    return undefined;
  }
  return r.cond;
}

const compiled = new WeakMap<object, CompiledRules>();

/** The compiled rules of `px`, built on first use and kept for the worker's life. */
export function rulesFor(px: RuleSource): CompiledRules {
  let c = compiled.get(px);
  if (!c) compiled.set(px, (c = compileRules(px)));
  return c;
}

/**
 * The rules of backend `be` when reached from `fe`: undefined when the backend is `fe` itself (the
 * backend half of a `listen` section, whose rules already ran as the frontend's), as HAProxy runs a
 * proxy's rules once per stream. A `listen` section reached from another frontend is a backend
 * there: its rules run after that frontend's.
 */
export function backendRulesFor(fe: FrontendConfig, be: BackendConfig): CompiledRules | undefined {
  if (be.kind === 'listen' && fe.kind === 'listen' && be.name === fe.name) return undefined;
  return rulesFor(be);
}

/**
 * Applies `rules.request` to `head` (rewritten in place) in order; returns the reply of the first
 * terminal rule whose condition holds, or undefined when the request goes on.
 */
export function runRequestRules(rules: CompiledRules, head: H1HeadEvent, facts: ConnectionFacts, stk?: TrackCounters): RuleReply | undefined {
  if (rules.request.length === 0) return undefined;
  let req = contextOf(head, facts, stk, rules.defaultTable);
  const target: Target = { headers: head.headers, head, stk };
  for (const r of rules.request) {
    if (r.cond && !evaluate(r.cond, req)) continue;
    const out = r.run(target, { req });
    if (out === 'path') req = contextOf(head, facts, stk, rules.defaultTable);
    else if (out) return out;
  }
  return undefined;
}

/** The ACL context of a request, with the stream's tracked counters and the proxy's table. */
function contextOf(head: H1HeadEvent, facts: ConnectionFacts, stk: TrackCounters | undefined, table: string | undefined): RequestContext {
  const req = requestContextFromHead(head, facts);
  if (stk) req.stk = stk;
  if (table !== undefined) req.stkTable = table;
  return req;
}

/**
 * The `tcp-request connection` rules of `fe` for a connection just accepted (HAProxy's
 * tcp_exec_l4_rules()): each `track-sc<n>` whose condition holds makes `conn` track the client
 * address's entry (the first rule of a counter wins); then the session counters of the tracked
 * entries count it (sess_cnt, sess_rate). Conditions see the connection only (no request yet:
 * HTTP fetches find an empty `GET /`).
 */
export function runConnectionRules(fe: FrontendConfig, facts: ConnectionFacts, conn: TrackCounters): void {
  const rules = rulesFor(fe);
  if (rules.connection.length === 0) return;
  const req = requestContext({ src: facts.src, srcPort: facts.srcPort, dstPort: facts.dstPort, ssl: facts.ssl, ...(facts.sni !== undefined ? { sni: facts.sni } : {}) });
  req.stk = conn;
  if (rules.defaultTable !== undefined) req.stkTable = rules.defaultTable;
  for (const r of rules.connection) {
    if (conn.own(r.slot)) continue;
    if (r.cond && !evaluate(r.cond, req)) continue;
    const t = tableOf(r.table, r.ref);
    const sample = t && fetchKeySample(r.key, req);
    const key = sample && stickKeyOf(t!.def, sample);
    if (key) conn.track(r.slot, t!, key, false);
  }
  conn.session();
}

/** Whether `fe` has `tcp-request connection` rules (the driver then makes the connection's counters). */
export function hasConnectionRules(fe: FrontendConfig): boolean {
  return rulesFor(fe).connection.length > 0;
}

/**
 * What the `stick` rules of backend `be` decide for a request (HAProxy process_sticking_rules()):
 * `serverId` is the `server_id` the first matching `stick match|on` entry holds (0: none), and
 * `stores` the entries to write the assigned server into (`stick on|store-request`, one per
 * table). Lookups take and drop their reference at once (no reference outlives the call).
 */
export interface StickDecision {
  serverId: number;
  stores: { table: StickTable; key: StickKey }[];
}

/** Runs the `stick` rules of `be` on request `head`; undefined when it has none. */
export function runStickRules(be: BackendConfig, head: H1HeadEvent, facts: ConnectionFacts, stk?: TrackCounters): StickDecision | undefined {
  const rules = rulesFor(be);
  if (rules.stick.length === 0) return undefined;
  const req = contextOf(head, facts, stk, rules.defaultTable);
  const d: StickDecision = { serverId: 0, stores: [] };
  for (const r of rules.stick) {
    if (r.cond && !evaluate(r.cond, req)) continue;
    const t = tableOf(r.table, r.ref);
    const sample = t && fetchKeySample(r.key, req);
    const key = sample && stickKeyOf(t!.def, sample);
    if (!key) continue;
    if (r.match && d.serverId === 0) {
      const h = t!.lookup(key);
      if (h >= 0) {
        d.serverId = t!.get(h, 'server_id') ?? 0;
        t!.touchAndRelease(h);
      }
    }
    if (r.store && !d.stores.some((s) => s.table === t) && d.stores.length < 8) d.stores.push({ table: t!, key });
  }
  return d;
}

/**
 * After a server was assigned (HAProxy process_store_rules()): writes its id (`server_id`, the
 * server's position in its backend, from 1, as HAProxy numbers servers without `id`) into each
 * stored entry, creating it, touching it, and dropping the reference taken for the write.
 */
export function storeStickServer(d: StickDecision, serverId: number): void {
  for (const s of d.stores) {
    const h = s.table.acquire(s.key);
    if (h < 0) continue;
    s.table.set(h, 'server_id', serverId);
    s.table.touchAndRelease(h);
  }
}

/**
 * Alerts for tracking and stick rules of `config` whose table does not exist: a `table <name>`
 * naming no stick-table, or no `table` in a section without a stick-table of its own (HAProxy:
 * "unable to find table"). For the configuration check (proxy/config/engine-support.ts).
 */
export function checkStickReferences(config: Config): RuleError[] {
  const names = new Set(config.stickTables.map((t) => t.name));
  const out: RuleError[] = [];
  const visit = (px: { name: string; kind: string; httpRequestRules: readonly HttpRequestRule[] }): void => {
    for (const r of px.httpRequestRules) {
      if (r.kind !== 'track-sc' && r.kind !== 'tcp-connection-track-sc' && r.kind !== 'stick') continue;
      const what = r.kind === 'stick' ? `stick ${r.mode}` : r.kind === 'track-sc' ? `http-request track-sc${r.slot}` : `tcp-request connection track-sc${r.slot}`;
      const name = r.table ?? (px.kind === 'frontend' ? undefined : px.name);
      if (name === undefined) {
        out.push({ ref: r, message: `'${what}' : ${px.kind} '${px.name}' has no stick-table; add 'table <name>' naming the backend that holds one.` });
      } else if (!names.has(name)) {
        const hint = r.table === undefined ? `${px.kind} '${px.name}' has no 'stick-table' line; add one or 'table <name>'` : `declare 'stick-table' in backend '${name}' or fix the name`;
        out.push({ ref: r, message: `'${what}' : unable to find table '${name}'; ${hint}.` });
      }
    }
  };
  for (const f of config.frontends) visit(f);
  for (const b of config.backends) if (b.kind === 'backend') visit(b);
  return out;
}

/**
 * Applies the `http-response` rules of each rule set in turn (pass the backend's, then the
 * frontend's) to `res` (its headers rewritten in place). Conditions and `%[...]` request fetches see
 * the request as it was forwarded. Returns the reply of the first `deny` whose condition holds.
 */
export function runResponseRules(
  sets: readonly (CompiledRules | undefined)[],
  head: H1HeadEvent,
  facts: ConnectionFacts,
  res: ResponseFacts,
  stk?: TrackCounters,
): RuleReply | undefined {
  let req: RequestContext | undefined;
  const target: Target = { headers: res.headers, stk };
  for (const set of sets) {
    if (!set) continue;
    for (const r of set.response) {
      req ??= contextOf(head, facts, stk, set.defaultTable);
      if (r.cond && !evaluate(r.cond, req)) continue;
      const out = r.run(target, { req, res });
      if (out && out !== 'path') return out;
    }
  }
  return undefined;
}

function inNetwork(addr: string, net: ForwardForConfig['except']): boolean {
  if (!net) return false;
  const a = parseIpAddress(addr);
  const n = parseIpNetwork(`${net.address}/${net.prefixLength}`);
  return a !== undefined && n !== undefined && ipInNetwork(a, n);
}

/**
 * `option forwardfor` of the frontend and/or the backend (HAProxy's http_process_request()): appends
 * `<header>: <client address>` to `head`. The backend's header name wins over the frontend's; no
 * header for a client inside the `except` network of either; with `if-none` (on every proxy that
 * has the option) nothing is added when the request already has the header. An IPv4 client seen
 * through a dual-stack socket is written as plain IPv4; a client without an IP address gets none.
 */
export function addForwardedFor(fe: ForwardForConfig | undefined, be: ForwardForConfig | undefined, head: H1HeadEvent, src: string): void {
  if (!fe && !be) return;
  const name = (be ?? fe)!.header;
  const ifNone = (!fe || fe.ifNone) && (!be || be.ifNone);
  if (ifNone && head.has(name)) return;
  const addr = clientAddress(src);
  if (addr === undefined) return;
  if (inNetwork(addr, fe?.except) || inNetwork(addr, be?.except)) return;
  head.headers.push([name, addr]);
}

/** The outcome of the request side: a reply, a backend to forward to, or neither (HAProxy's 503). */
export type RequestDecision = { reply: RuleReply; be?: undefined } | { reply?: undefined; be: BackendRuntime | undefined };

/**
 * The whole request side of a stream, in HAProxy's order: the frontend's rules, routing, the
 * backend's rules, then `option forwardfor`. `head` is rewritten in place.
 */
export function decideRequest(fe: FrontendConfig, router: Router, head: H1HeadEvent, facts: ConnectionFacts, stk?: TrackCounters): RequestDecision {
  const own = runRequestRules(rulesFor(fe), head, facts, stk);
  if (own) return { reply: own };
  const be = router.route(head, facts);
  if (!be) return { be: undefined };
  const beRules = backendRulesFor(fe, be.cfg);
  const r = beRules && runRequestRules(beRules, head, facts, stk);
  if (r) return { reply: r };
  addForwardedFor(fe.forwardfor, be.cfg.forwardfor, head, facts.src);
  return { be };
}

/**
 * The bytes of a reply. `headRequest`: answering a HEAD (no content); `keepAlive`: the request
 * allows the connection to go on. `close` in the result says whether it must close afterwards.
 */
export function renderReply(reply: RuleReply, headRequest: boolean, keepAlive: boolean): { bytes: Uint8Array[]; close: boolean } {
  if (reply.kind === 'error-page') return { bytes: [errorResponse(reply.status)], close: true };
  const close = reply.close || !keepAlive;
  const reason = REDIRECT_REASONS[reply.status];
  return { bytes: writeResponse({ status: reply.status, reason, headers: reply.headers, body: reply.body, head: headRequest, close }), close };
}
