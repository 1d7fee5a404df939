import { describe, expect, it } from 'vitest';
import { alerts, parse, parseOk } from '../helpers.ts';

const D = 'defaults\n timeout client 1s\n timeout connect 1s\n timeout server 1s\n';
const fe = (...lines: string[]) => `${D}frontend f\n bind :80\n${lines.map((l) => ` ${l}\n`).join('')}backend app\nbackend api\n`;
const frontend = (text: string) => parseOk(text).frontends[0];
const bad = (line: string) => alerts(parse(fe(line)));

describe('acl', () => {
  it('keeps each line with its words after the name, in order; lines with the same name extend the ACL', () => {
    const f = frontend(fe('acl is_api path_beg /api /v2', 'acl is_api hdr(host) -i api.example.com', 'acl ssl ssl_fc', 'default_backend app'));
    expect(f.acls).toEqual([
      { name: 'is_api', tokens: ['path_beg', '/api', '/v2'], file: 't.cfg', line: 7 },
      { name: 'is_api', tokens: ['hdr(host)', '-i', 'api.example.com'], file: 't.cfg', line: 8 },
      { name: 'ssl', tokens: ['ssl_fc'], file: 't.cfg', line: 9 },
    ]);
  });
  it.each([
    ['acl', "'acl' : missing ACL name, expected 'acl <name> <fetch> [flags] [operator] [values...]'."],
    ['acl is_api', "'acl' : missing fetch for ACL 'is_api', expected 'acl <name> <fetch> [flags] [operator] [values...]' (e.g. 'acl is_api path_beg /api')."],
    ['acl "is api" path /', "'acl' : character ' ' in ACL name 'is api' is not permitted, use letters, digits, '-', '_', '.' and ':'."],
  ])('rejects %s', (line, message) => {
    expect(bad(line)).toEqual([`[ALERT] config : parsing [t.cfg:7] : ${message}`]);
  });
  it('is not allowed in defaults; backends accept it for their own rules', () => {
    expect(alerts(parse('defaults\n acl a src 1.2.3.4\nbackend b\n acl a src 1.2.3.4\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : 'acl' not allowed in 'defaults' section; write it in a 'frontend', 'backend' or 'listen' section.",
    ]);
  });
});

describe('use_backend and default_backend', () => {
  it('keep the rules in order with their conditions, and the default backend with its line', () => {
    const f = frontend(fe('use_backend api if { path_beg /api }', 'use_backend app unless is_static', 'use_backend api', 'default_backend app'));
    expect(f.useBackends).toEqual([
      { backend: 'api', cond: { kind: 'if', tokens: ['{', 'path_beg', '/api', '}'], file: 't.cfg', line: 7 }, file: 't.cfg', line: 7 },
      { backend: 'app', cond: { kind: 'unless', tokens: ['is_static'], file: 't.cfg', line: 8 }, file: 't.cfg', line: 8 },
      { backend: 'api', file: 't.cfg', line: 9 },
    ]);
    expect(f.defaultBackend).toEqual({ backend: 'app', file: 't.cfg', line: 10 });
  });
  it('default_backend: the last line wins, and a defaults section presets it (with its own line)', () => {
    expect(frontend(fe('default_backend api', 'default_backend app')).defaultBackend?.backend).toBe('app');
    const c = parseOk(`${D} default_backend api\nfrontend f\n bind :80\nbackend api\n`);
    expect(c.frontends[0].defaultBackend).toEqual({ backend: 'api', file: 't.cfg', line: 5 });
  });
  it('a frontend has no rule and no default backend unless given', () => {
    const f = frontend(fe('http-request return'));
    expect([f.useBackends, f.defaultBackend, f.acls]).toEqual([[], undefined, []]);
  });
  it.each([
    ['use_backend', "'use_backend' : missing backend name, expected 'use_backend <backend> [if|unless <condition>]'."],
    ['use_backend if TRUE', "'use_backend' : missing backend name, expected 'use_backend <backend> [if|unless <condition>]'."],
    ['use_backend api when x', "'use_backend' : unexpected argument 'when', expected 'use_backend <backend> [if|unless <condition>]'."],
    ['use_backend api if', "'use_backend' : missing condition after 'if' (e.g. 'if { path_beg /api }' or 'if <acl name>')."],
    ['use_backend be_%[req.hdr(host)]', "'use_backend' : dynamic backend names ('be_%[req.hdr(host)]') are not supported yet, name a backend."],
    ['use_backend a/b', "'use_backend' : character '/' in backend name 'a/b' is not permitted, use letters, digits, '-', '_', '.' and ':'."],
    ['default_backend', "'default_backend' : missing backend name, expected 'default_backend <backend>'."],
    ['default_backend app if TRUE', "'default_backend' : unexpected argument 'if', expected 'default_backend <backend>' (conditions belong to 'use_backend')."],
  ])('rejects %s', (line, message) => {
    expect(bad(line)).toEqual([`[ALERT] config : parsing [t.cfg:7] : ${message}`]);
  });
  it('are not allowed in backends; use_backend is not allowed in defaults', () => {
    expect(alerts(parse('defaults\n use_backend a\nbackend b\n use_backend a\n default_backend a\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : 'use_backend' not allowed in 'defaults' section; write it in a 'frontend' or 'listen' section.",
      "[ALERT] config : parsing [t.cfg:4] : 'use_backend' not allowed because backend 'b' has no frontend capability; write it in a 'frontend' or 'listen' section.",
      "[ALERT] config : parsing [t.cfg:5] : 'default_backend' not allowed because backend 'b' has no frontend capability; write it in a 'frontend' or 'listen' section.",
    ]);
  });
});
