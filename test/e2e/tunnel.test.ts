/**
 * End to end: protocol upgrades (RFC 9110 §7.8) through Flightbox. A WebSocket-like origin on
 * 127.0.0.1 (node:http 'upgrade' handler answering the RFC 6455 §4.2.2 handshake, then echoing raw
 * bytes) and clients on raw sockets: echo both ways, a large transfer with backpressure, `timeout
 * tunnel`, the lifecycle log, a 101 that was not asked for (502), non-101 answers that stay HTTP, and
 * pools back at their baseline once tunnels close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { buildConfig, startProxy, type Proxy, poolsUsed, expectPoolsAt, pollUntil, sleep } from './harness.ts';
import { listen, wsAccept, type Origin } from './origins.ts';


/**
 * /ws: 101 with the WebSocket handshake, then echo; /refuse: 426; /plain: 200 to the upgrade request.
 * A plain request to /switch gets a 101 it did not ask for.
 */
async function wsOrigin(): Promise<Origin> {
  const srv = createHttpServer((req, res) => {
    if (req.url === '/switch') {
      req.socket.end('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n');
      return;
    }
    res.setHeader('connection', 'close');
    res.end(`plain ${req.method} ${req.url}\n`);
  });
  srv.on('upgrade', (req: IncomingMessage, sock: Duplex, head: Buffer) => {
    sock.on('error', () => {});
    const refuse = 'HTTP/1.1 426 Upgrade Required\r\ncontent-length: 5\r\nconnection: close\r\n\r\nnope\n';
    if (req.url === '/refuse') {
      sock.end(refuse);
      return;
    }
    if (req.url === '/slow-refuse') {
      setTimeout(() => sock.end(refuse), 150);
      return;
    }
    if (req.url === '/plain') {
      sock.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n');
      return;
    }
    const key = String(req.headers['sec-websocket-key'] ?? '');
    sock.write(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        `upgrade: ${req.headers.upgrade}\r\n` +
        'connection: Upgrade\r\n' +
        `sec-websocket-accept: ${wsAccept(key)}\r\n` +
        `x-seen-connection: ${req.headers.connection}\r\n\r\n`,
    );
    if (head.length > 0) sock.write(head);
    sock.pipe(sock); // echo, with the stream's own backpressure
  });
  return listen(srv);
}

/** A client socket with everything it received so far and a way to wait for more. */
interface Client {
  sock: Socket;
  received(): Buffer;
  /** Resolves once at least `n` bytes were received in total (rejects after `ms`). */
  waitBytes(n: number, ms?: number): Promise<Buffer>;
  /** Resolves once the head (up to the empty line) was received: the head text and what followed. */
  waitHead(ms?: number): Promise<{ head: string; rest: Buffer }>;
  closed: Promise<number>;
}

function client(port: number, request: string): Client {
  const sock = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let total = 0;
  const waiters: (() => void)[] = [];
  sock.on('data', (d: Buffer) => {
    chunks.push(d);
    total += d.length;
    for (const w of waiters.splice(0)) w();
  });
  sock.on('error', () => {});
  const closed = new Promise<number>((r) => sock.on('close', () => r(Date.now())));
  sock.write(request);
  const all = () => Buffer.concat(chunks);
  const until = (ok: () => boolean, ms: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${total} bytes: ${all().toString('latin1').slice(0, 300)}`)), ms);
      const check = () => {
        if (ok()) {
          clearTimeout(t);
          resolve();
        } else waiters.push(check);
      };
      check();
      void closed.then(() => {
        if (!ok()) {
          clearTimeout(t);
          reject(new Error(`connection closed while waiting for ${what}; got: ${all().toString('latin1').slice(0, 300)}`));
        }
      });
    });
  return {
    sock,
    received: all,
    async waitBytes(n, ms = 5000) {
      await until(() => total >= n, ms, `${n} bytes`);
      return all();
    },
    async waitHead(ms = 5000) {
      await until(() => all().indexOf('\r\n\r\n') >= 0, ms, 'a response head');
      const b = all();
      const i = b.indexOf('\r\n\r\n') + 4;
      return { head: b.subarray(0, i).toString('latin1'), rest: b.subarray(i) };
    },
    closed,
  };
}

function upgradeRequest(path: string, key = randomBytes(16).toString('base64')): string {
  return (
    `GET ${path} HTTP/1.1\r\nhost: example.test\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
    `sec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n\r\n`
  );
}

