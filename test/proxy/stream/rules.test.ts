import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import type { Config, FrontendConfig } from '../../../proxy/config/config.types.ts';
import { createRequestParser } from '../../../proxy/h1/parser.ts';
import type { H1HeadEvent } from '../../../proxy/h1/h1.types.ts';
import type { ConnectionFacts } from '../../../proxy/acl/context.ts';
import { routerFor } from '../../../proxy/stream/backend-runtime.ts';
import {
  aclErrors,
  addForwardedFor,
  backendRulesFor,
  compileRules,
  decideRequest,
  expandBackrefs,
  renderReply,
  replacePath,
  runRequestRules,
  runResponseRules,
  runConnectionRules,
  runStickRules,
  storeStickServer,
  checkStickReferences,
  type RuleReply,
} from '../../../proxy/stream/rules.ts';
import { attachStickTables, createStickTableBuffers } from '../../../proxy/stick/registry.ts';
import { TrackCounters } from '../../../proxy/stick/track.ts';
import { parseStickKey } from '../../../proxy/stick/key.ts';

function config(lines: string[], backend: string[] = []): Config {
  const text = ['frontend f', '    timeout client 5s', '    bind 127.0.0.1:8080', ...lines.map((l) => `    ${l}`), ...backend, ''].join('\n');
  const r = parseConfigText('t.cfg', text, { env: {}, cwd: process.cwd() });
  expect(r.alerts.map((a) => a.formatted)).toEqual([]);
  return r.config!;
}
const fe = (lines: string[]): FrontendConfig => config(lines).frontends[0];

/** Parses a request head with the real parser; `Host: h` is added when the text has none. */
function head(raw: string): H1HeadEvent {
  if (!/\nhost:/i.test(raw)) raw = raw.replace('\n', '\nHost: h\n');
  const evs = createRequestParser({ maxHeaderBytes: 16384 }).push(Buffer.from(raw.replace(/\n/g, '\r\n') + '\r\n', 'latin1'));
  const h = evs.find((e) => e.type === 'head');
  if (!h || h.type !== 'head') throw new Error(`no head in ${JSON.stringify(evs)}`);
  return h;
}
const facts: ConnectionFacts = { src: '192.0.2.10', srcPort: 50000, dstPort: 8080, ssl: false };

function run(lines: string[], raw: string, f: ConnectionFacts = facts): { reply: RuleReply | undefined; head: H1HeadEvent } {
  const c = compileRules(fe(lines));
  expect(c.errors).toEqual([]);
  const h = head(raw);
  return { reply: runRequestRules(c, h, f), head: h };
}
const text = (r: RuleReply | undefined, headReq = false, keepAlive = true): string =>
  Buffer.concat(renderReply(r!, headReq, keepAlive).bytes).toString('latin1');

