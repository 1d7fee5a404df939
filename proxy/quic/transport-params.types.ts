/**
 * QUIC v1 transport parameters (RFC 9000 §18) as data, shared by the codec
 * (proxy/quic/transport-params.ts), the TLS handshake (quic_transport_parameters extension,
 * RFC 9001 §8.2), the connection engine and readers in diag/ and cli/. No engine logic here.
 */

/** Transport parameter ids (RFC 9000 §18.2). */
export const TRANSPORT_PARAM_ID = {
  original_destination_connection_id: 0x00,
  max_idle_timeout: 0x01,
  stateless_reset_token: 0x02,
  max_udp_payload_size: 0x03,
  initial_max_data: 0x04,
  initial_max_stream_data_bidi_local: 0x05,
  initial_max_stream_data_bidi_remote: 0x06,
  initial_max_stream_data_uni: 0x07,
  initial_max_streams_bidi: 0x08,
  initial_max_streams_uni: 0x09,
  ack_delay_exponent: 0x0a,
  max_ack_delay: 0x0b,
  disable_active_migration: 0x0c,
  preferred_address: 0x0d,
  active_connection_id_limit: 0x0e,
  initial_source_connection_id: 0x0f,
  retry_source_connection_id: 0x10,
} as const;

/** The server's preferred address (RFC 9000 §18.2, Figure 22). An all-zero address or port means "none of that family". */
export interface PreferredAddress {
  readonly ipv4Address: Uint8Array;
  readonly ipv4Port: number;
  readonly ipv6Address: Uint8Array;
  readonly ipv6Port: number;
  readonly connectionId: Uint8Array;
  readonly statelessResetToken: Uint8Array;
}

/** A parameter this implementation does not know (including reserved ids 31*N+27, §18.1), kept for diagnostics. */
export interface UnknownTransportParameter {
  readonly id: bigint;
  readonly value: Uint8Array;
}

/**
 * Transport parameters with the RFC's defaults for absent integers (§18.2): durations in
 * milliseconds, sizes in bytes. Optional fields are absent when not sent.
 */
export interface TransportParameters {
  readonly originalDestinationConnectionId?: Uint8Array;
  /** 0 = no idle timeout. */
  readonly maxIdleTimeout: number;
  readonly statelessResetToken?: Uint8Array;
  /** >= 1200, default 65527. */
  readonly maxUdpPayloadSize: number;
  readonly initialMaxData: number;
  readonly initialMaxStreamDataBidiLocal: number;
  readonly initialMaxStreamDataBidiRemote: number;
  readonly initialMaxStreamDataUni: number;
  /** <= 2^60. */
  readonly initialMaxStreamsBidi: number;
  /** <= 2^60. */
  readonly initialMaxStreamsUni: number;
  /** <= 20, default 3. */
  readonly ackDelayExponent: number;
  /** < 2^14 ms, default 25. */
  readonly maxAckDelay: number;
  readonly disableActiveMigration: boolean;
  readonly preferredAddress?: PreferredAddress;
  /** >= 2, default 2. */
  readonly activeConnectionIdLimit: number;
  readonly initialSourceConnectionId?: Uint8Array;
  readonly retrySourceConnectionId?: Uint8Array;
  /** Unknown and reserved parameters received, in order (ignored by the protocol, §7.4.2). */
  readonly unknown: readonly UnknownTransportParameter[];
}

/** Defaults of every integer and flag parameter (RFC 9000 §18.2). */
export const TRANSPORT_PARAM_DEFAULTS: TransportParameters = {
  maxIdleTimeout: 0,
  maxUdpPayloadSize: 65527,
  initialMaxData: 0,
  initialMaxStreamDataBidiLocal: 0,
  initialMaxStreamDataBidiRemote: 0,
  initialMaxStreamDataUni: 0,
  initialMaxStreamsBidi: 0,
  initialMaxStreamsUni: 0,
  ackDelayExponent: 3,
  maxAckDelay: 25,
  disableActiveMigration: false,
  activeConnectionIdLimit: 2,
  unknown: [],
};
