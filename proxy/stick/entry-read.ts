/**
 * Reading one stick-table entry the way HAProxy's `sc_*`/`src_*` fetches and `table_*` converters
 * do (configuration manual 7.3.3 and 7.3.1): look the key up, use the entry while holding a
 * reference, drop the reference (stksess_kill_if_expired after smp_fetch_sc_*), and read a data
 * type scaled like the `kbytes_*` forms.
 */
import type { StickKey } from './key.ts';
import type { StickDataType } from './stick.types.ts';
import type { StickTable } from './table.ts';

/**
 * Looks `key` up in `t` and returns `use(t, h)` for the entry, dropping the lookup's reference
 * afterwards even if `use` throws; `absent` when the table has no entry for the key.
 */
export function withStickEntry<T>(t: StickTable, key: StickKey, use: (t: StickTable, h: number) => T, absent: T): T {
  const h = t.lookup(key);
  if (h < 0) return absent;
  try {
    return use(t, h);
  } finally {
    t.release(h);
  }
}

/**
 * Data type `type` of entry `h`, divided by `div` and rounded down when given (the `kbytes_*`
 * forms read the byte counters / 1024); undefined when the table does not store that type.
 */
export function readStickData(t: StickTable, h: number, type: StickDataType, div: number | undefined): number | undefined {
  const v = t.get(h, type);
  if (v === undefined) return undefined;
  return div ? Math.floor(v / div) : v;
}
