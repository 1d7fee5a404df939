import { describe, expect, it } from 'vitest';
import { PacketNumberSpace, MAX_RECEIVED_RANGES } from '../../../proxy/quic/spaces.ts';
import { encodeFrame } from '../../../proxy/quic/frame.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('receiving: duplicates, ACK ranges and when to acknowledge (RFC 9000 §12.3, §13.2)', () => {
  it('drops a duplicate packet number and tracks the largest received', () => {
    const s = new PacketNumberSpace('application');
    expect(s.onPacketReceived(0, true, 10)).toBe(true);
    expect(s.onPacketReceived(0, true, 11)).toBe(false);
    expect(s.onPacketReceived(3, false, 12)).toBe(true);
    expect(s.onPacketReceived(3, true, 13)).toBe(false);
    expect(s.largestReceived).toBe(3);
    expect(s.largestReceivedTime).toBe(12);
  });

  it('builds descending ranges that merge when gaps fill, encoded as RFC 9000 §19.3 says', () => {
    const s = new PacketNumberSpace('application');
    for (const pn of [0, 2, 1, 5, 7, 6]) s.onPacketReceived(pn, false, 100);
    const ack = s.buildAck(100.8, 3)!; // 800 µs since the largest arrived, exponent 3 -> 100
    expect(ack.ranges).toEqual([{ smallest: 5, largest: 7 }, { smallest: 0, largest: 2 }]);
    expect(ack.delay).toBe(100);
    // type 0x02, Largest 7, Delay 100 (0x4064), 1 range, First Range 2, Gap 5-2-2=1, Length 2
    expect(hex(encodeFrame(ack))).toBe('0207406401020102');
    expect(s.buildAck(101)).toBeNull(); // nothing new since
  });

  it('acknowledges Initial and Handshake packets immediately (§13.2.1)', () => {
    for (const id of ['initial', 'handshake'] as const) {
      const s = new PacketNumberSpace(id);
      s.onPacketReceived(0, true, 50);
      expect(s.ackDeadline(25)).toBe(50);
    }
  });

  it('delays Application Data ACKs by max_ack_delay, but not after two ack-eliciting packets (§13.2.2)', () => {
    const s = new PacketNumberSpace('application');
    s.onPacketReceived(0, true, 50);
    expect(s.ackDeadline(25)).toBe(75);
    s.onPacketReceived(1, true, 60);
    expect(s.ackDeadline(25)).toBe(50);
    s.buildAck(60);
    expect(s.ackDeadline(25)).toBeUndefined();
  });

  it('acknowledges out-of-order ack-eliciting packets immediately (§13.2.1)', () => {
    const s = new PacketNumberSpace('application');
    s.onPacketReceived(0, true, 50);
    s.buildAck(70);
    s.onPacketReceived(2, true, 80); // 1 is missing
    expect(s.ackDeadline(25)).toBe(80);
  });

  it('never schedules an ACK for non-ack-eliciting packets alone, but includes them (§13.2.1)', () => {
    const s = new PacketNumberSpace('application');
    s.onPacketReceived(0, false, 50);
    expect(s.ackDeadline(25)).toBeUndefined();
    expect(s.ackPending).toBe(true);
    expect(s.buildAck(50)!.ranges).toEqual([{ smallest: 0, largest: 0 }]);
  });

  it('remembers a bounded number of ranges; forgotten packet numbers count as duplicates', () => {
    const s = new PacketNumberSpace('application');
    for (let i = 0; i <= MAX_RECEIVED_RANGES; i++) s.onPacketReceived(i * 2, false, 1);
    const ack = s.buildAck(1)!;
    expect(ack.ranges.length).toBe(MAX_RECEIVED_RANGES);
    expect(ack.ranges[MAX_RECEIVED_RANGES - 1]).toEqual({ smallest: 2, largest: 2 });
    expect(s.onPacketReceived(0, true, 2)).toBe(false);
    expect(s.onPacketReceived(1, true, 2)).toBe(true); // above the forgotten range: new
  });
});

describe('sending: ACK frame processing (RFC 9002 §5.1, Appendix A.7)', () => {
  function sent(times: number[], ackEliciting = true): PacketNumberSpace {
    const s = new PacketNumberSpace('application');
    for (const t of times) s.recordSent({ pn: s.takePacketNumber(), timeSent: t, ackEliciting, inFlight: ackEliciting, bytes: 1200 });
    return s;
  }

  it('returns the newly acknowledged packets in order and an RTT sample from the largest', () => {
    const s = sent([1000, 1001, 1002, 1003, 1004]);
    const res = s.onAckFrame({ type: 'ack', delay: 1000, ranges: [{ smallest: 3, largest: 4 }, { smallest: 0, largest: 1 }] }, 3, 1100);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.newlyAcked.map((p) => p.pn)).toEqual([0, 1, 3, 4]);
    expect(res.rttSample).toBe(96);
    expect(res.ackDelay).toBe(8); // 1000 * 2^3 µs
    expect(s.largestAcked).toBe(4);
    expect([...s.sent.keys()]).toEqual([2]);
    expect(s.ackElicitingInFlight).toBe(1);
  });

  it('takes no RTT sample when the largest acknowledged is not newly acknowledged', () => {
    const s = sent([1000, 1001, 1002]);
    s.onAckFrame({ type: 'ack', delay: 0, ranges: [{ smallest: 2, largest: 2 }] }, 3, 1100);
    const res = s.onAckFrame({ type: 'ack', delay: 0, ranges: [{ smallest: 0, largest: 2 }] }, 3, 1200);
    expect(res.ok && res.newlyAcked.map((p) => p.pn)).toEqual([0, 1]);
    expect(res.ok && res.rttSample).toBeUndefined();
  });

  it('takes no RTT sample when only non-ack-eliciting packets are newly acknowledged', () => {
    const s = sent([1000], false);
    const res = s.onAckFrame({ type: 'ack', delay: 0, ranges: [{ smallest: 0, largest: 0 }] }, 3, 1100);
    expect(res.ok && res.newlyAcked.length).toBe(1);
    expect(res.ok && res.rttSample).toBeUndefined();
  });

  it('refuses an acknowledgment of a packet never sent with PROTOCOL_VIOLATION (RFC 9000 §13.1)', () => {
    const s = sent([1000, 1001]);
    const res = s.onAckFrame({ type: 'ack', delay: 0, ranges: [{ smallest: 0, largest: 2 }] }, 3, 1100);
    expect(res).toMatchObject({ ok: false, error: { name: 'PROTOCOL_VIOLATION', code: 0x0a, frameType: 0x02 } });
    expect(res.ok ? '' : res.error.message).toMatch(/acknowledges packet 2, which was never sent \(next is 2\)/);
    expect(s.sent.size).toBe(2);
  });

  it('handles a huge acknowledged range without walking every packet number', () => {
    const s = sent([1000, 1001]);
    s.nextPn = 2 ** 40;
    const res = s.onAckFrame({ type: 'ack', delay: 0, ranges: [{ smallest: 0, largest: 2 ** 40 - 1 }] }, 3, 1100);
    expect(res.ok && res.newlyAcked.map((p) => p.pn)).toEqual([0, 1]);
  });
});
