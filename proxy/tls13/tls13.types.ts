/**
 * Types and code points of the TLS 1.3 handshake that QUIC carries in CRYPTO frames (RFC 8446,
 * RFC 9001 section 4). No engine logic here: the QUIC transport, `diag/` and `cli/` import these to
 * name alerts, groups, suites and messages.
 */

/** HandshakeType (RFC 8446 section 4). `message_hash` is the synthetic type of section 4.4.1. */
export const HANDSHAKE_TYPE = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

/** A handshake message type name. */
export type HandshakeTypeName = keyof typeof HANDSHAKE_TYPE;

/** ExtensionType values this stack knows (RFC 8446 section 4.2, RFC 7301, RFC 8449, RFC 9001 section 8.2). */
export const EXTENSION_TYPE = {
  server_name: 0,
  supported_groups: 10,
  signature_algorithms: 13,
  application_layer_protocol_negotiation: 16,
  record_size_limit: 28,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  signature_algorithms_cert: 50,
  key_share: 51,
  quic_transport_parameters: 57,
} as const;

/** An extension name this stack knows. */
export type ExtensionName = keyof typeof EXTENSION_TYPE;

/**
 * NamedGroup values for key exchange (RFC 8446 section 4.2.7; X25519MLKEM768 from
 * draft-ietf-tls-ecdhe-mlkem section 4.1).
 */
export const NAMED_GROUP = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  X25519MLKEM768: 0x11ec,
} as const;

/** A named group this stack can run (see key-share.ts). */
export type SupportedGroupName = 'x25519' | 'secp256r1' | 'X25519MLKEM768';

/** Cipher suites of TLS 1.3 that QUIC allows (RFC 8446 appendix B.4; RFC 9001 section 5.3). */
export const CIPHER_SUITE = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;

/** A cipher suite name of CIPHER_SUITE. */
export type CipherSuiteName = keyof typeof CIPHER_SUITE;

/** SignatureScheme values (RFC 8446 section 4.2.3). */
export const SIGNATURE_SCHEME = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const;

/** The TLS 1.3 version code in supported_versions (RFC 8446 section 4.2.1). */
export const TLS13_VERSION = 0x0304;

/** legacy_version of ClientHello/ServerHello in TLS 1.3 (RFC 8446 section 4.1.2). */
export const TLS12_LEGACY_VERSION = 0x0303;

/** PskKeyExchangeMode (RFC 8446 section 4.2.9). */
export const PSK_MODE = { psk_ke: 0, psk_dhe_ke: 1 } as const;

/** AlertDescription values (RFC 8446 section 6; no_application_protocol from RFC 7301 section 3.2). */
export const ALERT = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

/** An alert name of ALERT. */
export type AlertName = keyof typeof ALERT;

/**
 * Why a handshake stops: the alert to send, what was wrong, and where. `offset` counts from the start
 * of the handshake message being decoded (its 4-byte header included), or from the start of the
 * CRYPTO stream of the encryption level for the framer. In QUIC the alert is not sent in a record:
 * it becomes the CONNECTION_CLOSE error code `cryptoErrorCode(alert)` (RFC 9001 section 4.8).
 */
export interface TlsAlert {
  readonly alert: AlertName;
  /** A sentence naming the field and the problem, for traces and `show quic`. */
  readonly message: string;
  readonly offset: number;
}

/** Outcome of a decoder or of a check: the value, or the alert that ends the handshake. */
export type TlsResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TlsAlert };

/** An extension as it is on the wire: its type code and its extension_data (RFC 8446 section 4.2). */
export interface RawExtension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** One KeyShareEntry (RFC 8446 section 4.2.8). */
export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

/** A Certificate entry: one DER certificate and its extensions (RFC 8446 section 4.4.2). */
export interface CertificateEntry {
  readonly certData: Uint8Array;
  readonly extensions: readonly RawExtension[];
}

