import { afterEach, describe, expect, it } from 'vitest';
import { configurePools } from '../../../diag/pool.ts';
import { declareNcbufPool } from '../../../proxy/quic/crypto-rx.ts';
import {
  collectQuicConn,
  parseShowQuicArgs,
  quicOneline,
  renderQuicSessDetail,
  renderShowQuic,
  ShowQuicArgError,
  ONELINE_LEGEND,
} from '../../../proxy/quic/show.ts';
import type { QuicAppShow, QuicConnRecord } from '../../../proxy/quic/show.types.ts';
import { CLIENT_ADDRESS, SERVER_ADDRESS, type QuicPair } from '../../../proxy/quic/testing/pair.ts';
import { confirmHandshake, makePair, pattern } from './pair-setup.ts';

declareNcbufPool();
afterEach(() => configurePools({ seed: 7 }));

const enc = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** What the HTTP/3 driver would add for a connection with one request on stream `streamId`. */
function app(streamId: number, lcId = 0x2a): QuicAppShow {
  return { id: 0x29, frontend: 'web', mux: 'ready', goaway: false, requests: 1, streams: [{ id: streamId, lcId, request: 'GET /slow HTTP/3.0' }] };
}

/** A confirmed pair with a request sent on a client stream that the server has not answered. */
function pendingRequest(seed = 3): { p: QuicPair; id: number } {
  const p = makePair({ seed });
  expect(confirmHandshake(p)).toBe(true);
  const id = p.client.openStream()!;
  p.client.write(id, enc.encode('GET /slow'));
  p.client.finish(id);
  p.runFor(100);
  return { p, id };
}

const record = (p: QuicPair, id: number): QuicConnRecord => collectQuicConn(p.server, { thread: 1, app: app(id) }, p.now);

