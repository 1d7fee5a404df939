/**
 * End to end: `flightbox run` with NO -f runs the embedded default configuration, which proxies to
 * the demo origin the supervisor starts. Its fixed ports (8080, 8081) and socket (/tmp/flightbox.sock)
 * would collide with other tests or a developer's running proxy, so the test moves them with the
 * environment variables the default configuration reads (FLIGHTBOX_PORT, FLIGHTBOX_DEMO_PORT,
 * FLIGHTBOX_SOCKET) to free ports and a temp dir. Real clients: curl and socat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, CLI, flightbox, freePort, pollUntil, run, trackChild } from './harness.ts';
import { listen } from './origins.ts';

interface Running {
  dir: string;
  port: number;
  demoPort: number;
  socket: string;
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

async function startDefault(): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-e2e-default-'));
  const port = await freePort();
  let demoPort = await freePort();
  while (demoPort === port) demoPort = await freePort();
  const socket = join(dir, 'admin.sock');
  const env = { ...process.env, FLIGHTBOX_PORT: String(port), FLIGHTBOX_DEMO_PORT: String(demoPort), FLIGHTBOX_SOCKET: socket };
  const child = trackChild(spawn(process.execPath, [CLI, 'run'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))));
  await pollUntil(() => out.includes('snapshots go to') || child.exitCode !== null, (ended) => ended, { timeoutMs: 20_000 });
  if (!out.includes('snapshots go to')) {
    const why = child.exitCode !== null ? `flightbox exited ${child.exitCode}` : 'flightbox did not start';
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${why}:\n${out}\n${err}`);
  }
  return { dir, port, demoPort, socket, child, out: () => out, err: () => err, exited };
}

async function curl(port: number, path: string, extra: string[] = []): Promise<{ status: number; body: string }> {
  const r = await run('curl', ['-s', '-m', '5', '-o', '-', '-w', '\n%{http_code}', ...extra, `http://127.0.0.1:${port}${path}`]);
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)) || 0, body: r.stdout.slice(0, i) };
}

async function cli(socket: string, commands: string): Promise<string> {
  const r = await run('socat', ['-t', '10', 'stdio', `UNIX-CONNECT:${socket}`], { input: commands + '\n' });
  if (r.code !== 0) throw new Error(`socat failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

describe('flightbox run without -f: the embedded default configuration proxies to the demo origin', () => {
  let p: Running;
  beforeAll(async () => {
    p = await startDefault();
  }, 30_000);
  afterAll(async () => {
    if (!p) return;
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
    rmSync(p.dir, { recursive: true, force: true });
  });

  it('prints where the proxy, the demo origin and the runtime socket are', () => {
    expect(p.out()).toContain(`listening on http://127.0.0.1:${p.port}/ (frontend welcome)`);
    expect(p.out()).toContain(`demo origin on http://127.0.0.1:${p.demoPort}/ (demo-origin, <embedded>:`);
    expect(p.out()).toContain(`runtime socket: ${p.socket} (level admin)`);
    expect(p.err()).not.toMatch(/ALERT|WARNING/);
  });
  it('forwards GET / to the demo origin with X-Forwarded-For', async () => {
    const r = await curl(p.port, '/?from=e2e');
    expect(r.status).toBe(200);
    expect(r.body).toContain(`Flightbox demo origin on 127.0.0.1:${p.demoPort}.`);
    expect(r.body).toContain('  GET /?from=e2e HTTP/1.1\n');
    expect(r.body).toContain('  X-Forwarded-For: 127.0.0.1\n');
  });
  it('answers /flightbox from the proxy itself, naming the runtime socket in use', async () => {
    const r = await curl(p.port, '/flightbox');
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^Flightbox is running\./);
    expect(r.body).toContain(`socat stdio ${p.socket}`);
    expect(r.body).not.toContain('This request reached the demo origin');
  });
  it('echoes a POST body and relays /status/<code>', async () => {
    const r = await curl(p.port, '/echo', ['-d', 'hello through the proxy', '-H', 'Content-Type: text/plain']);
    expect(r).toEqual({ status: 200, body: 'hello through the proxy' });
    expect((await curl(p.port, '/status/418')).status).toBe(418);
  });
  it('health-checks the demo origin with GET /health: show stat says demo/demo1 is UP (L7OK)', async () => {
    const line = await pollUntil(
      async () => (await cli(p.socket, 'show stat')).split('\n').find((l) => l.startsWith('demo,demo1,')) ?? '',
      (l) => l.includes(',UP,') && l.includes(',L7OK,'), // 'UP 2/3' until the second check passes
      { timeoutMs: 8000, everyMs: 200 },
    );
    expect(line).toContain(',UP,');
    expect(line).toContain(',L7OK,200,');
    expect(line).toContain(`127.0.0.1:${p.demoPort}`);
  }, 15_000);
  it('lists a /slow?ms=800 stream in show sess while it waits, then answers it', async () => {
    const slow = curl(p.port, '/slow?ms=800');
    const sess = await pollUntil(() => cli(p.socket, 'show sess'), (s) => s.includes('GET /slow?ms=800'), { timeoutMs: 700, everyMs: 50 });
    expect(sess).toMatch(/proto=stream .*GET \/slow\?ms=800 HTTP\/1\.1/);
    const r = await slow;
    expect(r.status).toBe(200);
    expect(r.body).toContain('answered after 800 ms');
  }, 10_000);
  it('stops gracefully on SIGTERM, closing the demo origin too', async () => {
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(await canConnect(p.demoPort)).toBe(false);
    expect(await canConnect(p.port)).toBe(false);
  }, 15_000);
});

describe('flightbox run without -f when the demo origin port is taken', () => {
  it('fails with an alert naming demo-origin, the address and what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-e2e-default-'));
    const blocker = await listen(createServer());
    const demoPort = blocker.port;
    try {
      const port = await freePort();
      const r = await run(process.execPath, [CLI, 'run'], {
        env: { ...process.env, FLIGHTBOX_PORT: String(port), FLIGHTBOX_DEMO_PORT: String(demoPort), FLIGHTBOX_SOCKET: join(dir, 's.sock') },
        timeoutMs: 15_000,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`\\[ALERT\\] demo-origin \\(<embedded>:\\d+\\): cannot listen on 127\\.0\\.0\\.1:${demoPort}: the address is already in use .*FLIGHTBOX_DEMO_PORT`),
      );
      expect(r.stdout).not.toContain('listening on');
    } finally {
      await blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
  it('flightbox check without -f validates the embedded configuration', async () => {
    const r = await flightbox(['check']);
    expect([r.code, r.stdout.trim(), r.stderr]).toEqual([0, 'Configuration file is valid', '']);
  });
});
