/**
 * The connection ids this endpoint issues (RFC 9000 §5.1.1): sequence 0 is the one of the
 * handshake; more are announced with NEW_CONNECTION_ID (§19.15) up to the peer's
 * active_connection_id_limit (§18.2, capped at MAX_ISSUED_CIDS), each with its stateless reset
 * token (reset-token.ts), and replaced when the peer retires one (RETIRE_CONNECTION_ID, §19.16).
 * Every id comes from the connection's RandomSource, which on a server thread puts the owning
 * thread in the first byte (udp/dispatcher.ts threadCidSource). The ids added and removed since
 * the last `pollChanges` are what the listener registers in, or removes from, its dispatcher.
 */
import { cidEquals, cidHex, LOCAL_CID_LENGTH, type RandomSource } from './cid.ts';
import { decodeError, type QuicDecodeError } from './errors.ts';
import { statelessResetToken } from './reset-token.ts';
import type { FrameSink } from './sent-record.ts';

/** At most this many of our ids are active at once, whatever the peer allows. */
export const MAX_ISSUED_CIDS = 8;

/** One id we issued. */
export interface IssuedCid {
  readonly seq: number;
  readonly cid: Uint8Array;
  readonly token: Uint8Array;
}

/** Ids added to and removed from the active set since the last poll. */
export interface CidChanges {
  readonly added: Uint8Array[];
  readonly removed: Uint8Array[];
}

/** The active ids we issued (see module doc). */
export class LocalCids {
  private readonly byHex = new Map<string, IssuedCid>();
  private readonly bySeq = new Map<number, IssuedCid>();
  private readonly random: RandomSource;
  private readonly secret: Uint8Array | undefined;
  private nextSeq = 1;
  private limit = 1;
  private pending: number[] = [];
  private added: Uint8Array[] = [];
  private removed: Uint8Array[] = [];

  /** `first` is the id of the handshake (sequence 0, already known to the listener); `secret` keys the reset tokens. */
  constructor(first: Uint8Array, random: RandomSource, secret?: Uint8Array) {
    this.random = random;
    this.secret = secret;
    this.put({ seq: 0, cid: first, token: statelessResetToken(first, secret) });
  }

  /** Number of active ids. */
  get size(): number {
    return this.byHex.size;
  }

  /** The stateless reset token of sequence 0 (the server's stateless_reset_token, RFC 9000 §18.2). */
  get firstToken(): Uint8Array | undefined {
    return this.bySeq.get(0)?.token;
  }

  /** Every active id, in sequence order. */
  list(): IssuedCid[] {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Whether `dcid` is one of our active ids. */
  has(dcid: Uint8Array): boolean {
    return this.byHex.has(cidHex(dcid));
  }

  /** The peer's active_connection_id_limit is known (RFC 9000 §5.1.1): issue ids up to it. */
  setPeerLimit(limit: number): void {
    this.limit = Math.max(1, Math.min(limit, MAX_ISSUED_CIDS));
    this.replenish();
  }

  /**
   * RETIRE_CONNECTION_ID for `seq` arrived in a packet sent to `packetDcid` (RFC 9000 §19.16): a
   * sequence never issued, or the id the packet itself was sent to, is a PROTOCOL_VIOLATION; an
   * already retired one is ignored. A fresh id replaces the retired one.
   */
  onRetire(seq: number, packetDcid: Uint8Array): QuicDecodeError | null {
    if (seq >= this.nextSeq) return decodeError('PROTOCOL_VIOLATION', 0x19, 0, `RETIRE_CONNECTION_ID for sequence ${seq}, never issued (highest ${this.nextSeq - 1}, RFC 9000 §19.16)`);
    const c = this.bySeq.get(seq);
    if (!c) return null;
    if (cidEquals(c.cid, packetDcid)) return decodeError('PROTOCOL_VIOLATION', 0x19, 0, `RETIRE_CONNECTION_ID for sequence ${seq}, the id this packet was sent to (RFC 9000 §19.16)`);
    this.byHex.delete(cidHex(c.cid));
    this.bySeq.delete(seq);
    this.removed.push(c.cid);
    this.replenish();
    return null;
  }

  /** Adds NEW_CONNECTION_ID frames still to send while they fit. */
  fill(b: FrameSink): void {
    while (this.pending.length > 0) {
      const c = this.bySeq.get(this.pending[0]);
      if (c && !b.add({ type: 'new_connection_id', sequence: c.seq, retirePriorTo: 0, connectionId: c.cid, statelessResetToken: c.token }, { k: 'new_cid', seq: c.seq })) return;
      this.pending.shift();
    }
  }

  /** Whether NEW_CONNECTION_ID frames wait to be sent. */
  hasPending(): boolean {
    return this.pending.some((s) => this.bySeq.has(s));
  }

  /** A packet carrying NEW_CONNECTION_ID `seq` was lost: send it again if the id is still active (RFC 9000 §13.3). */
  onLost(seq: number): void {
    if (this.bySeq.has(seq) && !this.pending.includes(seq)) this.pending.push(seq);
  }

  /** The ids added and removed since the last call (the listener's dispatcher follows them). */
  pollChanges(): CidChanges {
    const out = { added: this.added, removed: this.removed };
    this.added = [];
    this.removed = [];
    return out;
  }

  private replenish(): void {
    for (let tries = 0; this.byHex.size < this.limit && tries < 4 * MAX_ISSUED_CIDS; tries++) {
      const cid = this.random(LOCAL_CID_LENGTH);
      if (this.byHex.has(cidHex(cid))) continue;
      const c: IssuedCid = { seq: this.nextSeq++, cid, token: statelessResetToken(cid, this.secret) };
      this.put(c);
      this.added.push(cid);
      this.pending.push(c.seq);
    }
  }

  private put(c: IssuedCid): void {
    this.byHex.set(cidHex(c.cid), c);
    this.bySeq.set(c.seq, c);
  }
}
