/**
 * `<host>[:<port>]` addresses of `server` and `log` lines (HAProxy configuration manual, 11
 * "Address formats"): an IPv4 literal, a bracketed IPv6 literal (`[::1]:80`), an unbracketed IPv6
 * literal whose last colon separates the port (`::1:80`, `::1:` for no port), or a host name that
 * is resolved at startup.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigValueError } from '../alerts.ts';

/** A parsed address; `port` is undefined when none was written. */
export interface HostPort {
  host: string;
  port: number | undefined;
}

/** RFC 1123 host name (labels of letters, digits and inner '-'; '_' tolerated as resolvers do). */
const HOSTNAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** True when `host` is an IP literal or a syntactically valid host name. */
export function isValidHost(host: string): boolean {
  return isIPv4(host) || isIPv6(host) || (HOSTNAME.test(host) && !/^[0-9.]+$/.test(host));
}

function parsePort(text: string, whole: string): number {
  if (/^[+-]\d+$/.test(text)) {
    throw new ConfigValueError(`port offset '${text}' in '${whole}' is not supported, give a port between 1 and 65535`);
  }
  if (!/^\d+$/.test(text)) throw new ConfigValueError(`invalid port '${text}' in '${whole}', expected a port between 1 and 65535`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new ConfigValueError(`port ${text} in '${whole}' is out of range, expected 1..65535`);
  return port;
}

/**
 * Splits `text` into host and optional port and checks both. Throws {@link ConfigValueError}
 * naming the address for an invalid host, a bad port or a port offset (`+1`).
 */
export function parseHostPort(text: string): HostPort {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new ConfigValueError(`missing ']' in '${text}', expected '[<ipv6>]:<port>'`);
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new ConfigValueError(`unexpected '${rest}' after ']' in '${text}', expected '[<ipv6>]:<port>'`);
    portText = rest === '' ? undefined : rest.slice(1);
    if (!isIPv6(host)) throw new ConfigValueError(`invalid IPv6 address '${host}' in '${text}'`);
  } else {
    const colon = text.lastIndexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    if (!isValidHost(host)) {
      const hint = isIPv6(text) ? `; an IPv6 address needs a port or a final ':' ('${text}:' or '[${text}]:<port>')` : '';
      throw new ConfigValueError(`invalid address '${host}' in '${text}', expected an IPv4 or IPv6 address or a host name${hint}`);
    }
  }
  return { host, port: portText === undefined || portText === '' ? undefined : parsePort(portText, text) };
}
