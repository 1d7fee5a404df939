import { describe, expect, it } from 'vitest';
import { alerts, parse, parseOk, warnings } from './helpers.ts';

const T = ' timeout client 1s\n timeout connect 1s\n timeout server 1s\n';

describe('post-parse checks', () => {
  it('rejects duplicate proxy names sharing a capability, naming the first declaration', () => {
    const r = parse(`defaults\n${T}frontend web\n bind :80\nfrontend web\n bind :81\nbackend app\nlisten app\n bind :82\n`);
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:7] : frontend 'web' has the same name as frontend 'web' declared at t.cfg:5; rename one of them.",
      "[ALERT] config : parsing [t.cfg:10] : listen 'app' has the same name as backend 'app' declared at t.cfg:9; rename one of them.",
    ]);
  });
  it('lets a frontend and a backend share a name, as HAProxy', () => {
    const c = parseOk(`defaults\n${T}frontend app\n bind :80\nbackend app\n`);
    expect([c.frontends[0].name, c.backends[0].name]).toEqual(['app', 'app']);
  });
  it('rejects a frontend or listen without bind at its header line', () => {
    expect(alerts(parse(`defaults\n${T}frontend lonely\n maxconn 3\nlisten alone\n`))).toEqual([
      "[ALERT] config : parsing [t.cfg:5] : frontend 'lonely' has no 'bind' line, so it would accept no connection; add 'bind <address>:<port>'.",
      "[ALERT] config : parsing [t.cfg:7] : listen 'alone' has no 'bind' line, so it would accept no connection; add 'bind <address>:<port>'.",
    ]);
  });
  it('rejects duplicate ring names and rings without size', () => {
    expect(alerts(parse('ring a\n size 1m\nring b\n format raw\nring a\n size 2m\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:3] : ring 'b' has no 'size'; add 'size <size>' (e.g. 'size 1m').",
      "[ALERT] config : parsing [t.cfg:5] : ring 'a' has the same name as the ring declared at t.cfg:1; rename one of them.",
    ]);
  });
  it('warns about missing timeouts as HAProxy does, without invalidating the configuration', () => {
    const r = parse(
      'frontend f\n bind :80\n default_backend b\nbackend b\n timeout connect 1s\nlisten l\n bind :81\n timeout client 0\n server s1 127.0.0.1:8080\n',
    );
    expect(alerts(r)).toEqual([]);
    expect(r.config).toBeDefined();
    expect(warnings(r)).toEqual([
      "[WARNING] config : parsing [t.cfg:1] : missing timeouts for frontend 'f': set 'timeout client' here or in a defaults section, otherwise idle connections are never closed.",
      "[WARNING] config : parsing [t.cfg:4] : missing timeouts for backend 'b': set 'timeout server' here or in a defaults section, otherwise idle connections are never closed.",
      "[WARNING] config : parsing [t.cfg:6] : missing timeouts for listen 'l': set 'timeout client', 'timeout connect', 'timeout server' here or in a defaults section, otherwise idle connections are never closed.",
    ]);
  });
  it('runs after every file so checks see the whole configuration', () => {
    const r = parse(`frontend f\n${T} bind :80\nring r\n size 1m\n`);
    expect(r.alerts).toEqual([]);
    expect(r.config?.rings.map((x) => x.name)).toEqual(['r']);
  });
});

const D = `defaults\n${T}`;

describe('backend references', () => {
  it('accept backends and listen sections, whatever file order', () => {
    const r = parse(`${D}frontend f\n bind :80\n use_backend l if TRUE\n default_backend b\nbackend b\nlisten l\n bind :81\n server s 10.0.0.1:80\n`);
    expect(r.alerts).toEqual([]);
  });
  it('report every missing backend of use_backend and default_backend at its line, including from defaults', () => {
    const r = parse(`${D} default_backend gone\nfrontend f\n bind :80\n use_backend nope if TRUE\n use_backend f\nfrontend g\n bind :81\n default_backend missing\nbackend b\n`);
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:8] : frontend 'f' : unable to find required use_backend: 'nope'; declare 'backend nope' or fix the name.",
      "[ALERT] config : parsing [t.cfg:9] : frontend 'f' : unable to find required use_backend: 'f'; declare 'backend f' or fix the name.",
      "[ALERT] config : parsing [t.cfg:5] : frontend 'f' : unable to find required default_backend: 'gone'; declare 'backend gone' or fix the name.",
      "[ALERT] config : parsing [t.cfg:12] : frontend 'g' : unable to find required default_backend: 'missing'; declare 'backend missing' or fix the name.",
    ]);
    expect(r.config).toBeUndefined();
  });
  it('detect a listen section that names itself', () => {
    expect(alerts(parse(`${D}listen l\n bind :80\n use_backend l if TRUE\n default_backend l\n`))).toEqual([
      "[ALERT] config : parsing [t.cfg:7] : listen 'l' : loop detected for use_backend: 'l'; a listen section cannot send traffic to itself (its own servers are used without it).",
      "[ALERT] config : parsing [t.cfg:8] : listen 'l' : loop detected for default_backend: 'l'; a listen section cannot send traffic to itself (its own servers are used without it).",
    ]);
  });
  it("warn, as HAProxy, when a listen section's default_backend makes its servers unused", () => {
    const r = parse(`${D}listen l\n bind :80\n server s 10.0.0.1:80\n default_backend b\nbackend b\n`);
    expect(alerts(r)).toEqual([]);
    expect(warnings(r)).toEqual([
      "[WARNING] config : parsing [t.cfg:8] : in listen 'l', the 'default_backend' rule always has precedence over the servers, which will never be used.",
    ]);
  });
});

