/**
 * What the benchmark scripts (proxy.ts, h3.ts) share: environment knobs, finding binaries, starting
 * and stopping processes, the nginx origin's and Flightbox's configurations, the CPU time of a
 * process from /proc, running wrk, and printing a table. Plain node (no vitest): the benches run as
 * scripts. Loopback (127.0.0.1) only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/** The response body of the origin's `/`: 128 bytes. */
export const BODY = 'x'.repeat(127) + '\n';

/** Positive integer environment variable `name`, `dflt` when unset or empty; throws on anything else. */
export function posInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v}: expected a positive integer`);
  return n;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Absolute path of `bin` on $PATH (or the usual sbin dirs), undefined when absent. */
export function which(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) if (d && existsSync(join(d, bin))) return join(d, bin);
  return undefined;
}

/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`; 100 on Linux when getconf is absent). */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** CPU time (user + system, microseconds) of process `pid` with all its threads, from /proc. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK; // fields 14 utime, 15 stime
}

/** Whether a TCP connection to 127.0.0.1:`port` succeeds. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * Spawns `cmd` (added to `children`, for the caller to stop); resolves once `port` accepts
 * connections and, when given, `ready` matches its stdout/stderr. Rejects if it exits first or
 * after 20 s, with its output.
 */
export async function startProc(children: ChildProcess[], name: string, cmd: string, args: string[], port: number, cwd: string, ready?: RegExp, env?: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) at start:\n${out}`);
    if ((!ready || ready.test(out)) && (await canConnect(port))) return child;
    if (Date.now() - t0 > 20_000) throw new Error(`${name} did not listen on 127.0.0.1:${port} within 20 s:\n${out}`);
    await sleep(50);
  }
}

/** Stops `child` (SIGTERM, SIGKILL after `killAfterMs`); resolves once it exited. */
export async function stopProc(child: ChildProcess, killAfterMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((r) => {
    const t = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => (clearTimeout(t), r()));
    child.kill('SIGTERM');
  });
}

/**
 * nginx configuration of the origin in `dir` on 127.0.0.1:`port`: BODY at every path and, when
 * `bigFile` is given, that file at `/big` (sendfile on).
 */
export function nginxConfig(dir: string, port: number, bigFile?: string): string {
  return [
    'daemon off;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'nginx-error.log')} warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '    access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${join(dir, `nginx-${t}`)};`),
    '    keepalive_requests 100000000;',
    '    keepalive_timeout 60s;',
    ...(bigFile ? ['    sendfile on;'] : []),
    '    server {',
    `        listen 127.0.0.1:${port} backlog=4096;`,
    ...(bigFile ? ['        location = /big {', '            default_type application/octet-stream;', `            alias ${bigFile};`, '        }'] : []),
    '        location / {',
    '            default_type text/plain;',
    `            return 200 "${BODY.slice(0, -1)}\\n";`,
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
}

/** The `defaults` section of every proxy under test (Flightbox, HAProxy): mode http and the timeouts. */
export const HTTP_DEFAULTS: readonly string[] = ['defaults', '    mode http', '    timeout client 30s', '    timeout server 30s', '    timeout connect 5s'];

/**
 * Flightbox configuration in `dir` (runtime socket `admin.sock`, snapshots): `nbthread`, frontend
 * `fe` with `binds` (the text after `bind`), backend `be` with server `server` at 127.0.0.1:`origin`.
 */
export function flightboxConfig(dir: string, nbthread: number, binds: readonly string[], server: string, origin: number): string {
  return [
    'global',
    `    nbthread ${nbthread}`,
    '    maxconn 4096',
    `    stats socket ${join(dir, 'admin.sock')} mode 600 level admin`,
    `    snapshot-dir ${join(dir, 'snapshots')}`,
    '',
    ...HTTP_DEFAULTS,
    '',
    'frontend fe',
    ...binds.map((b) => `    bind ${b}`),
    '    default_backend be',
    '',
    'backend be',
    `    server ${server} 127.0.0.1:${origin}`,
    '',
  ].join('\n');
}

/** A wrk duration (`812.00us`, `1.20ms`, `2.00s`, `1.00m`) in milliseconds; NaN when unreadable. */
export function parseDuration(s: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s);
  if (!m) return NaN;
  return Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3, m: 60e3 }[m[2] as 'us' | 'ms' | 's' | 'm'];
}

/** What one wrk run measured: requests completed, requests/s, latencies (ms), socket errors plus non-2xx/3xx. */
export interface WrkResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Runs wrk (`--latency`, min(`threads`, `conns`) threads) against http://127.0.0.1:`port`/; rejects with its output on failure. */
export function wrk(bin: string, port: number, conns: number, seconds: number, threads = 2): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const t = Math.min(threads, conns);
    const child = spawn(bin, ['-t', String(t), '-c', String(conns), '-d', `${seconds}s`, '--latency', `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('close', (code) => {
      const req = /(\d+) requests in/.exec(out);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const p50 = /^\s+50%\s+(\S+)/m.exec(out);
      const p99 = /^\s+99%\s+(\S+)/m.exec(out);
      if (code !== 0 || !req || !rps || !p50 || !p99) return reject(new Error(`wrk failed (exit ${code}) on port ${port}:\n${out}`));
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
      const errors = (sock ? sock.slice(1).reduce((a, x) => a + Number(x), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
      resolve({ requests: Number(req[1]), rps: Number(rps[1]), p50: parseDuration(p50[1]), p99: parseDuration(p99[1]), errors });
    });
  });
}

/** Prints `rows` under `head` as aligned columns (first left-aligned, the others right-aligned). */
export function printTable(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
}
