/**
 * Reload with `flightbox run -sf <pid>` (HAProxy management guide 4 "Stopping and restarting
 * HAProxy"; configuration manual 3.5 "Peers": the old process pushes its entries to the new one
 * through the local peer): a first Flightbox with a `peers` section (itself + an absent remote
 * peer) gets entries from traffic and from `set table`; a second one is started on the same
 * configuration file with `-sf <pid of the first>`. The first hands its table over and exits by
 * itself; the second has every entry, keys, data and remaining lifetimes; a client loop on the
 * shared port never meets a refused connection meanwhile. Without a local peer (a table that no
 * peers section shares), the same reload loses the entries, as HAProxy does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, CLI, freePort, pollUntil, run, sleep, trackChild, waitFor } from './harness.ts';

/** A Flightbox process started on a given configuration file (the harness's startProxy makes its own). */
interface Instance {
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

const dirs: string[] = [];
const instances: Instance[] = [];
afterEach(async () => {
  for (const i of instances.splice(0)) {
    if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
    await i.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(cfg: string, args: string[]): Promise<Instance> {
  const child = trackChild(spawn(process.execPath, [CLI, 'run', '-f', cfg, '-L', 'alpha', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))));
  const inst: Instance = { child, out: () => out, err: () => err, exited };
  instances.push(inst);
  await pollUntil(() => out.includes('listening on') || child.exitCode !== null, (x) => x, { timeoutMs: 20_000 });
  if (!out.includes('listening on')) throw new Error(`flightbox did not start:\n${out}\n${err}`);
  return inst;
}

/** Runtime commands on the socket at `sock` (whichever process has it now). */
async function cli(sock: string, commands: string): Promise<string> {
  const r = await run('socat', ['-t', '10', 'stdio', `UNIX-CONNECT:${sock}`], { input: commands + '\n' });
  if (r.code !== 0) throw new Error(`socat failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** `show table <t>` as key -> { data line, exp in ms }. */
async function table(sock: string, name: string): Promise<Map<string, { data: string; exp: number }>> {
  const out = new Map<string, { data: string; exp: number }>();
  for (const l of (await cli(sock, `show table ${name}`)).split('\n')) {
    const m = /key=(\S+) use=\d+ exp=(\d+) (.*)$/.exec(l);
    if (m) out.set(m[1]!, { exp: Number(m[2]), data: m[3]!.replace(/\s+shard=\d+/, '').trim() });
  }
  return out;
}

/**
 * GETs on 127.0.0.1:`port`, each on a new connection, back to back until `stop()`: counts the
 * answers and the failures by error code (ECONNREFUSED is what a reload must never cause).
 */
function clientLoop(port: number) {
  let running = true;
  const stats = { ok: 0, errors: new Map<string, number>() };
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) stats.ok++;
          else stats.errors.set(`HTTP ${res.statusCode}`, (stats.errors.get(`HTTP ${res.statusCode}`) ?? 0) + 1);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => {
        const k = e.code ?? e.message;
        stats.errors.set(k, (stats.errors.get(k) ?? 0) + 1);
        resolve();
      });
      req.end();
    });
  const done = (async () => {
    while (running) {
      await one();
      await sleep(5);
    }
  })();
  return {
    stats,
    async stop() {
      running = false;
      await done;
      return stats;
    },
  };
}

async function setup(sections: (dir: string, web: number) => Record<string, readonly string[]>) {
  const dir = mkdtempSync(join(tmpdir(), 'fb-reload-'));
  dirs.push(dir);
  const web = await freePort();
  const cfg = join(dir, 'flightbox.cfg');
  writeFileSync(cfg, buildConfig(dir, { nbthread: 1, global: ['hard-stop-after 3s'] }, sections(dir, web)));
  return { dir, web, cfg, sock: join(dir, 'admin.sock') };
}

describe('reload: run -sf hands the stick-tables over through the local peer', () => {
  it('the old process exits by itself, the new one has every entry (data, expiry), no connection is refused', async () => {
    const alpha = await freePort();
    const bravo = await freePort(); // the remote peer is absent: nothing listens there
    const { web, cfg, sock } = await setup((_dir, port) => ({
      'peers mesh': [`peer alpha 127.0.0.1:${alpha}`, `peer bravo 127.0.0.1:${bravo}`, 'table t type ip size 64k expire 10m store gpc0,http_req_cnt'],
      'frontend web': [`bind 127.0.0.1:${port}`, 'http-request track-sc0 src table mesh/t', 'http-request return status 200 content-type text/plain string "ok\\n"'],
    }));
    const a = await start(cfg, []);
    // traffic: the client's address is tracked
    for (let i = 0; i < 5; i++) expect((await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${web}/`])).stdout).toBe('200');
    // set table: two batches one second apart, so their remaining lifetimes differ by ~1 s
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, k) => `set table mesh/t key 10.1.${(from + k) >> 8}.${(from + k) & 255} data.gpc0 ${from + k}`).join(';');
    await cli(sock, batch(0, 150));
    await sleep(1000);
    await cli(sock, batch(150, 150));
    const before = await table(sock, 'mesh/t');
    expect(before.size).toBe(301);
    expect(before.get('127.0.0.1')!.data).toMatch(/gpc0=0 http_req_cnt=5/);
    const firstBatchOlder = before.get('10.1.0.0')!.exp - before.get('10.1.0.150')!.exp;
    expect(firstBatchOlder).toBeLessThan(-800);

    const loop = clientLoop(web);
    await sleep(300);
    const tReload = Date.now();
    const b = await start(cfg, ['-sf', String(a.child.pid)]);
    expect(b.out()).toMatch(new RegExp(`reload: SIGUSR1 sent to old process ${a.child.pid}`));
    // the old process finishes by itself
    const code = await Promise.race([a.exited, sleep(15_000).then(() => 'still running')]);
    expect(code, a.err()).toBe(0);
    expect(a.err()).toMatch(/SIGUSR1 received: soft stop/);
    expect(a.err()).toMatch(/peers 'mesh': tables handed over to the successor: complete \(full resync asked by the successor, \d+ updates taught and acknowledged\)/);
    await sleep(300);
    const stats = await loop.stop();
    const elapsed = Date.now() - tReload;

    // every entry, with its data; lifetimes as they were, minus the time gone by
    const after = await table(sock, 'mesh/t');
    for (const [k, v] of before) {
      const got = after.get(k);
      expect(got, `entry ${k} lost in the reload`).toBeDefined();
      if (k === '127.0.0.1') continue; // also tracked by the loop's requests: checked below
      expect(got!.data, k).toBe(v.data);
      expect(got!.exp, `exp of ${k}`).toBeLessThanOrEqual(v.exp);
      expect(got!.exp, `exp of ${k}`).toBeGreaterThan(v.exp - elapsed - 3000);
    }
    expect(Number(/http_req_cnt=(\d+)/.exec(after.get('127.0.0.1')!.data)![1])).toBeGreaterThanOrEqual(5);
    const newerBy = after.get('10.1.0.0')!.exp - after.get('10.1.0.150')!.exp;
    expect(Math.abs(newerBy - firstBatchOlder)).toBeLessThan(300);

    // the new process shows the old one as its local peer, and what it learned from it
    const peers = await cli(sock, 'show peers mesh');
    expect(peers).toMatch(/id=alpha\(local,inactive\) addr=127\.0\.0\.1:\d+ last_status=\S+ last_hdshk=\S+/);
    const learned = Number(/id=alpha\(local[^\n]*\n[^\n]*new_conn=1 [^\n]*\n\s+flags=0x0 learned=(\d+)/.exec(peers)?.[1] ?? -1);
    expect(learned, peers).toBeGreaterThanOrEqual(301);
    expect(peers).toMatch(/resync=(needed|assigned\(bravo\)|finished|partial)/);

    // traffic was served throughout
    expect(stats.errors.get('ECONNREFUSED') ?? 0, JSON.stringify([...stats.errors])).toBe(0);
    expect(stats.ok).toBeGreaterThan(20);
    const otherErrors = [...stats.errors.values()].reduce((x, y) => x + y, 0);
    expect(otherErrors, JSON.stringify([...stats.errors])).toBeLessThanOrEqual(1);

    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 60_000);

  it('-st sends SIGTERM: the old process stops gracefully without handing its table over', async () => {
    const alpha = await freePort();
    const { cfg, sock } = await setup((_dir, port) => ({
      'peers mesh': [`peer alpha 127.0.0.1:${alpha}`, 'table t type ip size 1k expire 10m store gpc0'],
      'frontend web': [`bind 127.0.0.1:${port}`, 'http-request return status 200 content-type text/plain string "ok\\n"'],
    }));
    const a = await start(cfg, []);
    await cli(sock, 'set table mesh/t key 10.3.0.1 data.gpc0 1');
    const b = await start(cfg, ['-st', String(a.child.pid)]);
    expect(b.out()).toMatch(new RegExp(`reload: SIGTERM sent to old process ${a.child.pid}`));
    expect(await Promise.race([a.exited, sleep(15_000).then(() => 'still running')])).toBe(0);
    expect(a.err()).toMatch(/SIGTERM received: stopping gracefully/);
    expect(a.err()).not.toMatch(/handed over|teaching the tables/);
    // the successor waited for an old local process, then went on without one
    await waitFor(async () => /resync=finished/.test(await cli(sock, 'show peers mesh')), 8000, 'the end of the wait for a local lesson');
    expect(await cli(sock, 'show peers mesh')).toMatch(/id=alpha\(local,inactive\) addr=127\.0\.0\.1:\d+ last_status=NONE/);
    expect((await table(sock, 'mesh/t')).size).toBe(0);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 40_000);

  it('a table no peers section shares (no local peer) is lost in the reload, as in HAProxy', async () => {
    const { web, cfg, sock } = await setup((_dir, port) => ({
      'backend st': ['stick-table type ip size 1k expire 10m store gpc0,http_req_cnt'],
      'frontend web': [`bind 127.0.0.1:${port}`, 'http-request track-sc0 src table st', 'http-request return status 200 content-type text/plain string "ok\\n"'],
    }));
    const a = await start(cfg, []);
    await run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${web}/`]);
    await cli(sock, 'set table st key 10.2.0.1 data.gpc0 7');
    expect((await table(sock, 'st')).size).toBe(2);
    const b = await start(cfg, ['-sf', String(a.child.pid)]);
    expect(await Promise.race([a.exited, sleep(15_000).then(() => 'still running')])).toBe(0);
    expect(a.err()).not.toMatch(/handed over/);
    await waitFor(async () => (await table(sock, 'st')).size === 0, 2000, 'an empty table in the new process');
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 40_000);
});
