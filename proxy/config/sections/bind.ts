/**
 * The `bind` keyword of frontend and listen sections (HAProxy configuration manual, 4.2 "bind"
 * and 5.1 "Bind options"). Supported: `bind <addr>:<port>[,<addr>:<port>...] [name <name>] [ssl]
 * [crt <pem-file-or-directory>]... [alpn <list>]`, where `<addr>` is `*`, empty, an IPv4 literal, or
 * an IPv6 literal, bracketed (`[::1]:80`) or not (`:::8080`: the last colon separates the port, as
 * HAProxy does).
 *
 * TLS (`ssl`): every `crt` is loaded and checked here (proxy/tls/certs.ts), so a missing file, a bad
 * PEM or a missing or mismatched key is an alert at the line; `ssl` without `crt` is HAProxy's "no
 * SSL certificate specified" alert, `crt` or `alpn` without `ssl` HAProxy's warning (the bind stays
 * plain TCP). `alpn` must offer `http/1.1` (proxy/tls/alpn.ts).
 *
 * QUIC (HTTP/3): `bind quic4@<addr>:<port> ssl crt <pem> [alpn h3]` (and `quic6@` for IPv6), HAProxy's
 * syntax (configuration manual 11.1 "Address formats", 5.1 "alpn"). The bind is a UDP listener
 * (proxy/quic/udp/listener.ts); `ssl` and a loadable `crt` are required as for TCP, `alpn` defaults
 * to `h3` and must offer it (other names are dropped with a warning: only HTTP/3 is served on QUIC).
 * `quic-force-retry` (HAProxy's bind option, configuration manual 5.1) makes the listener answer
 * every client Initial without a valid address-validation token with a Retry (RFC 9000 §8.1.2);
 * on a TCP bind it is ignored with a warning.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { resolve } from 'node:path';
import { ConfigValueError } from '../alerts.ts';
import type { ProxyState } from '../builder.ts';
import type { BindConfig, BindSslConfig } from '../config.types.ts';
import type { KeywordContext, KeywordDef } from '../keyword.ts';
import { CertError, loadCrts } from '../../tls/certs.ts';
import { parseAlpnList } from '../../tls/alpn.ts';

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
    const proto = /^([a-z0-9]+)@/.exec(text)?.[1];
    if (proto === 'quic4' || proto === 'quic6') throw new ConfigValueError(`address '${text}': '${proto}@' must prefix the whole bind address list`);
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

/** HAProxy bind options (5.1) Flightbox does not implement yet: named in a clearer alert than "unknown". */
const NOT_YET = [
  'accept-netscaler-cip', 'accept-proxy', 'allow-0rtt', 'backlog', 'ca-file', 'ca-ignore-err', 'ca-sign-file',
  'ca-sign-pass', 'ciphers', 'ciphersuites', 'crl-file', 'crt-ignore-err', 'crt-list', 'curves', 'defer-accept',
  'ecdhe', 'force-sslv3', 'force-tlsv10', 'force-tlsv11', 'force-tlsv12', 'force-tlsv13', 'generate-certificates',
  'gid', 'group', 'id', 'interface', 'level', 'maxconn', 'mode', 'mss', 'namespace', 'nice', 'no-ca-names',
  'no-sslv3', 'no-tls-tickets', 'no-tlsv10', 'no-tlsv11', 'no-tlsv12', 'no-tlsv13', 'npn', 'prefer-client-ciphers',
  'process', 'proto', 'sigalgs', 'ssl-max-ver', 'ssl-min-ver', 'strict-sni', 'tcp-ut', 'tfo', 'thread', 'tls-ticket-keys',
  'transparent', 'uid', 'user', 'v4v6', 'v6only', 'verify',
];

const OPTIONS_TEXT = "'name <name>', 'ssl', 'crt <pem-file-or-directory>', 'alpn <list>' or 'quic-force-retry'";

