import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { colorEnabled, runTui } from '../../../cli/tui/run.ts';
import { GOLDEN } from './big-snapshot.ts';

const dir = mkdtempSync(join(tmpdir(), 'fb-tui-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `f` collecting what it writes to stderr. */
async function stderrOf(f: () => Promise<number>): Promise<{ code: number; err: string }> {
  let err = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  try {
    return { code: await f(), err };
  } finally {
    spy.mockRestore();
  }
}

describe('runTui', () => {
  test('NO_COLOR set and non-empty turns colours off (no-color.org), as does TERM=dumb', () => {
    expect(colorEnabled({})).toBe(true);
    expect(colorEnabled({ NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ TERM: 'dumb' })).toBe(false);
  });

  test('a file that is not a snapshot exits 2 with a one-line reason', async () => {
    const bad = join(dir, 'notes.txt');
    writeFileSync(bad, 'not a snapshot at all');
    const r = await stderrOf(() => runTui(bad));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`flightbox tui: ${bad}: not a Flightbox snapshot (wrong magic bytes at offset 0)\n`);
  });

  test('without a terminal it says so and points to decode (exit 1)', async () => {
    if (process.stdin.isTTY && process.stdout.isTTY) return; // only meaningful under a test runner without a tty
    const r = await stderrOf(() => runTui(GOLDEN));
    expect(r.code).toBe(1);
    expect(r.err).toContain('needs an interactive terminal');
    expect(r.err).toContain('flightbox decode <file>');
  });
});
