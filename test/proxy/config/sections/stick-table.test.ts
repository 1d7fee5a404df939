import { describe, expect, it } from 'vitest';
import { stickMessage } from '../../../../proxy/config/sections/stick-table.ts';
import { alerts, parse, parseOk, warnings } from '../helpers.ts';

const HEAD = 'defaults\n  timeout client 5s\n  timeout connect 5s\n  timeout server 5s\nfrontend fe\n  bind :8080\n  default_backend be\n';
/** A configuration whose backend `be` (line 8) holds `lines` from line 9 on. */
const be = (...lines: string[]) => `${HEAD}backend be\n${lines.map((l) => `  ${l}\n`).join('')}`;

describe("'stick-table' in backend and listen sections", () => {
  it('defines the table, named after the section, with HAProxy defaults and the stored types', () => {
    const c = parseOk(be('stick-table type ip size 1k expire 30s store http_req_cnt,http_req_rate(10s)', 'server s1 127.0.0.1:9000'));
    const t = c.backends[0]!.stickTable;
    expect(t).toEqual({
      name: 'be', type: 'ip', keySize: 4, size: 1024, expire: 30_000, nopurge: false, peers: undefined,
      store: [{ type: 'http_req_cnt', period: 0 }, { type: 'http_req_rate', period: 10_000 }], file: 't.cfg', line: 9,
    });
    expect(c.stickTables).toEqual([t]);
  });

  it('is accepted in a listen section; a backend without one has none', () => {
    const c = parseOk(`${HEAD}backend be\n  server s 127.0.0.1:1\nlisten li\n  bind :8081\n  stick-table type string len 20 size 10 nopurge\n  server s 127.0.0.1:1\n`);
    expect(c.backends[0]!.stickTable).toBeUndefined();
    expect(c.backends[1]!.stickTable).toMatchObject({ name: 'li', type: 'string', keySize: 21, nopurge: true });
    expect(c.stickTables.map((t) => t.name)).toEqual(['li']);
  });

  it('takes the peers name (the sync itself is gated by engine-support)', () => {
    const c = parseOk(`${be('stick-table type ip size 1 peers mine')}peers mine\n  peer me 127.0.0.1:10000\n`, { localPeer: 'me' });
    expect(c.backends[0]!.stickTable!.peers).toBe('mine');
  });

  it('allows one table per section, as HAProxy', () => {
    expect(alerts(parse(be('stick-table type ip size 1', 'stick-table type integer size 1')))).toEqual([
      "[ALERT] config : parsing [t.cfg:10] : 'stick-table' : only one stick-table per section is allowed (it is named after the section), backend 'be' already has the one at t.cfg:9; declare another backend (or a 'table' in a 'peers' section) for a second table.",
    ]);
  });

  it.each([
    ['stick-table type foo size 1', "'stick-table' : unknown type 'foo', expected one of ip, ipv6, integer, string, binary."],
    ['stick-table type ip', "'stick-table' : missing size, add 'size <entries>' (e.g. 'size 100k')."],
    ['stick-table size 1', "'stick-table' : missing type, add 'type ip|ipv6|integer|string [len <n>]|binary [len <n>]'."],
    ['stick-table type ip size 1 store http_req_rate', "'stick-table' : missing argument to store option 'http_req_rate': a rate needs its period, e.g. 'http_req_rate(10s)'."],
    ['stick-table type ip size 1 store foo', "'stick-table' : unknown store option 'foo', expected one of server_id, gpt0, gpc0, gpc0_rate, conn_cnt, conn_rate, conn_cur, sess_cnt, sess_rate, http_req_cnt, http_req_rate, http_err_cnt, http_err_rate, bytes_in_cnt, bytes_in_rate, bytes_out_cnt, bytes_out_rate, gpc1."],
    ['stick-table type ip size 1 srvkey addr', "'stick-table' : 'srvkey' is not supported by Flightbox yet; remove it."],
    ['stick-table type ip size 1 bogus', "'stick-table' : unknown argument 'bogus', expected type, size, expire, nopurge, peers, or store."],
  ])('reports %s at its line', (line, message) => {
    expect(alerts(parse(be(line)))).toEqual([`[ALERT] config : parsing [t.cfg:9] : ${message}`]);
  });

  it('reports a bad expire time with the units message', () => {
    const got = alerts(parse(be('stick-table type ip size 1 expire 10q')));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:9\] : 'stick-table' : 'expire': .*'10q'/);
  });

  it('warns (and ignores) a data type stored twice', () => {
    const r = parse(be('stick-table type ip size 1 store gpc0,gpc0', 'server s 127.0.0.1:1'));
    expect(alerts(r)).toEqual([]);
    expect(warnings(r)).toEqual(["[WARNING] config : parsing [t.cfg:9] : 'stick-table' : store option 'gpc0' already enabled, ignored."]);
  });

  it('is refused in frontends and defaults, saying where it belongs', () => {
    expect(alerts(parse(`${HEAD}  stick-table type ip size 1\nbackend be\n`))).toEqual([
      "[ALERT] config : parsing [t.cfg:8] : 'stick-table' not allowed because frontend 'fe' has no backend capability; write it in a 'backend' or 'listen' section.",
    ]);
    expect(alerts(parse(`defaults\n  stick-table type ip size 1\n`))).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : 'stick-table' not allowed in 'defaults' section; write it in a 'backend' or 'listen' section.",
    ]);
  });

  it("naming an unknown peers section is an alert (HAProxy: unable to find sync peers)", () => {
    expect(alerts(parse(be('stick-table type ip size 1 peers nope')))).toEqual([
      "[ALERT] config : parsing [t.cfg:9] : backend 'be' : unable to find sync peers 'nope'; declare 'peers nope' or fix the name in 'stick-table ... peers nope'.",
    ]);
  });

  it('stickMessage strips the location and keyword of proxy/stick/config.ts messages', () => {
    expect(stickMessage("parsing [a.cfg:3] : stick-table: missing size, add 'size'.")).toBe("missing size, add 'size'");
    expect(stickMessage('parsing [a.cfg:3] : table: x ignored.', true)).toBe('x ignored.');
  });
});
