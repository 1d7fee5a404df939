/**
 * The QUIC key schedule (RFC 9001 §5.1-5.2, §6.1) on node:crypto: HKDF-Extract and
 * HKDF-Expand-Label (RFC 5869, RFC 8446 §7.1), the Initial secrets derived from the client's
 * first destination connection id, packet keys ("quic key", "quic iv", "quic hp") and the
 * key update ("quic ku").
 */
import { hkdfExpandLabel, hkdfExtract } from '../tls13/hkdf.ts';
import { AEAD_IV_LENGTH, CIPHER_SUITES, type CipherSuiteInfo, type CipherSuiteName, type PacketKeys } from './crypto.types.ts';

/** QUIC v1 initial salt (RFC 9001 §5.2). */
export const INITIAL_SALT_V1 = Uint8Array.from(Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex'));

// HKDF and HKDF-Expand-Label are TLS 1.3's (RFC 5869, RFC 8446 §7.1): QUIC only adds its labels.
export { hkdfExtract, hkdfExpand, hkdfLabel, hkdfExpandLabel } from '../tls13/hkdf.ts';

/** The two Initial secrets of a connection (RFC 9001 §5.2). */
export interface InitialSecrets {
  readonly initialSecret: Uint8Array;
  readonly client: Uint8Array;
  readonly server: Uint8Array;
}

/**
 * Initial secrets from the Destination Connection ID of the client's first Initial packet
 * (RFC 9001 §5.2): initial_secret = HKDF-Extract(initial_salt, dcid), then "client in" and
 * "server in" with SHA-256, 32 bytes each.
 */
export function deriveInitialSecrets(clientDcid: Uint8Array): InitialSecrets {
  const initialSecret = hkdfExtract('sha256', INITIAL_SALT_V1, clientDcid);
  return {
    initialSecret,
    client: hkdfExpandLabel('sha256', initialSecret, 'client in', new Uint8Array(0), 32),
    server: hkdfExpandLabel('sha256', initialSecret, 'server in', new Uint8Array(0), 32),
  };
}

/**
 * Packet keys for `secret` under `suite` (RFC 9001 §5.1): key = "quic key" (suite key length),
 * iv = "quic iv" (12), hp = "quic hp" (suite key length).
 */
export function derivePacketKeys(suite: CipherSuiteName | CipherSuiteInfo, secret: Uint8Array): PacketKeys {
  const s = typeof suite === 'string' ? CIPHER_SUITES[suite] : suite;
  const empty = new Uint8Array(0);
  return {
    suite: s,
    secret,
    key: hkdfExpandLabel(s.hash, secret, 'quic key', empty, s.keyLength),
    iv: hkdfExpandLabel(s.hash, secret, 'quic iv', empty, AEAD_IV_LENGTH),
    hp: hkdfExpandLabel(s.hash, secret, 'quic hp', empty, s.keyLength),
  };
}

/** Initial packet keys for both directions (RFC 9001 §5.2: always TLS_AES_128_GCM_SHA256). */
export function deriveInitialKeys(clientDcid: Uint8Array): { readonly client: PacketKeys; readonly server: PacketKeys } {
  const s = deriveInitialSecrets(clientDcid);
  return {
    client: derivePacketKeys('TLS_AES_128_GCM_SHA256', s.client),
    server: derivePacketKeys('TLS_AES_128_GCM_SHA256', s.server),
  };
}

/** The next 1-RTT secret: HKDF-Expand-Label(secret, "quic ku", "", Hash.length) (RFC 9001 §6.1). */
export function nextKeyUpdateSecret(suite: CipherSuiteInfo, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(suite.hash, secret, 'quic ku', new Uint8Array(0), suite.hashLength);
}

/**
 * Keys after a key update (RFC 9001 §6.1): a new secret, key and IV; the header protection key is
 * not updated.
 */
export function updatePacketKeys(keys: PacketKeys): PacketKeys {
  const secret = nextKeyUpdateSecret(keys.suite, keys.secret);
  const next = derivePacketKeys(keys.suite, secret);
  return { suite: keys.suite, secret, key: next.key, iv: next.iv, hp: keys.hp };
}
