/**
 * Stateless resets (RFC 9000 §10.3).
 *
 * Tokens: 16 bytes bound to a connection id, sent with every connection id this endpoint issues
 * (NEW_CONNECTION_ID, §19.15; stateless_reset_token for the server's first id, §18.2). Derived as in
 * §10.3.2: HMAC-SHA256 of the connection id under a static key, truncated to 16 bytes, so that any
 * thread holding the key can recompute the token of an id without per-connection state, also after
 * the connection is gone or its thread was restarted. The key of a listener comes from the secret
 * the supervisor hands every worker (`resetKeyFromSecret`); the default key (engine tests, a
 * listener without a secret) is drawn once per thread.
 *
 * Sending (`buildStatelessReset`): a datagram that looks like a short-header packet (§17.3.1: form
 * bit 0, fixed bit 1, random rest) ending with the token. It is always smaller than the datagram
 * that triggered it (§10.3.3, so two endpoints cannot loop), at least 21 bytes (§10.3), one byte
 * shorter than a trigger of 43 bytes or less and otherwise 41 bytes or more (§10.3.3: below 41 an
 * observer may spot it); a trigger of 21 bytes or less gets no answer (it cannot be a valid packet,
 * §10.3). `ResetLimiter` bounds how many are sent per second, per client address and overall.
 *
 * Detecting (`endsWithResetToken`, §10.3.1): the last 16 bytes of a datagram compared, in constant
 * time, with the tokens of the peer's connection ids.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Length of a stateless reset token (RFC 9000 §10.3). */
export const RESET_TOKEN_LENGTH = 16;

/** Smallest stateless reset (RFC 9000 §10.3: 5 bytes of header and unpredictable bits, then the token). */
export const MIN_STATELESS_RESET = 21;

/** This thread's default stateless reset key (32 random bytes, drawn at load). */
export const PROCESS_RESET_SECRET: Uint8Array = new Uint8Array(randomBytes(32));

/** The stateless reset token of connection id `cid` under `secret` (RFC 9000 §10.3.2). */
export function statelessResetToken(cid: Uint8Array, secret: Uint8Array = PROCESS_RESET_SECRET): Uint8Array {
  return new Uint8Array(createHmac('sha256', secret).update(cid).digest().subarray(0, RESET_TOKEN_LENGTH));
}

/** The stateless reset key derived from the secret shared by every worker thread (HKDF-SHA256, RFC 5869). */
export function resetKeyFromSecret(secret: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), 'flightbox quic stateless reset v1', 32));
}

/**
 * Size of the stateless reset answering a datagram of `triggerLength` bytes, or 0 when none may be
 * sent (see module doc; RFC 9000 §10.3, §10.3.3). `extra` (0..255, random) spreads sizes above 41.
 */
export function statelessResetSize(triggerLength: number, extra = 0): number {
  if (triggerLength <= MIN_STATELESS_RESET) return 0;
  if (triggerLength <= 43) return triggerLength - 1;
  return Math.min(triggerLength - 1, 41 + (extra % 16));
}

/**
 * A stateless reset answering a datagram of `triggerLength` bytes: a short-header-looking first byte
 * (0b01xxxxxx, RFC 9000 §10.3 Figure 10), random bytes, then `token`. Null when the trigger is too
 * small to answer (§10.3). `random` supplies the unpredictable bytes (node:crypto by default).
 */
export function buildStatelessReset(token: Uint8Array, triggerLength: number, random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): Uint8Array | null {
  if (token.length !== RESET_TOKEN_LENGTH) throw new RangeError(`stateless reset token must be ${RESET_TOKEN_LENGTH} bytes`);
  const r = random(64);
  const size = statelessResetSize(triggerLength, r[63]);
  if (size === 0) return null;
  const out = new Uint8Array(size);
  out.set(r.subarray(0, size - RESET_TOKEN_LENGTH), 0);
  out[0] = 0x40 | (out[0] & 0x3f);
  out.set(token, size - RESET_TOKEN_LENGTH);
  return out;
}

/**
 * Whether `datagram` ends with one of `tokens` (RFC 9000 §10.3.1), compared in constant time.
 * Datagrams shorter than 21 bytes never are stateless resets.
 */
export function endsWithResetToken(datagram: Uint8Array, tokens: Iterable<Uint8Array | undefined>): boolean {
  if (datagram.length < MIN_STATELESS_RESET) return false;
  const tail = datagram.subarray(datagram.length - RESET_TOKEN_LENGTH);
  let hit = false;
  for (const t of tokens) if (t && t.length === RESET_TOKEN_LENGTH && timingSafeEqual(tail, t)) hit = true;
  return hit;
}

/**
 * Rate limit of stateless resets (RFC 9000 §10.3.3): at most `perAddress` per second to one client
 * IP address and `total` per second overall. The address table is bounded: past `maxAddresses`
 * distinct addresses in one second, the further ones share a single per-address budget.
 */
export class ResetLimiter {
  private readonly perAddress: number;
  private readonly total: number;
  private readonly maxAddresses: number;
  private windowStart = -Infinity;
  private sent = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(perAddress = 10, total = 200, maxAddresses = 1024) {
    this.perAddress = perAddress;
    this.total = total;
    this.maxAddresses = maxAddresses;
  }

  /** Whether a reset may be sent to `address` at `nowMs` (counts it when yes). */
  allow(address: string, nowMs: number): boolean {
    if (nowMs - this.windowStart >= 1000 || nowMs < this.windowStart) {
      this.windowStart = nowMs;
      this.sent = 0;
      this.byAddress.clear();
    }
    if (this.sent >= this.total) return false;
    const key = this.byAddress.size >= this.maxAddresses && !this.byAddress.has(address) ? '*' : address;
    const n = this.byAddress.get(key) ?? 0;
    if (n >= this.perAddress) return false;
    this.byAddress.set(key, n + 1);
    this.sent++;
    return true;
  }
}
