import { afterAll, describe, expect, it } from 'vitest';
import { applyConverters, parseConverterChain } from '../../../proxy/acl/converters.ts';
import type { ConvSampleType } from '../../../proxy/acl/converters.ts';
import { sampleStickKey } from '../../../proxy/acl/table-converters.ts';
import { requestContext } from '../../../proxy/acl/context.ts';
import { compileLogFormat } from '../../../proxy/stream/log-format.ts';
import { attachStickTables } from '../../../proxy/stick/registry.ts';
import { createStickTable } from '../../../proxy/stick/table.ts';
import { formatStickKey, parseStickKey, stringKey } from '../../../proxy/stick/key.ts';
import { fetchKeySample, parseStickKeyExpr } from '../../../proxy/stick/track-key.ts';
import { stickDef } from '../stick/helpers.ts';
import { matches } from './helpers.ts';

// The thread's tables on a virtual clock, as a worker has them (threadStickTables()).
const clock = { now: 5_000_000 };
const defs = [
  stickDef(
    'stick-table type ip size 8 expire 10s store conn_cnt,conn_cur,conn_rate(10s),sess_cnt,sess_rate(10s),http_req_cnt,http_req_rate(10s),' +
      'http_err_cnt,http_err_rate(10s),bytes_in_cnt,bytes_out_cnt,bytes_in_rate(10s),bytes_out_rate(10s),gpc0,gpc0_rate(10s),gpc1,gpt0,server_id',
    't',
  ),
  stickDef('stick-table type string len 32 size 8 store http_req_rate(10s)', 'hosts'),
  stickDef('stick-table type integer size 8 store gpc0', 'ints'),
  stickDef('stick-table type ipv6 size 8 store http_req_cnt', 'six'),
];
const reg = attachStickTables(defs, defs.map((d) => createStickTable(d)), () => clock.now);
const t = reg.get('t')!;
const hosts = reg.get('hosts')!;
const ints = reg.get('ints')!;
const six = reg.get('six')!;
afterAll(() => attachStickTables([], []));

function run(text: string, value: string | number | boolean, type: ConvSampleType = 'ip'): string | number | boolean | undefined {
  const chain = parseConverterChain(text, type);
  if ('error' in chain) throw new Error(chain.error);
  return applyConverters(chain.convs, { type, value })?.value;
}

// One entry for 10.0.0.1 with hand-set values.
{
  const h = t.acquire(parseStickKey('ip', 4, '10.0.0.1'));
  for (let i = 0; i < 7; i++) {
    t.add(h, 'http_req_cnt', 1);
    t.add(h, 'http_req_rate', 1);
  }
  t.set(h, 'conn_cnt', 3);
  t.set(h, 'conn_cur', 2);
  t.add(h, 'conn_rate', 3);
  t.set(h, 'sess_cnt', 4);
  t.add(h, 'sess_rate', 4);
  t.set(h, 'http_err_cnt', 1);
  t.add(h, 'http_err_rate', 1);
  t.set(h, 'bytes_in_cnt', 5000);
  t.set(h, 'bytes_out_cnt', 2047);
  t.add(h, 'bytes_in_rate', 5000);
  t.add(h, 'bytes_out_rate', 2047);
  t.set(h, 'gpc0', 9);
  t.add(h, 'gpc0_rate', 9);
  t.set(h, 'gpc1', 11);
  t.set(h, 'gpt0', 42);
  t.set(h, 'server_id', 2);
  t.touchAndRelease(h);
  const g = hosts.acquire(stringKey('www.example.com', hosts.def.keySize));
  hosts.add(g, 'http_req_rate', 5);
  hosts.touchAndRelease(g);
  const k = ints.acquire(parseStickKey('integer', 4, '1234'));
  ints.set(k, 'gpc0', 77);
  ints.touchAndRelease(k);
  const v = six.acquire(parseStickKey('ipv6', 16, '10.0.0.1'));
  six.add(v, 'http_req_cnt', 3);
  six.touchAndRelease(v);
}

