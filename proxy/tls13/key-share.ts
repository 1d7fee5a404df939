/**
 * Key exchange for the key_share extension on node:crypto (RFC 8446 sections 4.2.8 and 7.4):
 *
 * - x25519 (RFC 7748): 32-byte shares; an all-zero shared secret (a low-order peer point) is refused
 *   with illegal_parameter (section 7.4.2). OpenSSL refuses those points itself; both paths end the same.
 * - secp256r1: UncompressedPointRepresentation, 65 bytes starting with 4 (section 4.2.8.2); the shared
 *   secret is the x-coordinate (section 7.4.2). A point not on the curve is illegal_parameter.
 * - X25519MLKEM768 (0x11ec, draft-ietf-tls-ecdhe-mlkem section 4.1): the client's share is the
 *   ML-KEM-768 encapsulation key (1184 bytes) followed by its X25519 share (32), the server's is the
 *   ML-KEM ciphertext (1088) followed by its X25519 share (32), and the shared secret is the ML-KEM
 *   shared secret (32) followed by the X25519 one (32). Node 24.7+ provides ML-KEM-768 through
 *   `generateKeyPairSync('ml-kem-768')`, `crypto.encapsulate` and `crypto.decapsulate`; raw keys are
 *   carried in SubjectPublicKeyInfo (OID 2.16.840.1.101.3.4.4.2) since node:crypto has no raw import
 *   for ML-KEM in 24.9. An encapsulation key that fails FIPS 203's modulus check does not import and is
 *   refused with illegal_parameter.
 *
 * Every function returns an alert outcome for bad peer input; node:crypto exceptions on peer bytes are
 * caught here and never reach the caller.
 */
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  decapsulate,
  diffieHellman,
  encapsulate,
  generateKeyPairSync,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { concatBytes } from '../bytes.ts';
import { fail, ok } from './alert.ts';
import { NAMED_GROUP } from './tls13.types.ts';
import type { SupportedGroupName, TlsResult } from './tls13.types.ts';

/** Share and secret sizes of each group this stack runs. */
export const KEY_SHARE_SIZES: Readonly<Record<SupportedGroupName, { client: number; server: number; secret: number }>> = {
  x25519: { client: 32, server: 32, secret: 32 },
  secp256r1: { client: 65, server: 65, secret: 32 },
  X25519MLKEM768: { client: 1184 + 32, server: 1088 + 32, secret: 64 },
};

/** ML-KEM-768 sizes (FIPS 203 section 8, table 3). */
export const MLKEM768 = { encapsulationKey: 1184, ciphertext: 1088, sharedSecret: 32 } as const;

/** Groups this stack runs, by code. */
export function supportedGroupName(code: number): SupportedGroupName | undefined {
  switch (code) {
    case NAMED_GROUP.x25519:
      return 'x25519';
    case NAMED_GROUP.secp256r1:
      return 'secp256r1';
    case NAMED_GROUP.X25519MLKEM768:
      return 'X25519MLKEM768';
    default:
      return undefined;
  }
}

/** A client's key share: what goes in key_share, and how to finish once the server answered. */
export interface ClientKeyShare {
  readonly group: number;
  readonly keyExchange: Uint8Array;
  /** The shared secret from the server's key_exchange, or illegal_parameter if it is malformed. */
  complete(serverKeyExchange: Uint8Array): TlsResult<Uint8Array>;
}

/** The server's answer to a client share: its own key_exchange and the shared secret. */
export interface ServerKeyShare {
  readonly keyExchange: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/** Deterministic private keys, for tests against published traces only. */
export interface KeyShareOptions {
  /** X25519 private key (32 bytes) to use instead of a fresh one. */
  readonly x25519PrivateKey?: Uint8Array;
}

const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const MLKEM768_SPKI = Buffer.from('308204b2300b0609608648016503040402038204a100', 'hex');

interface X25519Pair {
  readonly privateKey: KeyObject;
  readonly publicRaw: Uint8Array;
}

function x25519Pair(priv?: Uint8Array): X25519Pair {
  if (priv && priv.length !== 32) throw new RangeError('x25519 private key must be 32 bytes');
  const privateKey = priv
    ? createPrivateKey({ key: Buffer.concat([X25519_PKCS8, priv]), format: 'der', type: 'pkcs8' })
    : generateKeyPairSync('x25519').privateKey;
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicRaw: new Uint8Array(spki.subarray(X25519_SPKI.length)) };
}

function x25519Secret(own: KeyObject, peer: Uint8Array, what: string): TlsResult<Uint8Array> {
  if (peer.length !== 32) return fail('illegal_parameter', `${what}: x25519 share of ${peer.length} bytes, expected 32`, 0);
  let secret: Uint8Array;
  try {
    const publicKey = createPublicKey({ key: Buffer.concat([X25519_SPKI, peer]), format: 'der', type: 'spki' });
    secret = new Uint8Array(diffieHellman({ privateKey: own, publicKey }));
  } catch {
    return fail('illegal_parameter', `${what}: x25519 share is a low-order point (all-zero shared secret)`, 0);
  }
  if (secret.every((b) => b === 0)) return fail('illegal_parameter', `${what}: x25519 shared secret is all zeros`, 0);
  return ok(secret);
}

