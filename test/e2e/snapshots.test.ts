/**
 * End to end: every snapshot trigger of DESIGN.md, on the built CLI with real clients. Each trigger
 * leaves a snapshot that `flightbox decode --json` explains with the expected reason and top in-app
 * frame, the supervisor logs `worker N died: ...; snapshot written to <path>`, a replacement worker
 * serves again, and (for the stall) the other worker kept serving during it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig, startProxy, flightbox, run, sleep, waitFor, type Proxy } from './harness.ts';
import { closeOrigins, httpOrigin } from './origins.ts';

interface Frame {
  fn: string;
  file: string;
  line: number;
  inApp: boolean;
}

async function decode(path: string): Promise<Record<string, any>> {
  const r = await flightbox(['decode', '--json', path]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** The innermost frame that belongs to Flightbox itself (not Node internals). */
function topInApp(j: Record<string, any>): Frame {
  const frames = j.callChain.frames as Frame[];
  const f = frames.find((x) => x.inApp);
  if (!f) throw new Error(`no in-app frame in ${JSON.stringify(frames)}`);
  return f;
}

/** Waits for the supervisor's death line about `thread` after stderr offset `from`; returns the snapshot path. */
async function death(p: Proxy, kind: string, from: number): Promise<string> {
  const m = await p.waitStderr(new RegExp(`worker (\\d+) died: ${kind}: .*; snapshot written to (\\S+)`), 20_000, from);
  return m[2];
}

/** Arms a fault site on every worker thread. */
async function armEverywhere(p: Proxy, site: string, threads = 2): Promise<void> {
  const cmds = Array.from({ length: threads }, (_, i) => `debug dev fault ${site} on thread ${i + 1}`).join('; ');
  const out = await p.cli(`expert-mode on; ${cmds}`);
  expect(out).toContain(`fault site ${site} armed`);
}

/** Disarms a fault site on every worker (the one that did not fire is still armed). */
async function disarmEverywhere(p: Proxy, site: string, threads = 2): Promise<void> {
  const cmds = Array.from({ length: threads }, (_, i) => `debug dev fault ${site} off thread ${i + 1}`).join('; ');
  await p.cli(`expert-mode on; ${cmds}`);
}

/** Waits (10 s at most, a GET every 100 ms) until the proxy answers 200 again after a worker's death. */
async function servesAgain(p: Proxy): Promise<void> {
  await waitFor(async () => (await p.get('/again')).status === 200, { timeoutMs: 10_000, everyMs: 100, what: 'the proxy to serve again after the death' });
}