describe('table_* converters read the entry of the input key', () => {
  it.each([
    ['table_http_req_cnt', 7],
    ['table_http_req_rate', 7],
    ['table_conn_cnt', 3],
    ['table_conn_cur', 2],
    ['table_conn_rate', 3],
    ['table_sess_cnt', 4],
    ['table_sess_rate', 4],
    ['table_http_err_cnt', 1],
    ['table_http_err_rate', 1],
    ['table_bytes_in_rate', 5000],
    ['table_bytes_out_rate', 2047],
    ['table_kbytes_in', 4], // 5000 / 1024
    ['table_kbytes_out', 1], // 2047 / 1024
    ['table_gpc0', 9],
    ['table_gpc0_rate', 9],
    ['table_gpc1', 11],
    ['table_gpt0', 42],
    ['table_server_id', 2],
  ] as const)('%s(t) of 10.0.0.1 = %d', (conv, value) => {
    expect(run(`${conv}(t)`, '10.0.0.1')).toBe(value);
  });

  it('an absent key gives 0 (in_table false), never creating an entry', () => {
    const n = t.current;
    expect(run('table_http_req_rate(t)', '10.9.9.9')).toBe(0);
    expect(run('table_gpc0(t)', '10.9.9.9')).toBe(0);
    expect(run('table_trackers(t)', '10.9.9.9')).toBe(0);
    expect(run('in_table(t)', '10.9.9.9')).toBe(false);
    expect(run('in_table(t)', '10.0.0.1')).toBe(true);
    expect(t.current).toBe(n);
  });

  it('a data type the table does not store gives no sample (for a present key)', () => {
    expect(run('table_gpc0(hosts)', 'www.example.com', 'str')).toBeUndefined();
    expect(run('table_gpc0(hosts)', 'absent.example', 'str')).toBe(0);
  });

  it('a table this thread does not have, or a sample that is no key of its type, gives no sample', () => {
    expect(run('table_http_req_rate(nosuch)', '10.0.0.1')).toBeUndefined();
    expect(run('table_http_req_rate(t)', 'not-an-address', 'str')).toBeUndefined();
    expect(run('table_http_req_rate(t)', '2001:db8::1')).toBeUndefined();
  });

  it('table_trackers counts the references held (the lookup\'s own not counted), and drops its own', () => {
    const key = parseStickKey('ip', 4, '10.0.0.1');
    expect(run('table_trackers(t)', '10.0.0.1')).toBe(0);
    const h = t.lookup(key);
    expect(run('table_trackers(t)', '10.0.0.1')).toBe(1);
    t.release(h);
    expect(run('table_trackers(t)', '10.0.0.1')).toBe(0);
    const again = t.lookup(key);
    expect(t.refs(again)).toBe(1); // only this lookup's: no reference leaked by the converters
    t.release(again);
  });

  it('casts the key as smp_to_stkey: a string table, an integer table, an ipv6 table', () => {
    expect(run('lower,table_http_req_rate(hosts)', 'WWW.Example.COM', 'str')).toBe(5);
    expect(run('table_gpc0(ints)', 1234, 'int')).toBe(77);
    expect(run('table_gpc0(ints)', '1234', 'str')).toBe(77);
    expect(run('table_http_req_cnt(six)', '10.0.0.1')).toBe(3); // IPv4 mapped into ::ffff:10.0.0.1
    const key = sampleStickKey(ints.def, { type: 'ip', value: '0.0.4.210' });
    expect(key && formatStickKey('integer', key.bytes, key.len)).toBe('1234');
  });
});

describe('table converters where sample expressions are written', () => {
  it('ACLs: src,table_http_req_rate(t) gt 3, in_table', () => {
    expect(matches('src,table_http_req_rate(t) gt 3', { src: '10.0.0.1' })).toBe(true);
    expect(matches('src,table_http_req_rate(t) gt 7', { src: '10.0.0.1' })).toBe(false);
    expect(matches('src,table_http_req_rate(t) eq 0', { src: '10.0.0.2' })).toBe(true);
    expect(matches('src,in_table(t)', { src: '10.0.0.1' })).toBe(true);
    expect(matches('src,in_table(t)', { src: '10.0.0.2' })).toBe(false);
    expect(matches('req.hdr(host),lower,table_http_req_rate(hosts) ge 5', { headers: [['Host', 'WWW.EXAMPLE.com']] })).toBe(true);
  });

  it('log-format: %[src,table_http_req_rate(t)] and a header key', () => {
    const f = compileLogFormat('r=%[src,table_http_req_rate(t)] h=%[req.hdr(host),lower,table_http_req_rate(hosts)] n=%[src,in_table(t)]', 'response');
    if ('error' in f) throw new Error(f.error);
    const req = requestContext({ src: '10.0.0.1', headers: [['Host', 'www.Example.com']] });
    expect(f.render({ req, res: { status: 200, headers: [] } })).toBe('r=7 h=5 n=1');
  });

  it('tracking keys: the converters run before the key is made', () => {
    const e = parseStickKeyExpr('req.hdr(host),lower');
    if (typeof e === 'string') throw new Error(e);
    const req = requestContext({ headers: [['Host', 'WWW.Example.com']] });
    expect(fetchKeySample(e, req)).toEqual({ type: 'str', value: 'www.example.com' });
    const m = parseStickKeyExpr('src,ipmask(16)', true);
    if (typeof m === 'string') throw new Error(m);
    expect(fetchKeySample(m, requestContext({ src: '10.1.2.3' }))).toEqual({ type: 'ip', value: '10.1.0.0' });
  });
});

describe('rates over time (last: moves the virtual clock forward)', () => {
  it('table_http_req_rate decays over the period like the sc_*/src_* fetches (same freq-ctr code)', () => {
    const h = t.acquire(parseStickKey('ip', 4, '10.0.0.50'));
    t.add(h, 'http_req_rate', 8);
    t.touchAndRelease(h);
    expect(run('table_http_req_rate(t)', '10.0.0.50')).toBe(8);
    clock.now += 4_000; // same period: still 8
    expect(run('table_http_req_rate(t)', '10.0.0.50')).toBe(8);
    clock.now += 6_000 + 5_000; // half-way through the next period: half of the previous one's 8
    expect(run('table_http_req_rate(t)', '10.0.0.50')).toBe(4);
  });
});
