/**
 * Types shared by the stick-table engine (proxy/stick/table.ts), its configuration parser
 * (proxy/stick/config.ts) and, later, the runtime commands, the peers codec and diag/ renderers.
 * No engine logic here.
 *
 * Key types and data types follow HAProxy's configuration manual, section 4.2 `stick-table`, and its
 * `stktable_types[]` / `stktable_data_types[]` tables (src/stick_table.c).
 */

/** Key types of `stick-table type ...`. */
export type StickKeyType = 'ip' | 'ipv6' | 'integer' | 'string' | 'binary';

/**
 * Key types with their default key size in bytes (HAProxy `stktable_types[]`): ip 4, ipv6 16,
 * integer 4, string 32, binary 32. Only string and binary accept `len N`; a string's key size is
 * `N + 1` (room for HAProxy's terminating NUL), so `len 32` holds 32 characters while the default
 * size 32 holds 31.
 */
export const STICK_KEY_TYPES: Readonly<Record<StickKeyType, { readonly defaultSize: number; readonly customLen: boolean }>> = {
  ip: { defaultSize: 4, customLen: false },
  ipv6: { defaultSize: 16, customLen: false },
  integer: { defaultSize: 4, customLen: false },
  string: { defaultSize: 32, customLen: true },
  binary: { defaultSize: 32, customLen: true },
};

/**
 * How a data type is stored (HAProxy `std_type`): `sint`/`uint` one 32-bit word, `ull` a 64-bit
 * counter (kept exact up to 2^53 here), `frqp` a frequency counter over a period
 * (curr_tick, curr_ctr, prev_ctr; see proxy/stick/freq-ctr.ts).
 */
export type StickStdType = 'sint' | 'uint' | 'ull' | 'frqp';

/** Data types this engine stores (a subset of HAProxy's; the names are HAProxy's). */
export type StickDataType =
  | 'server_id'
  | 'gpt0'
  | 'gpc0'
  | 'gpc0_rate'
  | 'gpc1'
  | 'conn_cnt'
  | 'conn_cur'
  | 'conn_rate'
  | 'sess_cnt'
  | 'sess_rate'
  | 'http_req_cnt'
  | 'http_req_rate'
  | 'http_err_cnt'
  | 'http_err_rate'
  | 'bytes_in_cnt'
  | 'bytes_in_rate'
  | 'bytes_out_cnt'
  | 'bytes_out_rate';

/**
 * The data types, in HAProxy's `STKTABLE_DT_*` order (the order `show table` prints them in and
 * the peers protocol numbers them by: `id` is HAProxy's data type number on the wire).
 */
export const STICK_DATA_TYPES: readonly { readonly name: StickDataType; readonly id: number; readonly std: StickStdType }[] = [
  { name: 'server_id', id: 0, std: 'sint' },
  { name: 'gpt0', id: 1, std: 'uint' },
  { name: 'gpc0', id: 2, std: 'uint' },
  { name: 'gpc0_rate', id: 3, std: 'frqp' },
  { name: 'conn_cnt', id: 4, std: 'uint' },
  { name: 'conn_rate', id: 5, std: 'frqp' },
  { name: 'conn_cur', id: 6, std: 'uint' },
  { name: 'sess_cnt', id: 7, std: 'uint' },
  { name: 'sess_rate', id: 8, std: 'frqp' },
  { name: 'http_req_cnt', id: 9, std: 'uint' },
  { name: 'http_req_rate', id: 10, std: 'frqp' },
  { name: 'http_err_cnt', id: 11, std: 'uint' },
  { name: 'http_err_rate', id: 12, std: 'frqp' },
  { name: 'bytes_in_cnt', id: 13, std: 'ull' },
  { name: 'bytes_in_rate', id: 14, std: 'frqp' },
  { name: 'bytes_out_cnt', id: 15, std: 'ull' },
  { name: 'bytes_out_rate', id: 16, std: 'frqp' },
  { name: 'gpc1', id: 17, std: 'uint' },
];

/** One `store` entry: a data type and, for a rate (`frqp`), its period in milliseconds. */
export interface StickStore {
  readonly type: StickDataType;
  /** Period of a rate type in ms (`conn_rate(10s)` -> 10000); 0 for the others. */
  readonly period: number;
}

/** A parsed `stick-table` line (HAProxy defaults applied), ready for createStickTable(). */
export interface StickTableDef {
  /** Table name: the backend's name, or `<peers>/<name>` style names chosen by the caller. */
  readonly name: string;
  readonly type: StickKeyType;
  /** Key size in bytes as HAProxy counts it (string: `len + 1`). */
  readonly keySize: number;
  /** Maximum number of entries (`size`, 1024-based suffixes). */
  readonly size: number;
  /** Entry lifetime in ms after its last touch; 0 = entries never expire (HAProxy's default). */
  readonly expire: number;
  /** When full, refuse new entries instead of purging the oldest unreferenced ones. */
  readonly nopurge: boolean;
  /** `peers <name>` (backend form), or the enclosing `peers` section; undefined when not synced. */
  readonly peers?: string;
  /** Stored data types, in `STICK_DATA_TYPES` order. */
  readonly store: readonly StickStore[];
  /** Where it was defined, for messages. */
  readonly file?: string;
  readonly line?: number;
}

/** A `data.<type> <op> <value>` filter of `show table` / `clear table` (HAProxy management 9.3). */
export interface StickDataFilter {
  readonly type: StickDataType;
  readonly op: 'eq' | 'ne' | 'le' | 'lt' | 'ge' | 'gt';
  readonly value: number;
}

/** One entry as listed by StickTable.list() (`show table`). */
export interface StickEntryView {
  /** Slot number, printed like HAProxy's entry address. */
  readonly slot: number;
  /** The key as text (dotted IPv4, IPv6, decimal, the string, or hex for binary). */
  readonly key: string;
  /** References held (HAProxy `use=`). */
  readonly use: number;
  /** Milliseconds until expiry (HAProxy `exp=`), 0 when the table has no expire. */
  readonly exp: number;
  /** Stored values (rates read at the listing time), in STICK_DATA_TYPES order. */
  readonly data: readonly { readonly type: StickDataType; readonly period: number; readonly value: number }[];
}

/**
 * The sample a tracking or stickiness rule takes its key from (`track-sc0 <key>`, `stick on
 * <key>`): the fetches Flightbox supports there (HAProxy configuration manual 7.3.3 `src`, 7.3.6
 * `req.hdr(<name>[,<occ>])`, `path`, `url`, `base`). `text` is the expression as written.
 */
export type StickKeyExpr =
  | { readonly fetch: 'src'; readonly text: string }
  | { readonly fetch: 'req.hdr'; readonly name: string; readonly occ: number | undefined; readonly text: string }
  | { readonly fetch: 'path' | 'url' | 'base'; readonly text: string };
