/**
 * proxy/h3/server-connection.ts: a scripted HTTP/3 client (frames built with proxy/h3/frame.ts,
 * field sections with QpackStaticEncoder) against the server engine, in memory (RFC 9114 §4, §5.2,
 * §6.2). Server output is parsed back per stream and response sections decoded with QpackDecoder.
 */
import { describe, expect, it } from 'vitest';
import { FS_RESP_HEADERS_OVERFLOW, H3ServerConnection, type H3ServerOptions } from '../../../proxy/h3/server-connection.ts';
import { PanicError } from '../../../diag/invariants.ts';
import { concatBytes } from '../../../proxy/bytes.ts';
import { buildFrame, parseFrame } from '../../../proxy/h3/frame.ts';
import { H3_ERROR_CODE } from '../../../proxy/h3/h3.types.ts';
import type { H3Action, H3Event, H3Frame } from '../../../proxy/h3/h3.types.ts';
import { QpackStaticEncoder } from '../../../proxy/qpack/encoder.ts';
import { QpackDecoder } from '../../../proxy/qpack/decoder.ts';
import type { FieldLine } from '../../../proxy/qpack/qpack.types.ts';

const enc = new QpackStaticEncoder();
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const text = (s: string) => new TextEncoder().encode(s);
const headers = (fields: FieldLine[]) => buildFrame({ type: 'HEADERS', fieldSection: enc.encodeFieldSection(fields) });
const data = (s: string) => buildFrame({ type: 'DATA', payload: text(s) });
const GET: FieldLine[] = [
  { name: ':method', value: 'GET' },
  { name: ':scheme', value: 'https' },
  { name: ':authority', value: 'example.com' },
  { name: ':path', value: '/' },
];
/** Client control stream 2: type 0x00 then SETTINGS (MAX_FIELD_SECTION_SIZE = 1000). */
const CLIENT_CONTROL = bytes('00 04 03 06 43e8');

/** A server with the client's control stream already open, and its start-up actions dropped. */
function server(opts: H3ServerOptions = {}, control = CLIENT_CONTROL): H3ServerConnection {
  const s = new H3ServerConnection(opts);
  s.onStreamData(2, control, false);
  s.take();
  return s;
}

/** Sent bytes per stream, FIN and reset per stream. */
function collect(actions: H3Action[]) {
  const out = new Map<number, { bytes: Uint8Array; fin: boolean; reset?: number; stop?: number }>();
  let close: H3Action | undefined;
  for (const a of actions) {
    if (a.kind === 'close') {
      close = a;
      continue;
    }
    const e = out.get(a.streamId) ?? { bytes: new Uint8Array(0), fin: false };
    if (a.kind === 'send') {
      e.bytes = concatBytes(e.bytes, a.bytes);
      e.fin ||= a.fin;
    } else if (a.kind === 'reset-stream') e.reset = a.code;
    else e.stop = a.code;
    out.set(a.streamId, e);
  }
  return { streams: out, close };
}

function frames(b: Uint8Array): H3Frame[] {
  const list: H3Frame[] = [];
  let pos = 0;
  while (pos < b.length) {
    const r = parseFrame(b, pos);
    if (r.status !== 'ok') throw new Error(`bad server output at ${pos}: ${JSON.stringify(r)}`);
    list.push(r.frame);
    pos = r.next;
  }
  return list;
}

function decodeHeaders(f: H3Frame): FieldLine[] {
  if (f.type !== 'HEADERS') throw new Error(`expected HEADERS, got ${f.type}`);
  const r = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 }).decodeFieldSection(0, f.fieldSection);
  if (r.status !== 'decoded') throw new Error(JSON.stringify(r));
  return r.section.fields;
}

const kinds = (ev: H3Event[]) => ev.map((e) => e.kind);

