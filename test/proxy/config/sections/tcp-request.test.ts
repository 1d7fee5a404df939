/**
 * The tracking and stickiness keywords: `http-request track-sc<n>`, `sc-inc-gpc0/1`, `sc-set-gpt0`
 * (http-request.ts), `tcp-request connection track-sc<n>` (tcp-request.ts) and `stick
 * on|match|store-request` (proxy.ts), with the server_id HAProxy adds to a table stick rules use.
 */
import { describe, expect, it } from 'vitest';
import { alerts, parse, parseOk } from '../helpers.ts';

const fe = (...lines: string[]) => `frontend f\n bind :80\n timeout client 1s\n${lines.map((r) => ` ${r}\n`).join('')}`;
const be = (...lines: string[]) => `backend b\n timeout connect 1s\n timeout server 1s\n server s 127.0.0.1:1\n${lines.map((r) => ` ${r}\n`).join('')}`;

describe('http-request track-sc and the counter actions', () => {
  it('reads the key, the table and a condition', () => {
    const c = parseOk(fe('http-request track-sc0 src table rl', 'http-request track-sc2 req.hdr(x-user) if { path_beg /api }', 'http-request track-sc1 base table t2') + be('stick-table type ip size 10'));
    expect(c.frontends[0]!.httpRequestRules).toEqual([
      { kind: 'track-sc', slot: 0, key: { fetch: 'src', text: 'src' }, table: 'rl', file: 't.cfg', line: 4 },
      { kind: 'track-sc', slot: 2, key: { fetch: 'req.hdr', name: 'x-user', occ: undefined, text: 'req.hdr(x-user)' }, table: undefined, file: 't.cfg', line: 5, cond: { kind: 'if', tokens: ['{', 'path_beg', '/api', '}'], file: 't.cfg', line: 5 } },
      { kind: 'track-sc', slot: 1, key: { fetch: 'base', text: 'base' }, table: 't2', file: 't.cfg', line: 6 },
    ]);
  });
  it('reads sc-inc-gpc0(<n>), sc-inc-gpc1(<n>) and sc-set-gpt0(<n>) <int>', () => {
    const c = parseOk(fe('http-request sc-inc-gpc0(1)', 'http-request sc-inc-gpc1(0) if TRUE', 'http-request sc-set-gpt0(2) 42'));
    expect(c.frontends[0]!.httpRequestRules.map((r) => ({ ...r, file: undefined, line: undefined, cond: undefined }))).toEqual([
      { kind: 'sc-inc-gpc0', slot: 1, file: undefined, line: undefined, cond: undefined },
      { kind: 'sc-inc-gpc1', slot: 0, file: undefined, line: undefined, cond: undefined },
      { kind: 'sc-set-gpt0', slot: 2, value: 42, file: undefined, line: undefined, cond: undefined },
    ]);
  });
  it.each([
    ['http-request track-sc0', "'http-request track-sc0' : missing key, expected 'http-request track-sc0 <key> [table <table>] [if|unless <condition>]'."],
    ['http-request track-sc0 src table', "'http-request track-sc0' : missing table name after 'table', expected 'http-request track-sc0 <key> [table <table>] [if|unless <condition>]'."],
    ['http-request track-sc0 ssl_fc_sni', "'http-request track-sc0' : key 'ssl_fc_sni' is not supported by Flightbox yet; supported keys: src, req.hdr(<name>[,<occ>]), path, url or base."],
    ['http-request track-sc0 src,nosuch', "'http-request track-sc0' : key 'src,nosuch': unknown conv method 'nosuch'."],
    ['http-request track-sc0 src,ipmask(24),lower', "'http-request track-sc0' : key 'src,ipmask(24),lower': conv method 'lower' cannot be applied."],
    ['http-request track-sc0 ssl_fc_sni,lower', "'http-request track-sc0' : key 'ssl_fc_sni' is not supported by Flightbox yet; supported keys: src, req.hdr(<name>[,<occ>]), path, url or base."],
    ['http-request track-sc3 src', "'http-request' : unknown action 'track-sc3' (or not supported yet), expected one of return, deny, redirect, set-header, add-header, del-header, replace-header, set-path, track-sc0, track-sc1, track-sc2, sc-inc-gpc0, sc-inc-gpc1, sc-set-gpt0."],
    ['http-request track-sc0 src foo', "'http-request track-sc0' : unexpected argument 'foo', expected 'http-request track-sc0 <key> [table <table>] [if|unless <condition>]'."],
    ['http-request sc-inc-gpc0(5)', "'http-request sc-inc-gpc0(5)' : invalid stick table track ID '5' in 'sc-inc-gpc0(5)', expected 0, 1 or 2 (e.g. 'sc-inc-gpc0(0)')."],
    ['http-request sc-inc-gpc0', "'http-request sc-inc-gpc0' : invalid stick table track ID '' in 'sc-inc-gpc0', expected 0, 1 or 2 (e.g. 'sc-inc-gpc0(0)')."],
    ['http-request sc-set-gpt0(0) abc', "'http-request sc-set-gpt0(0)' : 'abc' is not an integer; Flightbox accepts an integer value here (expressions are not supported yet), expected 'sc-set-gpt0(<n>) <int> [if|unless <condition>]'."],
  ])('%s', (line, message) => {
    expect(alerts(parse(fe(line)))).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });
});

