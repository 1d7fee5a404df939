/**
 * QUIC loss detection and congestion control (RFC 9002 §5-§7, Appendices A and B) as a sans-IO
 * engine: the connection tells it what it sent and received and what ACK frames said, with the
 * current time; it answers with newly acknowledged and lost packets, the next deadline of its
 * single loss-detection timer (`deadline()`), what to do when it fires (`onTimeout`), and how many
 * bytes may be sent (congestion window, anti-amplification limit RFC 9000 §8.1, pacing §7.7).
 * Times are milliseconds on the caller's clock (which must start above 0).
 */
import { AmplificationLimit } from './amplification.ts';
import type { QuicDecodeError } from './errors.ts';
import type { AckFrame } from './frame.types.ts';
import { initialWindow, NewReno, type CongestionState } from './newreno.ts';
import { Pacer } from './pacer.ts';
import { K_GRANULARITY, K_INITIAL_RTT, RttEstimator } from './rtt.ts';
import { PacketNumberSpace, SPACE_IDS, type SentPacket, type SpaceId } from './spaces.ts';
import { QTR, TRACE_SPACE } from './trace.ts';

/** kPacketThreshold (RFC 9002 §6.1.1). */
export const K_PACKET_THRESHOLD = 3;
/** kTimeThreshold (RFC 9002 §6.1.2). */
export const K_TIME_THRESHOLD = 9 / 8;
/** kPersistentCongestionThreshold (RFC 9002 §7.6.1). */
export const K_PERSISTENT_CONGESTION_THRESHOLD = 3;

/** Options of a recovery engine. */
export interface RecoveryOptions {
  readonly isServer: boolean;
  /** max_datagram_size (default 1200). */
  readonly maxDatagramSize?: number;
  /** The peer's max_ack_delay in ms (transport parameter, default 25; RFC 9000 §18.2). */
  readonly maxAckDelay?: number;
  /** The peer's ack_delay_exponent (default 3). */
  readonly ackDelayExponent?: number;
  /** Connection id for traces. */
  readonly connId?: number;
  /** Current time, for the pacer. */
  readonly now?: number;
}

/** What the caller reports about a packet it sent (RFC 9002 A.1.1). */
export interface PacketSentInfo<T> {
  readonly ackEliciting: boolean;
  readonly inFlight: boolean;
  readonly bytes: number;
  readonly payload?: T;
}

/** Outcome of an ACK frame: acknowledged and lost packets, or the connection error. */
export type AckOutcome<T> =
  | { readonly ok: true; readonly acked: SentPacket<T>[]; readonly lost: SentPacket<T>[]; readonly persistentCongestion: boolean }
  | { readonly ok: false; readonly error: QuicDecodeError };

/**
 * What the loss-detection timer asks for (RFC 9002 A.9): packets lost by time threshold; a PTO in
 * `space` (send one or two ack-eliciting packets: new data, retransmitted data or PING); an
 * anti-deadlock probe from a client (a padded Initial or a Handshake packet); or nothing.
 */
export type TimeoutOutcome<T> =
  | { readonly kind: 'lost'; readonly space: SpaceId; readonly lost: SentPacket<T>[]; readonly persistentCongestion: boolean }
  | { readonly kind: 'pto'; readonly space: SpaceId; readonly probes: 2 }
  | { readonly kind: 'anti-deadlock'; readonly space: 'initial' | 'handshake' }
  | { readonly kind: 'none' };

