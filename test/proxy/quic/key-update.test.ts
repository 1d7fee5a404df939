import { afterEach, describe, expect, it } from 'vitest';
import { configurePools } from '../../../diag/pool.ts';
import { CIPHER_SUITES } from '../../../proxy/quic/crypto.types.ts';
import { declareNcbufPool } from '../../../proxy/quic/crypto-rx.ts';
import { TRANSPORT_ERROR } from '../../../proxy/quic/errors.ts';
import { KeyPhase } from '../../../proxy/quic/key-update.ts';
import { derivePacketKeys } from '../../../proxy/quic/keys.ts';
import { A5 } from './rfc9001-vectors.ts';
import { confirmHandshake, makePair, pattern, sameBytes, streamCollector } from './pair-setup.ts';

declareNcbufPool();
afterEach(() => configurePools({ seed: 7 }));

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const chacha = CIPHER_SUITES.TLS_CHACHA20_POLY1305_SHA256;

/** Two ends' key phase states from the RFC 9001 §A.5 secret (same secret both ways: only the bookkeeping matters here). */
function ends(): { a: KeyPhase; b: KeyPhase } {
  const k = derivePacketKeys(chacha, hex(A5.secret));
  return { a: new KeyPhase(k, k), b: new KeyPhase(k, k) };
}

describe('KeyPhase (RFC 9001 §6)', () => {
  it('an update derives the RFC 9001 §A.5 "quic ku" secret and keeps the header protection key', () => {
    const { a } = ends();
    expect(a.initiate(10)).toBe(true);
    expect(a.phase).toBe(1);
    expect(Buffer.from(a.write.secret).toString('hex')).toBe(A5.ku);
    expect(Buffer.from(a.read.secret).toString('hex')).toBe(A5.ku);
    expect(Buffer.from(a.write.hp).toString('hex')).toBe(A5.hp);
    expect(Buffer.from(a.write.key).toString('hex')).not.toBe(A5.key);
  });

  it('refuses a second update before a packet of the current phase is acknowledged (§6.1)', () => {
    const { a } = ends();
    expect(a.initiate(10)).toBe(true);
    expect(a.initiate(11)).toBe(false);
    a.onAckReceived(9); // acknowledges only packets of the old phase
    expect(a.canInitiate).toBe(false);
    a.onAckReceived(10);
    expect(a.initiate(12)).toBe(true);
    expect(a.phase).toBe(0);
    expect(a.updates).toBe(2);
  });

  it('chooses previous keys below the first packet number of the new phase, next keys above (§6.5)', () => {
    const { a, b } = ends();
    a.initiate(100); // a sends 100.. in phase 1
    // b sees phase 1 at 100: next keys, and follows.
    const c = b.choose(1, 100);
    expect(c.which).toBe('next');
    expect(sameBytes(c.keys.key, a.write.key)).toBe(true);
    expect(b.onOpened('next', 100, 1000, 50, 40)).toEqual({ ok: true, updated: true });
    expect(b.phase).toBe(1);
    expect(sameBytes(b.write.key, a.read.key)).toBe(true);
    // A reordered phase-0 packet numbered 99 opens with the previous keys.
    expect(b.choose(0, 99).which).toBe('previous');
    // Three PTOs later the previous keys are gone (§6.5): phase 0 now means the next update.
    b.expire(1000 + 149);
    expect(b.hasPrevious).toBe(true);
    b.expire(1000 + 150);
    expect(b.hasPrevious).toBe(false);
    expect(b.choose(0, 99).which).toBe('next');
  });

  it('a second peer update before we acknowledged the first with new keys is a KEY_UPDATE_ERROR (§6.2)', () => {
    const { b } = ends();
    expect(b.onOpened('next', 5, 1000, 50, 3).ok).toBe(true);
    const second = b.onOpened('next', 7, 1001, 50, 4);
    expect(second.ok).toBe(false);
    // Once we acknowledged packet 5 with the new keys the peer may update again.
    const { b: b2 } = ends();
    b2.onOpened('next', 5, 1000, 50, 3);
    b2.onAckSent(4);
    expect(b2.onOpened('next', 7, 1001, 50, 4).ok).toBe(false);
    b2.onAckSent(5);
    expect(b2.onOpened('next', 7, 1001, 50, 4)).toEqual({ ok: true, updated: true });
  });
});

describe('key update over the in-memory pair', () => {
  it('is refused before the handshake is confirmed', () => {
    const p = makePair({ seed: 3 });
    expect(p.client.updateKeys(p.now)).toBe(false);
    expect(confirmHandshake(p)).toBe(true);
    expect(p.client.updateKeys(p.now)).toBe(true);
    expect(p.client.updateKeys(p.now)).toBe(false); // nothing sent with the new keys is acknowledged yet
  });

  it('both sides update in turn during a 1 MB transfer with loss and reordering, byte-exact', () => {
    const p = makePair({ seed: 11, link: { delay: 10, loss: 0.03, reorder: 0.1, duplicate: 0.02 } });
    expect(confirmHandshake(p, 30_000)).toBe(true);
    const got = streamCollector();
    const steps: string[] = [];
    p.onServerEvent = (e, pair) => {
      got.on(e);
      if (steps.length === 0 && got.received() > 200_000 && pair.client.updateKeys(pair.now)) steps.push('client');
      if (steps.length === 1 && got.received() > 600_000 && pair.server.updateKeys(pair.now)) steps.push('server');
    };
    const data = pattern(1 << 20, 5);
    const id = p.client.openStream()!;
    p.client.write(id, data);
    p.client.finish(id);
    p.flush();
    expect(p.runUntil(() => got.fins.has(id), 120_000)).toBe(true);
    expect(sameBytes(got.bytes(id), data)).toBe(true);
    expect(steps).toEqual(['client', 'server']);
    expect([p.client.keyUpdates, p.server.keyUpdates]).toEqual([2, 2]);
    expect([p.client.keyPhase, p.server.keyPhase]).toEqual([0, 0]);
    expect(p.client.state).toBe('established');
    expect(p.server.state).toBe('established');
  });

  it('a peer updating twice without waiting is closed with KEY_UPDATE_ERROR', () => {
    const p = makePair({ seed: 4 });
    expect(confirmHandshake(p)).toBe(true);
    const id = p.client.openStream()!;
    expect(p.client.updateKeys(p.now)).toBe(true);
    p.client.write(id, pattern(100, 1));
    p.flush();
    // A misbehaving client: skip its own §6.1 guard and update again at once.
    (p.client as unknown as { ku: { sentAcked: boolean } }).ku.sentAcked = true;
    expect(p.client.updateKeys(p.now)).toBe(true);
    p.client.write(id, pattern(100, 2));
    p.flush();
    expect(p.runUntil(() => p.server.state !== 'established', 5_000)).toBe(true);
    expect(p.server.closeReason?.errorCode).toBe(TRANSPORT_ERROR.KEY_UPDATE_ERROR);
    expect(p.runUntil(() => p.client.closeReason !== undefined, 5_000)).toBe(true);
    expect(p.client.closeReason).toMatchObject({ by: 'peer', errorCode: TRANSPORT_ERROR.KEY_UPDATE_ERROR });
  });
});
