import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { projectRoot } from '../../../diag/paths.ts';
import { exportPerfetto } from '../../../diag/export/perfetto.ts';
import type { TraceDocument } from '../../../diag/export/export.types.ts';
import { matchKnownIssue } from '../../../diag/signatures.ts';
import { readSnapshotFile } from '../../../diag/snapshot/read.ts';
import { addObjects, snapshotDir, snapshotOf } from '../signatures.fixtures.ts';
import { validateTraceDocument } from './trace-event-format.ts';

const tmp = snapshotDir();
afterAll(() => tmp.cleanup());

describe('perfetto export (Chrome Trace Event JSON)', () => {
  const ids = addObjects();
  const d = snapshotOf(tmp.dir, 'uncaught');
  const doc = JSON.parse(JSON.stringify(exportPerfetto(d, { knownIssue: matchKnownIssue(d) }))) as TraceDocument;
  const ev = doc.traceEvents;
  const hex = (n: number) => `0x${n.toString(16)}`;

  it('is loadable JSON that follows the documented fields of the format', () => {
    expect(validateTraceDocument(doc)).toEqual([]);
    expect(doc.otherData).toMatchObject({ reason: 'uncaught', fingerprint: matchKnownIssue(d).fingerprint, knownIssue: 'uncaught-error' });
  });

  it('has one named track per worker thread, in thread order', () => {
    const names = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args!.name]);
    expect(names).toEqual([
      [1, 'worker 1'],
      [2, 'worker 2'],
    ]);
    expect(ev.find((e) => e.ph === 'M' && e.name === 'process_name')!.args!.name).toBe('flightbox 0.1.0 pid 4242');
    expect(ev.filter((e) => e.ph === 'M' && e.name === 'thread_sort_index').map((e) => e.args!.sort_index)).toEqual([1, 2]);
  });

  it('gives every connection and stream of the live table a lifetime slice, in microseconds', () => {
    const objs = d.live;
    const begins = ev.filter((e) => e.ph === 'b');
    expect(begins.map((e) => e.id).sort()).toEqual(objs.map((o) => hex(o.id)).sort());
    const origin = doc.otherData.timeOriginEpochMs as number;
    const stream2 = objs.find((o) => o.kind === 'stream' && !o.live)!; // freed: ends at its last event
    const b = begins.find((e) => e.id === hex(stream2.id))!;
    const e = ev.find((x) => x.ph === 'e' && x.id === hex(stream2.id))!;
    expect(b.ts).toBeCloseTo((stream2.created - origin) * 1000, 2);
    expect(e.ts! - b.ts!).toBeCloseTo((stream2.lastEvent - stream2.created) * 1000, 2);
    expect(b).toMatchObject({ cat: 'stream', tid: stream2.thread, args: { info: stream2.info, live: false } });
    const live = objs.find((o) => o.live && o.id === ids.connId)!; // live: ends at the snapshot time
    expect(ev.find((x) => x.ph === 'e' && x.id === hex(live.id))!.ts).toBeCloseTo(((doc.otherData.snapshotTimeEpochMs as number) - origin) * 1000, 2);
    expect(begins.find((x) => x.id === hex(ids.serverConn))!.name).toBe(`server conn ${hex(ids.serverConn)}`);
  });

  it('links stream -> its connection and server connection -> its stream with flows', () => {
    const starts = ev.filter((e) => e.ph === 's').map((e) => e.name);
    expect(starts).toContain(`conn ${hex(ids.connId)} -> stream ${hex(ids.stream)}`);
    expect(starts).toContain(`stream ${hex(ids.stream)} -> server conn ${hex(ids.serverConn)}`);
    expect(starts).toContain(`quic_conn ${hex(ids.quicConn)} -> stream ${hex(ids.quicStream)}`);
  });

  it('makes every trace record an instant on its thread, with its arguments', () => {
    const recs = d.rings.flatMap((r) => r.records);
    const inst = ev.filter((e) => e.ph === 'i' && e.s === 't');
    expect(inst.length).toBe(recs.length);
    const origin = doc.otherData.timeOriginEpochMs as number;
    const hdr = inst.find((e) => e.name === 'fixture hdr' && (e.args!.text as string) === 'x-h2')!;
    expect(hdr).toMatchObject({ cat: 'fixture', tid: 1, args: { level: 'data', message: 'header #2 (9000 bytes): x-h2', fn: 'h1_parse_headers' } });
    const rec = recs.find((r) => r.text === 'x-h2')!;
    expect(hdr.ts).toBeCloseTo((rec.time - origin) * 1000, 2);
    expect(hdr.args!.args).toEqual(rec.args);
  });

  it('marks the fault with its message, fingerprint and known issue', () => {
    const f = ev.find((e) => e.cat === 'fault')!;
    expect(f).toMatchObject({ ph: 'i', s: 'g', name: 'fault: uncaught', tid: 1, args: { message: 'Error: injected failure while answering', knownIssue: 'uncaught-error (1.00, high)' } });
    expect(f.args!.fingerprint).toMatch(/^[0-9a-f]{10}$/);
  });

  it('exports the committed golden snapshot the same way, twice identically', () => {
    const g = readSnapshotFile(join(projectRoot, 'fixtures/snapshots/v1-bug.fbsnap'));
    const a = exportPerfetto(g);
    expect(validateTraceDocument(a)).toEqual([]);
    expect(JSON.stringify(exportPerfetto(g))).toBe(JSON.stringify(a));
    expect(a.traceEvents.filter((e) => e.ph === 's')).toHaveLength(2);
  });

  it('the validator catches what the format forbids', () => {
    const broken: TraceDocument = {
      displayTimeUnit: 'ms',
      otherData: {},
      traceEvents: [
        { ph: 'M', name: 'thread_name', pid: 1, tid: 1, args: { name: 'w' } },
        { ph: 'X', name: 'a', ts: 0, dur: 10, pid: 1, tid: 1 },
        { ph: 'X', name: 'b', ts: 5, dur: 10, pid: 1, tid: 1 },
        { ph: 's', name: 'f', cat: 'flow', id: 1, ts: 50, pid: 1, tid: 1 },
        { ph: 'b', name: 'c', cat: 'conn', id: '0x1', ts: 3, pid: 1, tid: 2 },
      ],
    };
    const bad = validateTraceDocument(broken).join('\n');
    expect(bad).toMatch(/overlap without nesting/);
    expect(bad).toMatch(/flow 1 lacks/);
    expect(bad).toMatch(/never ends/);
    expect(bad).toMatch(/track without thread_name/);
  });
});
