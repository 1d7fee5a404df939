/**
 * Certificates of `bind ... ssl crt <pem-file-or-directory>` (HAProxy configuration manual, 5.1
 * "crt"): loading and checking PEM files, and choosing one by the server name a client sends (SNI,
 * RFC 6066 §3).
 *
 * - A PEM file holds the certificate, then its chain, and the private key (any order); when the key
 *   is not in it, `<file>.key` is tried, as HAProxy's default `ssl-load-extra-files` does.
 * - A directory: every regular file in it, in alphabetical order, except names starting with `.`
 *   and those ending in `.key`, `.issuer`, `.ocsp` or `.sctl` (HAProxy's extra files).
 * - Choice by SNI, as HAProxy's ssl_sock_switchctx_cbk(): the name, lower-cased, is looked up among
 *   every certificate's CN and subjectAltName DNS names; an exact name wins over a wildcard, and a
 *   wildcard `*.example.com` matches exactly one more label (`a.example.com`, not `example.com` nor
 *   `a.b.example.com`); among equals the first loaded wins. Nothing matches, or no SNI: the first
 *   certificate loaded (of the first `crt`) is used.
 *
 * Errors are {@link CertError}s whose message says what is wrong with which file and what to do.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { LoadedCert } from './tls.types.ts';

/** A certificate that cannot be used; the message names the file and what to do. */
export class CertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertError';
  }
}

/** File name endings HAProxy treats as companions of a certificate, skipped in a `crt` directory. */
export const EXTRA_FILE_SUFFIXES = ['.key', '.issuer', '.ocsp', '.sctl'] as const;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;
const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY']);

/** The PEM blocks of a text: certificates in order, and the first private key. */
export function splitPem(text: string): { certs: string[]; key: string | undefined; encryptedKey: boolean } {
  const certs: string[] = [];
  let key: string | undefined;
  let encryptedKey = false;
  for (const m of text.matchAll(PEM_BLOCK)) {
    const label = m[1];
    if (label === 'CERTIFICATE') certs.push(m[0] + '\n');
    else if (KEY_LABELS.has(label)) {
      if (key === undefined) key = m[0] + '\n';
      if (/Proc-Type: 4,ENCRYPTED/.test(m[0])) encryptedKey = true;
    } else if (label === 'ENCRYPTED PRIVATE KEY') encryptedKey = true;
  }
  return { certs, key, encryptedKey };
}

function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code && e.syscall ? `${e.code}` : e instanceof Error ? e.message : String(err);
}

/**
 * The names a certificate is chosen for: the subject's CN values then the subjectAltName DNS
 * entries, lower-cased, without duplicates (IP address entries are not names: RFC 6066 §3 forbids
 * IP literals in SNI).
 */
export function certNames(x: X509Certificate): string[] {
  const out: string[] = [];
  const add = (n: string) => {
    const v = n.trim().toLowerCase();
    if (v !== '' && !out.includes(v)) out.push(v);
  };
  for (const line of x.subject.split('\n')) if (line.startsWith('CN=')) add(line.slice(3));
  for (const entry of (x.subjectAltName ?? '').split(/, (?=[A-Za-z ]+:)/)) {
    const m = /^"?DNS:(.*?)"?$/.exec(entry.trim());
    if (m) add(m[1]);
  }
  return out;
}

/**
 * Loads one PEM file: certificate (+ chain) and private key (in the file, else in `<file>.key`),
 * checking that each parses and that the key belongs to the certificate. Throws {@link CertError}.
 */
