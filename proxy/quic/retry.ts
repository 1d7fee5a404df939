/**
 * Retry packets (RFC 9000 §17.2.5) and their integrity tag (RFC 9001 §5.8): AEAD_AES_128_GCM with
 * the fixed v1 key and nonce over the Retry Pseudo-Packet (ODCID length, ODCID, then the Retry
 * packet without its tag), empty plaintext.
 */
import { createCipheriv, timingSafeEqual } from 'node:crypto';
import { concatBytes } from '../bytes.ts';
import { writeLongHeaderIds } from './header.ts';
import { MAX_CID_LENGTH, QUIC_V1, RETRY_INTEGRITY_TAG_LENGTH, type RetryPacket } from './packet.types.ts';

/** Retry integrity key of QUIC v1 (RFC 9001 §5.8). */
export const RETRY_KEY_V1 = Uint8Array.from(Buffer.from('be0c690b9f66575a1d766b54e368c84e', 'hex'));

/** Retry integrity nonce of QUIC v1 (RFC 9001 §5.8). */
export const RETRY_NONCE_V1 = Uint8Array.from(Buffer.from('461599d35d632bf2239825bb', 'hex'));

/**
 * The Retry Integrity Tag for `retryWithoutTag` (the Retry packet up to its token) answering an
 * Initial whose destination connection id was `odcid` (RFC 9001 §5.8).
 */
export function retryIntegrityTag(odcid: Uint8Array, retryWithoutTag: Uint8Array): Uint8Array {
  const pseudo = new Uint8Array(1 + odcid.length + retryWithoutTag.length);
  pseudo[0] = odcid.length;
  pseudo.set(odcid, 1);
  pseudo.set(retryWithoutTag, 1 + odcid.length);
  const c = createCipheriv('aes-128-gcm', RETRY_KEY_V1, RETRY_NONCE_V1, { authTagLength: RETRY_INTEGRITY_TAG_LENGTH });
  c.setAAD(pseudo);
  c.final();
  return new Uint8Array(c.getAuthTag());
}

/** Fields of a Retry packet to build (RFC 9000 §17.2.5). */
export interface RetryFields {
  /** The client's source connection id. */
  readonly dcid: Uint8Array;
  /** The connection id the server chose (the client uses it as its next destination). */
  readonly scid: Uint8Array;
  /** Address validation token; must not be empty (§17.2.5.2). */
  readonly token: Uint8Array;
  /** The destination connection id of the client's Initial. */
  readonly odcid: Uint8Array;
  /** The 4 unused bits of the first byte (default 0). */
  readonly unused?: number;
}

/** Builds a complete Retry packet with its integrity tag. Throws RangeError on an empty token or a connection id over 20 bytes. */
export function buildRetry(f: RetryFields): Uint8Array {
  if (f.token.length === 0) throw new RangeError('Retry: the token must not be empty (RFC 9000 §17.2.5.2)');
  if (f.dcid.length > MAX_CID_LENGTH || f.scid.length > MAX_CID_LENGTH) throw new RangeError('Retry: connection id over 20 bytes');
  const body = new Uint8Array(1 + 4 + 1 + f.dcid.length + 1 + f.scid.length + f.token.length);
  body[0] = 0xf0 | ((f.unused ?? 0) & 0x0f);
  body.set(f.token, writeLongHeaderIds(body, QUIC_V1, f.dcid, f.scid));
  return concatBytes(body, retryIntegrityTag(f.odcid, body));
}

/**
 * Checks the integrity tag of a received Retry (`datagram` holds it from `retry.offset` to
 * `retry.end`) against the client's original destination connection id. A client discards a Retry
 * that fails (RFC 9000 §17.2.5.2).
 */
export function verifyRetry(datagram: Uint8Array, retry: RetryPacket, odcid: Uint8Array): boolean {
  const expected = retryIntegrityTag(odcid, datagram.subarray(retry.offset, retry.end - RETRY_INTEGRITY_TAG_LENGTH));
  return timingSafeEqual(expected, retry.integrityTag);
}