describe('H3ServerConnection start-up (RFC 9114 §6.2.1, RFC 9204 §4.2)', () => {
  it('opens control (SETTINGS first), QPACK encoder and decoder streams on 3, 7, 11', () => {
    const s = new H3ServerConnection({ qpackMaxTableCapacity: 4096, qpackBlockedStreams: 16, maxFieldSectionSize: 65536 });
    const { streams } = collect(s.take().actions);
    // 00 = control; SETTINGS 04 0b: 01=4096 (5000), 06=65536 (80010000), 07=16 (10)
    expect(Buffer.from(streams.get(3)!.bytes).toString('hex')).toBe('00' + '040a' + '015000' + '0680010000' + '0710');
    expect(Buffer.from(streams.get(7)!.bytes).toString('hex')).toBe('02');
    expect(Buffer.from(streams.get(11)!.bytes).toString('hex')).toBe('03');
  });

  it('reads the peer SETTINGS, even one byte at a time', () => {
    const s = new H3ServerConnection();
    s.take();
    for (const b of CLIENT_CONTROL) s.onStreamData(2, Uint8Array.of(b), false);
    const ev = s.take().events;
    expect(ev).toEqual([{ kind: 'settings', settings: { qpackMaxTableCapacity: 0, qpackBlockedStreams: 0, maxFieldSectionSize: 1000, other: new Map() } }]);
    expect(s.peerSettings.maxFieldSectionSize).toBe(1000);
  });
});

