import { describe, expect, it } from 'vitest';
import { createIdCounter, createLiveTable, Lifecycle, LIVE_TABLE_LAYOUT, readLiveTable } from '../../diag/lifecycle.ts';
import { LC_CONN_STATE, LC_STATES, LC_STREAM_STATE, LC_TIMER, LC_TIMER_OF_KEYWORD, LC_TIMERS } from '../../diag/lifecycle.types.ts';
import { clockEpochMs, tickClock } from '../../diag/ring.ts';
import { ThreadState, createThreadState, TS } from '../../diag/thread-state.ts';

describe('lifecycle log', () => {
  it('gives process-unique ids across tables sharing a counter', () => {
    const ids = createIdCounter();
    const a = new Lifecycle(createLiveTable(8, 1), ids);
    const b = new Lifecycle(createLiveTable(8, 2), ids);
    const x = a.create('conn', 0, 'a');
    const y = b.create('conn', 0, 'b');
    const z = a.create('stream', x.id, 'GET /');
    expect(new Set([x.id, y.id, z.id]).size).toBe(3);
    expect(readLiveTable(a.sab).map((o) => [o.kind, o.parentId, o.info, o.thread])).toEqual([
      ['conn', 0, 'a', 1],
      ['stream', x.id, 'GET /', 1],
    ]);
  });

  it('keeps the first 4 and last 12 events as a termination log, and freed objects until reuse', () => {
    const lc = new Lifecycle(createLiveTable(2, 1), createIdCounter());
    const h = lc.create('stream', 0, 'GET /x');
    lc.event(h, 'attach', 1);
    for (let i = 0; i < 30; i++) lc.event(h, 'state', i);
    lc.event(h, 'error', 400);
    lc.release(h);
    expect(readLiveTable(lc.sab)).toHaveLength(0);
    const [dead] = readLiveTable(lc.sab, true);
    expect(dead.live).toBe(false);
    expect(dead.totalEvents).toBe(34);
    expect(dead.log.map((e) => e.event).slice(0, 4)).toEqual(['create', 'attach', 'state', 'state']);
    expect(dead.log.slice(4).map((e) => [e.event, e.arg])).toEqual([
      ...Array.from({ length: 10 }, (_, i) => ['state', 20 + i]),
      ['error', 400],
      ['free', 0],
    ]);
  });

  it('counts objects it could not track when full, and ignores stale handles', () => {
    const lc = new Lifecycle(createLiveTable(1, 1), createIdCounter());
    const a = lc.create('conn', 0, 'a');
    const b = lc.create('conn', 0, 'b');
    expect(b.slot).toBe(-1);
    expect(lc.untracked()).toBe(1);
    lc.release(a);
    const c = lc.create('conn', 0, 'c');
    lc.event(a, 'close'); // stale: must not touch c
    expect(readLiveTable(lc.sab).map((o) => [o.id, o.totalEvents])).toEqual([[c.id, 1]]);
  });
});

