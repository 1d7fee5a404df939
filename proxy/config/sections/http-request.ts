/**
 * The `http-request` keyword (HAProxy configuration manual, 4.2 "http-request"). Only the
 * `return` action exists for now:
 *
 *   http-request return [status <code>] [content-type <type>]
 *                       [ string <text> | lf-string <text> | file <path> | errorfile <path> ]
 *                       [ hdr <name> <value> ]*
 *
 * As HAProxy: the status is 200..599 (default 200); a non-empty payload needs a content-type
 * (except `errorfile`, whose file is a complete HTTP/1 response giving status and headers);
 * 204 and 304 cannot carry a payload; `content-length`, `content-type` and `transfer-encoding`
 * given with `hdr` are ignored with a warning. Files are read at parse time, relative to the cwd.
 * `if` / `unless` conditions are rejected until ACLs exist.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigValueError } from '../alerts.ts';
import type { ProxyState } from '../builder.ts';
import type { HttpReturnRule, ReturnBodySource } from '../config.types.ts';
import type { KeywordContext, KeywordDef } from '../keyword.ts';
import { parseInteger, UnitError } from '../units.ts';

type Ctx = KeywordContext<ProxyState>;

const RETURN_KW = 'http-request return';
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 9110 5.1 field-name
const IGNORED_HDRS = ['content-length', 'content-type', 'transfer-encoding'];
const NO_BODY_STATUS = [204, 304];

/** `http-request <action> ...`: dispatches on the action. */
export const HTTP_REQUEST_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'http-request return [status <code>] [content-type <type>] [string|lf-string|file|errorfile <arg>] [hdr <name> <value>]*',
  parse(ctx) {
    const action = ctx.args[1];
    if (action !== 'return') {
      const got = action === undefined ? 'no action' : `unknown action '${action}'`;
      throw new ConfigValueError(`${got}, only 'return' is supported for now (e.g. 'http-request return status 200 content-type text/plain string ok')`);
    }
    ctx.state.httpRequestRules.push(parseReturn(ctx));
  },
};

function need(ctx: Ctx, i: number, what: string): string {
  const v = ctx.args[i];
  if (v === undefined) throw new ConfigValueError(`'${ctx.args[i - 1]}' expects ${what}`, RETURN_KW);
  return v;
}

function readPayload(ctx: Ctx, opt: string, path: string): Buffer {
  try {
    return readFileSync(resolve(ctx.cwd, path));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigValueError(`cannot read ${opt} '${path}' (${reason}); check the path, relative paths start from ${ctx.cwd}`, RETURN_KW);
  }
}

function parseStatus(text: string): number {
  try {
    return parseInteger(text, 200, 599);
  } catch (err) {
    if (err instanceof UnitError) throw new ConfigValueError(`status: ${err.message}`, RETURN_KW);
    throw err;
  }
}

function parseReturn(ctx: Ctx): HttpReturnRule {
  let status: number | undefined;
  let contentType: string | undefined;
  let body: Buffer = Buffer.alloc(0);
  let bodySource: ReturnBodySource = 'none';
  const headers: [string, string][] = [];
  for (let i = 2; i < ctx.args.length; ) {
    const opt = ctx.args[i];
    switch (opt) {
      case 'status': {
        if (status !== undefined) throw new ConfigValueError(`'status' given twice`, RETURN_KW);
        status = parseStatus(need(ctx, i + 1, 'a status code'));
        i += 2;
        break;
      }
      case 'content-type':
        contentType = need(ctx, i + 1, 'a media type (e.g. text/plain)');
        i += 2;
        break;
      case 'string':
      case 'lf-string':
      case 'file':
      case 'errorfile': {
        if (bodySource !== 'none') {
          throw new ConfigValueError(`'${opt}' conflicts with '${bodySource}': give only one of string, lf-string, file or errorfile`, RETURN_KW);
        }
        const arg = need(ctx, i + 1, opt.endsWith('string') ? 'a text' : 'a file path');
        bodySource = opt;
        body = opt === 'string' || opt === 'lf-string' ? Buffer.from(arg, 'utf8') : readPayload(ctx, opt, arg);
        if (opt === 'lf-string' && arg.includes('%')) {
          ctx.warn(`'${RETURN_KW}' : log-format expressions in 'lf-string' are not evaluated yet, the text is sent as written`);
        }
        i += 2;
        break;
      }
      case 'hdr': {
        const name = need(ctx, i + 1, 'a header name and a value');
        const value = need(ctx, i + 2, 'a header name and a value');
        if (!TOKEN.test(name)) throw new ConfigValueError(`'${name}' is not a valid header name (RFC 9110 5.1)`, RETURN_KW);
        if (/[\r\n\0]/.test(value)) throw new ConfigValueError(`value of header '${name}' contains CR, LF or NUL`, RETURN_KW);
        if (IGNORED_HDRS.includes(name.toLowerCase())) {
          ctx.warn(`'${RETURN_KW}' : header '${name}' is ignored, it is computed from the payload (use 'content-type' for the media type)`);
        } else {
          headers.push([name, value]);
        }
        i += 3;
        break;
      }
      case 'if':
      case 'unless':
        throw new ConfigValueError(`conditions ('if'/'unless') are not supported yet; remove the condition`, RETURN_KW);
      case 'lf-file':
      case 'errorfiles':
      case 'default-errorfiles':
        throw new ConfigValueError(`'${opt}' is not supported yet, use string, file or errorfile`, RETURN_KW);
      default:
        throw new ConfigValueError(
          `unknown option '${opt}', expected status, content-type, string, lf-string, file, errorfile or hdr`,
          RETURN_KW,
        );
    }
  }
  const src = { file: ctx.file, line: ctx.line };
  if (bodySource === 'errorfile') {
    if (status !== undefined || contentType !== undefined || headers.length > 0) {
      ctx.warn(`'${RETURN_KW}' : 'status', 'content-type' and 'hdr' are ignored with 'errorfile', the file's status line and headers are used`);
    }
    return { kind: 'return', ...parseErrorfile(ctx, body), bodySource, ...src };
  }
  const code = status ?? 200;
  if (body.length > 0 && NO_BODY_STATUS.includes(code)) {
    throw new ConfigValueError(`status ${code} does not allow a payload; remove the payload or use another status`, RETURN_KW);
  }
  if (body.length > 0 && contentType === undefined) {
    throw new ConfigValueError(`a content-type must be given with a non-empty payload (e.g. 'content-type text/plain')`, RETURN_KW);
  }
  if (body.length === 0 && contentType !== undefined) {
    ctx.warn(`'${RETURN_KW}' : 'content-type' is ignored because there is no payload`);
    contentType = undefined;
  }
  return { kind: 'return', status: code, contentType, body, bodySource, headers, ...src };
}

/**
 * Splits an errorfile (a complete HTTP/1.x response, as HAProxy's `errorfile`) into status,
 * content-type, other headers and payload. Framing headers (content-length, transfer-encoding,
 * connection) are dropped: the payload after the blank line is the body.
 */
function parseErrorfile(ctx: Ctx, data: Buffer): Pick<HttpReturnRule, 'status' | 'contentType' | 'body' | 'headers'> {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
  const bad = (why: string) =>
    new ConfigValueError(`errorfile '${ctx.args[ctx.args.indexOf('errorfile') + 1]}' is not an HTTP response: ${why}`, RETURN_KW);
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
