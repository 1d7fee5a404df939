/**
 * What the peers end-to-end tests share (peers.test.ts over TCP, peers-tls.test.ts over TLS): a
 * `peers mesh` section whose members are Flightbox instances with a table `t` tracked by their
 * frontend, its contents as comparable lines, waiting for convergence, filling it, and stopping
 * every instance and relay a test started (after each test of the importing file).
 */
import { afterEach } from 'vitest';
import type { Server } from 'node:net';
import { buildConfig, freePort, pollUntil, startProxy, type Proxy } from './harness.ts';

/** Instances and relays started by the current test, stopped after it. */
export const started: Proxy[] = [];
export const relays: Server[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()));
  for (const r of relays.splice(0)) r.close();
});

/** One member of the section. */
export interface Member {
  name: string;
  /** Address the member listens on as a peer. */
  port: number;
}

/** Members named `names`, each with a free port. */
export async function members(...names: string[]): Promise<Member[]> {
  const out: Member[] = [];
  for (const name of names) out.push({ name, port: await freePort() });
  return out;
}

/**
 * Starts instance `me` of a section made of `members`. `via` overrides where it reaches a peer;
 * `peerOptions` is appended to every `peer` line (e.g. `ssl crt ... ca-file ...`).
 */
export async function member(me: string, all: Member[], opts: { via?: Record<string, number>; peerOptions?: string } = {}): Promise<Proxy> {
  const extra = opts.peerOptions ? ` ${opts.peerOptions}` : '';
  const p = await startProxy({
    args: ['-L', me],
    config: (dir, port) =>
      buildConfig(dir, { nbthread: 1, global: ['hard-stop-after 2s'] }, {
        'peers mesh': [
          ...all.map((m) => `peer ${m.name} 127.0.0.1:${m.name === me ? m.port : (opts.via?.[m.name] ?? m.port)}${extra}`),
          'table t type ip size 64k expire 10m store gpc0,http_req_cnt',
        ],
        'frontend web': [`bind 127.0.0.1:${port}`, 'http-request track-sc0 src table mesh/t', 'http-request return status 200 content-type text/plain string "ok\\n"'],
      }),
  });
  started.push(p);
  return p;
}

/** `show table mesh/t` as `key gpc0 http_req_cnt` lines, sorted. */
export async function entries(p: Proxy): Promise<string[]> {
  const out = await p.cli('show table mesh/t');
  return out
    .split('\n')
    .slice(1)
    .filter((l) => l.includes('key='))
    .map((l) => /key=(\S+) .*gpc0=(\d+) http_req_cnt=(\d+)/.exec(l)!.slice(1).join(' '))
    .sort();
}

/** Waits until `p`'s table satisfies `want`; fails naming `what`, the table and `show peers`. */
export async function converge(p: Proxy, want: (e: string[]) => boolean, what: string, timeoutMs = 10_000): Promise<string[]> {
  const got = await pollUntil(() => entries(p), want, { timeoutMs, everyMs: 100 });
  if (!want(got)) throw new Error(`${what}: not reached within ${timeoutMs} ms; table is ${got.length} entries: ${got.slice(0, 5).join(', ')}; show peers:\n${await p.cli('show peers')}`);
  return got;
}

/** `set table` for n keys 10.1.x.y (from `from`) with gpc0 = i, 500 commands per runtime connection. */
export async function fill(p: Proxy, n: number, from = 0): Promise<void> {
  const cmds: string[] = [];
  for (let i = from; i < from + n; i++) cmds.push(`set table mesh/t key 10.1.${i >> 8}.${i & 255} data.gpc0 ${i}`);
  for (let i = 0; i < cmds.length; i += 500) await p.cli(cmds.slice(i, i + 500).join(';'));
}