/** Loss detection, RTT, NewReno, pacing and anti-amplification of one connection. */
export class Recovery<T = unknown> {
  readonly spaces: Record<SpaceId, PacketNumberSpace<T>> = {
    initial: new PacketNumberSpace<T>('initial'),
    handshake: new PacketNumberSpace<T>('handshake'),
    application: new PacketNumberSpace<T>('application'),
  };
  readonly rtt = new RttEstimator();
  readonly cc: NewReno;
  readonly pacer: Pacer;
  readonly amplification: AmplificationLimit;
  readonly isServer: boolean;
  readonly connId: number;
  maxAckDelay: number;
  ackDelayExponent: number;
  /** pto_count (RFC 9002 A.3). */
  ptoCount = 0;
  handshakeConfirmed = false;
  hasHandshakeKeys = false;
  /** Client: a Handshake ACK was received (RFC 9002 A.8 PeerCompletedAddressValidation). */
  private handshakeAckReceived = false;
  private timer: number | undefined;

  constructor(o: RecoveryOptions) {
    this.isServer = o.isServer;
    this.cc = new NewReno(o.maxDatagramSize ?? 1200);
    this.pacer = new Pacer(o.maxDatagramSize ?? 1200, o.now ?? 0);
    this.amplification = new AmplificationLimit(o.isServer);
    this.maxAckDelay = o.maxAckDelay ?? 25;
    this.ackDelayExponent = o.ackDelayExponent ?? 3;
    this.connId = o.connId ?? 0;
  }

  /** The loss-detection timer's deadline, undefined when unset (RFC 9002 A.8). */
  deadline(): number | undefined {
    return this.timer;
  }

  /** Bytes that may be sent now: the smaller of the congestion and anti-amplification allowances. */
  sendAllowance(): number {
    return Math.min(this.cc.available(), this.amplification.allowance());
  }

  /** Milliseconds the pacer asks to wait before sending `bytes` (RFC 9002 §7.7). */
  pacingDelay(now: number, bytes: number): number {
    return this.pacer.delay(now, bytes, this.cc.congestionWindow, this.rtt.smoothedRtt);
  }

  /** Congestion controller state (for traces and `show quic`). */
  ccState(): CongestionState {
    return this.cc.state();
  }

  /** RFC 9002 A.8 PeerCompletedAddressValidation. */
  peerCompletedAddressValidation(): boolean {
    return this.isServer || this.handshakeAckReceived || this.handshakeConfirmed;
  }

  /** The handshake is confirmed (RFC 9001 §4.1.2): max_ack_delay applies, Application PTO arms. */
  confirmHandshake(now: number): void {
    this.handshakeConfirmed = true;
    this.setTimer(now);
  }

  /** Counts a received datagram for the anti-amplification limit and re-arms the timer (A.6). */
  onDatagramReceived(bytes: number, now: number): TimeoutOutcome<T> {
    const wasBlocked = this.amplification.atLimit;
    this.amplification.onReceived(bytes);
    if (wasBlocked) {
      this.setTimer(now);
      if (this.timer !== undefined && this.timer < now) return this.onTimeout(now);
    }
    return { kind: 'none' };
  }

  /** The server validated the client's address (RFC 9000 §8.1): lifts the limit. */
  onAddressValidated(now: number): void {
    this.amplification.validate();
    this.setTimer(now);
  }

  /**
   * The peer moved to a new address (RFC 9000 §9.4): the congestion controller and the RTT
   * estimator restart from their initial values (bytes in flight stay counted until acknowledged or
   * lost). Unless `validated`, the new path is under the anti-amplification limit again (§9.3,
   * §8.1), counting `receivedOnPath` bytes received there so far.
   */
  onPathChanged(resetCongestion: boolean, validated: boolean, receivedOnPath: number, now: number): void {
    if (resetCongestion) {
      this.cc.congestionWindow = initialWindow(this.cc.maxDatagramSize);
      this.cc.ssthresh = Infinity;
      this.cc.recoveryStartTime = -1;
      this.rtt.latestRtt = 0;
      this.rtt.smoothedRtt = K_INITIAL_RTT;
      this.rtt.rttvar = K_INITIAL_RTT / 2;
      this.rtt.minRtt = 0;
      this.rtt.firstSampleTime = 0;
    }
    this.amplification.validated = validated;
    this.amplification.received = receivedOnPath;
    this.amplification.sent = 0;
    this.setTimer(now);
  }

