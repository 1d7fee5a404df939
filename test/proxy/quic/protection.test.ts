/**
 * proxy/quic/protection.ts and proxy/quic/retry.ts: RFC 9001 §A.2 (client Initial), §A.3 (server
 * Initial), §A.4 (Retry integrity tag) and §A.5 (ChaCha20-Poly1305 short header), protected and
 * unprotected byte-exact against the RFC's hex; AES-256-GCM round trip; hostile inputs.
 */
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePacketHeader, writeLongHeader, writeShortHeader } from '../../../proxy/quic/header.ts';
import { deriveInitialKeys, derivePacketKeys, updatePacketKeys } from '../../../proxy/quic/keys.ts';
import {
  allocPacketBytes,
  headerProtectionMask,
  openPayload,
  packetNonce,
  protectPacket,
  removeHeaderProtection,
  sealPayload,
  unprotectPacket,
} from '../../../proxy/quic/protection.ts';
import { buildRetry, retryIntegrityTag, verifyRetry } from '../../../proxy/quic/retry.ts';
import { CIPHER_SUITES } from '../../../proxy/quic/crypto.types.ts';
import {
  A2,
  A2_CRYPTO_FRAME,
  A2_PROTECTED_PACKET,
  A3,
  A3_PAYLOAD,
  A3_PROTECTED_PACKET,
  A4_RETRY,
  A5,
  DCID,
} from './rfc9001-vectors.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const keys = deriveInitialKeys(bytes(DCID));
/** §A.2: the CRYPTO frame then PADDING (0x00) up to 1162 bytes. */
const a2Payload = () => {
  const p = new Uint8Array(A2.payloadLength);
  p.set(bytes(A2_CRYPTO_FRAME));
  return p;
};

describe('client Initial (RFC 9001 §A.2)', () => {
  it('writes the unprotected header of §A.2', () => {
    const h = writeLongHeader({ type: 'initial', dcid: bytes(DCID), scid: new Uint8Array(0), truncatedPn: 2, pnLength: 4, payloadLength: A2.payloadLength + 16 });
    expect(hex(h)).toBe(A2.header);
  });

  it('computes the sample mask of §A.2', () => {
    expect(hex(headerProtectionMask(keys.client.suite, keys.client.hp, bytes(A2.sample)))).toBe(A2.mask);
  });

  it('refuses a sample that is not 16 bytes, and the shared cipher still gives the §A.2 mask after', () => {
    expect(() => headerProtectionMask(keys.client.suite, keys.client.hp, bytes(A2.sample).subarray(0, 15))).toThrow(RangeError);
    expect(hex(headerProtectionMask(keys.client.suite, keys.client.hp, bytes(A2.sample)))).toBe(A2.mask);
  });

  it('protects to the exact packet of §A.2', () => {
    const out = protectPacket(keys.client, bytes(A2.header), 4, 2, a2Payload());
    expect(hex(out.subarray(0, 22))).toBe(A2.protectedHeader);
    expect(hex(out)).toBe(A2_PROTECTED_PACKET);
  });

  it('parses and unprotects the packet of §A.2 back to packet number 2 and its payload', () => {
    const packet = bytes(A2_PROTECTED_PACKET);
    const h = parsePacketHeader(packet, 0, 8);
    expect(h.ok).toBe(true);
    if (!h.ok || h.packet.form !== 'long') throw new Error('expected a long header');
    expect(h.packet.type).toBe('initial');
    expect(hex(h.packet.dcid)).toBe(DCID);
    expect(h.packet.end).toBe(packet.length);
    const u = unprotectPacket(keys.client, packet.subarray(h.packet.offset, h.packet.end), h.packet.pnOffset, -1);
    expect(u.ok).toBe(true);
    if (!u.ok) return;
    expect(u.pn).toBe(2);
    expect(u.pnLength).toBe(4);
    expect(hex(u.header)).toBe(A2.header);
    expect(hex(u.payload)).toBe(hex(a2Payload()));
  });

  it('server keys cannot open the client Initial (aead-failure, not an exception)', () => {
    const packet = bytes(A2_PROTECTED_PACKET);
    const u = unprotectPacket(keys.server, packet, 18, -1);
    expect(u.ok).toBe(false);
    if (!u.ok) expect(['aead-failure', 'reserved-bits']).toContain(u.error);
  });
});

