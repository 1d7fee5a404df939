/**
 * Keywords of the `global` section (HAProxy configuration manual, 3 "Global parameters", plus
 * Flightbox's flight-recorder settings and `demo-origin`, which asks the supervisor to run the demo
 * origin of `proxy/demo/origin.ts`). `daemon` and `master-worker` are deliberately absent:
 * Flightbox runs in the foreground under its own supervisor.
 */
import { ConfigValueError } from '../alerts.ts';
import type { GlobalState } from '../builder.ts';
import type { ServerVerify, StatsLevel, WorkerOnDeath } from '../config.types.ts';
import { expectArgs, type KeywordContext, type KeywordDef, type KeywordTable } from '../keyword.ts';
import { parseInteger, parseOctalMode, parsePercent, parseSize, parseTime, UnitError } from '../units.ts';
import { resolve } from 'node:path';
import { GLOBAL_LOG_KEYWORD } from './log.ts';
import { parseBindAddress } from './bind.ts';

type Ctx = KeywordContext<GlobalState>;

/** Longest UNIX socket path Linux accepts (sun_path is 108 bytes including the final NUL). */
const MAX_UNIX_PATH = 107;

/** Remembers where a single-valued keyword was set and warns when it is set again. */
function once(ctx: Ctx): void {
  const kw = ctx.args[0];
  const prev = ctx.state.seen.get(kw);
  if (prev) ctx.warn(`'${kw}' was already set at ${prev.file}:${prev.line}; this later value replaces it`);
  ctx.state.seen.set(kw, { file: ctx.file, line: ctx.line });
}

/** A keyword taking exactly one value converted by `convert` and stored by `store`. */
function single<T>(usage: string, convert: (text: string, ctx: Ctx) => T, store: (ctx: Ctx, v: T) => void): KeywordDef<GlobalState> {
  return {
    usage,
    parse(ctx) {
      expectArgs(ctx, 1, 1);
      const v = convert(ctx.args[1], ctx);
      once(ctx);
      store(ctx, v);
    },
  };
}

function sizeAtLeast(min: number, minText: string): (text: string) => number {
  return (text) => {
    const v = parseSize(text);
    if (v < min) throw new ConfigValueError(`size '${text}' is too small, expected at least ${minText}`);
    return v;
  };
}

function positiveTime(text: string): number {
  const v = parseTime(text);
  if (v === 0) throw new ConfigValueError(`time '${text}' must be greater than zero`);
  return v;
}

function oneOf<T extends string>(values: readonly T[]): (text: string) => T {
  return (text) => {
    if ((values as readonly string[]).includes(text)) return text as T;
    throw new ConfigValueError(`invalid value '${text}', expected ${values.map((v) => `'${v}'`).join(' or ')}`);
  };
}

const STATS_LEVELS = ['user', 'operator', 'admin'] as const;

/** `stats socket <path> [mode <octal>] [level user|operator|admin]` (HAProxy: 3.1 "stats socket"). */
function parseStats(ctx: Ctx): void {
  const kw = 'stats socket';
  if (ctx.args[1] !== 'socket') {
    const got = ctx.args[1] === undefined ? 'nothing' : `'${ctx.args[1]}'`;
    throw new ConfigValueError(`expected 'stats socket <path> [mode <octal>] [level <level>]' but got ${got} after 'stats'`, 'stats');
  }
  let path = ctx.args[2];
  if (path === undefined || path === '') throw new ConfigValueError(`missing socket path, expected '${ctx.usage}'`, kw);
  if (path.startsWith('unix@')) path = path.slice(5);
  else if (/^[a-z0-9]+@/.test(path)) {
    throw new ConfigValueError(`address '${path}' is not supported, only UNIX socket paths are (e.g. '/tmp/flightbox.sock')`, kw);
  }
  if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
    throw new ConfigValueError(`socket path '${path}' is longer than ${MAX_UNIX_PATH} bytes, the limit of UNIX socket paths; use a shorter path`, kw);
  }
  let mode = 0o600;
  let level: StatsLevel = 'operator';
  for (let i = 3; i < ctx.args.length; i += 2) {
    const opt = ctx.args[i];
    const val = ctx.args[i + 1];
    if (opt !== 'mode' && opt !== 'level') {
      throw new ConfigValueError(`unknown option '${opt}', expected 'mode <octal>' or 'level user|operator|admin'`, kw);
    }
    if (val === undefined) throw new ConfigValueError(`missing value after '${opt}'`, kw);
    try {
      if (opt === 'mode') mode = parseOctalMode(val);
      else level = oneOf(STATS_LEVELS)(val);
    } catch (err) {
      if (err instanceof UnitError || err instanceof ConfigValueError) throw new ConfigValueError(err.message, kw);
      throw err;
    }
  }
  const dup = ctx.state.value.statsSockets.find((s) => s.path === path);
  if (dup) throw new ConfigValueError(`socket path '${path}' is already used at ${dup.file}:${dup.line}`, kw);
  ctx.state.value.statsSockets.push({ path, mode, level, file: ctx.file, line: ctx.line });
}

