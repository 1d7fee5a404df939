import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, parse, parseOk, warnings } from '../helpers.ts';

const fe = (...rules: string[]) => `frontend f\n bind :80\n timeout client 1s\n${rules.map((r) => ` ${r}\n`).join('')}`;
const rules = (text: string, cwd?: string) => parseOk(text, cwd ? { cwd } : {}).frontends[0].httpRequestRules;
/** The rules, which must all be `return` rules (narrowed for the type checker). */
const returns = (text: string, cwd?: string) =>
  rules(text, cwd).map((r) => {
    if (r.kind !== 'return') throw new Error(`expected a return rule, got ${r.kind}`);
    return r;
  });

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
    const [r] = returns(fe('http-request return hdr X-A 1 content-type "text/plain; charset=utf-8" string "hello\\n" status 503 hdr X-B "two words"'));
    expect(r).toMatchObject({ status: 503, contentType: 'text/plain; charset=utf-8', bodySource: 'string', headers: [['X-A', '1'], ['X-B', 'two words']] });
    expect(r.body.toString()).toBe('hello\n');
  });
  it('keeps an lf-string as written: the proxy compiles it (proxy/stream/log-format.ts)', () => {
    const r = parse(fe('http-request return content-type text/plain lf-string "id=%[unique-id]"'));
    expect(r.config?.frontends[0].httpRequestRules[0]).toMatchObject({ bodySource: 'lf-string', body: Buffer.from('id=%[unique-id]') });
    expect(warnings(r)).toEqual([]);
  });
  it('reads a file body at parse time, relative to the cwd', () => {
    const [r] = rules(fe('http-request return content-type text/html file page.html'), dir);
    expect(r).toMatchObject({ bodySource: 'file', body: Buffer.from('<h1>hi</h1>\n') });
  });
  it('takes status and headers from an errorfile, dropping framing headers', () => {
    const [r] = returns(fe(`http-request return errorfile ${join(dir, '503.http')}`));
    expect(r).toMatchObject({ status: 503, contentType: 'text/html', bodySource: 'errorfile', headers: [['Retry-After', '30']] });
    expect(r.body.toString()).toBe('busy\n');
  });
  it('ignores content-length/transfer-encoding/content-type given with hdr, with a warning', () => {
    const r = parse(fe('http-request return hdr Content-Length 99 hdr X-Ok 1'));
    expect(r.config?.frontends[0].httpRequestRules[0]).toMatchObject({ headers: [['X-Ok', '1']] });
    expect(warnings(r)[0]).toMatch(/\[t\.cfg:4\] : 'http-request return' : header 'Content-Length' is ignored/);
  });
  it('ignores a content-type without payload, with a warning', () => {
    const r = parse(fe('http-request return status 204 content-type text/plain'));
    expect(r.config?.frontends[0].httpRequestRules[0]).toMatchObject({ status: 204, contentType: undefined });
    expect(warnings(r)).toEqual(["[WARNING] config : parsing [t.cfg:4] : 'http-request return' : 'content-type' is ignored because there is no payload"]);
  });
  it('keeps several rules in order', () => {
    expect(rules(fe('http-request return status 201', 'http-request return status 202')).map((r) => r.kind === 'return' && r.status)).toEqual([201, 202]);
  });
  it('stores an if/unless condition with its words and line', () => {
    const [a, b] = rules(fe('http-request return status 403 if { src 10.0.0.1 } !local', 'http-request return unless TRUE'));
    expect(a).toMatchObject({ kind: 'return', status: 403, cond: { kind: 'if', tokens: ['{', 'src', '10.0.0.1', '}', '!local'], file: 't.cfg', line: 4 } });
    expect(b).toMatchObject({ kind: 'return', status: 200, cond: { kind: 'unless', tokens: ['TRUE'], line: 5 } });
  });
  it('uses the default error page with default-errorfiles', () => {
    const [r] = rules(fe('http-request return status 503 default-errorfiles'));
    expect(r).toEqual({ kind: 'return', status: 503, contentType: undefined, body: Buffer.alloc(0), bodySource: 'default-errorfiles', headers: [], file: 't.cfg', line: 4 });
  });
});

