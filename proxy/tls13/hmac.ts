/** HMAC and constant-time comparison over node:crypto, for the key schedule and Finished checks. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HashName } from './cipher-suites.ts';

/** HMAC-Hash(key, data). */
export function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(hash, key).update(data).digest());
}

/** True when a and b have the same length and bytes, compared in constant time (RFC 8446 section 4.4.4). */
export function bytesEqualConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
