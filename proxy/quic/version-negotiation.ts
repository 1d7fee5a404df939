/**
 * Server side of version negotiation (RFC 9000 §6, §17.2.1; version-independent layout of RFC 8999
 * §5.1 and §6). A client datagram whose first packet has a long header and a version this server
 * does not speak is answered with a Version Negotiation packet listing the versions it does (QUIC
 * v1, plus a reserved "greasing" version of the form 0x?a?a?a?a, §15, so that clients do not come to
 * depend on the list's exact contents), with the client's connection ids swapped (§17.2.1).
 *
 * Rules (§5.2.2, §6.1, §14.1): only datagrams of at least 1200 bytes are answered (smaller ones
 * would make the server an amplifier; they are dropped); a Version Negotiation packet (version 0)
 * is never answered (§6.1: "MUST NOT send a Version Negotiation packet in response to a Version
 * Negotiation packet"); connection ids may be up to 255 bytes in other versions (RFC 8999 §5.1).
 */
import { randomBytes } from 'node:crypto';
import { buildVersionNegotiation } from './header.ts';
import { QUIC_V1 } from './packet.types.ts';

/** Versions this server speaks (RFC 9000 §15). */
export const SUPPORTED_VERSIONS: readonly number[] = [QUIC_V1];

/** Smallest datagram a server answers with Version Negotiation (RFC 9000 §5.2.2, §14.1). */
export const MIN_VN_TRIGGER = 1200;

/** Whether `v` is a reserved version used to exercise version negotiation (RFC 9000 §15: 0x?a?a?a?a). */
export function isGreaseVersion(v: number): boolean {
  return ((v >>> 0) & 0x0f0f0f0f) === 0x0a0a0a0a;
}

/** A random reserved version (RFC 9000 §15), from 4 random bytes. */
export function greaseVersion(random: Uint8Array = randomBytes(4)): number {
  return (((random[0] << 24) | (random[1] << 16) | (random[2] << 8) | random[3]) & 0xf0f0f0f0 | 0x0a0a0a0a) >>> 0;
}

/** The version field of a long-header datagram, or null for a short header or a truncated one. */
export function longHeaderVersion(datagram: Uint8Array): number | null {
  if (datagram.length < 5 || (datagram[0] & 0x80) === 0) return null;
  return ((datagram[1] << 24) | (datagram[2] << 16) | (datagram[3] << 8) | datagram[4]) >>> 0;
}

/** Why a datagram of an unsupported version gets no Version Negotiation. */
export type VnSilence = 'supported' | 'short-header' | 'is-version-negotiation' | 'too-small';

/** What to do with a datagram as far as versions go. */
export type VnDecision = { readonly kind: 'answer'; readonly packet: Uint8Array; readonly version: number } | { readonly kind: 'silent'; readonly why: VnSilence };

/**
 * Decides whether `datagram` must be answered with Version Negotiation and builds the answer
 * (RFC 9000 §6.1): `supported` for versions this server speaks (the datagram goes on to the
 * dispatcher), otherwise an answer or a reason to drop silently. `greasing` adds a reserved version
 * to the list (default on; tests pass false to pin the bytes).
 */
export function versionNegotiation(datagram: Uint8Array, greasing = true): VnDecision {
  const version = longHeaderVersion(datagram);
  if (version === null) return { kind: 'silent', why: 'short-header' };
  if (SUPPORTED_VERSIONS.includes(version)) return { kind: 'silent', why: 'supported' };
  if (version === 0) return { kind: 'silent', why: 'is-version-negotiation' };
  if (datagram.length < MIN_VN_TRIGGER) return { kind: 'silent', why: 'too-small' };
  // RFC 8999 §5.1: DCID Len (8) + DCID (0..2040) + SCID Len (8) + SCID (0..2040): at most 517 bytes, within the 1200.
  const dl = datagram[5];
  const dcid = datagram.subarray(6, 6 + dl);
  const sl = datagram[6 + dl];
  const scid = datagram.subarray(7 + dl, 7 + dl + sl);
  const versions = greasing ? [...SUPPORTED_VERSIONS, greaseVersion()] : [...SUPPORTED_VERSIONS];
  // §17.2.1: the DCID echoes the client's SCID and the SCID its DCID; unused bits random, 0x40 set.
  const unused = 0x40 | (randomBytes(1)[0] & 0x3f);
  return { kind: 'answer', packet: buildVersionNegotiation(scid, dcid, versions, unused), version };
}
