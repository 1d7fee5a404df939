/**
 * Runtime commands of the stick-tables (HAProxy management guide 9.3), answered by the supervisor
 * from the tables' shared memory (the same entries the workers track):
 *
 *   show table                                          list: `# table: <name>, type: <t>, size:<n>, used:<n>`
 *   show table <name> [data.<type> <op> <value>]* | [key <key>]
 *   clear table <name> [data.<type> <op> <value>]* | [key <key>]
 *   set table <name> key <key> [data.<type> <value>]*
 *
 * Output and messages are HAProxy's (src/stick_table.c cli_parse_table_req(),
 * table_process_entry_per_key(), table_prepare_data_request(), table_dump_head_to_buffer(),
 * table_dump_entry_to_buffer()): entries print as
 * `0x<addr>: key=<k> use=<n> exp=<ms> shard=0 <type>=<v> <rate>(<period>)=<v>` (HAProxy 3.x adds
 * `shard=`; Flightbox tables have one shard). Where HAProxy's message is terse, Flightbox adds what
 * was wrong after a colon and keeps HAProxy's words first, so scripts matching them still work.
 *
 * Levels, as HAProxy's: `show table` and `show table <name>` run at any level, but a table's
 * contents need `operator` (below it HAProxy prints the header and `# contents not dumped due to
 * insufficient privileges`); `key` and `data.` requests, `clear table` and `set table` need
 * `operator` (HAProxy's cli_has_level(appctx, ACCESS_LVL_OPER)).
 */
import type { Registry } from '../runtime/runtime.types.ts';
import { CommandError, levelAtLeast } from '../runtime/registry.ts';
import { parseStickFilter } from './filter.ts';
import { StickKeyError, parseStickKey, type StickKey } from './key.ts';
import type { StickTableRegistry } from './registry.ts';
import { STICK_DATA_TYPES, type StickDataFilter, type StickDataType } from './stick.types.ts';
import { StickTable } from './table.ts';

/** Most `data.` filters in one request (HAProxy's STKTABLE_FILTER_LEN). */
export const MAX_STICK_FILTERS = 4;

const SHOW_ARGS = 'Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>';
const CLEAR_ARGS = 'Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>';
const SET_ARGS = 'Required arguments: <table> key <key> [data.<store_data_type> <value>]*';
const OPS_MSG = 'Require and operator among "eq", "ne", "le", "ge", "lt", "gt"';

function table(tables: StickTableRegistry, name: string | undefined): StickTable {
  const t = name === undefined ? undefined : tables.get(name);
  if (!t) {
    const known = tables.names();
    throw new CommandError(`No such table${name === undefined ? '' : `: '${name}'`}; ${known.length ? `tables: ${known.join(', ')}` : 'no stick-table is configured'}.`);
  }
  return t;
}

function key(t: StickTable, text: string | undefined): StickKey {
  if (text === undefined || text === '') throw new CommandError('Key value expected');
  try {
    return parseStickKey(t.def.type, t.def.keySize, text);
  } catch (e) {
    if (e instanceof StickKeyError) throw new CommandError(`Invalid key: ${e.message}`);
    throw e;
  }
}

/** The data type named by `data.<type>`, checked against the table, with HAProxy's messages. */
function dataType(t: StickTable, word: string): StickDataType {
  const name = word.slice(5);
  const d = STICK_DATA_TYPES.find((x) => x.name === name);
  if (!d) throw new CommandError(`Unknown data type: '${name}' (known: ${STICK_DATA_TYPES.map((x) => x.name).join(', ')})`);
  if (!t.stores(d.name)) {
    const stored = t.def.store.map((s) => s.type);
    throw new CommandError(`Data type not stored in this table: '${name}' (table '${t.def.name}' stores ${stored.length ? stored.join(', ') : 'no data'})`);
  }
  return d.name;
}

/** `data.<type> <op> <value>` filters from args[from..] (HAProxy table_prepare_data_request()). */
function filters(t: StickTable, args: readonly string[], from: number, usage: string): StickDataFilter[] {
  const out: StickDataFilter[] = [];
  for (let i = from; i < args.length; i += 3) {
    if (!args[i]!.startsWith('data.')) throw new CommandError(usage);
    if (out.length === MAX_STICK_FILTERS) throw new CommandError(`Too many filters: at most ${MAX_STICK_FILTERS} 'data.<type> <op> <value>' filters`);
    const type = dataType(t, args[i]!);
    const r = parseStickFilter(args.slice(i, i + 3), [type]);
    if (!r.ok) {
      const op = args[i + 1];
      if (op === undefined || !['eq', 'ne', 'le', 'lt', 'ge', 'gt'].includes(op)) throw new CommandError(OPS_MSG);
      throw new CommandError('Require a valid integer value to compare against');
    }
    out.push(r.filter);
  }
  return out;
}

