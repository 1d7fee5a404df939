/**
 * End to end: one behavioural test for each keyword of issue 3 that no other e2e file exercises,
 * through `flightbox run` with real clients (curl, raw sockets) in front of real origins started
 * here (node:http servers answering their own name, raw TCP servers, a listener that never accepts).
 *
 * Expected behaviour is HAProxy's: the configuration manual (sections cited per test) and, where the
 * manual leaves room, what HAProxy 2.6 (Debian 12) does with the same configuration and requests;
 * the server choices of `balance source` and `balance uri` below are HAProxy 2.6's for the same
 * servers, weights and inputs. Error pages are HAProxy's default ones (src/http.c http_err_msgs[]).
 *
 * Three proxies: routing (ACL fetches, use_backend unless, listen, balance algorithms, per-server
 * queue), connections (timeouts, http-server-close, http-reuse never, error pages, health check
 * inter/rise/fall), and allocation failures (500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { buildConfig, exchange, freePort, run, showStat, sleep, startProxy, trackChild, waitFor, type Preamble, type Proxy } from './harness.ts';
import { httpOrigin, tcpOrigin, type Origin as Listening } from './origins.ts';

/** A request an origin received. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/**
 * An origin that answers `<name> <method> <url>\n`, counts its TCP connections and keeps what it
 * received. A request whose path contains `/hold` is kept unanswered until `release()`. `/health`
 * answers `healthStatus` (for health checks) and is not recorded in `seen`.
 */
interface Origin {
  name: string;
  port: number;
  conns: number;
  seen: Seen[];
  held: ServerResponse[];
  healthStatus: number;
  healthHits: number;
  release(): void;
}

async function named(name: string): Promise<Origin> {
  let l: Listening | undefined;
  const o: Origin = {
    name,
    port: 0,
    get conns() {
      return l?.conns ?? 0;
    },
    seen: [],
    held: [],
    healthStatus: 200,
    healthHits: 0,
    release() {
      for (const res of o.held.splice(0)) res.end(`${name} held\n`);
    },
  };
  l = await httpOrigin((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '';
      if (url === '/health') {
        o.healthHits++;
        res.statusCode = o.healthStatus;
        res.end();
        return;
      }
      o.seen.push({ method: req.method ?? '', url, headers: req.headers });
      if (url.includes('/hold')) {
        o.held.push(res);
        return;
      }
      res.end(`${name} ${req.method} ${url}\n`);
    });
  }, { keepAliveTimeout: 10_000 });
  o.port = l.port;
  return o;
}

/** A response as curl saw it. */
interface Got {
  status: number;
  head: string;
  body: string;
  /** The answering origin (first word of the body). */
  who: string;
}

/** curl one URL (head included, so `head` and `body` are split here). */
async function curl(url: string, extra: string[] = []): Promise<Got> {
  const r = await run('curl', ['-s', '-i', '-m', '8', ...extra, url]);
  const i = r.stdout.indexOf('\r\n\r\n');
  const head = i < 0 ? r.stdout : r.stdout.slice(0, i);
  const body = i < 0 ? '' : r.stdout.slice(i + 4);
  return { status: Number(/^HTTP\/1\.[01] (\d+)/.exec(head)?.[1] ?? 0), head, body, who: body.split(' ')[0] ?? '' };
}

/** Sends raw bytes on a new connection; resolves with what came back and when the proxy closed (8 s at most). */
const raw = (port: number, data: string, ms = 8000) => exchange(port, data, ms);

/** HAProxy's default error pages: reason phrase and sentence of src/http.c http_err_msgs[]. */
const HAPROXY_ERRORS: Record<number, [string, string]> = {
  400: ['Bad request', 'Your browser sent an invalid request.'],
  408: ['Request Time-out', "Your browser didn't send a complete request in time."],
  500: ['Internal Server Error', 'An internal server error occurred.'],
  502: ['Bad Gateway', 'The server returned an invalid or incomplete response.'],
  503: ['Service Unavailable', 'No server is available to handle this request.'],
  504: ['Gateway Time-out', "The server didn't respond in time."],
};

