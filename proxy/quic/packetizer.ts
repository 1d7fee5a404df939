/**
 * Packet assembly for the connection engine (RFC 9000 §12.2, §14.1, §17; RFC 9001 §5.3-5.4): a
 * `PacketBuilder` collects the frames of one packet within a byte budget (it is the `FrameSink`
 * the frame producers fill), and `sealPacket` writes the header, pads the payload so that the
 * header protection sample exists (RFC 9001 §5.4.2) or the datagram reaches a size, and protects
 * it. Several sealed packets of different spaces are coalesced into one datagram by the caller.
 */
import { AEAD_TAG_LENGTH, type PacketKeys } from './crypto.types.ts';
import { FRAME_RULES } from './frame-rules.ts';
import { FRAME_TYPE, STREAM_BITS, type Frame } from './frame.types.ts';
import { encodeFrame } from './frame.ts';
import { writeLongHeader, writeShortHeader } from './header.ts';
import { truncatePacketNumber } from './packet-number.ts';
import { allocPacketBytes, protectPacket } from './protection.ts';
import type { FrameSink, SentRecord } from './sent-record.ts';
import { varintLength, writeVarint } from './varint.ts';

/** Packet types the engine sends (no 0-RTT). */
export type SendPacketType = 'initial' | 'handshake' | '1rtt';

/** The fixed Length field size used in long headers: payloads stay below 16384 bytes (RFC 9000 §16). */
export const LENGTH_FIELD_SIZE = 2;

/** Bytes of the unprotected header of a packet of `type` (RFC 9000 §17.2, §17.3.1). */
export function headerSize(type: SendPacketType, dcidLength: number, scidLength: number, tokenLength: number, pnLength: number): number {
  if (type === '1rtt') return 1 + dcidLength + pnLength;
  const token = type === 'initial' ? varintLength(tokenLength) + tokenLength : 0;
  return 1 + 4 + 1 + dcidLength + 1 + scidLength + token + LENGTH_FIELD_SIZE + pnLength;
}

/**
 * The exact wire size of `f` (RFC 9000 §19) for the frames that dominate packets (STREAM, CRYPTO,
 * PADDING, PING, HANDSHAKE_DONE, MAX_DATA, MAX_STREAM_DATA), computed without encoding; undefined
 * for the other types (the caller encodes those to learn their size). Throws RangeError, as the
 * encoder does, for a varint out of range.
 */
export function frameSize(f: Frame): number | undefined {
  switch (f.type) {
    case 'stream': {
      const n = f.data.length;
      return 1 + varintLength(f.streamId) + (f.offset > 0 ? varintLength(f.offset) : 0) + ((f.explicitLength ?? true) ? varintLength(n) : 0) + n;
    }
    case 'crypto':
      return 1 + varintLength(f.offset) + varintLength(f.data.length) + f.data.length;
    case 'padding':
      return f.length;
    case 'ping':
    case 'handshake_done':
      return 1;
    case 'max_data':
      return 1 + varintLength(f.maximum);
    case 'max_stream_data':
      return 1 + varintLength(f.streamId) + varintLength(f.maximum);
    default:
      return undefined;
  }
}

/**
 * Collects the frames of one packet within `budget` plaintext bytes. Each frame is sized first
 * (`frameSize`) and STREAM, CRYPTO and PADDING frames, which fill most packets, are encoded once,
 * straight into the packet's buffer (allocated at the budget on the first frame, never grown);
 * the other (small) types are encoded by `encodeFrame` and copied in. `payload()` is a view of the
 * buffer, not a copy.
 */
export class PacketBuilder implements FrameSink {
  private buf: Uint8Array | null = null;
  private pos = 0;
  private readonly budget: number;
  readonly records: SentRecord[] = [];
  /** RFC 9000 §13.2: any frame other than ACK, PADDING, CONNECTION_CLOSE. */
  ackEliciting = false;
  /** RFC 9002 §2: ack-eliciting or PADDING. */
  inFlight = false;
  /** Frame kinds added, for traces and tests. */
  readonly kinds: Frame['type'][] = [];

  constructor(budget: number) {
    this.budget = budget;
  }

  /** Plaintext bytes written. */
  get length(): number {
    return this.pos;
  }

  /** Bytes left. */
  get room(): number {
    return this.budget - this.pos;
  }

  /** Whether no frame was added. */
  get empty(): boolean {
    return this.pos === 0;
  }