describe('collectQuicConn', () => {
  it('records an established connection: ids, CIDs, spaces, RTT, congestion, flow control and the request stream', () => {
    const { p, id } = pendingRequest();
    const r = record(p, id);
    expect(r).toMatchObject({ id: 0x29, thread: 1, frontend: 'web', role: 'server', state: 'established', handshake: 'confirmed', version: 1, mux: 'ready', requests: 1 });
    expect(r.scid).toBe(hex(p.server.localCid));
    expect(r.dcid).toBe(hex(p.server.dcid));
    expect(r.paths).toMatchObject({ local: SERVER_ADDRESS, remote: CLIENT_ADDRESS, migrations: { peer: 0, validated: 0, failed: 0, local: 0 } });
    expect(r.paths.validating).toBeUndefined();
    // Our ids up to the client's limit (4), sequence 0 the one the client sends to; the client's ids, one in use.
    expect(r.localCids.map((c) => c.seq)).toEqual([0, 1, 2, 3]);
    expect(r.localCids.filter((c) => c.current).map((c) => c.seq)).toEqual([0]);
    expect(r.peerCids.filter((c) => c.current)).toHaveLength(1);
    expect(r.peerCids.find((c) => c.current)!.cid).toBe(r.dcid);
    // Initial and Handshake keys are gone once confirmed (RFC 9001 §4.9); 1-RTT is in use.
    expect(r.spaces.map((s) => [s.space, s.discarded, s.keys])).toEqual([['initial', true, false], ['handshake', true, false], ['application', false, true]]);
    const app1 = r.spaces[2];
    expect(app1.txNext).toBeGreaterThan(0);
    expect(app1.rxLargest).toBeGreaterThanOrEqual(0);
    // 10 ms each way on the default link: about 20 ms round trips.
    expect(r.rtt.srtt).toBeGreaterThanOrEqual(19);
    expect(r.rtt.srtt).toBeLessThan(60);
    expect(r.rtt.min).toBeGreaterThanOrEqual(19);
    expect(r.cc.cwnd).toBe(p.server.recovery.cc.congestionWindow);
    expect(r.cc.state).toBe('slow_start');
    expect(r.cc.ssthresh).toBe(-1);
    expect(r.addressValidated).toBe(true);
    expect(r.idleTimeoutMs).toBe(30_000);
    expect(r.idleInMs).toBeGreaterThan(29_000);
    expect(r.idleInMs).toBeLessThanOrEqual(30_000);
    expect(r.flow.rxHighest).toBe(9);
    expect(r.tp.local).toContain('midle_timeout=30000ms');
    expect(r.tp.peer).toMatch(/^iscid=[0-9a-f]+ midle_timeout=30000ms mudp_payload_sz=\d+ /);
    // The request stream: 9 bytes received with FIN, nothing sent back yet, tied to its show sess object.
    const s = r.streams.find((x) => x.id === id)!;
    expect(s).toMatchObject({ id, bidi: true, initiator: 'client', lcId: 0x2a, request: 'GET /slow HTTP/3.0' });
    expect(s.rx).toMatchObject({ delivered: 9, highest: 9, finalSize: 9 });
    expect(s.tx).toMatchObject({ state: 'ready', written: 0, sent: 0, acked: 0 });
  });

  it('is plain data (it crosses postMessage) and leaves the engine as it was', () => {
    const { p, id } = pendingRequest();
    const deadline = p.server.deadline();
    const stats = { ...p.server.stats };
    const r = record(p, id);
    expect(structuredClone(r)).toEqual(r);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(p.server.deadline()).toBe(deadline);
    expect(p.server.stats).toEqual(stats);
    expect(p.server.transmit(p.now)).toBeNull(); // nothing queued by reading
    expect(record(p, id)).toEqual(r);
  });

  it('follows the response: bytes written, sent and acknowledged on the stream, then the stream goes away', () => {
    const { p, id } = pendingRequest();
    const body = pattern(50_000, 4);
    p.server.write(id, body);
    const mid = record(p, id).streams.find((x) => x.id === id)!;
    expect(mid.tx).toMatchObject({ written: 50_000, acked: 0 });
    p.server.finish(id);
    p.flush(); // sent, not acknowledged yet
    const during = record(p, id);
    expect(during.cc.inFlight).toBeGreaterThan(0);
    expect(during.spaces[2].txInFlight).toBeGreaterThan(0);
    p.runFor(2000);
    const after = record(p, id);
    expect(after.streams.find((x) => x.id === id)).toBeUndefined(); // both directions done: the engine forgot it
    expect(after.flow.txUsed).toBe(50_000);
    expect(after.cc.inFlight).toBe(0);
    expect(after.stats.bytesOut).toBeGreaterThan(50_000);
  });

  it('shows a stream whose delivery is paused (receive backpressure) with the bytes it holds', () => {
    const p = makePair({ seed: 5 });
    expect(confirmHandshake(p)).toBe(true);
    const id = p.client.openStream()!;
    p.client.write(id, pattern(1000, 1));
    p.flush();
    p.runFor(100);
    expect(p.server.pauseRecv(id)).toBe(true);
    p.client.write(id, pattern(3000, 2));
    p.flush();
    p.runFor(100);
    const rx = record(p, id).streams.find((x) => x.id === id)!.rx!;
    expect(rx).toMatchObject({ delivered: 1000, highest: 4000, pausedHeld: 3000 });
    expect(renderQuicSessDetail(record(p, id), 0x2a).join('\n')).toMatch(/ rx=recv off=1000 highest=4000 msd=\d+ paused held=3000 /);
    p.server.resumeRecv(id);
    expect(record(p, id).streams.find((x) => x.id === id)!.rx).not.toHaveProperty('pausedHeld');
  });

  it('shows a handshake in progress as HDSHK without peer parameters', () => {
    const p = makePair({ seed: 5 });
    p.step(); // the client's Initial reached the server; its answer is on the way
    const r = collectQuicConn(p.server, { thread: 2, id: 7, frontend: 'fe' }, p.now);
    expect(r).toMatchObject({ id: 7, thread: 2, frontend: 'fe', state: 'handshake', handshake: 'in-progress', mux: 'null' });
    expect(r.tp.peer === '-' || r.tp.peer.includes('midle_timeout=')).toBe(true);
    expect(quicOneline(r)).toMatch(/^0x7\[02\]\/fe\s+HDSHK /);
  });

  it('shows a path being validated after a NAT rebinding, then counts the migration', () => {
    const p = makePair({ seed: 8 });
    expect(confirmHandshake(p)).toBe(true);
    const id = p.client.openStream()!;
    p.client.write(id, pattern(400_000, 1)); // keeps the client sending while its address changes
    p.runFor(30);
    p.rebindClient('10.0.0.1:61000');
    p.blockClientAddress('10.0.0.1:61000');
    p.runFor(100);
    const r = collectQuicConn(p.server, { thread: 1 }, p.now);
    expect(r.paths.validating?.remote).toBe('10.0.0.1:61000');
    expect(r.paths.validating!.failsInMs).toBeGreaterThan(0);
    expect(r.paths.migrations.peer).toBe(1);
    const text = renderShowQuic([{ thread: 1, records: [r] }], { format: 'full', all: false });
    expect(text).toMatch(/ {2}path: validating 10\.0\.0\.1:61000 \(fails in [\d.]+m?s\) fallback=10\.0\.0\.2:443->10\.0\.0\.1:50000 migrations: peer=1 /);
    p.unblockClientAddress('10.0.0.1:61000');
    p.runUntil(() => !p.server.validatingPath, 5000);
    const done = collectQuicConn(p.server, { thread: 1 }, p.now);
    expect(done.paths.validating).toBeUndefined();
    expect(done.paths).toMatchObject({ remote: '10.0.0.1:61000', migrations: { peer: 1, validated: 1 } });
  });

  it('counts lost packets in lost_p and lostpkts', () => {
    const p = makePair({ seed: 11, link: { loss: 0.1 } });
    expect(confirmHandshake(p, 30_000)).toBe(true);
    const id = p.client.openStream()!;
    p.client.write(id, enc.encode('GET'));
    p.client.finish(id);
    p.onServerEvent = (e, pair) => {
      if (e.kind === 'stream-data' && e.fin) {
        pair.server.write(e.streamId, pattern(300_000, 2));
        pair.server.finish(e.streamId);
      }
    };
    p.runFor(5000);
    const r = collectQuicConn(p.server, { thread: 1, id: 1, frontend: 'web' }, p.now);
    expect(r.stats.packetsLost).toBeGreaterThan(0);
    const cols = quicOneline(r).split(/\s+/);
    expect(Number(cols[4])).toBe(r.stats.packetsLost);
    expect(renderShowQuic([{ thread: 1, records: [r] }], { format: 'full', all: false })).toContain(` lostpkts=${r.stats.packetsLost}`);
  });
});

