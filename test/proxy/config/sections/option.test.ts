import { describe, expect, it } from 'vitest';
import { parseNetwork } from '../../../../proxy/config/sections/option.ts';
import { alerts, parse, parseOk, warnings } from '../helpers.ts';

const T = ' timeout client 1s\n timeout connect 1s\n timeout server 1s\n';
const be = (...lines: string[]) => `backend b\n${T}${lines.map((l) => ` ${l}\n`).join('')}`;
const fe = (...lines: string[]) => `frontend f\n bind :80\n${T}${lines.map((l) => ` ${l}\n`).join('')} default_backend b\nbackend b\n`;
const backend = (text: string) => parseOk(text).backends[0];
const frontend = (text: string) => parseOk(text).frontends[0];
const bad = (text: string) => alerts(parse(text));

describe('option httpchk', () => {
  it.each([
    ['option httpchk', { method: 'OPTIONS', uri: '/', version: 'HTTP/1.0', headers: [] }],
    ['option httpchk /health', { method: 'OPTIONS', uri: '/health', version: 'HTTP/1.0', headers: [] }],
    ['option httpchk GET /health', { method: 'GET', uri: '/health', version: 'HTTP/1.0', headers: [] }],
    ['option httpchk HEAD /h?x=1 HTTP/1.1', { method: 'HEAD', uri: '/h?x=1', version: 'HTTP/1.1', headers: [] }],
    ['option httpchk GET / HTTP/1.1\\r\\nHost:\\ www\\r\\nX-A:1', { method: 'GET', uri: '/', version: 'HTTP/1.1', headers: [['Host', 'www'], ['X-A', '1']] }],
  ])('%s', (line, expected) => {
    expect(backend(be(line)).httpchk).toEqual({ ...expected, expects: [], file: 't.cfg', line: 5 });
  });
  it('the last line wins', () => {
    expect(backend(be('option httpchk GET /a', 'option httpchk /b')).httpchk).toMatchObject({ method: 'OPTIONS', uri: '/b' });
  });
  it.each([
    ['option httpchk GET / HTTP/1.1 extra', "'option httpchk' : unexpected argument 'extra', expected 'option httpchk [<method> <uri> [<version>]]'."],
    ['option httpchk "G T" /', "'option httpchk' : invalid method 'G T', expected a token such as GET, HEAD or OPTIONS."],
    ['option httpchk GET ""', "'option httpchk' : invalid URI '', expected a path such as /health."],
    ['option httpchk GET / HTTP/2', "'option httpchk' : invalid version 'HTTP/2', expected HTTP/1.0 or HTTP/1.1."],
    ['option httpchk GET / HTTP/1.1\\r\\nHost', "'option httpchk' : invalid header line 'Host' after the version, expected 'Name: value'."],
  ])('rejects %s', (line, message) => {
    expect(bad(be(line))).toEqual([`[ALERT] config : parsing [t.cfg:5] : ${message}`]);
  });
});

describe('option redispatch', () => {
  it('enables redispatch on the last retry by default, or every Nth retry; 0 and "no option" disable it', () => {
    expect(backend(be('option redispatch')).redispatch).toEqual({ enabled: true, interval: -1 });
    expect(backend(be('option redispatch 3')).redispatch).toEqual({ enabled: true, interval: 3 });
    expect(backend(be('option redispatch -2')).redispatch).toEqual({ enabled: true, interval: -2 });
    expect(backend(be('option redispatch 0')).redispatch).toEqual({ enabled: false, interval: 0 });
    const c = parseOk(`defaults\n${T} option redispatch\nbackend a\n no option redispatch\nbackend b\n`);
    expect(c.backends.map((b) => b.redispatch.enabled)).toEqual([false, true]);
  });
  it('rejects a bad interval or extra words', () => {
    expect(bad(be('option redispatch x', 'option redispatch 1 2'))).toEqual([
      "[ALERT] config : parsing [t.cfg:5] : 'option' : invalid number 'x', expected an integer between -1000000 and 1000000.",
      "[ALERT] config : parsing [t.cfg:6] : 'option redispatch' : unexpected argument '2'.",
    ]);
  });
});

describe('option forwardfor', () => {
  it('defaults to X-Forwarded-For for every client', () => {
    expect(frontend(fe('option forwardfor')).forwardfor).toEqual({ header: 'X-Forwarded-For', except: undefined, ifNone: false, file: 't.cfg', line: 6 });
  });
  it('reads except, header and if-none in any order', () => {
    expect(frontend(fe('option forwardfor if-none header X-Client except 127.0.0.0/8')).forwardfor).toMatchObject({
      header: 'X-Client',
      except: { address: '127.0.0.0', prefixLength: 8 },
      ifNone: true,
    });
  });
  it('applies to frontends, backends and listen sections, and is inherited from defaults', () => {
    const c = parseOk(`defaults\n${T} option forwardfor\nfrontend f\n bind :80\n default_backend b\nbackend b\n option forwardfor header X-Real\n`);
    expect(c.frontends[0].forwardfor?.header).toBe('X-Forwarded-For');
    expect(c.backends[0].forwardfor?.header).toBe('X-Real');
  });
  it.each([
    ['option forwardfor except', "'option forwardfor' : 'except' expects a network (e.g. 127.0.0.0/8)."],
    ['option forwardfor except nowhere', "'option forwardfor' : invalid network 'nowhere', expected an address with an optional mask (e.g. 127.0.0.0/8, ::1)."],
    ['option forwardfor header', "'option forwardfor' : 'header' expects a header name."],
    ['option forwardfor header "X A"', "'option forwardfor' : 'X A' is not a valid header name (RFC 9110 5.1)."],
    ['option forwardfor always', "'option forwardfor' : unknown argument 'always', expected 'except <network>', 'header <name>' or 'if-none'."],
  ])('rejects %s', (line, message) => {
    expect(bad(fe(line))).toEqual([`[ALERT] config : parsing [t.cfg:6] : ${message}`]);
  });
});

