import { afterEach, describe, expect, it } from 'vitest';
import { configurePools } from '../../../diag/pool.ts';
import { seededRandom } from '../../../proxy/quic/cid.ts';
import { declareNcbufPool } from '../../../proxy/quic/crypto-rx.ts';
import { threadCidSource } from '../../../proxy/quic/udp/dispatcher.ts';
import { statelessResetToken } from '../../../proxy/quic/reset-token.ts';
import type { QuicPair } from '../../../proxy/quic/testing/pair.ts';
import { confirmHandshake, makePair, pattern, sameBytes, streamCollector } from './pair-setup.ts';

declareNcbufPool();
afterEach(() => configurePools({ seed: 7 }));

/** The DCID of a 1-RTT datagram the server sends (8 bytes after the first byte). */
function watchServerDcids(p: QuicPair): Set<string> {
  const seen = new Set<string>();
  const orig = p.server.transmit.bind(p.server);
  p.server.transmit = (now: number) => {
    const d = orig(now);
    if (d && (d.data[0] & 0x80) === 0) seen.add(Buffer.from(d.data.subarray(1, 9)).toString('hex'));
    return d;
  };
  return seen;
}

/** Starts a 2 MB server-to-client download on one stream and returns what the client collects. */
function download(p: QuicPair, size = 2 << 20) {
  const got = streamCollector();
  const data = pattern(size, 9);
  p.onClientEvent = (e) => got.on(e);
  const id = p.client.openStream()!;
  p.client.write(id, new TextEncoder().encode('GET'));
  p.client.finish(id);
  p.onServerEvent = (e, pair) => {
    if (e.kind === 'stream-data' && e.fin) {
      pair.server.write(e.streamId, data);
      pair.server.finish(e.streamId);
    }
  };
  p.flush();
  return { got, data, id };
}

describe('connection ids (RFC 9000 §5.1)', () => {
  it('each side issues ids up to the peer\'s active_connection_id_limit, with HMAC reset tokens, carrying the thread byte', () => {
    const p = makePair({ seed: 21, serverRandom: threadCidSource(7, seededRandom(99)) });
    expect(confirmHandshake(p)).toBe(true);
    p.runFor(200);
    const server = p.server.activeLocalCids();
    expect(server.map((c) => c.seq)).toEqual([0, 1, 2, 3]); // our default limit is 4
    for (const c of server) {
      expect(c.cid[0]).toBe(7);
      expect(sameBytes(c.token, statelessResetToken(c.cid))).toBe(true);
    }
    expect(sameBytes(server[0].cid, p.server.localCid)).toBe(true);
    // The listener learns the three new ones (sequence 0 it registered itself).
    const ch = p.server.pollCidChanges();
    expect(ch.added.map((c) => Buffer.from(c).toString('hex'))).toEqual(server.slice(1).map((c) => Buffer.from(c.cid).toString('hex')));
    expect(ch.removed).toEqual([]);
    expect(p.client.activeLocalCids()).toHaveLength(4);
    expect(p.server.framesSent.get('new_connection_id')).toBe(3);
    expect(p.client.framesSent.get('new_connection_id')).toBe(3);
    // The server's transport parameters carry the token of its first id (RFC 9000 §18.2).
    expect(sameBytes(p.client.peerTransportParameters!.statelessResetToken!, server[0].token)).toBe(true);
  });

  it('a client migrating moves to a new server id and retires the old one; the server replaces it', () => {
    const p = makePair({ seed: 22 });
    expect(confirmHandshake(p)).toBe(true);
    p.runFor(200);
    const before = p.client.dcid;
    p.server.pollCidChanges();
    expect(p.migrateClient('10.0.0.9:40000')).toBe(true);
    expect(sameBytes(p.client.dcid, before)).toBe(false);
    p.runFor(500);
    const ch = p.server.pollCidChanges();
    expect(ch.removed.map((c) => Buffer.from(c).toString('hex'))).toEqual([Buffer.from(before).toString('hex')]);
    expect(ch.added).toHaveLength(1);
    expect(p.server.activeLocalCids().map((c) => c.seq)).toEqual([1, 2, 3, 4]);
    expect(p.server.state).toBe('established');
  });
});

