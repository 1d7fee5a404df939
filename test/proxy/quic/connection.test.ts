import { afterEach, describe, expect, it } from 'vitest';
import { configurePools, poolsView } from '../../../diag/pool.ts';
import { declareNcbufPool } from '../../../proxy/quic/crypto-rx.ts';
import { TRANSPORT_ERROR } from '../../../proxy/quic/errors.ts';
import { parsePacketHeader } from '../../../proxy/quic/header.ts';
import type { ConnectionEvent } from '../../../proxy/quic/connection.types.ts';
import type { QuicPair } from '../../../proxy/quic/testing/pair.ts';
import { concatBytes, makePair, pattern } from './pair-setup.ts';

declareNcbufPool();

const SUITES = [
  ['TLS_AES_128_GCM_SHA256', 0x1301],
  ['TLS_AES_256_GCM_SHA384', 0x1302],
  ['TLS_CHACHA20_POLY1305_SHA256', 0x1303],
] as const;

const LOSSY = { delay: 10, loss: 0.05, reorder: 0.1, duplicate: 0.02 };

function handshake(p: QuicPair, within = 10_000): void {
  expect(p.runUntil(() => p.client.handshakeConfirmed && p.server.handshakeConfirmed, within)).toBe(true);
}

function summaryOf(events: readonly ConnectionEvent[]) {
  const e = events.find((x) => x.kind === 'handshake-done');
  return e?.kind === 'handshake-done' ? e.summary : undefined;
}

