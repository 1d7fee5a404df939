/**
 * Smoke test of the HTTP/3 load generator (test/bench/h3-load.ts, on proxy/h3/client-connection.ts
 * and the client-role QuicConnection) through a real Flightbox: `bind quic4@... ssl crt ... alpn h3`
 * in front of a node:http origin. A few requests on two connections with four streams each, a POST
 * with a body, and a 2 MB download byte-identical; bounded by short timeouts. Needs the built CLI
 * (FLIGHTBOX_CLI or dist/) and openssl, like the e2e tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { CLI, type Proxy } from '../e2e/harness.ts';
import { startH3Proxy } from '../e2e/h3-harness.ts';
import { listen } from '../e2e/origins.ts';
import { runH3Load } from './h3-load.ts';

const BIG = Buffer.alloc(2 * 1024 * 1024);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 7 + (i >> 11)) & 0xff;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let p: Proxy;
let port: number;
const posted: number[] = [];

describe.skipIf(!existsSync(CLI))('h3-load through Flightbox over HTTP/3', () => {
  beforeAll(async () => {
    const origin = await listen(
      createServer((req, res) => {
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => {
          if (req.method === 'POST') posted.push(n);
          res.setHeader('content-type', 'application/octet-stream');
          res.end(req.url === '/big' ? BIG : `hello ${req.method} ${n}\n`);
        });
      }),
    );
    p = await startH3Proxy({
      preamble: { nbthread: 1, global: ['hard-stop-after 5s'], timeouts: { client: '10s', connect: '1s', server: '5s' } },
      origin: origin.port,
    });
    port = p.port;
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('completes a bounded number of GETs on 2 connections x 4 streams, all 200, with latencies', async () => {
    const r = await runH3Load({ port, connections: 2, streams: 4, requests: 40, path: '/small', timeoutMs: 15_000 });
    expect(r.errorSamples).toEqual([]);
    expect(r.completed).toBe(40);
    expect(r.statuses.get(200)).toBe(40);
    expect(r.bytes).toBe(40 * 'hello GET 0\n'.length);
    expect(r.p50).toBeGreaterThan(0);
    expect(r.p99).toBeGreaterThanOrEqual(r.p50);
    expect(r.datagramsIn).toBeGreaterThan(0);
  });

  it('POSTs request bodies the origin receives whole', async () => {
    posted.length = 0;
    const r = await runH3Load({ port, connections: 1, streams: 2, requests: 4, method: 'POST', body: new Uint8Array(3000).fill(0x41), path: '/up', timeoutMs: 15_000 });
    expect(r.errorSamples).toEqual([]);
    expect(r.completed).toBe(4);
    expect(posted).toEqual([3000, 3000, 3000, 3000]);
  });

  it('downloads 2 MB byte-identical and runs for a duration', async () => {
    const parts: Uint8Array[] = [];
    const r = await runH3Load({ port, connections: 1, streams: 1, requests: 1, path: '/big', timeoutMs: 20_000, onBody: (_, b) => parts.push(b.slice()) });
    expect(r.completed).toBe(1);
    expect(sha(Buffer.concat(parts))).toBe(sha(BIG));
    const timed = await runH3Load({ port, connections: 1, streams: 2, seconds: 0.5, path: '/small' });
    expect(timed.errors).toBe(0);
    expect(timed.completed).toBeGreaterThan(0);
    expect(timed.seconds).toBeGreaterThanOrEqual(0.5);
  });
});
