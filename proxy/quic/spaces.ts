/**
 * Packet number spaces (RFC 9000 §12.3): Initial, Handshake and Application Data each number
 * their packets from 0 and acknowledge them separately. One `PacketNumberSpace` holds both sides:
 *
 * - receiving: the largest packet number received, duplicate detection (§12.3: a packet number
 *   is never reused, so a second copy is dropped), the ranges to acknowledge and when an ACK is
 *   due (§13.2.1: Initial and Handshake immediately; Application Data within max_ack_delay, or
 *   immediately after two ack-eliciting packets (§13.2.2) or on reordering);
 * - sending: the next packet number, the packets in flight, the largest acknowledged, and the
 *   processing of received ACK frames into newly acknowledged packets and an RTT sample
 *   (RFC 9002 §5.1, Appendix A.7).
 *
 * Times are milliseconds on the caller's clock.
 */
import { decodeError, type QuicDecodeError } from './errors.ts';
import { FRAME_TYPE, type AckFrame, type AckRange } from './frame.types.ts';

/** The three spaces (RFC 9000 §12.3). 0-RTT and 1-RTT packets share `application`. */
export type SpaceId = 'initial' | 'handshake' | 'application';

/** The spaces in RFC 9002's iteration order. */
export const SPACE_IDS: readonly SpaceId[] = ['initial', 'handshake', 'application'];

/** A packet sent and not yet acknowledged or declared lost (RFC 9002 Appendix A.1.1). */
export interface SentPacket<T = unknown> {
  readonly pn: number;
  readonly timeSent: number;
  readonly ackEliciting: boolean;
  /** Counts toward bytes in flight (ack-eliciting or PADDING; RFC 9002 §2). */
  readonly inFlight: boolean;
  readonly bytes: number;
  /** What the caller needs to retransmit the contents when the packet is lost. */
  readonly payload?: T;
}

/** Outcome of processing an ACK frame (RFC 9002 Appendix A.7). */
export type AckProcessing<T = unknown> =
  | {
      readonly ok: true;
      /** Newly acknowledged packets, in increasing packet number order. */
      readonly newlyAcked: SentPacket<T>[];
      /** Largest Acknowledged of the frame. */
      readonly largestAcked: number;
      /** latest_rtt when the RFC 9002 §5.1 conditions hold, else undefined. */
      readonly rttSample: number | undefined;
      /** ACK Delay decoded to milliseconds (§19.3: field * 2^ack_delay_exponent µs). */
      readonly ackDelay: number;
    }
  | { readonly ok: false; readonly error: QuicDecodeError };

/** How many disjoint received ranges a space remembers; older ones are forgotten (§13.2.3). */
export const MAX_RECEIVED_RANGES = 32;

/** Receiving and sending state of one packet number space. */
export class PacketNumberSpace<T = unknown> {
  readonly id: SpaceId;

  // ---- receiving
  /** Largest packet number received, -1 before any. */
  largestReceived = -1;
  /** When the largest packet number was received. */
  largestReceivedTime = 0;
  /** Received ranges, descending, disjoint and not adjacent. */
  private received: { smallest: number; largest: number }[] = [];
  /** Packets below this were forgotten and count as duplicates. */
  private floor = 0;
  private ackElicitingUnacked = 0;
  private ackNeeded = false;
  private ackImmediate = false;
  private firstUnackedTime = 0;

  // ---- sending
  /** Next packet number to use. */
  nextPn = 0;
  /** Largest packet number the peer acknowledged, -1 before any ACK (RFC 9002 "infinite"). */
  largestAcked = -1;
  /** Sent packets awaiting acknowledgment, by packet number (insertion order is increasing). */
  readonly sent = new Map<number, SentPacket<T>>();
  /** Time of the last ack-eliciting packet sent in flight (RFC 9002 A.2), 0 when none. */
  timeOfLastAckEliciting = 0;
  /** When the next packet can be deemed lost by time threshold (RFC 9002 A.2), 0 when none. */
  lossTime = 0;
  /** Ack-eliciting packets in flight. */
  ackElicitingInFlight = 0;
  /** Highest ECN-CE count the peer reported (RFC 9002 B.2). */
  ecnCe = 0;

  constructor(id: SpaceId) {
    this.id = id;
  }

  // ------------------------------------------------------------------- receiving

  /**
   * Records a received (and successfully decrypted) packet. Returns false for a duplicate, which
   * the caller drops without processing its frames (RFC 9000 §12.3, §13.2.3).
   */
  onPacketReceived(pn: number, ackEliciting: boolean, now: number): boolean {
    if (pn < this.floor || this.has(pn)) return false;
    const outOfOrder = this.largestReceived >= 0 && pn !== this.largestReceived + 1;
    this.insert(pn);
    if (pn > this.largestReceived) {
      this.largestReceived = pn;
      this.largestReceivedTime = now;
    }
    this.ackNeeded = true;
    if (ackEliciting) {
      if (this.ackElicitingUnacked === 0) this.firstUnackedTime = now;
      this.ackElicitingUnacked++;
      // §13.2.1: Initial/Handshake immediately; §13.2.2: every second packet; reordering.
      if (this.id !== 'application' || this.ackElicitingUnacked >= 2 || outOfOrder) this.ackImmediate = true;
    }
    return true;
  }

  /** Whether `pn` was received (and is still remembered). */
  has(pn: number): boolean {
    for (const r of this.received) if (pn >= r.smallest && pn <= r.largest) return true;
    return false;
  }