describe('http-request rules', () => {
  it('deny answers 403 with HAProxy\'s error page; deny_status picks the status', () => {
    const r = run(['http-request deny'], 'GET / HTTP/1.1\nHost: a\n');
    expect(r.reply).toMatchObject({ kind: 'error-page', status: 403 });
    expect(text(r.reply)).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*connection: close\r\n\r\n<html><body><h1>403 Forbidden<\/h1>/);
    expect(renderReply(r.reply!, false, true).close).toBe(true);
    expect(run(['http-request deny deny_status 429'], 'GET / HTTP/1.1\n').reply).toMatchObject({ status: 429 });
  });

  it('deny with a payload sends it and closes', () => {
    const r = run(['http-request deny status 401 content-type text/plain string nope'], 'GET / HTTP/1.1\n');
    const t = text(r.reply);
    expect(t).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(t).toContain('content-type: text/plain\r\n');
    expect(t).toContain('connection: close\r\n');
    expect(t.endsWith('\r\n\r\nnope')).toBe(true);
  });

  it('return sends its payload and keeps the connection; lf-string and hdr values are log-format', () => {
    const r = run(['http-request return status 200 content-type text/plain lf-string "you are %[src] on %[path]" hdr X-Port %[dst_port]'], 'GET /p HTTP/1.1\n');
    const t = text(r.reply);
    expect(t).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(t).toContain('x-port: 8080\r\n'.replace('x-port', 'X-Port'));
    expect(t).not.toContain('connection: close');
    expect(t.endsWith('you are 192.0.2.10 on /p')).toBe(true);
    expect(text(r.reply, true).endsWith('\r\n\r\n')).toBe(true); // HEAD: no content
  });

  it('conditions: if/unless with named, negated and anonymous ACLs', () => {
    const rules = ['acl adm path_beg /admin', 'acl lan src 10.0.0.0/8', 'http-request deny if adm !lan', 'http-request deny deny_status 405 unless { method GET HEAD }'];
    expect(run(rules, 'GET /admin HTTP/1.1\n').reply).toMatchObject({ status: 403 });
    expect(run(rules, 'GET /admin HTTP/1.1\n', { ...facts, src: '10.1.2.3' }).reply).toBeUndefined();
    expect(run(rules, 'GET /x HTTP/1.1\n').reply).toBeUndefined();
    expect(run(rules, 'POST /x HTTP/1.1\nContent-Length: 0\n').reply).toMatchObject({ status: 405 });
  });

  it('the first terminal rule whose condition holds wins; later rules do not run', () => {
    const r = run(
      [
        'http-request set-header X-Step 1',
        'http-request deny deny_status 410 if { path /gone }',
        'http-request return status 200 content-type text/plain string first',
        'http-request deny',
        'http-request set-header X-Step 2',
      ],
      'GET /here HTTP/1.1\n',
    );
    expect(r.reply).toMatchObject({ kind: 'message', status: 200 });
    expect(r.head.getAll('x-step')).toEqual(['1']);
    expect(run(['http-request deny deny_status 410 if { path /gone }', 'http-request deny'], 'GET /gone HTTP/1.1\n').reply).toMatchObject({ status: 410 });
  });

  it('set-header replaces every occurrence (its value computed first), add-header appends', () => {
    const r = run(
      ['http-request set-header X-A "was %[req.hdr(x-a)]"', 'http-request add-header X-B two', 'http-request set-header X-Client %[src]:%[dst_port]'],
      'GET / HTTP/1.1\nX-A: 1\nX-B: one\nx-a: 2\n',
    );
    expect(r.reply).toBeUndefined();
    expect(r.head.getAll('x-a')).toEqual(['was 2']);
    expect(r.head.getAll('x-b')).toEqual(['one', 'two']);
    expect(r.head.get('x-client')).toBe('192.0.2.10:8080');
  });

  it('del-header with -m str, beg, sub and reg (names ignore case)', () => {
    const raw = 'GET / HTTP/1.1\nX-Secret-A: 1\nx-secret-b: 2\nKeep: 3\nX-Trace-Id: 4\nCookie: c\n';
    expect(run(['http-request del-header cookie'], raw).head.has('cookie')).toBe(false);
    const beg = run(['http-request del-header x-secret -m beg'], raw).head;
    expect(beg.headers.map((h) => h[0])).toEqual(['Host', 'Keep', 'X-Trace-Id', 'Cookie']);
    expect(run(['http-request del-header trace -m sub'], raw).head.has('x-trace-id')).toBe(false);
    expect(run(['http-request del-header ^x-.*-(a|b)$ -m reg'], raw).head.headers.map((h) => h[0])).toEqual(['Host', 'Keep', 'X-Trace-Id', 'Cookie']);
  });

  it('replace-header replaces each whole matching value with back-references', () => {
    const r = run(['http-request replace-header X-Host ^([^:]*):80$ \\1', 'http-request replace-header Cookie foo=([^;]*);(.*) foo=\\1;ip=%[src];\\2'], 'GET / HTTP/1.1\nX-Host: a:80\nX-Host: b:81\nCookie: foo=bar; x=1, y=2\n');
    expect(r.head.getAll('x-host')).toEqual(['a', 'b:81']);
    expect(r.head.get('cookie')).toBe('foo=bar;ip=192.0.2.10; x=1, y=2');
  });

  it('set-path keeps the query string, and later conditions see the new path', () => {
    const r = run(['http-request set-path /v2%[path]', 'http-request return status 200 content-type text/plain string moved if { path_beg /v2/ }'], 'GET /api?q=1 HTTP/1.1\n');
    expect(r.head.target).toBe('/v2/api?q=1');
    expect(r.reply).toMatchObject({ status: 200 });
    expect(replacePath('http://h:81/a/b?x', '/c')).toBe('http://h:81/c?x');
    expect(replacePath('/a', '/b')).toBe('/b');
  });

  it('redirect location, prefix (drop-query, append-slash), scheme, code and cookies', () => {
    const loc = text(run(['http-request redirect location https://example.org/%[path]'], 'GET /x HTTP/1.1\n').reply);
    expect(loc).toMatch(/^HTTP\/1\.1 302 Found\r\n/);
    expect(loc).toContain('location: https://example.org//x\r\n');
    expect(loc).toContain('cache-control: no-cache\r\n');
    expect(loc).toContain('content-length: 0\r\n');
    const pre = text(run(['http-request redirect prefix /new code 301 drop-query append-slash'], 'GET /dir?a=1 HTTP/1.1\n').reply);
    expect(pre).toMatch(/^HTTP\/1\.1 301 Moved Permanently\r\n/);
    expect(pre).toContain('location: /new/dir/\r\n');
    expect(pre).not.toContain('cache-control');
    const keepQuery = text(run(['http-request redirect prefix https://b.example'], 'GET /d?a=1 HTTP/1.1\n').reply);
    expect(keepQuery).toContain('location: https://b.example/d?a=1\r\n');
    const sch = text(run(['http-request redirect scheme https code 308 set-cookie SEEN=1'], 'GET /s?q HTTP/1.1\nHost: www.example.com\n').reply);
    expect(sch).toMatch(/^HTTP\/1\.1 308 Permanent Redirect\r\n/);
    expect(sch).toContain('location: https://www.example.com/s?q\r\n');
    expect(sch).toContain('set-cookie: SEEN=1; path=/;\r\n');
  });

  it('redirect ignore-empty skips the rule when the value is empty', () => {
    const r = run(['http-request redirect location %[req.hdr(x-to)] ignore-empty', 'http-request deny deny_status 404'], 'GET / HTTP/1.1\nX-To: /there\n');
    expect(text(r.reply)).toContain('location: /there\r\n');
    // A missing sample renders '-', which is not empty: HAProxy redirects to '-' too.
    expect(run(['http-request redirect location %[query] ignore-empty', 'http-request deny deny_status 404'], 'GET /?x HTTP/1.1\n').reply).toMatchObject({ status: 302 });
  });

  it('compile errors are listed with HAProxy\'s wording and the rule is left out', () => {
    const c = compileRules(fe(['http-request deny if nope', 'http-request set-header X %ci', 'http-request set-header Y ok']));
    expect(c.errors.map((e) => [e.ref.line, e.message])).toEqual([
      [4, "error detected while parsing an 'http-request deny' condition : no such ACL : 'nope'."],
      [5, expect.stringMatching(/^error detected while parsing 'http-request set-header' rule : failed to parse log-format '%ci' : /)],
    ]);
    expect(c.request).toHaveLength(1);
  });
});

