/**
 * Parsing of the `stick-table` line (HAProxy configuration manual 4.2 `stick-table`, and the
 * `table` line of a `peers` section, 3.5), as a pure function: words in, a typed
 * {@link StickTableDef} or an error out. Used by the `stick-table` keyword of backend and listen
 * sections (proxy/config/sections/stick-table.ts) and the `table` line of peers sections (peers.ts).
 *
 *   stick-table type {ip | ipv6 | integer | string [len <n>] | binary [len <n>]} size <size>
 *               [expire <time>] [nopurge] [peers <name>] [store <data_type>[,<data_type>]...]
 *   table <name> type ... (in a `peers` section: same arguments but `peers`)
 *
 * HAProxy's rules and defaults (src/stick_table.c parse_stick_table(), stktable_parse_type(),
 * stktable_alloc_data_type()): `type` and `size` are mandatory; `len` only for string and binary
 * (a positive integer; a string's key size is len + 1, room for its NUL); default key sizes ip 4,
 * ipv6 16, integer 4, string and binary 32; `size` takes k/m/g suffixes (1024-based); `expire` is a
 * time (default unit ms) up to 2147483647 ms (~24.8 days), and without it entries never expire;
 * `store` takes a comma-separated list, may be repeated, and each `*_rate` type needs its period in
 * parentheses (`http_req_rate(10s)`), others take no argument; storing a type twice is a warning
 * and the repeat is ignored. Arguments may come in any order; a later `type`/`size`/`expire`
 * overrides an earlier one, as in HAProxy.
 *
 * Flightbox's own limits, said in the errors: at most 2^26 entries, `len` at most 65535.
 */
import { MAX_TIME_MS, UnitError, parseSize, parseTime } from '../config/units.ts';
import { STICK_DATA_TYPES, STICK_KEY_TYPES, type StickDataType, type StickKeyType, type StickStore, type StickTableDef } from './stick.types.ts';
import { MAX_STICK_TABLE_SIZE } from './table.ts';

/** Where the line comes from and what it defines. */
export interface StickTableLineContext {
  /** Table name: the enclosing backend's name for `stick-table` (the `table` form names it). */
  readonly name?: string;
  readonly file: string;
  readonly line: number;
  /** Set when the line is a `table` line of this `peers` section. */
  readonly peersSection?: string;
}

/** The outcome: a definition (with warnings) or one error. */
export type StickTableParseResult =
  | { readonly ok: true; readonly def: StickTableDef; readonly warnings: readonly string[] }
  | {
      readonly ok: false;
      /** `parsing [file:line] : stick-table: ...` with what was wrong and what to write. */
      readonly error: string;
      /** Index in `args` of the offending word (args.length when something is missing). */
      readonly argIndex: number;
    };

/** Largest `len` accepted. */
export const MAX_STICK_KEY_LEN = 65535;

/** Data types HAProxy has that Flightbox does not store yet (a clearer error than "unknown"). */
const NOT_YET = new Set([
  'gpc',
  'gpc_rate',
  'gpc1_rate',
  'gpt',
  'server_key',
  'http_fail_cnt',
  'http_fail_rate',
  'glitch_cnt',
  'glitch_rate',
]);

class LineError extends Error {
  readonly at: number;
  constructor(message: string, at: number) {
    super(message);
    this.at = at;
  }
}

/**
 * Parses `args` (the lexed words of the line: `stick-table ...`, or `table <name> ...` in a peers
 * section). Never throws for bad input: returns `{ ok: false, error, argIndex }`.
 */
