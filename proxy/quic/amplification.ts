/**
 * The anti-amplification limit (RFC 9000 §8.1): before the peer's address is validated, a server
 * sends at most three times the bytes it received on that path (datagrams it could not process
 * count too). Client-side and validated paths have no limit.
 */

/** The factor of RFC 9000 §8.1. */
export const AMPLIFICATION_FACTOR = 3;

/** Bytes received and sent on an unvalidated path. */
export class AmplificationLimit {
  received = 0;
  sent = 0;
  validated: boolean;

  /** A server starts unvalidated; a client is never limited. */
  constructor(isServer: boolean) {
    this.validated = !isServer;
  }

  /** Bytes that may still be sent (Infinity once validated). */
  allowance(): number {
    return this.validated ? Infinity : Math.max(0, AMPLIFICATION_FACTOR * this.received - this.sent);
  }

  /** Whether nothing may be sent now (RFC 9002 A.8 "at anti-amplification limit"). */
  get atLimit(): boolean {
    return this.allowance() === 0;
  }

  /** Counts a received datagram of `bytes` (the whole UDP payload). */
  onReceived(bytes: number): void {
    this.received += bytes;
  }

  /** Counts a sent datagram of `bytes`. */
  onSent(bytes: number): void {
    this.sent += bytes;
  }

  /** The address is validated (§8.1: Handshake packet received, token, path validation). */
  validate(): void {
    this.validated = true;
  }
}
