/**
 * TLS towards servers: `server ... ssl [verify none|required] [ca-file <file>|@system-ca]
 * [sni <expr>]` (HAProxy configuration manual, 5.2), through node:tls.
 *
 * - `verify required` (the default): the server's chain must verify against `ca-file` (the system's
 *   trusted CAs for `@system-ca`). As in HAProxy, the certificate's name is checked only against the
 *   SNI sent (HAProxy 2.2+ without `verifyhost`): without `sni`, any certificate the CA signed passes.
 * - `verify none`: any certificate is accepted.
 * - `sni str(<name>)` sends `<name>`; `sni req.hdr(host)` sends the request's Host header without
 *   its port, lower-cased (an IP literal, or no Host, sends no SNI: RFC 6066 §3 allows host names
 *   only).
 *
 * CA bundles are read once per thread and kept by path.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, getCACertificates, type ConnectionOptions } from 'node:tls';
import type { ServerConfig } from '../config/config.types.ts';
import { SYSTEM_CA } from '../config/sections/server.ts';
import { splitPem } from './certs.ts';

/**
 * The SNI to send for `sni <expr>` (`str(<name>)` or `req.hdr(host)`, as the parser accepts them)
 * given the request's Host header (`host`, undefined when unknown); undefined: send none.
 */
export function resolveServerSni(expr: string | undefined, host: string | undefined): string | undefined {
  if (expr === undefined) return undefined;
  const lit = /^str\(([^()\s]+)\)$/.exec(expr);
  if (lit) return lit[1];
  if (!/^req\.hdr\(host\)$/i.test(expr) || host === undefined) return undefined;
  let name = host.trim();
  if (name.startsWith('[')) return undefined; // [v6]:port
  const colon = name.lastIndexOf(':');
  if (colon >= 0 && /^\d*$/.test(name.slice(colon + 1))) name = name.slice(0, colon);
  name = name.replace(/\.$/, '').toLowerCase();
  if (name === '' || isIP(name) !== 0) return undefined;
  return name;
}

const caCache = new Map<string, string[]>();

/** The CA certificates (PEM) of `ca-file`: the system's for `@system-ca`. Throws with a message when unreadable or empty. */
export function loadCaFile(caFile: string): string[] {
  const hit = caCache.get(caFile);
  if (hit) return hit;
  let certs: string[];
  if (caFile === SYSTEM_CA) certs = getCACertificates('system');
  else {
    let text: string;
    try {
      text = readFileSync(caFile, 'latin1');
    } catch (err) {
      throw new Error(`unable to load CA file '${caFile}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path and its permissions`);
    }
    certs = splitPem(text).certs;
    if (certs.length === 0) throw new Error(`unable to load CA file '${caFile}': it holds no PEM certificate; give a file of '-----BEGIN CERTIFICATE-----' blocks`);
    certs.forEach((c, i) => {
      try {
        new X509Certificate(c);
      } catch (err) {
        throw new Error(`unable to load CA file '${caFile}': certificate #${i + 1} does not parse (${(err as Error).message}); fix or remove it`);
      }
    });
  }
  caCache.set(caFile, certs);
  return certs;
}

/**
 * A configuration problem of a TLS server that only loading its CA file reveals (unreadable, not
 * PEM); undefined when fine or not applicable. Used by the engine-support check so `check`/`run`
 * refuse it at the server's line.
 */
export function serverTlsProblem(s: ServerConfig): string | undefined {
  if (!s.ssl || s.verify !== 'required' || s.caFile === undefined) return undefined;
  try {
    loadCaFile(s.caFile);
    return undefined;
  } catch (err) {
    return `server '${s.name}' : ${(err as Error).message}`;
  }
}

/**
 * node:tls options for a connection to `server` sending `sni` (undefined: none). Throws when the
 * CA file cannot be loaded (the caller reports a connection failure).
 */
export function serverTlsOptions(server: Pick<ServerConfig, 'verify' | 'caFile'>, sni: string | undefined): ConnectionOptions {
  const verify = server.verify === 'required';
  const o: ConnectionOptions = {
    rejectUnauthorized: verify,
    // HAProxy checks the name only against the SNI it sent (no `verifyhost` here).
    checkServerIdentity: (_host, cert) => (verify && sni !== undefined ? checkServerIdentity(sni, cert) : undefined),
  };
  if (sni !== undefined) o.servername = sni;
  if (verify && server.caFile !== undefined) o.ca = loadCaFile(server.caFile);
  return o;
}

/** A short description of a TLS failure for traces and error reasons: `<code>: <message>`. */
export function describeTlsError(e: NodeJS.ErrnoException): string {
  const msg = e.message
    .split('\n')[0]
    .replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:/, '')
    // Node's hint about its own command line means nothing to a proxy operator.
    .replace(/; if the root CA is installed locally.*$/, '')
    .slice(0, 160);
  return e.code ? `${e.code}: ${msg}` : msg;
}
