/**
 * QUIC v1 frames (RFC 9000 §19) as data, shared by the frame codec (proxy/quic/frame.ts), the
 * connection engine and readers in diag/ and cli/. No engine logic here.
 *
 * Integer fields are numbers; values above 2^53-1 on the wire decode saturated to
 * Number.MAX_SAFE_INTEGER (see proxy/quic/varint.ts), which only matters for limits and ids no
 * connection reaches.
 */

/** Frame type values (RFC 9000 §12.4, Table 3; the first of each range). */
export const FRAME_TYPE = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  STREAM: 0x08, // 0x08-0x0f: | OFF 0x04 | LEN 0x02 | FIN 0x01
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APP: 0x1d,
  HANDSHAKE_DONE: 0x1e,
} as const;

/** STREAM frame type bits (RFC 9000 §19.8). */
export const STREAM_BITS = { OFF: 0x04, LEN: 0x02, FIN: 0x01 } as const;

/** Largest stream count in MAX_STREAMS / STREAMS_BLOCKED (RFC 9000 §19.11, §19.14): 2^60. */
export const MAX_STREAM_COUNT = 2 ** 60;

/** One acknowledged range, inclusive (RFC 9000 §19.3.1). */
export interface AckRange {
  readonly smallest: number;
  readonly largest: number;
}

/** ECN counts of an ACK frame of type 0x03 (RFC 9000 §19.3.2). */
export interface EcnCounts {
  readonly ect0: number;
  readonly ect1: number;
  readonly ce: number;
}

/** PADDING (§19.1); consecutive padding bytes decode as one frame of `length` bytes. */
export interface PaddingFrame { readonly type: 'padding'; readonly length: number }
/** PING (§19.2). */
export interface PingFrame { readonly type: 'ping' }
/**
 * ACK (§19.3): ranges in descending order, ranges[0].largest being the Largest Acknowledged;
 * `delay` is the encoded ACK Delay (scaled by the sender's ack_delay_exponent, §18.2).
 */
export interface AckFrame { readonly type: 'ack'; readonly delay: number; readonly ranges: readonly AckRange[]; readonly ecn?: EcnCounts }
/** RESET_STREAM (§19.4). */
export interface ResetStreamFrame { readonly type: 'reset_stream'; readonly streamId: number; readonly errorCode: number; readonly finalSize: number }
/** STOP_SENDING (§19.5). */
export interface StopSendingFrame { readonly type: 'stop_sending'; readonly streamId: number; readonly errorCode: number }
/** CRYPTO (§19.6). */
export interface CryptoFrame { readonly type: 'crypto'; readonly offset: number; readonly data: Uint8Array }
/** NEW_TOKEN (§19.7); the token is never empty. */
export interface NewTokenFrame { readonly type: 'new_token'; readonly token: Uint8Array }
/**
 * STREAM (§19.8). `explicitLength` (default true) sets the LEN bit; without it the data runs to
 * the end of the packet, so only the last frame may omit it. The OFF bit is set when offset > 0.
 */
export interface StreamFrame {
  readonly type: 'stream';
  readonly streamId: number;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly fin: boolean;
  readonly explicitLength?: boolean;
}
/** MAX_DATA (§19.9). */
export interface MaxDataFrame { readonly type: 'max_data'; readonly maximum: number }
/** MAX_STREAM_DATA (§19.10). */
export interface MaxStreamDataFrame { readonly type: 'max_stream_data'; readonly streamId: number; readonly maximum: number }
/** MAX_STREAMS (§19.11), 0x12 bidirectional / 0x13 unidirectional; maximum <= 2^60. */
export interface MaxStreamsFrame { readonly type: 'max_streams'; readonly bidi: boolean; readonly maximum: number }
/** DATA_BLOCKED (§19.12). */
export interface DataBlockedFrame { readonly type: 'data_blocked'; readonly limit: number }
/** STREAM_DATA_BLOCKED (§19.13). */
export interface StreamDataBlockedFrame { readonly type: 'stream_data_blocked'; readonly streamId: number; readonly limit: number }
/** STREAMS_BLOCKED (§19.14), 0x16 bidirectional / 0x17 unidirectional; limit <= 2^60. */
export interface StreamsBlockedFrame { readonly type: 'streams_blocked'; readonly bidi: boolean; readonly limit: number }
/** NEW_CONNECTION_ID (§19.15): 1..20-byte id, 16-byte reset token, retirePriorTo <= sequence. */
export interface NewConnectionIdFrame {
  readonly type: 'new_connection_id';
  readonly sequence: number;
  readonly retirePriorTo: number;
  readonly connectionId: Uint8Array;
  readonly statelessResetToken: Uint8Array;
}
/** RETIRE_CONNECTION_ID (§19.16). */
export interface RetireConnectionIdFrame { readonly type: 'retire_connection_id'; readonly sequence: number }
/** PATH_CHALLENGE (§19.17): 8 bytes. */
export interface PathChallengeFrame { readonly type: 'path_challenge'; readonly data: Uint8Array }
/** PATH_RESPONSE (§19.18): 8 bytes. */
export interface PathResponseFrame { readonly type: 'path_response'; readonly data: Uint8Array }
/**
 * CONNECTION_CLOSE (§19.19): `transport` (0x1c, with the frame type that triggered it) or
 * `application` (0x1d). The reason phrase is kept as bytes (UTF-8 by intent, not checked).
 */
export interface ConnectionCloseFrame {
  readonly type: 'connection_close';
  readonly kind: 'transport' | 'application';
  readonly errorCode: number;
  /** Transport kind only; 0 when unknown. */
  readonly frameType: number;
  readonly reason: Uint8Array;
}
/** HANDSHAKE_DONE (§19.20). */
export interface HandshakeDoneFrame { readonly type: 'handshake_done' }

/** Any QUIC v1 frame. */
export type Frame =
  | PaddingFrame
  | PingFrame
  | AckFrame
  | ResetStreamFrame
  | StopSendingFrame
  | CryptoFrame
  | NewTokenFrame
  | StreamFrame
  | MaxDataFrame
  | MaxStreamDataFrame
  | MaxStreamsFrame
  | DataBlockedFrame
  | StreamDataBlockedFrame
  | StreamsBlockedFrame
  | NewConnectionIdFrame
  | RetireConnectionIdFrame
  | PathChallengeFrame
  | PathResponseFrame
  | ConnectionCloseFrame
  | HandshakeDoneFrame;

/** Frame kind names. */
export type FrameKind = Frame['type'];
