/**
 * The snapshot container: one versioned file of typed, individually checksummed, compressed
 * sections, bounded in size and written atomically (temporary name, fsync, rename). The reader
 * decodes whatever is intact in a truncated or damaged file and says what is not.
 *
 * The byte layout is documented in diag/snapshot/FORMAT.md; keep the two in step. Golden files in
 * fixtures/snapshots/ pin every shipped version.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  SECTION,
  SECTION_NAME,
  decodeJson,
  encodeJson,
  sectionName,
  type DecodedContainer,
  type DecodedSection,
  type SectionInput,
  type SizeNote,
} from './container.types.ts';

export {
  SECTION,
  SECTION_NAME,
  sectionName,
  packHeaderBody,
  unpackHeaderBody,
  encodeJson,
  decodeJson,
  encodeText,
  decodeText,
} from './container.types.ts';
export type { SectionInput, DecodedSection, DecodedContainer, SizeNote, HeaderBody } from './container.types.ts';

/** File magic: 0x89 "FBS" CR LF 0x1A LF. Like PNG's, it breaks visibly under 7-bit or text-mode transfers. */
export const SNAPSHOT_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x89, 0x46, 0x42, 0x53, 0x0d, 0x0a, 0x1a, 0x0a);
/** The container format version this module writes, and the only one it reads so far. */
export const FORMAT_VERSION = 1;
/** Size of the v1 file header. */
export const FILE_HEADER_BYTES = 40;
/** Size of a section header. */
export const SECTION_HEADER_BYTES = 32;
/** Size of the end marker (trailer). */
export const TRAILER_BYTES = 24;
/** Marker opening every section header: 0xFB "SEC". */
export const SECTION_MARKER: Readonly<Uint8Array> = Uint8Array.of(0xfb, 0x53, 0x45, 0x43);
/** Marker opening the trailer: 0xFB "END". */
export const END_MARKER: Readonly<Uint8Array> = Uint8Array.of(0xfb, 0x45, 0x4e, 0x44);

/** File header flags (u32 at offset 12). */
export const FILE_FLAG = { TRIMMED: 1, OMITTED: 2 } as const;
/** Section header flags (u8 at offset 7). */
export const SECTION_FLAG = { TRIMMED: 1 } as const;
/** Section payload encodings (u8 at offset 6). */
export const ENCODING = { STORED: 0, DEFLATE_RAW: 1 } as const;

const SECTION_MARKER_BUF = Buffer.from(SECTION_MARKER);
const END_MARKER_BUF = Buffer.from(END_MARKER);
const U32_MAX = 0xffffffff;

/** What {@link decodeSnapshot} throws when it cannot read the file at all. */
export class SnapshotFormatError extends Error {
  /** not-a-snapshot: wrong magic; unknown-version: a version this reader does not know; damaged: the file header is unusable. */
  readonly code: 'not-a-snapshot' | 'unknown-version' | 'damaged';
  constructor(code: 'not-a-snapshot' | 'unknown-version' | 'damaged', message: string) {
    super(message);
    this.name = 'SnapshotFormatError';
    this.code = code;
  }
}

