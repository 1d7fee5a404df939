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
 */
import type {
  AclConfig,
  BackendConfig,
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
import { requestContextFromHead } from '../acl/context.ts';
import { clientAddress } from '../acl/fetches.ts';
import { splitTarget } from '../acl/http-values.ts';
import { ipInNetwork, parseIpAddress, parseIpNetwork } from '../acl/ip.ts';
import { errorResponse } from '../h1/errors.ts';
import { writeResponse } from '../h1/response.ts';
import { compileLogFormat, type FormatContext, type LogFormat, type ResponseFacts } from './log-format.ts';

export type { RuleReply, RuleError } from './rules.types.ts';
export type { ResponseFacts } from './log-format.ts';

/** What a rule acts on: the header fields (rewritten in place), and for requests the head itself. */
interface Target {
  headers: H1Header[];
  head?: H1HeadEvent;
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

/** One proxy's rules, compiled. */
export interface CompiledRules {
  /** The proxy's name. */
  name: string;
  request: CompiledRule[];
  response: CompiledRule[];
  /** Lines that do not compile, in order (already left out of the lists above). */
  errors: RuleError[];
}

/** What rules are compiled from: a frontend, a backend, or a `listen` section's either half. */
export interface RuleSource {
  name: string;
  acls?: readonly AclConfig[];
  httpRequestRules?: readonly HttpRequestRule[];
  httpResponseRules?: readonly HttpResponseRule[];
}

function headerIs(name: string): (h: H1Header) => boolean {
  const lower = name.toLowerCase();
  return (h) => h[0].toLowerCase() === lower;
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
): Action | undefined {
  const kw = `${section} ${r.kind}`;
  switch (r.kind) {
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
  const compileList = (rules: readonly HttpRequestRule[], section: 'http-request' | 'http-response'): CompiledRule[] => {
    const out: CompiledRule[] = [];
    for (const r of rules) {
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
      const run = compileAction(r, section, fmtOf);
      if (run && ok) out.push({ ref: r, cond, run });
    }
    return out;
  };
  const request = compileList(px.httpRequestRules ?? [], 'http-request');
  const response = compileList(px.httpResponseRules ?? [], 'http-response');
  return { name: px.name, request, response, errors };
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
export function runRequestRules(rules: CompiledRules, head: H1HeadEvent, facts: ConnectionFacts): RuleReply | undefined {
  if (rules.request.length === 0) return undefined;
  let req = requestContextFromHead(head, facts);
  const target: Target = { headers: head.headers, head };
  for (const r of rules.request) {
    if (r.cond && !evaluate(r.cond, req)) continue;
    const out = r.run(target, { req });
    if (out === 'path') req = requestContextFromHead(head, facts);
    else if (out) return out;
  }
  return undefined;
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
): RuleReply | undefined {
  let req: RequestContext | undefined;
  const target: Target = { headers: res.headers };
  for (const set of sets) {
    if (!set) continue;
    for (const r of set.response) {
      req ??= requestContextFromHead(head, facts);
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
export function decideRequest(fe: FrontendConfig, router: Router, head: H1HeadEvent, facts: ConnectionFacts): RequestDecision {
  const own = runRequestRules(rulesFor(fe), head, facts);
  if (own) return { reply: own };
  const be = router.route(head, facts);
  if (!be) return { be: undefined };
  const beRules = backendRulesFor(fe, be.cfg);
  const r = beRules && runRequestRules(beRules, head, facts);
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
