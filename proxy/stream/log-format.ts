/**
 * HAProxy's log-format strings as the `<fmt>` arguments of `http-request` / `http-response` rules
 * use them (HAProxy configuration manual, 8.2.4 "Custom log format", and 2.4 for `%[...]`): plain
 * text, `%%` for a literal percent sign, and `%[<sample fetch>]` sample expressions.
 *
 * The sample fetches supported so far: `src`, `src_port`, `dst_port`, `method`, `path`, `query`,
 * `url`, `req.hdr(<name>[,<occ>])` / `hdr(...)` (comma-split values, last occurrence by default as
 * HAProxy's sample form does), `req.fhdr(<name>[,<occ>])` (whole lines), and, in response rules,
 * `status` and `res.hdr(<name>[,<occ>])` / `res.fhdr(...)`. A missing or empty sample renders as
 * `-`, as HAProxy's build_logline() does. A fetch may be followed by a chain of converters (7.3.1,
 * `%[src,table_http_req_rate(t)]`, `%[req.hdr(host),lower]`: proxy/acl/converters.ts), type-checked
 * at compile time. Anything else (`%ci`-style aliases, `%{+Q}` flags, other fetches) is refused at
 * compile time with a message saying so, never sent as literal text.
 */
import type { H1Header } from '../h1/h1.types.ts';
import type { RequestContext } from '../acl/acl.types.ts';
import { clientAddress, CONNECTION_SAMPLES, requestUrl } from '../acl/fetches.ts';
import { headerValues } from '../acl/http-values.ts';
import { headersFromFields } from '../acl/context.ts';
import { applyConverters, parseConverterChain, sampleText, splitSampleExpr } from '../acl/converters.ts';
import type { ConvSampleType } from '../acl/converters.ts';
import { findFetch } from '../acl/fetches.ts';

/** The response a response rule sees (status and header fields, possibly already rewritten). */
export interface ResponseFacts {
  status: number;
  headers: H1Header[];
}

/** What a log-format expression is evaluated against. `res` is set only for response rules. */
export interface FormatContext {
  req: RequestContext;
  res?: ResponseFacts;
}

type Sample = (ctx: FormatContext) => string | undefined;

/** A compiled log-format string: render() with a context gives the text. */
export interface LogFormat {
  /** The format as written. */
  readonly text: string;
  /** True when the format is plain text (no sample expression). */
  readonly constant: boolean;
  render(ctx: FormatContext): string;
}

/** Where a format is used: response-only fetches are refused in request rules. */
export type FormatScope = 'request' | 'response';

const UNSUPPORTED = 'is not supported yet in log-format strings by Flightbox';

function headerSample(full: boolean, res: boolean, name: string, occ: number | undefined): Sample {
  return (ctx) => {
    let values: string[];
    if (res) {
      if (!ctx.res) return undefined;
      values = headerValues(headersFromFields(ctx.res.headers), name, occ ?? -1, full);
    } else values = headerValues(ctx.req.headers, name, occ ?? -1, full);
    return values[0];
  };
}

/** The output type of log-format fetch `name` (HAProxy's declared type), for converter checks. */
function fetchType(name: string): ConvSampleType {
  switch (name) {
    case 'src':
      return 'ip';
    case 'src_port':
    case 'dst_port':
    case 'status':
      return 'int';
    case 'method':
      return 'meth';
    default:
      return name.includes('hdr') ? 'str' : (findFetch(name)?.type ?? 'str');
  }
}

/**
 * Parses a sample expression `<fetch>[(<args>)][,<conv>[(<args>)]]...`: the fetch, then its
 * converter chain (proxy/acl/converters.ts) applied to the fetched text cast back to the fetch's
 * type. Returns the sample function, or an error message.
 */
function compileSampleExpr(expr: string, scope: FormatScope): Sample | string {
  const split = splitSampleExpr(expr);
  const fetch = compileFetch(split.fetch, scope);
  if (typeof fetch === 'string' || split.convs === undefined) return fetch;
  const name = /^[a-z_.0-9]+/.exec(split.fetch)![0];
  const type = fetchType(name);
  const chain = parseConverterChain(split.convs, type);
  if ('error' in chain) return `failed to parse sample expression <${expr}> : ${chain.error}`;
  return (ctx) => {
    const t = fetch(ctx);
    if (t === undefined) return undefined;
    const value = type === 'int' ? Number(t) : type === 'bool' ? t === '1' : t;
    const s = applyConverters(chain.convs, { type, value }, ctx.req);
    return s === undefined ? undefined : sampleText(s);
  };
}

