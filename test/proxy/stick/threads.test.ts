import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { integerKey } from '../../../proxy/stick/key.ts';
import { StickTable, createStickTable } from '../../../proxy/stick/table.ts';
import { stickDef } from './helpers.ts';

const WORKER = new URL('./hammer.worker.ts', import.meta.url);

function run(data: Record<string, unknown>): Promise<{ ops: number; refused: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: data });
    let result: { ops: number; refused: number } | undefined;
    w.once('message', (m) => (result = m));
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`worker exited with ${code}`))));
  });
}

describe('one stick-table shared by worker threads', () => {
  it('two workers tracking the same keys lose no update and leave no reference behind', async () => {
    const def = stickDef('stick-table type integer size 1024 store http_req_cnt,http_req_rate(10s)');
    const sab = createStickTable(def);
    const iterations = 20_000;
    const res = await Promise.all([1, 2].map((seed) => run({ sab, def, iterations, keys: 64, expire: false, seed })));
    const t = new StickTable(sab, def);
    expect(res.map((r) => r.refused)).toEqual([0, 0]);
    const views = t.list();
    const total = views.reduce((n, v) => n + v.data.find((d) => d.type === 'http_req_cnt')!.value, 0);
    expect(total).toBe(2 * iterations);
    expect(views.every((v) => v.use === 0)).toBe(true);
    expect(t.verify()).toEqual([]);
  });

  it('two workers churning a small table with expiry and purge while the supervisor lists and clears: no BUG_ON, consistent table', async () => {
    const def = stickDef('stick-table type integer size 32 expire 2 store http_req_cnt,http_req_rate(1s)');
    const sab = createStickTable(def);
    const t = new StickTable(sab, def);
    const workers = Promise.all([7, 11].map((seed) => run({ sab, def, iterations: 30_000, keys: 500, expire: true, seed })));
    let done = false;
    void workers.finally(() => (done = true)).catch(() => {});
    let passes = 0;
    while (!done) {
      t.list();
      t.clear({ key: integerKey(passes % 500) });
      t.expire();
      passes++;
      await new Promise((r) => setImmediate(r));
    }
    const res = await workers;
    expect(res.every((r) => r.ops === 30_000)).toBe(true);
    expect(passes).toBeGreaterThan(0);
    expect(t.verify()).toEqual([]);
    expect(t.list().every((v) => v.use === 0)).toBe(true);
    expect(t.stats().kills).toBeGreaterThan(0);
    expect(t.current).toBeLessThanOrEqual(32);
  });
});
