/**
 * End to end: `show stat` counters of Flightbox in front of real node:http origins on 127.0.0.1,
 * driven by curl and raw sockets. Bytes are checked exactly against what curl sent and received
 * (frontend, backend) and what the origin's sockets read and wrote (server); responses, requests,
 * denials, request errors, connection errors, retries, redispatches, queues, aborts, rates and times
 * against the traffic each test sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Server, type Socket } from 'node:net';
import { buildConfig, exchange, freePort, pollUntil, run, showStat, sleep, startProxy, type Proxy } from './harness.ts';
import { listen, tcpOrigin, type Origin } from './origins.ts';

/** An origin that counts the bytes its sockets read and wrote (open and closed ones). */
interface Counting extends Origin {
  bytesRead(): number;
  bytesWritten(): number;
}

async function counting(srv: Server): Promise<Counting> {
  let closedRead = 0;
  let closedWritten = 0;
  const o = await listen(srv, {
    onConnection: (s) =>
      s.on('close', () => {
        closedRead += s.bytesRead;
        closedWritten += s.bytesWritten;
      }),
  });
  const sum = (f: (s: Socket) => number) => [...o.sockets].reduce((n, s) => n + f(s), 0);
  return Object.assign(o, {
    bytesRead: () => closedRead + sum((s) => s.bytesRead),
    bytesWritten: () => closedWritten + sum((s) => s.bytesWritten),
  });
}

/**
 * The test origin: `/ok` answers 200 with what it read, `/missing` 404, `/boom` 500, `/slow` and
 * `/timing` 200 after 200 ms, `/queue` 200 after 400 ms.
 */
function app(): Promise<Counting> {
  return counting(
    createHttpServer({ keepAliveTimeout: 10_000 }, (req: IncomingMessage, res: ServerResponse) => {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => {
        const url = req.url ?? '';
        const delay = url.startsWith('/queue') ? 400 : url.startsWith('/slow') || url.startsWith('/timing') ? 200 : 0;
        setTimeout(() => {
          if (res.destroyed) return;
          res.statusCode = url.startsWith('/missing') ? 404 : url.startsWith('/boom') ? 500 : 200;
          res.end(`${req.method} ${url} ${n}\n`);
        }, delay);
      });
    }),
  );
}

/** Numeric columns of one row. */
function num(row: Record<string, string> | undefined, ...cols: string[]): number[] {
  if (!row) throw new Error('no such show stat row');
  return cols.map((c) => Number(row[c]));
}

/** Polls show stat until `ok(rows)` holds (counters of closing connections land asynchronously). */
function statUntil(p: Proxy, ok: (r: Record<string, Record<string, string>>) => boolean): Promise<Record<string, Record<string, string>>> {
  return pollUntil(() => showStat(p), ok, { tries: 61, everyMs: 50 });
}

/**
 * GETs one URL with curl; returns its status and the bytes curl sent (the request head: there is
 * no body) and received (response head and body).
 */
async function curl(port: number, path: string): Promise<{ status: number; sent: number; received: number; code: number }> {
  const r = await run('curl', ['-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code} %{size_request} %{size_header} %{size_download}', `http://127.0.0.1:${port}${path}`]);
  const [status, req, hdr, down] = r.stdout.trim().split(' ').map(Number);
  return { status: status!, sent: req!, received: hdr! + down!, code: r.code };
}

/** Sends `data` on a raw connection and reads until the proxy closes: the status and both byte counts. */
async function raw(port: number, data: string): Promise<{ status: number; sent: number; received: number }> {
  const { text } = await exchange(port, data);
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), sent: Buffer.byteLength(data), received: text.length };
}