describe('renderShowQuic', () => {
  it('oneline: HAProxy legend and columns, then version, RTT, cwnd, streams and the idle timer', () => {
    const { p, id } = pendingRequest();
    const r = record(p, id);
    const text = renderShowQuic([{ thread: 1, records: [r] }], parseShowQuicArgs([]));
    const [legend, row, ...rest] = text.split('\n');
    expect(legend).toBe(ONELINE_LEGEND);
    expect(rest).toEqual([]);
    expect(row.startsWith('0x29[01]/web')).toBe(true);
    expect(row.slice(36, 44)).toBe('ESTAB   ');
    expect(row).toContain(`${'10.0.0.2'.padStart(15)}:443     ${'10.0.0.1'.padStart(15)}:50000 ${r.scid} ${r.dcid} v=1 srtt=${r.rtt.srtt} rttvar=${r.rtt.rttvar} cwnd=${r.cc.cwnd} streams=1 reqs=1 idle=`);
    expect(row).toMatch(/ idle=\d+s$/);
  });

  it('full: HAProxy block (CIDs, TPs, st/mux/expire, addresses, spaces, srtt line) plus paths, CIDs, flow and streams, no empty line', () => {
    const { p, id } = pendingRequest();
    const text = renderShowQuic([{ thread: 1, records: [record(p, id)] }], parseShowQuicArgs(['full']));
    const lines = text.split('\n');
    expect(lines.every((l) => l.trim() !== '')).toBe(true);
    expect(lines[0]).toMatch(/^\* 0x29\[01\]: scid=[0-9a-f]{16}(\.\.){12} dcid=[0-9a-f]+(\.\.)*$/);
    expect(lines[1]).toMatch(/^ {2}loc\. TPs: midle_timeout=30000ms /);
    expect(lines[2]).toMatch(/^ {2}rem\. TPs: iscid=/);
    expect(lines[3]).toMatch(/^ {2}st=opened\s+mux=ready\s+expire=\d\ds fe=web version=0x00000001 hs=confirmed$/);
    expect(text).toContain('  local_addr=10.0.0.2:443 foreign_addr=10.0.0.1:50000 ');
    expect(text).toContain('  path: validated migrations: peer=0 validated=0 failed=0 local=0');
    expect(text).toMatch(/\n {2}local CIDs: 0:[0-9a-f]+\* 1:[0-9a-f]+ 2:[0-9a-f]+ 3:[0-9a-f]+\n/);
    expect(text).toContain('  [initl]  discarded');
    expect(text).toContain('  [hndshk] discarded');
    expect(text).toMatch(/\n {2}\[01rtt\] {2}tx\.pn=\d+ tx\.acked=\d+ tx\.inflight=\d+ tx\.ae_inflight=\d+ rx\.largest=\d+ ack_pending=[01]\n/);
    expect(text).toMatch(/\n {2}srtt=[\d.]+ +rttvar=[\d.]+ +rttmin=[\d.]+ +ptoc=0 +cwnd=\d+ +mcwnd=2400 +sentpkts=\d+ +lostpkts=0/);
    expect(text).toMatch(/\n {2}flow: tx\.md=\d+ tx\.used=0 rx\.md=4194304 rx\.highest=9 /);
    expect(text).toContain(`  | stream=${String(id).padEnd(4)} bidi/cli tx=ready off=0 ack=0 written=0 msd=`);
    expect(text).toMatch(/ rx=(data-recvd|data-read) off=9 highest=9 msd=\d+ fin=9 sess=0x2a "GET \/slow HTTP\/3\.0"/);
  });

  it('leaves out closing connections unless `all`, shows one connection by id whatever its state', () => {
    const { p, id } = pendingRequest();
    const open = record(p, id);
    const q = pendingRequest(4);
    q.p.server.close(q.p.now, 0x100, 'bye');
    const closing = { ...collectQuicConn(q.p.server, { thread: 2, id: 0x40, frontend: 'web' }, q.p.now) };
    expect(closing.state).toBe('closing');
    const answers = [{ thread: 2, records: [closing] }, { thread: 1, records: [open] }];
    const rows = (args: string[]) => renderShowQuic(answers, parseShowQuicArgs(args)).split('\n').slice(1);
    expect(rows([]).map((l) => l.split('[')[0])).toEqual(['0x29']);
    expect(rows(['all']).map((l) => l.split('[')[0])).toEqual(['0x29', '0x40']); // threads in order
    expect(rows(['all'])[1].slice(36, 44)).toBe('CLOSE   ');
    expect(rows(['0x40']).map((l) => l.split('[')[0])).toEqual(['0x40']);
    expect(rows(['64']).map((l) => l.split('[')[0])).toEqual(['0x40']);
    const full = renderShowQuic(answers, parseShowQuicArgs(['full', '0x40']));
    expect(full).toMatch(/^\* 0x40\[02\]/);
    expect(full).toContain('  st=closing ');
    expect(full).toContain('  close: by=local app error=0x100 reason="bye"');
    expect(() => renderShowQuic(answers, parseShowQuicArgs(['0x99']))).toThrow(/no QUIC connection 0x99; 'show quic' lists/);
  });

  it('names a worker that did not answer, in both formats, and in the error for an id it may hold', () => {
    const { p, id } = pendingRequest();
    const answers = [{ thread: 1, records: [record(p, id)] }, { thread: 2, error: 'no answer within 1000 ms' }];
    const one = renderShowQuic(answers, parseShowQuicArgs([])).split('\n');
    expect(one).toHaveLength(3);
    expect(one[2]).toBe('# thread 2: no answer within 1000 ms');
    expect(renderShowQuic(answers, parseShowQuicArgs(['full'])).split('\n').at(-1)).toBe('# thread 2: no answer within 1000 ms');
    expect(() => renderShowQuic(answers, parseShowQuicArgs(['0x77']))).toThrow('show quic: no QUIC connection 0x77 (thread 2: no answer within 1000 ms: it may be there)');
  });

  it('prints only the legend when no connection is open', () => {
    expect(renderShowQuic([{ thread: 1, records: [] }, { thread: 2, records: [] }], parseShowQuicArgs([]))).toBe(ONELINE_LEGEND);
    expect(renderShowQuic([{ thread: 1, records: [] }], parseShowQuicArgs(['full']))).toBe('');
  });
});

