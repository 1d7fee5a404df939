/**
 * The connection ids the peer issued us (RFC 9000 §5.1): sequence 0 is the Source Connection ID of
 * its first packets; more arrive in NEW_CONNECTION_ID (§19.15). One of them is in use (the DCID of
 * what we send). `retire_prior_to` retires the older ones (§5.1.2): we send RETIRE_CONNECTION_ID
 * (§19.16) for each and move off the one in use. Switching to an unused id when the path changes
 * (§9.5) also retires the old one. More active ids than our active_connection_id_limit is a
 * CONNECTION_ID_LIMIT_ERROR; the same sequence with other contents a PROTOCOL_VIOLATION.
 */
import { cidEquals } from './cid.ts';
import { decodeError, type QuicDecodeError } from './errors.ts';
import type { NewConnectionIdFrame } from './frame.types.ts';
import type { FrameSink } from './sent-record.ts';

/** One id the peer issued. */
export interface PeerCid {
  readonly seq: number;
  readonly cid: Uint8Array;
  /** Its stateless reset token (unknown for sequence 0 of a client). */
  readonly token: Uint8Array | undefined;
}

/** The peer's ids (see module doc). */
export class PeerCids {
  /** Our active_connection_id_limit (RFC 9000 §18.2). */
  readonly limit: number;
  private readonly ids = new Map<number, PeerCid>();
  private currentSeq = 0;
  /** Sequences this endpoint has sent with (RFC 9000 §10.3.1: only their reset tokens are checked). */
  private readonly used = new Set<number>([0]);
  private retirePriorTo = 0;
  private retire: number[] = [];

  /** `first` is the id of sequence 0 (may still change during the handshake: `setFirst`). */
  constructor(first: Uint8Array, limit: number) {
    this.limit = limit;
    this.ids.set(0, { seq: 0, cid: first, token: undefined });
  }

  /** The id we send to now. */
  get current(): Uint8Array {
    return this.ids.get(this.currentSeq)!.cid;
  }

  /** Sequence number of the id in use. */
  get currentSequence(): number {
    return this.currentSeq;
  }

  /** Number of active ids. */
  get size(): number {
    return this.ids.size;
  }

  /** Sets sequence 0 (the peer's handshake SCID, RFC 9000 §7.2) and its reset token when known (§18.2). */
  setFirst(cid: Uint8Array, token?: Uint8Array): void {
    if (!this.ids.has(0)) return;
    this.ids.set(0, { seq: 0, cid, token });
  }

  /** NEW_CONNECTION_ID (RFC 9000 §19.15, §5.1.2). `zeroLength`: the peer uses a zero-length id (the frame is then a PROTOCOL_VIOLATION). */
  onNewCid(f: NewConnectionIdFrame, zeroLength: boolean): QuicDecodeError | null {
    if (zeroLength) return decodeError('PROTOCOL_VIOLATION', 0x18, 0, 'NEW_CONNECTION_ID from a peer using a zero-length connection id (RFC 9000 §19.15)');
    const known = this.ids.get(f.sequence);
    if (known) {
      if (cidEquals(known.cid, f.connectionId) && (!known.token || cidEquals(known.token, f.statelessResetToken))) return null; // retransmission
      return decodeError('PROTOCOL_VIOLATION', 0x18, 0, `NEW_CONNECTION_ID sequence ${f.sequence} repeated with another id or token (RFC 9000 §19.15)`);
    }
    for (const c of this.ids.values()) {
      if (cidEquals(c.cid, f.connectionId)) return decodeError('PROTOCOL_VIOLATION', 0x18, 0, `NEW_CONNECTION_ID sequence ${f.sequence} repeats the id of sequence ${c.seq} (RFC 9000 §19.15)`);
    }
    if (f.sequence < this.retirePriorTo) {
      this.queueRetire(f.sequence); // §19.15: retired on arrival
    } else {
      this.ids.set(f.sequence, { seq: f.sequence, cid: f.connectionId.slice(), token: f.statelessResetToken.slice() });
    }
    if (f.retirePriorTo > this.retirePriorTo) {
      this.retirePriorTo = f.retirePriorTo;
      for (const seq of [...this.ids.keys()]) {
        if (seq >= f.retirePriorTo) continue;
        this.ids.delete(seq);
        this.queueRetire(seq);
      }
      if (!this.ids.has(this.currentSeq)) {
        this.currentSeq = Math.min(...this.ids.keys());
        this.used.add(this.currentSeq);
      }
    }
    if (this.ids.size > this.limit) {
      return decodeError('CONNECTION_ID_LIMIT_ERROR', 0x18, 0, `${this.ids.size} active connection ids, above our active_connection_id_limit ${this.limit} (RFC 9000 §5.1.1)`);
    }
    return null;
  }

  /** Moves to an id not used yet and retires the one in use (RFC 9000 §9.5); false when the peer gave none. */
  switchToUnused(): boolean {
    const next = [...this.ids.keys()].filter((s) => s > this.currentSeq).sort((a, b) => a - b)[0];
    if (next === undefined) return false;
    this.ids.delete(this.currentSeq);
    this.queueRetire(this.currentSeq);
    this.currentSeq = next;
    this.used.add(next);
    return true;
  }

  /** Adds RETIRE_CONNECTION_ID frames still to send while they fit. */
  fill(b: FrameSink): void {
    while (this.retire.length > 0) {
      const seq = this.retire[0];
      if (!b.add({ type: 'retire_connection_id', sequence: seq }, { k: 'retire_cid', seq })) return;
      this.retire.shift();
    }
  }

  /** Whether RETIRE_CONNECTION_ID frames wait to be sent. */
  hasPending(): boolean {
    return this.retire.length > 0;
  }

  /** A packet carrying RETIRE_CONNECTION_ID `seq` was lost: send it again (RFC 9000 §13.3). */
  onLost(seq: number): void {
    this.queueRetire(seq);
  }

  /**
   * Stateless reset tokens to check an incoming datagram against (RFC 9000 §10.3.1): those of the
   * active ids this endpoint has used as destination, never of ids not used yet nor of retired ones.
   */
  resetTokens(): (Uint8Array | undefined)[] {
    return [...this.ids.values()].filter((c) => this.used.has(c.seq)).map((c) => c.token);
  }

  private queueRetire(seq: number): void {
    if (!this.retire.includes(seq)) this.retire.push(seq);
  }
}
