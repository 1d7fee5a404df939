/** proxy/quic/send-buffer.ts, range-set.ts and flow-control.ts. */
import { describe, expect, it } from 'vitest';
import { RecvWindow, SendCredit } from '../../../proxy/quic/flow-control.ts';
import { RangeSet } from '../../../proxy/quic/range-set.ts';
import { SendBuffer } from '../../../proxy/quic/send-buffer.ts';

const seq = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('RangeSet', () => {
  it('merges touching ranges, removes middles and lists gaps', () => {
    const r = new RangeSet();
    r.add(10, 20);
    r.add(30, 40);
    r.add(20, 30);
    expect(r.count).toBe(1);
    r.remove(15, 25);
    expect(r.first()).toEqual({ start: 10, end: 15 });
    expect(r.count).toBe(2);
    expect(r.gaps(0, 50)).toEqual([{ start: 0, end: 10 }, { start: 15, end: 25 }, { start: 40, end: 50 }]);
    expect(r.coveredFrom(10)).toBe(15);
    expect(r.coveredFrom(16)).toBe(16);
  });
});

describe('SendBuffer (RFC 9000 §2.2, §13.3)', () => {
  it('sends new data in order, then resends only the lost bytes not acknowledged since', () => {
    const b = new SendBuffer();
    b.write(seq(100));
    const c1 = b.next(40)!;
    const c2 = b.next(40)!;
    const c3 = b.next(40)!;
    expect([c1.offset, c2.offset, c3.offset, c3.data.length]).toEqual([0, 40, 80, 20]);
    expect(c1.newBytes + c2.newBytes + c3.newBytes).toBe(100);
    expect(b.next(40)).toBeNull();
    b.onAck(40, 40, false);
    b.onLost(0, 100, false); // [40, 80) was acknowledged meanwhile
    const r1 = b.next(1000)!;
    expect([r1.offset, r1.data.length, r1.newBytes]).toEqual([0, 40, 0]);
    expect([...r1.data]).toEqual([...seq(40)]);
    const r2 = b.next(1000)!;
    expect([r2.offset, r2.data.length]).toEqual([80, 20]);
    expect([...r2.data]).toEqual([...seq(20, 80)]);
    expect(b.next(1000)).toBeNull();
  });

  it('respects the flow-control limit for new data only, and carries the FIN until it is acknowledged', () => {
    const b = new SendBuffer();
    b.write(seq(50));
    b.finish();
    const c = b.next(1000, 30)!;
    expect([c.offset, c.data.length, c.fin]).toEqual([0, 30, false]);
    expect(b.blockedBy(30)).toBe(true);
    const d = b.next(1000, 100)!;
    expect([d.offset, d.data.length, d.fin]).toEqual([30, 20, true]);
    expect(b.next(1000, 100)).toBeNull();
    b.onLost(30, 20, true);
    const e = b.next(1000)!;
    expect([e.offset, e.data.length, e.fin]).toEqual([30, 20, true]);
    b.onAck(0, 30, false);
    b.onAck(30, 20, true);
    expect(b.allAcked).toBe(true);
    expect(b.buffered).toBe(0);
  });

  it('sends a lone FIN in an empty frame when the data was already sent', () => {
    const b = new SendBuffer();
    b.write(seq(10));
    b.next(100);
    b.finish();
    const f = b.next(100)!;
    expect([f.offset, f.data.length, f.fin]).toEqual([10, 0, true]);
    expect(b.next(100)).toBeNull();
  });
});

describe('flow control (RFC 9000 §4.1)', () => {
  it('SendCredit signals BLOCKED once per limit value', () => {
    const c = new SendCredit(100);
    c.consume(100);
    expect(c.available).toBe(0);
    expect(c.shouldSignalBlocked()).toBe(true);
    c.markBlockedSignalled();
    expect(c.shouldSignalBlocked()).toBe(false);
    c.onBlockedLost();
    expect(c.shouldSignalBlocked()).toBe(true);
    expect(c.raise(50)).toBe(false);
    expect(c.raise(200)).toBe(true);
    expect(c.available).toBe(100);
  });

  it('RecvWindow refuses data beyond the limit and moves it once half the window is consumed', () => {
    const w = new RecvWindow(1000);
    expect(w.receiveUpTo(1000)).toEqual({ ok: true });
    expect(w.receiveUpTo(1001)).toEqual({ ok: false, limit: 1000, wanted: 1001 });
    w.consume(400);
    expect(w.updatePending).toBe(false);
    w.consume(200);
    expect(w.updatePending).toBe(true);
    expect(w.limit).toBe(1600);
  });
});
