/**
 * Peers throughput benchmark (not run by CI): updates per second from one instance to another
 * over loopback, with the peers protocol over plain TCP and over mutual TLS (each peer line
 * `ssl crt <own pem> ca-file <ca> verify required`, certificates made as the peers TLS tests make
 * them: test/proxy/tls/pki.ts), and the CPU time each side spends.
 *
 * Each side is a child process running the real peers driver (proxy/peers/runtime.ts
 * PeersRuntime, as the supervisor runs it) over a real shared-memory stick-table: the sender
 * `alpha` and the receiver `bravo` of one `peers` section. Once their session is established (and
 * the receiver's initial resync done), the sender writes N entries with the stick-table API
 * in-process (what tracked traffic does: acquire, set gpc0, add http_req_cnt, touch and release);
 * the receiver polls its own entry count. Two ways:
 *
 * - bulk: the N entries are written in one go (the event loop blocked, so nothing is taught
 *   meanwhile), then the clock starts: N / (time the receiver holds all N - end of the writes) is
 *   the protocol's throughput (teaching scan, encoding, TLS, decoding, applying, acks);
 * - stream: the writes yield to the event loop every 5000 entries, so teaching runs while the
 *   table fills: N / (time the receiver holds all N - start of the writes).
 *
 * CPU: each process's user+system time (process.cpuUsage) over the measured interval. Bounded
 * (60 s per measurement), 127.0.0.1 only, exits by itself.
 *
 *   npx node test/bench/peers.ts [updates=200000]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../proxy/config/parser.ts';
import { createStickTableBuffers, StickTableRegistry } from '../../proxy/stick/registry.ts';
import { PeersRuntime } from '../../proxy/peers/runtime.ts';
import type { StickKey } from '../../proxy/stick/key.ts';
import { createPki } from '../proxy/tls/pki.ts';
import { freePort } from '../free-port.ts';

/** What a side is told to be. */
interface SideSpec {
  role: 'sender' | 'receiver';
  config: string;
  me: string;
  updates: number;
  /** `bulk`: the N entries are written at once, then taught; `stream`: taught while being written. */
  mode: 'bulk' | 'stream';
}

/** Messages from a side to the parent. */
type FromSide = { kind: 'ready' } | { kind: 'filled'; t0: number; /** ms the writes took */ t1: number } | { kind: 'done'; t: number } | { kind: 'cpu'; userMs: number; systemMs: number } | { kind: 'error'; message: string };

const BOUND_MS = 60_000;

function send(m: FromSide): void {
  process.send!(m);
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function side(spec: SideSpec): Promise<void> {
  const parsed = parseConfigText('bench.cfg', spec.config, { cwd: process.cwd(), env: process.env, localPeer: spec.me });
  if (!parsed.config) throw new Error(parsed.alerts.map((a) => a.message).join('\n'));
  const tables = new StickTableRegistry(createStickTableBuffers(parsed.config.stickTables ?? []));
  const rt = new PeersRuntime({ config: parsed.config, tables, log: () => {} }); // the supervisor's tick (50 ms)
  await rt.start();
  const sec = rt.sections[0]!;
  const table = tables.get('p/t')!;
  await until(() => sec.links[0]?.session?.state === 'established' && (sec.learn === 'finished' || sec.learn === 'partial' || spec.role === 'sender'), 15_000, 'an established session');
  let cpu0 = process.cpuUsage();
  process.on('message', (m: { kind: 'go' | 'stop' }) => {
    if (m.kind === 'go') {
      cpu0 = process.cpuUsage();
      if (spec.role === 'sender') void fill();
      else {
        const timer = setInterval(() => {
          if (table.current >= spec.updates) {
            clearInterval(timer);
            send({ kind: 'done', t: Date.now() });
          }
        }, 2);
      }
    } else {
      const c = process.cpuUsage(cpu0);
      send({ kind: 'cpu', userMs: c.user / 1000, systemMs: c.system / 1000 });
      void rt.stop().then(() => process.exit(0));
    }
  });
  const fill = async () => {
    const key: StickKey = { bytes: new Uint8Array(4), len: 4 };
    let t0 = Date.now();
    const fillStart = t0;
    for (let i = 0; i < spec.updates; i++) {
      key.bytes[0] = 10;
      key.bytes[1] = (i >>> 16) & 0xff;
      key.bytes[2] = (i >>> 8) & 0xff;
      key.bytes[3] = i & 0xff;
      const h = table.acquire(key);
      table.set(h, 'gpc0', i);
      table.add(h, 'http_req_cnt', 1);
      table.touchAndRelease(h);
      if (spec.mode === 'stream' && i % 5000 === 4999) await new Promise((r) => setImmediate(r));
    }
    const t1 = Date.now();
    if (spec.mode === 'bulk') {
      t0 = t1; // the teaching starts now
      cpu0 = process.cpuUsage();
    }
    send({ kind: 'filled', t0, t1: t1 - fillStart });
  };
  send({ kind: 'ready' });
}

/** Next message of `kind` from `c` (rejects on an error message, an exit, or after BOUND_MS). */
function next<K extends FromSide['kind']>(c: ChildProcess, kind: K): Promise<Extract<FromSide, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => done(new Error(`no '${kind}' from a side within ${BOUND_MS} ms`)), BOUND_MS);
    const onMsg = (m: FromSide) => {
      if (m.kind === 'error') done(new Error(m.message));
      else if (m.kind === kind) done(undefined, m as Extract<FromSide, { kind: K }>);
    };
    const onExit = (code: number | null) => done(new Error(`a side exited (${code}) before '${kind}'`));
    const done = (err?: Error, m?: Extract<FromSide, { kind: K }>) => {
      clearTimeout(t);
      c.off('message', onMsg);
      c.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    };
    c.on('message', onMsg);
    c.once('exit', onExit);
  });
}

