import { describe, expect, it } from 'vitest';
import { alerts, parse, parseOk, warnings } from '../helpers.ts';

describe('mode', () => {
  it('accepts http in every proxy section', () => {
    const c = parseOk('defaults\n mode http\n timeout client 1s\n timeout connect 1s\n timeout server 1s\nfrontend f\n mode http\n bind :80\nbackend b\n mode http\n');
    expect(c.defaults.mode).toBe('http');
    expect(c.frontends[0].mode).toBe('http');
    expect(c.backends[0].mode).toBe('http');
  });
  it.each(['defaults', 'frontend f', 'backend b', 'listen l'])('rejects tcp (not supported yet) and other modes in %s', (head) => {
    const bind = head.startsWith('frontend') || head.startsWith('listen') ? ' bind :80\n' : '';
    const r = parse(`${head}\n mode tcp\n mode health\n${bind}`);
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : 'mode' : 'tcp' mode is not supported yet, only 'mode http' is.",
      "[ALERT] config : parsing [t.cfg:3] : 'mode' : invalid mode 'health', expected 'http' ('tcp' is not supported yet).",
    ]);
  });
});

describe('timeout', () => {
  it('stores every kind in milliseconds', () => {
    const c = parseOk(
      'listen l\n bind :80\n timeout client 30s\n timeout http-request 10s\n timeout http-keep-alive 500\n timeout server 1m\n timeout connect 5s\n',
    );
    expect(c.frontends[0].timeouts).toEqual({ client: 30000, httpRequest: 10000, httpKeepAlive: 500, server: 60000, connect: 5000 });
    expect(c.backends[0].timeouts).toEqual(c.frontends[0].timeouts);
  });
  it('ignores a kind the section cannot use, with a warning, as HAProxy', () => {
    const r = parse(
      'frontend f\n bind :80\n timeout client 1s\n timeout server 1s\n default_backend b\nbackend b\n timeout client 1s\n timeout connect 1s\n timeout server 2s\n',
    );
    expect(alerts(r)).toEqual([]);
    expect(warnings(r)).toEqual([
      "[WARNING] config : parsing [t.cfg:4] : 'timeout server' ignored because frontend 'f' has no backend capability",
      "[WARNING] config : parsing [t.cfg:7] : 'timeout client' ignored because backend 'b' has no frontend capability",
    ]);
    expect(r.config?.frontends[0].timeouts).toEqual({ client: 1000 });
    expect(r.config?.backends[0].timeouts).toEqual({ connect: 1000, server: 2000 });
  });
  it.each([
    ['timeout tarpit 1s', "'timeout' : unknown timeout 'tarpit', expected client, http-request, http-keep-alive, server, connect, queue, tunnel or check."],
    ['timeout', "'timeout' : missing timeout kind, expected client, http-request, http-keep-alive, server, connect, queue, tunnel or check."],
    ['timeout client', "'timeout client' : missing time, expected 'timeout client <time>' (e.g. 'timeout client 30s')."],
    ['timeout client 5 s', "'timeout client' : unexpected argument 's', expected 'timeout client <time>'."],
    ['timeout http-request 5x', "'timeout http-request' : invalid time '5x', expected an integer optionally followed by us, ms, s, m, h or d (default unit: ms, e.g. '5s')."],
    ['timeout queue 5x', "'timeout queue' : invalid time '5x', expected an integer optionally followed by us, ms, s, m, h or d (default unit: ms, e.g. '5s')."],
    ['timeout tunnel', "'timeout tunnel' : missing time, expected 'timeout tunnel <time>' (e.g. 'timeout tunnel 30s')."],
    ['timeout check 1s 2s', "'timeout check' : unexpected argument '2s', expected 'timeout check <time>'."],
  ])('rejects %s', (line, message) => {
    expect(alerts(parse(`defaults\n ${line}\n`))).toEqual([`[ALERT] config : parsing [t.cfg:2] : ${message}`]);
  });
});

