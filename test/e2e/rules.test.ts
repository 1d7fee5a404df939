/**
 * End to end: `http-request` / `http-response` rules and `option forwardfor`, with Flightbox in front
 * of a real node:http origin on 127.0.0.1 that echoes what it received, driven by curl: each action,
 * if/unless conditions with named and anonymous ACLs, rule order, forwardfor with except/if-none,
 * and response rules (rewrites and deny).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildConfig, startProxy, run, type Proxy } from './harness.ts';
import { httpOrigin, type Origin } from './origins.ts';

interface Echo {
  method: string;
  url: string;
  headers: [string, string][];
}

/** An origin that counts the requests it received. */
interface EchoOrigin extends Origin {
  hits(): number;
}

/**
 * An origin answering, as JSON, the method, URL and raw headers of each request it received;
 * `decorate` adds response headers. `hits()` counts the requests.
 */
async function echoOrigin(decorate: (req: IncomingMessage, res: ServerResponse) => void = () => {}): Promise<EchoOrigin> {
  let hits = 0;
  const o = await httpOrigin((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => {
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      decorate(req, res);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method!, url: req.url!, headers } satisfies Echo));
    });
  });
  return Object.assign(o, { hits: () => hits });
}

/** curl with the response head included (`-i`): status, header lines, body. */
async function curlHead(port: number, path: string, extra: string[] = []): Promise<{ status: number; head: string; body: string }> {
  const r = await run('curl', ['-s', '-i', '-m', '5', ...extra, `http://127.0.0.1:${port}${path}`]);
  const i = r.stdout.indexOf('\r\n\r\n');
  const head = r.stdout.slice(0, i);
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), head, body: r.stdout.slice(i + 4) };
}

/** The values of request header `name` (any case) the origin received, in order. */
const values = (e: Echo, name: string) => e.headers.filter((h) => h[0].toLowerCase() === name.toLowerCase()).map((h) => h[1]);

