/**
 * Types and constants of QUIC packet protection (RFC 9001 §5), shared by the key schedule
 * (proxy/quic/keys.ts), packet protection (proxy/quic/protection.ts), the TLS handshake engine
 * and readers in diag/ and cli/. No engine logic here.
 */

/** TLS 1.3 cipher suites QUIC v1 uses (RFC 8446 §B.4; RFC 9001 §5.3). CCM_8 has no header protection. */
export type CipherSuiteName = 'TLS_AES_128_GCM_SHA256' | 'TLS_AES_256_GCM_SHA384' | 'TLS_CHACHA20_POLY1305_SHA256';

/** What a cipher suite needs from node:crypto, and its AEAD usage limits (RFC 9001 §6.6). */
export interface CipherSuiteInfo {
  readonly name: CipherSuiteName;
  /** TLS code point (RFC 8446 §B.4). */
  readonly code: number;
  /** Hash of the key schedule ('sha256' | 'sha384'). */
  readonly hash: 'sha256' | 'sha384';
  readonly hashLength: number;
  /** node:crypto AEAD name. */
  readonly aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  readonly keyLength: number;
  /** node:crypto header protection cipher (RFC 9001 §5.4.3 AES-ECB, §5.4.4 ChaCha20). */
  readonly hp: 'aes-128-ecb' | 'aes-256-ecb' | 'chacha20';
  /** Packets that may be protected with one key (confidentiality limit). */
  readonly confidentialityLimit: number;
  /** Packets that may fail authentication across the connection (integrity limit). */
  readonly integrityLimit: number;
}

/** The three suites by name (RFC 9001 §5.3, §6.6). */
export const CIPHER_SUITES: Readonly<Record<CipherSuiteName, CipherSuiteInfo>> = {
  TLS_AES_128_GCM_SHA256: {
    name: 'TLS_AES_128_GCM_SHA256', code: 0x1301, hash: 'sha256', hashLength: 32, aead: 'aes-128-gcm', keyLength: 16,
    hp: 'aes-128-ecb', confidentialityLimit: 2 ** 23, integrityLimit: 2 ** 52,
  },
  TLS_AES_256_GCM_SHA384: {
    name: 'TLS_AES_256_GCM_SHA384', code: 0x1302, hash: 'sha384', hashLength: 48, aead: 'aes-256-gcm', keyLength: 32,
    hp: 'aes-256-ecb', confidentialityLimit: 2 ** 23, integrityLimit: 2 ** 52,
  },
  TLS_CHACHA20_POLY1305_SHA256: {
    name: 'TLS_CHACHA20_POLY1305_SHA256', code: 0x1303, hash: 'sha256', hashLength: 32, aead: 'chacha20-poly1305', keyLength: 32,
    hp: 'chacha20', confidentialityLimit: 2 ** 62, integrityLimit: 2 ** 36,
  },
};

/** AEAD tag length of every suite above (RFC 9001 §5.3). */
export const AEAD_TAG_LENGTH = 16;

/** Header protection sample length (RFC 9001 §5.4.2). */
export const HP_SAMPLE_LENGTH = 16;

/** AEAD nonce / IV length (RFC 9001 §5.3). */
export const AEAD_IV_LENGTH = 12;

/**
 * Keys protecting one direction of one packet number space (RFC 9001 §5.1): AEAD key and IV from
 * `secret`, the header protection key, and the secret itself (for the next key update, §6).
 */
export interface PacketKeys {
  readonly suite: CipherSuiteInfo;
  readonly secret: Uint8Array;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly hp: Uint8Array;
}
