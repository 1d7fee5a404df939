/**
 * Connection ids (RFC 9000 §5.1): this endpoint picks its own of a fixed length (so that short
 * headers, which carry no length, can be read, §17.3), from a random source that tests may seed.
 */
import { randomBytes } from 'node:crypto';

/** Length of the connection ids this engine issues (RFC 9000 §5.1; the client's first DCID is at least 8, §7.2). */
export const LOCAL_CID_LENGTH = 8;

/** A source of random bytes: node:crypto by default, seeded in tests. */
export type RandomSource = (n: number) => Uint8Array;

/** node:crypto's randomBytes as a RandomSource. */
export const cryptoRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));

/**
 * A deterministic RandomSource for tests and the in-memory pair (xorshift32 from `seed`). Not for
 * production connection ids: they must be unpredictable (RFC 9000 §5.1).
 */
export function seededRandom(seed: number): RandomSource {
  let x = seed >>> 0 || 0x9e3779b9;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/** Whether two connection ids are equal. */
export function cidEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A connection id as hex, for traces, `show quic` and maps keyed by id. */
export function cidHex(cid: Uint8Array): string {
  return Buffer.from(cid.buffer, cid.byteOffset, cid.length).toString('hex');
}
