import { afterEach, describe, expect, it } from 'vitest';
import { TraceControl } from '../../diag/trace-control.ts';
import { attachTrace, declareTraceSource, detachTrace, tracePoints } from '../../diag/trace.ts';
import { createRingMemory, readRing, RingWriter } from '../../diag/ring.ts';
import { formatTraceLine } from '../../diag/render/trace-line.ts';
import { renderShowTrace } from '../../diag/render/events.ts';

const EVENTS = [
  { name: 'rcv', desc: 'received something' },
  { name: 'snd', desc: 'sent something' },
  { name: 'err', desc: 'an error' },
] as const;
const SRC = declareTraceSource('ttest', 'trace unit test source', EVENTS);
const TP_RCV = SRC.point('rcv', 'proto', 'ttest_rcv', 'got {0} bytes: {s}');
const TP_SND_DATA = SRC.point('snd', 'data', 'ttest_snd', 'sent {0}');
const TP_ERR = SRC.point('err', 'error', 'ttest_err', 'failed with {0}');

function setup() {
  const ctl = new TraceControl();
  ctl.setSinks(['none', 'flight', 'buf0', 'stderr']);
  const flight = createRingMemory(64 * 1024, 1);
  const buf0 = createRingMemory(64 * 1024, 1);
  const lines: string[] = [];
  attachTrace(ctl, 1, { flight: new RingWriter(flight), buf0: new RingWriter(buf0) }, (l) => lines.push(l));
  return { ctl, flight, buf0, lines };
}

afterEach(() => detachTrace());

describe('trace points', () => {
  it('are off before attach and record by default at level state into the flight ring', () => {
    expect(TP_RCV.on).toBe(false);
    const { flight } = setup();
    expect(TP_RCV.on).toBe(true);
    expect(TP_SND_DATA.on).toBe(false); // data > state
    TP_RCV.emit(5, 6, 42, 0, 0, 'GET /');
    const [rec] = readRing(flight);
    expect(rec).toMatchObject({ connId: 5, streamId: 6, args: [42, 0, 0], text: 'GET /' });
    const line = formatTraceLine(rec, tracePoints()[rec.point]);
    expect(line).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 \[01\|ttest\|proto\|test\/diag\/trace\.test\.ts:\d+\] ttest_rcv\(\): got 42 bytes: GET \/ c=5 s=6$/,
    );
  });

  it('follows level, event mask, sink and `trace 0` changes', () => {
    const { ctl, flight, buf0 } = setup();
    expect(ctl.command(['ttest', 'level', 'data']).ok).toBe(true);
    expect(TP_SND_DATA.on).toBe(true);
    expect(ctl.command(['ttest', 'event', '-rcv']).ok).toBe(true);
    expect(TP_RCV.on).toBe(false);
    expect(ctl.command(['ttest', 'sink', 'buf0']).ok).toBe(true);
    TP_SND_DATA.emit(1, 0, 9);
    expect(readRing(buf0)).toHaveLength(1);
    expect(readRing(flight)).toHaveLength(0);
    expect(ctl.command(['0'])).toEqual({ ok: true, message: 'All traces now stopped' });
    expect(TP_SND_DATA.on).toBe(false);
  });

  it('start/stop/pause on events, as HAProxy', () => {
    const { ctl, flight } = setup();
    ctl.command(['ttest', 'stop', 'now']);
    ctl.command(['ttest', 'start', 'snd']);
    ctl.command(['ttest', 'level', 'data']);
    expect(ctl.status().find((s) => s.name === 'ttest')!.state).toBe('waiting');
    TP_RCV.emit(1, 0); // not recorded: waiting
    expect(readRing(flight)).toHaveLength(0);
    TP_SND_DATA.emit(1, 0, 1); // starts and is recorded
    expect(ctl.status().find((s) => s.name === 'ttest')!.state).toBe('running');
    TP_RCV.emit(1, 0, 2);
    ctl.command(['ttest', 'stop', 'err']);
    TP_ERR.emit(1, 0, 3); // recorded then stops
    TP_RCV.emit(1, 0, 4);
    expect(readRing(flight).map((r) => r.args[0])).toEqual([1, 2, 3]);
    expect(ctl.status().find((s) => s.name === 'ttest')!.state).toBe('stopped');
  });

  it('-d prints error-level events on stderr even when the source is stopped', () => {
    const { ctl, lines } = setup();
    ctl.command(['ttest', 'stop', 'now']);
    ctl.setDebugStderr(true);
    TP_ERR.emit(3, 4, 500);
    TP_RCV.emit(3, 4, 1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\[01\|ttest\|error\|.*\] ttest_err\(\): failed with 500 c=3 s=4$/);
  });

  it('speaks the trace grammar with HAProxy wording', () => {
    const { ctl } = setup();
    expect(ctl.command([]).message).toMatch(/^Supported trace sources and states \(\.=stopped, w=waiting, R=running\) :\n \[\.\] 0 {10}: not a source/);
    expect(ctl.command(['ttest']).message).toContain('  verbosity : list/set trace output verbosity');
    expect(ctl.command(['nope', 'level'])).toEqual({ ok: false, message: "No such trace source 'nope'" });
    expect(ctl.command(['ttest', 'level', 'loud'])).toEqual({ ok: false, message: 'No such trace level' });
    expect(ctl.command(['ttest', 'event', 'bogus'])).toEqual({ ok: false, message: 'No such trace event' });
    expect(ctl.command(['ttest', 'sink', 'nowhere'])).toEqual({ ok: false, message: 'No such sink' });
    expect(ctl.command(['ttest', 'frobnicate'])).toEqual({ ok: false, message: 'Unknown trace keyword' });
    expect(ctl.command(['ttest', 'event']).message).toContain('  + rcv          : received something');
    expect(ctl.command(['ttest', 'level']).message).toContain('  * state      : also report internal state changes');
    expect(renderShowTrace(ctl.status(), [])).toMatch(/ \[R\] ttest {6}-> flight \[drp 0\]  \[trace unit test source\]/);
    expect(renderShowTrace(ctl.status(), ['ttest'])).toContain('    rcv          :        +        -        -       -');
    expect(ctl.command(['all', 'level', 'user']).ok).toBe(true);
    expect(TP_RCV.on).toBe(false);
  });

  it('a second thread mapping the same control sees changes at once', async () => {
    const { ctl } = setup();
    const { Worker } = await import('node:worker_threads');
    const code = `
      import { workerData, parentPort } from 'node:worker_threads';
      import { TraceControl } from ${JSON.stringify(new URL('../../diag/trace-control.ts', import.meta.url).href)};
      const c = new TraceControl(workerData);
      c.command(['ttest', 'level', 'developer']);
      parentPort.postMessage(c.status().find((s) => s.name === 'ttest').level);`;
    const w = new Worker(new URL('data:text/javascript,' + encodeURIComponent(code)), { workerData: ctl.sab });
    const level = await new Promise((res) => w.once('message', res));
    await w.terminate();
    expect(level).toBe('developer');
    expect(TP_SND_DATA.on).toBe(true);
  });
});
