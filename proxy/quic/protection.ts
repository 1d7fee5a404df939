/**
 * QUIC packet protection (RFC 9001 §5.3) and header protection (RFC 9001 §5.4) on node:crypto,
 * for AEAD_AES_128_GCM, AEAD_AES_256_GCM and AEAD_CHACHA20_POLY1305.
 *
 * Sending: `protectPacket` seals the payload with the header (packet number included) as
 * associated data and the nonce iv XOR packet number, then masks the first byte's low bits and
 * the packet number with a mask computed from a 16-byte sample of the ciphertext taken 4 bytes
 * after the start of the Packet Number field.
 *
 * Receiving: `removeHeaderProtection` recovers the first byte and truncated packet number (so a
 * 1-RTT receiver can read the Key Phase bit and pick keys); `openPayload` authenticates and
 * decrypts; `unprotectPacket` does both. None of them throws on hostile bytes.
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { AEAD_TAG_LENGTH, HP_SAMPLE_LENGTH, type CipherSuiteInfo, type PacketKeys } from './crypto.types.ts';
import { decodePacketNumber } from './packet-number.ts';

/** The AEAD nonce: the IV with the packet number, left-padded to 12 bytes, XORed in (RFC 9001 §5.3). */
export function packetNonce(iv: Uint8Array, pn: number): Uint8Array {
  const nonce = Uint8Array.from(iv);
  let lo = pn % 0x100000000;
  let hi = Math.floor(pn / 0x100000000);
  for (let i = nonce.length - 1; i >= nonce.length - 4; i--) {
    nonce[i] ^= lo & 0xff;
    lo = Math.floor(lo / 256);
  }
  for (let i = nonce.length - 5; i >= nonce.length - 8; i--) {
    nonce[i] ^= hi & 0xff;
    hi = Math.floor(hi / 256);
  }
  return nonce;
}

/**
 * The 5-byte header protection mask for a 16-byte `sample` (RFC 9001 §5.4.3: AES-ECB of the
 * sample; §5.4.4: ChaCha20 keystream with counter = sample[0..3] little-endian and nonce =
 * sample[4..15], which is exactly node:crypto's 16-byte chacha20 IV).
 */
export function headerProtectionMask(suite: CipherSuiteInfo, hp: Uint8Array, sample: Uint8Array): Uint8Array {
  if (suite.hp === 'chacha20') {
    return new Uint8Array(createCipheriv('chacha20', hp, sample).update(new Uint8Array(5)));
  }
  const c = createCipheriv(suite.hp, hp, null);
  c.setAutoPadding(false);
  return new Uint8Array(c.update(sample)).subarray(0, 5);
}

/**
 * The AEAD name typed for node:crypto's GCM overload: chacha20-poly1305 takes the same options and
 * methods (authTagLength, setAAD, getAuthTag), but the typings split them into two overloads.
 */
function aeadName(keys: PacketKeys): CipherGCMTypes {
  return keys.suite.aead as CipherGCMTypes;
}

/** AEAD-seals `plaintext` with `aad` (the unprotected header); returns ciphertext || 16-byte tag (RFC 9001 §5.3). */
export function sealPayload(keys: PacketKeys, pn: number, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv(aeadName(keys), keys.key, packetNonce(keys.iv, pn), { authTagLength: AEAD_TAG_LENGTH });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const body = c.update(plaintext);
  c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(body.length + tag.length);
  out.set(body, 0);
  out.set(tag, body.length);
  return out;
}

/** Outcome of opening a payload. */
export type OpenResult = { readonly ok: true; readonly plaintext: Uint8Array } | { readonly ok: false; readonly error: 'too-short' | 'aead-failure' };

/**
 * Authenticates and decrypts `sealed` (ciphertext || tag) with `aad` (RFC 9001 §5.3). An
 * authentication failure is an ordinary outcome (`aead-failure`): the packet is dropped and
 * counted against the integrity limit (§6.6).
 */