describe('http-response rules', () => {
  it('header actions rewrite the response; deny answers 502 by default; conditions see the request', () => {
    const c = compileRules(
      fe([
        'http-response set-header X-Status %[status]',
        'http-response add-header X-Path %[path]',
        'http-response del-header server',
        'http-response replace-header Location ^http://(.*)$ https://\\1',
        'http-response deny if { path /private }',
      ]),
    );
    expect(c.errors).toEqual([]);
    const res = { status: 301, headers: [['Server', 'x'], ['Location', 'http://h/p']] as [string, string][] };
    expect(runResponseRules([undefined, c], head('GET /pub HTTP/1.1\n'), facts, res)).toBeUndefined();
    expect(res.headers).toEqual([['Location', 'https://h/p'], ['X-Status', '301'], ['X-Path', '/pub']]);
    const denied = runResponseRules([c], head('GET /private HTTP/1.1\n'), facts, { status: 200, headers: [] });
    expect(denied).toMatchObject({ kind: 'error-page', status: 502 });
  });

  it('the backend\'s rules run before the frontend\'s', () => {
    const be = compileRules({ name: 'be', httpResponseRules: fe(['http-response set-header X-Order be']).httpResponseRules });
    const f = compileRules(fe(['http-response add-header X-Order fe', 'http-response deny deny_status 503 if { path /stop }']));
    const res = { status: 200, headers: [] as [string, string][] };
    runResponseRules([be, f], head('GET / HTTP/1.1\n'), facts, res);
    expect(res.headers).toEqual([['X-Order', 'be'], ['X-Order', 'fe']]);
    expect(runResponseRules([be, f], head('GET /stop HTTP/1.1\n'), facts, { status: 200, headers: [] })).toMatchObject({ status: 503 });
  });
});

