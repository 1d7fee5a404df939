/**
 * The QUIC v1 frame codec (RFC 9000 §19): `encodeFrame`/`encodeFrames` write every frame type,
 * `decodeFrames` reads a packet payload into frames, refusing with the transport error the RFC
 * names: FRAME_ENCODING_ERROR for malformed or unknown frames (§12.4, §19), PROTOCOL_VIOLATION for
 * an empty payload, a frame type not in its shortest encoding, a frame not allowed in the packet
 * type (§12.4 Table 3) or a frame the sender's role may not send (§19.7, §19.20). Decoding never
 * throws on hostile bytes; encoding throws RangeError on frames no valid peer state produces.
 */
import { decodeError, type QuicDecodeError } from './errors.ts';
import { frameAllowedIn } from './frame-rules.ts';
import { FRAME_TYPE, MAX_STREAM_COUNT, STREAM_BITS, type AckRange, type Frame } from './frame.types.ts';
import type { FramePacketType } from './packet.types.ts';
import { ByteReader } from './reader.ts';
import { VARINT_MAX, VARINT_SATURATED, varintLength } from './varint.ts';
import { ByteWriter } from './writer.ts';

/** Upper-case frame names for messages, by type value. */
export function frameTypeName(type: number): string {
  if (type >= 0x08 && type <= 0x0f) return 'STREAM';
  for (const [name, value] of Object.entries(FRAME_TYPE)) if (value === type) return name.replace(/_(BIDI|UNI|APP)$/, '').replace(/^ACK_ECN$/, 'ACK');
  return `unknown frame 0x${type.toString(16)}`;
}

// ---------------------------------------------------------------- encoding

