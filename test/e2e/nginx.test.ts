/**
 * End to end: Flightbox in front of a real nginx (issue 3's proof), started by the test from its
 * Debian package (`.ci/run` installs it) in a temp prefix with `daemon off`: a static file, a large
 * file, keep-alive on both sides, HEAD, nginx's 404, a chunked (gzip) response, and an upload with
 * `Expect: 100-continue` whose `100 Continue` nginx sends (WebDAV PUT, RFC 9110 §10.1.1).
 * Skipped, saying so, only when nginx is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { buildConfig, canConnect, freePort, pollUntil, run, sleep, startProxy, trackChild, type Proxy } from './harness.ts';

/** nginx on PATH or in the sbin directories Debian installs it to; undefined when not installed. */
function findNginx(): string | undefined {
  const path = (process.env.PATH ?? '').split(delimiter).filter((d) => d.startsWith('/'));
  return [...path, '/usr/sbin', '/usr/local/sbin', '/sbin'].map((d) => join(d, 'nginx')).find((f) => existsSync(f));
}

const NGINX = findNginx();
const SKIP_NOTE = 'nginx is not installed (Debian package nginx, installed by .ci/run): the nginx origin tests are skipped';
if (!NGINX) console.warn(`\n${SKIP_NOTE}\n`);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function nginxConfig(dir: string, port: number): string {
  return [
    'daemon off;',
    // Started as root, nginx's worker would run as nobody, who cannot read this private temp dir.
    ...(process.getuid?.() === 0 ? ['user root root;'] : []),
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    'error_log stderr warn;',
    'events { worker_connections 256; }',
    'http {',
    '    access_log off;',
    `    client_body_temp_path ${join(dir, 'body')};`,
    `    proxy_temp_path ${join(dir, 'proxy')};`,
    `    fastcgi_temp_path ${join(dir, 'fastcgi')};`,
    `    uwsgi_temp_path ${join(dir, 'uwsgi')};`,
    `    scgi_temp_path ${join(dir, 'scgi')};`,
    '    types { text/plain txt; application/octet-stream bin; }',
    '    keepalive_timeout 60s;',
    '    server {',
    `        listen 127.0.0.1:${port};`,
    `        root ${join(dir, 'www')};`,
    // Which nginx connection served a response, and its how-manieth request it was.
    '        add_header X-Conn $connection always;',
    '        add_header X-Conn-Req $connection_requests always;',
    // gzip makes the length unknown: nginx answers HTTP/1.1 clients chunked.
    '        location /gz/ { gzip on; gzip_types text/plain; gzip_min_length 0; }',
    // A PUT reads the body: nginx sends `100 Continue` first when asked to (RFC 9110 §10.1.1).
    '        location /dav/ { dav_methods PUT; create_full_put_path on; client_max_body_size 16m; }',
    '    }',
    '}',
    '',
  ].join('\n');
}

/** One raw keep-alive client connection: sends requests, reads responses by the bytes expected. */
function rawConn(port: number) {
  const sock = connect(port, '127.0.0.1');
  sock.on('error', () => {});
  let buf = '';
  sock.on('data', (d) => (buf += d.toString('latin1')));
  return {
    sock,
    /** Sends `req` and waits until the received text matches `done` (from what came after the last call). */
    async exchange(req: string, done: RegExp, ms = 5000): Promise<string> {
      const from = buf.length;
      sock.write(req);
      const got = await pollUntil(() => buf.slice(from), (b) => done.test(b) || sock.destroyed, { timeoutMs: ms, everyMs: 10 });
      if (!done.test(got)) throw new Error(`no answer matching ${done} to ${JSON.stringify(req)}; got:\n${got}`);
      return got;
    },
  };
}

