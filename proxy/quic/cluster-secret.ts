/**
 * The QUIC secret of a Flightbox process: 32 bytes the supervisor hands every worker thread and
 * its replacements (WorkerInit.quicSecret), from which each listener derives the keys of its Retry
 * tokens (address-token.ts `retryTokenKey`) and stateless reset tokens (reset-token.ts
 * `resetKeyFromSecret`).
 *
 * HAProxy's global `cluster-secret <secret>` (configuration manual 3.1, HAProxy 2.6 and later): an
 * ASCII string shared by the nodes of one cluster, from which the stateless reset tokens of the QUIC
 * connections and the secrets that protect Retry tokens are derived; without it a random value is
 * drawn at startup. Here, when it is set, the QUIC secret is HKDF-SHA256 (RFC 5869) of its UTF-8
 * bytes, so the tokens survive a restart or reload of the whole process and are the same on every
 * instance configured with the same string: a client whose connection was served by a process that
 * is gone gets a stateless reset it recognises (RFC 9000 §10.3) from the process that replaced it,
 * or from a sibling behind the same address. Without it, the secret is random per process (tokens
 * still survive a worker thread's restart, since the supervisor keeps the secret).
 */
import { hkdfSync, randomBytes } from 'node:crypto';

/** Length of the QUIC secret in bytes. */
export const QUIC_SECRET_LENGTH = 32;

/** HKDF salt and info of the derivation (changing them changes every token of every cluster). */
const SALT = 'flightbox cluster-secret';
const INFO = 'flightbox quic secret v1';

/**
 * The QUIC secret of this process: derived from `clusterSecret` (the global `cluster-secret`), the
 * same bytes for the same string on every run and every instance; 32 fresh random bytes when it is
 * undefined.
 */
export function quicSecretOf(clusterSecret: string | undefined): Uint8Array {
  if (clusterSecret === undefined) return new Uint8Array(randomBytes(QUIC_SECRET_LENGTH));
  return new Uint8Array(hkdfSync('sha256', Buffer.from(clusterSecret, 'utf8'), Buffer.from(SALT), Buffer.from(INFO), QUIC_SECRET_LENGTH));
}