describe('server Initial (RFC 9001 §A.3)', () => {
  it('writes the header of §A.3 with its 2-byte Length field 0x4075 and 2-byte packet number', () => {
    const h = writeLongHeader({ type: 'initial', dcid: new Uint8Array(0), scid: bytes('f067a5502a4262b5'), truncatedPn: 1, pnLength: 2, payloadLength: bytes(A3_PAYLOAD).length + 16, lengthFieldSize: 2 });
    expect(hex(h)).toBe(A3.header);
  });

  it('protects to the exact packet of §A.3 (sample from the third protected byte)', () => {
    expect(hex(headerProtectionMask(keys.server.suite, keys.server.hp, bytes(A3.sample)))).toBe(A3.mask);
    const out = protectPacket(keys.server, bytes(A3.header), 2, 1, bytes(A3_PAYLOAD));
    expect(hex(out.subarray(0, 20))).toBe(A3.protectedHeader);
    expect(hex(out)).toBe(A3_PROTECTED_PACKET);
  });

  it('unprotects §A.3 back to packet number 1 and the ACK + CRYPTO payload', () => {
    const packet = bytes(A3_PROTECTED_PACKET);
    const h = parsePacketHeader(packet, 0, 0);
    if (!h.ok || h.packet.form !== 'long') throw new Error('expected a long header');
    expect(hex(h.packet.scid)).toBe('f067a5502a4262b5');
    const u = unprotectPacket(keys.server, packet, h.packet.pnOffset, 0);
    expect(u.ok && u.pn).toBe(1);
    expect(u.ok && hex(u.payload)).toBe(A3_PAYLOAD);
  });
});

describe('Retry (RFC 9001 §A.4, §5.8)', () => {
  it('builds the Retry of §A.4 with its integrity tag (the sample sets the 4 unused bits)', () => {
    const r = buildRetry({ dcid: new Uint8Array(0), scid: bytes('f067a5502a4262b5'), token: Buffer.from('token'), odcid: bytes(DCID), unused: 0xf });
    expect(hex(r)).toBe(A4_RETRY);
  });

  it('parses the Retry of §A.4 and verifies its tag against the ODCID only', () => {
    const packet = bytes(A4_RETRY);
    const h = parsePacketHeader(packet, 0, 0);
    if (!h.ok || h.packet.form !== 'retry') throw new Error('expected a Retry');
    expect(Buffer.from(h.packet.token).toString()).toBe('token');
    expect(hex(h.packet.integrityTag)).toBe(A4_RETRY.slice(-32));
    expect(verifyRetry(packet, h.packet, bytes(DCID))).toBe(true);
    expect(verifyRetry(packet, h.packet, bytes('8394c8f03e515709'))).toBe(false);
  });

  it('the tag covers every byte of the Retry', () => {
    const body = bytes(A4_RETRY.slice(0, -32));
    body[body.length - 1] ^= 1;
    expect(hex(retryIntegrityTag(bytes(DCID), body))).not.toBe(A4_RETRY.slice(-32));
  });
});

