/**
 * End to end: HTTP/3 through Flightbox. `bind quic4@127.0.0.1:<port> ssl crt <pem> alpn h3` in front of
 * a node:http origin, driven by gtlsclient (Debian `ngtcp2-client`, ngtcp2 + nghttp3;
 * /work/shared/interop-quic.md §1). gtlsclient exits 0 even when it fails: every assertion is on what
 * it prints (`Negotiated ALPN is h3`, `[:status: 200]`, the body hexdump) or on the files it downloads.
 *
 * Covered: the TCP bind advertising h3 with alt-svc (curl, then gtlsclient on that port); GET;
 * POST with a 300 KB body (the origin sees it byte for byte, with X-Forwarded-For from
 * `option forwardfor`); several URIs concurrently on one connection; a 10 MB download byte-identical
 * (SHA-256 of the file `--download` wrote); a download and an upload under 5% packet loss each way
 * (gtlsclient -t/-r, RFC 9002 loss recovery); ChaCha20-Poly1305; an `http-request return` answered
 * without a backend; the httplog lines with `HTTP/3.0`; a graceful stop (SIGTERM) during a slow
 * response: the stream completes; a key update initiated by the client during the 10 MB download
 * (RFC 9001 §6); connection migration (`--change-local-addr`) and NAT rebinding (`--nat-rebinding`)
 * during the 10 MB download with other streams open (RFC 9000 §9), with two worker threads, so that
 * datagrams from the client's new port may land on the thread that does not own the connection
 * and are handed over to the owner.
 * The whole file is skipped, with the reason, when gtlsclient is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { pollUntil, run, type Proxy } from './harness.ts';
import { bodyOf, gtls, gtlsclientMissing, INTEROP_FRONTEND, startH3Proxy } from './h3-harness.ts';
import { listen } from './origins.ts';

const NO_CLIENT = gtlsclientMissing('test/e2e/h3.test.ts');

/** What the origin saw: method, url, headers, body digest and size. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  size: number;
  sha: string;
}

const BIG = randomBytes(10 * 1024 * 1024);
const BIG_SHA = createHash('sha256').update(BIG).digest('hex');
const seen: Seen[] = [];
let p: Proxy;
let quicPort: number;

/** Runs gtlsclient against the proxy (idle timeout 10 s); returns everything it printed (stdout and stderr). */
function h3(uris: string[], extra: string[] = [], timeoutMs = 30_000): Promise<string> {
  return gtls(quicPort, uris, { extra, timeoutMs });
}

