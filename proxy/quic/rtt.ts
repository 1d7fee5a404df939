/**
 * RTT estimation (RFC 9002 §5, Appendix A.7 UpdateRtt). Milliseconds on the caller's clock.
 */

/** Timer granularity kGranularity (RFC 9002 §6.1.2): 1 ms. */
export const K_GRANULARITY = 1;
/** kInitialRtt (RFC 9002 §6.2.2): 333 ms. */
export const K_INITIAL_RTT = 333;

/** min_rtt, smoothed_rtt, rttvar and latest_rtt of one path (RFC 9002 §5). */
export class RttEstimator {
  latestRtt = 0;
  smoothedRtt = K_INITIAL_RTT;
  rttvar = K_INITIAL_RTT / 2;
  minRtt = 0;
  /** When the first sample was taken, 0 before (RFC 9002 A.3 first_rtt_sample). */
  firstSampleTime = 0;

  /** Whether a sample was taken. */
  get hasSample(): boolean {
    return this.firstSampleTime !== 0;
  }

  /**
   * Takes an RTT sample `latestRtt` with the peer-reported `ackDelay` (RFC 9002 §5.3): the first
   * sample sets min_rtt = smoothed_rtt = sample and rttvar = sample / 2; later ones limit ack_delay
   * to `maxAckDelay` once the handshake is confirmed, subtract it only when the result stays at or
   * above min_rtt, and smooth with 1/8 and 1/4. min_rtt never includes ack_delay.
   */
  update(latestRtt: number, ackDelay: number, handshakeConfirmed: boolean, maxAckDelay: number, now: number): void {
    this.latestRtt = latestRtt;
    if (this.firstSampleTime === 0) {
      this.minRtt = latestRtt;
      this.smoothedRtt = latestRtt;
      this.rttvar = latestRtt / 2;
      this.firstSampleTime = now || Number.MIN_VALUE; // a sample at time 0 still counts
      return;
    }
    this.minRtt = Math.min(this.minRtt, latestRtt);
    const delay = handshakeConfirmed ? Math.min(ackDelay, maxAckDelay) : ackDelay;
    const adjusted = latestRtt >= this.minRtt + delay ? latestRtt - delay : latestRtt;
    this.rttvar = (3 / 4) * this.rttvar + (1 / 4) * Math.abs(this.smoothedRtt - adjusted);
    this.smoothedRtt = (7 / 8) * this.smoothedRtt + (1 / 8) * adjusted;
  }

  /** smoothed_rtt + max(4 * rttvar, kGranularity): the PTO without max_ack_delay (RFC 9002 §6.2.1). */
  ptoBase(): number {
    return this.smoothedRtt + Math.max(4 * this.rttvar, K_GRANULARITY);
  }
}
