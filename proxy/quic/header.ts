/**
 * QUIC v1 packet headers (RFC 9000 §17): reading the protected headers of every packet form,
 * iterating coalesced packets in one datagram (§12.2), and writing unprotected long and short
 * headers and Version Negotiation packets. Header protection itself is proxy/quic/protection.ts;
 * Retry packets (with their integrity tag) are built by proxy/quic/retry.ts.
 *
 * Readers never throw on hostile bytes: they return a `HeaderError` naming the problem and the
 * absolute offset in the datagram.
 */
import {
  LONG_PACKET_TYPE,
  MAX_CID_LENGTH,
  QUIC_V1,
  RETRY_INTEGRITY_TAG_LENGTH,
  type HeaderError,
  type HeaderErrorCode,
  type HeaderParse,
  type LongPacketType,
  type ParsedPacket,
} from './packet.types.ts';
import { ByteReader } from './reader.ts';
import { varintLength, writeVarint } from './varint.ts';

const LONG_TYPES: readonly ('initial' | '0rtt' | 'handshake' | 'retry')[] = ['initial', '0rtt', 'handshake', 'retry'];

function fail(code: HeaderErrorCode, offset: number, message: string): HeaderParse {
  return { ok: false, error: { code, offset, message } };
}

/**
 * Reads the packet starting at `datagram[offset]`. `shortDcidLength` is the length of the
 * connection ids this endpoint issues, needed to read a short header (§17.3: the length is not
 * on the wire). Long headers of v1 refuse connection ids over 20 bytes (§17.2); other versions are
 * read with the invariants only (connection ids up to 255 bytes).
 */
export function parsePacketHeader(datagram: Uint8Array, offset: number, shortDcidLength: number): HeaderParse {
  const r = new ByteReader(datagram, offset);
  const first = r.u8();
  if (first < 0) return fail('truncated', offset, 'empty datagram: no packet header');
  if ((first & 0x80) === 0) {
    if ((first & 0x40) === 0) return fail('fixed-bit-clear', offset, `short header at ${offset}: fixed bit 0x40 is 0, not a QUIC v1 packet`);
    const dcid = r.bytes(shortDcidLength);
    if (!dcid) return fail('truncated', offset + 1, `short header at ${offset}: datagram ends inside the ${shortDcidLength}-byte destination connection id`);
    if (r.remaining < 1) return fail('truncated', r.pos, `short header at ${offset}: no packet number`);
    return { ok: true, packet: { form: 'short', dcid, spin: (first & 0x20) !== 0, offset, pnOffset: r.pos, end: datagram.length } };
  }
  const version = r.u32();
  if (version < 0) return fail('truncated', offset + 1, `long header at ${offset}: datagram ends inside the version`);
  const maxCid = version === QUIC_V1 ? MAX_CID_LENGTH : 255;
  const cids: Uint8Array[] = [];
  for (const which of ['destination', 'source']) {
    const at = r.pos;
    const len = r.u8();
    if (len < 0) return fail('truncated', at, `long header at ${offset}: datagram ends before the ${which} connection id length`);
    if (len > maxCid) return fail('cid-too-long', at, `long header at ${offset}: ${which} connection id of ${len} bytes, QUIC v1 allows at most ${MAX_CID_LENGTH}`);
    const cid = r.bytes(len);
    if (!cid) return fail('truncated', at + 1, `long header at ${offset}: datagram ends inside the ${len}-byte ${which} connection id`);
    cids.push(cid);
  }
  const [dcid, scid] = cids;
  if (version === 0) return parseVersionList(r, offset, dcid, scid);
  if (version !== QUIC_V1) return { ok: true, packet: { form: 'unsupported-version', version, dcid, scid, offset, end: datagram.length } };
  if ((first & 0x40) === 0) return fail('fixed-bit-clear', offset, `long header at ${offset}: fixed bit 0x40 is 0, packet must be dropped (RFC 9000 §17.2)`);
  const type = LONG_TYPES[(first & 0x30) >> 4];
  if (type === 'retry') return parseRetry(r, offset, version, dcid, scid);
  let token: Uint8Array = new Uint8Array(0);
  if (type === 'initial') {
    const at = r.pos;
    const tokenLength = r.varint();
    if (tokenLength < 0) return fail('truncated', at, `Initial at ${offset}: datagram ends inside the token length`);
    const t = r.bytes(tokenLength);
    if (!t) return fail('truncated', r.pos, `Initial at ${offset}: token of ${tokenLength} bytes runs past the datagram (${r.remaining} left)`);
    token = t;
  }
  const lengthAt = r.pos;
  const length = r.varint();
  if (length < 0) return fail('truncated', lengthAt, `${type} packet at ${offset}: datagram ends inside the Length field`);
  if (length > r.remaining) {
    return fail('length-exceeds-datagram', lengthAt, `${type} packet at ${offset}: Length ${length} exceeds the ${r.remaining} bytes left in the datagram`);
  }
  if (length < 1) return fail('length-too-short', lengthAt, `${type} packet at ${offset}: Length ${length} leaves no room for a packet number`);
  return { ok: true, packet: { form: 'long', type, version, dcid, scid, token, offset, pnOffset: r.pos, end: r.pos + length } };
}

