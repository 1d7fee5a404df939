import { describe, expect, it } from 'vitest';
import { conditionError } from '../../../../proxy/config/sections/condition.ts';
import { alerts, parse, parseOk } from '../helpers.ts';

const words = (s: string) => s.split(' ');

describe('conditionError: accepted shapes', () => {
  it.each([
    'TRUE',
    'is_api',
    '!is_api',
    '! is_api',
    'a b',
    'a || b',
    'a or !b',
    '{ src 10.0.0.1 }',
    '! { path_beg /api } || { hdr(host) -i example.com } local',
    '{ req.hdr(x-a) -m found } a',
  ])('%s', (cond) => {
    expect(conditionError('if', words(cond))).toBeUndefined();
  });
});

describe('conditionError: rejected shapes', () => {
  it.each([
    ['', "missing condition after 'unless' (e.g. 'unless { path_beg /api }' or 'unless <acl name>')"],
    ['{ src 10.0.0.1', "missing '}' to close the anonymous ACL opened by '{'"],
    ['{ src 10.0.0.1}', "missing '}' to close the anonymous ACL opened by '{' ('10.0.0.1}' ends with '}': separate the brace with a space)"],
    ['{ }', "empty anonymous ACL '{ }', expected '{ <fetch> [flags] [values] }'"],
    ['{ { src x } }', "'{' inside an anonymous ACL: anonymous ACLs cannot be nested"],
    ['a }', "'}' without a matching '{' in the condition"],
    ['{src 10.0.0.1 }', "'{src' : braces must be separate words, e.g. '{ src 10.0.0.1 }'"],
    ['!{ src x }', "'!{' : braces must be separate words, e.g. '{ src 10.0.0.1 }'"],
    ['|| a', "'||' must stand between two ACLs in the condition"],
    ['a ||', "'||' must stand between two ACLs in the condition"],
    ['a or or b', "'or' must stand between two ACLs in the condition"],
    ['a !', "'!' must be followed by an ACL"],
    ['! || a', "'||' must stand between two ACLs in the condition"],
  ])("'%s'", (cond, message) => {
    expect(conditionError('unless', cond === '' ? [] : words(cond))).toBe(message);
  });
});

describe('conditions on rules', () => {
  it('are stored with their kind, words and line on every rule that takes one', () => {
    const c = parseOk(
      [
        'frontend f',
        ' bind :80',
        ' timeout client 1s',
        ' use_backend b if { path_beg /api } || is_api',
        ' http-request set-header X-A 1 unless TRUE',
        ' http-response del-header Server if !internal',
        ' default_backend b',
        'backend b',
      ].join('\n'),
    );
    const fe = c.frontends[0];
    expect(fe.useBackends[0].cond).toEqual({ kind: 'if', tokens: ['{', 'path_beg', '/api', '}', '||', 'is_api'], file: 't.cfg', line: 4 });
    expect(fe.httpRequestRules[0].cond).toEqual({ kind: 'unless', tokens: ['TRUE'], file: 't.cfg', line: 5 });
    expect(fe.httpResponseRules[0].cond).toEqual({ kind: 'if', tokens: ['!internal'], file: 't.cfg', line: 6 });
  });
  it('are absent (not an empty condition) when the rule has none', () => {
    const fe = parseOk('frontend f\n bind :80\n timeout client 1s\n use_backend b\nbackend b\n').frontends[0];
    expect(fe.useBackends[0]).toEqual({ backend: 'b', file: 't.cfg', line: 4 });
    expect('cond' in fe.useBackends[0]).toBe(false);
  });
  it('report a broken shape at the rule line with the rule keyword', () => {
    const text = 'frontend f\n bind :80\n timeout client 1s\n use_backend b if a ||\n http-request set-path /x if { src\nbackend b\n';
    expect(alerts(parse(text))).toEqual([
      "[ALERT] config : parsing [t.cfg:4] : 'use_backend' : '||' must stand between two ACLs in the condition.",
      "[ALERT] config : parsing [t.cfg:5] : 'http-request set-path' : missing '}' to close the anonymous ACL opened by '{'.",
    ]);
  });
});

