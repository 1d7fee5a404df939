/**
 * End to end: the HTTP/3 seed crash classes of issue 4 (seeds-digest.md 1, 2 and 4), survived and,
 * with their fault sites armed, explained by a snapshot, with the real gtlsclient (Debian
 * `ngtcp2-client`) as the client and the built CLI as the proxy. gtlsclient exits 0 even when it
 * fails: every assertion is on what it prints or on what the proxy reports.
 *
 * - Seed 1 (HAProxy 2.8.5, h3_resp_headers_send): every status a server sends is forwarded (1xx
 *   interim ones before the final one, 204, 304, 499, 599) and traced; a response whose encoded
 *   headers do not fit tune.bufsize (large origin headers plus one added by an `http-response` rule)
 *   fails that stream alone while another stream of the same connection completes, and is traced.
 *   Armed, `h3.resp-headers-overflow` turns it into the original BUG_ON, whose snapshot decodes to
 *   h3RespHeadersSend under the HTTP/3 stream send path with the stream as context.
 * - Seed 2 (HAProxy 3.0.0-3.0.2, h3s->h3c in h3_close): the client closes its connection while a
 *   request is still waiting for the origin: the stream ends with it. Armed,
 *   `h3.stream-outlives-conn` leaves the stream running after its connection context is released;
 *   when the origin answers, the stream's close reaches the released context: the snapshot decodes
 *   to h3Close with the stream as context.
 * - Seed 4 (HAProxy 3.0.9, quic_get_ncbuf): with `-m 1` and `tune.bufsize 524288` the worker's pools
 *   hold two buffers. gtlsclient's ClientHello fits one packet unless it offers a large key share:
 *   with `--groups` FFDHE8192 first it spans two Initial packets, and a relay in this test delivers
 *   the second one first and holds the rest of the client's datagrams for a moment (a reordering
 *   network), so that each connection holds a `quic_ncbuf` buffer while it waits: concurrent
 *   handshakes beyond two are closed cleanly (INTERNAL_ERROR in an Initial CONNECTION_CLOSE), the
 *   failures are counted in `show pools`, the proxy keeps serving. Armed, `quic.ncbuf-alloc-assert`
 *   asserts at the first refusal like 3.0.9: the snapshot decodes to quicGetNcbuf under
 *   qcHandleCryptoFrm with the quic_conn as context and the pool failures.
 *
 * The whole file is skipped, with the reason, when gtlsclient is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { flightbox, pollUntil, type Proxy } from './harness.ts';
import { bodyOf, gtls, gtlsclientMissing, startH3Proxy } from './h3-harness.ts';
import { listen } from './origins.ts';

const NO_CLIENT = gtlsclientMissing('test/e2e/h3-seeds.test.ts');

/** Runs gtlsclient against 127.0.0.1:`port` (URIs name `authority`, idle timeout 5 s); returns everything it printed. */
function h3(port: number, uris: string[], extra: string[] = [], authority = port): Promise<string> {
  return gtls(port, uris, { extra, authority, idle: '5s' });
}

