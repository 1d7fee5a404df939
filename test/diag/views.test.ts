import { describe, expect, it } from 'vitest';
import { encodeSnapshot } from '../../diag/snapshot/container.ts';
import { collectSnapshot } from '../../diag/snapshot/collect.ts';
import { readSnapshot } from '../../diag/snapshot/read.ts';
import { RenderError, createEventsCursor, createLiveSource, createSnapshotSource } from '../../diag/views.ts';
import type { RecorderSource } from '../../diag/views.types.ts';
import { renderShowInfo } from '../../diag/render/info.ts';
import { renderShowThreads } from '../../diag/render/threads.ts';
import { renderShowConns, renderShowSess } from '../../diag/render/sess.ts';
import { renderShowEvents, renderShowTrace } from '../../diag/render/events.ts';
import { renderShowPools } from '../../diag/render/pools.ts';
import { declareTraceSource } from '../../diag/trace.ts';
import { buildSyntheticRecorder } from '../../fixtures/snapshots/synthetic.ts';

const SRC = declareTraceSource('vtest', 'views test source', [{ name: 'tick', desc: 'a tick' }]);
const TP_TICK = SRC.point('tick', 'proto', 'vtest_tick', 'tick {0}');

const r = buildSyntheticRecorder();

function sources(time: number): { live: RecorderSource; snap: RecorderSource } {
  const input = r.input(time);
  const live = createLiveSource({ info: () => input.info, threads: () => input.threads, proc: input.proc, now: () => time });
  const snap = createSnapshotSource(readSnapshot(encodeSnapshot(collectSnapshot(input), { maxSize: 1 << 20 })));
  return { live, snap };
}

/** Every view, as text (or the error it answers with). */
function views(src: RecorderSource): Record<string, string> {
  const run = (f: () => string) => {
    try {
      return f();
    } catch (e) {
      return `ERROR ${(e as Error).message}`;
    }
  };
  return {
    info: run(() => renderShowInfo(src)),
    threads: run(() => renderShowThreads(src)),
    sess: run(() => renderShowSess(src)),
    sessAll: run(() => renderShowSess(src, ['all'])),
    sessId: run(() => renderShowSess(src, [`0x${r.streamId.toString(16)}`])),
    sessFreed: run(() => renderShowSess(src, [String(r.otherConnId + 1)])),
    sessUnknown: run(() => renderShowSess(src, ['0x999'])),
    conns: run(() => renderShowConns(src)),
    events: run(() => renderShowEvents(src)),
    flight: run(() => renderShowEvents(src, ['flight'])),
    buf0: run(() => renderShowEvents(src, ['buf0'])),
    noRing: run(() => renderShowEvents(src, ['nope'])),
    trace: run(() => renderShowTrace(src.traceStatus())),
    traceFixture: run(() => renderShowTrace(src.traceStatus(), ['fixture'])),
    pools: run(() => renderShowPools(src.pools(), ['detailed'])),
  };
}

describe('live and snapshot sources', () => {
  it('render the same text for the same memory, for every view', () => {
    const { live, snap } = sources(Date.now());
    const a = views(live);
    const b = views(snap);
    expect(b).toEqual(a);
    // and the views are not trivially empty
    expect(a.sess).toContain(`0x${r.streamId.toString(16)}: proto=stream tid=1 GET /big HTTP/1.1`);
    expect(a.flight.split('\n').length).toBeGreaterThan(20);
    expect(a.threads).toMatch(/^Thread 2 : status=running/m);
    expect(a.sessFreed).toContain('freed');
    expect(a.noRing).toMatch(/^ERROR No such event sink\nSupported events sinks are listed below/);
  });

  it('answers with the snapshot time as "now" and with the live clock otherwise', () => {
    const t = Date.UTC(2030, 0, 1);
    const { live, snap } = sources(t);
    expect(live.now()).toBe(t);
    expect(snap.now()).toBe(t);
    expect(snap.kind).toBe('snapshot');
    expect(live.threads()[0].lastBeatAgoMs).toBe(snap.threads()[0].lastBeatAgoMs);
  });

  it('differ only where a snapshot cannot follow: show events -n', () => {
    const { live, snap } = sources(Date.now());
    expect(renderShowEvents(live, ['flight', '-n'])).toBe('');
    expect(renderShowEvents(snap, ['flight', '-n'])).toMatch(/^No new events: ring flight of a snapshot never changes/);
    expect(() => renderShowEvents(live, ['flight', '-x'])).toThrow(new RenderError('unknown option'));
  });

  it('follow a live ring with an events cursor (show events -w)', () => {
    const { live } = sources(Date.now());
    const cursor = createEventsCursor(live, 'flight');
    expect(cursor.next()).toEqual([]);
    TP_TICK.emit(0, 0, 41);
    TP_TICK.emit(0, 0, 42);
    const lines = cursor.next();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/\[01\|vtest\|proto\|test\/diag\/views\.test\.ts:\d+\] vtest_tick\(\): tick 42$/);
    expect(cursor.next()).toEqual([]);
  });

  it('an events cursor starts over on a thread whose ring was replaced (worker restart)', () => {
    const rec = (seq: number, thread = 3) => ({ seq, time: 1000 + seq, thread, point: 9, connId: 0, streamId: 0, args: [seq, 0, 0] as [number, number, number], text: undefined });
    let records = [rec(7), rec(8)];
    const src = { ...sources(Date.now()).live, events: () => ({ records, points: new Map() }) };
    const cursor = createEventsCursor(src, 'flight');
    records = [rec(7), rec(8), rec(9)];
    expect(cursor.next()).toHaveLength(1);
    records = [rec(0), rec(1)]; // the replacement worker's fresh ring
    expect(cursor.next().map((l) => l.split('args=')[1])).toEqual(['0,0,0', '1,0,0']);
  });

  it('a snapshot source answers empty for sections it lacks', () => {
    const d = readSnapshot(encodeSnapshot(collectSnapshot(r.input(Date.now())), { maxSize: 1 << 20 }));
    d.meta = undefined;
    d.threads = [];
    d.rings = [];
    const src = createSnapshotSource(d);
    expect(src.threads()).toEqual([]);
    expect(src.events('flight').records).toEqual([]);
    expect(renderShowInfo(src)).toMatch(/^Name: Flightbox\nVersion: unknown\n/);
    expect(src.ringNames()).toEqual([]);
  });
});
