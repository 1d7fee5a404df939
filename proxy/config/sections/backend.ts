/**
 * Backend keywords other than servers and options (HAProxy configuration manual, 4.2):
 *
 *   balance roundrobin|leastconn|source|first|uri [len <n>] [depth <n>] [whole] [path-only]
 *   retries <n>                       (default 3)
 *   http-reuse never|safe|aggressive|always   (default safe)
 *   http-check expect [!] status <code>[-<code>][,...] | [!] rstatus <regex>
 *
 * They are accepted in backend, listen and defaults sections.
 */
import { ConfigValueError } from '../alerts.ts';
import type { ProxyState } from '../builder.ts';
import type { BalanceConfig, HttpCheckExpect, HttpReuse } from '../config.types.ts';
import { expectArgs, type KeywordContext, type KeywordDef } from '../keyword.ts';
import { parseInteger, UnitError } from '../units.ts';

type Ctx = KeywordContext<ProxyState>;

const SIMPLE_ALGOS = ['roundrobin', 'leastconn', 'source', 'first'] as const;
/** HAProxy algorithms Flightbox does not implement yet. */
const NOT_YET_ALGOS = ['static-rr', 'random', 'hash', 'url_param', 'hdr', 'rdp-cookie'];

function positive(what: string, text: string | undefined): number {
  if (text === undefined) throw new ConfigValueError(`missing value after '${what}'`);
  try {
    return parseInteger(text, 1, Number.MAX_SAFE_INTEGER);
  } catch (err) {
    if (err instanceof UnitError) throw new ConfigValueError(`${what}: ${err.message}`);
    throw err;
  }
}

function parseUriBalance(ctx: Ctx): BalanceConfig {
  const b = { algorithm: 'uri' as const, len: undefined as number | undefined, depth: undefined as number | undefined, whole: false, pathOnly: false };
  for (let i = 2; i < ctx.args.length; ) {
    const opt = ctx.args[i];
    if (opt === 'len' || opt === 'depth') {
      b[opt] = positive(opt, ctx.args[i + 1]);
      i += 2;
    } else if (opt === 'whole' || opt === 'path-only') {
      if (opt === 'whole') b.whole = true;
      else b.pathOnly = true;
      i += 1;
    } else {
      throw new ConfigValueError(`unknown argument '${opt}' for 'uri', expected 'len <n>', 'depth <n>', 'whole' or 'path-only'`);
    }
  }
  return b;
}

/** `balance <algorithm> [arguments]`. */
export const BALANCE_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'balance roundrobin|leastconn|source|first|uri [len <n>] [depth <n>] [whole] [path-only]',
  parse(ctx) {
    const algo = ctx.args[1];
    if (algo === undefined) throw new ConfigValueError(`missing algorithm, expected '${ctx.usage}'`);
    if ((SIMPLE_ALGOS as readonly string[]).includes(algo)) {
      if (ctx.args.length > 2) throw new ConfigValueError(`unexpected argument '${ctx.args[2]}', '${algo}' takes none`);
      ctx.state.balance = { algorithm: algo as (typeof SIMPLE_ALGOS)[number] };
      return;
    }
    if (algo === 'uri') {
      ctx.state.balance = parseUriBalance(ctx);
      return;
    }
    const base = algo.replace(/\(.*$/, '');
    if (NOT_YET_ALGOS.includes(base)) {
      throw new ConfigValueError(`algorithm '${algo}' is not supported yet, expected roundrobin, leastconn, source, uri or first`);
    }
    throw new ConfigValueError(`unknown load-balancing algorithm '${algo}', expected roundrobin, leastconn, source, uri or first`);
  },
};

/** `retries <n>`: connection attempts retried after a failure. */
export const RETRIES_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'retries <number>',
  parse(ctx) {
    expectArgs(ctx, 1, 1);
    ctx.state.retries = parseInteger(ctx.args[1], 0, 1_000_000);
  },
};

const REUSE: readonly HttpReuse[] = ['never', 'safe', 'aggressive', 'always'];