/**
 * Checks that `response` (a whole raw HTTP/1.1 response) is HAProxy's default error page for
 * `status`: status line, body byte for byte, and its content-length, cache-control and
 * content-type headers (names compared case-insensitively: HAProxy 2.6 sends the page of a mux-level
 * error as stored, and a stream-level one in lower case).
 */
function expectHaproxyError(response: string, status: number): void {
  const [reason, text] = HAPROXY_ERRORS[status]!;
  const body = `<html><body><h1>${status} ${reason}</h1>\n${text}\n</body></html>\n`;
  const i = response.indexOf('\r\n\r\n');
  expect(i).toBeGreaterThan(0);
  const lines = response.slice(0, i).split('\r\n');
  expect(lines[0]).toBe(`HTTP/1.1 ${status} ${reason}`);
  const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  expect(headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
  expect(headers.get('cache-control')).toBe('no-cache');
  expect(headers.get('content-type')).toBe('text/html');
  expect(response.slice(i + 4)).toBe(body);
}

/** Polls every 20 ms until `ok()` holds (or throws after 5 s, naming `what`). */
const until = (what: string, ok: () => boolean | Promise<boolean>) => waitFor(ok, { timeoutMs: 5000, everyMs: 20, what });

/** One worker: one balancer, so server choices are deterministic. */
const PREAMBLE: Preamble = { nbthread: 1, timeouts: { client: '5s', connect: '1s', server: '5s' } };

describe('routing: ACL fetches, use_backend unless, listen, balance algorithms, server queues', () => {
  let p: Proxy;
  let portB = 0; // a second bind of the frontend, for dst_port
  let portL = 0; // the listen section
  const o: Record<string, Origin> = {};
  const names = [
    'dflt', 'end', 'reg', 'hdr', 'hbeg', 'hend', 'hsub', 'src', 'port', 'v10', 'unless', 'li',
    'lc1', 'lc2', 'f1', 'f2', 'f3', 's1', 's2', 's3', 'q1', 'q2',
  ];

  beforeAll(async () => {
    const all = await Promise.all(names.map((n) => named(n)));
    for (const x of all) o[x.name] = x;
    portB = await freePort();
    portL = await freePort();
    const srv = (n: string, extra = '') => `server ${n} 127.0.0.1:${o[n]!.port}${extra}`;
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, PREAMBLE, {
          'frontend web': [
            `bind 127.0.0.1:${port}`,
            `bind 127.0.0.1:${portB}`,
            'acl a_end path_end .jpg',
            'acl a_reg path_reg ^/reg/[0-9]+$',
            'acl a_hdr hdr(x-tenant) acme',
            'acl a_hbeg hdr_beg(host) api.',
            'acl a_hend hdr_end(host) .internal',
            'acl a_hsub hdr_sub(user-agent) bot',
            'acl a_src src 127.0.0.2/32 10.0.0.0/8',
            `acl a_port dst_port ${portB}`,
            'acl a_v10 req.ver 1.0',
            'acl is_unl path_beg /unl',
            // Path-routed balance backends first: their requests come from several source addresses.
            'use_backend be_lc if { path_beg /lc }',
            'use_backend be_first if { path_beg /first }',
            'use_backend be_source if { path_beg /source }',
            'use_backend be_uri if { path_beg /uri }',
            'use_backend be_sq if { path_beg /sq }',
            'use_backend be_end if a_end',
            'use_backend be_reg if a_reg',
            'use_backend be_hdr if a_hdr',
            'use_backend be_hbeg if a_hbeg',
            'use_backend be_hend if a_hend',
            'use_backend be_hsub if a_hsub',
            'use_backend be_src if a_src',
            'use_backend be_port if a_port',
            'use_backend be_v10 if a_v10',
            // not (not /unl or x-skip: 1) = /unl and no x-skip: 1
            'use_backend be_unless unless !is_unl || { hdr(x-skip) 1 }',
            'default_backend be_dflt',
          ],
          ...Object.fromEntries(['dflt', 'end', 'reg', 'hdr', 'hbeg', 'hend', 'hsub', 'src', 'port', 'v10', 'unless'].map((n) => [`backend be_${n}`, [srv(n)]])),
          'backend be_lc': ['balance leastconn', srv('lc1'), srv('lc2')],
          'backend be_first': ['balance first', srv('f1', ' maxconn 1'), srv('f2', ' maxconn 1'), srv('f3', ' maxconn 1')],
          'backend be_source': ['balance source', srv('s1'), srv('s2'), srv('s3')],
          'backend be_uri': ['balance uri', srv('s1'), srv('s2'), srv('s3')],
          'backend be_sq': ['balance uri', 'timeout queue 800ms', srv('q1', ' maxconn 1'), srv('q2', ' maxconn 1')],
          'listen li': [`bind 127.0.0.1:${portL}`, srv('li')],
        }),
    });
  }, 30_000);
  afterAll(async () => {
    await p?.stop();
  });

  const url = (path: string, port = p.port) => `http://127.0.0.1:${port}${path}`;
  const who = async (path: string, extra: string[] = [], port = p.port) => (await curl(url(path, port), extra)).who;

  it('acl path_end and path_reg (manual 7.3.6)', async () => {
    expect(await who('/img/cat.jpg')).toBe('end');
    expect(await who('/img/cat.jpg.html')).toBe('dflt');
    expect(await who('/reg/123')).toBe('reg');
    expect(await who('/reg/12a')).toBe('dflt');
    expect(await who('/x/reg/123')).toBe('dflt'); // anchored regex
  });

  it('acl hdr(<name>) matches any comma-separated value exactly; hdr_beg, hdr_end, hdr_sub (7.3.6)', async () => {
    expect(await who('/x', ['-H', 'X-Tenant: acme'])).toBe('hdr');
    expect(await who('/x', ['-H', 'X-Tenant: other, acme'])).toBe('hdr');
    expect(await who('/x', ['-H', 'X-Tenant: acmeco'])).toBe('dflt');
    expect(await who('/x', ['-H', 'Host: api.example.com'])).toBe('hbeg');
    expect(await who('/x', ['-H', 'Host: www.api.example.com'])).toBe('dflt');
    expect(await who('/x', ['-H', 'Host: db.internal'])).toBe('hend');
    expect(await who('/x', ['-H', 'Host: db.internal.example'])).toBe('dflt');
    expect(await who('/x', ['-A', 'Mozilla/5.0 (compatible; Googlebot/2.1)'])).toBe('hsub');
    expect(await who('/x', ['-A', 'CRAWLER-BOT/1.0'])).toBe('dflt'); // case-sensitive without -i
    expect(await who('/x', ['-A', 'curl/8'])).toBe('dflt');
  });

  it('acl src with addresses and networks (7.3.3): a client bound to 127.0.0.2 matches, 127.0.0.1 does not', async () => {
    expect(await who('/x', ['--interface', '127.0.0.2'])).toBe('src');
    expect(await who('/x', ['--interface', '127.0.0.3'])).toBe('dflt');
    expect(await who('/x')).toBe('dflt');
  });

  it('acl dst_port (7.3.3): the same frontend answers differently on its second bind', async () => {
    expect(await who('/x', [], portB)).toBe('port');
    expect(await who('/x')).toBe('dflt');
  });

  it('acl req.ver (7.3.6): an HTTP/1.0 request matches "1.0", an HTTP/1.1 one does not', async () => {
    expect(await who('/x', ['--http1.0'])).toBe('v10');
    expect(await who('/x', ['--http1.1'])).toBe('dflt');
  });

  it('use_backend ... unless <cond> (4.2 use_backend, 7.2): the backend is used when the condition is false', async () => {
    expect(await who('/unl/a')).toBe('unless');
    expect(await who('/unl/a', ['-H', 'X-Skip: 1'])).toBe('dflt');
    expect(await who('/other')).toBe('dflt');
  });

  it('a listen section is a frontend and a backend in one (4)', async () => {
    const r = await curl(url('/via-listen', portL));
    expect(r.status).toBe(200);
    expect(r.body).toBe('li GET /via-listen\n');
  });

  it('balance leastconn (4.2 balance): while one server holds a request, new ones go to the other', async () => {
    const hold = curl(url('/lc/hold'));
    await until('the held request', () => o.lc1!.held.length + o.lc2!.held.length === 1);
    const busy = o.lc1!.held.length === 1 ? 'lc1' : 'lc2';
    const idle = busy === 'lc1' ? 'lc2' : 'lc1';
    // Round robin would send one of these three to the busy server.
    for (let i = 0; i < 3; i++) expect(await who(`/lc/${i}`)).toBe(idle);
    o[busy]!.release();
    expect((await hold).who).toBe(busy);
  });

  it('balance first (4.2 balance): the first server with a free slot, in declaration order', async () => {
    for (let i = 0; i < 3; i++) expect(await who(`/first/${i}`)).toBe('f1');
    const h1 = curl(url('/first/hold/1'));
    await until('f1 busy', () => o.f1!.held.length === 1);
    expect(await who('/first/a')).toBe('f2');
    const h2 = curl(url('/first/hold/2'));
    await until('f2 busy', () => o.f2!.held.length === 1);
    expect(await who('/first/b')).toBe('f3');
    o.f1!.release();
    expect((await h1).who).toBe('f1');
    expect(await who('/first/c')).toBe('f1');
    o.f2!.release();
    expect((await h2).who).toBe('f2');
  });

  it("balance source (4.2 balance): the client address picks the server, as HAProxy's map-based hash does", async () => {
    // HAProxy 2.6 with the same three servers (weight 1), for clients 127.0.0.1 .. 127.0.0.8.
    const haproxy = ['s3', 's1', 's2', 's3', 's1', 's2', 's3', 's1'];
    const got: string[] = [];
    for (let i = 1; i <= 8; i++) got.push(await who('/source/x', ['--interface', `127.0.0.${i}`]));
    expect(got).toEqual(haproxy);
    // Affinity: the same client keeps its server.
    for (let i = 0; i < 3; i++) expect(await who(`/source/${i}`, ['--interface', '127.0.0.5'])).toBe('s1');
  });

  it("balance uri (4.2 balance): the path (not the query) picks the server, as HAProxy's map-based hash does", async () => {
    // HAProxy 2.6 with the same three servers (weight 1).
    const expected: [string, string][] = [
      ['/uri/a', 's1'], ['/uri/b', 's2'], ['/uri/c', 's3'], ['/uri/d', 's1'], ['/uri/e', 's2'],
      ['/uri/f', 's3'], ['/uri/g', 's1'], ['/uri/h', 's2'], ['/uri/a?x=1', 's1'], ['/uri/a?y=2', 's1'],
    ];
    const got: [string, string][] = [];
    for (const [u] of expected) got.push([u, await who(u)]);
    expect(got).toEqual(expected);
  });

  it('a hash-designated server at its maxconn queues the request in its own queue (not the backend one), then timeout queue gives 503', async () => {
    const first = curl(url('/sq/hold'));
    await until('the held request', () => o.q1!.held.length + o.q2!.held.length === 1);
    const busy = o.q1!.held.length === 1 ? 'q1' : 'q2';
    const idle = busy === 'q1' ? 'q2' : 'q1';
    // Same URI, same server: it waits for that server although the other one is idle.
    const t0 = Date.now();
    const queued = run('curl', ['-s', '-m', '8', '-i', url('/sq/hold')]);
    let rows: Record<string, Record<string, string>> = {};
    await until('the request queued on the server', async () => (rows = await showStat(p))[`be_sq/${busy}`]?.qcur === '1');
    expect(rows[`be_sq/${idle}`]).toMatchObject({ qcur: '0', scur: '0' });
    expect(rows['be_sq/BACKEND']!.qcur).toBe('0');
    const r = await queued;
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(750); // timeout queue 800ms
    expect(took).toBeLessThan(4000);
    expectHaproxyError(r.stdout, 503);
    expect(o[idle]!.seen).toHaveLength(0);
    // Queued again; this time the slot frees in time and the same server serves it.
    const second = curl(url('/sq/hold'));
    await until('queued again', async () => (await showStat(p))[`be_sq/${busy}`]?.qcur === '1');
    o[busy]!.release(); // answers the first request; the queued one takes the slot
    expect((await first).who).toBe(busy);
    await until('the queued request reached the server', () => o[busy]!.held.length === 1);
    o[busy]!.release();
    expect((await second).who).toBe(busy);
    expect(o[idle]!.seen).toHaveLength(0);
  });
});

