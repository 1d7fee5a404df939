import { describe, expect, it } from 'vitest';
import { Recovery } from '../../../proxy/quic/recovery.ts';
import { RttEstimator } from '../../../proxy/quic/rtt.ts';
import { Pacer } from '../../../proxy/quic/pacer.ts';
import { initialWindow } from '../../../proxy/quic/newreno.ts';
import type { SpaceId } from '../../../proxy/quic/spaces.ts';
import type { AckRange } from '../../../proxy/quic/frame.types.ts';

const ack = (ranges: AckRange[], delay = 0) => ({ type: 'ack' as const, delay, ranges });

function send(r: Recovery, space: SpaceId, t: number, bytes = 1200, ackEliciting = true): number {
  const pn = r.nextPacketNumber(space);
  r.onPacketSent(space, pn, { ackEliciting, inFlight: true, bytes }, t);
  return pn;
}

/** A confirmed server connection with one RTT sample of 100 ms (srtt 100, rttvar 50, min 100). */
function warmed(): Recovery {
  const r = new Recovery({ isServer: true, maxAckDelay: 25 });
  r.onAddressValidated(1);
  r.confirmHandshake(1);
  send(r, 'application', 1000);
  r.onAckReceived('application', ack([{ smallest: 0, largest: 0 }]), 1100);
  return r;
}

describe('RTT estimation (RFC 9002 §5)', () => {
  it('initialises from the first sample and smooths later ones with ack_delay (§5.3)', () => {
    const r = warmed();
    expect([r.rtt.minRtt, r.rtt.smoothedRtt, r.rtt.rttvar, r.rtt.latestRtt]).toEqual([100, 100, 50, 100]);
    send(r, 'application', 1200);
    // latest 130, ack_delay 1250 * 2^3 µs = 10 ms; 130 >= 100 + 10: adjusted 120.
    r.onAckReceived('application', ack([{ smallest: 1, largest: 1 }], 1250), 1330);
    expect(r.rtt.latestRtt).toBe(130);
    expect(r.rtt.rttvar).toBe(42.5); // 3/4 * 50 + 1/4 * |100 - 120|
    expect(r.rtt.smoothedRtt).toBe(102.5); // 7/8 * 100 + 1/8 * 120
    expect(r.rtt.minRtt).toBe(100);
  });

  it('limits ack_delay to max_ack_delay only once the handshake is confirmed', () => {
    const a = new RttEstimator();
    a.update(100, 0, true, 25, 1);
    a.update(130, 40, true, 25, 2); // adjusted 130 - 25 = 105
    expect(a.smoothedRtt).toBe(100.625);
    const b = new RttEstimator();
    b.update(100, 0, false, 25, 1);
    b.update(150, 40, false, 25, 2); // adjusted 150 - 40 = 110
    expect(b.smoothedRtt).toBe(101.25);
  });

  it('does not subtract an ack_delay that would go below min_rtt, and min_rtt ignores it', () => {
    const e = new RttEstimator();
    e.update(100, 0, true, 25, 1);
    e.update(105, 10, true, 25, 2); // 105 < 100 + 10: adjusted stays 105
    expect(e.smoothedRtt).toBe(100.625);
    e.update(90, 20, true, 25, 3);
    expect(e.minRtt).toBe(90);
  });

  it('ignores the ack delay of Initial packets', () => {
    const r = new Recovery({ isServer: true });
    send(r, 'initial', 1000);
    r.onAckReceived('initial', ack([{ smallest: 0, largest: 0 }]), 1100);
    send(r, 'initial', 1200);
    r.onAckReceived('initial', ack([{ smallest: 1, largest: 1 }], 1250), 1330); // 10 ms ignored
    expect(r.rtt.smoothedRtt).toBe(103.75); // 7/8 * 100 + 1/8 * 130
  });
});

