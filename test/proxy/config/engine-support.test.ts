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
        '    server s1 127.0.0.1:9000',
        '',
      ].join('\n'),
    );
    const lines = checkEngineSupport(c).map((a) => a.formatted);
    const msg = 'is recognised but not implemented by the proxy yet (HTTP/1.1 proxying is in progress); remove it for now.';
    expect(lines).toEqual([
      `[ALERT] config : parsing [t.cfg:7] : 'acl api' ${msg}`,
      `[ALERT] config : parsing [t.cfg:8] : 'http-request deny' ${msg}`,
      `[ALERT] config : parsing [t.cfg:9] : 'http-request return' with a condition ('if ...') ${msg}`,
      `[ALERT] config : parsing [t.cfg:10] : 'use_backend' ${msg}`,
      `[ALERT] config : parsing [t.cfg:11] : 'default_backend' ${msg}`,
      `[ALERT] config : parsing [t.cfg:13] : 'server s1' ${msg}`,
    ]);
  });
});
