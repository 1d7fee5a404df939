/**
 * The snapshot reader: checks the file header (magic, version, CRC) and decodes whatever is intact
 * in a truncated or damaged file, saying what is not; the section walk itself is container-walk.ts.
 * Byte layout: diag/snapshot/FORMAT.md.
 */
import { crc32 } from 'node:zlib';
import { SECTION, decodeJson, sectionName, type DecodedContainer, type SizeNote } from './container.types.ts';
import { FILE_FLAG, FILE_HEADER_BYTES, FORMAT_VERSION, SNAPSHOT_MAGIC } from './container-layout.ts';
import { walkSections, type FileHeader } from './container-walk.ts';

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

/** Checks magic, version and header CRC; throws SnapshotFormatError when the file cannot be read at all. */
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
  const w = walkSections(buf, head, problems.length === 0, problems);
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
