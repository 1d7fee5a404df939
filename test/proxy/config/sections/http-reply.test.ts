import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, parse, parseOk, warnings } from '../helpers.ts';

const fe = (...rules: string[]) => `frontend f\n bind :80\n timeout client 1s\n${rules.map((r) => ` ${r}\n`).join('')}`;
const rules = (text: string, cwd?: string) => parseOk(text, cwd ? { cwd } : {}).frontends[0].httpRequestRules;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-reply-'));
  writeFileSync(join(dir, '429.http'), 'HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nRetry-After: 5\r\n\r\nslow down\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('http-request deny', () => {
  it("answers HAProxy's default 403 page when given no option", () => {
    expect(rules(fe('http-request deny'))).toEqual([
      { kind: 'deny', status: 403, contentType: undefined, body: Buffer.alloc(0), bodySource: 'default-errorfiles', headers: [], file: 't.cfg', line: 4 },
    ]);
  });
  it('takes the status from deny_status or status, still with the default page', () => {
    const [a, b] = rules(fe('http-request deny deny_status 429 if { sc_http_req_rate(0) gt 10 }', 'http-request deny status 503'));
    expect(a).toMatchObject({ kind: 'deny', status: 429, bodySource: 'default-errorfiles', cond: { kind: 'if', tokens: ['{', 'sc_http_req_rate(0)', 'gt', '10', '}'] } });
    expect(b).toMatchObject({ kind: 'deny', status: 503, bodySource: 'default-errorfiles' });
  });
  it("accepts http-request return's payload options for a custom reply", () => {
    const [r] = rules(fe('http-request deny deny_status 403 content-type text/plain string "go away" hdr X-Reason blocked unless ok'));
    expect(r).toMatchObject({ kind: 'deny', status: 403, contentType: 'text/plain', bodySource: 'string', headers: [['X-Reason', 'blocked']], cond: { kind: 'unless' } });
    expect(r.kind === 'deny' && r.body.toString()).toBe('go away');
  });
  it('with only headers, sends an empty reply with them (not the default page)', () => {
    expect(rules(fe('http-request deny hdr X-A 1'))[0]).toMatchObject({ status: 403, bodySource: 'none', headers: [['X-A', '1']] });
  });
  it('takes status and headers from an errorfile', () => {
    const [r] = rules(fe(`http-request deny errorfile ${join(dir, '429.http')}`));
    expect(r).toMatchObject({ kind: 'deny', status: 429, contentType: 'text/plain', bodySource: 'errorfile', headers: [['Retry-After', '5']] });
  });
  it('warns that content-type and hdr are ignored with default-errorfiles', () => {
    const r = parse(fe('http-request deny status 403 default-errorfiles hdr X-A 1'));
    expect(r.config?.frontends[0].httpRequestRules[0]).toMatchObject({ bodySource: 'default-errorfiles', headers: [] });
    expect(warnings(r)).toContain("[WARNING] config : parsing [t.cfg:4] : 'http-request deny' : 'content-type' and 'hdr' are ignored with the default error page");
  });
  it.each([
    ['http-request deny deny_status 418', "'http-request deny' : status 418 has no default error page (available: 200, 400, 403, 404, 405, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504); use one of them or give a payload."],
    ['http-request deny deny_status 199', "'http-request deny' : status: value '199' is out of range, expected an integer between 200 and 599."],
    ['http-request deny deny_status', "'http-request deny' : 'deny_status' expects a status code."],
    ['http-request deny status 403 deny_status 429', "'http-request deny' : 'deny_status' given twice."],
    ['http-request deny string nope', "'http-request deny' : a content-type must be given with a non-empty payload (e.g. 'content-type text/plain')."],
    ['http-request deny status 404 if', "'http-request deny' : missing condition after 'if' (e.g. 'if { path_beg /api }' or 'if <acl name>')."],
    ['http-request deny reason x', "'http-request deny' : unknown option 'reason', expected status, deny_status, content-type, string, lf-string, file, errorfile, default-errorfiles or hdr."],
  ])('rejects %s', (line, message) => {
    expect(alerts(parse(fe(line)))).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });
  it('is checked against tune.bufsize like return, for requests and responses', () => {
    const big = 'x'.repeat(2000);
    const text = `global\n tune.bufsize 1k\n${fe(`http-request deny content-type text/plain string ${big}`, `http-response deny content-type text/plain string ${big}`)}`;
    expect(alerts(parse(text))).toEqual([
      "[ALERT] config : parsing [t.cfg:6] : 'http-request deny' : the payload is 2000 bytes, larger than tune.bufsize (1024); raise 'tune.bufsize' in the global section or shorten the payload.",
      "[ALERT] config : parsing [t.cfg:7] : 'http-response deny' : the payload is 2000 bytes, larger than tune.bufsize (1024); raise 'tune.bufsize' in the global section or shorten the payload.",
    ]);
  });
});