describe('H3ServerConnection request streams (RFC 9114 §4)', () => {
  it('a request header section above our SETTINGS_MAX_FIELD_SECTION_SIZE fails that stream alone with H3_EXCESSIVE_LOAD (§4.2.2)', () => {
    const s = server({ maxFieldSectionSize: 200 });
    s.onStreamData(0, headers([...GET, { name: 'x-big', value: 'a'.repeat(300) }]), true);
    s.onStreamData(4, headers(GET), true);
    const { events, actions } = s.take();
    const { streams, close } = collect(actions);
    expect(close).toBeUndefined();
    expect(streams.get(0)?.reset).toBe(H3_ERROR_CODE.H3_EXCESSIVE_LOAD);
    expect(events.some((e) => e.kind === 'request' && e.streamId === 0)).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'request', streamId: 4 }));
  });

  it('GET: request event, then 200 with a body', () => {
    const s = server();
    s.onStreamData(0, headers(GET), true);
    const ev = s.take().events;
    expect(ev[0]).toMatchObject({ kind: 'request', streamId: 0, request: { method: 'GET', scheme: 'https', authority: 'example.com', path: '/', headers: [] } });
    expect(ev[1]).toEqual({ kind: 'end', streamId: 0 });
    expect(s.h3RespHeadersSend(0, 200, [{ name: 'Content-Type', value: 'text/plain' }, { name: 'Connection', value: 'close' }])).toMatchObject({ status: 'sent' });
    expect(s.sendData(0, text('hello'), true)).toMatchObject({ status: 'sent' });
    const st = collect(s.take().actions).streams.get(0)!;
    expect(st.fin).toBe(true);
    const fr = frames(st.bytes);
    expect(decodeHeaders(fr[0])).toEqual([{ name: ':status', value: '200' }, { name: 'content-type', value: 'text/plain' }]);
    expect(fr[1]).toEqual({ type: 'DATA', payload: text('hello') });
    expect(s.openRequests).toBe(0);
  });

  it('POST with a body split across chunks and trailers', () => {
    const s = server();
    const req = concatBytes(
      headers([...GET.map((f) => (f.name === ':method' ? { name: ':method', value: 'POST' } : f)), { name: 'content-length', value: '11' }]),
      data('hello '),
      buildFrame({ type: 'unknown', frameType: 0x21, payload: text('pad') }),
      data('world'),
      headers([{ name: 'x-checksum', value: 'abc' }]),
    );
    for (let i = 0; i < req.length; i += 5) s.onStreamData(0, req.subarray(i, i + 5), i + 5 >= req.length);
    const ev = s.take().events;
    const body = ev.filter((e) => e.kind === 'data').map((e) => Buffer.from((e as { bytes: Uint8Array }).bytes).toString()).join('');
    expect(body).toBe('hello world');
    expect(ev[0]).toMatchObject({ kind: 'request', request: { method: 'POST', contentLength: 11 } });
    expect(ev.at(-2)).toEqual({ kind: 'trailers', streamId: 0, fields: [{ name: 'x-checksum', value: 'abc' }] });
    expect(ev.at(-1)).toEqual({ kind: 'end', streamId: 0 });
    expect(s.h3RespHeadersSend(0, 201, [])).toMatchObject({ status: 'sent' });
    expect(s.h3RespTrailersSend(0, [{ name: 'x-done', value: '1' }, { name: ':status', value: '7' }])).toMatchObject({ status: 'sent' });
    const st = collect(s.take().actions).streams.get(0)!;
    const fr = frames(st.bytes);
    expect(decodeHeaders(fr[1])).toEqual([{ name: 'x-done', value: '1' }]);
    expect(st.fin).toBe(true);
  });

  it('a request body cut off mid-frame by transport backpressure resumes exactly, other requests going on meanwhile', () => {
    // While the QUIC stream is paused (QuicConnection.pauseRecv) the engine sees no more bytes of
    // it: a DATA frame header or payload stays half parsed; the resume hands the rest in one chunk.
    const post = [...GET.map((f) => (f.name === ':method' ? { name: ':method', value: 'POST' } : f)), { name: 'content-length', value: '300' }];
    const body = 'x'.repeat(200) + 'y'.repeat(100);
    const req = concatBytes(headers(post), data(body.slice(0, 200)), data(body.slice(200)));
    const firstData = headers(post).length;
    for (const cut of [firstData + 1, firstData + 2 + 50, firstData + 2 + 200 + 1]) {
      const t = server();
      t.onStreamData(0, req.subarray(0, cut), false);
      const before = t.take().events;
      // Stream 4 completes while stream 0 is paused.
      t.onStreamData(4, concatBytes(headers(GET)), true);
      const other = t.take().events;
      expect(other.map((e) => e.kind)).toEqual(['request', 'end']);
      t.onStreamData(0, req.subarray(cut), true);
      const after = t.take().events;
      const all = [...before, ...after].filter((e) => 'streamId' in e && e.streamId === 0);
      expect(all[0]).toMatchObject({ kind: 'request', request: { method: 'POST', contentLength: 300 } });
      expect(all.filter((e) => e.kind === 'data').map((e) => Buffer.from((e as { bytes: Uint8Array }).bytes).toString()).join('')).toBe(body);
      expect(all.at(-1)).toEqual({ kind: 'end', streamId: 0 });
      expect(t.error).toBeUndefined();
      expect(t.openRequests).toBe(2); // both received, neither answered yet
    }
  });

  it('1xx interim responses then the final one; every status 100-599 but 101 is accepted', () => {
    const s = server();
    s.onStreamData(0, headers(GET), true);
    s.take();
    expect(s.h3RespHeadersSend(0, 100, [])).toMatchObject({ status: 'sent' });
    expect(s.h3RespHeadersSend(0, 103, [{ name: 'link', value: '</a.css>; rel=preload' }])).toMatchObject({ status: 'sent' });
    expect(s.h3RespHeadersSend(0, 101, [])).toMatchObject({ status: 'invalid' });
    expect(s.h3RespHeadersSend(0, 299, [], true)).toMatchObject({ status: 'sent' });
    expect(s.h3RespHeadersSend(0, 200, [])).toMatchObject({ status: 'invalid' });
    const fr = frames(collect(s.take().actions).streams.get(0)!.bytes);
    expect(fr.map((f) => decodeHeaders(f)[0].value)).toEqual(['100', '103', '299']);
    for (let code = 100; code <= 599; code++) {
      const t = server();
      t.onStreamData(0, headers(GET), true);
      const r = t.h3RespHeadersSend(0, code, [], code >= 200);
      expect(r.status, `status ${code}`).toBe(code === 101 ? 'invalid' : 'sent');
    }
    expect(server().h3RespHeadersSend(0, 600, [])).toMatchObject({ status: 'invalid' });
  });

  it('seed 1: oversized response headers fail that stream only; the other completes', () => {
    const s = server({ maxResponseHeadersFrame: 4096 });
    s.onStreamData(0, headers(GET), true);
    s.onStreamData(4, headers(GET), true);
    s.onStreamData(8, headers(GET), true);
    s.take();
    // Over the peer's SETTINGS_MAX_FIELD_SECTION_SIZE (1000): H3_EXCESSIVE_LOAD.
    expect(s.h3RespHeadersSend(0, 200, [{ name: 'x-big', value: 'a'.repeat(2000) }])).toMatchObject({ status: 'failed', code: H3_ERROR_CODE.H3_EXCESSIVE_LOAD });
    // Within it (peer limit raised by a fresh server below), but over our 4096-byte buffer: H3_INTERNAL_ERROR.
    const t = server({ maxResponseHeadersFrame: 512 }, bytes('00 04 00'));
    t.onStreamData(0, headers(GET), true);
    t.take();
    const big = Array.from({ length: 20 }, (_, i) => ({ name: `x-h${i}`, value: 'v'.repeat(40) }));
    expect(t.h3RespHeadersSend(0, 200, big)).toMatchObject({ status: 'failed', code: H3_ERROR_CODE.H3_INTERNAL_ERROR });
    expect(collect(t.take().actions).streams.get(0)).toMatchObject({ reset: H3_ERROR_CODE.H3_INTERNAL_ERROR });
    expect(t.error).toBeUndefined();
    // Stream 4 of the first server goes on.
    expect(s.h3RespHeadersSend(4, 200, [])).toMatchObject({ status: 'sent' });
    expect(s.sendData(4, text('ok'), true)).toMatchObject({ status: 'sent' });
    const { streams, close } = collect(s.take().actions);
    expect(close).toBeUndefined();
    expect(streams.get(0)).toMatchObject({ reset: H3_ERROR_CODE.H3_EXCESSIVE_LOAD });
    expect(streams.get(4)!.fin).toBe(true);
    expect(s.h3RespHeadersSend(0, 200, [])).toMatchObject({ status: 'invalid' });
    expect(s.openRequests).toBe(1); // stream 8 still waits for its response
  });

  it('seed 1 fault site armed: headers that do not fit are a BUG_ON in h3RespHeadersSend; trailers and fitting headers are untouched', () => {
    const t = server({ maxResponseHeadersFrame: 512 }, bytes('00 04 00'));
    for (const id of [0, 4, 8]) t.onStreamData(id, headers(GET), true);
    t.take();
    const big = Array.from({ length: 20 }, (_, i) => ({ name: `x-h${i}`, value: 'v'.repeat(40) }));
    FS_RESP_HEADERS_OVERFLOW.arm(1);
    try {
      expect(t.h3RespHeadersSend(0, 200, [])).toMatchObject({ status: 'sent' }); // fits: the site does not fire
      expect(t.h3RespTrailersSend(0, big)).toMatchObject({ status: 'failed', code: H3_ERROR_CODE.H3_INTERNAL_ERROR }); // trailers: not the seed's path
      expect(FS_RESP_HEADERS_OVERFLOW.armed).toBe(true);
      let err: unknown;
      try {
        t.h3RespHeadersSend(4, 299, big);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PanicError);
      const f = (err as PanicError).fault;
      expect(f.kind).toBe('bug');
      expect(f.message).toMatch(/^BUG_ON: h3_resp_headers_send: encoded HEADERS frame of \d+ bytes does not fit the 512-byte buffer \(response 299 on stream 4\)$/);
      expect(f.frames[0].fn).toMatch(/h3RespHeadersSend$/);
      expect(f.context.details).toMatchObject({ h3Stream: 4, status: 299, bufferBytes: 512 });
      // Disarmed after one hit: the next one fails its stream alone.
      expect(t.h3RespHeadersSend(8, 200, big)).toMatchObject({ status: 'failed', code: H3_ERROR_CODE.H3_INTERNAL_ERROR });
    } finally {
      FS_RESP_HEADERS_OVERFLOW.disarm();
    }
  });

  it('malformed requests are H3_MESSAGE_ERROR on that stream only (§4.1.2, §4.2, §4.3.1)', () => {
    const bad: FieldLine[][] = [
      GET.filter((f) => f.name !== ':method'),
      GET.filter((f) => f.name !== ':path'),
      GET.filter((f) => f.name !== ':authority'),
      [...GET, { name: 'Accept', value: '*/*' }],
      [...GET, { name: 'connection', value: 'keep-alive' }],
      [...GET, { name: 'transfer-encoding', value: 'chunked' }],
      [...GET, { name: 'te', value: 'gzip' }],
      [{ name: 'x', value: '1' }, ...GET],
      [...GET, { name: ':status', value: '200' }],
      [...GET, { name: ':path', value: '/2' }],
      [...GET, { name: 'host', value: 'other.example' }],
      [{ name: ':method', value: 'CONNECT' }, { name: ':authority', value: 'a:443' }, { name: ':path', value: '/' }],
    ];
    for (const fields of bad) {
      const s = server();
      s.onStreamData(0, headers(fields), true);
      const { actions, events } = s.take();
      expect(events, JSON.stringify(fields)).toMatchObject([{ kind: 'stream-error', streamId: 0, code: H3_ERROR_CODE.H3_MESSAGE_ERROR }]);
      expect(collect(actions).streams.get(0)).toMatchObject({ reset: H3_ERROR_CODE.H3_MESSAGE_ERROR });
      expect(s.error).toBeUndefined();
    }
    const ok = server();
    ok.onStreamData(0, headers([{ name: ':method', value: 'CONNECT' }, { name: ':authority', value: 'a:443' }]), false);
    expect(kinds(ok.take().events)).toEqual(['request']);
  });

  it('content-length mismatches and a stream without HEADERS are stream errors (§4.1.2)', () => {
    const post = [...GET, { name: 'content-length', value: '3' }];
    const s = server();
    s.onStreamData(0, concatBytes(headers(post), data('abcd')), false);
    expect(s.take().events.at(-1)).toMatchObject({ kind: 'stream-error', code: H3_ERROR_CODE.H3_MESSAGE_ERROR });
    s.onStreamData(4, concatBytes(headers(post), data('ab')), true);
    expect(s.take().events.at(-1)).toMatchObject({ kind: 'stream-error', streamId: 4, code: H3_ERROR_CODE.H3_MESSAGE_ERROR });
    s.onStreamData(8, new Uint8Array(0), true);
    expect(s.take().events).toMatchObject([{ kind: 'stream-error', streamId: 8, code: H3_ERROR_CODE.H3_REQUEST_INCOMPLETE }]);
    expect(s.error).toBeUndefined();
  });

  it('frames out of order on a request stream are connection errors H3_FRAME_UNEXPECTED', () => {
    const cases: Uint8Array[] = [
      data('x'),
      concatBytes(headers(GET), buildFrame({ type: 'SETTINGS', settings: { qpackMaxTableCapacity: 0, qpackBlockedStreams: 0, maxFieldSectionSize: Infinity, other: new Map() } })),
      concatBytes(headers(GET), buildFrame({ type: 'GOAWAY', id: 0 })),
      concatBytes(headers(GET), buildFrame({ type: 'PUSH_PROMISE', pushId: 0, fieldSection: bytes('0000') })),
      concatBytes(headers(GET), headers([{ name: 'x', value: '1' }]), data('late')),
      concatBytes(headers(GET), bytes('02 00')), // HTTP/2 PRIORITY
    ];
    for (const c of cases) {
      const s = server();
      s.onStreamData(0, c, false);
      const { actions, events } = s.take();
      expect(events.at(-1)).toMatchObject({ kind: 'connection-error', error: { code: 'H3_FRAME_UNEXPECTED', where: 'request stream 0' } });
      expect(collect(actions).close).toMatchObject({ kind: 'close', code: H3_ERROR_CODE.H3_FRAME_UNEXPECTED });
    }
    const t = server();
    t.onStreamData(0, concatBytes(headers(GET), bytes('00 05 61')), true);
    expect(t.error).toMatchObject({ code: 'H3_FRAME_ERROR' });
  });

  it('a HEADERS section blocked on QPACK inserts waits, then the request and its body come out in order', () => {
    const s = new H3ServerConnection({ qpackMaxTableCapacity: 256, qpackBlockedStreams: 4 });
    s.onStreamData(2, CLIENT_CONTROL, false);
    s.take();
    // RFC 9204 B.2 encoder stream: Set Dynamic Table Capacity 220, Insert With Name Reference :authority www.example.com,
    // Insert :path /sample/path. Section `0381 10 11` references both (RIC 2, Base 0, post-base 0 and 1).
    const section = bytes('0381 10 11');
    const req = concatBytes(buildFrame({ type: 'HEADERS', fieldSection: concatBytes(section, enc.encodeFieldSection([{ name: ':method', value: 'GET' }, { name: ':scheme', value: 'https' }]).subarray(2)) }), data('body'));
    s.onStreamData(0, req, true);
    expect(s.take().events).toEqual([]);
    s.onStreamData(6, concatBytes(bytes('02'), bytes('3fbd01 c00f7777772e6578616d706c652e636f6d c10c2f73616d706c652f70617468')), false);
    const { actions, events } = s.take();
    expect(events[0]).toMatchObject({ kind: 'request', request: { method: 'GET', authority: 'www.example.com', path: '/sample/path' } });
    expect(kinds(events)).toEqual(['request', 'data', 'end']);
    // Section Acknowledgment for stream 0 (0x80) and no Insert Count Increment needed, on our decoder stream 11.
    expect(Buffer.from(collect(actions).streams.get(11)!.bytes).toString('hex')).toBe('80');
  });
});

