/**
 * End to end, the faults of issue 3's proof: a server that dies mid-response, a client that vanishes
 * mid-upload, slow clients (slowloris) and a backend that never answers. Each must end in the right
 * error or timeout for the client, be visible in `show sess` / `show conns` while it lasts (with the
 * state and the timer that will end it), leave its story in the lifecycle log (`show sess <id>` of
 * the freed object), and leave pool usage back at its baseline.
 *
 * Timeouts follow HAProxy's configuration manual (4.2): `timeout http-request` bounds the request
 * head from its first byte, whatever pace the bytes come at, and does not apply to the body;
 * `timeout server` answers 504 when no response head came; `timeout client` is an inactivity timer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { buildConfig, startProxy, run, type Proxy, poolsUsed, expectPoolsAt, pollUntil, sleep } from './harness.ts';
import { httpOrigin, tcpOrigin } from './origins.ts';

/**
 * Polls `command` on the runtime socket until a line matches `re` (or fails after `ms`). The
 * supervisor reads the worker's live table while the worker runs, so a poll may see an object between
 * two of its phases: tests wait for the state they expect rather than take the first line.
 */
async function waitLine(p: Proxy, command: string, re: RegExp, ms = 3000): Promise<string> {
  const lineOf = (out: string) => out.split('\n').find((l) => re.test(l));
  const out = await pollUntil(() => p.cli(command), (o) => lineOf(o) !== undefined, { timeoutMs: ms, everyMs: 30 });
  const line = lineOf(out);
  if (line) return line;
  throw new Error(`no line of '${command}' matched ${re}; last answer:\n${out}`);
}

/** `show sess <id>` once the object is freed (its socket may close a moment after the client's). */
async function freedDetail(p: Proxy, id: string, ms = 3000): Promise<string> {
  const freed = (out: string) => /^0x[0-9a-f]+: \[.*\] id=\d+ kind=\w+ tid=\d+ freed$/m.test(out);
  const out = await pollUntil(() => p.cli(`show sess ${id}`), freed, { timeoutMs: ms, everyMs: 30 });
  if (freed(out)) return out;
  throw new Error(`object ${id} was not freed; show sess ${id}:\n${out}`);
}

/** The object id a `show sess` / `show conns` line starts with. */
function idOf(line: string): string {
  const m = /^\s*(0x[0-9a-f]+)\s?:/.exec(line);
  if (!m) throw new Error(`no object id in: ${line}`);
  return m[1];
}

/** `state=<name> exp=<timer>:<left>` of a line, the time left in ms. */
function stateOf(line: string): { state: string; timer: string; leftMs: number } {
  const m = /state=(\S+) exp=([a-z-]+):(-?\d+)(ms|s) /.exec(line);
  if (!m) throw new Error(`no state=... exp=<timer>:<left> in: ${line}`);
  return { state: m[1], timer: m[2], leftMs: Number(m[3]) * (m[4] === 's' ? 1000 : 1) };
}

/** A raw client: everything it received, and when the proxy closed it. */
interface RawClient {
  sock: Socket;
  received(): string;
  closed: Promise<number>;
}

function rawClient(port: number): Promise<RawClient> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('error', () => {});
    const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now())));
    sock.once('connect', () => resolve({ sock, received: () => got, closed }));
  });
}

/** Writes `text` one byte every `everyMs` until the socket closes or the text is sent. */
async function trickle(c: RawClient, text: string, everyMs: number): Promise<void> {
  for (const ch of text) {
    if (c.sock.destroyed || c.sock.writableEnded) return;
    c.sock.write(ch);
    await sleep(everyMs);
  }
}

