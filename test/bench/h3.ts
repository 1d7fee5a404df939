/**
 * `npm run bench` (last part) and `npm run bench:h3`: the HTTP/3 benchmark of issue 4, loopback
 * only. One origin (nginx serving a 128-byte body at `/` and a 100 MB file at `/big`; a node:http
 * origin doing the same when nginx is missing), one Flightbox with `nbthread 1` and, on the same
 * port number, a TCP bind and a `quic4` bind (`ssl crt <self-signed pem> alpn h3`), both to that
 * origin. Measured:
 *
 *   (a) HTTP/3 with Flightbox's own QUIC client engine as the load generator (h3-load.ts): requests/s,
 *       latency, proxy CPU per request and the load generator's own CPU per request, for N
 *       concurrent streams over M connections (FLIGHTBOX_BENCH_H3_POINTS, default 1x1,10x4,32x8);
 *   (b) a 100 MB download over HTTP/3, one stream: throughput and proxy CPU per MB;
 *   (c) the same origin through the same Flightbox over HTTP/1.1: wrk (when installed) with N x M
 *       connections for each point, and a 100 MB download with curl.
 *
 * Proxy CPU = (utime + stime of the Flightbox process, all threads, from /proc/<pid>/stat, after -
 * before) / requests completed. The load generator runs in this process (one thread); the machine's
 * cores are shared by the generator, the proxy and the origin, so read the figures together with
 * the generator's CPU. Each point runs FLIGHTBOX_BENCH_SECONDS (3) s after a 1 s warm-up.
 *
 * With FLIGHTBOX_BENCH_PROFILE=1 a second Flightbox runs under `--cpu-prof` while the generator
 * drives it at 10x4 for FLIGHTBOX_BENCH_SECONDS; its worker thread's profile is summarised (h3-profile.ts)
 * as self time per function and per module group. FLIGHTBOX_CLI picks the CLI (default: the build
 * this file is part of).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runH3Load, type H3LoadResult } from './h3-load.ts';
import { printProfile, summariseProfile } from './h3-profile.ts';
import { freeTcpUdpPort as freePort } from '../free-port.ts';
import { BODY, cpuMicros, flightboxConfig, nginxConfig, posInt, printTable, startProc, stopProc, which, wrk } from './common.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The built CLI: FLIGHTBOX_CLI, or the one next to this file in dist/ (dist/test/bench/ -> dist/cli/). */
const CLI = process.env.FLIGHTBOX_CLI ?? join(here, '../../cli/main.js');

const SECONDS = posInt('FLIGHTBOX_BENCH_SECONDS', 3);
const POINTS = (process.env.FLIGHTBOX_BENCH_H3_POINTS ?? '1x1,10x4,32x8').split(',').map((p) => {
  const m = /^(\d+)x(\d+)$/.exec(p.trim());
  if (!m) throw new Error(`FLIGHTBOX_BENCH_H3_POINTS: "${p}" is not <streams>x<connections>`);
  return { streams: Number(m[1]), conns: Number(m[2]) };
});
const DOWNLOAD_MB = posInt('FLIGHTBOX_BENCH_DOWNLOAD_MB', 100);
const PROFILE = process.env.FLIGHTBOX_BENCH_PROFILE === '1';

const children: ChildProcess[] = [];

// ------------------------------------------------------------------ origin

/** The fallback origin: node:http in this process. */
function nodeOrigin(port: number, big: Buffer): Promise<Server> {
  const srv = createHttpServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
      res.end(big);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
  srv.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

// ------------------------------------------------------------------ Flightbox

/** A self-signed P-256 certificate and key for 127.0.0.1/localhost, as one PEM (openssl). */
function makePem(dir: string): string {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('openssl could not make the benchmark certificate (apt-get install -y openssl)');
  const pem = join(dir, 'site.pem');
  writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return pem;
}

async function startFlightbox(dir: string, name: string, origin: number, pem: string, nodeArgs: string[] = []): Promise<{ child: ChildProcess; port: number; dir: string }> {
  const fbDir = join(dir, name);
  mkdirSync(fbDir, { recursive: true });
  const port = await freePort();
  const cfg = join(fbDir, 'flightbox.cfg');
  writeFileSync(cfg, flightboxConfig(fbDir, 1, [`127.0.0.1:${port}`, `quic4@127.0.0.1:${port} ssl crt ${pem} alpn h3`], 'origin', origin));
  // The QUIC bind is announced with the TCP one; wait for both.
  const child = await startProc(children, `flightbox (${name})`, process.execPath, [...nodeArgs, CLI, 'run', '-f', cfg], port, fbDir, /listening on https:\/\/quic4@/);
  return { child, port, dir: fbDir };
}

// ------------------------------------------------------------------ HTTP/1.1 clients

/** Downloads `url` with curl to /dev/null; resolves with bytes, seconds and curl's exit code. */
function curlDownload(url: string): Promise<{ bytes: number; seconds: number; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn('curl', ['-s', '-o', '/dev/null', '-m', '120', '-w', '%{size_download} %{time_total}', url], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('close', (code) => {
      const [b, t] = out.trim().split(' ').map(Number);
      resolve({ bytes: b || 0, seconds: t || 0, code });
    });
  });
}

