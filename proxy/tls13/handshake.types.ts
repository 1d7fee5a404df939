/**
 * What the sans-IO TLS 1.3 handshake engines for QUIC (server.ts, client.ts) give back (RFC 9001
 * section 4.1): bytes to send at an encryption level, secrets to install for packet protection, the
 * peer's transport parameters, completion, and the error that ends the handshake. No engine logic:
 * the QUIC transport, `diag/` and `cli/` import these.
 */
import type { CipherSuiteName, TlsAlert } from './tls13.types.ts';

/**
 * The encryption levels TLS uses over QUIC (RFC 9001 section 4.1.4): Initial carries
 * ClientHello/ServerHello/HelloRetryRequest, Handshake carries EncryptedExtensions..Finished,
 * application (1-RTT) carries post-handshake messages. 0-RTT is not offered.
 */
export type EncryptionLevel = 'initial' | 'handshake' | 'application';

/** Which way a secret protects packets: `read` opens what the peer sends, `write` protects ours. */
export type KeyDirection = 'read' | 'write';

/**
 * One output of an engine, in the order the QUIC layer must act on it (RFC 9001 section 4.1.4: keys
 * for a level are installed before bytes of that level are sent or read).
 */
export type HandshakeEvent =
  /** Handshake bytes to carry in CRYPTO frames at `level` (RFC 9001 section 4.1.3). */
  | { readonly kind: 'send'; readonly level: EncryptionLevel; readonly bytes: Uint8Array }
  /**
   * A traffic secret for packet protection of `level` in `direction` (RFC 9001 section 5.1 derives
   * the QUIC key, IV and header-protection key from it). Secrets must never be logged.
   */
  | {
      readonly kind: 'install-keys';
      readonly level: 'handshake' | 'application';
      readonly direction: KeyDirection;
      readonly suite: CipherSuiteName;
      readonly secret: Uint8Array;
    }
  /** The peer's quic_transport_parameters, opaque (decoded by the transport, RFC 9000 section 18). */
  | { readonly kind: 'transport-parameters'; readonly params: Uint8Array }
  /** The handshake is complete for this endpoint (RFC 9001 section 4.1.1). */
  | { readonly kind: 'complete'; readonly summary: HandshakeSummary }
  /** The handshake failed; the engine does nothing more (RFC 9001 section 4.8). */
  | { readonly kind: 'error'; readonly error: HandshakeError };

/** What was negotiated, for traces, `show quic` and the HTTP/3 layer. */
export interface HandshakeSummary {
  readonly suite: CipherSuiteName;
  /** Named group of the key exchange, e.g. `x25519`. */
  readonly group: string;
  /** The ALPN protocol selected, or undefined when none was negotiated (only outside QUIC). */
  readonly alpn: string | undefined;
  /** server_name the client sent (server side) or asked for (client side). */
  readonly serverName: string | undefined;
  /** True when a HelloRetryRequest was exchanged. */
  readonly retried: boolean;
  /** SignatureScheme of the server's CertificateVerify. */
  readonly signatureScheme: number;
}

/**
 * A handshake failure: the TLS alert, and the QUIC transport error code the CONNECTION_CLOSE carries.
 * That is CRYPTO_ERROR 0x100 + alert (RFC 9001 section 4.8) except where RFC 9001 names a transport
 * error instead: a non-empty legacy_session_id is PROTOCOL_VIOLATION 0x0a (section 8.4).
 */
export interface HandshakeError {
  readonly alert: TlsAlert;
  readonly quicErrorCode: number;
  /** The level whose bytes caused the failure, when bytes caused it. */
  readonly level?: EncryptionLevel;
}
