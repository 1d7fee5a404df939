/**
 * Stateless reset tokens (RFC 9000 §10.3): 16 bytes bound to a connection id, sent with every
 * connection id this endpoint issues (NEW_CONNECTION_ID, §19.15; stateless_reset_token for the
 * server's first id, §18.2). Derived as in §10.3.2: HMAC-SHA256 of the connection id under a
 * static key, truncated to 16 bytes, so that any thread holding the key can recompute the token of
 * an id without per-connection state. The default key is drawn once per process.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Length of a stateless reset token (RFC 9000 §10.3). */
export const RESET_TOKEN_LENGTH = 16;

/** This process's stateless reset key (32 random bytes, drawn at load). */
export const PROCESS_RESET_SECRET: Uint8Array = new Uint8Array(randomBytes(32));

/** The stateless reset token of connection id `cid` under `secret` (RFC 9000 §10.3.2). */
export function statelessResetToken(cid: Uint8Array, secret: Uint8Array = PROCESS_RESET_SECRET): Uint8Array {
  return new Uint8Array(createHmac('sha256', secret).update(cid).digest().subarray(0, RESET_TOKEN_LENGTH));
}
