/**
 * `-dMintegrity` (HAProxy DEBUG_POOL_INTEGRITY, pool_fill_pattern/pool_check_pattern): an item put
 * on a free list is filled with a pattern (buffers) or fingerprinted (objects: its own enumerable
 * fields, values by identity); the next alloc() of it verifies that nothing wrote to it meanwhile
 * and otherwise panics with a "cache corruption detected" report (diag/pool-report.ts).
 *
 * Debugging only: a fill and a verify per item, linear in its size.
 */
import { integrityFailure } from './pool-report.ts';
import type { Backing } from './pool-backing.ts';
import type { Pool } from './pool.ts';
import type { PoolOptions } from './pool.types.ts';

function fillPattern(buf: Uint8Array, p: number): void {
  const n4 = buf.length >>> 2;
  if (n4 > 0) new Uint32Array(buf.buffer, buf.byteOffset, n4).fill(p);
  for (let i = n4 * 4; i < buf.length; i++) buf[i] = (p >>> ((i & 3) * 8)) & 0xff;
}

/** Byte offset of the first byte that differs from the fill pattern, or -1. */
function patternMismatch(buf: Uint8Array, p: number): number {
  const n4 = buf.length >>> 2;
  if (n4 > 0) {
    const w = new Uint32Array(buf.buffer, buf.byteOffset, n4);
    for (let i = 0; i < n4; i++) {
      if (w[i] !== p) {
        for (let k = i * 4; k < i * 4 + 4; k++) if (buf[k] !== ((p >>> ((k & 3) * 8)) & 0xff)) return k;
      }
    }
  }
  for (let i = n4 * 4; i < buf.length; i++) if (buf[i] !== ((p >>> ((i & 3) * 8)) & 0xff)) return i;
  return -1;
}

/** Own enumerable fields, as [key, value, key, value, ...] (values by identity). */
function fingerprint(obj: object): unknown[] {
  const out: unknown[] = [];
  for (const k of Object.keys(obj)) out.push(k, (obj as Record<string, unknown>)[k]);
  return out;
}

function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'object' && v !== null) return `[${v.constructor?.name ?? 'object'}]`;
  if (typeof v === 'function') return '[function]';
  return String(v);
}

/** Describes the first difference between an object and its fingerprint, or undefined. */
function fingerprintMismatch(obj: object, fp: unknown[]): { field: string; was: string; now: string } | undefined {
  const rec = obj as Record<string, unknown>;
  for (let i = 0; i < fp.length; i += 2) {
    const k = fp[i] as string;
    if (!Object.prototype.hasOwnProperty.call(rec, k)) return { field: k, was: showValue(fp[i + 1]), now: '(deleted)' };
    if (!Object.is(rec[k], fp[i + 1])) return { field: k, was: showValue(fp[i + 1]), now: showValue(rec[k]) };
  }
  const keys = Object.keys(obj);
  if (keys.length !== fp.length / 2) {
    const known = new Set<unknown>(fp.filter((_, i) => i % 2 === 0));
    const added = keys.find((k) => !known.has(k)) ?? '?';
    return { field: added, was: '(absent)', now: showValue(rec[added]) };
  }
  return undefined;
}

/**
 * Records the freed item of `slot` as it is now: fills a buffer with a fresh pattern (about half
 * the bits flipped from the previous one, as HAProxy's pool_fill_pattern), fingerprints an object.
 * Call it after the item went onto the free list (and after its reset()).
 */
export function fillIntegrity(b: Backing, slot: number, item: unknown): void {
  if (b.isBuffer) {
    const p = (b.fill = (b.fill + 0x55555555) >>> 0); // HAProxy pool_fill_pattern: flip about half the bits
    b.pattern[slot] = p;
    fillPattern(item as Uint8Array, p);
  } else {
    b.fps[slot] = fingerprint(item as object);
  }
}

/**
 * Verifies that the free item of `slot`, about to be handed out again by `p.alloc()`, is as
 * fillIntegrity() left it; otherwise panics with the report (first differing byte offset or field).
 * Must be called directly from alloc(): the report's caller frame is counted from here.
 */
export function checkIntegrity(p: Pool<unknown>, b: Backing, slot: number, o: Readonly<PoolOptions>): void {
  const item = b.items[slot];
  if (b.isBuffer) {
    const pat = b.pattern[slot];
    const off = patternMismatch(item as Uint8Array, pat);
    if (off >= 0) {
      const found = (item as Uint8Array)[off];
      const want = (pat >>> ((off & 3) * 8)) & 0xff;
      const where = `offset ${off} (+0x${off.toString(16).padStart(4, '0')})`;
      const what = `Contents changed after free at ${where}: expected 0x${hex2(want)}, found 0x${hex2(found)}.`;
      integrityFailure(p, b, slot, off, what, { offset: off }, o);
    }
  } else {
    const fp = b.fps[slot];
    b.fps[slot] = undefined;
    if (fp) {
      const d = fingerprintMismatch(item as object, fp);
      if (d) {
        integrityFailure(p, b, slot, -1, `Field '${d.field}' changed after free: was ${d.was}, now ${d.now}.`, { field: d.field }, o);
      }
    }
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
