/**
 * Stick-table helpers shared by the peers tests (session.test.ts, reload.test.ts): their table, an `ip` key,
 * an entry written as traffic would (gpc0 set, one request counted), and a table's content as
 * sorted `<key> <type>=<value> ...` lines to compare two tables.
 */
import { parseStickKey } from '../../../proxy/stick/key.ts';
import type { StickTable } from '../../../proxy/stick/table.ts';
import type { StickStore, StickTableDef } from '../../../proxy/stick/stick.types.ts';

/**
 * The tests' table `p/t`: an `ip` table of peers section `p` (4096 entries, expire 60 s) storing
 * gpc0 and http_req_cnt (what put() writes), then `extra`.
 */
export function peersTableDef(extra: readonly StickStore[] = []): StickTableDef {
  return {
    name: 'p/t',
    type: 'ip',
    keySize: 4,
    size: 4096,
    expire: 60_000,
    nopurge: false,
    peers: 'p',
    store: [{ type: 'gpc0', period: 0 }, { type: 'http_req_cnt', period: 0 }, ...extra],
  };
}

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
