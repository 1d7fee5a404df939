import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import {
  createChunkedEncoder,
  framingOf,
  HOP_BY_HOP_FIELDS,
  hopByHopNames,
  RequestEncodeError,
  writeRequestHead,
  type RequestHeadInit,
} from '../../../proxy/h1/request-writer.ts';
import { H1EncodeError } from '../../../proxy/h1/response.ts';
import { createRequestParser } from '../../../proxy/h1/parser.ts';
import type { H1HeadEvent } from '../../../proxy/h1/h1.types.ts';
import { bytes, feed, OPTS } from './feed.ts';

function text(b: Uint8Array | Uint8Array[]): string {
  const parts = Array.isArray(b) ? b : [b];
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))).toString('latin1');
}

const BASE: RequestHeadInit = {
  method: 'GET',
  target: '/index.html?q=1',
  headers: [
    ['Host', 'a.example'],
    ['Accept', '*/*'],
  ],
  body: { kind: 'none' },
  keepAlive: true,
};

describe('request writer: head', () => {
  it('writes the request line and the fields as given, in order, for a kept-alive connection', () => {
    expect(text(writeRequestHead(BASE))).toBe('GET /index.html?q=1 HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\n\r\n');
  });

  it('asks the server to close with Connection: close (RFC 9112 §9.6)', () => {
    expect(text(writeRequestHead({ ...BASE, keepAlive: false }))).toBe(
      'GET /index.html?q=1 HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\nconnection: close\r\n\r\n',
    );
  });

  it('frames the body from `body`, never from the given fields (RFC 9112 §6.2)', () => {
    const headers: RequestHeadInit['headers'] = [
      ['Host', 'a.example'],
      ['Content-Length', '999'],
      ['Transfer-Encoding', 'chunked'],
    ];
    expect(text(writeRequestHead({ ...BASE, method: 'POST', headers, body: { kind: 'length', length: 5 } }))).toBe(
      'POST /index.html?q=1 HTTP/1.1\r\nHost: a.example\r\ncontent-length: 5\r\n\r\n',
    );
    expect(text(writeRequestHead({ ...BASE, method: 'POST', headers, body: { kind: 'chunked' } }))).toBe(
      'POST /index.html?q=1 HTTP/1.1\r\nHost: a.example\r\ntransfer-encoding: chunked\r\n\r\n',
    );
    expect(text(writeRequestHead({ ...BASE, headers, body: { kind: 'none' } }))).toBe(
      'GET /index.html?q=1 HTTP/1.1\r\nHost: a.example\r\n\r\n',
    );
    expect(text(writeRequestHead({ ...BASE, method: 'POST', headers: [], body: { kind: 'length', length: 0 } }))).toBe(
      'POST /index.html?q=1 HTTP/1.1\r\ncontent-length: 0\r\n\r\n',
    );
  });

  it('drops the hop-by-hop fields and those that Connection names (RFC 9110 §7.6.1)', () => {
    const headers: RequestHeadInit['headers'] = [
      ['Host', 'a.example'],
      ['Connection', 'keep-alive, X-Secret, "quoted"'],
      ['Keep-Alive', 'timeout=5'],
      ['Proxy-Connection', 'keep-alive'],
      ['TE', 'trailers'],
      ['Trailer', 'X-Checksum'],
      ['Transfer-Encoding', 'chunked'],
      ['Upgrade', 'websocket'],
      ['x-secret', 'dropped'],
      ['X-Kept', 'kept'],
    ];
    expect(text(writeRequestHead({ ...BASE, headers }))).toBe(
      'GET /index.html?q=1 HTTP/1.1\r\nHost: a.example\r\nX-Kept: kept\r\n\r\n',
    );
  });

  it('never lets Connection remove Host, nor Content-Length from a framed body', () => {
    const headers: RequestHeadInit['headers'] = [
      ['Host', 'a.example'],
      ['Content-Length', '3'],
      ['Connection', 'Host, Content-Length'],
    ];
    expect(text(writeRequestHead({ ...BASE, method: 'POST', headers, body: { kind: 'length', length: 3 } }))).toBe(
      'POST /index.html?q=1 HTTP/1.1\r\nHost: a.example\r\ncontent-length: 3\r\n\r\n',
    );
  });

  it('forwards an upgrade when asked: Upgrade kept, Connection: upgrade added (RFC 9110 §7.8)', () => {
    const headers: RequestHeadInit['headers'] = [
      ['Host', 'a.example'],
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
      ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    ];
    expect(text(writeRequestHead({ ...BASE, headers, upgrade: true }))).toBe(
      'GET /index.html?q=1 HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nconnection: upgrade\r\n\r\n',
    );
    expect(text(writeRequestHead({ ...BASE, headers, upgrade: true, keepAlive: false }))).toContain(
      'connection: upgrade, close\r\n\r\n',
    );
  });

  it('lists the hop-by-hop names it drops', () => {
    expect([...HOP_BY_HOP_FIELDS].sort()).toEqual(
      ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'].sort(),
    );
    const names = hopByHopNames([['connection', 'X-A, ,x-b, host']]);
    expect(names.has('x-a') && names.has('x-b') && names.has('content-length')).toBe(true);
    expect(names.has('host')).toBe(false);
    expect(names.has('X-a') && names.has('Content-Length') && names.has('TRANSFER-ENCODING')).toBe(true); // any case
    expect(names.has('x-ab') || names.has('x')).toBe(false);
    expect(hopByHopNames([], true).has('upgrade')).toBe(false);
  });
});