/** True when `buf` starts with the snapshot magic (a quick check; it says nothing about integrity). */
export function isSnapshot(buf: Uint8Array): boolean {
  if (buf.length < SNAPSHOT_MAGIC.length) return false;
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) if (buf[i] !== SNAPSHOT_MAGIC[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writer

/** Options of {@link encodeSnapshot}. */
export interface EncodeOptions {
  /** Upper bound of the file size in bytes; never exceeded. */
  maxSize: number;
  /** Creation time, ms since the epoch (default: now). */
  createdAt?: number;
}

interface Prepared {
  input: SectionInput;
  inputIndex: number;
  priority: number;
  raw: Uint8Array;
  stored: Uint8Array;
  encoding: number;
  origRawBytes: number;
  trimmed: boolean;
  dropped: boolean;
  /** shrink said no (or there is no shrink). */
  exhausted: boolean;
}

/** Payloads above this size are compressed at level 1 (speed matters more than ratio for rings). */
const FAST_LEVEL_ABOVE = 256 * 1024;
/** Payloads above this size are sampled first; when the samples do not compress, the payload is stored. */
const SAMPLE_ABOVE = 1024 * 1024;
const SAMPLE_BYTES = 64 * 1024;
/** Below this size deflate is not worth it. */
const STORE_BELOW = 64;

/** Chooses an encoding for `raw` and returns the stored bytes. */
function compress(raw: Uint8Array): { encoding: number; stored: Uint8Array } {
  if (raw.length < STORE_BELOW) return { encoding: ENCODING.STORED, stored: raw };
  const level = raw.length > FAST_LEVEL_ABOVE ? 1 : 6;
  if (raw.length > SAMPLE_ABOVE) {
    // Incompressible data costs deflate several times more than compressible data: sample first.
    let inBytes = 0;
    let outBytes = 0;
    for (const at of [0, Math.floor(raw.length / 2), raw.length - SAMPLE_BYTES]) {
      const sample = raw.subarray(at, at + SAMPLE_BYTES);
      inBytes += sample.length;
      outBytes += deflateRawSync(sample, { level }).length;
    }
    if (outBytes > inBytes * 0.9) return { encoding: ENCODING.STORED, stored: raw };
  }
  const out = deflateRawSync(raw, { level });
  if (out.length >= raw.length) return { encoding: ENCODING.STORED, stored: raw };
  return { encoding: ENCODING.DEFLATE_RAW, stored: out };
}

function prepare(input: SectionInput, inputIndex: number): Prepared {
  if (!Number.isInteger(input.type) || input.type < 0 || input.type > 0xffff) {
    throw new RangeError(`snapshot section ${inputIndex}: type ${input.type} is not a u16; use an id from SECTION`);
  }
  if (input.payload.length > U32_MAX) {
    throw new RangeError(`snapshot section ${inputIndex} (${sectionName(input.type)}): payload of ${input.payload.length} bytes exceeds 4 GiB`);
  }
  const { encoding, stored } = compress(input.payload);
  return {
    input,
    inputIndex,
    priority: input.priority ?? 0,
    raw: input.payload,
    stored,
    encoding,
    origRawBytes: input.payload.length,
    trimmed: false,
    dropped: false,
    exhausted: input.shrink === undefined,
  };
}

const FIXED_BYTES = FILE_HEADER_BYTES + TRAILER_BYTES;

function totalBytes(all: Prepared[]): number {
  let n = FIXED_BYTES;
  for (const p of all) if (!p.dropped) n += SECTION_HEADER_BYTES + p.stored.length;
  return n;
}

/** Asks one section for a payload whose stored size would be about `targetStored`. False when it could not. */
function shrinkOne(p: Prepared, targetStored: number): boolean {
  const ratio = p.raw.length > 0 ? p.stored.length / p.raw.length : 1;
  const maxRaw = Math.max(0, Math.floor(targetStored / ratio));
  if (maxRaw >= p.raw.length) return true; // already small enough in raw terms; nothing to ask
  let next: Uint8Array | undefined;
  try {
    next = p.input.shrink?.(maxRaw);
  } catch {
    next = undefined; // a failing shrink must not cost the whole snapshot: the section may be dropped instead
  }
  if (next === undefined || next.length > maxRaw || next.length >= p.raw.length) {
    p.exhausted = true;
    return false;
  }
  const c = compress(next);
  p.raw = next;
  p.stored = c.stored;
  p.encoding = c.encoding;
  p.trimmed = true;
  return true;
}

/**
 * Brings the sections within `budget` bytes (including header and trailer): shrinks the sections
 * that can shrink, lowest priority group first, sharing the excess among a group in proportion to
 * size; then drops sections, lowest priority first (later input first among equals). Monotonic: it
 * only ever makes things smaller, so it can be called again with a smaller budget.
 */
function fit(all: Prepared[], budget: number): void {
  if (totalBytes(all) <= budget) return;
  const priorities = [...new Set(all.filter((p) => !p.dropped && !p.exhausted).map((p) => p.priority))].sort((a, b) => a - b);
  for (const prio of priorities) {
    for (let round = 0; round < 4; round++) {
      const excess = totalBytes(all) - budget;
      if (excess <= 0) return;
      const group = all.filter((p) => !p.dropped && !p.exhausted && p.priority === prio);
      const groupStored = group.reduce((n, p) => n + p.stored.length, 0);
      if (groupStored === 0) break;
      // Later rounds aim lower: compression ratios of the shrunk payloads differ from the estimate.
      const want = excess * (1 + 0.1 * round) + 16 * round;
      for (const p of group) shrinkOne(p, p.stored.length - Math.ceil((want * p.stored.length) / groupStored));
    }
  }
  if (totalBytes(all) <= budget) return;
  const order = all.filter((p) => !p.dropped).sort((a, b) => a.priority - b.priority || b.inputIndex - a.inputIndex);
  for (const p of order) {
    if (totalBytes(all) <= budget) return;
    p.dropped = true;
  }
}

function buildNote(all: Prepared[], maxSize: number, keepEntries: number): SizeNote {
  const kept = all.filter((p) => !p.dropped);
  const trimmed: SizeNote['trimmed'] = [];
  kept.forEach((p, index) => {
    if (p.trimmed) trimmed.push({ index, type: p.input.type, label: p.input.label, rawBytes: p.origRawBytes, keptBytes: p.raw.length });
  });
  const omitted: SizeNote['omitted'] = all
    .filter((p) => p.dropped)
    .map((p) => ({ inputIndex: p.inputIndex, type: p.input.type, label: p.input.label, rawBytes: p.origRawBytes }));
  const total = trimmed.length + omitted.length;
  if (keepEntries >= total) return { maxSize, trimmed, omitted };
  const t = trimmed.slice(0, keepEntries);
  const o = omitted.slice(0, Math.max(0, keepEntries - t.length));
  return { maxSize, trimmed: t, omitted: o, elided: total - t.length - o.length };
}

/**
 * Encodes sections into one snapshot file image (layout: FORMAT.md), in input order.
 *
 * The result never exceeds `opts.maxSize` bytes. When it would, sections with `shrink` are asked to
 * shrink (lowest priority first), then sections are dropped (lowest priority first), and an OMITTED
 * section plus file-header flags record what was cut. Payloads are deflated (level 1 above 256 KiB)
 * or stored when they do not compress. Throws RangeError when `maxSize` cannot hold even an empty
 * snapshot (64 bytes) or a section type/size does not fit the format.
 */
export function encodeSnapshot(sections: SectionInput[], opts: EncodeOptions): Buffer {
  const { maxSize } = opts;
  if (!(maxSize >= FIXED_BYTES)) {
    throw new RangeError(`snapshot maxSize ${maxSize} is below the smallest possible snapshot (${FIXED_BYTES} bytes); raise it`);
  }
  if (sections.length >= U32_MAX) throw new RangeError(`too many snapshot sections (${sections.length})`);
  const all = sections.map(prepare);
  let note: Prepared | undefined;
  if (totalBytes(all) > maxSize) {
    // Reserve room for the note, fit, and grow the reserve while the note turns out larger. Each
    // round only cuts more, so this converges; the smallest first guess avoids cutting too much.
    let reserve = SECTION_HEADER_BYTES + encodeJson(buildNote([], maxSize, 0)).length;
    for (let attempt = 0; ; attempt++) {
      fit(all, maxSize - reserve);
      let keep = all.length;
      let payload = encodeJson(buildNote(all, maxSize, keep));
      const room = maxSize - totalBytes(all) - SECTION_HEADER_BYTES;
      if (payload.length <= room) {
        note = prepare({ type: SECTION.OMITTED, payload, priority: Infinity }, all.length);
        break;
      }
      if (attempt < 4) {
        reserve = Math.max(reserve + 1, SECTION_HEADER_BYTES + payload.length);
        continue;
      }
      // Still no room: shorten the note's lists (counts survive as `elided`), else write none.
      while (keep > 0 && payload.length > room) {
        keep = Math.floor(keep / 2);
        payload = encodeJson(buildNote(all, maxSize, keep));
      }
      if (payload.length <= room) note = prepare({ type: SECTION.OMITTED, payload, priority: Infinity }, all.length);
      break;
    }
  }
  const kept = all.filter((p) => !p.dropped);
  if (note) kept.push(note);
  let flags = 0;
  if (kept.some((p) => p.trimmed)) flags |= FILE_FLAG.TRIMMED;
  if (all.some((p) => p.dropped)) flags |= FILE_FLAG.OMITTED;
  return assemble(kept, flags, opts.createdAt ?? Date.now());
}

function assemble(kept: Prepared[], flags: number, createdAt: number): Buffer {
  let total = FIXED_BYTES;
  for (const p of kept) total += SECTION_HEADER_BYTES + p.stored.length;
  const out = Buffer.allocUnsafe(total);
  out.set(SNAPSHOT_MAGIC, 0);
  out.writeUInt16LE(FORMAT_VERSION, 8);
  out.writeUInt16LE(FILE_HEADER_BYTES, 10);
  out.writeUInt32LE(flags, 12);
  out.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(createdAt))), 16);
  out.writeBigUInt64LE(BigInt(total), 24);
  out.writeUInt32LE(kept.length, 32);
  out.writeUInt32LE(crc32(out.subarray(0, 36)), 36);
  let pos = FILE_HEADER_BYTES;
  kept.forEach((p, index) => {
    out.set(SECTION_MARKER, pos);
    out.writeUInt16LE(p.input.type, pos + 4);
    out.writeUInt8(p.encoding, pos + 6);
    out.writeUInt8(p.trimmed ? SECTION_FLAG.TRIMMED : 0, pos + 7);
    out.writeUInt32LE(index, pos + 8);
    out.writeUInt32LE(p.raw.length, pos + 12);
    out.writeUInt32LE(p.stored.length, pos + 16);
    // Copy first, then checksum the copy: a stored payload may be a view of memory another thread
    // still writes (a live ring), and the CRC must describe the bytes that are in the file.
    const body = pos + SECTION_HEADER_BYTES;
    out.set(p.stored, body);
    out.writeUInt32LE(crc32(out.subarray(body, body + p.stored.length)), pos + 20);
    out.writeUInt32LE(0, pos + 24);
    out.writeUInt32LE(crc32(out.subarray(pos, pos + 28)), pos + 28);
    pos += SECTION_HEADER_BYTES + p.stored.length;
  });
  out.set(END_MARKER, pos);
  out.writeUInt32LE(kept.length, pos + 4);
  out.writeBigUInt64LE(BigInt(total), pos + 8);
  out.writeUInt32LE(0, pos + 16);
  out.writeUInt32LE(crc32(out.subarray(pos, pos + 20)), pos + 20);
  return out;
}

