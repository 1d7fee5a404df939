/**
 * End to end: `show quic` and HTTP/3 streams in `show sess`, on a running Flightbox with two worker
 * threads, while gtlsclient (Debian `ngtcp2-client`) waits on two slow responses over one QUIC
 * connection. Asserts on the runtime socket's answers (socat), and on what gtlsclient prints (it
 * exits 0 even when it fails). Also: a worker that does not answer in time is named in `show quic`
 * instead of holding the CLI. Skipped, with the reason, when gtlsclient is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { pollUntil, sleep, type Proxy } from './harness.ts';
import { gtls, gtlsclientMissing, startH3Proxy } from './h3-harness.ts';
import { listen } from './origins.ts';

const NO_CLIENT = gtlsclientMissing('test/e2e/h3-show.test.ts');

/** How long the origin holds /slow* responses: the window in which the commands run. */
const SLOW_MS = 3000;

let p: Proxy;
let quicPort: number;

/** Runs gtlsclient against the proxy (idle timeout 10 s); resolves with everything it printed. */
function h3(uris: string[], timeoutMs = 20_000): Promise<string> {
  return gtls(quicPort, uris, { timeoutMs });
}

/** The answer of one command without the empty line that ends it. */
async function cli(cmd: string): Promise<string> {
  return (await p.cli(cmd)).replace(/\n+$/, '');
}

