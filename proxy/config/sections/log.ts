/**
 * The `log` keyword of the global section and of proxies (HAProxy configuration manual, 4.2 "log"):
 *
 *   log <address> [len <80..65535>] [format rfc3164|rfc5424|raw] <facility> [<level> [<minlevel>]]
 *   log global          (proxies: use the global section's log lines)
 *   no log              (proxies: forget the lines inherited from defaults; see option.ts)
 *
 * Addresses: `stdout`, `stderr` (or `fd@1`, `fd@2`), a UNIX datagram socket path (`/dev/log`,
 * `unix@<path>`), or a UDP syslog server `[udp@|udp4@|udp6@]<host>[:<port>]` (port 514 by default).
 * Defaults: len 1024, format rfc3164, every level.
 */
import { ConfigValueError } from '../alerts.ts';
import type { GlobalState, ProxyLogLine, ProxyState } from '../builder.ts';
import type { LogAddress, LogConfig, LogFormat, SyslogFacility, SyslogLevel } from '../config.types.ts';
import type { KeywordContext, KeywordDef } from '../keyword.ts';
import { parseInteger, UnitError } from '../units.ts';
import { parseHostPort } from './address.ts';

/** The 24 syslog facilities in code order (kern = 0 ... local7 = 23), as HAProxy names them. */
export const SYSLOG_FACILITIES: readonly SyslogFacility[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
  'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit', 'alert', 'cron2',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];

/** The 8 syslog levels, most severe first (emerg = 0 ... debug = 7). */
export const SYSLOG_LEVELS: readonly SyslogLevel[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

const FORMATS: readonly LogFormat[] = ['rfc3164', 'rfc5424', 'raw'];
/** HAProxy formats Flightbox does not produce yet. */
const FORMATS_NOT_YET = ['local', 'priority', 'short', 'timed', 'iso'];
/** Default UDP syslog port. */
export const SYSLOG_PORT = 514;
/** Default longest line (HAProxy's). */
export const DEFAULT_LOG_LEN = 1024;
const MAX_UNIX_PATH = 107;

const USAGE = 'log <address> [len <length>] [format rfc3164|rfc5424|raw] <facility> [<level> [<minlevel>]]';

/** Parses the `<address>` of a log line. Throws {@link ConfigValueError} for unsupported or invalid ones. */
export function parseLogAddress(text: string): LogAddress {
  if (text === 'stdout' || text === 'fd@1') return { kind: 'stdout' };
  if (text === 'stderr' || text === 'fd@2') return { kind: 'stderr' };
  if (text.startsWith('/') || text.startsWith('unix@')) {
    const path = text.startsWith('unix@') ? text.slice(5) : text;
    if (path === '') throw new ConfigValueError(`missing socket path after 'unix@'`);
    if (Buffer.byteLength(path) > MAX_UNIX_PATH) throw new ConfigValueError(`socket path '${path}' is longer than ${MAX_UNIX_PATH} bytes, the limit of UNIX socket paths`);
    return { kind: 'unix', path };
  }
  const prefix = /^([a-z0-9]+)@/.exec(text)?.[1];
  if (prefix !== undefined && !['udp', 'udp4', 'udp6', 'ipv4', 'ipv6'].includes(prefix)) {
    throw new ConfigValueError(`log address '${text}' is not supported yet, use stdout, stderr, a UNIX socket path or [udp@]<host>[:<port>]`);
  }
  const { host, port } = parseHostPort(prefix === undefined ? text : text.slice(prefix.length + 1));
  return { kind: 'udp', host, port: port ?? SYSLOG_PORT };
}

function oneOf<T extends string>(list: readonly T[], text: string, what: string): T {
  if ((list as readonly string[]).includes(text)) return text as T;
  throw new ConfigValueError(`unknown ${what} '${text}', expected one of ${list.join(', ')}`);
}

/**
 * Parses a whole `log` line (`ctx.args[0]` is `log`). `log global` is returned as a reference when
 * `allowGlobal`, else rejected (the global section cannot refer to itself).
 */
export function parseLogLine(ctx: KeywordContext<unknown>, allowGlobal: boolean): ProxyLogLine {
  const target = ctx.args[1];
  const src = { file: ctx.file, line: ctx.line };
  if (target === undefined) throw new ConfigValueError(`missing address, expected '${USAGE}'${allowGlobal ? " or 'log global'" : ''}`);
  if (target === 'global') {
    if (!allowGlobal) throw new ConfigValueError(`'log global' is only valid in proxy sections, where it copies the global section's log lines`);
    if (ctx.args.length > 2) throw new ConfigValueError(`unexpected argument '${ctx.args[2]}', 'log global' takes none`);
    return { kind: 'global', ...src };
  }
  const address = parseLogAddress(target);
  let len = DEFAULT_LOG_LEN;
  let format: LogFormat = 'rfc3164';
  let i = 2;
  for (;;) {
    const opt = ctx.args[i];
    if (opt !== 'len' && opt !== 'format' && opt !== 'sample') break;
    const val = ctx.args[i + 1];
    if (val === undefined) throw new ConfigValueError(`missing value after '${opt}'`);
    if (opt === 'sample') throw new ConfigValueError(`'sample' is not supported yet`);
    if (opt === 'len') {
      try {
        len = parseInteger(val, 80, 65535);
      } catch (err) {
        if (err instanceof UnitError) throw new ConfigValueError(`len: ${err.message}`);
        throw err;
      }
    } else if (FORMATS_NOT_YET.includes(val)) {
      throw new ConfigValueError(`format '${val}' is not supported yet, expected ${FORMATS.join(', ')}`);
    } else {
      format = oneOf(FORMATS, val, 'format');
    }
    i += 2;
  }
  const fac = ctx.args[i];
  if (fac === undefined) throw new ConfigValueError(`missing facility after '${target}', expected '${USAGE}' (e.g. 'log stdout format raw local0')`);
  const facility = oneOf(SYSLOG_FACILITIES, fac, 'facility');
  const level = ctx.args[i + 1] === undefined ? undefined : oneOf(SYSLOG_LEVELS, ctx.args[i + 1], 'level');
  const minLevel = ctx.args[i + 2] === undefined ? undefined : oneOf(SYSLOG_LEVELS, ctx.args[i + 2], 'level');
  if (ctx.args.length > i + 3) throw new ConfigValueError(`unexpected argument '${ctx.args[i + 3]}', expected '${USAGE}'`);
  const out: LogConfig = { address, len, format, facility, level, minLevel, ...src };
  return out;
}

/** `log` in the global section. */
export const GLOBAL_LOG_KEYWORD: KeywordDef<GlobalState> = {
  usage: USAGE,
  parse(ctx) {
    ctx.state.value.logs.push(parseLogLine(ctx, false) as LogConfig);
  },
};

/** `log` in proxy sections; a second `log global` in effect is ignored with a warning. */
export const PROXY_LOG_KEYWORD: KeywordDef<ProxyState> = {
  usage: `${USAGE} | log global`,
  parse(ctx) {
    const l = parseLogLine(ctx, true);
    const prev = 'address' in l ? undefined : ctx.state.logs.find((x) => !('address' in x));
    if (prev) {
      ctx.warn(`'log global' is already in effect (set at ${prev.file}:${prev.line}); this line is ignored`);
      return;
    }
    ctx.state.logs.push(l);
  },
};
