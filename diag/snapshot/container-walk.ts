/**
 * The snapshot reader's walk over the sections of one file: section header and end marker checks
 * (markers and CRCs), payload checksums and inflation, resynchronisation past a damaged section
 * header, and the reports for truncated files. The file header is read by container-decode.ts.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { SECTION_NAME, sectionName, type DecodedSection } from './container.types.ts';
import { END_MARKER, ENCODING, SECTION_FLAG, SECTION_HEADER_BYTES, SECTION_MARKER, TRAILER_BYTES } from './container-layout.ts';

const SECTION_MARKER_BUF = Buffer.from(SECTION_MARKER);
const END_MARKER_BUF = Buffer.from(END_MARKER);

/** The fields of a v1 file header, as read (possibly unverified when its CRC failed). */
export interface FileHeader {
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

/** Reader state while walking the sections of one file; what {@link walkSections} returns. */
export interface Walk {
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
 * Walks the sections that follow the file header, from offset `head.headerBytes` to the end marker
 * or until the file cannot be read further. Never throws: every section found is returned with its
 * status ('ok', 'damaged', 'truncated'); file-level problems (missing sections, truncation, a damaged
 * or misplaced end marker, trailing bytes) are appended to `problems` in the order met. Section
 * problems stay on the sections (the caller lists them after). `headerIntact` says whether the
 * header's count and file length can be trusted (its CRC checked).
 */
export function walkSections(buf: Buffer, head: FileHeader, headerIntact: boolean, problems: string[]): Walk {
  const w: Walk = { buf, head, headerIntact, sections: [], problems, pos: head.headerBytes, next: 0, ended: false, endProblem: false };
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
  return w;
}