describe('snapshot triggers', () => {
  let p: Proxy;
  beforeAll(async () => {
    p = await startProxy({ global: ['worker-memory-limit 96m'] });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('debug dev panic: snapshot with reason panic, top in-app frame runDebugDev, then a replacement serves', async () => {
    const from = p.stderr().length;
    await p.cli('expert-mode on; debug dev panic');
    const path = await death(p, 'panic', from);
    const j = await decode(path);
    expect(j.summary.reason).toBe('panic');
    expect(j.summary.thread).toBe(1);
    expect(topInApp(j)).toMatchObject({ fn: 'runDebugDev', file: 'proxy/worker/debug-dev.ts' });
    await servesAgain(p);
    expect(await p.cli('show info')).toMatch(/^Worker_restarts: [1-9]/m);
  });

  it('BUG_ON: reason bug, the frame that called BUG_ON on top', async () => {
    const from = p.stderr().length;
    await p.cli('expert-mode on; debug dev bug thread 2');
    const j = await decode(await death(p, 'bug', from));
    expect(j.summary).toMatchObject({ reason: 'bug', thread: 2 });
    expect(j.summary.message).toMatch(/^BUG_ON: debug dev bug/);
    expect(topInApp(j)).toMatchObject({ fn: 'runDebugDev', file: 'proxy/worker/debug-dev.ts' });
    await servesAgain(p);
  });

  it('uncaught error while answering: the stream being handled, its termination log and last events', async () => {
    await armEverywhere(p, 'h1.uncaught');
    const from = p.stderr().length;
    await p.get('/boom?token=1');
    const j = await decode(await death(p, 'uncaught', from));
    await disarmEverywhere(p, 'h1.uncaught'); // before any other request reaches the armed worker
    expect(j.summary.message).toContain('injected fault h1.uncaught while answering GET /boom');
    expect(topInApp(j)).toMatchObject({ fn: 'respond', file: 'proxy/h1/conn.ts' });
    expect(j.context.object.kind).toBe('stream');
    expect(j.context.object.info).toBe('GET /boom?token=1 HTTP/1.1');
    expect(j.context.object.log.map((e: { event: string }) => e.event)).toEqual(['create', 'request']);
    expect(j.context.connection.info).toMatch(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ fe=web$/);
    const lines = (j.events.shown as { formatted: string }[]).map((e) => e.formatted).join('\n');
    expect(lines).toMatch(/h1_rcv_req\(\): request head: GET \/boom\?token=1 HTTP\/1\.1/);
    await servesAgain(p);
  });

  it('freeing a buffer into the wrong pool: HAProxy\'s tag mismatch report naming both sites', async () => {
    await armEverywhere(p, 'h1.buffer-wrong-pool');
    const from = p.stderr().length;
    await p.get('/wrong-pool');
    const j = await decode(await death(p, 'pool', from));
    await disarmEverywhere(p, 'h1.buffer-wrong-pool'); // before any other request reaches the armed worker
    expect(j.summary.message).toMatch(/^FATAL: pool inconsistency detected in thread [12]: tag mismatch on free\(\)/);
    const report: string = j.summary.report;
    expect(report).toMatch(/caller: release \(proxy\/h1\/conn\.ts:\d+\)/);
    expect(report).toMatch(/pool: 'stream'/);
    expect(report).toMatch(/the item comes from pool 'buffer'/);
    expect(report).toMatch(/allocated by: serveH1 \(proxy\/h1\/conn\.ts\)/);
    expect(topInApp(j).file).toBe('proxy/h1/conn.ts');
    expect(j.offendingPool).toBeDefined();
    expect(j.pools[0].pools[0].name === j.offendingPool || j.pools.some((v: any) => v.pools.some((x: any) => x.name === j.offendingPool))).toBe(true);
    await servesAgain(p);
  });

  it('double free of a stream object: caught at free(), with the site that freed it first', async () => {
    await armEverywhere(p, 'h1.stream-double-free');
    const from = p.stderr().length;
    await p.get('/double-free');
    const j = await decode(await death(p, 'pool', from));
    await disarmEverywhere(p, 'h1.stream-double-free'); // before any other request reaches the armed worker
    expect(j.summary.message).toMatch(/^FATAL: pool inconsistency detected in thread [12]: .*double free/);
    expect(j.summary.report).toMatch(/caller: endStream \(proxy\/h1\/conn\.ts:\d+\)/);
    expect(j.summary.report).toMatch(/last freed by: endStream \(proxy\/h1\/conn\.ts\)/);
    expect(topInApp(j)).toMatchObject({ fn: 'endStream', file: 'proxy/h1/conn.ts' });
    await servesAgain(p);
  });

  it('CHECK_IF warns with a stack once and the worker goes on', async () => {
    const from = p.stderr().length;
    expect(await p.cli('expert-mode on; debug dev warn')).toContain('CHECK_IF triggered; the proxy goes on.');
    await p.waitStderr(/\[WARNING\] thread 1: CHECK_IF: debug dev warn/, 5000, from);
    expect((await p.get('/')).status).toBe(200);
    expect(p.stderr().slice(from)).not.toMatch(/worker \d died/);
    expect(await p.cli('show threads')).toMatch(/^Thread 1 : status=running/m);
  });

  it('out of memory: the supervisor writes the snapshot from shared memory (rings and pools)', async () => {
    for (let i = 0; i < 6; i++) await p.get(`/before-oom-${i}`);
    const from = p.stderr().length;
    await p.cli('expert-mode on; debug dev oom thread 2');
    const path = await death(p, 'oom', from);
    const j = await decode(path);
    expect(j.summary).toMatchObject({ reason: 'oom', thread: 2 });
    expect(j.summary.message).toMatch(/worker 2 ran out of memory \(heap limit 96 MB/);
    const t2 = (j.pools as { thread: number; pools: { name: string }[] }[]).find((v) => v.thread === 2)!;
    expect(t2.pools.map((x) => x.name)).toEqual(expect.arrayContaining(['buffer', 'connection', 'stream']));
    const rings = await flightbox(['show', 'events', 'flight', '--snapshot', path]);
    expect(rings.code).toBe(0);
    expect(rings.stdout).toMatch(/\[02\|/); // thread 2's ring survived its death
    await servesAgain(p);
  });

  it('stall: the watchdog captures the looping function, the other worker serves meanwhile', async () => {
    const from = p.stderr().length;
    await p.cli('expert-mode on; debug dev loop 4000 thread 1');
    await sleep(300);
    // New connections are spread by the kernel; those that land on worker 2 are answered.
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => p.get(`/during-stall-${i}`, ['-m', '1'])));
    const served = results.filter((r) => r.status === 200).length;
    expect(served).toBeGreaterThan(0);
    const j = await decode(await death(p, 'stall', from));
    expect(j.summary).toMatchObject({ reason: 'stall', thread: 1 });
    expect(j.summary.message).toMatch(/thread 1 stalled: no heartbeat for \d+ ms \(watchdog-timeout 1000 ms\)/);
    expect(topInApp(j)).toMatchObject({ fn: 'debugDevLoop', file: 'proxy/worker/debug-dev.ts' });
    // The snapshot shows worker 2 answered requests while worker 1 was stuck.
    const events = await flightbox(['show', 'events', 'flight', '--snapshot', j.file ?? '']);
    void events;
    await servesAgain(p);
  });

  it('debug dev exit: an unexpected worker exit is a death too, with its exit code', async () => {
    const from = p.stderr().length;
    await p.cli('expert-mode on; debug dev exit 3 thread 2');
    const j = await decode(await death(p, 'exit', from));
    expect(j.summary).toMatchObject({ reason: 'exit', thread: 2, message: 'worker 2 exited unexpectedly with code 3' });
    await servesAgain(p);
  });

  it('on demand: flightbox snapshot -S <socket> -o <file>', async () => {
    const out = join(p.dir, 'now.fbsnap');
    const r = await flightbox(['snapshot', '-S', p.socket, '-o', out]);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: `${out}\n` });
    const j = await decode(out);
    expect(j.summary.reason).toBe('on-demand');
    // show threads / info / pools render from the snapshot like they do live.
    const info = await flightbox(['show', 'info', '--snapshot', out]);
    expect(info.stdout).toMatch(/^Name: Flightbox$/m);
    expect(info.stdout).toMatch(/^Nbthread: 2$/m);
  });

  it('damaged snapshots decode partially; a non-snapshot exits 2', async () => {
    const out = join(p.dir, 'base.fbsnap');
    expect((await flightbox(['snapshot', '-S', p.socket, '-o', out])).code).toBe(0);
    const buf = readFileSync(out);
    const truncated = join(p.dir, 'truncated.fbsnap');
    writeFileSync(truncated, buf.subarray(0, Math.floor(buf.length * 0.6)));
    const t = await flightbox(['decode', truncated]);
    expect(t.code).toBe(0);
    expect(t.stderr).toMatch(/truncated/);
    const flipped = Buffer.from(buf);
    flipped[Math.floor(buf.length / 2)] ^= 0x10;
    const fl = join(p.dir, 'flipped.fbsnap');
    writeFileSync(fl, flipped);
    const f = await flightbox(['decode', fl]);
    expect(f.code).toBe(0);
    expect(f.stderr).toMatch(/damaged/);
    const junk = join(p.dir, 'junk.fbsnap');
    writeFileSync(junk, 'this is not a snapshot at all');
    const n = await flightbox(['decode', junk]);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/not a (Flightbox )?snapshot/i);
  });
});