describe('request writer: refusals', () => {
  const cases: [string, Partial<RequestHeadInit>, RequestEncodeError['code']][] = [
    ['a method with a space', { method: 'GET X' }, 'method-invalid'],
    ['an empty method', { method: '' }, 'method-invalid'],
    ['a target with a space', { target: '/a b' }, 'target-invalid'],
    ['a target with CRLF', { target: '/a\r\nX: y' }, 'target-invalid'],
    ['an empty target', { target: '' }, 'target-invalid'],
    ['a non-ASCII target', { target: '/caf\xe9' }, 'target-invalid'],
    ['a field name with a colon', { headers: [['X:Y', 'v']] }, 'field-name-invalid'],
    ['a field value with CRLF (header injection)', { headers: [['X', 'a\r\nInjected: 1']] }, 'field-value-invalid'],
    ['a field value with NUL', { headers: [['X', 'a\0b']] }, 'field-value-invalid'],
    ['a field value beyond Latin-1', { headers: [['X', 'snow \u2603']] }, 'field-value-invalid'],
    ['a negative length', { body: { kind: 'length', length: -1 } }, 'length-invalid'],
    ['a fractional length', { body: { kind: 'length', length: 1.5 } }, 'length-invalid'],
    ['an upgrade without Upgrade', { upgrade: true }, 'upgrade-missing'],
  ];
  it.each(cases)('refuses %s', (_name, init, code) => {
    let err: unknown;
    try {
      writeRequestHead({ ...BASE, ...init });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequestEncodeError);
    expect((err as RequestEncodeError).code).toBe(code);
    expect((err as Error).message).toMatch(/RFC|expected/);
  });

  it('refuses an invalid field even when it would have been dropped', () => {
    expect(() => writeRequestHead({ ...BASE, headers: [['Keep-Alive', 'x\ry']] })).toThrow(RequestEncodeError);
  });
});