/**
 * The extensions of a ClientHello that this stack interprets (RFC 8446 section 4.2); absent ones are
 * undefined. `raw` keeps every extension in wire order, known or not, so that re-encoding gives back
 * the same bytes.
 */
export interface ClientHelloExtensions {
  readonly serverName?: string;
  readonly supportedGroups?: readonly number[];
  readonly signatureAlgorithms?: readonly number[];
  readonly signatureAlgorithmsCert?: readonly number[];
  readonly alpn?: readonly string[];
  readonly supportedVersions?: readonly number[];
  readonly keyShares?: readonly KeyShareEntry[];
  readonly pskKeyExchangeModes?: readonly number[];
  readonly cookie?: Uint8Array;
  readonly earlyData?: boolean;
  /** Present when the client offers a PSK; kept opaque (resumption is not implemented). */
  readonly preSharedKey?: Uint8Array;
  /** quic_transport_parameters, opaque here (decoded by the QUIC transport, RFC 9000 section 18). */
  readonly quicTransportParameters?: Uint8Array;
}

/** A decoded ClientHello (RFC 8446 section 4.1.2). */
export interface ClientHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly legacyCompressionMethods: Uint8Array;
  readonly extensions: readonly RawExtension[];
  readonly ext: ClientHelloExtensions;
}

/** The extensions of a ServerHello or HelloRetryRequest that this stack interprets (RFC 8446 section 4.1.3/4.1.4). */
export interface ServerHelloExtensions {
  readonly supportedVersion?: number;
  /** ServerHello: the server's share. */
  readonly keyShare?: KeyShareEntry;
  /** HelloRetryRequest: the group the client must use. */
  readonly selectedGroup?: number;
  readonly cookie?: Uint8Array;
  /** Selected PSK identity index (pre_shared_key in ServerHello). */
  readonly selectedIdentity?: number;
}

/** A decoded ServerHello or HelloRetryRequest (RFC 8446 section 4.1.3, 4.1.4). */
export interface ServerHello {
  /** `hello_retry_request` when random is HELLO_RETRY_REQUEST_RANDOM. */
  readonly kind: 'server_hello' | 'hello_retry_request';
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionIdEcho: Uint8Array;
  readonly cipherSuite: number;
  readonly legacyCompressionMethod: number;
  readonly extensions: readonly RawExtension[];
  readonly ext: ServerHelloExtensions;
}

/** The extensions of EncryptedExtensions this stack interprets (RFC 8446 section 4.3.1). */
export interface EncryptedExtensionsExt {
  /** The server acknowledges server_name (empty extension_data, RFC 6066 section 3). */
  readonly serverNameAck?: boolean;
  readonly supportedGroups?: readonly number[];
  /** The one protocol the server selected (RFC 7301 section 3.1). */
  readonly alpn?: string;
  readonly earlyData?: boolean;
  readonly quicTransportParameters?: Uint8Array;
}

/** A decoded EncryptedExtensions message. */
export interface EncryptedExtensions {
  readonly extensions: readonly RawExtension[];
  readonly ext: EncryptedExtensionsExt;
}

/** A decoded Certificate message (RFC 8446 section 4.4.2). */
export interface Certificate {
  readonly requestContext: Uint8Array;
  readonly entries: readonly CertificateEntry[];
}

/** A decoded CertificateVerify message (RFC 8446 section 4.4.3). */
export interface CertificateVerify {
  readonly scheme: number;
  readonly signature: Uint8Array;
}

/** A decoded Finished message (RFC 8446 section 4.4.4). */
export interface Finished {
  readonly verifyData: Uint8Array;
}

/** One complete handshake message cut by the framer: type, body, and the whole message (header included). */
export interface HandshakeMessage {
  readonly type: number;
  readonly body: Uint8Array;
  /** Header and body: what goes into the transcript hash. */
  readonly raw: Uint8Array;
  /** Offset of the message's first byte in the stream fed to the framer. */
  readonly offset: number;
}
