/**
 * QUIC transport error codes (RFC 9000 §20.1) and the error outcome that frame and transport
 * parameter decoders return. A decoder error is a connection error the caller closes with
 * (CONNECTION_CLOSE of type 0x1c carrying `code` and `frameType`).
 */

/** Transport error codes (RFC 9000 §20.1). CRYPTO_ERROR is 0x0100 + the TLS alert (`cryptoError`). */
export const TRANSPORT_ERROR = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
} as const;

/** Name of a transport error code. */
export type TransportErrorName = keyof typeof TRANSPORT_ERROR;

/** CRYPTO_ERROR for a TLS alert (RFC 9001 §4.8): 0x0100 + alert. */
export function cryptoError(alert: number): number {
  return 0x0100 + (alert & 0xff);
}

/** Name of a transport error code for logs ("CRYPTO_ERROR(0x28)" for 0x0128; hex for unknown codes). */
export function transportErrorName(code: number): string {
  for (const [name, value] of Object.entries(TRANSPORT_ERROR)) if (value === code) return name;
  if (code >= 0x100 && code <= 0x1ff) return `CRYPTO_ERROR(0x${(code - 0x100).toString(16).padStart(2, '0')})`;
  return `0x${code.toString(16)}`;
}

/**
 * A connection error found while decoding: the transport error `code` (with its `name`), the
 * frame type being decoded (0 when not in a frame), the absolute `offset` in the decoded buffer,
 * and a sentence for logs and the CONNECTION_CLOSE reason.
 */
export interface QuicDecodeError {
  readonly code: number;
  readonly name: TransportErrorName;
  readonly frameType: number;
  readonly offset: number;
  readonly message: string;
}

/** Builds a `QuicDecodeError`. */
export function decodeError(name: TransportErrorName, frameType: number, offset: number, message: string): QuicDecodeError {
  return { code: TRANSPORT_ERROR[name], name, frameType, offset, message };
}
