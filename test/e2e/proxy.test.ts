/**
 * End to end: Flightbox as a reverse proxy in front of real node:http origins on 127.0.0.1, driven by
 * curl and raw sockets: routing (acl/use_backend/default_backend), balance with weights, streamed
 * bodies both ways, keep-alive and http-reuse, pipelining, retries, timeouts, 502/503, maxconn
 * with its queue, backup servers, and pools back at their baseline after every failure. Servers that
 * die or never answer and clients that vanish or crawl are in faults.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfig, startProxy, freePort, run, type Proxy, poolsUsed, expectPoolsAt, exchange, sleep } from './harness.ts';
import { httpOrigin, tcpOrigin, type Origin } from './origins.ts';

/** The origins here keep idle connections 10 s (node:http's default is 5 s). */
const keepAlive = (handler: (req: IncomingMessage, res: ServerResponse) => void) => httpOrigin(handler, { keepAliveTimeout: 10_000 });

/** An origin answering `<name> <method> <url>` and echoing a digest of the body it received. */
function named(name: string): Promise<Origin> {
  return keepAlive((req, res) => {
    const h = createHash('sha256');
    let n = 0;
    req.on('data', (d: Buffer) => {
      n += d.length;
      h.update(d);
    });
    req.on('end', () => {
      res.setHeader('x-te', String(req.headers['transfer-encoding'] ?? ''));
      res.end(`${name} ${req.method} ${req.url} ${n} ${h.digest('hex')}\n`);
    });
  });
}