describe.skipIf(NO_CLIENT)('HTTP/3 through Flightbox with gtlsclient', () => {
  beforeAll(async () => {
    const origin = await listen(
      createServer((req, res) => {
        const h = createHash('sha256');
        let size = 0;
        if (req.url === '/both') {
          // Answers at once while the request body is still coming: upload and download at the same time.
          res.setHeader('content-type', 'application/octet-stream');
          res.end(BIG);
        }
        req.on('data', (c: Buffer) => {
          h.update(c);
          size += c.length;
        });
        req.on('end', () => {
          seen.push({ method: req.method!, url: req.url!, headers: req.headers, size, sha: h.digest('hex') });
          if (req.url === '/both') return;
          if (req.url === '/big') {
            res.setHeader('content-type', 'application/octet-stream');
            res.end(BIG);
            return;
          }
          if (req.url === '/medium') {
            res.setHeader('content-type', 'application/octet-stream');
            res.end(BIG.subarray(0, 2 << 20));
            return;
          }
          const answer = () => {
            res.setHeader('content-type', 'text/plain');
            res.end(`origin ${req.method} ${req.url} ${size}\n`);
          };
          if (req.url === '/slow') setTimeout(answer, 1500);
          else answer();
        });
      }),
    );
    p = await startH3Proxy({
      preamble: { nbthread: 2, global: ['log stdout format raw local0', 'hard-stop-after 10s'], timeouts: { client: '10s', connect: '1s', server: '5s' } },
      // HAProxy's way to advertise HTTP/3 from the TCP listeners (RFC 7838 Alt-Svc, RFC 9114 §3.1.1).
      frontend: [...INTEROP_FRONTEND, 'http-response set-header alt-svc "h3=\\":%[dst_port]\\"; ma=60"'],
      origin: origin.port,
    });
    quicPort = p.port;
  });

  afterAll(async () => {
    if (p) await p.stop(); // also removes its temp dir once it exited
  });

  it('answers a GET over h3 and logs it as HTTP/3.0 with the origin seeing X-Forwarded-For', async () => {
    const out = await h3(['/hello?x=1']);
    expect(out).toContain('Negotiated ALPN is h3');
    expect(out).toContain('http: stream 0x0 [:status: 200]');
    expect(bodyOf(out, '0x0')).toBe('origin GET /hello?x=1 0\n');
    const s = seen.find((x) => x.url === '/hello?x=1')!;
    expect(s.method).toBe('GET');
    expect(s.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(s.headers.host).toBe(`127.0.0.1:${quicPort}`);
    const line = await pollUntil(() => p.stdout().split('\n').find((l) => l.includes('"GET /hello?x=1 HTTP/3.0"')), (l) => l !== undefined);
    expect(line).toMatch(/ web~ be\/s1 \d+\/\d+\/\d+\/\d+\/\d+ 200 \d+ - - ---- /);
  });

  it('the TCP listener advertises HTTP/3 with alt-svc (http-response set-header), and the advertised port serves h3', async () => {
    const r = await run('curl', ['-s', '-m', '5', '-D', '-', '-o', '/dev/null', `http://127.0.0.1:${quicPort}/hello`]);
    const alt = /^alt-svc: (.*)\r?$/im.exec(r.stdout)?.[1];
    expect(alt, r.stdout).toBe(`h3=":${quicPort}"; ma=60`);
    const port = Number(/h3=":(\d+)"/.exec(alt!)![1]);
    const out = await gtls(port, ['/hello']);
    expect(out).toContain('Negotiated ALPN is h3');
    expect(out).toContain('http: stream 0x0 [:status: 200]');
  });

  it('forwards a POST body of 300 KB byte for byte', async () => {
    const dir = join(p.dir, 'post');
    mkdirSync(dir, { recursive: true });
    const body = randomBytes(300_000);
    writeFileSync(join(dir, 'body.bin'), body);
    const out = await h3(['/upload'], ['-m', 'POST', '-d', join(dir, 'body.bin')]);
    expect(out).toContain('http: stream 0x0 [:status: 200]');
    expect(bodyOf(out, '0x0')).toBe('origin POST /upload 300000\n');
    const s = seen.find((x) => x.url === '/upload')!;
    expect(s.size).toBe(300_000);
    expect(s.sha).toBe(createHash('sha256').update(body).digest('hex'));
    expect(await pollUntil(() => p.stdout().includes('"POST /upload HTTP/3.0"'), (x) => x)).toBe(true);
  });

  it('serves several URIs concurrently on one connection, one of them answered by an http-request rule', async () => {
    const out = await h3(['/c1', '/c2', '/c3', '/rule', '/c5']);
    for (const [i, id] of ['0x0', '0x4', '0x8', '0x10'].entries()) {
      expect(out).toContain(`http: stream ${id} [:status: 200]`);
      expect(bodyOf(out, id)).toBe(`origin GET /c${[1, 2, 3, 5][i]} 0\n`);
    }
    expect(bodyOf(out, '0xc')).toBe('answered by a rule\n');
    expect(seen.some((x) => x.url === '/rule')).toBe(false);
    // One QUIC connection: one client port in the five log lines.
    const lines = await pollUntil(() => p.stdout().split('\n').filter((l) => /"GET \/(c\d|rule) HTTP\/3\.0"/.test(l)), (l) => l.length === 5);
    expect(new Set(lines.map((l) => l.split(' ')[0])).size).toBe(1);
  });

  it('downloads 10 MB byte-identical', async () => {
    const dir = join(p.dir, 'dl');
    mkdirSync(dir, { recursive: true });
    const out = await h3(['/big'], ['-q', `--download=${dir}`], 60_000);
    expect(out).not.toMatch(/ERR_/);
    expect(readdirSync(dir)).toEqual(['big']);
    const got = readFileSync(join(dir, 'big'));
    expect(got.length).toBe(BIG.length);
    expect(createHash('sha256').update(got).digest('hex')).toBe(BIG_SHA);
  });

  it('completes a 2 MB download and a 300 KB upload byte-exact with 5% of the packets lost each way (gtlsclient -t/-r)', async () => {
    const dir = join(p.dir, 'lossy');
    mkdirSync(dir, { recursive: true });
    // With 5% loss each way, a handshake that loses two flights in a row waits out two PTOs
    // (about 1 s, then 2 s: RFC 9002 §6.2.1), past the harness's 3 s handshake bound.
    const loss = ['-t', '0.05', '-r', '0.05', '--handshake-timeout=30s'];
    const out = await h3(['/medium'], ['--no-http-dump', `--download=${dir}`, ...loss], 60_000);
    expect(out).not.toMatch(/ERR_/);
    const got = readFileSync(join(dir, 'medium'));
    expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(BIG.subarray(0, 2 << 20)).digest('hex'));
    const body = randomBytes(300_000);
    writeFileSync(join(dir, 'body.bin'), body);
    const up = await h3(['/lossy-upload'], ['-m', 'POST', '-d', join(dir, 'body.bin'), ...loss], 60_000);
    expect(up).toContain('http: stream 0x0 [:status: 200]');
    const s = seen.find((x) => x.url === '/lossy-upload')!;
    expect([s.size, s.sha]).toEqual([300_000, createHash('sha256').update(body).digest('hex')]);
    // The losses were real: the server's loss detection (RFC 9002 §6.1) declared some of its packets lost.
    expect(await p.cli('show events flight')).toMatch(/qcDetectLostPackets\(\): lost pn \d+ in space 2/);
  });

  it('negotiates ChaCha20-Poly1305', async () => {
    const out = await h3(['/chacha'], ['--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305']);
    expect(out).toContain('Negotiated cipher suite is CHACHA20-POLY1305');
    expect(bodyOf(out, '0x0')).toBe('origin GET /chacha 0\n');
  });

  it('survives a key update initiated by the client during a 10 MB download (RFC 9001 §6)', async () => {
    const dir = join(p.dir, 'ku');
    mkdirSync(dir, { recursive: true });
    const out = await h3(['/big'], ['--no-http-dump', `--download=${dir}`, '--key-update=100ms'], 60_000);
    expect(out).not.toMatch(/ERR_/);
    expect(out).toContain('Initiate key update');
    expect(out).toContain('key update confirmed'); // an ACK of a packet in the new phase (RFC 9001 §6.1)
    expect(out).toMatch(/pkt rx pkn=\d+ dcid=0x[0-9a-f]+ type=1RTT k=1/); // the server answers in the new phase
    const got = readFileSync(join(dir, 'big'));
    expect(got.length).toBe(BIG.length);
    expect(createHash('sha256').update(got).digest('hex')).toBe(BIG_SHA);
    expect(p.child.exitCode).toBeNull();
  });

  // The client uploads 4 MB on every stream while /both streams 10 MB back, so that it keeps
  // sending when its address changes: with --nat-rebinding it ignores what the server still sends
  // to the old address and starts no path validation, so only its own packets reveal the new one.
  for (const [what, extra] of [
    ['a connection migration', ['--change-local-addr=150ms']],
    ['a NAT rebinding', ['--change-local-addr=150ms', '--nat-rebinding']],
  ] as const) {
    it(`completes a 10 MB download and other open streams byte-identical across ${what} (RFC 9000 §9)`, async () => {
      const dir = join(p.dir, what.replace(/\W+/g, '-'));
      mkdirSync(dir, { recursive: true });
      const body = randomBytes(4 * 1024 * 1024);
      writeFileSync(join(dir, 'body.bin'), body);
      const sha = createHash('sha256').update(body).digest('hex');
      const out = await h3(['/both', '/m1', '/m2'], ['--no-http-dump', '-m', 'POST', '-d', join(dir, 'body.bin'), `--download=${dir}`, ...extra], 60_000);
      expect(out, out.slice(-3000)).not.toMatch(/ERR_/); // the end of the client's log says why
      expect(out).toContain('Local address is now');
      // The server validated the client's new address (RFC 9000 §8.2, §9.3): its PATH_CHALLENGE was answered.
      expect(out).toMatch(/frm rx \d+ 1RTT PATH_CHALLENGE/);
      expect(out).toMatch(/frm tx \d+ 1RTT PATH_RESPONSE/);
      const got = readFileSync(join(dir, 'both'));
      expect(got.length).toBe(BIG.length);
      expect(createHash('sha256').update(got).digest('hex')).toBe(BIG_SHA);
      expect(readFileSync(join(dir, 'm1'), 'utf8')).toBe(`origin POST /m1 ${body.length}\n`);
      expect(readFileSync(join(dir, 'm2'), 'utf8')).toBe(`origin POST /m2 ${body.length}\n`);
      for (const url of ['/both', '/m1', '/m2']) expect(seen.filter((x) => x.url === url).at(-1)?.sha).toBe(sha);
      expect(p.child.exitCode).toBeNull(); // no worker crashed, the proxy still runs
    });
  }

  it('completes an open stream across a graceful stop (GOAWAY), then exits', async () => {
    const pending = h3(['/slow']);
    await pollUntil(() => seen.some((x) => x.url === '/slow'), (x) => x, { timeoutMs: 5000 });
    p.child.kill('SIGTERM');
    const out = await pending;
    expect(out).toContain('http: stream 0x0 [:status: 200]');
    expect(bodyOf(out, '0x0')).toBe('origin GET /slow 0\n');
    const code = await p.exited;
    expect(code).toBe(0);
  });
});
