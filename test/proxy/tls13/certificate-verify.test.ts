/**
 * CertificateVerify: the RFC 8448 section 3 server signature verifies against the certificate of the
 * trace over Transcript-Hash(ClientHello..Certificate); signing with the section 2 RSA key and with
 * ECDSA P-256 keys verifies; tampering ends in the RFC 8446 section 4.4.3 alerts.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  certificateVerifyContent,
  selectSignatureScheme,
  signCertificateVerify,
  verifyCertificateVerify,
} from '../../../proxy/tls13/certificate-verify.ts';
import { decodeCertificate, decodeCertificateVerify } from '../../../proxy/tls13/messages.ts';
import { transcriptHash } from '../../../proxy/tls13/transcript.ts';
import type { TlsResult } from '../../../proxy/tls13/tls13.types.ts';
import { RFC8448_1RTT as V, RFC8448_RSA_KEY as K, traceBytes } from './rfc8448-1rtt.vectors.ts';

function value<T>(r: TlsResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.alert}: ${r.error.message}`);
  return r.value;
}
const alertOf = <T>(r: TlsResult<T>): string => (r.ok ? 'ok' : r.error.alert);
const b64u = (hexText: string): string => Buffer.from(hexText.replace(/\s+/g, ''), 'hex').toString('base64url');

const ch = traceBytes(V.clientHello);
const certMsg = traceBytes(V.certificate);
const toCertHash = transcriptHash('sha256', [ch, traceBytes(V.serverHello), traceBytes(V.encryptedExtensions), certMsg]);
const certKey: KeyObject = new X509Certificate(value(decodeCertificate(certMsg)).entries[0].certData).publicKey;
const offered = [0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202];

const rsaKey = createPrivateKey({
  key: { kty: 'RSA', n: b64u(K.n), e: b64u(K.e), d: b64u(K.d), p: b64u(K.p), q: b64u(K.q), dp: b64u(K.dp), dq: b64u(K.dq), qi: b64u(K.qi) },
  format: 'jwk',
});

describe('the server CertificateVerify of RFC 8448 section 3', () => {
  const cv = value(decodeCertificateVerify(traceBytes(V.certificateVerify)));

  it('verifies with the certificate key over Transcript-Hash(ClientHello..Certificate)', () => {
    expect(alertOf(verifyCertificateVerify(cv, certKey, toCertHash, 'server', offered))).toBe('ok');
  });

  it('fails with decrypt_error for the client context, another transcript, or a flipped bit', () => {
    expect(alertOf(verifyCertificateVerify(cv, certKey, toCertHash, 'client', offered))).toBe('decrypt_error');
    expect(alertOf(verifyCertificateVerify(cv, certKey, transcriptHash('sha256', [ch]), 'server', offered))).toBe('decrypt_error');
    const sig = Uint8Array.from(cv.signature);
    sig[5] ^= 0x80;
    expect(alertOf(verifyCertificateVerify({ ...cv, signature: sig }, certKey, toCertHash, 'server', offered))).toBe('decrypt_error');
    expect(alertOf(verifyCertificateVerify({ ...cv, signature: sig.subarray(0, 3) }, certKey, toCertHash, 'server', offered))).toBe('decrypt_error');
  });

  it('refuses a scheme that was not offered, PKCS#1 v1.5, or one that does not fit the key (illegal_parameter)', () => {
    expect(alertOf(verifyCertificateVerify(cv, certKey, toCertHash, 'server', [0x0403]))).toBe('illegal_parameter');
    expect(alertOf(verifyCertificateVerify({ ...cv, scheme: 0x0401 }, certKey, toCertHash, 'server', offered))).toBe('illegal_parameter');
    expect(alertOf(verifyCertificateVerify({ ...cv, scheme: 0x0403 }, certKey, toCertHash, 'server', offered))).toBe('illegal_parameter');
  });
});

describe('signing', () => {
  it('the RFC 8448 section 2 RSA key is the certificate key; it signs rsa_pss_rsae_sha256 that verifies', () => {
    expect(createPublicKey(rsaKey).export({ format: 'jwk' }).n).toBe(certKey.export({ format: 'jwk' }).n);
    const scheme = selectSignatureScheme(rsaKey, offered);
    expect(scheme).toBe(0x0804);
    const sig = signCertificateVerify(scheme!, rsaKey, toCertHash, 'server');
    expect(sig.length).toBe(128);
    expect(alertOf(verifyCertificateVerify({ scheme: scheme!, signature: sig }, certKey, toCertHash, 'server', offered))).toBe('ok');
  });

  it('ECDSA P-256 signs ecdsa_secp256r1_sha256 (DER) that verifies, and not for the other role', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const scheme = selectSignatureScheme(privateKey, [0x0804, 0x0403]);
    expect(scheme).toBe(0x0403);
    const sig = signCertificateVerify(0x0403, privateKey, toCertHash, 'client');
    expect(sig[0]).toBe(0x30); // DER SEQUENCE
    expect(alertOf(verifyCertificateVerify({ scheme: 0x0403, signature: sig }, publicKey, toCertHash, 'client', [0x0403]))).toBe('ok');
    expect(alertOf(verifyCertificateVerify({ scheme: 0x0403, signature: sig }, publicKey, toCertHash, 'server', [0x0403]))).toBe('decrypt_error');
  });

  it('picks no scheme when none offered fits the key, and refuses to sign with a mismatched one', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(selectSignatureScheme(privateKey, [0x0403, 0x0804])).toBeUndefined();
    expect(selectSignatureScheme(privateKey, [0x0403, 0x0503])).toBe(0x0503);
    expect(() => signCertificateVerify(0x0403, privateKey, toCertHash, 'server')).toThrow(/does not fit/);
  });

  it('the signed content is 64 spaces, the context string, a zero byte and the hash (RFC 8446 section 4.4.3)', () => {
    const c = certificateVerifyContent('server', Uint8Array.of(1, 2));
    expect(Buffer.from(c.subarray(0, 64)).toString('latin1')).toBe(' '.repeat(64));
    expect(Buffer.from(c.subarray(64, 97)).toString('latin1')).toBe('TLS 1.3, server CertificateVerify');
    expect([...c.subarray(97)]).toEqual([0, 1, 2]);
  });
});
