/**
 * proxy/quic/packetizer.ts: frames collected by PacketBuilder and sealed by sealPacket give the
 * exact protected packets of RFC 9001 §A.2 (client Initial) and §A.3 (server Initial).
 */
import { describe, expect, it } from 'vitest';
import { decodeFrames, encodeFrame } from '../../../proxy/quic/frame.ts';
import type { Frame } from '../../../proxy/quic/frame.types.ts';
import { deriveInitialKeys } from '../../../proxy/quic/keys.ts';
import { frameSize, headerSize, minPayloadForSample, PacketBuilder, sealPacket } from '../../../proxy/quic/packetizer.ts';
import { A2, A2_CRYPTO_FRAME, A2_PROTECTED_PACKET, A3, A3_PAYLOAD, A3_PROTECTED_PACKET, DCID } from './rfc9001-vectors.ts';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const keys = deriveInitialKeys(bytes(DCID));
const empty = new Uint8Array(0);

describe('PacketBuilder + sealPacket against RFC 9001 Appendix A', () => {
  it('§A.2: CRYPTO frame padded to 1162 bytes, packet number 2 on 4 bytes, gives the exact client Initial', () => {
    const frames = decodeFrames(bytes(A2_CRYPTO_FRAME), { packetType: 'initial' });
    expect(frames.ok).toBe(true);
    const b = new PacketBuilder(A2.payloadLength);
    for (const f of frames.frames) expect(b.add(f, null)).toBe(true);
    expect(b.ackEliciting).toBe(true);
    b.pad(b.room);
    expect(b.length).toBe(A2.payloadLength);
    const packet = sealPacket({ type: 'initial', keys: keys.client, dcid: bytes(DCID), scid: empty, token: empty, pn: 2, pnLength: 4, payload: b.payload() });
    expect(hex(packet)).toBe(A2_PROTECTED_PACKET);
    expect(headerSize('initial', 8, 0, 0, 4)).toBe(A2.header.length / 2);
  });

  it('§A.3: ACK then CRYPTO, packet number 1 on 2 bytes, gives the exact server Initial', () => {
    const frames = decodeFrames(bytes(A3_PAYLOAD), { packetType: 'initial' });
    expect(frames.ok).toBe(true);
    const b = new PacketBuilder(1000);
    for (const f of frames.frames) b.add(f, null);
    expect(hex(b.payload())).toBe(A3_PAYLOAD);
    const packet = sealPacket({ type: 'initial', keys: keys.server, dcid: empty, scid: bytes('f067a5502a4262b5'), token: empty, pn: 1, pnLength: 2, payload: b.payload() });
    expect(hex(packet)).toBe(A3_PROTECTED_PACKET);
    expect(headerSize('initial', 0, 8, 0, 2)).toBe(A3.header.length / 2);
  });

  it('refuses a frame that does not fit, and tells ack-only packets from in-flight ones (RFC 9002 §2)', () => {
    const b = new PacketBuilder(10);
    expect(b.add({ type: 'ack', delay: 0, ranges: [{ smallest: 0, largest: 5 }] }, null)).toBe(true);
    expect(b.ackEliciting).toBe(false);
    expect(b.inFlight).toBe(false);
    expect(b.add({ type: 'crypto', offset: 0, data: new Uint8Array(20) }, { k: 'crypto', space: 'initial', offset: 0, length: 20 })).toBe(false);
    expect(b.records).toEqual([]);
    expect(b.add({ type: 'ping' }, { k: 'ping' })).toBe(true);
    expect(b.ackEliciting && b.inFlight).toBe(true);
    expect(minPayloadForSample(1)).toBe(3);
    expect(minPayloadForSample(4)).toBe(0);
  });
});

describe('frameSize and in-place encoding', () => {
  const data = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
  const frames: Frame[] = [];
  for (const v of [0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 40]) {
    frames.push({ type: 'stream', streamId: v, offset: v, fin: v % 2 === 0, data: data(7) });
    frames.push({ type: 'crypto', offset: v, data: data(3) });
    frames.push({ type: 'max_data', maximum: v });
    frames.push({ type: 'max_stream_data', streamId: v, maximum: v + 1 });
  }
  frames.push(
    { type: 'stream', streamId: 4, offset: 0, fin: true, data: data(0) },
    { type: 'stream', streamId: 4, offset: 1000, fin: false, data: data(1150), explicitLength: false },
    { type: 'stream', streamId: 4, offset: 1000, fin: false, data: data(64) },
    { type: 'crypto', offset: 0, data: data(16384) },
    { type: 'padding', length: 17 },
    { type: 'ping' },
    { type: 'handshake_done' },
  );

  it('is the length of the encoded frame for every sized type and varint boundary (RFC 9000 §16, §19)', () => {
    for (const f of frames) expect(frameSize(f), JSON.stringify({ ...f, data: undefined })).toBe(encodeFrame(f).length);
    expect(frameSize({ type: 'ack', delay: 0, ranges: [{ smallest: 0, largest: 1 }] })).toBeUndefined();
  });

  it('builds the same payload as encoding the frames one by one, and fills the budget to the byte', () => {
    const list: Frame[] = [
      { type: 'ack', delay: 3, ranges: [{ smallest: 5, largest: 9 }, { smallest: 0, largest: 2 }] },
      { type: 'max_data', maximum: 100000 },
      { type: 'stream', streamId: 0, offset: 0, fin: false, data: data(500) },
      { type: 'new_connection_id', sequence: 1, retirePriorTo: 0, connectionId: data(8), statelessResetToken: data(16) },
    ];
    const expected = Buffer.concat(list.map((f) => encodeFrame(f)));
    const last: Frame = { type: 'stream', streamId: 4, offset: 64, fin: true, data: data(100) };
    const lastSize = encodeFrame(last).length;
    const b = new PacketBuilder(expected.length + lastSize);
    for (const f of list) expect(b.add(f, null)).toBe(true);
    expect(b.add({ ...last, data: data(101) }, null)).toBe(false); // one byte too many: refused, nothing written
    expect(b.length).toBe(expected.length);
    expect(b.add(last, { k: 'stream', id: 4, offset: 64, length: 100, fin: true })).toBe(true);
    expect(b.room).toBe(0);
    expect(hex(b.payload())).toBe(hex(Buffer.concat([expected, encodeFrame(last)])));
    expect(b.kinds).toEqual(['ack', 'max_data', 'stream', 'new_connection_id', 'stream']);
    expect(b.records.length).toBe(1);
    b.pad(3);
    expect(b.payload().length).toBe(expected.length + lastSize + 3);
    expect(hex(b.payload().subarray(-3))).toBe('000000');
  });
});