/**
 * Encodes the sections and writes them to `path` atomically: the bytes go to
 * `<path>.tmp-<pid>-<random>` in the same directory (created if missing, file mode 0600), are
 * fsynced, then renamed over `path`. On any error the temporary file is removed and an Error saying
 * which path failed is thrown (the original error is its `cause`, its `code` is kept); `path` then
 * holds whatever it held before, never a partial snapshot.
 */
export function writeSnapshotFile(path: string, sections: SectionInput[], opts: EncodeOptions): { path: string; bytes: number } {
  const image = encodeSnapshot(sections, opts);
  const dir = dirname(path);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fd: number | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    fd = openSync(tmp, 'wx', 0o600);
    let off = 0;
    while (off < image.length) off += writeSync(fd, image, off, image.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing; the original error matters */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* not created, or already gone */
    }
    const err = e as NodeJS.ErrnoException;
    const wrapped = new Error(
      `cannot write snapshot to ${path}: ${err.message}; check that the directory is writable and that ${path} is not a directory`,
      { cause: e },
    ) as NodeJS.ErrnoException;
    wrapped.code = err.code;
    throw wrapped;
  }
  syncDir(dir);
  return { path, bytes: image.length };
}

/** fsyncs a directory so the rename itself is durable; best effort (not every platform allows it). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Reader

interface FileHeader {
  version: number;
  headerBytes: number;
  flags: number;
  createdAt: number;
  fileBytes: number;
  count: number;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

function readFileHeader(buf: Buffer, problems: string[]): FileHeader {
  if (!isSnapshot(buf)) {
    // 7-bit transfers turn 0x89 into 0x09; text-mode transfers rewrite the CR LF / LF that follow "FBS".
    const fbs = buf.length >= 8 && buf[1] === 0x46 && buf[2] === 0x42 && buf[3] === 0x53;
    const mangled = fbs && (buf[0] === 0x09 || buf[0] === 0x89);
    let message = 'not a Flightbox snapshot (wrong magic bytes at offset 0)';
    if (buf.length < SNAPSHOT_MAGIC.length) message = `not a Flightbox snapshot: only ${buf.length} bytes, too short for the magic`;
    else if (mangled) {
      message = 'not a Flightbox snapshot: the magic bytes were altered, as by a text-mode or 7-bit transfer; copy the file again in binary mode';
    }
    throw new SnapshotFormatError('not-a-snapshot', message);
  }
  if (buf.length < 12) {
    throw new SnapshotFormatError('damaged', `snapshot damaged: the file ends inside its header (${buf.length} bytes)`);
  }
  const version = buf.readUInt16LE(8);
  const headerBytes = buf.readUInt16LE(10);
  if (headerBytes < 16) {
    throw new SnapshotFormatError('damaged', `snapshot damaged: header length ${headerBytes} is impossible (version field reads ${version})`);
  }
  if (buf.length < headerBytes) {
    throw new SnapshotFormatError('damaged', `snapshot damaged: the file ends inside its header (${buf.length} of ${headerBytes} bytes)`);
  }
  const crcOk = crc32(buf.subarray(0, headerBytes - 4)) === buf.readUInt32LE(headerBytes - 4);
  if (crcOk && version !== FORMAT_VERSION) {
    throw new SnapshotFormatError(
      'unknown-version',
      `snapshot format version ${version} is unknown to this reader (it reads version ${FORMAT_VERSION}); use a newer flightbox`,
    );
  }
  if (!crcOk && (version !== FORMAT_VERSION || headerBytes !== FILE_HEADER_BYTES)) {
    throw new SnapshotFormatError(
      'damaged',
      `snapshot damaged: file header checksum mismatch, and its version (${version}) / length (${headerBytes}) fields are unusable`,
    );
  }
  if (headerBytes < FILE_HEADER_BYTES) {
    throw new SnapshotFormatError('damaged', `snapshot damaged: header length ${headerBytes} is too short for version 1 (40)`);
  }
  if (!crcOk) problems.push('file header damaged (checksum mismatch): creation time, flags and section count may be wrong');
  return {
    version,
    headerBytes,
    flags: buf.readUInt32LE(12),
    createdAt: Number(buf.readBigUInt64LE(16)),
    fileBytes: Number(buf.readBigUInt64LE(24)),
    count: buf.readUInt32LE(32),
  };
}

function markerAt(buf: Buffer, pos: number, marker: Buffer): boolean {
  return pos + 4 <= buf.length && buf.compare(marker, 0, 4, pos, pos + 4) === 0;
}

function sectionHeaderOk(buf: Buffer, pos: number): boolean {
  return (
    pos + SECTION_HEADER_BYTES <= buf.length &&
    markerAt(buf, pos, SECTION_MARKER_BUF) &&
    crc32(buf.subarray(pos, pos + 28)) === buf.readUInt32LE(pos + 28)
  );
}

function trailerOk(buf: Buffer, pos: number): boolean {
  return (
    pos + TRAILER_BYTES <= buf.length &&
    markerAt(buf, pos, END_MARKER_BUF) &&
    crc32(buf.subarray(pos, pos + 20)) === buf.readUInt32LE(pos + 20)
  );
}

/** The next offset after `from` holding an intact section header or trailer, or -1. */
function resync(buf: Buffer, from: number): number {
  let s = buf.indexOf(SECTION_MARKER_BUF, from);
  let e = buf.indexOf(END_MARKER_BUF, from);
  while (s !== -1 || e !== -1) {
    if (s !== -1 && (e === -1 || s < e)) {
      if (sectionHeaderOk(buf, s)) return s;
      s = buf.indexOf(SECTION_MARKER_BUF, s + 1);
    } else {
      if (trailerOk(buf, e)) return e;
      e = buf.indexOf(END_MARKER_BUF, e + 1);
    }
  }
  return -1;
}