  /** Records a received packet in `space` (traced); false for a duplicate to drop (RFC 9000 §12.3). */
  onPacketReceived(space: SpaceId, pn: number, ackEliciting: boolean, now: number): boolean {
    const fresh = this.spaces[space].onPacketReceived(pn, ackEliciting, now);
    if (QTR.pktRcvd.on) QTR.pktRcvd.emit(this.connId, 0, TRACE_SPACE[space], pn, ackEliciting ? 1 : 0);
    return fresh;
  }

  /** The ACK frame to send in `space` now, or null (traced; see PacketNumberSpace.buildAck). */
  buildAck(space: SpaceId, now: number, ourAckDelayExponent = 3): AckFrame | null {
    const f = this.spaces[space].buildAck(now, ourAckDelayExponent);
    if (f && QTR.ackSent.on) QTR.ackSent.emit(this.connId, 0, TRACE_SPACE[space], f.ranges[0].largest, f.ranges.length);
    return f;
  }

  /** Takes the next packet number of `space`. */
  nextPacketNumber(space: SpaceId): number {
    return this.spaces[space].takePacketNumber();
  }

  /** OnPacketSent (RFC 9002 A.5) for a datagram's packet; also counts it for §8.1 and pacing. */
  onPacketSent(space: SpaceId, pn: number, info: PacketSentInfo<T>, now: number): void {
    const s = this.spaces[space];
    s.recordSent({ pn, timeSent: now, ackEliciting: info.ackEliciting, inFlight: info.inFlight, bytes: info.bytes, payload: info.payload });
    this.amplification.onSent(info.bytes);
    // RFC 9002 §7.7: in-flight packets are paced; ACK-only packets are not, and spend no tokens.
    if (info.inFlight) this.pacer.onSent(now, info.bytes, this.cc.congestionWindow, this.rtt.smoothedRtt);
    if (QTR.pktSent.on) QTR.pktSent.emit(this.connId, 0, TRACE_SPACE[space], pn, info.inFlight ? info.bytes : 0);
    if (info.inFlight) {
      this.cc.onPacketSent(info.bytes);
      this.setTimer(now);
    }
  }

  /** OnAckReceived (RFC 9002 A.7). */
  onAckReceived(space: SpaceId, ack: AckFrame, now: number): AckOutcome<T> {
    const s = this.spaces[space];
    const res = s.onAckFrame(ack, this.ackDelayExponent, now);
    if (!res.ok) return res;
    if (QTR.ackRcvd.on) QTR.ackRcvd.emit(this.connId, 0, TRACE_SPACE[space], res.largestAcked, res.newlyAcked.length);
    if (res.newlyAcked.length === 0) return { ok: true, acked: [], lost: [], persistentCongestion: false };
    if (space === 'handshake') this.handshakeAckReceived = true;
    if (res.rttSample !== undefined) {
      // RFC 9002 §5.3: the ack delay of Initial packets is ignored (they are not delayed).
      const ackDelay = space === 'initial' ? 0 : res.ackDelay;
      this.rtt.update(res.rttSample, ackDelay, this.handshakeConfirmed, this.maxAckDelay, now);
    }
    if (ack.ecn && ack.ecn.ce > s.ecnCe) {
      // B.7 ProcessECN: the largest acknowledged was newly acked here or earlier; use its send time if known.
      s.ecnCe = ack.ecn.ce;
      const top = res.newlyAcked[res.newlyAcked.length - 1];
      if (top.pn === res.largestAcked) this.congestionEvent(top.timeSent, now);
    }
    const lost = this.detectAndRemoveLostPackets(space, now);
    const pc = this.onPacketsLost(lost, now);
    for (const p of res.newlyAcked) if (p.inFlight) this.onPacketAcked(p);
    if (this.peerCompletedAddressValidation()) this.ptoCount = 0;
    this.setTimer(now);
    return { ok: true, acked: res.newlyAcked, lost, persistentCongestion: pc };
  }