function parseVersionList(r: ByteReader, offset: number, dcid: Uint8Array, scid: Uint8Array): HeaderParse {
  if (r.remaining === 0 || r.remaining % 4 !== 0) {
    return fail('version-list-malformed', r.pos, `Version Negotiation at ${offset}: ${r.remaining} bytes of supported versions, expected a non-empty multiple of 4`);
  }
  const versions: number[] = [];
  while (r.remaining > 0) versions.push(r.u32());
  return { ok: true, packet: { form: 'version-negotiation', dcid, scid, versions, offset, end: r.end } };
}

function parseRetry(r: ByteReader, offset: number, version: number, dcid: Uint8Array, scid: Uint8Array): HeaderParse {
  const tokenLength = r.remaining - RETRY_INTEGRITY_TAG_LENGTH;
  if (tokenLength < 0) return fail('truncated', r.pos, `Retry at ${offset}: ${r.remaining} bytes left, less than the 16-byte integrity tag`);
  if (tokenLength === 0) return fail('retry-empty-token', r.pos, `Retry at ${offset}: empty Retry Token, must be discarded (RFC 9000 §17.2.5.2)`);
  const token = r.bytes(tokenLength)!;
  const integrityTag = r.bytes(RETRY_INTEGRITY_TAG_LENGTH)!;
  return { ok: true, packet: { form: 'retry', version, dcid, scid, token, integrityTag, offset, end: r.end } };
}

/** Packets of one datagram (RFC 9000 §12.2) and why iteration stopped, if it did early. */
export interface DatagramPackets {
  readonly packets: ParsedPacket[];
  /** Packets skipped because their destination connection id differs from the first one's (§12.2). */
  readonly ignored: HeaderError[];
  /** The header that could not be read; the bytes from its offset on are unusable. */
  readonly error?: HeaderError;
}

/**
 * Splits a datagram into its coalesced packets (RFC 9000 §12.2). Long headers with a Length field
 * are followed by the next packet; a short header, Retry, Version Negotiation or unsupported
 * version runs to the end. Packets whose destination connection id differs from the first
 * packet's are ignored, as §12.2 recommends, and listed in `ignored`.
 */
