/**
 * End to end: every `quic` and `tls13` trace record of a QUIC connection carries the id of its
 * `quic_conn` object, the one `show sess` prints as the parent of its HTTP/3 streams, from the very
 * first Initial on (the listener creates that object before the QUIC engine, proxy/quic/udp/listener.ts).
 * Two gtlsclient connections are in flight at once (their requests held by a slow origin) so that
 * no record could be attributed by elimination; after both complete, the flight ring's `quic` and
 * `tls13` lines (`show events flight`) are checked one by one. Skipped, with the reason, when
 * gtlsclient is not installed; gtlsclient exits 0 even when it fails, so assertions are on what it prints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { pollUntil, type Proxy } from './harness.ts';
import { gtls, gtlsclientMissing, startH3Proxy } from './h3-harness.ts';
import { listen, type Origin } from './origins.ts';

const NO_CLIENT = gtlsclientMissing('test/e2e/h3-trace-ids.test.ts');

/** How long the origin holds /slow* responses: both connections are open meanwhile. */
const SLOW_MS = 1500;
/** Functions of the `quic` points that answer datagrams of no connection (recorded with connection id 0). */
const CONNECTIONLESS = /\] (quicStatelessReset|quicVersionNegotiation|quicRetry)\(\)/;

let p: Proxy;
let origin: Origin;
let quicPort: number;

/** Runs gtlsclient for `path` against the proxy (idle timeout 8 s); resolves with everything it printed. */
function h3(path: string): Promise<string> {
  return gtls(quicPort, [path], { idle: '8s' });
}

describe.skipIf(NO_CLIENT)('QUIC and TLS trace records carry their connection id', () => {
  beforeAll(async () => {
    origin = await listen(
      createServer((req, res) => {
        req.resume();
        req.on('end', () => setTimeout(() => res.end(`origin ${req.url}\n`), req.url!.startsWith('/slow') ? SLOW_MS : 0));
      }),
    );
    p = await startH3Proxy({
      preamble: { nbthread: 2, global: ['hard-stop-after 5s'], timeouts: { client: '10s', connect: '1s', server: '5s' } },
      origin: origin.port,
    });
    quicPort = p.port;
    for (const src of ['quic', 'tls13']) await p.cli(`trace ${src} level developer; trace ${src} start now`);
  }, 30_000);

  afterAll(async () => {
    if (p) await p.stop();
    await origin?.close();
  });

  it('two connections at once: each one\'s quic and tls13 records, first Initial included, carry the quic_conn id show sess prints', async () => {
    const clients = Promise.all([h3('/slow1'), h3('/slow2')]);
    // Both requests wait on the origin: two HTTP/3 streams whose parents are two quic_conn objects.
    const sess = await pollUntil(() => p.cli('show sess'), (t) => (t.match(/ GET \/slow\d HTTP\/3\.0 /g) ?? []).length === 2, { timeoutMs: 8000 });
    const streams = sess.split('\n').filter((l) => / GET \/slow\d HTTP\/3\.0 /.test(l));
    expect(streams, sess).toHaveLength(2);
    const hexIds = [...new Set(streams.map((l) => /parent=(0x[0-9a-f]+)/.exec(l)![1]))];
    expect(hexIds).toHaveLength(2);
    // `show conns` lists the same two objects as QUIC connections.
    const conns = await p.cli('show conns');
    for (const id of hexIds) expect(conns).toMatch(new RegExp(`^ *${id} : kind=quic_conn `, 'm'));
    const outs = await clients;
    for (const out of outs) expect(out).toContain('http: stream 0x0 [:status: 200]');

    const ids = hexIds.map((h) => parseInt(h, 16));
    const lines = (await p.cli('show events flight')).split('\n');
    const engine = lines.filter((l) => (l.includes('|quic|') || l.includes('|tls13|')) && !CONNECTIONLESS.test(l));
    expect(engine.length).toBeGreaterThan(20);
    // Every record of the QUIC engine and of the TLS handshake names one of the two connections.
    const untagged = engine.filter((l) => !ids.includes(Number(/ c=(\d+) s=\d+$/.exec(l)?.[1] ?? 0)));
    expect(untagged, untagged.slice(0, 5).join('\n')).toEqual([]);
    for (const id of ids) {
      const mine = engine.filter((l) => l.endsWith(` c=${id} s=0`));
      // The first Initial it received (pn 0 in the Initial space), the handshake's messages and keys, and its completion.
      expect(mine.some((l) => l.includes('|quic|') && l.includes('received pn 0 in space 0')), mine.slice(0, 5).join('\n')).toBe(true);
      expect(mine.some((l) => l.includes('|quic|') && / sent pn \d+ in space 2/.test(l))).toBe(true);
      expect(mine.filter((l) => l.includes('|tls13|')).length).toBeGreaterThan(3);
      expect(mine.some((l) => l.includes('|tls13|') && l.includes('server alpn=h3'))).toBe(true);
    }
  }, 30_000);
});
