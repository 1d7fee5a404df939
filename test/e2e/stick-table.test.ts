/**
 * End to end: stick-tables configured in backends, created by the supervisor before its two worker
 * threads start, and driven through the runtime socket with socat (`set table`, `show table`,
 * `clear table`), HAProxy's output format checked line by line. The tables live in shared memory
 * the supervisor owns: a worker that dies and is replaced finds them intact, and the supervisor's
 * expiry timer removes expired entries. A `peers` section is refused by `run` (not implemented yet).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, flightbox, pollUntil, startProxy, waitFor, type Proxy } from './harness.ts';

let p: Proxy;

beforeAll(async () => {
  p = await startProxy({
    config: (dir, port) =>
      buildConfig(dir, { nbthread: 2, global: ['watchdog-timeout 1s', 'hard-stop-after 5s'] }, {
        'frontend web': [`bind 127.0.0.1:${port}`, 'http-request return status 200 content-type text/plain string "ok\\n"'],
        'backend be': ['stick-table type ip size 1k expire 60s store http_req_cnt,http_req_rate(10s)'],
        'backend short': ['stick-table type integer size 10 expire 1s store gpc0'],
      }),
  });
});
afterAll(async () => {
  await p?.stop();
});

/** `show table` entry line of HAProxy 3.x for one key. */
const ENTRY = (key: string, cnt: number, rate: number) =>
  new RegExp(`^0x[0-9a-f]+: key=${key.replace(/\./g, '\\.')} use=0 exp=(\\d+) shard=0 http_req_cnt=${cnt} http_req_rate\\(10000\\)=${rate}$`);

describe('stick-tables through the runtime socket', () => {
  it('show table lists every configured table', async () => {
    expect(await p.cli('show table')).toBe('# table: be, type: ip, size:1024, used:0\n# table: short, type: integer, size:10, used:0\n\n');
  });

  it('set table creates an entry; show table prints it in HAProxy format, the same from every session', async () => {
    expect(await p.cli('set table be key 127.0.0.1 data.http_req_cnt 1 data.http_req_rate 1')).toBe('\n');
    const answers = await Promise.all([1, 2, 3, 4].map(() => p.cli('show table be')));
    for (const out of answers) {
      const lines = out.trimEnd().split('\n');
      expect(lines[0]).toBe('# table: be, type: ip, size:1024, used:1');
      const m = ENTRY('127.0.0.1', 1, 1).exec(lines[1]!);
      expect(m, lines[1]).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(55_000);
      expect(Number(m![1])).toBeLessThanOrEqual(60_000);
      expect(lines).toHaveLength(2);
    }
    // one address line: the same entry whoever answers
    expect(new Set(answers.map((a) => a.split('\n')[1]!.split(':')[0])).size).toBe(1);
  });

  it('filters by key and by data, and reports HAProxy errors', async () => {
    await p.cli('set table be key 10.0.0.2 data.http_req_cnt 5');
    expect((await p.cli('show table be key 10.0.0.2')).split('\n')[1]).toMatch(ENTRY('10.0.0.2', 5, 0));
    const big = (await p.cli('show table be data.http_req_cnt gt 1')).trimEnd().split('\n');
    expect(big).toHaveLength(2);
    expect(big[1]).toMatch(ENTRY('10.0.0.2', 5, 0));
    expect(await p.cli('show table nope')).toBe("No such table: 'nope'; tables: be, short.\n\n");
    expect(await p.cli('set table be key not-an-ip')).toMatch(/^Invalid key: invalid IPv4 address 'not-an-ip'/);
    expect(await p.cli('show table be data.gpc0 gt 1')).toMatch(/^Data type not stored in this table/);
    expect(await p.cli('show table be data.nope gt 1')).toMatch(/^Unknown data type: 'nope'/);
    // `user` answers with its own empty line first
    expect(await p.cli('user; show table be')).toBe('\n# table: be, type: ip, size:1024, used:2\n# contents not dumped due to insufficient privileges\n\n');
    expect(await p.cli('user; clear table be')).toBe('\nPermission denied\n\n');
  });

  it('clear table removes one key, then everything', async () => {
    expect(await p.cli('clear table be key 10.0.0.2')).toBe('\n');
    expect((await p.cli('show table be')).trimEnd().split('\n')).toHaveLength(2);
    expect(await p.cli('show table be key 10.0.0.2')).toBe('\n');
    expect(await p.cli('clear table be')).toBe('\n');
    expect(await p.cli('show table be')).toBe('# table: be, type: ip, size:1024, used:0\n\n');
  });

  it('the supervisor expires entries on its own', async () => {
    expect(await p.cli('set table short key 42 data.gpc0 3')).toBe('\n');
    expect(await p.cli('show table short')).toMatch(/^# table: short, type: integer, size:10, used:1\n0x[0-9a-f]+: key=42 use=0 exp=\d+ shard=0 gpc0=3\n\n$/);
    const out = await pollUntil(() => p.cli('show table short'), (o) => o.includes('used:0'), { timeoutMs: 5000, everyMs: 100 });
    expect(out).toBe('# table: short, type: integer, size:10, used:0\n\n');
  });

  it('tables live in the supervisor: a worker dies and its replacement attaches to the same entries', async () => {
    await p.cli('set table be key 192.0.2.9 data.http_req_cnt 9');
    const from = p.stderr().length;
    await p.cli('expert-mode on; debug dev exit 3 thread 1');
    await p.waitStderr(/worker 1 died/, 15_000, from);
    await waitFor(async () => /^Worker_restarts: 1$/m.test(await p.cli('show info')), { timeoutMs: 15_000, what: 'the replacement worker' });
    await waitFor(async () => (await p.get('/')).status === 200, { timeoutMs: 10_000, what: 'traffic served again' });
    expect(p.stderr().slice(from)).not.toMatch(/died while starting|could not restart/);
    expect((await p.cli('show table be key 192.0.2.9')).split('\n')[1]).toMatch(ENTRY('192.0.2.9', 9, 0));
  });
});

describe('run refuses what is not implemented yet', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fb-stick-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a peers section: -L names the local peer, for check as for run; an unknown one is an alert at the section's line", async () => {
    const cfg = join(dir, 'peers.cfg');
    writeFileSync(
      cfg,
      'frontend web\n  bind 127.0.0.1:1\n  timeout client 5s\n  http-request return status 200\npeers mine\n  peer a 127.0.0.1:10000\n  peer b 127.0.0.1:10001\n',
    );
    const check = await flightbox(['check', '-L', 'a', '-f', cfg]);
    expect(check.code).toBe(0);
    const other = await flightbox(['check', '-L', 'zz', '-f', cfg]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`[ALERT] config : parsing [${cfg}:5] : unable to find local peer 'zz' in peers section 'mine'`);
    const run = await flightbox(['run', '-L', 'zz', '-f', cfg]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`unable to find local peer 'zz' in peers section 'mine'`);
  });
});
