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
    const r = parse('frontend f\n bind :80\n timeout client 1s\n timeout server 1s\nbackend b\n timeout client 1s\n timeout connect 1s\n timeout server 2s\n');
    expect(alerts(r)).toEqual([]);
    expect(warnings(r)).toEqual([
      "[WARNING] config : parsing [t.cfg:4] : 'timeout server' ignored because frontend 'f' has no backend capability",
      "[WARNING] config : parsing [t.cfg:6] : 'timeout client' ignored because backend 'b' has no frontend capability",
    ]);
    expect(r.config?.frontends[0].timeouts).toEqual({ client: 1000 });
    expect(r.config?.backends[0].timeouts).toEqual({ connect: 1000, server: 2000 });
  });
  it.each([
    ['timeout queue 1s', "'timeout' : unknown timeout 'queue', expected client, http-request, http-keep-alive, server or connect."],
    ['timeout', "'timeout' : missing timeout kind, expected client, http-request, http-keep-alive, server or connect."],
    ['timeout client', "'timeout client' : missing time, expected 'timeout client <time>' (e.g. 'timeout client 30s')."],
    ['timeout client 5 s', "'timeout client' : unexpected argument 's', expected 'timeout client <time>'."],
    ['timeout http-request 5x', "'timeout http-request' : invalid time '5x', expected an integer optionally followed by us, ms, s, m, h or d (default unit: ms, e.g. '5s')."],
  ])('rejects %s', (line, message) => {
    expect(alerts(parse(`defaults\n ${line}\n`))).toEqual([`[ALERT] config : parsing [t.cfg:2] : ${message}`]);
  });
});

describe('maxconn', () => {
  it('is accepted in defaults, frontend and listen, and inherited', () => {
    const c = parseOk('defaults\n maxconn 50\n timeout client 1s\nfrontend a\n bind :80\nfrontend b\n bind :81\n maxconn 7\n');
    expect(c.frontends.map((f) => f.maxconn)).toEqual([50, 7]);
  });
  it('rejects a bad value and is unknown in backends', () => {
    expect(alerts(parse('frontend f\n bind :80\n maxconn 0\nbackend b\n maxconn 5\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:3] : 'maxconn' : value '0' is out of range, expected an integer >= 1.",
      "[ALERT] config : parsing [t.cfg:5] : unknown keyword 'maxconn' in 'backend' section",
    ]);
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
  it('rejects frontend-only keywords in backends', () => {
    expect(alerts(parse('backend b\n bind :80\n http-request return\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : unknown keyword 'bind' in 'backend' section",
      "[ALERT] config : parsing [t.cfg:3] : unknown keyword 'http-request' in 'backend' section",
    ]);
  });
});
