/**
 * End to end: Flightbox instances in one `peers` section synchronise their stick-tables over TCP
 * with HAProxy's peers protocol: `set table` and tracked traffic on one appear on the other within
 * a bound, in both directions; a restarted instance asks for a full resync and gets everything
 * back; `show peers` reports each peer's state. Seed crash 3: the connection carrying a full
 * resync is cut in the middle (a relay in this test forwards a few kilobytes, then resets it): the
 * learning side resets its learn state, asks again and converges with nothing lost; with the fault
 * site `peers.learn-released-session` armed, the same cut ends in a BUG_ON whose snapshot decodes
 * to the learn step (syncPeerLearnState) with the released session as context, and the
 * synchronisation still converges afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pollUntil, run, trackChild, waitFor } from './harness.ts';
import { converge, entries, fill, member, relays, started, type Member } from './peers-mesh.ts';
import { readSnapshotFile } from '../../diag/snapshot/read.ts';

/**
 * A TCP relay to `target`: forwards both ways; the first connection is reset once `cutAfter` bytes
 * went from target to client (mid-resync), later ones pass untouched. While `held`, connections
 * are closed at once (the peer retries with its back-off).
 */
async function relay(target: number, cutAfter: number): Promise<{ port: number; cuts: () => number; release: () => void; hold: () => void }> {
  let cuts = 0;
  let held = false;
  const server = createServer((client: Socket) => {
    if (held) {
      client.destroy();
      return;
    }
    const up = connect(target, '127.0.0.1');
    let down = 0;
    const cutting = cuts === 0;
    client.on('data', (d) => up.write(d));
    up.on('data', (d: Buffer) => {
      if (cutting && down + d.length > cutAfter) {
        client.write(d.subarray(0, Math.max(0, cutAfter - down)));
        cuts++;
        client.resetAndDestroy();
        up.destroy();
        return;
      }
      down += d.length;
      client.write(d);
    });
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  relays.push(server);
  return {
    port: (server.address() as { port: number }).port,
    cuts: () => cuts,
    release: () => (held = false),
    hold: () => (held = true),
  } as { port: number; cuts: () => number; release: () => void; hold: () => void };
}

describe('peers: two Flightbox instances', () => {
  it('converge both ways: set table and tracked traffic on one show on the other; show peers reports the session', async () => {
    const members = [
      { name: 'alpha', port: await freePort() },
      { name: 'bravo', port: await freePort() },
    ];
    const [a, b] = await Promise.all([member('alpha', members), member('bravo', members)]);
    await a.cli('set table mesh/t key 10.0.0.1 data.gpc0 7');
    expect(await converge(b, (e) => e.includes('10.0.0.1 7 0'), 'alpha -> bravo')).toContain('10.0.0.1 7 0');
    await b.cli('set table mesh/t key 10.0.0.2 data.gpc0 9 data.http_req_cnt 4');
    await converge(a, (e) => e.includes('10.0.0.2 9 4'), 'bravo -> alpha');
    // traffic tracked by a worker of bravo reaches alpha
    expect((await b.get('/')).status).toBe(200);
    await converge(a, (e) => e.includes('127.0.0.1 0 1'), 'tracked request on bravo -> alpha');
    const shown = await a.cli('show peers');
    expect(shown).toMatch(/^0x1: \[.*\] id=mesh disabled=0 flags=0x0 resync_timeout=\S+ task_calls=0 resync=(finished|partial)$/m);
    expect(shown).toMatch(/id=alpha\(local,inactive\) addr=127\.0\.0\.1:\d+/);
    expect(shown).toMatch(/id=bravo\(remote,active\) addr=127\.0\.0\.1:\d+ last_status=ESTA last_hdshk=\S+/);
    expect(shown).toMatch(/st0=established learn=\S+ teach=incremental/);
    expect(shown).toMatch(/table:0x\w+ id=mesh\/t update=\d+/);
    expect(await a.cli('show peers nope')).toMatch(/No such peers section: 'nope'; peers sections: mesh/);
    // The peers run in the supervisor: its ring is read live too, not only in snapshots.
    const events = await a.cli('show events flight');
    expect(events).toMatch(/\[00\|peers\|state\|[^\]]+\] peer_session_state\(\): session bravo sess \S+ -> established/);
    expect(events).toMatch(/\[00\|peers\|proto\|[^\]]+\] peer_send_hellomsg\(\): hello sent: HAProxyS 2\.1 to=bravo from=alpha/);
  });

  it('a restarted instance asks for a full resync and gets every entry back', async () => {
    const members = [
      { name: 'alpha', port: await freePort() },
      { name: 'bravo', port: await freePort() },
    ];
    const [a, b] = await Promise.all([member('alpha', members), member('bravo', members)]);
    await fill(a, 300);
    await converge(b, (e) => e.length === 300, 'first sync');
    await b.stop();
    started.splice(started.indexOf(b), 1);
    const b2 = await member('bravo', members);
    const got = await converge(b2, (e) => e.length === 300, 'resync after restart');
    expect(got).toEqual(await entries(a));
    expect(await b2.cli('show peers mesh')).toMatch(/resync=finished/);
  });
});

