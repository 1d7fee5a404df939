/**
 * The fetch keywords an ACL may start with (HAProxy configuration manual, 7.3 "Fetching
 * samples"): sample fetches (`req.hdr`, `src`, `ssl_fc`, ...) whose match method follows from
 * their output type, and ACL-specific derivatives (`path_beg`, `hdr_dom`, ...) that imply one
 * (7.1: "hdr_beg applies the beg match to samples retrieved using the hdr fetch method").
 *
 * Supported now:
 * - 7.3.6 HTTP: `path` `url` `urlp`/`url_param` `hdr`/`req.hdr` (+ `_beg _dir _dom _end _len _reg
 *   _sub` derivatives of path, url, urlp, hdr), `req.fhdr`, `hdr_cnt`/`req.hdr_cnt`,
 *   `req.fhdr_cnt`, `hdr_val`/`req.hdr_val`, `hdr_ip`/`req.hdr_ip`, `urlp_val`, `query`, `method`,
 *   `req.ver`/`req_ver`, `req.proto_http`;
 * - 7.3.3 layer 4: `src`, `src_port`, `dst_port`; 7.3.4 layer 5: `ssl_fc`, `ssl_fc_sni` (+ `_end`,
 *   `_reg`); 7.3.2 internal: `always_true`, `always_false`;
 * - 7.3.3 stick-table counters: `sc_*`, `sc0_*`..`sc2_*`, `src_*`, `table_cnt`, `table_avl`
 *   (./stick-fetches.ts).
 *
 * A fetch returns the list of its samples: an ACL matches if any sample matches any pattern
 * (header fetches iterate over every occurrence); an empty list means "no sample", which never
 * matches, not even with `-m found`.
 */
import type { FetchArg, MatchMethod, RequestContext, SampleType, SampleValue } from './acl.types.ts';
import { headerValues, urlParamValues } from './http-values.ts';
import { parseIpAddress } from './ip.ts';
import { stickFetchDefs } from './stick-fetches.ts';

/** Type of a fetch argument, named as HAProxy's messages name them. */
export type ArgType = 'string' | 'integer';

/** One fetch keyword. */
export interface FetchDef {
  /** 'acl' for ACL-specific keywords, 'fetch' for sample fetches: only changes error wording. */
  readonly kind: 'acl' | 'fetch';
  /** Output type, which gives the default match method (7.1). */
  readonly type: SampleType;
  /** Match method implied by an ACL derivative (`path_beg` → `beg`); else from `type`. */
  readonly match?: MatchMethod;
  /** Argument types in order; all optional here unless `minArgs` says otherwise. */
  readonly args: readonly ArgType[];
  readonly minArgs: number;
  fetch(ctx: RequestContext, args: readonly FetchArg[]): readonly SampleValue[];
}

type FetchFn = FetchDef['fetch'];

const table = new Map<string, FetchDef>();
const DERIVATIVES: readonly MatchMethod[] = ['beg', 'dir', 'dom', 'end', 'len', 'reg', 'sub'];

function def(names: readonly string[], d: Omit<FetchDef, 'minArgs'> & { minArgs?: number }): void {
  for (const n of names) table.set(n, { minArgs: 0, ...d });
}

/** Registers `base` (exact string match) and its `base_<method>` derivatives (7.3.6 "ACL derivatives"). */
function family(base: string, args: readonly ArgType[], fetch: FetchFn): void {
  def([base], { kind: 'acl', type: 'str', match: 'str', args, fetch });
  for (const m of DERIVATIVES) def([`${base}_${m}`], { kind: 'acl', type: 'str', match: m, args, fetch });
}

const one = (v: SampleValue | undefined): readonly SampleValue[] => (v === undefined ? [] : [v]);
const str = (a: FetchArg): string | undefined => (typeof a === 'string' ? a : undefined);
const int = (a: FetchArg): number | undefined => (typeof a === 'number' ? a : undefined);

/** `strl2ic`: the leading signed integer of a string, 0 if none (hdr_val, urlp_val). */
function leadingInt(s: string): number {
  const m = /^[-+]?[0-9]+/.exec(s);
  return m ? Number(m[0]) : 0;
}

/** The request-target (`url` fetch); rebuilt from path and query when the context has no `url`. */
export function requestUrl(ctx: RequestContext): string | undefined {
  if (ctx.url !== undefined) return ctx.url;
  if (ctx.path === undefined) return undefined;
  return ctx.query === undefined ? ctx.path : `${ctx.path}?${ctx.query}`;
}

/**
 * The `src` sample: the client address, with an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what
 * a dual-stack Node socket reports for an IPv4 client) given as plain IPv4, since HAProxy sees such
 * a client as IPv4; undefined when it is no IP address (UNIX socket).
 */
export function clientAddress(src: string): string | undefined {
  const a = parseIpAddress(src);
  if (!a) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(src);
  return mapped ? mapped[1] : src;
}

const hdr = (full: boolean): FetchFn => (ctx, a) => headerValues(ctx.headers, str(a[0]), int(a[1]), full);
const hdrCount = (full: boolean): FetchFn => (ctx, a) => [headerValues(ctx.headers, str(a[0]), 0, full).length];
const urlp: FetchFn = (ctx, a) => {
  const url = requestUrl(ctx);
  return url === undefined ? [] : urlParamValues(url, str(a[0]), str(a[1]));
};

