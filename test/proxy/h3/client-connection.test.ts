/**
 * proxy/h3/client-connection.ts: the HTTP/3 client engine and its QUIC binding.
 *
 * - Against the real server engine (H3ServerConnection) over two real QUIC engines joined by the
 *   in-memory link of proxy/quic/testing/pair.ts (virtual clock): GET, POST with a body, many
 *   concurrent streams, a 1 MB body byte-identical, interim responses, trailers, a rejected stream
 *   among others that complete, server GOAWAY.
 * - Against scripted server bytes (frames built with proxy/h3/frame.ts, sections with
 *   QpackStaticEncoder): the start-up streams, malformed responses (stream errors) and protocol
 *   errors of the server (connection errors with the RFC 9114 codes).
 */
import { describe, expect, it } from 'vitest';
import { H3ClientEngine, H3QuicClient, checkResponseHeaders, requestFieldLines } from '../../../proxy/h3/client-connection.ts';
import type { H3QuicClientEvent } from '../../../proxy/h3/client-connection.types.ts';
import { H3ServerConnection } from '../../../proxy/h3/server-connection.ts';
import { concatBytes } from '../../../proxy/bytes.ts';
import { buildFrame, parseFrame } from '../../../proxy/h3/frame.ts';
import { H3_ERROR_CODE } from '../../../proxy/h3/h3.types.ts';
import type { H3Action, H3Request } from '../../../proxy/h3/h3.types.ts';
import { QpackStaticEncoder } from '../../../proxy/qpack/encoder.ts';
import type { FieldLine } from '../../../proxy/qpack/qpack.types.ts';
import type { QuicConnection } from '../../../proxy/quic/connection.ts';
import type { ConnectionEvent } from '../../../proxy/quic/connection.types.ts';
import type { QuicPair } from '../../../proxy/quic/testing/pair.ts';
import { makePair, pattern, sameBytes } from '../quic/pair-setup.ts';

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const GET = { method: 'GET', authority: 'example.com', path: '/' };

// ------------------------------------------------------------------ in-memory server application

type Handler = (srv: TestServer, streamId: number, req: H3Request, body: Uint8Array) => void;

/** The server engine on the server QuicConnection of a pair, answering each complete request with `handler`. */
class TestServer {
  h3: H3ServerConnection | undefined;
  readonly reqs = new Map<number, { req: H3Request; body: Uint8Array[] }>();
  private early: ConnectionEvent[] = [];
  readonly quic: QuicConnection;
  handler: Handler;

  constructor(quic: QuicConnection, handler: Handler) {
    this.quic = quic;
    this.handler = handler;
  }

  on(e: ConnectionEvent, now: number): void {
    if (e.kind === 'handshake-done') {
      const ids = [this.quic.openStream(false), this.quic.openStream(false), this.quic.openStream(false)] as [number, number, number];
      this.h3 = new H3ServerConnection({ uniStreamIds: ids });
      for (const x of this.early) this.feed(x);
      this.early = [];
    } else if (!this.h3) {
      this.early.push(e);
    } else {
      this.feed(e);
    }
    this.pump(now);
  }

  private feed(e: ConnectionEvent): void {
    if (e.kind === 'stream-data' && (e.streamId & 1) === 0) this.h3!.onStreamData(e.streamId, e.data, e.fin);
    else if (e.kind === 'stream-reset') this.h3!.onResetStream(e.streamId, e.errorCode);
    else if (e.kind === 'stop-sending') this.h3!.onStopSending(e.streamId, e.errorCode);
  }

  pump(now: number): void {
    if (!this.h3) return;
    for (let round = 0; round < 16; round++) {
      const { actions, events } = this.h3.take();
      apply(this.quic, actions, now);
      if (events.length === 0) return;
      for (const ev of events) {
        if (ev.kind === 'request') this.reqs.set(ev.streamId, { req: ev.request, body: [] });
        else if (ev.kind === 'data') this.reqs.get(ev.streamId)?.body.push(ev.bytes);
        else if (ev.kind === 'end') {
          const r = this.reqs.get(ev.streamId);
          if (r) this.handler(this, ev.streamId, r.req, concatBytes(...r.body));
        }
      }
    }
  }
}

function apply(q: QuicConnection, actions: readonly H3Action[], now: number): void {
  for (const a of actions) {
    if (a.kind === 'send') {
      if (a.bytes.length > 0) q.write(a.streamId, a.bytes);
      if (a.fin) q.finish(a.streamId);
    } else if (a.kind === 'reset-stream') q.resetStream(a.streamId, a.code);
    else if (a.kind === 'stop-sending') q.stopSending(a.streamId, a.code);
    else q.close(now, a.code, a.reason);
  }
}

