/**
 * Stick-table helpers shared by the peers tests (session.test.ts, reload.test.ts): an `ip` key,
 * an entry written as traffic would (gpc0 set, one request counted), and a table's content as
 * sorted `<key> <type>=<value> ...` lines to compare two tables.
 */
import { parseStickKey } from '../../../proxy/stick/key.ts';
import type { StickTable } from '../../../proxy/stick/table.ts';

/** The key of `ip` in an `ip` table. */
export const ipKey = (ip: string) => parseStickKey('ip', 4, ip);

/** Creates (or finds) the entry of `ip`, sets gpc0 to `gpc0`, counts one http request, releases it. */
export function put(t: StickTable, ip: string, gpc0: number): void {
  const h = t.acquire(ipKey(ip));
  t.set(h, 'gpc0', gpc0);
  t.add(h, 'http_req_cnt', 1);
  t.touchAndRelease(h);
}

/** Every entry of `t` as `<key> <type>=<value> ...`, sorted. */
export function dump(t: StickTable): string[] {
  return t
    .list()
    .map((v) => `${v.key} ${v.data.map((d) => `${d.type}=${d.value}`).join(' ')}`)
    .sort();
}