describe('http-request / http-response rules and option forwardfor', () => {
  let p: Proxy;
  let origin: EchoOrigin;

  beforeAll(async () => {
    origin = await echoOrigin((req, res) => {
      res.setHeader('x-origin-secret', 'hunter2');
      if (req.url?.startsWith('/loc')) res.setHeader('location', 'http://origin/inner/page');
    });
    const originPort = origin.port;
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, {}, {
          'frontend web': [
            `bind 127.0.0.1:${port}`,
            'acl is_admin path_beg /admin',
            'acl trusted req.hdr(x-admin-token) -m str s3cret',
            'http-request deny if is_admin !trusted',
            'http-request deny deny_status 429 if { path /limited }',
            'http-request deny status 418 content-type text/plain string "short and stout" if { path /teapot }',
            'http-request return status 200 content-type text/plain lf-string "hello %[src] %[req.hdr(x-name)] 100%%" if { path /hello }',
            'http-request return status 200 content-type text/plain string first if { path /first }',
            'http-request deny if { path /first } || { path /second }',
            'http-request return status 200 content-type text/plain string never if { path /second }',
            'http-request redirect prefix /new code 301 drop-query append-slash if { path_beg /old }',
            'http-request redirect scheme https if { path /secure }',
            'http-request redirect location /login code 303 unless { method GET HEAD } || { path_beg /login }',
            'http-request set-header X-Client %[src]:%[dst_port]',
            'http-request add-header X-Added one',
            'http-request add-header X-Added two',
            'http-request del-header X-Secret',
            'http-request replace-header X-Host ^([^:]*):80$ \\1',
            'http-request set-path /v2%[path] if { path_beg /api }',
            'http-response set-header X-Resp %[status]-%[method]',
            'http-response del-header X-Origin-Secret',
            'http-response replace-header Location ^http://origin/(.*)$ /moved/\\1',
            'http-response deny if { path /resp-deny }',
            'http-response deny status 503 content-type text/plain string "not today" if { path /resp-deny-payload }',
            'use_backend be_ifnone if { path_beg /ifnone }',
            'use_backend be_except if { path_beg /except }',
            'default_backend be_echo',
          ],
          'backend be_echo': ['option forwardfor', `server s 127.0.0.1:${originPort}`],
          'backend be_ifnone': ['option forwardfor header X-Real-IP if-none', `server s 127.0.0.1:${originPort}`],
          'backend be_except': ['option forwardfor except 127.0.0.0/8', `server s 127.0.0.1:${originPort}`],
        }),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  const curl = (path: string, extra: string[] = []) => curlHead(p.port, path, extra);
  const echo = (body: string): Echo => JSON.parse(body) as Echo;

  it('deny: 403 with HAProxy\'s error page and a close; deny_status; a payload', async () => {
    const before = origin.hits();
    const d = await curl('/admin/panel');
    expect(d.status).toBe(403);
    expect(d.head).toMatch(/^connection: close$/m);
    expect(d.body).toBe('<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n');
    expect((await curl('/limited')).status).toBe(429);
    const t = await curl('/teapot');
    expect(t.status).toBe(418);
    expect(t.body).toBe('short and stout');
    expect(origin.hits()).toBe(before);
  });

  it('if with a negated named ACL: the trusted header lets the admin request through', async () => {
    const r = await curl('/admin/panel', ['-H', 'X-Admin-Token: s3cret']);
    expect(r.status).toBe(200);
    expect(echo(r.body).url).toBe('/admin/panel');
  });

  it('return with a log-format body', async () => {
    const r = await curl('/hello', ['-H', 'X-Name: ada']);
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello 127.0.0.1 ada 100%');
  });

  it('the first terminal rule whose condition holds wins', async () => {
    expect((await curl('/first')).body).toBe('first');
    expect((await curl('/second')).status).toBe(403);
  });

  it('redirect prefix (301, drop-query, append-slash), scheme and location unless, keeping the connection', async () => {
    const o = await curl('/old/dir?x=1');
    expect(o.status).toBe(301);
    expect(o.head).toMatch(/^location: \/new\/old\/dir\/$/m);
    const s = await curl('/secure?a=b', ['-H', 'Host: shop.example']);
    expect(s.status).toBe(302);
    expect(s.head).toMatch(/^location: https:\/\/shop\.example\/secure\?a=b$/m);
    const l = await curl('/x', ['-X', 'DELETE']);
    expect(l.status).toBe(303);
    expect(l.head).toMatch(/^location: \/login$/m);
    expect((await curl('/login', ['-X', 'DELETE'])).status).toBe(200);
    // A redirect is a complete keep-alive response: curl reuses the connection for the next URL.
    const base = `http://127.0.0.1:${p.port}`;
    const two = await run('curl', ['-s', '-o', '/dev/null', '-o', '/dev/null', '-w', '%{http_code} %{num_connects}\\n', `${base}/old/a`, `${base}/hello`]);
    expect(two.stdout).toBe('301 1\n200 0\n');
  });

  it('header actions and set-path rewrite the forwarded request; option forwardfor appends the client', async () => {
    const r = await curl('/api/users?id=7', ['-H', 'X-Secret: pw', '-H', 'X-Host: example.com:80', '-H', 'X-Added: zero', '-H', 'X-Forwarded-For: 203.0.113.9']);
    expect(r.status).toBe(200);
    const e = echo(r.body);
    expect(e.url).toBe('/v2/api/users?id=7');
    expect(values(e, 'x-client')).toEqual([`127.0.0.1:${p.port}`]);
    expect(values(e, 'x-added')).toEqual(['zero', 'one', 'two']);
    expect(values(e, 'x-secret')).toEqual([]);
    expect(values(e, 'x-host')).toEqual(['example.com']);
    expect(values(e, 'x-forwarded-for')).toEqual(['203.0.113.9', '127.0.0.1']);
  });

  it('forwardfor if-none with its own header name, and except', async () => {
    const given = echo((await curl('/ifnone', ['-H', 'X-Real-IP: 198.51.100.1'])).body);
    expect(values(given, 'x-real-ip')).toEqual(['198.51.100.1']);
    expect(values(given, 'x-forwarded-for')).toEqual([]);
    expect(values(echo((await curl('/ifnone')).body), 'x-real-ip')).toEqual(['127.0.0.1']);
    const ex = echo((await curl('/except')).body);
    expect(values(ex, 'x-forwarded-for')).toEqual([]);
  });

  it('http-response rules rewrite the response head; deny replaces it with 502 or its payload', async () => {
    const r = await curl('/loc/1');
    expect(r.status).toBe(200);
    expect(r.head).toMatch(/^X-Resp: 200-GET$/m);
    expect(r.head).not.toMatch(/x-origin-secret/i);
    expect(r.head).toMatch(/^location: \/moved\/inner\/page$/im);
    const d = await curl('/resp-deny');
    expect(d.status).toBe(502);
    expect(d.body).toContain('<h1>502 Bad Gateway</h1>');
    expect(d.body).not.toContain('hunter2');
    const dp = await curl('/resp-deny-payload');
    expect(dp.status).toBe(503);
    expect(dp.body).toBe('not today');
    // The proxy keeps serving after the denied responses.
    expect((await curl('/after')).status).toBe(200);
  });
});

describe('acl, http-request and http-response in a backend section', () => {
  let p: Proxy;
  let origin: EchoOrigin;

  beforeAll(async () => {
    origin = await echoOrigin();
    p = await startProxy({
      config: (dir, port) =>
        buildConfig(dir, {}, {
          'frontend web': [
            `bind 127.0.0.1:${port}`,
            'http-request add-header X-Order fe',
            'http-response add-header X-Resp-Order fe',
            'use_backend plain if { path_beg /plain }',
            'default_backend app',
          ],
          'backend app': [
            'acl is_x path_beg /x',
            'http-request deny if is_x',
            'http-request set-header X-Backend app',
            'http-request add-header X-Order be',
            'http-response set-header X-Backend-Resp %[status]-%[path]',
            'http-response add-header X-Resp-Order be',
            `server s 127.0.0.1:${origin.port}`,
          ],
          'backend plain': [`server s 127.0.0.1:${origin.port}`],
        }),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  const curl = (path: string) => curlHead(p.port, path);
  const respValues = (head: string, name: string) =>
    head.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((l) => l.slice(name.length + 1).trim());

  it("http-request deny with the backend's ACL answers 403 without reaching the server", async () => {
    const before = origin.hits();
    const r = await curl('/x/secret');
    expect(r.status).toBe(403);
    expect(r.body).toContain('<h1>403 Forbidden</h1>');
    expect(origin.hits()).toBe(before);
  });

  it("http-request set-header / add-header of the backend run after the frontend's", async () => {
    const r = await curl('/page?q=1');
    expect(r.status).toBe(200);
    const e = JSON.parse(r.body) as Echo;
    expect(e.url).toBe('/page?q=1');
    expect(values(e, 'x-backend')).toEqual(['app']);
    expect(values(e, 'x-order')).toEqual(['fe', 'be']);
  });

  it("http-response set-header of the backend, before the frontend's rules", async () => {
    const r = await curl('/page');
    expect(respValues(r.head, 'x-backend-resp')).toEqual(['200-/page']);
    expect(respValues(r.head, 'x-resp-order')).toEqual(['be', 'fe']);
  });

  it("another backend is untouched by this backend's rules", async () => {
    const r = await curl('/plain/x');
    expect(r.status).toBe(200);
    const e = JSON.parse(r.body) as Echo;
    expect(values(e, 'x-backend')).toEqual([]);
    expect(values(e, 'x-order')).toEqual(['fe']);
    expect(respValues(r.head, 'x-backend-resp')).toEqual([]);
    expect(respValues(r.head, 'x-resp-order')).toEqual(['fe']);
  });
});
