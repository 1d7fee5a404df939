/**
 * `balance roundrobin` (proxy/lb/fwrr.ts, HAProxy's lb_fwrr.c): order, proportions, and how runtime
 * weight and state changes are absorbed. The exact sequences HAProxy 2.6.12 produced for several
 * weight sets (including dynamic changes) are replayed in balance.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../proxy/lb/balance.ts';
import type { Balancer } from '../../../proxy/lb/balance.ts';

function run(b: Balancer, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = b.pick()!;
    b.take(s);
    b.release(s);
    out.push(s.name);
  }
  return out;
}

function counts(names: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of names) c[n] = (c[n] ?? 0) + 1;
  return c;
}

describe('roundrobin', () => {
  it('weights 5/1/1 give HAProxy 2.6.12\'s order "a a a b a a c", repeated', () => {
    // Observed on a live HAProxy 2.6.12 with `server a weight 5`, `b weight 1`, `c weight 1`.
    // (nginx documents "a a b a c a a" for its own smooth WRR; HAProxy's FWRR differs.)
    const b = createBalancer('roundrobin', [{ name: 'a', weight: 5 }, { name: 'b' }, { name: 'c' }]);
    expect(run(b, 21).join(' ')).toBe('a a a b a a c a a a b a a c a a a b a a c');
  });

  it('interleaves picks: with weights 5/1/1 no server gets more than 3 in a row and b, c are apart', () => {
    const b = createBalancer('roundrobin', [{ name: 'a', weight: 5 }, { name: 'b' }, { name: 'c' }]);
    const seq = run(b, 700).join('');
    expect(seq).not.toMatch(/aaaa/);
    expect(seq).not.toMatch(/bc|cb/);
  });

  it('equal weights rotate in declaration order', () => {
    const b = createBalancer('roundrobin', [{ name: 'x' }, { name: 'y' }, { name: 'z' }]);
    expect(run(b, 7)).toEqual(['x', 'y', 'z', 'x', 'y', 'z', 'x']);
  });

  for (const weights of [
    [5, 3, 2],
    [7, 11, 13, 1],
    [256, 1, 100],
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 2],
  ]) {
    it(`10 000 picks follow weights ${weights.join('/')} within 0.5%`, () => {
      const b = createBalancer('roundrobin', weights.map((weight, i) => ({ name: `s${i}`, weight })));
      const c = counts(run(b, 10_000));
      const total = weights.reduce((a, w) => a + w, 0);
      weights.forEach((w, i) => {
        expect(Math.abs(c[`s${i}`] / 10_000 - w / total)).toBeLessThan(0.005);
      });
    });
  }

  it('a weight change applies from the next round without disturbing the others\' rotation', () => {
    const b = createBalancer('roundrobin', [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    run(b, 5);
    b.setWeight(b.find('c')!, 2);
    const after = run(b, 400);
    const c = counts(after);
    expect(c.c / 400).toBeCloseTo(0.5, 1);
    // a and b still alternate strictly: their relative order was not reset.
    const ab = after.filter((n) => n !== 'c').join('');
    expect(ab).toMatch(/^(ab)+$|^(ba)+$/);
  });

  it('a server set to drain and back, or down and up, gets its share again', () => {
    const b = createBalancer('roundrobin', [{ name: 'a', weight: 2 }, { name: 'b' }, { name: 'c' }]);
    run(b, 3);
    b.setState(b.find('b')!, 'drain');
    expect(counts(run(b, 30)).b).toBeUndefined();
    b.setState(b.find('b')!, 'ready');
    b.setOperational(b.find('c')!, 'down');
    b.setOperational(b.find('c')!, 'up');
    const c = counts(run(b, 4000));
    expect(c.a / 4000).toBeCloseTo(0.5, 2);
    expect(c.b / 4000).toBeCloseTo(0.25, 2);
    expect(c.c / 4000).toBeCloseTo(0.25, 2);
  });

  it('weight 0 at runtime takes the server out; 100% brings it back', () => {
    const b = createBalancer('roundrobin', [{ name: 'a', weight: 3 }, { name: 'b', weight: 3 }]);
    b.setWeight(b.find('a')!, 0);
    expect(new Set(run(b, 20))).toEqual(new Set(['b']));
    b.setWeight(b.find('a')!, '100%');
    expect(counts(run(b, 600)).a).toBe(300);
  });

  it('a saturated server is skipped without losing its turn for long', () => {
    const b = createBalancer('roundrobin', [{ name: 'a', maxconn: 1 }, { name: 'b' }, { name: 'c' }]);
    const a = b.find('a')!;
    b.take(a);
    expect(run(b, 6)).not.toContain('a');
    b.release(a);
    expect(run(b, 3)).toContain('a');
  });
});
