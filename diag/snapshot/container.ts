/**
 * The snapshot container: one versioned file of typed, individually checksummed, compressed
 * sections, bounded in size and written atomically (temporary name, fsync, rename). The reader
 * decodes whatever is intact in a truncated or damaged file and says what is not.
 *
 * This module is the public entry point; import the container API from here. The code lives in:
 * - container-layout.ts: byte layout constants (magic, sizes, markers, flags, encodings);
 * - container.types.ts: section ids, payload helpers, the decoded shapes;
 * - container-encode.ts: the encoder with its size bound, and the atomic file writer;
 * - container-decode.ts: the reader entry (file header checks, size note);
 * - container-walk.ts: the reader's section walk (CRC checks, resync, truncation reports).
 *
 * The byte layout is documented in diag/snapshot/FORMAT.md; keep the two in step. Golden files in
 * fixtures/snapshots/ pin every shipped version.
 */
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
export {
  SNAPSHOT_MAGIC,
  FORMAT_VERSION,
  FILE_HEADER_BYTES,
  SECTION_HEADER_BYTES,
  TRAILER_BYTES,
  SECTION_MARKER,
  END_MARKER,
  FILE_FLAG,
  SECTION_FLAG,
  ENCODING,
} from './container-layout.ts';
export { encodeSnapshot, writeSnapshotFile } from './container-encode.ts';
export type { EncodeOptions } from './container-encode.ts';
export { SnapshotFormatError, isSnapshot, decodeSnapshot } from './container-decode.ts';