describe('WebSocket and tunnels', () => {
  let p: Proxy;
  let origin: Origin;
  let baseline = 0;

  beforeAll(async () => {
    origin = await wsOrigin();
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(
          dir,
          { timeouts: { client: '10s', connect: '1s', server: '10s' } },
          {
            'frontend web': [`bind 127.0.0.1:${port}`, 'acl short path_beg /short', 'use_backend be_short if short', 'default_backend be_ws'],
            'backend be_ws': [`server s 127.0.0.1:${origin.port}`],
            'backend be_short': ['timeout tunnel 300ms', `server s 127.0.0.1:${origin.port}`],
          },
        ),
    });
    baseline = await poolsUsed(p);
  }, 30_000);

  afterAll(async () => {
    await p?.stop();
  });

  it('a 101 is forwarded with its handshake, then bytes echo both ways until the client closes', async () => {
    const key = randomBytes(16).toString('base64');
    const c = client(p.port, upgradeRequest('/ws', key));
    const { head, rest } = await c.waitHead();
    expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(head).toMatch(/\r\nupgrade: websocket\r\n/i);
    expect(head).toMatch(/\r\nconnection: upgrade\r\n/i);
    expect(head).toContain(`sec-websocket-accept: ${wsAccept(key)}\r\n`);
    // The server saw the upgrade offer (Upgrade is hop-by-hop, yet forwarded for a switch).
    expect(head).toMatch(/x-seen-connection: upgrade/i);
    expect(rest.length).toBe(0);
    const start = c.received().length;
    // Not HTTP any more: a request line is just bytes to echo.
    c.sock.write('GET / HTTP/1.1\r\n\r\n');
    expect((await c.waitBytes(start + 18)).subarray(start).toString()).toBe('GET / HTTP/1.1\r\n\r\n');
    c.sock.write(Buffer.from([0x81, 0x85, 1, 2, 3, 4, 0, 0, 0, 0, 0]));
    expect([...(await c.waitBytes(start + 29)).subarray(start + 18)]).toEqual([0x81, 0x85, 1, 2, 3, 4, 0, 0, 0, 0, 0]);
    c.sock.end();
    await c.closed;
    await expectPoolsAt(p, baseline);
  });

  it('a large transfer goes through intact with backpressure both ways', async () => {
    const c = client(p.port, upgradeRequest('/ws'));
    const { head } = await c.waitHead();
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    const start = c.received().length;
    // More than the kernel buffers of the four sockets on the way can hold.
    const size = 64 * 1024 * 1024;
    const data = randomBytes(size);
    // Stop reading for a while: the proxy must hold the echo back, not buffer it all.
    c.sock.pause();
    for (let off = 0; off < size; off += 1 << 20) c.sock.write(data.subarray(off, off + (1 << 20)));
    await sleep(300);
    const stuck = c.sock.writableLength; // the proxy stopped reading us
    c.sock.resume();
    expect(stuck).toBeGreaterThan(0);
    const got = await c.waitBytes(start + size, 20_000);
    expect(got.length - start).toBe(size);
    expect(createHash('sha256').update(got.subarray(start)).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    c.sock.destroy();
    await c.closed;
    await expectPoolsAt(p, baseline);
  }, 30_000);

  it('the lifecycle log records the upgrade of the stream and of both connections', async () => {
    const c = client(p.port, upgradeRequest('/ws'));
    await c.waitHead();
    const sess = await p.cli('show sess');
    expect(sess).toMatch(/GET \/ws HTTP\/1\.1 .*last=upgrade\(101\)/);
    const conns = await p.cli('show conns');
    expect(conns).toMatch(/kind=conn .*last=upgrade\(101\).*info=-> be_ws\/s 127\.0\.0\.1:\d+/);
    expect(conns).toMatch(/kind=conn .*streams=1 .*last=upgrade\(101\).*fe=web/);
    c.sock.end();
    await c.closed;
    await expectPoolsAt(p, baseline);
  });

  it('the origin closing ends the tunnel and the client connection', async () => {
    const c = client(p.port, upgradeRequest('/ws'));
    await c.waitHead();
    // The origin echoes, then sees our FIN and closes: the proxy closes the client side after the echo.
    c.sock.end('last words');
    const start = c.received().indexOf('\r\n\r\n') + 4;
    await c.closed;
    expect(c.received().subarray(start).toString()).toBe('last words');
    await expectPoolsAt(p, baseline);
  });

  it('timeout tunnel closes an idle tunnel, and traffic keeps it alive', async () => {
    const c = client(p.port, upgradeRequest('/short'));
    const { head } = await c.waitHead();
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    // 6 pings 100 ms apart: longer than the timeout in total, never idle for 300 ms.
    let echoed = c.received().length;
    for (let i = 0; i < 6; i++) {
      c.sock.write('x');
      await c.waitBytes(echoed + 1);
      echoed++;
      await sleep(100);
    }
    const idleFrom = Date.now();
    const closedAt = await c.closed;
    expect(closedAt - idleFrom).toBeGreaterThanOrEqual(150);
    expect(closedAt - idleFrom).toBeLessThan(3000);
    await expectPoolsAt(p, baseline);
  });

  it('a 426 answer to an upgrade request is an ordinary response', async () => {
    const c = client(p.port, upgradeRequest('/refuse'));
    const { head } = await c.waitHead();
    expect(head).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
    expect(head).not.toMatch(/\r\nupgrade:/i);
    expect((await c.waitBytes(head.length + 5)).subarray(head.length).toString()).toBe('nope\n');
    c.sock.destroy();
    await c.closed;
    await expectPoolsAt(p, baseline);
  });

  it('after a 200 to an upgrade request the connection stays HTTP', async () => {
    // The second request is written only after the first answer, as a WebSocket client would.
    const c = client(p.port, upgradeRequest('/plain'));
    const first = await c.waitHead();
    expect(first.head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const n1 = first.head.length + 3;
    expect((await c.waitBytes(n1)).subarray(first.head.length).toString()).toBe('ok\n');
    c.sock.write('GET /again HTTP/1.1\r\nhost: example.test\r\n\r\n');
    const body = 'plain GET /again\n';
    const got = await c.waitBytes(n1 + 1);
    await sleep(100);
    const second = c.received().subarray(n1).toString();
    expect(got.length).toBeGreaterThan(n1);
    expect(second).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(second.endsWith(body)).toBe(true);
    c.sock.destroy();
    await c.closed;
    await expectPoolsAt(p, baseline);
  });

  it('bytes sent while a refused upgrade awaits its answer are parsed as the next request', async () => {
    const c = client(p.port, upgradeRequest('/slow-refuse'));
    await sleep(40); // a later segment, before the 426 (sent after 150 ms)
    c.sock.write('GET /next HTTP/1.1\r\nhost: example.test\r\n\r\n');
    await pollUntil(() => c.received().toString(), (t) => t.includes('plain GET /next\n'), { timeoutMs: 3000 });
    const text = c.received().toString();
    expect(text).toMatch(/^HTTP\/1\.1 426 /);
    expect(text).toContain('plain GET /next\n');
    c.sock.destroy();
    await c.closed;
    await expectPoolsAt(p, baseline);
  });

  it('a 101 the client did not ask for is a 502', async () => {
    const c = client(p.port, 'GET /switch HTTP/1.1\r\nhost: example.test\r\n\r\n');
    const { head } = await c.waitHead();
    expect(head).toMatch(/^HTTP\/1\.1 502 /);
    await c.closed;
    await expectPoolsAt(p, baseline);
  });
});
