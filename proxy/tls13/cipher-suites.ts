/**
 * The three TLS 1.3 cipher suites QUIC uses (RFC 8446 appendix B.4, RFC 9001 section 5.3): their
 * hash for the key schedule and their AEAD for packet protection. TLS_AES_128_CCM_8_SHA256 is not
 * offered (RFC 9001 section 5.3 forbids it); TLS_AES_128_CCM_SHA256 is left out like browsers do.
 */
import { CIPHER_SUITE } from './tls13.types.ts';
import type { CipherSuiteName } from './tls13.types.ts';

/** Hash function of a suite, as node:crypto names it. */
export type HashName = 'sha256' | 'sha384';

/** What a suite means for the key schedule and the AEAD. */
export interface CipherSuiteInfo {
  readonly name: CipherSuiteName;
  readonly code: number;
  readonly hash: HashName;
  /** Hash.length in bytes (RFC 8446 section 7.1). */
  readonly hashLength: number;
  /** AEAD as node:crypto names it. */
  readonly aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  readonly keyLength: number;
  /** AEAD nonce length: 12 for all three (RFC 8446 section 5.3). */
  readonly ivLength: number;
}

/** The suites by code, in this server's order of preference. */
export const CIPHER_SUITES: readonly CipherSuiteInfo[] = [
  { name: 'TLS_AES_128_GCM_SHA256', code: CIPHER_SUITE.TLS_AES_128_GCM_SHA256, hash: 'sha256', hashLength: 32, aead: 'aes-128-gcm', keyLength: 16, ivLength: 12 },
  { name: 'TLS_AES_256_GCM_SHA384', code: CIPHER_SUITE.TLS_AES_256_GCM_SHA384, hash: 'sha384', hashLength: 48, aead: 'aes-256-gcm', keyLength: 32, ivLength: 12 },
  { name: 'TLS_CHACHA20_POLY1305_SHA256', code: CIPHER_SUITE.TLS_CHACHA20_POLY1305_SHA256, hash: 'sha256', hashLength: 32, aead: 'chacha20-poly1305', keyLength: 32, ivLength: 12 },
];

/** The suite with this code, or undefined if this stack does not run it. */
export function cipherSuite(code: number): CipherSuiteInfo | undefined {
  return CIPHER_SUITES.find((s) => s.code === code);
}

/** Output length of a hash in bytes. */
export function hashLength(hash: HashName): number {
  return hash === 'sha256' ? 32 : 48;
}
