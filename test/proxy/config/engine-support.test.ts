import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import { checkEngineSupport } from '../../../proxy/config/engine-support.ts';
import { findLogger } from '../../../proxy/log/logger-child.ts';

const parse = (text: string) => {
  const r = parseConfigText('t.cfg', text, { env: {}, cwd: process.cwd() });
  expect(r.alerts.map((a) => a.formatted)).toEqual([]);
  return r.config!;
};

describe('engine support gate', () => {
  it('accepts what the proxy implements: frontends with http-request return', () => {
    const c = parse(
      'frontend f\n    timeout client 5s\n    bind 127.0.0.1:8080\n    http-request return status 200 content-type text/plain string ok\n',
    );
    expect(checkEngineSupport(c)).toEqual([]);
  });

  it('accepts every issue-3 feature the parser knows: nothing is parsed ahead of the engine now', () => {
    const c = parse(
      [
        'global',
        '    log /dev/log local0',
        'defaults',
        '    timeout client 5s',
        '    timeout connect 5s',
        '    timeout server 5s',
        'frontend f',
        '    bind 127.0.0.1:8080',
        '    acl api path_beg /api',
        '    option httplog clf',
        '    http-request deny if { path /admin }',
        '    use_backend be if api',
        '    default_backend be',
        'backend be',
        '    log 127.0.0.1:514 local1',
        '    server s1 127.0.0.1:9000',
        '',
      ].join('\n'),
    );
    // 'option httplog clf', the UNIX log target (through logger, present here) and a backend's own
    // 'log' line (its server state changes) are all implemented.
    expect(checkEngineSupport(c).map((a) => a.formatted)).toEqual([]);
  });

  describe('UNIX datagram log targets (through util-linux logger)', () => {
    const cfg = (logLine: string) =>
      parse(['global', `    ${logLine}`, 'frontend f', '    timeout client 5s', '    bind 127.0.0.1:8080', '    log global', '    option httplog clf', '    http-request return status 200', ''].join('\n'));

    it('are accepted when logger is installed, in rfc3164 and rfc5424', () => {
      expect(findLogger()).toBeDefined();
      expect(checkEngineSupport(cfg('log /dev/log local0'))).toEqual([]);
      expect(checkEngineSupport(cfg('log unix@/run/syslog.sock len 2048 format rfc5424 local3 notice'))).toEqual([]);
    });

    it("are an alert naming the package when no logger is in PATH", () => {
      const path = process.env.PATH;
      process.env.PATH = '/nonexistent-dir';
      try {
        expect(checkEngineSupport(cfg('log /var/run/syslog.sock len 1024 local0 info')).map((a) => a.formatted)).toEqual([
          "[ALERT] config : parsing [t.cfg:2] : 'log /var/run/syslog.sock': UNIX datagram log targets are sent through the 'logger' program of util-linux (Node has no datagram UNIX sockets), and no 'logger' was found in PATH; install it (Debian: bsdutils) or log to 'stdout', 'stderr' or a syslog server over UDP (e.g. 'log 127.0.0.1:514 local0') instead.",
        ]);
      } finally {
        process.env.PATH = path;
      }
    });

    it("with 'format raw' are an alert: logger always writes a header", () => {
      const lines = checkEngineSupport(cfg('log /dev/log format raw local0')).map((a) => a.formatted);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:2\] : 'log \/dev\/log' with 'format raw': .*'logger', which always writes a syslog header; use 'format rfc3164'/);
    });
  });

  it("a listen section's own log lines serve its traffic logs (not gated as backend logs)", () => {
    const c = parse(
      ['listen l', '    bind 127.0.0.1:8080', '    timeout client 5s', '    timeout connect 5s', '    timeout server 5s', '    log stdout format raw local0', '    option httplog', '    server s1 127.0.0.1:9000', ''].join('\n'),
    );
    expect(checkEngineSupport(c)).toEqual([]);
  });

  it('accepts acl, http-request and http-response in backends; what does not compile is an alert at its line', () => {
    const ok = parse(
      [
        'defaults',
        '    timeout client 5s',
        '    timeout connect 5s',
        '    timeout server 5s',
        'frontend f',
        '    bind 127.0.0.1:8080',
        '    default_backend be',
        'backend be',
        '    acl is_x path_beg /x',
        '    http-request deny if is_x',
        '    http-request set-header X-Be %[src]',
        '    http-response set-header X-Status %[status]',
        '    server s1 127.0.0.1:9000',
        '',
      ].join('\n'),
    );
    expect(checkEngineSupport(ok)).toEqual([]);
    const bad = parse(
      [
        'defaults',
        '    timeout client 5s',
        '    timeout connect 5s',
        '    timeout server 5s',
        'frontend f',
        '    bind 127.0.0.1:8080',
        '    default_backend be',
        'backend be',
        '    acl broken pth /x',
        '    http-request deny if nosuchacl',
        '    http-request set-header X-Status %[status]',
        '    http-response set-header X-Client %ci',
        '    server s1 127.0.0.1:9000',
        '',
      ].join('\n'),
    );
    const lines = checkEngineSupport(bad).map((a) => a.formatted);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:9\] : error detected while parsing ACL 'broken' : unknown fetch method 'pth'/);
    expect(lines[1]).toBe("[ALERT] config : parsing [t.cfg:10] : error detected while parsing an 'http-request deny' condition : no such ACL : 'nosuchacl'.");
    expect(lines[2]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:11\] : .*'status' is only available in 'http-response' rules/);
    expect(lines[3]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:12\] : .*'%ci' is not supported yet/);
  });

  it("a listen section's rule errors are reported once", () => {
    const c = parse(
      ['listen l', '    bind 127.0.0.1:8080', '    timeout client 5s', '    timeout connect 5s', '    timeout server 5s', '    acl broken pth /x', '    http-request deny if nosuchacl', '    server s1 127.0.0.1:9000', ''].join('\n'),
    );
    expect(checkEngineSupport(c).map((a) => a.line)).toEqual([6, 7]);
  });

  it('accepts traffic logs: option httplog with log stdout / udp targets, global and per proxy', () => {
    const c = parse(
      [
        'global',
        '    log 127.0.0.1:514 local0 info',
        'defaults',
        '    log global',
        '    timeout client 5s',
        'frontend f',
        '    bind 127.0.0.1:8080',
        '    option httplog',
        '    log stdout format raw local0',
        '    log udp@127.0.0.1:5140 len 512 format rfc5424 local7 notice',
        '    http-request return status 200',
        '',
      ].join('\n'),
    );
    expect(checkEngineSupport(c)).toEqual([]);
  });

  it('accepts every http-request / http-response action with conditions, and option forwardfor', () => {
    const c = parse(
      [
        'defaults',
        '    timeout client 5s',
        '    timeout connect 5s',
        '    timeout server 5s',
        '    option forwardfor except 10.0.0.0/8 if-none',
        'frontend f',
        '    bind 127.0.0.1:8080',
        '    acl api path_beg /api',
        '    http-request deny deny_status 429 if { path /admin }',
        '    http-request return status 200 content-type text/plain string ok if api',
        '    http-request redirect prefix /v2 code 301 drop-query append-slash unless api',
        '    http-request set-header X-Client %[src]:%[dst_port]',
        '    http-request add-header X-Path "%[path] 100%%"',
        '    http-request del-header x-secret -m beg',
        '    http-request replace-header Host (.*):80 \\1',
        '    http-request set-path /v2%[path] if api',
        '    http-response set-header X-Status %[status]',
        '    http-response add-header Via flightbox',
        '    http-response del-header Server',
        '    http-response replace-header Location ^http://(.*) https://\\1',
        '    http-response deny if { path /private }',
        '    default_backend be',
        'backend be',
        '    option forwardfor header X-Real-IP',
        '    server s1 127.0.0.1:9000',
        '',
      ].join('\n'),
    );
    expect(checkEngineSupport(c)).toEqual([]);
  });

  it('a rule whose condition or log-format does not compile is an alert at its line', () => {
    const c = parse(
      [
        'frontend f',
        '    timeout client 5s',
        '    bind 127.0.0.1:8080',
        '    http-request deny if nosuchacl',
        '    http-request set-header X-Client %ci',
        '    http-request set-header X-Low %[req.hdr(host),nosuch]',
        '    http-request set-header X-Status %[status]',
        '    http-response add-header X-Who %[ssl_c_s_dn]',
        '',
      ].join('\n'),
    );
    const lines = checkEngineSupport(c).map((a) => a.formatted);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe("[ALERT] config : parsing [t.cfg:4] : error detected while parsing an 'http-request deny' condition : no such ACL : 'nosuchacl'.");
    expect(lines[1]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:5\] : .*'http-request set-header'.*'%ci' is not supported yet/);
    expect(lines[2]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:6\] : .*failed to parse sample expression <req\.hdr\(host\),nosuch> : unknown conv method 'nosuch'/);
    expect(lines[3]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:7\] : .*'status' is only available in 'http-response' rules/);
    expect(lines[4]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:8\] : .*sample fetch 'ssl_c_s_dn' is not supported yet/);
  });

  it('accepts routing and servers (acl, use_backend, default_backend, server, balance, http-reuse, retries)', () => {
    const c = parse(
      [
        'defaults',
        '    timeout client 5s',
        '    timeout connect 5s',
        '    timeout server 5s',
        'frontend f',
        '    bind 127.0.0.1:8080',
        '    acl api path_beg /api',
        '    use_backend be if api',
        '    default_backend be',
        'backend be',
        '    balance leastconn',
        '    http-reuse always',
        '    retries 2',
        '    option redispatch',
        '    server s1 127.0.0.1:9000 weight 3 maxconn 10',
        '    server s2 127.0.0.1:9001 backup',
        '',
      ].join('\n'),
    );
    expect(checkEngineSupport(c)).toEqual([]);
  });

  it('an ACL the engine cannot compile is an alert with HAProxy\'s message at its line', () => {
    const c = parse(
      ['frontend f', '    timeout client 5s', '    bind 127.0.0.1:8080', '    acl api pth /api', '    use_backend be if api', 'backend be', '    timeout connect 5s', '    timeout server 5s', '    server s1 127.0.0.1:9000', ''].join('\n'),
    );
    const lines = checkEngineSupport(c).map((a) => a.formatted);
    expect(lines[0]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:4\] : error detected while parsing ACL 'api' : unknown fetch method 'pth'/);
    expect(lines[1]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:5\] : error detected while parsing switching rule : no such ACL : 'api'/);
  });
});

