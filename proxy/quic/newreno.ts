/**
 * NewReno congestion control (RFC 9002 §7, Appendix B): slow start, congestion avoidance, a
 * recovery period per loss event, persistent congestion (§7.6) and bytes in flight. Sans-IO:
 * the loss detection (recovery.ts) feeds it; times are milliseconds on the caller's clock.
 */

/** kLossReductionFactor (RFC 9002 §7.3.2). */
export const K_LOSS_REDUCTION_FACTOR = 0.5;

/** Congestion controller states, for traces and `show quic`. */
export type CongestionState = 'slow_start' | 'congestion_avoidance' | 'recovery';

/** kInitialWindow (RFC 9002 §7.2): min(10 * mds, max(14720, 2 * mds)). */
export function initialWindow(maxDatagramSize: number): number {
  return Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
}

/** NewReno state (RFC 9002 B.2). */
export class NewReno {
  /** max_datagram_size (at least 1200, RFC 9000 §14). */
  readonly maxDatagramSize: number;
  congestionWindow: number;
  ssthresh = Infinity;
  bytesInFlight = 0;
  /** congestion_recovery_start_time; -1 when never in recovery (B.3 uses 0 with times > 0). */
  recoveryStartTime = -1;
  /** Set by the sender when it has nothing more to send or is flow-control blocked (B.5). */
  appLimited = false;

  constructor(maxDatagramSize = 1200) {
    this.maxDatagramSize = maxDatagramSize;
    this.congestionWindow = initialWindow(maxDatagramSize);
  }

  /** kMinimumWindow (RFC 9002 §7.2): 2 * max_datagram_size. */
  get minimumWindow(): number {
    return 2 * this.maxDatagramSize;
  }

  /** True from a congestion event until a packet sent after it is acknowledged. */
  private inRecoveryAt = false;

  /** Where the controller stands: in a recovery period, else slow start below ssthresh. */
  state(): CongestionState {
    if (this.inRecoveryAt) return 'recovery';
    return this.congestionWindow < this.ssthresh ? 'slow_start' : 'congestion_avoidance';
  }

  /** Bytes that may still be sent now (RFC 9002 §7): cwnd - bytes_in_flight, at least 0. */
  available(): number {
    return Math.max(0, this.congestionWindow - this.bytesInFlight);
  }

  /** InCongestionRecovery(sent_time) (B.5). */
  inCongestionRecovery(sentTime: number): boolean {
    return sentTime <= this.recoveryStartTime;
  }

  /** OnPacketSentCC (B.4). */
  onPacketSent(bytes: number): void {
    this.bytesInFlight += bytes;
  }

  /** OnPacketAcked (B.5) for an in-flight packet: slow start adds bytes, avoidance mds*bytes/cwnd. */
  onPacketAcked(bytes: number, timeSent: number): void {
    this.bytesInFlight -= bytes;
    if (this.inCongestionRecovery(timeSent)) return;
    this.inRecoveryAt = false;
    if (this.appLimited) return;
    if (this.congestionWindow < this.ssthresh) this.congestionWindow += bytes;
    else this.congestionWindow += (this.maxDatagramSize * bytes) / this.congestionWindow;
  }

  /** Removes a lost or discarded in-flight packet from bytes in flight (B.8, B.9). */
  removeFromFlight(bytes: number): void {
    this.bytesInFlight -= bytes;
  }

  /**
   * OnCongestionEvent (B.6): unless `sentTime` is within the current recovery period, starts one
   * at `now`, halving the window (not below kMinimumWindow). Returns whether it started one.
   */
  onCongestionEvent(sentTime: number, now: number): boolean {
    if (this.inCongestionRecovery(sentTime)) return false;
    this.recoveryStartTime = now;
    this.inRecoveryAt = true;
    this.ssthresh = this.congestionWindow * K_LOSS_REDUCTION_FACTOR;
    this.congestionWindow = Math.max(this.ssthresh, this.minimumWindow);
    return true;
  }

  /** Persistent congestion (§7.6.2, B.8): the window collapses to kMinimumWindow. */
  onPersistentCongestion(): void {
    this.congestionWindow = this.minimumWindow;
    this.recoveryStartTime = -1;
    this.inRecoveryAt = false;
  }
}