// ------------------------------------------------------------------ the bench

const us = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} us` : '-');
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} ms` : '-');

/** Runs the HTTP/3 benchmark and prints its tables; resolves false when it had to be skipped. */
export async function runH3Bench(): Promise<boolean> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (or set FLIGHTBOX_CLI)`);
  if (!which('openssl')) {
    console.log('\nHTTP/3 bench skipped: openssl not found on PATH (it makes the benchmark certificate)');
    return false;
  }
  const nginxBin = which('nginx');
  const wrkBin = which('wrk');
  const curlBin = which('curl');
  const dir = mkdtempSync(join(tmpdir(), 'fb-h3bench-'));
  let origin: Server | undefined;
  try {
    const pem = makePem(dir);
    const big = Buffer.alloc(DOWNLOAD_MB * 1024 * 1024, 0x61);
    const originPort = await freePort();
    let originName: string;
    if (nginxBin) {
      // nginx's workers run as an unprivileged user: the file and the temporary directory must be readable to them.
      writeFileSync(join(dir, 'big.bin'), big, { mode: 0o644 });
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, originPort, join(dir, 'big.bin')));
      await startProc(children, 'nginx', nginxBin, ['-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', join(dir, 'nginx.conf')], originPort, dir);
      originName = 'nginx';
    } else {
      origin = await nodeOrigin(originPort, big);
      originName = 'node:http (in the bench process; nginx not found)';
    }
    const fb = await startFlightbox(dir, 'fb', originPort, pem);
    const pid = fb.child.pid!;
    console.log(
      `\nFlightbox HTTP/3 bench: origin ${originName} (128-byte body, ${DOWNLOAD_MB} MB file), Flightbox nbthread 1 with a TCP and a quic4 bind; ` +
        `${POINTS.length} points x ${SECONDS} s each (+1 s warm-up), node ${process.version}`,
    );
    console.log('load generator: Flightbox\'s own QUIC + HTTP/3 client engines (test/bench/h3-load.ts), one thread, in the bench process');

    // Warm-up (JIT, connections to the origin), not measured.
    await runH3Load({ port: fb.port, connections: 4, streams: 4, seconds: 1, path: '/' });
    if (wrkBin) await wrk(wrkBin, fb.port, 4, 1);

    const rows: string[][] = [];
    const h3Results: { point: string; r: H3LoadResult; proxyCpu: number }[] = [];
    for (const p of POINTS) {
      const c0 = cpuMicros(pid);
      const r = await runH3Load({ port: fb.port, connections: p.conns, streams: p.streams, seconds: SECONDS, path: '/' });
      const proxyCpu = (cpuMicros(pid) - c0) / Math.max(1, r.completed);
      h3Results.push({ point: `${p.streams}x${p.conns}`, r, proxyCpu });
      rows.push([
        'HTTP/3 (own client)', `${p.streams} x ${p.conns}`, r.rps.toFixed(0), ms(r.p50), ms(r.p99), us(proxyCpu), us(r.cpuMicros / Math.max(1, r.completed)), String(r.errors),
      ]);
      if (r.errorSamples.length > 0) console.log(`  HTTP/3 ${p.streams}x${p.conns} errors, first ones: ${r.errorSamples.join('; ')}`);
      process.stderr.write('.');
    }
    if (wrkBin) {
      for (const p of POINTS) {
        const conns = p.streams * p.conns;
        const c0 = cpuMicros(pid);
        const r = await wrk(wrkBin, fb.port, conns, SECONDS);
        const proxyCpu = (cpuMicros(pid) - c0) / Math.max(1, r.requests);
        rows.push(['HTTP/1.1 (wrk)', `${conns} conns`, r.rps.toFixed(0), ms(r.p50), ms(r.p99), us(proxyCpu), '(wrk)', String(r.errors)]);
        process.stderr.write('.');
      }
    } else {
      console.log('HTTP/1.1 comparison skipped: wrk not found on PATH (apt-get install -y wrk)');
    }
    process.stderr.write('\n');
    console.log('');
    printTable(['protocol', 'streams x conns', 'req/s', 'p50', 'p99', 'proxy CPU/req', 'loadgen CPU/req', 'errors'], rows);

    // (b), (c): the download, HTTP/3 then HTTP/1.1.
    const dl: string[][] = [];
    let dlNote = '';
    {
      let received = 0;
      const c0 = cpuMicros(pid);
      const r = await runH3Load({
        port: fb.port, connections: 1, streams: 1, requests: 1, path: '/big', timeoutMs: 180_000,
        transport: { initialMaxData: 32 << 20, initialMaxStreamDataBidiLocal: 16 << 20 },
        onBody: (_, b) => (received += b.length),
      });
      const cpu = cpuMicros(pid) - c0;
      const ok = r.completed === 1 && received === big.length;
      const mb = received / (1024 * 1024);
      dlNote = `HTTP/3 download, client side: smoothed RTT ${r.transport.maxSmoothedRtt.toFixed(1)} ms, ${r.transport.packetsIn} packets in, ${r.transport.packetsLost} declared lost, ${r.transport.ptoCount} PTOs`;
      dl.push(['HTTP/3 (own client)', `${mb.toFixed(0)} MB`, `${r.seconds.toFixed(2)} s`, `${(mb / r.seconds).toFixed(1)} MB/s`, us(cpu / Math.max(1, mb)), us(r.cpuMicros / Math.max(1, mb)), ok ? 'ok' : `FAILED ${r.errorSamples.join('; ')}`]);
    }
    if (curlBin) {
      const c0 = cpuMicros(pid);
      const r = await curlDownload(`http://127.0.0.1:${fb.port}/big`);
      const cpu = cpuMicros(pid) - c0;
      const mb = r.bytes / (1024 * 1024);
      dl.push(['HTTP/1.1 (curl)', `${mb.toFixed(0)} MB`, `${r.seconds.toFixed(2)} s`, `${(mb / r.seconds).toFixed(1)} MB/s`, us(cpu / Math.max(1, mb)), '(curl)', r.code === 0 && r.bytes === big.length ? 'ok' : `FAILED (curl exit ${r.code}, ${r.bytes} bytes)`]);
    }
    console.log('');
    printTable(['download', 'size', 'time', 'throughput', 'proxy CPU/MB', 'loadgen CPU/MB', 'check'], dl);
    if (dlNote) console.log(dlNote);
    await stopProc(fb.child);

    if (PROFILE) {
      // (d) where the time goes: Flightbox under --cpu-prof, (1) at 10x4 small requests, (2) during the download.
      const profiled = async (name: string, drive: (port: number) => Promise<{ label: string; units: number }>): Promise<void> => {
        const profDir = join(dir, `prof-${name}`);
        mkdirSync(profDir);
        const pf = await startFlightbox(dir, `fb-${name}`, originPort, pem, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=250']);
        const d = await drive(pf.port);
        await stopProc(pf.child);
        const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f));
        console.log(`\nWhere the time goes: Flightbox under --cpu-prof, ${d.label}`);
        const summaries = files.map((f) => summariseProfile(JSON.parse(readFileSync(f, 'utf8'))));
        // The worker thread serves the connections: the profile with the most QUIC time.
        const worker = summaries.sort((a, b) => b.groupMs('quic') - a.groupMs('quic'))[0];
        if (worker) printProfile(worker, d.units);
        else console.log('no profile was written (did Flightbox exit cleanly on SIGTERM?)');
        const keep = process.env.FLIGHTBOX_BENCH_PROFILE_KEEP;
        if (keep) for (const f of files) writeFileSync(join(keep, `${name}-${f.split('/').at(-1)!}`), readFileSync(f));
      };
      await profiled('requests', async (port) => {
        const warm = await runH3Load({ port, connections: 2, streams: 4, seconds: 1, path: '/' });
        const r = await runH3Load({ port, connections: 4, streams: 10, seconds: SECONDS, path: '/' });
        // The profile covers the process's whole life: per-request figures count every request it served.
        const served = warm.completed + r.completed;
        return { label: `HTTP/3 10 x 4 for ${SECONDS} s (${r.rps.toFixed(0)} req/s while profiled; ${served} requests with the warm-up; "per request" below)`, units: served };
      });
      await profiled('download', async (port) => {
        const r = await runH3Load({
          port, connections: 1, streams: 1, requests: 1, path: '/big', timeoutMs: 180_000,
          transport: { initialMaxData: 32 << 20, initialMaxStreamDataBidiLocal: 16 << 20 },
        });
        const mb = r.bytes / (1024 * 1024);
        return { label: `one ${mb.toFixed(0)} MB HTTP/3 download (${(mb / r.seconds).toFixed(1)} MB/s while profiled; "per request" below is per MB)`, units: mb };
      });
    }

    console.log(
      '\nMethod: loopback only; proxy CPU/req = (utime+stime of the Flightbox process, all threads, /proc/<pid>/stat) / completed requests; ' +
        'loadgen CPU/req = process.cpuUsage() of the generator over the measured period / completed requests. The generator, the proxy and the origin share the machine\'s cores.',
    );
    return true;
  } finally {
    await Promise.all(children.map((c) => stopProc(c)));
    if (origin) {
      origin.closeAllConnections();
      await new Promise<void>((r) => origin!.close(() => r()));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await runH3Bench();
}
