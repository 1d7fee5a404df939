/**
 * Types of the client side of HTTP/3 (proxy/h3/client-connection.ts): the request an application
 * sends, the response it gets back, and the events of the engine and of its QUIC binding. Shared
 * with load generators (test/bench/h3-load.ts) and tests. No engine logic here.
 *
 * Field names and values are latin1 strings, as in proxy/qpack/ (one code unit per octet).
 */
import type { FieldLine } from '../qpack/qpack.types.ts';
import type { CloseReason } from '../quic/connection.types.ts';
import type { H3Error, H3Settings } from './h3.types.ts';

/**
 * A request header section to send (RFC 9114 §4.3.1): the pseudo-header values and the regular
 * fields. `scheme` defaults to `https`. Names of `headers` are lowercased and connection-specific
 * fields dropped when sent (§4.2).
 */
export interface H3ClientRequest {
  readonly method: string;
  readonly scheme?: string;
  readonly authority: string;
  readonly path: string;
  readonly headers?: readonly FieldLine[];
}

/** A validated response header section (RFC 9114 §4.3.2): the status and the regular fields in order. */
export interface H3ClientResponse {
  readonly status: number;
  readonly headers: readonly FieldLine[];
  /** Parsed content-length when present (§4.1.2). */
  readonly contentLength?: number;
}

/** What the client engine tells the application, per request stream or for the connection. */
export type H3ClientEvent =
  /** The server's SETTINGS arrived (RFC 9114 §7.2.4). */
  | { readonly kind: 'settings'; readonly settings: H3Settings }
  /** An interim (1xx) response (RFC 9114 §4.1); the final one follows. */
  | { readonly kind: 'interim'; readonly streamId: number; readonly status: number; readonly headers: readonly FieldLine[] }
  /** The final response header section. */
  | { readonly kind: 'response'; readonly streamId: number; readonly response: H3ClientResponse }
  /** Response body bytes (DATA payloads, RFC 9114 §7.2.1), in order. */
  | { readonly kind: 'data'; readonly streamId: number; readonly bytes: Uint8Array }
  | { readonly kind: 'trailers'; readonly streamId: number; readonly fields: readonly FieldLine[] }
  /** The response is complete (the stream ended cleanly after it). */
  | { readonly kind: 'end'; readonly streamId: number }
  /**
   * The response was malformed (RFC 9114 §4.1.2) and the stream was failed alone with `code`
   * (STOP_SENDING, and RESET_STREAM while the request was still being sent).
   */
  | { readonly kind: 'stream-error'; readonly streamId: number; readonly code: number; readonly message: string }
  /** The server reset the response (RESET_STREAM, RFC 9114 §4.1.1), e.g. H3_REQUEST_REJECTED or H3_INTERNAL_ERROR. */
  | { readonly kind: 'reset'; readonly streamId: number; readonly code: number }
  /** The server asked us to stop sending the request body (STOP_SENDING); the response may still come (§4.1). */
  | { readonly kind: 'stop-sending'; readonly streamId: number; readonly code: number }
  /** The server's GOAWAY (RFC 9114 §5.2): requests at or above `id` are not processed. */
  | { readonly kind: 'goaway'; readonly id: number }
  /** A request at or above a GOAWAY id: the server did not process it (§5.2); it may be retried elsewhere. */
  | { readonly kind: 'rejected'; readonly streamId: number; readonly goawayId: number }
  /** The connection failed (the engine queued a `close` action with the error's code). */
  | { readonly kind: 'connection-error'; readonly error: H3Error };

/** Events of an HTTP/3 client joined to a QUIC connection (H3QuicClient): the engine's and the transport's. */
export type H3QuicClientEvent =
  | H3ClientEvent
  /** The handshake completed and the control and QPACK streams are open: requests may be sent. */
  | { readonly kind: 'ready' }
  /** More request streams may be opened (the server raised MAX_STREAMS, RFC 9000 §19.11). */
  | { readonly kind: 'streams-available' }
  /** The QUIC connection is closing or closed (RFC 9000 §10). */
  | { readonly kind: 'closed'; readonly reason: CloseReason };
