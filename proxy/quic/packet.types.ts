/**
 * Types and wire constants of QUIC v1 packet headers (RFC 9000 §17), shared by the header codec
 * (proxy/quic/header.ts), packet protection (proxy/quic/protection.ts) and readers in diag/ and
 * cli/. No engine logic here.
 */

/** QUIC version 1 (RFC 9000 §15). */
export const QUIC_V1 = 0x00000001;

/** Largest connection id length in QUIC v1 long headers (RFC 9000 §17.2). */
export const MAX_CID_LENGTH = 20;

/** Length of the Retry Integrity Tag (RFC 9001 §5.8). */
export const RETRY_INTEGRITY_TAG_LENGTH = 16;

/** Long Packet Type bits 0x30 of the first byte, by name (RFC 9000 §17.2, Table 5). */
export const LONG_PACKET_TYPE = {
  initial: 0x0,
  '0rtt': 0x1,
  handshake: 0x2,
  retry: 0x3,
} as const;

/** Name of a long header packet type. */
export type LongPacketType = keyof typeof LONG_PACKET_TYPE;

/** Packet types that carry frames (RFC 9000 §12.4, "Pkts" column): I, 0, H, 1. */
export type FramePacketType = 'initial' | '0rtt' | 'handshake' | '1rtt';

/**
 * An Initial, 0-RTT or Handshake packet of QUIC v1 (RFC 9000 §17.2.2-17.2.4) with its header
 * still protected: the packet number and the low bits of the first byte are known only after
 * header protection is removed. Offsets are absolute in the datagram.
 */
export interface LongHeaderPacket {
  readonly form: 'long';
  readonly type: 'initial' | '0rtt' | 'handshake';
  readonly version: number;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  /** Token of an Initial packet (§17.2.2); empty for the other types. */
  readonly token: Uint8Array;
  /** Where the packet starts in the datagram. */
  readonly offset: number;
  /** Where the (protected) Packet Number field starts. */
  readonly pnOffset: number;
  /** Where the packet ends (pnOffset + Length field). */
  readonly end: number;
}

/** A 1-RTT packet (RFC 9000 §17.3.1), header still protected; it runs to the end of the datagram. */
export interface ShortHeaderPacket {
  readonly form: 'short';
  readonly dcid: Uint8Array;
  /** The Spin Bit (0x20), which header protection leaves clear (§17.4). */
  readonly spin: boolean;
  readonly offset: number;
  readonly pnOffset: number;
  readonly end: number;
}

/** A Retry packet (RFC 9000 §17.2.5); the integrity tag is checked by proxy/quic/retry.ts. */
export interface RetryPacket {
  readonly form: 'retry';
  readonly version: number;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  readonly token: Uint8Array;
  readonly integrityTag: Uint8Array;
  readonly offset: number;
  readonly end: number;
}

/** A Version Negotiation packet (RFC 9000 §17.2.1). */
export interface VersionNegotiationPacket {
  readonly form: 'version-negotiation';
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  readonly versions: readonly number[];
  readonly offset: number;
  readonly end: number;
}

/**
 * A long header packet of a version other than 1 and 0: only the version-independent fields
 * (RFC 8999 §5.1) are read, connection ids up to 255 bytes, so that a server can answer with
 * Version Negotiation (RFC 9000 §6.1). It runs to the end of the datagram.
 */
export interface UnsupportedVersionPacket {
  readonly form: 'unsupported-version';
  readonly version: number;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  readonly offset: number;
  readonly end: number;
}

/** Any packet found in a datagram. */
export type ParsedPacket =
  | LongHeaderPacket
  | ShortHeaderPacket
  | RetryPacket
  | VersionNegotiationPacket
  | UnsupportedVersionPacket;

/** Why a header could not be read; every one means "drop the packet" (RFC 9000 §5.2, §12.2). */
export type HeaderErrorCode =
  | 'truncated'
  | 'fixed-bit-clear'
  | 'cid-too-long'
  | 'length-exceeds-datagram'
  | 'length-too-short'
  | 'retry-empty-token'
  | 'version-list-malformed'
  | 'dcid-mismatch';

/** A header error: what, where (absolute offset in the datagram) and a sentence for logs. */
export interface HeaderError {
  readonly code: HeaderErrorCode;
  readonly offset: number;
  readonly message: string;
}

/** Outcome of reading one packet header. */
export type HeaderParse = { readonly ok: true; readonly packet: ParsedPacket } | { readonly ok: false; readonly error: HeaderError };
