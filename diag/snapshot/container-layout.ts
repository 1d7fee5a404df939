/**
 * Byte layout constants of the v1 snapshot container: magic, structure sizes, markers, flag bits and
 * payload encodings. Shared by the writer (container-encode.ts) and the reader (container-decode.ts,
 * container-walk.ts); importable from container.ts like every other part of the container API.
 *
 * Every value here is part of the file format (diag/snapshot/FORMAT.md) and frozen once shipped.
 */

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
