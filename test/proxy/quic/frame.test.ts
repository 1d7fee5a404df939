/**
 * proxy/quic/frame.ts and proxy/quic/frame-rules.ts: every QUIC v1 frame type (RFC 9000 §19)
 * encoded to bytes laid out by hand from its section's figure, decoded back; the RFC 9001 §A.2/§A.3
 * payloads decoded and re-encoded byte for byte; each error the RFC names, with the frame type and
 * offset; the §12.4 packet-type table; every truncation of a payload refused without an exception.
 */
import { describe, expect, it } from 'vitest';
import { decodeFrames, encodeFrame, encodeFrames } from '../../../proxy/quic/frame.ts';
import { FRAME_RULES, frameAllowedIn, isAckEliciting, isProbingOnly } from '../../../proxy/quic/frame-rules.ts';
import type { Frame } from '../../../proxy/quic/frame.types.ts';
import type { FramePacketType } from '../../../proxy/quic/packet.types.ts';
import { A2, A2_CRYPTO_FRAME, A3_PAYLOAD } from './rfc9001-vectors.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const APP: { packetType: FramePacketType } = { packetType: '1rtt' };

function decodeOne(h: string, ctx = APP): Frame {
  const r = decodeFrames(bytes(h), ctx);
  if (!r.ok) throw new Error(r.error.message);
  expect(r.frames.length).toBe(1);
  return r.frames[0];
}
function errorOf(h: string | Uint8Array, ctx = APP) {
  const r = decodeFrames(typeof h === 'string' ? bytes(h) : h, ctx);
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

const CID = bytes('c0c1c2c3');
const TOKEN16 = bytes('00112233445566778899aabbccddeeff');

/** [frame, wire bytes per RFC 9000 §19 figures] */
const CASES: [string, Frame, string][] = [
  ['PADDING ×3 (§19.1)', { type: 'padding', length: 3 }, '000000'],
  ['PING (§19.2)', { type: 'ping' }, '01'],
  ['ACK one range (§19.3)', { type: 'ack', delay: 10, ranges: [{ smallest: 95, largest: 100 }] }, '02 4064 0a 00 05'],
  [
    'ACK with gaps (§19.3.1: gap = previous smallest - largest - 2)',
    { type: 'ack', delay: 0, ranges: [{ smallest: 98, largest: 100 }, { smallest: 90, largest: 95 }, { smallest: 0, largest: 3 }] },
    '02 4064 00 02 02 01 05 4055 03',
  ],
  ['ACK_ECN (§19.3.2)', { type: 'ack', delay: 1, ranges: [{ smallest: 7, largest: 7 }], ecn: { ect0: 5, ect1: 0, ce: 64 } }, '03 07 01 00 00 05 00 4040'],
  ['RESET_STREAM (§19.4)', { type: 'reset_stream', streamId: 4, errorCode: 0x10c, finalSize: 1000 }, '04 04 410c 43e8'],
  ['STOP_SENDING (§19.5)', { type: 'stop_sending', streamId: 8, errorCode: 0 }, '05 08 00'],
  ['CRYPTO (§19.6)', { type: 'crypto', offset: 100, data: bytes('aabb') }, '06 4064 02 aabb'],
  ['NEW_TOKEN (§19.7)', { type: 'new_token', token: bytes('0102') }, '07 02 0102'],
  ['STREAM LEN (0x0a)', { type: 'stream', streamId: 0, offset: 0, data: bytes('68656c6c6f'), fin: false, explicitLength: true }, '0a 00 05 68656c6c6f'],
  ['STREAM OFF|LEN|FIN (0x0f)', { type: 'stream', streamId: 4, offset: 5, data: bytes('21'), fin: true, explicitLength: true }, '0f 04 05 01 21'],
  ['STREAM without LEN (0x08)', { type: 'stream', streamId: 3, offset: 0, data: bytes('ffee'), fin: false, explicitLength: false }, '08 03 ffee'],
  ['STREAM OFF|FIN without LEN (0x0d)', { type: 'stream', streamId: 3, offset: 20000, data: new Uint8Array(0), fin: true, explicitLength: false }, '0d 03 80004e20'],
  ['MAX_DATA (§19.9)', { type: 'max_data', maximum: 1048576 }, '10 80100000'],
  ['MAX_STREAM_DATA (§19.10)', { type: 'max_stream_data', streamId: 0, maximum: 65536 }, '11 00 80010000'],
  ['MAX_STREAMS bidi (§19.11)', { type: 'max_streams', bidi: true, maximum: 100 }, '12 4064'],
  ['MAX_STREAMS uni (§19.11)', { type: 'max_streams', bidi: false, maximum: 3 }, '13 03'],
  ['DATA_BLOCKED (§19.12)', { type: 'data_blocked', limit: 16384 }, '14 80004000'],
  ['STREAM_DATA_BLOCKED (§19.13)', { type: 'stream_data_blocked', streamId: 2, limit: 63 }, '15 02 3f'],
  ['STREAMS_BLOCKED bidi (§19.14)', { type: 'streams_blocked', bidi: true, limit: 2 ** 30 }, '16 c000000040000000'],
  ['STREAMS_BLOCKED uni (§19.14)', { type: 'streams_blocked', bidi: false, limit: 0 }, '17 00'],
  [
    'NEW_CONNECTION_ID (§19.15)',
    { type: 'new_connection_id', sequence: 1, retirePriorTo: 0, connectionId: CID, statelessResetToken: TOKEN16 },
    '18 01 00 04 c0c1c2c3 00112233445566778899aabbccddeeff',
  ],
  ['RETIRE_CONNECTION_ID (§19.16)', { type: 'retire_connection_id', sequence: 7 }, '19 07'],
  ['PATH_CHALLENGE (§19.17)', { type: 'path_challenge', data: bytes('0102030405060708') }, '1a 0102030405060708'],
  ['PATH_RESPONSE (§19.18)', { type: 'path_response', data: bytes('0102030405060708') }, '1b 0102030405060708'],
  [
    'CONNECTION_CLOSE transport (§19.19)',
    { type: 'connection_close', kind: 'transport', errorCode: 0x0a, frameType: 0x08, reason: Uint8Array.from(Buffer.from('bad')) },
    '1c 0a 08 03 626164',
  ],
  ['CONNECTION_CLOSE application (§19.19)', { type: 'connection_close', kind: 'application', errorCode: 0x100, frameType: 0, reason: new Uint8Array(0) }, '1d 4100 00'],
  ['HANDSHAKE_DONE (§19.20)', { type: 'handshake_done' }, '1e'],
];

describe('every frame type encodes to its RFC 9000 §19 layout and decodes back', () => {
  for (const [name, frame, wire] of CASES) {
    it(name, () => {
      expect(hex(encodeFrame(frame))).toBe(wire.replace(/\s/g, ''));
      expect(decodeOne(wire)).toEqual(frame);
    });
  }

  it('decodes a payload holding all of them in sequence (the STREAM without LEN last)', () => {
    const frames = CASES.map((c) => c[1]).filter((f) => !(f.type === 'stream' && f.explicitLength === false));
    frames.push(CASES.find((c) => c[0] === 'STREAM without LEN (0x08)')![1]);
    const payload = encodeFrames(frames);
    const r = decodeFrames(payload, APP);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.frames).toEqual(frames);
  });
});

