/**
 * IPv4 / IPv6 addresses and networks as HAProxy's ACLs read and compare them (configuration
 * manual, 7.1.6 "Matching IPv4 and IPv6 addresses"):
 *
 * - IPv4 patterns take a mask as a bit count or in dotted form, and accept the abbreviated
 *   inet_aton forms: `127.1` is 127.0.0.1, `10.12/8` is 10.0.0.12/8 (not RFC 4632's 10.12.0.0).
 *   Parts are decimal only; a part with a leading zero is refused rather than read as octal.
 * - IPv6 patterns take a bit count only. Host names are never resolved (as if `-n` were always
 *   given): a name is refused as an invalid address.
 * - Mixed families: an IPv4 sample is compared with an IPv6 pattern as `::ffff:<v4>`; an IPv6
 *   sample is compared with an IPv4 pattern only if it is `::ffff:<v4>`, `::<v4>` or `2002:<v4>::`,
 *   otherwise it does not match.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An address: IPv4 as an unsigned 32-bit integer, IPv6 as 16 bytes in network order. */
export type IpAddress = { v: 4; n: number } | { v: 6; b: Uint8Array };

/** A network: IPv4 with any (even non-contiguous) mask, IPv6 with a prefix length. */
export type IpNetwork = { v: 4; n: number; mask: number } | { v: 6; b: Uint8Array; bits: number };

const DEC = /^(?:0|[1-9][0-9]*)$/;
const MAX_PART = [0xffffffff, 0xffffff, 0xffff, 0xff];

/** Parses the inet_aton decimal forms `a`, `a.b`, `a.b.c`, `a.b.c.d`; undefined if not one. */
function parseIpv4Loose(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    if (!DEC.test(p) || p.length > 10) return undefined;
    nums.push(Number(p));
  }
  const last = nums.length - 1;
  let n = 0;
  for (let i = 0; i < last; i++) {
    if (nums[i] > 0xff) return undefined;
    n = n * 256 + nums[i];
  }
  if (nums[last] > MAX_PART[last]) return undefined;
  return n * 2 ** (8 * (4 - last)) + nums[last];
}

/** Parses a strict dotted-quad IPv4 address to an unsigned integer. */
function parseIpv4Strict(text: string): number | undefined {
  return isIPv4(text) ? parseIpv4Loose(text) : undefined;
}

/** Parses an IPv6 address (optionally ending in a dotted IPv4) into 16 bytes; no zone index. */
function parseIpv6(text: string): Uint8Array | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  const halves = text.split('::');
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const v4 = parseIpv4Strict(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const b = new Uint8Array(16);
  all.forEach((g, i) => {
    b[2 * i] = g >>> 8;
    b[2 * i + 1] = g & 0xff;
  });
  return b;
}

/** Parses a sample address: strict dotted-quad IPv4 or IPv6. Undefined if neither. */
export function parseIpAddress(text: string): IpAddress | undefined {
  const n = parseIpv4Strict(text);
  if (n !== undefined) return { v: 4, n };
  const b = parseIpv6(text);
  return b ? { v: 6, b } : undefined;
}

/** The IPv4 mask of a prefix length 0..32. */
function bitsToMask4(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * Parses an ACL IP pattern `addr[/mask]` (7.1.6). Returns undefined when it is not one, and the
 * caller reports HAProxy's "'<text>' is not a valid IPv4 or IPv6 address".
 */
export function parseIpNetwork(text: string): IpNetwork | undefined {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const maskText = slash < 0 ? undefined : text.slice(slash + 1);
  const v4 = parseIpv4Loose(addr);
  if (v4 !== undefined) {
    let mask = 0xffffffff;
    if (maskText !== undefined) {
      if (maskText.includes('.')) {
        const m = parseIpv4Strict(maskText);
        if (m === undefined) return undefined;
        mask = m;
      } else {
        if (!DEC.test(maskText) || Number(maskText) > 32) return undefined;
        mask = bitsToMask4(Number(maskText));
      }
    }
    return { v: 4, n: (v4 & mask) >>> 0, mask };
  }
  const b = parseIpv6(addr);
  if (!b) return undefined;
  let bits = 128;
  if (maskText !== undefined) {
    if (!DEC.test(maskText) || Number(maskText) > 128) return undefined;
    bits = Number(maskText);
  }
  return { v: 6, b, bits };
}

/** `::ffff:<v4>`: how HAProxy widens an IPv4 sample to compare it with an IPv6 pattern. */
function v4tov6(n: number): Uint8Array {
  const b = new Uint8Array(16);
  b[10] = 0xff;
  b[11] = 0xff;
  b[12] = n >>> 24;
  b[13] = (n >>> 16) & 0xff;
  b[14] = (n >>> 8) & 0xff;
  b[15] = n & 0xff;
  return b;
}

function read32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** The IPv4 address inside `::ffff:<v4>`, `::<v4>` or `2002:<v4>::` (7.1.6), else undefined. */
export function v6tov4(b: Uint8Array): number | undefined {
  const zeros = (from: number, to: number): boolean => b.subarray(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return read32(b, 12);
  if (zeros(0, 12)) return read32(b, 12);
  if (b[0] === 0x20 && b[1] === 0x02) return read32(b, 2);
  return undefined;
}

function prefixEqual(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const full = bits >> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const m = (0xff << (8 - rest)) & 0xff;
  return (a[full] & m) === (b[full] & m);
}

/** True if `addr` lies in `net`, with HAProxy's mixed-family rules (7.1.6). */
export function ipInNetwork(addr: IpAddress, net: IpNetwork): boolean {
  if (net.v === 4) {
    const n = addr.v === 4 ? addr.n : v6tov4(addr.b);
    return n !== undefined && ((n & net.mask) >>> 0) === net.n;
  }
  const b = addr.v === 6 ? addr.b : v4tov6(addr.n);
  return prefixEqual(b, net.b, net.bits);
}

/**
 * RFC 5952 §4 text of an IPv6 address (16 bytes, network order): lower case, no leading zeros,
 * the longest run of two or more zero groups (the first of equal runs) as `::`.
 */
export function formatIpv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