describe('requests that reach no backend', () => {
  const routed = (lines: string) => warnings(parse(`${D}frontend f\n bind :80\n${lines}backend b\n`));
  it('warn for a frontend without default_backend nor any unconditional terminal rule', () => {
    const expected = [
      "[WARNING] config : parsing [t.cfg:5] : frontend 'f' has no 'default_backend' and no unconditional 'use_backend', 'http-request return', 'deny' or 'redirect': requests that no rule answers get 503 Service Unavailable; add 'default_backend <backend>'.",
    ];
    expect(routed('')).toEqual(expected);
    expect(routed(' use_backend b if is_api\n http-request deny if bad\n http-request redirect location %[var(txn.to)] ignore-empty\n')).toEqual(expected);
  });
  it.each([
    [' default_backend b\n'],
    [' use_backend b\n'],
    [' http-request return status 404\n'],
    [' http-request deny\n'],
    [' http-request redirect scheme https\n'],
  ])('are covered by %s', (lines) => {
    expect(routed(lines)).toEqual([]);
  });
  it('warn for a listen section without servers, not for one with servers', () => {
    expect(warnings(parse(`${D}listen a\n bind :80\n server s 10.0.0.1:80\nlisten b\n bind :81\n`))).toEqual([
      "[WARNING] config : parsing [t.cfg:8] : listen 'b' has no server, no 'default_backend' and no unconditional 'use_backend', 'http-request return', 'deny' or 'redirect': requests that no rule answers get 503 Service Unavailable; add a 'server' line or 'default_backend <backend>'.",
    ]);
  });
});

describe('servers', () => {
  it('reject duplicate names within a backend, naming the first, but allow them across backends', () => {
    const r = parse(`${D}backend a\n server s1 10.0.0.1:80\n server s1 10.0.0.2:80\n server s1 10.0.0.3:80\nbackend b\n server s1 10.0.0.1:80\n`);
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:7] : backend 'a' : server 's1' has the same name as the server declared at t.cfg:6; rename one of them.",
      "[ALERT] config : parsing [t.cfg:8] : backend 'a' : server 's1' has the same name as the server declared at t.cfg:6; rename one of them.",
    ]);
  });
  it('reject ssl with certificate verification but no CA file, even when ssl comes from default-server', () => {
    const r = parse(`${D} default-server ssl\nbackend a\n server s1 10.0.0.1:443\n server s2 10.0.0.2:443 verify none\n server s3 10.0.0.3:443 ca-file @system-ca\n server s4 10.0.0.4:80 no-ssl\n`);
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:7] : backend 'a', server 's1' : verify is enabled by default but no CA file specified; add 'ca-file <file>' ('ca-file @system-ca' for the system's CAs), or 'verify none' if you are certain to trust the server's certificate (e.g. on a LAN), or 'ssl-server-verify none' in the global section to disable server-side verification by default.",
    ]);
  });
});

describe('ssl-server-verify', () => {
  it('sets the verify of servers that do not set their own (server or default-server line), as HAProxy', () => {
    const r = parse(`global\n ssl-server-verify none\n${D}backend a\n server s1 10.0.0.1:443 ssl\n server s2 10.0.0.2:443 ssl verify required ca-file @system-ca\nbackend b\n default-server verify required\n server s3 10.0.0.3:443 ssl\n`);
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:12] : backend 'b', server 's3' : verify is enabled by default but no CA file specified; add 'ca-file <file>' ('ca-file @system-ca' for the system's CAs), or 'verify none' if you are certain to trust the server's certificate (e.g. on a LAN), or 'ssl-server-verify none' in the global section to disable server-side verification by default.",
    ]);
    const ok = parse(`global\n ssl-server-verify none\n${D}backend a\n server s1 10.0.0.1:443 ssl\n server s2 10.0.0.2:443 ssl verify required ca-file @system-ca\n`);
    expect(alerts(ok)).toEqual([]);
    expect(ok.config?.backends[0].servers.map((s) => s.verify)).toEqual(['none', 'required']);
  });
  it('takes only none or required', () => {
    expect(alerts(parse(`global\n ssl-server-verify maybe\n`))[0]).toMatch(/t\.cfg:2.*ssl-server-verify/);
  });
});

describe('http-check without option httpchk', () => {
  it('is ignored with a warning at the first rule, as HAProxy', () => {
    const r = parse(`${D}backend a\n http-check expect status 200\n http-check expect ! rstatus ^5\nbackend b\n option httpchk\n http-check expect status 200\n`);
    expect(alerts(r)).toEqual([]);
    expect(warnings(r)).toEqual([
      "[WARNING] config : parsing [t.cfg:6] : backend 'a' uses http-check rules without 'option httpchk', so the rules are ignored; add 'option httpchk'.",
    ]);
    expect(r.config?.backends.map((b) => b.httpchk?.expects.length)).toEqual([undefined, 1]);
  });
});

describe('option httplog without a log address', () => {
  it("warns as HAProxy ('log format ignored'), including when 'log global' finds no global log line", () => {
    const r = parse(`${D}frontend a\n bind :80\n option httplog\n default_backend b\nfrontend g\n bind :81\n log global\n option httplog clf\n default_backend b\nfrontend ok\n bind :82\n log stdout local0\n option httplog\n default_backend b\nbackend b\n`);
    expect(warnings(r)).toEqual([
      "[WARNING] config : parsing [t.cfg:7] : log format ignored for frontend 'a' since it has no log address; add 'log <address> <facility>' (e.g. 'log stdout format raw local0').",
      "[WARNING] config : parsing [t.cfg:12] : log format ignored for frontend 'g' since it has no log address ('log global' but the global section has no 'log' line); add 'log <address> <facility>' (e.g. 'log stdout format raw local0').",
    ]);
  });
});
