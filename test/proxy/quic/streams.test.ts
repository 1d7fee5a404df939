/**
 * proxy/quic/streams.ts: stream ids, limits and the errors RFC 9000 names for a misbehaving peer
 * (FLOW_CONTROL_ERROR §4.1, FINAL_SIZE_ERROR §4.5, STREAM_LIMIT_ERROR §4.6, STREAM_STATE_ERROR
 * §19.x), ordered delivery of out-of-order data, RESET_STREAM and STOP_SENDING.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectionEvent } from '../../../proxy/quic/connection.types.ts';
import type { Frame } from '../../../proxy/quic/frame.types.ts';
import type { FrameSink, SentRecord } from '../../../proxy/quic/sent-record.ts';
import { isBidi, streamId, streamIndex, streamInitiator } from '../../../proxy/quic/stream-id.ts';
import { StreamSet } from '../../../proxy/quic/streams.ts';
import { TRANSPORT_PARAM_DEFAULTS } from '../../../proxy/quic/transport-params.types.ts';

const LIMITS = {
  initialMaxData: 1000, initialMaxStreamDataBidiLocal: 500, initialMaxStreamDataBidiRemote: 400,
  initialMaxStreamDataUni: 300, initialMaxStreamsBidi: 2, initialMaxStreamsUni: 1,
};

function server(): { s: StreamSet; events: ConnectionEvent[] } {
  const events: ConnectionEvent[] = [];
  const s = new StreamSet('server', LIMITS, (e) => events.push(e));
  s.setPeerParams({ ...TRANSPORT_PARAM_DEFAULTS, initialMaxData: 100, initialMaxStreamDataBidiLocal: 60, initialMaxStreamDataBidiRemote: 60, initialMaxStreamsBidi: 1, initialMaxStreamsUni: 1, initialMaxStreamDataUni: 10 });
  return { s, events };
}

const data = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const stream = (id: number, offset: number, d: Uint8Array, fin = false): Extract<Frame, { type: 'stream' }> => ({ type: 'stream', streamId: id, offset, data: d, fin });

class Sink implements FrameSink {
  frames: Frame[] = [];
  records: SentRecord[] = [];
  room = 1200;
  add(f: Frame, r: SentRecord | null): boolean {
    this.frames.push(f);
    if (r) this.records.push(r);
    return true;
  }
}

describe('stream ids (RFC 9000 §2.1)', () => {
  it('encode initiator, direction and index', () => {
    expect([streamId(0, 'client', true), streamId(0, 'server', true), streamId(0, 'client', false), streamId(2, 'server', false)]).toEqual([0, 1, 2, 11]);
    expect([streamInitiator(11), isBidi(11), streamIndex(11)]).toEqual(['server', false, 2]);
  });
});

describe('StreamSet receiving', () => {
  it('delivers out-of-order data in order once the gap fills, with FIN', () => {
    const { s, events } = server();
    expect(s.onStream(stream(0, 100, data(50, 100), true))).toBeNull();
    expect(s.get(0)?.recv?.ncbuf).not.toBeNull();
    expect(s.onStream(stream(0, 0, data(100)))).toBeNull();
    const got = events.filter((e) => e.kind === 'stream-data');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ streamId: 0, fin: true });
    expect(got[0].kind === 'stream-data' && [...got[0].data]).toEqual([...data(150)]);
    expect(events[0]).toEqual({ kind: 'stream-opened', streamId: 0 });
  });

  it('opening stream 4 opens stream 0 too; beyond MAX_STREAMS is STREAM_LIMIT_ERROR', () => {
    const { s, events } = server();
    expect(s.onStream(stream(4, 0, data(1)))).toBeNull();
    expect(events.filter((e) => e.kind === 'stream-opened').map((e) => e.kind === 'stream-opened' && e.streamId)).toEqual([0, 4]);
    expect(s.onStream(stream(8, 0, data(1)))).toMatchObject({ name: 'STREAM_LIMIT_ERROR', frameType: 0x08 });
    expect(s.onStream(stream(2, 0, data(1)))).toBeNull();
    expect(s.onStream(stream(6, 0, data(1)))).toMatchObject({ name: 'STREAM_LIMIT_ERROR' });
  });

  it('refuses data beyond the stream or connection window with FLOW_CONTROL_ERROR', () => {
    const { s } = server();
    expect(s.onStream(stream(0, 0, data(401)))).toMatchObject({ name: 'FLOW_CONTROL_ERROR' });
    // Data held out of order is not consumed: it counts against the connection window (1000).
    const b = server().s;
    expect(b.onStream(stream(0, 1, data(399)))).toBeNull();
    expect(b.onStream(stream(4, 1, data(399)))).toBeNull();
    expect(b.onStream(stream(2, 1, data(202)))).toMatchObject({ name: 'FLOW_CONTROL_ERROR', message: expect.stringMatching(/connection/) });
    // Consumed data moves the window: in-order data never hits the connection limit.
    const c = server().s;
    for (const id of [0, 4]) for (let off = 0; off < 400; off += 100) expect(c.onStream(stream(id, off, data(100)))).toBeNull();
    expect(c.onStream(stream(2, 0, data(300)))).toBeNull();
    expect(c.connWindow.limit).toBeGreaterThan(1000);
  });

  it('checks the final size (FINAL_SIZE_ERROR) for STREAM and RESET_STREAM', () => {
    const { s } = server();
    expect(s.onStream(stream(0, 0, data(10), true))).toBeNull();
    expect(s.onStream(stream(0, 0, data(10), true))).toBeNull(); // a duplicate: fine
    expect(s.onStream(stream(0, 10, data(1)))).toMatchObject({ name: 'FINAL_SIZE_ERROR' });
    const t = server().s;
    expect(t.onStream(stream(0, 20, data(10), true))).toBeNull();
    expect(t.onStream(stream(0, 25, data(10)))).toMatchObject({ name: 'FINAL_SIZE_ERROR' });
    expect(t.onResetStream({ type: 'reset_stream', streamId: 0, errorCode: 1, finalSize: 29 })).toMatchObject({ name: 'FINAL_SIZE_ERROR' });
    const u = server().s;
    expect(u.onStream(stream(0, 0, data(50)))).toBeNull();
    expect(u.onStream(stream(0, 0, data(20), true))).toMatchObject({ name: 'FINAL_SIZE_ERROR' });
  });

  it('STREAM_STATE_ERROR for frames against the stream direction or on unopened streams of ours', () => {
    const { s } = server();
    expect(s.onStream(stream(1, 0, data(1)))).toMatchObject({ name: 'STREAM_STATE_ERROR' }); // our bidi 1, never opened
    const uni = s.open(false)!;
    expect(uni).toBe(3);
    expect(s.onStream(stream(3, 0, data(1)))).toMatchObject({ name: 'STREAM_STATE_ERROR' }); // our send-only stream
    expect(s.onStream(stream(2, 0, data(1)))).toBeNull();
    expect(s.onStopSending({ type: 'stop_sending', streamId: 2, errorCode: 0 })).toMatchObject({ name: 'STREAM_STATE_ERROR' });
    expect(s.onMaxStreamData({ type: 'max_stream_data', streamId: 2, maximum: 9 })).toMatchObject({ name: 'STREAM_STATE_ERROR' });
  });

  it('RESET_STREAM reports the reset, drops held data and returns the connection credit', () => {
    const { s, events } = server();
    expect(s.onStream(stream(2, 100, data(50)))).toBeNull();
    expect(s.get(2)?.recv?.ncbuf).not.toBeNull();
    expect(s.onResetStream({ type: 'reset_stream', streamId: 2, errorCode: 7, finalSize: 300 })).toBeNull();
    expect(events.at(-1)).toEqual({ kind: 'stream-reset', streamId: 2, errorCode: 7, finalSize: 300 });
    expect(s.get(2)).toBeUndefined(); // a unidirectional stream is done once its only part is
    expect(s.connWindow.consumed).toBe(300);
    expect(s.onStream(stream(2, 0, data(10)))).toBeNull(); // closed stream: ignored
    // The peer's uni stream slot is given back with MAX_STREAMS (RFC 9000 §4.6).
    const sink = new Sink();
    s.fill(sink);
    expect(sink.frames).toContainEqual({ type: 'max_streams', bidi: false, maximum: 2 });
  });
});

describe('StreamSet sending', () => {
  it('limits new data to the peer credit, signals STREAM_DATA_BLOCKED, and resumes on MAX_STREAM_DATA', () => {
    const { s } = server();
    const id = s.open(true)!;
    expect(id).toBe(1);
    expect(s.open(true)).toBeNull(); // peer allows one bidi stream
    s.write(id, data(100));
    const sink = new Sink();
    s.fill(sink);
    const sent = sink.frames.filter((f) => f.type === 'stream');
    expect(sent.reduce((n, f) => n + (f.type === 'stream' ? f.data.length : 0), 0)).toBe(60);
    expect(sink.frames.map((f) => f.type)).toContain('streams_blocked');
    const sink2 = new Sink();
    s.fill(sink2);
    expect(sink2.frames.map((f) => f.type)).toEqual(['stream_data_blocked']);
    expect(s.onMaxStreamData({ type: 'max_stream_data', streamId: id, maximum: 1000 })).toBeNull();
    const sink3 = new Sink();
    s.fill(sink3);
    expect(sink3.frames).toHaveLength(1);
    expect(sink3.frames[0]).toMatchObject({ type: 'stream', offset: 60 });
    // Connection credit (100) now limits: 40 more bytes went out.
    expect(s.connCredit.used).toBe(100);
  });

  it('a lost STREAM frame is resent, an acknowledged one is not; Data Recvd after FIN is acknowledged', () => {
    const { s, events } = server();
    s.onMaxData(10_000);
    const id = s.open(true)!;
    s.onMaxStreamData({ type: 'max_stream_data', streamId: id, maximum: 10_000 });
    s.write(id, data(30));
    s.finish(id);
    const sink = new Sink();
    s.fill(sink);
    const rec = sink.records.find((r) => r.k === 'stream')!;
    s.onLost(rec);
    const again = new Sink();
    s.fill(again);
    expect(again.frames[0]).toMatchObject({ type: 'stream', offset: 0, fin: true });
    s.onAcked(again.records[0]);
    expect(events.at(-1)).toEqual({ kind: 'stream-sent', streamId: id, reset: false });
  });

  it('STOP_SENDING is reported and answered with RESET_STREAM; its loss queues it again', () => {
    const { s, events } = server();
    s.onStream(stream(0, 0, data(5)));
    s.write(0, data(20));
    expect(s.onStopSending({ type: 'stop_sending', streamId: 0, errorCode: 9 })).toBeNull();
    expect(events.at(-1)).toEqual({ kind: 'stop-sending', streamId: 0, errorCode: 9 });
    const sink = new Sink();
    s.fill(sink);
    const reset = sink.frames.find((f) => f.type === 'reset_stream');
    expect(reset).toEqual({ type: 'reset_stream', streamId: 0, errorCode: 9, finalSize: 0 });
    s.onLost(sink.records.find((r) => r.k === 'reset')!);
    const again = new Sink();
    s.fill(again);
    expect(again.frames.some((f) => f.type === 'reset_stream')).toBe(true);
    expect(s.write(0, data(1))).toBe(false);
  });
});

describe('StreamSet receive backpressure (pauseRecv / resumeRecv, RFC 9000 §4.1-4.2)', () => {
  const events = (evs: ConnectionEvent[]) => evs.filter((e) => e.kind === 'stream-data');
  /** The peer opens stream `id` (an empty STREAM frame), so that it can be paused before its data. */
  const open = (s: StreamSet, id: number) => expect(s.onStream(stream(id, 0, data(0)))).toBeNull();

  it('holds data while paused without returning credit, then delivers it at once with FIN and returns the credit', () => {
    const { s, events: evs } = server();
    expect(s.onStream(stream(0, 0, data(100)))).toBeNull();
    expect(s.pauseRecv(0)).toBe(true);
    expect(s.pauseRecv(0)).toBe(false); // already paused
    expect(s.recvPaused(0)).toBe(true);
    // Out of order, then the gap: nothing is delivered, the stream window does not move.
    expect(s.onStream(stream(0, 250, data(150, 250), true))).toBeNull();
    expect(s.onStream(stream(0, 100, data(150, 100)))).toBeNull();
    expect(events(evs)).toHaveLength(1);
    const r = s.get(0)!.recv!;
    expect([r.delivered, r.held, r.window.consumed, r.window.limit, r.state]).toEqual([100, 300, 100, 400, 'size-known']);
    const sink = new Sink();
    s.fill(sink);
    expect(sink.frames.filter((f) => f.type === 'max_stream_data' || f.type === 'max_data')).toEqual([]);
    // The peer cannot go beyond what was advertised: the held data is bounded by the stream window.
    expect(s.onStream(stream(0, 400, data(1)))).toMatchObject({ name: 'FINAL_SIZE_ERROR' });
    expect(s.resumeRecv(0)).toBe(true);
    expect(s.resumeRecv(0)).toBe(false);
    const got = events(evs);
    expect(got).toHaveLength(2);
    expect(got[1]).toMatchObject({ streamId: 0, fin: true });
    expect(got[1].kind === 'stream-data' && [...got[1].data]).toEqual([...data(300, 100)]);
    expect(r.ncbuf).toBeNull();
    expect(s.pausedBytes).toEqual({ held: 0, lent: 0 });
    expect(s.connWindow.consumed).toBe(400);
  });

  it('a paused stream returns MAX_STREAM_DATA only once resumed and consumed', () => {
    const { s, events: evs } = server();
    open(s, 0);
    s.pauseRecv(0);
    expect(s.onStream(stream(0, 0, data(400)))).toBeNull();
    expect(s.onStream(stream(0, 400, data(1)))).toMatchObject({ name: 'FLOW_CONTROL_ERROR' });
    expect(events(evs)).toEqual([]);
    expect(s.hasPending()).toBe(false); // no credit goes back while the application does not read
    const before = new Sink();
    s.fill(before);
    expect(before.frames.some((f) => f.type === 'max_stream_data')).toBe(false);
    s.resumeRecv(0);
    const after = new Sink();
    s.fill(after);
    expect(after.frames).toContainEqual({ type: 'max_stream_data', streamId: 0, maximum: 800 });
    expect(s.onStream(stream(0, 400, data(400, 400)))).toBeNull();
    expect(events(evs).map((e) => e.kind === 'stream-data' && e.data.length)).toEqual([400, 400]);
  });

  it('paused streams keep at most a quarter of the connection window: the others still get credit', () => {
    const { s, events: evs } = server();
    // Connection window 1000, stream windows 400: two paused streams hold 800 bytes.
    open(s, 4);
    expect([s.pauseRecv(0), s.pauseRecv(4)]).toEqual([true, true]);
    expect(s.onStream(stream(0, 0, data(400)))).toBeNull();
    expect(s.onStream(stream(4, 0, data(400)))).toBeNull();
    expect(s.pausedBytes).toEqual({ held: 800, lent: 800 - 250 });
    // Without the share the connection would be at 800 of 1000 with nothing consumed: 300 more on
    // stream 2 would be a FLOW_CONTROL_ERROR, i.e. a peer blocked until a paused stream resumes.
    expect(s.connWindow.consumed).toBe(550);
    expect(s.onStream(stream(2, 0, data(300)))).toBeNull();
    expect(events(evs).map((e) => e.kind === 'stream-data' && [e.streamId, e.data.length])).toEqual([[2, 300]]);
    const sink = new Sink();
    s.fill(sink);
    // The credit lent beyond the share moved the connection window as if consumed (550 + 1000).
    expect(sink.frames.find((f) => f.type === 'max_data')).toMatchObject({ maximum: 1550 });
    // Resuming gives the held bytes; the connection counts each byte once.
    s.resumeRecv(0);
    s.resumeRecv(4);
    expect(s.pausedBytes).toEqual({ held: 0, lent: 0 });
    expect(s.connWindow.consumed).toBe(1100);
    expect(events(evs).map((e) => e.kind === 'stream-data' && [e.streamId, e.data.length])).toEqual([[2, 300], [0, 400], [4, 400]]);
  });

  it('RESET_STREAM on a paused stream drops what it held and counts each byte once at connection level', () => {
    const { s, events: evs } = server();
    open(s, 0);
    expect(s.pauseRecv(0)).toBe(true);
    expect(s.onStream(stream(0, 0, data(300)))).toBeNull();
    expect(s.pausedBytes).toEqual({ held: 300, lent: 50 });
    expect(s.onResetStream({ type: 'reset_stream', streamId: 0, errorCode: 9, finalSize: 350 })).toBeNull();
    expect(s.pausedBytes).toEqual({ held: 0, lent: 0 });
    expect(s.connWindow.consumed).toBe(350);
    expect(s.get(0)?.recv?.ncbuf).toBeNull();
    s.resumeRecv(0);
    expect(events(evs)).toEqual([]);
    expect(evs.at(-1)).toMatchObject({ kind: 'stream-reset', streamId: 0, finalSize: 350 });
  });
});
