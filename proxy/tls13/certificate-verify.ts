/**
 * CertificateVerify signatures (RFC 8446 section 4.4.3) with node:crypto: the signed content, the
 * choice of a scheme for a key, signing, and verification.
 *
 * The signature covers 64 bytes of 0x20, the context string "TLS 1.3, server CertificateVerify" (or
 * "client"), a zero byte, and the transcript hash up to and including Certificate. RSA signatures are
 * RSASSA-PSS with a salt as long as the digest (section 4.2.3); RSASSA-PKCS1-v1_5 is not allowed in
 * CertificateVerify. ECDSA signatures are DER (ECDSA-Sig-Value), node's default encoding.
 */
import { constants, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { fail, ok } from './alert.ts';
import { SIGNATURE_SCHEME } from './tls13.types.ts';
import type { TlsResult } from './tls13.types.ts';

/** Who signs: the context string differs (section 4.4.3). */
export type SignerRole = 'server' | 'client';

/** The bytes a CertificateVerify signs for `role` over `transcriptHash` (section 4.4.3). */
export function certificateVerifyContent(role: SignerRole, transcriptHash: Uint8Array): Uint8Array {
  const context = Buffer.from(`TLS 1.3, ${role} CertificateVerify`, 'ascii');
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(context, 64);
  out[64 + context.length] = 0;
  out.set(transcriptHash, 64 + context.length + 1);
  return out;
}

interface SchemeInfo {
  readonly keyType: 'ec' | 'rsa' | 'rsa-pss' | 'ed25519';
  /** Curve of an EC key, as node names it. */
  readonly curve?: 'prime256v1' | 'secp384r1' | 'secp521r1';
  /** Digest for node:crypto's sign/verify; null for Ed25519. */
  readonly digest: 'sha256' | 'sha384' | 'sha512' | null;
  readonly pss: boolean;
}

const S = SIGNATURE_SCHEME;
const SCHEMES: ReadonlyMap<number, SchemeInfo> = new Map<number, SchemeInfo>([
  [S.ecdsa_secp256r1_sha256, { keyType: 'ec', curve: 'prime256v1', digest: 'sha256', pss: false }],
  [S.ecdsa_secp384r1_sha384, { keyType: 'ec', curve: 'secp384r1', digest: 'sha384', pss: false }],
  [S.ecdsa_secp521r1_sha512, { keyType: 'ec', curve: 'secp521r1', digest: 'sha512', pss: false }],
  [S.rsa_pss_rsae_sha256, { keyType: 'rsa', digest: 'sha256', pss: true }],
  [S.rsa_pss_rsae_sha384, { keyType: 'rsa', digest: 'sha384', pss: true }],
  [S.rsa_pss_rsae_sha512, { keyType: 'rsa', digest: 'sha512', pss: true }],
  [S.rsa_pss_pss_sha256, { keyType: 'rsa-pss', digest: 'sha256', pss: true }],
  [S.rsa_pss_pss_sha384, { keyType: 'rsa-pss', digest: 'sha384', pss: true }],
  [S.rsa_pss_pss_sha512, { keyType: 'rsa-pss', digest: 'sha512', pss: true }],
  [S.ed25519, { keyType: 'ed25519', digest: null, pss: false }],
]);

const DIGEST_LENGTH = { sha256: 32, sha384: 48, sha512: 64 } as const;

function fits(info: SchemeInfo, key: KeyObject): boolean {
  if (key.asymmetricKeyType !== info.keyType) return false;
  return info.keyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve === info.curve;
}

/** Server preference among schemes for each key (strongest digest last for RSA: sha256 first, as browsers offer). */
const PREFERENCE: readonly number[] = [
  S.ecdsa_secp256r1_sha256,
  S.ecdsa_secp384r1_sha384,
  S.ecdsa_secp521r1_sha512,
  S.ed25519,
  S.rsa_pss_rsae_sha256,
  S.rsa_pss_pss_sha256,
  S.rsa_pss_rsae_sha384,
  S.rsa_pss_pss_sha384,
  S.rsa_pss_rsae_sha512,
  S.rsa_pss_pss_sha512,
];

/**
 * The scheme to sign with `key` among those the peer offered in signature_algorithms, or undefined
 * (the caller answers handshake_failure, section 4.4.2.2).
 */
export function selectSignatureScheme(key: KeyObject, offered: readonly number[]): number | undefined {
  return PREFERENCE.find((s) => offered.includes(s) && fits(SCHEMES.get(s)!, key));
}

function options(info: SchemeInfo, key: KeyObject): { key: KeyObject; padding?: number; saltLength?: number } {
  if (!info.pss) return { key };
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: DIGEST_LENGTH[info.digest!] };
}

/**
 * Signs the CertificateVerify content. Throws if `scheme` is unknown or does not fit the key (the
 * caller chose it with selectSignatureScheme, so that is a programming error).
 */
export function signCertificateVerify(scheme: number, privateKey: KeyObject, transcriptHash: Uint8Array, role: SignerRole): Uint8Array {
  const info = SCHEMES.get(scheme);
  if (!info || !fits(info, privateKey)) throw new Error(`signature scheme 0x${scheme.toString(16)} does not fit a ${privateKey.asymmetricKeyType} key`);
  return new Uint8Array(sign(info.digest, certificateVerifyContent(role, transcriptHash), options(info, privateKey)));
}

/**
 * Verifies a peer's CertificateVerify (section 4.4.3): a scheme the verifier did not offer, an
 * unknown or PKCS#1 v1.5 scheme, or one that does not fit the certificate's key is illegal_parameter;
 * a signature that does not verify is decrypt_error.
 */
export function verifyCertificateVerify(
  cv: { readonly scheme: number; readonly signature: Uint8Array },
  publicKey: KeyObject,
  transcriptHash: Uint8Array,
  role: SignerRole,
  offered: readonly number[],
): TlsResult<void> {
  const name = `0x${cv.scheme.toString(16).padStart(4, '0')}`;
  if (!offered.includes(cv.scheme)) return fail('illegal_parameter', `CertificateVerify uses scheme ${name}, which was not offered`, 4);
  const info = SCHEMES.get(cv.scheme);
  if (!info) return fail('illegal_parameter', `CertificateVerify scheme ${name} is not allowed in TLS 1.3 or not supported`, 4);
  if (!fits(info, publicKey)) {
    return fail('illegal_parameter', `CertificateVerify scheme ${name} does not fit the certificate's ${publicKey.asymmetricKeyType} key`, 4);
  }
  let good = false;
  try {
    good = verify(info.digest, certificateVerifyContent(role, transcriptHash), options(info, publicKey), cv.signature);
  } catch {
    good = false;
  }
  return good ? ok(undefined) : fail('decrypt_error', `CertificateVerify signature (${name}) does not verify`, 8);
}
