/**
 * End to end: the built CLI serves HTTP/1.1 with `http-request return`, answers HAProxy's runtime
 * commands over its socket (driven by socat), stops gracefully, and reports config errors with file
 * and line. Real processes, real sockets on 127.0.0.1, real clients (curl, socat).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { writeFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startProxy, flightbox, buildConfig, configText, freePort, run, pollUntil, sleep, waitFor, CLI, type Proxy } from './harness.ts';

describe('serving and looking inside', () => {
  let p: Proxy;
  beforeAll(async () => {
    p = await startProxy();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('answers with the configured http-request return, keep-alive included', async () => {
    const r = await p.get('/hello');
    expect(r).toMatchObject({ status: 200, body: 'hello from flightbox\n' });
    // Two requests on one connection (curl reuses it): both answered.
    const both = await p.get('/a', ['--next', `http://127.0.0.1:${p.port}/b`]);
    expect(both.body.match(/hello from flightbox/g)).toHaveLength(2);
  });

  it('answers 400 with HAProxy\'s body to a smuggling attempt and records it', async () => {
    const raw = await new Promise<string>((resolve) => {
      const s = connect(p.port, '127.0.0.1', () =>
        s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc'),
      );
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('close', () => resolve(data));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad request\r\n/);
    expect(raw).toContain('<html><body><h1>400 Bad request</h1>');
    const events = await p.cli('show events flight');
    expect(events).toMatch(/\|h1\|error\|proxy\/h1\/trace\.ts:\d+\] h1_handle_error\(\): refused with 400: /);
  });

  it('socket file is mode 0600', () => {
    expect(statSync(p.socket).mode & 0o777).toBe(0o600);
  });

  it('show info counts requests and threads', async () => {
    await p.get('/');
    const info = await p.cli('show info');
    expect(info).toMatch(/^Name: Flightbox$/m);
    expect(info).toMatch(/^Nbthread: 2$/m);
    expect(Number(/^CumReq: (\d+)$/m.exec(info)![1])).toBeGreaterThanOrEqual(3);
    expect(info).toMatch(/^Worker_restarts: 0$/m);
  });

  it('show pools prints HAProxy\'s format with the buffer pool of tune.bufsize', async () => {
    const out = await p.cli('show pools');
    expect(out).toMatch(/^Dumping pools usage\./);
    expect(out).toMatch(/^ {2}- Pool buffer \(16384 bytes\) : \d+ allocated \(\d+ bytes\), \d+ used \(~\d+ by thread caches\), needed_avg \d+, \d+ failures, \d+ users, @0x[0-9a-f]+/m);
    expect(out).toMatch(/^Total: \d+ pools, \d+ bytes allocated, \d+ used/m);
    // The CLI renders the same thing from the same process.
    const viaCli = await flightbox(['show', 'pools', '-S', p.socket]);
    expect(viaCli.code).toBe(0);
    expect(viaCli.stdout.split('\n')[0]).toBe('Dumping pools usage. Use SIGQUIT to flush them.');
  });

  it('show conns and show sess list a live connection and its stream', async () => {
    // A request whose body never completes keeps its stream alive.
    const s = connect(p.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab');
    await sleep(200);
    try {
      const conns = await p.cli('show conns');
      expect(conns).toMatch(/127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ fe=web/);
      const sess = await p.cli('show sess');
      expect(sess).toMatch(/POST \/slow HTTP\/1\.1/);
      const id = /^0x([0-9a-f]+):/m.exec(sess)?.[1];
      expect(id).toBeDefined();
      const one = await p.cli(`show sess 0x${id}`);
      expect(one).toMatch(/create/);
      expect(one).toMatch(/request/);
    } finally {
      s.destroy();
    }
  });

  it('speaks the trace grammar and follows the change live', async () => {
    expect(await p.cli('trace h1 level developer')).toBe('\n');
    expect(await p.cli('show trace h1')).toMatch(/Trace status for h1:/);
    expect(await p.cli('trace h1 level loud')).toBe('No such trace level\n\n');
    const list = await p.cli('trace');
    expect(list).toMatch(/ \[R\] h1 {9}: HTTP\/1\.1 multiplexer/);
    expect(await p.cli('trace 0')).toBe('All traces now stopped\n\n');
    const before = (await p.cli('show events flight')).split('\n').length;
    await p.get('/quiet');
    expect((await p.cli('show events flight')).split('\n').length).toBe(before);
    await p.cli('trace h1 start now; trace conn start now; trace stream start now');
  });

  it('refuses expert commands without expert mode, and below admin level', async () => {
    expect(await p.cli('debug dev panic')).toMatch(/restricted to expert mode only/);
    expect(await p.cli('operator; expert-mode on')).toMatch(/Permission denied/);
    expect(await p.cli('user; show sess')).toMatch(/Permission denied/);
  });

  it('show events -w follows new events until the client leaves', async () => {
    const s = connect(p.socket);
    let got = '';
    s.on('data', (d) => (got += d));
    await new Promise((r) => s.once('connect', r));
    s.write('show events flight -n -w\n');
    await sleep(300);
    await p.get('/followed');
    await pollUntil(() => got, (g) => g.includes('GET /followed'), { timeoutMs: 5000, everyMs: 50 });
    s.destroy();
    expect(got).toContain('GET /followed HTTP/1.1');
  });
});

describe('lifecycle of the process', () => {
  it('SIGTERM stops gracefully: an in-flight request is finished, exit 0', async () => {
    const p = await startProxy();
    const s = connect(p.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    let data = '';
    s.on('data', (d) => (data += d));
    s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab');
    await sleep(200);
    p.child.kill('SIGTERM');
    await sleep(300);
    s.write('cd');
    await new Promise((r) => s.once('close', r));
    expect(data).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(data).toMatch(/connection: close/i);
    expect(await p.stop()).toBe(0);
  });

  it('hard-stop-after bounds a graceful stop: a request that never completes does not hold the exit', async () => {
    const p = await startProxy({ global: ['hard-stop-after 1s'] });
    const s = connect(p.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.resume();
    s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nnever finished');
    await sleep(200);
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    const code = await p.exited;
    const took = Date.now() - t0;
    s.destroy();
    expect(code).toBe(0);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5000);
    expect(p.stderr()).toMatch(/hard-stop-after 1000 ms reached: terminating remaining workers/);
    await p.stop();
  });

  it('a configuration error names file and line and exits 1, all alerts printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-cfg-'));
    const f = join(dir, 'bad.cfg');
    writeFileSync(f, 'global\n    nbthread 2\n    frobnicate 1\n\nfrontend x\n    bind 127.0.0.1:0\n    bogus on\n');
    try {
      const r = await flightbox(['run', '-f', f]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`[ALERT] config : parsing [${f}:3] : unknown keyword 'frobnicate' in 'global' section`);
      expect(r.stderr).toContain(`[ALERT] config : parsing [${f}:7] : unknown keyword 'bogus' in 'frontend' section`);
      const c = await flightbox(['check', '-f', f]);
      expect(c.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the bin runs as an executable (what npx flightbox does)', async () => {
    const r = await run(CLI, ['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^flightbox \d+\.\d+\.\d+ \(build [0-9a-f]{20}\)\n$/);
  });

  it("a backend's own log line gets its server state changes, as HAProxy sends them", async () => {
    const p = await startProxy({
      config: (dir, port) =>
        buildConfig(
          dir,
          { nbthread: null, timeouts: { client: '5s', connect: '5s', server: '5s' } },
          { 'frontend x': [`bind 127.0.0.1:${port}`, 'default_backend be'], 'backend be': ['log stdout format raw local0', 'server s1 127.0.0.1:9'] },
        ),
    });
    try {
      await p.cli('disable server be/s1');
      await waitFor(() => p.stdout().includes('Server be/s1 is going DOWN for maintenance.'));
      await waitFor(() => p.stdout().includes("backend 'be' has no server available!"));
      // The same lines as on stderr, without the [WARNING] (pid) prefix: the syslog level says it.
      expect(p.stderr()).toMatch(/\[WARNING\] +\(\d+\) : Server be\/s1 is going DOWN for maintenance\./);
    } finally {
      await p.stop();
    }
  });

  it('run -c validates without starting', async () => {
    const r = await flightbox(['run', '-c']);
    expect(r).toMatchObject({ code: 0, stdout: 'Configuration file is valid\n' });
  });
});

describe('limits and allocation failures are ordinary outcomes (seed crash 4)', () => {
  it('tune.fail-alloc 100: every allocation fails, connections are refused cleanly, no worker dies', async () => {
    const p = await startProxy({ global: ['tune.fail-alloc 100'] });
    try {
      for (let i = 0; i < 5; i++) {
        const r = await p.get(`/fail-${i}`);
        expect(r.status).not.toBe(200);
      }
      const pools = await p.cli('show pools');
      const failures = [...pools.matchAll(/(\d+) failures/g)].reduce((n, m) => n + Number(m[1]), 0);
      expect(failures).toBeGreaterThanOrEqual(5);
      expect(await p.cli('show info')).toMatch(/^PoolFailed: [1-9]\d*$/m);
      expect(p.stderr()).not.toMatch(/died/);
    } finally {
      await p.stop();
    }
  });

  it('tune.fail-alloc 30: some requests fail with 500 or a closed connection, the rest are served, no worker dies', async () => {
    const p = await startProxy({ global: ['tune.fail-alloc 30'] });
    try {
      const results = [];
      for (let i = 0; i < 40; i++) results.push(await p.get(`/maybe-${i}`));
      const ok = results.filter((r) => r.status === 200).length;
      expect(ok).toBeGreaterThan(0);
      expect(ok).toBeLessThan(40);
      for (const r of results) expect([0, 200, 500]).toContain(r.status);
      // Each failure path was taken and recorded: the connection, its buffer, the stream.
      const events = await p.cli('show events flight');
      for (const pool of ['connection', 'buffer', 'stream']) expect(events).toContain(`h1_alloc(): allocation failed in pool ${pool}`);
      expect(p.stderr()).not.toMatch(/died/);
      expect(await p.cli('show info')).toMatch(/^Worker_restarts: 0$/m);
    } finally {
      await p.stop();
    }
  });

  it('maxconn: a connection over the limit is closed at once, the ones within it are served', async () => {
    const p = await startProxy({ nbthread: 1, global: ['maxconn 2'] });
    const open: import('node:net').Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = connect(p.port, '127.0.0.1');
        await new Promise((r) => s.once('connect', r));
        open.push(s);
      }
      await sleep(100);
      const third = connect(p.port, '127.0.0.1');
      const closed = await new Promise<boolean>((resolve) => {
        third.once('close', () => resolve(true));
        third.once('error', () => resolve(true));
        setTimeout(() => resolve(false), 3000);
      });
      expect(closed).toBe(true);
      open[0].write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const data = await new Promise<string>((r) => open[0].once('data', (d) => r(String(d))));
      expect(data).toMatch(/^HTTP\/1\.1 200 OK/);
    } finally {
      for (const s of open) s.destroy();
      await p.stop();
    }
  });
});

describe('traces from the configuration, and -d', () => {
  it('a traces section sends h1 to a configured ring, readable with show events <ring>', async () => {
    const p = await startProxy({
      config: (dir, port) =>
        configText(dir, port).replace(
          'defaults',
          'ring buf0\n    size 64k\n\ntraces\n    trace h1 sink buf0\n    trace h1 level data\n\ndefaults',
        ),
    });
    try {
      await p.get('/to-buf0');
      expect(await p.cli('show trace')).toMatch(/ \[R\] h1 {9}-> buf0 \[drp 0\]/);
      const buf0 = await p.cli('show events buf0');
      expect(buf0).toMatch(/\|h1\|proto\|proxy\/h1\/trace\.ts:\d+\] h1_rcv_req\(\): request head: GET \/to-buf0 HTTP\/1\.1/);
      expect(await p.cli('show events flight')).not.toMatch(/\|h1\|/); // h1 went to buf0 only
    } finally {
      await p.stop();
    }
  });

  it('an invalid trace line in the configuration stops the start with file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-cfg-'));
    const f = join(dir, 'traces.cfg');
    writeFileSync(f, `traces\n    trace nosuchsource level data\n\nfrontend x\n    timeout client 5s\n    bind 127.0.0.1:${await freePort()}\n`);
    try {
      const r = await flightbox(['run', '-f', f]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`[ALERT] config : parsing [${f}:2] : No such trace source 'nosuchsource'`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('-d prints error-level traces on stderr even with the h1 source stopped', async () => {
    const p = await startProxy({ args: ['-d'] });
    try {
      await p.cli('trace h1 stop now');
      const s = connect(p.port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\n\r\n')); // no Host: 400
      s.resume(); // read (and discard) the 400 so the server's FIN is seen and the socket closes
      await new Promise((r) => s.once('close', r));
      await p.waitStderr(/\|h1\|error\|proxy\/h1\/trace\.ts:\d+\] h1_handle_error\(\): refused with 400: host-missing/);
    } finally {
      await p.stop();
    }
  });
});