describe('H3ServerConnection unidirectional streams (RFC 9114 §6.2)', () => {
  const connErr = (setup: (s: H3ServerConnection) => void, code: string) => {
    const s = new H3ServerConnection();
    s.take();
    setup(s);
    expect(s.error?.code).toBe(code);
    expect(collect(s.take().actions).close).toMatchObject({ kind: 'close' });
  };

  it('control stream errors', () => {
    connErr((s) => s.onStreamData(2, bytes('00 07 01 00'), false), 'H3_MISSING_SETTINGS');
    connErr((s) => s.onStreamData(2, concatBytes(CLIENT_CONTROL, bytes('04 00')), false), 'H3_FRAME_UNEXPECTED');
    connErr((s) => s.onStreamData(2, concatBytes(CLIENT_CONTROL, bytes('00 00')), false), 'H3_FRAME_UNEXPECTED');
    connErr((s) => s.onStreamData(2, concatBytes(CLIENT_CONTROL, bytes('01 00')), false), 'H3_FRAME_UNEXPECTED');
    connErr((s) => s.onStreamData(2, concatBytes(CLIENT_CONTROL, bytes('03 01 00')), false), 'H3_ID_ERROR');
    connErr((s) => s.onStreamData(2, concatBytes(CLIENT_CONTROL, bytes('07 01 04 07 01 08')), false), 'H3_ID_ERROR');
    connErr((s) => s.onStreamData(2, bytes('00 04 02 00 01'), false), 'H3_SETTINGS_ERROR');
    connErr((s) => s.onStreamData(2, bytes('00 04 01 01'), false), 'H3_FRAME_ERROR');
    connErr((s) => s.onStreamData(2, CLIENT_CONTROL, true), 'H3_CLOSED_CRITICAL_STREAM');
    connErr((s) => {
      s.onStreamData(2, CLIENT_CONTROL, false);
      s.onResetStream(2, 0x100);
    }, 'H3_CLOSED_CRITICAL_STREAM');
    connErr((s) => {
      s.onStreamData(2, CLIENT_CONTROL, false);
      s.onStreamData(6, CLIENT_CONTROL, false);
    }, 'H3_STREAM_CREATION_ERROR');
  });

  it('accepts MAX_PUSH_ID, GOAWAY and unknown frames after SETTINGS', () => {
    const s = server();
    s.onStreamData(2, concatBytes(bytes('0d 01 05'), bytes('21 03 616263'), bytes('07 01 08'), bytes('07 01 04')), false);
    expect(s.error).toBeUndefined();
    expect(s.take().events).toEqual([{ kind: 'goaway', id: 8 }, { kind: 'goaway', id: 4 }]);
  });

  it('push streams are refused, unknown types ignored, QPACK streams are critical', () => {
    connErr((s) => s.onStreamData(6, bytes('01 00'), false), 'H3_STREAM_CREATION_ERROR');
    connErr((s) => s.onStreamData(6, bytes('02'), true), 'H3_CLOSED_CRITICAL_STREAM');
    connErr((s) => {
      s.onStreamData(6, bytes('03'), false);
      s.onStreamData(10, bytes('03'), false);
    }, 'H3_STREAM_CREATION_ERROR');
    connErr((s) => s.onStreamData(6, bytes('03 00'), false), 'QPACK_DECODER_STREAM_ERROR'); // ICI of 0
    connErr((s) => s.onStreamData(6, bytes('02 00'), false), 'QPACK_ENCODER_STREAM_ERROR'); // Duplicate of nothing
    const s = server();
    s.onStreamData(6, bytes('4021 ffff'), true); // reserved stream type 0x21 (§6.2.3)
    expect(s.error).toBeUndefined();
    expect(s.take().actions).toEqual([{ kind: 'stop-sending', streamId: 6, code: H3_ERROR_CODE.H3_STREAM_CREATION_ERROR }]);
  });
});

