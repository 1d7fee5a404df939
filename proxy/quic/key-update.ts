/**
 * 1-RTT key update (RFC 9001 §6): the Key Phase bit, the current read and write keys, the next read
 * keys (kept ready, §6.3), the previous read keys (kept for three PTOs after a packet in the new
 * phase arrived, §6.5), and the two confirmations that gate the next update:
 *
 * - ours (§6.1): an endpoint MUST NOT initiate an update before it received an acknowledgment of a
 *   packet sent with the current keys: tracked as the lowest packet number sent in the current phase
 *   against the largest acknowledged one;
 * - the peer's (§6.2): a second update detected before we sent an acknowledgment, protected with
 *   the updated keys, of a packet received in the current phase is a KEY_UPDATE_ERROR.
 *
 * Key choice for a received packet (§6.5): the current keys when its Key Phase is the current one;
 * otherwise the previous keys when they are still kept and the packet number is below every packet
 * number received in the current phase, else the next keys (an update by the peer).
 * Sans-IO: the caller passes packet numbers, times and the PTO.
 */
import type { PacketKeys } from './crypto.types.ts';
import { updatePacketKeys } from './keys.ts';

/** Which keys opened a packet. */
export type KeyChoice = 'current' | 'previous' | 'next';

/** Outcome of a packet opened with some keys: `key-update-error` closes with KEY_UPDATE_ERROR (RFC 9001 §6.2). */
export type KeyUpdateOutcome = { readonly ok: true; readonly updated: boolean } | { readonly ok: false; readonly message: string };

/** Key phase state of a connection's 1-RTT packet protection (see module doc). */
export class KeyPhase {
  /** The Key Phase bit of what we send and of the current read keys (RFC 9001 §6). */
  phase: 0 | 1 = 0;
  read: PacketKeys;
  write: PacketKeys;
  /** Key updates done (either side initiated), for `show quic` and tests. */
  updates = 0;
  private next: PacketKeys;
  private previous: PacketKeys | undefined;
  /** When the previous read keys are dropped (Infinity until a packet of the new phase arrives). */
  private previousUntil = Infinity;
  /** Lowest packet number sent with the current write keys. */
  private firstSentPn = 0;
  /** A packet sent with the current write keys was acknowledged (§6.1). */
  private sentAcked = true;
  /** Lowest packet number received in the current phase (-1 before one). */
  private firstRecvPn = -1;
  /** We sent, with the current keys, an ACK of a packet received in the current phase (§6.2). */
  private recvAcked = true;

  /** Starts in phase 0 with the 1-RTT keys the handshake installed. */
  constructor(read: PacketKeys, write: PacketKeys) {
    this.read = read;
    this.write = write;
    this.next = updatePacketKeys(read);
  }

  /** Whether the previous read keys are still kept. */
  get hasPrevious(): boolean {
    return this.previous !== undefined;
  }

  /** Whether our last update (or the peer's, which we followed) is acknowledged, so that a new one may start (§6.1). */
  get canInitiate(): boolean {
    return this.sentAcked;
  }

  /** Keys to open a packet with Key Phase `bit` and packet number `pn` (§6.5), with which ones they are. */
  choose(bit: 0 | 1, pn: number): { keys: PacketKeys; which: KeyChoice } {
    if (bit === this.phase) return { keys: this.read, which: 'current' };
    if (this.previous && (this.firstRecvPn < 0 || pn < this.firstRecvPn)) return { keys: this.previous, which: 'previous' };
    return { keys: this.next, which: 'next' };
  }

  /**
   * A packet numbered `pn` was opened with `which` keys at `now`. With the next keys it is the
   * peer's update: we switch both directions (our next packet numbered `nextSentPn` is in the new
   * phase) unless the peer updated twice without waiting (KEY_UPDATE_ERROR, §6.2).
   */
  onOpened(which: KeyChoice, pn: number, now: number, pto: number, nextSentPn: number): KeyUpdateOutcome {
    if (which === 'previous') return { ok: true, updated: false };
    if (which === 'current') {
      if (this.firstRecvPn < 0) {
        this.firstRecvPn = pn;
        if (this.previous) this.previousUntil = now + 3 * pto; // §6.5
      }
      return { ok: true, updated: false };
    }
    if (!this.recvAcked) {
      return { ok: false, message: `key update at packet ${pn} before the previous one (packet ${this.firstRecvPn}) was acknowledged with the new keys (RFC 9001 §6.2)` };
    }
    this.switchKeys(nextSentPn);
    this.firstRecvPn = pn;
    this.recvAcked = false;
    this.previousUntil = now + 3 * pto;
    return { ok: true, updated: true };
  }

  /** Initiates an update (§6.1); false while the previous one is not acknowledged. `nextSentPn`: our next packet number. */
  initiate(nextSentPn: number): boolean {
    if (!this.sentAcked) return false;
    this.switchKeys(nextSentPn);
    this.firstRecvPn = -1;
    this.recvAcked = false;
    this.previousUntil = Infinity; // §6.1: kept until a packet with the new keys is opened
    return true;
  }

  /** An ACK frame acknowledging up to `largest` in the 1-RTT space was received. */
  onAckReceived(largest: number): void {
    if (largest >= this.firstSentPn) this.sentAcked = true;
  }

  /** We are sending, with the current keys, an ACK frame acknowledging up to `largest`. */
  onAckSent(largest: number): void {
    if (this.firstRecvPn >= 0 && largest >= this.firstRecvPn) this.recvAcked = true;
  }

  /** Drops the previous read keys once their three PTOs passed (§6.5). */
  expire(now: number): void {
    if (this.previous && now >= this.previousUntil) {
      this.previous = undefined;
      this.previousUntil = Infinity;
    }
  }

  private switchKeys(nextSentPn: number): void {
    this.previous = this.read;
    this.read = this.next;
    this.next = updatePacketKeys(this.read);
    this.write = updatePacketKeys(this.write);
    this.phase = this.phase === 0 ? 1 : 0;
    this.firstSentPn = nextSentPn;
    this.sentAcked = false;
    this.updates++;
  }
}