/** `redact-header` / `redact-query`: one or more names, repeatable. */
function nameList(usage: string, store: (ctx: Ctx, names: string[]) => void): KeywordDef<GlobalState> {
  return {
    usage,
    parse(ctx) {
      expectArgs(ctx, 1, Number.MAX_SAFE_INTEGER);
      const names = ctx.args.slice(1);
      const empty = names.findIndex((n) => n === '');
      if (empty >= 0) throw new ConfigValueError(`argument ${empty + 1} is an empty name`);
      store(ctx, names);
    },
  };
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 9110 5.1 token

/** The `global` section's keywords. */
export const GLOBAL_KEYWORDS: KeywordTable<GlobalState> = {
  nbthread: single('nbthread <1..64>', (t) => parseInteger(t, 1, 64), (c, v) => (c.state.value.nbthread = v)),
  maxconn: single('maxconn <number>', (t) => parseInteger(t, 1, Number.MAX_SAFE_INTEGER), (c, v) => (c.state.value.maxconn = v)),
  stats: { usage: 'stats socket <path> [mode <octal>] [level user|operator|admin]', parse: parseStats },
  'tune.bufsize': single('tune.bufsize <size>', sizeAtLeast(1024, '1k'), (c, v) => {
    if (v > 1024 ** 3) throw new ConfigValueError(`size '${c.args[1]}' is too large, expected at most 1g`);
    c.state.value.tune.bufsize = v;
  }),
  'tune.maxhdr': single('tune.maxhdr <1..32767>', (t) => parseInteger(t, 1, 32767), (c, v) => (c.state.value.tune.maxhdr = v)),
  'tune.fail-alloc': single('tune.fail-alloc <0..100>', parsePercent, (c, v) => (c.state.value.tune.failAlloc = v)),
  'snapshot-dir': single(
    'snapshot-dir <path>',
    (t) => {
      if (t === '') throw new ConfigValueError('empty path, expected a directory such as ./snapshots');
      return t;
    },
    (c, v) => (c.state.value.snapshotDir = resolve(c.cwd, v)),
  ),
  'snapshot-max-size': single('snapshot-max-size <size>', sizeAtLeast(64 * 1024, '64k'), (c, v) => (c.state.value.snapshotMaxSize = v)),
  'watchdog-timeout': single('watchdog-timeout <time>', positiveTime, (c, v) => (c.state.value.watchdogTimeout = v)),
  'worker-on-death': single('worker-on-death respawn|exit', oneOf<WorkerOnDeath>(['respawn', 'exit']), (c, v) => (c.state.value.workerOnDeath = v)),
  'worker-memory-limit': single('worker-memory-limit <size>', sizeAtLeast(1024 ** 2, '1m'), (c, v) => (c.state.value.workerMemoryLimit = v)),
  'ssl-server-verify': single('ssl-server-verify none|required', oneOf<ServerVerify>(['none', 'required']), (c, v) => (c.state.value.sslServerVerify = v)),
  'hard-stop-after': single('hard-stop-after <time>', parseTime, (c, v) => (c.state.value.hardStopAfter = v)),
  'redact-header': nameList('redact-header <name> [<name>...]', (ctx, names) => {
    const bad = names.find((n) => !HEADER_NAME.test(n));
    if (bad !== undefined) throw new ConfigValueError(`'${bad}' is not a valid header name (RFC 9110 5.1)`);
    for (const n of names) {
      const lower = n.toLowerCase();
      if (!ctx.state.value.redactHeaders.includes(lower)) ctx.state.value.redactHeaders.push(lower);
    }
  }),
  'redact-query': nameList('redact-query <name> [<name>...]', (ctx, names) => {
    for (const n of names) if (!ctx.state.value.redactQueries.includes(n)) ctx.state.value.redactQueries.push(n);
  }),
  // HAProxy 2.6+ (configuration manual 3.1): the secret the QUIC Retry and stateless reset tokens derive from.
  'cluster-secret': single(
    'cluster-secret <secret>',
    (t) => {
      if (t === '') throw new ConfigValueError('empty secret, expected a string shared by every instance of the cluster (e.g. the output of `openssl rand -hex 32`)');
      return t;
    },
    (c, v) => (c.state.value.clusterSecret = v),
  ),
  'pool-memory-limit': single('pool-memory-limit <size>', sizeAtLeast(1024 ** 2, '1m'), (c, v) => (c.state.value.poolMemoryLimit = v)),
  log: GLOBAL_LOG_KEYWORD,
  localpeer: {
    usage: 'localpeer <name>',
    parse(ctx) {
      expectArgs(ctx, 1, 1);
      const name = ctx.args[1];
      if (!/^[A-Za-z0-9_.:-]+$/.test(name)) throw new ConfigValueError(`invalid peer name '${name}', use letters, digits, '-', '_', '.' and ':'`);
      // HAProxy: '-L' wins, and a 'localpeer' after a peers section is ignored (its peers were already matched).
      if (ctx.state.localPeerFromCommandLine) {
        ctx.warn(`'localpeer' ignored since it is already set by using the '-L' command line argument ('${ctx.state.value.localPeer}')`);
        return;
      }
      const first = ctx.builder.peers[0];
      if (first) {
        ctx.warn(`'localpeer' ignored since it is used after 'peers' section '${first.name}' (${first.file}:${first.line}); move it before the peers sections`);
        return;
      }
      once(ctx);
      ctx.state.value.localPeer = name;
    },
  },
  // Flightbox-specific (HAProxy has no such keyword): the embedded default configuration uses it
  // so that `npm start` proxies to something. `<addr>` as in `bind`: '*', empty, IPv4 or IPv6.
  'demo-origin': single('demo-origin <address>:<port>', (t) => parseBindAddress(t), (c, v) => {
    c.state.value.demoOrigin = { host: v.host, port: v.port, file: c.file, line: c.line };
  }),
};
