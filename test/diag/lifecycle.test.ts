import { describe, expect, it } from 'vitest';
import { createIdCounter, createLiveTable, Lifecycle, readLiveTable } from '../../diag/lifecycle.ts';
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