/** Decodes the payload of a section whose header is intact and whose bytes are all present. */
function decodePayload(buf: Buffer, pos: number, sec: DecodedSection): void {
  const encoding = buf.readUInt8(pos + 6);
  const rawLen = buf.readUInt32LE(pos + 12);
  const storedLen = buf.readUInt32LE(pos + 16);
  const stored = buf.subarray(pos + SECTION_HEADER_BYTES, pos + SECTION_HEADER_BYTES + storedLen);
  const want = buf.readUInt32LE(pos + 20);
  const got = crc32(stored);
  const where = `section ${sec.index} (${sec.name}) at offset ${pos}`;
  if (got !== want) {
    sec.status = 'damaged';
    sec.problem = `${where}: payload checksum mismatch (CRC32 recorded ${hex(want)}, computed ${hex(got)})`;
    return;
  }
  if (encoding === ENCODING.STORED) {
    if (rawLen !== storedLen) {
      sec.status = 'damaged';
      sec.problem = `${where}: stored section with raw length ${rawLen} but ${storedLen} stored bytes`;
      return;
    }
    sec.data = stored;
    return;
  }
  if (encoding !== ENCODING.DEFLATE_RAW) {
    sec.status = 'damaged';
    sec.problem = `${where}: unsupported encoding ${encoding} (written by a newer flightbox?)`;
    return;
  }
  try {
    const data = inflateRawSync(stored, { maxOutputLength: Math.max(1, rawLen) });
    if (data.length !== rawLen) throw new Error(`inflated to ${data.length} bytes, header says ${rawLen}`);
    sec.data = data;
  } catch (e) {
    sec.status = 'damaged';
    sec.problem = `${where}: decompression failed (${(e as Error).message})`;
  }
}

