/**
 * Types and constants of the snapshot container (the file format is described byte by byte in
 * diag/snapshot/FORMAT.md). Shared by the writer (the supervisor, on a fault or on demand) and every
 * reader (`flightbox decode`, the TUI, the golden-file tests).
 *
 * Section type ids are part of the file format: once shipped, an id keeps its meaning forever. New
 * kinds of content get new ids; readers skip ids they do not know.
 */

/**
 * Section type ids (u16 in the section header). Payload kinds:
 * JSON = UTF-8 JSON document; binary = header+body packing (see {@link packHeaderBody}); text = UTF-8.
 */
export const SECTION = {
  /** JSON: format/app version, build id, Node, OS, pid, uptime, argv, reason, time. */
  META: 1,
  /** JSON: the FaultRecord (diag/fault.types.ts). */
  FAULT: 2,
  /** JSON: the threads (state, heartbeat, stack of a stalled one). */
  THREADS: 3,
  /** Binary, one per thread per ring: header `{ thread, ring, ... }` + raw ring bytes. */
  RING: 4,
  /** Binary, one per thread: header `{ thread, ... }` + that thread's interned strings. */
  STRINGS: 5,
  /** JSON: pool registry, counters, the offending item's tag history. */
  POOLS: 6,
  /** JSON: live objects and their termination logs. */
  LIVE: 7,
  /** Text: the configuration, already redacted (diag/redact.ts). */
  CONFIG: 8,
  /** JSON: process memory figures. */
  MEMORY: 9,
  /** JSON: CHECK_IF sites and their hit counts. */
  CHECKS: 10,
  /** JSON: the trace point registry (id -> source, event, level, argument names). */
  TRACE_POINTS: 11,
  /** JSON: which trace sources were enabled, at which level, with which filters. */
  TRACE_STATE: 12,
  /**
   * JSON, written by the container itself: what the size bound cost (sections trimmed by their
   * `shrink`, sections omitted). See {@link SizeNote}.
   */
  OMITTED: 13,
} as const;

/** A section type id the writer knows. Readers also meet ids outside this set (from newer writers). */
export type SectionType = (typeof SECTION)[keyof typeof SECTION];

/** Human name of each known section type, for messages ("section 4 (ring) damaged ..."). */
export const SECTION_NAME: Readonly<Record<number, string>> = {
  [SECTION.META]: 'meta',
  [SECTION.FAULT]: 'fault',
  [SECTION.THREADS]: 'threads',
  [SECTION.RING]: 'ring',
  [SECTION.STRINGS]: 'strings',
  [SECTION.POOLS]: 'pools',
  [SECTION.LIVE]: 'live',
  [SECTION.CONFIG]: 'config',
  [SECTION.MEMORY]: 'memory',
  [SECTION.CHECKS]: 'checks',
  [SECTION.TRACE_POINTS]: 'trace-points',
  [SECTION.TRACE_STATE]: 'trace-state',
  [SECTION.OMITTED]: 'omitted',
};

/** The name of section type `type`, or `unknown section type N` for ids this reader does not know. */
export function sectionName(type: number): string {
  return SECTION_NAME[type] ?? `unknown section type ${type}`;
}

/** One section handed to the writer. */
export interface SectionInput {
  /** Section type id (normally one of {@link SECTION}). */
  type: number;
  /**
   * The raw (uncompressed) payload. May be a view of shared memory that another thread still writes
   * (a live ring): the checksums then describe the bytes that actually went into the file.
   */
  payload: Uint8Array;
  /**
   * Importance when the file would exceed its size bound: sections are shrunk, then dropped, lowest
   * priority first. Default 0. META and FAULT should carry the highest priorities.
   */
  priority?: number;
  /**
   * Asked, when the file would exceed its size bound, for a smaller payload of at most `maxBytes`
   * raw bytes (rings drop their oldest records). Returns undefined when it cannot go that small.
   * May be called several times with decreasing budgets.
   */
  shrink?: (maxBytes: number) => Uint8Array | undefined;
  /** Short label for size notes and messages, e.g. "t3/buf0" for a ring. */
  label?: string;
}