/** Appends the wire form of `f` to `w` (RFC 9000 §19). */
export function writeFrame(w: ByteWriter, f: Frame): void {
  switch (f.type) {
    case 'padding':
      for (let i = 0; i < f.length; i++) w.u8(0);
      return;
    case 'ping':
      w.u8(FRAME_TYPE.PING);
      return;
    case 'ack':
      writeAck(w, f.delay, f.ranges, f.ecn);
      return;
    case 'reset_stream':
      w.u8(FRAME_TYPE.RESET_STREAM).varint(f.streamId).varint(f.errorCode).varint(f.finalSize);
      return;
    case 'stop_sending':
      w.u8(FRAME_TYPE.STOP_SENDING).varint(f.streamId).varint(f.errorCode);
      return;
    case 'crypto':
      w.u8(FRAME_TYPE.CRYPTO).varint(f.offset).varint(f.data.length).bytes(f.data);
      return;
    case 'new_token':
      if (f.token.length === 0) throw new RangeError('NEW_TOKEN: the token must not be empty (RFC 9000 §19.7)');
      w.u8(FRAME_TYPE.NEW_TOKEN).varint(f.token.length).bytes(f.token);
      return;
    case 'stream': {
      const len = f.explicitLength ?? true;
      w.u8(FRAME_TYPE.STREAM | (f.offset > 0 ? STREAM_BITS.OFF : 0) | (len ? STREAM_BITS.LEN : 0) | (f.fin ? STREAM_BITS.FIN : 0));
      w.varint(f.streamId);
      if (f.offset > 0) w.varint(f.offset);
      if (len) w.varint(f.data.length);
      w.bytes(f.data);
      return;
    }
    case 'max_data':
      w.u8(FRAME_TYPE.MAX_DATA).varint(f.maximum);
      return;
    case 'max_stream_data':
      w.u8(FRAME_TYPE.MAX_STREAM_DATA).varint(f.streamId).varint(f.maximum);
      return;
    case 'max_streams':
      if (f.maximum > MAX_STREAM_COUNT) throw new RangeError('MAX_STREAMS: more than 2^60 streams (RFC 9000 §19.11)');
      w.u8(f.bidi ? FRAME_TYPE.MAX_STREAMS_BIDI : FRAME_TYPE.MAX_STREAMS_UNI).varint(f.maximum);
      return;
    case 'data_blocked':
      w.u8(FRAME_TYPE.DATA_BLOCKED).varint(f.limit);
      return;
    case 'stream_data_blocked':
      w.u8(FRAME_TYPE.STREAM_DATA_BLOCKED).varint(f.streamId).varint(f.limit);
      return;
    case 'streams_blocked':
      if (f.limit > MAX_STREAM_COUNT) throw new RangeError('STREAMS_BLOCKED: more than 2^60 streams (RFC 9000 §19.14)');
      w.u8(f.bidi ? FRAME_TYPE.STREAMS_BLOCKED_BIDI : FRAME_TYPE.STREAMS_BLOCKED_UNI).varint(f.limit);
      return;
    case 'new_connection_id':
      if (f.connectionId.length < 1 || f.connectionId.length > 20) throw new RangeError('NEW_CONNECTION_ID: connection id must be 1..20 bytes');
      if (f.statelessResetToken.length !== 16) throw new RangeError('NEW_CONNECTION_ID: stateless reset token must be 16 bytes');
      if (f.retirePriorTo > f.sequence) throw new RangeError('NEW_CONNECTION_ID: retire prior to exceeds the sequence number');
      w.u8(FRAME_TYPE.NEW_CONNECTION_ID).varint(f.sequence).varint(f.retirePriorTo).u8(f.connectionId.length).bytes(f.connectionId).bytes(f.statelessResetToken);
      return;
    case 'retire_connection_id':
      w.u8(FRAME_TYPE.RETIRE_CONNECTION_ID).varint(f.sequence);
      return;
    case 'path_challenge':
    case 'path_response':
      if (f.data.length !== 8) throw new RangeError(`${f.type.toUpperCase()}: data must be 8 bytes`);
      w.u8(f.type === 'path_challenge' ? FRAME_TYPE.PATH_CHALLENGE : FRAME_TYPE.PATH_RESPONSE).bytes(f.data);
      return;
    case 'connection_close':
      w.u8(f.kind === 'transport' ? FRAME_TYPE.CONNECTION_CLOSE : FRAME_TYPE.CONNECTION_CLOSE_APP).varint(f.errorCode);
      if (f.kind === 'transport') w.varint(f.frameType);
      w.varint(f.reason.length).bytes(f.reason);
      return;
    case 'handshake_done':
      w.u8(FRAME_TYPE.HANDSHAKE_DONE);
      return;
  }
}

function writeAck(w: ByteWriter, delay: number, ranges: readonly AckRange[], ecn?: { ect0: number; ect1: number; ce: number }): void {
  if (ranges.length === 0) throw new RangeError('ACK: at least one range is needed (RFC 9000 §19.3)');
  w.u8(ecn ? FRAME_TYPE.ACK_ECN : FRAME_TYPE.ACK).varint(ranges[0].largest).varint(delay).varint(ranges.length - 1);
  let prevSmallest = 0;
  ranges.forEach((r, i) => {
    if (r.smallest > r.largest || r.smallest < 0) throw new RangeError(`ACK: range ${i} [${r.smallest}, ${r.largest}] is empty or negative`);
    if (i === 0) {
      w.varint(r.largest - r.smallest);
    } else {
      const gap = prevSmallest - r.largest - 2;
      if (gap < 0) throw new RangeError(`ACK: range ${i} is not below range ${i - 1} with a gap (ranges must descend, RFC 9000 §19.3.1)`);
      w.varint(gap).varint(r.largest - r.smallest);
    }
    prevSmallest = r.smallest;
  });
  if (ecn) w.varint(ecn.ect0).varint(ecn.ect1).varint(ecn.ce);
}

/** The wire form of one frame. */
export function encodeFrame(f: Frame): Uint8Array {
  const w = new ByteWriter();
  writeFrame(w, f);
  return w.finish();
}