/** Answers 200 with `origin <method> <path> <body length>` and a content-length. */
const echo: Handler = (srv, id, req, body) => {
  const out = text(`origin ${req.method} ${req.path} ${body.length}`);
  srv.h3!.h3RespHeadersSend(id, 200, [{ name: 'content-type', value: 'text/plain' }, { name: 'content-length', value: String(out.length) }]);
  srv.h3!.sendData(id, out, true);
};

interface Setup {
  pair: QuicPair;
  client: H3QuicClient;
  server: TestServer;
  events: H3QuicClientEvent[];
  /** Per stream: response status, body, trailers, how it ended. */
  result(id: number): { status?: number; body: string; trailers?: readonly FieldLine[]; end: string | undefined; interim: number[] };
}

function setup(handler: Handler = echo): Setup {
  const pair = makePair({ seed: 7 });
  const client = new H3QuicClient(pair.client, { now: () => pair.now });
  const server = new TestServer(pair.server, handler);
  const events: H3QuicClientEvent[] = [];
  pair.onClientEvent = (e) => {
    client.process([e]);
    events.push(...client.pollEvents());
  };
  pair.onServerEvent = (e, p) => server.on(e, p.now);
  const result = (id: number) => {
    const mine = events.filter((e) => 'streamId' in e && e.streamId === id);
    const resp = mine.find((e) => e.kind === 'response');
    const tr = mine.find((e) => e.kind === 'trailers');
    const last = mine.at(-1);
    return {
      status: resp?.kind === 'response' ? resp.response.status : undefined,
      body: mine.map((e) => (e.kind === 'data' ? str(e.bytes) : '')).join(''),
      trailers: tr?.kind === 'trailers' ? tr.fields : undefined,
      end: last?.kind,
      interim: mine.flatMap((e) => (e.kind === 'interim' ? [e.status] : [])),
    };
  };
  expect(pair.runUntil(() => client.ready, 10_000)).toBe(true);
  return { pair, client, server, events, result };
}

/** Sends a request from outside an event and lets the pair run until `done`. */
function send(s: Setup, req: Parameters<H3QuicClient['request']>[0], body?: Uint8Array): number {
  const id = s.client.request(req, body);
  expect(id).not.toBeNull();
  s.pair.flush();
  return id!;
}

