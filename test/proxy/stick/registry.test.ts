import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { parseStickKey } from '../../../proxy/stick/key.ts';
import { StickExpiry, StickTableRegistry, attachStickTables, createStickTableBuffers, threadStickTables } from '../../../proxy/stick/registry.ts';
import { stickDef } from './helpers.ts';

const ip = (s: string) => parseStickKey('ip', 4, s);

describe('StickTableRegistry', () => {
  it('maps names to views of the buffers, in configuration order', () => {
    const defs = [stickDef('stick-table type ip size 10 store gpc0', 'be'), { ...stickDef('stick-table type integer size 4', 'x'), name: 'mypeers/t1' }];
    const reg = new StickTableRegistry(createStickTableBuffers(defs));
    expect(reg.names()).toEqual(['be', 'mypeers/t1']);
    expect(reg.size).toBe(2);
    expect(reg.get('be')!.def.size).toBe(10);
    expect(reg.get('mypeers/t1')!.def.type).toBe('integer');
    expect(reg.get('nope')).toBeUndefined();
  });

  it('refuses a buffer made for another definition, and a count mismatch', () => {
    const [a] = createStickTableBuffers([stickDef('stick-table type ip size 10', 'be')]);
    expect(() => new StickTableRegistry([{ def: stickDef('stick-table type ip size 20', 'be'), sab: a!.sab }])).toThrow(/made for another definition/);
    expect(() => attachStickTables([stickDef('stick-table type ip size 10', 'be')], [])).toThrow(/1 configured but 0 shared buffers/);
  });

  it('two threads attached to the same buffers see each other\'s entries', async () => {
    const defs = [stickDef('stick-table type ip size 16 store gpc0', 'be')];
    const bufs = createStickTableBuffers(defs);
    const mine = attachStickTables(defs, bufs.map((b) => b.sab));
    expect(threadStickTables()).toBe(mine);
    const t = mine.get('be')!;
    const h = t.acquire(ip('192.0.2.1'));
    t.set(h, 'gpc0', 7);
    t.touchAndRelease(h);
    const result = await new Promise<{ names: string[]; seen: number }>((resolve, reject) => {
      const w = new Worker(new URL('./registry.worker.ts', import.meta.url), { workerData: { defs, sabs: bufs.map((b) => b.sab) } });
      let r: { names: string[]; seen: number } | undefined;
      w.once('message', (m) => (r = m));
      w.once('error', reject);
      w.once('exit', (code) => (code === 0 && r ? resolve(r) : reject(new Error(`worker exited with ${code}`))));
    });
    expect(result).toEqual({ names: ['be'], seen: 7 });
    const h2 = t.lookup(ip('192.0.2.2'));
    expect(t.get(h2, 'gpc0')).toBe(41);
    t.release(h2);
    expect(t.verify()).toEqual([]);
  });
});

describe('StickExpiry (the supervisor owns expiry)', () => {
  it('kills expired unreferenced entries of every table, budget by budget, and skips tables without expire', () => {
    const clock = { now: 1_000_000 };
    const defs = [stickDef('stick-table type integer size 5000 expire 10s', 'a'), stickDef('stick-table type integer size 10', 'forever')];
    const reg = new StickTableRegistry(createStickTableBuffers(defs), () => clock.now);
    const a = reg.get('a')!;
    const forever = reg.get('forever')!;
    for (let i = 0; i < 3000; i++) a.touchAndRelease(a.acquire(parseStickKey('integer', 4, String(i))));
    forever.touchAndRelease(forever.acquire(parseStickKey('integer', 4, '1')));
    const held = a.lookup(parseStickKey('integer', 4, '5'));
    const exp = new StickExpiry(reg, { intervalMs: 60_000, budget: 100, maxRounds: 10 });
    try {
      expect(exp.runOnce()).toBe(0); // nothing expired yet
      clock.now += 10_000;
      expect(exp.runOnce()).toBe(1000); // 10 rounds of 100, the rest at the next pass
      expect(a.current).toBe(2000);
      expect(exp.runOnce()).toBe(1000);
      expect(exp.runOnce()).toBe(999); // the referenced entry stays
      expect(a.current).toBe(1);
      expect(forever.current).toBe(1);
      a.release(held); // the last release of an expired entry kills it (table.ts)
      expect(a.current).toBe(0);
      expect(a.verify()).toEqual([]);
    } finally {
      exp.stop();
    }
  });

  it('runs by itself on its timer', async () => {
    let now = 1_000_000;
    const reg = new StickTableRegistry(createStickTableBuffers([stickDef('stick-table type integer size 8 expire 1s', 'a')]), () => now);
    const a = reg.get('a')!;
    a.touchAndRelease(a.acquire(parseStickKey('integer', 4, '1')));
    const exp = new StickExpiry(reg, { intervalMs: 10 });
    try {
      now += 1000;
      for (let i = 0; i < 100 && a.current > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(a.current).toBe(0);
    } finally {
      exp.stop();
    }
  });
});
