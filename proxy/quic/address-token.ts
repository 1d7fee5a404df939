/**
 * Address-validation tokens carried by Retry packets (RFC 9000 §8.1.2, §17.2.5): the server answers
 * a client Initial without a token with a Retry holding a token, and the client repeats its Initial
 * with that token (and the Retry's Source Connection ID as its new Destination Connection ID). The
 * token proves that the client received what the server sent to its address, and gives the server
 * back, without per-connection state, the Destination Connection ID of the client's first Initial
 * (the original_destination_connection_id the server must echo, §7.3).
 *
 * Layout (opaque to the client, §8.1.4):
 *
 *     type (1) = 0x52 | nonce (12) | AES-256-GCM( issued-at ms (8) | odcid length (1) | odcid ) | tag (16)
 *
 * The AEAD's additional data binds the token to the client's IP address and to the connection id
 * the server chose in the Retry (which the client must use as its next DCID), so a token copied to
 * another address, or replayed with another DCID, does not open. It expires after a short lifetime
 * (`RETRY_TOKEN_LIFETIME_MS`): a Retry token is used within one round trip (§8.1.3).
 *
 * The key is derived (HKDF-SHA256) from a 32-byte secret that every worker thread holds (the
 * supervisor draws it and passes it at start), so that an Initial carrying the token may be
 * validated by any thread, not only by the one that sent the Retry. Wall-clock time is used
 * because worker threads do not share a monotonic clock origin.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { MAX_CID_LENGTH } from './packet.types.ts';

/** First byte of a Retry token of this format. */
export const RETRY_TOKEN_TYPE = 0x52;

/** How long a Retry token is accepted after it was issued (RFC 9000 §8.1.3: a short time). */
export const RETRY_TOKEN_LIFETIME_MS = 10_000;

/** Tokens issued up to this far "in the future" are accepted (clocks of threads agree; rounding). */
const CLOCK_SKEW_MS = 1_000;
const NONCE = 12;
const TAG = 16;
const ISSUED = 8;

/** Derives the AES-256-GCM key of Retry tokens from the shared secret (HKDF-SHA256, RFC 5869). */
export function retryTokenKey(secret: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), 'flightbox quic retry token v1', 32));
}

/** What a Retry token is bound to. */
export interface RetryTokenBinding {
  /** The client's IP address as the socket reports it (no port: a NAT may rebind it). */
  readonly address: string;
  /** The Source Connection ID of the Retry, i.e. the DCID of the Initial that carries the token back. */
  readonly retryScid: Uint8Array;
}

/** Additional data of the AEAD: type, address, retry SCID, each length-prefixed. */
function aad(b: RetryTokenBinding): Uint8Array {
  const addr = Buffer.from(b.address, 'utf8');
  const out = new Uint8Array(1 + 1 + addr.length + 1 + b.retryScid.length);
  out[0] = RETRY_TOKEN_TYPE;
  out[1] = addr.length;
  out.set(addr, 2);
  out[2 + addr.length] = b.retryScid.length;
  out.set(b.retryScid, 3 + addr.length);
  return out;
}

/**
 * Seals a Retry token for the client at `binding.address` whose first Initial was sent to `odcid`,
 * issued at `nowMs` (wall clock). Throws RangeError on a connection id over 20 bytes (RFC 9000 §17.2).
 */
export function sealRetryToken(key: Uint8Array, binding: RetryTokenBinding, odcid: Uint8Array, nowMs: number): Uint8Array {
  if (odcid.length > MAX_CID_LENGTH || binding.retryScid.length > MAX_CID_LENGTH) throw new RangeError('Retry token: connection id over 20 bytes');
  const plain = new Uint8Array(ISSUED + 1 + odcid.length);
  new DataView(plain.buffer).setBigUint64(0, BigInt(Math.max(0, Math.floor(nowMs))));
  plain[ISSUED] = odcid.length;
  plain.set(odcid, ISSUED + 1);
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
  c.setAAD(aad(binding));
  const sealed = Buffer.concat([c.update(plain), c.final()]);
  const out = new Uint8Array(1 + NONCE + sealed.length + TAG);
  out[0] = RETRY_TOKEN_TYPE;
  out.set(nonce, 1);
  out.set(sealed, 1 + NONCE);
  out.set(c.getAuthTag(), 1 + NONCE + sealed.length);
  return out;
}

/** Why a token was refused (each one is an INVALID_TOKEN, RFC 9000 §8.1.2). */
export type RetryTokenRefusal =
  /** Not a token of this format (wrong type byte or length). */
  | 'malformed'
  /** Authentication failed: forged, tampered with, from another address or for another DCID, or sealed under another key. */
  | 'invalid'
  /** Older than the lifetime, or issued in the future. */
  | 'expired';

/** Outcome of opening a token. */
export type RetryTokenCheck =
  | { readonly ok: true; readonly odcid: Uint8Array; readonly issuedAt: number }
  | { readonly ok: false; readonly why: RetryTokenRefusal };

/**
 * Opens a Retry token received in a client Initial from `binding.address` sent to
 * `binding.retryScid`, at `nowMs`: the original DCID when the token is authentic, bound to that
 * address and DCID, and younger than `lifetimeMs`. Never throws on hostile bytes.
 */
export function openRetryToken(key: Uint8Array, token: Uint8Array, binding: RetryTokenBinding, nowMs: number, lifetimeMs = RETRY_TOKEN_LIFETIME_MS): RetryTokenCheck {
  const body = token.length - 1 - NONCE - TAG;
  if (token[0] !== RETRY_TOKEN_TYPE || body < ISSUED + 1 || body > ISSUED + 1 + MAX_CID_LENGTH) return { ok: false, why: 'malformed' };
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', key, token.subarray(1, 1 + NONCE), { authTagLength: TAG });
    d.setAAD(aad(binding));
    d.setAuthTag(token.subarray(token.length - TAG));
    plain = Buffer.concat([d.update(token.subarray(1 + NONCE, token.length - TAG)), d.final()]);
  } catch {
    return { ok: false, why: 'invalid' };
  }
  const len = plain[ISSUED];
  if (len !== plain.length - ISSUED - 1) return { ok: false, why: 'malformed' };
  const issuedAt = Number(plain.readBigUInt64BE(0));
  if (nowMs - issuedAt > lifetimeMs || issuedAt - nowMs > CLOCK_SKEW_MS) return { ok: false, why: 'expired' };
  return { ok: true, odcid: new Uint8Array(plain.subarray(ISSUED + 1)), issuedAt };
}