/** The options after the address of a bind line, as written. */
interface BindOptions {
  name: string | undefined;
  ssl: boolean;
  crt: string[];
  alpn: string | undefined;
  quicForceRetry: boolean;
}

function parseOptions(ctx: KeywordContext<ProxyState>, spec: string): BindOptions {
  const o: BindOptions = { name: undefined, ssl: false, crt: [], alpn: undefined, quicForceRetry: false };
  for (let i = 2; i < ctx.args.length; ) {
    const opt = ctx.args[i];
    if (opt === 'ssl') {
      o.ssl = true;
      i += 1;
      continue;
    }
    if (opt === 'quic-force-retry') {
      o.quicForceRetry = true;
      i += 1;
      continue;
    }
    if (opt === 'name' || opt === 'crt' || opt === 'alpn') {
      const val = ctx.args[i + 1];
      if (val === undefined || val === '') throw new ConfigValueError(`missing value after '${opt}'`);
      if (opt === 'name') o.name = val;
      else if (opt === 'crt') o.crt.push(resolve(ctx.cwd, val));
      else o.alpn = val;
      i += 2;
      continue;
    }
    if (NOT_YET.includes(opt)) throw new ConfigValueError(`bind option '${opt}' for '${spec}' is not supported yet; supported: ${OPTIONS_TEXT}`);
    throw new ConfigValueError(`unknown option '${opt}' for '${spec}', expected ${OPTIONS_TEXT} (other bind options are not supported yet)`);
  }
  return o;
}

/**
 * Splits a `quic4@` / `quic6@` prefix off a bind spec (HAProxy configuration manual 11.1). Other
 * `<proto>@` prefixes are left for parseBindAddress to refuse.
 */
export function splitQuicPrefix(spec: string): { quic: 'quic4' | 'quic6' | undefined; rest: string } {
  const m = /^(quic4|quic6)@(.*)$/.exec(spec);
  return m ? { quic: m[1] as 'quic4' | 'quic6', rest: m[2] } : { quic: undefined, rest: spec };
}

/** The address family a `quicN@` prefix allows: an IPv4 address for quic4, IPv6 for quic6. */
function checkQuicFamily(quic: 'quic4' | 'quic6', a: BindAddress, spec: string): void {
  if (quic === 'quic4' && !isIPv4(a.host)) throw new ConfigValueError(`'${spec}': quic4@ needs an IPv4 address (or '*'), got '${a.host}'; use quic6@ for IPv6`);
  if (quic === 'quic6' && !isIPv6(a.host)) throw new ConfigValueError(`'${spec}': quic6@ needs an IPv6 address (e.g. 'quic6@[::]:443'), got '${a.host}'; use quic4@ for IPv4`);
}

/**
 * The TLS settings of a QUIC bind: `ssl` and `crt` required (QUIC always runs TLS 1.3, RFC 9001),
 * certificates checked as for TCP, ALPN `h3` by default and required in an explicit list (RFC 9114
 * §3.1); other protocol names are dropped with a warning.
 */
function quicSslConfig(ctx: KeywordContext<ProxyState>, spec: string, o: BindOptions): BindSslConfig {
  const where = `bind ${spec}`;
  if (!o.ssl) {
    throw new ConfigValueError(`QUIC bind '${spec}' needs 'ssl' and 'crt <pem>' (QUIC always runs TLS 1.3); write 'bind ${spec} ssl crt <pem-file> alpn h3'`, where);
  }
  const checked = sslConfig(ctx, spec, { ...o, alpn: undefined })!;
  let alpn = ['h3'];
  if (o.alpn !== undefined) {
    const names = o.alpn.split(',');
    const bad = names.find((n) => n === '' || Buffer.byteLength(n) > 255 || /\s/.test(n));
    if (bad !== undefined) throw new ConfigValueError(`invalid ALPN list '${o.alpn}': ${bad === '' ? 'empty protocol name' : `protocol name '${bad}' is invalid`}; write 'alpn h3'`, where);
    if (!names.includes('h3')) {
      throw new ConfigValueError(`ALPN list '${o.alpn}' of QUIC bind '${spec}' does not offer 'h3': Flightbox speaks only HTTP/3 over QUIC; use 'alpn h3'`, where);
    }
    const dropped = [...new Set(names.filter((n) => n !== 'h3'))];
    if (dropped.length > 0) ctx.warn(`'${where}' : ALPN ${dropped.map((n) => `'${n}'`).join(', ')} not offered: Flightbox speaks only HTTP/3 (h3) over QUIC`);
    alpn = ['h3'];
  }
  return { crt: checked.crt, alpn };
}