describe('ChaCha20-Poly1305 short header packet (RFC 9001 §A.5)', () => {
  const k = derivePacketKeys('TLS_CHACHA20_POLY1305_SHA256', bytes(A5.secret));

  it('computes the nonce, ciphertext and mask of §A.5', () => {
    expect(hex(packetNonce(k.iv, A5.pn))).toBe(A5.nonce);
    expect(hex(sealPayload(k, A5.pn, bytes(A5.header), bytes(A5.plaintext)))).toBe(A5.ciphertext);
    expect(hex(headerProtectionMask(k.suite, k.hp, bytes(A5.sample)))).toBe(A5.mask);
  });

  it('writes the short header and protects to the 21-byte packet of §A.5', () => {
    const h = writeShortHeader({ dcid: new Uint8Array(0), keyPhase: 0, truncatedPn: A5.pn % 2 ** 24, pnLength: 3 });
    expect(hex(h)).toBe(A5.header);
    expect(hex(protectPacket(k, h, 3, A5.pn, bytes(A5.plaintext)))).toBe(A5.packet);
  });

  it('parses and unprotects §A.5 back to packet 654360564 carrying one PING', () => {
    const packet = bytes(A5.packet);
    const h = parsePacketHeader(packet, 0, 0);
    if (!h.ok || h.packet.form !== 'short') throw new Error('expected a short header');
    const un = removeHeaderProtection(k.suite, k.hp, packet, h.packet.pnOffset);
    expect(un.ok && hex(un.header)).toBe(A5.header);
    const u = unprotectPacket(k, packet, h.packet.pnOffset, A5.pn - 1);
    expect(u.ok).toBe(true);
    if (!u.ok) return;
    expect(u.pn).toBe(A5.pn);
    expect(u.keyPhase).toBe(0);
    expect(hex(u.payload)).toBe('01');
  });

  it('after a key update the old keys no longer open the packet', () => {
    const next = updatePacketKeys(k);
    const packet = protectPacket(next, writeShortHeader({ dcid: new Uint8Array(0), keyPhase: 1, truncatedPn: 5, pnLength: 1 }), 1, 5, bytes('01000000'));
    const bad = unprotectPacket(k, packet, 1, 4);
    expect(bad.ok).toBe(false);
    const good = unprotectPacket(next, packet, 1, 4);
    expect(good.ok && good.keyPhase).toBe(1);
  });
});

describe('AES-256-GCM and hostile input', () => {
  const k = derivePacketKeys(CIPHER_SUITES.TLS_AES_256_GCM_SHA384, new Uint8Array(48).fill(0x5a));
  const dcid = bytes('0102030405060708');
  const packet = protectPacket(k, writeShortHeader({ dcid, keyPhase: 0, truncatedPn: 0x1234, pnLength: 2 }), 2, 0x1234, bytes('0100000000'));

  it('round-trips a 1-RTT packet', () => {
    const u = unprotectPacket(k, packet, 9, 0x1200);
    expect(u.ok && u.pn).toBe(0x1234);
    expect(u.ok && hex(u.payload)).toBe('0100000000');
  });

  it('reports a flipped ciphertext bit as aead-failure', () => {
    for (const at of [packet.length - 1, 12, 20]) {
      const bad = Uint8Array.from(packet);
      bad[at] ^= 0x01;
      const u = unprotectPacket(k, bad, 9, 0x1200);
      expect(u.ok).toBe(false);
      if (!u.ok) expect(u.error).toBe('aead-failure');
    }
  });

  it('refuses a packet too short for the header protection sample', () => {
    const u = unprotectPacket(k, packet.subarray(0, 9 + 4 + 15), 9, 0);
    expect(u.ok).toBe(false);
    if (!u.ok) expect(u.error).toBe('too-short-for-sample');
  });

  it('reports non-zero reserved bits after authentication', () => {
    const h = writeShortHeader({ dcid, keyPhase: 0, truncatedPn: 7, pnLength: 1 });
    h[0] |= 0x08;
    const p = protectPacket(k, h, 1, 7, bytes('0100000000'));
    const u = unprotectPacket(k, p, 9, 6);
    expect(u.ok).toBe(false);
    if (!u.ok) expect(u.error).toBe('reserved-bits');
  });

  it('openPayload refuses less than a tag', () => {
    expect(openPayload(k, 0, new Uint8Array(1), new Uint8Array(15))).toEqual({ ok: false, error: 'too-short' });
  });

  it('protectPacket refuses a packet too short to sample (the caller must pad)', () => {
    expect(() => protectPacket(k, writeShortHeader({ dcid, keyPhase: 0, truncatedPn: 1, pnLength: 1 }), 1, 1, bytes('01'))).toThrow(/pad/);
  });
});

