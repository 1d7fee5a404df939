/**
 * The QPACK decoder (RFC 9204 §2.2), sans-IO: it takes the bytes of the peer's encoder stream and
 * the encoded field sections of request streams, and gives back decoded field sections and the
 * bytes to send on our decoder stream.
 *
 * - Encoder stream (§4.3): instructions are parsed as bytes arrive (an instruction may span
 *   chunks) and applied to the dynamic table (§3.2), bounded by SETTINGS_QPACK_MAX_TABLE_CAPACITY.
 * - Field sections (§4.5): decoded at once when their Required Insert Count is reached, otherwise
 *   held as blocked (§2.1.2, §2.2.1) up to SETTINGS_QPACK_BLOCKED_STREAMS streams and decoded when
 *   the inserts arrive; sections of one stream are delivered in order.
 * - Decoder stream (§4.4): a Section Acknowledgment after each section with a non-zero Required
 *   Insert Count, Stream Cancellation on `cancelStream`, and one Insert Count Increment covering
 *   inserts not yet acknowledged, all collected until `takeDecoderStream()` so they coalesce.
 *
 * Every error is a connection error (§2.2.3, §3.1, §3.2.2, §4.3.1, §4.5.1.1) and a typed outcome,
 * never an exception: the decoder then stays failed and returns the same error from every call.
 */
import type { DecodedFieldSection, DecoderInstruction, FieldLine, FieldLineRepresentation, QpackDecoderSettings, QpackError, QpackErrorName } from './qpack.types.ts';
import { QPACK_ERROR_CODE } from './qpack.types.ts';
import { DynamicTable } from './dynamic-table.ts';
import { STATIC_TABLE, STATIC_TABLE_SIZE } from './static-table.ts';
import { parseEncoderInstruction } from './encoder-instructions.ts';
import { buildDecoderInstructions } from './decoder-instructions.ts';
import { maxEntries, parseFieldLine, readFieldSectionPrefix } from './field-lines.ts';
import { QTP } from './trace.ts';
import type { EncoderInstruction } from './qpack.types.ts';

/** Outcome of handing the decoder one encoded field section. */
export type FieldSectionOutcome =
  | { readonly status: 'decoded'; readonly section: DecodedFieldSection }
  | { readonly status: 'blocked' }
  | { readonly status: 'error'; readonly error: QpackError };

/** Outcome of handing the decoder encoder-stream bytes: sections that this unblocked, or the error. */
export type EncoderStreamOutcome =
  | { readonly status: 'ok'; readonly unblocked: DecodedFieldSection[] }
  | { readonly status: 'error'; readonly error: QpackError };

/** Options of a decoder beyond its SETTINGS. */
export interface QpackDecoderOptions {
  /** Connection id recorded in trace events (0 when none). */
  readonly conn?: number;
  /**
   * Dynamic table capacity before any Set Dynamic Table Capacity instruction. HTTP/3 starts at 0
   * (RFC 9204 §3.2.2, the default); the QPACK offline-interop files (qpackers/qifs) assume the
   * encoder already set it to the maximum and never send the instruction. At most maxTableCapacity.
   */
  readonly initialCapacity?: number;
}

interface BlockedSection {
  readonly bytes: Uint8Array;
  readonly requiredInsertCount: number;
  readonly base: number;
  /** Offset of the first field line after the prefix. */
  readonly start: number;
}

const INSTRUCTION_KIND: Record<EncoderInstruction['kind'], number> = {
  'set-capacity': 0,
  'insert-name-ref': 1,
  'insert-literal-name': 2,
  duplicate: 3,
};

/** A QPACK decoder for one HTTP/3 connection (RFC 9204 §2.2). */
export class QpackDecoder {
  /** The SETTINGS this decoder advertised (RFC 9204 §5). */
  readonly settings: QpackDecoderSettings;
  /** The dynamic table (RFC 9204 §3.2). */
  readonly table: DynamicTable;
  /** Known Received Count as the encoder will see it after our decoder stream is read (§2.1.4). */
  knownReceivedCount = 0;
  private readonly conn: number;
  private readonly maxEntriesValue: number;
  private failed: QpackError | undefined;
  private pending: Uint8Array = new Uint8Array(0);
  /** Encoder-stream offset of `pending[0]`. */
  private encoderOffset = 0;
  private readonly blocked = new Map<number, BlockedSection[]>();
  private out: DecoderInstruction[] = [];