/** `flightbox decode --json` of a snapshot (the built CLI). */
async function decodeJson(path: string): Promise<Record<string, any>> {
  const r = await flightbox(['decode', '--json', path]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** `flightbox decode` text of a snapshot: its Known issue section. */
async function knownIssueText(path: string): Promise<string> {
  const r = await flightbox(['decode', path]);
  expect(r.code, r.stderr).toBe(0);
  const m = /== Known issue ==\n([\s\S]*?)\n== /.exec(r.stdout);
  if (!m) throw new Error(`no Known issue section in:\n${r.stdout.slice(0, 2000)}`);
  return m[1];
}

/** Waits for the supervisor's `worker N died: bug: ...; snapshot written to <path>` after stderr offset `from`. */
async function bugSnapshot(p: Proxy, from: number): Promise<{ message: string; path: string }> {
  const m = await p.waitStderr(/worker \d+ died: bug: (.*); snapshot written to (\S+)/, 20_000, from);
  return { message: m[1], path: m[2] };
}

/** Names of the in-app frames of a decoded call chain, innermost first. */
function chain(j: Record<string, any>): string[] {
  return (j.callChain.frames as { fn: string; inApp: boolean }[]).filter((f) => f.inApp).map((f) => f.fn.replace(/^.*\./, ''));
}

/** A quic_ncbuf (or merged) pool line of `show pools`: its failures. */
function ncbufFailures(pools: string): number {
  const m = /- Pool quic_ncbuf \(\d+ bytes\) : .* (\d+) failures/.exec(pools);
  if (!m) throw new Error(`no quic_ncbuf line in:\n${pools}`);
  return Number(m[1]);
}

/**
 * A UDP relay in front of `target` that reorders each client's first two datagrams: the second is
 * forwarded at once, the first and everything else the client sends in the next `holdMs` after it
 * (its retransmissions) are held, then delivered in order. Answers go straight back.
 */
async function reorderingRelay(target: number, holdMs: number): Promise<{ port: number; close(): void }> {
  const front = createSocket('udp4');
  const ups: UdpSocket[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const clients = new Map<string, { up: UdpSocket; n: number; first: Buffer | undefined; held: Buffer[] | null }>();
  front.on('message', (msg, r) => {
    const key = `${r.address}:${r.port}`;
    let c = clients.get(key);
    if (!c) {
      const up = createSocket('udp4');
      up.on('message', (m) => {
        if (!closed) front.send(m, r.port, r.address);
      });
      up.on('error', () => {});
      up.bind(0, '127.0.0.1');
      ups.push(up);
      c = { up, n: 0, first: undefined, held: [] };
      clients.set(key, c);
    }
    const cl = c;
    const send = (b: Buffer) => {
      if (!closed) cl.up.send(b, target, '127.0.0.1');
    };
    cl.n++;
    if (cl.n === 1) cl.first = msg;
    else if (cl.n === 2) {
      send(msg);
      const t = setTimeout(() => {
        timers.delete(t);
        for (const b of [cl.first!, ...cl.held!]) send(b);
        cl.held = null;
      }, holdMs);
      timers.add(t);
    } else if (cl.held) cl.held.push(msg);
    else send(msg);
  });
  front.on('error', () => {});
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', r));
  return {
    port: front.address().port,
    close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      for (const u of ups) u.close();
      front.close();
    },
  };
}

describe.skipIf(NO_CLIENT)('HTTP/3 seeds 1 and 2 with gtlsclient', () => {
  let p: Proxy;
  let port: number;
  // Added to every response by an http-response rule. '~' has a 13-bit Huffman code: QPACK sends such
  // values as they are (RFC 9204 §4.1.2), so the HEADERS frame is about as large as the HTTP/1.1 head.
  const PAD = '~'.repeat(5000);
  const get = (uris: string[], extra: string[] = []) => h3(port, uris, extra);

  beforeAll(async () => {
    const origin = await listen(
      createServer((req, res) => {
        const url = req.url ?? '/';
        req.resume();
        req.on('end', () => {
          const st = /^\/status\/(\d+)$/.exec(url);
          if (st) {
            res.writeHead(Number(st[1]), { 'content-type': 'text/plain' });
            res.end(Number(st[1]) === 204 || Number(st[1]) === 304 ? undefined : `status ${st[1]}\n`);
          } else if (url === '/interim') {
            res.writeProcessing(); // 102
            res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' }); // 103
            setTimeout(() => res.end('after two interim responses\n'), 50);
          } else if (url === '/big') {
            // 12 KB of headers: they fit tune.bufsize (16 KB) on the server side; with the rule's 5 KB, not in HTTP/3.
            for (let i = 0; i < 12; i++) res.setHeader(`x-big-${i}`, '~'.repeat(1000));
            res.end('never seen\n');
          } else if (url.startsWith('/slow')) setTimeout(() => res.end(`slow ${url}\n`), url === '/slow' ? 1200 : 400);
          else res.end(`origin ${url}\n`);
        });
      }),
    );
    p = await startH3Proxy({
      preamble: { nbthread: 1, global: ['hard-stop-after 5s'], timeouts: { client: '10s', connect: '1s', server: '5s' } },
      frontend: [`http-response set-header x-pad ${PAD}`],
      origin: origin.port,
    });
    port = p.port;
  });

  afterAll(async () => {
    if (p) await p.stop();
  });

  it('seed 1: every status is forwarded (interim 1xx before the final one, 204, 304, 499, 599) and traced', async () => {
    const codes = [200, 204, 304, 404, 499, 599];
    const out = await get(['/interim', ...codes.map((c) => `/status/${c}`)]);
    expect(out).toContain('Negotiated ALPN is h3');
    const statuses = (id: string) => [...out.matchAll(new RegExp(`^http: stream ${id} \\[:status: (\\d+)\\]$`, 'gm'))].map((m) => Number(m[1]));
    expect(statuses('0x0')).toEqual([102, 103, 200]);
    expect(out).toMatch(/^http: stream 0x0 \[link: <\/style\.css>; rel=preload; as=style\]$/m);
    expect(bodyOf(out, '0x0')).toBe('after two interim responses\n');
    codes.forEach((c, i) => expect(statuses(`0x${(4 * (i + 1)).toString(16)}`), `status ${c}`).toEqual([c]));
    expect(bodyOf(out, '0x14')).toBe('status 499\n');
    expect(bodyOf(out, '0x18')).toBe('status 599\n');
    const events = await p.cli('show events flight');
    for (const c of [102, 103, 200, 204, 304, 499, 599]) expect(events).toMatch(new RegExp(`h3RespHeadersSend\\(\\): response ${c}: \\d+ bytes`));
  });

  it('seed 1: headers that do not fit fail their stream alone, traced; another stream of the connection completes', async () => {
    const out = await get(['/big', '/slow-other']);
    // Stream 0x0 is reset with H3_INTERNAL_ERROR (0x102) before any header; stream 0x4 is answered meanwhile.
    expect(out).not.toMatch(/^http: stream 0x0 \[:status/m);
    expect(out).toMatch(/frm rx \d+ 1RTT RESET_STREAM\(0x04\) id=0x0 app_error_code=\S*\(0x102\) final_size=0/);
    expect(out).toContain('HTTP stream 0 closed with error code 258'); // H3_INTERNAL_ERROR
    expect(out).toContain('http: stream 0x4 [:status: 200]');
    expect(bodyOf(out, '0x4')).toBe('slow /slow-other\n');
    const events = await p.cli('show events flight');
    expect(events).toMatch(/h3RespHeadersSend\(\): response 200 too large \(\d+ > 16384\): encoded HEADERS frame of \d+ bytes does not fit the 16384-byte buffer \(raise tune\.bufsize\)/);
    expect(p.snapshots()).toEqual([]);
    expect(p.stderr()).not.toMatch(/BUG_ON|died/);
  });

  it('seed 2: a client that closes its connection while a request waits for the origin ends that stream with it', async () => {
    const out = await get(['/fast', '/slow'], ['--exit-on-first-stream-close']);
    expect(out).toContain('http: stream 0x0 [:status: 200]');
    expect(out).toMatch(/CONNECTION_CLOSE/);
    await new Promise((r) => setTimeout(r, 1500)); // the origin answers /slow meanwhile
    expect(p.snapshots()).toEqual([]);
    expect(p.stderr()).not.toMatch(/BUG_ON|died/);
    expect(await get(['/after'])).toContain('http: stream 0x0 [:status: 200]');
  });

  it('seed 1 fault site: the original BUG_ON in h3RespHeadersSend under the stream send path, the stream as context', async () => {
    expect(await p.cli('expert-mode on; debug dev fault h3.resp-headers-overflow')).toMatch(/armed for 1 hit/);
    const from = p.stderr().length;
    void get(['/big', '/slow-other']);
    const snap = await bugSnapshot(p, from);
    expect(snap.message).toMatch(/^BUG_ON: h3_resp_headers_send: encoded HEADERS frame of \d+ bytes does not fit the 16384-byte buffer \(response 200 on stream 0\)$/);
    const j = await decodeJson(snap.path);
    const fns = chain(j);
    expect(fns[0]).toBe('h3RespHeadersSend');
    // Under the HTTP/3 stream send path: the driver's sendHead, called by the stream's head(), called by the forward.
    expect(fns.slice(1, 3)).toEqual(['sendHead', 'head']);
    expect(j.callChain.frames.find((f: { fn: string }) => /h3RespHeadersSend$/.test(f.fn)).file).toBe('proxy/h3/server-connection.ts');
    expect(j.context.object.kind).toBe('stream');
    expect(j.context.object.info).toMatch(/GET \/big HTTP\/3\.0$/);
    expect(j.context.object.log.map((e: { event: string }) => e.event)).toEqual(expect.arrayContaining(['create', 'request']));
    expect(j.context.connection.kind).toBe('quic_conn');
    expect(j.context.details).toMatchObject({ h3Stream: 0, status: 200, bufferBytes: 16384 });
    expect(j.knownIssue.match).toMatchObject({ id: 'h3-resp-headers-overflow', seed: 1 });
    expect(await knownIssueText(snap.path)).toMatch(/^Match: h3-resp-headers-overflow \(seed crash 1\): HTTP\/3 response headers do not fit the buffer/m);
    // A replacement worker serves again.
    const again = await pollUntil(() => get(['/again']), (o) => o.includes('[:status: 200]'), { timeoutMs: 10_000, everyMs: 200 });
    expect(again).toContain('http: stream 0x0 [:status: 200]');
  });

  it('seed 2 fault site: the stream outlives its released connection; its close reaches the released context in h3Close', async () => {
    expect(await p.cli('expert-mode on; debug dev fault h3.stream-outlives-conn')).toMatch(/armed for 1 hit/);
    const from = p.stderr().length;
    const out = await get(['/fast', '/slow'], ['--exit-on-first-stream-close']);
    expect(out).toContain('http: stream 0x0 [:status: 200]');
    const snap = await bugSnapshot(p, from);
    expect(snap.message).toMatch(/^BUG_ON: h3_close: stream 4 of connection \d+ reached the connection's HTTP\/3 context after it was released \(.*\)$/);
    const j = await decodeJson(snap.path);
    const fns = chain(j);
    expect(fns[0]).toBe('h3Close');
    expect(fns[1]).toBe('endStream');
    expect(j.context.object.kind).toBe('stream');
    expect(j.context.object.info).toMatch(/GET \/slow HTTP\/3\.0$/);
    expect(j.context.object.live).toBe(true); // the stream outlived its connection...
    expect(j.context.connection?.live ?? false).toBe(false); // ...which was released
    expect(j.context.details).toMatchObject({ h3Stream: 4, request: 'GET /slow HTTP/3.0' });
    expect(j.knownIssue.match).toMatchObject({ id: 'quic-goaway-migration-race', seed: 2 });
    expect(await knownIssueText(snap.path)).toMatch(/^Match: quic-goaway-migration-race \(seed crash 2\)/m);
    const again = await pollUntil(() => get(['/again']), (o) => o.includes('[:status: 200]'), { timeoutMs: 10_000, everyMs: 200 });
    expect(again).toContain('http: stream 0x0 [:status: 200]');
  });
});

describe.skipIf(NO_CLIENT)('HTTP/3 seed 4 with gtlsclient: -m 1, tune.bufsize 524288, reordered ClientHellos', () => {
  let p: Proxy;
  let relay: { port: number; close(): void };
  // A ClientHello of two Initial packets; handshakes that wait for the held packet, on a loaded machine, take seconds.
  const SPLIT = ['--groups=-GROUP-ALL:+GROUP-FFDHE8192:+GROUP-X25519', '--handshake-timeout=10s', '--timeout=10s'];

  beforeAll(async () => {
    p = await startH3Proxy({
      args: ['-m', '1', '-dMno-merge'],
      preamble: { nbthread: 1, global: ['tune.bufsize 524288', 'hard-stop-after 5s'], timeouts: { client: '10s', connect: '1s', server: '5s' } },
      frontend: ['http-request return status 200 content-type text/plain string "served\\n"'],
    });
    relay = await reorderingRelay(p.port, 500);
  });

  afterAll(async () => {
    relay?.close();
    if (p) await p.stop();
  });

  it('concurrent handshakes beyond the memory cap are closed cleanly, counted in show pools, and the proxy keeps serving', async () => {
    const N = 6;
    const outs = await Promise.all(Array.from({ length: N }, (_, i) => h3(relay.port, [`/c${i}`], SPLIT, p.port)));
    const served = outs.filter((o) => o.includes('http: stream 0x0 [:status: 200]'));
    const refused = outs.filter((o) =>
      /frm rx \d+ Initial CONNECTION_CLOSE\(0x1c\) error_code=INTERNAL_ERROR\(0x1\) frame_type=6 .*reason=\[no memory for the CRYPTO reassembly buffer \(pool quic_ncbuf, 524288 bytes\): raise -m or lower tune\.bufsize\]/.test(o),
    );
    // -m 1 holds two 512 KB buffers: at most two handshakes wait at a time, the others are refused.
    const tails = outs.map((o, i) => `--- client ${i}:\n${o.split('\n').filter((l) => /CONNECTION_CLOSE|:status|ERR_|Negotiated/.test(l)).join('\n') || o.slice(-400)}`).join('\n');
    expect(refused.length + served.length, tails).toBe(N);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(served.length).toBeLessThanOrEqual(N - 1);
    const pools = await p.cli('show pools');
    expect(ncbufFailures(pools)).toBe(refused.length);
    const events = await p.cli('show events flight');
    expect(events).toMatch(/quicGetNcbuf\(\): ncbuf op 3: size 524288/); // the refusal is traced
    // The proxy keeps serving: over HTTP/3 and over HTTP/1.1 (a 512 KB buffer again, once the ncbufs are gone).
    expect(await h3(p.port, ['/later'])).toContain('http: stream 0x0 [:status: 200]');
    expect(await p.get('/later')).toMatchObject({ status: 200, body: 'served\n' });
    expect(p.snapshots()).toEqual([]);
    expect(p.stderr()).not.toMatch(/BUG_ON|died/);
  });

  it('fault site armed: the first refusal is the original BUG_ON in quicGetNcbuf under qcHandleCryptoFrm, the quic_conn as context', async () => {
    expect(await p.cli('expert-mode on; debug dev fault quic.ncbuf-alloc-assert')).toMatch(/armed for 1 hit/);
    const from = p.stderr().length;
    void Promise.all(Array.from({ length: 4 }, (_, i) => h3(relay.port, [`/f${i}`], SPLIT, p.port)));
    const snap = await bugSnapshot(p, from);
    expect(snap.message).toMatch(/^BUG_ON: quic_get_ncbuf: ncbuf allocation failed \(pool quic_ncbuf, 524288-byte buffers, CRYPTO offset 0, connection \d+\)$/);
    const j = await decodeJson(snap.path);
    expect(chain(j).slice(0, 2)).toEqual(['quicGetNcbuf', 'qcHandleCryptoFrm']);
    expect(j.callChain.frames[0].file).toBe('proxy/quic/crypto-rx.ts');
    expect(j.context.object.kind).toBe('quic_conn');
    expect(j.context.object.info).toMatch(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ quic fe=web$/);
    expect(j.context.object.log.map((e: { event: string }) => e.event)).toContain('create');
    const lines = (j.events.shown as { formatted: string }[]).map((e) => e.formatted).join('\n');
    expect(lines).toMatch(/quicGetNcbuf\(\): ncbuf op 3: size 524288/);
    const ncbuf = (j.pools as { pools: { name: string; failures: number; used: number }[] }[]).flatMap((v) => v.pools).find((x) => x.name === 'quic_ncbuf')!;
    expect(ncbuf.failures).toBeGreaterThan(0);
    expect(j.knownIssue.match).toMatchObject({ id: 'quic-crypto-ncbuf-alloc', seed: 4 });
    expect(j.knownIssue.match.matched.join('\n')).toMatch(/allocation failures counted in the quic_ncbuf pool/);
    expect(await knownIssueText(snap.path)).toMatch(/^Match: quic-crypto-ncbuf-alloc \(seed crash 4\): QUIC CRYPTO reassembly buffer \(ncbuf\) allocation failure not handled/m);
    // A replacement worker serves again.
    const again = await pollUntil(() => h3(p.port, ['/again']), (o) => o.includes('[:status: 200]'), { timeoutMs: 10_000, everyMs: 200 });
    expect(again).toContain('http: stream 0x0 [:status: 200]');
  });
});
