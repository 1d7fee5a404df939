/**
 * Starts the built `flightbox` CLI as a real process on 127.0.0.1 with its own temp dir (config,
 * runtime socket, snapshots), and drives it with real clients: curl for HTTP, socat for the runtime
 * socket. Every process started here is stopped by `stop()` (tests call it in afterAll/afterEach).
 */
import { afterAll, expect } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.ts';

/** The project checkout. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The built CLI entry (npm test builds before running the tests). FLIGHTBOX_CLI points the tests at
 * another build, e.g. one made with `FLIGHTBOX_DIST=dist-mine npm run build` (scripts/build.ts).
 */
export const CLI = process.env.FLIGHTBOX_CLI ?? join(ROOT, 'dist', 'cli', 'main.js');

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

/** A free TCP port on 127.0.0.1 (test/free-port.ts, shared with the benchmark scripts). */
export { freePort };

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

/**
 * What the `global` and `defaults` sections of an e2e configuration hold beyond the lines every one
 * of them has (`stats socket <dir>/admin.sock mode 600 level admin`, `mode http`).
 */
export interface Preamble {
  /** `nbthread <n>`: 1 unless given; `null` leaves the line out (the proxy's own default). */
  nbthread?: number | null;
  /** `snapshot-dir <dir>/snapshots` (the default), or no such line when false. */
  snapshotDir?: boolean;
  /** Further `global` lines (unindented), after the socket and snapshot lines. */
  global?: readonly string[];
  /** Further `defaults` lines (unindented), after `mode http` and before the timeouts. */
  defaults?: readonly string[];
  /**
   * The `timeout` lines of `defaults`, written in the order client, connect, server; one left out
   * is not written. When `timeouts` itself is not given: client 5s, connect 1s, server 3s.
   */
  timeouts?: { client?: string; connect?: string; server?: string };
}

const indent = (l: string) => `    ${l}`;

/**
 * The `global` and `defaults` sections every e2e configuration starts with, as lines (each section
 * ends with an empty line): `global` with `nbthread`, the runtime socket in `dir` (where `Proxy.cli`
 * finds it), `snapshot-dir` in `dir` and `opts.global`; `defaults` with `mode http`, `opts.defaults`
 * and the timeouts. A change to what every test configuration holds is made here.
 */
export function preamble(dir: string, opts: Preamble = {}): string[] {
  const { nbthread = 1, snapshotDir = true, timeouts = { client: '5s', connect: '1s', server: '3s' } } = opts;
  return [
    'global',
    ...(nbthread === null ? [] : [`nbthread ${nbthread}`]).map(indent),
    indent(`stats socket ${join(dir, 'admin.sock')} mode 600 level admin`),
    ...(snapshotDir ? [indent(`snapshot-dir ${join(dir, 'snapshots')}`)] : []),
    ...(opts.global ?? []).map(indent),
    '',
    'defaults',
    indent('mode http'),
    ...(opts.defaults ?? []).map(indent),
    ...(['client', 'connect', 'server'] as const).flatMap((t) => (timeouts[t] === undefined ? [] : [indent(`timeout ${t} ${timeouts[t]}`)])),
    '',
  ];
}

/**
 * A whole configuration: `preamble(dir, opts)`, then each of `sections` in insertion order as its
 * head line (`frontend web`, `backend be`, `listen li`, ...), its lines indented by four spaces, and
 * an empty line. The text ends with a newline.
 */
export function buildConfig(dir: string, opts: Preamble, sections: Record<string, readonly string[]>): string {
  return [...preamble(dir, opts), ...Object.entries(sections).flatMap(([head, lines]) => [head, ...lines.map(indent), ''])].join('\n');
}

/**
 * The config template: `preamble` with two threads (unless `nbthread`), `watchdog-timeout 1s`,
 * `hard-stop-after 5s` and the `global` lines, `timeout client 10s`, and frontend `web` on `port`
 * answering `hello from flightbox` by `http-request return`, followed by the `frontend` lines.
 */
