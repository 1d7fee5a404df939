/**
 * `npm run bench` (second part) and `npm run bench:proxy`: the proxy benchmark of issue 3, on
 * loopback only. nginx serves a 128-byte body; wrk (`--latency`) drives each target with 64 and
 * 256 connections; every figure is the median of FLIGHTBOX_BENCH_RUNS (3) runs of
 * FLIGHTBOX_BENCH_SECONDS (10) s each, the target order rotated between runs so no target always
 * runs first or last. Targets:
 *
 *   (a) nginx direct                       (b) HAProxy nbthread 1, mode http, http-reuse safe
 *   (c) node:http reference (node-proxy.ts) (d) Flightbox nbthread 1   (e) Flightbox nbthread 2
 *
 * (d) and (e) each run twice: default tracing, and `trace h1|stream|be level developer` set through
 * the runtime socket. Proxy CPU per request = (utime+stime of the proxy's process from
 * /proc/<pid>/stat after the run - before) / requests wrk completed. Flightbox's workers are threads
 * of the supervisor process, so its figure includes them. A target whose binary is missing is
 * skipped with a message (wrk or nginx missing skips the whole proxy bench).
 *
 * Targets checked: Flightbox nbthread 1, default tracing, <= 45 us CPU/request; developer tracing
 * <= 15% more CPU/request than default.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommands } from '../../cli/runtime-client.ts';
import { freePort } from '../free-port.ts';
import { cpuMicros, flightboxConfig, HTTP_DEFAULTS, nginxConfig, posInt, printTable, sleep, startProc, stopProc, which, wrk } from './common.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The built CLI and reference proxy (this file runs from dist/test/bench/). */
const CLI = join(here, '../../cli/main.js');
const NODE_PROXY = join(here, 'node-proxy.js');

const SECONDS = posInt('FLIGHTBOX_BENCH_SECONDS', 10);
const RUNS = posInt('FLIGHTBOX_BENCH_RUNS', 3);
const CONNS = (process.env.FLIGHTBOX_BENCH_CONNS ?? '64,256').split(',').map((s) => Number(s.trim()));
const WRK_THREADS = posInt('FLIGHTBOX_BENCH_WRK_THREADS', 2);
const WARMUP_SECONDS = 2;
const DEV_TRACE = 'trace h1 level developer; trace stream level developer; trace be level developer';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One target: a name, the port wrk hits, the pid whose CPU is measured (none for nginx direct). */
interface Target {
  name: string;
  port: number;
  pid?: number;
  /** Flightbox nbthread and tracing, for the checks. */
  fb?: { nbthread: number; dev: boolean };
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  cpuPerReq: number;
  errors: number;
}

const children: ChildProcess[] = [];

/** Sends `line` on the runtime socket, waiting (up to 20 s) for the socket to be opened after the listener. */
async function cliWhenReady(socket: string, line: string): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await runCommands(socket, line);
    } catch (e) {
      if (Date.now() - t0 > 20_000) throw e;
      await sleep(100);
    }
  }
}

async function measure(wrkBin: string, t: Target, conns: number, seconds: number): Promise<Sample> {
  const c0 = t.pid ? cpuMicros(t.pid) : 0;
  const r = await wrk(wrkBin, t.port, conns, seconds, WRK_THREADS);
  const c1 = t.pid ? cpuMicros(t.pid) : 0;
  return { rps: r.rps, p50: r.p50, p99: r.p99, errors: r.errors, cpuPerReq: t.pid ? (c1 - c0) / Math.max(1, r.requests) : NaN };
}

function haproxyConfig(port: number, origin: number): string {
  return [
    'global',
    '    nbthread 1',
    '    maxconn 4096',
    '',
    ...HTTP_DEFAULTS,
    '    http-reuse safe',
    '',
    'frontend fe',
    `    bind 127.0.0.1:${port}`,
    '    default_backend be',
    '',
    'backend be',
    `    server nginx 127.0.0.1:${origin}`,
    '',
  ].join('\n');
}

