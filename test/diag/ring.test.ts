import { describe, expect, it } from 'vitest';
import { createRingMemory, RingWriter, readRing, ringInfo, copyRing } from '../../diag/ring.ts';

describe('ring', () => {
  it('records and reads back, oldest first, with text', () => {
    const sab = createRingMemory(64 * 1024, 3);
    const w = new RingWriter(sab);
    w.write(7, 11, 12, 1, 2, 3, 'hello');
    w.write(8, 0, 0, 4.5, 0, 0);
    const recs = readRing(sab);
    expect(recs).toHaveLength(2);
    expect(recs[0]).toMatchObject({ seq: 0, point: 7, connId: 11, streamId: 12, args: [1, 2, 3], text: 'hello', thread: 3 });
    expect(recs[1]).toMatchObject({ seq: 1, point: 8, args: [4.5, 0, 0], text: undefined });
    expect(Math.abs(recs[0].time - Date.now())).toBeLessThan(5000);
  });

  it('wraps: keeps the newest capacity records, and marks overwritten text as lost', () => {
    const sab = createRingMemory(4096, 1);
    const info = ringInfo(sab);
    const w = new RingWriter(sab);
    const n = info.capacity * 3 + 5;
    for (let i = 0; i < n; i++) w.write(i % 100, i, 0, i, 0, 0, i === 0 ? 'first' : 'x'.repeat(50));
    const recs = readRing(sab);
    expect(recs).toHaveLength(info.capacity);
    expect(recs[0].seq).toBe(n - info.capacity);
    expect(recs.at(-1)!.connId).toBe(n - 1);
    expect(recs.at(-1)!.text).toBe('x'.repeat(50));
    // the text area is smaller than capacity * 50 bytes: old records' text is gone
    expect(recs[0].text).toBe('<lost>');
  });

  it('text wrapping around the end of the text area reads back intact', () => {
    const sab = createRingMemory(4096, 1);
    const w = new RingWriter(sab);
    const cap = ringInfo(sab).textCapacity;
    let written = 0;
    let i = 0;
    while (written < cap * 2) {
      const t = `msg-${i}-` + 'é'.repeat(i % 37);
      w.write(1, i, 0, 0, 0, 0, t);
      written += Buffer.byteLength(t);
      i++;
    }
    const recs = readRing(sab);
    const last = recs.at(-1)!;
    expect(last.text).toBe(`msg-${i - 1}-` + 'é'.repeat((i - 1) % 37));
    for (const r of recs) if (r.text !== '<lost>') expect(r.text).toBe(`msg-${r.connId}-` + 'é'.repeat(r.connId % 37));
  });

  it('copyRing shrinks to a bound keeping the newest records, still a valid ring', () => {
    const sab = createRingMemory(1 << 20, 2);
    const w = new RingWriter(sab);
    for (let i = 0; i < 10000; i++) w.write(1, i, 0, i, 0, 0, `t${i}`);
    const small = copyRing(sab, 64 * 1024);
    expect(small.byteLength).toBeLessThanOrEqual(64 * 1024);
    const recs = readRing(small);
    expect(recs.length).toBeGreaterThan(100);
    expect(recs.at(-1)).toMatchObject({ connId: 9999, text: 't9999', seq: 9999, thread: 2 });
    const orig = readRing(sab).at(-1)!;
    expect(recs.at(-1)!.time).toBeCloseTo(orig.time, 6);
  });

  it('rejects bytes that are not a ring', () => {
    expect(() => readRing(new Uint8Array(100))).toThrow(/not a ring/);
  });
});

describe('recorder clock', () => {
  it('records carry the time of the last tickClock(), like HAProxy traces carry the poll-loop date', async () => {
    const { tickClock } = await import('../../diag/ring.ts');
    const sab = createRingMemory(4096, 1);
    const w = new RingWriter(sab);
    tickClock();
    w.write(1, 0, 0, 0, 0, 0);
    w.write(2, 0, 0, 0, 0, 0);
    await new Promise((r) => setTimeout(r, 20));
    tickClock();
    w.write(3, 0, 0, 0, 0, 0);
    const [a, b, c] = readRing(sab);
    expect(b.time).toBe(a.time);
    expect(c.time - a.time).toBeGreaterThanOrEqual(15);
    expect(Math.abs(c.time - Date.now())).toBeLessThan(1000);
  });
});