describe('H3ServerConnection GOAWAY and cancellation (RFC 9114 §5.2, §4.1.1)', () => {
  it('GOAWAY drain: lower requests complete, higher ones are rejected, then drained', () => {
    const s = server();
    s.onStreamData(0, headers(GET), true);
    s.onStreamData(4, headers(GET), true);
    s.take();
    s.goaway();
    const { actions, events } = s.take();
    expect(frames(collect(actions).streams.get(3)!.bytes)).toEqual([{ type: 'GOAWAY', id: 8 }]);
    expect(events).toEqual([]);
    s.onStreamData(8, headers(GET), true);
    const r = s.take();
    expect(r.events).toMatchObject([{ kind: 'stream-error', streamId: 8, code: H3_ERROR_CODE.H3_REQUEST_REJECTED }]);
    expect(collect(r.actions).streams.get(8)).toMatchObject({ reset: H3_ERROR_CODE.H3_REQUEST_REJECTED, stop: H3_ERROR_CODE.H3_REQUEST_REJECTED });
    s.h3RespHeadersSend(0, 204, [], true);
    expect(kinds(s.take().events)).toEqual([]);
    s.h3RespHeadersSend(4, 200, []);
    s.sendData(4, text('x'), true);
    expect(kinds(s.take().events)).toEqual(['drained']);
    s.goaway();
    expect(s.take().actions).toEqual([]);
  });

  it('streams delivered out of order are all served; late data on a closed stream is ignored', () => {
    const s = server();
    s.onStreamData(8, headers(GET), true);
    s.onStreamData(4, headers(GET), true);
    expect(s.take().events.filter((e) => e.kind === 'request').map((e) => (e as { streamId: number }).streamId)).toEqual([8, 4]);
    s.cancelRequest(4);
    s.onStreamData(4, headers(GET), false);
    expect(s.take().events).toEqual([]);
    expect(s.openRequests).toBe(1);
  });

  it('GOAWAY with no request open drains at once', () => {
    const s = server();
    s.goaway();
    expect(kinds(s.take().events)).toEqual(['drained']);
    expect(s.goawayId).toBe(0);
  });

  it('client RESET_STREAM and STOP_SENDING cancel the request (§4.1.1)', () => {
    const s = server();
    s.onStreamData(0, headers(GET), false);
    s.onStreamData(4, headers(GET), true);
    s.take();
    s.onResetStream(0, H3_ERROR_CODE.H3_REQUEST_CANCELLED);
    s.onStopSending(0, H3_ERROR_CODE.H3_REQUEST_CANCELLED);
    const { actions, events } = s.take();
    expect(events).toEqual([
      { kind: 'cancelled', streamId: 0, code: H3_ERROR_CODE.H3_REQUEST_CANCELLED, by: 'reset' },
      { kind: 'cancelled', streamId: 0, code: H3_ERROR_CODE.H3_REQUEST_CANCELLED, by: 'stop-sending' },
    ]);
    // RFC 9204 §4.4.2 Stream Cancellation for stream 0 (0x40) on our decoder stream, then our reset.
    expect(actions).toEqual([
      { kind: 'send', streamId: 11, bytes: bytes('40'), fin: false },
      { kind: 'reset-stream', streamId: 0, code: H3_ERROR_CODE.H3_REQUEST_CANCELLED },
    ]);
    expect(s.openRequests).toBe(1);
    s.cancelRequest(4);
    expect(collect(s.take().actions).streams.get(4)).toMatchObject({ reset: H3_ERROR_CODE.H3_REQUEST_CANCELLED });
    expect(s.openRequests).toBe(0);
  });
});