describe('request writer: chunked bodies', () => {
  it('encodes chunks and the last chunk with trailers (RFC 9112 §7.1, §7.1.2)', () => {
    const enc = createChunkedEncoder();
    const data = bytes('hello world!');
    const pieces = enc.write(data);
    expect(pieces[1]).toBe(data); // not copied
    expect(text(pieces)).toBe('c\r\nhello world!\r\n');
    expect(enc.write(new Uint8Array(0))).toEqual([]);
    expect(text(enc.end([['X-Checksum', '42']]))).toBe('0\r\nX-Checksum: 42\r\n\r\n');
    expect(enc.bytes).toBe(12);
    expect(enc.ended).toBe(true);
  });

  it('refuses to write after the end, to end twice, and a trailer that would inject bytes', () => {
    const enc = createChunkedEncoder();
    expect(() => enc.end([['X', 'a\r\nb']])).toThrow(H1EncodeError);
    expect(enc.ended).toBe(false);
    enc.end();
    expect(() => enc.write(bytes('x'))).toThrow(/after end/);
    expect(() => enc.end()).toThrow(/twice/);
  });
});

describe('request writer: what the request parser reads back', () => {
  it('forwards a parsed request with the framing the parser decided (framingOf)', () => {
    const received =
      'PUT /up HTTP/1.1\r\nHost: a.example\r\nConnection: X-Hop\r\nX-Hop: 1\r\nTE: trailers\r\n' +
      'Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
    const p = createRequestParser(OPTS);
    const events = p.push(bytes(received));
    const head = events[0] as H1HeadEvent;
    expect(framingOf(head)).toEqual({ kind: 'chunked' });
    expect(framingOf({ bodyKind: 'length', contentLength: 7 })).toEqual({ kind: 'length', length: 7 });
    expect(framingOf({ bodyKind: 'none' })).toEqual({ kind: 'none' });

    const enc = createChunkedEncoder();
    const wire = [
      writeRequestHead({ method: head.method, target: head.target, headers: head.headers, body: framingOf(head), keepAlive: false }),
      ...enc.write(bytes('hello')),
      ...enc.end(),
    ];
    const { events: back } = feed(text(wire));
    expect(back).toEqual([
      {
        type: 'head',
        method: 'PUT',
        target: '/up',
        targetForm: 'origin',
        version: '1.1',
        headers: [
          ['Host', 'a.example'],
          ['transfer-encoding', 'chunked'],
          ['connection', 'close'],
        ],
        keepAlive: false,
        bodyKind: 'chunked',
        expectContinue: false,
      },
      { type: 'data', text: 'hello' },
      { type: 'end' },
    ]);
  });
});

describe('request writer: what a real server reads (node:http on 127.0.0.1)', () => {
  let server: http.Server;
  let port = 0;
  const seen: { method?: string; url?: string; headers: string[]; body: string; trailers: string[] }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const rec = { method: req.method, url: req.url, headers: req.rawHeaders, body: '', trailers: [] as string[] };
      seen.push(rec);
      req.setEncoding('latin1');
      req.on('data', (d: string) => (rec.body += d));
      req.on('end', () => {
        rec.trailers = req.rawTrailers;
        res.end('ok');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('streams a chunked body with trailers, then a Content-Length one, on one connection', async () => {
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    let reply = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => (reply += d));
    const enc = createChunkedEncoder();
    const first = [
      writeRequestHead({
        method: 'POST',
        target: '/stream',
        headers: [
          ['Host', 'a.example'],
          ['Upgrade', 'h2c'],
        ],
        body: { kind: 'chunked' },
        keepAlive: true,
      }),
      ...enc.write(bytes('part one, ')),
      ...enc.write(bytes('part two')),
      ...enc.end([['X-Checksum', 'abc']]),
    ];
    const second = writeRequestHead({
      method: 'PUT',
      target: '/fixed',
      headers: [['Host', 'a.example']],
      body: { kind: 'length', length: 4 },
      keepAlive: false,
    });
    sock.write(Buffer.concat([...first, second, bytes('data')]));
    await once(sock, 'close');
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/stream',
        headers: ['Host', 'a.example', 'transfer-encoding', 'chunked'],
        body: 'part one, part two',
        trailers: ['X-Checksum', 'abc'],
      },
      {
        method: 'PUT',
        url: '/fixed',
        headers: ['Host', 'a.example', 'content-length', '4', 'connection', 'close'],
        body: 'data',
        trailers: [],
      },
    ]);
    expect(reply.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(2);
  });
});