  /** The buffer with room for `n` more bytes (`pad` may go past the budget: the caller sized it). */
  private reserve(n: number): Uint8Array {
    const need = this.pos + n;
    if (this.buf === null) this.buf = allocPacketBytes(Math.max(this.budget, need));
    else if (need > this.buf.length) {
      const next = new Uint8Array(need);
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
    }
    return this.buf;
  }

  /** Encodes `frame` if it fits; keeps `record` for loss recovery. */
  add(frame: Frame, record: SentRecord | null): boolean {
    const size = frameSize(frame);
    if (size === undefined) {
      const bytes = encodeFrame(frame);
      if (bytes.length > this.room) return false;
      this.reserve(bytes.length).set(bytes, this.pos);
      this.pos += bytes.length;
    } else {
      if (size > this.room) return false;
      const out = this.reserve(size);
      const end = this.pos + size;
      let at = this.pos;
      switch (frame.type) {
        case 'stream': {
          const len = frame.explicitLength ?? true;
          out[at++] = FRAME_TYPE.STREAM | (frame.offset > 0 ? STREAM_BITS.OFF : 0) | (len ? STREAM_BITS.LEN : 0) | (frame.fin ? STREAM_BITS.FIN : 0);
          at = writeVarint(out, at, frame.streamId);
          if (frame.offset > 0) at = writeVarint(out, at, frame.offset);
          if (len) at = writeVarint(out, at, frame.data.length);
          out.set(frame.data, at);
          at += frame.data.length;
          break;
        }
        case 'crypto':
          out[at++] = FRAME_TYPE.CRYPTO;
          at = writeVarint(out, at, frame.offset);
          at = writeVarint(out, at, frame.data.length);
          out.set(frame.data, at);
          at += frame.data.length;
          break;
        case 'padding':
          out.fill(0, at, end);
          at = end;
          break;
        default: {
          const bytes = encodeFrame(frame);
          out.set(bytes, at);
          at += bytes.length;
        }
      }
      if (at !== end) throw new Error(`PacketBuilder: ${frame.type} frame sized ${size} bytes but encoded to ${at - this.pos} (frameSize out of step with the encoder)`);
      this.pos = end;
    }
    if (record) this.records.push(record);
    const rule = FRAME_RULES[frame.type];
    if (rule.ackEliciting) this.ackEliciting = true;
    if (rule.ackEliciting || frame.type === 'padding') this.inFlight = true;
    this.kinds.push(frame.type);
    return true;
  }

  /** Appends `n` PADDING bytes (no check against the budget: the caller sized them). */
  pad(n: number): void {
    if (n <= 0) return;
    this.reserve(n).fill(0, this.pos, this.pos + n);
    this.pos += n;
    this.inFlight = true;
  }

  /** The plaintext payload: a view of the builder's buffer (valid until the next `add`/`pad`). */
  payload(): Uint8Array {
    return this.buf === null ? new Uint8Array(0) : this.buf.subarray(0, this.pos);
  }
}

/** Everything needed to write and protect one packet. */
export interface PacketToSeal {
  readonly type: SendPacketType;
  readonly keys: PacketKeys;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  readonly token: Uint8Array;
  readonly pn: number;
  readonly pnLength: 1 | 2 | 3 | 4;
  readonly payload: Uint8Array;
  readonly keyPhase?: 0 | 1;
}

/** Smallest plaintext payload giving a 16-byte header protection sample (RFC 9001 §5.4.2). */
export function minPayloadForSample(pnLength: number): number {
  return Math.max(0, 4 - pnLength);
}

/**
 * Writes the header (RFC 9000 §17.2 / §17.3.1), seals the payload and applies header protection
 * (RFC 9001 §5.3, §5.4). The payload must already be at least `minPayloadForSample` bytes.
 */
export function sealPacket(p: PacketToSeal): Uint8Array {
  const truncatedPn = truncatePacketNumber(p.pn, p.pnLength);
  const header =
    p.type === '1rtt'
      ? writeShortHeader({ dcid: p.dcid, keyPhase: p.keyPhase ?? 0, truncatedPn, pnLength: p.pnLength })
      : writeLongHeader({
          type: p.type, dcid: p.dcid, scid: p.scid, token: p.type === 'initial' ? p.token : undefined,
          truncatedPn, pnLength: p.pnLength, payloadLength: p.payload.length + AEAD_TAG_LENGTH, lengthFieldSize: LENGTH_FIELD_SIZE,
        });
  return protectPacket(p.keys, header, p.pnLength, p.pn, p.payload);
}