/** Reads the section type from possibly damaged header bytes, when present. */
function typeAt(buf: Buffer, pos: number): number {
  return pos + 6 <= buf.length ? buf.readUInt16LE(pos + 4) : 0;
}

function rangeText(a: number, b: number): string {
  return a === b ? `section ${a}` : `sections ${a}..${b}`;
}

/** Reader state while walking the sections of one file. */
interface Walk {
  buf: Buffer;
  head: FileHeader;
  headerIntact: boolean;
  sections: DecodedSection[];
  problems: string[];
  pos: number;
  /** Index of the next section expected. */
  next: number;
  /** An intact end marker was read. */
  ended: boolean;
  /** Why the walk stopped before the end marker, when it did. */
  stop?: 'truncated' | 'unreadable' | 'bad-end';
  /** The end marker was read but something about it is off (extra bytes, wrong counts). */
  endProblem: boolean;
}

function missingBytes(w: Walk): string {
  return w.headerIntact && w.head.fileBytes > w.buf.length
    ? `${w.head.fileBytes - w.buf.length} bytes missing (file is ${w.buf.length} bytes, written as ${w.head.fileBytes})`
    : 'the number of missing bytes is unknown';
}

/** True when the bytes at `pos` should be the end marker rather than another section. */
function expectEnd(w: Walk, partial: Buffer): boolean {
  if (w.headerIntact) return w.next >= w.head.count;
  return END_MARKER_BUF.subarray(0, partial.length).equals(partial) && !SECTION_MARKER_BUF.subarray(0, partial.length).equals(partial);
}