describe('loss detection (RFC 9002 §6.1) and NewReno (§7)', () => {
  it('declares one packet lost by packet threshold, halves the window and does not grow it in recovery', () => {
    const r = new Recovery({ isServer: true });
    for (let i = 0; i < 5; i++) send(r, 'handshake', 1000 + i);
    expect(r.cc.bytesInFlight).toBe(6000);
    expect(r.cc.congestionWindow).toBe(12000);
    const res = r.onAckReceived('handshake', ack([{ smallest: 1, largest: 4 }]), 1100);
    expect(res.ok && res.lost.map((p) => p.pn)).toEqual([0]);
    expect(res.ok && res.acked.map((p) => p.pn)).toEqual([1, 2, 3, 4]);
    expect(r.cc.ssthresh).toBe(6000);
    expect(r.cc.congestionWindow).toBe(6000);
    expect(r.cc.bytesInFlight).toBe(0);
    expect(r.ccState()).toBe('recovery');
    // A packet sent after the recovery started ends it; the window then grows in avoidance.
    send(r, 'handshake', 1200);
    r.onAckReceived('handshake', ack([{ smallest: 1, largest: 5 }]), 1300);
    expect(r.cc.congestionWindow).toBe(6240); // 6000 + 1200 * 1200 / 6000
    expect(r.ccState()).toBe('congestion_avoidance');
  });

  it('grows the window by the bytes acknowledged in slow start', () => {
    const r = new Recovery({ isServer: true });
    send(r, 'handshake', 1000);
    send(r, 'handshake', 1000, 800);
    r.onAckReceived('handshake', ack([{ smallest: 0, largest: 1 }]), 1050);
    expect(r.cc.congestionWindow).toBe(14000);
    expect(r.ccState()).toBe('slow_start');
  });

  it('declares a packet lost by time threshold when the timer fires (9/8 of the RTT)', () => {
    const r = new Recovery({ isServer: true });
    send(r, 'handshake', 1000);
    send(r, 'handshake', 1001);
    const res = r.onAckReceived('handshake', ack([{ smallest: 1, largest: 1 }]), 1100);
    expect(res.ok && res.lost).toEqual([]);
    // latest = srtt = 99: loss delay 111.375
    expect(r.deadline()).toBe(1111.375);
    const t = r.onTimeout(1111.375);
    expect(t.kind).toBe('lost');
    if (t.kind === 'lost') {
      expect(t.space).toBe('handshake');
      expect(t.lost.map((p) => p.pn)).toEqual([0]);
    }
    expect(r.cc.congestionWindow).toBe(6600); // 13200 after pn 1's ack, halved
  });

  it('collapses the window on persistent congestion (§7.6)', () => {
    const r = warmed(); // cwnd 13200 after the first ack (slow start)
    expect(r.cc.congestionWindow).toBe(13200);
    for (const t of [1200, 1700, 2200, 2300]) send(r, 'application', t); // pn 1..4
    const res = r.onAckReceived('application', ack([{ smallest: 4, largest: 4 }]), 2400);
    expect(res.ok && res.lost.map((p) => p.pn)).toEqual([1, 2, 3]);
    expect(res.ok && res.persistentCongestion).toBe(true);
    // period (100 + 4 * 37.5 + 25) * 3 = 825 <= 2200 - 1200; then pn 4 (sent after) grows it in slow start.
    expect(r.persistentCongestionDuration()).toBe(825);
    expect(r.cc.congestionWindow).toBe(2400 + 1200);
  });

  it('is not persistent congestion when a packet between the lost ones was acknowledged', () => {
    const r = warmed();
    for (const t of [1200, 1700, 2200, 2300]) send(r, 'application', t); // pn 1..4
    const res = r.onAckReceived('application', ack([{ smallest: 4, largest: 4 }, { smallest: 2, largest: 2 }]), 2400);
    expect(res.ok && res.lost.map((p) => p.pn)).toEqual([1, 3]);
    expect(res.ok && res.persistentCongestion).toBe(false);
    expect(r.cc.congestionWindow).toBe(6600);
  });
});

describe('probe timeout (RFC 9002 §6.2)', () => {
  it('fires at smoothed_rtt + 4 * rttvar + max_ack_delay and backs off exponentially', () => {
    const r = new Recovery({ isServer: true, maxAckDelay: 25 });
    r.onAddressValidated(1);
    r.confirmHandshake(1);
    send(r, 'application', 1000);
    expect(r.deadline()).toBe(1000 + 333 + 666 + 25);
    expect(r.onTimeout(2024)).toEqual({ kind: 'pto', space: 'application', probes: 2 });
    expect(r.ptoCount).toBe(1);
    expect(r.deadline()).toBe(1000 + 999 * 2 + 25 * 2);
    r.onTimeout(3048);
    expect(r.deadline()).toBe(1000 + 999 * 4 + 25 * 4);
    // A probe is sent and acknowledged: pto_count resets.
    send(r, 'application', 5100);
    const res = r.onAckReceived('application', ack([{ smallest: 1, largest: 1 }]), 5200);
    expect(r.ptoCount).toBe(0);
    // pn 0 (sent 1000 <= 5200 - 9/8 * 100) is lost by time threshold: one congestion event, and
    // pn 1 was sent before it, so no growth: 12000 / 2.
    expect(res.ok && res.lost.map((p) => p.pn)).toEqual([0]);
    expect(r.cc.congestionWindow).toBe(6000);
  });

  it('does not arm a PTO for Application Data before the handshake is confirmed', () => {
    const r = new Recovery({ isServer: true });
    r.onAddressValidated(1);
    send(r, 'application', 1000);
    expect(r.deadline()).toBeUndefined();
    send(r, 'handshake', 1010);
    expect(r.deadline()).toBe(1010 + 999);
    expect(r.onTimeout(2009)).toEqual({ kind: 'pto', space: 'handshake', probes: 2 });
  });

  it('a client arms an anti-deadlock timer with nothing in flight until the server validated it', () => {
    const r = new Recovery({ isServer: false });
    send(r, 'initial', 1000);
    r.onAckReceived('initial', ack([{ smallest: 0, largest: 0 }]), 1100);
    expect(r.deadline()).toBe(1100 + 100 + 200);
    expect(r.onTimeout(1400)).toEqual({ kind: 'anti-deadlock', space: 'initial' });
    r.hasHandshakeKeys = true;
    expect(r.onTimeout(2000)).toEqual({ kind: 'anti-deadlock', space: 'handshake' });
  });

  it('discarding a space removes its packets from flight and resets its timers (A.11)', () => {
    const r = new Recovery({ isServer: true });
    send(r, 'initial', 1000);
    send(r, 'initial', 1001);
    expect(r.cc.bytesInFlight).toBe(2400);
    r.discardSpace('initial', 1050);
    expect(r.cc.bytesInFlight).toBe(0);
    expect(r.deadline()).toBeUndefined();
  });
});