family('path', [], (ctx) => one(ctx.path));
family('url', [], (ctx) => one(requestUrl(ctx)));
family('urlp', ['string', 'string'], urlp);
family('hdr', ['string', 'integer'], hdr(false));
def(['url_param'], { kind: 'fetch', type: 'str', args: ['string', 'string'], fetch: urlp });
def(['urlp_val'], { kind: 'fetch', type: 'int', args: ['string', 'string'], fetch: (c, a) => urlp(c, a).map((v) => leadingInt(String(v))) });
def(['req.hdr'], { kind: 'fetch', type: 'str', args: ['string', 'integer'], fetch: hdr(false) });
def(['req.fhdr'], { kind: 'fetch', type: 'str', args: ['string', 'integer'], fetch: hdr(true) });
def(['hdr_cnt', 'req.hdr_cnt'], { kind: 'fetch', type: 'int', args: ['string'], fetch: hdrCount(false) });
def(['req.fhdr_cnt'], { kind: 'fetch', type: 'int', args: ['string'], fetch: hdrCount(true) });
def(['hdr_val', 'req.hdr_val'], {
  kind: 'fetch', type: 'int', args: ['string', 'integer'],
  fetch: (c, a) => hdr(false)(c, a).map((v) => leadingInt(String(v))),
});
def(['hdr_ip', 'req.hdr_ip'], {
  kind: 'fetch', type: 'ip', args: ['string', 'integer'],
  fetch: (c, a) => hdr(false)(c, a).filter((v) => parseIpAddress(String(v)) !== undefined),
});
def(['query'], { kind: 'fetch', type: 'str', args: [], fetch: (ctx) => one(ctx.query) });
def(['method'], { kind: 'acl', type: 'meth', match: 'meth', args: [], fetch: (ctx) => [ctx.method] });
def(['req.ver'], { kind: 'fetch', type: 'str', args: [], fetch: (ctx) => [ctx.version] });
def(['req_ver'], { kind: 'acl', type: 'str', match: 'str', args: [], fetch: (ctx) => [ctx.version] });
def(['req.proto_http'], { kind: 'fetch', type: 'bool', args: [], fetch: () => [true] });
def(['src'], { kind: 'fetch', type: 'ip', args: [], fetch: (ctx) => one(clientAddress(ctx.src)) });
def(['src_port'], { kind: 'fetch', type: 'int', args: [], fetch: (ctx) => [ctx.srcPort] });
def(['dst_port'], { kind: 'fetch', type: 'int', args: [], fetch: (ctx) => [ctx.dstPort] });
def(['ssl_fc'], { kind: 'fetch', type: 'bool', args: [], fetch: (ctx) => [ctx.ssl] });
def(['ssl_fc_sni'], { kind: 'fetch', type: 'str', args: [], fetch: (ctx) => one(ctx.ssl ? ctx.sni : undefined) });
for (const m of ['end', 'reg'] as const) {
  def([`ssl_fc_sni_${m}`], { kind: 'acl', type: 'str', match: m, args: [], fetch: (ctx) => one(ctx.ssl ? ctx.sni : undefined) });
}
def(['always_true'], { kind: 'fetch', type: 'bool', args: [], fetch: () => [true] });
def(['always_false'], { kind: 'fetch', type: 'bool', args: [], fetch: () => [false] });

/**
 * Connection-level sample fetches (7.3.3/7.3.4) without arguments, as log-format strings render
 * them (`%[ssl_fc]`, `%[ssl_fc_sni]`): the text of the sample (HAProxy prints booleans as `1`/`0`),
 * or undefined when there is none (rendered `-`).
 */
export const CONNECTION_SAMPLES: ReadonlyMap<string, (ctx: RequestContext) => string | undefined> = connectionSamples();

function connectionSamples(): Map<string, (ctx: RequestContext) => string | undefined> {
  const m = new Map<string, (ctx: RequestContext) => string | undefined>([
    ['ssl_fc', (ctx: RequestContext) => (ctx.ssl ? '1' : '0')],
    ['ssl_fc_sni', (ctx: RequestContext) => (ctx.ssl ? ctx.sni : undefined)],
  ]);
  // The argument-less stick-table fetches (`%[sc0_http_req_rate]`, `%[src_conn_cur]`, `%[table_cnt]`).
  for (const [name, d] of stickFetchDefs()) {
    if (d.minArgs > 0) continue;
    m.set(name, (ctx) => {
      const v = d.fetch(ctx, [])[0];
      return v === undefined ? undefined : v === true ? '1' : v === false ? '0' : String(v);
    });
  }
  return m;
}

for (const [name, d] of stickFetchDefs()) table.set(name, d);

/** Every fetch keyword, by name. */
export const FETCHES: ReadonlyMap<string, FetchDef> = table;

/** The definition of fetch keyword `name` (without arguments), or undefined. */
export function findFetch(name: string): FetchDef | undefined {
  return table.get(name);
}
