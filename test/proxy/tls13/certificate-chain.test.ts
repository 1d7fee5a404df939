/**
 * certificate-chain.ts: loading the server chain and key from PEM (what `crt <pem>` names) with
 * errors that say what to do, and the client's chain check (RFC 8446 section 4.4.2.4 alerts).
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadServerCredentials, parsePemCertificates, verifyServerChain } from '../../../proxy/tls13/certificate-chain.ts';
import { credentials, fixture, testCa } from './handshake-pair.ts';

const alertOf = (r: { ok: boolean; error?: { alert: string } }): string => (r.ok ? 'ok' : r.error!.alert);

describe('loadServerCredentials', () => {
  it('loads leaf and intermediate in order, the key in the same text or apart', () => {
    const c = credentials('ecdsa-chain.pem', 'ecdsa-leaf.key');
    expect(c.chain.length).toBe(2);
    expect(new X509Certificate(c.chain[0]).subject).toBe('CN=localhost');
    const joined = loadServerCredentials(fixture('ecdsa-chain.pem') + fixture('ecdsa-leaf.key'));
    expect(joined.ok).toBe(true);
  });

  it('refuses a key of another certificate, no certificate, and a damaged block, saying what is wrong', () => {
    const wrongKey = loadServerCredentials(fixture('ecdsa-chain.pem'), fixture('rsa-leaf.key'));
    expect(wrongKey.ok ? '' : wrongKey.message).toMatch(/does not match the first certificate.*put the leaf first/);
    const none = parsePemCertificates('nothing here', 'crt');
    expect(none.ok ? '' : none.message).toBe('crt: no "BEGIN CERTIFICATE" block found');
    const broken = fixture('ca.pem').replace(/BEGIN CERTIFICATE-----\n.{8}/, 'BEGIN CERTIFICATE-----\nAAAAAAAA');
    expect(parsePemCertificates(broken).ok).toBe(false);
  });
});

describe('verifyServerChain', () => {
  const chain = credentials('rsa-chain.pem', 'rsa-leaf.key').chain;
  const now = new Date('2030-01-01T00:00:00Z');

  it('accepts the chain for its names, by DNS name only', () => {
    expect(alertOf(verifyServerChain(chain, { mode: 'ca', ca: [testCa()] }, 'localhost', now))).toBe('ok');
    expect(alertOf(verifyServerChain(chain, { mode: 'ca', ca: [testCa()] }, '127.0.0.1', now))).toBe('bad_certificate');
  });

  it('maps problems to decode_error, bad_certificate, certificate_expired and unknown_ca', () => {
    const ca = { mode: 'ca' as const, ca: [testCa()] };
    expect(alertOf(verifyServerChain([], ca, undefined, now))).toBe('decode_error');
    expect(alertOf(verifyServerChain([Uint8Array.of(0x30, 0x03, 1, 2, 3)], ca, undefined, now))).toBe('bad_certificate');
    expect(alertOf(verifyServerChain([Uint8Array.of(0x30, 0x03, 1, 2, 3)], { mode: 'none' }, undefined, now))).toBe('bad_certificate');
    expect(alertOf(verifyServerChain(chain, ca, undefined, new Date('2000-01-01T00:00:00Z')))).toBe('certificate_expired');
    expect(alertOf(verifyServerChain(chain, { mode: 'ca', ca: [new X509Certificate(fixture('other-ca.pem'))] }, undefined, now))).toBe('unknown_ca');
    expect(alertOf(verifyServerChain(chain.slice(0, 1), ca, undefined, now))).toBe('unknown_ca');
  });
});
