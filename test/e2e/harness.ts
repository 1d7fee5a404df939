/**
 * Starts the built `flightbox` CLI as a real process on 127.0.0.1 with its own temp dir (config,
 * runtime socket, snapshots), and drives it with real clients: curl for HTTP, socat for the runtime
 * socket. Every process started here is stopped by `stop()` (tests call it in afterAll/afterEach).
 */
import { afterAll, expect } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project checkout. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI entry (npm test builds before running the tests). */
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/**
 * Every proxy process started here. A test that times out never reaches its `finally` (and its
 * `stop()`), so whatever is still running when the test process exits is killed then: no test may
 * leave a proxy behind.
 */
const children = new Set<ChildProcess>();
function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
// vitest runs afterAll hooks even after a test timed out (and ends its worker with a signal, which
// skips 'exit' handlers): registered here, at the top level, it applies to every file using the harness.
afterAll(killChildren);
process.once('exit', killChildren);

/** Puts a process started by a test under the same guarantee: killed when the test process exits. */
export function trackChild(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Runs a program to completion; never rejects (the exit code is in the result). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 20_000, env: opts.env ?? process.env, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Runs the built CLI (`flightbox <args>`) with Node (the one running the tests: Node 24 under npm). */
export function flightbox(args: string[], opts: { timeoutMs?: number; input?: string } = {}) {
  return run(process.execPath, [CLI, ...args], opts);
}

/** A running Flightbox process. */
export interface Proxy {
  dir: string;
  port: number;
  socket: string;
  snapshotDir: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stderr match of `re` (after `from` characters), or rejects after a timeout. */
  waitStderr(re: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  /** Sends one line of runtime commands through socat, returns the answer. */
  cli(commands: string): Promise<string>;
  /** GET through curl; returns status and body (status 0 when curl failed). */
  get(path?: string, extra?: string[]): Promise<{ status: number; body: string; code: number }>;
  snapshots(): string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** The config template: frontend on `port`, socket and snapshots in `dir`. `extra` lines go into global. */
export function configText(dir: string, port: number, opts: { global?: string[]; frontend?: string[]; nbthread?: number } = {}): string {
  return [
    'global',
    `    nbthread ${opts.nbthread ?? 2}`,
    `    stats socket ${join(dir, 'admin.sock')} mode 600 level admin`,
    `    snapshot-dir ${join(dir, 'snapshots')}`,
    '    watchdog-timeout 1s',
    '    hard-stop-after 5s',
    ...(opts.global ?? []).map((l) => `    ${l}`),
    '',
    'defaults',
    '    mode http',
    '    timeout client 10s',
    '',
    'frontend web',
    `    bind 127.0.0.1:${port}`,
    '    http-request return status 200 content-type text/plain string "hello from flightbox\\n"',
    ...(opts.frontend ?? []).map((l) => `    ${l}`),
    '',
  ].join('\n');
}

/** Starts Flightbox with `configText` (or the template) and waits until it listens. */
export async function startProxy(
  opts: { global?: string[]; frontend?: string[]; nbthread?: number; args?: string[]; config?: (dir: string, port: number) => string } = {},
): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-e2e-'));
  const port = await freePort();
  const cfg = join(dir, 'flightbox.cfg');
  writeFileSync(cfg, opts.config ? opts.config(dir, port) : configText(dir, port, opts));
  const child = spawn(process.execPath, [CLI, 'run', '-f', cfg, ...(opts.args ?? [])], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))));
  const socket = join(dir, 'admin.sock');
  const p: Proxy = {
    dir,
    port,
    socket,
    snapshotDir: join(dir, 'snapshots'),
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    waitStderr(re, timeoutMs = 15_000, from = 0) {
      return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const tick = () => {
          const m = err.slice(from).match(re);
          if (m) return resolve(m);
          if (Date.now() - t0 > timeoutMs) return reject(new Error(`stderr never matched ${re}; stderr was:\n${err}`));
          setTimeout(tick, 25);
        };
        tick();
      });
    },
    async cli(commands) {
      const r = await run('socat', ['-t', '10', 'stdio', `UNIX-CONNECT:${socket}`], { input: commands + '\n' });
      if (r.code !== 0) throw new Error(`socat failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    async get(path = '/', extra = []) {
      const r = await run('curl', ['-s', '-m', '5', '-o', '-', '-w', '\n%{http_code}', ...extra, `http://127.0.0.1:${port}${path}`]);
      const i = r.stdout.lastIndexOf('\n');
      return { status: Number(r.stdout.slice(i + 1)) || 0, body: r.stdout.slice(0, i), code: r.code };
    },
    snapshots() {
      try {
        return readdirSync(join(dir, 'snapshots')).filter((f) => f.endsWith('.fbsnap')).map((f) => join(dir, 'snapshots', f));
      } catch {
        return [];
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  await Promise.race([
    new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const tick = () => {
        if (out.includes('listening on')) return resolve();
        if (child.exitCode !== null) return reject(new Error(`flightbox exited ${child.exitCode}:\n${err}`));
        if (Date.now() - t0 > 20_000) return reject(new Error(`flightbox did not start:\n${out}\n${err}`));
        setTimeout(tick, 25);
      };
      tick();
    }),
  ]);
  return p;
}

/** Resolves once `cond()` holds (polled every 25 ms); rejects after `timeoutMs` saying what it waited for. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = String(cond)): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Used bytes of every pool of a running proxy, from `show pools` (its Total line). */
export async function poolsUsed(p: Proxy): Promise<number> {
  const out = await p.cli('show pools');
  const m = /^Total: \d+ pools, \d+ bytes allocated, (\d+) used/m.exec(out);
  if (!m) throw new Error(`unexpected show pools output:\n${out}`);
  return Number(m[1]);
}

/** Waits (up to 3 s: connections close asynchronously) until pool usage is back at `baseline`. */
export async function expectPoolsAt(p: Proxy, baseline: number): Promise<void> {
  let used = -1;
  for (let i = 0; i < 60; i++) {
    used = await poolsUsed(p);
    if (used === baseline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(used).toBe(baseline);
}