describe('backend rules (acl, http-request, http-response in backend and listen sections)', () => {
  const cfg = config(
    [
      'http-request set-header X-Step fe',
      'use_backend app if { path_beg /app }',
      'use_backend l if { path_beg /l }',
      'default_backend be',
    ],
    [
      'backend be',
      '    timeout connect 1s',
      '    timeout server 1s',
      '    option forwardfor',
      '    acl is_x path_beg /x',
      '    acl from_fe req.hdr(x-step) -m str fe',
      '    http-request deny deny_status 429 if is_x from_fe',
      '    http-request add-header X-Step be',
      '    http-response set-header X-Be-Resp %[status]',
      '    server s 127.0.0.1:9',
      'backend app',
      '    timeout connect 1s',
      '    timeout server 1s',
      '    server s 127.0.0.1:9',
      'listen l',
      '    bind 127.0.0.1:8081',
      '    timeout client 1s',
      '    timeout connect 1s',
      '    timeout server 1s',
      '    http-request add-header X-Step listen',
      '    http-response add-header X-Listen yes',
      '    server s 127.0.0.1:9',
    ],
  );
  const [f, lf] = [cfg.frontends[0]!, cfg.frontends[1]!];
  const router = routerFor(f, cfg.backends);

  it("run after the frontend's and routing, before option forwardfor; their ACLs see the frontend's rewrites", () => {
    const h = head('GET /page HTTP/1.1\n');
    const d = decideRequest(f, router, h, facts);
    expect(d.reply).toBeUndefined();
    expect(d.be?.cfg.name).toBe('be');
    expect(h.headers.filter(([n]) => n !== 'Host')).toEqual([['X-Step', 'fe'], ['X-Step', 'be'], ['X-Forwarded-For', '192.0.2.10']]);
    // The deny's condition combines a backend ACL on the path and one on the header the frontend set.
    const x = decideRequest(f, router, head('GET /x/1 HTTP/1.1\n'), facts);
    expect(x.reply).toMatchObject({ kind: 'error-page', status: 429 });
  });

  it('a backend without rules adds nothing; another backend\'s rules do not leak into it', () => {
    const h = head('GET /app HTTP/1.1\n');
    const d = decideRequest(f, router, h, facts);
    expect(d.be?.cfg.name).toBe('app');
    expect(h.headers.filter(([n]) => n !== 'Host')).toEqual([['X-Step', 'fe']]);
  });

  it("a listen section's rules run as backend rules when another frontend routes to it, not twice for its own traffic", () => {
    const h = head('GET /l HTTP/1.1\n');
    decideRequest(f, router, h, facts);
    expect(h.headers.filter(([n]) => n !== 'Host')).toEqual([['X-Step', 'fe'], ['X-Step', 'listen']]);
    const lb = cfg.backends.find((b) => b.name === 'l')!;
    expect(backendRulesFor(lf, lb)).toBeUndefined();
    const own = head('GET / HTTP/1.1\n');
    const d = decideRequest(lf, routerFor(lf, cfg.backends), own, facts);
    expect(d.be?.cfg.name).toBe('l');
    expect(own.headers.filter(([n]) => n !== 'Host')).toEqual([['X-Step', 'listen']]);
  });

  it("http-response: the backend's rules first, then the frontend's", () => {
    const fr = compileRules(fe(['http-response set-header X-Be-Resp fe-overrides']));
    const be = cfg.backends.find((b) => b.name === 'be')!;
    const res = { status: 201, headers: [] as [string, string][] };
    runResponseRules([backendRulesFor(f, be), fr], head('GET / HTTP/1.1\n'), facts, res);
    expect(res.headers).toEqual([['X-Be-Resp', 'fe-overrides']]);
    const only = { status: 201, headers: [] as [string, string][] };
    runResponseRules([backendRulesFor(f, be)], head('GET / HTTP/1.1\n'), facts, only);
    expect(only.headers).toEqual([['X-Be-Resp', '201']]);
  });

  it('aclErrors reports the acl lines that do not compile, with HAProxy\'s message', () => {
    const errs = aclErrors([
      { name: 'ok', tokens: ['path_beg', '/a'], file: 't.cfg', line: 3 },
      { name: 'bad', tokens: ['pth', '/a'], file: 't.cfg', line: 4 },
    ]);
    expect(errs.map((e) => e.ref.line)).toEqual([4]);
    expect(errs[0]!.message).toMatch(/^error detected while parsing ACL 'bad' : unknown fetch method 'pth'/);
  });
});

