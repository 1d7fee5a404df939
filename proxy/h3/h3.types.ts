/**
 * Types and wire constants of HTTP/3 (RFC 9114), shared by the engine modules in proxy/h3/, the
 * QUIC driver that feeds them, and readers in diag/ and cli/. No engine logic here.
 *
 * Field names and values are latin1 strings, as in proxy/qpack/ (one code unit per octet).
 */
import type { FieldLine } from '../qpack/qpack.types.ts';

/** HTTP/3 error codes (RFC 9114 §8.1); QPACK's (0x0200..0x0202) are in proxy/qpack/qpack.types.ts. */
export const H3_ERROR_CODE = {
  H3_NO_ERROR: 0x0100,
  H3_GENERAL_PROTOCOL_ERROR: 0x0101,
  H3_INTERNAL_ERROR: 0x0102,
  H3_STREAM_CREATION_ERROR: 0x0103,
  H3_CLOSED_CRITICAL_STREAM: 0x0104,
  H3_FRAME_UNEXPECTED: 0x0105,
  H3_FRAME_ERROR: 0x0106,
  H3_EXCESSIVE_LOAD: 0x0107,
  H3_ID_ERROR: 0x0108,
  H3_SETTINGS_ERROR: 0x0109,
  H3_MISSING_SETTINGS: 0x010a,
  H3_REQUEST_REJECTED: 0x010b,
  H3_REQUEST_CANCELLED: 0x010c,
  H3_REQUEST_INCOMPLETE: 0x010d,
  H3_MESSAGE_ERROR: 0x010e,
  H3_CONNECT_ERROR: 0x010f,
  H3_VERSION_FALLBACK: 0x0110,
} as const;

/** Name of an HTTP/3 error code (RFC 9114 §8.1). */
export type H3ErrorName = keyof typeof H3_ERROR_CODE;

/** Frame types (RFC 9114 §7.2, registered in §11.2.1). */
export const H3_FRAME_TYPE = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/**
 * HTTP/2 frame types with no HTTP/3 counterpart (PRIORITY 0x02, PING 0x06, WINDOW_UPDATE 0x08,
 * CONTINUATION 0x09): receiving one is H3_FRAME_UNEXPECTED (RFC 9114 §7.2.8, §11.2.1).
 */
export const H3_RESERVED_H2_FRAME_TYPES: readonly number[] = [0x02, 0x06, 0x08, 0x09];

/** Unidirectional stream types (RFC 9114 §6.2; QPACK's 0x02/0x03 from RFC 9204 §4.2). */
export const H3_STREAM_TYPE = {
  CONTROL: 0x00,
  PUSH: 0x01,
  QPACK_ENCODER: 0x02,
  QPACK_DECODER: 0x03,
} as const;

/** SETTINGS identifiers (RFC 9114 §7.2.4.1, RFC 9204 §5). */
export const H3_SETTINGS_ID = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
} as const;

/**
 * HTTP/2 SETTINGS identifiers reserved in HTTP/3 (0x00, 0x02 ENABLE_PUSH, 0x03
 * MAX_CONCURRENT_STREAMS, 0x04 INITIAL_WINDOW_SIZE, 0x05 MAX_FRAME_SIZE): receiving one is
 * H3_SETTINGS_ERROR (RFC 9114 §7.2.4.1, §11.2.2).
 */
export const H3_FORBIDDEN_SETTINGS: readonly number[] = [0x00, 0x02, 0x03, 0x04, 0x05];

/**
 * The SETTINGS of one endpoint (RFC 9114 §7.2.4). Absent values take the defaults of §7.2.4.1 and
 * RFC 9204 §5: table capacity 0, blocked streams 0, field section size unlimited. `other` keeps
 * identifiers this layer does not interpret (reserved/greased ones, extensions), by decimal string
 * of the exact identifier.
 */
export interface H3Settings {
  readonly qpackMaxTableCapacity: number;
  readonly qpackBlockedStreams: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE; `Infinity` when the peer sent none (unlimited). */
  readonly maxFieldSectionSize: number;
  readonly other: ReadonlyMap<string, number>;
}

