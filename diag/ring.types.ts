/**
 * The binary layout of a trace ring, shared by the writer (diag/ring.ts, in each worker thread) and
 * every reader (the supervisor, the snapshot decoder). One ring lives in one SharedArrayBuffer and has
 * exactly one writer thread.
 *
 * Layout (little-endian, as the host; snapshots record the byte order in META):
 *
 *   header, 64 bytes
 *     i32[0]  magic RING_MAGIC          i32[1]  layout version (1)
 *     i32[2]  record size (64)          i32[3]  capacity, in records (power of two)
 *     i32[4]  text capacity, bytes      i32[5]  thread number (1-based, 0 = supervisor)
 *     f64[3]  records written so far (monotonic; record n lives in slot n % capacity)
 *     f64[4]  text bytes written so far (monotonic; byte n lives at n % text capacity)
 *     f64[5]  time origin: epoch ms of performance.now() == 0 in the writer thread
 *   records, capacity x 64 bytes; record k, in 8-byte words (f64) / 4-byte words (i32) from its start
 *     f64[0]  timestamp, ms since the time origin (performance.now())
 *     f64[1]  sequence number + 1 (written last: a reader that finds another value knows the record
 *             was overwritten or is being written, and skips it)
 *     i32[4]  connection id          i32[5]  stream id
 *     i32[6]  trace point id (index into the thread's point registry)
 *     i32[7]  text length in bytes (0 = no text)
 *     f64[4]  text position (monotonic byte offset into the text area)
 *     f64[5..7] three numeric arguments
 *   text area, text capacity bytes: UTF-8 text of records, circular
 */
export const RING_MAGIC = 0x46425247; // "FBRG"
/** Version of the layout above. Bump only with a decoder for the old one kept alive. */
export const RING_LAYOUT_VERSION = 1;
/** Size of the ring header in bytes. */
export const RING_HEADER_BYTES = 64;
/** Size of one record in bytes. */
export const RING_RECORD_BYTES = 64;

/** A record as decoded by a reader. */
export interface RingRecord {
  seq: number;
  /** Epoch milliseconds (time origin + timestamp). */
  time: number;
  thread: number;
  point: number;
  connId: number;
  streamId: number;
  args: [number, number, number];
  /** Text argument; undefined when none, '<lost>' when the text area has been overwritten since. */
  text: string | undefined;
}
