/**
 * End to end: what Flightbox's QUIC listener answers without a connection, against the real
 * gtlsclient (Debian `ngtcp2-client`; /work/shared/interop-quic.md §1), through `flightbox run` with
 * two worker threads in front of a node:http origin:
 *
 * - `bind quic4@... quic-force-retry`: the client gets a Retry (its log: `type=Retry`), follows it,
 *   checks original_destination_connection_id and retry_source_connection_id (RFC 9000 §7.3, §8.1.2)
 *   and completes a GET; a bind without the option sends no Retry.
 * - Version negotiation (RFC 9000 §6): a client offering version 0x1a2a3a4a gets a Version
 *   Negotiation packet listing v1 (`type=VN`, `VN v=0x00000001`), selects v1 and completes a GET.
 * - Stateless reset (RFC 9000 §10.3): a client whose connection's worker thread died (`debug dev
 *   exit`) and was replaced by the supervisor sends its request after the restart (`--delay-stream`);
 *   the replacement, which shares the supervisor's secret, answers with a stateless reset whose token
 *   is the one advertised for that connection id; the client logs `SR token=...` and drains.
 * - `cluster-secret` (global, HAProxy 2.6+): the same, across a restart of the whole process: a
 *   client connected to a proxy with `cluster-secret` sends its request once that process was
 *   killed and a new one, with the same secret, listens on the same port; the new process's
 *   stateless reset carries the token the first one advertised.
 * Each is also checked on the `quic` trace source (`show events flight`).
 *
 * gtlsclient exits 0 even when it fails: every assertion is on what it prints. Every run is bounded
 * by `--handshake-timeout`/`--timeout` and a kill timer. Skipped, with the reason, when gtlsclient is
 * not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { freePort, pollUntil, type Proxy } from './harness.ts';
import { bodyOf, gtls, gtlsclientMissing, startGtls, startH3Proxy, type GtlsOptions } from './h3-harness.ts';
import { listen, type Origin } from './origins.ts';

const NO_CLIENT = gtlsclientMissing('test/e2e/h3-edge.test.ts');

let p: Proxy;
let origin: Origin;
/** The QUIC bind with quic-force-retry, and the plain one. */
let retryPort: number;
let plainPort: number;

/** gtlsclient with its ngtcp2 log (the assertions read packets and transport parameters), idle timeout 8 s. */
const BASE: GtlsOptions = { quicDump: true, idle: '8s' };

/** Runs gtlsclient to completion against `port`; everything it printed (its ngtcp2 log included). */
function h3(port: number, path: string, extra: string[] = []): Promise<string> {
  return gtls(port, [path], { ...BASE, extra });
}

/** The `quic` trace lines of the flight ring of `x` (the main proxy unless given). */
async function quicEvents(x: Proxy = p): Promise<string[]> {
  return (await x.cli('show events flight')).split('\n').filter((l) => l.includes('|quic|'));
}