describe('option forwardfor', () => {
  const ff = (opts: string) => config(['default_backend be'], ['backend be', '    timeout connect 1s', '    timeout server 1s', `    option forwardfor ${opts}`, '    server s 127.0.0.1:9']).backends[0].forwardfor;
  const feff = (opts: string) => config([`option forwardfor ${opts}`]).frontends[0].forwardfor;

  it('appends X-Forwarded-For with the client address (IPv4-mapped written as IPv4)', () => {
    const h = head('GET / HTTP/1.1\nX-Forwarded-For: 1.1.1.1\n');
    addForwardedFor(feff(''), undefined, h, '::ffff:192.0.2.10');
    expect(h.getAll('x-forwarded-for')).toEqual(['1.1.1.1', '192.0.2.10']);
  });

  it('except <net> skips clients in the network, of either proxy', () => {
    const h = head('GET / HTTP/1.1\n');
    addForwardedFor(feff('except 192.0.2.0/24'), undefined, h, '192.0.2.10');
    addForwardedFor(undefined, ff('except 127.0.0.1'), h, '127.0.0.1');
    expect(h.has('x-forwarded-for')).toBe(false);
    addForwardedFor(feff('except 10.0.0.0/8'), undefined, h, '::1');
    expect(h.get('x-forwarded-for')).toBe('::1');
  });

  it('if-none adds nothing when the header exists; the backend\'s header name wins', () => {
    const h = head('GET / HTTP/1.1\nX-Real-IP: 9.9.9.9\n');
    addForwardedFor(feff('if-none'), ff('header X-Real-IP if-none'), h, '192.0.2.10');
    expect(h.getAll('x-real-ip')).toEqual(['9.9.9.9']);
    addForwardedFor(feff('if-none header X-Client'), ff('header X-Real-IP'), h, '192.0.2.10');
    expect(h.getAll('x-real-ip')).toEqual(['9.9.9.9', '192.0.2.10']);
    expect(h.has('x-client')).toBe(false);
  });
});

describe('helpers', () => {
  it('expandBackrefs replaces \\0..\\9 and keeps \\\\ as a backslash', () => {
    const m = /(a)(b)?/.exec('xab')!;
    expect(expandBackrefs('[\\0|\\1|\\2|\\3|\\\\]', m)).toBe('[ab|a|b||\\]');
  });
});

