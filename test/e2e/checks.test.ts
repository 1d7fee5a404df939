/**
 * End to end: health checks run by the supervisor and the runtime view/control of backends, with
 * real node:http origins on 127.0.0.1, curl, and socat on the runtime socket. Two worker threads:
 * every state change must reach both.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { buildConfig, flightbox, showStat, startProxy, waitFor, type Proxy } from './harness.ts';
import { listen, type Origin } from './origins.ts';

/** An origin answering `<name>` on every path; `/health` answers `healthStatus`. Can stop and restart on its port. */
interface Restartable {
  name: string;
  port: number;
  healthStatus: number;
  healthHits: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function origin(name: string): Promise<Restartable> {
  let l: Origin | undefined;
  const o: Restartable = {
    name,
    port: 0,
    healthStatus: 200,
    healthHits: 0,
    async start() {
      const srv = createServer((req, res) => {
        if (req.url === '/health') {
          o.healthHits++;
          res.statusCode = o.healthStatus;
          res.end();
          return;
        }
        res.end(name);
      });
      l = await listen(srv, { port: o.port });
      o.port = l.port;
    },
    async stop() {
      const closing = l?.close();
      l = undefined;
      await closing;
    },
  };
  await o.start();
  return o;
}

function config(dir: string, port: number, backend: string[]): string {
  return buildConfig(dir, { nbthread: 2 }, { 'frontend web': [`bind 127.0.0.1:${port}`, 'default_backend be'], 'backend be': backend });
}

/** Sends `n` requests, each on a new connection (spread over both workers), and counts who answered. */
async function spread(p: Proxy, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await p.get('/');
    const key = r.status === 200 ? r.body : `status ${r.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** The `show stat` row of `px/sv` as a column -> value map. */
async function statRow(p: Proxy, px: string, sv: string): Promise<Record<string, string>> {
  const rows = await showStat(p);
  const row = rows[`${px}/${sv}`];
  if (!row) throw new Error(`no row ${px}/${sv} in: ${Object.keys(rows).join(' ')}`);
  return row;
}

/**
 * Both servers served evenly, from a fresh start: each worker runs its own roundrobin, so with `n`
 * requests split over two workers each server gets at least n/2 - 1.
 */
function expectBoth(counts: Record<string, number>, n: number): void {
  expect(Object.keys(counts).sort(), JSON.stringify(counts)).toEqual(['a', 'b']);
  expect(counts.a! + counts.b!, JSON.stringify(counts)).toBe(n);
  expect(Math.min(counts.a!, counts.b!), JSON.stringify(counts)).toBeGreaterThanOrEqual(n / 2 - 1);
}

/**
 * Server a is back in rotation in both workers. HAProxy's FWRR lets a returning server catch up
 * in a burst (up to 8 picks in a row at equal weights: the "rr maint after a long solo" vector in
 * test/proxy/lb/haproxy-vectors.ts), so b may get few; but in any k picks after its return, a
 * gets at least floor(k/2) in each worker, so at least n/2 - 1 over two workers.
 */
function expectBack(counts: Record<string, number>, n: number): void {
  expect(Object.keys(counts).every((k) => k === 'a' || k === 'b'), JSON.stringify(counts)).toBe(true);
  expect((counts.a ?? 0) + (counts.b ?? 0), JSON.stringify(counts)).toBe(n);
  expect(counts.a ?? 0, JSON.stringify(counts)).toBeGreaterThanOrEqual(n / 2 - 1);
}

describe('TCP health checks', () => {
  let p: Proxy;
  let a: Restartable, b: Restartable;
  beforeAll(async () => {
    [a, b] = await Promise.all([origin('a'), origin('b')]);
    p = await startProxy({
      config: (dir, port) => config(dir, port, [`server s1 127.0.0.1:${a.port} check inter 100 rise 2 fall 2`, `server s2 127.0.0.1:${b.port} check inter 100 rise 2 fall 2`]),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('a server that stops answering goes DOWN after fall checks, traffic moves, and it comes back UP after rise', async () => {
    await waitFor(async () => (await statRow(p, 'be', 's1')).status === 'UP', { timeoutMs: 5000, everyMs: 50 }); // fully up
    expectBoth(await spread(p, 10), 10);
    const from = p.stderr().length;
    await a.stop();
    const down = await p.waitStderr(/\[WARNING\] {2}\(\d+\) : Server be\/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: \d+ms\. 1 active and 0 backup servers left\. \d+ sessions active, 0 requeued, 0 remaining in queue\./, 5000, from);
    expect(down).toBeTruthy();
    expect(await spread(p, 10)).toEqual({ b: 10 });
    const row = await statRow(p, 'be', 's1');
    expect(row).toMatchObject({ status: 'DOWN', check_status: 'L4CON', chkdown: '1', check_rise: '2', check_fall: '2' });
    // The state change is a `check` trace event in the supervisor's flight ring (thread 0 of a snapshot).
    const snap = /snapshot written to (\S+)/.exec(await p.cli('snapshot'))![1]!;
    const ev = await flightbox(['show', 'events', 'flight', '--snapshot', snap]);
    expect(ev.stdout).toMatch(/\[00\|check\|user\|[^\]]*\] srv_update_status\(\): slot 0: Server be\/s1 is DOWN, reason: Layer4 connection problem/);
    await a.start();
    await p.waitStderr(/\[NOTICE\] {3}\(\d+\) : Server be\/s1 is UP, reason: Layer4 check passed, check duration: \d+ms\. 2 active and 0 backup servers online\./, 5000, from);
    expectBack(await spread(p, 10), 10);
  });
});

describe('HTTP health checks (option httpchk, http-check expect)', () => {
  let p: Proxy;
  let a: Restartable, b: Restartable;
  beforeAll(async () => {
    [a, b] = await Promise.all([origin('a'), origin('b')]);
    p = await startProxy({
      config: (dir, port) =>
        config(dir, port, [
          'option httpchk GET /health',
          'http-check expect status 200',
          'timeout check 500ms',
          `server s1 127.0.0.1:${a.port} check inter 100 rise 2 fall 2`,
          `server s2 127.0.0.1:${b.port} check inter 100 rise 2 fall 2`,
        ]),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('a wrong status puts the server down and the expected one brings it back', async () => {
    await waitFor(async () => (await statRow(p, 'be', 's1')).check_status === 'L7OK', { timeoutMs: 5000, everyMs: 50 });
    expect(a.healthHits).toBeGreaterThan(0);
    const from = p.stderr().length;
    a.healthStatus = 503;
    await p.waitStderr(/Server be\/s1 is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: \d+ms\./, 5000, from);
    expect(await spread(p, 6)).toEqual({ b: 6 });
    expect(await statRow(p, 'be', 's1')).toMatchObject({ status: 'DOWN', check_status: 'L7STS', check_code: '503' });
    a.healthStatus = 200;
    await p.waitStderr(/Server be\/s1 is UP, reason: Layer7 check passed, code: 200, info: "OK", check duration: \d+ms\./, 5000, from);
    expectBack(await spread(p, 6), 6);
  });
});

describe('runtime control of servers in every worker', () => {
  let p: Proxy;
  let a: Restartable, b: Restartable;
  beforeAll(async () => {
    [a, b] = await Promise.all([origin('a'), origin('b')]);
    p = await startProxy({
      config: (dir, port) => config(dir, port, [`server s1 127.0.0.1:${a.port} maxconn 50`, `server s2 127.0.0.1:${b.port}`]),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });
  afterEach(async () => {
    await p.cli('set server be/s1 state ready; set server be/s2 state ready; set server be/s1 weight 100%; set server be/s2 weight 100%');
  });

  it('set server state maint takes a server out of rotation in both workers; ready brings it back', async () => {
    expect(await p.cli('set server be/s1 state maint')).toBe('\n');
    await p.waitStderr(/\[WARNING\] {2}\(\d+\) : Server be\/s1 is going DOWN for maintenance\. 1 active and 0 backup servers left\./);
    expect(await spread(p, 20)).toEqual({ b: 20 });
    expect((await statRow(p, 'be', 's1')).status).toBe('MAINT');
    expect(await p.cli('set server be/s1 state ready')).toBe('\n');
    expectBack(await spread(p, 20), 20);
    expect((await statRow(p, 'be', 's1')).status).toBe('no check');
  });

  it('disable server / enable server and drain do the same', async () => {
    await p.cli('disable server be/s2');
    expect(await spread(p, 10)).toEqual({ a: 10 });
    await p.cli('enable server be/s2; set server be/s1 state drain');
    expect(await spread(p, 10)).toEqual({ b: 10 });
    expect((await statRow(p, 'be', 's1')).status).toBe('DRAIN');
  });

  it('set server weight: 0 drains, relative weights follow the initial weight', async () => {
    expect(await p.cli('set server be/s2 weight 0')).toBe('\n');
    expect(await spread(p, 10)).toEqual({ a: 10 });
    expect(await statRow(p, 'be', 's2')).toMatchObject({ status: 'DRAIN', weight: '0' });
    await p.cli('set server be/s2 weight 300%');
    expect(await statRow(p, 'be', 's2')).toMatchObject({ status: 'no check', weight: '3' });
    const counts = await spread(p, 24);
    expect(counts.b).toBeGreaterThan(counts.a!);
  });

  it("errors are HAProxy's", async () => {
    expect(await p.cli('set server nope/s1 state maint')).toBe('No such backend.\n\n');
    expect(await p.cli('set server be/nope state maint')).toBe('No such server.\n\n');
    expect(await p.cli('set server be/s1 weight 257')).toBe('Absolute weight can only be between 0 and 256 inclusive.\n\n');
  });

  it('show stat has FRONTEND, server and BACKEND rows with live counters; show servers state and show backend', async () => {
    await spread(p, 4);
    const s1 = await statRow(p, 'be', 's1');
    expect(s1).toMatchObject({ pxname: 'be', svname: 's1', status: 'no check', weight: '1', act: '1', bck: '0', slim: '50', type: '2', addr: `127.0.0.1:${a.port}` });
    expect(Number(s1.stot)).toBeGreaterThan(0);
    expect(Number(s1.scur)).toBe(0);
    const be = await statRow(p, 'be', 'BACKEND');
    expect(be).toMatchObject({ status: 'UP', act: '2', bck: '0', type: '1', algo: 'roundrobin' });
    expect(Number(be.stot)).toBe(Number(s1.stot) + Number((await statRow(p, 'be', 's2')).stot));
    expect(await statRow(p, 'web', 'FRONTEND')).toMatchObject({ status: 'OPEN', type: '0' });
    const state = (await p.cli('show servers state be')).trimEnd().split('\n');
    expect(state[0]).toBe('1');
    expect(state[1]).toMatch(/^# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight/);
    expect(state.slice(2).map((l) => l.split(' ').slice(1, 8).join(' '))).toEqual(['be 1 s1 127.0.0.1 2 0 1', 'be 2 s2 127.0.0.1 2 0 1']);
    expect(await p.cli('show backend')).toBe('# name\nbe\n\n');
  });
});