describe.skipIf(NO_CLIENT)('QUIC edge through Flightbox with gtlsclient: Retry, version negotiation, stateless reset', () => {
  beforeAll(async () => {
    origin = await listen(
      createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.setHeader('content-type', 'text/plain');
          res.end(`origin ${req.method} ${req.url}\n`);
        });
      }),
    );
    plainPort = await freePort();
    p = await startH3Proxy({
      preamble: { nbthread: 2, global: ['hard-stop-after 5s'], timeouts: { client: '10s', connect: '1s', server: '5s' } },
      bindOptions: 'quic-force-retry',
      frontend: (pem) => [`bind quic4@127.0.0.1:${plainPort} ssl crt ${pem} alpn h3`],
      origin: origin.port,
    });
    retryPort = p.port;
    await p.cli('trace quic level state; trace quic start now');
  }, 30_000);

  afterAll(async () => {
    if (p) await p.stop(); // also removes its temp dir once it exited
    await origin?.close();
  });

  it('quic-force-retry: the client follows a Retry, checks the Retry transport parameters and completes a GET', async () => {
    const out = await h3(retryPort, '/retry');
    // ngtcp2 logs the Retry it received and the server's transport parameters.
    const retry = /pkt rx pkn=0 dcid=0x[0-9a-f]+ scid=0x([0-9a-f]+) version=0x00000001 type=Retry/.exec(out);
    expect(retry, out.slice(-3000)).not.toBeNull();
    const firstDcid = /pkt tx pkn=0 dcid=0x([0-9a-f]+) scid=0x[0-9a-f]+ version=0x00000001 type=Initial/.exec(out)![1];
    expect(out).toContain(`remote transport_parameters retry_source_connection_id=0x${retry![1]}`);
    expect(out).toContain(`remote transport_parameters original_destination_connection_id=0x${firstDcid}`);
    expect(out).toContain('http: stream 0x0 [:status: 200]');
    expect(bodyOf(out, '0x0')).toBe('origin GET /retry\n');
    const ev = await pollUntil(quicEvents, (l) => l.some((x) => /retry op 2 /.test(x)));
    expect(ev.some((x) => /retry op 1 on thread \d \(\d+ bytes\): 127\.0\.0\.1:\d+ odcid /.test(x))).toBe(true);
    expect(ev.some((x) => x.includes(`odcid ${firstDcid}`))).toBe(true);
  }, 30_000);

  it('a bind without quic-force-retry sends no Retry', async () => {
    const out = await h3(plainPort, '/plain');
    expect(out).toContain('http: stream 0x0 [:status: 200]');
    expect(out).not.toContain('type=Retry');
    expect(out).not.toContain('retry_source_connection_id');
  }, 30_000);

  it('version negotiation: an unknown version gets a VN listing v1; the client selects v1 and completes a GET', async () => {
    const out = await h3(plainPort, '/vn', ['-v', '0x1a2a3a4a', '--preferred-versions', 'v1']);
    expect(out).toMatch(/version=0x1a2a3a4a type=Initial/);
    expect(out).toMatch(/version=0x00000000 type=VN/);
    expect(out).toContain('pkt rx 0 VN v=0x00000001');
    // A greasing version (0x?a?a?a?a, RFC 9000 §15) is listed too.
    expect(out).toMatch(/pkt rx 0 VN v=0x[0-9a-f]a[0-9a-f]a[0-9a-f]a[0-9a-f]a\b/);
    expect(out).toContain('Client selected version 0x1');
    expect(out).toContain('the negotiated version is 0x00000001');
    expect(out).toContain('http: stream 0x0 [:status: 200]');
    const ev = await pollUntil(quicEvents, (l) => l.some((x) => x.includes(`version negotiation for version ${0x1a2a3a4a} `)));
    expect(ev.some((x) => new RegExp(`version negotiation for version ${0x1a2a3a4a} \\(\\d+ bytes\\), answered with \\d+ bytes`).test(x))).toBe(true);
  }, 30_000);

  it('stateless reset: after the owning worker thread died and was replaced, the client gets a reset with the advertised token', async () => {
    const client = startGtls(plainPort, ['/after-restart'], { ...BASE, extra: ['--delay-stream=3s'], killAfterMs: 20_000 });
    // The server's connection id names the thread that owns the connection (proxy/quic/udp/dispatcher.ts).
    const owner = await pollUntil(() => /remote transport_parameters initial_source_connection_id=0x([0-9a-f]{2})/.exec(client.output()), (m) => m !== null, { timeoutMs: 5000 });
    expect(owner, client.output().slice(-3000)).not.toBeNull();
    const thread = parseInt(owner![1], 16);
    expect([1, 2]).toContain(thread);
    const answer = await p.cli(`expert-mode on; debug dev exit 0 thread ${thread}`);
    expect(answer).toContain(`thread ${thread}`);
    await p.waitStderr(new RegExp(`worker ${thread} died`), 5000);
    await client.exited;
    const out = client.output();
    const sr = /pkt rx 0 SR token=0x([0-9a-f]{32})/.exec(out);
    expect(sr, out.slice(-3000)).not.toBeNull();
    // The token is one the server advertised: stateless_reset_token of its first id or of a NEW_CONNECTION_ID.
    expect(out).toMatch(new RegExp(`stateless_reset_token=0x${sr![1]}`));
    expect(out).toContain('ERR_DRAINING');
    expect(out).not.toContain('[:status: 200]');
    // The replacement worker serves new connections.
    expect(await h3(plainPort, '/again')).toContain('http: stream 0x0 [:status: 200]');
    const ev = await pollUntil(quicEvents, (l) => l.some((x) => /stateless reset op 1: trigger \d+ bytes, reset \d+ bytes/.test(x)));
    expect(ev.some((x) => /stateless reset op 1: /.test(x))).toBe(true);
  }, 40_000);
});

