/**
 * Where each QUIC v1 frame may appear and how it counts (RFC 9000 §12.4 Table 3, §12.5, §13.2,
 * RFC 9002 §2): the "Pkts" column as `allowedIn`, and the N / C / P / F markings of the "Spec"
 * column as flags.
 */
import type { Frame, FrameKind } from './frame.types.ts';
import type { FramePacketType } from './packet.types.ts';

/** One row of Table 3. */
export interface FrameRule {
  /** Packet types the frame may appear in ("Pkts": I, H, 0, 1). */
  readonly allowedIn: readonly FramePacketType[];
  /** Not marked N: a packet containing it is ack-eliciting (§13.2). */
  readonly ackEliciting: boolean;
  /** Not marked C: counts toward bytes in flight (RFC 9002 §2). */
  readonly countsInFlight: boolean;
  /** Marked P: a path probing frame (§9.1). */
  readonly probing: boolean;
  /** Marked F: its contents are flow controlled (§4). */
  readonly flowControlled: boolean;
}

const ALL: readonly FramePacketType[] = ['initial', 'handshake', '0rtt', '1rtt'];
const IH_1: readonly FramePacketType[] = ['initial', 'handshake', '1rtt'];
const APP: readonly FramePacketType[] = ['0rtt', '1rtt'];
const ONLY_1RTT: readonly FramePacketType[] = ['1rtt'];

function rule(allowedIn: readonly FramePacketType[], spec = ''): FrameRule {
  return {
    allowedIn,
    ackEliciting: !spec.includes('N'),
    countsInFlight: !spec.includes('C'),
    probing: spec.includes('P'),
    flowControlled: spec.includes('F'),
  };
}

/**
 * RFC 9000 Table 3 by frame kind. CONNECTION_CLOSE is listed as 'ih01': only type 0x1c may appear
 * in Initial and Handshake packets, which `frameAllowedIn` checks.
 */
export const FRAME_RULES: Readonly<Record<FrameKind, FrameRule>> = {
  padding: rule(ALL, 'NP'),
  ping: rule(ALL),
  ack: rule(IH_1, 'NC'),
  reset_stream: rule(APP),
  stop_sending: rule(APP),
  crypto: rule(IH_1),
  new_token: rule(ONLY_1RTT),
  stream: rule(APP, 'F'),
  max_data: rule(APP),
  max_stream_data: rule(APP),
  max_streams: rule(APP),
  data_blocked: rule(APP),
  stream_data_blocked: rule(APP),
  streams_blocked: rule(APP),
  new_connection_id: rule(APP, 'P'),
  retire_connection_id: rule(APP),
  path_challenge: rule(APP, 'P'),
  path_response: rule(ONLY_1RTT, 'P'),
  connection_close: rule(ALL, 'N'),
  handshake_done: rule(ONLY_1RTT),
};

/** Whether `frame` may appear in a packet of `packetType` (RFC 9000 §12.4, §12.5). */
export function frameAllowedIn(frame: Frame, packetType: FramePacketType): boolean {
  if (frame.type === 'connection_close' && frame.kind === 'application') return packetType === '0rtt' || packetType === '1rtt';
  return FRAME_RULES[frame.type].allowedIn.includes(packetType);
}

/** Whether a packet carrying `frames` is ack-eliciting (RFC 9000 §13.2: any frame other than ACK, PADDING, CONNECTION_CLOSE). */
export function isAckEliciting(frames: readonly Frame[]): boolean {
  return frames.some((f) => FRAME_RULES[f.type].ackEliciting);
}

/** Whether a packet carrying only `frames` is a probing packet (RFC 9000 §9.1). */
export function isProbingOnly(frames: readonly Frame[]): boolean {
  return frames.every((f) => FRAME_RULES[f.type].probing);
}