describe('RFC 9001 Appendix A payloads', () => {
  it('§A.2: one CRYPTO frame then 917 bytes of PADDING, re-encoded identically', () => {
    const payload = new Uint8Array(A2.payloadLength);
    payload.set(bytes(A2_CRYPTO_FRAME));
    const r = decodeFrames(payload, { packetType: 'initial', sender: 'client' });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.frames.map((f) => f.type)).toEqual(['crypto', 'padding']);
    expect(r.frames[0]).toMatchObject({ offset: 0 });
    expect((r.frames[0] as { data: Uint8Array }).data.length).toBe(0xf1);
    expect(r.frames[1]).toEqual({ type: 'padding', length: A2.payloadLength - bytes(A2_CRYPTO_FRAME).length });
    expect(hex(encodeFrames(r.frames))).toBe(hex(payload));
  });

  it('§A.3: ACK of packet 0 and a 90-byte CRYPTO frame, re-encoded identically', () => {
    const r = decodeFrames(bytes(A3_PAYLOAD), { packetType: 'initial', sender: 'server' });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.frames[0]).toEqual({ type: 'ack', delay: 0, ranges: [{ smallest: 0, largest: 0 }] });
    expect(r.frames[1]).toMatchObject({ type: 'crypto', offset: 0 });
    expect(hex(encodeFrames(r.frames))).toBe(A3_PAYLOAD);
  });
});

