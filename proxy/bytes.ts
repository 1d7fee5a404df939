/**
 * Byte-array helpers shared by the protocol engines (QUIC, TLS 1.3, HTTP/3), which work on
 * Uint8Array rather than Buffer.
 */

/** A new array holding `parts` one after the other (always a copy, even of a single part). */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** `parts` as one array: the part itself when there is only one (no copy), else concatBytes(). */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0] : concatBytes(...parts);
}