describe('H3QuicClient against H3ServerConnection over the in-memory QUIC pair', () => {
  it('gets ready after the handshake and the server SETTINGS; a GET gets its response', () => {
    const s = setup();
    expect(s.events[0]).toEqual({ kind: 'ready' });
    const id = send(s, { ...GET, path: '/hello' });
    expect(s.pair.runUntil(() => s.result(id).end === 'end')).toBe(true);
    expect(s.result(id)).toMatchObject({ status: 200, body: 'origin GET /hello 0', end: 'end' });
    const resp = s.events.find((e) => e.kind === 'response');
    expect(resp?.kind === 'response' && resp.response.headers).toEqual([{ name: 'content-type', value: 'text/plain' }, { name: 'content-length', value: '19' }]);
    expect(s.events.some((e) => e.kind === 'settings' && e.settings.qpackMaxTableCapacity === 4096)).toBe(true);
    // The server saw a well-formed request with our SETTINGS.
    expect(s.server.reqs.get(id)?.req).toMatchObject({ method: 'GET', scheme: 'https', authority: 'example.com', path: '/hello' });
    expect(s.server.h3!.peerSettings.maxFieldSectionSize).toBe(65536);
    expect(s.client.engine!.openRequests).toBe(0);
  });

  it('POSTs a body the server receives whole, with the request headers lowercased', () => {
    const s = setup();
    const id = send(s, { method: 'POST', authority: 'example.com', path: '/up', headers: [{ name: 'X-Test', value: 'yes' }, { name: 'Connection', value: 'close' }] }, pattern(5000));
    expect(s.pair.runUntil(() => s.result(id).end === 'end')).toBe(true);
    expect(s.result(id).body).toBe('origin POST /up 5000');
    const seen = s.server.reqs.get(id)!;
    expect(seen.req.headers).toEqual([{ name: 'x-test', value: 'yes' }]);
    expect(sameBytes(concatBytes(...seen.body), pattern(5000))).toBe(true);
  });

  it('runs 40 concurrent requests on one connection, each with its own response', () => {
    const s = setup();
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) {
      const id = s.client.request({ ...GET, path: `/r${i}` });
      expect(id).not.toBeNull();
      ids.push(id!);
    }
    s.pair.flush();
    expect(s.pair.runUntil(() => ids.every((id) => s.result(id).end === 'end'))).toBe(true);
    ids.forEach((id, i) => expect(s.result(id).body).toBe(`origin GET /r${i} 0`));
  });

  it('receives a 1 MB body byte-identical, in order, across flow-control window updates', () => {
    const big = pattern(1 << 20, 3);
    const s = setup((srv, id) => {
      srv.h3!.h3RespHeadersSend(id, 200, [{ name: 'content-length', value: String(big.length) }]);
      srv.h3!.sendData(id, big, true);
    });
    const id = send(s, GET);
    const chunks: Uint8Array[] = [];
    expect(s.pair.runUntil(() => s.result(id).end === 'end', 60_000)).toBe(true);
    for (const e of s.events) if (e.kind === 'data' && e.streamId === id) chunks.push(e.bytes);
    expect(sameBytes(concatBytes(...chunks), big)).toBe(true);
  });

  it('reports interim responses, then the final one and its trailers', () => {
    const s = setup((srv, id) => {
      srv.h3!.h3RespHeadersSend(id, 103, [{ name: 'link', value: '</s.css>; rel=preload' }]);
      srv.h3!.h3RespHeadersSend(id, 200, []);
      srv.h3!.sendData(id, text('body'));
      srv.h3!.h3RespTrailersSend(id, [{ name: 'x-checksum', value: 'abc' }]);
    });
    const id = send(s, GET);
    expect(s.pair.runUntil(() => s.result(id).end === 'end')).toBe(true);
    expect(s.result(id)).toMatchObject({ interim: [103], status: 200, body: 'body', trailers: [{ name: 'x-checksum', value: 'abc' }] });
  });

  it('reports a stream the server rejects while the others complete', () => {
    const s = setup((srv, id, req, body) => {
      if (req.path === '/no') srv.h3!.cancelRequest(id, H3_ERROR_CODE.H3_REQUEST_REJECTED);
      else echo(srv, id, req, body);
    });
    const a = s.client.request({ ...GET, path: '/a' })!;
    const no = s.client.request({ ...GET, path: '/no' })!;
    const b = s.client.request({ ...GET, path: '/b' })!;
    s.pair.flush();
    expect(s.pair.runUntil(() => [a, b].every((id) => s.result(id).end === 'end') && s.result(no).end === 'reset')).toBe(true);
    expect(s.events.find((e) => e.kind === 'reset')).toEqual({ kind: 'reset', streamId: no, code: H3_ERROR_CODE.H3_REQUEST_REJECTED });
    expect(s.client.engine!.error).toBeUndefined();
  });

  it('after a server GOAWAY refuses new requests while the ones below its id complete', () => {
    let held: number | undefined;
    const s = setup((srv, id, req, body) => {
      if (req.path === '/slow') held = id;
      else echo(srv, id, req, body);
    });
    const slow = send(s, { ...GET, path: '/slow' });
    expect(s.pair.runUntil(() => held !== undefined)).toBe(true);
    s.server.h3!.goaway();
    s.server.pump(s.pair.now);
    s.pair.flush();
    expect(s.pair.runUntil(() => s.events.some((e) => e.kind === 'goaway'))).toBe(true);
    expect(s.events.find((e) => e.kind === 'goaway')).toEqual({ kind: 'goaway', id: slow + 4 });
    expect(s.client.request(GET)).toBeNull();
    echo(s.server, slow, s.server.reqs.get(slow)!.req, new Uint8Array(0));
    s.server.pump(s.pair.now);
    s.pair.flush();
    expect(s.pair.runUntil(() => s.result(slow).end === 'end')).toBe(true);
    expect(s.result(slow).body).toBe('origin GET /slow 0');
  });
});

// ------------------------------------------------------------------ scripted server bytes

const enc = new QpackStaticEncoder();
const headers = (fields: FieldLine[]) => buildFrame({ type: 'HEADERS', fieldSection: enc.encodeFieldSection(fields) });
const dataFrame = (s: string) => buildFrame({ type: 'DATA', payload: text(s) });
/** Server control stream 3: type 0x00, then SETTINGS with nothing set. */
const SERVER_CONTROL = bytes('00 04 00');

/** A client engine with request stream 0 sent (a GET) and the server's control stream open. */
function engine(control: Uint8Array | null = SERVER_CONTROL): H3ClientEngine {
  const c = new H3ClientEngine();
  if (control) c.onStreamData(3, control, false);
  expect(c.sendRequest(0, GET, true).status).toBe('sent');
  c.take();
  return c;
}

