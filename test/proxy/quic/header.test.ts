/**
 * proxy/quic/header.ts: every packet form of RFC 9000 §17 read and written, coalesced packets in
 * one datagram (§12.2), and a precise error for each malformed header; every prefix of a valid
 * packet is refused without an exception.
 */
import { describe, expect, it } from 'vitest';
import {
  buildVersionNegotiation,
  parsePacketHeader,
  splitDatagram,
  writeLongHeader,
  writeShortHeader,
} from '../../../proxy/quic/header.ts';
import type { HeaderErrorCode } from '../../../proxy/quic/packet.types.ts';
import { A3_PROTECTED_PACKET, A4_RETRY } from './rfc9001-vectors.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));
const CID = bytes('0102030405060708');
const SCID = bytes('a1a2a3');

function errorCode(datagram: Uint8Array, offset = 0, shortLen = 8): HeaderErrorCode {
  const h = parsePacketHeader(datagram, offset, shortLen);
  expect(h.ok).toBe(false);
  return h.ok ? ('none' as HeaderErrorCode) : h.error.code;
}

/** A long header packet with `n` bytes of (fake) protected payload after the packet number. */
function longPacket(type: 'initial' | '0rtt' | 'handshake', n: number, token?: Uint8Array, dcid = CID): Uint8Array {
  return cat(writeLongHeader({ type, dcid, scid: SCID, token, truncatedPn: 0, pnLength: 1, payloadLength: n }), new Uint8Array(n).fill(0xee));
}

describe('long headers (RFC 9000 §17.2)', () => {
  it('writes and reads Initial (with token), 0-RTT and Handshake packets', () => {
    const token = bytes('deadbeef');
    for (const type of ['initial', '0rtt', 'handshake'] as const) {
      const p = longPacket(type, 30, type === 'initial' ? token : undefined);
      // first byte: long form, fixed bit, type, reserved 0, pn length 1
      expect(p[0]).toBe(0xc0 | ({ initial: 0, '0rtt': 1, handshake: 2 }[type] << 4));
      const h = parsePacketHeader(p, 0, 8);
      if (!h.ok || h.packet.form !== 'long') throw new Error(JSON.stringify(h));
      expect(h.packet.type).toBe(type);
      expect(h.packet.version).toBe(1);
      expect(hex(h.packet.dcid)).toBe(hex(CID));
      expect(hex(h.packet.scid)).toBe(hex(SCID));
      expect(hex(h.packet.token)).toBe(type === 'initial' ? 'deadbeef' : '');
      expect(h.packet.end).toBe(p.length);
      expect(h.packet.pnOffset).toBe(p.length - 31);
    }
  });

  it('reads the server Initial of RFC 9001 §A.3 (empty dcid, 2-byte Length 0x4075)', () => {
    const p = bytes(A3_PROTECTED_PACKET);
    const h = parsePacketHeader(p, 0, 0);
    expect(h).toMatchObject({ ok: true, packet: { form: 'long', type: 'initial', pnOffset: 18, end: p.length } });
    expect(p.length - 18).toBe(0x75);
  });

  it('reads a Retry (RFC 9001 §A.4) and refuses one with an empty token', () => {
    const h = parsePacketHeader(bytes(A4_RETRY), 0, 0);
    expect(h).toMatchObject({ ok: true, packet: { form: 'retry', version: 1 } });
    const empty = bytes('ff00000001 00 08 f067a5502a4262b5' + '00'.repeat(16));
    expect(errorCode(empty)).toBe('retry-empty-token');
    expect(errorCode(bytes('ff00000001 00 00' + '00'.repeat(15)))).toBe('truncated');
  });

  it('refuses connection ids over 20 bytes in v1 but reads them for other versions', () => {
    const p = cat(bytes('c000000001 15'), new Uint8Array(21), bytes('00 00 01 00'));
    expect(errorCode(p)).toBe('cid-too-long');
    const other = cat(bytes('c0 1a2a3a4a 15'), new Uint8Array(21), bytes('03 aabbcc'), new Uint8Array(1200));
    const h = parsePacketHeader(other, 0, 8);
    expect(h).toMatchObject({ ok: true, packet: { form: 'unsupported-version', version: 0x1a2a3a4a, end: other.length } });
    if (h.ok) expect(h.packet.dcid.length).toBe(21);
  });

  it('refuses a cleared fixed bit, a Length past the datagram and a Length of 0', () => {
    const p = longPacket('handshake', 20);
    const noFixed = Uint8Array.from(p);
    noFixed[0] &= ~0x40;
    expect(errorCode(noFixed)).toBe('fixed-bit-clear');
    expect(errorCode(p.subarray(0, p.length - 1))).toBe('length-exceeds-datagram');
    const zero = writeLongHeader({ type: 'handshake', dcid: CID, scid: SCID, truncatedPn: 0, pnLength: 1, payloadLength: 0 });
    zero[zero.length - 2] = 0; // Length field 1 -> 0
    expect(errorCode(zero.subarray(0, zero.length - 1))).toBe('length-too-short');
  });

  it('refuses every truncation of an Initial with a precise offset, never throwing', () => {
    const p = longPacket('initial', 40, bytes('0102'));
    for (let n = 0; n < p.length; n++) {
      const h = parsePacketHeader(p.subarray(0, n), 0, 8);
      expect(h.ok).toBe(false);
      if (!h.ok) {
        expect(['truncated', 'length-exceeds-datagram']).toContain(h.error.code);
        expect(h.error.offset).toBeLessThanOrEqual(n);
        expect(h.error.message.length).toBeGreaterThan(10);
      }
    }
  });

  it('refuses a token that runs past the datagram', () => {
    const p = bytes('c000000001 00 00 44 00 0102');
    const h = parsePacketHeader(p, 0, 0);
    expect(h).toMatchObject({ ok: false, error: { code: 'truncated', offset: 9 } });
    if (!h.ok) expect(h.error.message).toMatch(/token of 1024 bytes/);
  });
});

