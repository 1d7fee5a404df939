/**
 * Packet number truncation and recovery (RFC 9000 §17.1, pseudocode in Appendix A.2 and A.3).
 *
 * Packet numbers are 0..2^62-1; this module works on JavaScript numbers, exact up to 2^53-1,
 * which a connection never reaches (it would take centuries at line rate).
 */

/** Largest packet number this module handles exactly. */
export const PACKET_NUMBER_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Number of bytes (1..4) to encode `fullPn` with, given the largest packet number the peer has
 * acknowledged in this space (undefined before any acknowledgement), per RFC 9000 Appendix A.2:
 * at least one bit more than log2 of the unacknowledged range including the new packet (read as
 * §17.1 words it, "more than twice as large a range", so 128 unacknowledged packets take 2 bytes
 * where the sample pseudocode's real-valued log would allow 1). Throws
 * RangeError if the range needs more than 4 bytes (more than 2^31 packets in flight: a caller bug).
 */
export function packetNumberLength(fullPn: number, largestAcked: number | undefined): 1 | 2 | 3 | 4 {
  if (!Number.isSafeInteger(fullPn) || fullPn < 0) throw new RangeError(`packet number ${fullPn} is not an integer in 0..2^53-1`);
  const numUnacked = largestAcked === undefined ? fullPn + 1 : fullPn - largestAcked;
  if (numUnacked <= 0) throw new RangeError(`packet number ${fullPn} is not above the largest acknowledged ${largestAcked}`);
  // "More than twice as large a range" (§17.1): 2^bits > 2 * numUnacked, i.e. floor(log2) + 2 bits.
  const minBits = numUnacked >= 2 ** 31 ? 33 : 33 - Math.clz32(numUnacked);
  const bytes = Math.ceil(minBits / 8);
  if (bytes > 4) throw new RangeError(`packet number ${fullPn}: ${numUnacked} unacknowledged packets need more than 4 bytes`);
  return bytes as 1 | 2 | 3 | 4;
}

/**
 * The `length` least significant bytes of `fullPn` (the Packet Number field, RFC 9000 §17.1),
 * as an integer. Callers write it big-endian on `length` bytes.
 */
export function truncatePacketNumber(fullPn: number, length: 1 | 2 | 3 | 4): number {
  return fullPn % 2 ** (8 * length);
}

/**
 * Recovers the full packet number from the `bits`-bit truncated value (`truncated`) and the
 * largest packet number successfully processed in this space (-1 when none yet), per RFC 9000
 * Appendix A.3: the candidate closest to largestPn + 1.
 */
export function decodePacketNumber(largestPn: number, truncated: number, bits: 8 | 16 | 24 | 32): number {
  const expected = largestPn + 1;
  const win = 2 ** bits;
  const hwin = win / 2;
  const candidate = Math.floor(expected / win) * win + truncated;
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}