describe('anti-amplification (RFC 9000 §8.1) and pacing (RFC 9002 §7.7)', () => {
  it('limits an unvalidated server to three times what it received, and re-arms on receipt', () => {
    const r = new Recovery({ isServer: true });
    r.onDatagramReceived(1200, 1000);
    expect(r.sendAllowance()).toBe(3600);
    for (let i = 0; i < 3; i++) send(r, 'initial', 1001);
    expect(r.sendAllowance()).toBe(0);
    expect(r.deadline()).toBeUndefined(); // at the limit: no timer (A.8)
    r.onDatagramReceived(100, 1100);
    expect(r.deadline()).toBe(1001 + 999);
    expect(r.sendAllowance()).toBe(300);
    r.onAddressValidated(1200);
    expect(r.sendAllowance()).toBe(12000 - 3600);
  });

  it('paces at 1.25 * cwnd / srtt after a burst of ten datagrams', () => {
    expect(initialWindow(1200)).toBe(12000);
    expect(initialWindow(1500)).toBe(14720);
    expect(Pacer.rate(12000, 100)).toBe(150);
    const p = new Pacer(1200, 0);
    expect(p.delay(0, 1200, 12000, 100)).toBe(0);
    p.onSent(0, 12000, 12000, 100);
    expect(p.delay(0, 1200, 12000, 100)).toBe(8); // 1200 bytes at 150 bytes/ms
    expect(p.delay(4, 1200, 12000, 100)).toBe(4);
    expect(p.delay(8, 1200, 12000, 100)).toBe(0);
  });

  it('holds up to 2 ms of the rate when that exceeds ten datagrams, so a 1 ms timer does not cap the rate (RFC 9002 §7.7)', () => {
    // Slow path (12000 bytes / 100 ms): 2 ms of the rate is 300 bytes, the bucket stays at the initial window.
    expect(new Pacer(1200, 0).capacity(12000, 100)).toBe(12000);
    // Fast path: cwnd 240000, srtt 1 ms: 300000 bytes/ms, so the bucket holds 600000 bytes (2 ms).
    expect(Pacer.rate(240000, 1)).toBe(300000);
    const p = new Pacer(1200, 0);
    expect(p.capacity(240000, 1)).toBe(600000);
    p.onSent(0, 240000, 240000, 1);
    expect(p.available).toBe(12000 - 240000);
    // A timer that fires 1.8 ms later finds 1.8 ms of the rate, not just ten datagrams.
    expect(p.delay(1.8, 1200, 240000, 1)).toBe(0);
    expect(p.available).toBeCloseTo(12000 - 240000 + 1.8 * 300000, 6);
    // After a long idle period the burst is bounded by the capacity (2 ms of the rate).
    expect(p.delay(1000, 1200, 240000, 1)).toBe(0);
    expect(p.available).toBe(600000);
    // A packet larger than the bucket never waits forever: a full bucket lets it go.
    const q = new Pacer(1200, 0);
    expect(q.delay(0, 20000, 12000, 100)).toBe(0);
    // Throughput with a timer that fires every 1.3 ms: the sender keeps up with the rate.
    const r = new Pacer(1200, 0);
    let sent = 0;
    for (let t = 0; t <= 100; t += 1.3) {
      while (r.delay(t, 1200, 240000, 1) === 0 && sent < 1e9) {
        r.onSent(t, 1200, 240000, 1);
        sent += 1200;
      }
    }
    const elapsed = Math.floor(100 / 1.3) * 1.3;
    expect(sent / elapsed).toBeGreaterThan(0.95 * 300000);
    expect(sent / elapsed).toBeLessThan(1.05 * 300000 + 600000 / elapsed);
  });

  it('ACK-only packets are not paced and spend no pacing tokens (RFC 9002 §7.7)', () => {
    const r = new Recovery({ isServer: true, now: 1 });
    r.onAddressValidated(1);
    const before = r.pacer.available;
    r.onPacketSent('application', r.nextPacketNumber('application'), { ackEliciting: false, inFlight: false, bytes: 50 }, 1);
    expect(r.pacer.available).toBe(before);
    r.onPacketSent('application', r.nextPacketNumber('application'), { ackEliciting: true, inFlight: true, bytes: 1200 }, 1);
    expect(r.pacer.available).toBe(before - 1200);
  });
});