interface Figures {
  updatesPerSec: number;
  totalMs: number;
  fillMs: number;
  cpu: { sender: number; receiver: number };
}

async function measure(updates: number, mode: SideSpec['mode'], lineOptions: (me: string) => string): Promise<Figures> {
  const pa = await freePort();
  const pb = await freePort();
  const config = (me: string) =>
    `peers p\n    peer alpha 127.0.0.1:${pa}${lineOptions(me)}\n    peer bravo 127.0.0.1:${pb}${lineOptions(me)}\n` +
    `    table t type ip size ${Math.max(1024, updates * 2)} expire 10m store gpc0,http_req_cnt\n`;
  const script = fileURLToPath(import.meta.url);
  const spawnSide = (spec: SideSpec) => fork(script, ['side', JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const receiver = spawnSide({ role: 'receiver', config: config('bravo'), me: 'bravo', updates, mode });
  const sender = spawnSide({ role: 'sender', config: config('alpha'), me: 'alpha', updates, mode });
  try {
    await Promise.all([next(receiver, 'ready'), next(sender, 'ready')]);
    const done = next(receiver, 'done');
    const filled = next(sender, 'filled');
    receiver.send({ kind: 'go' });
    sender.send({ kind: 'go' });
    const [d, f] = await Promise.all([done, filled]);
    const cpuR = next(receiver, 'cpu');
    const cpuS = next(sender, 'cpu');
    receiver.send({ kind: 'stop' });
    sender.send({ kind: 'stop' });
    const [cr, cs] = await Promise.all([cpuR, cpuS]);
    const totalMs = d.t - f.t0;
    return {
      updatesPerSec: (updates / totalMs) * 1000,
      totalMs,
      fillMs: f.t1,
      cpu: { sender: cs.userMs + cs.systemMs, receiver: cr.userMs + cr.systemMs },
    };
  } finally {
    for (const c of [receiver, sender]) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const updates = Number(process.argv[2] ?? 200_000);
  if (!Number.isInteger(updates) || updates <= 0) throw new Error(`updates must be a positive integer, got '${process.argv[2]}'`);
  const pki = createPki('Peers Bench CA');
  try {
    const pems = { alpha: pki.issue('alpha').pem, bravo: pki.issue('bravo').pem } as Record<string, string>;
    console.log(`peers bench: ${updates} updates alpha -> bravo over 127.0.0.1 (table type ip, store gpc0,http_req_cnt; one process per side)`);
    const show = (label: string, r: Figures) => {
      const pct = (ms: number) => `${((ms / r.totalMs) * 100).toFixed(0)}%`;
      console.log(
        `  ${label.padEnd(26)} ${r.updatesPerSec.toFixed(0).padStart(8)} updates/s (${r.totalMs} ms; writes took ${r.fillMs} ms)` +
          `; CPU sender ${r.cpu.sender.toFixed(0)} ms (${pct(r.cpu.sender)}), receiver ${r.cpu.receiver.toFixed(0)} ms (${pct(r.cpu.receiver)})`,
      );
    };
    const tls = (me: string) => ` ssl crt ${pems[me]} ca-file ${pki.caFile} verify required`;
    show('bulk, plain TCP:', await measure(updates, 'bulk', () => ''));
    show('bulk, TLS (mutual):', await measure(updates, 'bulk', tls));
    show('stream, plain TCP:', await measure(updates, 'stream', () => ''));
    show('stream, TLS (mutual):', await measure(updates, 'stream', tls));
  } finally {
    pki.cleanup();
  }
}

if (process.argv[2] === 'side') {
  side(JSON.parse(process.argv[3]!) as SideSpec).catch((e: Error) => {
    send({ kind: 'error', message: e.stack ?? e.message });
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (e: Error) => {
      console.error(`peers bench failed: ${e.message}`);
      process.exit(1);
    },
  );
}
