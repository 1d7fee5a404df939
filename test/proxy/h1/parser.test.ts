import { describe, expect, it } from 'vitest';
import { createRequestParser, DEFAULT_MAX_HEADERS } from '../../../proxy/h1/parser.ts';
import { H1_ERRORS } from '../../../proxy/h1/h1.types.ts';
import type { H1ErrorCode, H1Event, H1HeadEvent } from '../../../proxy/h1/h1.types.ts';
import { feed, feedError, OPTS, bytes, randomSplits, normalize } from './feed.ts';

const HOST = 'Host: a.example\r\n';

/** Offset of the `nth` occurrence of `needle` in `input`, plus `delta`. */
function at(input: string, needle: string, delta = 0, nth = 1): number {
  let i = -1;
  for (let k = 0; k < nth; k++) {
    i = input.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`${JSON.stringify(needle)} not in input`);
  }
  return i + delta;
}

function head(events: { type: string }[], k = 0): Record<string, unknown> {
  const heads = events.filter((e) => e.type === 'head');
  return heads[k] as Record<string, unknown>;
}

describe('request parser: events', () => {
  it('emits head and end for a GET, with headers as received', () => {
    const input = `GET /index.html?q=1 HTTP/1.1\r\nHost: a.example\r\nX-Mixed-Case:  spaced value \t\r\nAccept: */*\r\n\r\n`;
    const { events, state } = feed(input);
    expect(events).toEqual([
      {
        type: 'head',
        method: 'GET',
        target: '/index.html?q=1',
        targetForm: 'origin',
        version: '1.1',
        headers: [
          ['Host', 'a.example'],
          ['X-Mixed-Case', 'spaced value'],
          ['Accept', '*/*'],
        ],
        keepAlive: true,
        bodyKind: 'none',
        expectContinue: false,
      },
      { type: 'end' },
    ]);
    expect(state).toBe('idle');
  });

  it('looks header names up case-insensitively on the head event', () => {
    const p = createRequestParser(OPTS);
    const [h] = p.push(bytes(`GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\nEmpty:\r\n\r\n`)) as [H1HeadEvent];
    expect(h.get('HOST')).toBe('a');
    expect(h.get('x-A')).toBe('1');
    expect(h.getAll('X-a')).toEqual(['1', '2']);
    expect(h.get('empty')).toBe('');
    expect(h.has('Empty')).toBe(true);
    expect(h.get('missing')).toBeUndefined();
    expect(h.has('missing')).toBe(false);
  });

  it('streams a Content-Length body as data events and ends it', () => {
    const { events } = feed(`POST /upload HTTP/1.1\r\n${HOST}Content-Length: 11\r\n\r\nhello world`);
    expect(head(events)).toMatchObject({ bodyKind: 'length', contentLength: 11 });
    expect(events.slice(1)).toEqual([{ type: 'data', text: 'hello world' }, { type: 'end' }]);
  });

  it('treats Content-Length: 0 as an empty length-delimited body', () => {
    const { events } = feed(`POST / HTTP/1.1\r\n${HOST}Content-Length: 0\r\n\r\n`);
    expect(head(events)).toMatchObject({ bodyKind: 'length', contentLength: 0 });
    expect(events.map((e) => e.type)).toEqual(['head', 'end']);
  });

  it('accepts repeated identical Content-Length values, in a list or in several fields (RFC 9110 §8.6)', () => {
    for (const cl of ['Content-Length: 5, 5\r\n', 'Content-Length: 5\r\ncontent-length: 005\r\n']) {
      const { events } = feed(`POST / HTTP/1.1\r\n${HOST}${cl}\r\nhello`);
      expect(head(events)).toMatchObject({ bodyKind: 'length', contentLength: 5 });
      expect(events.slice(1)).toEqual([{ type: 'data', text: 'hello' }, { type: 'end' }]);
    }
  });

  it('decodes a chunked body with extensions and emits trailers', () => {
    const input =
      `POST /c HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n` +
      `5;name=value;flag\r\nhello\r\n` +
      `6 ; q="quoted; \\"text\\"" ;x = y\r\n world\r\n` +
      `A\r\n0123456789\r\n` +
      `000;last\r\nExpires: never\r\nX-Checksum: abc\r\n\r\n`;
    const { events, state } = feed(input);
    expect(head(events)).toMatchObject({ bodyKind: 'chunked', keepAlive: true });
    expect(head(events).contentLength).toBeUndefined();
    expect(events.slice(1)).toEqual([
      { type: 'data', text: 'hello world0123456789' },
      {
        type: 'trailers',
        headers: [
          ['Expires', 'never'],
          ['X-Checksum', 'abc'],
        ],
      },
      { type: 'end' },
    ]);
    expect(state).toBe('idle');
  });

  it('emits no trailers event for an empty trailer section', () => {
    const { events } = feed(`POST / HTTP/1.1\r\n${HOST}transfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
    expect(events.map((e) => e.type)).toEqual(['head', 'data', 'end']);
  });

  it('accepts a known coding before the final chunked', () => {
    const { events } = feed(`POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip,\r\nTransfer-Encoding: , chunked\r\n\r\n0\r\n\r\n`);
    expect(head(events)).toMatchObject({ bodyKind: 'chunked' });
  });

  it('parses pipelined requests in order', () => {
    const input =
      `GET /1 HTTP/1.1\r\n${HOST}\r\n` +
      `POST /2 HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\nabc` +
      `PUT /3 HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n` +
      `GET /4 HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`;
    const { events, state } = feed(input);
    expect(events.map((e) => (e.type === 'head' ? `head ${e.target}` : e.type === 'data' ? `data ${e.text}` : e.type))).toEqual([
      'head /1',
      'end',
      'head /2',
      'data abc',
      'end',
      'head /3',
      'data xy',
      'end',
      'head /4',
      'end',
    ]);
    expect(state).toBe('closed');
  });

  it('skips empty lines before a request line (RFC 9112 §2.2)', () => {
    const { events } = feed(`\r\n\r\nGET / HTTP/1.1\r\n${HOST}\r\n`);
    expect(events.map((e) => e.type)).toEqual(['head', 'end']);
  });

  it('keeps obs-text bytes of field values as Latin-1 characters', () => {
    const { events } = feed(Buffer.from(`GET / HTTP/1.1\r\n${HOST}X-Name: caf\xe9\r\n\r\n`, 'latin1'));
    expect(head(events).headers).toContainEqual(['X-Name', 'caf\u00e9']);
  });

  it('reports expect-continue for HTTP/1.1 only (RFC 9110 §10.1.1)', () => {
    const e11 = feed(`PUT / HTTP/1.1\r\n${HOST}Expect: 100-Continue\r\nContent-Length: 1\r\n\r\n`).events;
    expect(head(e11)).toMatchObject({ expectContinue: true });
    const e10 = feed(`PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n`).events;
    expect(head(e10)).toMatchObject({ expectContinue: false });
  });

  it('hands out body bytes as views of the pushed chunk, before the body is complete', () => {
    const p = createRequestParser(OPTS);
    const total = 1 << 20;
    const evs = p.push(bytes(`POST / HTTP/1.1\r\n${HOST}Content-Length: ${total}\r\n\r\n`));
    expect(evs.map((e) => e.type)).toEqual(['head']);
    expect(p.state).toBe('body');
    let received = 0;
    for (let sent = 0; sent < total; sent += 65536) {
      const chunk = new Uint8Array(65536).fill(sent / 65536);
      const out = p.push(chunk);
      const data = out.filter((e) => e.type === 'data');
      expect(data).toHaveLength(1);
      expect(data[0].bytes.buffer).toBe(chunk.buffer); // zero-copy
      received += data[0].bytes.length;
      const ended = out.some((e) => e.type === 'end');
      expect(ended).toBe(received === total);
      if (!ended) expect(p.bodyRemaining).toBe(total - received);
    }
    expect(received).toBe(total);
    expect(p.state).toBe('idle');
  });

  it('streams chunk data as it arrives, inside a chunk', () => {
    const p = createRequestParser(OPTS);
    p.push(bytes(`POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n100000\r\n`));
    const out = p.push(new Uint8Array(1000));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'data' });
    expect((out[0] as { bytes: Uint8Array }).bytes.length).toBe(1000);
    expect(p.state).toBe('body');
  });

  it('counts requests and offsets', () => {
    const p = createRequestParser(OPTS);
    const input = bytes(`GET / HTTP/1.1\r\n${HOST}\r\nGET / HTTP/1.1\r\n${HOST}\r\n`);
    p.push(input);
    expect(p.requests).toBe(2);
    expect(p.offset).toBe(input.length);
    expect(p.lastError).toBeUndefined();
  });

  it('accepts exactly maxHeaders fields and exactly maxHeaderBytes bytes of head', () => {
    const fields = Array.from({ length: DEFAULT_MAX_HEADERS - 1 }, (_, k) => `X-${k}: v\r\n`).join('');
    expect(feed(`GET / HTTP/1.1\r\n${HOST}${fields}\r\n`).events.map((e) => e.type)).toEqual(['head', 'end']);
    const input = `GET / HTTP/1.1\r\n${HOST}X: \r\n\r\n`;
    const pad = 'y'.repeat(100 - input.length);
    const exact = `GET / HTTP/1.1\r\n${HOST}X: ${pad}\r\n\r\n`;
    expect(exact.length).toBe(100);
    expect(feed(exact, { opts: { maxHeaderBytes: 100 } }).events.map((e) => e.type)).toEqual(['head', 'end']);
  });
});

describe('request parser: request-target forms (RFC 9112 §3.2)', () => {
  it.each([
    ['GET /a/b?c HTTP/1.1', 'origin', 'Host: x\r\n'],
    ['GET http://x.example:8080/p?q HTTP/1.1', 'absolute', 'Host: X.example:8080\r\n'],
    ['GET https://x.example:443/ HTTP/1.1', 'absolute', 'Host: x.example\r\n'],
    ['GET http://x.example HTTP/1.0', 'absolute', ''],
    ['CONNECT x.example:443 HTTP/1.1', 'authority', 'Host: x.example:443\r\n'],
    ['CONNECT [::1]:8443 HTTP/1.1', 'authority', 'Host: [::1]:8443\r\n'],
    ['OPTIONS * HTTP/1.1', 'asterisk', 'Host: x\r\n'],
  ])('%s is %s-form', (line, form, host) => {
    const { events } = feed(`${line}\r\n${host}\r\n`);
    expect(head(events)).toMatchObject({ target: line.split(' ')[1], targetForm: form });
  });
});

describe('request parser: keep-alive (RFC 9112 §9.3)', () => {
  it.each([
    ['HTTP/1.1', '', true],
    ['HTTP/1.1', 'Connection: close\r\n', false],
    ['HTTP/1.1', 'Connection: Keep-Alive, CLOSE\r\n', false],
    ['HTTP/1.1', 'Connection: upgrade\r\n', true],
    ['HTTP/1.0', '', false],
    ['HTTP/1.0', 'Connection: keep-alive\r\n', true],
    ['HTTP/1.0', 'Connection: keep-alive\r\nConnection: close\r\n', false],
  ])('%s with %j is keepAlive=%s', (version, conn, keepAlive) => {
    const { events, state } = feed(`GET / ${version}\r\n${HOST}${conn}\r\n`);
    expect(head(events)).toMatchObject({ keepAlive, version: version.slice(5) });
    expect(state).toBe(keepAlive ? 'idle' : 'closed');
  });

  it('ignores bytes after a request that closes the connection (RFC 9112 §9.6)', () => {
    const { events, state } = feed(`GET /1 HTTP/1.0\r\n\r\nGET /2 HTTP/1.1\r\n${HOST}\r\ngarbage \x00\x01`);
    expect(events.map((e) => e.type)).toEqual(['head', 'end']);
    expect(state).toBe('closed');
  });
});

interface ErrorCase {
  name: string;
  input: string;
  code: H1ErrorCode;
  /** Offset: a number, or [needle, delta?, nth?] located in input. */
  at: number | [string, number?, number?];
  opts?: { maxHeaderBytes: number; maxHeaders?: number; maxBodyBytes?: number };
  end?: boolean;
}

const R = 'GET / HTTP/1.1\r\n';
const P = `POST / HTTP/1.1\r\n${HOST}`;
const TE = `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n`;

const ERROR_CASES: ErrorCase[] = [
  // line endings (RFC 9112 §2.2)
  { name: 'bare LF ending the request line', input: `GET / HTTP/1.1\n${HOST}\r\n`, code: 'bare-lf', at: 14 },
  { name: 'bare LF ending a field line', input: `${R}Host: a\n\r\n`, code: 'bare-lf', at: ['\n', 0, 2] },
  { name: 'bare LF ending the header section', input: `${R}${HOST}\n`, code: 'bare-lf', at: [`${HOST}\n`, HOST.length] },
  { name: 'bare LF before the request line', input: `\nGET / HTTP/1.1\r\n${HOST}\r\n`, code: 'bare-lf', at: 0 },
  { name: 'bare CR in the request line', input: `GET / HTTP/1.1\rHost: a\r\n\r\n`, code: 'bare-cr', at: 14 },
  { name: 'bare CR inside a field value', input: `${R}Host: a\rX: b\r\n\r\n`, code: 'bare-cr', at: ['a\rX', 1] },
  { name: 'bare CR ending the header section', input: `${R}${HOST}\rX`, code: 'bare-cr', at: [`${HOST}\r`, HOST.length] },
  // request line (RFC 9112 §3)
  { name: 'non-token method', input: `G(T / HTTP/1.1\r\n${HOST}\r\n`, code: 'method-invalid-char', at: 1 },
  { name: 'TLS handshake on a clear-text port', input: '\x16\x03\x01\x02\x00\x01', code: 'method-invalid-char', at: 0 },
  { name: 'two spaces after the method', input: `GET  / HTTP/1.1\r\n${HOST}\r\n`, code: 'request-line-whitespace', at: 4 },
  { name: 'HTAB after the method', input: `GET\t/ HTTP/1.1\r\n${HOST}\r\n`, code: 'request-line-whitespace', at: 3 },
  { name: 'space after the version', input: `GET / HTTP/1.1 \r\n${HOST}\r\n`, code: 'request-line-whitespace', at: 14 },
  { name: 'request line without target', input: `GET\r\n${HOST}\r\n`, code: 'target-missing', at: 3 },
  { name: 'request line with empty target', input: `GET \r\n${HOST}\r\n`, code: 'target-missing', at: 4 },
  { name: 'control character in target', input: `GET /a\x01b HTTP/1.1\r\n${HOST}\r\n`, code: 'target-invalid-char', at: 6 },
  { name: 'non-ASCII byte in target', input: `GET /caf\xe9 HTTP/1.1\r\n${HOST}\r\n`, code: 'target-invalid-char', at: 8 },
  { name: 'fragment in target', input: `GET /a#frag HTTP/1.1\r\n${HOST}\r\n`, code: 'target-fragment', at: 6 },
  { name: 'HTTP/0.9 request line', input: `GET /\r\n\r\n`, code: 'version-missing', at: 5 },
  { name: 'lower-case HTTP name', input: `GET / http/1.1\r\n${HOST}\r\n`, code: 'version-invalid', at: 6 },
  { name: 'non-digit minor version', input: `GET / HTTP/1.x\r\n${HOST}\r\n`, code: 'version-invalid', at: 13 },
  { name: 'two-digit major version', input: `GET / HTTP/11.1\r\n${HOST}\r\n`, code: 'version-invalid', at: 12 },
  { name: 'truncated version', input: `GET / HTTP/1\r\n${HOST}\r\n`, code: 'version-invalid', at: 12 },
  { name: 'HTTP/2.0 on an HTTP/1 connection', input: `GET / HTTP/2.0\r\n${HOST}\r\n`, code: 'version-unsupported', at: 6 },
  { name: 'HTTP/1.2', input: `GET / HTTP/1.2\r\n${HOST}\r\n`, code: 'version-unsupported', at: 6 },
  { name: 'HTTP/0.9 with a version', input: `GET / HTTP/0.9\r\n${HOST}\r\n`, code: 'version-unsupported', at: 6 },
  { name: 'target in no known form', input: `GET index.html HTTP/1.1\r\n${HOST}\r\n`, code: 'target-invalid-form', at: 4 },
  { name: 'asterisk-form with GET', input: `GET * HTTP/1.1\r\n${HOST}\r\n`, code: 'target-asterisk-not-options', at: 4 },
  { name: 'CONNECT with origin-form', input: `CONNECT /x HTTP/1.1\r\n${HOST}\r\n`, code: 'target-connect-not-authority', at: 8 },
  {
    name: 'CONNECT with absolute-form',
    input: `CONNECT http://a.example:80/ HTTP/1.1\r\n${HOST}\r\n`,
    code: 'target-connect-not-authority',
    at: 8,
  },
  { name: 'authority-form with GET', input: `GET a.example:443 HTTP/1.1\r\n${HOST}\r\n`, code: 'target-authority-not-connect', at: 4 },
  { name: 'userinfo in absolute-form', input: `GET http://u:p@a.example/ HTTP/1.1\r\n${HOST}\r\n`, code: 'target-userinfo', at: 4 },
  // field lines (RFC 9112 §5, RFC 9110 §5)
  { name: 'whitespace before the first field', input: `${R} Host: a\r\n\r\n`, code: 'header-leading-whitespace', at: 16 },
  { name: 'obs-fold', input: `${R}${HOST}X-Long: a\r\n  continued\r\n\r\n`, code: 'obs-fold', at: ['\r\n  c', 2] },
  { name: 'obs-fold with HTAB', input: `${R}${HOST}X-Long: a\r\n\tb\r\n\r\n`, code: 'obs-fold', at: ['\tb'] },
  { name: 'empty field name', input: `${R}${HOST}: value\r\n\r\n`, code: 'header-name-empty', at: [': value'] },
  { name: 'separator in field name', input: `${R}${HOST}X(y): 1\r\n\r\n`, code: 'header-name-invalid-char', at: ['(y)'] },
  { name: 'NUL in field name', input: `${R}${HOST}X\x00Y: 1\r\n\r\n`, code: 'header-name-invalid-char', at: ['\x00'] },
  {
    name: 'space between Content-Length and colon',
    input: `${P}Content-Length : 5\r\n\r\nhello`,
    code: 'header-name-whitespace',
    at: [' : 5'],
  },
  {
    name: 'HTAB between Transfer-Encoding and colon',
    input: `${P}Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n`,
    code: 'header-name-whitespace',
    at: ['\t:'],
  },
  { name: 'field line without colon', input: `${R}${HOST}NoColon\r\n\r\n`, code: 'header-missing-colon', at: ['n\r\n\r\n', 1] },
  { name: 'NUL in field value', input: `${R}${HOST}X: a\x00b\r\n\r\n`, code: 'header-value-invalid-char', at: ['\x00'] },
  { name: 'DEL in field value', input: `${R}${HOST}X: a\x7f\r\n\r\n`, code: 'header-value-invalid-char', at: ['\x7f'] },
  { name: 'control character leading a value', input: `${R}${HOST}X: \x0bv\r\n\r\n`, code: 'header-value-invalid-char', at: ['\x0b'] },
  // limits (HAProxy: 400 for both)
  {
    name: 'request line longer than tune.bufsize',
    input: `GET /${'a'.repeat(200)} HTTP/1.1\r\n${HOST}\r\n`,
    code: 'request-line-too-long',
    at: 128,
    opts: { maxHeaderBytes: 128 },
  },
  {
    name: 'header section longer than tune.bufsize',
    input: `${R}${HOST}X: ${'v'.repeat(200)}\r\n\r\n`,
    code: 'headers-too-large',
    at: 128,
    opts: { maxHeaderBytes: 128 },
  },
  {
    name: 'head one byte over tune.bufsize',
    input: `${R}${HOST}X: ${'v'.repeat(100 - R.length - HOST.length - 7)}\r\n\r\n`,
    code: 'headers-too-large',
    at: 99,
    opts: { maxHeaderBytes: 99 },
  },
  {
    name: 'more fields than tune.maxhdr',
    input: `${R}${HOST}A: 1\r\nB: 2\r\nC: 3\r\n\r\n`,
    code: 'too-many-headers',
    at: ['C: 3'],
    opts: { maxHeaderBytes: 1024, maxHeaders: 3 },
  },
  // Content-Length (RFC 9110 §8.6, RFC 9112 §6.3)
  { name: 'non-numeric Content-Length', input: `${P}Content-Length: abc\r\n\r\n`, code: 'content-length-invalid', at: ['Content-Length'] },
  { name: 'negative Content-Length', input: `${P}Content-Length: -1\r\n\r\n`, code: 'content-length-invalid', at: ['Content-Length'] },
  { name: 'signed Content-Length', input: `${P}Content-Length: +5\r\n\r\nhello`, code: 'content-length-invalid', at: ['Content-Length'] },
  { name: 'hex Content-Length', input: `${P}Content-Length: 0x5\r\n\r\nhello`, code: 'content-length-invalid', at: ['Content-Length'] },
  { name: 'empty Content-Length', input: `${P}Content-Length:\r\n\r\n`, code: 'content-length-invalid', at: ['Content-Length'] },
  { name: 'Content-Length with space inside', input: `${P}Content-Length: 1 2\r\n\r\n`, code: 'content-length-invalid', at: ['Content-Length'] },
  { name: 'empty element in Content-Length list', input: `${P}Content-Length: 5,,5\r\n\r\n`, code: 'content-length-invalid', at: ['Content-Length'] },
  {
    name: 'Content-Length beyond 2^53',
    input: `${P}Content-Length: 99999999999999999999\r\n\r\n`,
    code: 'content-length-overflow',
    at: ['Content-Length'],
  },
  {
    name: 'two Content-Length fields that differ',
    input: `${P}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`,
    code: 'content-length-conflict',
    at: ['Content-Length: 6'],
  },
  {
    name: 'Content-Length list that differs',
    input: `${P}Content-Length: 5, 6\r\n\r\nhello!`,
    code: 'content-length-conflict',
    at: ['Content-Length'],
  },
  // Transfer-Encoding (RFC 9112 §6.1, §6.3)
  {
    name: 'Transfer-Encoding in HTTP/1.0',
    input: `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    code: 'te-in-http10',
    at: ['Transfer-Encoding'],
  },
  { name: 'chunked with a parameter', input: `${P}Transfer-Encoding: chunked;q=1\r\n\r\n`, code: 'te-invalid', at: ['Transfer-Encoding'] },
  { name: 'space inside a coding', input: `${P}Transfer-Encoding: chun ked\r\n\r\n`, code: 'te-invalid', at: ['Transfer-Encoding'] },
  { name: 'empty Transfer-Encoding', input: `${P}Transfer-Encoding: ,\r\n\r\n`, code: 'te-invalid', at: ['Transfer-Encoding'] },
  {
    name: 'empty Transfer-Encoding next to chunked',
    input: `${P}Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n\r\n0\r\n\r\n`,
    code: 'te-invalid',
    at: ['Transfer-Encoding', 0, 2],
  },
  {
    name: 'chunked twice in one field',
    input: `${P}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`,
    code: 'te-chunked-repeated',
    at: ['Transfer-Encoding'],
  },
  {
    name: 'chunked twice in two fields',
    input: `${P}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    code: 'te-chunked-repeated',
    at: ['Transfer-Encoding', 0, 2],
  },
  {
    name: 'chunked not the final coding',
    input: `${P}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`,
    code: 'te-chunked-not-final',
    at: ['Transfer-Encoding'],
  },
  { name: 'gzip without chunked', input: `${P}Transfer-Encoding: gzip\r\n\r\n`, code: 'te-chunked-not-final', at: ['Transfer-Encoding'] },
  {
    name: 'unknown coding before chunked (501)',
    input: `${P}Transfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n`,
    code: 'te-unsupported',
    at: ['Transfer-Encoding'],
  },
  {
    name: 'identity before chunked (501)',
    input: `${P}Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    code: 'te-unsupported',
    at: ['Transfer-Encoding'],
  },
  {
    name: 'Transfer-Encoding and Content-Length',
    input: `${P}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    code: 'te-with-content-length',
    at: ['Transfer-Encoding'],
  },
  {
    name: 'Content-Length after Transfer-Encoding',
    input: `${P}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
    code: 'te-with-content-length',
    at: ['Content-Length'],
  },
  // Host (RFC 9112 §3.2)
  { name: 'HTTP/1.1 without Host', input: `${R}Accept: */*\r\n\r\n`, code: 'host-missing', at: ['\r\n\r\n', 2] },
  { name: 'two Host fields', input: `${R}Host: a\r\nhost: b\r\n\r\n`, code: 'host-repeated', at: ['host: b'] },
  { name: 'two identical Host fields', input: `${R}Host: a\r\nHost: a\r\n\r\n`, code: 'host-repeated', at: ['Host', 0, 2] },
  { name: 'Host list', input: `${R}Host: a, b\r\n\r\n`, code: 'host-invalid', at: ['Host'] },
  { name: 'Host with a path', input: `${R}Host: a/b\r\n\r\n`, code: 'host-invalid', at: ['Host'] },
  {
    name: 'Host differing from the absolute-form authority',
    input: `GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n`,
    code: 'host-mismatch',
    at: ['Host'],
  },
  {
    name: 'Host differing from the CONNECT authority',
    input: `CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:8443\r\n\r\n`,
    code: 'host-mismatch',
    at: ['Host'],
  },
  { name: 'non-token Connection option', input: `${R}${HOST}Connection: close;now\r\n\r\n`, code: 'connection-invalid', at: ['Connection'] },
  // chunked framing (RFC 9112 §7.1)
  { name: 'chunk-size not hex', input: `${TE}zz\r\n`, code: 'chunk-size-invalid', at: ['zz'] },
  { name: 'empty chunk-size', input: `${TE}\r\n`, code: 'chunk-size-invalid', at: TE.length },
  { name: 'junk after chunk-size', input: `${TE}5x\r\nhello\r\n0\r\n\r\n`, code: 'chunk-size-invalid', at: ['5x', 1] },
  { name: 'signed chunk-size', input: `${TE}-5\r\n`, code: 'chunk-size-invalid', at: TE.length },
  { name: 'bare LF after chunk-size', input: `${TE}5\nhello\r\n0\r\n\r\n`, code: 'bare-lf', at: ['5\n', 1] },
  {
    name: 'chunk-size beyond 2^53',
    input: `${TE}${'f'.repeat(20)}\r\n`,
    code: 'chunk-size-overflow',
    at: TE.length + 13,
  },
  { name: 'extension without name', input: `${TE}5;\r\nhello\r\n0\r\n\r\n`, code: 'chunk-ext-invalid', at: ['5;\r', 2] },
  { name: 'whitespace after chunk-size', input: `${TE}5 \r\nhello\r\n0\r\n\r\n`, code: 'chunk-ext-invalid', at: ['5 \r', 2] },
  { name: 'two extension names', input: `${TE}5;a b\r\nhello\r\n0\r\n\r\n`, code: 'chunk-ext-invalid', at: ['a b', 2] },
  { name: 'extension without value', input: `${TE}5;a=\r\nhello\r\n0\r\n\r\n`, code: 'chunk-ext-invalid', at: ['a=\r', 2] },
  { name: 'unterminated quoted extension', input: `${TE}5;a="x\r\nhello\r\n0\r\n\r\n`, code: 'chunk-ext-invalid', at: ['x\r', 1] },
  { name: 'control character in extension', input: `${TE}5;a\x01\r\nhello\r\n0\r\n\r\n`, code: 'chunk-ext-invalid', at: ['\x01'] },
  {
    name: 'chunk-size line longer than tune.bufsize',
    input: `${TE}5;${'x'.repeat(300)}\r\nhello\r\n0\r\n\r\n`,
    code: 'chunk-line-too-long',
    at: TE.length + 256,
    opts: { maxHeaderBytes: 256 },
  },
  { name: 'chunk data longer than its size', input: `${TE}5\r\nhelloX\r\n0\r\n\r\n`, code: 'chunk-data-no-crlf', at: ['X'] },
  { name: 'chunk data ended by a bare LF', input: `${TE}5\r\nhello\n0\r\n\r\n`, code: 'chunk-data-no-crlf', at: ['o\n', 1] },
  { name: 'obs-fold in trailers', input: `${TE}0\r\nA: 1\r\n 2\r\n\r\n`, code: 'obs-fold', at: [' 2'] },
  { name: 'invalid trailer name', input: `${TE}0\r\nA B: 1\r\n\r\n`, code: 'header-name-whitespace', at: [' B'] },
  {
    name: 'trailer section longer than tune.bufsize',
    input: `${TE}0\r\nX: ${'t'.repeat(200)}\r\n\r\n`,
    code: 'trailers-too-large',
    at: TE.length + 3 + 128,
    opts: { maxHeaderBytes: 128 },
  },
  // content limit (413)
  {
    name: 'Content-Length above maxBodyBytes',
    input: `${P}Content-Length: 11\r\n\r\nhello world`,
    code: 'body-too-large',
    at: ['Content-Length'],
    opts: { maxHeaderBytes: 1024, maxBodyBytes: 10 },
  },
  {
    name: 'chunked content above maxBodyBytes',
    input: `${TE}5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`,
    code: 'body-too-large',
    at: ['6\r\n'],
    opts: { maxHeaderBytes: 1024, maxBodyBytes: 10 },
  },
  // peer closed mid-request
  { name: 'connection closed inside the head', input: `${R}Host: a`, code: 'truncated-head', at: R.length + 7, end: true },
  { name: 'connection closed inside the body', input: `${P}Content-Length: 5\r\n\r\nhel`, code: 'truncated-body', at: ['hel', 3], end: true },
  { name: 'connection closed inside a chunk', input: `${TE}5\r\nhel`, code: 'truncated-body', at: ['hel', 3], end: true },
  { name: 'connection closed before the trailers end', input: `${TE}0\r\nX: 1\r\n`, code: 'truncated-body', at: `${TE}0\r\nX: 1\r\n`.length, end: true },
];

describe('request parser: refusals (each with its own code and offset)', () => {
  it.each(ERROR_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const err = feedError(c.input, { opts: c.opts ?? OPTS, end: c.end });
    const offset = typeof c.at === 'number' ? c.at : at(c.input, c.at[0], c.at[1] ?? 0, c.at[2] ?? 1);
    expect(err).toEqual({ type: 'error', code: c.code, status: H1_ERRORS[c.code].status, reason: H1_ERRORS[c.code].reason, offset });
  });

  it('answers 501 for unknown codings and 505 for other versions, 400 for the rest', () => {
    expect(feedError(`${P}Transfer-Encoding: br, chunked\r\n\r\n`).status).toBe(501);
    expect(feedError(`GET / HTTP/3.0\r\n${HOST}\r\n`).status).toBe(505);
    expect(feedError(`GET / HTTP/1.1\r\n\r\n`).status).toBe(400);
  });

  it('stays dead after an error', () => {
    const p = createRequestParser(OPTS);
    const first = p.push(bytes(`GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n`));
    expect(first).toHaveLength(1);
    expect(p.state).toBe('error');
    expect(p.lastError).toEqual(first[0]);
    expect(p.push(bytes(`GET / HTTP/1.1\r\n${HOST}\r\n`))).toEqual([]);
    expect(p.end()).toEqual([]);
    expect(p.timeout()).toEqual([]);
  });

  it('refuses a bad request after good pipelined ones, with the stream offset', () => {
    const good = `GET /1 HTTP/1.1\r\n${HOST}\r\n`;
    const input = `${good}${good}GET /3 HTTP/1.1\r\n${HOST}Content-Length: 1\r\nContent-Length: 2\r\n\r\n`;
    const { events } = feed(input);
    expect(events.map((e) => e.type)).toEqual(['head', 'end', 'head', 'end', 'error']);
    expect(events[4]).toMatchObject({ code: 'content-length-conflict', offset: at(input, 'Content-Length: 2') });
    expect(at(input, 'Content-Length: 2')).toBeGreaterThan(2 * good.length);
  });

  it('gives every error code a status and a reason', () => {
    for (const [code, def] of Object.entries(H1_ERRORS)) {
      expect([400, 408, 413, 414, 431, 501, 505], code).toContain(def.status);
      expect(def.reason.length, code).toBeGreaterThan(10);
    }
  });
});

describe('request parser: end() and timeout()', () => {
  it('closes quietly when the peer closes between requests', () => {
    expect(feed(`GET / HTTP/1.1\r\n${HOST}\r\n\r\n`, { end: true })).toEqual({
      events: expect.arrayContaining([{ type: 'end' }]),
      state: 'closed',
    });
    const p = createRequestParser(OPTS);
    expect(p.end()).toEqual([]);
    expect(p.state).toBe('closed');
  });

  it('answers 408 when no first request arrives, like HAProxy without http-ignore-probes', () => {
    const err = feedError('', { timeout: true });
    expect(err).toMatchObject({ status: 408, code: 'request-timeout', offset: 0 });
  });

  it('answers 408 for a head that is not complete in time', () => {
    const input = `GET / HTTP/1.1\r\nHo`;
    expect(feedError(input, { timeout: true })).toMatchObject({ status: 408, offset: input.length });
  });

  it('closes a keep-alive connection silently when the next request does not come', () => {
    const { events, state } = feed(`GET / HTTP/1.1\r\n${HOST}\r\n`, { timeout: true });
    expect(events.map((e) => e.type)).toEqual(['head', 'end']);
    expect(state).toBe('closed');
  });
});

describe('request parser: options', () => {
  it('refuses nonsensical limits with a message naming the setting', () => {
    expect(() => createRequestParser({ maxHeaderBytes: 0 })).toThrow(/tune\.bufsize/);
    expect(() => createRequestParser({ maxHeaderBytes: 1024, maxHeaders: 0 })).toThrow(/tune\.maxhdr/);
  });

  it('defaults tune.maxhdr to 101', () => {
    const fields = Array.from({ length: 101 }, (_, k) => `X-${k}: v\r\n`).join('');
    const err = feedError(`GET / HTTP/1.1\r\n${HOST}${fields}\r\n`, { opts: { maxHeaderBytes: 16384 } });
    expect(err).toMatchObject({ code: 'too-many-headers', offset: at(fields, 'X-100') + 16 + HOST.length });
  });
});

describe('request parser: split-independence on a mixed stream', () => {
  it('gives the same events for 200 random splittings of pipelined traffic', () => {
    const input = bytes(
      `\r\nGET /a HTTP/1.1\r\n${HOST}Cookie: x=1\r\n\r\n` +
        `POST /b HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip, chunked\r\n\r\n` +
        `3;a="b\\"c"\r\nabc\r\n1a\r\n${'z'.repeat(26)}\r\n0\r\nT: v\r\n\r\n` +
        `PUT /c HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nwxyz` +
        `OPTIONS * HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`,
    );
    const ref = (() => {
      const p = createRequestParser(OPTS);
      return normalize(p.push(input));
    })();
    expect(ref.filter((e) => e.type === 'end')).toHaveLength(4);
    for (let seed = 100; seed < 300; seed++) {
      const p = createRequestParser(OPTS);
      const evs: H1Event[] = [];
      for (const c of randomSplits(input, seed, 1 + (seed % 40))) evs.push(...p.push(c));
      expect(normalize(evs)).toEqual(ref);
    }
  });
});