  constructor(settings: QpackDecoderSettings, options: QpackDecoderOptions = {}) {
    if (!Number.isSafeInteger(settings.maxTableCapacity) || settings.maxTableCapacity < 0) throw new RangeError(`QPACK decoder: maxTableCapacity ${settings.maxTableCapacity} is not a non-negative integer`);
    if (!Number.isSafeInteger(settings.maxBlockedStreams) || settings.maxBlockedStreams < 0) throw new RangeError(`QPACK decoder: maxBlockedStreams ${settings.maxBlockedStreams} is not a non-negative integer`);
    this.settings = settings;
    this.table = new DynamicTable(settings.maxTableCapacity);
    this.maxEntriesValue = maxEntries(settings.maxTableCapacity);
    this.conn = options.conn ?? 0;
    if (options.initialCapacity !== undefined && !this.table.setCapacity(options.initialCapacity)) {
      throw new RangeError(`QPACK decoder: initialCapacity ${options.initialCapacity} exceeds maxTableCapacity ${settings.maxTableCapacity}`);
    }
  }

  /** The connection error this decoder failed with, if any. */
  get error(): QpackError | undefined {
    return this.failed;
  }

  /** Number of streams with a field section waiting for inserts (§2.1.2). */
  get blockedStreams(): number {
    return this.blocked.size;
  }

  /**
   * Decodes the encoded field section `bytes` received on `streamId` (a complete HEADERS frame
   * payload). Returns the fields, `blocked` (the section is kept, copied, and comes back from a
   * later `onEncoderStream`), or a connection error.
   */
  decodeFieldSection(streamId: number, bytes: Uint8Array): FieldSectionOutcome {
    if (this.failed) return { status: 'error', error: this.failed };
    const where = `field section on stream ${streamId}`;
    const cur = { pos: 0 };
    const p = readFieldSectionPrefix(bytes, cur, this.maxEntriesValue, this.table.insertCount);
    if (p.status !== 'ok') {
      return this.fail('QPACK_DECOMPRESSION_FAILED', where, 0, p.status === 'truncated' ? 'encoded field section prefix is truncated' : p.message);
    }
    const { requiredInsertCount, base } = p.instruction;
    const queue = this.blocked.get(streamId);
    if (queue || requiredInsertCount > this.table.insertCount) {
      if (!queue && this.blocked.size >= this.settings.maxBlockedStreams) {
        return this.fail(
          'QPACK_DECOMPRESSION_FAILED',
          where,
          0,
          `Required Insert Count ${requiredInsertCount} > insert count ${this.table.insertCount} would block more than SETTINGS_QPACK_BLOCKED_STREAMS (${this.settings.maxBlockedStreams}) streams`,
        );
      }
      const section = { bytes: bytes.slice(), requiredInsertCount, base, start: cur.pos };
      if (queue) queue.push(section);
      else this.blocked.set(streamId, [section]);
      if (QTP.blocked.on) QTP.blocked.emit(this.conn, streamId, requiredInsertCount, this.table.insertCount, this.blocked.size);
      return { status: 'blocked' };
    }
    return this.decodeLines(streamId, bytes, cur.pos, requiredInsertCount, base);
  }

