/**
 * QUIC flow control (RFC 9000 §4): the credit a sender may use (from the peer's initial transport
 * parameters and MAX_DATA / MAX_STREAM_DATA, §4.1), with the *_BLOCKED signal sent once per limit
 * (§4.1, §19.12-19.13), and the window a receiver advertises and moves forward as the application
 * consumes data, refusing data beyond it (FLOW_CONTROL_ERROR, §4.1). One pair per stream and one
 * for the connection.
 */

/** What the sender may send: `limit` (the peer's maximum) minus `used`. */
export class SendCredit {
  limit: number;
  used = 0;
  /** The limit at which a *_BLOCKED frame was last queued or sent; -1 for none. */
  private blockedAt = -1;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes of new data that may still be sent. */
  get available(): number {
    return Math.max(0, this.limit - this.used);
  }

  /** Counts `n` new bytes sent. */
  consume(n: number): void {
    this.used += n;
  }

  /** A MAX_DATA / MAX_STREAM_DATA raised the limit; smaller values are ignored (§19.9, §19.10). Returns whether it grew. */
  raise(maximum: number): boolean {
    if (maximum <= this.limit) return false;
    this.limit = maximum;
    return true;
  }

  /** Whether a *_BLOCKED frame should be sent for the current limit (once per limit value). */
  shouldSignalBlocked(): boolean {
    return this.used >= this.limit && this.blockedAt !== this.limit;
  }

  /** The *_BLOCKED frame for the current limit was queued. */
  markBlockedSignalled(): void {
    this.blockedAt = this.limit;
  }

  /** The packet carrying the *_BLOCKED frame was lost: signal again if still blocked. */
  onBlockedLost(): void {
    this.blockedAt = -1;
  }
}

/** Outcome of accounting received data: accepted, or the limit it crosses. */
export type WindowCheck = { readonly ok: true } | { readonly ok: false; readonly limit: number; readonly wanted: number };

/**
 * The receive window: the peer may send up to `limit`; `highest` is the largest offset (or, for the
 * connection, the sum of the streams' largest offsets) received; `consumed` what the application
 * has taken. The limit is advanced to consumed + window once less than half the window remains,
 * so that updates are not sent for every packet.
 */
export class RecvWindow {
  limit: number;
  readonly window: number;
  highest = 0;
  consumed = 0;
  /** A MAX_DATA / MAX_STREAM_DATA carrying `limit` waits to be sent. */
  updatePending = false;

  constructor(window: number) {
    this.window = window;
    this.limit = window;
  }

  /** Checks that data up to `highest` is within the limit (RFC 9000 §4.1) and records it. */
  receiveUpTo(highest: number): WindowCheck {
    if (highest > this.limit) return { ok: false, limit: this.limit, wanted: highest };
    if (highest > this.highest) this.highest = highest;
    return { ok: true };
  }

  /** The application consumed `n` bytes; may schedule a window update. */
  consume(n: number): void {
    this.consumed += n;
    if (this.limit - this.consumed < this.window / 2) {
      this.limit = this.consumed + this.window;
      this.updatePending = true;
    }
  }
}
