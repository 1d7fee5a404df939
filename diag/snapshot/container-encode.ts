/**
 * The snapshot writer: encodes sections into one container image within a size bound (shrinking,
 * then dropping sections, and recording what was cut in an OMITTED section), and writes it to disk
 * atomically (temporary name, fsync, rename, directory fsync). Byte layout: diag/snapshot/FORMAT.md.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { SECTION, encodeJson, sectionName, type SectionInput, type SizeNote } from './container.types.ts';
import {
  END_MARKER,
  ENCODING,
  FILE_FLAG,
  FILE_HEADER_BYTES,
  FORMAT_VERSION,
  SECTION_FLAG,
  SECTION_HEADER_BYTES,
  SECTION_MARKER,
  SNAPSHOT_MAGIC,
  TRAILER_BYTES,
} from './container-layout.ts';

const U32_MAX = 0xffffffff;

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