  /** OnLossDetectionTimeout (RFC 9002 A.9); call when `deadline()` is reached. */
  onTimeout(now: number): TimeoutOutcome<T> {
    const [lossTime, lossSpace] = this.lossTimeAndSpace();
    if (lossTime !== 0) {
      const lost = this.detectAndRemoveLostPackets(lossSpace, now);
      const pc = this.onPacketsLost(lost, now);
      this.setTimer(now);
      return { kind: 'lost', space: lossSpace, lost, persistentCongestion: pc };
    }
    let out: TimeoutOutcome<T>;
    if (!this.anyAckElicitingInFlight()) {
      if (this.peerCompletedAddressValidation()) {
        this.timer = undefined; // nothing to probe (a spurious call)
        return { kind: 'none' };
      }
      out = { kind: 'anti-deadlock', space: this.hasHandshakeKeys ? 'handshake' : 'initial' };
    } else {
      const [, space] = this.ptoTimeAndSpace(now);
      out = { kind: 'pto', space, probes: 2 };
    }
    this.ptoCount++;
    if (QTR.pto.on) QTR.pto.emit(this.connId, 0, TRACE_SPACE[out.space], this.ptoCount, out.kind === 'anti-deadlock' ? 1 : 0);
    this.setTimer(now);
    return out;
  }

  /**
   * OnPacketNumberSpaceDiscarded (RFC 9002 A.11): Initial or Handshake keys were discarded
   * (RFC 9001 §4.9); the space's packets leave bytes in flight and its timers reset.
   */
  discardSpace(space: 'initial' | 'handshake', now: number): void {
    if (space === 'handshake') this.hasHandshakeKeys = false;
    for (const p of this.spaces[space].discard()) if (p.inFlight) this.cc.removeFromFlight(p.bytes);
    this.ptoCount = 0;
    this.setTimer(now);
  }

  // ------------------------------------------------------------------------------------------

  private onPacketAcked(p: SentPacket<T>): void {
    const before = this.cc.state();
    this.cc.onPacketAcked(p.bytes, p.timeSent);
    this.traceCc(before);
  }

  private congestionEvent(sentTime: number, now: number): void {
    const before = this.cc.state();
    this.cc.onCongestionEvent(sentTime, now);
    this.traceCc(before);
  }

  private traceCc(before: CongestionState): void {
    const after = this.cc.state();
    if (after !== before && QTR.ccState.on) {
      const ss = this.cc.ssthresh === Infinity ? 0 : this.cc.ssthresh;
      QTR.ccState.emit(this.connId, 0, Math.round(this.cc.congestionWindow), Math.round(ss), this.cc.bytesInFlight, after);
    }
  }

  /** The persistent-congestion period (RFC 9002 §7.6.1). */
  persistentCongestionDuration(): number {
    return (this.rtt.smoothedRtt + Math.max(4 * this.rtt.rttvar, K_GRANULARITY) + this.maxAckDelay) * K_PERSISTENT_CONGESTION_THRESHOLD;
  }

  /** DetectAndRemoveLostPackets (RFC 9002 A.10). */
  private detectAndRemoveLostPackets(space: SpaceId, now: number): SentPacket<T>[] {
    const s = this.spaces[space];
    s.lossTime = 0;
    const lost: SentPacket<T>[] = [];
    if (s.largestAcked < 0) return lost;
    const lossDelay = Math.max(K_TIME_THRESHOLD * Math.max(this.rtt.latestRtt, this.rtt.smoothedRtt), K_GRANULARITY);
    const lostSendTime = now - lossDelay;
    for (const p of [...s.sent.values()]) {
      if (p.pn > s.largestAcked) continue;
      if (p.timeSent <= lostSendTime || s.largestAcked >= p.pn + K_PACKET_THRESHOLD) {
        s.remove(p.pn);
        lost.push(p);
        if (QTR.pktLost.on) QTR.pktLost.emit(this.connId, 0, TRACE_SPACE[space], p.pn, p.bytes);
      } else {
        const t = p.timeSent + lossDelay;
        s.lossTime = s.lossTime === 0 ? t : Math.min(s.lossTime, t);
      }
    }
    lost.sort((a, b) => a.pn - b.pn);
    return lost;
  }