function truncatedHeader(w: Walk): void {
  const { buf, pos } = w;
  const index = w.next++;
  const type = typeAt(buf, pos);
  w.sections.push({
    type,
    name: sectionName(type),
    index,
    status: 'truncated',
    problem: `section ${index} truncated inside its header at offset ${pos} (${buf.length - pos} of ${SECTION_HEADER_BYTES} bytes); ${missingBytes(w)}`,
  });
  w.stop = 'truncated';
}

function readTrailer(w: Walk): void {
  const { buf, pos } = w;
  if (pos + TRAILER_BYTES > buf.length) {
    w.problems.push(`file truncated inside the end marker at offset ${pos}; ${missingBytes(w)}`);
    w.stop = 'truncated';
    return;
  }
  if (!trailerOk(buf, pos)) {
    w.problems.push(`end marker at offset ${pos} damaged (${markerAt(buf, pos, END_MARKER_BUF) ? 'checksum mismatch' : 'bad marker'}); the sections before it are unaffected`);
    w.stop = 'bad-end';
    return;
  }
  w.ended = true;
  const count = buf.readUInt32LE(pos + 4);
  const fileBytes = Number(buf.readBigUInt64LE(pos + 8));
  const off = (m: string): void => {
    w.problems.push(m);
    w.endProblem = true;
  };
  if (count !== w.next) off(`end marker says ${count} sections were written, ${w.next} found`);
  if (w.headerIntact && count !== w.head.count) off(`end marker says ${count} sections, file header says ${w.head.count}`);
  if (fileBytes !== pos + TRAILER_BYTES) off(`end marker says the file is ${fileBytes} bytes, it ends at offset ${pos + TRAILER_BYTES}`);
  if (pos + TRAILER_BYTES < buf.length) {
    off(`${buf.length - pos - TRAILER_BYTES} unexpected bytes after the end marker (offset ${pos + TRAILER_BYTES})`);
  }
}

