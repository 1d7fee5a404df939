/**
 * End to end: a worker that dies while its streams hold stick-table references does not leave them
 * behind (proxy/stick/table.ts "Reference ledger", proxy/supervisor/supervisor.ts onExit). A frontend
 * tracks `src` twice (`tcp-request connection track-sc1` and `http-request track-sc0`) in tables with
 * a short `expire`, WebSocket tunnels hold those references, then:
 * - both workers stall (`debug dev loop`) and the watchdog terminates them: no code of theirs runs,
 *   the supervisor drops what they held (`worker N died: ... released M stick-table references`),
 *   `show table` shows use=0, and the entries expire on time;
 * - a worker panics (`debug dev panic`): its exit handler drops its own references, the supervisor
 *   finds none left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { buildConfig, pollUntil, startProxy, type Proxy } from './harness.ts';
import { wsEchoOrigin, type Origin } from './origins.ts';


/** Opens a WebSocket through the proxy and waits for the 101 and one echo; the socket stays open. */
async function openWs(port: number): Promise<Socket> {
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => {});
  let got = '';
  sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
  sock.write(`GET /ws HTTP/1.1\r\nhost: t\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: ${randomBytes(16).toString('base64')}\r\nsec-websocket-version: 13\r\n\r\n`);
  await pollUntil(() => got.includes('\r\n\r\n'), (x) => x, { timeoutMs: 5000 });
  expect(got).toMatch(/^HTTP\/1\.1 101 /);
  sock.write('ping');
  await pollUntil(() => got.endsWith('ping'), (x) => x, { timeoutMs: 5000 });
  return sock;
}

/** The `key=127.0.0.1` line of `show table <t>` (undefined when the entry is gone). */
async function entry(p: Proxy, table: string): Promise<string | undefined> {
  return (await p.cli(`show table ${table}`)).split('\n').find((l) => l.includes('key=127.0.0.1 '));
}

function field(line: string | undefined, name: string): number {
  const m = new RegExp(`(?:^| )${name}=(\\d+)`).exec(line ?? '');
  return m ? Number(m[1]) : NaN;
}

/** The `released N stick-table references` counts of the death lines written after `from`. */
function released(p: Proxy, from: number): number[] {
  return [...p.stderr().slice(from).matchAll(/^worker \d+ died: .*released (\d+) stick-table references/gm)].map((m) => Number(m[1]));
}

describe('stick-table references of a dead worker', () => {
  let p: Proxy;
  let ws: Origin;
  const socks: Socket[] = [];

  beforeAll(async () => {
    ws = await wsEchoOrigin();
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, { nbthread: 2, global: ['watchdog-timeout 1s', 'hard-stop-after 3s'], timeouts: { client: '30s', connect: '1s', server: '30s' } }, {
          'frontend web': [
            `bind 127.0.0.1:${port}`,
            'tcp-request connection track-sc1 src table conns',
            'http-request track-sc0 src table wst',
            'default_backend wsb',
          ],
          'backend wsb': ['timeout tunnel 30s', `server s 127.0.0.1:${ws.port}`],
          'backend wst': ['stick-table type ip size 100 expire 4s store conn_cur,http_req_cnt'],
          'backend conns': ['stick-table type ip size 100 expire 4s store conn_cur'],
        }),
    });
  }, 30_000);

  afterAll(async () => {
    for (const s of socks) s.destroy();
    await p?.stop();
    await ws?.close();
  });

  it('workers ended by the watchdog: the supervisor drops their references, use=0, then the entries expire on time', async () => {
    for (let i = 0; i < 6; i++) socks.push(await openWs(p.port));
    expect(field(await entry(p, 'wst'), 'use')).toBe(6);
    expect(field(await entry(p, 'conns'), 'use')).toBe(6);
    const from = p.stderr().length;
    // both workers stall; the watchdog (1 s) terminates them: no code of theirs runs any more
    await p.cli('expert-mode on; debug dev loop 2500 thread 1; debug dev loop 2500 thread 2');
    await pollUntil(() => released(p, from), (r) => r.length === 2, { timeoutMs: 10_000 });
    expect(p.stderr().slice(from)).toMatch(/^worker [12] died: ended by the watchdog; released \d+ stick-table references$/m);
    expect(released(p, from).reduce((a, b) => a + b, 0)).toBe(12); // 6 connections x 2 tables, wherever they were
    const wst = await entry(p, 'wst');
    expect(wst).toMatch(/^0x[0-9a-f]+: key=127\.0\.0\.1 use=0 exp=\d+ shard=0 conn_cur=6 http_req_cnt=6$/); // counters as the dead left them
    expect(field(wst, 'exp')).toBeGreaterThan(0);
    expect(field(await entry(p, 'conns'), 'use')).toBe(0);
    // unreferenced now: the supervisor's expiry removes them when their 4 s are up
    const left = field(wst, 'exp');
    const t0 = Date.now();
    await pollUntil(() => p.cli('show table wst'), (o) => o.includes('used:0'), { timeoutMs: left + 2000 });
    expect(Date.now() - t0).toBeLessThan(left + 1000);
    await pollUntil(() => p.cli('show table conns'), (o) => o.includes('used:0'), { timeoutMs: 2000 });
    expect(p.stderr()).not.toMatch(/\[WARNING\] worker \d+ died: stick-table/);
    // the replacements serve and track again
    socks.push(await openWs(p.port));
    expect(field(await entry(p, 'wst'), 'use')).toBe(1);
  }, 30_000);

  it('a worker that panics drops its own references on its way out: the supervisor finds none left', async () => {
    for (const s of socks.splice(0)) s.destroy();
    await pollUntil(() => entry(p, 'wst'), (l) => field(l, 'use') === 0, { timeoutMs: 5000 });
    for (let i = 0; i < 4; i++) socks.push(await openWs(p.port));
    expect(field(await entry(p, 'wst'), 'use')).toBe(4);
    const from = p.stderr().length;
    await p.cli('expert-mode on; debug dev panic thread 1; debug dev panic thread 2');
    await pollUntil(() => released(p, from), (r) => r.length === 2, { timeoutMs: 10_000 });
    expect(p.stderr().slice(from)).toMatch(/^worker 1 died: panic: debug dev panic: panic requested from the CLI; snapshot written to .*; released 0 stick-table references$/m);
    expect(released(p, from)).toEqual([0, 0]);
    expect(field(await entry(p, 'wst'), 'use')).toBe(0);
    expect(field(await entry(p, 'conns'), 'use')).toBe(0);
  }, 30_000);
});
