/**
 * proxy/quic/keys.ts: RFC 9001 §A.1 (labels, initial secret, client/server keys) and §A.5 (a
 * ChaCha20-Poly1305 application secret's key, iv, hp and the "quic ku" next secret), byte-exact.
 */
import { describe, expect, it } from 'vitest';
import {
  deriveInitialKeys,
  deriveInitialSecrets,
  derivePacketKeys,
  hkdfExpand,
  hkdfExtract,
  hkdfLabel,
  nextKeyUpdateSecret,
  updatePacketKeys,
} from '../../../proxy/quic/keys.ts';
import { CIPHER_SUITES } from '../../../proxy/quic/crypto.types.ts';
import { A1, A1_LABELS, A5, DCID } from './rfc9001-vectors.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

describe('HKDF-Expand-Label (RFC 9001 §A.1 labels)', () => {
  it('builds the five HkdfLabel structures of §A.1', () => {
    const lengths = { 'client in': 32, 'server in': 32, 'quic key': 16, 'quic iv': 12, 'quic hp': 16 } as const;
    for (const [label, expected] of Object.entries(A1_LABELS)) {
      expect(hex(hkdfLabel(label, new Uint8Array(0), lengths[label as keyof typeof lengths]))).toBe(expected);
    }
  });

  it('HKDF matches RFC 5869 test case 1 (SHA-256)', () => {
    const prk = hkdfExtract('sha256', bytes('000102030405060708090a0b0c'), bytes('0b'.repeat(22)));
    expect(hex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(hex(hkdfExpand('sha256', prk, bytes('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
});

describe('Initial secrets and keys (RFC 9001 §5.2, §A.1)', () => {
  it('derives initial_secret, client_initial_secret and server_initial_secret', () => {
    const s = deriveInitialSecrets(bytes(DCID));
    expect(hex(s.initialSecret)).toBe(A1.initialSecret);
    expect(hex(s.client)).toBe(A1.client.secret);
    expect(hex(s.server)).toBe(A1.server.secret);
  });

  it('derives key, iv and hp for both directions', () => {
    const k = deriveInitialKeys(bytes(DCID));
    for (const side of ['client', 'server'] as const) {
      expect(k[side].suite.name).toBe('TLS_AES_128_GCM_SHA256');
      expect(hex(k[side].key)).toBe(A1[side].key);
      expect(hex(k[side].iv)).toBe(A1[side].iv);
      expect(hex(k[side].hp)).toBe(A1[side].hp);
    }
  });
});

describe('ChaCha20-Poly1305 keys and key update (RFC 9001 §A.5, §6.1)', () => {
  it('derives the 32-byte key, iv and 32-byte hp from the application secret', () => {
    const k = derivePacketKeys('TLS_CHACHA20_POLY1305_SHA256', bytes(A5.secret));
    expect(hex(k.key)).toBe(A5.key);
    expect(hex(k.iv)).toBe(A5.iv);
    expect(hex(k.hp)).toBe(A5.hp);
  });

  it('derives the "quic ku" secret and updates key and iv but not hp', () => {
    const suite = CIPHER_SUITES.TLS_CHACHA20_POLY1305_SHA256;
    expect(hex(nextKeyUpdateSecret(suite, bytes(A5.secret)))).toBe(A5.ku);
    const k0 = derivePacketKeys(suite, bytes(A5.secret));
    const k1 = updatePacketKeys(k0);
    const fromKu = derivePacketKeys(suite, bytes(A5.ku));
    expect(hex(k1.secret)).toBe(A5.ku);
    expect(hex(k1.key)).toBe(hex(fromKu.key));
    expect(hex(k1.iv)).toBe(hex(fromKu.iv));
    expect(hex(k1.hp)).toBe(A5.hp);
    expect(hex(k1.key)).not.toBe(A5.key);
  });

  it('uses SHA-384 and 48-byte secrets for TLS_AES_256_GCM_SHA384', () => {
    const suite = CIPHER_SUITES.TLS_AES_256_GCM_SHA384;
    const k = derivePacketKeys(suite, new Uint8Array(48).fill(7));
    expect(k.key.length).toBe(32);
    expect(k.hp.length).toBe(32);
    expect(k.iv.length).toBe(12);
    expect(nextKeyUpdateSecret(suite, k.secret).length).toBe(48);
  });
});