  /**
   * When an ACK frame must be sent: `now` or earlier if immediately, the first unacknowledged
   * ack-eliciting packet's arrival + `maxAckDelay` otherwise; undefined when no ack-eliciting
   * packet waits (§13.2.1: non-ack-eliciting packets are acknowledged only along with others).
   */
  ackDeadline(maxAckDelay: number): number | undefined {
    if (this.ackElicitingUnacked === 0) return undefined;
    return this.ackImmediate ? this.firstUnackedTime : this.firstUnackedTime + maxAckDelay;
  }

  /** Whether there is anything to acknowledge (for piggybacking an ACK on other frames). */
  get ackPending(): boolean {
    return this.ackNeeded;
  }

  /**
   * Builds the ACK frame to send now (RFC 9000 §19.3), or null when nothing was received since the
   * last one. `ackDelayExponent` is ours (§18.2); the delay is measured from the largest packet's
   * arrival (§13.2.5). Marks the ACK as sent.
   */
  buildAck(now: number, ackDelayExponent = 3): AckFrame | null {
    if (!this.ackNeeded || this.received.length === 0) return null;
    const us = Math.max(0, Math.round((now - this.largestReceivedTime) * 1000));
    const delay = Math.floor(us / 2 ** ackDelayExponent);
    const ranges: AckRange[] = this.received.map((r) => ({ smallest: r.smallest, largest: r.largest }));
    this.ackNeeded = false;
    this.ackImmediate = false;
    this.ackElicitingUnacked = 0;
    return { type: 'ack', delay, ranges };
  }

  private insert(pn: number): void {
    const rs = this.received;
    let i = 0;
    while (i < rs.length && rs[i].smallest > pn) i++;
    rs.splice(i, 0, { smallest: pn, largest: pn });
    // Merge with the range below (i + 1), then with the range above (i - 1), when they touch.
    if (i + 1 < rs.length && rs[i + 1].largest + 1 >= pn) {
      rs[i].smallest = rs[i + 1].smallest;
      rs.splice(i + 1, 1);
    }
    if (i > 0 && rs[i - 1].smallest - 1 <= rs[i].largest) {
      rs[i - 1].smallest = rs[i].smallest;
      rs.splice(i, 1);
    }
    if (rs.length > MAX_RECEIVED_RANGES) {
      const dropped = rs.pop()!;
      this.floor = Math.max(this.floor, dropped.largest + 1);
    }
  }

  // ------------------------------------------------------------------- sending

  /** Takes the next packet number (RFC 9000 §12.3: never reused). */
  takePacketNumber(): number {
    return this.nextPn++;
  }

  /** Records a sent packet (RFC 9002 A.5, the space's part). */
  recordSent(p: SentPacket<T>): void {
    this.sent.set(p.pn, p);
    if (p.inFlight && p.ackEliciting) {
      this.timeOfLastAckEliciting = p.timeSent;
    }
    if (p.ackEliciting) this.ackElicitingInFlight++;
  }

  /** Removes a sent packet (acknowledged, lost or discarded); returns it. */
  remove(pn: number): SentPacket<T> | undefined {
    const p = this.sent.get(pn);
    if (p === undefined) return undefined;
    this.sent.delete(pn);
    if (p.ackEliciting) this.ackElicitingInFlight--;
    return p;
  }

  /**
   * Processes a received ACK frame (RFC 9002 Appendix A.7, DetectAndRemoveAckedPackets): removes
   * the newly acknowledged packets and says whether an RTT sample is taken (§5.1: the largest
   * acknowledged is newly acknowledged and at least one newly acknowledged packet is
   * ack-eliciting). `ackDelayExponent` is the peer's (§18.2). Acknowledging a packet number never
   * sent is PROTOCOL_VIOLATION (RFC 9000 §13.1).
   */
  onAckFrame(ack: AckFrame, ackDelayExponent: number, now: number): AckProcessing<T> {
    const largest = ack.ranges[0].largest;
    if (largest >= this.nextPn) {
      return {
        ok: false,
        error: decodeError('PROTOCOL_VIOLATION', FRAME_TYPE.ACK, 0,
          `ACK in the ${this.id} space acknowledges packet ${largest}, which was never sent (next is ${this.nextPn})`),
      };
    }
    this.largestAcked = Math.max(this.largestAcked, largest);
    const newlyAcked: SentPacket<T>[] = [];
    // Ranges are descending; walk them ascending so newlyAcked comes out increasing.
    for (let i = ack.ranges.length - 1; i >= 0; i--) {
      const r = ack.ranges[i];
      if (r.largest - r.smallest < this.sent.size) {
        for (let pn = r.smallest; pn <= r.largest; pn++) {
          const p = this.remove(pn);
          if (p) newlyAcked.push(p);
        }
      } else {
        for (const pn of [...this.sent.keys()].sort((a, b) => a - b)) {
          if (pn >= r.smallest && pn <= r.largest) newlyAcked.push(this.remove(pn)!);
        }
      }
    }
    const ackDelay = (ack.delay * 2 ** ackDelayExponent) / 1000;
    const top = newlyAcked[newlyAcked.length - 1];
    const rttSample =
      top !== undefined && top.pn === largest && newlyAcked.some((p) => p.ackEliciting) ? now - top.timeSent : undefined;
    return { ok: true, newlyAcked, largestAcked: largest, rttSample, ackDelay };
  }

  /** Forgets every sent packet (key discard, RFC 9002 A.11); returns them. */
  discard(): SentPacket<T>[] {
    const all = [...this.sent.values()];
    this.sent.clear();
    this.ackElicitingInFlight = 0;
    this.timeOfLastAckEliciting = 0;
    this.lossTime = 0;
    this.received = [];
    this.ackNeeded = false;
    this.ackImmediate = false;
    this.ackElicitingUnacked = 0;
    return all;
  }
}