describe('proxying to healthy origins', () => {
  let p: Proxy;
  let a: Origin, b: Origin, api: Origin, always: Origin, slowOrder: Origin, active: Origin, backup: Origin, backup2: Origin;

  beforeAll(async () => {
    [a, b, api, always, active, backup, backup2] = await Promise.all([
      named('a'),
      named('b'),
      named('api'),
      named('always'),
      named('active'),
      named('backup'),
      named('backup2'),
    ]);
    // Answers /1 last: responses must still leave in request order.
    slowOrder = await keepAlive((req, res) => {
      req.resume();
      const delay = req.url === '/order/1' ? 300 : req.url === '/order/2' ? 150 : 0;
      setTimeout(() => res.end(`resp${req.url}\n`), delay);
    });
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, {}, {
          'frontend web': [
            `bind 127.0.0.1:${port}`,
            'acl is_api path_beg /api',
            'acl is_always path_beg /always',
            'acl is_order path_beg /order',
            'acl is_backup path_beg /bk',
            'acl is_active path_beg /act',
            'use_backend be_api if is_api',
            'use_backend be_always if is_always',
            'use_backend be_order if is_order',
            'use_backend be_backup if is_backup',
            'use_backend be_active if is_active',
            'default_backend be_web',
          ],
          'backend be_web': ['balance roundrobin', `server a 127.0.0.1:${a.port} weight 2`, `server b 127.0.0.1:${b.port} weight 1`],
          'backend be_api': [`server api 127.0.0.1:${api.port}`],
          'backend be_always': ['http-reuse always', `server s 127.0.0.1:${always.port}`],
          'backend be_order': [`server s 127.0.0.1:${slowOrder.port}`],
          'backend be_backup': [`server main 127.0.0.1:${active.port} disabled`, `server bk 127.0.0.1:${backup.port} backup`],
          'backend be_active': [`server main 127.0.0.1:${active.port}`, `server bk 127.0.0.1:${backup2.port} backup`],
        }),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('balance roundrobin spreads requests by weight (2:1)', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await p.get('/x');
      expect(r.status).toBe(200);
      seen.push(r.body.split(' ')[0]);
    }
    expect(seen.filter((s) => s === 'a')).toHaveLength(4);
    expect(seen.filter((s) => s === 'b')).toHaveLength(2);
  });

  it('use_backend with an ACL condition wins over default_backend', async () => {
    const r1 = await p.get('/api/users');
    expect(r1.body).toMatch(/^api GET \/api\/users 0 /);
    const r2 = await p.get('/other');
    expect(r2.body).toMatch(/^[ab] GET \/other 0 /);
  });

  it('streams a large POST body with Content-Length and chunked, and a large response back', async () => {
    const body = randomBytes(3 << 20);
    const digest = createHash('sha256').update(body).digest('hex');
    const f = join(p.dir, 'body.bin');
    writeFileSync(f, body);
    const cl = await run('curl', ['-s', '-m', '10', '--data-binary', `@${f}`, `http://127.0.0.1:${p.port}/api/up`]);
    expect(cl.stdout.trim()).toBe(`api POST /api/up ${body.length} ${digest}`);
    const ch = await run('curl', ['-s', '-m', '10', '-D', '-', '-H', 'Transfer-Encoding: chunked', '--data-binary', `@${f}`, `http://127.0.0.1:${p.port}/api/up2`]);
    expect(ch.stdout).toContain(`api POST /api/up2 ${body.length} ${digest}`);
    expect(ch.stdout).toMatch(/^x-te: chunked\r$/m); // re-chunked towards the server
    // A response body larger than any buffer comes back intact (streamed, with backpressure).
    const big = await keepAlive((req, res) => {
      req.resume();
      res.setHeader('content-type', 'application/octet-stream');
      res.end(body);
    });
    const q = await startProxy({
      config: (dir, port) => buildConfig(dir, {}, { 'frontend web': [`bind 127.0.0.1:${port}`, 'default_backend be'], 'backend be': [`server s 127.0.0.1:${big.port}`] }),
    });
    try {
      const out = join(p.dir, 'out.bin');
      const r = await run('curl', ['-s', '-m', '10', '-o', out, '--limit-rate', '20M', '-w', '%{http_code} %{size_download}', `http://127.0.0.1:${q.port}/big`]);
      expect(r.stdout).toBe(`200 ${body.length}`);
      const sha = await run('sha256sum', [out]);
      expect(sha.stdout.split(' ')[0]).toBe(digest);
    } finally {
      await q.stop();
    }
  });

  it('keep-alive: one client connection reuses one server connection; safe reuse does not share a first request', async () => {
    const before = api.conns;
    const urls = ['/api/1', '/api/2', '/api/3'].map((u) => `http://127.0.0.1:${p.port}${u}`);
    const r = await run('curl', ['-s', '-m', '5', ...urls]);
    expect(r.stdout.match(/^api GET/gm)).toHaveLength(3);
    expect(api.conns - before).toBe(1);
    // A new client connection's first request does not take the idle connection (http-reuse safe).
    await p.get('/api/4');
    expect(api.conns - before).toBe(2);
  });

  it('http-reuse always shares idle server connections between client connections', async () => {
    const before = always.conns;
    for (let i = 0; i < 3; i++) expect((await p.get('/always')).status).toBe(200);
    expect(always.conns - before).toBe(1);
  });

  it('pipelined requests are answered in order', async () => {
    const reqs = [1, 2, 3].map((i) => `GET /order/${i} HTTP/1.1\r\nHost: x\r\n${i === 3 ? 'Connection: close\r\n' : ''}\r\n`);
    const out = (await exchange(p.port, reqs.join(''), 5000)).text;
    const bodies = [...out.matchAll(/resp(\/order\/\d)/g)].map((m) => m[1]);
    expect(bodies).toEqual(['/order/1', '/order/2', '/order/3']);
    expect(out.match(/HTTP\/1\.1 200/g)).toHaveLength(3);
  });

  it('a client that shuts its side after pipelining still gets every response, in order', async () => {
    const reqs = [1, 2].map((i) => `GET /order/${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    const out = await new Promise<string>((resolve) => {
      const s = connect(p.port, '127.0.0.1');
      let acc = '';
      s.on('data', (d) => (acc += d.toString('latin1')));
      s.on('close', () => resolve(acc));
      s.end(reqs);
    });
    expect([...out.matchAll(/resp(\/order\/\d)/g)].map((m) => m[1])).toEqual(['/order/1', '/order/2']);
  });

  it('a backup server is used only when the active server is unusable (disabled)', async () => {
    expect((await p.get('/bk')).body).toMatch(/^backup GET/);
    for (let i = 0; i < 3; i++) expect((await p.get('/act')).body).toMatch(/^active GET/);
    expect(backup2.conns).toBe(0);
  });

  it('server connections are listed by show conns with the stream as parent', async () => {
    // Idle connections from the tests above are still there (kept for reuse).
    const conns = await p.cli('show conns');
    expect(conns).toMatch(/kind=conn .*info=-> be_\w+\/\w+ 127\.0\.0\.1:\d+ be=be_\w+/);
    // Parked for reuse, they say so (show sess / show conns state=).
    expect(conns).toMatch(/kind=conn .*state=idle .*info=-> be_\w+\/\w+ /);
  });
});

describe('proxying to failing origins', () => {
  let p: Proxy;
  let baseline = 0;
  let refusedPort = 0;
  let halfHead: Origin, slow: Origin;

  beforeAll(async () => {
    refusedPort = await freePort(); // nothing listens there
    halfHead = await tcpOrigin((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Le')));
    slow = await keepAlive((req, res) => {
      req.resume();
      setTimeout(() => res.end('slow\n'), 600);
    });
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, {}, {
          'frontend web': [
            `bind 127.0.0.1:${port}`,
            'use_backend be_refused if { path_beg /refused }',
            'use_backend be_half if { path_beg /half }',
            'use_backend be_queue if { path_beg /queue }',
          ],
          'backend be_refused': ['retries 2', 'timeout connect 100ms', `server s 127.0.0.1:${refusedPort}`],
          'backend be_half': [`server s 127.0.0.1:${halfHead.port}`],
          'backend be_queue': ['timeout queue 200ms', 'option http-server-close', `server s 127.0.0.1:${slow.port} maxconn 1`],
        }),
    });
    baseline = await poolsUsed(p);
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('no backend for the request: HAProxy\'s 503', async () => {
    const r = await p.get('/nowhere');
    expect(r.status).toBe(503);
    expect(r.body).toContain('No server is available to handle this request.');
    await expectPoolsAt(p, baseline);
  });

  it('a server refusing connections: retries, then 503, recorded', async () => {
    const t0 = Date.now();
    const r = await p.get('/refused');
    expect(r.status).toBe(503);
    // 2 retries after the first attempt, each after HAProxy's turn-around of min(timeout connect, 1s).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
    // One server connection per attempt, each recorded in the lifecycle log (recently freed ones too).
    const conns = await p.cli('show conns all');
    expect(conns.match(/info=-> be_refused\/s 127\.0\.0\.1:\d+/g)).toHaveLength(3);
    // show stat counts the failed connection attempts (econ, column 14) on the server's row.
    const row = (await p.cli('show stat')).split('\n').find((l) => l.startsWith('be_refused,s,'));
    expect(row?.split(',')[13]).toBe('3');
    await expectPoolsAt(p, baseline);
  });

  it('a server that closes in the middle of the response head: 502', async () => {
    const r = await p.get('/half');
    expect(r.status).toBe(502);
    expect(r.body).toContain('The server returned an invalid or incomplete response.');
    await expectPoolsAt(p, baseline);
  });

  it('maxconn 1: a second concurrent request queues and gets 503 after timeout queue', async () => {
    let queuedFor = 0;
    const [r1, r2] = await Promise.all([
      p.get('/queue/1'),
      sleep(50).then(async () => {
        const t0 = Date.now();
        const r = await p.get('/queue/2');
        queuedFor = Date.now() - t0;
        return r;
      }),
    ]);
    expect(r1.status).toBe(200);
    expect(r2.status).toBe(503);
    expect(queuedFor).toBeGreaterThanOrEqual(180); // waited for timeout queue (200ms), not refused at once
    await expectPoolsAt(p, baseline);
  });
});