function p256Secret(ecdh: ReturnType<typeof createECDH>, peer: Uint8Array, what: string): TlsResult<Uint8Array> {
  if (peer.length !== 65 || peer[0] !== 4) {
    return fail('illegal_parameter', `${what}: secp256r1 share must be a 65-byte uncompressed point, got ${peer.length} bytes starting ${peer[0] ?? '-'}`, 0);
  }
  try {
    return ok(new Uint8Array(ecdh.computeSecret(peer)));
  } catch {
    return fail('illegal_parameter', `${what}: secp256r1 share is not a point on the curve`, 0);
  }
}

/** Generates the client's share for `group` (section 4.2.8). */
export function generateClientKeyShare(group: SupportedGroupName, opts: KeyShareOptions = {}): ClientKeyShare {
  const code = NAMED_GROUP[group];
  if (group === 'x25519') {
    const pair = x25519Pair(opts.x25519PrivateKey);
    return {
      group: code,
      keyExchange: pair.publicRaw,
      complete: (server) => x25519Secret(pair.privateKey, server, 'server key_share'),
    };
  }
  if (group === 'secp256r1') {
    const ecdh = createECDH('prime256v1');
    const pub = new Uint8Array(ecdh.generateKeys());
    return { group: code, keyExchange: pub, complete: (server) => p256Secret(ecdh, server, 'server key_share') };
  }
  const kem = generateKeyPairSync('ml-kem-768');
  const ek = new Uint8Array(kem.publicKey.export({ format: 'der', type: 'spki' }).subarray(MLKEM768_SPKI.length));
  const x = x25519Pair(opts.x25519PrivateKey);
  return {
    group: code,
    keyExchange: concatBytes(ek, x.publicRaw),
    complete(server) {
      const want = KEY_SHARE_SIZES.X25519MLKEM768.server;
      if (server.length !== want) {
        return fail('illegal_parameter', `server key_share: X25519MLKEM768 share of ${server.length} bytes, expected ${want}`, 0);
      }
      let mlkem: Uint8Array;
      try {
        mlkem = new Uint8Array(decapsulate(kem.privateKey, server.subarray(0, MLKEM768.ciphertext)));
      } catch {
        return fail('illegal_parameter', 'server key_share: ML-KEM-768 ciphertext does not decapsulate', 0);
      }
      const ecdhe = x25519Secret(x.privateKey, server.subarray(MLKEM768.ciphertext), 'server key_share');
      return ecdhe.ok ? ok(concatBytes(mlkem, ecdhe.value)) : ecdhe;
    },
  };
}

/**
 * The server's side of the exchange for the client's share of `group` (section 4.2.8): checks the
 * share's size and validity and returns the server's key_exchange and the shared secret.
 */
export function acceptClientKeyShare(
  group: SupportedGroupName,
  clientKeyExchange: Uint8Array,
  opts: KeyShareOptions = {},
): TlsResult<ServerKeyShare> {
  if (group === 'x25519') {
    const own = x25519Pair(opts.x25519PrivateKey);
    const s = x25519Secret(own.privateKey, clientKeyExchange, 'client key_share');
    return s.ok ? ok({ keyExchange: own.publicRaw, sharedSecret: s.value }) : s;
  }
  if (group === 'secp256r1') {
    const ecdh = createECDH('prime256v1');
    const pub = new Uint8Array(ecdh.generateKeys());
    const s = p256Secret(ecdh, clientKeyExchange, 'client key_share');
    return s.ok ? ok({ keyExchange: pub, sharedSecret: s.value }) : s;
  }
  const want = KEY_SHARE_SIZES.X25519MLKEM768.client;
  if (clientKeyExchange.length !== want) {
    return fail('illegal_parameter', `client key_share: X25519MLKEM768 share of ${clientKeyExchange.length} bytes, expected ${want}`, 0);
  }
  let ek: KeyObject;
  try {
    ek = createPublicKey({
      key: Buffer.concat([MLKEM768_SPKI, clientKeyExchange.subarray(0, MLKEM768.encapsulationKey)]),
      format: 'der',
      type: 'spki',
    });
  } catch {
    return fail('illegal_parameter', 'client key_share: ML-KEM-768 encapsulation key fails the modulus check', 0);
  }
  const { sharedKey, ciphertext } = encapsulate(ek);
  const own = x25519Pair(opts.x25519PrivateKey);
  const s = x25519Secret(own.privateKey, clientKeyExchange.subarray(MLKEM768.encapsulationKey), 'client key_share');
  if (!s.ok) return s;
  return ok({ keyExchange: concatBytes(new Uint8Array(ciphertext), own.publicRaw), sharedSecret: concatBytes(new Uint8Array(sharedKey), s.value) });
}