describe('lifecycle states and timers', () => {
  it('keeps the code constants in step with the name tables readers print', () => {
    expect(Object.entries(LC_CONN_STATE).map(([n, i]) => LC_STATES.conn[i] === n)).not.toContain(false);
    expect(Object.keys(LC_CONN_STATE)).toHaveLength(LC_STATES.conn.length);
    expect(Object.entries(LC_STREAM_STATE).map(([n, i]) => LC_STATES.stream[i] === n)).not.toContain(false);
    expect(Object.keys(LC_STREAM_STATE)).toHaveLength(LC_STATES.stream.length);
    expect(Object.entries(LC_TIMER).map(([n, i]) => LC_TIMERS[i] === n)).not.toContain(false);
    expect(Object.keys(LC_TIMER)).toHaveLength(LC_TIMERS.length);
    for (const [kw, code] of Object.entries(LC_TIMER_OF_KEYWORD)) expect(`timeout ${LC_TIMERS[code]}`).toBe(kw);
  });

  it('records the state and the timer with its expiry, read back as names', () => {
    const lc = new Lifecycle(createLiveTable(4, 1), createIdCounter());
    const c = lc.create('conn', 0, '127.0.0.1:5000 -> 127.0.0.1:80 fe=web');
    const s = lc.create('stream', c.id, 'GET / HTTP/1.1');
    // Fresh objects: state none, no timer.
    expect(readLiveTable(lc.sab).map((o) => [o.state, o.timer, o.expires])).toEqual([
      ['none', 'none', 0],
      ['none', 'none', 0],
    ]);
    lc.setState(c, LC_CONN_STATE.serving);
    lc.setTimer(c, LC_TIMER['http-request'], 1234.5);
    tickClock();
    const t0 = clockEpochMs();
    lc.setPhase(s, LC_STREAM_STATE['waiting-response'], LC_TIMER.server, 30_000);
    const [co, so] = readLiveTable(lc.sab);
    expect([co.state, co.timer, co.expires]).toEqual(['serving', 'http-request', 1234.5]);
    expect([so.state, so.timer, so.expires]).toEqual(['waiting-response', 'server', t0 + 30_000]);
    // Not events: the termination logs only hold `create`.
    expect([co.totalEvents, so.totalEvents]).toEqual([1, 1]);
    // armTimer: relative to the recorder clock; undefined (timeout not configured) clears.
    lc.armTimer(c, LC_TIMER['http-keep-alive'], 500);
    expect(readLiveTable(lc.sab)[0]).toMatchObject({ timer: 'http-keep-alive', expires: t0 + 500 });
    lc.armTimer(c, LC_TIMER['http-keep-alive'], undefined);
    expect(readLiveTable(lc.sab)[0]).toMatchObject({ timer: 'none', expires: 0 });
    lc.setPhase(s, LC_STREAM_STATE['sending-body'], LC_TIMER.server, undefined);
    expect(readLiveTable(lc.sab)[1]).toMatchObject({ state: 'sending-body', timer: 'none', expires: 0 });
    lc.setTimer(s, LC_TIMER.server, 99);
    lc.clearTimer(s);
    expect(readLiveTable(lc.sab)[1]).toMatchObject({ timer: 'none', expires: 0 });
  });

  it('keeps the last state of a freed object and drops its timer; ignores stale and untracked handles', () => {
    const lc = new Lifecycle(createLiveTable(1, 1), createIdCounter());
    const s = lc.create('stream', 0, 'GET /x HTTP/1.1');
    lc.setPhase(s, LC_STREAM_STATE.connecting, LC_TIMER.connect, 1000);
    const untracked = lc.create('stream', 0, 'no slot');
    expect(untracked.slot).toBe(-1);
    lc.setPhase(untracked, LC_STREAM_STATE.queued, LC_TIMER.queue, 1000); // no slot: nothing to write
    lc.release(s);
    const [dead] = readLiveTable(lc.sab, true);
    expect([dead.live, dead.state, dead.timer, dead.expires]).toEqual([false, 'connecting', 'none', 0]);
    const n = lc.create('stream', 0, 'GET /next HTTP/1.1');
    const stale = { ...n, id: s.id }; // a handle of the freed object pointing at the reused slot
    lc.setState(stale, LC_STREAM_STATE.tunnel);
    lc.setTimer(stale, LC_TIMER.tunnel, 5);
    expect(readLiveTable(lc.sab)[0]).toMatchObject({ id: n.id, state: 'none', timer: 'none' });
  });

  it('a description filling its 80 bytes leaves the state and timer intact, and setInfo keeps them', () => {
    const lc = new Lifecycle(createLiveTable(1, 1), createIdCounter());
    const h = lc.create('stream', 0, 'x');
    lc.setPhase(h, LC_STREAM_STATE.tunnel, LC_TIMER.tunnel, 1000);
    lc.setInfo(h, 'G'.repeat(200));
    const [o] = readLiveTable(lc.sab);
    expect(o.info).toBe('G'.repeat(80));
    expect([o.state, o.timer]).toEqual(['tunnel', 'tunnel']);
  });

  it('reads tables of slot layout 0 (written before states were recorded) with the old offsets', () => {
    const sab = createLiveTable(2, 3);
    const i32 = new Int32Array(sab);
    const f64 = new Float64Array(sab);
    const u8 = new Uint8Array(sab);
    expect(i32[3]).toBe(LIVE_TABLE_LAYOUT);
    i32[3] = 0; // the header of a layout-0 table
    const b = 64 / 4; // slot 0
    i32[b] = 7; // id
    i32[b + 1] = 1; // stream
    i32[b + 2] = 6; // parent
    i32[b + 3] = 1; // live
    i32[b + 4] = 1; // one event
    const info = 'P'.repeat(86); // longer than layout 1 allows: proves the old offset and length
    i32[b + 5] = info.length;
    f64[b / 2 + 3] = 1000;
    f64[b / 2 + 4] = 1001;
    u8.set(new TextEncoder().encode(info), 64 + 40);
    f64[(64 + 128) / 8] = 1000; // log entry 0: create 6
    i32[b + 128 / 4 + 2] = 0;
    i32[b + 128 / 4 + 3] = 6;
    const [o] = readLiveTable(sab);
    expect(o).toEqual({
      id: 7,
      kind: 'stream',
      parentId: 6,
      thread: 3,
      live: true,
      created: 1000,
      lastEvent: 1001,
      info,
      totalEvents: 1,
      log: [{ time: 1000, event: 'create', arg: 6 }],
    });
    expect('state' in o || 'timer' in o || 'expires' in o).toBe(false);
  });

  it('refuses a table of a layout it does not know, saying which', () => {
    const sab = createLiveTable(1, 1);
    new Int32Array(sab)[3] = 9;
    expect(() => readLiveTable(sab)).toThrow(/slot layout 9: this build reads layouts 0 to 1/);
  });
});

describe('thread state', () => {
  it('publishes documents and counters readable through another view of the buffer', () => {
    const sab = createThreadState();
    const w = new ThreadState(sab);
    w.beat(1234);
    w.publish('fault', { kind: 'bug', message: 'x' });
    const r = new ThreadState(sab);
    expect(r.f64[TS.heartbeat]).toBe(1);
    expect(r.f64[TS.heartbeatTime]).toBe(1234);
    expect(r.read('fault')).toEqual({ kind: 'bug', message: 'x' });
    expect(r.read('checks')).toBeUndefined();
    w.clear('fault');
    expect(r.read('fault')).toBeUndefined();
  });
});
