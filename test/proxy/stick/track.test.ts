import { describe, expect, it } from 'vitest';
import { integerKey, parseStickKey } from '../../../proxy/stick/key.ts';
import { TrackCounters, releaseThreadTracking, trackedReferences } from '../../../proxy/stick/track.ts';
import { virtualTable } from './helpers.ts';

const LINE =
  'stick-table type ip size 16 expire 1s store conn_cnt,conn_cur,conn_rate(10s),sess_cnt,http_req_cnt,http_req_rate(10s),http_err_cnt,http_err_rate(10s),bytes_in_cnt,bytes_out_rate(1s),gpc0,gpc0_rate(10s),gpc1,gpt0';
const key = (ip: string) => parseStickKey('ip', 4, ip);

describe('TrackCounters: tracking an entry (stream_track_stkctr)', () => {
  it('starts the counters, counts the request, touches; release gives conn_cur and the reference back once', () => {
    const { t, clock } = virtualTable(LINE);
    const s = new TrackCounters();
    expect(s.track(0, t, key('10.0.0.1'), true)).toBe(true);
    const h = s.tracked(0)!.h;
    expect([t.get(h, 'conn_cur'), t.get(h, 'conn_cnt'), t.get(h, 'conn_rate'), t.get(h, 'http_req_cnt'), t.get(h, 'http_req_rate')]).toEqual([1, 1, 1, 1, 1]);
    expect(t.refs(h)).toBe(1);
    expect(trackedReferences()).toBe(1);
    clock.now += 400;
    s.httpRequest(); // a next request on the same tracked entry (the driver does it per request)
    expect(t.get(h, 'http_req_cnt')).toBe(2);
    expect(t.list()[0]!.exp).toBe(1000); // touched at the request
    expect(s.release()).toBe(1);
    expect(s.release()).toBe(0); // nothing twice
    expect(trackedReferences()).toBe(0);
    expect(t.list()[0]).toMatchObject({ use: 0 });
    expect(t.list()[0]!.data.find((d) => d.type === 'conn_cur')!.value).toBe(0);
    expect(t.verify()).toEqual([]);
  });

  it('rates against hand-computed values on a virtual clock', () => {
    const { t, clock } = virtualTable(LINE);
    const s = new TrackCounters();
    s.track(0, t, key('10.0.0.2'), true); // 1 request at t0
    s.httpRequest();
    s.httpRequest(); // 3 requests in the period starting at t0
    const h = s.tracked(0)!.h;
    expect(t.get(h, 'http_req_rate')).toBe(3);
    clock.now += 15_000; // half of the next period gone: 3 * (10000 - 5000) / 10000 = 1.5 -> 1
    expect(t.get(h, 'http_req_rate')).toBe(1);
    s.httpRequest(); // rotation: past = 3, curr = 1, remain = 5000: 1 + 3 * 5000 / 10000 = 2.5 -> 2
    expect(t.get(h, 'http_req_rate')).toBe(2);
    s.bytesOut(3000);
    expect(t.get(h, 'bytes_out_rate')).toBe(3000);
    clock.now += 1500; // bytes_out_rate(1s): 1.5 periods later, 3000 * 500 / 1000 = 1500
    expect(t.get(h, 'bytes_out_rate')).toBe(1500);
    s.bytesIn(10);
    expect(t.get(h, 'bytes_in_cnt')).toBe(10);
    s.release();
    expect(t.verify()).toEqual([]);
  });

  it('counter actions and client errors: gpc0 (+ gpc0_rate), gpc1, gpt0, http_err', () => {
    const { t } = virtualTable(LINE);
    const s = new TrackCounters();
    expect(s.incGpc(1, 0)).toBe(false); // nothing tracked in sc1
    s.track(1, t, key('10.0.0.3'), false);
    const h = s.tracked(1)!.h;
    expect(s.incGpc(1, 0)).toBe(true);
    s.incGpc(1, 0);
    s.incGpc(1, 1);
    s.setGpt0(1, 7);
    s.httpError();
    expect([t.get(h, 'gpc0'), t.get(h, 'gpc0_rate'), t.get(h, 'gpc1'), t.get(h, 'gpt0'), t.get(h, 'http_err_cnt'), t.get(h, 'http_err_rate')]).toEqual([2, 2, 1, 7, 1, 1]);
    expect(t.get(h, 'http_req_cnt')).toBe(0); // not counted: countRequest false
    s.release();
  });

  it('a stream falls back to its connection per counter, and cannot retrack a slot the connection holds', () => {
    const { t } = virtualTable(LINE);
    const conn = new TrackCounters();
    conn.track(1, t, key('10.0.0.4'), false);
    conn.session();
    const ch = conn.tracked(1)!.h;
    expect(t.get(ch, 'sess_cnt')).toBe(1);
    const stream = new TrackCounters(conn);
    expect(stream.tracked(1)).toBe(conn.tracked(1));
    expect(stream.own(1)).toBeUndefined();
    expect(stream.track(1, t, key('10.0.0.5'), true)).toBe(false);
    stream.httpRequest();
    expect(t.get(ch, 'http_req_cnt')).toBe(1);
    expect(stream.track(0, t, key('10.0.0.5'), true)).toBe(true);
    expect(stream.release()).toBe(1); // only its own
    expect(t.refs(ch)).toBe(1);
    expect(conn.release()).toBe(1);
    expect(t.refs(ch)).toBe(0);
    expect(t.verify()).toEqual([]);
  });

  it('an entry that expires while tracked is not expired, then killed exactly once by its last release', () => {
    const { t, clock } = virtualTable('stick-table type integer size 4 expire 1s store http_req_cnt');
    const a = new TrackCounters();
    const b = new TrackCounters();
    a.track(0, t, integerKey(5), true);
    b.track(0, t, integerKey(5), true);
    clock.now += 5000;
    expect(t.expire().killed).toBe(0); // referenced twice
    expect(a.release()).toBe(1);
    expect(t.current).toBe(1);
    expect(b.release()).toBe(1); // the last one: expired, killed here under the table lock
    expect(t.current).toBe(0);
    expect(t.stats().kills).toBe(1);
    expect(a.release() + b.release()).toBe(0);
    expect(t.expire().killed).toBe(0);
    expect(t.verify()).toEqual([]);
  });

  it('a full table with nopurge refuses tracking without taking a reference', () => {
    const { t } = virtualTable('stick-table type integer size 1 nopurge store conn_cur');
    const a = new TrackCounters();
    const b = new TrackCounters();
    expect(a.track(0, t, integerKey(1), true)).toBe(true);
    expect(b.track(0, t, integerKey(2), true)).toBe(false);
    expect(b.count).toBe(0);
    a.release();
  });

  it('releaseThreadTracking drops what a thread going away still holds, without touching counters', () => {
    const { t } = virtualTable(LINE);
    const a = new TrackCounters();
    a.track(0, t, key('10.0.0.6'), true);
    a.track(2, t, key('10.0.0.7'), true);
    const h = a.tracked(0)!.h;
    expect(releaseThreadTracking()).toBe(2);
    expect(t.refs(h)).toBe(0);
    expect(t.get(h, 'conn_cur')).toBe(1); // a dying thread updates nothing but the references
    expect(a.release()).toBe(0);
    expect(t.releaseQuiet(h)).toBe(false); // no reference left: refused, no BUG_ON
    expect(t.verify()).toEqual([]);
  });
});
