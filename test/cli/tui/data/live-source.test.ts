/**
 * The live data source against a real Flightbox (test/e2e/harness.ts startProxy, built dist/):
 * bounded request rate over one connection (counted by a relay socket between the source and the
 * runtime socket), disconnection and reconnection when the proxy is stopped and restarted on the
 * same socket, and `snapshot` on demand.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { LiveSource } from '../../../../cli/tui/data/live-source.ts';
import { openSnapshot } from '../../../../cli/tui/data/model.ts';
import { CLI, configText, pollUntil, startProxy, type Proxy } from '../../../e2e/harness.ts';

const why = existsSync(CLI) ? '' : `no built CLI at ${CLI} (run npm run build)`;
if (why) process.stdout.write(`skipping the live source tests: ${why}\n`);

const dir = mkdtempSync(join(tmpdir(), 'fb-tui-live-'));
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A relay socket in front of `target` counting client connections and request lines. */
async function relay(path: string, target: string): Promise<{ server: Server; connections: number; lines: number }> {
  const stats = { server: undefined as unknown as Server, connections: 0, lines: 0 };
  stats.server = createServer((c) => {
    stats.connections++;
    const up = createConnection({ path: target });
    c.on('data', (d: Buffer) => {
      for (const b of d) if (b === 0x0a) stats.lines++;
      up.write(d);
    });
    up.pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
  });
  await new Promise<void>((r) => stats.server.listen(path, r));
  return stats;
}

const until = (f: () => boolean, what: string, timeoutMs = 10_000) =>
  pollUntil(f, (x) => x, { timeoutMs }).then((ok) => {
    if (!ok) throw new Error(`timed out waiting for ${what}`);
  });