describe('tracking and stickiness rules (proxy/stick/track.ts through the rule engine)', () => {
  // The worker's tables on a virtual clock: the rules find them by name (threadStickTables()).
  const clock = { now: 5_000_000 };
  const cfg = config(
    [
      'tcp-request connection track-sc1 src table conns',
      'http-request track-sc0 src table rl unless { path_beg /free }',
      'http-request sc-inc-gpc0(0) if { path /mark }',
      'http-request sc-set-gpt0(0) 9 if { path /mark }',
      'http-request deny deny_status 429 if { sc_http_req_rate(0) gt 5 }',
      'http-request deny deny_status 403 if { sc0_get_gpc0 gt 0 } { path /mark2 }',
      'http-request return status 200 content-type text/plain lf-string "c=%[sc1_conn_cur] r=%[sc0_http_req_cnt] s=%[src_http_req_cnt]\\n" if { path /show }',
      'default_backend farm',
    ],
    [
      'backend rl',
      '    stick-table type ip size 16 expire 30s store conn_cur,http_req_cnt,http_req_rate(10s),gpc0,gpt0',
      'backend conns',
      '    stick-table type ip size 16 expire 30s store conn_cur,sess_cnt,http_req_cnt',
      'backend farm',
      '    timeout connect 1s',
      '    timeout server 1s',
      '    stick-table type ip size 16 expire 30s',
      '    stick on src unless { path /nostick }',
      '    server a 127.0.0.1:1',
      '    server b 127.0.0.1:2',
    ],
  );
  const reg = attachStickTables(cfg.stickTables, createStickTableBuffers(cfg.stickTables).map((b) => b.sab), () => clock.now);
  const rl = reg.get('rl')!;
  const f = cfg.frontends[0]!;
  const router = routerFor(f, cfg.backends);
  const rlEntry = () => rl.list({ key: parseStickKey('ip', 4, '192.0.2.10') })[0];
  const value = (type: string) => rlEntry()?.data.find((d) => d.type === type)?.value;

  it('track-sc0 counts each request; the 6th of a burst is denied 429; every reference is given back', () => {
    const conn = new TrackCounters();
    runConnectionRules(f, facts, conn);
    expect(conn.tracked(1)).toBeDefined();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const stk = new TrackCounters(conn);
      stk.httpRequest();
      const d = decideRequest(f, router, head(`GET /r${i} HTTP/1.1\n`), facts, stk);
      statuses.push(d.reply ? d.reply.status : 200);
      stk.release();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(value('http_req_rate')).toBe(6);
    expect(value('conn_cur')).toBe(0);
    expect(rlEntry()!.use).toBe(0);
    // the connection's counter (sc1) counted every request too, and holds its entry until it ends
    const conns = reg.get('conns')!;
    expect(conns.list()[0]).toMatchObject({ use: 1, data: [{ type: 'conn_cur', value: 1 }, { type: 'sess_cnt', value: 1 }, { type: 'http_req_cnt', value: 6 }] });
    conn.release();
    expect(conns.list()[0]).toMatchObject({ use: 0, data: [{ type: 'conn_cur', value: 0 }, { type: 'sess_cnt', value: 1 }, { type: 'http_req_cnt', value: 6 }] });
    expect(rl.verify()).toEqual([]);
  });

  it('sc-inc-gpc0 and sc-set-gpt0 update the tracked entry; sc0_get_gpc0 sees it in a later request', () => {
    clock.now += 60_000;
    rl.clear();
    const stk = new TrackCounters();
    expect(decideRequest(f, router, head('GET /mark HTTP/1.1\n'), facts, stk).reply).toBeUndefined();
    expect(value('gpc0')).toBe(1);
    expect(value('gpt0')).toBe(9);
    const d = decideRequest(f, router, head('GET /mark2 HTTP/1.1\n'), facts, stk);
    expect(d.reply?.status).toBe(403);
    stk.release();
    expect(rlEntry()!.use).toBe(0);
  });

  it('log-format strings read tracked counters and the src entry', () => {
    const conn = new TrackCounters();
    runConnectionRules(f, facts, conn);
    const stk = new TrackCounters(conn);
    const d = decideRequest(f, router, head('GET /show HTTP/1.1\n'), facts, stk);
    // src_* without a table argument in a frontend (which has no table of its own): no sample, '-'
    expect(d.reply?.kind === 'message' && Buffer.from(d.reply.body).toString()).toBe('c=1 r=2 s=-\n'); // r: this request and /mark's (same client, same entry)
    stk.release();
    conn.release();
  });

  it('stick on src: no server before, the assigned server stored, then matched', () => {
    const be = cfg.backends.find((b) => b.name === 'farm')!;
    expect(be.stickTable!.store.map((s) => s.type)).toEqual(['server_id']);
    const first = runStickRules(be, head('GET / HTTP/1.1\n'), facts)!;
    expect(first.serverId).toBe(0);
    storeStickServer(first, 2);
    expect(runStickRules(be, head('GET / HTTP/1.1\n'), facts)!.serverId).toBe(2);
    expect(runStickRules(be, head('GET /nostick HTTP/1.1\n'), facts)!).toEqual({ serverId: 0, stores: [] });
    expect(reg.get('farm')!.list()[0]).toMatchObject({ use: 0, data: [{ type: 'server_id', value: 2 }] });
  });

  it('checkStickReferences: a table that does not exist, a frontend without one', () => {
    const bad = config(['http-request track-sc0 src', 'http-request track-sc1 src table nope', 'tcp-request connection track-sc2 src table rl'], ['backend rl', '    stick-table type ip size 1']);
    expect(checkStickReferences(bad).map((e) => `${e.ref.line}: ${e.message}`)).toEqual([
      "4: 'http-request track-sc0' : frontend 'f' has no stick-table; add 'table <name>' naming the backend that holds one.",
      "5: 'http-request track-sc1' : unable to find table 'nope'; declare 'stick-table' in backend 'nope' or fix the name.",
    ]);
  });
});
