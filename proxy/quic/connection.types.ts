/**
 * Types of the sans-IO QUIC v1 connection engine (proxy/quic/connection.ts): the network path a
 * datagram travels, the datagrams it gives back, the events it reports and why a connection ended.
 * Shared with drivers, the HTTP/3 layer, `diag/` and `cli/`. No engine logic here.
 */
import type { HandshakeSummary } from '../tls13/handshake.types.ts';

/** The 4-tuple of a datagram as the driver sees it, addresses as "host:port" strings. */
export interface QuicPath {
  readonly local: string;
  readonly remote: string;
}

/** A datagram to send: the UDP payload and the path (the driver sends from `path.local` to `path.remote`). */
export interface OutgoingDatagram {
  readonly data: Uint8Array;
  readonly path: QuicPath;
}

/** Connection states (RFC 9000 §10, §10.2). `closed` means the engine can be dropped. */
export type ConnectionState = 'handshake' | 'established' | 'closing' | 'draining' | 'closed';

/**
 * Why the connection ended: `local` (this endpoint sent CONNECTION_CLOSE, because the application
 * asked or because it found an error), `peer` (it received one), `idle` (idle timeout, RFC 9000
 * §10.1: no frame is sent). `app` tells an application error code (0x1d) from a transport one
 * (0x1c); `frameType` is the frame that triggered a transport error (0 when none or unknown).
 */
export interface CloseReason {
  readonly by: 'local' | 'peer' | 'idle';
  readonly app: boolean;
  readonly errorCode: number;
  readonly frameType: number;
  readonly reason: string;
}

/** What the engine reports; drained with `QuicConnection.pollEvents()`. */
export type ConnectionEvent =
  /** The TLS handshake completed (RFC 9001 §4.1.1); streams may be opened. */
  | { readonly kind: 'handshake-done'; readonly summary: HandshakeSummary }
  /** The peer opened stream `streamId` (RFC 9000 §3.2: including lower ids of its type not seen yet). */
  | { readonly kind: 'stream-opened'; readonly streamId: number }
  /** In-order bytes of a stream (RFC 9000 §2.2); `fin` when they end at the final size (possibly with no bytes). */
  | { readonly kind: 'stream-data'; readonly streamId: number; readonly data: Uint8Array; readonly fin: boolean }
  /** The peer reset its sending part (RESET_STREAM, RFC 9000 §19.4); no more data comes. */
  | { readonly kind: 'stream-reset'; readonly streamId: number; readonly errorCode: number; readonly finalSize: number }
  /** The peer asked to stop sending (STOP_SENDING, §19.5); the engine has reset the stream with the same code. */
  | { readonly kind: 'stop-sending'; readonly streamId: number; readonly errorCode: number }
  /** Everything sent on the stream was acknowledged, or its reset was (RFC 9000 §3.1 Data Recvd / Reset Recvd). */
  | { readonly kind: 'stream-sent'; readonly streamId: number; readonly reset: boolean }
  /** More streams of the type may be opened (MAX_STREAMS raised, §19.11). */
  | { readonly kind: 'streams-available'; readonly bidi: boolean }
  /** The connection entered closing, draining or closed (idle) state (RFC 9000 §10). */
  | { readonly kind: 'closed'; readonly reason: CloseReason };

/** Counters for `show quic` and tests. */
export interface ConnectionStats {
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  /** Datagrams or packets dropped without processing (bad header, unknown CID, failed decryption, duplicates). */
  dropped: number;
  packetsLost: number;
  ptoCount: number;
}
