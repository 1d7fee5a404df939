import { describe, expect, it } from 'vitest';
import { encodeSnapshot } from '../../../diag/snapshot/container.ts';
import { collectSnapshot } from '../../../diag/snapshot/collect.ts';
import { CONTEXT_EVENTS, explainSnapshot, parseEventsFilter } from '../../../diag/snapshot/explain.ts';
import { readSnapshot } from '../../../diag/snapshot/read.ts';
import { renderDecodeText } from '../../../diag/render/decode.ts';
import { buildSyntheticRecorder } from '../../../fixtures/snapshots/synthetic.ts';

const r = buildSyntheticRecorder();
const time = Date.now();
const decoded = () => readSnapshot(encodeSnapshot(collectSnapshot(r.input(time)), { maxSize: 1 << 20 }));

describe('parseEventsFilter', () => {
  it('parses every kind of term, ids in hex or decimal, repeated kinds as alternatives', () => {
    expect(parseEventsFilter('conn=0x1e, conn=42,stream=7,source=h1,level<=proto,thread=2')).toEqual({
      conns: [0x1e, 42],
      streams: [7],
      sources: ['h1'],
      threads: [2],
      maxLevel: 'proto',
    });
  });

  it('rejects malformed terms saying what is expected', () => {
    expect(() => parseEventsFilter('connection=1')).toThrow(/invalid events filter term 'connection=1'.*conn=<id>/);
    expect(() => parseEventsFilter('level=proto')).toThrow(/invalid events filter term 'level=proto'/);
    expect(() => parseEventsFilter('level<=loud')).toThrow(/expected one of error, user, proto, state, data, developer/);
    expect(() => parseEventsFilter('stream=abc')).toThrow(/invalid stream id 'abc'/);
    expect(() => parseEventsFilter('thread=x')).toThrow(/give a thread number/);
  });
});

describe('explainSnapshot', () => {
  it('selects the last events of the fault stream and its connection by default', () => {
    const ex = explainSnapshot(decoded());
    expect(ex.events.shown).toHaveLength(CONTEXT_EVENTS);
    expect(ex.events.total).toBeGreaterThan(CONTEXT_EVENTS);
    expect(ex.events.selection).toBe(`stream=0x${r.streamId.toString(16)} or conn=0x${r.connId.toString(16)}`);
    expect(ex.events.shown.map((e) => e.time)).toEqual([...ex.events.shown.map((e) => e.time)].sort((a, b) => a - b));
    expect(ex.context!.children).toEqual([]);
    expect(ex.context!.parent!.id).toBe(r.connId);
  });

  it('applies an --events filter (all matches, no limit)', () => {
    const d = decoded();
    const proto = explainSnapshot(d, { eventsFilter: 'source=fixture,level<=proto' });
    expect(proto.events.shown.map((e) => `${e.thread}:${e.event}`)).toEqual(['2:rcv-req', '2:snd-res', '1:rcv-req', '1:err']);
    const t2 = explainSnapshot(d, { eventsFilter: 'thread=2' });
    expect(t2.events.shown.length).toBeGreaterThan(0);
    expect(t2.events.shown.every((e) => e.thread === 2)).toBe(true);
    const other = explainSnapshot(d, { eventsFilter: `conn=0x${r.otherConnId.toString(16)}` });
    expect(other.events.shown.every((e) => e.connId === r.otherConnId)).toBe(true);
    expect(other.events.shown.filter((e) => e.source === 'fixture').map((e) => e.event)).toEqual(['rcv-req', 'snd-res']);
    expect(renderDecodeText(other)).toContain(
      `== Last events (events matching conn=0x${r.otherConnId.toString(16)}: ${other.events.shown.length}) ==`,
    );
    expect(() => explainSnapshot(d, { eventsFilter: 'bogus' })).toThrow(/invalid events filter/);
  });

  it('shows the faulting thread when the fault names no object', () => {
    const d = decoded();
    d.fault = { ...d.fault!, context: { connId: 0, streamId: 0 } };
    const ex = explainSnapshot(d);
    expect(ex.context).toBeUndefined();
    expect(ex.events.selection).toBe('thread 1 (the fault names no connection or stream)');
    expect(ex.events.shown.every((e) => e.thread === 1)).toBe(true);
    expect(renderDecodeText(ex)).toContain('(the fault names no connection, stream or object)');
  });

  it('notes ids the live table no longer holds', () => {
    const d = decoded();
    d.fault = { ...d.fault!, context: { connId: 0, streamId: 0x7777 } };
    const ex = explainSnapshot(d);
    expect(ex.context!.notes).toEqual(['stream 0x7777 is not in the live-object table (its slot was reused, or the table was full)']);
  });

  it('warns when the source maps of the recorded build cannot be found, and keeps raw positions', () => {
    const d = decoded();
    d.meta = { ...d.meta!, buildId: '0123456789abcdef0123', distDir: '/nonexistent/dist' };
    const ex = explainSnapshot(d, { mapsDirs: ['/nonexistent/maps'] });
    expect(ex.callChain.mapped).toBe(false);
    expect(ex.callChain.warnings[0]).toMatch(/source maps for build 0123456789abcdef0123 not found/);
    expect(renderDecodeText(ex)).toMatch(/^warning: source maps for build 0123456789abcdef0123 not found/m);
  });

  it('without META, still maps TypeScript frames (a run from sources) and says why', () => {
    const d = decoded();
    d.meta = undefined;
    const ex = explainSnapshot(d);
    expect(ex.summary.buildId).toBe('dev');
    expect(ex.callChain.warnings[0]).toMatch(/^the META section could not be read: the frames point at TypeScript sources/);
    expect(ex.callChain.frames[0]).toMatchObject({ fn: 'h1_check_header', file: 'fixtures/snapshots/synthetic.ts', inApp: true });
  });

  it('renders the sections of the report in order', () => {
    const text = renderDecodeText(explainSnapshot(decoded()));
    const order = ['== Summary ==', '== Call chain ==', '== Context ==', '== Last events', '== Pools ==', '== Threads ==', '== Problems =='];
    const at = order.map((h) => text.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(text).toContain('Offending pool (named by the fault): fixture_hdrs');
    expect(text).toContain('none: every section decoded');
  });
});
