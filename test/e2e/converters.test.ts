/**
 * End to end: sample converters through a running Flightbox (two worker threads sharing the
 * tables), checked with curl:
 * - frontend `track` tracks `src` (table rl) and `req.hdr(host),lower` (table hosts);
 * - frontend `look` uses the tables without tracking: `http-request deny deny_status 429 if {
 *   src,table_http_req_rate(rl) gt 3 }`, a 403 keyed by `req.hdr(host),lower,table_http_req_cnt(hosts)`,
 *   and `http-response set-header x-rate %[src,table_http_req_rate(rl)]` (plus in_table and the
 *   header-keyed count); its lookups never create an entry nor keep a reference;
 * - `flightbox check` refuses a converter naming a table that does not exist, at its line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildConfig, flightbox, freePort, pollUntil, run, startProxy, type Proxy } from './harness.ts';
import { httpOrigin, type Origin } from './origins.ts';

/** One request through curl: the status and the response header fields (names lower-cased). */
async function curl(port: number, host?: string): Promise<{ status: number; headers: Record<string, string> }> {
  const r = await run('curl', ['-s', '-m', '5', '-o', '/dev/null', '-D', '-', ...(host ? ['-H', `Host: ${host}`] : []), `http://127.0.0.1:${port}/`]);
  const lines = r.stdout.split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status, headers };
}

describe('sample converters: table_* against stick-tables, lower, in_table', () => {
  let p: Proxy;
  let app: Origin;
  let lookPort = 0;

  beforeAll(async () => {
    app = await httpOrigin((_req: IncomingMessage, res: ServerResponse) => res.setHeader('connection', 'close').end('app\n'));
    lookPort = await freePort();
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, { nbthread: 2, global: ['hard-stop-after 5s'], timeouts: { client: '10s', connect: '1s', server: '5s' } }, {
          'frontend track': [
            `bind 127.0.0.1:${port}`,
            'http-request track-sc0 src table rl',
            'http-request track-sc1 req.hdr(host),lower table hosts',
            'http-request return status 200 content-type text/plain string "tracked\\n"',
          ],
          'frontend look': [
            `bind 127.0.0.1:${lookPort}`,
            'http-request deny deny_status 403 if { req.hdr(host),lower,table_http_req_cnt(hosts) gt 2 }',
            'http-request deny deny_status 429 if { src,table_http_req_rate(rl) gt 3 }',
            'http-response set-header x-rate %[src,table_http_req_rate(rl)]',
            'http-response set-header x-in %[src,in_table(rl)]',
            'http-response set-header x-host-cnt %[req.hdr(host),lower,table_http_req_cnt(hosts)]',
            'http-response set-header x-host %[req.hdr(host),lower,json]',
            'default_backend app',
          ],
          'backend app': [`server s 127.0.0.1:${app.port}`],
          'backend rl': ['stick-table type ip size 1k expire 30s store http_req_cnt,http_req_rate(10s)'],
          'backend hosts': ['stick-table type string len 64 size 1k expire 30s store http_req_cnt'],
        }),
    });
  }, 30_000);

  afterAll(async () => {
    await p?.stop();
  });

  it('before any tracking: the converters give 0 / false and create no entry', async () => {
    const r = await curl(lookPort, 'www.EXAMPLE.test');
    expect(r.status).toBe(200);
    expect(r.headers['x-rate']).toBe('0');
    expect(r.headers['x-in']).toBe('0');
    expect(r.headers['x-host-cnt']).toBe('0');
    expect(r.headers['x-host']).toBe('www.example.test');
    expect(await p.cli('show table rl')).toBe('# table: rl, type: ip, size:1024, used:0\n\n');
    expect(await p.cli('show table hosts')).toBe('# table: hosts, type: string, size:1024, used:0\n\n');
  });

  it('another frontend reads what `track` counted: x-rate follows, then 429 above 3, then 403 by host', async () => {
    for (let i = 0; i < 2; i++) expect((await curl(p.port, 'WWW.Example.TEST')).status).toBe(200);
    const r = await curl(lookPort, 'www.EXAMPLE.test');
    expect(r.status).toBe(200);
    expect(r.headers['x-rate']).toBe('2');
    expect(r.headers['x-in']).toBe('1');
    expect(r.headers['x-host-cnt']).toBe('2');

    for (let i = 0; i < 2; i++) expect((await curl(p.port, 'WWW.Example.TEST')).status).toBe(200);
    expect((await curl(lookPort, 'other.test')).status).toBe(429); // rate 4 > 3, keyed by src
    expect((await curl(lookPort, 'www.example.TEST')).status).toBe(403); // 4 requests for this host > 2

    // lookups only: the `look` requests neither counted nor created entries, and hold no reference
    const rl = await p.cli('show table rl');
    expect(rl).toMatch(/used:1\n0x[0-9a-f]+: key=127\.0\.0\.1 use=0 exp=\d+ shard=0 http_req_cnt=4 http_req_rate\(10000\)=4\n/);
    const hosts = await pollUntil(() => p.cli('show table hosts'), (o) => o.includes('use=0'), { timeoutMs: 5000 });
    expect(hosts).toMatch(/used:1\n0x[0-9a-f]+: key=www\.example\.test use=0 exp=\d+ shard=0 http_req_cnt=4\n/);
    expect(p.stderr()).not.toMatch(/BUG_ON|died|inconsistency/);
  });

  it('flightbox check reports a converter naming a table that does not exist, at its line', async () => {
    const cfg = join(p.dir, 'bad.cfg');
    writeFileSync(
      cfg,
      [
        'defaults',
        '    mode http',
        '    timeout client 5s',
        '    timeout connect 1s',
        '    timeout server 5s',
        'frontend f',
        '    bind 127.0.0.1:65000',
        '    http-request deny if { src,table_http_req_rate(nosuch) gt 3 }',
        '    http-request return status 200',
        '',
      ].join('\n'),
    );
    const r = await flightbox(['check', '-f', cfg]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(
      "bad.cfg:8] : unable to find table 'nosuch' referenced in arg 1 of conversion keyword 'table_http_req_rate' in frontend 'f'",
    );
  });
});
