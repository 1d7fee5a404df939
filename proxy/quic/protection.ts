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
import { createCipheriv, createDecipheriv, type Cipheriv, type CipherGCMTypes } from 'node:crypto';
import { AEAD_TAG_LENGTH, HP_SAMPLE_LENGTH, type CipherSuiteInfo, type PacketKeys } from './crypto.types.ts';
import { decodePacketNumber } from './packet-number.ts';

/** Size of the slabs `allocPacketBytes` carves packet buffers from. */
const SLAB_SIZE = 32 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

/**
 * A zeroed Uint8Array of `n` bytes for a packet being built or protected, carved from a shared
 * 32 KB slab (like node's Buffer pool) rather than given its own backing store: per-packet
 * ArrayBuffer allocation and its GC bookkeeping showed in the bulk-transfer profile. Slabs are
 * never reused, so the bytes start zeroed and a view stays valid as long as it is referenced
 * (it keeps its slab alive). Requests over 4 KB get their own buffer.
 */
export function allocPacketBytes(n: number): Uint8Array {
  if (n > SLAB_SIZE / 8) return new Uint8Array(n);
  if (slabUsed + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, n);
  slabUsed = (slabUsed + n + 7) & ~7;
  return out;
}

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

/** A reusable AES-ECB cipher for one header protection key (RFC 9001 §5.4.3). */
interface EcbMasker {
  readonly alg: CipherSuiteInfo['hp'];
  readonly cipher: Cipheriv;
}

/**
 * Header protection ciphers by key: AES-ECB has no state between 16-byte blocks, so one node:crypto
 * cipher per key can `update` every sample (never `final`). Keyed by the key's bytes object (keys
 * are derived once and never mutated); entries go with their keys.
 */
const ecbByKey = new WeakMap<Uint8Array, EcbMasker>();

function ecbCipher(alg: CipherSuiteInfo['hp'], hp: Uint8Array): Cipheriv {
  const cached = ecbByKey.get(hp);
  if (cached && cached.alg === alg) return cached.cipher;
  const cipher = createCipheriv(alg, hp, null);
  cipher.setAutoPadding(false);
  ecbByKey.set(hp, { alg, cipher });
  return cipher;
}

/** A plain Uint8Array view of a node Buffer (no copy), so callers never see Buffer semantics. */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * The 5-byte header protection mask for a 16-byte `sample` (RFC 9001 §5.4.3: AES-ECB of the
 * sample, with a cipher created once per key and reused; §5.4.4: ChaCha20 keystream with
 * counter = sample[0..3] little-endian and nonce = sample[4..15], one block computed in
 * `chacha20Mask` since a node:crypto cipher would be needed per sample). Throws a RangeError for a
 * sample that is not exactly 16 bytes (a programming error: a partial block would stay buffered in
 * the shared AES cipher and corrupt every later mask of that key).
 */
export function headerProtectionMask(suite: CipherSuiteInfo, hp: Uint8Array, sample: Uint8Array): Uint8Array {
  if (sample.length !== 16) throw new RangeError(`header protection sample is ${sample.length} bytes, expected 16 (RFC 9001 §5.4.2)`);
  if (suite.hp === 'chacha20') return chacha20Mask(chachaKeyWords(hp), sample);
  return view(ecbCipher(suite.hp, hp).update(sample)).subarray(0, 5);
}

/** ChaCha20 keys as eight little-endian words, by key bytes object (RFC 8439 §2.3). */
const chachaKeys = new WeakMap<Uint8Array, Int32Array>();

function chachaKeyWords(hp: Uint8Array): Int32Array {
  let kw = chachaKeys.get(hp);
  if (kw === undefined) {
    if (hp.length !== 32) throw new RangeError(`ChaCha20 header protection key is ${hp.length} bytes, expected 32 (RFC 9001 §5.4.4)`);
    kw = new Int32Array(8);
    for (let i = 0; i < 8; i++) kw[i] = hp[4 * i] | (hp[4 * i + 1] << 8) | (hp[4 * i + 2] << 16) | (hp[4 * i + 3] << 24);
    chachaKeys.set(hp, kw);
  }
  return kw;
}

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

