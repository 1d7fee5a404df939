/**
 * Hostile bytes into every QUIC decoder (proxy/quic/header.ts, frame.ts, transport-params.ts,
 * protection.ts): deterministic pseudo-random inputs and single-byte mutations of the RFC 9001
 * Appendix A packets must produce outcomes, never exceptions.
 */
import { describe, expect, it } from 'vitest';
import { splitDatagram } from '../../../proxy/quic/header.ts';
import { decodeFrames } from '../../../proxy/quic/frame.ts';
import { decodeTransportParameters } from '../../../proxy/quic/transport-params.ts';
import { deriveInitialKeys } from '../../../proxy/quic/keys.ts';
import { unprotectPacket } from '../../../proxy/quic/protection.ts';
import { A2_PROTECTED_PACKET, A3_PAYLOAD, A3_PROTECTED_PACKET, DCID } from './rfc9001-vectors.ts';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

/** xorshift32, seeded: the same inputs on every run. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

describe('decoders never throw on hostile bytes', () => {
  it('random datagrams, payloads and parameter blocks', () => {
    const rand = rng(0x9e3779b9);
    let outcomes = 0;
    for (let i = 0; i < 3000; i++) {
      const buf = new Uint8Array(Math.floor(rand() * 80));
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
      // bias the first byte toward interesting headers and frame types
      if (buf.length > 0 && i % 2 === 0) buf[0] = [0xc0, 0xd0, 0xe0, 0xf0, 0x40, 0x80, 0x02, 0x03, 0x06, 0x0f, 0x18, 0x1c][i % 12];
      splitDatagram(buf, 8);
      decodeFrames(buf, { packetType: (['initial', 'handshake', '0rtt', '1rtt'] as const)[i % 4], sender: i % 3 ? 'client' : 'server' });
      decodeTransportParameters(buf, i % 2 ? 'client' : 'server');
      outcomes++;
    }
    expect(outcomes).toBe(3000);
  });

  it('every single-byte change of the §A.2 and §A.3 packets is refused by authentication or parsing', () => {
    const keys = deriveInitialKeys(bytes(DCID));
    for (const [hexPacket, k] of [[A2_PROTECTED_PACKET, keys.client], [A3_PROTECTED_PACKET, keys.server]] as const) {
      const packet = bytes(hexPacket);
      for (let at = 0; at < packet.length; at += 7) {
        const bad = Uint8Array.from(packet);
        bad[at] ^= 0x41;
        const d = splitDatagram(bad, 8);
        const p = d.packets[0];
        if (!p || p.form !== 'long') continue; // header no longer parses: refused
        const u = unprotectPacket(k, bad.subarray(p.offset, p.end), p.pnOffset - p.offset, -1);
        expect(u.ok).toBe(false);
      }
    }
  });

  it('every single-byte change of the §A.3 payload decodes or fails with a transport error', () => {
    const payload = bytes(A3_PAYLOAD);
    for (let at = 0; at < payload.length; at++) {
      for (const x of [0x01, 0x40, 0xff]) {
        const bad = Uint8Array.from(payload);
        bad[at] ^= x;
        const r = decodeFrames(bad, { packetType: 'initial' });
        if (!r.ok) expect([0x07, 0x0a]).toContain(r.error.code);
      }
    }
  });
});
