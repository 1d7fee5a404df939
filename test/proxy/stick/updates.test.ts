/**
 * proxy/stick/table.ts update tracking (what the peers protocol teaches): every data change gets
 * the table's next update id under the table lock, collectUpdates() finds the changes after an id
 * (or everything, for a full resync), learned updates are marked with their source and not
 * taught again, and concurrent writers in worker threads never make a teaching scan miss a change.
 */
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { createStickTable, StickTable } from '../../../proxy/stick/table.ts';
import { formatStickKey, parseStickKey } from '../../../proxy/stick/key.ts';
import type { StickTableDef } from '../../../proxy/stick/stick.types.ts';

const DEF: StickTableDef = {
  name: 't',
  type: 'ip',
  keySize: 4,
  size: 1024,
  expire: 60_000,
  nopurge: false,
  store: [
    { type: 'gpc0', period: 0 },
    { type: 'http_req_rate', period: 10_000 },
  ],
};

let clock = 5_000_000;
const table = () => new StickTable(createStickTable(DEF), DEF, () => clock);
const k = (ip: string) => parseStickKey('ip', 4, ip);
const keys = (b: { entries: { key: { bytes: Uint8Array; len: number } }[] }) => b.entries.map((e) => formatStickKey('ip', e.key.bytes, e.key.len));

describe('stick-table update tracking', () => {
  it('gives each change the next update id and finds the changes after an id, in order', () => {
    const t = table();
    expect(t.updateCounter).toBe(0);
    for (const ip of ['10.0.0.1', '10.0.0.2']) {
      const h = t.acquire(k(ip)); // creation: an id
      t.set(h, 'gpc0', 1);
      t.touchAndRelease(h); // changed data: another id
    }
    expect(t.updateCounter).toBe(4);
    const all = t.collectUpdates({ after: 0 });
    expect(all.upTo).toBe(4);
    expect(keys(all)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(all.entries.map((e) => e.updateId)).toEqual([2, 4]);
    expect(all.entries[0]!.data).toEqual([
      { type: 'gpc0', value: 1 },
      { type: 'http_req_rate', rate: { tickAge: clock >>> 0, curr: 0, prev: 0 } },
    ]);
    // a change to the first entry moves it after the second
    const h = t.lookup(k('10.0.0.1'));
    t.add(h, 'http_req_rate', 3);
    t.touchAndRelease(h);
    const next = t.collectUpdates({ after: all.upTo });
    expect(keys(next)).toEqual(['10.0.0.1']);
    expect(next.entries[0]!.data[1]).toEqual({ type: 'http_req_rate', rate: { tickAge: 0, curr: 3, prev: 0 } });
    expect(t.collectUpdates({ after: next.upTo }).entries).toEqual([]);
  });

  it('a lookup or a release without a data change takes no id', () => {
    const t = table();
    t.touchAndRelease(t.acquire(k('10.0.0.1')));
    const before = t.updateCounter;
    const h = t.lookup(k('10.0.0.1'));
    t.get(h, 'gpc0');
    t.release(h);
    expect(t.updateCounter).toBe(before);
  });

  it('an entry changed under a long-held reference gets its id from the next scan', () => {
    const t = table();
    const h = t.acquire(k('10.0.0.7'));
    const first = t.collectUpdates({ after: 0 });
    t.add(h, 'gpc0', 5); // still held: no touch, no release
    const scan = t.collectUpdates({ after: first.upTo });
    expect(scan.entries).toEqual([]); // stamped during this scan, after its upTo
    const again = t.collectUpdates({ after: scan.upTo });
    expect(keys(again)).toEqual(['10.0.0.7']);
    expect(again.entries[0]!.data[0]).toEqual({ type: 'gpc0', value: 5 });
    t.release(h);
  });

  it('learned updates carry their source: applied, taught in a full resync, never incrementally', () => {
    const t = table();
    expect(t.applyLearned(k('10.9.9.9'), [{ type: 'gpc0', value: 9 }, { type: 'http_req_rate', rate: { tickAge: 100, curr: 4, prev: 2 } }], 30_000, 3)).toBe(true);
    const [v] = t.list();
    expect(v).toMatchObject({ key: '10.9.9.9', exp: 30_000 });
    expect(v!.data.find((d) => d.type === 'gpc0')!.value).toBe(9);
    expect(t.collectUpdates({ after: 0 }).entries).toEqual([]);
    const full = t.collectUpdates({ after: 0, full: true });
    expect(full.entries.map((e) => [e.source, e.expireIn])).toEqual([[3, 30_000]]);
    expect(full.entries[0]!.data[1]).toEqual({ type: 'http_req_rate', rate: { tickAge: 100, curr: 4, prev: 2 } });
    // a local change afterwards makes it a local entry again
    const h = t.lookup(k('10.9.9.9'));
    t.add(h, 'gpc0', 1);
    t.touchAndRelease(h);
    expect(t.collectUpdates({ after: 0 }).entries.map((e) => e.source)).toEqual([0]);
    expect(() => t.applyLearned(k('10.9.9.8'), [], undefined, 0)).toThrow(RangeError);
  });

  it('scans running while two worker threads write lose no change', async () => {
    const def: StickTableDef = { name: 'i', type: 'integer', keySize: 4, size: 1024, expire: 0, nopurge: false, store: [{ type: 'http_req_cnt', period: 0 }, { type: 'http_req_rate', period: 10_000 }] };
    const sab = createStickTable(def);
    const t = new StickTable(sab, def);
    const seen = new Map<string, number>();
    let after = 0;
    const scan = () => {
      const b = t.collectUpdates({ after });
      for (const e of b.entries) seen.set(formatStickKey('integer', e.key.bytes, e.key.len), (e.data[0] as { value: number }).value);
      after = b.upTo;
    };
    const workers = [1, 2].map(
      (seed) =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(new URL('./hammer.worker.ts', import.meta.url), { workerData: { sab, def, iterations: 20_000, keys: 300, expire: false, seed } });
          w.once('error', reject);
          w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
        }),
    );
    let done = false;
    const all = Promise.all(workers).then(() => (done = true));
    while (!done) {
      scan();
      await new Promise((r) => setTimeout(r, 1));
    }
    await all;
    scan();
    scan(); // entries left dirty by a release without touch are stamped by the first
    const final = new Map(t.list().map((v) => [v.key, v.data[0]!.value]));
    expect(final.size).toBe(300);
    expect(seen).toEqual(final);
  }, 20_000);
});