describe.skipIf(why !== '')('live source on a real proxy', () => {
  test('polls at a bounded rate over one connection and parses every view', async () => {
    const p = await startProxy();
    cleanups.push(() => p.stop());
    await p.get('/');
    const r = await relay(join(dir, 'relay.sock'), p.socket);
    cleanups.push(() => new Promise((res) => r.server.close(res)));
    // Asked for 20 polls a second, bounded to 4 requests a second.
    const src = new LiveSource(join(dir, 'relay.sock'), { intervalMs: 50, maxRequestsPerSec: 4 });
    cleanups.push(() => src.stop());
    src.start();
    await until(() => src.sample !== undefined, 'the first sample');
    const before = r.lines;
    const t0 = Date.now();
    await new Promise((res) => setTimeout(res, 2000));
    const lines = r.lines - before;
    const secs = (Date.now() - t0) / 1000;
    expect(lines).toBeGreaterThanOrEqual(4);
    expect(lines).toBeLessThanOrEqual(Math.ceil(secs * 4) + 1);
    expect(r.connections).toBe(1);
    expect(src.connections).toBe(1);
    const s = src.sample!;
    expect(s.info.get('Name')).toBe('Flightbox');
    expect(s.threads.map((t) => t.thread)).toEqual([0, 1, 2]); // the supervisor, then the workers
    expect(s.threads.every((t) => t.status === 'running')).toBe(true);
    expect(s.pools.map((x) => x.name)).toContain('buffer');
    expect(s.objects.some((o) => o.kind === 'conn')).toBe(true);
    const recs = s.events.rings.flatMap((x) => x.records);
    expect(recs.some((x) => x.text?.startsWith('request head: GET /'))).toBe(true);
    expect(src.history('buffer').used.length).toBeGreaterThanOrEqual(4);
  }, 30_000);

  test('shows the proxy stopped, retries with back-off, and reconnects when it is back on the same socket', async () => {
    const sockDir = mkdtempSync(join(dir, 'same-'));
    const start = () => startProxy({ config: (_d, port) => configText(sockDir, port) });
    let p: Proxy = await start();
    cleanups.push(() => p.stop());
    const socket = join(sockDir, 'admin.sock');
    const src = new LiveSource(socket, { intervalMs: 200, maxRequestsPerSec: 10, backoffMinMs: 200, backoffMaxMs: 800 });
    cleanups.push(() => src.stop());
    src.start();
    await until(() => src.status.state === 'connected', 'connected');
    const pid1 = src.sample!.info.get('Pid');
    await p.stop();
    await until(() => src.status.state === 'disconnected', 'disconnected');
    const st = src.status;
    expect(st.state === 'disconnected' && st.error).toMatch(/closed the connection|no runtime socket|refused/);
    await until(() => src.status.state === 'disconnected' && src.status.attempts >= 3, 'three attempts');
    const st3 = src.status;
    // Back-off: the delay doubles up to the maximum.
    expect(st3.state === 'disconnected' && st3.retryAt - Date.now()).toBeLessThanOrEqual(800);
    p = await start();
    await until(() => src.status.state === 'connected', 'reconnected', 15_000);
    await until(() => src.sample!.info.get('Pid') !== pid1, 'a sample of the new process');
    expect(src.connections).toBeGreaterThanOrEqual(2);
  }, 45_000);

  test('a selected object comes with its show sess detail in the same request line, within the rate bound', async () => {
    const p = await startProxy();
    cleanups.push(() => p.stop());
    await p.get('/one');
    const r = await relay(join(dir, 'relay-sel.sock'), p.socket);
    cleanups.push(() => new Promise((res) => r.server.close(res)));
    const src = new LiveSource(join(dir, 'relay-sel.sock'), { intervalMs: 50, maxRequestsPerSec: 4, eventsEveryMs: 60_000, selectedEventsEveryMs: 500 });
    cleanups.push(() => src.stop());
    src.start();
    await until(() => src.sample?.objects.some((o) => o.kind === 'conn' && o.totalEvents > 2) === true, 'a connection with several events');
    const listed = src.sample!.objects.find((o) => o.kind === 'conn' && o.totalEvents > 2)!;
    // `show conns all` gives only the last event of the termination log.
    expect(listed.log).toHaveLength(1);
    const eventsAt = src.sample!.eventsAt;
    src.select(listed.id);
    expect(src.selected).toBe(listed.id);
    await until(() => src.sample?.detail?.id === listed.id, 'the detail');
    const d = src.sample!.detail!.object!;
    expect(d).toMatchObject({ id: listed.id, kind: 'conn', thread: listed.thread, totalEvents: listed.totalEvents });
    expect(d.log.map((e) => e.event)).toEqual(expect.arrayContaining(['create', 'close']));
    expect(d.log.length).toBe(Math.min(16, listed.totalEvents));
    // The flight ring is fetched again soon for the selection (eventsEveryMs alone would wait a minute).
    await until(() => src.sample!.eventsAt > eventsAt, 'fresh events for the selection', 5000);
    // Still one connection and at most 4 request lines a second.
    const before = r.lines;
    const t0 = Date.now();
    await new Promise((res) => setTimeout(res, 1500));
    expect(r.lines - before).toBeLessThanOrEqual(Math.ceil(((Date.now() - t0) / 1000) * 4) + 1);
    expect(r.connections).toBe(1);
    // An id the process does not know: its answer, no object.
    src.select(0x7ffffff0);
    await until(() => src.sample?.detail?.id === 0x7ffffff0, 'the answer for an unknown id');
    expect(src.sample!.detail).toMatchObject({ id: 0x7ffffff0, error: expect.stringMatching(/^Session not found/) });
    src.select(undefined);
    await until(() => src.sample?.detail === undefined, 'no detail once nothing is selected');
  }, 30_000);

  test('takes a snapshot on demand and the file opens', async () => {
    const p = await startProxy();
    cleanups.push(() => p.stop());
    const src = new LiveSource(p.socket, { intervalMs: 500 });
    cleanups.push(() => src.stop());
    src.start();
    await until(() => src.sample !== undefined, 'the first sample');
    const path = await src.takeSnapshot();
    expect(p.snapshots()).toContain(path);
    const m = openSnapshot(path);
    expect(m.explanation.summary.reason).toBe('on-demand');
    expect(src.connections).toBe(1);
  }, 30_000);
});