export function openPayload(keys: PacketKeys, pn: number, aad: Uint8Array, sealed: Uint8Array): OpenResult {
  if (sealed.length < AEAD_TAG_LENGTH) return { ok: false, error: 'too-short' };
  const ctLength = sealed.length - AEAD_TAG_LENGTH;
  try {
    const d = createDecipheriv(aeadName(keys), keys.key, packetNonce(keys.iv, pn), { authTagLength: AEAD_TAG_LENGTH });
    d.setAAD(aad, { plaintextLength: ctLength });
    d.setAuthTag(sealed.subarray(ctLength));
    const body = d.update(sealed.subarray(0, ctLength));
    d.final();
    return { ok: true, plaintext: new Uint8Array(body) };
  } catch {
    // node:crypto reports a bad tag by throwing from final(); that is an outcome here.
    return { ok: false, error: 'aead-failure' };
  }
}

/**
 * Protects one packet: `header` is the unprotected header ending with the `pnLength`-byte
 * truncated packet number, `pn` the full packet number, `plaintext` the frames. Returns header
 * || ciphertext || tag with header protection applied. Throws RangeError when the packet is too
 * short for a header protection sample (RFC 9001 §5.4.2: the caller must pad the frames).
 */
export function protectPacket(keys: PacketKeys, header: Uint8Array, pnLength: 1 | 2 | 3 | 4, pn: number, plaintext: Uint8Array): Uint8Array {
  const pnOffset = header.length - pnLength;
  const sealed = sealPayload(keys, pn, header, plaintext);
  const sampleAt = 4 - pnLength; // in `sealed`: pnOffset + 4 - header.length
  if (sampleAt + HP_SAMPLE_LENGTH > sealed.length) {
    throw new RangeError(`protectPacket: ${plaintext.length} bytes of frames leave no 16-byte sample with a ${pnLength}-byte packet number; pad to ${plaintext.length + sampleAt + HP_SAMPLE_LENGTH - sealed.length} more`);
  }
  const mask = headerProtectionMask(keys.suite, keys.hp, sealed.subarray(sampleAt, sampleAt + HP_SAMPLE_LENGTH));
  const out = new Uint8Array(header.length + sealed.length);
  out.set(header, 0);
  out.set(sealed, header.length);
  out[0] ^= mask[0] & ((out[0] & 0x80) !== 0 ? 0x0f : 0x1f);
  for (let i = 0; i < pnLength; i++) out[pnOffset + i] ^= mask[1 + i];
  return out;
}

/** A header with protection removed (RFC 9001 §5.4.1). */
export interface UnmaskedHeader {
  /** The unprotected header, packet number included (the AEAD associated data). */
  readonly header: Uint8Array;
  readonly firstByte: number;
  readonly pnLength: 1 | 2 | 3 | 4;
  readonly truncatedPn: number;
}

/** Outcome of header protection removal. */
export type UnmaskResult = ({ readonly ok: true } & UnmaskedHeader) | { readonly ok: false; readonly error: 'too-short-for-sample'; readonly message: string };

/**
 * Removes header protection from `packet` (the bytes of one packet; `pnOffset` relative to it)
 * (RFC 9001 §5.4.1-5.4.2). Packets too short for a complete sample are refused, as §5.4.2 says.
 * `packet` is not modified.
 */
export function removeHeaderProtection(suite: CipherSuiteInfo, hp: Uint8Array, packet: Uint8Array, pnOffset: number): UnmaskResult {
  const sampleAt = pnOffset + 4;
  if (sampleAt + HP_SAMPLE_LENGTH > packet.length) {
    return { ok: false, error: 'too-short-for-sample', message: `packet of ${packet.length} bytes has no 16-byte header protection sample at ${sampleAt} (RFC 9001 §5.4.2)` };
  }
  const mask = headerProtectionMask(suite, hp, packet.subarray(sampleAt, sampleAt + HP_SAMPLE_LENGTH));
  const long = (packet[0] & 0x80) !== 0;
  const firstByte = packet[0] ^ (mask[0] & (long ? 0x0f : 0x1f));
  const pnLength = ((firstByte & 0x03) + 1) as 1 | 2 | 3 | 4;
  const header = packet.slice(0, pnOffset + pnLength);
  header[0] = firstByte;
  let truncatedPn = 0;
  for (let i = 0; i < pnLength; i++) {
    header[pnOffset + i] ^= mask[1 + i];
    truncatedPn = truncatedPn * 256 + header[pnOffset + i];
  }
  return { ok: true, header, firstByte, pnLength, truncatedPn };
}