describe('parseNetwork', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1', 32],
    ['10.0.0.0/8', '10.0.0.0', 8],
    ['10.0.0.0/255.255.0.0', '10.0.0.0', 16],
    ['0.0.0.0/0', '0.0.0.0', 0],
    ['::1', '::1', 128],
    ['2001:db8::/32', '2001:db8::', 32],
  ])('%s', (text, address, prefixLength) => {
    expect(parseNetwork(text)).toEqual({ address, prefixLength });
  });
  it.each([
    ['10.0.0.0/33', "invalid mask '33' in '10.0.0.0/33', expected a prefix length between 0 and 32 or a dotted mask such as 255.255.0.0"],
    ['10.0.0.0/255.0.255.0', "invalid mask '255.0.255.0' in '10.0.0.0/255.0.255.0', expected a prefix length between 0 and 32 or a dotted mask such as 255.255.0.0"],
    ['::1/129', "invalid mask '129' in '::1/129', expected a prefix length between 0 and 128"],
    ['10.0.0.0/8/9', "invalid network '10.0.0.0/8/9', expected an address with an optional mask (e.g. 127.0.0.0/8, ::1)"],
  ])('rejects %s', (text, message) => {
    expect(() => parseNetwork(text)).toThrow(message);
  });
});

describe('option http-server-close', () => {
  it('sets the flag on frontends and backends; no option clears an inherited one', () => {
    const c = parseOk(`defaults\n${T} option http-server-close\nfrontend f\n bind :80\n no option http-server-close\n default_backend b\nbackend b\n`);
    expect([c.frontends[0].httpServerClose, c.backends[0].httpServerClose]).toEqual([false, true]);
  });
  it('takes no argument', () => {
    expect(bad(fe('option http-server-close now', 'no option http-server-close now'))).toEqual([
      "[ALERT] config : parsing [t.cfg:6] : 'option http-server-close' : unexpected argument 'now'.",
      "[ALERT] config : parsing [t.cfg:7] : 'no option' : unexpected argument 'now', 'no option http-server-close' takes none.",
    ]);
  });
});

describe('option httplog', () => {
  it("selects HAProxy's HTTP format or CLF, inherited from defaults", () => {
    expect(frontend(fe('option httplog', 'log stdout local0')).httplog).toBe('httplog');
    expect(frontend(fe('option httplog clf', 'log stdout local0')).httplog).toBe('clf');
    expect(frontend(fe('log stdout local0')).httplog).toBe(false);
    const c = parseOk(`defaults\n${T} option httplog\n log stdout local0\nfrontend f\n bind :80\n default_backend b\nbackend b\n`);
    expect(c.frontends[0].httplog).toBe('httplog');
  });
  it('rejects other arguments', () => {
    expect(bad(fe('option httplog json'))).toEqual([
      "[ALERT] config : parsing [t.cfg:6] : 'option httplog' : unexpected argument 'json', expected 'option httplog [clf]'.",
    ]);
  });
});

describe('options in a section without their capability', () => {
  it('are ignored with a warning, as HAProxy', () => {
    const r = parse(fe('option httpchk', 'option redispatch', 'no option redispatch') + ` option httplog\n`);
    expect(alerts(r)).toEqual([]);
    expect(warnings(r).filter((w) => w.includes("'option "))).toEqual([
      "[WARNING] config : parsing [t.cfg:6] : 'option httpchk' ignored because frontend 'f' has no backend capability",
      "[WARNING] config : parsing [t.cfg:7] : 'option redispatch' ignored because frontend 'f' has no backend capability",
      "[WARNING] config : parsing [t.cfg:8] : 'option redispatch' ignored because frontend 'f' has no backend capability",
      "[WARNING] config : parsing [t.cfg:11] : 'option httplog' ignored because backend 'b' has no frontend capability",
    ]);
    expect(r.config?.backends[0].redispatch.enabled).toBe(false);
  });
});

describe('option and no: bad values', () => {
  it.each([
    ['option', "'option' : missing option name, expected one of httpchk, redispatch, forwardfor, http-server-close, httplog."],
    ['option dontlognull', "'option' : unknown option 'dontlognull' (or not supported yet), expected one of httpchk, redispatch, forwardfor, http-server-close, httplog."],
    ['no option httplog', "'no option' : negation/default is not supported for option 'httplog'."],
    ['no option forwardfor', "'no option' : negation/default is not supported for option 'forwardfor'."],
    ['no option', "'no option' : missing option name, expected one of httpchk, redispatch, forwardfor, http-server-close, httplog."],
    ['no maxconn', "'no' : expected 'no option <name>' or 'no log', got 'no maxconn'."],
    ['no', "'no' : expected 'no option <name>' or 'no log'."],
    ['no log now', "'no log' : unexpected argument 'now', 'no log' takes none."],
  ])('%s', (line, message) => {
    expect(bad(fe(line))).toEqual([`[ALERT] config : parsing [t.cfg:6] : ${message}`]);
  });
});