/**
 * The first 5 bytes of the ChaCha20 block (RFC 8439 §2.3) for key words `kw`, with counter =
 * sample[0..3] and nonce = sample[4..15] little-endian, i.e. the mask of RFC 9001 §5.4.4 (the
 * keystream XOR five zero bytes). Computed here rather than with a node:crypto cipher, which
 * cannot be re-keyed with a new counter/nonce and cost ~2.5 us to create per packet against
 * ~0.2 us for this block; the tests check it against node:crypto on random samples.
 */
function chacha20Mask(kw: Int32Array, s: Uint8Array): Uint8Array {
  let x0 = 0x61707865, x1 = 0x3320646e, x2 = 0x79622d32, x3 = 0x6b206574;
  let x4 = kw[0], x5 = kw[1], x6 = kw[2], x7 = kw[3], x8 = kw[4], x9 = kw[5], x10 = kw[6], x11 = kw[7];
  let x12 = s[0] | (s[1] << 8) | (s[2] << 16) | (s[3] << 24);
  let x13 = s[4] | (s[5] << 8) | (s[6] << 16) | (s[7] << 24);
  let x14 = s[8] | (s[9] << 8) | (s[10] << 16) | (s[11] << 24);
  let x15 = s[12] | (s[13] << 8) | (s[14] << 16) | (s[15] << 24);
  for (let i = 0; i < 10; i++) {
    // Column rounds.
    x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 16); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 12); x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 8); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 7);
    x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 16); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 12); x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 8); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 7);
    x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 16); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 12); x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 8); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 7);
    x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 16); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 12); x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 8); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 7);
    // Diagonal rounds.
    x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 16); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 12); x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 8); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 7);
    x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 16); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 12); x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 8); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 7);
    x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 16); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 12); x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 8); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 7);
    x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 16); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 12); x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 8); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 7);
  }
  const w0 = (x0 + 0x61707865) | 0;
  const w1 = (x1 + 0x3320646e) | 0;
  return Uint8Array.of(w0 & 0xff, (w0 >>> 8) & 0xff, (w0 >>> 16) & 0xff, w0 >>> 24, w1 & 0xff);
}

/**
 * The AEAD name typed for node:crypto's GCM overload: chacha20-poly1305 takes the same options and
 * methods (authTagLength, setAAD, getAuthTag), but the typings split them into two overloads.
 */
function aeadName(keys: PacketKeys): CipherGCMTypes {
  return keys.suite.aead as CipherGCMTypes;
}

/**
 * Seals `plaintext` with `aad` into `out` at `at`: ciphertext then the 16-byte tag (RFC 9001 §5.3).
 * node:crypto takes a new cipher per packet (the nonce changes); its output is copied once, into `out`.
 */
function sealInto(keys: PacketKeys, pn: number, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, at: number): void {
  const c = createCipheriv(aeadName(keys), keys.key, packetNonce(keys.iv, pn), { authTagLength: AEAD_TAG_LENGTH });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const body = c.update(plaintext);
  out.set(body, at);
  const rest = c.final(); // empty for these stream-mode AEADs
  if (rest.length > 0) out.set(rest, at + body.length);
  out.set(c.getAuthTag(), at + body.length + rest.length);
}

/** AEAD-seals `plaintext` with `aad` (the unprotected header); returns ciphertext || 16-byte tag (RFC 9001 §5.3). */
export function sealPayload(keys: PacketKeys, pn: number, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + AEAD_TAG_LENGTH);
  sealInto(keys, pn, aad, plaintext, out, 0);
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
    const rest = d.final(); // empty for these stream-mode AEADs; throws on a bad tag
    return { ok: true, plaintext: rest.length === 0 ? view(body) : view(Buffer.concat([body, rest])) };
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
  const sealedLength = plaintext.length + AEAD_TAG_LENGTH;
  const sampleAt = pnOffset + 4;
  if (sampleAt + HP_SAMPLE_LENGTH > header.length + sealedLength) {
    throw new RangeError(`protectPacket: ${plaintext.length} bytes of frames leave no 16-byte sample with a ${pnLength}-byte packet number; pad to ${sampleAt + HP_SAMPLE_LENGTH - header.length - sealedLength} more`);
  }
  const out = allocPacketBytes(header.length + sealedLength);
  out.set(header, 0);
  sealInto(keys, pn, header, plaintext, out, header.length);
  const mask = headerProtectionMask(keys.suite, keys.hp, out.subarray(sampleAt, sampleAt + HP_SAMPLE_LENGTH));
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
