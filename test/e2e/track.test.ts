/**
 * End to end: tracking counters and stickiness through a running Flightbox (two worker threads
 * sharing the tables), against node:http origins:
 * - rate limiting with `http-request track-sc0 src` and `deny deny_status 429 if {
 *   sc_http_req_rate(0) gt 5 }`: the 6th request of a burst is refused, `show table` shows the
 *   entry's counters, and once the connections closed conn_cur and use= are back at 0 and the
 *   pools at their baseline (no reference leaked);
 * - `tcp-request connection track-sc1 src` with `sc1_conn_cur` in a condition;
 * - `stick on src` keeping a client on one server while two servers answer their names;
 * - WebSocket upgrades tracked by a table with `expire 1s` under a small burst held past the
 *   expiry, with `-dMtag,integrity`: every reference is dropped exactly once (a double drop or
 *   kill is a BUG_ON, which would kill the worker), and the entry expires afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { buildConfig, pollUntil, poolsUsed, expectPoolsAt, startProxy, sleep, type Proxy } from './harness.ts';
import { httpOrigin, wsEchoOrigin, type Origin } from './origins.ts';

/** One GET on a fresh connection (Connection: close): status and body. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { connection: 'close', ...headers }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The entry line of `key` in `show table <t>`, or undefined. */
async function entry(p: Proxy, table: string, key: string): Promise<string | undefined> {
  const out = await p.cli(`show table ${table} key ${key}`);
  return out.split('\n').find((l) => l.includes(`key=${key} `));
}

function field(line: string | undefined, name: string): number {
  const m = new RegExp(`(?:^| )${name.replace(/[()]/g, '\\$&')}=(\\d+)`).exec(line ?? '');
  return m ? Number(m[1]) : NaN;
}


/** Opens a WebSocket through the proxy, waits for the 101, echoes `ping`, and returns a closer. */
async function openWs(port: number): Promise<{ close(): Promise<void> }> {
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => {});
  let got = '';
  sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  sock.write(`GET /ws HTTP/1.1\r\nhost: t\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: ${randomBytes(16).toString('base64')}\r\nsec-websocket-version: 13\r\n\r\n`);
  await pollUntil(() => got.includes('\r\n\r\n'), (x) => x, { timeoutMs: 5000 });
  expect(got).toMatch(/^HTTP\/1\.1 101 /);
  sock.write('ping');
  await pollUntil(() => got.endsWith('ping'), (x) => x, { timeoutMs: 5000 });
  return {
    async close() {
      sock.end();
      await closed;
    },
  };
}

