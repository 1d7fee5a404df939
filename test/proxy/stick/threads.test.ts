import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { integerKey } from '../../../proxy/stick/key.ts';
import { shmLockHolder } from '../../../proxy/stick/lock.ts';
import { StickTableRegistry, createStickTableBuffers } from '../../../proxy/stick/registry.ts';
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

/** A worker of holder.worker.ts; resolves once it holds its references, with its exit code to come. */
async function holder(data: Record<string, unknown>): Promise<{ w: Worker; holding: number; exit: Promise<number> }> {
  const w = new Worker(new URL('./holder.worker.ts', import.meta.url), { workerData: data });
  const exit = new Promise<number>((r) => w.once('exit', r));
  const holding = await new Promise<number>((resolve, reject) => {
    w.once('message', (m: { holding: number }) => resolve(m.holding));
    w.once('error', reject);
    void exit.then((code) => reject(new Error(`worker exited with ${code} before holding its references`)));
  });
  return { w, holding, exit };
}

describe('a dead worker thread\'s references (reference ledger)', () => {
  const defs = [stickDef('stick-table type integer size 64 expire 60s store conn_cur,http_req_cnt')];
  const useOf = (t: StickTable, k: number) => t.list({ key: integerKey(k) })[0]?.use;

  it('thread 1 terminated while its streams hold references: they stay until the supervisor drops them; thread 2\'s stay held', async () => {
    const bufs = createStickTableBuffers(defs, 2);
    const sabs = bufs.map((b) => b.sab);
    const sup = new StickTableRegistry(bufs);
    const t = sup.get('be')!;
    const one = await holder({ defs, sabs, thread: 1, keys: [1, 2, 3], mode: 'stall' });
    const two = await holder({ defs, sabs, thread: 2, keys: [3, 4], mode: 'wait' });
    expect([one.holding, two.holding]).toEqual([3, 2]);
    expect([1, 2, 3, 4].map((k) => useOf(t, k))).toEqual([1, 1, 2, 1]);
    await one.w.terminate(); // the watchdog's way: no code of the thread runs
    expect(await one.exit).toBe(1);
    expect([t.ledgerCount(1), useOf(t, 1)]).toEqual([3, 1]); // left behind
    const r = sup.releaseThread(1);
    expect(r).toMatchObject({ released: 3, killed: 0, locksFreed: 0, problems: [] });
    expect(r.tables.map((x) => [x.name, x.entries])).toEqual([['be', 3]]);
    expect([1, 2, 3, 4].map((k) => useOf(t, k))).toEqual([0, 0, 1, 1]);
    expect(t.list({ key: integerKey(1) })[0]!.data.find((d) => d.type === 'conn_cur')!.value).toBe(1); // counters as the thread left them
    expect(t.verify()).toEqual([]);
    two.w.postMessage('end');
    expect(await two.exit).toBe(0);
    expect(t.ledgerCount(2)).toBe(0); // a normal exit drops its own references
    expect(sup.releaseThread(2).released).toBe(0);
    expect([1, 2, 3, 4].map((k) => useOf(t, k))).toEqual([0, 0, 0, 0]);
    expect(t.verify()).toEqual([]);
  });

  it('the entries the dead thread held past their expiry are killed by the drop, once', async () => {
    const bufs = createStickTableBuffers([stickDef('stick-table type integer size 64 expire 2s store conn_cur')], 1);
    const one = await holder({ defs: bufs.map((b) => b.def), sabs: bufs.map((b) => b.sab), thread: 1, keys: [1, 2], mode: 'stall' });
    await one.w.terminate();
    const sup = new StickTableRegistry(bufs, () => Date.now() + 5000); // the supervisor's clock, 5 s later
    const t = sup.get('be')!;
    expect(t.expire().killed).toBe(0); // still referenced by the dead thread
    expect(sup.releaseThread(1)).toMatchObject({ released: 2, killed: 2, problems: [] });
    expect(t.current).toBe(0);
    expect(t.stats().kills).toBe(2);
    expect(t.verify()).toEqual([]);
  });

  it('a thread terminated holding the table lock: the supervisor frees it, then drops the references', async () => {
    const bufs = createStickTableBuffers(defs, 1);
    const sup = new StickTableRegistry(bufs);
    const t = sup.get('be')!;
    const one = await holder({ defs, sabs: bufs.map((b) => b.sab), thread: 1, keys: [5, 6], mode: 'hold-lock' });
    expect(shmLockHolder(t.w, 7)).toBe(one.w.threadId + 1);
    await one.w.terminate();
    const r = sup.releaseThread(1);
    expect(r).toMatchObject({ released: 2, locksFreed: 1, problems: [] });
    expect(shmLockHolder(t.w, 7)).toBe(0);
    expect([useOf(t, 5), useOf(t, 6)]).toEqual([0, 0]);
  });

  it('seed crash 5 in a worker (BUG_ON inside the table lock, process.exit): its exit handler frees the lock, the supervisor drops the references it could not', async () => {
    const bufs = createStickTableBuffers(defs, 1);
    const sup = new StickTableRegistry(bufs);
    const t = sup.get('be')!;
    const one = await holder({ defs, sabs: bufs.map((b) => b.sab), thread: 1, keys: [7, 8], mode: 'bug-in-lock' });
    expect(await one.exit).toBe(134);
    expect(shmLockHolder(t.w, 7)).toBe(0); // nobody waits forever on the dead thread
    expect(t.ledgerCount(1)).toBe(2); // its exit handler could not drop them (it held the lock)
    expect(t.stats().kills).toBe(1); // the entry of the fault was freed once, by the expiry
    const r = sup.releaseThread(1);
    expect(r).toMatchObject({ released: 2, killed: 0, locksFreed: 0, problems: [] });
    expect([useOf(t, 7), useOf(t, 8), useOf(t, 1000)]).toEqual([0, 0, undefined]);
    expect(t.verify()).toEqual([]);
  });
});