  /**
   * OnPacketsLost (RFC 9002 B.8): leaves flight, one congestion event, and persistent congestion
   * (§7.6.2) when two ack-eliciting packets lost in one run of consecutive packet numbers (none
   * acknowledged between them), both sent after the first RTT sample, span the §7.6.1 period.
   * Runs are judged within one space (a simplification of §7.6.2's cross-space rule).
   */
  private onPacketsLost(lost: SentPacket<T>[], now: number): boolean {
    let lastLossTime = -1;
    for (const p of lost) {
      if (p.inFlight) {
        this.cc.removeFromFlight(p.bytes);
        lastLossTime = Math.max(lastLossTime, p.timeSent);
      }
    }
    if (lastLossTime >= 0) this.congestionEvent(lastLossTime, now);
    if (!this.rtt.hasSample) return false;
    const period = this.persistentCongestionDuration();
    let runStart: SentPacket<T> | undefined;
    let prevPn = -2;
    for (const p of lost) {
      if (p.pn !== prevPn + 1) runStart = undefined;
      prevPn = p.pn;
      if (!p.ackEliciting || p.timeSent <= this.rtt.firstSampleTime) continue;
      if (runStart === undefined) runStart = p;
      else if (p.timeSent - runStart.timeSent >= period) {
        const before = this.cc.state();
        this.cc.onPersistentCongestion();
        this.traceCc(before);
        return true;
      }
    }
    return false;
  }

  private anyAckElicitingInFlight(): boolean {
    return SPACE_IDS.some((id) => this.spaces[id].ackElicitingInFlight > 0);
  }

  /** GetLossTimeAndSpace (A.8). */
  private lossTimeAndSpace(): [number, SpaceId] {
    let time = this.spaces.initial.lossTime;
    let space: SpaceId = 'initial';
    for (const id of ['handshake', 'application'] as const) {
      const t = this.spaces[id].lossTime;
      if (t !== 0 && (time === 0 || t < time)) {
        time = t;
        space = id;
      }
    }
    return [time, space];
  }

  /** GetPtoTimeAndSpace (A.8). */
  ptoTimeAndSpace(now: number): [number, SpaceId] {
    let duration = this.rtt.ptoBase() * 2 ** this.ptoCount;
    if (!this.anyAckElicitingInFlight()) return [now + duration, this.hasHandshakeKeys ? 'handshake' : 'initial'];
    let timeout = Infinity;
    let ptoSpace: SpaceId = 'initial';
    for (const id of SPACE_IDS) {
      const s = this.spaces[id];
      if (s.ackElicitingInFlight === 0) continue;
      if (id === 'application') {
        if (!this.handshakeConfirmed) return [timeout, ptoSpace];
        duration += this.maxAckDelay * 2 ** this.ptoCount;
      }
      const t = s.timeOfLastAckEliciting + duration;
      if (t < timeout) {
        timeout = t;
        ptoSpace = id;
      }
    }
    return [timeout, ptoSpace];
  }

  /** SetLossDetectionTimer (A.8). */
  private setTimer(now: number): void {
    const [lossTime] = this.lossTimeAndSpace();
    if (lossTime !== 0) {
      this.timer = lossTime;
      return;
    }
    if (this.isServer && this.amplification.atLimit) {
      this.timer = undefined;
      return;
    }
    if (!this.anyAckElicitingInFlight() && this.peerCompletedAddressValidation()) {
      this.timer = undefined;
      return;
    }
    const [t] = this.ptoTimeAndSpace(now);
    this.timer = t === Infinity ? undefined : t;
  }
}
