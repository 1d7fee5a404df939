/**
 * Types and wire constants of QPACK (RFC 9204), shared by the codec modules in proxy/qpack/, the
 * HTTP/3 layer, and readers in diag/ and cli/. No engine logic here.
 *
 * Field names and values are carried as latin1 strings: one UTF-16 code unit per octet (0..255), so
 * every octet sequence round-trips exactly (`Buffer.from(s, 'latin1')` gives the wire bytes back).
 */

/** QPACK error codes (RFC 9204 §6, registered in §8.3); HTTP/3 connection or stream error codes. */
export const QPACK_ERROR_CODE = {
  QPACK_DECOMPRESSION_FAILED: 0x0200,
  QPACK_ENCODER_STREAM_ERROR: 0x0201,
  QPACK_DECODER_STREAM_ERROR: 0x0202,
} as const;

/** Name of a QPACK error (RFC 9204 §6). */
export type QpackErrorName = keyof typeof QPACK_ERROR_CODE;

/**
 * What failed and where. `code` is the RFC 9204 §6 error; `where` names the input (`field section
 * on stream 4`, `encoder stream`, `decoder stream`); `offset` is the byte offset inside that input
 * (for the encoder/decoder streams, from the start of the stream); `message` says what was wrong.
 */
export interface QpackError {
  readonly code: QpackErrorName;
  readonly where: string;
  readonly offset: number;
  readonly message: string;
}

/** One field line (RFC 9204 §1.1): name and value as latin1 strings (see module doc). */
export interface FieldLine {
  readonly name: string;
  readonly value: string;
  /**
   * The 'N' bit of a literal representation (RFC 9204 §4.5.4): the field must stay literal on later
   * hops. Absent (or false) for indexed lines and literals without it.
   */
  readonly neverIndex?: boolean;
}

/** SETTINGS a QPACK decoder advertises (RFC 9204 §5). */
export interface QpackDecoderSettings {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY (0x01): largest dynamic table capacity the encoder may set. */
  readonly maxTableCapacity: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS (0x07): how many streams may wait for encoder-stream inserts. */
  readonly maxBlockedStreams: number;
}

/** SETTINGS identifiers QPACK defines for HTTP/3 (RFC 9204 §5, §8.1). */
export const QPACK_SETTINGS = {
  SETTINGS_QPACK_MAX_TABLE_CAPACITY: 0x01,
  SETTINGS_QPACK_BLOCKED_STREAMS: 0x07,
} as const;

/** QPACK unidirectional stream types (RFC 9204 §4.2, §8.2). */
export const QPACK_STREAM_TYPE = {
  ENCODER: 0x02,
  DECODER: 0x03,
} as const;

/**
 * An instruction on the encoder stream (RFC 9204 §4.3). Indices are as on the wire: `index` of a
 * dynamic name reference and of Duplicate is relative (§3.2.5, 0 = most recent insert).
 */
export type EncoderInstruction =
  | { readonly kind: 'set-capacity'; readonly capacity: number }
  | {
      readonly kind: 'insert-name-ref';
      readonly isStatic: boolean;
      readonly index: number;
      readonly value: string;
      /** Whether the value was (or is to be) Huffman-coded; informative on decode. */
      readonly huffman?: boolean;
    }
  | {
      readonly kind: 'insert-literal-name';
      readonly name: string;
      readonly value: string;
      readonly huffmanName?: boolean;
      readonly huffmanValue?: boolean;
    }
  | { readonly kind: 'duplicate'; readonly index: number };

/** An instruction on the decoder stream (RFC 9204 §4.4). */
export type DecoderInstruction =
  | { readonly kind: 'section-ack'; readonly streamId: number }
  | { readonly kind: 'stream-cancel'; readonly streamId: number }
  | { readonly kind: 'insert-count-increment'; readonly increment: number };

/**
 * One field line representation (RFC 9204 §4.5.2-§4.5.6), with indices as on the wire: a dynamic
 * `index` is relative to the Base (§3.2.5), a post-Base index counts up from the Base (§3.2.6).
 */
export type FieldLineRepresentation =
  | { readonly kind: 'indexed'; readonly isStatic: boolean; readonly index: number }
  | { readonly kind: 'indexed-post-base'; readonly index: number }
  | {
      readonly kind: 'literal-name-ref';
      readonly isStatic: boolean;
      readonly index: number;
      readonly value: string;
      readonly neverIndex: boolean;
      readonly huffman?: boolean;
    }
  | {
      readonly kind: 'literal-post-base-name-ref';
      readonly index: number;
      readonly value: string;
      readonly neverIndex: boolean;
      readonly huffman?: boolean;
    }
  | {
      readonly kind: 'literal-literal-name';
      readonly name: string;
      readonly value: string;
      readonly neverIndex: boolean;
      readonly huffmanName?: boolean;
      readonly huffmanValue?: boolean;
    };

/** The Encoded Field Section Prefix (RFC 9204 §4.5.1) after decoding. */
export interface FieldSectionPrefix {
  readonly requiredInsertCount: number;
  readonly base: number;
}

/**
 * An event of the QPACK decoder (proxy/qpack/decoder.ts): a field section was decoded (right away or
 * once the encoder stream delivered what it waited for).
 */
export interface DecodedFieldSection {
  readonly streamId: number;
  readonly fields: FieldLine[];
  /** Required Insert Count of the section (0 when it referenced no dynamic entry). */
  readonly requiredInsertCount: number;
}
