/**
 * Re-runs the scenarios of haproxy-vectors.ts against a live HAProxy and reports where its
 * decisions differ from the recorded `expected` ones. Not part of the test suite (it needs the
 * `haproxy` binary, e.g. Debian's package); run it by hand after changing a scenario or to check
 * another HAProxy version:
 *
 *     npx node test/proxy/lb/haproxy-live.ts [name filter]
 *
 * Everything listens on 127.0.0.1 ephemeral ports; HAProxy runs in the foreground from a config in
 * a temporary directory and is stopped after each scenario. Exit status 1 when any scenario differs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PICK_VECTORS, QUEUE_VECTORS } from './haproxy-vectors.ts';
import type { PickVector, QueueVector } from './haproxy-vectors.ts';

const NAMES = 'abcdefgh';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Backends that record which request reached them and hold the response until released. */
class Backends {
  readonly ports: number[] = [];
  readonly seen: string[] = [];
  readonly held = new Map<string, http.ServerResponse>();
  private readonly servers: http.Server[] = [];

  async start(n: number, hold: boolean): Promise<void> {
    for (let i = 0; i < n; i++) {
      const srv = http.createServer((req, res) => {
        const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
        this.seen.push(`${id}=${NAMES[i]}`);
        if (hold) this.held.set(id, res);
        else res.end(NAMES[i]);
      });
      srv.listen(0, '127.0.0.1');
      await new Promise((r) => srv.once('listening', r));
      this.servers.push(srv);
      this.ports.push((srv.address() as net.AddressInfo).port);
    }
  }

  stop(): void {
    for (const res of this.held.values()) res.end('x');
    for (const s of this.servers) s.close();
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function startHaproxy(dir: string, lines: string[]): Promise<() => Promise<void>> {
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, lines.join('\n') + '\n');
  const check = spawnSync('haproxy', ['-c', '-q', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy rejected the configuration: ${check.stderr}`);
  const proc = spawn('haproxy', ['-f', cfg], { stdio: 'ignore' });
  await sleep(400);
  return async () => {
    proc.kill();
    await new Promise((r) => proc.once('exit', r));
  };
}

function cli(sock: string, cmd: string): Promise<string> {
  return new Promise((resolve) => {
    const c = net.connect(sock, () => c.end(cmd + '\n'));
    let out = '';
    c.on('data', (d) => (out += d));
    c.on('close', () => resolve(out.trim()));
  });
}

function config(port: number, sock: string, backend: string[], servers: string[], ports: number[]): string[] {
  return [
    'global',
    '  nbthread 1',
    `  stats socket ${sock} mode 600 level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 20s',
    '  timeout server 20s',
    '  timeout queue 20s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    ...backend.filter(Boolean).map((l) => `  ${l}`),
    '  http-reuse never',
    ...servers.map((line, i) => `  server ${NAMES[i]} 127.0.0.1:${ports[i]} ${line}`),
  ];
}

async function runPick(v: PickVector, dir: string): Promise<string[]> {
  const backends = new Backends();
  await backends.start(v.servers.length, false);
  const port = await freePort();
  const sock = join(dir, 'admin.sock');
  const stop = await startHaproxy(dir, config(port, sock, [v.balance, v.hashType ?? ''], v.servers, backends.ports));
  const out: string[] = [];
  try {
    for (const a of v.actions) {
      if ('cmd' in a) {
        const answer = await cli(sock, a.cmd);
        if (answer) out.push(`!${answer}`);
        continue;
      }
      out.push(
        await new Promise<string>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path: a.req, localAddress: a.src, agent: false }, (res) => {
              let body = '';
              res.on('data', (d) => (body += d));
              res.on('end', () => resolve(res.statusCode === 200 ? body : String(res.statusCode)));
            })
            .on('error', reject);
        }),
      );
    }
  } finally {
    await stop();
    backends.stop();
  }
  return out;
}

async function runQueue(v: QueueVector, dir: string): Promise<string[]> {
  const backends = new Backends();
  await backends.start(v.servers.length, true);
  const port = await freePort();
  const sock = join(dir, 'admin.sock');
  const stop = await startHaproxy(dir, config(port, sock, [v.balance, v.extra ?? ''], v.servers, backends.ports));
  const out: string[] = [];
  const clients: http.ClientRequest[] = [];
  try {
    for (const a of v.acts) {
      backends.seen.length = 0;
      let note = '';
      if ('open' in a) {
        const r = http.get({ host: '127.0.0.1', port, path: `${a.uri ?? '/'}?id=${a.open}`, agent: false }, (res) => res.resume());
        r.on('error', () => {});
        clients.push(r);
      } else if ('close' in a) {
        const res = backends.held.get(String(a.close));
        backends.held.delete(String(a.close));
        if (res) res.end('ok');
        else note = 'NOTHELD';
      } else {
        await cli(sock, a.cmd);
      }
      await sleep(60);
      out.push(note || [...backends.seen].sort().join(','));
    }
  } finally {
    await stop();
    backends.stop();
    for (const c of clients) c.destroy();
  }
  return out;
}

const filter = process.argv[2] ?? '';
const dir = mkdtempSync(join(tmpdir(), 'flightbox-lb-live-'));
let differ = 0;
try {
  const version = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error('haproxy is not installed (try: apt-get install haproxy)');
  console.log(version.stdout.split('\n')[0]);
  const jobs: [string, string[], () => Promise<string[]>][] = [
    ...PICK_VECTORS.map((v): [string, string[], () => Promise<string[]>] => [v.name, v.expected, () => runPick(v, dir)]),
    ...QUEUE_VECTORS.map((v): [string, string[], () => Promise<string[]>] => [v.name, v.expected, () => runQueue(v, dir)]),
  ];
  for (const [name, expected, run] of jobs.filter(([n]) => n.includes(filter))) {
    const got = await run();
    const same = JSON.stringify(got) === JSON.stringify(expected);
    if (!same) differ++;
    console.log(`${same ? 'same' : 'DIFFERENT'}  ${name}`);
    if (!same) console.log(`  haproxy:  ${JSON.stringify(got)}\n  recorded: ${JSON.stringify(expected)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(differ ? `${differ} scenario(s) differ` : 'every scenario matches the recorded decisions');
process.exit(differ ? 1 : 0);