/** The wire form of a sequence of frames (a packet payload). */
export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  const w = new ByteWriter(256);
  for (const f of frames) writeFrame(w, f);
  return w.finish();
}

// ---------------------------------------------------------------- decoding

/** What the decoder needs to know about the packet (RFC 9000 §12.4, §12.5) and its sender. */
export interface FrameContext {
  readonly packetType: FramePacketType;
  /** Role of the peer that sent the packet; enables the direction rules of §19.7 and §19.20. */
  readonly sender?: 'client' | 'server';
}

/** Outcome of decoding a payload: every frame, or the first error with the frames before it. */
export type FramesDecode =
  | { readonly ok: true; readonly frames: Frame[] }
  | { readonly ok: false; readonly error: QuicDecodeError; readonly frames: Frame[] };

type One = Frame | QuicDecodeError;

const isError = (x: One): x is QuicDecodeError => 'code' in x && 'message' in x;

/**
 * Decodes a packet payload into frames (RFC 9000 §12.4, §19) and checks each against the packet
 * type and the sender's role. Offsets in errors are relative to `payload`.
 */
export function decodeFrames(payload: Uint8Array, ctx: FrameContext): FramesDecode {
  const frames: Frame[] = [];
  if (payload.length === 0) {
    return { ok: false, frames, error: decodeError('PROTOCOL_VIOLATION', 0, 0, 'packet payload contains no frames (RFC 9000 §12.4)') };
  }
  const r = new ByteReader(payload);
  while (r.remaining > 0) {
    const at = r.pos;
    const f = decodeFrame(r);
    if (isError(f)) return { ok: false, frames, error: f };
    if (!frameAllowedIn(f, ctx.packetType)) {
      const type = payload[at]; // frames that decode have one-byte types
      return { ok: false, frames, error: decodeError('PROTOCOL_VIOLATION', type, at, `${frameTypeName(type)} frame not allowed in a ${ctx.packetType} packet (RFC 9000 §12.4)`) };
    }
    if (ctx.sender === 'client' && (f.type === 'new_token' || f.type === 'handshake_done')) {
      return { ok: false, frames, error: decodeError('PROTOCOL_VIOLATION', payload[at], at, `${frameTypeName(payload[at])} frame sent by a client (RFC 9000 §19.7, §19.20)`) };
    }
    frames.push(f);
  }
  return { ok: true, frames };
}

/**
 * Decodes the frame at the reader's position and advances past it, or returns a
 * FRAME_ENCODING_ERROR / PROTOCOL_VIOLATION naming the frame and the offset. Packet-type rules
 * are `decodeFrames`'s job.
 */
