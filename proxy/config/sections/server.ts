/**
 * `server <name> <address>:<port> [settings...]` and `default-server [settings...]` (HAProxy
 * configuration manual, 4.2 "server" and 5.2 "Server and default-server options"). A server starts
 * from the `default-server` settings in force when it is declared (a defaults section's are
 * inherited by the proxies after it), then applies its own, in any order. Supported settings:
 *
 *   weight <0..256>  maxconn <n>  backup|no-backup  disabled|enabled  check|no-check
 *   inter <time>  rise <n>  fall <n>  ssl|no-ssl  verify none|required  ca-file <file>|@system-ca
 *   sni str(<name>)|req.hdr(host)
 *
 * Defaults are HAProxy's: weight 1, maxconn 0 (no limit), inter 2s, rise 2, fall 3, verify required.
 * Unsupported settings are alerts. Duplicate names and `ssl` without a CA are post-parse checks.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigValueError } from '../alerts.ts';
import type { ProxyState, ServerSettings } from '../builder.ts';
import type { KeywordContext, KeywordDef } from '../keyword.ts';
import { parseInteger, parseTime, UnitError } from '../units.ts';
import { parseHostPort } from './address.ts';

type Ctx = KeywordContext<ProxyState>;

/** Characters HAProxy permits in a server name. */
const NAME_RE = /^[A-Za-z0-9_.:-]+$/;

/** `ca-file` value that designates the system's trusted CAs (HAProxy 2.6+). */
export const SYSTEM_CA = '@system-ca';

const FLAGS: Record<string, (s: ServerSettings) => void> = {
  backup: (s) => (s.backup = true),
  'no-backup': (s) => (s.backup = false),
  disabled: (s) => (s.disabled = true),
  enabled: (s) => (s.disabled = false),
  check: (s) => (s.check = true),
  'no-check': (s) => (s.check = false),
  ssl: (s) => (s.ssl = true),
  'no-ssl': (s) => (s.ssl = false),
};

const VALUED = ['weight', 'maxconn', 'inter', 'rise', 'fall', 'verify', 'ca-file', 'sni'] as const;

/** Settings of HAProxy that Flightbox does not implement yet (a clearer alert than "unknown"). */
const NOT_YET = [
  'addr', 'agent-check', 'agent-port', 'alpn', 'check-ssl', 'check-sni', 'cookie', 'crt', 'downinter', 'fastinter',
  'id', 'init-addr', 'maxqueue', 'minconn', 'observe', 'on-error', 'port', 'proto', 'resolvers', 'send-proxy',
  'send-proxy-v2', 'slowstart', 'source', 'track', 'verifyhost',
];

const SETTINGS_LIST = `${VALUED.join(', ')}, ${Object.keys(FLAGS).join(', ')}`;

function checked<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof UnitError) throw new ConfigValueError(`${what}: ${err.message}`);
    throw err;
  }
}

function parseSni(expr: string): string {
  if (/^str\([^()\s]+\)$/.test(expr) || /^req\.hdr\(host\)$/i.test(expr)) return expr;
  throw new ConfigValueError(`sni expression '${expr}' is not supported yet, use 'str(<name>)' or 'req.hdr(host)'`);
}

function parseCaFile(ctx: Ctx, file: string): string {
  if (file === SYSTEM_CA) return file;
  const path = resolve(ctx.cwd, file);
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigValueError(`cannot read CA file '${file}' (${reason}); check the path (relative paths start from ${ctx.cwd}) or use '${SYSTEM_CA}'`);
  }
  return path;
}

/** Applies one valued setting to `s`. */
function applyValued(ctx: Ctx, s: ServerSettings, opt: (typeof VALUED)[number], val: string): void {
  switch (opt) {
    case 'weight':
      s.weight = checked('weight', () => parseInteger(val, 0, 256));
      break;
    case 'maxconn':
      s.maxconn = checked('maxconn', () => parseInteger(val, 0, Number.MAX_SAFE_INTEGER));
      break;
    case 'inter': {
      const ms = checked('inter', () => parseTime(val));
      if (ms === 0) throw new ConfigValueError(`inter: time '${val}' must be greater than zero`);
      s.inter = ms;
      break;
    }
    case 'rise':
      s.rise = checked('rise', () => parseInteger(val, 1, Number.MAX_SAFE_INTEGER));
      break;
    case 'fall':
      s.fall = checked('fall', () => parseInteger(val, 1, Number.MAX_SAFE_INTEGER));
      break;
    case 'verify':
      if (val !== 'none' && val !== 'required') throw new ConfigValueError(`verify: invalid value '${val}', expected 'none' or 'required'`);
      s.verify = val;
      s.verifySet = true;
      break;
    case 'ca-file':
      s.caFile = parseCaFile(ctx, val);
      break;
    case 'sni':
      s.sni = parseSni(val);
      break;
  }
}

