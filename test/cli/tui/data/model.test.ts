import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openSnapshot, sourceExcerpt, TuiOpenError } from '../../../../cli/tui/data/model.ts';
import { matchKnownIssue, matchLine } from '../../../../diag/signatures.ts';
import { readSnapshotFile } from '../../../../diag/snapshot/read.ts';
import { GOLDEN, writeBigSnapshot } from '../big-snapshot.ts';

const dir = mkdtempSync(join(tmpdir(), 'fb-tui-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tui model', () => {
  test('opens the golden snapshot: explanation, pools with the offender, objects, timeline', () => {
    const m = openSnapshot(GOLDEN);
    expect(m.explanation.summary.message).toBe('BUG_ON: header of 9000 bytes exceeds the buffer (4096)');
    expect(m.pools.find((p) => p.name === 'fixture_hdrs')?.offender).toBe(true);
    expect(m.pools.find((p) => p.name === 'fixture_buf')?.offender).toBe(false);
    expect(m.objects.map((o) => o.id)).toEqual([1, 2, 3, 4]);
    expect(m.timeline.total).toBeGreaterThan(29);
    // The context stream's events, as `flightbox decode` selects them.
    const sel = m.timeline.select({ stream: 4 });
    expect(Array.from(sel, (i) => m.timeline.decode(i).message)).toContain('h1_check_header(): header too large: 9000 > 4096');
  });

  test('reads the TypeScript lines around a mapped frame', () => {
    const m = openSnapshot(GOLDEN);
    const top = m.explanation.callChain.frames[0];
    const ex = sourceExcerpt(top, m.sourceRoots, 2)!;
    expect(ex.line).toBe(top.line);
    expect(ex.lines).toHaveLength(5);
    expect(ex.lines[2]).toContain('BUG_ON(len > max');
    expect(sourceExcerpt({ ...top, mapped: false }, m.sourceRoots)).toBeUndefined();
  });

  test('refuses what is not a snapshot with a one-line reason', () => {
    const bad = join(dir, 'bad.fbsnap');
    writeFileSync(bad, 'hello');
    expect(() => openSnapshot(bad)).toThrow(TuiOpenError);
    expect(() => openSnapshot(bad)).toThrow(/bad\.fbsnap: not a Flightbox snapshot/);
    expect(() => openSnapshot(join(dir, 'missing.fbsnap'))).toThrow(/missing\.fbsnap: cannot read the file: ENOENT/);
  });

  test('carries the known-issue answer and fingerprint that diag/signatures.ts gives', () => {
    const d = readSnapshotFile(GOLDEN);
    const m = openSnapshot(GOLDEN);
    const r = matchKnownIssue(d, m.explanation.callChain.frames);
    expect(m.knownIssue.fingerprint).toBe(r.fingerprint);
    expect(m.knownIssue.fingerprint).toMatch(/^[0-9a-f]{10}$/);
    expect(m.knownIssue.matched).toBe(r.best !== undefined);
    expect(m.knownIssue.title).toBe(r.best ? matchLine(r.best) : 'no known issue matches');
  });

  test('opens a snapshot holding 64 MiB of rings quickly (events decoded lazily)', () => {
    const file = join(dir, 'big.fbsnap');
    const { perThread } = writeBigSnapshot(file);
    const t0 = performance.now();
    const m = openSnapshot(file);
    const last = m.timeline.select({});
    const rows = Array.from(last.subarray(last.length - 20), (i) => m.timeline.decode(i));
    const ms = performance.now() - t0;
    process.stdout.write(`tui: opened a snapshot with 64 MiB of rings (${m.timeline.total} events) in ${ms.toFixed(0)} ms\n`);
    // Each 32 MiB ring keeps its capacity's worth of the newest records.
    expect(m.timeline.total).toBeGreaterThan(500_000);
    expect(m.timeline.total).toBeLessThan(2 * perThread + 100);
    expect(rows[19].message).toMatch(/\(\):/);
    // Target 2 s; the bound leaves room for a loaded test machine.
    expect(ms).toBeLessThan(6000);
  });
});