describe('migration and NAT rebinding (RFC 9000 §9)', () => {
  it('NAT rebinding mid-download: the server validates the new address and completes byte-exact', () => {
    const p = makePair({ seed: 31, link: { delay: 10, loss: 0.01 } });
    expect(confirmHandshake(p)).toBe(true);
    const dcids = watchServerDcids(p);
    const { got, data, id } = download(p);
    expect(p.runUntil(() => got.received() > 300_000, 60_000)).toBe(true);
    expect(dcids.size).toBe(1);
    p.rebindClient('10.0.0.1:61000'); // same host, new port: no congestion reset (§9.4)
    expect(p.runUntil(() => got.fins.has(id), 120_000)).toBe(true);
    expect(sameBytes(got.bytes(id), data)).toBe(true);
    expect(p.server.currentPath.remote).toBe('10.0.0.1:61000');
    expect(p.server.migrations).toMatchObject({ peer: 1, validated: 1, failed: 0 });
    expect(p.server.framesSent.get('path_challenge')).toBeGreaterThanOrEqual(1);
    expect(p.client.framesSent.get('path_response')).toBeGreaterThanOrEqual(1);
    // A rebinding keeps the peer id (the client did not change ours, §9.5).
    expect(dcids.size).toBe(1);
    expect(p.server.validatingPath).toBe(false);
  });

  it('active migration to a new host mid-download: new ids both ways, congestion restarted, byte-exact', () => {
    const p = makePair({ seed: 32, link: { delay: 10, loss: 0.01, reorder: 0.05 } });
    expect(confirmHandshake(p)).toBe(true);
    const dcids = watchServerDcids(p);
    const { got, data, id } = download(p);
    expect(p.runUntil(() => got.received() > 500_000, 60_000)).toBe(true);
    expect(p.server.recovery.cc.ssthresh).toBeLessThan(Infinity); // losses happened
    expect(p.migrateClient('192.0.2.7:50001')).toBe(true);
    expect(p.runUntil(() => p.server.currentPath.remote === '192.0.2.7:50001', 5_000)).toBe(true);
    expect(p.server.recovery.cc.ssthresh).toBe(Infinity); // §9.4: congestion control restarted
    expect(p.runUntil(() => got.fins.has(id), 120_000)).toBe(true);
    expect(sameBytes(got.bytes(id), data)).toBe(true);
    expect(p.server.migrations).toMatchObject({ peer: 1, validated: 1, failed: 0 });
    expect(p.client.migrations.local).toBe(1);
    expect(dcids.size).toBe(2); // the server moved to a new client id too
  });

  it('keeps to the anti-amplification limit on an unvalidated path, and goes back when validation fails', () => {
    const p = makePair({ seed: 33 });
    expect(confirmHandshake(p)).toBe(true);
    const { got } = download(p);
    expect(p.runUntil(() => got.received() > 100_000, 60_000)).toBe(true);
    let received = 0;
    let sent = 0;
    const origReceive = p.server.receive.bind(p.server);
    p.server.receive = (now, d, path) => {
      if (path.remote === '10.0.0.1:62000') received += d.length;
      origReceive(now, d, path);
    };
    const origTransmit = p.server.transmit.bind(p.server);
    p.server.transmit = (now) => {
      const d = origTransmit(now);
      if (d && d.path.remote === '10.0.0.1:62000') sent += d.data.length;
      return d;
    };
    p.rebindClient('10.0.0.1:62000');
    p.blockClientAddress('10.0.0.1:62000'); // the new address cannot be reached back: never validated
    p.runFor(400);
    expect(received).toBeGreaterThan(0);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(3 * received);
    expect(p.server.validatingPath).toBe(true);
    // Validation fails after max(3 PTO, 6 kInitialRtt): back to the old (validated) path (§9.3.2).
    p.runUntil(() => !p.server.validatingPath, 10_000);
    expect(p.server.migrations.failed).toBe(1);
    expect(p.server.currentPath.remote).toBe('10.0.0.1:50000');
    expect(p.server.recovery.amplification.validated).toBe(true);
    expect(p.server.state).toBe('established');
  });

  it('is refused to a client before confirmation or without a spare server id', () => {
    const p = makePair({ seed: 34, serverTransport: {} });
    expect(p.client.migrate(p.now, { local: '10.0.0.5:1', remote: '10.0.0.2:443' })).toBe(false);
    expect(confirmHandshake(p)).toBe(true);
    p.runFor(200);
    // Three spare ids: three migrations work, then the server replaced each retired one.
    for (const port of [2, 3, 4, 5, 6]) {
      expect(p.migrateClient(`10.0.0.5:${port}`)).toBe(true);
      p.runFor(300);
    }
    expect(p.server.state).toBe('established');
    expect(p.server.migrations.validated).toBe(5);
  });

  it('the server no longer sends disable_active_migration', () => {
    const p = makePair({ seed: 35 });
    expect(confirmHandshake(p)).toBe(true);
    expect(p.client.peerTransportParameters!.disableActiveMigration).toBe(false);
  });
});
