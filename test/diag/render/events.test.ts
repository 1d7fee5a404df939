import { describe, expect, it } from 'vitest';
import { TraceControl } from '../../../diag/trace-control.ts';
import { RenderError } from '../../../diag/views.ts';
import { listSinks, parseShowEventsArgs, renderShowEvents, renderShowTrace } from '../../../diag/render/events.ts';
import type { RecorderSource } from '../../../diag/views.types.ts';
import type { RingRecord } from '../../../diag/ring.types.ts';
import type { TracePointInfo } from '../../../diag/trace.types.ts';

const EV = [
  { name: 'rcv', desc: 'received' },
  { name: 'snd', desc: 'sent' },
  { name: 'err', desc: 'error' },
];

/** A trace control in several states: running, waiting for a start event, stopped, with drops. */
function control(): TraceControl {
  const ctl = new TraceControl();
  ctl.setSinks(['none', 'flight', 'buf0', 'stderr']);
  const a = ctl.declareSource('alpha', 'first source', EV, { state: 'running', level: 'state', sink: 'flight' });
  ctl.declareSource('beta', 'second source', EV, { state: 'stopped', level: 'user', sink: 'buf0' });
  ctl.declareSource('a-long-source-name', 'third', EV, { state: 'running', level: 'developer', sink: 'stderr' });
  ctl.command(['beta', 'start', 'rcv']);
  ctl.command(['beta', 'stop', 'err']);
  ctl.command(['alpha', 'event', '-snd']);
  ctl.command(['alpha', 'verbosity', 'quiet']);
  ctl.command(['alpha', 'lock', 'thread']);
  ctl.countDrop(a);
  ctl.countDrop(a);
  return ctl;
}

describe('renderShowTrace', () => {
  it('prints HAProxy\'s show trace format from the live status, dropped counts included', () => {
    const ctl = control();
    const st = ctl.status();
    expect(st[0].dropped).toBe(2);
    const list = renderShowTrace(st, []);
    expect(list.split('\n')[0]).toBe('Supported trace sources and states (.=stopped, w=waiting, R=running) :');
    expect(list).toMatch(/^ \[[.wR]\] alpha {6}-> \S+ \[drp 2\]  \[.*\]$/m);
    const one = renderShowTrace(st, ['alpha']);
    expect(one).toMatch(/^Trace status for alpha:\n {2}- sink: \S+ \[2 dropped\]\n/);
    expect(one).toContain('  - event name   :     report    start    stop    pause\n');
    expect(() => renderShowTrace(st, ['nope'])).toThrow(new RenderError('No such trace source'));
  });

  it('survives a JSON round trip of the status (as in a snapshot)', () => {
    const ctl = control();
    const st = JSON.parse(JSON.stringify(ctl.status()));
    for (const args of [[], ['alpha'], ['beta']]) expect(renderShowTrace(st, args)).toBe(renderShowTrace(ctl.status(), args));
  });
});

const POINTS: TracePointInfo[] = [
  { id: 0, source: 'alpha', event: 'rcv', level: 'proto', fn: 'alpha_rcv', file: 'proxy/a.ts', line: 3, msg: 'got {0}' },
];
const rec = (thread: number, seq: number, time: number): RingRecord => ({
  seq,
  time,
  thread,
  point: 0,
  connId: 1,
  streamId: 0,
  args: [seq, 0, 0],
  text: undefined,
});

function source(kind: 'live' | 'snapshot'): RecorderSource {
  const ctl = control();
  return {
    kind,
    now: () => 0,
    info: () => {
      throw new Error('unused');
    },
    threads: () => [],
    pools: () => [],
    objects: () => [],
    ringNames: () => ['flight', 'buf0'],
    events: (ring) =>
      ring === 'flight'
        ? { records: [rec(1, 0, 1000), rec(2, 0, 1000.5), rec(1, 1, 1001)], points: new Map([[1, POINTS], [2, POINTS]]) }
        : { records: [], points: new Map() },
    traceStatus: () => ctl.status(),
  };
}

describe('renderShowEvents', () => {
  it('lists the sinks as HAProxy does, with drops counted per sink', () => {
    expect(renderShowEvents(source('live'))).toBe(
      'Supported events sinks are listed below. Add -w(wait), -n(new). Any key to stop\n' +
        '    flight     : type=buffer, 2 dropped, the flight recorder (per-thread rings, kept in snapshots)\n' +
        '    buf0       : type=buffer, 0 dropped, in-memory ring buffer (per thread)\n' +
        '    stderr     : type=fd, 0 dropped, standard error (fd#2)\n',
    );
  });

  it('prints the ring oldest first, one trace line per record, all threads merged', () => {
    const out = renderShowEvents(source('live'), ['flight']).split('\n');
    expect(out).toEqual([
      '1970-01-01T00:00:01.000000+00:00 [01|alpha|proto|proxy/a.ts:3] alpha_rcv(): got 0 c=1 s=0',
      '1970-01-01T00:00:01.000500+00:00 [02|alpha|proto|proxy/a.ts:3] alpha_rcv(): got 0 c=1 s=0',
      '1970-01-01T00:00:01.001000+00:00 [01|alpha|proto|proxy/a.ts:3] alpha_rcv(): got 1 c=1 s=0',
      '',
    ]);
    expect(renderShowEvents(source('live'), ['buf0'])).toBe('');
  });

  it("answers an unknown ring with HAProxy's 'No such event sink' and the list", () => {
    const src = source('snapshot');
    expect(() => renderShowEvents(src, ['nope'])).toThrow(new RenderError(`No such event sink\n${listSinks(src)}`));
    expect(renderShowEvents(src, ['stderr'])).toBe('Nothing to report for this sink\n');
  });

  it('parses -w, -n, -nw and rejects other options', () => {
    expect(parseShowEventsArgs(['flight', '-w'])).toEqual({ ring: 'flight', wait: true, onlyNew: false });
    expect(parseShowEventsArgs(['flight', '-nw'])).toEqual({ ring: 'flight', wait: true, onlyNew: true });
    expect(() => parseShowEventsArgs(['flight', '-0'])).toThrow('unknown option');
    expect(renderShowEvents(source('snapshot'), ['flight', '-n'])).toContain('never changes');
    expect(renderShowEvents(source('live'), ['flight', '-n'])).toBe('');
  });
});
