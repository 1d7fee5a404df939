import { describe, expect, it } from 'vitest';
import { renderShowThreads } from '../../../diag/render/threads.ts';
import type { ThreadView } from '../../../diag/views.types.ts';
import { fakeSource, obj } from './fake-source.ts';

const base: ThreadView = {
  thread: 1,
  status: 'running',
  heartbeat: 1200,
  lastBeatAgoMs: 12,
  connsCur: 3,
  connsTotal: 120,
  reqsTotal: 400,
  heapUsed: 12.34 * 1048576,
  curConn: 0x1e,
  curStream: 0x1f,
  restarts: 0,
};

describe('renderShowThreads', () => {
  it('prints a block per thread in thread order, with the object being handled and a stalled stack', () => {
    const stalled: ThreadView = {
      ...base,
      thread: 2,
      status: 'stalled',
      lastBeatAgoMs: 4200,
      curConn: 0,
      curStream: 0,
      restarts: 1,
      stack: [
        { fn: 'spin', file: '/app/proxy/loop.js', line: 10, col: 5 },
        { fn: '', file: '', line: 0, col: 0 },
      ],
    };
    const objs = [obj({ id: 0x1e, kind: 'conn', info: 'src=1.2.3.4:5' }), obj({ id: 0x1f, kind: 'stream', info: 'GET /' })];
    expect(renderShowThreads(fakeSource({ threads: [stalled, base], objects: objs }))).toBe(
      [
        'Thread 1 : status=running heartbeat=1200 last_beat=12ms ago',
        '      conns=3 conns_total=120 reqs_total=400 heap_used=12.3MB restarts=0',
        '      handling: stream 0x1f (GET /) on conn 0x1e (src=1.2.3.4:5)',
        'Thread 2 : status=stalled heartbeat=1200 last_beat=4.2s ago',
        '      conns=3 conns_total=120 reqs_total=400 heap_used=12.3MB restarts=1',
        '      handling: nothing',
        '      stack:',
        '        #0 spin (/app/proxy/loop.js:10:5)',
        '        #1 <anonymous> (<native>)',
        '',
      ].join('\n'),
    );
  });

  it('names the supervisor, a thread that never beat, and ids missing from the table', () => {
    const out = renderShowThreads(fakeSource({ threads: [{ ...base, thread: 0, lastBeatAgoMs: -1 }] }));
    expect(out).toMatch(/^Supervisor : status=running heartbeat=1200 last_beat=never\n/);
    expect(out).toContain('handling: 0x1f on 0x1e');
  });
});