describe('http-request: bad values are alerts at file:line', () => {
  it.each([
    ['http-request tarpit', "'http-request' : unknown action 'tarpit' (or not supported yet), expected one of return, deny, redirect, set-header, add-header, del-header, replace-header, set-path, track-sc0, track-sc1, track-sc2, sc-inc-gpc0, sc-inc-gpc1, sc-set-gpt0."],
    ['http-request', "'http-request' : missing action, expected one of return, deny, redirect, set-header, add-header, del-header, replace-header, set-path, track-sc0, track-sc1, track-sc2, sc-inc-gpc0, sc-inc-gpc1, sc-set-gpt0."],
    ['http-request if TRUE', "'http-request' : missing action, expected one of return, deny, redirect, set-header, add-header, del-header, replace-header, set-path, track-sc0, track-sc1, track-sc2, sc-inc-gpc0, sc-inc-gpc1, sc-set-gpt0."],
    ['http-request return status 199', "'http-request return' : status: value '199' is out of range, expected an integer between 200 and 599."],
    ['http-request return status 600', "'http-request return' : status: value '600' is out of range, expected an integer between 200 and 599."],
    ['http-request return status', "'http-request return' : 'status' expects a status code."],
    ['http-request return status 200 status 201', "'http-request return' : 'status' given twice."],
    ['http-request return string hi', "'http-request return' : a content-type must be given with a non-empty payload (e.g. 'content-type text/plain')."],
    ['http-request return status 204 content-type text/plain string hi', "'http-request return' : status 204 does not allow a payload; remove the payload or use another status."],
    ['http-request return content-type text/plain string a string b', "'http-request return' : 'string' conflicts with 'string': give only one of string, lf-string, file, errorfile or default-errorfiles."],
    ['http-request return content-type text/plain file /nonexistent/x.html', "'http-request return' : cannot read file '/nonexistent/x.html' (ENOENT); check the path, relative paths start from /srv/fb."],
    ['http-request return hdr X-A', "'http-request return' : 'X-A' expects a header name and a value."],
    ['http-request return hdr "bad name" v', "'http-request return' : 'bad name' is not a valid header name (RFC 9110 5.1)."],
    ['http-request return hdr X-A "a\\nb"', "'http-request return' : value of header 'X-A' contains CR, LF or NUL."],
    ['http-request return status 403 if', "'http-request return' : missing condition after 'if' (e.g. 'if { path_beg /api }' or 'if <acl name>')."],
    ['http-request return status if TRUE', "'http-request return' : 'status' expects a status code."],
    ['http-request return unless { src 10.0.0.1', "'http-request return' : missing '}' to close the anonymous ACL opened by '{'."],
    ['http-request return lf-file x', "'http-request return' : 'lf-file' is not supported yet, use string, file or errorfile."],
    ['http-request return stauts 200', "'http-request return' : unknown option 'stauts', expected status, content-type, string, lf-string, file, errorfile, default-errorfiles or hdr."],
    ['http-request return errorfiles site', "'http-request return' : 'errorfiles' is not supported yet, use string, file or errorfile."],
    ['http-request return status 402 default-errorfiles', "'http-request return' : status 402 has no default error page (available: 200, 400, 403, 404, 405, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504); use one of them or give a payload."],
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

describe('http-request header and path actions', () => {
  it('read set-header, add-header, del-header, replace-header and set-path, with values as written', () => {
    expect(
      rules(
        fe(
          'http-request set-header X-Client "%[src]:%[src_port]"',
          'http-request add-header Via "1.1 flightbox"',
          'http-request del-header X-Internal',
          'http-request del-header ^x-debug- -m reg',
          'http-request del-header x-priv -m beg if !trusted',
          'http-request replace-header Cookie foo=([^;]*);(.*) foo=\\1;ip=%bi;\\2',
          'http-request set-path /api%[path]',
        ),
      ),
    ).toEqual([
      { kind: 'set-header', name: 'X-Client', value: '%[src]:%[src_port]', file: 't.cfg', line: 4 },
      { kind: 'add-header', name: 'Via', value: '1.1 flightbox', file: 't.cfg', line: 5 },
      { kind: 'del-header', name: 'X-Internal', match: 'str', file: 't.cfg', line: 6 },
      { kind: 'del-header', name: '^x-debug-', match: 'reg', file: 't.cfg', line: 7 },
      { kind: 'del-header', name: 'x-priv', match: 'beg', cond: { kind: 'if', tokens: ['!trusted'], file: 't.cfg', line: 8 }, file: 't.cfg', line: 8 },
      { kind: 'replace-header', name: 'Cookie', regex: 'foo=([^;]*);(.*)', replacement: 'foo=\\1;ip=%bi;\\2', file: 't.cfg', line: 9 },
      { kind: 'set-path', value: '/api%[path]', file: 't.cfg', line: 10 },
    ]);
  });
  it('accept an empty header value', () => {
    expect(rules(fe('http-request set-header X-Empty ""'))[0]).toMatchObject({ kind: 'set-header', value: '' });
  });
  it.each([
    ['http-request set-header X-A', "'http-request set-header' : missing argument, expected 'http-request set-header <name> <fmt> [if|unless <condition>]'."],
    ['http-request add-header X-A if TRUE', "'http-request add-header' : missing argument, expected 'http-request add-header <name> <fmt> [if|unless <condition>]'."],
    ['http-request set-header "X A" v', "'http-request set-header' : 'X A' is not a valid header name (RFC 9110 5.1)."],
    ['http-request set-header X-A "a\\rb"', "'http-request set-header' : value of header 'X-A' contains CR, LF or NUL."],
    ['http-request set-header X-A v extra', "'http-request set-header' : unexpected argument 'extra', expected 'http-request set-header <name> <fmt> [if|unless <condition>]'."],
    ['http-request del-header', "'http-request del-header' : missing argument, expected 'http-request del-header <name> [-m str|beg|end|sub|reg] [if|unless <condition>]'."],
    ['http-request del-header X -m', "'http-request del-header' : '-m' expects one of str, beg, end, sub, reg."],
    ['http-request del-header X -m found', "'http-request del-header' : '-m' expects one of str, beg, end, sub, reg, got 'found'."],
    ['http-request del-header ([ -m reg', "'http-request del-header' : invalid regex '([': Unterminated character class."],
    ['http-request replace-header X-A ^a', "'http-request replace-header' : missing argument, expected 'http-request replace-header <name> <match-regex> <replace-fmt> [if|unless <condition>]'."],
    ['http-request replace-header X-A ( b', "'http-request replace-header' : invalid regex '(': Unterminated group."],
    ['http-request set-path', "'http-request set-path' : missing argument, expected 'http-request set-path <fmt> [if|unless <condition>]'."],
    ['http-request set-path ""', "'http-request set-path' : the path is empty, expected e.g. '/api%[path]'."],
  ])('rejects %s', (line, message) => {
    expect(alerts(parse(fe(line)))).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });
});

describe('http-request redirect', () => {
  it('reads location, prefix and scheme with HAProxy defaults (code 302)', () => {
    expect(rules(fe('http-request redirect location /moved'))).toEqual([
      {
        kind: 'redirect', type: 'location', value: '/moved', code: 302, dropQuery: false, appendSlash: false, ignoreEmpty: false,
        setCookie: undefined, clearCookie: undefined, file: 't.cfg', line: 4,
      },
    ]);
  });
  it('reads every option, in any order, before the condition', () => {
    const [r] = rules(fe('http-request redirect code 301 prefix https://example.com drop-query append-slash set-cookie SEEN=1 if !seen'));
    expect(r).toMatchObject({
      kind: 'redirect', type: 'prefix', value: 'https://example.com', code: 301, dropQuery: true, appendSlash: true, setCookie: 'SEEN=1',
      cond: { kind: 'if', tokens: ['!seen'] },
    });
    const [s] = rules(fe('http-request redirect scheme https code 308 ignore-empty clear-cookie USERID= unless { ssl_fc }'));
    expect(s).toMatchObject({ type: 'scheme', value: 'https', code: 308, ignoreEmpty: true, clearCookie: 'USERID=', cond: { kind: 'unless' } });
  });
  it.each([301, 302, 303, 307, 308])('accepts code %i', (code) => {
    expect(rules(fe(`http-request redirect location / code ${code}`))[0]).toMatchObject({ code });
  });
  it.each([
    ['http-request redirect', "'http-request redirect' : missing redirect type, expected 'location <url>', 'prefix <prefix>' or 'scheme <scheme>'."],
    ['http-request redirect code 301 if TRUE', "'http-request redirect' : missing redirect type, expected 'location <url>', 'prefix <prefix>' or 'scheme <scheme>'."],
    ['http-request redirect location', "'http-request redirect' : missing argument, expected 'http-request redirect location <value>'."],
    ['http-request redirect location / prefix /x', "'http-request redirect' : 'prefix' conflicts with 'location': give only one of location, prefix or scheme."],
    ['http-request redirect location / code 304', "'http-request redirect' : unsupported HTTP code '304', expected 301, 302, 303, 307 or 308."],
    ['http-request redirect location / code', "'http-request redirect' : unsupported HTTP code '', expected 301, 302, 303, 307 or 308."],
    ['http-request redirect location / set-cookie', "'http-request redirect' : missing argument, expected 'http-request redirect ... set-cookie <name>[=value]'."],
    ['http-request redirect location / set-cookie "a b"', "'http-request redirect' : invalid cookie 'a b' after 'set-cookie', expected NAME or NAME=value."],
    ['http-request redirect location / keep-query', "'http-request redirect' : unknown option 'keep-query', expected location|prefix|scheme <value>, code <code>, drop-query, append-slash, ignore-empty, set-cookie or clear-cookie."],
    ['http-request redirect location / if', "'http-request redirect' : missing condition after 'if' (e.g. 'if { path_beg /api }' or 'if <acl name>')."],
  ])('rejects %s', (line, message) => {
    expect(alerts(parse(fe(line)))).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });
});

describe('http-response', () => {
  const resp = (text: string) => parseOk(text).frontends[0].httpResponseRules;
  it('reads set-header, add-header, del-header, replace-header and deny, in order', () => {
    expect(
      resp(
        fe(
          'http-response set-header Strict-Transport-Security "max-age=31536000"',
          'http-response add-header X-Served-By flightbox',
          'http-response del-header Server',
          'http-response replace-header Location ^http://(.*) https://\\1',
          'http-response deny if { status 500 }',
        ),
      ),
    ).toEqual([
      { kind: 'set-header', name: 'Strict-Transport-Security', value: 'max-age=31536000', file: 't.cfg', line: 4 },
      { kind: 'add-header', name: 'X-Served-By', value: 'flightbox', file: 't.cfg', line: 5 },
      { kind: 'del-header', name: 'Server', match: 'str', file: 't.cfg', line: 6 },
      { kind: 'replace-header', name: 'Location', regex: '^http://(.*)', replacement: 'https://\\1', file: 't.cfg', line: 7 },
      {
        kind: 'deny', status: 502, contentType: undefined, body: Buffer.alloc(0), bodySource: 'default-errorfiles', headers: [],
        cond: { kind: 'if', tokens: ['{', 'status', '500', '}'], file: 't.cfg', line: 8 }, file: 't.cfg', line: 8,
      },
    ]);
  });
  it('keeps request and response rules apart', () => {
    const f = parseOk(fe('http-response del-header Server', 'http-request del-header X-A')).frontends[0];
    expect([f.httpRequestRules.map((r) => r.kind), f.httpResponseRules.map((r) => r.kind)]).toEqual([['del-header'], ['del-header']]);
  });
  it.each([
    ['http-response', "'http-response' : missing action, expected one of set-header, add-header, del-header, replace-header, deny."],
    ['http-response return status 200', "'http-response' : unknown action 'return' (or not supported yet), expected one of set-header, add-header, del-header, replace-header, deny."],
    ['http-response set-path /x', "'http-response' : unknown action 'set-path' (or not supported yet), expected one of set-header, add-header, del-header, replace-header, deny."],
    ['http-response set-header X-A', "'http-response set-header' : missing argument, expected 'http-response set-header <name> <fmt> [if|unless <condition>]'."],
    ['http-response deny status 418', "'http-response deny' : status 418 has no default error page (available: 200, 400, 403, 404, 405, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504); use one of them or give a payload."],
  ])('rejects %s', (line, message) => {
    expect(alerts(parse(fe(line)))).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });
  it('is not allowed in defaults', () => {
    expect(alerts(parse('defaults\n http-response del-header Server\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : 'http-response' not allowed in 'defaults' section; write it in a 'frontend', 'backend' or 'listen' section.",
    ]);
  });
});