export function parseStickTableLine(args: readonly string[], ctx: StickTableLineContext): StickTableParseResult {
  const kw = args[0] ?? 'stick-table';
  const where = `parsing [${ctx.file}:${ctx.line}] : ${kw}`;
  const warnings: string[] = [];
  try {
    let idx = 1;
    let name = ctx.name;
    if (ctx.peersSection !== undefined) {
      name = args[1];
      if (!name || name === 'type') throw new LineError(`missing table name, expected 'table <name> type <type> size <size> ...'`, 1);
      idx = 2;
    }
    if (!name) throw new LineError(`ID not provided: a stick-table belongs to a backend (or use 'table <name>' in a peers section)`, 0);
    let type: StickKeyType | undefined;
    let keySize = 0;
    let size = 0;
    let expire = 0;
    let nopurge = false;
    let peers = ctx.peersSection;
    const store = new Map<StickDataType, StickStore>();
    const need = (i: number): string => {
      const v = args[i];
      if (v === undefined || v === '') throw new LineError(`missing argument after '${args[i - 1]}'`, i);
      return v;
    };
    while (idx < args.length) {
      const a = args[idx]!;
      if (a === 'type') {
        const t = need(idx + 1);
        if (!Object.hasOwn(STICK_KEY_TYPES, t)) {
          throw new LineError(`unknown type '${t}', expected one of ${Object.keys(STICK_KEY_TYPES).join(', ')}`, idx + 1);
        }
        type = t as StickKeyType;
        const kt = STICK_KEY_TYPES[type];
        keySize = kt.defaultSize;
        idx += 2;
        if (kt.customLen && args[idx] === 'len') {
          const v = need(idx + 1);
          if (!/^\d+$/.test(v) || Number(v) < 1) throw new LineError(`'len' expects a positive integer argument, got '${v}'`, idx + 1);
          if (Number(v) > MAX_STICK_KEY_LEN) throw new LineError(`'len ${v}' is too large, the maximum is ${MAX_STICK_KEY_LEN}`, idx + 1);
          keySize = Number(v) + (type === 'string' ? 1 : 0);
          idx += 2;
        }
      } else if (a === 'size') {
        const v = need(idx + 1);
        size = unit(() => parseSize(v), idx + 1, `'size'`);
        if (size < 1) throw new LineError(`'size' must be at least 1 entry, got '${v}'`, idx + 1);
        if (size > MAX_STICK_TABLE_SIZE) throw new LineError(`'size ${v}' is too large, Flightbox tables hold at most ${MAX_STICK_TABLE_SIZE} entries`, idx + 1);
        idx += 2;
      } else if (a === 'expire') {
        const v = need(idx + 1);
        expire = unit(() => parseTime(v), idx + 1, `'expire'`);
        if (expire === 0 && !/^0+[a-z]*$/.test(v)) throw new LineError(`timer underflow in argument '${v}' to 'expire', minimum non-null value is 1 ms`, idx + 1);
        idx += 2;
      } else if (a === 'nopurge') {
        nopurge = true;
        idx++;
      } else if (a === 'peers') {
        if (ctx.peersSection !== undefined) throw new LineError(`'peers' is not allowed in a peers section (the table is already synchronised by '${ctx.peersSection}')`, idx);
        peers = need(idx + 1);
        idx += 2;
      } else if (a === 'store') {
        parseStore(need(idx + 1), idx + 1, store, warnings, where);
        idx += 2;
      } else if (a === 'srvkey' || a === 'recv-only' || a === 'write-to' || a === 'brates-factor') {
        throw new LineError(`'${a}' is not supported by Flightbox yet; remove it`, idx);
      } else {
        throw new LineError(`unknown argument '${a}', expected type, size, expire, nopurge, ${ctx.peersSection === undefined ? 'peers, ' : ''}or store`, idx);
      }
    }
    if (size === 0) throw new LineError(`missing size, add 'size <entries>' (e.g. 'size 100k')`, args.length);
    if (type === undefined) throw new LineError(`missing type, add 'type ip|ipv6|integer|string [len <n>]|binary [len <n>]'`, args.length);
    const def: StickTableDef = {
      name,
      type,
      keySize,
      size,
      expire,
      nopurge,
      peers,
      store: STICK_DATA_TYPES.filter((t) => store.has(t.name)).map((t) => store.get(t.name)!),
      file: ctx.file,
      line: ctx.line,
    };
    return { ok: true, def, warnings };
  } catch (e) {
    if (e instanceof LineError) return { ok: false, error: `${where}: ${e.message}.`, argIndex: e.at };
    throw e;
  }
}

function unit(f: () => number, at: number, what: string): number {
  try {
    return f();
  } catch (e) {
    if (e instanceof UnitError) throw new LineError(`${what}: ${e.message}`, at);
    throw e;
  }
}

/** Parses one `store` argument (`gpc0,conn_rate(10s),http_req_cnt`) into `out`. */
function parseStore(list: string, at: number, out: Map<StickDataType, StickStore>, warnings: string[], where: string): void {
  // split on commas outside parentheses
  const items: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of list) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      items.push(cur);
      cur = '';
    } else cur += c;
  }
  items.push(cur);
  for (const item of items) {
    const m = /^([a-z0-9_]+)(?:\(([^()]*)\))?$/.exec(item);
    if (!m) {
      if (item.includes('(') && !item.includes(')')) throw new LineError(`missing closing parenthesis after store option '${item}'`, at);
      throw new LineError(`invalid store option '${item}', expected '<type>' or '<type>(<period>)'`, at);
    }
    const name = m[1]!;
    const arg = m[2];
    const t = STICK_DATA_TYPES.find((x) => x.name === name);
    if (!t) {
      if (NOT_YET.has(name)) throw new LineError(`store option '${name}' is not supported by Flightbox yet`, at);
      throw new LineError(`unknown store option '${name}', expected one of ${STICK_DATA_TYPES.map((x) => x.name).join(', ')}`, at);
    }
    if (out.has(t.name)) {
      warnings.push(`${where}: store option '${name}' already enabled, ignored.`);
      continue;
    }
    if (t.std === 'frqp') {
      if (arg === undefined || arg === '') throw new LineError(`missing argument to store option '${name}': a rate needs its period, e.g. '${name}(10s)'`, at);
      const period = unit(() => parseTime(arg), at, `store option '${name}'`);
      if (period < 1) throw new LineError(`store option '${name}': the period must be at least 1ms`, at);
      if (period > MAX_TIME_MS) throw new LineError(`store option '${name}': the period is too large`, at);
      out.set(t.name, { type: t.name, period });
    } else {
      if (arg !== undefined) throw new LineError(`unexpected argument to store option '${name}' (only *_rate types take a period)`, at);
      out.set(t.name, { type: t.name, period: 0 });
    }
  }
}
