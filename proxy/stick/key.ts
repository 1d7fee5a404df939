/**
 * Stick-table keys: from text (runtime commands `show table <t> key <k>`, configuration tests) or
 * from sample values to the fixed bytes a table stores, and back to text for `show table`.
 *
 * Encodings (HAProxy `smp_to_stkey()` and `table_dump_entry_to_buffer()`):
 * - ip: 4 bytes, network order; text is a dotted IPv4 address (an IPv4-mapped IPv6 address
 *   `::ffff:a.b.c.d` is accepted too, as HAProxy's ipv6 -> ipv4 conversion does);
 * - ipv6: 16 bytes; text is any IPv6 form, or an IPv4 address which becomes `::ffff:a.b.c.d`;
 * - integer: 4 bytes, big-endian, the value taken modulo 2^32; printed unsigned (HAProxy `%u`);
 * - string: the UTF-8 bytes, truncated to `keySize - 1` (HAProxy keeps a terminating NUL);
 * - binary: hex text, padded with zero bytes up to `keySize` (longer input is truncated);
 *   printed as hex of all `keySize` bytes.
 */
import type { StickKeyType } from './stick.types.ts';
import { formatIpv6 } from '../acl/ip.ts';

/** An encoded key: `len` meaningful bytes at the start of `bytes` (the rest are zero). */
export interface StickKey {
  readonly bytes: Uint8Array;
  readonly len: number;
}

/** A key that does not parse; the message says what was expected. */
export class StickKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StickKeyError';
  }
}

function parseIPv4(text: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(m[i + 1]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIPv6(text: string): Uint8Array | undefined {
  let s = text;
  const out = new Uint8Array(16);
  // trailing embedded IPv4 (::ffff:1.2.3.4)
  let tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
    tail = parseIPv4(s.slice(lastColon + 1));
    if (!tail) return undefined;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const g = h.split(':');
    const r: number[] = [];
    for (const x of g) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(x)) return undefined;
      r.push(parseInt(x, 16));
    }
    return r;
  };
  const head = parseGroups(halves[0]!);
  const rest = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...rest];
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/**
 * Parses `text` as a key of `type` for a table whose key size is `keySize` bytes. Throws
 * StickKeyError naming the value and the expected form.
 */
export function parseStickKey(type: StickKeyType, keySize: number, text: string): StickKey {
  const bytes = new Uint8Array(keySize);
  switch (type) {
    case 'ip': {
      let v = parseIPv4(text);
      if (!v) {
        const v6 = parseIPv6(text);
        if (v6 && MAPPED_PREFIX.every((b, i) => v6[i] === b)) v = v6.subarray(12);
      }
      if (!v) throw new StickKeyError(`invalid IPv4 address '${text}' for a table of type ip (expected e.g. '192.0.2.1')`);
      bytes.set(v);
      return { bytes, len: 4 };
    }
    case 'ipv6': {
      const v4 = parseIPv4(text);
      const v = v4 ? new Uint8Array([...MAPPED_PREFIX, ...v4]) : parseIPv6(text);
      if (!v) throw new StickKeyError(`invalid IPv6 address '${text}' for a table of type ipv6 (expected e.g. '2001:db8::1')`);
      bytes.set(v);
      return { bytes, len: 16 };
    }
    case 'integer': {
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        throw new StickKeyError(`invalid integer '${text}' for a table of type integer (expected a decimal number)`);
      }
      return integerKey(Number(text), keySize);
    }
    case 'string':
      return stringKey(text, keySize);
    case 'binary': {
      if (!/^([0-9a-fA-F]{2})*$/.test(text)) {
        throw new StickKeyError(`invalid binary key '${text}' (expected an even number of hex digits, e.g. '0a1b')`);
      }
      const n = Math.min(text.length / 2, keySize);
      for (let i = 0; i < n; i++) bytes[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
      return { bytes, len: keySize };
    }
  }
}

/** The key of integer `n` (taken modulo 2^32, big-endian), for an integer table. */
export function integerKey(n: number, keySize = 4): StickKey {
  const bytes = new Uint8Array(keySize);
  new DataView(bytes.buffer).setUint32(0, n >>> 0);
  return { bytes, len: 4 };
}

const encoder = new TextEncoder();

/** The key of string `s` (UTF-8, truncated to keySize - 1 bytes), for a string table. */
export function stringKey(s: string, keySize: number): StickKey {
  const bytes = new Uint8Array(keySize);
  const { written } = encoder.encodeInto(s, bytes.subarray(0, keySize - 1));
  return { bytes, len: written };
}

function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

/** `::ffff:a.b.c.d` for an IPv4-mapped address, else RFC 5952 text. */
function formatIPv6(b: Uint8Array): string {
  if (MAPPED_PREFIX.every((x, i) => b[i] === x)) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return formatIpv6(b);
}

const decoder = new TextDecoder();

/** The text of a stored key (`len` meaningful bytes of `bytes`), as `show table` prints it. */
export function formatStickKey(type: StickKeyType, bytes: Uint8Array, len: number): string {
  switch (type) {
    case 'ip':
      return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
    case 'ipv6':
      return formatIPv6(bytes);
    case 'integer':
      return String(((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0);
    case 'string':
      return decoder.decode(bytes.subarray(0, len));
    case 'binary':
      return hex(bytes.subarray(0, len));
  }
}

/** FNV-1a over the first `len` bytes of `b` from `off`: the table's index hash. */
export function hashKeyBytes(b: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ b[off + i]!, 0x01000193);
  // final avalanche so that keys differing in the last byte spread over the buckets
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}