/** A table's `show table` block: header, then its entries (matching `opts`) when `contents`. */
function dump(t: StickTable, contents: boolean, opts: { filters?: StickDataFilter[]; key?: StickKey } = {}): string {
  const lines = [t.formatHeader()];
  if (contents) for (const v of t.list(opts)) lines.push(StickTable.formatEntry(v));
  return lines.join('\n');
}

/** Registers `show table`, `clear table` and `set table` for `tables` into `reg`. */
export function registerStickCommands(reg: Registry, tables: StickTableRegistry): void {
  reg.register({
    words: ['show', 'table'],
    level: 'user',
    usage: 'show table <table> [<filter>]*',
    help: "report table usage stats or dump this table's contents (filter: data/key)",
    handler: (args, ctx) => {
      if (args.length === 0) return tables.all().map((t) => t.formatHeader()).join('\n');
      const t = table(tables, args[0]);
      const oper = levelAtLeast(ctx.level, 'operator');
      if (args.length === 1) return oper ? dump(t, true) : `${t.formatHeader()}\n# contents not dumped due to insufficient privileges`;
      if (args[1] === 'key') {
        if (args.length > 3) throw new CommandError(SHOW_ARGS);
        const k = key(t, args[2]);
        if (!oper) throw new CommandError('Permission denied');
        // HAProxy prints nothing at all when the key has no entry.
        return t.list({ key: k }).length === 0 ? '' : dump(t, true, { key: k });
      }
      if (!args[1]!.startsWith('data.')) throw new CommandError(SHOW_ARGS);
      const f = filters(t, args, 1, SHOW_ARGS);
      if (!oper) throw new CommandError('Permission denied');
      return dump(t, true, { filters: f });
    },
  });
  reg.register({
    words: ['clear', 'table'],
    level: 'operator',
    usage: 'clear table <table> [<filter>]*',
    help: 'remove an entry from a table (filter: data/key)',
    handler: (args) => {
      if (args.length === 0) throw new CommandError(CLEAR_ARGS);
      const t = table(tables, args[0]);
      if (args.length === 1) {
        t.clear();
        return '';
      }
      if (args[1] === 'key') {
        if (args.length > 3) throw new CommandError(CLEAR_ARGS);
        const r = t.clear({ key: key(t, args[2]) });
        if (r.inUse > 0) throw new CommandError('Entry currently in use, cannot remove');
        return '';
      }
      if (!args[1]!.startsWith('data.')) throw new CommandError(CLEAR_ARGS);
      t.clear({ filters: filters(t, args, 1, CLEAR_ARGS) });
      return '';
    },
  });
  reg.register({
    words: ['set', 'table'],
    level: 'operator',
    usage: 'set table <table> key <k> [data.* <v>]*',
    help: "update or create a table entry's data",
    handler: (args) => {
      if (args.length === 0) throw new CommandError(SET_ARGS);
      const t = table(tables, args[0]);
      if (args[1] !== 'key') throw new CommandError(SET_ARGS);
      const k = key(t, args[2]);
      // Every pair is checked before the entry is touched: a bad argument changes nothing.
      const values: { type: StickDataType; value: number }[] = [];
      for (let i = 3; i < args.length; i += 2) {
        if (!args[i]!.startsWith('data.')) throw new CommandError('"data.<type>" followed by a value expected');
        const type = dataType(t, args[i]!);
        const v = args[i + 1];
        if (v === undefined || !/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new CommandError('Require a valid integer value to store');
        values.push({ type, value: Number(v) });
      }
      const h = t.acquire(k);
      if (h < 0) throw new CommandError('Unable to allocate a new entry');
      try {
        for (const x of values) t.set(h, x.type, x.value);
      } finally {
        t.touchAndRelease(h); // HAProxy stktable_touch_local(t, ts, 1): touched, then released
      }
      return '';
    },
  });
}