/** The TLS settings of a bind line, certificates loaded and checked; undefined without `ssl`. */
function sslConfig(ctx: KeywordContext<ProxyState>, spec: string, o: BindOptions): BindSslConfig | undefined {
  const where = `bind ${spec}`;
  if (!o.ssl) {
    if (o.crt.length > 0 || o.alpn !== undefined) {
      const what = o.crt.length > 0 ? 'a certificate was specified' : "'alpn' was specified";
      ctx.warn(`'${where}' : ${what} but SSL was not enabled on this bind (use 'ssl'); it accepts plain HTTP`);
    }
    return undefined;
  }
  if (o.crt.length === 0) {
    throw new ConfigValueError(
      `no SSL certificate specified for ${ctx.state.kind} '${ctx.state.name}' (use 'crt <file>' with a PEM file holding the certificate, its chain and its private key, or 'crt <directory>' of such files)`,
      where,
    );
  }
  try {
    loadCrts(o.crt);
  } catch (err) {
    if (err instanceof CertError) throw new ConfigValueError(err.message, where);
    throw err;
  }
  let alpn: string[] | undefined;
  if (o.alpn !== undefined) {
    const a = parseAlpnList(o.alpn);
    if ('error' in a) throw new ConfigValueError(a.error, where);
    if (a.dropped.length > 0) {
      const names = a.dropped.map((n) => `'${n}'`).join(', ');
      ctx.warn(`'${where}' : ALPN ${names} not offered: Flightbox speaks only HTTP/1.1 on TCP (clients negotiate ${a.offered.join(' or ')})`);
    }
    alpn = a.offered;
  }
  return { crt: o.crt, alpn };
}

/** `bind [quic4@|quic6@]<addr>:<port>[,...] [name <name>] [ssl] [crt <pem|dir>]... [alpn <list>] [quic-force-retry]`. */
export const BIND_KEYWORD: KeywordDef<ProxyState> = {
  // Kept as HAProxy's short form (tests pin it); `quic4@`/`quic6@` prefixes are documented above.
  usage: 'bind <address>:<port>[,<address>:<port>...] [name <name>]',
  parse(ctx: KeywordContext<ProxyState>) {
    const spec = ctx.args[1];
    if (spec === undefined || spec === '') throw new ConfigValueError(`missing address, expected '${ctx.usage}'`);
    const { quic, rest } = splitQuicPrefix(spec);
    const addrs = rest.split(',').map(parseBindAddress);
    if (quic) for (const a of addrs) checkQuicFamily(quic, a, spec);
    const opts = parseOptions(ctx, spec);
    const ssl = quic ? quicSslConfig(ctx, spec, opts) : sslConfig(ctx, spec, opts);
    if (opts.quicForceRetry && !quic) ctx.warn(`'bind ${spec}' : 'quic-force-retry' applies only to QUIC binds ('quic4@' / 'quic6@' addresses); ignored on this TCP bind`);
    for (const a of addrs) {
      const b: BindConfig = { host: a.host, port: a.port, name: opts.name, file: ctx.file, line: ctx.line };
      if (quic) b.quic = quic;
      if (quic && opts.quicForceRetry) b.quicForceRetry = true;
      if (ssl) b.ssl = { crt: [...ssl.crt], alpn: ssl.alpn && [...ssl.alpn] };
      ctx.state.binds.push(b);
    }
  },
};