describe('parseShowQuicArgs', () => {
  it('takes HAProxy\'s format then filter', () => {
    expect(parseShowQuicArgs([])).toEqual({ format: 'oneline', all: false });
    expect(parseShowQuicArgs(['oneline'])).toEqual({ format: 'oneline', all: false });
    expect(parseShowQuicArgs(['full', 'all'])).toEqual({ format: 'full', all: true });
    expect(parseShowQuicArgs(['all'])).toEqual({ format: 'oneline', all: true });
    expect(parseShowQuicArgs(['full', '0x1E'])).toEqual({ format: 'full', all: false, id: 0x1e });
    expect(parseShowQuicArgs(['30'])).toEqual({ format: 'oneline', all: false, id: 30 });
  });

  it('rejects what it does not know, saying what is expected', () => {
    expect(() => parseShowQuicArgs(['verbose'])).toThrow(ShowQuicArgError);
    expect(() => parseShowQuicArgs(['verbose'])).toThrow("show quic: unexpected argument 'verbose': show quic [oneline|full] [all|<id>]");
    expect(() => parseShowQuicArgs(['all', 'full'])).toThrow("the format ('full') comes first");
    expect(() => parseShowQuicArgs(['0x1', '0x2'])).toThrow("unexpected argument '0x2'");
    expect(() => parseShowQuicArgs(['all', '0x2'])).toThrow("unexpected argument '0x2'");
    expect(() => parseShowQuicArgs(['0xzz'])).toThrow("unexpected argument '0xzz'");
  });
});