/** Collects stream data per stream id on one side. */
function collector(): { data: Map<number, Uint8Array[]>; fins: Set<number>; on: (e: ConnectionEvent) => void; bytes: (id: number) => Uint8Array } {
  const data = new Map<number, Uint8Array[]>();
  const fins = new Set<number>();
  return {
    data,
    fins,
    on: (e) => {
      if (e.kind !== 'stream-data') return;
      if (!data.has(e.streamId)) data.set(e.streamId, []);
      data.get(e.streamId)!.push(e.data);
      if (e.fin) fins.add(e.streamId);
    },
    bytes: (id) => concatBytes(data.get(id) ?? []),
  };
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

afterEach(() => configurePools({ seed: 7 }));

describe('QUIC handshake (RFC 9001 §4) over the in-memory pair', () => {
  for (const [name, code] of SUITES) {
    it(`completes and confirms with ${name}, discarding Initial and Handshake keys`, () => {
      const p = makePair({ suites: [code], seed: 3 });
      handshake(p);
      expect(summaryOf(p.clientEvents)?.suite).toBe(name);
      expect(summaryOf(p.serverEvents)?.suite).toBe(name);
      expect(summaryOf(p.serverEvents)?.alpn).toBe('h3');
      // RFC 9001 §4.9: no packet of a discarded space is left in flight.
      for (const c of [p.client, p.server]) {
        expect(c.recovery.spaces.initial.sent.size).toBe(0);
        expect(c.recovery.spaces.handshake.sent.size).toBe(0);
      }
      expect(p.server.framesSent.get('handshake_done')).toBeGreaterThanOrEqual(1);
      // Data flows both ways under the negotiated suite.
      const got = collector();
      const back = collector();
      p.onServerEvent = (e, pair) => {
        got.on(e);
        if (e.kind === 'stream-data' && e.fin) {
          pair.server.write(e.streamId, got.bytes(e.streamId).reverse());
          pair.server.finish(e.streamId);
        }
      };
      p.onClientEvent = (e) => back.on(e);
      const id = p.client.openStream()!;
      const msg = pattern(5000, code);
      p.client.write(id, msg);
      p.client.finish(id);
      p.flush();
      expect(p.runUntil(() => back.fins.has(id), 10_000)).toBe(true);
      expect(same(back.bytes(id), msg.slice().reverse())).toBe(true);
    });
  }

  it('pads client Initial datagrams to 1200 bytes and splits the hybrid-key ClientHello over two (RFC 9000 §14.1)', () => {
    const seen: { dir: string; size: number; type: string }[] = [];
    const script = (d: { dir: 'to-server' | 'to-client'; data: Uint8Array }) => {
      const h = parsePacketHeader(d.data, 0, 8);
      seen.push({ dir: d.dir, size: d.data.length, type: h.ok ? (h.packet.form === 'long' ? h.packet.type : h.packet.form) : 'bad' });
      return { extraDelay: 0 };
    };
    const p = makePair({ link: { script } });
    handshake(p);
    const clientInitials = seen.filter((s) => s.dir === 'to-server' && s.type === 'initial');
    expect(clientInitials.length).toBeGreaterThanOrEqual(2);
    for (const s of clientInitials) expect(s.size).toBeGreaterThanOrEqual(1200);
    const serverInitials = seen.filter((s) => s.dir === 'to-client' && s.type === 'initial');
    expect(serverInitials.length).toBeGreaterThanOrEqual(1);
    expect(serverInitials[0].size).toBeGreaterThanOrEqual(1200);
  });

  it('never sends more than three times what it received before the address is validated (RFC 9000 §8.1)', () => {
    // The client's packets after its first flight are lost: the server never sees a Handshake packet.
    const p = makePair({ link: { script: (d) => (d.dir === 'to-server' && d.seq >= 2 ? { drop: true } : { extraDelay: 0 }) } });
    p.runUntil(() => false, 3000);
    expect(p.server.handshakeComplete).toBe(false);
    expect(p.server.stats.bytesOut).toBeGreaterThan(0);
    expect(p.server.stats.bytesOut).toBeLessThanOrEqual(3 * p.server.stats.bytesIn);
    expect(p.server.stats.ptoCount).toBeGreaterThan(0);
  });

  it('completes through 5% loss, reordering and duplication', () => {
    for (const seed of [11, 12, 13]) {
      const p = makePair({ seed, link: LOSSY });
      handshake(p, 30_000);
    }
  });
});

describe('QUIC streams over the in-memory pair (RFC 9000 §2-4)', () => {
  it('moves 1 MB on one stream byte-exact with 5% loss and reordering', () => {
    const p = makePair({ seed: 7, link: LOSSY });
    handshake(p, 30_000);
    const got = collector();
    p.onServerEvent = (e) => got.on(e);
    const data = pattern(1 << 20, 1);
    const id = p.client.openStream()!;
    expect(p.client.write(id, data)).toBe(true);
    expect(p.client.finish(id)).toBe(true);
    p.flush();
    expect(p.runUntil(() => got.fins.has(id), 120_000)).toBe(true);
    expect(same(got.bytes(id), data)).toBe(true);
    expect(p.counts['to-server'].dropped).toBeGreaterThan(20);
    expect(p.client.stats.packetsLost).toBeGreaterThan(0);
    // Everything is eventually acknowledged: the stream reports Data Recvd and is forgotten.
    expect(p.runUntil(() => p.clientEvents.some((e) => e.kind === 'stream-sent' && e.streamId === id), 30_000)).toBe(true);
    expect(p.client.streams.get(id)?.send?.state).toBe('data-recvd');
  });

  it('carries 50 concurrent small streams, echoed back byte-exact, with 5% loss and reordering', () => {
    const p = makePair({ seed: 21, link: LOSSY });
    handshake(p, 30_000);
    const atServer = collector();
    const atClient = collector();
    p.onServerEvent = (e, pair) => {
      atServer.on(e);
      if (e.kind === 'stream-data' && e.fin) {
        pair.server.write(e.streamId, atServer.bytes(e.streamId));
        pair.server.finish(e.streamId);
      }
    };
    p.onClientEvent = (e) => atClient.on(e);
    const sent = new Map<number, Uint8Array>();
    for (let i = 0; i < 50; i++) {
      const id = p.client.openStream()!;
      expect(id).toBe(4 * i);
      const msg = pattern(500 + i * 97, i);
      sent.set(id, msg);
      p.client.write(id, msg);
      p.client.finish(id);
    }
    p.flush();
    expect(p.runUntil(() => atClient.fins.size === 50, 60_000)).toBe(true);
    for (const [id, msg] of sent) expect(same(atClient.bytes(id), msg)).toBe(true);
  });

  it('resolves flow-control stalls: DATA_BLOCKED / STREAM_DATA_BLOCKED, then MAX_DATA / MAX_STREAM_DATA', () => {
    const p = makePair({
      seed: 5,
      link: { delay: 10, loss: 0.03 },
      serverTransport: { initialMaxData: 16 * 1024, initialMaxStreamDataBidiRemote: 4 * 1024 },
    });
    handshake(p);
    const got = collector();
    p.onServerEvent = (e) => got.on(e);
    const a = p.client.openStream()!;
    const b = p.client.openStream()!;
    const da = pattern(200_000, 1);
    const db = pattern(90_000, 2);
    p.client.write(a, da);
    p.client.write(b, db);
    p.client.finish(a);
    p.client.finish(b);
    p.flush();
    expect(p.runUntil(() => got.fins.size === 2, 120_000)).toBe(true);
    expect(same(got.bytes(a), da)).toBe(true);
    expect(same(got.bytes(b), db)).toBe(true);
    expect(p.client.framesSent.get('stream_data_blocked')).toBeGreaterThan(0);
    expect(p.server.framesSent.get('max_stream_data')).toBeGreaterThan(0);
    expect(p.server.framesSent.get('max_data')).toBeGreaterThan(0);
  });

  it('opens streams beyond MAX_STREAMS only after the peer raises it', () => {
    const p = makePair({ seed: 9, serverTransport: { initialMaxStreamsBidi: 2 } });
    handshake(p);
    const got = collector();
    p.onServerEvent = (e) => got.on(e);
    const ids = [p.client.openStream(), p.client.openStream(), p.client.openStream()];
    expect(ids).toEqual([0, 4, null]);
    for (const id of [0, 4]) {
      p.client.write(id, pattern(100, id));
      p.client.finish(id);
    }
    p.flush();
    expect(p.client.framesSent.get('streams_blocked')).toBe(1);
    // The server closes its side of both streams (it answers with empty FINs), freeing two slots.
    p.onServerEvent = (e, pair) => {
      got.on(e);
      if (e.kind === 'stream-data' && e.fin) pair.server.finish(e.streamId);
    };
    p.server.finish(0);
    p.server.finish(4);
    p.flush();
    expect(p.runUntil(() => p.clientEvents.some((e) => e.kind === 'streams-available' && e.bidi), 5000)).toBe(true);
    expect(p.client.openStream()).toBe(8);
  });

  it('answers STOP_SENDING with RESET_STREAM of the same code, reported on both sides', () => {
    const p = makePair({ seed: 4 });
    handshake(p);
    const id = p.client.openStream()!;
    p.client.write(id, pattern(3000, 9));
    p.flush();
    expect(p.runUntil(() => p.serverEvents.some((e) => e.kind === 'stream-data'), 2000)).toBe(true);
    expect(p.server.stopSending(id, 0x10c)).toBe(true);
    p.flush();
    expect(p.runUntil(() => p.serverEvents.some((e) => e.kind === 'stream-reset'), 2000)).toBe(true);
    expect(p.clientEvents).toContainEqual({ kind: 'stop-sending', streamId: id, errorCode: 0x10c });
    const reset = p.serverEvents.find((e) => e.kind === 'stream-reset');
    expect(reset).toMatchObject({ streamId: id, errorCode: 0x10c, finalSize: 3000 });
    expect(p.client.write(id, Uint8Array.of(1))).toBe(false);
  });
});

describe('QUIC connection end (RFC 9000 §10)', () => {
  it('idle timeout closes both sides silently', () => {
    const p = makePair({ seed: 2, clientTransport: { maxIdleTimeout: 2000 }, serverTransport: { maxIdleTimeout: 1000 } });
    handshake(p);
    const start = p.now;
    const sentBefore = p.counts['to-server'].sent + p.counts['to-client'].sent;
    expect(p.runUntil(() => p.client.state === 'closed' && p.server.state === 'closed', 10_000)).toBe(true);
    expect(p.client.closeReason?.by).toBe('idle');
    expect(p.server.closeReason?.by).toBe('idle');
    // The negotiated timeout is the smaller one (1 s), or three PTOs if larger.
    expect(p.now - start).toBeGreaterThanOrEqual(1000);
    expect(p.now - start).toBeLessThan(2000);
    // Acknowledgments of the last handshake packets aside, nothing announces the close.
    expect(p.counts['to-server'].sent + p.counts['to-client'].sent - sentBefore).toBeLessThanOrEqual(2);
    expect(p.client.deadline()).toBeUndefined();
  });

  it('application CONNECTION_CLOSE: closing on one side, draining on the other, then closed', () => {
    const p = makePair({ seed: 6 });
    handshake(p);
    p.client.close(p.now, 0x100, 'bye now');
    p.flush();
    expect(p.client.state).toBe('closing');
    expect(p.runUntil(() => p.server.state === 'draining', 1000)).toBe(true);
    expect(p.server.closeReason).toEqual({ by: 'peer', app: true, errorCode: 0x100, frameType: 0, reason: 'bye now' });
    expect(p.runUntil(() => p.client.state === 'closed' && p.server.state === 'closed', 10_000)).toBe(true);
    expect(p.client.openStream()).toBeNull();
  });

  it('a unidirectional stream carries data one way only (RFC 9000 §2.1)', () => {
    const p = makePair({ seed: 8 });
    handshake(p);
    const id = p.server.openStream(false)!;
    expect(id).toBe(3);
    p.server.write(id, pattern(10, 1));
    p.server.finish(id);
    p.flush();
    expect(p.runUntil(() => p.clientEvents.some((e) => e.kind === 'stream-data' && e.fin), 2000)).toBe(true);
    expect(p.clientEvents.find((e) => e.kind === 'stream-opened')).toEqual({ kind: 'stream-opened', streamId: 3 });
    expect(p.client.write(id, Uint8Array.of(1))).toBe(false);
    expect(p.server.stopSending(id, 1)).toBe(false);
  });
});

describe('hostile datagrams are dropped without affecting the connection', () => {
  it('garbage, wrong DCID, truncated and corrupted datagrams are dropped, then data still flows', () => {
    const captured: Uint8Array[] = [];
    const script = (d: { dir: string; data: Uint8Array }) => {
      if (d.dir === 'to-server') captured.push(d.data.slice());
      return { extraDelay: 0 };
    };
    const p = makePair({ seed: 10, link: { script } });
    handshake(p);
    const first = p.client.openStream()!;
    p.client.write(first, pattern(10, 1));
    p.flush();
    expect(p.runUntil(() => p.serverEvents.some((e) => e.kind === 'stream-data'), 1000)).toBe(true);
    const before = p.server.stats.dropped;
    const last = captured.filter((d) => (d[0] & 0x80) === 0).at(-1)!; // a 1-RTT packet
    expect(last).toBeDefined();
    const hostile: Uint8Array[] = [
      new Uint8Array(0),
      pattern(1300, 99), // garbage
      last.subarray(0, 20), // truncated
      last.subarray(0, last.length - 1), // truncated by one byte: AEAD fails
      (() => { const c = last.slice(); c[c.length - 3] ^= 0x40; return c; })(), // corrupted
      (() => { const c = last.slice(); c[1] ^= 0xff; return c; })(), // wrong DCID
      Uint8Array.of(0xc0, 0, 0, 0, 1, 30, ...pattern(40, 1)), // long header, connection id too long
      Uint8Array.of(0xc0, 0xde, 0xad, 0xbe, 0xef, 8, ...p.server.localCid, 0), // unknown version
      last, // a replay: duplicate packet number
    ];
    for (const h of hostile) p.inject('to-server', h);
    for (const h of hostile.slice(0, 3)) p.inject('to-client', h);
    expect(p.server.state).toBe('established');
    expect(p.client.state).toBe('established');
    expect(p.server.stats.dropped - before).toBeGreaterThanOrEqual(hostile.length - 1);
    const got = collector();
    p.onServerEvent = (e) => got.on(e);
    const id = p.client.openStream()!;
    const msg = pattern(20_000, 5);
    p.client.write(id, msg);
    p.client.finish(id);
    p.flush();
    expect(p.runUntil(() => got.fins.has(id), 10_000)).toBe(true);
    expect(same(got.bytes(id), msg)).toBe(true);
  });

  it('a server engine ignores a first datagram that is not a full-size v1 Initial', () => {
    const p = makePair({ seed: 12, link: { script: (d) => (d.dir === 'to-server' && d.seq === 0 ? { extraDelay: 50 } : { extraDelay: 0 }) } });
    p.inject('to-server', pattern(1200, 3)); // garbage of Initial size
    p.inject('to-server', Uint8Array.of(0xc0, 0, 0, 0, 1, 8, ...pattern(8, 1), 0, 0, 1, 0)); // too small
    expect(p.server.stats.dropped).toBe(2);
    handshake(p);
  });
});

describe('seed 4: CRYPTO ncbuf allocation failure', () => {
  it('closes that connection with INTERNAL_ERROR while another completes', () => {
    configurePools({ failPercent: 100, seed: 1 });
    // Connection A: the client's two Initial datagrams arrive swapped, so the server must buffer
    // the ClientHello's tail out of order and asks quic_ncbuf for a buffer, which fails.
    const a = makePair({ seed: 31, link: { script: (d) => (d.dir === 'to-server' && d.seq === 0 ? { extraDelay: 5 } : { extraDelay: 0 }) } });
    // Connection B: in order, no reassembly buffer needed.
    const b = makePair({ seed: 32 });
    const failuresBefore = poolsView().pools.find((x) => x.name === 'quic_ncbuf')?.failures ?? 0;
    for (let i = 0; i < 5000 && !(a.client.state === 'draining' && b.client.handshakeConfirmed && b.server.handshakeConfirmed); i++) {
      a.step();
      b.step();
    }
    expect(a.server.closeReason).toMatchObject({ by: 'local', app: false, errorCode: TRANSPORT_ERROR.INTERNAL_ERROR });
    expect(a.server.closeReason?.reason).toMatch(/no memory for the CRYPTO reassembly buffer/);
    expect(a.client.state).toBe('draining');
    expect(a.client.closeReason).toMatchObject({ by: 'peer', errorCode: TRANSPORT_ERROR.INTERNAL_ERROR });
    expect(b.client.handshakeConfirmed && b.server.handshakeConfirmed).toBe(true);
    const pool = poolsView().pools.find((x) => x.name === 'quic_ncbuf')!;
    expect(pool.failures - failuresBefore).toBeGreaterThanOrEqual(1);
    expect(pool.used).toBe(0);
    // B keeps working.
    const got = collector();
    b.onServerEvent = (e) => got.on(e);
    const id = b.client.openStream()!;
    b.client.write(id, pattern(4000, 1));
    b.client.finish(id);
    b.flush();
    expect(b.runUntil(() => got.fins.has(id), 5000)).toBe(true);
    expect(a.runUntil(() => a.server.state === 'closed' && a.client.state === 'closed', 10_000)).toBe(true);
  });
});

describe('receive backpressure over the in-memory pair (QuicConnection.pauseRecv / resumeRecv, RFC 9000 §4.1-4.2)', () => {
  it('a paused stream stops after its window while other streams go on, even when paused streams hold more than the connection window; resume completes byte-exact', () => {
    const WINDOW = 64 * 1024;
    const p = makePair({
      seed: 41,
      link: { delay: 10, loss: 0.02, reorder: 0.05 },
      serverTransport: { initialMaxData: 128 * 1024, initialMaxStreamDataBidiRemote: WINDOW },
    });
    handshake(p);
    const got = collector();
    const paused = new Set<number>();
    p.onServerEvent = (e, pair) => {
      got.on(e);
      // The application pauses the slow streams at their first bytes (as the HTTP/3 driver does
      // when the origin's socket is full).
      if (e.kind === 'stream-data' && paused.delete(e.streamId)) expect(pair.server.pauseRecv(e.streamId)).toBe(true);
    };
    const slow = [p.client.openStream()!, p.client.openStream()!, p.client.openStream()!];
    const fast = p.client.openStream()!;
    for (const id of slow) paused.add(id);
    const bodies = new Map([...slow, fast].map((id, i) => [id, pattern(i === 3 ? 400_000 : 300_000, 10 + i)]));
    for (const [id, body] of bodies) {
      p.client.write(id, body);
      p.client.finish(id);
    }
    p.flush();
    // Three paused streams may hold 3 * 64 KB, more than the 128 KB connection window: the fast
    // stream still completes (the credit beyond the paused share is returned as it arrives).
    expect(p.runUntil(() => got.fins.has(fast), 60_000)).toBe(true);
    expect(same(got.bytes(fast), bodies.get(fast)!)).toBe(true);
    p.runFor(2000);
    for (const id of slow) {
      const r = p.server.streams.get(id)!.recv!;
      expect(r.paused).toBe(true);
      expect(got.bytes(id).length).toBe(r.delivered); // only what came before the pause was delivered
      expect(r.delivered).toBeLessThan(WINDOW / 4);
      expect(r.window.limit).toBe(WINDOW); // no MAX_STREAM_DATA beyond the initial window
      expect(r.held).toBe(WINDOW - r.delivered); // the rest of the window arrived and is held
      expect(r.window.highest).toBeLessThanOrEqual(WINDOW);
      expect(p.client.streamBuffered(id)).toBeGreaterThan(300_000 - WINDOW - 1); // the rest waits at the sender
    }
    expect(p.client.framesSent.get('stream_data_blocked')).toBeGreaterThan(0);
    // Resume one at a time: each completes byte-exact, with its window moving again.
    for (const id of slow) {
      expect(p.server.resumeRecv(id)).toBe(true);
      p.flush();
      expect(p.runUntil(() => got.fins.has(id), 60_000)).toBe(true);
      expect(same(got.bytes(id), bodies.get(id)!)).toBe(true);
    }
    expect(p.server.streams.pausedBytes).toEqual({ held: 0, lent: 0 });
    expect(p.server.state).toBe('established');
  });
});