describe('header protection cipher reuse and AEAD output', () => {
  /** The mask computed the plain way, with a fresh node:crypto cipher (RFC 9001 §5.4.3). */
  const freshEcbMask = (alg: string, hp: Uint8Array, sample: Uint8Array) => {
    const c = createCipheriv(alg, hp, null);
    c.setAutoPadding(false);
    return hex(c.update(sample).subarray(0, 5));
  };
  const k256 = derivePacketKeys(CIPHER_SUITES.TLS_AES_256_GCM_SHA384, new Uint8Array(48).fill(0x33));

  it('the per-key AES-ECB cipher gives the fresh-cipher mask for every sample, interleaved across keys', () => {
    const samples = Array.from({ length: 50 }, (_, i) => Uint8Array.from({ length: 16 }, (_, j) => (i * 31 + j * 7) & 0xff));
    for (const s of samples) {
      for (const k of [keys.client, keys.server, k256]) {
        expect(hex(headerProtectionMask(k.suite, k.hp, s))).toBe(freshEcbMask(k.suite.hp, k.hp, s));
      }
    }
    // The RFC vectors still hold after all that reuse.
    expect(hex(headerProtectionMask(keys.client.suite, keys.client.hp, bytes(A2.sample)))).toBe(A2.mask);
    expect(hex(headerProtectionMask(keys.server.suite, keys.server.hp, bytes(A3.sample)))).toBe(A3.mask);
  });

  it('protects a thousand packets that all round-trip, with plain Uint8Array payloads out', () => {
    const dcid = bytes('0a0b0c0d');
    for (let pn = 0; pn < 1000; pn++) {
      const plain = Uint8Array.from({ length: 20 + (pn % 1100) }, (_, i) => (pn + i) & 0xff);
      plain[0] = 0x01; // PING first, the rest is opaque here
      const packet = protectPacket(k256, writeShortHeader({ dcid, keyPhase: 0, truncatedPn: pn & 0xffff, pnLength: 2 }), 2, pn, plain);
      expect(packet.length).toBe(1 + 4 + 2 + plain.length + 16);
      const u = unprotectPacket(k256, packet, 5, pn - 1);
      if (!u.ok) throw new Error(`packet ${pn}: ${u.message}`);
      expect(u.pn).toBe(pn);
      expect(u.payload.constructor).toBe(Uint8Array);
      expect(Buffer.compare(u.payload, plain)).toBe(0);
    }
  });

  it('sealPayload returns ciphertext || tag as one Uint8Array that openPayload accepts', () => {
    const aad = bytes('4000');
    const sealed = sealPayload(k256, 9, aad, bytes('0102030405'));
    expect(sealed.constructor).toBe(Uint8Array);
    expect(sealed.length).toBe(5 + 16);
    const o = openPayload(k256, 9, aad, sealed);
    expect(o.ok && hex(o.plaintext)).toBe('0102030405');
    expect(openPayload(k256, 10, aad, sealed).ok).toBe(false);
  });
});

describe('allocPacketBytes', () => {
  it('hands out zeroed, non-overlapping views, across slab boundaries, and big buffers of their own', () => {
    const views = Array.from({ length: 100 }, (_, i) => allocPacketBytes(1200 + (i % 9)));
    views.forEach((v, i) => {
      expect(v.length).toBe(1200 + (i % 9));
      expect(v.every((x) => x === 0)).toBe(true);
      v.fill(i + 1);
    });
    views.forEach((v, i) => expect(v.every((x) => x === i + 1)).toBe(true)); // nobody overwrote anybody
    expect(new Set(views.map((v) => v.buffer)).size).toBeGreaterThan(1);
    const big = allocPacketBytes(9000);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(9000);
  });
});

describe('ChaCha20 header protection block (RFC 9001 §5.4.4)', () => {
  it('matches node:crypto chacha20 for random keys and samples, including counters with the top bit set', () => {
    const suite = CIPHER_SUITES.TLS_CHACHA20_POLY1305_SHA256;
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let k = 0; k < 20; k++) {
      const hp = Uint8Array.from({ length: 32 }, rnd);
      for (let i = 0; i < 100; i++) {
        const sample = Uint8Array.from({ length: 16 }, rnd);
        if (i === 0) sample.fill(0xff, 0, 4);
        const expected = hex(createCipheriv('chacha20', hp, sample).update(new Uint8Array(5)));
        expect(hex(headerProtectionMask(suite, hp, sample))).toBe(expected);
      }
    }
    const k = derivePacketKeys('TLS_CHACHA20_POLY1305_SHA256', bytes(A5.secret));
    expect(hex(headerProtectionMask(k.suite, k.hp, bytes(A5.sample)))).toBe(A5.mask);
  });
});