describe('refusals (RFC 9000 §12.4, §19)', () => {
  it('an empty payload is a PROTOCOL_VIOLATION', () => {
    expect(errorOf(new Uint8Array(0))).toMatchObject({ name: 'PROTOCOL_VIOLATION', code: 0x0a });
  });

  it('an unknown frame type is a FRAME_ENCODING_ERROR naming it', () => {
    expect(errorOf('01 1f')).toMatchObject({ name: 'FRAME_ENCODING_ERROR', code: 0x07, frameType: 0x1f, offset: 1 });
    expect(errorOf('4040').message).toMatch(/unknown frame 0x40/);
  });

  it('a frame type not in its shortest encoding is a PROTOCOL_VIOLATION (0x4001 for PING)', () => {
    expect(errorOf('4001')).toMatchObject({ name: 'PROTOCOL_VIOLATION', frameType: 1, offset: 0 });
  });

  it('ACK ranges going below zero, or a first range above Largest Acknowledged', () => {
    expect(errorOf('02 05 00 00 06')).toMatchObject({ name: 'FRAME_ENCODING_ERROR', frameType: 2 });
    expect(decodeOne('02 05 00 01 01 02 00')).toEqual({ type: 'ack', delay: 0, ranges: [{ smallest: 4, largest: 5 }, { smallest: 0, largest: 0 }] });
    expect(errorOf('02 05 00 01 01 03 00').message).toMatch(/below packet number 0/);
    expect(errorOf('02 05 00 3f 00').message).toMatch(/Range Count 63/);
  });

  it('MAX_STREAMS and STREAMS_BLOCKED above 2^60 (exactly 2^60 is accepted)', () => {
    expect(decodeOne('12 d000000000000000')).toEqual({ type: 'max_streams', bidi: true, maximum: Number.MAX_SAFE_INTEGER });
    expect(errorOf('12 d000000000000001')).toMatchObject({ name: 'FRAME_ENCODING_ERROR', frameType: 0x12 });
    expect(errorOf('17 d000000000000001')).toMatchObject({ name: 'FRAME_ENCODING_ERROR', frameType: 0x17 });
  });

  it('STREAM and CRYPTO data past 2^62-1', () => {
    expect(errorOf('0e 00 ffffffffffffffff 01 aa').message).toMatch(/2\^62-1/);
    expect(errorOf('06 ffffffffffffffff 01 aa').message).toMatch(/2\^62-1/);
  });

  it('NEW_CONNECTION_ID with a bad length or retire prior to above the sequence; empty NEW_TOKEN', () => {
    expect(errorOf('18 01 00 00' + '00'.repeat(16)).message).toMatch(/length 0 outside/);
    expect(errorOf('18 01 00 15' + '00'.repeat(21 + 16)).message).toMatch(/length 21 outside/);
    expect(errorOf('18 01 02 04 c0c1c2c3' + '00'.repeat(16)).message).toMatch(/retire prior to 2 exceeds sequence number 1/);
    expect(errorOf('07 00')).toMatchObject({ name: 'FRAME_ENCODING_ERROR', frameType: 7 });
  });

  it('lengths past the payload (CRYPTO, STREAM, NEW_TOKEN, reason phrase)', () => {
    for (const h of ['06 00 05 aabb', '0a 00 05 aabb', '07 05 aabb', '1c 00 00 05 aabb', '1d 00 05 aa']) {
      expect(errorOf(h).name).toBe('FRAME_ENCODING_ERROR');
    }
  });

  it('every truncation of a multi-frame payload fails cleanly or decodes a prefix', () => {
    const payload = encodeFrames(CASES.map((c) => c[1]).filter((f) => f.type !== 'padding' && !(f.type === 'stream' && f.explicitLength === false)));
    for (let n = 1; n < payload.length; n++) {
      const r = decodeFrames(payload.subarray(0, n), APP);
      if (!r.ok) {
        expect(['FRAME_ENCODING_ERROR', 'PROTOCOL_VIOLATION']).toContain(r.error.name);
        expect(r.error.offset).toBeLessThan(n);
      }
    }
  });
});

