/**
 * The `bind` keyword of frontend and listen sections (HAProxy configuration manual, 4.2 "bind"
 * and 5.1 "Bind options"). Supported: `bind <addr>:<port>[,<addr>:<port>...] [name <name>]`, where
 * `<addr>` is `*`, empty, an IPv4 literal, or an IPv6 literal, bracketed (`[::1]:80`) or not
 * (`:::8080`: the last colon separates the port, as HAProxy does).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigValueError } from '../alerts.ts';
import type { ProxyState } from '../builder.ts';
import type { BindConfig } from '../config.types.ts';
import type { KeywordContext, KeywordDef } from '../keyword.ts';

/** A bind address split into host and port. */
export interface BindAddress {
  host: string;
  port: number;
}

/**
 * Parses one `<addr>:<port>`. `*` and an empty address mean every IPv4 address (`0.0.0.0`),
 * `::` every IPv6 address. Throws {@link ConfigValueError} naming the address otherwise.
 */
export function parseBindAddress(text: string): BindAddress {
  if (text.startsWith('/') || /^[a-z0-9]+@/.test(text)) {
    throw new ConfigValueError(`address '${text}' is not supported yet, only '<ip>:<port>' (e.g. '127.0.0.1:8080', ':8080', '[::1]:8080')`);
  }
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') {
      throw new ConfigValueError(`invalid address '${text}', expected '[<ipv6>]:<port>'`);
    }
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!isIPv6(host)) throw new ConfigValueError(`invalid IPv6 address '${host}' in '${text}'`);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw new ConfigValueError(`missing port in '${text}', expected '<address>:<port>' (e.g. ':8080')`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host === '' || host === '*') host = '0.0.0.0';
    else if (!isIPv4(host) && !isIPv6(host)) {
      throw new ConfigValueError(`invalid address '${host}' in '${text}', expected '*', an IPv4 or an IPv6 address (host names are not supported)`);
    }
  }
  if (!/^\d+$/.test(portText)) {
    const what = portText === '' ? 'missing port' : `invalid port '${portText}'`;
    throw new ConfigValueError(`${what} in '${text}', expected a port between 1 and 65535 (port ranges are not supported)`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new ConfigValueError(`port ${portText} in '${text}' is out of range, expected 1..65535`);
  return { host, port };
}

/** `bind <addr>:<port>[,...] [name <name>]`. */
export const BIND_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'bind <address>:<port>[,<address>:<port>...] [name <name>]',
  parse(ctx: KeywordContext<ProxyState>) {
    const spec = ctx.args[1];
    if (spec === undefined || spec === '') throw new ConfigValueError(`missing address, expected '${ctx.usage}'`);
    const addrs = spec.split(',').map(parseBindAddress);
    let name: string | undefined;
    for (let i = 2; i < ctx.args.length; i += 2) {
      const opt = ctx.args[i];
      if (opt !== 'name') {
        throw new ConfigValueError(`unknown option '${opt}' for '${spec}', expected 'name <name>' (other bind options are not supported yet)`);
      }
      const val = ctx.args[i + 1];
      if (val === undefined || val === '') throw new ConfigValueError(`missing value after 'name'`);
      name = val;
    }
    for (const a of addrs) {
      const b: BindConfig = { host: a.host, port: a.port, name, file: ctx.file, line: ctx.line };
      ctx.state.binds.push(b);
    }
  },
};