export function configText(dir: string, port: number, opts: { global?: string[]; frontend?: string[]; nbthread?: number } = {}): string {
  return buildConfig(
    dir,
    { nbthread: opts.nbthread ?? 2, global: ['watchdog-timeout 1s', 'hard-stop-after 5s', ...(opts.global ?? [])], timeouts: { client: '10s' } },
    {
      'frontend web': [
        `bind 127.0.0.1:${port}`,
        'http-request return status 200 content-type text/plain string "hello from flightbox\\n"',
        ...(opts.frontend ?? []),
      ],
    },
  );
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
    async waitStderr(re, timeoutMs = 15_000, from = 0) {
      const m = await pollUntil(() => err.slice(from).match(re), (x) => x !== null, { timeoutMs });
      if (!m) throw new Error(`stderr never matched ${re}; stderr was:\n${err}`);
      return m;
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
  await pollUntil(() => out.includes('listening on') || child.exitCode !== null, (ended) => ended, { timeoutMs: 20_000 });
  if (out.includes('listening on')) return p;
  throw new Error(child.exitCode !== null ? `flightbox exited ${child.exitCode}:\n${err}` : `flightbox did not start:\n${out}\n${err}`);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * How long a poll goes on: `everyMs` between calls (default 25 ms), and at most `tries` calls when
 * given, otherwise calls for up to `timeoutMs` (default 10 s) from the first one.
 */
export interface PollLimits {
  timeoutMs?: number;
  tries?: number;
  everyMs?: number;
}

/**
 * Calls `get()` until `ok(value)` holds or a limit of `limits` is reached, and resolves with the last
 * value either way: it rejects only when `get` does, never for time (the caller asserts on, or throws
 * about, what it got, so a failure shows the last answer). The one polling loop of the e2e tests: the values they wait
 * for (runtime command output, log lines, stats, process output) arrive asynchronously.
 */
export async function pollUntil<T>(get: () => T | Promise<T>, ok: (value: T) => boolean, limits: PollLimits = {}): Promise<T> {
  const { tries = Infinity, everyMs = 25 } = limits;
  const timeoutMs = limits.timeoutMs ?? (limits.tries === undefined ? 10_000 : Infinity);
  const t0 = Date.now();
  for (let i = 1; ; i++) {
    const value = await get();
    if (ok(value) || i >= tries || Date.now() - t0 > timeoutMs) return value;
    await sleep(everyMs);
  }
}

/**
 * Resolves once `cond()` holds, polled as `pollUntil` does; rejects when the limits are reached,
 * saying what it waited for. `limits` is the timeout in ms (default 10 s, every 25 ms) or the
 * limits of `PollLimits` with `what`.
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  limits: number | (PollLimits & { what?: string }) = 10_000,
  what?: string,
): Promise<void> {
  const l: PollLimits & { what?: string } = typeof limits === 'number' ? { timeoutMs: limits } : limits;
  if (await pollUntil(cond, (held) => held, l)) return;
  const bound = l.timeoutMs === undefined && l.tries !== undefined ? `${l.tries} tries` : `${l.timeoutMs ?? 10_000} ms`;
  throw new Error(`waited ${bound} for ${what ?? l.what ?? String(cond)}`);
}

/** Used bytes of every pool of a running proxy, from `show pools` (its Total line). */
export async function poolsUsed(p: Proxy): Promise<number> {
  const out = await p.cli('show pools');
  const m = /^Total: \d+ pools, \d+ bytes allocated, (\d+) used/m.exec(out);
  if (!m) throw new Error(`unexpected show pools output:\n${out}`);
  return Number(m[1]);
}

/** Waits (60 polls 50 ms apart: connections close asynchronously) until pool usage is back at `baseline`. */
export async function expectPoolsAt(p: Proxy, baseline: number): Promise<void> {
  expect(await pollUntil(() => poolsUsed(p), (used) => used === baseline, { tries: 60, everyMs: 50 })).toBe(baseline);
}

/** `show stat` rows of a running proxy: `pxname/svname` -> column -> value (columns named by its header line). */
export async function showStat(p: Proxy): Promise<Record<string, Record<string, string>>> {
  const [header, ...lines] = (await p.cli('show stat')).trimEnd().split('\n');
  const cols = header!.replace(/^# /, '').split(',');
  const out: Record<string, Record<string, string>> = {};
  for (const l of lines) {
    const vals = l.split(',');
    out[`${vals[0]}/${vals[1]}`] = Object.fromEntries(cols.map((c, i) => [c, vals[i] ?? '']));
  }
  return out;
}

/**
 * Opens a TCP connection to 127.0.0.1:`port`, writes `data` (nothing when empty) and collects what
 * comes back (as latin1 text: one character per byte) until the peer closes, or until `ms` pass when
 * given (the connection is then destroyed). Resolves with the text and the time from this call to the close.
 */
export function exchange(port: number, data: string | Buffer, ms?: number): Promise<{ text: string; tookMs: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = connect(port, '127.0.0.1');
    let text = '';
    const t = ms === undefined ? undefined : setTimeout(() => s.destroy(), ms);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve({ text, tookMs: Date.now() - t0 });
    });
    if (data.length > 0) s.write(data);
  });
}

/** Whether a TCP connection to 127.0.0.1:`port` is accepted (it is closed at once). */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
