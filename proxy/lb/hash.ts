/**
 * HAProxy's hash functions and hash inputs for `balance source` and `balance uri`.
 *
 * - sdbm, djb2, wt6, crc32: HAProxy src/hash.c, selected by `hash-type ... <function>`
 *   (configuration.txt §4.2 "hash-type"; sdbm is the default);
 * - fullHash(): the 4-byte avalanche applied with the `avalanche` modifier and used to place
 *   consistent-hashing ring points (Bob Jenkins' 32-bit integer hash times 3221225473, HAProxy
 *   2.x full_hash() in include/haproxy/intops.h);
 * - sourceHashKey(): HAProxy's get_server_sh() input, the XOR of the address's 32-bit words in
 *   network order (not passed through the hash function, only through `avalanche`);
 * - uriHashInput(): the part of the request-target `balance uri` hashes (get_server_uh()).
 *
 * All results are unsigned 32-bit integers, as in C.
 */
import type { HashType, UriHashOptions } from './lb.types.ts';

function bytesOf(input: string | Uint8Array): Uint8Array {
  if (typeof input !== 'string') return input;
  const out = new Uint8Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = input.charCodeAt(i) & 0xff;
  return out;
}

/** SDBM (HAProxy hash_sdbm()). Strings are taken one byte per character (latin1). */
export function hashSdbm(input: string | Uint8Array): number {
  const key = bytesOf(input);
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (key[i] + (h << 6) + (h << 16) - h) >>> 0;
  return h;
}

/** DJB2 (HAProxy hash_djb2()). */
export function hashDjb2(input: string | Uint8Array): number {
  const key = bytesOf(input);
  let h = 5381;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 33) + key[i]) >>> 0;
  return h;
}

/** WT6 (HAProxy hash_wt6()). */
export function hashWt6(input: string | Uint8Array): number {
  const key = bytesOf(input);
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let step0 = 6;
  let step1 = 18;
  for (let i = 0; i < key.length; i++) {
    let t = key[i];
    h0 = ~(h0 ^ t) >>> 0;
    h1 = ~(h1 + t) >>> 0;
    t = ((h1 << step0) | (h1 >>> (32 - step0))) >>> 0;
    h1 = ((h0 << step1) | (h0 >>> (32 - step1))) >>> 0;
    h0 = t;
    t = ((h0 >>> 16) ^ h1) & 0xffff;
    step0 = t & 0x1f;
    step1 = t >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

/** CRC32 with polynomial 0xedb88320 (HAProxy hash_crc32(), same as zlib's crc32). */
export function hashCrc32(input: string | Uint8Array): number {
  const key = bytesOf(input);
  let h = 0xffffffff;
  for (let i = 0; i < key.length; i++) {
    h ^= key[i];
    for (let bit = 0; bit < 8; bit++) h = (h >>> 1) ^ (h & 1 ? 0xedb88320 : 0);
  }
  return ~h >>> 0;
}

/** HAProxy's full_hash(): a full 32-bit avalanche of `a`. */
export function fullHash(a: number): number {
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  // Spread the values around the ring: multiply by a large prime close to 3/4 of 2^32.
  return Math.imul(a, 3221225473) >>> 0;
}

const HASH_FUNCTIONS = { sdbm: hashSdbm, djb2: hashDjb2, wt6: hashWt6, crc32: hashCrc32 } as const;

/** HAProxy's gen_hash(): the configured function, then `avalanche` if set. */
export function genHash(input: string | Uint8Array, type: HashType): number {
  const h = HASH_FUNCTIONS[type.fn](input);
  return type.avalanche ? fullHash(h) : h;
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

function parseIpv6(text: string): number[] | undefined {
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  return bytes;
}

/**
 * The `balance source` hash key of a client address (HAProxy get_server_sh()): the XOR of its
 * 32-bit words in network byte order, i.e. the IPv4 address itself as an integer, or the XOR of
 * the four words of an IPv6 address. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, as Node reports
 * clients of dual-stack listeners) are hashed as the IPv4 address. Returns undefined when `addr`
 * is not an IP address (the caller then falls back to round robin, as HAProxy does for unknown
 * address families).
 */
export function sourceHashKey(addr: string): number | undefined {
  let bytes = parseIpv4(addr) ?? parseIpv6(addr);
  if (!bytes) return undefined;
  if (bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    bytes = bytes.slice(12);
  }
  let h = 0;
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    h ^= ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
  }
  return h >>> 0;
}

/** The path of an absolute-form target (`path-only`): from the first '/' after the authority. */
function pathOf(uri: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(uri);
  if (!scheme) return uri;
  const rest = uri.slice(scheme[0].length);
  const slash = rest.search(/[/?]/);
  return slash < 0 ? '' : rest.slice(slash);
}

/**
 * The part of a request-target `balance uri` hashes (HAProxy get_server_uh()): after `path-only`
 * and `len` are applied, the characters up to (not including) the first '?' unless `whole`, and
 * up to the (depth+1)-th '/' when `depth` is set.
 */
export function uriHashInput(uri: string, opts: UriHashOptions = {}): string {
  if (opts.pathOnly) uri = pathOf(uri);
  if (opts.len && uri.length > opts.len) uri = uri.slice(0, opts.len);
  const stopSlash = opts.depth ? opts.depth + 1 : 0;
  let slashes = 0;
  let end = 0;
  for (; end < uri.length; end++) {
    const c = uri[end];
    if (c === '/') {
      slashes++;
      if (slashes === stopSlash) break;
    } else if (c === '?' && !opts.whole) {
      break;
    }
  }
  return uri.slice(0, end);
}

const HASH_FUNCTION_NAMES = ['sdbm', 'djb2', 'wt6', 'crc32'] as const;

/**
 * Parses the arguments of `hash-type <method> [<function> [<modifier>]]` the way HAProxy's
 * configuration parser does (cfgparse-listen.c): the function defaults to sdbm, and a bare
 * `consistent` also turns `avalanche` on. Throws an Error whose message says what is accepted;
 * the configuration parser adds the file and line.
 */
export function parseHashType(args: readonly string[]): HashType {
  const [method, fn, modifier, extra] = args;
  if (method !== 'consistent' && method !== 'map-based') {
    throw new Error(`'hash-type' only supports 'consistent' and 'map-based', got '${method ?? ''}'`);
  }
  if (fn === undefined) return { method, fn: 'sdbm', avalanche: method === 'consistent' };
  if (!(HASH_FUNCTION_NAMES as readonly string[]).includes(fn)) {
    throw new Error(`'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions, got '${fn}'`);
  }
  if ((modifier !== undefined && modifier !== 'avalanche') || extra !== undefined) {
    throw new Error(`'hash-type' only supports 'avalanche' as a modifier for hash functions, got '${modifier}'`);
  }
  return { method, fn: fn as HashType['fn'], avalanche: modifier === 'avalanche' };
}