describe.skipIf(!NGINX)(NGINX ? 'Flightbox in front of nginx' : `Flightbox in front of nginx: SKIPPED, ${SKIP_NOTE}`, () => {
  let dir = '';
  let nginx: ChildProcess | undefined;
  let nginxErr = '';
  let p: Proxy;
  const small = 'hello from nginx through flightbox\n';
  const big = randomBytes(4 << 20);
  const text = Array.from({ length: 2000 }, (_, i) => `line ${i} of a text nginx compresses\n`).join('');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fb-nginx-'));
    mkdirSync(join(dir, 'www', 'gz'), { recursive: true });
    mkdirSync(join(dir, 'www', 'dav'), { recursive: true });
    writeFileSync(join(dir, 'www', 'index.txt'), small);
    writeFileSync(join(dir, 'www', 'big.bin'), big);
    writeFileSync(join(dir, 'www', 'gz', 'text.txt'), text);
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port));
    nginx = trackChild(spawn(NGINX!, ['-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] }));
    nginx.stdout!.on('data', (d) => (nginxErr += d));
    nginx.stderr!.on('data', (d) => (nginxErr += d));
    const up = await pollUntil(() => canConnect(port), (ok) => ok || nginx!.exitCode !== null, { timeoutMs: 10_000 });
    if (!up && nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}) at start:\n${nginxErr}`);
    if (!up) throw new Error(`nginx did not listen on 127.0.0.1:${port} within 10 s:\n${nginxErr}`);
    p = await startProxy({
      config: (d, fbPort) =>
        buildConfig(
          d,
          { snapshotDir: false, timeouts: { client: '5s', connect: '1s', server: '5s' } },
          { 'frontend web': [`bind 127.0.0.1:${fbPort}`, 'default_backend be_nginx'], 'backend be_nginx': [`server n 127.0.0.1:${port}`] },
        ),
    });
  });
  afterAll(async () => {
    await p?.stop();
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGQUIT'); // nginx's graceful stop
      await Promise.race([exited, sleep(5000)]);
      if (nginx.exitCode === null) nginx.kill('SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const url = (path: string) => `http://127.0.0.1:${p.port}${path}`;

  it('serves a static file with its headers', async () => {
    const r = await run('curl', ['-s', '-m', '5', '-D', '-', url('/index.txt')]);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(r.stdout).toMatch(/^server: nginx/im);
    expect(r.stdout).toMatch(/^content-type: text\/plain\r$/im);
    expect(r.stdout).toMatch(new RegExp(`^content-length: ${small.length}\\r$`, 'im'));
    expect(r.stdout.endsWith(`\r\n\r\n${small}`)).toBe(true);
  });

  it('streams a large file back intact', async () => {
    const out = join(dir, 'big.out');
    const r = await run('curl', ['-s', '-m', '15', '-o', out, '-w', '%{http_code} %{size_download}', url('/big.bin')]);
    expect(r.stdout).toBe(`200 ${big.length}`);
    expect(sha(readFileSync(out))).toBe(sha(big));
  });

  it('keeps both sides alive: one client connection, one nginx connection for requests 2 and 3', async () => {
    const c = rawConn(p.port);
    try {
      const answers: string[] = [];
      for (let i = 0; i < 3; i++) {
        answers.push(await c.exchange('GET /index.txt HTTP/1.1\r\nHost: x\r\n\r\n', new RegExp(`${small}$`)));
      }
      const conns = answers.map((a) => /^x-conn: (\d+)\r$/im.exec(a)?.[1]);
      const reqs = answers.map((a) => Number(/^x-conn-req: (\d+)\r$/im.exec(a)?.[1]));
      // `http-reuse safe`: the first request opens a server connection, the next ones reuse it.
      expect(conns[1]).toBe(conns[0]);
      expect(conns[2]).toBe(conns[0]);
      expect(reqs).toEqual([1, 2, 3]);
      expect(c.sock.destroyed).toBe(false);
    } finally {
      c.sock.destroy();
    }
  });

  it('HEAD: the headers of the GET, no body, and the connection goes on', async () => {
    const c = rawConn(p.port);
    try {
      const head = await c.exchange('HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n', /\r\n\r\n/);
      expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(head).toMatch(new RegExp(`^content-length: ${big.length}\\r$`, 'im'));
      expect(head.endsWith('\r\n\r\n')).toBe(true);
      // Had a body been expected after the HEAD answer, this response would be swallowed.
      const next = await c.exchange('GET /index.txt HTTP/1.1\r\nHost: x\r\n\r\n', new RegExp(`${small}$`));
      expect(next).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    } finally {
      c.sock.destroy();
    }
  });

  it("passes nginx's 404 page through", async () => {
    const r = await run('curl', ['-s', '-m', '5', '-w', '\n%{http_code}', url('/missing.txt')]);
    expect(r.stdout.endsWith('\n404')).toBe(true);
    expect(r.stdout).toContain('<title>404 Not Found</title>');
    expect(r.stdout).toContain('<center>nginx');
  });

  it('forwards a chunked (gzip) response re-chunked, decoding to the file', async () => {
    const r = await run('curl', ['-s', '-m', '5', '-D', '-', '--compressed', url('/gz/text.txt')]);
    const [head, body] = [r.stdout.slice(0, r.stdout.indexOf('\r\n\r\n')), r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4)];
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/^transfer-encoding: chunked$/im);
    expect(head).toMatch(/^content-encoding: gzip$/im);
    expect(head).not.toMatch(/^content-length:/im);
    expect(body).toBe(text);
  });

  it('Expect: 100-continue: nginx\'s 100 Continue reaches the client, then the upload lands whole', async () => {
    const f = join(dir, 'up.bin');
    const body = randomBytes(2 << 20);
    writeFileSync(f, body);
    const t0 = Date.now();
    // curl waits up to --expect100-timeout for the 100 before sending the body anyway: make that long
    // enough that a 100 that never arrived shows in the time taken.
    const r = await run('curl', ['-sv', '-m', '20', '--expect100-timeout', '10', '-H', 'Expect: 100-continue', '-T', f, '-w', '%{http_code}', url('/dav/up.bin')]);
    expect(r.stderr).toMatch(/^< HTTP\/1\.1 100 Continue\r?$/m);
    expect(r.stdout).toBe('201');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(sha(readFileSync(join(dir, 'www', 'dav', 'up.bin')))).toBe(sha(body));
    const back = join(dir, 'up.back');
    const g = await run('curl', ['-s', '-m', '10', '-o', back, '-w', '%{http_code}', url('/dav/up.bin')]);
    expect(g.stdout).toBe('200');
    expect(sha(readFileSync(back))).toBe(sha(body));
  });
});