describe('show stat counts the traffic', () => {
  let p: Proxy;
  let origin: Counting;
  let dies: Origin;
  let refusedPort = 0;

  beforeAll(async () => {
    origin = await app();
    refusedPort = await freePort(); // nothing listens there
    dies = await tcpOrigin((s) =>
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789');
        setTimeout(() => s.destroy(), 50);
      }),
    );
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, {}, {
          'frontend web': [
            `bind 127.0.0.1:${port}`,
            'http-request deny if { path_beg /deny }',
            'http-request redirect location /ok code 302 if { path_beg /moved }',
            'use_backend be_refused if { path_beg /refused }',
            'use_backend be_redisp if { path_beg /redisp }',
            'use_backend be_queue if { path_beg /queue }',
            'use_backend be_dies if { path_beg /dies }',
            'use_backend be_timing if { path_beg /timing }',
            'default_backend be_app',
          ],
          'backend be_app': [`server app 127.0.0.1:${origin.port}`],
          'backend be_refused': ['retries 2', 'timeout connect 100ms', `server s 127.0.0.1:${refusedPort}`],
          'backend be_redisp': [
            'balance roundrobin',
            'option redispatch',
            'retries 1',
            'timeout connect 100ms',
            `server bad 127.0.0.1:${refusedPort}`,
            `server good 127.0.0.1:${origin.port}`,
          ],
          'backend be_queue': ['timeout queue 5s', 'option http-server-close', `server slow 127.0.0.1:${origin.port} maxconn 1`],
          'backend be_dies': [`server d 127.0.0.1:${dies.port}`],
          'backend be_timing': [`server t 127.0.0.1:${origin.port}`, `server spare 127.0.0.1:${origin.port} backup`],
        }),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('bin/bout are exactly the bytes exchanged with the client (frontend, backend) and with the server', async () => {
    const post = `POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n${'x'.repeat(1000)}`;
    const results = [await curl(p.port, '/ok'), await raw(p.port, post), await curl(p.port, '/missing'), await curl(p.port, '/boom')];
    expect(results.map((r) => r.status)).toEqual([200, 200, 404, 500]);
    const sent = results.reduce((n, r) => n + r.sent, 0);
    const received = results.reduce((n, r) => n + r.received, 0);
    const r = await statUntil(p, (x) => x['web/FRONTEND']?.scur === '0');
    expect(num(r['web/FRONTEND'], 'bin', 'bout')).toEqual([sent, received]);
    expect(num(r['be_app/BACKEND'], 'bin', 'bout')).toEqual([sent, received]);
    expect(num(r['be_app/app'], 'bin', 'bout')).toEqual([origin.bytesRead(), origin.bytesWritten()]);
    // HTTP responses and requests, per frontend, backend and server
    const h = ['hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other'];
    expect(num(r['web/FRONTEND'], ...h, 'req_tot', 'stot', 'conn_tot', 'ereq', 'dreq')).toEqual([0, 2, 0, 1, 1, 0, 4, 4, 4, 0, 0]);
    expect(num(r['be_app/BACKEND'], ...h, 'req_tot')).toEqual([0, 2, 0, 1, 1, 0, 4]);
    expect(num(r['be_app/app'], ...h, 'eresp', 'connect')).toEqual([0, 2, 0, 1, 1, 0, 0, 4]);
    expect(Number(r['web/FRONTEND']!.smax)).toBeGreaterThanOrEqual(1);
    // show info carries the same request total
    expect(await p.cli('show info')).toMatch(/^CumReq: 4$/m);
  });

  it('counts denied requests, redirects (intercepted) and invalid requests on the frontend only', async () => {
    const before = await showStat(p);
    expect((await curl(p.port, '/deny')).status).toBe(403);
    expect((await curl(p.port, '/moved')).status).toBe(302);
    const bad = (await exchange(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n')).text;
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    const r = await statUntil(p, (x) => x['web/FRONTEND']?.scur === '0');
    const d = (row: string, col: string) => Number(r[row]![col]) - Number(before[row]![col]);
    expect([d('web/FRONTEND', 'dreq'), d('web/FRONTEND', 'intercepted'), d('web/FRONTEND', 'ereq')]).toEqual([1, 1, 1]);
    expect([d('web/FRONTEND', 'hrsp_3xx'), d('web/FRONTEND', 'hrsp_4xx'), d('web/FRONTEND', 'req_tot')]).toEqual([1, 2, 2]);
    expect([d('be_app/BACKEND', 'req_tot'), d('be_app/BACKEND', 'hrsp_4xx'), d('be_app/BACKEND', 'bin')]).toEqual([0, 0, 0]);
  });

  it('a refusing server: econ per attempt, wretr per retry, a 503 on the backend', async () => {
    expect((await curl(p.port, '/refused')).status).toBe(503);
    const r = await showStat(p);
    expect(num(r['be_refused/s'], 'econ', 'wretr', 'wredis', 'connect', 'hrsp_5xx')).toEqual([3, 2, 0, 3, 0]);
    expect(num(r['be_refused/BACKEND'], 'econ', 'wretr', 'wredis', 'hrsp_5xx', 'req_tot', 'eresp')).toEqual([3, 2, 0, 1, 1, 0]);
  });

  it('option redispatch: the refusing server counts the redispatches away from it', async () => {
    for (let i = 0; i < 2; i++) expect((await curl(p.port, '/redisp')).status).toBe(200);
    const r = await showStat(p);
    const [econ, wredis, wretr] = num(r['be_redisp/bad'], 'econ', 'wredis', 'wretr');
    expect(econ).toBeGreaterThanOrEqual(1);
    expect([wredis, wretr]).toEqual([econ, 0]);
    expect(num(r['be_redisp/BACKEND'], 'wredis', 'wretr', 'econ', 'hrsp_2xx')).toEqual([econ, 0, econ, 2]);
    expect(num(r['be_redisp/good'], 'hrsp_2xx')).toEqual([2]);
  });

  it('maxconn 1: concurrent requests wait in the backend queue (qcur, qmax, qtime)', async () => {
    const pending = [1, 2, 3].map((i) => curl(p.port, `/queue/${i}`));
    const during = await statUntil(p, (x) => x['be_queue/BACKEND']?.qcur === '2');
    expect(num(during['be_queue/BACKEND'], 'qcur', 'qmax')).toEqual([2, 2]);
    expect(num(during['be_queue/slow'], 'qcur', 'scur')).toEqual([0, 1]); // queued for the backend, not this server
    expect((await Promise.all(pending)).map((x) => x.status)).toEqual([200, 200, 200]);
    const r = await showStat(p);
    expect(num(r['be_queue/BACKEND'], 'qcur', 'qmax', 'req_tot')).toEqual([0, 2, 3]);
    const [qtime, qmax] = num(r['be_queue/BACKEND'], 'qtime', 'qtime_max');
    expect(qmax).toBeGreaterThanOrEqual(300); // the last one waited for at least one 400 ms answer
    expect(qtime).toBeGreaterThan(0);
    expect(qtime).toBeLessThanOrEqual(qmax!);
  });

  it('a client that leaves before the response is a client abort of the backend and the server', async () => {
    const before = await showStat(p);
    const s = connect(p.port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    s.write('GET /slow/abort HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(80);
    s.resetAndDestroy(); // a reset: the client is gone (a FIN alone still gets its response)
    const r = await statUntil(p, (x) => x['be_app/BACKEND']?.cli_abrt !== before['be_app/BACKEND']!.cli_abrt);
    const d = (row: string, col: string) => Number(r[row]![col]) - Number(before[row]![col]);
    expect([d('be_app/BACKEND', 'cli_abrt'), d('be_app/app', 'cli_abrt'), d('be_app/BACKEND', 'srv_abrt')]).toEqual([1, 1, 0]);
    expect(d('be_app/BACKEND', 'req_tot')).toBe(0); // never answered
  });

  it('a server dying mid-body is a server abort and a response error', async () => {
    const c = await curl(p.port, '/dies');
    expect(c.code).toBe(18); // curl: partial file
    const r = await showStat(p);
    expect(num(r['be_dies/d'], 'srv_abrt', 'eresp', 'hrsp_2xx', 'cli_abrt')).toEqual([1, 1, 1, 0]);
    expect(num(r['be_dies/BACKEND'], 'srv_abrt', 'eresp', 'hrsp_2xx')).toEqual([1, 1, 1]);
  });

  it('times: rtime covers the origin delay, ttime the whole stream; rates and lastsess', async () => {
    for (let i = 0; i < 2; i++) expect((await curl(p.port, '/timing')).status).toBe(200);
    const r = await showStat(p);
    const [qtime, ctime, rtime, ttime] = num(r['be_timing/t'], 'qtime', 'ctime', 'rtime', 'ttime');
    expect(rtime).toBeGreaterThanOrEqual(195); // the origin waits 200 ms
    expect(rtime).toBeLessThan(1000);
    expect(ttime).toBeGreaterThanOrEqual(rtime!);
    expect(ctime).toBeLessThan(100);
    expect(qtime).toBeLessThanOrEqual(5);
    expect(Number(r['be_timing/t']!.rtime_max)).toBeGreaterThanOrEqual(rtime!);
    expect(num(r['be_timing/BACKEND'], 'rtime')[0]).toBeGreaterThanOrEqual(195);
    // last session: just now for the used server, never for the spare one
    expect(Number(r['be_timing/t']!.lastsess)).toBeLessThanOrEqual(1);
    expect(r['be_timing/spare']!.lastsess).toBe('-1');
    expect(Number(r['be_timing/BACKEND']!.lastsess)).toBeLessThanOrEqual(1);
    // rates: the requests of this file came in well under a second apart
    const fe = r['web/FRONTEND']!;
    for (const c of ['req_rate_max', 'rate_max', 'conn_rate_max']) expect(Number(fe[c])).toBeGreaterThanOrEqual(1);
    expect(Number(fe.rate_max)).toBe(Number(fe.conn_rate_max));
    expect(Number(r['be_timing/t']!.rate_max)).toBeGreaterThanOrEqual(1);
  });
});
