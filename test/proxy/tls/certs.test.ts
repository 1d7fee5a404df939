import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { CertError, certNames, createSniMatcher, loadCertFile, loadCrt, loadCrts, matchServerName, splitPem } from '../../../proxy/tls/certs.ts';
import { createPki, type Issued, type Pki } from './pki.ts';

let pki: Pki;
let a: Issued;
let c: Issued;
beforeAll(() => {
  pki = createPki();
  a = pki.issue('a.test', ['a.test', '*.b.test'], 'certs/a.pem');
  c = pki.issue('c.test', ['c.test'], 'certs/c.pem');
});
afterAll(() => pki.cleanup());

const write = (name: string, text: string) => {
  const f = join(pki.dir, name);
  mkdirSync(join(f, '..'), { recursive: true });
  writeFileSync(f, text);
  return f;
};

describe('splitPem', () => {
  it('finds the certificates in order and the key, ignoring other blocks', () => {
    const p = splitPem(`junk\n${a.certText}-----BEGIN DH PARAMETERS-----\nAA==\n-----END DH PARAMETERS-----\n${a.keyText}${c.certText}`);
    expect(p.certs).toHaveLength(2);
    expect(new X509Certificate(p.certs[1]).subject).toBe('CN=c.test');
    expect(p.key).toContain('PRIVATE KEY');
    expect(p.encryptedKey).toBe(false);
  });
});

describe('loadCertFile', () => {
  it('loads certificate, chain and key; names are CN then DNS SANs, lower-cased, without duplicates', () => {
    const cert = loadCertFile(a.pem);
    expect(cert.names).toEqual(['a.test', '*.b.test']);
    expect(cert.subject).toBe('CN=a.test');
    expect(cert.certPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(cert.keyPem).toContain('PRIVATE KEY');
  });

  it("takes the key from '<file>.key' when the PEM has none (HAProxy's ssl-load-extra-files)", () => {
    const f = write('split/site.pem', a.certText);
    writeFileSync(`${f}.key`, a.keyText);
    expect(loadCertFile(f).names).toEqual(['a.test', '*.b.test']);
  });

  it.each([
    ['a missing file', () => join(pki.dir, 'nope.pem'), /unable to stat SSL certificate from file '.*nope\.pem' : ENOENT; check the path/],
    ['a file without certificate', () => write('bad/nocert.pem', a.keyText), /no certificate found in '.*nocert\.pem'; a 'crt' file holds/],
    ['a corrupted certificate', () => write('bad/corrupt.pem', a.certText.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA') + a.keyText), /unable to load SSL certificate from PEM file '.*corrupt\.pem'/],
    ['a missing key', () => write('bad/nokey.pem', a.certText), /unable to load SSL private key from PEM file '.*nokey\.pem': it holds no private key \(nor does '.*nokey\.pem\.key'\); append/],
    ['a key of another certificate', () => write('bad/mismatch.pem', a.certText + c.keyText), /the private key in '.*mismatch\.pem' does not belong to the certificate in '.*mismatch\.pem' \(CN=a\.test\); put the matching key/],
    ['an encrypted key', () => write('bad/enc.pem', a.certText + '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n'), /the private key in '.*enc\.pem' is encrypted; flightbox cannot ask for a passphrase/],
  ])('refuses %s with a message saying what to do', (_what, file, message) => {
    expect(() => loadCertFile(file())).toThrow(message);
    expect(() => loadCertFile(file())).toThrow(CertError);
  });
});

describe('loadCrt / loadCrts', () => {
  it('loads every certificate of a directory in name order, skipping extra files and dot files', () => {
    writeFileSync(join(pki.dir, 'certs', 'a.pem.key'), 'not a certificate');
    writeFileSync(join(pki.dir, 'certs', 'c.pem.ocsp'), 'not a certificate');
    writeFileSync(join(pki.dir, 'certs', '.hidden'), 'not a certificate');
    mkdirSync(join(pki.dir, 'certs', 'sub'), { recursive: true });
    expect(loadCrt(join(pki.dir, 'certs')).map((x) => x.names[0])).toEqual(['a.test', 'c.test']);
  });
  it('keeps the order of several crt arguments (the first certificate is the default)', () => {
    expect(loadCrts([c.pem, join(pki.dir, 'certs')]).map((x) => x.names[0])).toEqual(['c.test', 'a.test', 'c.test']);
  });
  it('refuses an empty directory and names a bad file inside one', () => {
    mkdirSync(join(pki.dir, 'empty'), { recursive: true });
    expect(() => loadCrt(join(pki.dir, 'empty'))).toThrow(/no certificate file in directory '.*empty'; put PEM files/);
    write('mixed/z.pem', 'garbage');
    writeFileSync(join(pki.dir, 'mixed', 'a.pem'), readFileSync(a.pem));
    expect(() => loadCrt(join(pki.dir, 'mixed'))).toThrow(/no certificate found in '.*mixed\/z\.pem'/);
  });
});

describe('certNames', () => {
  it('ignores IP address entries of subjectAltName', () => {
    const x = { subject: 'O=Org\nCN=Web.Example', subjectAltName: 'IP Address:127.0.0.1, DNS:www.example, DNS:web.example' } as unknown as X509Certificate;
    expect(certNames(x)).toEqual(['web.example', 'www.example']);
  });
});

describe('matchServerName', () => {
  it.each([
    ['a.test', 'a.test', true],
    ['a.test', 'A.TEST', true],
    ['a.test', 'b.test', false],
    ['*.b.test', 'x.b.test', true],
    ['*.b.test', 'X.B.Test', true],
    ['*.b.test', 'b.test', false],
    ['*.b.test', 'y.x.b.test', false],
    ['*.b.test', '.b.test', false],
  ])('%s covers %s: %s', (pattern, name, expected) => {
    expect(matchServerName(pattern, name)).toBe(expected);
  });
});

describe('createSniMatcher', () => {
  const first = { id: 'first', names: ['www.example', '*.example'] };
  const second = { id: 'second', names: ['api.example', 'other.test'] };
  const third = { id: 'third', names: ['*.example', 'www.example', 'OTHER.test'] };
  const pick = createSniMatcher([first, second, third]);

  it('prefers an exact name over a wildcard, whatever the order', () => {
    expect(pick('api.example')).toEqual({ entry: second, how: 'exact' });
  });
  it('matches a wildcard on one label only, first loaded first', () => {
    expect(pick('shop.example')).toEqual({ entry: first, how: 'wildcard' });
    expect(pick('a.shop.example').how).toBe('default');
  });
  it('ignores case and a trailing dot; among equal names the first loaded wins', () => {
    expect(pick('Other.Test.')).toEqual({ entry: second, how: 'exact' });
    expect(pick('WWW.example').entry).toBe(first);
  });
  it('falls back to the first entry when nothing matches or no SNI was sent', () => {
    expect(pick('unknown.test')).toEqual({ entry: first, how: 'default' });
    expect(pick(undefined)).toEqual({ entry: first, how: 'default' });
    expect(pick(false)).toEqual({ entry: first, how: 'default' });
  });
});
