import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  encodeChunk,
  H1EncodeError,
  isRegisteredStatus,
  lastChunk,
  reasonPhrase,
  statusHasNoContent,
  writeResponse,
  writeResponseHead,
} from '../../../proxy/h1/response.ts';
import { createRequestParser } from '../../../proxy/h1/parser.ts';
import type { H1HeadEvent } from '../../../proxy/h1/h1.types.ts';

const text = (chunks: Uint8Array | Uint8Array[]): string =>
  Buffer.concat((Array.isArray(chunks) ? chunks : [chunks]).map((c) => Buffer.from(c))).toString('latin1');

describe('reasonPhrase', () => {
  it('knows the RFC 9110 and IANA registered phrases', () => {
    expect(reasonPhrase(200)).toBe('OK');
    expect(reasonPhrase(103)).toBe('Early Hints');
    expect(reasonPhrase(413)).toBe('Content Too Large');
    expect(reasonPhrase(421)).toBe('Misdirected Request');
    expect(reasonPhrase(422)).toBe('Unprocessable Content');
    expect(reasonPhrase(425)).toBe('Too Early');
    expect(reasonPhrase(451)).toBe('Unavailable For Legal Reasons');
    expect(reasonPhrase(505)).toBe('HTTP Version Not Supported');
    expect(reasonPhrase(511)).toBe('Network Authentication Required');
    const registered = Array.from({ length: 500 }, (_, k) => k + 100).filter(isRegisteredStatus);
    expect(registered).toHaveLength(63);
  });

  it('gives unregistered codes the generic phrase of their class and never throws', () => {
    expect(reasonPhrase(199)).toBe('Informational');
    expect(reasonPhrase(299)).toBe('Success');
    expect(reasonPhrase(399)).toBe('Redirection');
    expect(reasonPhrase(499)).toBe('Client Error');
    expect(reasonPhrase(599)).toBe('Server Error');
    for (const odd of [0, 99, 600, 1000, -1, 1.5, Number.NaN]) expect(reasonPhrase(odd)).toBe('');
  });

  it('knows which statuses have no content', () => {
    expect([100, 101, 103, 204, 304].every(statusHasNoContent)).toBe(true);
    expect([200, 205, 301, 404, 500].some(statusHasNoContent)).toBe(false);
  });
});

