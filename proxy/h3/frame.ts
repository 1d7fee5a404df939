/**
 * The HTTP/3 frame codec (RFC 9114 §7): Type (varint), Length (varint), Payload.
 *
 * A table gives, per frame type, how its payload parses and builds and on which streams it is
 * allowed (§7.2, Table 1 of §7.2 / Appendix A.2.5):
 *
 * | frame        | control | request | push |
 * |--------------|---------|---------|------|
 * | DATA         |   no    |   yes   | yes  |
 * | HEADERS      |   no    |   yes   | yes  |
 * | CANCEL_PUSH  |   yes   |   no    |  no  |
 * | SETTINGS     | first   |   no    |  no  |
 * | PUSH_PROMISE |   no    |   yes   |  no  |
 * | GOAWAY       |   yes   |   no    |  no  |
 * | MAX_PUSH_ID  |   yes   |   no    |  no  |
 *
 * Errors (never exceptions on input): a payload shorter or longer than its fields is H3_FRAME_ERROR
 * (§7.1); HTTP/2-only types 0x02/0x06/0x08/0x09 are H3_FRAME_UNEXPECTED (§7.2.8); SETTINGS errors
 * come from settings.ts. Reserved types 0x1f*N+0x21 and every other unknown type parse as
 * `unknown` so the caller can ignore them (§7.2.8, §9).
 */
import { concatBytes } from '../bytes.ts';
import type { H3Error, H3Frame, H3FrameName } from './h3.types.ts';
import { H3_FRAME_TYPE, H3_RESERVED_H2_FRAME_TYPES } from './h3.types.ts';
import { decodeVarint, varintLength, writeVarint } from '../quic/varint.ts';
import { buildSettings, parseSettings } from './settings.ts';

/** Kinds of stream a frame travels on (RFC 9114 §6). */
export type H3StreamKind = 'control' | 'request' | 'push';

/** One row of the frame table. */
export interface FrameSpec {
  readonly type: number;
  readonly allowedIn: readonly H3StreamKind[];
  /** Parses the payload; `where` is used in errors. */
  parse(payload: Uint8Array, where: string): FrameParse;
  /** The payload bytes of `frame` (of this row's kind). */
  build(frame: H3Frame): Uint8Array;
}

/** Outcome of parsing one frame payload. */
export type FrameParse = { readonly ok: true; readonly frame: H3Frame } | { readonly ok: false; readonly error: H3Error };

function singleVarint(name: 'CANCEL_PUSH' | 'GOAWAY' | 'MAX_PUSH_ID', payload: Uint8Array, where: string): FrameParse {
  const v = decodeVarint(payload, 0);
  if (!v.ok) return frameError(where, 0, `${name} payload is truncated (${payload.length} bytes)`);
  if (v.next !== payload.length) return frameError(where, v.next, `${name} payload has ${payload.length - v.next} bytes after its field`);
  if (name === 'GOAWAY') return { ok: true, frame: { type: 'GOAWAY', id: v.value } };
  return { ok: true, frame: { type: name, pushId: v.value } };
}

const varintBytes = (n: number): Uint8Array => {
  const out = new Uint8Array(varintLength(n));
  writeVarint(out, 0, n);
  return out;
};

/** The frame table (see module doc), keyed by frame kind. */
export const FRAME_TABLE: Readonly<Record<Exclude<H3FrameName, 'unknown'>, FrameSpec>> = {
  DATA: {
    type: H3_FRAME_TYPE.DATA,
    allowedIn: ['request', 'push'],
    parse: (payload) => ({ ok: true, frame: { type: 'DATA', payload } }),
    build: (f) => (f as { payload: Uint8Array }).payload,
  },
  HEADERS: {
    type: H3_FRAME_TYPE.HEADERS,
    allowedIn: ['request', 'push'],
    parse: (fieldSection) => ({ ok: true, frame: { type: 'HEADERS', fieldSection } }),
    build: (f) => (f as { fieldSection: Uint8Array }).fieldSection,
  },
  CANCEL_PUSH: {
    type: H3_FRAME_TYPE.CANCEL_PUSH,
    allowedIn: ['control'],
    parse: (p, w) => singleVarint('CANCEL_PUSH', p, w),
    build: (f) => varintBytes((f as { pushId: number }).pushId),
  },
  SETTINGS: {
    type: H3_FRAME_TYPE.SETTINGS,
    allowedIn: ['control'],
    parse: (p, w) => {
      const r = parseSettings(p, w);
      return r.ok ? { ok: true, frame: { type: 'SETTINGS', settings: r.settings } } : r;
    },
    build: (f) => buildSettings((f as Extract<H3Frame, { type: 'SETTINGS' }>).settings),
  },
  PUSH_PROMISE: {
    type: H3_FRAME_TYPE.PUSH_PROMISE,
    allowedIn: ['request'],
    parse: (p, where) => {
      const v = decodeVarint(p, 0);
      if (!v.ok) return frameError(where, 0, `PUSH_PROMISE payload is truncated (${p.length} bytes)`);
      return { ok: true, frame: { type: 'PUSH_PROMISE', pushId: v.value, fieldSection: p.subarray(v.next) } };
    },
    build: (f) => {
      const pp = f as Extract<H3Frame, { type: 'PUSH_PROMISE' }>;
      return concatBytes(varintBytes(pp.pushId), pp.fieldSection);
    },
  },
  GOAWAY: {
    type: H3_FRAME_TYPE.GOAWAY,
    allowedIn: ['control'],
    parse: (p, w) => singleVarint('GOAWAY', p, w),
    build: (f) => varintBytes((f as { id: number }).id),
  },
  MAX_PUSH_ID: {
    type: H3_FRAME_TYPE.MAX_PUSH_ID,
    allowedIn: ['control'],
    parse: (p, w) => singleVarint('MAX_PUSH_ID', p, w),
    build: (f) => varintBytes((f as { pushId: number }).pushId),
  },
};

