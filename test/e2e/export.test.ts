/**
 * End to end, through the built CLI: a real crash (the `h1.stream-double-free` fault site) decoded
 * with its known issue, confidence and fingerprint (the same for two crashes of the bug), exported
 * as Chrome Trace Event JSON for Perfetto and as qlog (no QUIC connection yet), and the export's
 * errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceDocument } from '../../diag/export/export.types.ts';
import { validateTraceDocument } from '../diag/export/trace-event-format.ts';
import { flightbox, startProxy, waitFor, type Proxy } from './harness.ts';

const SITE = 'h1.stream-double-free';

/** Arms the double free on the only worker, sends a request, waits for the death; returns the snapshot path. */
async function crash(p: Proxy, path: string): Promise<string> {
  expect(await p.cli(`expert-mode on; debug dev fault ${SITE} on thread 1`)).toContain(`fault site ${SITE} armed`);
  const from = p.stderr().length;
  await p.get(path);
  const m = await p.waitStderr(/worker 1 died: pool: .*; snapshot written to (\S+)/, 20_000, from);
  await waitFor(async () => (await p.get('/again')).status === 200, { timeoutMs: 10_000, everyMs: 100, what: 'the replacement worker to serve' });
  return m[1];
}

describe('known issues and exports through the CLI', () => {
  let p: Proxy;
  const snaps: string[] = [];
  beforeAll(async () => {
    p = await startProxy({ nbthread: 1 });
    await p.get('/warm-up');
    snaps.push(await crash(p, '/df-first'));
    snaps.push(await crash(p, '/df-second'));
  }, 60_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('decode prints the known issue, its confidence and the fingerprint; two crashes of one bug share the fingerprint', async () => {
    const fps: string[] = [];
    for (const s of snaps) {
      const t = await flightbox(['decode', s]);
      expect(t.code, t.stderr).toBe(0);
      expect(t.stdout).toMatch(/\n== Known issue ==\nFingerprint: [0-9a-f]{10} \(kind=pool, pool-problem=double-free, pool=stream, item-pool=stream, [^)]*fn=endStream/);
      expect(t.stdout).toMatch(/^Match: pool-double-free: Pool item freed twice \(confidence 1\.00, high\)$/m);
      const j = JSON.parse((await flightbox(['decode', '--json', s])).stdout);
      expect(j.knownIssue.match).toMatchObject({ id: 'pool-double-free', level: 'high', confidence: 1 });
      expect(t.stdout).toContain(`Fingerprint: ${j.knownIssue.fingerprint} `);
      expect(j.summary.fingerprint).toBe(j.knownIssue.fingerprint);
      fps.push(j.knownIssue.fingerprint);
    }
    expect(fps[1]).toBe(fps[0]);
  });

  it('export --format perfetto -o writes Trace Event JSON: worker track, stream and connection lifetimes, h1 instants, flows', async () => {
    const out = join(p.dir, 'trace.json');
    const r = await flightbox(['export', snaps[0], '--format', 'perfetto', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: Chrome Trace Event JSON, \\d+ thread track\\(s\\), \\d+ lifetime\\(s\\), \\d+ instant\\(s\\), \\d+ flow\\(s\\); fingerprint [0-9a-f]{10}; open it in https://ui\\.perfetto\\.dev`));
    const doc = JSON.parse(readFileSync(out, 'utf8')) as TraceDocument;
    expect(validateTraceDocument(doc)).toEqual([]);
    const ev = doc.traceEvents;
    expect(ev.some((e) => e.ph === 'M' && e.name === 'thread_name' && e.tid === 1 && e.args!.name === 'worker 1')).toBe(true);
    const stream = ev.find((e) => e.ph === 'b' && e.cat === 'stream' && e.args!.info === 'GET /df-first HTTP/1.1');
    expect(stream, 'the crashing stream has a lifetime slice').toBeDefined();
    expect(ev.some((e) => e.ph === 'b' && e.cat === 'conn')).toBe(true);
    expect(ev.some((e) => e.ph === 's' && e.name.endsWith(`-> stream ${stream!.id}`))).toBe(true);
    expect(ev.some((e) => e.ph === 'i' && e.cat === 'h1' && /GET \/df-first/.test(String(e.args!.message)))).toBe(true);
    const j = JSON.parse((await flightbox(['decode', '--json', snaps[0]])).stdout);
    expect(doc.otherData).toMatchObject({ reason: 'pool', fingerprint: j.knownIssue.fingerprint, knownIssue: 'pool-double-free' });
  });

  it('export --format perfetto without -o prints the JSON on stdout', async () => {
    const r = await flightbox(['export', snaps[1], '--format', 'perfetto']);
    expect(r.code, r.stderr).toBe(0);
    expect(validateTraceDocument(JSON.parse(r.stdout))).toEqual([]);
  });

  it('export --format qlog says the snapshot has no QUIC connection and exits 0', async () => {
    const r = await flightbox(['export', snaps[0], '--format', 'qlog', '-o', join(p.dir, 'x.qlog')]);
    expect(r).toMatchObject({ code: 0, stdout: `${snaps[0]}: the snapshot has no QUIC connection: nothing to export as qlog\n` });
  });

  it('errors say what and where, and exit 2', async () => {
    const missing = join(p.dir, 'nope.fbsnap');
    const a = await flightbox(['export', missing, '--format', 'perfetto']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(new RegExp(`^flightbox export: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read the file: ENOENT`));
    const junk = join(p.dir, 'junk.fbsnap');
    writeFileSync(junk, 'not a snapshot at all, just text');
    const b = await flightbox(['export', junk, '--format', 'perfetto']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/junk\.fbsnap: .*not a (Flightbox )?snapshot/i);
    const c = await flightbox(['export', snaps[0], '--format', 'svg']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/: unknown format 'svg': expected one of perfetto, qlog\n$/);
    const d = await flightbox(['export', snaps[0]]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/no --format given: expected one of perfetto, qlog/);
  });
});
