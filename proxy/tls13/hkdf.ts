/**
 * HKDF (RFC 5869) and the TLS 1.3 labels on top of it (RFC 8446 section 7.1), with node:crypto HMAC.
 *
 *     HKDF-Expand-Label(Secret, Label, Context, Length) =
 *         HKDF-Expand(Secret, HkdfLabel, Length)
 *     struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; } HkdfLabel;
 *     Derive-Secret(Secret, Label, Messages) =
 *         HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length)
 *
 * QUIC uses the same function with its own labels ("quic key", "quic iv", "quic hp", "quic ku",
 * RFC 9001 section 5.1).
 */
import { createHash, createHmac } from 'node:crypto';
import { hashLength } from './cipher-suites.ts';
import type { HashName } from './cipher-suites.ts';

/** HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 section 2.2). An empty salt means Hash.length zeros. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  const s = salt.length ? salt : new Uint8Array(hashLength(hash));
  return new Uint8Array(createHmac(hash, s).update(ikm).digest());
}

/** HKDF-Expand(PRK, info, L) (RFC 5869 section 2.3). Throws RangeError if L > 255 * Hash.length. */
export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hl = hashLength(hash);
  if (length > 255 * hl) throw new RangeError(`HKDF-Expand: ${length} bytes exceeds 255 * ${hl}`);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, filled = 0; filled < length; i++) {
    t = new Uint8Array(createHmac(hash, prk).update(t).update(info).update(Uint8Array.of(i)).digest());
    out.set(t.subarray(0, Math.min(hl, length - filled)), filled);
    filled += hl;
  }
  return out;
}

/** The HkdfLabel structure for `"tls13 " + label` (RFC 8446 section 7.1). Throws on oversize label/context. */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const full = Buffer.from(`tls13 ${label}`, 'ascii');
  if (full.length > 255 || context.length > 255 || length > 0xffff) throw new RangeError('HkdfLabel field too long');
  const out = new Uint8Array(2 + 1 + full.length + 1 + context.length);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out[2] = full.length;
  out.set(full, 3);
  out[3 + full.length] = context.length;
  out.set(context, 4 + full.length);
  return out;
}

/** HKDF-Expand-Label(secret, label, context, length) (RFC 8446 section 7.1). */
export function hkdfExpandLabel(
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  return hkdfExpand(hash, secret, hkdfLabel(label, context, length), length);
}

/**
 * Derive-Secret(secret, label, messages), given the transcript hash of the messages (not the
 * messages themselves): see transcript.ts (RFC 8446 section 7.1).
 */
export function deriveSecret(hash: HashName, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hashLength(hash));
}

/** Hash of the empty string: Transcript-Hash("") used by the "derived" steps. */
export function emptyHash(hash: HashName): Uint8Array {
  return new Uint8Array(createHash(hash).digest());
}
