import { afterAll, describe, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { projectRoot } from '../../diag/paths.ts';

const runner = join(projectRoot, 'test/cli/run-decode.ts');
const golden = join(projectRoot, 'fixtures/snapshots/v1-bug.fbsnap');
const dir = mkdtempSync(join(tmpdir(), 'flightbox-decode-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `flightbox decode ...args` as a real process (Node 24, TypeScript sources). */
function decode(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [runner, 'decode', ...args], { cwd: projectRoot }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Offset of the payload of the first section of `type` in a v1 snapshot image. */
function payloadOf(buf: Buffer, type: number): number {
  let at = 40;
  while (buf.readUInt16LE(at + 4) !== type) at += 32 + buf.readUInt32LE(at + 16);
  return at + 32;
}

function variant(name: string, edit: (b: Buffer) => Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, edit(Buffer.from(readFileSync(golden))));
  return path;
}

describe('flightbox decode (CLI process)', () => {
  it.concurrent('prints the report of a snapshot and exits 0', async ({ expect }) => {
    const r = await decode(golden);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    // The CLI prints the renderer's text (v1-bug.decode.txt) with the known-issue section after the
    // summary; the committed CLI text must stay exactly that.
    const cli = readFileSync(join(projectRoot, 'fixtures/snapshots/v1-bug.decode-cli.txt'), 'utf8');
    expect(r.stdout).toBe(cli);
    const plain = readFileSync(join(projectRoot, 'fixtures/snapshots/v1-bug.decode.txt'), 'utf8');
    expect(cli.replace(/== Known issue ==\n[\s\S]*?\n\n/, '')).toBe(plain);
  });

  it.concurrent('prints JSON with --json and applies --events', async ({ expect }) => {
    const r = await decode(golden, '--json', '--events', 'level<=error');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe('flightbox.decode/1');
    expect(j.events.filter).toBe('level<=error');
    expect(j.events.shown.map((e: { level: string }) => e.level)).toEqual(['error']);
  });

  it.concurrent('exits 2 with a one-line reason for a file that is not a snapshot', async ({ expect }) => {
    const path = join(dir, 'haproxy.cfg');
    writeFileSync(path, 'global\n    maxconn 100\n');
    const r = await decode(path);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`flightbox decode: ${path}: not a Flightbox snapshot (wrong magic bytes at offset 0)\n`);
  });

  it.concurrent('exits 2 for an unknown format version and for a missing file', async ({ expect }) => {
    const v9 = variant('v9.fbsnap', (b) => {
      b.writeUInt16LE(9, 8);
      b.writeUInt32LE(crc32(b.subarray(0, 36)), 36);
      return b;
    });
    const r = await decode(v9);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^flightbox decode: .*v9\.fbsnap: snapshot format version 9 is unknown to this reader .*newer flightbox\n$/);
    const missing = await decode(join(dir, 'nope.fbsnap'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the file: ENOENT/);
  });

  it.concurrent('exits 2 when neither META nor FAULT can be read', async ({ expect }) => {
    const path = variant('nometa.fbsnap', (b) => {
      b[payloadOf(b, 1) + 2] ^= 0xff;
      b[payloadOf(b, 2) + 2] ^= 0xff;
      return b;
    });
    const r = await decode(path);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(2); // one line
    expect(r.stderr).toMatch(/snapshot damaged beyond use: neither its META nor its FAULT section can be read; first problem: section META is damaged/);
  });

  it.concurrent('decodes a truncated file partially, exits 0 and names the damaged sections on stderr', async ({ expect }) => {
    const path = variant('cut.fbsnap', (b) => b.subarray(0, b.length - 400));
    const r = await decode(path);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: .*cut\.fbsnap decoded partially; sections not decoded: RING \(thread 2, [a-z0-9]+\) truncated/);
    expect(r.stdout).toContain('PARTIAL: see Problems');
    expect(r.stdout).toMatch(/^- section RING \(thread 2, [a-z0-9]+\) is truncated: /m);
    expect(r.stdout).toContain('== Call chain ==\n#0 h1_check_header');
  });

  it.concurrent('decodes a bit-flipped file partially and names the damaged section', async ({ expect }) => {
    const path = variant('flip.fbsnap', (b) => {
      b[payloadOf(b, 7) + 5] ^= 0x01; // LIVE of thread 1
      return b;
    });
    const r = await decode(path);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('sections not decoded: LIVE (thread 1) damaged');
    expect(r.stdout).toMatch(/^- section LIVE \(thread 1\) is damaged: payload checksum mismatch/m);
  });

  it.concurrent('exits 1 on an invalid --events filter, saying what is expected', async ({ expect }) => {
    const r = await decode(golden, '--events', 'conn~3');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flightbox decode: invalid events filter term 'conn~3'\. Filter terms, separated by commas: conn=<id>/);
  });
});
