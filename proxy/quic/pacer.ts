/**
 * A token-bucket pacer (RFC 9002 §7.7): tokens accrue at rate N * congestion_window / smoothed_rtt
 * with N = 1.25, and the bucket's capacity (the largest burst) is the larger of
 *
 *   - the initial congestion window (RFC 9002 §7.2, 10 datagrams of 1200 bytes), the limit §7.7
 *     says senders SHOULD keep bursts to, and
 *   - what the rate accrues in `PACING_BURST_INTERVAL` (2 ms = 2 x kGranularity, RFC 9002 §6.1.2).
 *
 * Why the second term: the sender is woken by a timer whose granularity is 1 ms and that often
 * fires late (RFC 9002 §7.7: "scheduling delays ... can cause a sender to deviate from this rate
 * over time periods that are much shorter than an RTT"). A bucket capped at 10 datagrams caps the
 * sender at 10 datagrams per wake-up (~12 MB/s with a 1 ms timer) whatever the window. Holding
 * up to 2 ms of the rate lets one wake-up send what accrued since the last one, up to one timer
 * period late, so the average rate is the congestion controller's. The burst is then still bounded
 * by the congestion window (the caller checks it first), and it only exceeds the initial window
 * when 2 ms of the rate does, i.e. on paths fast enough to drain it in 2 ms (§7.7: "a sender with
 * knowledge that the network path ... can absorb larger bursts MAY use a higher limit"); on slow
 * or long paths packets stay spaced at 1/rate. Sans-IO: `delay` says how long to wait before
 * sending, `onSent` spends the tokens.
 */

/** The rate multiplier N of RFC 9002 §7.7. */
export const PACING_GAIN = 1.25;

/** Milliseconds of the pacing rate the bucket may hold: two timer granularities (kGranularity = 1 ms). */
export const PACING_BURST_INTERVAL = 2;

/** Pacing state of one path. */
export class Pacer {
  private tokens: number;
  private last: number;
  /** The minimum capacity of the bucket in bytes (the initial window, `burstDatagrams` datagrams). */
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

  /** The bucket's capacity in bytes for `cwnd` and `smoothedRtt`: max(burst, rate x PACING_BURST_INTERVAL). */
  capacity(cwnd: number, smoothedRtt: number): number {
    return Math.max(this.burst, PACING_BURST_INTERVAL * Pacer.rate(cwnd, smoothedRtt));
  }

  /** Tokens (bytes) in the bucket after the last `delay`/`onSent` (may be negative by one packet). */
  get available(): number {
    return this.tokens;
  }

  private refill(now: number, cwnd: number, smoothedRtt: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity(cwnd, smoothedRtt), this.tokens + (now - this.last) * Pacer.rate(cwnd, smoothedRtt));
      this.last = now;
    }
  }

  /** Milliseconds to wait before `bytes` may be sent (0: now). */
  delay(now: number, bytes: number, cwnd: number, smoothedRtt: number): number {
    this.refill(now, cwnd, smoothedRtt);
    if (this.tokens >= bytes || this.tokens >= this.capacity(cwnd, smoothedRtt)) return 0;
    return (bytes - this.tokens) / Pacer.rate(cwnd, smoothedRtt);
  }

  /** Spends tokens for `bytes` sent at `now` (the balance may go negative by one packet). */
  onSent(now: number, bytes: number, cwnd: number, smoothedRtt: number): void {
    this.refill(now, cwnd, smoothedRtt);
    this.tokens -= bytes;
  }
}