/** One section as found by the reader. */
export interface DecodedSection {
  /** Type id as stored (may be an id this reader does not know). */
  type: number;
  /** {@link sectionName} of the type. */
  name: string;
  /** Position of the section in the file, 0-based. */
  index: number;
  /** ok: checksums match and the payload decoded; damaged: a checksum or decompression failed; truncated: the file ends inside it. */
  status: 'ok' | 'damaged' | 'truncated';
  /** The raw payload, when status is 'ok'. For stored (uncompressed) sections this is a view of the input buffer. */
  data?: Uint8Array;
  /** What is wrong, when status is not 'ok'. */
  problem?: string;
  /** Set when the writer trimmed this section (its `shrink`) to respect the size bound. */
  trimmed?: boolean;
  /** Label recorded for this section in the size note, if any. */
  label?: string;
}

/** A whole snapshot as found by the reader. */
export interface DecodedContainer {
  /** Container format version (1). */
  version: number;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  /** Every section found, in file order, with its status. */
  sections: DecodedSection[];
  /** Everything the reader has to say about the file: damage, truncation, unknown sections, size trims. */
  problems: string[];
  /** True when the file is exactly as written: end marker present and valid, every section 'ok'. */
  complete: boolean;
  /** What the size bound cost, from the OMITTED section (absent when nothing was trimmed or omitted). */
  size?: SizeNote;
}

/** Payload of the OMITTED section (JSON). */
export interface SizeNote {
  /** The size bound the writer respected, bytes. */
  maxSize: number;
  /** Sections that were shrunk; `index` is the section's position in the file. */
  trimmed: { index: number; type: number; label?: string; rawBytes: number; keptBytes: number }[];
  /** Sections that were left out; `inputIndex` is their position in the writer's input. */
  omitted: { inputIndex: number; type: number; label?: string; rawBytes: number }[];
  /** Entries left out of the lists above because the note itself had to fit the bound. */
  elided?: number;
}

/** A binary payload with a small self-describing header (RING and STRINGS sections). */
export interface HeaderBody {
  header: Record<string, unknown>;
  body: Uint8Array;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Packs `{ header, body }` into one payload: u32 LE length of the header, the header as UTF-8 JSON,
 * then the body bytes (see FORMAT.md "Header+body payloads").
 */
export function packHeaderBody(p: HeaderBody): Uint8Array {
  const head = utf8Encoder.encode(JSON.stringify(p.header));
  const out = new Uint8Array(4 + head.length + p.body.length);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  out.set(p.body, 4 + head.length);
  return out;
}

/**
 * Inverse of {@link packHeaderBody}. The body is a view of `payload` (no copy). Throws an Error
 * saying what is wrong when the payload is too short or the header is not a JSON object.
 */
export function unpackHeaderBody(payload: Uint8Array): HeaderBody {
  if (payload.length < 4) throw new Error(`header+body payload too short (${payload.length} bytes, need at least 4)`);
  const len = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0, true);
  if (4 + len > payload.length) {
    throw new Error(`header+body payload: header length ${len} exceeds the payload (${payload.length - 4} bytes after the length)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(utf8Decoder.decode(payload.subarray(4, 4 + len)));
  } catch (e) {
    throw new Error(`header+body payload: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new Error('header+body payload: header is not a JSON object');
  }
  return { header: header as Record<string, unknown>, body: payload.subarray(4 + len) };
}

/** Encodes a JSON section payload (UTF-8 JSON). */
export function encodeJson(value: unknown): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(value));
}

/** Decodes a JSON section payload; throws an Error naming the problem if it is not UTF-8 JSON. */
export function decodeJson(payload: Uint8Array): unknown {
  return JSON.parse(utf8Decoder.decode(payload));
}

/** Encodes a text section payload (UTF-8). */
export function encodeText(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes a text section payload (UTF-8, invalid sequences replaced). */
export function decodeText(payload: Uint8Array): string {
  return new TextDecoder('utf-8').decode(payload);
}