describe('short headers (RFC 9000 §17.3)', () => {
  it('writes spin, key phase and packet number length and reads them back', () => {
    const h = writeShortHeader({ dcid: CID, spin: true, keyPhase: 1, truncatedPn: 0x0102, pnLength: 2 });
    expect(hex(h)).toBe('65' + hex(CID) + '0102');
    const p = cat(h, new Uint8Array(20));
    expect(parsePacketHeader(p, 0, 8)).toMatchObject({ ok: true, packet: { form: 'short', spin: true, pnOffset: 9, end: p.length } });
  });

  it('refuses a cleared fixed bit and a datagram shorter than the connection id', () => {
    expect(errorCode(bytes('00 0102030405060708 00'))).toBe('fixed-bit-clear');
    expect(errorCode(bytes('40 01020304'))).toBe('truncated');
    expect(errorCode(bytes('40 0102030405060708'))).toBe('truncated');
    expect(errorCode(new Uint8Array(0))).toBe('truncated');
  });
});

describe('Version Negotiation (RFC 9000 §17.2.1)', () => {
  it('builds and reads a VN packet echoing the client connection ids', () => {
    const vn = buildVersionNegotiation(SCID, CID, [0x00000001, 0x6b3343cf]);
    expect(hex(vn)).toBe('c0' + '00000000' + '03a1a2a3' + '080102030405060708' + '00000001' + '6b3343cf');
    const h = parsePacketHeader(vn, 0, 8);
    expect(h).toMatchObject({ ok: true, packet: { form: 'version-negotiation', versions: [1, 0x6b3343cf] } });
  });

  it('refuses an empty or ragged version list', () => {
    expect(errorCode(buildVersionNegotiation(SCID, CID, []))).toBe('version-list-malformed');
    expect(errorCode(cat(buildVersionNegotiation(SCID, CID, [1]), bytes('00')))).toBe('version-list-malformed');
  });
});

describe('coalesced packets (RFC 9000 §12.2)', () => {
  it('iterates Initial, Handshake and a 1-RTT packet in one datagram', () => {
    const d = cat(longPacket('initial', 50), longPacket('handshake', 30), writeShortHeader({ dcid: CID, keyPhase: 0, truncatedPn: 1, pnLength: 1 }), new Uint8Array(25));
    const r = splitDatagram(d, 8);
    expect(r.error).toBeUndefined();
    expect(r.packets.map((p) => (p.form === 'long' ? p.type : p.form))).toEqual(['initial', 'handshake', 'short']);
    expect(r.packets[1].offset).toBe(r.packets[0].end);
    expect(r.packets[2].end).toBe(d.length);
  });

  it('ignores a coalesced packet with another destination connection id and goes on', () => {
    const d = cat(longPacket('initial', 30), longPacket('handshake', 30, undefined, bytes('0909')), longPacket('handshake', 30));
    const r = splitDatagram(d, 8);
    expect(r.packets.length).toBe(2);
    expect(r.ignored).toMatchObject([{ code: 'dcid-mismatch', offset: r.packets[0].end }]);
  });

  it('keeps the packets before a bad one and reports where it stopped (zero padding after an Initial)', () => {
    const first = longPacket('initial', 30);
    const r = splitDatagram(cat(first, new Uint8Array(10)), 8);
    expect(r.packets.length).toBe(1);
    expect(r.error).toMatchObject({ code: 'fixed-bit-clear', offset: first.length });
  });
});
