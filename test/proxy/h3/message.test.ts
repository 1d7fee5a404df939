/** proxy/h3/message.ts: HTTP/3 message rules (RFC 9114 §4.1.2, §4.2, §4.3). */
import { describe, expect, it } from 'vitest';
import { checkRequestHeaders, checkTrailers, fieldSectionSize, parseContentLength, responseFieldLines } from '../../../proxy/h3/message.ts';

describe('HTTP/3 message rules', () => {
  it('accepts a request with Host instead of :authority, OPTIONS *, and TE: trailers', () => {
    const r = checkRequestHeaders([
      { name: ':method', value: 'OPTIONS' },
      { name: ':scheme', value: 'http' },
      { name: ':path', value: '*' },
      { name: 'host', value: 'a' },
      { name: 'te', value: 'trailers' },
      { name: 'content-length', value: '0, 0' },
    ]);
    expect(r).toEqual({ ok: true, request: { method: 'OPTIONS', scheme: 'http', path: '*', contentLength: 0, headers: [{ name: 'host', value: 'a' }, { name: 'te', value: 'trailers' }, { name: 'content-length', value: '0, 0' }] } });
  });

  it('rejects bad names, values and content-length', () => {
    const base = [{ name: ':method', value: 'GET' }, { name: ':scheme', value: 'https' }, { name: ':authority', value: 'a' }, { name: ':path', value: '/' }];
    for (const f of [{ name: 'x y', value: '1' }, { name: 'x', value: 'a\r\nb' }, { name: 'content-length', value: '1, 2' }, { name: 'content-length', value: '-1' }, { name: 'keep-alive', value: '1' }, { name: 'upgrade', value: 'h2c' }]) {
      expect(checkRequestHeaders([...base, f]).ok, f.name).toBe(false);
    }
    expect(checkRequestHeaders([...base.slice(0, 3), { name: ':path', value: 'x' }]).ok).toBe(false);
    expect(checkRequestHeaders([...base, { name: ':protocol', value: 'websocket' }]).ok).toBe(false);
  });

  it('trailers carry no pseudo-header fields', () => {
    expect(checkTrailers([{ name: 'x', value: '1' }])).toBeUndefined();
    expect(checkTrailers([{ name: ':status', value: '1' }])).toMatch(/pseudo-header/);
  });

  it('response fields: :status first, names lowercased, connection-specific fields dropped', () => {
    expect(responseFieldLines(418, [{ name: 'X-A', value: '1' }, { name: 'Transfer-Encoding', value: 'chunked' }, { name: 'Set-Cookie', value: 'a', neverIndex: true }])).toEqual([
      { name: ':status', value: '418' },
      { name: 'x-a', value: '1' },
      { name: 'set-cookie', value: 'a', neverIndex: true },
    ]);
    expect(fieldSectionSize([{ name: 'ab', value: 'cde' }])).toBe(37);
    expect(parseContentLength('12')).toBe(12);
    expect(parseContentLength('')).toBeUndefined();
  });
});
