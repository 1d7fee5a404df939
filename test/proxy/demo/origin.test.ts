import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { startDemoOrigin, type DemoOrigin } from '../../../proxy/demo/origin.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(o: DemoOrigin, method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: o.host, port: o.port, method, path, headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('demo origin', () => {
  let o: DemoOrigin;
  beforeAll(async () => {
    o = await startDemoOrigin('127.0.0.1', 0);
  });
  afterAll(() => o.close());

  it('shows what it received: request line, peer and headers in order, X-Forwarded-For included', async () => {
    const r = await send(o, 'GET', '/hello?x=1', { headers: { 'X-Forwarded-For': '10.1.2.3', 'X-Custom': 'a b' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['x-demo-origin']).toBe(`127.0.0.1:${o.port}`);
    expect(r.headers['cache-control']).toBe('no-store');
    const text = r.body.toString();
    expect(text).toContain('  GET /hello?x=1 HTTP/1.1\n');
    expect(text).toMatch(/from 127\.0\.0\.1:\d+\n/);
    expect(text.indexOf('X-Forwarded-For: 10.1.2.3')).toBeLessThan(text.indexOf('X-Custom: a b'));
    expect(text).not.toContain('no X-Forwarded-For');
  });
  it('says when X-Forwarded-For is missing, and answers HTML to a browser (escaped)', async () => {
    expect((await send(o, 'GET', '/')).body.toString()).toContain('(no X-Forwarded-For');
    const r = await send(o, 'GET', '/<b>', { headers: { Accept: 'text/html,*/*' } });
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body.toString()).toContain('GET /&#60;b&#62; HTTP/1.1');
  });
  it('answers /health with 200 OK', async () => {
    const r = await send(o, 'GET', '/health');
    expect([r.status, r.body.toString()]).toEqual([200, 'OK\n']);
  });
  it('answers /status/<code> with that status, and 400 outside 200..599', async () => {
    const r = await send(o, 'GET', '/status/503');
    expect(r.status).toBe(503);
    expect(r.body.toString()).toContain('503 Service Unavailable');
    expect((await send(o, 'GET', '/status/204')).status).toBe(204);
    const bad = await send(o, 'GET', '/status/700');
    expect(bad.status).toBe(400);
    expect(bad.body.toString()).toContain('between 200 and 599');
  });
  it('answers /slow?ms=N after N ms, and refuses more than 10 s', async () => {
    const t0 = performance.now();
    const r = await send(o, 'GET', '/slow?ms=150');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(r.body.toString()).toContain('answered after 150 ms');
    const bad = await send(o, 'GET', '/slow?ms=10001');
    expect(bad.status).toBe(400);
    expect(bad.body.toString()).toContain('between 0 and 10000');
  });
  it('streams /stream?kb=N chunked, N KiB, and refuses sizes over the bound', async () => {
    const r = await send(o, 'GET', '/stream?kb=100');
    expect(r.status).toBe(200);
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.body.length).toBe(100 * 1024);
    expect((await send(o, 'GET', '/stream?kb=0')).body.length).toBe(0);
    expect((await send(o, 'GET', '/stream?kb=99999')).status).toBe(400);
    expect((await send(o, 'GET', '/stream?kb=abc')).status).toBe(400);
  });
  it('echoes a request body with its content type', async () => {
    const body = 'x'.repeat(70_000);
    const r = await send(o, 'POST', '/anything', { headers: { 'Content-Type': 'application/json' }, body });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-demo-echo']).toBe('POST /anything');
    expect(r.body.toString()).toBe(body);
  });
});

describe('demo origin start and stop', () => {
  it('rejects with a clear message when the address is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startDemoOrigin('127.0.0.1', port)).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: the address is already in use`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
  it('close() ends a request in flight and frees the port', async () => {
    const o = await startDemoOrigin('127.0.0.1', 0);
    const pending = send(o, 'GET', '/slow?ms=5000').then(() => 'answered', () => 'aborted');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await o.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await pending).toBe('aborted');
    const again = await startDemoOrigin('127.0.0.1', o.port);
    await again.close();
  });
});