describe('renderQuicSessDetail', () => {
  it('adds the QUIC stream of an HTTP/3 stream (id, bytes, states) and its connection', () => {
    const { p, id } = pendingRequest();
    p.server.write(id, pattern(1000, 3));
    p.flush();
    const lines = renderQuicSessDetail(record(p, id), 0x2a);
    expect(lines[0]).toMatch(/^ {2}quic: conn=0x29 st=opened srtt=[\d.]+ms cwnd=\d+ in_flight=\d+ lost=0 idle=\d+s 10\.0\.0\.2:443<-10\.0\.0\.1:50000$/);
    expect(lines[1]).toBe(`  quic stream: id=${id} bytes_in=9 bytes_out=0/1000 acked/written`);
    expect(lines[2]).toMatch(new RegExp(`^ {2}\\| stream=${id} +bidi/cli tx=send `));
    expect(renderQuicSessDetail(record(p, id), 0x99)[1]).toBe('  quic stream: not open on the connection any more');
  });

  it('adds the full block, indented, for the connection itself', () => {
    const { p, id } = pendingRequest();
    const lines = renderQuicSessDetail(record(p, id));
    expect(lines[0]).toBe('  live QUIC state (thread 1):');
    expect(lines[1]).toMatch(/^ {2}\* 0x29\[01\]: scid=/);
    expect(lines.slice(1).every((l) => l.startsWith('    ') || l.startsWith('  * '))).toBe(true);
  });
});