/** Parses `name(arg1,arg2)` of a fetch: the sample function, or an error message. */
function compileFetch(expr: string, scope: FormatScope): Sample | string {
  const m = /^([a-z_.0-9]+)(?:\(([^()]*)\))?$/.exec(expr);
  if (!m) return `invalid sample expression '${expr}'`;
  const name = m[1];
  const args = m[2] === undefined ? [] : m[2].split(',').map((a) => a.trim());
  const noArgs = (s: Sample): Sample | string => (args.length === 0 ? s : `fetch method '${name}' takes no argument`);
  switch (name) {
    case 'src':
      return noArgs((c) => clientAddress(c.req.src));
    case 'src_port':
      return noArgs((c) => String(c.req.srcPort));
    case 'dst_port':
      return noArgs((c) => String(c.req.dstPort));
    case 'method':
      return noArgs((c) => c.req.method);
    case 'path':
      return noArgs((c) => c.req.path);
    case 'query':
      return noArgs((c) => c.req.query);
    case 'url':
      return noArgs((c) => requestUrl(c.req));
    case 'status':
      if (scope !== 'response') return `fetch method 'status' is only available in 'http-response' rules`;
      return noArgs((c) => (c.res ? String(c.res.status) : undefined));
    case 'hdr':
    case 'req.hdr':
    case 'req.fhdr':
    case 'res.hdr':
    case 'res.fhdr': {
      const res = name.startsWith('res.');
      if (res && scope !== 'response') return `fetch method '${name}' is only available in 'http-response' rules`;
      if (args.length === 0 || args[0] === '') return `fetch method '${name}' needs a header name, e.g. '${name}(host)' (the name-less form ${UNSUPPORTED})`;
      if (args.length > 2) return `fetch method '${name}' takes at most 2 arguments (<name>[,<occ>])`;
      let occ: number | undefined;
      if (args.length === 2) {
        if (!/^-?[0-9]+$/.test(args[1])) return `the occurrence of '${name}' must be an integer, got '${args[1]}'`;
        occ = Number(args[1]);
      }
      return headerSample(name.endsWith('fhdr'), res, args[0], occ);
    }
    default: {
      const conn = CONNECTION_SAMPLES.get(name); // ssl_fc, ssl_fc_sni
      if (conn) return noArgs((c) => conn(c.req));
      return `sample fetch '${name}' ${UNSUPPORTED} (supported: src, src_port, dst_port, method, path, query, url, req.hdr, req.fhdr, hdr, ssl_fc, ssl_fc_sni${scope === 'response' ? ', status, res.hdr, res.fhdr' : ''})`;
    }
  }
}

/**
 * Compiles a log-format string. Returns the format, or an error message naming the part that is
 * invalid or not supported (the caller adds where: file:line and keyword).
 */
export function compileLogFormat(text: string, scope: FormatScope): LogFormat | { error: string } {
  const parts: (string | Sample)[] = [];
  let lit = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    if (next === '[') {
      const close = text.indexOf(']', i + 2);
      if (close < 0) return { error: `missing closing ']' in sample expression '${text.slice(i)}'` };
      const expr = text.slice(i + 2, close).trim();
      const s = compileSampleExpr(expr, scope);
      if (typeof s === 'string') return { error: s };
      if (lit !== '') parts.push(lit);
      lit = '';
      parts.push(s);
      i = close + 1;
      continue;
    }
    if (next === '{') return { error: `log-format options ('%{...}') ${UNSUPPORTED}` };
    const alias = /^[A-Za-z]+/.exec(text.slice(i + 1));
    if (alias) return { error: `log-format variable '%${alias[0]}' ${UNSUPPORTED}; use a sample expression such as '%[src]'` };
    return { error: `a '%' must be followed by '[', '%' or a variable name (write '%%' for a literal '%')` };
  }
  if (lit !== '') parts.push(lit);
  if (parts.every((p) => typeof p === 'string')) {
    const value = parts.join('');
    return { text, constant: true, render: () => value };
  }
  return {
    text,
    constant: false,
    render(ctx) {
      let out = '';
      for (const p of parts) {
        if (typeof p === 'string') out += p;
        else out += p(ctx) || '-';
      }
      return out;
    },
  };
}