export function decodeFrame(r: ByteReader): One {
  const at = r.pos;
  const type = r.varint();
  if (type < 0) return decodeError('FRAME_ENCODING_ERROR', 0, at, `frame type truncated at ${at}`);
  if (type !== VARINT_SATURATED && r.pos - at !== varintLength(type)) {
    return decodeError('PROTOCOL_VIOLATION', type, at, `frame type 0x${type.toString(16)} at ${at} not in its shortest encoding (RFC 9000 §12.4)`);
  }
  const bad = (what: string): QuicDecodeError => decodeError('FRAME_ENCODING_ERROR', type, at, `${frameTypeName(type)} frame at ${at}: ${what}`);
  const truncated = () => bad('truncated');
  switch (true) {
    case type === FRAME_TYPE.PADDING: {
      while (r.pos < r.end && r.buf[r.pos] === 0) r.pos++;
      return { type: 'padding', length: r.pos - at };
    }
    case type === FRAME_TYPE.PING:
      return { type: 'ping' };
    case type === FRAME_TYPE.ACK || type === FRAME_TYPE.ACK_ECN:
      return decodeAck(r, type, bad);
    case type === FRAME_TYPE.RESET_STREAM: {
      const streamId = r.varint(), errorCode = r.varint(), finalSize = r.varint();
      if (finalSize < 0) return truncated();
      return { type: 'reset_stream', streamId, errorCode, finalSize };
    }
    case type === FRAME_TYPE.STOP_SENDING: {
      const streamId = r.varint(), errorCode = r.varint();
      if (errorCode < 0) return truncated();
      return { type: 'stop_sending', streamId, errorCode };
    }
    case type === FRAME_TYPE.CRYPTO: {
      const offset = r.varintBig();
      const length = r.varint();
      if (length < 0) return truncated();
      if (offset + BigInt(length) > VARINT_MAX) return bad('offset + length exceeds 2^62-1 (RFC 9000 §19.6)');
      const data = r.bytes(length);
      if (!data) return bad(`length ${length} exceeds the ${r.remaining} bytes left`);
      return { type: 'crypto', offset: safe(offset), data };
    }
    case type === FRAME_TYPE.NEW_TOKEN: {
      const length = r.varint();
      if (length < 0) return truncated();
      if (length === 0) return bad('empty token (RFC 9000 §19.7)');
      const token = r.bytes(length);
      if (!token) return bad(`token length ${length} exceeds the ${r.remaining} bytes left`);
      return { type: 'new_token', token };
    }
    case type >= 0x08 && type <= 0x0f:
      return decodeStream(r, type, bad);
    case type === FRAME_TYPE.MAX_DATA: {
      const maximum = r.varint();
      return maximum < 0 ? truncated() : { type: 'max_data', maximum };
    }
    case type === FRAME_TYPE.MAX_STREAM_DATA: {
      const streamId = r.varint(), maximum = r.varint();
      return maximum < 0 ? truncated() : { type: 'max_stream_data', streamId, maximum };
    }
    case type === FRAME_TYPE.MAX_STREAMS_BIDI || type === FRAME_TYPE.MAX_STREAMS_UNI: {
      const maximum = r.varintBig();
      if (maximum < 0n) return truncated();
      if (maximum > BigInt(MAX_STREAM_COUNT)) return bad(`${maximum} streams exceeds 2^60 (RFC 9000 §19.11)`);
      return { type: 'max_streams', bidi: type === FRAME_TYPE.MAX_STREAMS_BIDI, maximum: safe(maximum) };
    }
    case type === FRAME_TYPE.DATA_BLOCKED: {
      const limit = r.varint();
      return limit < 0 ? truncated() : { type: 'data_blocked', limit };
    }
    case type === FRAME_TYPE.STREAM_DATA_BLOCKED: {
      const streamId = r.varint(), limit = r.varint();
      return limit < 0 ? truncated() : { type: 'stream_data_blocked', streamId, limit };
    }
    case type === FRAME_TYPE.STREAMS_BLOCKED_BIDI || type === FRAME_TYPE.STREAMS_BLOCKED_UNI: {
      const limit = r.varintBig();
      if (limit < 0n) return truncated();
      if (limit > BigInt(MAX_STREAM_COUNT)) return bad(`${limit} streams exceeds 2^60 (RFC 9000 §19.14)`);
      return { type: 'streams_blocked', bidi: type === FRAME_TYPE.STREAMS_BLOCKED_BIDI, limit: safe(limit) };
    }
    case type === FRAME_TYPE.NEW_CONNECTION_ID: {
      const sequence = r.varint(), retirePriorTo = r.varint(), length = r.u8();
      if (length < 0) return truncated();
      if (length < 1 || length > 20) return bad(`connection id length ${length} outside 1..20 (RFC 9000 §19.15)`);
      const connectionId = r.bytes(length);
      const statelessResetToken = r.bytes(16);
      if (!connectionId || !statelessResetToken) return truncated();
      if (retirePriorTo > sequence) return bad(`retire prior to ${retirePriorTo} exceeds sequence number ${sequence} (RFC 9000 §19.15)`);
      return { type: 'new_connection_id', sequence, retirePriorTo, connectionId, statelessResetToken };
    }
    case type === FRAME_TYPE.RETIRE_CONNECTION_ID: {
      const sequence = r.varint();
      return sequence < 0 ? truncated() : { type: 'retire_connection_id', sequence };
    }
    case type === FRAME_TYPE.PATH_CHALLENGE || type === FRAME_TYPE.PATH_RESPONSE: {
      const data = r.bytes(8);
      if (!data) return truncated();
      return { type: type === FRAME_TYPE.PATH_CHALLENGE ? 'path_challenge' : 'path_response', data };
    }
    case type === FRAME_TYPE.CONNECTION_CLOSE || type === FRAME_TYPE.CONNECTION_CLOSE_APP: {
      const transport = type === FRAME_TYPE.CONNECTION_CLOSE;
      const errorCode = r.varint();
      const frameType = transport ? r.varint() : 0;
      const length = r.varint();
      if (length < 0) return truncated();
      const reason = r.bytes(length);
      if (!reason) return bad(`reason phrase length ${length} exceeds the ${r.remaining} bytes left`);
      return { type: 'connection_close', kind: transport ? 'transport' : 'application', errorCode, frameType, reason };
    }
    case type === FRAME_TYPE.HANDSHAKE_DONE:
      return { type: 'handshake_done' };
    default:
      return decodeError('FRAME_ENCODING_ERROR', type, at, `${frameTypeName(type)} at ${at} (RFC 9000 §12.4: unknown frame types are an error)`);
  }
}