/** Reads one section whose header is intact; false when the file ends inside it. */
function readSection(w: Walk): boolean {
  const { buf, pos } = w;
  const type = buf.readUInt16LE(pos + 4);
  const index = buf.readUInt32LE(pos + 8);
  if (index > w.next) w.problems.push(`${rangeText(w.next, index - 1)} not found before offset ${pos}`);
  else if (index < w.next) w.problems.push(`section at offset ${pos} carries index ${index}, expected ${w.next}`);
  w.next = index + 1;
  const sec: DecodedSection = { type, name: sectionName(type), index, status: 'ok' };
  if (buf.readUInt8(pos + 7) & SECTION_FLAG.TRIMMED) sec.trimmed = true;
  w.sections.push(sec);
  const storedLen = buf.readUInt32LE(pos + 16);
  const end = pos + SECTION_HEADER_BYTES + storedLen;
  if (end > buf.length) {
    const have = buf.length - pos - SECTION_HEADER_BYTES;
    sec.status = 'truncated';
    sec.problem = `section ${index} (${sec.name}) at offset ${pos} truncated: ${have} of ${storedLen} stored bytes present; ${missingBytes(w)}`;
    w.stop = 'truncated';
    return false;
  }
  decodePayload(buf, pos, sec);
  if (sec.status === 'ok' && SECTION_NAME[type] === undefined) {
    w.problems.push(`section ${index}: ${sec.name} (written by a newer flightbox?), skipped`);
  }
  w.pos = end;
  return true;
}

/** Handles a damaged section header at w.pos: reports it and resumes at the next intact header. */
function skipDamaged(w: Walk, what: string): void {
  const { buf, pos } = w;
  const found = resync(buf, pos + 1);
  let lastLost = w.next;
  if (found !== -1) {
    lastLost = (markerAt(buf, found, SECTION_MARKER_BUF) ? buf.readUInt32LE(found + 8) : buf.readUInt32LE(found + 4)) - 1;
  }
  if (lastLost < w.next) lastLost = w.next; // the region holds at least the damaged section
  const type = typeAt(buf, pos);
  const tail =
    found === -1
      ? `no intact section or end marker follows: the last ${buf.length - pos} bytes could not be read`
      : `resynchronised at offset ${found}, ${found - pos} bytes skipped`;
  w.sections.push({
    type,
    name: sectionName(type),
    index: w.next,
    status: 'damaged',
    problem: `section ${w.next} header at offset ${pos} damaged (${what}; type ${type} as read, unverified); ${tail}`,
  });
  for (let i = w.next + 1; i <= lastLost; i++) {
    w.sections.push({ type: 0, name: 'unknown', index: i, status: 'damaged', problem: `section ${i} lost in the damaged region at offsets ${pos}..${found}` });
  }
  w.next = lastLost + 1;
  if (found === -1) {
    if (w.headerIntact && w.head.count > w.next) {
      w.problems.push(`${rangeText(w.next, w.head.count - 1)} of ${w.head.count} not found (lost after offset ${pos})`);
    }
    if (w.headerIntact && w.head.fileBytes > buf.length) w.problems.push(`file also truncated: ${missingBytes(w)}`);
    w.stop = 'unreadable';
    return;
  }
  w.pos = found;
}

/**
 * Decodes a snapshot file image. Throws {@link SnapshotFormatError} only when the file cannot be
 * read at all: wrong magic ('not-a-snapshot'), a format version this reader does not know
 * ('unknown-version'), or a file header that is unusable ('damaged'). Otherwise returns every section
 * found with its status: a checksum, decompression or encoding failure marks that section 'damaged'
 * and reading goes on; a damaged section header is skipped by resynchronising at the next intact
 * section header; a file that ends inside a section marks it 'truncated', and the problems say how
 * many bytes are missing. Unknown section types decode as 'ok' and are reported
 * (`unknown section type N`) so callers skip them. Size trims and omissions recorded by the writer
 * are reported in `problems` and `size`.
 */