describe('frames by packet type (RFC 9000 §12.4 Table 3, §12.5)', () => {
  const table: Record<string, string> = {
    '00': 'IH01', '01': 'IH01', '02 00 00 00 00': 'IH_1', '04 00 00 00': '__01', '05 00 00': '__01', '06 00 00': 'IH_1',
    '07 01 aa': '___1', '0a 00 00': '__01', '10 00': '__01', '11 00 00': '__01', '12 00': '__01', '14 00': '__01',
    '15 00 00': '__01', '16 00': '__01', ['18 00 00 01 aa' + '00'.repeat(16)]: '__01', '19 00': '__01',
    '1a 0000000000000000': '__01', '1b 0000000000000000': '___1', '1c 00 00 00': 'IH01', '1d 00 00': '__01', '1e': '___1',
  };
  const letters: [FramePacketType, string][] = [['initial', 'I'], ['handshake', 'H'], ['0rtt', '0'], ['1rtt', '1']];
  for (const [wire, pkts] of Object.entries(table)) {
    it(`${wire.slice(0, 2)} allowed in ${pkts}`, () => {
      letters.forEach(([packetType, letter], i) => {
        const r = decodeFrames(bytes(wire), { packetType });
        expect(r.ok).toBe(pkts[i] === letter);
        if (!r.ok) expect(r.error).toMatchObject({ name: 'PROTOCOL_VIOLATION', frameType: bytes(wire)[0] });
      });
    });
  }

  it('NEW_TOKEN and HANDSHAKE_DONE from a client are PROTOCOL_VIOLATION', () => {
    expect(errorOf('07 01 aa', { packetType: '1rtt', sender: 'client' } as never)).toMatchObject({ name: 'PROTOCOL_VIOLATION', frameType: 7 });
    expect(errorOf('1e', { packetType: '1rtt', sender: 'client' } as never)).toMatchObject({ name: 'PROTOCOL_VIOLATION', frameType: 0x1e });
    expect(decodeFrames(bytes('1e'), { packetType: '1rtt', sender: 'server' }).ok).toBe(true);
  });

  it('reports the frames decoded before the refused one', () => {
    const r = decodeFrames(bytes('01 00 1e'), { packetType: 'handshake' });
    expect(r.ok).toBe(false);
    expect(r.frames.map((f) => f.type)).toEqual(['ping', 'padding']);
    if (!r.ok) expect(r.error.offset).toBe(2);
  });

  it('marks ack-eliciting and probing packets (§13.2, §9.1)', () => {
    expect(isAckEliciting([{ type: 'ack', delay: 0, ranges: [{ smallest: 0, largest: 0 }] }, { type: 'padding', length: 1 }])).toBe(false);
    expect(isAckEliciting([{ type: 'ping' }])).toBe(true);
    expect(isProbingOnly([{ type: 'path_challenge', data: new Uint8Array(8) }, { type: 'padding', length: 3 }])).toBe(true);
    expect(isProbingOnly([{ type: 'ping' }])).toBe(false);
    expect(FRAME_RULES.stream.flowControlled).toBe(true);
    expect(FRAME_RULES.ack.countsInFlight).toBe(false);
    expect(frameAllowedIn({ type: 'connection_close', kind: 'application', errorCode: 0, frameType: 0, reason: new Uint8Array(0) }, 'initial')).toBe(false);
  });
});

describe('encoder refusals (caller errors)', () => {
  it('throws on frames no valid state produces', () => {
    expect(() => encodeFrame({ type: 'new_token', token: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodeFrame({ type: 'ack', delay: 0, ranges: [] })).toThrow(RangeError);
    expect(() => encodeFrame({ type: 'ack', delay: 0, ranges: [{ smallest: 5, largest: 9 }, { smallest: 3, largest: 4 }] })).toThrow(/gap/);
    expect(() => encodeFrame({ type: 'path_challenge', data: new Uint8Array(7) })).toThrow(RangeError);
    expect(() => encodeFrame({ type: 'max_streams', bidi: true, maximum: 2 ** 60 + 2 ** 10 })).toThrow(RangeError);
  });
});