  /**
   * Takes the next bytes of the peer's encoder stream (RFC 9204 §4.3), applies every complete
   * instruction and keeps a partial one for the next call. Returns the blocked sections that the new
   * inserts let decode (in arrival order per stream), or a connection error.
   */
  onEncoderStream(bytes: Uint8Array): EncoderStreamOutcome {
    if (this.failed) return { status: 'error', error: this.failed };
    let buf = bytes;
    if (this.pending.length > 0) {
      buf = new Uint8Array(this.pending.length + bytes.length);
      buf.set(this.pending, 0);
      buf.set(bytes, this.pending.length);
    }
    const before = this.table.insertCount;
    const cur = { pos: 0 };
    while (cur.pos < buf.length) {
      const at = cur.pos;
      const r = parseEncoderInstruction(buf, cur, this.table.capacity * 4 + 8);
      if (r.status === 'truncated') break;
      if (r.status === 'invalid') return this.failEncoder(this.encoderOffset + at, r.message);
      const err = this.apply(r.instruction);
      if (err) return this.failEncoder(this.encoderOffset + at, err);
      if (QTP.encInst.on) QTP.encInst.emit(this.conn, 0, INSTRUCTION_KIND[r.instruction.kind], this.table.insertCount, this.table.size);
    }
    this.encoderOffset += cur.pos;
    this.pending = cur.pos === buf.length ? new Uint8Array(0) : buf.slice(cur.pos);
    const unblocked: DecodedFieldSection[] = [];
    if (this.table.insertCount > before && this.blocked.size > 0) {
      for (const [streamId, queue] of this.blocked) {
        while (queue.length > 0 && queue[0].requiredInsertCount <= this.table.insertCount) {
          const s = queue.shift()!;
          if (QTP.unblocked.on) QTP.unblocked.emit(this.conn, streamId, s.requiredInsertCount, this.table.insertCount);
          const r = this.decodeLines(streamId, s.bytes, s.start, s.requiredInsertCount, s.base);
          if (r.status === 'error') return r;
          if (r.status === 'decoded') unblocked.push(r.section);
        }
        if (queue.length === 0) this.blocked.delete(streamId);
      }
    }
    return { status: 'ok', unblocked };
  }

  /**
   * The stream was reset or its reading abandoned (RFC 9204 §2.2.2.2): drops its blocked sections
   * and, unless the maximum table capacity is 0 (§2.2.2.2 allows omitting it), queues a Stream
   * Cancellation (§4.4.2).
   */
  cancelStream(streamId: number): void {
    if (this.failed) return;
    this.blocked.delete(streamId);
    if (this.settings.maxTableCapacity > 0) this.out.push({ kind: 'stream-cancel', streamId });
  }

  /**
   * The bytes to write on our decoder stream now (RFC 9204 §4.4): queued Section Acknowledgments
   * and Stream Cancellations in order, then one Insert Count Increment for inserts that neither
   * acknowledged (§2.2.2.3, §4.4.3). Empty when there is nothing to say.
   */
  takeDecoderStream(): Uint8Array {
    const list = this.out;
    this.out = [];
    const inserts = this.table.insertCount;
    if (inserts > this.knownReceivedCount) {
      list.push({ kind: 'insert-count-increment', increment: inserts - this.knownReceivedCount });
      this.knownReceivedCount = inserts;
    }
    const bytes = buildDecoderInstructions(list);
    if (bytes.length > 0 && QTP.decInst.on) QTP.decInst.emit(this.conn, 0, bytes.length, inserts, this.knownReceivedCount);
    return bytes;
  }

  private apply(ins: EncoderInstruction): string | undefined {
    const t = this.table;
    switch (ins.kind) {
      case 'set-capacity':
        if (!t.setCapacity(ins.capacity)) return `Set Dynamic Table Capacity ${ins.capacity} exceeds SETTINGS_QPACK_MAX_TABLE_CAPACITY ${t.maxCapacity}`;
        return undefined;
      case 'insert-name-ref': {
        let name: string;
        if (ins.isStatic) {
          if (ins.index >= STATIC_TABLE_SIZE) return `Insert with Name Reference: static index ${ins.index} does not exist (0..${STATIC_TABLE_SIZE - 1})`;
          name = STATIC_TABLE[ins.index][0];
        } else {
          const abs = t.insertCount - 1 - ins.index;
          if (!t.has(abs)) return `Insert with Name Reference: relative index ${ins.index} is not in the dynamic table (${t.length} entries)`;
          name = t.nameAt(abs);
        }
        return this.insert(name, ins.value);
      }
      case 'insert-literal-name':
        return this.insert(ins.name, ins.value);
      case 'duplicate': {
        const abs = t.insertCount - 1 - ins.index;
        if (!t.has(abs)) return `Duplicate: relative index ${ins.index} is not in the dynamic table (${t.length} entries)`;
        return this.insert(t.nameAt(abs), t.valueAt(abs));
      }
    }
  }