/** Runs the proxy benchmark and prints its table; resolves false when it had to be skipped. */
export async function runProxyBench(): Promise<boolean> {
  const wrkBin = which('wrk');
  const nginxBin = which('nginx');
  const haproxyBin = which('haproxy');
  if (!wrkBin || !nginxBin) {
    console.log(
      `\nproxy bench skipped: ${[!wrkBin && 'wrk', !nginxBin && 'nginx'].filter(Boolean).join(' and ')} not found on PATH ` +
        `(install with \`apt-get install -y wrk nginx haproxy\`; see docs/BENCHMARKS.md)`,
    );
    return false;
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'fb-proxybench-'));
  const targets: Target[] = [];
  try {
    // (a) nginx, the origin of every proxy.
    const nginxPort = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, nginxPort));
    await startProc(children, 'nginx', nginxBin, ['-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', join(dir, 'nginx.conf')], nginxPort, dir);
    targets.push({ name: 'nginx direct', port: nginxPort });

    // (b) HAProxy.
    if (haproxyBin) {
      const port = await freePort();
      writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(port, nginxPort));
      const c = await startProc(children, 'haproxy', haproxyBin, ['-db', '-f', join(dir, 'haproxy.cfg')], port, dir);
      targets.push({ name: 'HAProxy nbthread 1', port, pid: c.pid });
    } else {
      console.log('\nproxy bench: haproxy not found on PATH, skipping target (b) HAProxy');
    }

    // (c) node:http reference.
    {
      const port = await freePort();
      const c = await startProc(children, 'node-proxy', process.execPath, [NODE_PROXY, String(port), String(nginxPort)], port, dir);
      targets.push({ name: 'node:http proxy', port, pid: c.pid });
    }

    // (d), (e) Flightbox, default and developer tracing, each its own process.
    for (const nbthread of [1, 2]) {
      for (const dev of [false, true]) {
        const port = await freePort();
        const fbDir = mkdtempSync(join(dir, `fb-${nbthread}-${dev ? 'dev' : 'default'}-`));
        const cfg = join(fbDir, 'flightbox.cfg');
        writeFileSync(cfg, flightboxConfig(fbDir, nbthread, [`127.0.0.1:${port}`], 'nginx', nginxPort));
        const c = await startProc(children, `flightbox nbthread ${nbthread}`, process.execPath, [CLI, 'run', '-f', cfg], port, fbDir);
        if (dev) {
          const out = await cliWhenReady(join(fbDir, 'admin.sock'), DEV_TRACE);
          if (out.replace(/\s+/g, '') !== '') throw new Error(`'${DEV_TRACE}' answered:\n${out}`);
        }
        targets.push({ name: `Flightbox nbthread ${nbthread}, ${dev ? 'developer' : 'default'} trace`, port, pid: c.pid, fb: { nbthread, dev } });
      }
    }

    const total = targets.length * CONNS.length * (RUNS * SECONDS + WARMUP_SECONDS);
    console.log(
      `\nFlightbox proxy bench: ${targets.length} targets x ${CONNS.join('/')} connections x ${RUNS} runs x ${SECONDS} s ` +
        `(+${WARMUP_SECONDS} s warm-up each), about ${Math.ceil(total / 60)} min; wrk -t${WRK_THREADS}, node ${process.version}`,
    );
    // Warm-up (JIT, connection pools), not measured.
    for (const t of targets) await wrk(wrkBin, t.port, CONNS[0], WARMUP_SECONDS, WRK_THREADS);

    const samples = new Map<string, Sample[]>();
    const key = (t: Target, c: number) => `${t.name}|${c}`;
    for (const c of CONNS) {
      for (let r = 0; r < RUNS; r++) {
        for (let i = 0; i < targets.length; i++) {
          const t = targets[(i + r) % targets.length]; // rotate the order between runs
          const s = await measure(wrkBin, t, c, SECONDS);
          const k = key(t, c);
          if (!samples.has(k)) samples.set(k, []);
          samples.get(k)!.push(s);
          process.stderr.write('.');
        }
      }
    }
    process.stderr.write('\n');

    const med = (t: Target, c: number): Sample => {
      const xs = samples.get(key(t, c))!;
      return {
        rps: median(xs.map((x) => x.rps)),
        p50: median(xs.map((x) => x.p50)),
        p99: median(xs.map((x) => x.p99)),
        cpuPerReq: median(xs.map((x) => x.cpuPerReq)),
        errors: xs.reduce((a, x) => a + x.errors, 0),
      };
    };
    const rows: string[][] = [];
    for (const c of CONNS) {
      for (const t of targets) {
        const m = med(t, c);
        rows.push([
          t.name,
          String(c),
          m.rps.toFixed(0),
          `${m.p50.toFixed(2)} ms`,
          `${m.p99.toFixed(2)} ms`,
          Number.isNaN(m.cpuPerReq) ? '-' : `${m.cpuPerReq.toFixed(1)} us`,
          String(m.errors),
        ]);
      }
    }
    printTable(['target', 'conns', 'req/s', 'p50', 'p99', 'proxy CPU/req', 'errors'], rows);

    // The targets.
    const checks: string[][] = [];
    const fbOf = (n: number, dev: boolean) => targets.find((t) => t.fb?.nbthread === n && t.fb.dev === dev)!;
    for (const c of CONNS) {
      const cpu = med(fbOf(1, false), c).cpuPerReq;
      checks.push([`Flightbox nbthread 1 CPU/req, default trace, ${c} conns`, `${cpu.toFixed(1)} us`, '<= 45 us', cpu <= 45 ? 'ok' : 'MISSED']);
    }
    for (const n of [1, 2]) {
      for (const c of CONNS) {
        const d = med(fbOf(n, false), c).cpuPerReq;
        const v = med(fbOf(n, true), c).cpuPerReq;
        const extra = (v / d - 1) * 100;
        checks.push([`developer trace extra CPU/req, nbthread ${n}, ${c} conns`, `${extra >= 0 ? '+' : ''}${extra.toFixed(1)} %`, '<= +15 %', extra <= 15 ? 'ok' : 'MISSED']);
      }
    }
    console.log('');
    printTable(['target check', 'median', 'target', ''], checks);
    return true;
  } finally {
    await Promise.all(children.map((c) => stopProc(c, 5000)));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await runProxyBench();
}
