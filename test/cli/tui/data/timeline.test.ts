import { describe, expect, test } from 'vitest';
import type { LiveObject } from '../../../../diag/lifecycle.types.ts';
import type { RingRecord } from '../../../../diag/ring.types.ts';
import type { TracePointInfo } from '../../../../diag/trace.types.ts';
import { createTimeline, describeFilter, isEmptyFilter } from '../../../../cli/tui/data/timeline.ts';

const point = (id: number, source: string, level: TracePointInfo['level'], msg: string): TracePointInfo => ({ id, source, event: `ev${id}`, level, fn: `fn${id}`, file: 'proxy/x.ts', line: 10 + id, msg });
const points = new Map<number, TracePointInfo[]>([
  [1, [point(0, 'h1', 'proto', 'request {s}'), point(1, 'h1', 'error', 'bad header {0}')]],
  [2, [point(0, 'h2', 'data', 'frame {0} bytes')]],
]);
const rec = (thread: number, seq: number, time: number, point: number, connId: number, streamId: number, text?: string): RingRecord => ({ seq, time, thread, point, connId, streamId, args: [seq, 0, 0], text });

const rings = [
  { ring: 'flight', thread: 1, records: [rec(1, 0, 100, 0, 3, 4, 'GET /a'), rec(1, 1, 300, 1, 3, 4)] },
  { ring: 'flight', thread: 2, records: [rec(2, 0, 200, 0, 7, 8), rec(2, 1, 400, 0, 7, 0)] },
];
const stream: LiveObject = { id: 4, kind: 'stream', parentId: 3, thread: 1, live: true, created: 90, lastEvent: 250, info: 'GET /a', totalEvents: 2, log: [{ time: 90, event: 'create', arg: 3 }, { time: 250, event: 'request', arg: 1 }] };

describe('tui timeline', () => {
  const tl = createTimeline(rings, points, [stream]);

  test('merges every thread and the termination logs by time', () => {
    expect(tl.total).toBe(6);
    const times = Array.from({ length: tl.total }, (_, i) => tl.entry(i).time);
    expect(times).toEqual([90, 100, 200, 250, 300, 400]);
    expect(tl.decode(0)).toMatchObject({ ring: 'lifecycle', source: 'lifecycle', event: 'create', connId: 3, streamId: 4, message: 'stream 0x4 create 3' });
  });

  test('decodes a trace record with its thread\'s point registry', () => {
    expect(tl.decode(1)).toMatchObject({ source: 'h1', level: 'proto', event: 'ev0', message: 'fn0(): request GET /a', where: 'proxy/x.ts:10', thread: 1 });
    expect(tl.decode(2)).toMatchObject({ source: 'h2', message: 'fn0(): frame 0 bytes', thread: 2 });
  });

  test('filters by stream, connection, source, level and text', () => {
    const sources = (f: Parameters<typeof tl.select>[0]) => Array.from(tl.select(f), (i) => `${tl.decode(i).source}@${tl.entry(i).time}`);
    expect(sources({ stream: 4 })).toEqual(['lifecycle@90', 'h1@100', 'lifecycle@250', 'h1@300']);
    expect(sources({ conn: 7 })).toEqual(['h2@200', 'h2@400']);
    expect(sources({ source: 'h1' })).toEqual(['h1@100', 'h1@300']);
    expect(sources({ level: 'error' })).toEqual(['h1@300']);
    expect(sources({ level: 'proto', thread: 1 })).toEqual(['h1@100', 'h1@300']);
    expect(sources({ text: 'get /A' })).toEqual(['h1@100']);
    expect(tl.select({ stream: 4 })).toBe(tl.select({ stream: 4 }));
  });

  test('describes filters for the status line', () => {
    expect(isEmptyFilter({})).toBe(true);
    expect(isEmptyFilter({ text: '' })).toBe(true);
    expect(describeFilter({ conn: 31, level: 'proto', text: 'GET' })).toBe('conn=0x1f level<=proto text~"GET"');
  });
});