/** One decoded HTTP/3 frame (RFC 9114 §7.2). `unknown` covers reserved and extension types (§9). */
export type H3Frame =
  | { readonly type: 'DATA'; readonly payload: Uint8Array }
  | { readonly type: 'HEADERS'; readonly fieldSection: Uint8Array }
  | { readonly type: 'CANCEL_PUSH'; readonly pushId: number }
  | { readonly type: 'SETTINGS'; readonly settings: H3Settings }
  | { readonly type: 'PUSH_PROMISE'; readonly pushId: number; readonly fieldSection: Uint8Array }
  | { readonly type: 'GOAWAY'; readonly id: number }
  | { readonly type: 'MAX_PUSH_ID'; readonly pushId: number }
  | { readonly type: 'unknown'; readonly frameType: number; readonly payload: Uint8Array };

/** Name of a frame kind (H3Frame['type']). */
export type H3FrameName = H3Frame['type'];

/**
 * What failed and where: `code` is the RFC 9114 §8.1 (or RFC 9204 §6) error; `where` names the
 * input (`control stream 2`, `request stream 4`); `offset` is the byte offset inside that stream
 * (or frame payload for the frame codec); `message` says what was wrong.
 */
export interface H3Error {
  readonly code: H3ErrorName | 'QPACK_DECOMPRESSION_FAILED' | 'QPACK_ENCODER_STREAM_ERROR' | 'QPACK_DECODER_STREAM_ERROR';
  readonly where: string;
  readonly offset: number;
  readonly message: string;
}

/** A validated request header section (RFC 9114 §4.3.1). */
export interface H3Request {
  readonly method: string;
  /** Absent only for CONNECT (§4.4). */
  readonly scheme?: string;
  readonly authority?: string;
  /** Absent only for CONNECT (§4.4). */
  readonly path?: string;
  /** Regular fields in order, pseudo-header fields removed. */
  readonly headers: readonly FieldLine[];
  /** Parsed content-length when present (§4.1.2). */
  readonly contentLength?: number;
}

/**
 * What the engine asks the QUIC transport to do: write on a stream (`fin` ends it), reset our
 * sending side (RESET_STREAM), abort reading (STOP_SENDING), or close the connection with an
 * application error (CONNECTION_CLOSE type 0x1d, RFC 9000 §19.19).
 */
export type H3Action =
  | { readonly kind: 'send'; readonly streamId: number; readonly bytes: Uint8Array; readonly fin: boolean }
  | { readonly kind: 'reset-stream'; readonly streamId: number; readonly code: number }
  | { readonly kind: 'stop-sending'; readonly streamId: number; readonly code: number }
  | { readonly kind: 'close'; readonly code: number; readonly reason: string };

/** What the engine tells the application (the stream layer above it). */
export type H3Event =
  | { readonly kind: 'settings'; readonly settings: H3Settings }
  | { readonly kind: 'request'; readonly streamId: number; readonly request: H3Request; readonly fin: boolean }
  | { readonly kind: 'data'; readonly streamId: number; readonly bytes: Uint8Array; readonly fin: boolean }
  | { readonly kind: 'trailers'; readonly streamId: number; readonly fields: readonly FieldLine[] }
  /** The request stream ended (after DATA/trailers; `request`/`data` events carry fin as well). */
  | { readonly kind: 'end'; readonly streamId: number }
  /** The stream failed alone (malformed request, rejected, too large a response...). */
  | { readonly kind: 'stream-error'; readonly streamId: number; readonly code: number; readonly message: string }
  /** The peer cancelled the request (RESET_STREAM or STOP_SENDING, RFC 9114 §4.1.1). */
  | { readonly kind: 'cancelled'; readonly streamId: number; readonly code: number; readonly by: 'reset' | 'stop-sending' }
  | { readonly kind: 'goaway'; readonly id: number }
  /** After our GOAWAY, every request below its id has completed (RFC 9114 §5.2). */
  | { readonly kind: 'drained' }
  | { readonly kind: 'connection-error'; readonly error: H3Error };