describe('faults: right error or timeout, visible while they last, recorded after, no leak', () => {
  let p: Proxy;
  let baseline = 0;
  let uploadClosed: Promise<void>;

  beforeAll(async () => {
    const silent = await tcpOrigin(() => {}); // accepts, never answers
    // Sends a head and 10 bytes of a 100000-byte body, then dies.
    const dies = await tcpOrigin((s) =>
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789');
        setTimeout(() => s.destroy(), 600);
      }),
    );
    let closedUpload: () => void = () => {};
    uploadClosed = new Promise((r) => (closedUpload = r));
    const upload = await tcpOrigin((s) => {
      s.on('data', () => {});
      s.on('close', () => closedUpload());
    });
    // Answers with the size of the body it received.
    const echo = await httpOrigin((req, res) => {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => res.end(`got ${n}\n`));
    });
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, {}, {
          'frontend web': [
            `bind 127.0.0.1:${port}`,
            'timeout http-request 1s',
            'timeout http-keep-alive 3s',
            'use_backend be_silent if { path_beg /silent }',
            'use_backend be_dies if { path_beg /dies }',
            'use_backend be_upload if { path_beg /upload }',
            'use_backend be_queue if { path_beg /queue }',
            'default_backend be_echo',
          ],
          'backend be_silent': ['timeout server 1s', `server s 127.0.0.1:${silent.port}`],
          'backend be_dies': [`server s 127.0.0.1:${dies.port}`],
          'backend be_upload': ['timeout server 10s', `server s 127.0.0.1:${upload.port}`],
          'backend be_queue': ['timeout queue 500ms', 'timeout server 800ms', `server s 127.0.0.1:${silent.port} maxconn 1`],
          'backend be_echo': [
            'http-reuse never', // no idle server connection stays in the pools after a test
            `server s 127.0.0.1:${echo.port}`,
          ],
        }),
    });
    baseline = await poolsUsed(p);
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('a backend that never answers: waiting-response on timeout server in show sess, then 504, recorded', async () => {
    const t0 = Date.now();
    const pending = p.get('/silent');
    const line = await waitLine(p, 'show sess', /GET \/silent HTTP\/1\.1 .*state=waiting-response /);
    const st = stateOf(line);
    expect(st.state).toBe('waiting-response');
    expect(st.timer).toBe('server');
    expect(st.leftMs).toBeGreaterThan(0);
    expect(st.leftMs).toBeLessThanOrEqual(1000);
    // The server connection is listed meanwhile, child of the stream.
    expect(await p.cli('show conns')).toMatch(/info=-> be_silent\/s 127\.0\.0\.1:\d+/);
    const r = await pending;
    expect(r.status).toBe(504);
    expect(r.body).toContain("The server didn't respond in time.");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const after = await freedDetail(p, idOf(line));
    expect(after).toMatch(/kind=stream tid=1 freed/);
    expect(after).toContain('  state=waiting-response exp=none\n');
    expect(after).toMatch(/s timeout 1000\n.*s error 504\n(.*\n)*.*s free\n/);
    await expectPoolsAt(p, baseline);
  });

  it('behind a server at maxconn, a request waits queued on timeout queue in show sess, then gets 503, recorded', async () => {
    const first = p.get('/queue/1');
    await waitLine(p, 'show sess', /GET \/queue\/1 HTTP\/1\.1 .*state=waiting-response exp=server:/);
    const second = p.get('/queue/2');
    const line = await waitLine(p, 'show sess', /GET \/queue\/2 HTTP\/1\.1 .*state=queued /);
    const st = stateOf(line);
    expect([st.state, st.timer]).toEqual(['queued', 'queue']);
    expect(st.leftMs).toBeGreaterThan(0);
    expect(st.leftMs).toBeLessThanOrEqual(500);
    const [r1, r2] = await Promise.all([first, second]);
    expect(r2.status).toBe(503);
    expect(r1.status).toBe(504);
    const after = await freedDetail(p, idOf(line));
    expect(after).toContain('  state=queued exp=none\n');
    expect(after).toMatch(/s timeout 500\n.*s error 503\n(.*\n)*.*s free\n/);
    await expectPoolsAt(p, baseline);
  });

  it('a server that dies mid-response: sending-body in show sess, then the client connection is cut, recorded', async () => {
    const pending = run('curl', ['-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://127.0.0.1:${p.port}/dies`]);
    const line = await waitLine(p, 'show sess', /GET \/dies HTTP\/1\.1 .*state=sending-body /);
    const st = stateOf(line);
    expect(st.state).toBe('sending-body');
    expect(st.timer).toBe('server');
    expect(st.leftMs).toBeGreaterThanOrEqual(2000); // whole seconds above one
    expect(st.leftMs).toBeLessThanOrEqual(3000);
    const r = await pending;
    expect(r.code).toBe(18); // curl: partial file, the connection was closed
    expect(r.stdout).toBe('200 10');
    const after = await freedDetail(p, idOf(line));
    expect(after).toContain('  state=sending-body exp=none\n');
    expect(after).toMatch(/s error\n(.*\n)*.*s free\n/);
    await expectPoolsAt(p, baseline);
  });

  it('a client that vanishes mid-upload: receiving-body on timeout client in show sess, then the server connection is closed, recorded', async () => {
    const c = await rawClient(p.port);
    c.sock.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' + 'x'.repeat(1000));
    const line = await waitLine(p, 'show sess', /POST \/upload HTTP\/1\.1 .*state=receiving-body /);
    const st = stateOf(line);
    // `timeout client` (5s) ends it before `timeout server` (10s) would.
    expect(st.state).toBe('receiving-body');
    expect(st.timer).toBe('client');
    expect(st.leftMs).toBeGreaterThanOrEqual(3000);
    expect(st.leftMs).toBeLessThanOrEqual(5000);
    c.sock.destroy();
    await uploadClosed;
    const after = await freedDetail(p, idOf(line));
    expect(after).toMatch(/kind=stream tid=1 freed/);
    expect(after).toMatch(/s shutr\n(.*\n)*.*s free\n/);
    await expectPoolsAt(p, baseline);
  });

  it("slowloris: header lines trickling in get HAProxy's 408 at timeout http-request, shown reading-request meanwhile, recorded", async () => {
    const c = await rawClient(p.port);
    const t0 = Date.now();
    c.sock.write('GET /slow HTTP/1.1\r\nHost: x\r\n');
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop && !c.sock.destroyed; i++) {
        c.sock.write(`X-Pad-${i}: ${'y'.repeat(10)}\r\n`);
        await sleep(150);
      }
    })();
    const port = c.sock.localPort;
    const line = await waitLine(p, 'show conns', new RegExp(`state=reading-request .*info=127\\.0\\.0\\.1:${port} -> `));
    const st = stateOf(line);
    expect(st.state).toBe('reading-request');
    expect(st.timer).toBe('http-request');
    expect(st.leftMs).toBeGreaterThan(0);
    expect(st.leftMs).toBeLessThanOrEqual(1000);
    // `show sess all` details every live object, the connection included.
    expect(await p.cli('show sess all')).toContain(`${idOf(line)}: [`);
    const closedAt = await c.closed;
    stop = true;
    await writer;
    const took = closedAt - t0;
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(1800);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 Request Time-out\r\n/);
    expect(c.received()).toContain("Your browser didn't send a complete request in time.");
    const after = await freedDetail(p, idOf(line));
    expect(after).toMatch(/kind=conn tid=1 freed/);
    expect(after).toMatch(/s timeout 1000\n.*s error 408\n(.*\n)*.*s close\n.*s free\n/);
    await expectPoolsAt(p, baseline);
  });

  it('a first request trickling one byte at a time is cut at timeout http-request from the accept, not by the keep-alive timer', async () => {
    const t0 = Date.now();
    const c = await rawClient(p.port);
    // Idle first: as in HAProxy 2.6 (measured), the first request's timer runs from the accept.
    await sleep(300);
    void trickle(c, 'GET /trickle HTTP/1.1\r\nHost: x\r\n\r\n', 250); // 36 bytes: 9 s if never cut
    const closedAt = await c.closed;
    // Each byte comes well within `timeout client` (5s) and would reset it; `timeout http-keep-alive`
    // (3s) does not apply to a first request.
    expect(closedAt - t0).toBeGreaterThanOrEqual(950);
    expect(closedAt - t0).toBeLessThan(1800);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 Request Time-out\r\n/);
    await expectPoolsAt(p, baseline);
  });

  it('a next request on a kept-alive connection trickling in is cut at timeout http-request from its first byte', async () => {
    const c = await rawClient(p.port);
    c.sock.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    await pollUntil(() => c.received(), (got) => /got 0\n/.test(got), { timeoutMs: 3000, everyMs: 20 });
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    // Between requests the connection waits on timeout http-keep-alive.
    const port = c.sock.localPort;
    const idle = stateOf(await waitLine(p, 'show conns', new RegExp(`state=idle-keepalive .*info=127\\.0\\.0\\.1:${port} -> `)));
    expect([idle.state, idle.timer]).toEqual(['idle-keepalive', 'http-keep-alive']);
    expect(idle.leftMs).toBeGreaterThanOrEqual(2000);
    const t0 = Date.now();
    const before = c.received().length;
    void trickle(c, 'GET /second HTTP/1.1\r\nHost: x\r\n\r\n', 250);
    const closedAt = await c.closed;
    expect(closedAt - t0).toBeGreaterThanOrEqual(950);
    expect(closedAt - t0).toBeLessThan(1800); // not at the 3 s of the keep-alive timer
    expect(c.received().slice(before)).toMatch(/^HTTP\/1\.1 408 Request Time-out\r\n/);
    await expectPoolsAt(p, baseline);
  });

  it('timeout http-request does not apply to the body: a slow upload within timeout client completes', async () => {
    const c = await rawClient(p.port);
    c.sock.write('POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\nConnection: close\r\n\r\n');
    for (let i = 0; i < 8; i++) {
      await sleep(220); // 1.76 s in all: past the 1 s of timeout http-request
      if (c.sock.destroyed) break;
      c.sock.write('z');
    }
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.received()).toContain('got 8\n');
    await expectPoolsAt(p, baseline);
  });
});
