/**
 * Test certificates made with the `openssl` CLI in a temp dir: a CA, and leaf certificates it signs
 * (EC P-256, valid 100 years) written HAProxy style (certificate, CA as chain, key in one PEM).
 * Shared by the TLS unit tests and test/e2e/tls.test.ts. Call cleanup() when done.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** One issued certificate: its files and PEM texts. */
export interface Issued {
  /** Certificate + CA + key: what `crt` takes. */
  pem: string;
  /** The certificate alone. */
  crt: string;
  /** The key alone. */
  key: string;
  certText: string;
  keyText: string;
}

/** A test CA in a temp dir. */
export interface Pki {
  dir: string;
  /** The CA certificate (what `ca-file` / curl `--cacert` take). */
  caFile: string;
  /**
   * Issues a certificate with subject CN `cn` and subjectAltName DNS `dns` (default: [cn]). The
   * combined PEM goes to `file` (relative to `dir`, default a fresh name); the separate certificate
   * and key go to `dir/parts`, so a directory of combined PEMs holds nothing else.
   */
  issue(cn: string, dns?: string[], file?: string): Issued;
  cleanup(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates a CA named `name` in a fresh temp dir (or in `dir`). */
export function createPki(name = 'Flightbox Test CA', dir?: string): Pki {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'fb-pki-'));
  const tag = name.replace(/\W+/g, '-');
  mkdirSync(join(d, 'parts'), { recursive: true });
  const caKey = join(d, 'parts', `${tag}.ca.key`);
  const caFile = join(d, `${tag}.ca.pem`);
  openssl(['req', '-x509', ...EC, '-keyout', caKey, '-out', caFile, '-days', '36500', '-subj', `/CN=${name}`], d);
  let n = 0;
  return {
    dir: d,
    caFile,
    issue(cn, dns = [cn], file) {
      const parts = join(d, 'parts');
      mkdirSync(parts, { recursive: true });
      const base = join(parts, `${cn.replace(/[^\w.-]/g, '_')}-${++n}`);
      const ext = `${base}.ext`;
      writeFileSync(ext, dns.length > 0 ? `subjectAltName=${dns.map((x) => `DNS:${x}`).join(',')}\n` : 'basicConstraints=CA:FALSE\n');
      openssl(['req', '-new', ...EC, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${cn}`], d);
      openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', caFile, '-CAkey', caKey, '-CAserial', join(parts, 'ca.srl'), '-CAcreateserial', '-days', '36500', '-out', `${base}.crt`, '-extfile', ext], d);
      const certText = readFileSync(`${base}.crt`, 'utf8');
      const keyText = readFileSync(`${base}.key`, 'utf8');
      const pem = join(d, file ?? `${cn.replace(/[^\w.-]/g, '_')}-${n}.pem`);
      mkdirSync(dirname(pem), { recursive: true });
      writeFileSync(pem, certText + readFileSync(caFile, 'utf8') + keyText);
      rmSync(`${base}.csr`);
      rmSync(ext);
      return { pem, crt: `${base}.crt`, key: `${base}.key`, certText, keyText };
    },
    cleanup() {
      if (!dir) rmSync(d, { recursive: true, force: true });
    },
  };
}