const BY_TYPE = new Map<number, H3FrameName>(Object.entries(FRAME_TABLE).map(([k, v]) => [v.type, k as H3FrameName]));

/** The frame kind of wire type `type`, or `unknown` (reserved and extension types, §9). */
export function frameName(type: number): H3FrameName {
  return BY_TYPE.get(type) ?? 'unknown';
}

/** True for the reserved "grease" frame types 0x1f*N+0x21 (RFC 9114 §7.2.8). */
export function isReservedFrameType(type: number): boolean {
  return type >= 0x21 && (type - 0x21) % 0x1f === 0;
}

/**
 * Whether receiving a frame of wire type `type` on a stream of kind `kind` is allowed. Unknown
 * types are allowed everywhere (§9); HTTP/2-only types nowhere (§7.2.8). SETTINGS-first and
 * sequencing rules are the stream state machines' business.
 */
export function frameAllowed(type: number, kind: H3StreamKind): boolean {
  if (H3_RESERVED_H2_FRAME_TYPES.includes(type)) return false;
  const name = frameName(type);
  return name === 'unknown' || FRAME_TABLE[name].allowedIn.includes(kind);
}

/** Parses the payload of a frame of wire type `type` (see module doc). Never throws. */
export function parseFramePayload(type: number, payload: Uint8Array, where: string): FrameParse {
  if (H3_RESERVED_H2_FRAME_TYPES.includes(type)) {
    return { ok: false, error: { code: 'H3_FRAME_UNEXPECTED', where, offset: 0, message: `frame type 0x${type.toString(16)} is an HTTP/2 frame, reserved in HTTP/3 (RFC 9114 §7.2.8)` } };
  }
  const name = frameName(type);
  if (name === 'unknown') return { ok: true, frame: { type: 'unknown', frameType: type, payload } };
  return FRAME_TABLE[name].parse(payload, where);
}

/** Outcome of reading a frame header (Type and Length, §7.1). */
export type FrameHeaderRead =
  | { readonly status: 'ok'; readonly type: number; readonly length: number; readonly next: number }
  | { readonly status: 'truncated' };

/** Reads the Type and Length varints at `buf[pos]`; `truncated` when more bytes are needed. */
export function readFrameHeader(buf: Uint8Array, pos: number, end = buf.length): FrameHeaderRead {
  const t = decodeVarint(buf, pos, end);
  if (!t.ok) return { status: 'truncated' };
  const l = decodeVarint(buf, t.next, end);
  if (!l.ok) return { status: 'truncated' };
  return { status: 'ok', type: t.value, length: l.value, next: l.next };
}

/** Outcome of parsing a whole frame from a buffer. */
export type FrameRead =
  | { readonly status: 'ok'; readonly frame: H3Frame; readonly next: number }
  | { readonly status: 'truncated' }
  | { readonly status: 'error'; readonly error: H3Error };

/** Parses the complete frame at `buf[pos]` (payload views alias `buf`). Never throws. */
export function parseFrame(buf: Uint8Array, pos = 0, where = 'frame'): FrameRead {
  const h = readFrameHeader(buf, pos);
  if (h.status !== 'ok' || h.next + h.length > buf.length) return { status: 'truncated' };
  const r = parseFramePayload(h.type, buf.subarray(h.next, h.next + h.length), where);
  return r.ok ? { status: 'ok', frame: r.frame, next: h.next + h.length } : { status: 'error', error: r.error };
}

/** Encodes a frame header for wire type `type` and payload `length`. */
export function buildFrameHeader(type: number, length: number): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(length));
  writeVarint(out, writeVarint(out, 0, type), length);
  return out;
}

/** Encodes `frame` (header and payload) into a new array. */
export function buildFrame(frame: H3Frame): Uint8Array {
  if (frame.type === 'unknown') return concatBytes(buildFrameHeader(frame.frameType, frame.payload.length), frame.payload);
  const spec = FRAME_TABLE[frame.type];
  const payload = spec.build(frame);
  return concatBytes(buildFrameHeader(spec.type, payload.length), payload);
}

function frameError(where: string, offset: number, message: string): FrameParse {
  return { ok: false, error: { code: 'H3_FRAME_ERROR', where, offset, message } };
}