describe('writeResponseHead', () => {
  it('writes the status line and fields verbatim', () => {
    const head = writeResponseHead({ status: 200, headers: [['content-type', 'text/plain'], ['X-Multi', 'a, b']] });
    expect(text(head)).toBe('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nX-Multi: a, b\r\n\r\n');
    expect(text(writeResponseHead({ status: 404, reason: 'Nope', headers: [] }))).toBe('HTTP/1.1 404 Nope\r\n\r\n');
  });

  it('encodes every status code 100..599 (a seed crash was an encoder refusing legal codes)', () => {
    for (let status = 100; status <= 599; status++) {
      const line = text(writeResponseHead({ status, headers: [] })).split('\r\n')[0];
      expect(line).toBe(`HTTP/1.1 ${status} ${reasonPhrase(status)}`);
    }
  });

  it('refuses a status outside 100..599 with H1EncodeError', () => {
    for (const status of [99, 600, 200.5, Number.NaN]) {
      expect(() => writeResponseHead({ status, headers: [] })).toThrow(H1EncodeError);
    }
    try {
      writeResponseHead({ status: 600, headers: [] });
    } catch (e) {
      expect(e).toMatchObject({ code: 'status-range', message: expect.stringMatching(/100\.\.599/) });
    }
  });

  it('refuses CR/LF injection and invalid names', () => {
    const cases: [() => unknown, string][] = [
      [() => writeResponseHead({ status: 200, headers: [['x', 'a\r\nSet-Cookie: evil']] }), 'field-value-invalid'],
      [() => writeResponseHead({ status: 200, headers: [['x', 'a\x00']] }), 'field-value-invalid'],
      [() => writeResponseHead({ status: 200, headers: [['x', 'caf\u00e9 \u2603']] }), 'field-value-invalid'],
      [() => writeResponseHead({ status: 200, headers: [['bad name', 'v']] }), 'field-name-invalid'],
      [() => writeResponseHead({ status: 200, headers: [['', 'v']] }), 'field-name-invalid'],
      [() => writeResponseHead({ status: 200, reason: 'OK\r\nX: y', headers: [] }), 'reason-invalid'],
      [() => lastChunk([['x', 'a\nb']]), 'field-value-invalid'],
    ];
    for (const [fn, code] of cases) expect(fn).toThrow(expect.objectContaining({ code }));
  });

  it('writes obs-text as Latin-1 bytes', () => {
    const head = writeResponseHead({ status: 200, headers: [['x-name', 'caf\u00e9']] });
    expect(Buffer.from(head).includes(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe(true);
  });
});

describe('writeResponse', () => {
  const body = Buffer.from('hello');

  it('frames the body with content-length and hands the body out uncopied', () => {
    const out = writeResponse({ status: 200, headers: [['content-type', 'text/plain']], body, close: false });
    expect(out).toHaveLength(2);
    expect(text(out[0])).toBe('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\n');
    expect(out[1]).toBe(body);
  });

  it('keeps content-length but sends no content for HEAD (RFC 9110 §9.3.2)', () => {
    const out = writeResponse({ status: 200, headers: [], body, head: true, close: false });
    expect(out.map(text)).toEqual(['HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n']);
  });

  it('adds connection: close when closing', () => {
    const out = writeResponse({ status: 503, headers: [], close: true });
    expect(out.map(text)).toEqual(['HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n']);
  });

  it('sends neither content-length nor content for 1xx, 204 and 304, even if given a body', () => {
    for (const status of [103, 204, 304]) {
      const out = writeResponse({ status, headers: [['etag', '"x"']], body, close: false });
      expect(out.map(text)).toEqual([`HTTP/1.1 ${status} ${reasonPhrase(status)}\r\netag: "x"\r\n\r\n`]);
    }
  });

  it('drops caller framing fields: it owns content-length, transfer-encoding and connection', () => {
    const out = writeResponse({
      status: 200,
      headers: [['Content-Length', '99'], ['Transfer-Encoding', 'chunked'], ['Connection', 'keep-alive'], ['x', 'y']],
      body,
      close: true,
    });
    expect(text(out[0])).toBe('HTTP/1.1 200 OK\r\nx: y\r\ncontent-length: 5\r\nconnection: close\r\n\r\n');
  });

  it('writes any legal status without throwing', () => {
    for (let status = 100; status <= 599; status++) {
      expect(() => writeResponse({ status, headers: [], body, close: false })).not.toThrow();
    }
  });
});

describe('chunked encoder', () => {
  it('encodes chunks and the last chunk with trailers (RFC 9112 §7.1)', () => {
    const data = Buffer.from('x'.repeat(300));
    const parts = encodeChunk(data);
    expect(parts[1]).toBe(data);
    expect(text(parts)).toBe(`12c\r\n${'x'.repeat(300)}\r\n`);
    expect(encodeChunk(new Uint8Array(0))).toEqual([]);
    expect(text(lastChunk())).toBe('0\r\n\r\n');
    expect(text(lastChunk([['x-sum', '42'], ['x-b', 'c']]))).toBe('0\r\nx-sum: 42\r\nx-b: c\r\n\r\n');
  });

  it('round-trips through our own request parser', () => {
    const p = createRequestParser({ maxHeaderBytes: 1024 });
    const payload = Array.from({ length: 20 }, (_, k) => Buffer.from('abcdefghij'.repeat(k + 1)));
    const wire = [
      Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'),
      ...payload.flatMap(encodeChunk),
      lastChunk([['x-sum', '1']]),
    ];
    const events = wire.flatMap((c) => p.push(c));
    const data = Buffer.concat(events.flatMap((e) => (e.type === 'data' ? [e.bytes] : [])));
    expect(data.equals(Buffer.concat(payload))).toBe(true);
    expect(events.slice(-2)).toEqual([{ type: 'trailers', headers: [['x-sum', '1']] }, { type: 'end' }]);
  });
});

/**
 * A real server on 127.0.0.1 that reads requests with our parser and answers with our writer, and
 * Node's own client (llhttp) that must accept what it gets.
 */
describe('round trip through node:http (llhttp)', () => {
  let server: net.Server;
  let port: number;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  function respond(head: H1HeadEvent): Uint8Array[] {
    const path = head.target;
    const isHead = head.method === 'HEAD';
    if (path.startsWith('/status/')) {
      const status = Number(path.slice(8));
      const body = Buffer.from(`body of ${status}\n`);
      return writeResponse({ status, headers: [['content-type', 'text/plain'], ['x-status', String(status)]], body, head: isHead, close: false });
    }
    if (path === '/chunked') {
      return [
        writeResponseHead({ status: 200, headers: [['transfer-encoding', 'chunked'], ['trailer', 'x-sum']] }),
        ...encodeChunk(Buffer.from('hello ')),
        ...encodeChunk(Buffer.from('x'.repeat(5000))),
        ...encodeChunk(new Uint8Array(0)),
        ...encodeChunk(Buffer.from('world')),
        lastChunk([['x-sum', '42']]),
      ];
    }
    if (path === '/early-hints') {
      return [
        writeResponseHead({ status: 103, headers: [['link', '</s.css>; rel=preload']] }),
        ...writeResponse({ status: 200, headers: [], body: Buffer.from('ok'), close: false }),
      ];
    }
    if (path === '/latin1') {
      return writeResponse({ status: 200, reason: 'Tr\u00e8s bien', headers: [['x-name', 'caf\u00e9']], close: false });
    }
    return writeResponse({ status: 200, headers: [], body: Buffer.from('closing'), close: true });
  }

  beforeAll(async () => {
    server = net.createServer((sock) => {
      const parser = createRequestParser({ maxHeaderBytes: 16384 });
      let head: H1HeadEvent | undefined;
      sock.setNoDelay(true);
      sock.on('data', (chunk) => {
        for (const ev of parser.push(chunk)) {
          if (ev.type === 'head') head = ev;
          else if (ev.type === 'end') {
            sock.cork();
            for (const b of respond(head!)) sock.write(b);
            sock.uncork();
            if (!head!.keepAlive || head!.target === '/close') sock.end();
          } else if (ev.type === 'error') sock.destroy(new Error(ev.reason));
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  interface Got {
    status: number;
    statusMessage: string;
    rawHeaders: string[];
    headers: http.IncomingHttpHeaders;
    body: string;
    trailers: NodeJS.Dict<string>;
    info: { status: number; headers: http.IncomingHttpHeaders }[];
  }

  function get(path: string, method = 'GET'): Promise<Got> {
    return new Promise((resolve, reject) => {
      const info: Got['info'] = [];
      const req = http.request({ host: '127.0.0.1', port, path, method, agent }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            statusMessage: res.statusMessage!,
            rawHeaders: res.rawHeaders,
            headers: res.headers,
            body: Buffer.concat(parts).toString('latin1'),
            trailers: res.trailers,
            info,
          }),
        );
        res.on('error', reject);
      });
      req.on('information', (i) => info.push({ status: i.statusCode, headers: i.headers }));
      req.on('error', reject);
      req.end();
    });
  }

  it('is accepted by llhttp for every status 200..599, with the right framing', async () => {
    const statuses = Array.from({ length: 400 }, (_, k) => 200 + k);
    const results = await Promise.all(statuses.map((s) => get(`/status/${s}`)));
    for (const [k, r] of results.entries()) {
      const status = statuses[k];
      expect(r.status).toBe(status);
      expect(r.statusMessage).toBe(reasonPhrase(status));
      expect(r.headers['x-status']).toBe(String(status));
      if (statusHasNoContent(status)) {
        expect(r.body).toBe('');
        expect(r.headers['content-length']).toBeUndefined();
      } else {
        expect(r.body).toBe(`body of ${status}\n`);
        expect(r.headers['content-length']).toBe(String(r.body.length));
      }
    }
  });

  it('keeps content-length and sends no body for HEAD', async () => {
    const r = await get('/status/200', 'HEAD');
    expect(r.headers['content-length']).toBe(String('body of 200\n'.length));
    expect(r.body).toBe('');
    // the connection is still usable: the next response parses
    expect((await get('/status/201')).body).toBe('body of 201\n');
  });

  it('delivers a chunked body and its trailers', async () => {
    const r = await get('/chunked');
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.body).toBe(`hello ${'x'.repeat(5000)}world`);
    expect(r.trailers).toEqual({ 'x-sum': '42' });
  });

  it('delivers an interim 103 before the final response', async () => {
    const r = await get('/early-hints');
    expect(r.info).toEqual([{ status: 103, headers: { link: '</s.css>; rel=preload' } }]);
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok');
  });

  it('carries Latin-1 reason and field bytes', async () => {
    const r = await get('/latin1');
    expect(r.statusMessage).toBe('Tr\u00e8s bien');
    expect(r.headers['x-name']).toBe('caf\u00e9');
  });

  it('announces and performs the close', async () => {
    const r = await get('/close');
    expect(r.headers.connection).toBe('close');
    expect(r.body).toBe('closing');
  });
});
