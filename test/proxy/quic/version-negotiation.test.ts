/**
 * Version negotiation (proxy/quic/version-negotiation.ts, RFC 9000 §6, §17.2.1): the bytes of the
 * answer against the layout of §17.2.1, and when no answer is due.
 */
import { describe, expect, it } from 'vitest';
import { greaseVersion, isGreaseVersion, longHeaderVersion, versionNegotiation } from '../../../proxy/quic/version-negotiation.ts';
import { parsePacketHeader } from '../../../proxy/quic/header.ts';

/** A long-header datagram of `version` with the given connection ids, padded to `size` bytes (RFC 8999 §5.1). */
function longDatagram(version: number, dcid: Uint8Array, scid: Uint8Array, size: number): Uint8Array {
  const d = new Uint8Array(size);
  d[0] = 0xc0;
  new DataView(d.buffer).setUint32(1, version);
  d[5] = dcid.length;
  d.set(dcid, 6);
  d[6 + dcid.length] = scid.length;
  d.set(scid, 7 + dcid.length);
  return d;
}

const dcid = Uint8Array.from(Buffer.from('0011223344556677', 'hex'));
const scid = Uint8Array.from(Buffer.from('a1a2a3a4', 'hex'));

describe('Version Negotiation', () => {
  it('answers an unsupported version with the §17.2.1 layout: ids swapped, v1 listed', () => {
    const v = versionNegotiation(longDatagram(0x1a2a3a4a, dcid, scid, 1200), false);
    expect(v.kind).toBe('answer');
    if (v.kind !== 'answer') return;
    expect(v.version).toBe(0x1a2a3a4a);
    const p = v.packet;
    // Header Form 1, Unused (7) with 0x40 set, Version 0, DCID Len, DCID (= client's SCID), SCID Len, SCID (= client's DCID), versions.
    expect(p[0] & 0x80).toBe(0x80);
    expect(p[0] & 0x40).toBe(0x40);
    expect(Buffer.from(p.subarray(1)).toString('hex')).toBe('00000000' + '04' + 'a1a2a3a4' + '08' + '0011223344556677' + '00000001');
    const h = parsePacketHeader(p, 0, 8);
    expect(h.ok && h.packet.form === 'version-negotiation' && h.packet.versions).toEqual([1]);
  });

  it('adds one greasing version 0x?a?a?a?a by default', () => {
    const v = versionNegotiation(longDatagram(0xff00001d, dcid, scid, 1300));
    if (v.kind !== 'answer') throw new Error('no answer');
    const versions = v.packet.subarray(1 + 4 + 1 + 4 + 1 + 8).length / 4;
    expect(versions).toBe(2);
    const last = new DataView(v.packet.buffer, v.packet.byteOffset).getUint32(v.packet.length - 4);
    expect(isGreaseVersion(last)).toBe(true);
    expect(v.packet.length).toBe(1 + 4 + 1 + 4 + 1 + 8 + 8);
  });

  it('keeps connection ids over 20 bytes of other versions (RFC 8999: up to 255)', () => {
    const big = new Uint8Array(200).fill(0x33);
    const v = versionNegotiation(longDatagram(0x00000002, big, scid, 1400), false);
    if (v.kind !== 'answer') throw new Error('no answer');
    expect(v.packet[5]).toBe(4);
    expect(v.packet[10]).toBe(200);
    expect(Buffer.from(v.packet.subarray(11, 211)).equals(Buffer.from(big))).toBe(true);
  });

  it('stays silent for datagrams under 1200 bytes, for VN packets, for v1 and short headers', () => {
    expect(versionNegotiation(longDatagram(0x1a2a3a4a, dcid, scid, 1199))).toEqual({ kind: 'silent', why: 'too-small' });
    expect(versionNegotiation(longDatagram(0, dcid, scid, 1200))).toEqual({ kind: 'silent', why: 'is-version-negotiation' });
    expect(versionNegotiation(longDatagram(1, dcid, scid, 1200))).toEqual({ kind: 'silent', why: 'supported' });
    const short = new Uint8Array(1200);
    short[0] = 0x40;
    expect(versionNegotiation(short)).toEqual({ kind: 'silent', why: 'short-header' });
  });

  it('greasing versions and the version field', () => {
    for (let i = 0; i < 50; i++) expect(isGreaseVersion(greaseVersion())).toBe(true);
    expect(greaseVersion(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBe(0xfafafafa);
    expect(isGreaseVersion(1)).toBe(false);
    expect(longHeaderVersion(longDatagram(0x709a50c4, dcid, scid, 30))).toBe(0x709a50c4);
    expect(longHeaderVersion(Uint8Array.of(0xc0, 0, 0))).toBeNull();
  });
});
