import { describe, expect, it } from 'vitest';
import { compileAcl, evaluateAcl } from '../../../proxy/acl/acl.ts';
import { requestContext } from '../../../proxy/acl/context.ts';
import { CONNECTION_SAMPLES, findFetch } from '../../../proxy/acl/fetches.ts';
import type { RequestContext } from '../../../proxy/acl/acl.types.ts';
import { attachStickTables } from '../../../proxy/stick/registry.ts';
import { createStickTable } from '../../../proxy/stick/table.ts';
import { parseStickKey } from '../../../proxy/stick/key.ts';
import { TrackCounters } from '../../../proxy/stick/track.ts';
import { stickDef } from '../stick/helpers.ts';
import { WHERE, words } from './helpers.ts';

// The thread's tables on a virtual clock, as a worker has them (threadStickTables()).
const clock = { now: 9_000_000 };
const defs = [
  stickDef('stick-table type ip size 8 expire 10s store conn_cur,conn_rate(10s),http_req_cnt,http_req_rate(10s),gpc0,bytes_in_cnt', 'be'),
  stickDef('stick-table type ip size 8 store http_req_rate(1s)', 'other'),
];
const reg = attachStickTables(defs, defs.map((d) => createStickTable(d)), () => clock.now);
const be = reg.get('be')!;
const other = reg.get('other')!;

function ctx(src = '10.1.1.1', stk?: TrackCounters, table?: string): RequestContext {
  const c = requestContext({ src });
  if (stk) c.stk = stk;
  if (table) c.stkTable = table;
  return c;
}

function test(expr: string, c: RequestContext): boolean {
  const r = compileAcl(['acl', 't', ...words(expr)], WHERE);
  if ('error' in r) throw new Error(r.error);
  return evaluateAcl(r.acl, c);
}

const fetch = (name: string, c: RequestContext, args: (string | number)[] = []) => findFetch(name)!.fetch(c, args);

describe('sc_* fetches over tracked counters', () => {
  const stk = new TrackCounters();
  stk.track(0, be, parseStickKey('ip', 4, '10.1.1.1'), true);
  for (let i = 0; i < 5; i++) stk.httpRequest();
  const c = ctx('10.1.1.1', stk, 'be');

  it('read the tracked entry: sc_http_req_rate(0), sc0_http_req_rate, sc0_conn_cur, sc_http_req_cnt', () => {
    expect(fetch('sc_http_req_rate', c, [0])).toEqual([6]);
    expect(fetch('sc0_http_req_rate', c)).toEqual([6]);
    expect(fetch('sc0_conn_cur', c)).toEqual([1]);
    expect(fetch('sc_conn_rate', c, [0])).toEqual([1]);
    expect(test('sc_http_req_rate(0) gt 5', c)).toBe(true);
    expect(test('sc_http_req_rate(0) gt 6', c)).toBe(false);
    expect(test('sc0_http_req_cnt eq 6', c)).toBe(true);
    expect(test('sc0_tracked', c)).toBe(true);
    expect(fetch('sc0_trackers', c)).toEqual([1]);
  });

  it('a counter that tracks nothing gives no sample: the ACL never matches, not even -m found', () => {
    expect(fetch('sc1_http_req_rate', c)).toEqual([]);
    expect(test('sc1_http_req_rate ge 0', c)).toBe(false);
    expect(test('sc_conn_cur(2) -m found', c)).toBe(false);
    expect(test('sc1_tracked', c)).toBe(false);
    expect(test('sc0_conn_cur ge 0', ctx())).toBe(false); // no counters at all
  });

  it('a data type the table does not store gives no sample (HAProxy returns none too)', () => {
    expect(fetch('sc0_http_err_rate', c)).toEqual([]);
    expect(test('sc0_get_gpc1 ge 0', c)).toBe(false);
  });

  it('kbytes and the gpc0 increment fetch', () => {
    stk.bytesIn(5000);
    expect(fetch('sc0_kbytes_in', c)).toEqual([4]);
    expect(fetch('sc_inc_gpc0', c, [0])).toEqual([1]);
    expect(fetch('sc0_get_gpc0', c)).toEqual([1]);
  });

  it('sc_*(<ctr>,<table>) looks the tracked key up in another table; rates on its own period', () => {
    expect(fetch('sc_http_req_rate', c, [0, 'other'])).toEqual([0]); // no entry there yet
    const o = new TrackCounters();
    o.track(0, other, parseStickKey('ip', 4, '10.1.1.1'), true);
    expect(fetch('sc_http_req_rate', c, [0, 'other'])).toEqual([1]);
    clock.now += 1500; // http_req_rate(1s): 1 * 500 / 1000 = 0.5 -> 0, but a lone past event reads 1 (anti-flapping)
    expect(fetch('sc_http_req_rate', c, [0, 'other'])).toEqual([1]);
    clock.now += 1000;
    expect(fetch('sc_http_req_rate', c, [0, 'other'])).toEqual([0]);
    expect(fetch('sc_http_req_rate', c, [0, 'nope'])).toEqual([]);
    o.release();
  });
});

describe('src_* and table_* fetches', () => {
  it('the client entry of the proxy table (or a named one), 0 when it has none, without creating it', () => {
    const stk = new TrackCounters();
    stk.track(0, be, parseStickKey('ip', 4, '10.2.2.2'), true);
    expect(fetch('src_http_req_cnt', ctx('10.2.2.2', undefined, 'be'))).toEqual([1]);
    expect(fetch('src_conn_cur', ctx('::ffff:10.2.2.2'), ['be'])).toEqual([1]); // an IPv4 client through a dual-stack socket
    expect(fetch('src_conn_rate', ctx('10.9.9.9'), ['be'])).toEqual([0]);
    expect(be.has(parseStickKey('ip', 4, '10.9.9.9'))).toBe(false);
    expect(fetch('src_get_gpc0', ctx('10.2.2.2'))).toEqual([]); // no table argument, no proxy table
    expect(fetch('src_http_err_cnt', ctx('10.2.2.2'), ['be'])).toEqual([]); // not stored
    expect(fetch('src_conn_cur', ctx('2001:db8::1'), ['be'])).toEqual([]); // an IPv6 client has no key in an ip table
    expect(test('src_http_req_rate(be) lt 10', ctx('10.9.9.9'))).toBe(true);
    const before = be.current;
    expect(fetch('table_cnt', ctx(), ['be'])).toEqual([before]);
    expect(fetch('table_avl', ctx(undefined, undefined, 'be'))).toEqual([8 - before]);
    stk.release();
    expect(fetch('src_conn_cur', ctx('10.2.2.2'), ['be'])).toEqual([0]);
  });

  it('log-format strings get the argument-less forms', () => {
    const stk = new TrackCounters();
    stk.track(2, be, parseStickKey('ip', 4, '10.3.3.3'), true);
    expect(CONNECTION_SAMPLES.get('sc2_http_req_cnt')!(ctx('10.3.3.3', stk))).toBe('1');
    expect(CONNECTION_SAMPLES.get('sc2_tracked')!(ctx('10.3.3.3', stk))).toBe('1');
    expect(CONNECTION_SAMPLES.get('sc0_conn_cur')!(ctx('10.3.3.3', stk))).toBeUndefined();
    stk.release();
  });

  it('argument errors are HAProxy-style compile errors', () => {
    const r = compileAcl(['acl', 't', 'sc_http_req_rate', 'gt', '1'], WHERE);
    expect('error' in r && r.error).toMatch(/missing arguments \(got 0\/1\), type 'integer' expected/);
  });
});