describe('pool integrity and fatal signals', () => {
  it('-dMintegrity: a write after free is caught at the next allocation, naming the site that freed it', async () => {
    const p = await startProxy({ nbthread: 1, args: ['-dMintegrity'] });
    try {
      await armEverywhere(p, 'h1.buffer-use-after-free', 1);
      const from = p.stderr().length;
      await p.get('/first'); // frees its buffer on close, then writes into it
      await sleep(100);
      await p.get('/second'); // reuses the buffer: integrity check fails
      const j = await decode(await death(p, 'pool', from));
      // HAProxy's wording for a poisoned item found modified: "cache corruption detected".
      expect(j.summary.message).toMatch(/^FATAL: pool inconsistency detected in thread 1: cache corruption detected/);
      expect(j.summary.report).toMatch(/last freed by: release \(proxy\/h1\/conn\.ts/);
    } finally {
      await p.stop();
    }
  });

  it('a fatal signal leaves a snapshot of every thread and the process dies of it', async () => {
    const p = await startProxy();
    const exited = p.exited;
    p.child.kill('SIGQUIT');
    const code = await exited;
    expect(code).toBe(131);
    const m = /SIGQUIT: snapshot written to (\S+)/.exec(p.stderr());
    expect(m, p.stderr()).not.toBeNull();
    const j = await decode(m![1]);
    expect(j.summary.reason).toBe('signal');
    expect(j.threads.length).toBeGreaterThanOrEqual(3); // supervisor + 2 workers
    await p.stop();
  });

  it('a worker that faults while draining a graceful stop still leaves its snapshot', async () => {
    // Seed crash 2 struck during the drain of a graceful stop: the post-mortem must not be skipped
    // because the process is stopping anyway.
    const slow = await httpOrigin((_req, res) => setTimeout(() => res.end('late\n'), 800));
    const p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, { nbthread: 1, global: ['hard-stop-after 5s'] }, {
          'frontend web': [`bind 127.0.0.1:${port}`, 'default_backend be'],
          'backend be': [`server s 127.0.0.1:${slow.port}`],
        }),
    });
    try {
      await armEverywhere(p, 'h1.stream-double-free', 1);
      const inFlight = p.get('/slow');
      await sleep(200); // the request waits for the origin
      p.child.kill('SIGTERM');
      await inFlight; // the response is written, then the stream freed twice: the worker dies
      await p.exited;
      const m = /worker 1 died while stopping: pool: FATAL: pool inconsistency .*double free.*; snapshot written to (\S+)/.exec(p.stderr());
      expect(m, p.stderr()).not.toBeNull();
      const j = await decode(m![1]);
      expect(j.summary.reason).toBe('pool');
      expect(topInApp(j)).toMatchObject({ fn: 'endStream', file: 'proxy/h1/conn.ts' });
    } finally {
      await p.stop();
      await closeOrigins();
    }
  });

  it('worker-on-death exit stops the process after the post-mortem', async () => {
    const p = await startProxy({ global: ['worker-on-death exit'] });
    await p.cli('expert-mode on; debug dev panic');
    const code = await p.exited;
    expect(code).toBe(1);
    expect(p.stderr()).toMatch(/worker 1 died: panic: .*snapshot written to/);
    await p.stop();
  });
});

void run;