describe('maxconn', () => {
  it('is accepted in defaults, frontend and listen, and inherited', () => {
    const c = parseOk('defaults\n maxconn 50\n timeout client 1s\nfrontend a\n bind :80\nfrontend b\n bind :81\n maxconn 7\n');
    expect(c.frontends.map((f) => f.maxconn)).toEqual([50, 7]);
  });
  it('rejects a bad value', () => {
    expect(alerts(parse('frontend f\n bind :80\n maxconn 0\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:3] : 'maxconn' : value '0' is out of range, expected an integer >= 1.",
    ]);
  });
  it('is ignored with a warning in a backend, as HAProxy, and kept for a listen section', () => {
    const r = parse('defaults\n maxconn 9\nbackend b\n maxconn 5\nlisten l\n bind :80\n maxconn 7\n server s 10.0.0.1:80\n');
    expect(alerts(r)).toEqual([]);
    expect(warnings(r)).toContain(
      "[WARNING] config : parsing [t.cfg:4] : 'maxconn' ignored because backend 'b' has no frontend capability; limit each server with 'server ... maxconn <number>'",
    );
    expect(r.config?.backends.map((b) => b.maxconn)).toEqual([undefined, 7]);
  });
});

describe('defaults inheritance', () => {
  it('copies the defaults in force at declaration; a new defaults section starts from scratch', () => {
    const c = parseOk(
      [
        'defaults base',
        ' timeout client 1s',
        ' timeout http-request 2s',
        'frontend a',
        ' bind :80',
        ' timeout http-request 3s',
        'defaults',
        ' timeout client 9s',
        'frontend b',
        ' bind :81',
      ].join('\n'),
    );
    expect(c.frontends[0].timeouts).toEqual({ client: 1000, httpRequest: 3000 });
    expect(c.frontends[1].timeouts).toEqual({ client: 9000 });
    expect(c.defaults).toMatchObject({ name: undefined, source: { file: 't.cfg', line: 7 }, timeouts: { client: 9000 } });
  });
  it('reports no defaults source when there is no defaults section', () => {
    const c = parseOk('frontend a\n bind :80\n timeout client 1s\n');
    expect(c.defaults).toEqual({ name: undefined, source: undefined, mode: 'http', timeouts: {}, maxconn: undefined });
  });
});

describe('proxy sections', () => {
  it('lists frontends and backends; a listen section is both', () => {
    const c = parseOk(
      'defaults\n timeout client 1s\n timeout server 1s\n timeout connect 1s\nfrontend f\n bind :80\nbackend b\nlisten l\n bind :81\n',
    );
    expect(c.frontends.map((f) => [f.kind, f.name, f.line])).toEqual([
      ['frontend', 'f', 5],
      ['listen', 'l', 8],
    ]);
    expect(c.backends.map((b) => [b.kind, b.name, b.line])).toEqual([
      ['backend', 'b', 7],
      ['listen', 'l', 8],
    ]);
  });
  it('rejects frontend-only keywords in backends, saying where they belong', () => {
    expect(alerts(parse('backend b\n bind :80\n use_backend x\n default_backend x\n http-request return\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : 'bind' not allowed because backend 'b' has no frontend capability; write it in a 'frontend' or 'listen' section.",
      "[ALERT] config : parsing [t.cfg:3] : 'use_backend' not allowed because backend 'b' has no frontend capability; write it in a 'frontend' or 'listen' section.",
      "[ALERT] config : parsing [t.cfg:4] : 'default_backend' not allowed because backend 'b' has no frontend capability; write it in a 'frontend' or 'listen' section.",
    ]);
  });
  it('accepts acl, http-request and http-response in backends (HAProxy keyword matrix 4.1)', () => {
    const c = parseOk(
      [
        'backend b',
        ' acl is_x path_beg /x',
        ' http-request deny if is_x',
        ' http-request set-header X-Be b',
        ' http-response set-header X-Be-Resp %[status]',
        ' server s 10.0.0.1:80',
      ].join('\n'),
    );
    const b = c.backends[0]!;
    expect(b.acls).toEqual([{ name: 'is_x', tokens: ['path_beg', '/x'], file: 't.cfg', line: 2 }]);
    expect(b.httpRequestRules.map((r) => [r.kind, r.line, r.cond?.tokens])).toEqual([
      ['deny', 3, ['is_x']],
      ['set-header', 4, undefined],
    ]);
    expect(b.httpResponseRules).toEqual([{ kind: 'set-header', name: 'X-Be-Resp', value: '%[status]', file: 't.cfg', line: 5 }]);
  });
  it('a listen section carries its acls and rules on both halves (its backend half may be reached from other frontends)', () => {
    const c = parseOk('listen l\n bind :80\n timeout client 1s\n acl a src 1.2.3.4\n http-request deny if a\n http-response del-header Server\n server s 10.0.0.1:80\n');
    const [f, b] = [c.frontends[0]!, c.backends[0]!];
    expect(b.acls).toEqual(f.acls);
    expect(b.httpRequestRules).toEqual(f.httpRequestRules);
    expect(b.httpResponseRules).toEqual(f.httpResponseRules);
    expect(b.httpRequestRules).toHaveLength(1);
  });
  it('backend rules and acls are not inherited from defaults, as frontend ones', () => {
    const c = parseOk('defaults\n timeout client 1s\nbackend b\n server s 10.0.0.1:80\n');
    expect([c.backends[0]!.acls, c.backends[0]!.httpRequestRules, c.backends[0]!.httpResponseRules]).toEqual([[], [], []]);
  });
});

describe('keywords in the wrong kind of section', () => {
  it('are alerts that say where the keyword belongs', () => {
    expect(alerts(parse('defaults\n bind :80\n server s 10.0.0.1:80\n http-request deny\nfrontend f\n bind :81\n retries 3\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : 'bind' not allowed in 'defaults' section; write it in a 'frontend' or 'listen' section.",
      "[ALERT] config : parsing [t.cfg:3] : 'server' not allowed in 'defaults' section; write it in a 'backend' or 'listen' section.",
      "[ALERT] config : parsing [t.cfg:4] : 'http-request' not allowed in 'defaults' section; write it in a 'frontend', 'backend' or 'listen' section.",
      "[ALERT] config : parsing [t.cfg:7] : 'retries' not allowed because frontend 'f' has no backend capability; write it in a 'backend' or 'listen' section.",
    ]);
  });
  it('a listen section accepts both kinds', () => {
    const r = parse('listen l\n bind :80\n acl a src 1.2.3.4\n http-request deny if a\n balance first\n server s 10.0.0.1:80\n retries 2\n');
    expect(r.alerts).toEqual([]);
  });
});

describe('a complete frontend and backend', () => {
  it('come out fully resolved, with nothing internal leaking', () => {
    const c = parseOk(
      [
        'global',
        ' log stdout format raw local0',
        'defaults',
        ' mode http',
        ' log global',
        ' option httplog',
        ' option http-server-close',
        ' timeout client 30s',
        ' timeout connect 5s',
        ' timeout server 30s',
        ' default-server check inter 3s',
        'frontend www',
        ' bind :8080',
        ' acl is_api path_beg /api',
        ' use_backend api if is_api',
        ' http-request set-header X-Forwarded-Proto http',
        ' http-response del-header Server',
        ' option forwardfor except 127.0.0.1',
        ' default_backend api',
        'backend api',
        ' balance leastconn',
        ' option httpchk GET /health',
        ' http-check expect status 200',
        ' option redispatch',
        ' retries 2',
        ' http-reuse aggressive',
        ' server a1 10.0.0.1:8080 weight 10',
      ].join('\n'),
    );
    const log = { address: { kind: 'stdout' }, len: 1024, format: 'raw', facility: 'local0', level: undefined, minLevel: undefined, file: 't.cfg', line: 2 };
    expect(c.frontends).toStrictEqual([
      {
        kind: 'frontend', name: 'www', file: 't.cfg', line: 12, mode: 'http',
        timeouts: { client: 30000, connect: 5000, server: 30000 }, maxconn: undefined,
        binds: [{ host: '0.0.0.0', port: 8080, name: undefined, file: 't.cfg', line: 13 }],
        acls: [{ name: 'is_api', tokens: ['path_beg', '/api'], file: 't.cfg', line: 14 }],
        useBackends: [{ backend: 'api', cond: { kind: 'if', tokens: ['is_api'], file: 't.cfg', line: 15 }, file: 't.cfg', line: 15 }],
        defaultBackend: { backend: 'api', file: 't.cfg', line: 19 },
        httpRequestRules: [{ kind: 'set-header', name: 'X-Forwarded-Proto', value: 'http', file: 't.cfg', line: 16 }],
        httpResponseRules: [{ kind: 'del-header', name: 'Server', match: 'str', file: 't.cfg', line: 17 }],
        forwardfor: { header: 'X-Forwarded-For', except: { address: '127.0.0.1', prefixLength: 32 }, ifNone: false, file: 't.cfg', line: 18 },
        httpServerClose: true,
        httplog: 'httplog',
        logs: [log],
      },
    ]);
    expect(c.backends).toStrictEqual([
      {
        kind: 'backend', name: 'api', file: 't.cfg', line: 20, mode: 'http',
        timeouts: { client: 30000, connect: 5000, server: 30000 }, maxconn: undefined,
        servers: [
          {
            name: 'a1', host: '10.0.0.1', port: 8080, weight: 10, maxconn: 0, backup: false, disabled: false, check: true, inter: 3000,
            rise: 2, fall: 3, ssl: false, verify: 'required', verifySet: false, caFile: undefined, sni: undefined, file: 't.cfg', line: 27,
          },
        ],
        balance: { algorithm: 'leastconn' },
        httpchk: {
          method: 'GET', uri: '/health', version: 'HTTP/1.0', headers: [], file: 't.cfg', line: 22,
          expects: [{ match: 'status', negate: false, ranges: [[200, 200]], file: 't.cfg', line: 23 }],
        },
        reuse: 'aggressive',
        retries: 2,
        redispatch: { enabled: true, interval: -1 },
        acls: [],
        httpRequestRules: [],
        httpResponseRules: [],
        forwardfor: undefined,
        httpServerClose: true,
        logs: [log],
      },
    ]);
  });
  it('survive structuredClone (the configuration is posted to worker threads)', () => {
    const c = parseOk('frontend f\n bind :80\n timeout client 1s\n use_backend b if { src 10.0.0.1 }\n default_backend b\nbackend b\n server s 10.0.0.1:80\n');
    const copy = structuredClone(c);
    expect(copy.frontends[0].useBackends).toEqual(c.frontends[0].useBackends);
    expect(copy.backends[0].servers).toEqual(c.backends[0].servers);
  });
});