describe('stick-tables and peers', () => {
  const HEAD = 'defaults\n    timeout client 5s\n    timeout connect 5s\n    timeout server 5s\nfrontend f\n    bind 127.0.0.1:8080\n    default_backend be\n';
  const parseWith = (text: string) => {
    const r = parseConfigText('t.cfg', text, { env: {}, cwd: process.cwd(), localPeer: 'me' });
    expect(r.alerts.map((a) => a.formatted)).toEqual([]);
    return r.config!;
  };

  it('a local stick-table is implemented: no alert', () => {
    const c = parseWith(`${HEAD}backend be\n    stick-table type ip size 1k expire 30s store http_req_rate(10s)\n    server s1 127.0.0.1:9000\n`);
    expect(checkEngineSupport(c)).toEqual([]);
  });

  it("a peers section and 'stick-table ... peers' are accepted; a local peer with ssl needs a crt", () => {
    const ok = parseWith(
      `${HEAD}backend be\n    stick-table type ip size 1k peers mine\n    server s1 127.0.0.1:9000\npeers mine\n    peer me 127.0.0.1:10000\n    table t type ip size 10\n`,
    );
    expect(checkEngineSupport(ok)).toEqual([]);
    const tls = parseWith(`${HEAD}backend be\n    server s1 127.0.0.1:9000\npeers mine\n    peer me 127.0.0.1:10000 ssl\n`);
    expect(checkEngineSupport(tls).map((a) => a.formatted).join('\n')).toMatch(/local peer 'me' has 'ssl' but no 'crt'/);
  });
});

describe('stick-table references', () => {
  it('a tracking or stick rule naming a table that does not exist is an alert at its line', () => {
    const c = parse(
      [
        'defaults',
        '    timeout client 5s',
        '    timeout connect 5s',
        '    timeout server 5s',
        'frontend f',
        '    bind 127.0.0.1:8080',
        '    http-request track-sc0 src table nosuch',
        '    http-request track-sc1 src',
        '    default_backend be',
        'backend be',
        '    stick-table type ip size 1k expire 1m store http_req_cnt',
        '    http-request track-sc2 src',
        '    server s1 127.0.0.1:9000',
        '',
      ].join('\n'),
    );
    expect(checkEngineSupport(c).map((a) => a.formatted)).toEqual([
      "[ALERT] config : parsing [t.cfg:7] : 'http-request track-sc0' : unable to find table 'nosuch'; declare 'stick-table' in backend 'nosuch' or fix the name.",
      "[ALERT] config : parsing [t.cfg:8] : 'http-request track-sc1' : frontend 'f' has no stick-table; add 'table <name>' naming the backend that holds one.",
    ]);
  });
});
