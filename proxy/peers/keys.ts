/**
 * Stick-table key encodings of the peers protocol (2.1 "Entry update message format", "Key"):
 * string keys are a varint length then the bytes; integer keys 4 bytes in network order; the other
 * types (ipv4 4 bytes, ipv6 16 bytes, binary `key length` bytes) their raw bytes, of the size the
 * table definition announced. Addresses are handled as text (`127.0.0.1`, `2001:db8::1`).
 */
import type { PeerKeyType, StickKey } from './peers.types.ts';
import { formatIpv6 } from '../acl/ip.ts';

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** Key size each fixed-size key type must announce; string/binary take the table's length. */
export const FIXED_KEY_LENGTH: Readonly<Partial<Record<PeerKeyType, number>>> = { sint: 4, ipv4: 4, ipv6: 16 };

/** Parses dotted IPv4 text into 4 bytes, or undefined when it is not an IPv4 address. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Parses IPv6 text (with `::` and an optional trailing dotted IPv4) into 16 bytes, or undefined. */
export function parseIPv6(text: string): Uint8Array | undefined {
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.includes('.', lastColon)) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Formats 16 bytes as RFC 5952 IPv6 text (lowercase, longest zero run of 2+ groups as `::`): proxy/acl/ip.ts's formatIpv6. */
export const formatIPv6: (b: Uint8Array) => string = formatIpv6;

/**
 * Encodes `key` for a table of `keyType`/`keyLength` into its wire bytes. Throws TypeError when the
 * key does not fit the type (wrong JS type, unparsable address, binary longer than the key length).
 */
export function encodeKey(keyType: PeerKeyType, keyLength: number, key: StickKey): Uint8Array {
  switch (keyType) {
    case 'ipv4': {
      const b = typeof key === 'string' ? parseIPv4(key) : undefined;
      if (!b) throw new TypeError(`peers key: ${String(key)} is not an IPv4 address`);
      return b;
    }
    case 'ipv6': {
      const b = typeof key === 'string' ? parseIPv6(key) : undefined;
      if (!b) throw new TypeError(`peers key: ${String(key)} is not an IPv6 address`);
      return b;
    }
    case 'sint': {
      if (typeof key !== 'number' || !Number.isInteger(key) || key < -0x80000000 || key > 0xffffffff) {
        throw new TypeError(`peers key: ${String(key)} is not a 32-bit integer`);
      }
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, key >>> 0);
      return out;
    }
    case 'string': {
      if (typeof key !== 'string') throw new TypeError('peers key: a string table needs a string key');
      return utf8.encode(key);
    }
    case 'binary': {
      if (!(key instanceof Uint8Array)) throw new TypeError('peers key: a binary table needs a Uint8Array key');
      if (key.length > keyLength) throw new TypeError(`peers key: ${key.length} bytes exceed the table's key length ${keyLength}`);
      const out = new Uint8Array(keyLength);
      out.set(key);
      return out;
    }
  }
}

/** Decodes raw fixed-size key bytes (ipv4, ipv6, sint, binary) into a StickKey. */
export function decodeFixedKey(keyType: PeerKeyType, bytes: Uint8Array): StickKey {
  switch (keyType) {
    case 'ipv4':
      return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
    case 'ipv6':
      return formatIPv6(bytes);
    case 'sint':
      return new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0);
    case 'string':
      return utf8d.decode(bytes);
    case 'binary':
      return bytes.slice();
  }
}
