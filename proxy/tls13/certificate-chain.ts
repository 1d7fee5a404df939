/**
 * Certificate chains for the TLS 1.3 engines, on node:crypto's X509Certificate: the server's chain
 * and key loaded from PEM (what `bind ... ssl crt <pem>` names), and the client's check of the chain a
 * server sent against trusted CAs (RFC 8446 section 4.4.2.4; RFC 5280 path validation reduced to
 * issuer name, signature, validity period and CA flag; no revocation, no name constraints).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { fail, ok } from './alert.ts';
import type { TlsResult } from './tls13.types.ts';

/** The server's certificate chain (leaf first, DER) and the leaf's private key. */
export interface ServerCredentials {
  readonly chain: readonly Uint8Array[];
  readonly privateKey: KeyObject;
}

/** Outcome of loading credentials: the value, or a sentence saying what is wrong and what to do. */
export type LoadResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM text, in order, as X509Certificate; a block that does not parse is an error. */
export function parsePemCertificates(pem: string, what = 'PEM'): LoadResult<X509Certificate[]> {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) return { ok: false, message: `${what}: no "BEGIN CERTIFICATE" block found` };
  const out: X509Certificate[] = [];
  for (const [i, b] of blocks.entries()) {
    try {
      out.push(new X509Certificate(b));
    } catch (e) {
      return { ok: false, message: `${what}: certificate ${i + 1} does not parse (${(e as Error).message})` };
    }
  }
  return { ok: true, value: out };
}

/**
 * Loads a server chain (leaf first, then intermediates) and its private key from PEM text. The key
 * may be in the same text as the chain (HAProxy's `crt` file) or separate. Fails when the key does
 * not belong to the leaf certificate.
 */
export function loadServerCredentials(chainPem: string, keyPem: string = chainPem): LoadResult<ServerCredentials> {
  const certs = parsePemCertificates(chainPem, 'certificate chain');
  if (!certs.ok) return certs;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (e) {
    return { ok: false, message: `private key does not parse (${(e as Error).message}); give a PEM "PRIVATE KEY" block` };
  }
  if (!certs.value[0].checkPrivateKey(privateKey)) {
    return { ok: false, message: `private key does not match the first certificate (${certs.value[0].subject.replace(/\n/g, ', ')}); put the leaf first` };
  }
  return { ok: true, value: { chain: certs.value.map((c) => new Uint8Array(c.raw)), privateKey } };
}

/** How the client checks the server's chain: against trusted CAs, or not at all (`verify none`). */
export type ChainVerification = { readonly mode: 'none' } | { readonly mode: 'ca'; readonly ca: readonly X509Certificate[] };

const MAX_DEPTH = 8;

function validAt(c: X509Certificate, now: Date): boolean {
  return c.validFromDate.getTime() <= now.getTime() && now.getTime() <= c.validToDate.getTime();
}

function issued(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * Checks the server's chain (DER, leaf first) and returns the leaf. Alerts (RFC 8446 section 6.2):
 * an empty chain is decode_error (section 4.4.2.4), a certificate that does not parse is
 * bad_certificate, one outside its validity period is certificate_expired, a leaf not valid for
 * `serverName` is bad_certificate, a chain that does not lead to one of the CAs is unknown_ca. With
 * mode `none` only the parse is checked.
 */
export function verifyServerChain(
  chain: readonly Uint8Array[],
  verification: ChainVerification,
  serverName: string | undefined,
  now: Date,
): TlsResult<X509Certificate> {
  if (chain.length === 0) return fail('decode_error', 'server sent an empty certificate_list', 0);
  const certs: X509Certificate[] = [];
  for (const [i, der] of chain.entries()) {
    try {
      certs.push(new X509Certificate(der));
    } catch {
      return fail('bad_certificate', `certificate ${i} of the server chain is not valid DER X.509`, 0);
    }
  }
  const leaf = certs[0];
  if (verification.mode === 'none') return ok(leaf);
  const nameOk = (n: string): boolean => (isIP(n) ? leaf.checkIP(n) !== undefined : leaf.checkHost(n) !== undefined);
  if (serverName && !nameOk(serverName)) {
    return fail('bad_certificate', `server certificate is not valid for "${serverName}" (subject ${leaf.subject.replace(/\n/g, ', ')})`, 0);
  }
  let current = leaf;
  const rest = certs.slice(1);
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (!validAt(current, now)) {
      return fail('certificate_expired', `certificate "${current.subject.replace(/\n/g, ', ')}" is valid ${current.validFrom} .. ${current.validTo}`, 0);
    }
    if (verification.ca.some((ca) => ca.fingerprint256 === current.fingerprint256)) return ok(leaf);
    const anchor = verification.ca.find((ca) => issued(current, ca));
    if (anchor) return ok(leaf);
    const next = rest.find((c) => c.ca && issued(current, c));
    if (!next) break;
    current = next;
  }
  return fail('unknown_ca', `server chain does not lead to a trusted CA (last: issuer "${current.issuer.replace(/\n/g, ', ')}")`, 0);
}