describe('H3ClientEngine with scripted server bytes', () => {
  it('opens its control stream with SETTINGS and its QPACK streams, and encodes requests with the pseudo-headers first', () => {
    const c = new H3ClientEngine({ maxFieldSectionSize: 1000 });
    const { actions } = c.take();
    expect(actions).toEqual([
      { kind: 'send', streamId: 2, bytes: bytes('00 04 03 06 43e8'), fin: false },
      { kind: 'send', streamId: 6, bytes: bytes('02'), fin: false },
      { kind: 'send', streamId: 10, bytes: bytes('03'), fin: false },
    ]);
    expect(requestFieldLines({ method: 'GET', authority: 'h', path: '/p', headers: [{ name: 'Accept', value: '*/*' }, { name: 'host', value: 'h' }] })).toEqual([
      { name: ':method', value: 'GET' }, { name: ':scheme', value: 'https' }, { name: ':authority', value: 'h' }, { name: ':path', value: '/p' }, { name: 'accept', value: '*/*' },
    ]);
    expect(c.sendRequest(1, GET).status).toBe('invalid');
    expect(c.sendRequest(4, GET, false).status).toBe('sent');
    expect(c.sendRequest(4, GET).status).toBe('invalid');
    const sent = c.take().actions[0];
    expect(sent.kind === 'send' && parseFrame(sent.bytes).status).toBe('ok');
  });

  it('completes a response with content-length, and fails one whose body does not match it (stream error only)', () => {
    const c = engine();
    c.onStreamData(0, concatBytes(headers([{ name: ':status', value: '200' }, { name: 'content-length', value: '5' }]), dataFrame('hello')), true);
    expect(c.take().events.map((e) => e.kind)).toEqual(['response', 'data', 'end']);
    expect(c.sendRequest(4, GET, true).status).toBe('sent');
    c.take();
    c.onStreamData(4, concatBytes(headers([{ name: ':status', value: '200' }, { name: 'content-length', value: '9' }]), dataFrame('hello')), true);
    const { actions, events } = c.take();
    expect(events.at(-1)).toMatchObject({ kind: 'stream-error', streamId: 4, code: H3_ERROR_CODE.H3_MESSAGE_ERROR });
    expect(actions.some((a) => a.kind === 'close')).toBe(false);
    expect(c.error).toBeUndefined();
  });

  it.each([
    ['no :status', [{ name: 'server', value: 'x' }], ':status is missing'],
    ['a request pseudo-header', [{ name: ':status', value: '200' }, { name: ':path', value: '/' }], ':path is not allowed'],
    ['status 101', [{ name: ':status', value: '101' }], '101'],
    ['status 600', [{ name: ':status', value: '600' }], 'not a status code'],
    ['an uppercase name', [{ name: ':status', value: '200' }, { name: 'Server', value: 'x' }], 'uppercase'],
  ])('a response with %s is a stream error H3_MESSAGE_ERROR with STOP_SENDING', (_, fields, why) => {
    expect(checkResponseHeaders(fields)).toContain(why);
    const c = engine();
    c.onStreamData(0, headers(fields), false);
    const { actions, events } = c.take();
    expect(events).toEqual([expect.objectContaining({ kind: 'stream-error', streamId: 0, code: H3_ERROR_CODE.H3_MESSAGE_ERROR })]);
    expect(actions).toEqual([{ kind: 'stop-sending', streamId: 0, code: H3_ERROR_CODE.H3_MESSAGE_ERROR }]);
    expect(c.openRequests).toBe(0);
  });

  const closeCode = (c: H3ClientEngine) => {
    const a = c.take().actions.find((x) => x.kind === 'close');
    return a?.kind === 'close' ? a.code : undefined;
  };

  it.each([
    ['DATA before the response HEADERS', 'H3_FRAME_UNEXPECTED', (c: H3ClientEngine) => c.onStreamData(0, dataFrame('x'), false)],
    ['a server-initiated bidirectional stream', 'H3_STREAM_CREATION_ERROR', (c: H3ClientEngine) => c.onStreamData(1, headers([]), false)],
    ['a push stream', 'H3_ID_ERROR', (c: H3ClientEngine) => c.onStreamData(7, bytes('01 00'), false)],
    ['a PUSH_PROMISE', 'H3_ID_ERROR', (c: H3ClientEngine) => c.onStreamData(0, buildFrame({ type: 'PUSH_PROMISE', pushId: 0, fieldSection: enc.encodeFieldSection([]) }), false)],
    ['MAX_PUSH_ID from the server', 'H3_FRAME_UNEXPECTED', (c: H3ClientEngine) => c.onStreamData(3, buildFrame({ type: 'MAX_PUSH_ID', pushId: 3 }), false)],
    ['GOAWAY with a server stream id', 'H3_ID_ERROR', (c: H3ClientEngine) => c.onStreamData(3, buildFrame({ type: 'GOAWAY', id: 5 }), false)],
    ['a second control stream', 'H3_STREAM_CREATION_ERROR', (c: H3ClientEngine) => c.onStreamData(7, SERVER_CONTROL, false)],
    ['the control stream closed', 'H3_CLOSED_CRITICAL_STREAM', (c: H3ClientEngine) => c.onStreamData(3, new Uint8Array(0), true)],
  ] as const)('%s is a connection error %s', (_, code, act) => {
    const c = engine();
    act(c);
    expect(closeCode(c)).toBe(H3_ERROR_CODE[code]);
    expect(c.error?.code).toBe(code);
    // After a connection error every input is ignored.
    c.onStreamData(0, headers([{ name: ':status', value: '200' }]), true);
    expect(c.take()).toEqual({ actions: [], events: [] });
  });

  it('a control stream that does not start with SETTINGS is H3_MISSING_SETTINGS', () => {
    const c = engine(null);
    c.onStreamData(3, concatBytes(bytes('00'), buildFrame({ type: 'GOAWAY', id: 0 })), false);
    expect(closeCode(c)).toBe(H3_ERROR_CODE.H3_MISSING_SETTINGS);
  });

  it('GOAWAY rejects requests at or above its id, refuses new ones, and may not increase', () => {
    const c = engine();
    expect(c.sendRequest(4, GET, true).status).toBe('sent');
    expect(c.sendRequest(8, GET, true).status).toBe('sent');
    c.take();
    c.onStreamData(3, buildFrame({ type: 'GOAWAY', id: 4 }), false);
    const { actions, events } = c.take();
    expect(events).toEqual([
      { kind: 'goaway', id: 4 },
      { kind: 'rejected', streamId: 4, goawayId: 4 },
      { kind: 'rejected', streamId: 8, goawayId: 4 },
    ]);
    expect(actions).toContainEqual({ kind: 'stop-sending', streamId: 8, code: H3_ERROR_CODE.H3_REQUEST_CANCELLED });
    expect(c.sendRequest(12, GET, true).status).toBe('invalid');
    // Stream 0 is below the id and still completes.
    c.onStreamData(0, headers([{ name: ':status', value: '204' }]), true);
    expect(c.take().events.map((e) => e.kind)).toEqual(['response', 'end']);
    c.onStreamData(3, buildFrame({ type: 'GOAWAY', id: 8 }), false);
    expect(closeCode(c)).toBe(H3_ERROR_CODE.H3_ID_ERROR);
  });

  it('a server RESET_STREAM ends the response; STOP_SENDING stops the request body but not the response', () => {
    const c = engine();
    c.onResetStream(0, H3_ERROR_CODE.H3_INTERNAL_ERROR);
    expect(c.take().events).toEqual([{ kind: 'reset', streamId: 0, code: H3_ERROR_CODE.H3_INTERNAL_ERROR }]);
    expect(c.openRequests).toBe(0);
    expect(c.sendRequest(4, { ...GET, method: 'POST' }, false).status).toBe('sent');
    c.take();
    c.onStopSending(4, H3_ERROR_CODE.H3_NO_ERROR);
    const r = c.take();
    expect(r.actions).toEqual([{ kind: 'reset-stream', streamId: 4, code: H3_ERROR_CODE.H3_NO_ERROR }]);
    expect(c.sendData(4, text('more')).status).toBe('invalid');
    c.onStreamData(4, headers([{ name: ':status', value: '413' }]), true);
    expect(c.take().events.map((e) => e.kind)).toEqual(['response', 'end']);
    expect(c.openRequests).toBe(0);
  });

  it('a HEAD response has no body whatever its content-length', () => {
    const c = new H3ClientEngine();
    c.onStreamData(3, SERVER_CONTROL, false);
    c.sendRequest(0, { ...GET, method: 'HEAD' }, true);
    c.take();
    c.onStreamData(0, headers([{ name: ':status', value: '200' }, { name: 'content-length', value: '100' }]), true);
    expect(c.take().events.map((e) => e.kind)).toEqual(['response', 'end']);
  });
});
