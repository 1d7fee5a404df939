import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../proxy/quic/cid.ts';
import { TRANSPORT_ERROR } from '../../../proxy/quic/errors.ts';
import type { Frame, NewConnectionIdFrame } from '../../../proxy/quic/frame.types.ts';
import { LocalCids, MAX_ISSUED_CIDS } from '../../../proxy/quic/local-cids.ts';
import { PeerCids } from '../../../proxy/quic/peer-cids.ts';
import { statelessResetToken } from '../../../proxy/quic/reset-token.ts';
import type { FrameSink, SentRecord } from '../../../proxy/quic/sent-record.ts';
import { threadCidSource } from '../../../proxy/quic/udp/dispatcher.ts';

class Sink implements FrameSink {
  room = 1000;
  frames: Frame[] = [];
  records: (SentRecord | null)[] = [];
  add(f: Frame, r: SentRecord | null): boolean {
    this.frames.push(f);
    this.records.push(r);
    return true;
  }
}

const id = (n: number) => Uint8Array.from([n, n, n, n, n, n, n, n]);
const ncid = (sequence: number, retirePriorTo: number, n = sequence + 10): NewConnectionIdFrame => ({
  type: 'new_connection_id', sequence, retirePriorTo, connectionId: id(n), statelessResetToken: new Uint8Array(16).fill(n),
});

describe('LocalCids (RFC 9000 §5.1.1, §19.15, §19.16)', () => {
  it('issues up to the peer limit (capped), each id with the thread byte and its HMAC token, and replaces retired ones', () => {
    const l = new LocalCids(id(1), threadCidSource(3, seededRandom(5)), new Uint8Array(32).fill(7));
    l.setPeerLimit(100);
    expect(l.size).toBe(MAX_ISSUED_CIDS);
    const s = new Sink();
    l.fill(s);
    expect(s.frames).toHaveLength(MAX_ISSUED_CIDS - 1);
    for (const f of s.frames) {
      if (f.type !== 'new_connection_id') throw new Error(f.type);
      expect(f.connectionId[0]).toBe(3);
      expect(Buffer.from(f.statelessResetToken)).toEqual(Buffer.from(statelessResetToken(f.connectionId, new Uint8Array(32).fill(7))));
    }
    expect(l.pollChanges().added).toHaveLength(MAX_ISSUED_CIDS - 1);
    expect(l.onRetire(0, id(99))).toBeNull();
    const ch = l.pollChanges();
    expect(ch.removed.map((c) => c[0])).toEqual([1]);
    expect(ch.added).toHaveLength(1);
    expect(l.has(id(1))).toBe(false);
    // Lost NEW_CONNECTION_ID is sent again while its id is active.
    l.onLost(2);
    const s2 = new Sink();
    l.fill(s2);
    expect(s2.frames.map((f) => (f.type === 'new_connection_id' ? f.sequence : -1))).toEqual([MAX_ISSUED_CIDS, 2]);
  });

  it('a retirement of a never-issued sequence, or of the id the packet was sent to, is a PROTOCOL_VIOLATION', () => {
    const l = new LocalCids(id(1), seededRandom(1));
    l.setPeerLimit(2);
    expect(l.onRetire(5, id(9))?.code).toBe(TRANSPORT_ERROR.PROTOCOL_VIOLATION);
    expect(l.onRetire(0, id(1))?.code).toBe(TRANSPORT_ERROR.PROTOCOL_VIOLATION);
    expect(l.onRetire(0, id(9))).toBeNull();
    expect(l.onRetire(0, id(9))).toBeNull(); // already retired: ignored
  });
});

describe('PeerCids (RFC 9000 §5.1.2, §19.15)', () => {
  it('retire_prior_to retires older ids, moves off the one in use and queues RETIRE_CONNECTION_ID', () => {
    const p = new PeerCids(id(1), 4);
    expect(p.onNewCid(ncid(1, 0), false)).toBeNull();
    expect(p.onNewCid(ncid(2, 0), false)).toBeNull();
    expect(p.onNewCid(ncid(3, 2), false)).toBeNull();
    expect(p.currentSequence).toBe(2);
    expect(Buffer.from(p.current)).toEqual(Buffer.from(id(12)));
    const s = new Sink();
    p.fill(s);
    expect(s.frames).toEqual([{ type: 'retire_connection_id', sequence: 0 }, { type: 'retire_connection_id', sequence: 1 }]);
    expect(s.records).toEqual([{ k: 'retire_cid', seq: 0 }, { k: 'retire_cid', seq: 1 }]);
    // A late frame below retire_prior_to is retired on arrival.
    expect(p.onNewCid(ncid(1, 0), false)).toBeNull();
    const s2 = new Sink();
    p.fill(s2);
    expect(s2.frames).toEqual([{ type: 'retire_connection_id', sequence: 1 }]);
    expect(p.switchToUnused()).toBe(true);
    expect(p.currentSequence).toBe(3);
    expect(p.switchToUnused()).toBe(false);
  });

  it('checks the reset tokens of the ids it has used only, never of ids not used yet (RFC 9000 §10.3.1)', () => {
    const p = new PeerCids(id(1), 4);
    p.setFirst(id(1), new Uint8Array(16).fill(1));
    expect(p.onNewCid(ncid(1, 0), false)).toBeNull();
    expect(p.onNewCid(ncid(2, 0), false)).toBeNull();
    expect(p.resetTokens()).toEqual([new Uint8Array(16).fill(1)]); // only sequence 0 was used
    expect(p.switchToUnused()).toBe(true); // 0 retired, 1 in use
    expect(p.resetTokens()).toEqual([new Uint8Array(16).fill(11)]);
  });

  it('errors: over our limit, a sequence repeated with another id, a zero-length peer id', () => {
    const p = new PeerCids(id(1), 2);
    expect(p.onNewCid(ncid(1, 0), false)).toBeNull();
    expect(p.onNewCid(ncid(1, 0), false)).toBeNull(); // retransmission
    expect(p.onNewCid(ncid(1, 0, 77), false)?.code).toBe(TRANSPORT_ERROR.PROTOCOL_VIOLATION);
    expect(p.onNewCid(ncid(2, 0), false)?.code).toBe(TRANSPORT_ERROR.CONNECTION_ID_LIMIT_ERROR);
    expect(new PeerCids(new Uint8Array(0), 2).onNewCid(ncid(1, 0), true)?.code).toBe(TRANSPORT_ERROR.PROTOCOL_VIOLATION);
  });
});
