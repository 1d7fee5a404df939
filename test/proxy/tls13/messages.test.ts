/**
 * EncryptedExtensions, Certificate, CertificateVerify and Finished against RFC 8448 section 3:
 * decode, check the fields, re-encode byte for byte; then the alerts of malformed messages.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ext } from '../../../proxy/tls13/extensions.ts';
import {
  decodeCertificate,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeFinished,
  encodeCertificate,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeFinished,
} from '../../../proxy/tls13/messages.ts';
import type { TlsResult } from '../../../proxy/tls13/tls13.types.ts';
import { RFC8448_1RTT as V, traceBytes } from './rfc8448-1rtt.vectors.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
function value<T>(r: TlsResult<T>): T {
  if (!r.ok) throw new Error(`expected success, got ${r.error.alert}: ${r.error.message}`);
  return r.value;
}
const alertOf = <T>(r: TlsResult<T>): string => (r.ok ? 'ok' : r.error.alert);

describe('EncryptedExtensions of RFC 8448 section 3', () => {
  const bytes = traceBytes(V.encryptedExtensions);
  const ee = value(decodeEncryptedExtensions(bytes));

  it('decodes supported_groups, record_size_limit and the empty server_name', () => {
    expect(ee.extensions.map((e) => e.type)).toEqual([10, 28, 0]);
    expect(ee.ext.supportedGroups).toEqual([0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104]);
    expect(ee.ext.serverNameAck).toBe(true);
    expect(hex(ee.extensions[1].data)).toBe('4001');
  });

  it('re-encodes byte for byte, from the decoded list and from the builders', () => {
    expect(hex(encodeEncryptedExtensions(ee.extensions))).toBe(hex(bytes));
    const rebuilt = encodeEncryptedExtensions([ext.supportedGroups(ee.ext.supportedGroups!), ee.extensions[1], ext.serverNameAck()]);
    expect(hex(rebuilt)).toBe(hex(bytes));
  });

  it('a QUIC server answer (ALPN h3, transport parameters) round-trips', () => {
    const m = encodeEncryptedExtensions([ext.alpn(['h3']), ext.quicTransportParameters(h('0004 0401 0203'))]);
    const d = value(decodeEncryptedExtensions(m));
    expect(d.ext.alpn).toBe('h3');
    expect(hex(d.ext.quicTransportParameters!)).toBe('000404010203');
    expect(hex(encodeEncryptedExtensions(d.extensions))).toBe(hex(m));
  });

  it('refuses ALPN with two protocols, key_share, unknown types and a non-empty server_name', () => {
    expect(alertOf(decodeEncryptedExtensions(encodeEncryptedExtensions([ext.alpn(['h3', 'h2'])])))).toBe('illegal_parameter');
    const ks = decodeEncryptedExtensions(encodeEncryptedExtensions([ext.keyShareRetry(0x1d)]));
    expect(alertOf(ks)).toBe('illegal_parameter');
    expect(!ks.ok && ks.error.message).toMatch(/key_share is not allowed in encrypted_extensions/);
    expect(alertOf(decodeEncryptedExtensions(encodeEncryptedExtensions([{ type: 0xfe0d, data: h('') }])))).toBe('unsupported_extension');
    expect(alertOf(decodeEncryptedExtensions(encodeEncryptedExtensions([ext.serverName('x')])))).toBe('decode_error');
  });
});

describe('Certificate of RFC 8448 section 3', () => {
  const bytes = traceBytes(V.certificate);
  const cert = value(decodeCertificate(bytes));

  it('decodes one entry whose cert_data is the RSA certificate "CN=rsa"', () => {
    expect(cert.requestContext.length).toBe(0);
    expect(cert.entries.length).toBe(1);
    expect(cert.entries[0].certData.length).toBe(432);
    expect(cert.entries[0].extensions).toEqual([]);
    const x = new X509Certificate(cert.entries[0].certData);
    expect(x.subject).toBe('CN=rsa');
    expect(x.publicKey.asymmetricKeyType).toBe('rsa');
  });

  it('re-encodes byte for byte', () => {
    expect(hex(encodeCertificate(cert))).toBe(hex(bytes));
  });

  it('an entry length past the list, or an empty cert_data, is decode_error', () => {
    const m = Uint8Array.from(bytes);
    m[4 + 1 + 3 + 2] = 0xb1; // cert_data length 0x01b1, one byte past certificate_list
    expect(alertOf(decodeCertificate(m))).toBe('decode_error');
    const empty = h('0b 000009 00 000005 000000 0000');
    expect(alertOf(decodeCertificate(empty))).toBe('decode_error');
  });
});

describe('CertificateVerify and Finished of RFC 8448 section 3', () => {
  it('CertificateVerify: rsa_pss_rsae_sha256 with a 128-byte signature, re-encoded byte for byte', () => {
    const bytes = traceBytes(V.certificateVerify);
    const cv = value(decodeCertificateVerify(bytes));
    expect(cv.scheme).toBe(0x0804);
    expect(cv.signature.length).toBe(128);
    expect(hex(encodeCertificateVerify(cv))).toBe(hex(bytes));
    expect(alertOf(decodeCertificateVerify(bytes.subarray(0, 100)))).toBe('decode_error');
  });

  it('Finished of both sides carries verify_data and re-encodes byte for byte', () => {
    for (const [msg, vd] of [
      [V.serverFinished, V.serverVerifyData],
      [V.clientFinished, V.clientVerifyData],
    ] as const) {
      const f = value(decodeFinished(traceBytes(msg), 32));
      expect(hex(f.verifyData)).toBe(hex(traceBytes(vd)));
      expect(hex(encodeFinished(f.verifyData))).toBe(hex(traceBytes(msg)));
    }
  });

  it('Finished of another length than Hash.length is decode_error', () => {
    const r = decodeFinished(traceBytes(V.serverFinished), 48);
    expect(alertOf(r)).toBe('decode_error');
    expect(!r.ok && r.error.message).toMatch(/verify_data of 32 bytes, expected 48/);
  });

  it('random mutations of every server message never throw', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const msgs = [V.encryptedExtensions, V.certificate, V.certificateVerify, V.serverFinished].map(traceBytes);
    let failures = 0;
    for (let i = 0; i < 4000; i++) {
      const m = Uint8Array.from(msgs[i % 4]);
      m[Math.floor(rand() * m.length)] ^= 1 + Math.floor(rand() * 255);
      for (const r of [decodeEncryptedExtensions(m), decodeCertificate(m), decodeCertificateVerify(m), decodeFinished(m, 32)]) {
        if (!r.ok) failures++;
      }
    }
    expect(failures).toBeGreaterThan(4000 * 3);
  });
});
