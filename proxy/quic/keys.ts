/**
 * The QUIC key schedule (RFC 9001 §5.1-5.2, §6.1) on node:crypto: HKDF-Extract and
 * HKDF-Expand-Label (RFC 5869, RFC 8446 §7.1), the Initial secrets derived from the client's
 * first destination connection id, packet keys ("quic key", "quic iv", "quic hp") and the
 * key update ("quic ku").
 */
import { createHmac } from 'node:crypto';
import { AEAD_IV_LENGTH, CIPHER_SUITES, type CipherSuiteInfo, type CipherSuiteName, type PacketKeys } from './crypto.types.ts';

/** QUIC v1 initial salt (RFC 9001 §5.2). */
export const INITIAL_SALT_V1 = Uint8Array.from(Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex'));

/** HKDF-Extract(salt, ikm) = HMAC-Hash(salt, ikm) (RFC 5869 §2.2). */
export function hkdfExtract(hash: 'sha256' | 'sha384', salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(hash, salt).update(ikm).digest());
}

/** HKDF-Expand(prk, info, length) (RFC 5869 §2.3). Throws RangeError above 255 hash lengths. */
export function hkdfExpand(hash: 'sha256' | 'sha384', prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLength = hash === 'sha256' ? 32 : 48;
  if (length > 255 * hashLength) throw new RangeError(`HKDF-Expand: ${length} bytes is more than 255 * ${hashLength}`);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, filled = 0; filled < length; i++) {
    t = new Uint8Array(createHmac(hash, prk).update(t).update(info).update(Uint8Array.of(i)).digest());
    out.set(t.subarray(0, Math.min(t.length, length - filled)), filled);
    filled += t.length;
  }
  return out;
}

/** The HkdfLabel structure of RFC 8446 §7.1: uint16 length, opaque label<7..255> ("tls13 " + label), opaque context<0..255>. */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const full = Buffer.from(`tls13 ${label}`, 'ascii');
  if (full.length > 255 || context.length > 255) throw new RangeError('HkdfLabel: label or context over 255 bytes');
  const out = new Uint8Array(2 + 1 + full.length + 1 + context.length);
  out[0] = length >> 8;
  out[1] = length & 0xff;
  out[2] = full.length;
  out.set(full, 3);
  out[3 + full.length] = context.length;
  out.set(context, 4 + full.length);
  return out;
}

/** HKDF-Expand-Label(secret, label, context, length) (RFC 8446 §7.1). */
export function hkdfExpandLabel(
  hash: 'sha256' | 'sha384',
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  return hkdfExpand(hash, secret, hkdfLabel(label, context, length), length);
}

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
