import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../diag/paths.ts';
import { QLOG_VERSION, RS, exportQlog, quicConnections } from '../../../diag/export/qlog.ts';
import { connectionStarted, customEvent, endpointInfo } from '../../../diag/export/qlog-events.ts';
import { tickClock } from '../../../diag/ring.ts';
import { collectSnapshot } from '../../../diag/snapshot/collect.ts';
import { writeSnapshotFile } from '../../../diag/snapshot/container.ts';
import type { DecodedSnapshot } from '../../../diag/snapshot/model.types.ts';
import { readSnapshotFile } from '../../../diag/snapshot/read.ts';
import { buildSyntheticRecorder } from '../../../fixtures/snapshots/synthetic.ts';
import { H3TP } from '../../../proxy/h3/trace.ts';
import { QTR } from '../../../proxy/quic/trace.ts';
import { T13 } from '../../../proxy/tls13/trace.ts';
import { parseJsonSeq, validateQlog, type QlogRecord } from './qlog-schema.ts';

// A recorder on this thread with the QUIC, TLS and HTTP/3 sources at their most verbose, like
// `trace quic level developer` on a running proxy.
const r = buildSyntheticRecorder();
const lc = r.rec.lifecycle;
for (const src of ['quic', 'tls13', 'h3', 'qpack']) {
  r.rec.control.command([src, 'level', 'developer']);
  r.rec.control.command([src, 'sink', 'flight']);
  r.rec.control.command([src, 'start', 'now']);
}
const dir = mkdtempSync(join(tmpdir(), 'fb-qlog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (n: number) => `0x${n.toString(16)}`;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/**
 * One HTTP/3 exchange as the proxy records it: every record, the QUIC engine's and the TLS
 * handshake's included, carries the quic_conn's id (the listener creates that object before the
 * engine). Then, after it ended, two connections alive at once, a packet of the second one, and a
 * stateless reset sent for an unknown connection id (connection id 0: it belongs to none).
 */
async function recordExchange(): Promise<{ d: DecodedSnapshot; q: number; busy: [number, number] }> {
  tickClock();
  const q = lc.create('quic_conn', 0, '127.0.0.1:51000 -> 127.0.0.1:8443 quic fe=web');
  const c = q.id;
  tickClock();
  QTR.pktRcvd.emit(c, 0, 0, 0, 1); // Initial pn 0, ack-eliciting
  T13.rx.emit(c, 0, 1, 0, 280, 'server ClientHello');
  T13.keys.emit(c, 0, 1, 0, 0x1301, 'server'); // handshake read key: the client's
  T13.keys.emit(c, 0, 1, 1, 0x1301, 'server'); // handshake write key: ours
  QTR.pktSent.emit(c, 0, 0, 0, 1200); // Initial pn 0, 1200 bytes in flight
  QTR.pktSent.emit(c, 0, 1, 0, 0); // Handshake pn 0, not in flight (ACK only)
  T13.keys.emit(c, 0, 2, 1, 0x1301, 'server');
  T13.done.emit(c, 0, 0x1301, 29, 0, 'server alpn=h3 sni=localhost');
  lc.event(q, 'state', 1, 'h3');
  QTR.ackRcvd.emit(c, 0, 2, 3, 2);
  QTR.ccState.emit(c, 0, 14720, 0, 2400, 'slow_start');
  QTR.pktLost.emit(c, 0, 2, 4, 1252);
  QTR.ccState.emit(c, 0, 7360, 7360, 1200, 'recovery');
  QTR.pto.emit(c, 0, 2, 1, 0);
  H3TP.uniStream.emit(q.id, 2, 0); // the client's control stream
  H3TP.rcvFrame.emit(q.id, 0, 4, 0); // SETTINGS, recorded without its stream
  H3TP.settings.emit(q.id, 0, 0, 0, 0);
  H3TP.uniStream.emit(q.id, 6, 2);
  H3TP.uniStream.emit(q.id, 10, 0x21 + 0x1f); // a reserved (grease) type
  const s = lc.create('stream', q.id, 'GET /hello HTTP/3.0');
  H3TP.rcvFrame.emit(q.id, 0, 1, 0); // HEADERS on request stream 0
  H3TP.request.emit(q.id, 0, 4, -1, 0, 'GET /hello');
  H3TP.respHeaders.emit(q.id, 0, 200, 57);
  H3TP.rcvFrame.emit(q.id, 0, 0x2a, 0); // an unknown frame type
  lc.event(s, 'response', 200);
  lc.release(s);
  lc.event(q, 'shutr', 0x100, 'peer: H3_NO_ERROR');
  lc.event(q, 'close');
  lc.release(q);
  await sleep(40); // past the end slack of the first connection
  tickClock();
  const a = lc.create('quic_conn', 0, '[::1]:51001 -> [::1]:8443 quic fe=web');
  const b = lc.create('quic_conn', 0, '127.0.0.1:51002 -> 127.0.0.1:8443 quic fe=web');
  QTR.pktRcvd.emit(b.id, 0, 0, 0, 1); // b's first Initial: tagged, so b's although a is alive too
  QTR.statelessReset.emit(0, 0, 1, 43, 42, '127.0.0.1:51003 dcid 01aa'); // for no connection
  const time = Date.now();
  const file = join(dir, 'q.fbsnap');
  writeSnapshotFile(file, collectSnapshot({ ...r.input(time), reason: 'on-demand', fault: undefined }), { maxSize: 1 << 20, createdAt: time });
  return { d: readSnapshotFile(file), q: q.id, busy: [a.id, b.id] };
}

/**
 * The same snapshot as an older build recorded it: the QUIC engine and the TLS handshake traced
 * with connection id 0 (the listener created the engine before the quic_conn object).
 */
function asOlderBuild(d: DecodedSnapshot): DecodedSnapshot {
  const source = (thread: number, point: number) => d.points.get(thread)?.[point]?.source;
  const rings = d.rings.map((ring) => ({
    ...ring,
    records: ring.records.map((rec) => (source(rec.thread, rec.point) === 'quic' || source(rec.thread, rec.point) === 'tls13' ? { ...rec, connId: 0 } : rec)),
  }));
  return { ...d, rings };
}

describe('qlog export', () => {
  let d: DecodedSnapshot;
  let q: number;
  let busy: [number, number];
  let recs: QlogRecord[];
  let mine: QlogRecord[];
  const named = (n: string) => mine.filter((e) => e.name === n).map((e) => e.data);
  beforeAll(async () => {
    ({ d, q, busy } = await recordExchange());
    const out = exportQlog(d);
    recs = parseJsonSeq(out.text);
    mine = recs.slice(1).filter((e) => e.group_id === hex(q));
  });

  it('a snapshot without QUIC connections has nothing to export', () => {
    const g = readSnapshotFile(join(projectRoot, 'fixtures/snapshots/v1-bug.fbsnap'));
    expect(quicConnections(g)).toEqual([]);
    expect(exportQlog(g)).toEqual({ connections: 0, text: '', records: 0, unattributed: 0 });
  });

  it('writes JSON-SEQ (RS, JSON text, LF) that validates field by field against the qlog schema', () => {
    const out = exportQlog(d);
    expect(out.text.startsWith(RS)).toBe(true);
    expect(out.text.split(RS).slice(1).every((c) => c.endsWith('}\n'))).toBe(true);
    expect(recs).toHaveLength(out.records);
    expect(out.connections).toBe(3);
    expect(validateQlog(recs)).toEqual([]);
    const [h] = recs;
    expect(h).toMatchObject({
      qlog_version: QLOG_VERSION,
      qlog_format: 'JSON-SEQ',
      trace: { vantage_point: { name: 'flightbox', type: 'server' }, common_fields: { protocol_type: ['QUIC', 'HTTP3'], time_format: 'relative' } },
    });
    // qlog_version and qlog_format in the first 256 bytes, as the main schema asks.
    expect(out.text.slice(0, 256)).toContain('"qlog_format":"JSON-SEQ"');
    // Relative times in ms: the first event of the exchange is its creation, at reference_time or after.
    const created = d.live.find((o) => o.id === q)!.created;
    const start = mine.find((e) => e.name === 'quic:connection_started')!;
    expect(start.time).toBeCloseTo(created - h.trace.common_fields.reference_time, 2);
  });

  it('maps the connection lifecycle to connection_started, state updates and connection_closed', () => {
    expect(named('quic:connection_started')).toEqual([{ local: { ip_v4: '127.0.0.1', port_v4: 8443 }, remote: { ip_v4: '127.0.0.1', port_v4: 51000 } }]);
    expect(named('quic:connection_state_updated')).toEqual([{ new: 'handshake_complete' }, { new: 'closed' }]);
    expect(named('quic:connection_closed')).toEqual([{ initiator: 'remote', error_code: 0x100, reason: 'H3_NO_ERROR', trigger: 'unspecified' }]);
    expect(named('quic:parameters_set')).toEqual([{ initiator: 'local', tls_cipher: 'TLS_AES_128_GCM_SHA256' }]);
    expect(named('quic:alpn_information')).toEqual([{ chosen_alpn: 'h3' }]);
    const names = mine.map((e) => e.name);
    expect(names.indexOf('quic:connection_started')).toBeLessThan(names.indexOf('quic:packet_received'));
    expect(names.lastIndexOf('quic:connection_state_updated')).toBeGreaterThan(names.indexOf('quic:connection_closed'));
  });

  it('maps packets, recovery and keys from the quic/tls13 records tagged with the connection id', () => {
    expect(named('quic:packet_received')).toEqual([{ header: { packet_type: 'initial', packet_number: 0 } }]);
    expect(named('quic:packet_sent')).toEqual([
      { header: { packet_type: 'initial', packet_number: 0 }, raw: { length: 1200 } },
      { header: { packet_type: 'handshake', packet_number: 0 } },
    ]);
    expect(named('recovery:packet_lost')).toEqual([{ header: { packet_type: '1RTT', packet_number: 4 } }]);
    expect(named('recovery:metrics_updated')).toEqual([
      { congestion_window: 14720, bytes_in_flight: 2400 },
      { congestion_window: 7360, bytes_in_flight: 1200, ssthresh: 7360 },
      { pto_count: 1 },
    ]);
    expect(named('recovery:congestion_state_updated')).toEqual([{ new: 'slow_start' }, { new: 'recovery' }]);
    expect(named('recovery:loss_timer_updated')).toEqual([{ timer_type: 'pto', packet_number_space: 'application_data', event_type: 'expired' }]);
    expect(named('security:key_updated')).toEqual([
      { key_type: 'client_handshake_secret', trigger: 'tls' },
      { key_type: 'server_handshake_secret', trigger: 'tls' },
      { key_type: 'server_1rtt_secret', trigger: 'tls' },
    ]);
    // Records without a standard counterpart keep a custom name in a flightbox category.
    expect(named('flightbox_quic:ack_rcvd')).toEqual([expect.objectContaining({ level: 'proto', args: [2, 3, 2], message: 'ACK in space 2: largest 3, 2 newly acked' })]);
    expect(named('flightbox_tls13:hs_rx')[0]).toMatchObject({ text: 'server ClientHello' });
  });

  it('maps HTTP/3 frames, settings and stream types, placing control-stream frames on the control stream', () => {
    expect(named('http3:stream_type_set')).toEqual([
      { initiator: 'remote', stream_id: 2, stream_type: 'control' },
      { initiator: 'remote', stream_id: 6, stream_type: 'qpack_encode' },
      { initiator: 'remote', stream_id: 10, stream_type: 'reserved', stream_type_bytes: 0x40 },
    ]);
    expect(named('http3:frame_parsed')).toEqual([
      { stream_id: 2, frame: { frame_type: 'settings' } },
      { stream_id: 0, frame: { frame_type: 'headers' } },
      { stream_id: 0, frame: { frame_type: 'unknown', frame_type_bytes: 0x2a } },
    ]);
    expect(named('http3:parameters_set')).toEqual([{ initiator: 'remote', max_table_capacity: 0, blocked_streams_count: 0 }]);
    expect(named('http3:frame_created')).toEqual([{ stream_id: 0, frame: { frame_type: 'headers', headers: [{ name: ':status', value: '200' }] }, raw: { length: 57 } }]);
    expect(named('flightbox_h3:req')[0]).toMatchObject({ text: 'GET /hello', level: 'proto' });
    // The request stream's lifecycle belongs to the connection too.
    expect(mine.some((e) => e.name === 'flightbox_stream:response' && e.data.args[0] === 200)).toBe(true);
    expect(named('flightbox:connection_lifetime')[0]).toMatchObject({ info: '127.0.0.1:51000 -> 127.0.0.1:8443 quic fe=web', live: false });
  });

  it('gives each tagged record to its connection with several alive, and none to a connectionless answer', () => {
    const out = exportQlog(d);
    expect(out.unattributed).toBe(0);
    const [a, b] = busy;
    expect(recs.filter((e) => e.group_id === hex(a)).map((e) => e.name)).toEqual(['quic:connection_started', 'flightbox:connection_lifetime']);
    expect(recs.find((e) => e.group_id === hex(a))!.data).toEqual({ local: { ip_v6: '::1', port_v6: 8443 }, remote: { ip_v6: '::1', port_v6: 51001 } });
    expect(recs.filter((e) => e.name === 'quic:packet_received').map((e) => e.group_id)).toEqual([hex(q), hex(b)]);
    // The stateless reset (connection id 0) belongs to no connection: not exported.
    expect(d.rings.some((ring) => ring.records.some((rec) => rec.text?.includes('dcid 01aa')))).toBe(true);
    expect(exportQlog(d).text).not.toContain('dcid 01aa');
  });

  it('snapshots of older builds (untagged engine records): the only connection alive gets them, several alive leave them out', () => {
    const old = exportQlog(asOlderBuild(d));
    const oldRecs = parseJsonSeq(old.text);
    // The exchange exports exactly as when its records were tagged.
    expect(oldRecs.slice(1).filter((e) => e.group_id === hex(q))).toEqual(mine);
    // b's packet came while a and b were alive: whose is unknown, so left out and counted; the
    // stateless reset is never anybody's and not counted.
    expect(old.unattributed).toBe(1);
    for (const id of busy) {
      expect(oldRecs.filter((e) => e.group_id === hex(id)).map((e) => e.name)).toEqual(['quic:connection_started', 'flightbox:connection_lifetime']);
    }
    expect(oldRecs.filter((e) => e.name === 'quic:packet_received').map((e) => e.group_id)).toEqual([hex(q)]);
  });

  it('parses endpoints and builds custom events of unknown points', () => {
    expect(endpointInfo('10.0.0.1:443')).toEqual({ ip_v4: '10.0.0.1', port_v4: 443 });
    expect(endpointInfo('[2001:db8::1]:8443')).toEqual({ ip_v6: '2001:db8::1', port_v6: 8443 });
    expect(endpointInfo('nonsense')).toBeUndefined();
    expect(connectionStarted('127.0.0.1:40010 h3')).toEqual({ remote: { ip_v4: '127.0.0.1', port_v4: 40010 } });
    const rec = { seq: 1, time: 0, thread: 1, point: 77, connId: 1, streamId: 0, args: [1, 2, 3] as [number, number, number], text: undefined };
    expect(customEvent(rec, undefined)).toEqual({ name: 'flightbox_unknown:point_77', data: { level: null, message: null, stream_id: null, args: [1, 2, 3], text: null } });
  });
});
