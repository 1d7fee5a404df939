import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECTION } from '../../../diag/snapshot/container.ts';
import { collectSnapshot, snapshotFileName, writeSnapshot } from '../../../diag/snapshot/collect.ts';
import { explainSnapshot } from '../../../diag/snapshot/explain.ts';
import { readSnapshotFile } from '../../../diag/snapshot/read.ts';
import { renderDecodeText } from '../../../diag/render/decode.ts';
import { declareTraceSource } from '../../../diag/trace.ts';
import { buildSyntheticRecorder } from '../../../fixtures/snapshots/synthetic.ts';

const SRC = declareTraceSource('bulk', 'bulk records for size-bound tests', [{ name: 'tick', desc: 'a tick' }]);
const TP_TICK = SRC.point('tick', 'proto', 'bulk_tick', 'tick {0}: {s}');

const dir = mkdtempSync(join(tmpdir(), 'flightbox-collect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const r = buildSyntheticRecorder();

describe('collectSnapshot / writeSnapshot', () => {
  it('writes one atomic file named after pid, time, reason and thread', () => {
    const time = Date.UTC(2025, 2, 21, 10, 4, 5);
    const sub = join(dir, 'named');
    const { path, bytes } = writeSnapshot(sub, r.input(time), { maxSize: 1 << 20 });
    expect(path).toMatch(/\/flightbox-4242-20250321-100405-bug-t1-[0-9a-f]{4}\.fbsnap$/);
    expect(statSync(path).size).toBe(bytes);
    expect(readdirSync(sub)).toEqual([path.split('/').pop()]); // no temporary file left behind
    expect(snapshotFileName(7, time, 'on-demand')).toMatch(/^flightbox-7-20250321-100405-on-demand-[0-9a-f]{4}\.fbsnap$/);
  });

  it('round-trips the recorder memory through the file: meta, fault, threads, rings, points, pools, live, checks, config', () => {
    const time = Date.now();
    const { path } = writeSnapshot(dir, r.input(time), { maxSize: 1 << 20 });
    const d = readSnapshotFile(path);
    expect(d.complete).toBe(true);
    expect(d.problems).toEqual([]);
    expect(d.meta).toMatchObject({ reason: 'bug', time, pid: 4242, buildId: 'dev', byteOrder: 'LE', rings: ['flight', 'buf0'] });
    expect(d.meta!.info.cumReq).toBe(8);
    expect(d.fault).toMatchObject({ kind: 'bug', thread: 1, context: { connId: r.connId, streamId: r.streamId } });
    expect(d.threads.map((t) => [t.thread, t.status, t.restarts, t.curStream])).toEqual([
      [1, 'dead', 0, r.streamId],
      [2, 'running', 1, 0],
    ]);
    expect(d.rings.map((x) => `${x.thread}/${x.ring}`)).toEqual(['1/flight', '1/buf0', '2/flight', '2/buf0']);
    const points = d.points.get(1)!;
    const t1 = d.rings[0].records.map((rec) => `${points[rec.point].source}:${points[rec.point].event}`);
    expect(t1).toContain('fixture:hdr');
    expect(t1).toContain('fixture:err');
    expect(d.pools.map((p) => p.thread)).toEqual([1, 2]);
    expect(d.pools[0].pools.find((p) => p.name === 'fixture_buf')).toMatchObject({ allocated: 3, used: 2 });
    const freed = d.live.find((o) => o.kind === 'stream' && o.thread === 2);
    expect(freed).toMatchObject({ live: false, info: 'GET /health' }); // recently freed objects are kept
    expect(d.live.find((o) => o.id === r.streamId)).toMatchObject({ live: true, parentId: r.connId, totalEvents: 22 });
    expect(d.checks[0].hits[0]).toMatchObject({ message: 'response without content-length', count: 3 });
    expect(d.config).toContain('Authorization <redacted>');
    expect(d.memory!.usage.rss).toBeGreaterThan(0);
    expect(d.traceState!.find((s) => s.name === 'fixture')).toMatchObject({ level: 'data', sink: 'flight', dropped: 0 });
  });

  it('explains the round-tripped snapshot: mapped call chain, context stream, its events, offending pool first', () => {
    const { path } = writeSnapshot(dir, r.input(Date.now()), { maxSize: 1 << 20 });
    const ex = explainSnapshot(readSnapshotFile(path));
    expect(ex.callChain.mapped).toBe(true);
    expect(ex.callChain.frames[0]).toMatchObject({ fn: 'h1_check_header', file: 'fixtures/snapshots/synthetic.ts', inApp: true, mapped: true });
    expect(ex.callChain.frames.some((f) => f.fn === 'h1_parse_headers')).toBe(true);
    expect(ex.context!.object).toMatchObject({ id: r.streamId, kind: 'stream' });
    expect(ex.context!.connection).toMatchObject({ id: r.connId, kind: 'conn' });
    expect(ex.events.shown.length).toBe(20);
    expect(ex.events.shown.every((e) => e.streamId === r.streamId || e.connId === r.connId)).toBe(true);
    expect(ex.events.shown.at(-1)).toMatchObject({ source: 'fixture', event: 'err', message: 'header too large: 9000 > 4096' });
    expect(ex.offendingPool).toBe('fixture_hdrs');
    expect(ex.pools[0].thread).toBe(1);
    expect(ex.pools[0].pools[0].name).toBe('fixture_hdrs');
    const text = renderDecodeText(ex);
    expect(text).toMatch(/^#0 h1_check_header \(fixtures\/snapshots\/synthetic\.ts:\d+:\d+\) \[app\]$/m);
    expect(text).toContain(`stream 0x${r.streamId.toString(16)} on thread 1:`);
  });

  it('respects the size bound by dropping the oldest ring records, and says so', () => {
    for (let i = 0; i < 3000; i++) TP_TICK.emit(0, 0, i, 0, 0, `payload-${(i * 2654435761) % 1000003}`);
    const sections = collectSnapshot(r.input(Date.now()));
    const full = sections.reduce((n, s) => n + s.payload.length, 0);
    const maxSize = 10_000;
    expect(full).toBeGreaterThan(maxSize);
    const { path, bytes } = writeSnapshot(dir, r.input(Date.now()), { maxSize });
    expect(bytes).toBeLessThanOrEqual(maxSize);
    const d = readSnapshotFile(path);
    expect(d.meta).toBeDefined();
    expect(d.fault).toBeDefined();
    const flight1 = d.rings.find((x) => x.thread === 1 && x.ring === 'flight')!;
    expect(flight1.trimmed).toBe(true);
    expect(d.sections.find((s) => s.label === 'thread 1, flight')).toMatchObject({ status: 'ok', trimmed: true });
    const pts = d.points.get(1)!;
    const ticks = flight1.records.filter((x) => pts[x.point].source === 'bulk').map((x) => x.args[0]);
    expect(ticks.length).toBeLessThan(256);
    expect(ticks.at(-1)).toBe(2999); // the newest records are kept
    expect(ticks[0]).toBe(3000 - ticks.length); // the oldest are gone, none in between
    expect(d.problems).toContainEqual(expect.stringMatching(/^ring thread 1, flight \(section \d+\) trimmed to \d+ of \d+ bytes/));
    expect(sections[0].type).toBe(SECTION.META);
  });
});