/** A proxy with one worker whose QUIC bind is on `quicPort`, with `cluster-secret <secret>` when given. */
function clusterProxy(quicPort: number, secret: string | undefined): Promise<Proxy> {
  return startH3Proxy({
    preamble: { nbthread: 1, global: ['hard-stop-after 2s', ...(secret ? [`cluster-secret ${secret}`] : [])], timeouts: { client: '10s' } },
    quicPort,
    frontend: ['http-request return status 200 content-type text/plain string "served\\n"'],
  });
}

describe.skipIf(NO_CLIENT)('cluster-secret: stateless reset tokens survive a restart of the whole process', () => {
  const proxies: Proxy[] = [];
  afterAll(async () => {
    for (const x of proxies) await x.stop('SIGKILL');
  });

  /**
   * A client connects to a proxy configured with `secret`, which is then killed (supervisor and
   * workers at once) and replaced by a new process on the same port with the same `secret`; the
   * client sends its request (`--delay-stream`) once the replacement listens. Returns what the
   * client printed and the replacement's `quic` trace lines.
   */
  async function restartUnder(secret: string | undefined): Promise<{ out: string; events: string[]; second: Proxy; quicPort: number }> {
    const quicPort = await freePort();
    const first = await clusterProxy(quicPort, secret);
    proxies.push(first);
    const client = startGtls(quicPort, ['/after-process-restart'], { ...BASE, extra: ['--delay-stream=5s'], killAfterMs: 25_000 });
    const hs = await pollUntil(() => /remote transport_parameters stateless_reset_token=0x[0-9a-f]{32}/.test(client.output()), (x) => x, { timeoutMs: 5000 });
    expect(hs, client.output().slice(-3000)).toBe(true);
    await first.stop('SIGKILL');
    const second = await clusterProxy(quicPort, secret);
    proxies.push(second);
    await second.cli('trace quic level state; trace quic start now');
    await client.exited;
    return { out: client.output(), events: await quicEvents(second), second, quicPort };
  }

  it('the process restarted on the same port with the same cluster-secret resets the old connection with the token the first one advertised', async () => {
    const { out, events, quicPort } = await restartUnder('e2e-cluster-secret-7f3a');
    const sr = /pkt rx 0 SR token=0x([0-9a-f]{32})/.exec(out);
    expect(sr, out.slice(-3000)).not.toBeNull();
    // The token is one the first process advertised (its first connection id's or a NEW_CONNECTION_ID's).
    expect(out).toMatch(new RegExp(`stateless_reset_token=0x${sr![1]}`));
    expect(out).toContain('ERR_DRAINING');
    expect(out).not.toContain('[:status: 200]');
    expect(events.some((x) => /stateless reset op 1: trigger \d+ bytes, reset \d+ bytes/.test(x))).toBe(true);
    // And the new process serves new connections.
    expect(await h3(quicPort, '/again')).toContain('http: stream 0x0 [:status: 200]');
  }, 45_000);

  it('without cluster-secret the restarted process still answers with a stateless reset, but one the client cannot recognise', async () => {
    const { out, events } = await restartUnder(undefined);
    expect(events.some((x) => /stateless reset op 1: /.test(x))).toBe(true);
    expect(out).not.toMatch(/pkt rx 0 SR token=/);
    expect(out).not.toContain('[:status: 200]');
  }, 45_000);
});
