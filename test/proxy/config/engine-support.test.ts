import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import { checkEngineSupport } from '../../../proxy/config/engine-support.ts';

const parse = (text: string) => {
  const r = parseConfigText('t.cfg', text, { env: {}, cwd: process.cwd() });
  expect(r.alerts.map((a) => a.formatted)).toEqual([]);
  return r.config!;
};

describe('engine support gate', () => {
  it('accepts what the proxy implements: frontends with unconditional http-request return', () => {
    const c = parse(
      'frontend f\n    timeout client 5s\n    bind 127.0.0.1:8080\n    http-request return status 200 content-type text/plain string ok\n',
    );
    expect(checkEngineSupport(c)).toEqual([]);
  });

  it('names each parsed but unimplemented feature at its line, in file order', () => {
    const c = parse(
      [
        'defaults',
        '    timeout client 5s',
        '    timeout connect 5s',
        '    timeout server 5s',
        'frontend f',
        '    bind 127.0.0.1:8080',
        '    acl api path_beg /api',
        '    http-request deny if { path /admin }',
        '    http-request return status 200 content-type text/plain string ok if api',
        '    use_backend be if api',
        '    default_backend be',
        'backend be',
        '    server s1 127.0.0.1:9000 check',
        '',
      ].join('\n'),
    );
    const lines = checkEngineSupport(c).map((a) => a.formatted);
    const msg = 'is recognised but not implemented by the proxy yet (HTTP/1.1 proxying is in progress); remove it for now.';
    expect(lines).toEqual([
      `[ALERT] config : parsing [t.cfg:8] : 'http-request deny' ${msg}`,
      `[ALERT] config : parsing [t.cfg:9] : 'http-request return' with a condition ('if ...') ${msg}`,
      `[ALERT] config : parsing [t.cfg:13] : 'check' on 'server s1' ${msg}`,
    ]);
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