/**
 * A TCP listener whose accept queue is full and never drained: a child Node process listens with a
 * backlog of 1 and then blocks its event loop, and four client connections fill the queue. A further
 * SYN is dropped by the kernel, so a connect() to it hangs: what `timeout connect` is for.
 */
async function unacceptingListener(): Promise<{ port: number; close(): void }> {
  const script =
    "const s=require('net').createServer();" +
    "s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);" +
    'setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,60000),50)})';
  const child = trackChild(spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (c) => reject(new Error(`listener exited ${c}`)));
  });
  await sleep(150); // its event loop is blocked now: nothing is accepted any more
  const fillers = [1, 2, 3, 4].map(() => connect(port, '127.0.0.1').on('error', () => {}));
  await sleep(100);
  return {
    port,
    close() {
      for (const f of fillers) f.destroy();
      child.kill('SIGKILL');
    },
  };
}

describe('connections: timeouts, http-server-close, http-reuse never, error pages, health checks', () => {
  let p: Proxy;
  let portKa = 0; // frontend with timeout http-keep-alive / http-request
  let closeO: Origin, neverO: Origin, chk: Origin, plain: Origin;
  let bad: Listening, silent: Listening;
  let stuck: { port: number; close(): void };

  beforeAll(async () => {
    [closeO, neverO, chk, plain] = await Promise.all([named('close'), named('never'), named('chk'), named('plain')]);
    bad = await tcpOrigin((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Le')));
    silent = await tcpOrigin((s) => s.on('data', () => {}));
    stuck = await unacceptingListener();
    portKa = await freePort();
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, PREAMBLE, {
          'frontend web': [
            `bind 127.0.0.1:${port}`,
            'timeout client 600ms', // no timeout http-request / http-keep-alive: client applies
            'use_backend be_stuck if { path_beg /stuck }',
            'use_backend be_close if { path_beg /close }',
            'use_backend be_never if { path_beg /never }',
            'use_backend be_bad if { path_beg /bad }',
            'use_backend be_silent if { path_beg /silent }',
            'use_backend be_empty if { path_beg /empty }',
            'use_backend be_chk if { path_beg /chk }',
            'default_backend be_plain',
          ],
          'frontend ka': [
            `bind 127.0.0.1:${portKa}`,
            'timeout client 5s',
            'timeout http-request 1s',
            'timeout http-keep-alive 300ms',
            'default_backend be_plain',
          ],
          'backend be_plain': [`server s 127.0.0.1:${plain.port}`],
          'backend be_stuck': ['retries 0', 'timeout connect 300ms', `server s 127.0.0.1:${stuck.port}`],
          'backend be_close': ['option http-server-close', `server s 127.0.0.1:${closeO.port}`],
          'backend be_never': ['http-reuse never', `server s 127.0.0.1:${neverO.port}`],
          'backend be_bad': [`server s 127.0.0.1:${bad.port}`],
          'backend be_silent': ['timeout server 300ms', `server s 127.0.0.1:${silent.port}`],
          'backend be_empty': [],
          'backend be_chk': [
            'option httpchk GET /health',
            'http-check expect status 200',
            'timeout check 500ms',
            `server c1 127.0.0.1:${chk.port} check inter 200 rise 2 fall 3`,
          ],
        }),
    });
  }, 30_000);
  afterAll(async () => {
    await p?.stop();
    stuck?.close();
  });

  it('timeout connect (4.2): a server that never completes the handshake gives 503 after it, with retries 0', async () => {
    const r = await raw(p.port, 'GET /stuck HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expectHaproxyError(r.text, 503);
    expect(r.tookMs).toBeGreaterThanOrEqual(270);
    expect(r.tookMs).toBeLessThan(3000); // well under timeout server (5s)
  });

  it("timeout client (4.2) without timeout http-request: a request head that stops coming gets HAProxy's 408 after it", async () => {
    const r = await raw(p.port, 'GET /partial HTTP/1.1\r\nHost: x\r\n');
    expectHaproxyError(r.text, 408);
    expect(r.tookMs).toBeGreaterThanOrEqual(550);
    expect(r.tookMs).toBeLessThan(3000);
  });

  it('timeout http-keep-alive (4.2): an idle connection after a response is closed silently after it, well before timeout http-request', async () => {
    const c = connect(portKa, '127.0.0.1');
    let got = '';
    c.on('data', (d) => (got += d.toString('latin1')));
    c.on('error', () => {});
    const closedAt = new Promise<number>((r) => c.once('close', () => r(Date.now())));
    c.write('GET /ka HTTP/1.1\r\nHost: x\r\n\r\n');
    await until('the response', () => got.endsWith('plain GET /ka\n'));
    const answeredAt = Date.now();
    const took = (await closedAt) - answeredAt;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(900); // timeout http-request is 1s, timeout client 5s
    expect(got).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(got.match(/HTTP\/1\.1/g)).toHaveLength(1); // no 408 after the response
  });

  it("an idle new connection gets HAProxy's 408 at timeout http-request, not at timeout http-keep-alive (4.2)", async () => {
    // Manual 4.2: `timeout http-keep-alive` is how long to wait for a new request "after a response
    // was sent", and when it expires "no error is returned, the connection just closes";
    // `timeout http-request` "helps protecting against established connections on which nothing is
    // sent" and answers 408. HAProxy 2.6 answers this connection 408 after 1 s (and after 2 s with
    // `timeout http-request 2s`), whatever `timeout http-keep-alive` says.
    const r = await raw(portKa, '');
    expectHaproxyError(r.text, 408);
    expect(r.tookMs).toBeGreaterThanOrEqual(900);
    expect(r.tookMs).toBeLessThan(2500);
  });

  it('option http-server-close (4.2): the server connection closes after each response, the client one stays', async () => {
    const before = closeO.conns;
    const base = `http://127.0.0.1:${p.port}`;
    const r = await run('curl', ['-s', '-o', '/dev/null', '-o', '/dev/null', '-w', '%{http_code} %{num_connects}\\n', `${base}/close/1`, `${base}/close/2`]);
    expect(r.stdout).toBe('200 1\n200 0\n'); // one client connection for both
    expect(closeO.conns - before).toBe(2); // one server connection per request
    expect(closeO.seen.slice(-2).map((s) => [s.url, s.headers.connection])).toEqual([
      ['/close/1', 'close'],
      ['/close/2', 'close'],
    ]);
  });

  it('http-reuse never (4.2): a client connection keeps its server connection, another client connection never shares it', async () => {
    // Manual 4.2 http-reuse: "a connection established between haproxy and the backend server
    // belongs to the session that initiated it"; "never: idle connections are never shared between
    // sessions". Sharing is what is off, not server-side keep-alive: HAProxy 2.6 sends both requests
    // of one client connection over one server connection here.
    const before = neverO.conns;
    const base = `http://127.0.0.1:${p.port}`;
    const r = await run('curl', ['-s', '-o', '/dev/null', '-o', '/dev/null', '-w', '%{http_code} %{num_connects}\\n', `${base}/never/1`, `${base}/never/2`]);
    expect(r.stdout).toBe('200 1\n200 0\n');
    expect(neverO.conns - before).toBe(1);
    // The idle server connection from above is not given to these new client connections.
    expect((await curl(`${base}/never/3`)).status).toBe(200);
    expect((await curl(`${base}/never/4`)).status).toBe(200);
    expect(neverO.conns - before).toBe(3);
  });

  it("generated errors carry HAProxy's default pages: 400, 502, 503 and 504", async () => {
    expectHaproxyError((await raw(p.port, 'GET / HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n')).text, 400);
    expectHaproxyError((await raw(p.port, 'GET /bad HTTP/1.1\r\nHost: x\r\n\r\n')).text, 502);
    expectHaproxyError((await raw(p.port, 'GET /empty HTTP/1.1\r\nHost: x\r\n\r\n')).text, 503);
    const t = await raw(p.port, 'GET /silent HTTP/1.1\r\nHost: x\r\n\r\n');
    expectHaproxyError(t.text, 504);
    expect(t.tookMs).toBeGreaterThanOrEqual(270); // timeout server 300ms
    expect(t.tookMs).toBeLessThan(3000);
  });

  it('health checks follow inter, fall and rise (5.2): down after 3 failed checks, up after 2 good ones', async () => {
    await until('c1 checked UP', async () => {
      const r = (await showStat(p))['be_chk/c1'];
      return r?.status === 'UP' && r.check_status === 'L7OK';
    });
    expect((await curl(`http://127.0.0.1:${p.port}/chk/a`)).who).toBe('chk');
    // inter 200: about five checks a second
    const h0 = chk.healthHits;
    await sleep(1000);
    expect(chk.healthHits - h0).toBeGreaterThanOrEqual(3);
    expect(chk.healthHits - h0).toBeLessThanOrEqual(7);
    const from = p.stderr().length;
    const t0 = Date.now();
    chk.healthStatus = 500;
    await p.waitStderr(/Server be_chk\/c1 is DOWN/, 5000, from);
    const downAfter = Date.now() - t0;
    expect(downAfter).toBeGreaterThanOrEqual(350); // 3 checks: at least 2 intervals
    expect(downAfter).toBeLessThan(2500);
    // chkfail counts the failed checks while the server was up: exactly `fall` of them.
    expect((await showStat(p))['be_chk/c1']).toMatchObject({ status: 'DOWN', chkfail: '3', chkdown: '1', check_rise: '2', check_fall: '3' });
    expectHaproxyError((await raw(p.port, 'GET /chk/b HTTP/1.1\r\nHost: x\r\n\r\n')).text, 503);
    const t1 = Date.now();
    chk.healthStatus = 200;
    await p.waitStderr(/Server be_chk\/c1 is UP/, 5000, from);
    const upAfter = Date.now() - t1;
    expect(upAfter).toBeGreaterThanOrEqual(150); // 2 checks: at least 1 interval
    expect(upAfter).toBeLessThan(2000);
    expect((await curl(`http://127.0.0.1:${p.port}/chk/c`)).who).toBe('chk');
  });
});

describe('allocation failures', () => {
  it("a failed allocation while accepting a request gets HAProxy's 500 page", async () => {
    const p = await startProxy({ nbthread: 1, global: ['tune.fail-alloc 50'] });
    try {
      let got: string | undefined;
      for (let i = 0; i < 80 && got === undefined; i++) {
        const r = await raw(p.port, `GET /maybe-${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 3000);
        if (r.text.startsWith('HTTP/1.1 500 ')) got = r.text;
        else if (r.text !== '') expect(r.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      }
      expect(got).toBeDefined();
      expectHaproxyError(got!, 500);
      // A graceful stop is not held by connections answered after a failed allocation (it used to
      // wait for hard-stop-after, 10 s, when such a client kept its side open).
      const t0 = Date.now();
      expect(await p.stop()).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await p.stop('SIGKILL');
    }
  });
});