/** `http-reuse never|safe|aggressive|always`. */
export const HTTP_REUSE_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'http-reuse never|safe|aggressive|always',
  parse(ctx) {
    expectArgs(ctx, 1, 1);
    const v = ctx.args[1];
    if (!(REUSE as readonly string[]).includes(v)) throw new ConfigValueError(`invalid value '${v}', expected 'never', 'safe', 'aggressive' or 'always'`);
    ctx.state.reuse = v as HttpReuse;
  },
};

/**
 * Parses `200`, `200-299`, `200,201,300-310` into inclusive ranges of status codes (100..599).
 * Throws {@link ConfigValueError} naming the bad item.
 */
export function parseStatusRanges(text: string): [number, number][] {
  return text.split(',').map((item): [number, number] => {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(item);
    if (!m) throw new ConfigValueError(`invalid status '${item}' in '${text}', expected codes or ranges such as '200', '200-399' or '200,301-302'`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 100 || hi > 599) throw new ConfigValueError(`status '${item}' is out of range, expected codes between 100 and 599`);
    if (lo > hi) throw new ConfigValueError(`range '${item}' is reversed, write the lower code first`);
    return [lo, hi];
  });
}

/** Checks that `re` compiles as a JavaScript regular expression; `what` names it in the message. */
export function checkRegex(re: string, what: string): string {
  try {
    new RegExp(re);
  } catch (err) {
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new ConfigValueError(`invalid ${what} '${re}': ${reason}`);
  }
  return re;
}

const EXPECT_KW = 'http-check expect';
const EXPECT_NOT_YET = ['hdr', 'fhdr', 'string', 'rstring', 'string-lf', 'min-recv', 'comment', 'ok-status', 'error-status', 'tout-status', 'on-success', 'on-error', 'status-code'];

function parseExpect(ctx: Ctx): HttpCheckExpect {
  let i = 2;
  let negate = false;
  if (ctx.args[i] === '!') {
    negate = true;
    i++;
  }
  const match = ctx.args[i];
  const pattern = ctx.args[i + 1];
  const src = { file: ctx.file, line: ctx.line };
  if (match === 'status' || match === 'rstatus') {
    if (pattern === undefined) throw new ConfigValueError(`'${match}' expects ${match === 'status' ? 'status codes (e.g. 200-399)' : 'a regular expression (e.g. ^2)'}`, EXPECT_KW);
    if (ctx.args.length > i + 2) throw new ConfigValueError(`unexpected argument '${ctx.args[i + 2]}' after '${match} ${pattern}'`, EXPECT_KW);
    try {
      if (match === 'status') return { match, negate, ranges: parseStatusRanges(pattern), ...src };
      return { match, negate, regex: checkRegex(pattern, 'regex'), ...src };
    } catch (err) {
      if (err instanceof ConfigValueError) throw new ConfigValueError(err.message, EXPECT_KW);
      throw err;
    }
  }
  if (match === undefined) throw new ConfigValueError(`missing match, expected '[!] status <codes>' or '[!] rstatus <regex>'`, EXPECT_KW);
  if (EXPECT_NOT_YET.includes(match)) throw new ConfigValueError(`'${match}' is not supported yet, expected '[!] status <codes>' or '[!] rstatus <regex>'`, EXPECT_KW);
  throw new ConfigValueError(`unknown match '${match}', expected '[!] status <codes>' or '[!] rstatus <regex>'`, EXPECT_KW);
}

/** `http-check expect ...`: rules of the HTTP health check; a proxy's first own rule replaces those inherited from defaults. */
export const HTTP_CHECK_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'http-check expect [!] status <codes> | http-check expect [!] rstatus <regex>',
  parse(ctx) {
    const sub = ctx.args[1];
    if (sub !== 'expect') {
      const got = sub === undefined ? 'missing action' : `'${sub}' is not supported yet`;
      throw new ConfigValueError(`${got}, only 'http-check expect [!] status <codes>|rstatus <regex>' is`);
    }
    const rule = parseExpect(ctx);
    if (ctx.state.httpCheckExpectsInherited) {
      ctx.state.httpCheckExpects = [];
      ctx.state.httpCheckExpectsInherited = false;
    }
    ctx.state.httpCheckExpects.push(rule);
  },
};