describe.skipIf(NO_CLIENT)('show quic and HTTP/3 streams in show sess', () => {
  beforeAll(async () => {
    const origin = await listen(
      createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          const answer = () => {
            res.setHeader('content-type', 'text/plain');
            res.end(`origin ${req.url}\n`);
          };
          if (req.url!.startsWith('/slow')) setTimeout(answer, SLOW_MS);
          else answer();
        });
      }),
    );
    p = await startH3Proxy({
      preamble: { nbthread: 2, global: ['hard-stop-after 5s'], timeouts: { client: '10s', connect: '1s', server: '8s' } },
      origin: origin.port,
    });
    quicPort = p.port;
  });

  afterAll(async () => {
    if (p) await p.stop();
  });

  it('lists the connection and its streams during slow responses, in every form, and the responses still complete', async () => {
    const client = h3(['/slow1', '/slow2']);
    // Both requests reached the origin: two HTTP/3 streams in show sess, waiting for the server.
    const sess = await pollUntil(() => cli('show sess'), (t) => (t.match(/ sid=\d+ GET \/slow\d HTTP\/3\.0 .* state=waiting-response /g) ?? []).length === 2);
    const lines = sess.split('\n').filter((l) => l.includes('HTTP/3.0'));
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^0x[0-9a-f]+: proto=stream tid=[12] sid=(0|4) GET \/slow[12] HTTP\/3\.0 age=\d+s calls=\d+ state=waiting-response exp=server:\d+s last=\S+ .* parent=0x[0-9a-f]+$/);
    const parents = new Set(lines.map((l) => /parent=(0x[0-9a-f]+)/.exec(l)![1]));
    expect(parents.size).toBe(1); // one QUIC connection
    const connId = [...parents][0];
    const stream0 = /^(0x[0-9a-f]+):/.exec(lines.find((l) => l.includes(' sid=0 '))!)![1];

    // show quic: HAProxy's legend, one row for the connection, both workers answered.
    const one = (await cli('show quic')).split('\n');
    expect(one[0]).toMatch(/^# conn\/frontend +state +in_flight infl_p lost_p +Local Address +Foreign Address +local & remote CIDs/);
    expect(one).toHaveLength(2);
    const row = one[1];
    expect(row).toMatch(new RegExp(`^${connId}\\[0[12]\\]/web +ESTAB +\\d+ +\\d+ +\\d+ +127\\.0\\.0\\.1:${quicPort} +127\\.0\\.0\\.1:\\d+ +[0-9a-f]{16} [0-9a-f]+ v=1 srtt=[\\d.]+ rttvar=[\\d.]+ cwnd=\\d+ streams=2 reqs=2 idle=[\\d.]+m?s$`));
    const tid = Number(/\[(\d+)\]/.exec(row)![1]);

    // show quic full: the HAProxy block, the paths and CIDs, and the two request streams tied to their show sess objects.
    const full = await cli('show quic full');
    expect(full.split('\n').every((l) => l.trim() !== '')).toBe(true);
    expect(full).toMatch(new RegExp(`^\\* ${connId}\\[0${tid}\\]: scid=[0-9a-f]{16}`));
    expect(full).toMatch(/\n {2}st=opened +mux=ready +expire=\d\ds fe=web version=0x00000001 hs=confirmed\n/);
    expect(full).toMatch(new RegExp(`\\n {2}local_addr=127\\.0\\.0\\.1:${quicPort} foreign_addr=127\\.0\\.0\\.1:\\d+ `));
    expect(full).toContain('\n  path: validated migrations: peer=0 validated=0 failed=0 local=0\n');
    expect(full).toMatch(/\n {2}\[01rtt\] {2}tx\.pn=\d+ /);
    expect(full).toMatch(/\n {2}rem\. TPs: .*midle_timeout=\d+ms/);
    expect(full).toMatch(new RegExp(`\\n {2}\\| stream=0 +bidi/cli tx=\\S+ off=0 ack=0 written=0 msd=\\d+ rx=\\S+ off=\\d+ highest=\\d+ msd=\\d+ (fin=\\d+ )?sess=${stream0} "GET /slow1 HTTP/3\\.0"`));
    expect(full).toMatch(/\n {2}\| stream=4 +bidi\/cli .* "GET \/slow2 HTTP\/3\.0"/);
    expect(full).toMatch(/\n {2}\| stream=3 +uni\/srv tx=/); // our HTTP/3 control stream

    // One connection by id, in both forms.
    expect((await cli(`show quic ${connId}`)).split('\n')).toEqual([one[0], expect.stringMatching(new RegExp(`^${connId}\\[`))]);
    expect(await cli(`show quic full ${connId}`)).toMatch(new RegExp(`^\\* ${connId}\\[`));

    // show sess <stream>: the table's detail, then the QUIC stream carrying it and its connection.
    const detail = await cli(`show sess ${stream0}`);
    expect(detail).toContain('  info: sid=0 GET /slow1 HTTP/3.0');
    expect(detail).toMatch(/\n {2}state=waiting-response exp=server:\d+s /);
    expect(detail).toContain(`\n  parent: ${connId} quic_conn (127.0.0.1:`);
    expect(detail).toMatch(new RegExp(`\\n {2}quic: conn=${connId} st=opened srtt=[\\d.]+ms cwnd=\\d+ in_flight=\\d+ lost=\\d+ idle=[\\d.]+m?s 127\\.0\\.0\\.1:${quicPort}<-127\\.0\\.0\\.1:\\d+\\n`));
    expect(detail).toMatch(/\n {2}quic stream: id=0 bytes_in=\d+ bytes_out=0\/0 acked\/written\n {2}\| stream=0 +bidi\/cli /);
    // show sess <quic_conn>: the live block.
    const connDetail = await cli(`show sess ${connId}`);
    expect(connDetail).toMatch(new RegExp(`^${connId}: .* kind=quic_conn tid=${tid} live`));
    expect(connDetail).toContain(`\n  live QUIC state (thread ${tid}):\n  * ${connId}[0${tid}]: scid=`);

    const out = await client;
    expect(out).toContain('http: stream 0x0 [:status: 200]');
    expect(out).toContain('http: stream 0x4 [:status: 200]');
    // Once closed (gtlsclient closes when its streams are done), the connection leaves `show quic`.
    const after = await pollUntil(() => cli('show quic all'), (t) => t.split('\n').length === 1);
    expect(after.split('\n')).toHaveLength(1);
    expect(await cli(`show quic ${connId}`)).toMatch(new RegExp(`^show quic: no QUIC connection ${connId}; 'show quic' lists the open ones`));
  });

  it('says what is wrong with a bad argument', async () => {
    expect(await cli('show quic verbose')).toBe("show quic: unexpected argument 'verbose': show quic [oneline|full] [all|<id>] (<id> as 'show quic' prints it, e.g. 0x1e)");
    expect(await cli('show quic all full')).toBe("show quic: the format ('full') comes first: show quic [oneline|full] [all|<id>]");
    expect(await cli('help show quic')).toContain('  show quic [oneline|full] [all|<id>]     : display quic connections status');
  });

  it('names a worker that does not answer in time instead of waiting for it', async () => {
    // Worker 2 busy for 1.5 s (under the 2 s watchdog-timeout): show quic answers after 1 s without it.
    // The worker answers "started" and begins the loop in its next turn: a request it receives in
    // the same message batch is answered first, so `show quic` is asked once the loop surely runs.
    const t0 = Date.now();
    const started = await cli('expert-mode on; debug dev loop 1500 thread 2');
    expect(started).toContain('thread 2: debug dev loop 1500 started');
    await sleep(100);
    const out = await cli('show quic');
    const took = Date.now() - t0;
    expect(out).toMatch(/^# conn\/frontend [^\n]*\n(?:[^\n]*\n)*# thread 2: no answer within 1000 ms$/);
    expect(took).toBeLessThan(1500 + 1000); // the loop ran alongside, not before, the wait
    // Afterwards both answer again.
    const again = await pollUntil(() => cli('show quic'), (t) => !t.includes('# thread'), { timeoutMs: 5000 });
    expect(again).toMatch(/^# conn\/frontend /);
    expect(again).not.toContain('# thread');
    expect(p.child.exitCode).toBeNull();
  });
});