export function decodeSnapshot(input: Uint8Array): DecodedContainer {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const problems: string[] = [];
  const head = readFileHeader(buf, problems);
  const w: Walk = { buf, head, headerIntact: problems.length === 0, sections: [], problems, pos: head.headerBytes, next: 0, ended: false, endProblem: false };
  while (w.pos < buf.length && !w.ended && w.stop === undefined) {
    const rem = buf.length - w.pos;
    if (rem < 4) {
      if (expectEnd(w, buf.subarray(w.pos))) readTrailer(w);
      else truncatedHeader(w);
    } else if (markerAt(buf, w.pos, END_MARKER_BUF)) {
      readTrailer(w);
    } else if (markerAt(buf, w.pos, SECTION_MARKER_BUF)) {
      if (rem < SECTION_HEADER_BYTES) truncatedHeader(w);
      else if (sectionHeaderOk(buf, w.pos)) readSection(w);
      else skipDamaged(w, 'header checksum mismatch');
    } else if (w.headerIntact && w.next >= head.count) {
      readTrailer(w); // reports the end marker as damaged
    } else {
      skipDamaged(w, 'bad marker');
    }
  }
  if (!w.ended && w.stop === undefined) {
    const missing = w.headerIntact && head.count > w.next ? `; ${rangeText(w.next, head.count - 1)} of ${head.count} missing` : '';
    const after = w.next === 0 ? 'the file header' : `section ${w.next - 1}`;
    problems.push(`file truncated after ${after} (end marker missing)${missing}; ${missingBytes(w)}`);
  } else if (w.stop === 'truncated' && w.headerIntact && head.count > w.next) {
    problems.push(`${rangeText(w.next, head.count - 1)} of ${head.count} not present (file truncated)`);
  }
  for (const s of w.sections) if (s.problem) problems.push(s.problem);
  const decoded: DecodedContainer = {
    version: head.version,
    createdAt: head.createdAt,
    sections: w.sections,
    problems,
    complete: w.ended && w.headerIntact && !w.endProblem && w.sections.every((s) => s.status === 'ok') && w.next === head.count,
  };
  applySizeNote(decoded, head.flags);
  return decoded;
}

/** Reads the OMITTED section, labels trimmed sections, and reports trims/omissions in `problems`. */
function applySizeNote(d: DecodedContainer, flags: number): void {
  const sec = d.sections.find((s) => s.type === SECTION.OMITTED && s.status === 'ok');
  let note: SizeNote | undefined;
  if (sec?.data) {
    try {
      const v = decodeJson(sec.data) as SizeNote;
      if (v && Array.isArray(v.trimmed) && Array.isArray(v.omitted)) note = v;
    } catch {
      /* reported below */
    }
    if (!note) d.problems.push(`section ${sec.index} (omitted): size note is not valid JSON; size trims unknown`);
  }
  if (!note) {
    if (flags & FILE_FLAG.TRIMMED) d.problems.push('some sections were trimmed to fit the size bound (details unavailable)');
    if (flags & FILE_FLAG.OMITTED) d.problems.push('some sections were omitted to fit the size bound (details unavailable)');
    return;
  }
  d.size = note;
  for (const t of note.trimmed) {
    const target = d.sections.find((s) => s.index === t.index);
    if (target && t.label !== undefined) target.label = t.label;
    d.problems.push(`${describe(t.type, t.label)} (section ${t.index}) trimmed to ${t.keptBytes} of ${t.rawBytes} bytes to fit the size bound (${note.maxSize} bytes)`);
  }
  for (const o of note.omitted) {
    d.problems.push(`${describe(o.type, o.label)} (${o.rawBytes} bytes) omitted to fit the size bound (${note.maxSize} bytes)`);
  }
  if (note.elided) d.problems.push(`${note.elided} more sections trimmed or omitted for size (list shortened)`);
}

function describe(type: number, label: string | undefined): string {
  return label ? `${sectionName(type)} ${label}` : `section ${sectionName(type)}`;
}
