/**
 * Packet assembly for the connection engine (RFC 9000 §12.2, §14.1, §17; RFC 9001 §5.3-5.4): a
 * `PacketBuilder` collects the frames of one packet within a byte budget (it is the `FrameSink`
 * the frame producers fill), and `sealPacket` writes the header, pads the payload so that the
 * header protection sample exists (RFC 9001 §5.4.2) or the datagram reaches a size, and protects
 * it. Several sealed packets of different spaces are coalesced into one datagram by the caller.
 */
import { AEAD_TAG_LENGTH, type PacketKeys } from './crypto.types.ts';
import { FRAME_RULES } from './frame-rules.ts';
import type { Frame } from './frame.types.ts';
import { writeFrame } from './frame.ts';
import { writeLongHeader, writeShortHeader } from './header.ts';
import { truncatePacketNumber } from './packet-number.ts';
import { protectPacket } from './protection.ts';
import type { FrameSink, SentRecord } from './sent-record.ts';
import { varintLength } from './varint.ts';
import { ByteWriter } from './writer.ts';

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

/** Collects the frames of one packet within `budget` plaintext bytes. */
export class PacketBuilder implements FrameSink {
  private readonly w = new ByteWriter(1200);
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
    return this.w.length;
  }

  /** Bytes left. */
  get room(): number {
    return this.budget - this.w.length;
  }

  /** Whether no frame was added. */
  get empty(): boolean {
    return this.w.length === 0;
  }

  /** Encodes `frame` if it fits; keeps `record` for loss recovery. */
  add(frame: Frame, record: SentRecord | null): boolean {
    const probe = new ByteWriter(64);
    writeFrame(probe, frame);
    const bytes = probe.finish();
    if (bytes.length > this.room) return false;
    this.w.bytes(bytes);
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
    for (let i = 0; i < n; i++) this.w.u8(0);
    this.inFlight = true;
  }

  /** The plaintext payload. */
  payload(): Uint8Array {
    return this.w.finish();
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
