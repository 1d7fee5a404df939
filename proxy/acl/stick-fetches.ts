/**
 * The stick-table sample fetches (HAProxy configuration manual 7.3.3 and 7.3.2), generated for
 * every data type Flightbox stores:
 *
 *   sc_<name>(<ctr>[,<table>])   the entry tracked by counter <ctr> (0..2) of the stream (the
 *                                connection's when the stream does not track that counter)
 *   sc0_<name>([<table>])        same for counter 0 (and sc1_, sc2_)
 *   src_<name>([<table>])        the entry of the client address in <table> (default: the table
 *                                of the proxy whose rules run), looked up without creating it
 *   table_cnt([<table>]), table_avl([<table>])   entries used / free (7.3.2)
 *
 * with <name> one of: conn_cnt, conn_cur, conn_rate, sess_cnt, sess_rate, http_req_cnt,
 * http_req_rate, http_err_cnt, http_err_rate, bytes_in_rate, bytes_out_rate, kbytes_in,
 * kbytes_out (bytes_*_cnt / 1024), get_gpc0, get_gpc1, get_gpt0, gpc0_rate; plus sc*_tracked
 * (boolean), sc*_trackers (references held on the entry), sc*_inc_gpc0 / sc*_inc_gpc1 (increment,
 * then return the new value).
 *
 * HAProxy's outcomes: a counter that tracks nothing gives no sample (`sc0_conn_cur gt 0` does not
 * match; `sc*_tracked` is false); a data type the table does not store gives no sample; `src_*`
 * for an address that has no entry gives 0. A table argument naming no table gives no sample.
 * With `sc_*(<ctr>,<table>)`, the tracked key is looked up in <table> (same key type only).
 */
import type { FetchArg, RequestContext, SampleValue } from './acl.types.ts';
import type { FetchDef } from './fetches.ts';
import { threadStickTables } from '../stick/registry.ts';
import { fetchKeySample, stickKeyOf } from '../stick/track-key.ts';
import type { StickDataType } from '../stick/stick.types.ts';
import type { StickTable } from '../stick/table.ts';
import { MAX_TRACKED } from '../stick/track.ts';
import { readStickData, withStickEntry } from '../stick/entry-read.ts';

/** Fetch name suffixes and the data type each reads; `div` divides the value (kbytes). */
const READS: readonly { readonly suffix: string; readonly type: StickDataType; readonly div?: number }[] = [
  { suffix: 'conn_cnt', type: 'conn_cnt' },
  { suffix: 'conn_cur', type: 'conn_cur' },
  { suffix: 'conn_rate', type: 'conn_rate' },
  { suffix: 'sess_cnt', type: 'sess_cnt' },
  { suffix: 'sess_rate', type: 'sess_rate' },
  { suffix: 'http_req_cnt', type: 'http_req_cnt' },
  { suffix: 'http_req_rate', type: 'http_req_rate' },
  { suffix: 'http_err_cnt', type: 'http_err_cnt' },
  { suffix: 'http_err_rate', type: 'http_err_rate' },
  { suffix: 'bytes_in_rate', type: 'bytes_in_rate' },
  { suffix: 'bytes_out_rate', type: 'bytes_out_rate' },
  { suffix: 'kbytes_in', type: 'bytes_in_cnt', div: 1024 },
  { suffix: 'kbytes_out', type: 'bytes_out_cnt', div: 1024 },
  { suffix: 'get_gpc0', type: 'gpc0' },
  { suffix: 'get_gpc1', type: 'gpc1' },
  { suffix: 'get_gpt0', type: 'gpt0' },
  { suffix: 'gpc0_rate', type: 'gpc0_rate' },
];

const NONE: readonly SampleValue[] = [];

function tableNamed(name: FetchArg, ctx: RequestContext): StickTable | undefined {
  const n = typeof name === 'string' && name !== '' ? name : ctx.stkTable;
  return n === undefined ? undefined : threadStickTables().get(n);
}

/**
 * The entry counter `n` designates, in `tableArg` when given (looked up by the tracked key, with
 * a reference the caller drops through `done`), as HAProxy's smp_fetch_sc_stkctr().
 */