describe('tcp-request connection track-sc', () => {
  it('rides in the frontend rule list with its own kind', () => {
    const c = parseOk(fe('tcp-request connection track-sc1 src table t unless { src 10.0.0.0/8 }'));
    expect(c.frontends[0]!.httpRequestRules).toEqual([
      { kind: 'tcp-connection-track-sc', slot: 1, key: { fetch: 'src', text: 'src' }, table: 't', file: 't.cfg', line: 4, cond: { kind: 'unless', tokens: ['{', 'src', '10.0.0.0/8', '}'], file: 't.cfg', line: 4 } },
    ]);
  });
  it.each([
    ['tcp-request content accept', "'tcp-request' : 'tcp-request content' is not supported by Flightbox yet; only 'tcp-request connection track-sc0|1|2 src [table <table>]' is."],
    ['tcp-request connection reject', "'tcp-request connection' : action 'reject' is not supported by Flightbox yet; only 'track-sc0', 'track-sc1' and 'track-sc2' are in 'tcp-request connection'."],
    ['tcp-request connection track-sc0 path', "'tcp-request connection track-sc0' : key 'path' is not supported here: only 'src' is available in 'tcp-request connection' rules (no HTTP request is read yet)."],
  ])('%s', (line, message) => {
    expect(alerts(parse(fe(line)))).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });
  it('is refused in a backend, saying where it belongs', () => {
    expect(alerts(parse(be('tcp-request connection track-sc0 src')))[0]).toMatch(/'tcp-request' not allowed because backend 'b' has no frontend capability/);
  });
});

describe('stick on|match|store-request', () => {
  it('reads each form; the section table gets server_id whichever line comes first', () => {
    const before = parseOk(be('stick-table type ip size 10 store conn_cur', 'stick on src'));
    expect(before.backends[0]!.httpRequestRules).toEqual([{ kind: 'stick', mode: 'on', key: { fetch: 'src', text: 'src' }, table: undefined, file: 't.cfg', line: 6 }]);
    expect(before.backends[0]!.stickTable!.store.map((s) => s.type)).toEqual(['server_id', 'conn_cur']);
    const after = parseOk(be('stick match req.hdr(x-id) if TRUE', 'stick store-request req.hdr(x-id)', 'stick-table type string size 10'));
    expect(after.backends[0]!.httpRequestRules.map((r) => r.kind === 'stick' && r.mode)).toEqual(['match', 'store-request']);
    expect(after.backends[0]!.stickTable!.store.map((s) => s.type)).toEqual(['server_id']);
    expect(after.stickTables[0]!.store.map((s) => s.type)).toEqual(['server_id']);
  });
  it('gives server_id to the table of an earlier backend named by `table`', () => {
    const c = parseOk(`backend t\n stick-table type ip size 10\n${be('stick on src table t')}`);
    expect(c.backends.find((b) => b.name === 't')!.stickTable!.store.map((s) => s.type)).toEqual(['server_id']);
  });
  it.each([
    ['stick store-response src', "'stick' : 'stick store-response' is not supported by Flightbox yet, expected 'stick on', 'stick match' or 'stick store-request'."],
    ['stick', "'stick' : missing rule type, expected 'stick on', 'stick match' or 'stick store-request'."],
    ['stick on', "'stick on' : missing key, expected 'stick on <key> [table <table>] [if|unless <condition>]'."],
  ])('%s', (line, message) => {
    expect(alerts(parse(be(line)))).toEqual([`[ALERT] config : parsing [t.cfg:5] : ${message}`]);
  });
});