describe('seed crash 3: a connection cut in the middle of a full resync', () => {
  it('is survived: the learn state resets, the resync is asked again, everything converges', async () => {
    const members = [
      { name: 'alpha', port: await freePort() },
      { name: 'bravo', port: await freePort() },
    ];
    // bravo reaches alpha at an address nobody listens on: the only session is alpha's, through the relay
    const b = await member('bravo', members, { via: { alpha: await freePort() } });
    await fill(b, 2000);
    await new Promise((r) => setTimeout(r, 5200)); // bravo's resync timeout: it answers 'finished'
    const cut = await relay(members[1]!.port, 8000);
    const a = await member('alpha', members, { via: { bravo: cut.port } });
    const got = await converge(a, (e) => e.length === 2000, 'resync after the cut', 15_000);
    expect(cut.cuts()).toBe(1);
    expect(got).toEqual(await entries(b));
    expect(a.stderr()).not.toMatch(/ALERT|BUG_ON/);
    expect(a.snapshots()).toEqual([]);
  }, 30_000);

  it('with the fault site armed, the cut ends in a BUG_ON: the snapshot names the learn step and the released session', async () => {
    const members = [
      { name: 'alpha', port: await freePort() },
      { name: 'bravo', port: await freePort() },
    ];
    const b = await member('bravo', members, { via: { alpha: await freePort() } });
    await fill(b, 2000);
    await new Promise((r) => setTimeout(r, 5200));
    const cut = await relay(members[1]!.port, 8000);
    // alpha's connections to bravo are turned away by the relay until the fault is armed
    cut.hold();
    const a = await member('alpha', members, { via: { bravo: cut.port } });
    expect(await a.cli('expert-mode on; debug dev fault peers.learn-released-session')).toMatch(/armed for 1 hit \(supervisor\)/);
    cut.release();
    await waitFor(() => a.snapshots().length > 0, 15_000, 'the BUG_ON snapshot');
    expect(cut.cuts()).toBe(1);
    const snap = readSnapshotFile(a.snapshots()[0]!);
    expect(snap.fault!.kind).toBe('bug');
    expect(snap.fault!.message).toMatch(/^BUG_ON: sync_peer_learn_state: peers 'mesh': session with 'bravo' \(conn \d+\) used after its release/);
    expect(snap.fault!.frames[0]!.fn).toMatch(/syncPeerLearnState$/);
    expect(snap.fault!.context.connId).toBeGreaterThan(0);
    expect(snap.fault!.context.details).toMatchObject({ peer: 'bravo', section: 'mesh', state: 'released' });
    // The snapshot file can be seen before the supervisor's stderr line reaches this process.
    const alert = /\[ALERT\] peers 'mesh': BUG_ON: sync_peer_learn_state.*snapshot written to .*; learn state reset, synchronisation goes on/;
    await waitFor(() => alert.test(a.stderr()), 10_000, 'the ALERT line on stderr');
    // and the process survives and converges
    await converge(a, (e) => e.length === 2000, 'resync after the BUG_ON', 15_000);
  }, 40_000);
});

// ---------------------------------------------------------------------------------------------
// Interop with a real HAProxy (Debian's 2.6) as the other peer of the section.

const HAPROXY = '/usr/sbin/haproxy';
const haveHaproxy = existsSync(HAPROXY);
if (!haveHaproxy) console.warn(`peers HAProxy interop tests skipped: ${HAPROXY} not installed (apt-get install haproxy)`);

interface Hap {
  port: number;
  socket: string;
  cli(cmd: string): Promise<string>;
  stop(): Promise<void>;
  stderr(): string;
}

