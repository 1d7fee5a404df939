import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, parse, parseOk, warnings } from '../helpers.ts';

const fe = (...rules: string[]) => `frontend f\n bind :80\n timeout client 1s\n${rules.map((r) => ` ${r}\n`).join('')}`;
const rules = (text: string, cwd?: string) => parseOk(text, cwd ? { cwd } : {}).frontends[0].httpRequestRules;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-return-'));
  writeFileSync(join(dir, 'page.html'), '<h1>hi</h1>\n');
  writeFileSync(join(dir, '503.http'), 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: 5\r\nRetry-After: 30\r\nConnection: close\r\n\r\nbusy\n');
  writeFileSync(join(dir, 'bad.http'), 'hello, no status line\r\n\r\n');
  writeFileSync(join(dir, 'big.txt'), Buffer.alloc(20_000, 'a'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('http-request return: accepted forms', () => {
  it('defaults to status 200 with an empty body', () => {
    expect(rules(fe('http-request return'))).toEqual([
      { kind: 'return', status: 200, contentType: undefined, body: Buffer.alloc(0), bodySource: 'none', headers: [], file: 't.cfg', line: 4 },
    ]);
  });
  it('reads status, content-type, string body and headers in any order', () => {
    const [r] = rules(fe('http-request return hdr X-A 1 content-type "text/plain; charset=utf-8" string "hello\\n" status 503 hdr X-B "two words"'));
    expect(r).toMatchObject({ status: 503, contentType: 'text/plain; charset=utf-8', bodySource: 'string', headers: [['X-A', '1'], ['X-B', 'two words']] });
    expect(r.body.toString()).toBe('hello\n');
  });
  it('keeps an lf-string verbatim and warns that log-format is not evaluated', () => {
    const r = parse(fe('http-request return content-type text/plain lf-string "id=%[unique-id]"'));
    expect(r.config?.frontends[0].httpRequestRules[0]).toMatchObject({ bodySource: 'lf-string', body: Buffer.from('id=%[unique-id]') });
    expect(warnings(r)).toEqual([
      "[WARNING] config : parsing [t.cfg:4] : 'http-request return' : log-format expressions in 'lf-string' are not evaluated yet, the text is sent as written",
    ]);
  });
  it('reads a file body at parse time, relative to the cwd', () => {
    const [r] = rules(fe('http-request return content-type text/html file page.html'), dir);
    expect(r).toMatchObject({ bodySource: 'file', body: Buffer.from('<h1>hi</h1>\n') });
  });
  it('takes status and headers from an errorfile, dropping framing headers', () => {
    const [r] = rules(fe(`http-request return errorfile ${join(dir, '503.http')}`));
    expect(r).toMatchObject({ status: 503, contentType: 'text/html', bodySource: 'errorfile', headers: [['Retry-After', '30']] });
    expect(r.body.toString()).toBe('busy\n');
  });
  it('ignores content-length/transfer-encoding/content-type given with hdr, with a warning', () => {
    const r = parse(fe('http-request return hdr Content-Length 99 hdr X-Ok 1'));
    expect(r.config?.frontends[0].httpRequestRules[0].headers).toEqual([['X-Ok', '1']]);
    expect(warnings(r)[0]).toMatch(/\[t\.cfg:4\] : 'http-request return' : header 'Content-Length' is ignored/);
  });
  it('ignores a content-type without payload, with a warning', () => {
    const r = parse(fe('http-request return status 204 content-type text/plain'));
    expect(r.config?.frontends[0].httpRequestRules[0]).toMatchObject({ status: 204, contentType: undefined });
    expect(warnings(r)).toEqual(["[WARNING] config : parsing [t.cfg:4] : 'http-request return' : 'content-type' is ignored because there is no payload"]);
  });
  it('keeps several rules in order', () => {
    expect(rules(fe('http-request return status 201', 'http-request return status 202')).map((r) => r.status)).toEqual([201, 202]);
  });
});

describe('http-request: bad values are alerts at file:line', () => {
  it.each([
    ['http-request deny', "'http-request' : unknown action 'deny', only 'return' is supported for now (e.g. 'http-request return status 200 content-type text/plain string ok')."],
    ['http-request', "'http-request' : no action, only 'return' is supported for now (e.g. 'http-request return status 200 content-type text/plain string ok')."],
    ['http-request return status 199', "'http-request return' : status: value '199' is out of range, expected an integer between 200 and 599."],
    ['http-request return status 600', "'http-request return' : status: value '600' is out of range, expected an integer between 200 and 599."],
    ['http-request return status', "'http-request return' : 'status' expects a status code."],
    ['http-request return status 200 status 201', "'http-request return' : 'status' given twice."],
    ['http-request return string hi', "'http-request return' : a content-type must be given with a non-empty payload (e.g. 'content-type text/plain')."],
    ['http-request return status 204 content-type text/plain string hi', "'http-request return' : status 204 does not allow a payload; remove the payload or use another status."],
    ['http-request return content-type text/plain string a string b', "'http-request return' : 'string' conflicts with 'string': give only one of string, lf-string, file or errorfile."],
    ['http-request return content-type text/plain file /nonexistent/x.html', "'http-request return' : cannot read file '/nonexistent/x.html' (ENOENT); check the path, relative paths start from /srv/fb."],
    ['http-request return hdr X-A', "'http-request return' : 'X-A' expects a header name and a value."],
    ['http-request return hdr "bad name" v', "'http-request return' : 'bad name' is not a valid header name (RFC 9110 5.1)."],
    ['http-request return hdr X-A "a\\nb"', "'http-request return' : value of header 'X-A' contains CR, LF or NUL."],
    ['http-request return status 403 if { src 10.0.0.1 }', "'http-request return' : conditions ('if'/'unless') are not supported yet; remove the condition."],
    ['http-request return unless TRUE', "'http-request return' : conditions ('if'/'unless') are not supported yet; remove the condition."],
    ['http-request return lf-file x', "'http-request return' : 'lf-file' is not supported yet, use string, file or errorfile."],
    ['http-request return stauts 200', "'http-request return' : unknown option 'stauts', expected status, content-type, string, lf-string, file, errorfile or hdr."],
  ])('%s', (line, message) => {
    const r = parse(fe(line));
    expect(alerts(r)).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
    expect(r.config).toBeUndefined();
  });
  it('rejects an errorfile that is not an HTTP response', () => {
    expect(alerts(parse(fe(`http-request return errorfile ${join(dir, 'bad.http')}`)))).toEqual([
      `[ALERT] config : parsing [t.cfg:4] : 'http-request return' : errorfile '${join(dir, 'bad.http')}' is not an HTTP response: first line should be 'HTTP/1.x <code> <reason>'.`,
    ]);
  });
  it('rejects a payload larger than tune.bufsize, even when tune.bufsize comes later', () => {
    const text = `${fe('http-request return content-type text/plain file big.txt')}global\n tune.bufsize 16k\n`;
    expect(alerts(parse(text, { cwd: dir }))).toEqual([
      "[ALERT] config : parsing [t.cfg:4] : 'http-request return' : the payload is 20000 bytes, larger than tune.bufsize (16384); raise 'tune.bufsize' in the global section or shorten the payload.",
    ]);
    expect(alerts(parse(`${text} tune.bufsize 32k\n`, { cwd: dir }))).toEqual([]);
  });
});
