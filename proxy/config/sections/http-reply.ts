/**
 * Replies built by the proxy itself: `http-request return`, `http-request deny` and
 * `http-response deny` (HAProxy configuration manual, 4.2 "http-request return" and
 * "http-request deny"). The grammar, after the action:
 *
 *   [status <code>] [content-type <type>]
 *   [ string <text> | lf-string <text> | file <path> | errorfile <path> | default-errorfiles ]
 *   [ hdr <name> <value> ]*  [ if|unless <condition> ]
 *
 * `deny` also accepts `deny_status <code>`. As HAProxy: the status is 200..599; a non-empty payload
 * needs a content-type (except `errorfile`, a complete HTTP/1 response giving status and headers);
 * 204 and 304 cannot carry a payload; `content-length`, `content-type` and `transfer-encoding` given
 * with `hdr` are ignored with a warning; `default-errorfiles` (implied for a `deny` with no other
 * option than the status) needs a status HAProxy has an error page for. Files are read at parse
 * time, relative to the cwd.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigValueError } from '../alerts.ts';
import type { HttpReply, ReturnBodySource, RuleCondition } from '../config.types.ts';
import type { KeywordContext } from '../keyword.ts';
import { parseInteger, UnitError } from '../units.ts';
import { conditionAt, isConditionWord } from './condition.ts';

type Ctx = KeywordContext<unknown>;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 9110 5.1 field-name
const IGNORED_HDRS = ['content-length', 'content-type', 'transfer-encoding'];
const NO_BODY_STATUS = [204, 304];

/** Status codes HAProxy has a default error page for (usable with `default-errorfiles`). */
export const ERROR_PAGE_STATUSES: readonly number[] = [200, 400, 403, 404, 405, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

/** How a reply rule is parsed. */
export interface ReplySpec {
  /** Keyword used in messages, e.g. `http-request return`. */
  keyword: string;
  /** Status when none is given (200 for return, 403/502 for deny). */
  defaultStatus: number;
  /** Words that introduce the status (`status`, plus `deny_status` for deny). */
  statusWords: readonly string[];
  /** True for deny: with no payload option nor header, the proxy's error page is used. */
  impliedErrorPage: boolean;
}

/** A parsed reply and its optional condition. */
export interface ParsedReply {
  reply: HttpReply;
  cond: RuleCondition | undefined;
}

function need(ctx: Ctx, spec: ReplySpec, i: number, what: string): string {
  const v = ctx.args[i];
  if (v === undefined || isConditionWord(v)) throw new ConfigValueError(`'${ctx.args[i - 1]}' expects ${what}`, spec.keyword);
  return v;
}

function readPayload(ctx: Ctx, spec: ReplySpec, opt: string, path: string): Buffer {
  try {
    return readFileSync(resolve(ctx.cwd, path));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigValueError(`cannot read ${opt} '${path}' (${reason}); check the path, relative paths start from ${ctx.cwd}`, spec.keyword);
  }
}

function parseStatus(spec: ReplySpec, text: string): number {
  try {
    return parseInteger(text, 200, 599);
  } catch (err) {
    if (err instanceof UnitError) throw new ConfigValueError(`status: ${err.message}`, spec.keyword);
    throw err;
  }
}

/** Parses the reply options from `ctx.args[from]` to the end of the line (or to `if`/`unless`). */
export function parseReply(ctx: Ctx, from: number, spec: ReplySpec): ParsedReply {
  const kw = spec.keyword;
  let status: number | undefined;
  let contentType: string | undefined;
  let body: Buffer = Buffer.alloc(0);
  let bodySource: ReturnBodySource = 'none';
  const headers: [string, string][] = [];
  let cond: RuleCondition | undefined;
  let i = from;
  while (i < ctx.args.length && cond === undefined) {
    const opt = ctx.args[i];
    if (spec.statusWords.includes(opt)) {
      if (status !== undefined) throw new ConfigValueError(`'${opt}' given twice`, kw);
      status = parseStatus(spec, need(ctx, spec, i + 1, 'a status code'));
      i += 2;
    } else if (opt === 'content-type') {
      contentType = need(ctx, spec, i + 1, 'a media type (e.g. text/plain)');
      i += 2;
    } else if (opt === 'string' || opt === 'lf-string' || opt === 'file' || opt === 'errorfile' || opt === 'default-errorfiles') {
      if (bodySource !== 'none') {
        throw new ConfigValueError(`'${opt}' conflicts with '${bodySource}': give only one of string, lf-string, file, errorfile or default-errorfiles`, kw);
      }
      bodySource = opt;
      if (opt === 'default-errorfiles') {
        i += 1;
        continue;
      }
      const arg = need(ctx, spec, i + 1, opt.endsWith('string') ? 'a text' : 'a file path');
      body = opt === 'string' || opt === 'lf-string' ? Buffer.from(arg, 'utf8') : readPayload(ctx, spec, opt, arg);
      i += 2;
    } else if (opt === 'hdr') {
      const name = need(ctx, spec, i + 1, 'a header name and a value');
      const value = need(ctx, spec, i + 2, 'a header name and a value');
      if (!TOKEN.test(name)) throw new ConfigValueError(`'${name}' is not a valid header name (RFC 9110 5.1)`, kw);
      if (/[\r\n\0]/.test(value)) throw new ConfigValueError(`value of header '${name}' contains CR, LF or NUL`, kw);
      if (IGNORED_HDRS.includes(name.toLowerCase())) {
        ctx.warn(`'${kw}' : header '${name}' is ignored, it is computed from the payload (use 'content-type' for the media type)`);
      } else {
        headers.push([name, value]);
      }
      i += 3;
    } else if (isConditionWord(opt)) {
      cond = conditionAt(ctx, i, kw);
    } else if (opt === 'lf-file' || opt === 'errorfiles') {
      throw new ConfigValueError(`'${opt}' is not supported yet, use string, file or errorfile`, kw);
    } else {
      const words = [...spec.statusWords, 'content-type', 'string', 'lf-string', 'file', 'errorfile', 'default-errorfiles'].join(', ');
      throw new ConfigValueError(`unknown option '${opt}', expected ${words} or hdr`, kw);
    }
  }
  return { reply: finishReply(ctx, spec, { status, contentType, body, bodySource, headers }), cond };
}

interface RawReply {
  status: number | undefined;
  contentType: string | undefined;
  body: Buffer;
  bodySource: ReturnBodySource;
  headers: [string, string][];
}

function finishReply(ctx: Ctx, spec: ReplySpec, r: RawReply): HttpReply {
  const kw = spec.keyword;
  if (r.bodySource === 'errorfile') {
    if (r.status !== undefined || r.contentType !== undefined || r.headers.length > 0) {
      ctx.warn(`'${kw}' : 'status', 'content-type' and 'hdr' are ignored with 'errorfile', the file's status line and headers are used`);
    }
    return { ...parseErrorfile(ctx, spec, r.body), bodySource: 'errorfile' };
  }
  const status = r.status ?? spec.defaultStatus;
  const implied = spec.impliedErrorPage && r.bodySource === 'none' && r.contentType === undefined && r.headers.length === 0;
  if (r.bodySource === 'default-errorfiles' || implied) {
    if (!ERROR_PAGE_STATUSES.includes(status)) {
      throw new ConfigValueError(`status ${status} has no default error page (available: ${ERROR_PAGE_STATUSES.join(', ')}); use one of them or give a payload`, kw);
    }
    if (r.contentType !== undefined || r.headers.length > 0) ctx.warn(`'${kw}' : 'content-type' and 'hdr' are ignored with the default error page`);
    return { status, contentType: undefined, body: Buffer.alloc(0), bodySource: 'default-errorfiles', headers: [] };
  }
  if (r.body.length > 0 && NO_BODY_STATUS.includes(status)) {
    throw new ConfigValueError(`status ${status} does not allow a payload; remove the payload or use another status`, kw);
  }
  if (r.body.length > 0 && r.contentType === undefined) {
    throw new ConfigValueError(`a content-type must be given with a non-empty payload (e.g. 'content-type text/plain')`, kw);
  }
  let contentType = r.contentType;
  if (r.body.length === 0 && contentType !== undefined) {
    ctx.warn(`'${kw}' : 'content-type' is ignored because there is no payload`);
    contentType = undefined;
  }
  return { status, contentType, body: r.body, bodySource: r.bodySource, headers: r.headers };
}

/**
 * Splits an errorfile (a complete HTTP/1.x response, as HAProxy's `errorfile`) into status,
 * content-type, other headers and payload. Framing headers (content-length, transfer-encoding,
 * connection) are dropped: the payload after the blank line is the body.
 */
function parseErrorfile(ctx: Ctx, spec: ReplySpec, data: Buffer): Omit<HttpReply, 'bodySource'> {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
  const bad = (why: string) =>
    new ConfigValueError(`errorfile '${ctx.args[ctx.args.indexOf('errorfile') + 1]}' is not an HTTP response: ${why}`, spec.keyword);
  if (end < 0) throw bad('no blank line after the headers');
  const lines = data.subarray(0, end).toString('latin1').split(/\r?\n/).filter((l) => l !== '');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!m) throw bad(`first line should be 'HTTP/1.x <code> <reason>'`);
  const status = Number(m[1]);
  if (status < 200 || status > 599) throw bad(`status ${status} is outside 200..599`);
  let contentType: string | undefined;
  const headers: [string, string][] = [];
  for (const l of lines.slice(1)) {
    const colon = l.indexOf(':');
    const name = colon > 0 ? l.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw bad(`bad header line '${l}'`);
    const value = l.slice(colon + 1).trim();
    const lower = name.toLowerCase();
    if (lower === 'content-type') contentType = value;
    else if (lower !== 'content-length' && lower !== 'transfer-encoding' && lower !== 'connection') headers.push([name, value]);
  }
  return { status, contentType, body: Buffer.from(data.subarray(end)), headers };
}
