/**
 * The stick-table converters (HAProxy configuration manual 7.3.1, names of HAProxy 2.6):
 *
 *   table_<data>(<table>)   the value of <data> stored for the input sample's key in <table>
 *   in_table(<table>)       whether the key has an entry in <table>
 *
 * with <data> one of bytes_in_rate, bytes_out_rate, conn_cnt, conn_cur, conn_rate, gpc0,
 * gpc0_rate, gpc1, gpt0, http_err_cnt, http_err_rate, http_req_cnt, http_req_rate, kbytes_in,
 * kbytes_out (bytes_*_cnt / 1024), server_id, sess_cnt, sess_rate, and table_trackers (the
 * references held on the entry: HAProxy's `use` column of `show table`, this lookup's own
 * reference not counted).
 *
 * The input sample is cast to the table's key type as HAProxy's smp_to_stkey() does (an address
 * for `ip`/`ipv6` tables, an integer for `integer`, the text for `string`/`binary`), through the
 * same key code as tracking rules (proxy/stick/track-key.ts stickKeyOf()), so `src` and
 * `req.hdr(host)` find the entries `track-sc0 src` / `track-sc0 req.hdr(host)` made. The entry
 * is looked up, never created, with a reference dropped at once (sample_conv_table_*()).
 *
 * HAProxy's outcomes: a key absent from the table gives 0 (`in_table`: false); a data type the
 * table does not store gives no sample; a sample that cannot be cast to the key type, or a table
 * this thread does not have, gives no sample.
 */
import type { ConverterDef, Sample } from './converters.ts';
import type { RequestContext } from './acl.types.ts';
import { parseIpAddress, v6tov4 } from './ip.ts';
import { threadStickTables } from '../stick/registry.ts';
import { stickKeyOf, type KeySample } from '../stick/track-key.ts';
import type { StickDataType, StickTableDef } from '../stick/stick.types.ts';
import type { StickKey } from '../stick/key.ts';
import type { StickTable } from '../stick/table.ts';
import { readStickData, withStickEntry } from '../stick/entry-read.ts';

/** Converter name suffixes and the data type each reads; `div` divides the value (kbytes). */
const READS: readonly { readonly name: string; readonly type: StickDataType; readonly div?: number }[] = [
  { name: 'bytes_in_rate', type: 'bytes_in_rate' },
  { name: 'bytes_out_rate', type: 'bytes_out_rate' },
  { name: 'conn_cnt', type: 'conn_cnt' },
  { name: 'conn_cur', type: 'conn_cur' },
  { name: 'conn_rate', type: 'conn_rate' },
  { name: 'gpc0', type: 'gpc0' },
  { name: 'gpc0_rate', type: 'gpc0_rate' },
  { name: 'gpc1', type: 'gpc1' },
  { name: 'gpt0', type: 'gpt0' },
  { name: 'http_err_cnt', type: 'http_err_cnt' },
  { name: 'http_err_rate', type: 'http_err_rate' },
  { name: 'http_req_cnt', type: 'http_req_cnt' },
  { name: 'http_req_rate', type: 'http_req_rate' },
  { name: 'kbytes_in', type: 'bytes_in_cnt', div: 1024 },
  { name: 'kbytes_out', type: 'bytes_out_cnt', div: 1024 },
  { name: 'server_id', type: 'server_id' },
  { name: 'sess_cnt', type: 'sess_cnt' },
  { name: 'sess_rate', type: 'sess_rate' },
];

/** The IPv4 text of an integer sample (HAProxy c_int2ip: the low 32 bits). */
function int2ip(n: number): string {
  const v = Number(BigInt.asUintN(32, BigInt(Math.trunc(n))));
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/**
 * The key of sample `s` for a table of `def` (HAProxy smp_to_stkey()), or undefined when the
 * sample cannot be cast to the table's key type (a boolean for an address table, an IPv6 address
 * for an `ip` table, a text that is no number for an `integer` table).
 */
export function sampleStickKey(def: StickTableDef, s: Sample): StickKey | undefined {
  const v = s.value;
  let k: KeySample | undefined;
  switch (def.type) {
    case 'ip':
    case 'ipv6':
      if (typeof v === 'boolean') return undefined;
      k = { type: 'ip', value: typeof v === 'number' ? int2ip(v) : v };
      break;
    case 'integer': {
      let n: number | undefined;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'boolean') n = v ? 1 : 0;
      else if (s.type === 'ip' || s.type === 'addr') {
        const a = parseIpAddress(v);
        n = a?.v === 4 ? a.n : a ? v6tov4(a.b) : undefined;
      } else {
        const m = /^[-+]?[0-9]+/.exec(v);
        n = v === '' ? undefined : m ? Number(m[0]) : 0;
      }
      if (n === undefined) return undefined;
      k = { type: 'str', value: String(Math.trunc(n) >>> 0) };
      break;
    }
    case 'string':
    case 'binary':
      k = { type: 'str', value: typeof v === 'boolean' ? (v ? '1' : '0') : String(v) };
      break;
  }
  return stickKeyOf(def, k);
}

/** Looks `s` up in table `name` and runs `use` on the entry (reference dropped after), or `absent`. */
function withEntry(name: string, s: Sample, use: (t: StickTable, h: number) => Sample | undefined, absent: Sample): Sample | undefined {
  const t = threadStickTables().get(name);
  if (!t) return undefined;
  const key = sampleStickKey(t.def, s);
  if (!key) return undefined;
  return withStickEntry(t, key, use, absent);
}

const ZERO: Sample = { type: 'int', value: 0 };

function tableConv(run: (s: Sample, table: string) => Sample | undefined, outType: 'int' | 'bool'): ConverterDef {
  return {
    inType: 'any',
    outType,
    args: ['table'],
    minArgs: 1,
    run: (s: Sample, args, _ctx: RequestContext | undefined) => run(s, String(args[0])),
  };
}

/** The `table_*` and `in_table` converter definitions, by name (merged into ./converters.ts). */
export const TABLE_CONVERTERS: ReadonlyMap<string, ConverterDef> = new Map<string, ConverterDef>([
  ...READS.map((r): [string, ConverterDef] => [
    `table_${r.name}`,
    tableConv(
      (s, name) =>
        withEntry(
          name,
          s,
          (t, h) => {
            const v = readStickData(t, h, r.type, r.div);
            return v === undefined ? undefined : { type: 'int', value: v };
          },
          ZERO,
        ),
      'int',
    ),
  ]),
  ['table_trackers', tableConv((s, name) => withEntry(name, s, (t, h) => ({ type: 'int', value: Math.max(0, t.refs(h) - 1) }), ZERO), 'int')],
  ['in_table', tableConv((s, name) => withEntry(name, s, () => ({ type: 'bool', value: true }), { type: 'bool', value: false }), 'bool')],
]);