export function loadCertFile(file: string): LoadedCert {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (err) {
    throw new CertError(`unable to stat SSL certificate from file '${file}' : ${reasonOf(err)}; check the path (relative paths start from the directory flightbox runs in) and its permissions`);
  }
  const pem = splitPem(text);
  if (pem.certs.length === 0) {
    throw new CertError(`no certificate found in '${file}'; a 'crt' file holds, in PEM format, the certificate, its chain and its private key`);
  }
  let x: X509Certificate;
  try {
    x = new X509Certificate(pem.certs[0]);
  } catch (err) {
    throw new CertError(`unable to load SSL certificate from PEM file '${file}' (${reasonOf(err)}); check that the file is an unaltered PEM certificate`);
  }
  pem.certs.forEach((c, i) => {
    if (i === 0) return;
    try {
      new X509Certificate(c);
    } catch (err) {
      throw new CertError(`certificate #${i + 1} (chain) in '${file}' does not parse (${reasonOf(err)}); fix or remove it`);
    }
  });
  let keyPem = pem.key;
  let keyFile = file;
  let encrypted = pem.encryptedKey;
  if (keyPem === undefined && !encrypted) {
    keyFile = `${file}.key`;
    let side: string | undefined;
    try {
      side = readFileSync(keyFile, 'latin1');
    } catch {
      side = undefined;
    }
    if (side !== undefined) {
      const k = splitPem(side);
      keyPem = k.key;
      encrypted = k.encryptedKey;
    }
    if (keyPem === undefined && !encrypted) {
      throw new CertError(
        `unable to load SSL private key from PEM file '${file}': it holds no private key (nor does '${keyFile}'); append the unencrypted private key to the PEM file (HAProxy style: certificate, chain, key)`,
      );
    }
  }
  if (keyPem === undefined || encrypted) {
    throw new CertError(`the private key in '${keyFile}' is encrypted; flightbox cannot ask for a passphrase, store it unencrypted (e.g. 'openssl pkey -in key.pem -out plain.pem') with restrictive permissions`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new CertError(`unable to load SSL private key from PEM file '${keyFile}' (${reasonOf(err)}); check that the key is an unaltered, unencrypted PEM private key`);
  }
  if (!x.checkPrivateKey(key)) {
    throw new CertError(`the private key in '${keyFile}' does not belong to the certificate in '${file}' (${x.subject.replace(/\n/g, ', ')}); put the matching key in the file`);
  }
  return { file, names: certNames(x), subject: x.subject, validTo: x.validTo, certPem: pem.certs.join(''), keyPem };
}

/** True when `name` in a `crt` directory is a companion file, not a certificate. */
function isExtraFile(name: string): boolean {
  return name.startsWith('.') || EXTRA_FILE_SUFFIXES.some((s) => name.endsWith(s));
}

/**
 * Loads the certificates of one `crt` argument: a PEM file, or every certificate file of a
 * directory (alphabetical order). Throws {@link CertError}; an empty directory is an error too.
 */
export function loadCrt(path: string): LoadedCert[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new CertError(`unable to stat SSL certificate from file '${path}' : ${reasonOf(err)}; check the path (relative paths start from the directory flightbox runs in)`);
  }
  if (!isDir) return [loadCertFile(path)];
  let names: string[];
  try {
    names = readdirSync(path).sort();
  } catch (err) {
    throw new CertError(`unable to read the certificate directory '${path}' : ${reasonOf(err)}; check its permissions`);
  }
  const out: LoadedCert[] = [];
  for (const n of names) {
    if (isExtraFile(n)) continue;
    const f = join(path, n);
    let regular: boolean;
    try {
      regular = statSync(f).isFile();
    } catch (err) {
      throw new CertError(`unable to stat SSL certificate from file '${f}' : ${reasonOf(err)}`);
    }
    if (regular) out.push(loadCertFile(f));
  }
  if (out.length === 0) throw new CertError(`no certificate file in directory '${path}'; put PEM files (certificate, chain and key) in it`);
  return out;
}

/** Loads every `crt` argument of a bind line, in order: the first certificate is the default. */
export function loadCrts(paths: readonly string[]): LoadedCert[] {
  return paths.flatMap((p) => loadCrt(p));
}

/**
 * True when certificate name `pattern` (lower-case; `*.example.com` is a wildcard) covers the server
 * name `name` (any case): equal, or a wildcard whose suffix follows exactly one non-empty label.
 */
export function matchServerName(pattern: string, name: string): boolean {
  const n = name.toLowerCase();
  if (!pattern.startsWith('*.')) return pattern === n;
  const dot = n.indexOf('.');
  return dot > 0 && n.slice(dot) === pattern.slice(1);
}

/** Something chosen by SNI (a certificate, or a test value) with the names it answers to. */
export interface SniEntry {
  readonly names: readonly string[];
}

/** The result of an SNI lookup: the entry chosen and how. */
export interface SniChoice<T extends SniEntry> {
  entry: T;
  /** `exact`, `wildcard`, or `default` when nothing matched (or no SNI was sent). */
  how: 'exact' | 'wildcard' | 'default';
}

/**
 * Builds the SNI lookup over `entries` (at least one; the first is the default). The returned
 * function maps a server name (undefined, `false` or empty: none sent) to the chosen entry.
 */
export function createSniMatcher<T extends SniEntry>(entries: readonly T[]): (servername: string | false | undefined) => SniChoice<T> {
  if (entries.length === 0) throw new Error('createSniMatcher: no certificate');
  const exact = new Map<string, T>();
  const wild = new Map<string, T>();
  for (const e of entries) {
    for (const n of e.names) {
      const key = n.toLowerCase();
      if (key.startsWith('*.')) {
        if (!wild.has(key.slice(1))) wild.set(key.slice(1), e);
      } else if (!exact.has(key)) exact.set(key, e);
    }
  }
  const fallback: SniChoice<T> = { entry: entries[0], how: 'default' };
  return (servername) => {
    if (!servername) return fallback;
    const n = servername.toLowerCase().replace(/\.$/, '');
    const e = exact.get(n);
    if (e) return { entry: e, how: 'exact' };
    const dot = n.indexOf('.');
    const w = dot > 0 ? wild.get(n.slice(dot)) : undefined;
    return w ? { entry: w, how: 'wildcard' } : fallback;
  };
}