function decodeAck(r: ByteReader, type: number, bad: (what: string) => QuicDecodeError): One {
  const largest = r.varint(), delay = r.varint(), count = r.varint(), first = r.varint();
  if (first < 0) return bad('truncated');
  // Each further range takes at least 2 bytes: refuse an impossible count before looping.
  if (count > r.remaining / 2) return bad(`ACK Range Count ${count} exceeds what ${r.remaining} bytes can hold`);
  if (first > largest) return bad(`First ACK Range ${first} exceeds Largest Acknowledged ${largest} (RFC 9000 §19.3.1)`);
  const ranges: AckRange[] = [{ smallest: largest - first, largest }];
  let smallest = largest - first;
  for (let i = 0; i < count; i++) {
    const gap = r.varint(), length = r.varint();
    if (length < 0) return bad('truncated');
    const top = smallest - gap - 2;
    if (top < 0 || length > top) return bad(`ACK range ${i + 1} goes below packet number 0 (RFC 9000 §19.3.1)`);
    ranges.push({ smallest: top - length, largest: top });
    smallest = top - length;
  }
  if (type === FRAME_TYPE.ACK) return { type: 'ack', delay, ranges };
  const ect0 = r.varint(), ect1 = r.varint(), ce = r.varint();
  if (ce < 0) return bad('truncated ECN counts');
  return { type: 'ack', delay, ranges, ecn: { ect0, ect1, ce } };
}

function decodeStream(r: ByteReader, type: number, bad: (what: string) => QuicDecodeError): One {
  const streamId = r.varint();
  const offset = type & STREAM_BITS.OFF ? r.varintBig() : 0n;
  if (streamId < 0 || offset < 0n) return bad('truncated');
  const explicitLength = (type & STREAM_BITS.LEN) !== 0;
  const length = explicitLength ? r.varint() : r.remaining;
  if (length < 0) return bad('truncated');
  if (offset + BigInt(length) > VARINT_MAX) return bad('offset + length exceeds 2^62-1 (RFC 9000 §19.8)');
  const data = r.bytes(length);
  if (!data) return bad(`length ${length} exceeds the ${r.remaining} bytes left`);
  return { type: 'stream', streamId, offset: safe(offset), data, fin: (type & STREAM_BITS.FIN) !== 0, explicitLength };
}

/** A bigint as a number, saturated at 2^53-1 like every decoded field (see varint.ts). */
function safe(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}
