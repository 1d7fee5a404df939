/**
 * A token-bucket pacer (RFC 9002 §7.7): packets leave at rate N * congestion_window / smoothed_rtt
 * with N = 1.25, in bursts of at most `burst` bytes (10 datagrams by default, like the initial
 * window). Sans-IO: `delay` says how long to wait before sending, `onSent` spends the tokens.
 */

/** The rate multiplier N of RFC 9002 §7.7. */
export const PACING_GAIN = 1.25;

/** Pacing state of one path. */
export class Pacer {
  private tokens: number;
  private last: number;
  readonly burst: number;

  constructor(maxDatagramSize = 1200, now = 0, burstDatagrams = 10) {
    this.burst = burstDatagrams * maxDatagramSize;
    this.tokens = this.burst;
    this.last = now;
  }

  /** Bytes per millisecond for window `cwnd` and `smoothedRtt` (ms). */
  static rate(cwnd: number, smoothedRtt: number): number {
    return (PACING_GAIN * cwnd) / Math.max(smoothedRtt, 0.001);
  }

  private refill(now: number, cwnd: number, smoothedRtt: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * Pacer.rate(cwnd, smoothedRtt));
      this.last = now;
    }
  }

  /** Milliseconds to wait before `bytes` may be sent (0: now). */
  delay(now: number, bytes: number, cwnd: number, smoothedRtt: number): number {
    this.refill(now, cwnd, smoothedRtt);
    if (this.tokens >= bytes || this.tokens >= this.burst) return 0;
    return (bytes - this.tokens) / Pacer.rate(cwnd, smoothedRtt);
  }

  /** Spends tokens for `bytes` sent at `now` (the balance may go negative by one packet). */
  onSent(now: number, bytes: number, cwnd: number, smoothedRtt: number): void {
    this.refill(now, cwnd, smoothedRtt);
    this.tokens -= bytes;
  }
}
