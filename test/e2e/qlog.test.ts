/**
 * End to end: a live proxy serves an HTTP/3 GET to gtlsclient (ngtcp2 + nghttp3) with the `quic`,
 * `tls13` and `h3` trace sources at level developer; a snapshot taken from the runtime socket is
 * exported with `flightbox export --format qlog`, and the events of that QUIC connection are checked
 * against the qlog schema (test/diag/export/qlog-schema.ts) and against what happened: the client's
 * address and port, the handshake keys and completion, packets both ways, the client's control stream
 * and SETTINGS, the request's HEADERS in and the 200 HEADERS out, and the close.
 * Skipped, with the reason, when gtlsclient is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flightbox, waitFor, type Proxy } from './harness.ts';
import { gtls, gtlsclientMissing, startH3Proxy } from './h3-harness.ts';
import { parseJsonSeq, validateQlog, type QlogRecord } from '../diag/export/qlog-schema.ts';

const NO_CLIENT = gtlsclientMissing('test/e2e/qlog.test.ts');

describe.skipIf(NO_CLIENT)('qlog export of a live HTTP/3 connection', () => {
  let p: Proxy;
  let port: number;
  let out = '';
  beforeAll(async () => {
    p = await startH3Proxy({
      preamble: { nbthread: 1, global: ['hard-stop-after 5s'], timeouts: { client: '10s' } },
      frontend: ['http-request return status 200 content-type text/plain string "hello over h3\\n"'],
    });
    port = p.port;
    for (const src of ['quic', 'tls13', 'h3']) expect(await p.cli(`trace ${src} level developer`)).toBe('\n');
    out = await gtls(port, ['/q'], { idle: '5s' });
  }, 60_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('exports the connection with standard qlog events that match the exchange', async () => {
    expect(out).toContain('http: stream 0x0 [:status: 200]');
    const file = join(p.dir, 'conn.qlog');
    let events: QlogRecord[] = [];
    let records: QlogRecord[] = [];
    // The connection is released after its closing period: snapshot until its close is recorded.
    await waitFor(
      async () => {
        const snap = /snapshot written to (\S+)/.exec(await p.cli('snapshot'))?.[1];
        if (!snap) return false;
        const r = await flightbox(['export', snap, '--format', 'qlog', '-o', file]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^wrote .*conn\.qlog: qlog JSON-SEQ, 1 QUIC connection\(s\), \d+ records \(open it in qvis\)\n$/);
        records = parseJsonSeq(readFileSync(file, 'utf8'));
        events = records.slice(1);
        return events.some((e) => e.name === 'quic:connection_state_updated' && e.data.new === 'closed');
      },
      { timeoutMs: 10_000, everyMs: 300, what: 'the QUIC connection to be closed in a snapshot' },
    );
    expect(validateQlog(records)).toEqual([]);
    expect(records[0]).toMatchObject({ qlog_version: '0.3', qlog_format: 'JSON-SEQ', trace: { vantage_point: { type: 'server' } } });
    expect(new Set(events.map((e) => e.group_id)).size).toBe(1);
    const named = (n: string) => events.filter((e) => e.name === n).map((e) => e.data);

    const [started] = named('quic:connection_started');
    expect(started.local).toEqual({ ip_v4: '127.0.0.1', port_v4: port });
    expect(started.remote.ip_v4).toBe('127.0.0.1');
    expect(named('quic:packet_received')[0]).toEqual({ header: { packet_type: 'initial', packet_number: 0 } });
    const sent = named('quic:packet_sent');
    // Our Initial (ServerHello) is in flight, so its size is known.
    expect(sent.find((s) => s.header.packet_type === 'initial')?.raw?.length, JSON.stringify(sent.slice(0, 6))).toBeGreaterThan(100);
    expect(sent.some((s) => s.header.packet_type === '1RTT')).toBe(true);
    const keys = named('security:key_updated').map((k) => k.key_type);
    expect(keys).toEqual(expect.arrayContaining(['client_handshake_secret', 'server_handshake_secret', 'client_1rtt_secret', 'server_1rtt_secret']));
    expect(named('quic:connection_state_updated').map((s) => s.new)).toEqual(['handshake_complete', 'closed']);
    expect(named('quic:alpn_information')).toEqual([{ chosen_alpn: 'h3' }]);
    expect(named('quic:parameters_set')[0].tls_cipher).toMatch(/^TLS_/);
    const control = named('http3:stream_type_set').find((s) => s.stream_type === 'control');
    expect(control?.stream_id).toBe(2);
    expect(named('http3:frame_parsed')).toEqual(
      expect.arrayContaining([
        { stream_id: 2, frame: { frame_type: 'settings' } },
        { stream_id: 0, frame: { frame_type: 'headers' } },
      ]),
    );
    expect(named('http3:parameters_set')).toHaveLength(1);
    expect(named('http3:frame_created')).toEqual([expect.objectContaining({ stream_id: 0, frame: { frame_type: 'headers', headers: [{ name: ':status', value: '200' }] } })]);
    expect(named('quic:connection_closed')).toEqual([expect.objectContaining({ initiator: 'remote' })]);
    // Time order: started, handshake, request, close.
    const at = (n: string) => events.findIndex((e) => e.name === n);
    expect(at('quic:connection_started')).toBeLessThan(at('security:key_updated'));
    expect(at('security:key_updated')).toBeLessThan(at('http3:frame_created'));
    expect(at('http3:frame_created')).toBeLessThan(at('quic:connection_closed'));
  }, 30_000);
});