export function splitDatagram(datagram: Uint8Array, shortDcidLength: number): DatagramPackets {
  const packets: ParsedPacket[] = [];
  const ignored: HeaderError[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const h = parsePacketHeader(datagram, offset, shortDcidLength);
    if (!h.ok) return { packets, ignored, error: h.error };
    const p = h.packet;
    if (packets.length > 0 && !sameBytes(p.dcid, packets[0].dcid)) {
      ignored.push({ code: 'dcid-mismatch', offset, message: `coalesced packet at ${offset}: destination connection id differs from the first packet's, ignored (RFC 9000 §12.2)` });
    } else {
      packets.push(p);
    }
    offset = p.end;
  }
  return { packets, ignored };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Fields of an unprotected long header (RFC 9000 §17.2) ending with its packet number. */
export interface LongHeaderFields {
  readonly type: 'initial' | '0rtt' | 'handshake';
  readonly version?: number;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  /** Initial packets only (§17.2.2); default empty. */
  readonly token?: Uint8Array;
  /** The truncated packet number (see packet-number.ts) and its encoded length. */
  readonly truncatedPn: number;
  readonly pnLength: 1 | 2 | 3 | 4;
  /** Bytes after the packet number: frames plus the AEAD tag. The Length field is pnLength + this. */
  readonly payloadLength: number;
  /** Encoded size of the Length field (default: shortest). Fixing it lets a sender size a packet before filling it. */
  readonly lengthFieldSize?: 1 | 2 | 4 | 8;
}

/**
 * Writes an unprotected long header: first byte (fixed bit set, reserved bits 0, packet number
 * length), version, connection ids, token (Initial), Length, packet number. Throws RangeError on
 * a connection id over 20 bytes or a token on a non-Initial packet (caller errors).
 */
export function writeLongHeader(h: LongHeaderFields): Uint8Array {
  if (h.dcid.length > MAX_CID_LENGTH || h.scid.length > MAX_CID_LENGTH) throw new RangeError('long header: connection id over 20 bytes');
  const token = h.token ?? new Uint8Array(0);
  if (token.length > 0 && h.type !== 'initial') throw new RangeError(`long header: ${h.type} packets carry no token`);
  const length = h.pnLength + h.payloadLength;
  const lenSize = h.lengthFieldSize ?? varintLength(length);
  const tokenPart = h.type === 'initial' ? varintLength(token.length) + token.length : 0;
  const out = new Uint8Array(1 + 4 + 1 + h.dcid.length + 1 + h.scid.length + tokenPart + lenSize + h.pnLength);
  out[0] = 0xc0 | (LONG_PACKET_TYPE[h.type as LongPacketType] << 4) | (h.pnLength - 1);
  let p = writeLongHeaderIds(out, h.version ?? QUIC_V1, h.dcid, h.scid);
  if (h.type === 'initial') {
    p = writeVarint(out, p, token.length);
    out.set(token, p);
    p += token.length;
  }
  p = writeVarint(out, p, length, lenSize);
  writePacketNumber(out, p, h.truncatedPn, h.pnLength);
  return out;
}

/** Fields of an unprotected short header (RFC 9000 §17.3.1). */
export interface ShortHeaderFields {
  readonly dcid: Uint8Array;
  readonly spin?: boolean;
  readonly keyPhase: 0 | 1;
  readonly truncatedPn: number;
  readonly pnLength: 1 | 2 | 3 | 4;
}

/** Writes an unprotected 1-RTT header: 0x40 | spin | key phase | pn length - 1, dcid, packet number. */
export function writeShortHeader(h: ShortHeaderFields): Uint8Array {
  const out = new Uint8Array(1 + h.dcid.length + h.pnLength);
  out[0] = 0x40 | (h.spin ? 0x20 : 0) | (h.keyPhase << 2) | (h.pnLength - 1);
  out.set(h.dcid, 1);
  writePacketNumber(out, 1 + h.dcid.length, h.truncatedPn, h.pnLength);
  return out;
}

/**
 * A Version Negotiation packet (RFC 9000 §17.2.1, §6.1) answering a client packet: `dcid` is the
 * client's source connection id and `scid` its destination connection id. `unused` fills the 7
 * unused bits; the default sets 0x40 as §17.2.1 recommends.
 */
export function buildVersionNegotiation(dcid: Uint8Array, scid: Uint8Array, versions: readonly number[], unused = 0x40): Uint8Array {
  if (dcid.length > 255 || scid.length > 255) throw new RangeError('version negotiation: connection id over 255 bytes');
  const out = new Uint8Array(1 + 4 + 1 + dcid.length + 1 + scid.length + 4 * versions.length);
  out[0] = 0x80 | (unused & 0x7f);
  let p = writeLongHeaderIds(out, 0, dcid, scid);
  for (const v of versions) p = writeU32(out, p, v);
  return out;
}

/**
 * Writes what follows the first byte of every long header (RFC 9000 §17.2): the version, then each
 * connection id after its length byte, from `out[1]`. Returns the position after the source id.
 */
export function writeLongHeaderIds(out: Uint8Array, version: number, dcid: Uint8Array, scid: Uint8Array): number {
  let p = writeU32(out, 1, version);
  out[p++] = dcid.length;
  out.set(dcid, p);
  p += dcid.length;
  out[p++] = scid.length;
  out.set(scid, p);
  return p + scid.length;
}

/** Writes `pn` big-endian on `length` bytes at `out[pos]`. */
export function writePacketNumber(out: Uint8Array, pos: number, pn: number, length: 1 | 2 | 3 | 4): void {
  for (let i = length - 1; i >= 0; i--) {
    out[pos + i] = pn & 0xff;
    pn = Math.floor(pn / 256);
  }
}

function writeU32(out: Uint8Array, pos: number, v: number): number {
  out[pos] = v >>> 24;
  out[pos + 1] = (v >>> 16) & 0xff;
  out[pos + 2] = (v >>> 8) & 0xff;
  out[pos + 3] = v & 0xff;
  return pos + 4;
}
