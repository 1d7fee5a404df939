/**
 * The bridge between the stick-table engine (proxy/stick/table.ts) and the peers protocol's wire
 * objects (proxy/peers/peers.types.ts): a table's definition message, its entries as update
 * messages, and a received update as values to apply.
 *
 * Names: a table declared by `table <name>` in peers section `<p>` is `<p>/<name>` locally and
 * `/<name>` on the wire: HAProxy's network id `t->nid` is its id after the section name, slash
 * included (cfgparse.c "table"; what HAProxy 2.6 sends, seen in test/e2e/peers.test.ts); a
 * backend's `stick-table ... peers <p>` is the backend's name on both. Key types: `ip` is the wire's ipv4,
 * `integer` sint; key lengths are the table's key size (a string table's `len + 1`, as HAProxy's
 * `key_size`). Data types keep HAProxy's numbers (STKTABLE_DT_*) on both sides.
 */
import { decodeFixedKey, encodeKey } from './keys.ts';
import { type DataField, type DataScalar, type FreqCounter, type PeerKeyType, type PeerUpdate, type TableDefinition } from './peers.types.ts';
import { STICK_DATA_TYPES, type StickDataType, type StickKeyType } from '../stick/stick.types.ts';
import type { StickKey } from '../stick/key.ts';
import type { StickRawValue, StickTable, StickUpdateEntry } from '../stick/table.ts';

const KEY_TYPE: Record<StickKeyType, PeerKeyType> = { ip: 'ipv4', ipv6: 'ipv6', integer: 'sint', string: 'string', binary: 'binary' };
const TYPE_ID = new Map(STICK_DATA_TYPES.map((t) => [t.name, t.id]));
const TYPE_BY_ID = new Map(STICK_DATA_TYPES.map((t) => [t.id, t]));
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** A local table as one peers section synchronises it. */
export interface PeerTable {
  /** Name on the wire (without the `<peers>/` prefix). */
  readonly name: string;
  readonly table: StickTable;
}

/** The wire name of local table `localName` in peers section `section` (`mesh/t` -> `/t`, as HAProxy). */
export function wireTableName(localName: string, section: string): string {
  return localName.startsWith(`${section}/`) ? localName.slice(section.length) : localName;
}

/** The definition message of `t` under session-local table id `id` (peers 2.1 "Definition message format"). */
export function peerTableDefinition(t: PeerTable, id: number): TableDefinition {
  const def = t.table.def;
  const data = STICK_DATA_TYPES.filter((d) => def.store.some((s) => s.type === d.name)).map((d) => {
    const s = def.store.find((x) => x.type === d.name)!;
    return d.std === 'frqp' ? { type: d.id, period: s.period } : { type: d.id };
  });
  return { id, name: t.name, keyType: KEY_TYPE[def.type], keyLength: def.keySize, data, expire: def.expire };
}

/**
 * Whether a remote definition can feed local table `t`: same key type and key length (HAProxy
 * peer_treat_definemsg() ignores the updates of a table that differs there). Data types may
 * differ: only the common ones are applied.
 */
export function definitionMatches(remote: TableDefinition, t: PeerTable): boolean {
  return remote.name === t.name && remote.keyType === KEY_TYPE[t.table.def.type] && remote.keyLength === t.table.def.keySize;
}

/** A stored key as the wire's key value. */
function wireKey(t: StickTable, key: StickKey): string | number | Uint8Array {
  const kt = KEY_TYPE[t.def.type];
  if (kt === 'string') return utf8d.decode(key.bytes.subarray(0, key.len));
  if (kt === 'binary') return key.bytes.slice(0, t.def.keySize);
  return decodeFixedKey(kt, key.bytes.subarray(0, kt === 'ipv6' ? 16 : 4));
}

/** A wire key as the table's stored key (string keys truncated to `len`, as HAProxy does). */
export function tableKeyOf(t: StickTable, key: string | number | Uint8Array): StickKey {
  const kt = KEY_TYPE[t.def.type];
  const size = t.def.keySize;
  const raw = kt === 'string' && typeof key === 'string' ? utf8.encode(key) : encodeKey(kt, size, key);
  const bytes = new Uint8Array(size);
  const len = kt === 'string' ? Math.min(raw.length, size - 1) : size;
  bytes.set(raw.subarray(0, Math.min(raw.length, size)));
  return { bytes, len };
}

/**
 * The update message for entry `e` of `t` under session table id `tableId`; `timed` adds the
 * entry's remaining lifetime (0x85, peers 2.1 with an `expire` on the table).
 */
export function entryToUpdate(t: PeerTable, tableId: number, e: StickUpdateEntry, timed: boolean): PeerUpdate {
  const values: DataField[] = e.data.map((v) => {
    const type = TYPE_ID.get(v.type)!;
    if ('rate' in v) return { type, value: { tickAge: v.rate.tickAge, currCtr: v.rate.curr, prevCtr: v.rate.prev } satisfies FreqCounter };
    return { type, value: v.value };
  });
  return {
    kind: 'update',
    tableId,
    updateId: e.updateId >>> 0,
    incremental: false,
    expire: timed && t.table.def.expire > 0 ? e.expireIn : undefined,
    key: wireKey(t.table, e.key),
    values,
  };
}

function scalarNumber(v: DataScalar): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : v);
  return undefined;
}

/**
 * The values of update `u` that local table `t` stores, as raw values for StickTable.applyLearned
 * (types it does not store, arrays and dictionary values are left out; a rate is taken only when
 * the periods agree, so a `http_req_rate(10s)` never feeds a `http_req_rate(1m)`).
 */
export function learnedValues(t: PeerTable, remote: TableDefinition, u: PeerUpdate): StickRawValue[] {
  const out: StickRawValue[] = [];
  for (const f of u.values) {
    const info = TYPE_BY_ID.get(f.type);
    if (!info || !t.table.stores(info.name) || Array.isArray(f.value)) continue;
    const name: StickDataType = info.name;
    const v = f.value as DataScalar;
    if (info.std === 'frqp') {
      const period = t.table.def.store.find((s) => s.type === name)?.period;
      const rp = remote.data.find((d) => d.type === f.type)?.period;
      if (v === null || typeof v !== 'object' || !('currCtr' in v) || (rp !== undefined && rp !== 0 && rp !== period)) continue;
      out.push({ type: name, rate: { tickAge: v.tickAge, curr: v.currCtr, prev: v.prevCtr } });
      continue;
    }
    const n = scalarNumber(v);
    if (n !== undefined) out.push({ type: name, value: n });
  }
  return out;
}