  private insert(name: string, value: string): string | undefined {
    if (this.table.insert(name, value)) return undefined;
    return `entry of size ${name.length + value.length + 32} is larger than the dynamic table capacity ${this.table.capacity}`;
  }

  private decodeLines(streamId: number, bytes: Uint8Array, start: number, ric: number, base: number): FieldSectionOutcome {
    const where = `field section on stream ${streamId}`;
    const t = this.table;
    const fields: FieldLine[] = [];
    const cur = { pos: start };
    let maxRef = -1;
    while (cur.pos < bytes.length) {
      const at = cur.pos;
      const r = parseFieldLine(bytes, cur);
      if (r.status !== 'ok') {
        return this.fail('QPACK_DECOMPRESSION_FAILED', where, at, r.status === 'truncated' ? 'field line representation is truncated' : r.message);
      }
      const rep: FieldLineRepresentation = r.instruction;
      if ((rep.kind === 'indexed' || rep.kind === 'literal-name-ref') && rep.isStatic) {
        if (rep.index >= STATIC_TABLE_SIZE) return this.fail('QPACK_DECOMPRESSION_FAILED', where, at, `static index ${rep.index} does not exist (0..${STATIC_TABLE_SIZE - 1})`);
        const [name, value] = STATIC_TABLE[rep.index];
        fields.push(rep.kind === 'indexed' ? { name, value } : line(name, rep.value, rep.neverIndex));
        continue;
      }
      if (rep.kind === 'literal-literal-name') {
        fields.push(line(rep.name, rep.value, rep.neverIndex));
        continue;
      }
      const postBase = rep.kind === 'indexed-post-base' || rep.kind === 'literal-post-base-name-ref';
      const abs = postBase ? base + rep.index : base - 1 - rep.index;
      if (abs < 0 || abs >= ric) {
        return this.fail('QPACK_DECOMPRESSION_FAILED', where, at, `dynamic reference to absolute index ${abs} outside 0..${ric - 1} (Required Insert Count ${ric}, Base ${base})`);
      }
      if (!t.has(abs)) return this.fail('QPACK_DECOMPRESSION_FAILED', where, at, `dynamic reference to absolute index ${abs}, which was evicted`);
      if (abs > maxRef) maxRef = abs;
      const name = t.nameAt(abs);
      if (rep.kind === 'indexed' || rep.kind === 'indexed-post-base') fields.push({ name, value: t.valueAt(abs) });
      else fields.push(line(name, rep.value, rep.neverIndex));
    }
    if (ric > 0 && maxRef + 1 !== ric) {
      // §2.2.1: a Required Insert Count larger than the section needs MAY be refused; we do, as quiche does.
      return this.fail('QPACK_DECOMPRESSION_FAILED', where, 0, `Required Insert Count ${ric} is larger than needed (highest reference ${maxRef})`);
    }
    if (ric > 0) {
      this.out.push({ kind: 'section-ack', streamId });
      if (ric > this.knownReceivedCount) this.knownReceivedCount = ric;
    }
    if (QTP.section.on) QTP.section.emit(this.conn, streamId, fields.length, ric, bytes.length);
    return { status: 'decoded', section: { streamId, fields, requiredInsertCount: ric } };
  }

  private failEncoder(offset: number, message: string): EncoderStreamOutcome {
    const r = this.fail('QPACK_ENCODER_STREAM_ERROR', 'encoder stream', offset, message);
    return { status: 'error', error: r.error };
  }

  private fail(code: QpackErrorName, where: string, offset: number, message: string): { status: 'error'; error: QpackError } {
    const error: QpackError = { code, where, offset, message };
    this.failed = error;
    this.blocked.clear();
    if (QTP.error.on) QTP.error.emit(this.conn, 0, QPACK_ERROR_CODE[code], offset, 0, `${code} ${where}: ${message}`);
    return { status: 'error', error };
  }
}

function line(name: string, value: string, neverIndex: boolean): FieldLine {
  return neverIndex ? { name, value, neverIndex } : { name, value };
}