/** Applies the settings `ctx.args[from..]` to `s`; `who` names the line in messages (`server 's1'`, `default-server`). */
function applySettings(ctx: Ctx, s: ServerSettings, from: number, who: string): void {
  for (let i = from; i < ctx.args.length; ) {
    const opt = ctx.args[i];
    const flag = Object.hasOwn(FLAGS, opt) ? FLAGS[opt] : undefined;
    if (flag) {
      flag(s);
      i += 1;
      continue;
    }
    if ((VALUED as readonly string[]).includes(opt)) {
      const val = ctx.args[i + 1];
      if (val === undefined) throw new ConfigValueError(`missing value after '${opt}' for ${who}`);
      applyValued(ctx, s, opt as (typeof VALUED)[number], val);
      i += 2;
      continue;
    }
    if (NOT_YET.includes(opt)) throw new ConfigValueError(`setting '${opt}' of ${who} is not supported yet; supported: ${SETTINGS_LIST}`);
    throw new ConfigValueError(`unknown setting '${opt}' for ${who}, expected one of ${SETTINGS_LIST}`);
  }
}

/** Parses a server address: `<ip|host>:<port>`, with optional `ipv4@`/`ipv6@` family prefixes. */
export function parseServerAddress(text: string): { host: string; port: number } {
  if (/^\*(:|$)/.test(text)) {
    throw new ConfigValueError(`address '${text}' (forward to the client's original destination) is not supported, give the server's address`);
  }
  let rest = text;
  const prefix = /^([a-z0-9]+)@/.exec(text)?.[1];
  if (prefix === 'ipv4' || prefix === 'ipv6') rest = text.slice(prefix.length + 1);
  else if (prefix !== undefined || text.startsWith('/')) {
    throw new ConfigValueError(`address '${text}' is not supported yet, only '<address>:<port>' (e.g. '10.0.0.1:8080', 'app.local:80', '[::1]:8080')`);
  }
  const { host, port } = parseHostPort(rest);
  if (prefix === 'ipv4' && host.includes(':')) throw new ConfigValueError(`'${host}' is not an IPv4 address (prefix 'ipv4@')`);
  if (prefix === 'ipv6' && !host.includes(':')) throw new ConfigValueError(`'${host}' is not an IPv6 address (prefix 'ipv6@')`);
  if (host === '*' || host === '0.0.0.0' || host === '::') {
    throw new ConfigValueError(`address '${text}' (forward to the client's original destination) is not supported, give the server's address`);
  }
  if (port === undefined) {
    throw new ConfigValueError(`missing port in '${text}', expected '<address>:<port>' (servers without a port, which reuse the client's port, are not supported)`);
  }
  return { host, port };
}

/** `server <name> <address>:<port> [settings...]`. */
export const SERVER_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'server <name> <address>:<port> [settings...]',
  parse(ctx) {
    const name = ctx.args[1];
    const addr = ctx.args[2];
    if (name === undefined || addr === undefined) throw new ConfigValueError(`missing ${name === undefined ? 'name' : 'address'}, expected '${ctx.usage}'`);
    if (!NAME_RE.test(name)) {
      const bad = [...name].find((c) => !NAME_RE.test(c));
      const shown = bad === undefined ? 'an empty name' : `character '${bad}' in server name '${name}'`;
      throw new ConfigValueError(`${shown} is not permitted, use letters, digits, '-', '_', '.' and ':'`);
    }
    const { host, port } = parseServerAddress(addr);
    const settings: ServerSettings = { ...ctx.state.defaultServer };
    applySettings(ctx, settings, 3, `server '${name}'`);
    ctx.state.servers.push({ name, host, port, ...settings, file: ctx.file, line: ctx.line });
  },
};

/** `default-server [settings...]`: presets for the next `server` lines of this section (and of proxies after a defaults section). */
export const DEFAULT_SERVER_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'default-server [settings...]',
  parse(ctx) {
    const settings: ServerSettings = { ...ctx.state.defaultServer };
    applySettings(ctx, settings, 1, 'default-server');
    ctx.state.defaultServer = settings;
  },
};
