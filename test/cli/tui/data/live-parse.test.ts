import { describe, expect, test } from 'vitest';
import { parseDuration, parseSessDetail, parseShowConns, parseShowEvents, parseShowInfo, parseShowPools, parseShowSess, parseShowThreads } from '../../../../cli/tui/data/live-parse.ts';
import { renderShowEvents } from '../../../../diag/render/events.ts';
import { renderShowInfo } from '../../../../diag/render/info.ts';
import { renderShowPools } from '../../../../diag/render/pools.ts';
import { renderShowConns, renderShowSess } from '../../../../diag/render/sess.ts';
import { renderShowThreads } from '../../../../diag/render/threads.ts';
import { readSnapshotFile } from '../../../../diag/snapshot/read.ts';
import { createSnapshotSource } from '../../../../diag/views.ts';
import { GOLDEN } from '../big-snapshot.ts';

// The runtime renders these answers with the same renderers over a live source; the golden
// snapshot's source gives known figures to compare the parsed values with.
const src = createSnapshotSource(readSnapshotFile(GOLDEN));
const now = src.now();

describe('parsing the runtime socket answers', () => {
  test('durations as formatMs / humanTime / timeLeft print them', () => {
    expect(parseDuration('12ms')).toBe(12);
    expect(parseDuration('3.4s')).toBe(3400);
    expect(parseDuration('3m05s')).toBe(185_000);
    expect(parseDuration('2h07m')).toBe(7_620_000);
    expect(parseDuration('-1s')).toBe(-1000);
    expect(parseDuration('soon')).toBeUndefined();
  });

  test('show info fields', () => {
    const info = parseShowInfo(renderShowInfo(src));
    expect(info.get('Name')).toBe('Flightbox');
    expect(Number(info.get('Pid'))).toBe(src.info().pid);
    expect(Number(info.get('Nbthread'))).toBe(src.info().nbthread);
  });

  test('show threads: status, heartbeat, counters and the object handled', () => {
    const parsed = parseShowThreads(renderShowThreads(src));
    const want = [...src.threads()].sort((a, b) => a.thread - b.thread);
    expect(parsed.map((t) => [t.thread, t.status, t.heartbeat, t.connsTotal, t.reqsTotal, t.restarts, t.curStream, t.curConn])).toEqual(
      want.map((t) => [t.thread, t.status, t.heartbeat, t.connsTotal, t.reqsTotal, t.restarts, t.curStream, t.curConn]),
    );
  });

  test('show pools: figures summed over threads, failures mark offenders', () => {
    const rows = parseShowPools(renderShowPools(src.pools(), []));
    const buf = rows.find((r) => r.name === 'fixture_buf')!;
    expect(buf).toMatchObject({ thread: 0, size: 1024, allocated: 3, used: 2, failures: 0, offender: false });
    expect(rows.map((r) => r.name).sort()).toEqual(['fixture_buf', 'fixture_hdrs']);
    const failing = parseShowPools('  - Pool x (64 bytes) : 4 allocated (256 bytes), 4 used (~0 by thread caches), needed_avg 3, 7 failures, 1 users, @0x100000000\n');
    expect(failing[0]).toMatchObject({ failures: 7, offender: true });
  });

  test('show sess and show conns all: ids, kinds, threads, states, parents, freed', () => {
    const sess = parseShowSess(renderShowSess(src), now);
    const live = src.objects(false).filter((o) => o.kind === 'stream');
    expect(sess.map((o) => [o.id, o.kind, o.thread, o.parentId, o.state])).toEqual(live.map((o) => [o.id, o.kind, o.thread, o.parentId, o.state]));
    const conns = parseShowConns(renderShowConns(src, ['all']), now);
    const want = src.objects(true).filter((o) => o.kind === 'conn');
    expect(conns.map((o) => [o.id, o.thread, o.live, o.info])).toEqual(want.map((o) => [o.id, o.thread, o.live, o.info]));
  });

  test('show sess <id>: the object with its whole termination log, state, timer and parent', () => {
    const all = src.objects(true);
    const stream = all.find((o) => o.kind === 'stream' && o.parentId !== 0 && o.log.length > 1)!;
    const conn = all.find((o) => o.id === stream.parentId)!;
    for (const o of [stream, conn]) {
      const d = parseSessDetail(renderShowSess(src, [`0x${o.id.toString(16)}`]), now)!;
      expect([d.id, d.kind, d.thread, d.parentId, d.live, d.info, d.totalEvents, d.state, d.timer]).toEqual([o.id, o.kind, o.thread, o.parentId, o.live, o.info, o.totalEvents, o.state, o.timer]);
      expect(d.log.map((e) => [e.event, e.arg])).toEqual(o.log.map((e) => [e.event, e.arg]));
      // Times come back to the millisecond: the creation date is printed (ms), the log as +s.mmm
      // offsets; an answer read 50 ms after it was written (poll latency) dates the object the same.
      expect(d.created).toBe(Math.floor(o.created));
      expect(parseSessDetail(renderShowSess(src, [`0x${o.id.toString(16)}`]), now + 50)!.created).toBe(d.created);
      d.log.forEach((e, i) => expect(Math.abs(e.time - d.created - (o.log[i].time - o.created))).toBeLessThanOrEqual(1));
    }
    expect(parseSessDetail("Session not found: no object 0x999 among the live and recently freed objects; 'show sess' lists the live streams\n", now)).toBeUndefined();
  });

  test('show events: records per thread with the source, level, place and message the proxy printed', () => {
    const text = renderShowEvents(src, ['flight']);
    const ev = parseShowEvents(text, 'flight');
    const total = ev.rings.reduce((n, r) => n + r.records.length, 0);
    expect(total).toBe(text.trim().split('\n').length);
    const rec = ev.rings.flatMap((r) => r.records).find((r) => r.text === 'header too large: 9000 > 4096')!;
    expect(rec).toMatchObject({ thread: 1, connId: 3, streamId: 4 });
    expect(ev.points.get(1)![rec.point]).toMatchObject({ source: 'fixture', level: 'error', fn: 'h1_check_header', msg: '{s}' });
    expect(ev.points.get(1)![rec.point].file).toMatch(/synthetic\.ts$/);
  });
});