describe('tracking counters and stickiness', () => {
  let p: Proxy;
  let baseline = 0;
  let app: Origin;
  let a: Origin;
  let b: Origin;
  let ws: Origin;

  beforeAll(async () => {
    // `connection: close`: no idle server connection stays in the pools between the checks
    const answer = (text: string) => (_req: IncomingMessage, res: ServerResponse) => res.setHeader('connection', 'close').end(text);
    app = await httpOrigin(answer('app\n'));
    a = await httpOrigin(answer('server a\n'));
    b = await httpOrigin(answer('server b\n'));
    ws = await wsEchoOrigin();
    p = await startProxy({
      args: ['--dM', 'tag,integrity'],
      config: (dir, port) =>
        buildConfig(dir, { nbthread: 2, global: ['watchdog-timeout 2s', 'hard-stop-after 5s'], timeouts: { client: '10s', connect: '1s', server: '10s' } }, {
          'frontend web': [
            `bind 127.0.0.1:${port}`,
            'tcp-request connection track-sc1 src table conns',
            'acl sticky path_beg /sticky',
            'acl wsock path_beg /ws',
            'acl conns path /conns',
            'use_backend farm if sticky',
            'use_backend wsb if wsock',
            'http-request track-sc0 src table rl unless sticky || wsock || conns',
            'http-request deny deny_status 429 if { sc_http_req_rate(0) gt 5 }',
            'http-request return status 200 content-type text/plain lf-string "conns=%[sc1_conn_cur]\\n" if conns',
            'default_backend app',
          ],
          'backend app': [`server s 127.0.0.1:${app.port}`],
          'backend rl': ['stick-table type ip size 1k expire 30s store conn_cnt,conn_cur,http_req_cnt,http_req_rate(10s),http_err_cnt'],
          'backend conns': ['stick-table type ip size 1k expire 30s store conn_cur,sess_cnt'],
          'backend farm': ['balance roundrobin', 'stick-table type ip size 1k expire 30s', 'stick on src', `server a 127.0.0.1:${a.port}`, `server b 127.0.0.1:${b.port}`],
          'backend wsb': ['timeout tunnel 10s', 'stick-table type ip size 100 expire 1s store conn_cur,http_req_cnt', 'http-request track-sc2 src', `server s 127.0.0.1:${ws.port}`],
        }),
    });
    baseline = await poolsUsed(p);
  }, 30_000);

  afterAll(async () => {
    await p?.stop();
  });

  it('the 6th request of a burst gets 429; show table shows the counters; nothing stays referenced', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(p.port, `/r${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const line = await pollUntil(() => entry(p, 'rl', '127.0.0.1'), (l) => field(l, 'conn_cur') === 0, { timeoutMs: 5000 });
    expect(line).toMatch(/^0x[0-9a-f]+: key=127\.0\.0\.1 use=0 exp=\d+ shard=0 conn_cnt=6 conn_cur=0 http_req_cnt=6 http_req_rate\(10000\)=6 http_err_cnt=1$/);
    expect(field(line, 'exp')).toBeGreaterThan(25_000);
    await expectPoolsAt(p, baseline);
  });

  it('tcp-request connection tracking: sc1_conn_cur counts this connection, the session is counted', async () => {
    const r = await get(p.port, '/conns');
    expect(r).toEqual({ status: 200, body: 'conns=1\n' });
    const line = await pollUntil(() => entry(p, 'conns', '127.0.0.1'), (l) => field(l, 'conn_cur') === 0, { timeoutMs: 5000 });
    expect(field(line, 'use')).toBe(0);
    expect(field(line, 'sess_cnt')).toBeGreaterThanOrEqual(7);
  });

  it('stick on src keeps the client on one server while both answer', async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i++) bodies.add((await get(p.port, '/sticky')).body);
    expect(bodies.size).toBe(1);
    const name = [...bodies][0]!;
    expect(name).toMatch(/^server [ab]\n$/);
    const line = await entry(p, 'farm', '127.0.0.1');
    expect(field(line, 'server_id')).toBe(name === 'server a\n' ? 1 : 2);
    // the other server answers when the entry names it
    const other = name === 'server a\n' ? 2 : 1;
    expect(await p.cli(`set table farm key 127.0.0.1 data.server_id ${other}`)).toBe('\n');
    expect((await get(p.port, '/sticky')).body).toBe(other === 1 ? 'server a\n' : 'server b\n');
  });

  it('WebSocket upgrades tracked with expire 1s: held past the expiry, each reference dropped exactly once', async () => {
    const socks = await Promise.all(Array.from({ length: 8 }, () => openWs(p.port)));
    const held = await entry(p, 'wsb', '127.0.0.1');
    expect(field(held, 'use')).toBe(8);
    expect(field(held, 'conn_cur')).toBe(8);
    await sleep(1300); // past `expire 1s`: referenced, so not expired
    expect(field(await entry(p, 'wsb', '127.0.0.1'), 'use')).toBe(8);
    await Promise.all(socks.map((s) => s.close()));
    // the last release of an expired entry kills it (or the expiry pass does): gone, once
    const out = await pollUntil(() => p.cli('show table wsb'), (o) => o.includes('used:0'), { timeoutMs: 5000 });
    expect(out).toBe('# table: wsb, type: ip, size:100, used:0\n\n');
    expect(p.stderr()).not.toMatch(/BUG_ON|died|inconsistency/);
    expect(p.snapshots()).toEqual([]);
    await expectPoolsAt(p, baseline);
  });
});