/** Starts HAProxy as peer `hap` of `members`, with frontend `fe` on `fePort` tracking `src` into mesh/t. */
async function haproxy(members: Member[], fePort: number): Promise<Hap> {
  const dir = mkdtempSync(join(tmpdir(), 'fb-hap-'));
  const socket = join(dir, 'admin.sock');
  const cfg = [
    'global',
    `  stats socket ${socket} level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 5s',
    '  timeout server 5s',
    'peers mesh',
    ...members.map((m) => `  peer ${m.name} 127.0.0.1:${m.port}`),
    '  table t type ip size 64k expire 10m store gpc0,http_req_cnt',
    'frontend fe',
    `  bind 127.0.0.1:${fePort}`,
    '  http-request track-sc0 src table mesh/t',
    '  http-request return status 200 content-type text/plain string ok',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'haproxy.cfg'), cfg);
  const child = trackChild(spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg'), '-L', 'hap'], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await waitFor(() => existsSync(socket), 5000, 'HAProxy runtime socket');
  return {
    port: fePort,
    socket,
    stderr: () => err,
    async cli(cmd) {
      const r = await run('socat', ['-t', '5', 'stdio', `UNIX-CONNECT:${socket}`], { input: cmd + '\n' });
      return r.stdout;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** HAProxy's `show table mesh/t` as `key gpc0 http_req_cnt` lines, sorted. */
async function hapEntries(h: Hap): Promise<string[]> {
  const out = await h.cli('show table mesh/t');
  return out
    .split('\n')
    .filter((l) => l.includes('key='))
    .map((l) => /key=(\S+) .*gpc0=(\d+) http_req_cnt=(\d+)/.exec(l)!.slice(1).join(' '))
    .sort();
}

async function hapConverge(h: Hap, want: (e: string[]) => boolean, what: string, timeoutMs = 10_000): Promise<string[]> {
  const got = await pollUntil(() => hapEntries(h), want, { timeoutMs, everyMs: 100 });
  if (!want(got)) throw new Error(`${what}: not reached within ${timeoutMs} ms; HAProxy's table is ${got.length} entries: ${got.slice(0, 5).join(', ')}; its stderr: ${h.stderr()}`);
  return got;
}

describe.skipIf(!haveHaproxy)('peers: interop with HAProxy 2.6', () => {
  const haps: Hap[] = [];
  afterEach(async () => {
    await Promise.all(haps.splice(0).map((h) => h.stop()));
  });

  it('updates on either side appear on the other: set table on Flightbox, traffic and set table on HAProxy', async () => {
    const members = [
      { name: 'fb', port: await freePort() },
      { name: 'hap', port: await freePort() },
    ];
    const fb = await member('fb', members);
    const hap = await haproxy(members, await freePort());
    haps.push(hap);
    await fb.cli('set table mesh/t key 10.0.0.1 data.gpc0 7 data.http_req_cnt 2');
    await hapConverge(hap, (e) => e.includes('10.0.0.1 7 2'), 'Flightbox set table -> HAProxy');
    expect((await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${hap.port}/`])).stdout).toBe('200');
    await converge(fb, (e) => e.includes('127.0.0.1 0 1'), 'traffic through HAProxy -> Flightbox');
    await hap.cli('set table mesh/t key 10.0.0.5 data.gpc0 5');
    await converge(fb, (e) => e.includes('10.0.0.5 5 0'), 'HAProxy set table -> Flightbox');
    // a Flightbox change of an entry HAProxy taught goes back to HAProxy
    await fb.cli('set table mesh/t key 10.0.0.5 data.gpc0 6');
    await hapConverge(hap, (e) => e.includes('10.0.0.5 6 0'), 'Flightbox change of a learned entry -> HAProxy');
    expect(await fb.cli('show peers')).toMatch(/id=hap\(remote,active\) addr=127\.0\.0\.1:\d+ last_status=ESTA/);
  }, 30_000);

  it('full resync after a restart of either side', async () => {
    const members = [
      { name: 'fb', port: await freePort() },
      { name: 'hap', port: await freePort() },
    ];
    const fb = await member('fb', members);
    const hap = await haproxy(members, await freePort());
    haps.push(hap);
    await fill(fb, 200);
    await hap.cli('set table mesh/t key 10.9.0.1 data.gpc0 1');
    await hapConverge(hap, (e) => e.length === 201, 'first sync to HAProxy');
    await converge(fb, (e) => e.length === 201, 'first sync to Flightbox');
    // Flightbox restarts: it asks HAProxy for a full resync
    await fb.stop();
    started.splice(started.indexOf(fb), 1);
    const fb2 = await member('fb', members);
    const got = await converge(fb2, (e) => e.length === 201, 'Flightbox resync from HAProxy after its restart', 15_000);
    // HAProxy restarts: it asks Flightbox for a full resync
    await hap.stop();
    haps.splice(0);
    const hap2 = await haproxy(members, await freePort());
    haps.push(hap2);
    const back = await hapConverge(hap2, (e) => e.length === 201, 'HAProxy resync from Flightbox after its restart', 15_000);
    expect(back.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(got.map((l) => l.split(' ').slice(0, 2).join(' ')));
  }, 60_000);
});