/** Why a packet could not be unprotected. `reserved-bits` is a PROTOCOL_VIOLATION (RFC 9000 §17.2, §17.3.1); `no-keys`: none for its key phase. */
export type UnprotectError = 'too-short-for-sample' | 'too-short' | 'aead-failure' | 'reserved-bits' | 'no-keys';

/** A packet with protection removed. */
export interface UnprotectedPacket extends UnmaskedHeader {
  /** Full packet number (RFC 9000 §17.1, Appendix A.3). */
  readonly pn: number;
  /** The frames. */
  readonly payload: Uint8Array;
  /** Key Phase bit of a short header (RFC 9001 §6); 0 for long headers. */
  readonly keyPhase: 0 | 1;
}

/** Outcome of `unprotectPacket`. */
export type UnprotectResult = ({ readonly ok: true } & UnprotectedPacket) | { readonly ok: false; readonly error: UnprotectError; readonly message: string };

/**
 * Removes header and packet protection from one packet (`packet` holds exactly its bytes,
 * `pnOffset` is relative to it); `largestPn` is the largest packet number processed in this space
 * (-1 before any). Reserved bits that are non-zero after successful authentication give
 * `reserved-bits` (a connection error of type PROTOCOL_VIOLATION, RFC 9000 §17.2).
 */
export function unprotectPacket(keys: PacketKeys, packet: Uint8Array, pnOffset: number, largestPn: number): UnprotectResult {
  return unprotectPacketWith(keys, packet, pnOffset, largestPn, () => keys);
}

/**
 * Like `unprotectPacket`, for 1-RTT packets whose AEAD keys depend on the Key Phase bit (RFC 9001
 * §6.3): header protection is removed with `hpKeys.hp` (never updated, §6.1), then `choose` gets
 * the Key Phase and the full packet number and returns the keys to open the payload with, or
 * undefined to drop the packet (`no-keys`).
 */
export function unprotectPacketWith(
  hpKeys: PacketKeys,
  packet: Uint8Array,
  pnOffset: number,
  largestPn: number,
  choose: (keyPhase: 0 | 1, pn: number) => PacketKeys | undefined,
): UnprotectResult {
  const h = removeHeaderProtection(hpKeys.suite, hpKeys.hp, packet, pnOffset);
  if (!h.ok) return h;
  const pn = decodePacketNumber(largestPn, h.truncatedPn, (h.pnLength * 8) as 8 | 16 | 24 | 32);
  const long = (h.firstByte & 0x80) !== 0;
  const keyPhase = long ? 0 : (((h.firstByte >> 2) & 1) as 0 | 1);
  const keys = choose(keyPhase, pn);
  if (!keys) return { ok: false, error: 'no-keys', message: `packet ${pn}: no keys for key phase ${keyPhase}` };
  const opened = openPayload(keys, pn, h.header, packet.subarray(h.header.length));
  if (!opened.ok) {
    return { ok: false, error: opened.error, message: opened.error === 'aead-failure' ? `packet ${pn}: authentication failed` : `packet ${pn}: payload shorter than the AEAD tag` };
  }
  const reserved = h.firstByte & (long ? 0x0c : 0x18);
  if (reserved !== 0) return { ok: false, error: 'reserved-bits', message: `packet ${pn}: reserved bits 0x${reserved.toString(16)} set (PROTOCOL_VIOLATION, RFC 9000 §17.2)` };
  return { ok: true, header: h.header, firstByte: h.firstByte, pnLength: h.pnLength, truncatedPn: h.truncatedPn, pn, payload: opened.plaintext, keyPhase };
}
