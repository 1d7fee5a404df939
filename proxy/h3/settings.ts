/**
 * The SETTINGS frame payload (RFC 9114 §7.2.4): a sequence of (identifier, value) varint pairs.
 *
 * - Identifiers known here: SETTINGS_QPACK_MAX_TABLE_CAPACITY 0x01 and SETTINGS_QPACK_BLOCKED_STREAMS
 *   0x07 (RFC 9204 §5), SETTINGS_MAX_FIELD_SECTION_SIZE 0x06 (§7.2.4.1).
 * - HTTP/2 identifiers 0x00, 0x02..0x05 are H3_SETTINGS_ERROR (§7.2.4.1); a repeated identifier
 *   is H3_SETTINGS_ERROR (§7.2.4); a pair cut short is H3_FRAME_ERROR (§7.1).
 * - Every other identifier (reserved 0x1f*N+0x21 ones, §7.2.4.1, and extensions) is kept in
 *   `other` and otherwise ignored (§9). Identifiers are compared exactly (bigint), so two large
 *   greased ones never look alike.
 */
import type { H3Error, H3Settings } from './h3.types.ts';
import { H3_FORBIDDEN_SETTINGS, H3_SETTINGS_ID } from './h3.types.ts';
import { decodeVarint, decodeVarintBig, varintLength, writeVarint } from '../quic/varint.ts';

/** The defaults of an endpoint that has not (yet) sent SETTINGS (RFC 9114 §7.2.4.2, RFC 9204 §5). */
export const DEFAULT_H3_SETTINGS: H3Settings = {
  qpackMaxTableCapacity: 0,
  qpackBlockedStreams: 0,
  maxFieldSectionSize: Infinity,
  other: new Map(),
};

/** Outcome of parsing a SETTINGS payload. */
export type SettingsParse = { readonly ok: true; readonly settings: H3Settings } | { readonly ok: false; readonly error: H3Error };

/** Parses a SETTINGS frame payload (see module doc); `where` names the stream for errors. Never throws. */
export function parseSettings(payload: Uint8Array, where = 'SETTINGS frame'): SettingsParse {
  const seen = new Set<bigint>();
  let cap = 0;
  let blocked = 0;
  let mfss = Infinity;
  const other = new Map<string, number>();
  let pos = 0;
  while (pos < payload.length) {
    const at = pos;
    const id = decodeVarintBig(payload, pos);
    if (!id.ok) return fail('H3_FRAME_ERROR', where, at, 'SETTINGS identifier is truncated');
    const v = decodeVarint(payload, id.next);
    if (!v.ok) return fail('H3_FRAME_ERROR', where, id.next, `SETTINGS value of identifier 0x${id.value.toString(16)} is truncated`);
    pos = v.next;
    if (seen.has(id.value)) return fail('H3_SETTINGS_ERROR', where, at, `SETTINGS identifier 0x${id.value.toString(16)} appears twice (RFC 9114 §7.2.4)`);
    seen.add(id.value);
    const n = id.value <= 0xffn ? Number(id.value) : -1;
    if (H3_FORBIDDEN_SETTINGS.includes(n)) {
      return fail('H3_SETTINGS_ERROR', where, at, `SETTINGS identifier 0x${n.toString(16)} is an HTTP/2 setting, forbidden in HTTP/3 (RFC 9114 §7.2.4.1)`);
    }
    if (n === H3_SETTINGS_ID.QPACK_MAX_TABLE_CAPACITY) cap = v.value;
    else if (n === H3_SETTINGS_ID.QPACK_BLOCKED_STREAMS) blocked = v.value;
    else if (n === H3_SETTINGS_ID.MAX_FIELD_SECTION_SIZE) mfss = v.value;
    else other.set(id.value.toString(), v.value);
  }
  return { ok: true, settings: { qpackMaxTableCapacity: cap, qpackBlockedStreams: blocked, maxFieldSectionSize: mfss, other } };
}

/**
 * Encodes SETTINGS as a frame payload: the three known identifiers when they differ from the
 * defaults (in the order 0x01, 0x06, 0x07), then `other` in insertion order. Throws RangeError on
 * an identifier that may not be sent (programming error).
 */
export function buildSettings(s: Partial<H3Settings>): Uint8Array {
  const pairs: [bigint, number][] = [];
  if (s.qpackMaxTableCapacity) pairs.push([BigInt(H3_SETTINGS_ID.QPACK_MAX_TABLE_CAPACITY), s.qpackMaxTableCapacity]);
  if (s.maxFieldSectionSize !== undefined && s.maxFieldSectionSize !== Infinity) pairs.push([BigInt(H3_SETTINGS_ID.MAX_FIELD_SECTION_SIZE), s.maxFieldSectionSize]);
  if (s.qpackBlockedStreams) pairs.push([BigInt(H3_SETTINGS_ID.QPACK_BLOCKED_STREAMS), s.qpackBlockedStreams]);
  for (const [k, v] of s.other ?? []) {
    const id = BigInt(k);
    if (id <= 0xffn && (H3_FORBIDDEN_SETTINGS.includes(Number(id)) || Object.values(H3_SETTINGS_ID).includes(Number(id) as 1))) {
      throw new RangeError(`SETTINGS: identifier ${k} may not be sent through 'other'`);
    }
    pairs.push([id, v]);
  }
  let len = 0;
  for (const [k, v] of pairs) len += varintLength(k) + varintLength(v);
  const out = new Uint8Array(len);
  let pos = 0;
  for (const [k, v] of pairs) pos = writeVarint(out, writeVarint(out, pos, k), v);
  return out;
}

function fail(code: H3Error['code'], where: string, offset: number, message: string): SettingsParse {
  return { ok: false, error: { code, where, offset, message } };
}
