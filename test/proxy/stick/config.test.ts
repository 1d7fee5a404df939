import { describe, expect, it } from 'vitest';
import { parseStickTableLine, type StickTableLineContext } from '../../../proxy/stick/config.ts';

const at: StickTableLineContext = { name: 'be', file: 'h.cfg', line: 7 };
const words = (s: string): string[] => s.split(/\s+/);
const parse = (s: string, ctx: StickTableLineContext = at) => parseStickTableLine(words(s), ctx);
const def = (s: string) => {
  const r = parse(s);
  if (!r.ok) throw new Error(r.error);
  return r.def;
};
const err = (s: string, ctx: StickTableLineContext = at) => {
  const r = parse(s, ctx);
  if (r.ok) throw new Error(`expected an error for ${s}`);
  return r;
};

describe('parseStickTableLine', () => {
  it('applies HAProxy defaults: key sizes, no expire, purge allowed, no store', () => {
    expect(def('stick-table type ip size 100')).toEqual({
      name: 'be', type: 'ip', keySize: 4, size: 100, expire: 0, nopurge: false, peers: undefined, store: [], file: 'h.cfg', line: 7,
    });
    expect(def('stick-table type ipv6 size 1').keySize).toBe(16);
    expect(def('stick-table type integer size 1').keySize).toBe(4);
    expect(def('stick-table type string size 1').keySize).toBe(32);
    expect(def('stick-table type binary size 1').keySize).toBe(32);
  });

  it('takes len for string (+1 for the NUL) and binary, sizes with 1024-based suffixes, times with units', () => {
    const d = def('stick-table type string len 64 size 1m expire 30s nopurge peers mypeers');
    expect(d).toMatchObject({ type: 'string', keySize: 65, size: 1024 * 1024, expire: 30_000, nopurge: true, peers: 'mypeers' });
    expect(def('stick-table type binary len 20 size 2k').keySize).toBe(20);
    expect(def('stick-table size 10 type ip expire 24d').expire).toBe(24 * 86_400_000); // any order
  });

  it('parses store lists with rate periods, in HAProxy data type order, repeated store keywords', () => {
    const r = parse('stick-table type ip size 1k store http_req_rate(10s),gpc0,conn_cur store bytes_out_rate(1m),server_id');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.def.store).toEqual([
      { type: 'server_id', period: 0 },
      { type: 'gpc0', period: 0 },
      { type: 'conn_cur', period: 0 },
      { type: 'http_req_rate', period: 10_000 },
      { type: 'bytes_out_rate', period: 60_000 },
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('warns and ignores a data type stored twice', () => {
    const r = parse('stick-table type ip size 1 store gpc0,gpc0');
    expect(r.ok && r.warnings).toEqual(["parsing [h.cfg:7] : stick-table: store option 'gpc0' already enabled, ignored."]);
  });

  it('accepts every data type of the issue', () => {
    const all =
      'server_id,gpc0,gpc0_rate(1s),gpc1,gpt0,conn_cnt,conn_cur,conn_rate(1s),sess_cnt,sess_rate(1s),http_req_cnt,http_req_rate(1s),' +
      'http_err_cnt,http_err_rate(1s),bytes_in_cnt,bytes_in_rate(1s),bytes_out_cnt,bytes_out_rate(1s)';
    expect(def(`stick-table type ip size 1 store ${all}`).store).toHaveLength(18);
  });

  it('reports what and where for each mistake', () => {
    expect(err('stick-table type ip').error).toBe("parsing [h.cfg:7] : stick-table: missing size, add 'size <entries>' (e.g. 'size 100k').");
    expect(err('stick-table size 10').error).toMatch(/: stick-table: missing type, add 'type ip\|ipv6/);
    expect(err('stick-table type ipv4 size 10')).toMatchObject({ argIndex: 2, error: expect.stringMatching(/unknown type 'ipv4', expected one of ip, ipv6, integer, string, binary/) });
    expect(err('stick-table type ip size 10x').error).toMatch(/'size': invalid size '10x'/);
    expect(err('stick-table type ip size 0').error).toMatch(/'size' must be at least 1 entry/);
    expect(err('stick-table type ip size 100m').error).toMatch(/at most 67108864 entries/);
    expect(err('stick-table type ip size 10 expire 25d').error).toMatch(/maximum is 2147483647ms/);
    expect(err('stick-table type ip size 10 expire 10q').error).toMatch(/invalid time '10q'/);
    expect(err('stick-table type string len 0 size 1').error).toMatch(/'len' expects a positive integer argument, got '0'/);
    expect(err('stick-table type ip len 4 size 1')).toMatchObject({ argIndex: 3, error: expect.stringMatching(/unknown argument 'len'/) });
    expect(err('stick-table type ip size 1 expire').error).toMatch(/missing argument after 'expire'/);
    expect(err('stick-table type ip size 1 store http_req_rate').error).toMatch(/a rate needs its period, e.g. 'http_req_rate\(10s\)'/);
    expect(err('stick-table type ip size 1 store gpc0(3)').error).toMatch(/unexpected argument to store option 'gpc0'/);
    expect(err('stick-table type ip size 1 store conn_rate(10s').error).toMatch(/missing closing parenthesis/);
    expect(err('stick-table type ip size 1 store foo').error).toMatch(/unknown store option 'foo'/);
    expect(err('stick-table type ip size 1 store gpc_rate(1s)').error).toMatch(/'gpc_rate' is not supported by Flightbox yet/);
    expect(err('stick-table type ip size 1 store conn_rate(0)').error).toMatch(/period must be at least 1ms/);
    expect(err('stick-table type ip size 1 frobnicate')).toMatchObject({ argIndex: 5 });
  });

  it('parses the table line of a peers section, where peers is implied and not allowed', () => {
    const ctx = { file: 'h.cfg', line: 3, peersSection: 'mesh' };
    const r = parseStickTableLine(words('table t1 type ip size 1k expire 5m store gpc0'), ctx);
    expect(r.ok && r.def).toMatchObject({ name: 't1', peers: 'mesh', type: 'ip', expire: 300_000 });
    expect(err('table t1 type ip size 1 peers other', ctx).error).toMatch(/'peers' is not allowed in a peers section/);
    expect(err('table type ip size 1', ctx).error).toMatch(/missing table name/);
  });
});