function withTracked<T>(ctx: RequestContext, n: number, tableArg: FetchArg, use: (t: StickTable, h: number) => T, absent: T, untracked: T): T {
  const e = n >= 0 && n < MAX_TRACKED ? ctx.stk?.tracked(n) : undefined;
  if (!e) return untracked;
  if (typeof tableArg !== 'string' || tableArg === '' || tableArg === e.table.def.name) return use(e.table, e.h);
  const other = threadStickTables().get(tableArg);
  if (!other || other.def.type !== e.table.def.type || other.def.keySize !== e.table.def.keySize) return untracked;
  return withStickEntry(other, e.table.keyOf(e.h), use, absent);
}

/** The `src` entry of the table: looked up with a reference dropped after `use`. */
function withSrc<T>(ctx: RequestContext, tableArg: FetchArg, use: (t: StickTable, h: number) => T, absent: T, none: T): T {
  const t = tableNamed(tableArg, ctx);
  if (!t) return none;
  const sample = fetchKeySample({ fetch: 'src', text: 'src' }, ctx);
  const key = sample && stickKeyOf(t.def, sample);
  if (!key) return none;
  return withStickEntry(t, key, use, absent);
}

function read(type: StickDataType, div: number | undefined): (t: StickTable, h: number) => readonly SampleValue[] {
  return (t, h) => {
    const v = readStickData(t, h, type, div);
    return v === undefined ? NONE : [v];
  };
}

function inc(which: 0 | 1): (t: StickTable, h: number) => readonly SampleValue[] {
  const type: StickDataType = which === 0 ? 'gpc0' : 'gpc1';
  return (t, h) => {
    if (!t.stores(type)) return NONE;
    t.add(h, type, 1);
    if (which === 0) t.add(h, 'gpc0_rate', 1);
    return [t.get(h, type)!];
  };
}

type Op = (t: StickTable, h: number) => readonly SampleValue[];

/** The stick-table fetch definitions, by name (merged into proxy/acl/fetches.ts's table). */
export function stickFetchDefs(): [string, FetchDef][] {
  const out: [string, FetchDef][] = [];
  const scForms = (suffix: string, type: FetchDef['type'], op: Op, absent: readonly SampleValue[], untracked: readonly SampleValue[]): void => {
    out.push([
      `sc_${suffix}`,
      { kind: 'fetch', type, args: ['integer', 'string'], minArgs: 1, fetch: (ctx, a) => withTracked(ctx, typeof a[0] === 'number' ? a[0] : -1, a[1], op, absent, untracked) },
    ]);
    for (let n = 0; n < MAX_TRACKED; n++) {
      out.push([`sc${n}_${suffix}`, { kind: 'fetch', type, args: ['string'], minArgs: 0, fetch: (ctx, a) => withTracked(ctx, n, a[0], op, absent, untracked) }]);
    }
  };
  const zero: readonly SampleValue[] = [0];
  for (const r of READS) {
    const op = read(r.type, r.div);
    scForms(r.suffix, 'int', op, zero, NONE);
    out.push([`src_${r.suffix}`, { kind: 'fetch', type: 'int', args: ['string'], minArgs: 0, fetch: (ctx, a) => withSrc(ctx, a[0], op, zero, NONE) }]);
  }
  scForms('tracked', 'bool', () => [true], [false], [false]);
  scForms('trackers', 'int', (t, h) => [t.refs(h)], zero, NONE);
  for (const which of [0, 1] as const) {
    scForms(`inc_gpc${which}`, 'int', inc(which), zero, NONE);
  }
  out.push([
    'table_cnt',
    { kind: 'fetch', type: 'int', args: ['string'], minArgs: 0, fetch: (ctx, a) => {
      const t = tableNamed(a[0], ctx);
      return t ? [t.current] : NONE;
    } },
  ]);
  out.push([
    'table_avl',
    { kind: 'fetch', type: 'int', args: ['string'], minArgs: 0, fetch: (ctx, a) => {
      const t = tableNamed(a[0], ctx);
      return t ? [t.def.size - t.current] : NONE;
    } },
  ]);
  return out;
}
