/**
 * Types and wire constants of HAProxy's peers protocol (stick-table synchronisation), shared by the
 * codec (proxy/peers/codec.ts), the handshake (proxy/peers/handshake.ts) and readers in diag/ and
 * cli/. No engine logic here.
 *
 * References: `haproxy-peers-protocol.txt` (protocol 2.1, "Handshake", "Encoding", "Messages"),
 * `haproxy-peers-v2.0.txt` (key types and data-type bits of the definition message), and HAProxy's
 * src/peers.c / src/stick_table.c for the facts the texts leave out: update acknowledgement is type
 * 0x84 (the 2.1 text says 133), timed updates are 0x85/0x86, the definition message ends with the
 * expiry and per-data-type parameters.
 */

/** Message classes ("Messages", class byte table). */
export const PEER_MSG_CLASS = {
  CONTROL: 0,
  ERROR: 1,
  STICKTABLE: 10,
  RESERVED: 255,
} as const;

/** Control message types (class 0, fixed size 2). */
export const PEER_CTRL = {
  RESYNC_REQUEST: 0,
  RESYNC_FINISHED: 1,
  RESYNC_PARTIAL: 2,
  RESYNC_CONFIRM: 3,
  HEARTBEAT: 4,
} as const;

/** Error message types (class 1, fixed size 2). */
export const PEER_ERR = {
  PROTOCOL: 0,
  SIZE_LIMIT: 1,
} as const;

/**
 * Stick-table message types (class 10). Every type >= 128 carries a varint length after the header.
 * ACK is 0x84 and the timed updates 0x85/0x86 as HAProxy's code has them (PEER_MSG_STKT_*).
 */
export const PEER_STKT = {
  UPDATE: 0x80,
  INCUPDATE: 0x81,
  DEFINE: 0x82,
  SWITCH: 0x83,
  ACK: 0x84,
  UPDATE_TIMED: 0x85,
  INCUPDATE_TIMED: 0x86,
} as const;

/** Largest encoded length of a message length field (PEER_MSG_ENC_LENGTH_MAXLEN). */
export const PEER_MSG_ENC_LENGTH_MAXLEN = 5;

/** Default largest message body accepted (HAProxy's trash size, tune.bufsize 16384). */
export const PEER_DEFAULT_MAX_MESSAGE = 16384;

/** Network key types of the definition message (PEER_KT_*; v2.0 text "Table Type"). */
export const PEER_KEY_TYPE = {
  sint: 2,
  ipv4: 4,
  ipv6: 5,
  string: 6,
  binary: 7,
} as const;

/** A stick-table key type: `integer` tables are `sint`, `ip` tables `ipv4`. */
export type PeerKeyType = keyof typeof PEER_KEY_TYPE;

/** How a data type's value is stored and encoded (HAProxy's STD_T_*). */
export type StdType = 'sint' | 'uint' | 'ull' | 'frqp' | 'dict';

/** A stick-table data type as HAProxy numbers it (STKTABLE_DT_*), with its storage type. */
export interface DataTypeInfo {
  readonly id: number;
  /** The `store` keyword name (HAProxy 2.6 calls id 19 `server_name`; later versions `server_key`). */
  readonly name: string;
  readonly std: StdType;
  /** Arrays (gpt, gpc, gpc_rate) carry an element count in the definition message. */
  readonly array: boolean;
}

/** STKTABLE_DT_* ids: the bit numbers of the definition message's data-types bitfield. */
export const STKTABLE_DT = {
  SERVER_ID: 0,
  GPT0: 1,
  GPC0: 2,
  GPC0_RATE: 3,
  CONN_CNT: 4,
  CONN_RATE: 5,
  CONN_CUR: 6,
  SESS_CNT: 7,
  SESS_RATE: 8,
  HTTP_REQ_CNT: 9,
  HTTP_REQ_RATE: 10,
  HTTP_ERR_CNT: 11,
  HTTP_ERR_RATE: 12,
  BYTES_IN_CNT: 13,
  BYTES_IN_RATE: 14,
  BYTES_OUT_CNT: 15,
  BYTES_OUT_RATE: 16,
  GPC1: 17,
  GPC1_RATE: 18,
  SERVER_KEY: 19,
  HTTP_FAIL_CNT: 20,
  HTTP_FAIL_RATE: 21,
  GPT: 22,
  GPC: 23,
  GPC_RATE: 24,
  GLITCH_CNT: 25,
  GLITCH_RATE: 26,
} as const;

const dt = (id: number, name: string, std: StdType, array = false): DataTypeInfo => ({ id, name, std, array });

/** Every data type this codec can encode and decode, indexed by id (src/stick_table.c). */
export const DATA_TYPES: readonly DataTypeInfo[] = [
  dt(0, 'server_id', 'sint'),
  dt(1, 'gpt0', 'uint'),
  dt(2, 'gpc0', 'uint'),
  dt(3, 'gpc0_rate', 'frqp'),
  dt(4, 'conn_cnt', 'uint'),
  dt(5, 'conn_rate', 'frqp'),
  dt(6, 'conn_cur', 'uint'),
  dt(7, 'sess_cnt', 'uint'),
  dt(8, 'sess_rate', 'frqp'),
  dt(9, 'http_req_cnt', 'uint'),
  dt(10, 'http_req_rate', 'frqp'),
  dt(11, 'http_err_cnt', 'uint'),
  dt(12, 'http_err_rate', 'frqp'),
  dt(13, 'bytes_in_cnt', 'ull'),
  dt(14, 'bytes_in_rate', 'frqp'),
  dt(15, 'bytes_out_cnt', 'ull'),
  dt(16, 'bytes_out_rate', 'frqp'),
  dt(17, 'gpc1', 'uint'),
  dt(18, 'gpc1_rate', 'frqp'),
  dt(19, 'server_key', 'dict'),
  dt(20, 'http_fail_cnt', 'uint'),
  dt(21, 'http_fail_rate', 'frqp'),
  dt(22, 'gpt', 'uint', true),
  dt(23, 'gpc', 'uint', true),
  dt(24, 'gpc_rate', 'frqp', true),
  dt(25, 'glitch_cnt', 'uint'),
  dt(26, 'glitch_rate', 'frqp'),
];

/** Data type by `store` name (`server_name` accepted for id 19, as HAProxy 2.6 names it). */
export function dataTypeByName(name: string): DataTypeInfo | undefined {
  if (name === 'server_name') return DATA_TYPES[STKTABLE_DT.SERVER_KEY];
  return DATA_TYPES.find((d) => d.name === name);
}

/** One data type a table stores, as announced in a definition message. */
export interface TableDataDecl {
  /** STKTABLE_DT_* id. */
  readonly type: number;
  /** Period in ms of a frequency counter (`http_req_rate(10s)` -> 10000); frqp types only. */
  readonly period?: number;
  /** Number of elements of an array type (`gpc(3)` -> 3); array types only. */
  readonly count?: number;
}

/** A stick-table as announced by a definition message (0x82). */
export interface TableDefinition {
  /** The sender's local table id: updates, switch and ack messages refer to it. */
  readonly id: number;
  /** The table name, shared by all peers (`fe` for a table declared in frontend `fe`). */
  readonly name: string;
  readonly keyType: PeerKeyType;
  /** Key size in bytes: 4 ipv4/sint, 16 ipv6, `len` for binary, `len`+1 for string tables. */
  readonly keyLength: number;
  /** Stored data types, ascending by id (the order of values in updates). */
  readonly data: readonly TableDataDecl[];
  /** Entry lifetime in ms; absent in definitions from peers older than the expiry field. */
  readonly expire?: number;
}

/**
 * A frequency counter as sent on the wire (STD_T_FRQP): `tickAge` is `now - curr_tick` in ms at the
 * sender (how long ago the current period started), then the current and previous counts.
 */
export interface FreqCounter {
  readonly tickAge: number;
  readonly currCtr: number;
  readonly prevCtr: number;
}

/**
 * A dictionary value (STD_T_DICT, `server_key`): `id` is the sender's cache id (from 1); `value` is
 * present the first time an id is sent and absent when the sender refers to a cached entry.
 */
export interface DictValue {
  readonly id: number;
  readonly value?: string;
}

/** A scalar value: number (sint, uint), bigint (ull), FreqCounter, DictValue or null (no dict entry). */
export type DataScalar = number | bigint | FreqCounter | DictValue | null;

/** One stored value of an update, in the table's data order; arrays carry one scalar per element. */
export interface DataField {
  readonly type: number;
  readonly value: DataScalar | readonly DataScalar[];
}

/** A key: dotted/colon text for ipv4/ipv6, number for sint, text for string, bytes for binary. */
export type StickKey = string | number | Uint8Array;

/** Control message names, in type-byte order. */
export type ControlType = 'resync-request' | 'resync-finished' | 'resync-partial' | 'resync-confirm' | 'heartbeat';

/** Every message of the protocol as a typed object. */
export type PeerMessage =
  | { readonly kind: 'control'; readonly type: ControlType }
  | { readonly kind: 'error'; readonly type: 'protocol' | 'size-limit' }
  | { readonly kind: 'define'; readonly table: TableDefinition }
  | { readonly kind: 'switch'; readonly tableId: number }
  | PeerUpdate
  | { readonly kind: 'ack'; readonly tableId: number; readonly updateId: number }
  /** A class or type this codec does not know; HAProxy ignores those (class 255 excepted). */
  | { readonly kind: 'unknown'; readonly cls: number; readonly type: number; readonly body: Uint8Array };

/**
 * An entry update (0x80, 0x81, 0x85, 0x86) for the table selected by the last define/switch.
 * `incremental` updates carry no id on the wire: their id is the previous update's id + 1 (the
 * decoder fills it in; the encoder omits it). `expire` (ms left) makes it a timed update.
 */
export interface PeerUpdate {
  readonly kind: 'update';
  readonly tableId: number;
  readonly updateId: number;
  readonly incremental: boolean;
  readonly expire?: number;
  readonly key: StickKey;
  readonly values: readonly DataField[];
}

/** What went wrong in a decoder; `reply` is the error message HAProxy answers it with. */
export type PeerErrorCode =
  | 'varint-overflow'
  | 'length-encoding-too-long'
  | 'message-too-large'
  | 'reserved-class'
  | 'truncated-field'
  | 'value-out-of-range'
  | 'bad-table-name'
  | 'bad-key-type'
  | 'bad-key-length'
  | 'unknown-data-type'
  | 'data-param-mismatch'
  | 'no-table'
  | 'unknown-table'
  | 'bad-dict-value'
  | 'decoder-failed';

/** A protocol error found while decoding: what, where (offset in the stream), and the reply. */
export interface PeerProtocolError {
  readonly code: PeerErrorCode;
  /** A sentence naming the field and the problem. */
  readonly message: string;
  /** Offset of the offending byte from the start of the decoded stream. */
  readonly offset: number;
  /** The error message to send before closing (HAProxy: size limit -> 'size-limit', else 'protocol'). */
  readonly reply: 'protocol' | 'size-limit';
}

/** One step of an incremental decoder. */
export type PeerReadOutcome =
  | { readonly kind: 'message'; readonly message: PeerMessage; readonly offset: number; readonly size: number }
  | { readonly kind: 'need-more' }
  | { readonly kind: 'error'; readonly error: PeerProtocolError };

/** Handshake status codes ("Handshake", status code table). */
export const PEER_STATUS = {
  SUCCESS: 200,
  TRY_AGAIN: 300,
  PROTOCOL_ERROR: 501,
  BAD_VERSION: 502,
  LOCAL_PEER_MISMATCH: 503,
  REMOTE_PEER_MISMATCH: 504,
} as const;

/** A status code value. */
export type PeerStatus = (typeof PEER_STATUS)[keyof typeof PEER_STATUS];

/** Meaning of each status code, as the protocol text words it. */
export const PEER_STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'handshake succeeded',
  300: 'try again later',
  501: 'protocol error',
  502: 'bad version',
  503: 'local peer identifier mismatch',
  504: 'remote peer identifier mismatch',
};

/** A decoded "hello" message: `HAProxyS <maj>.<min>\n<remote>\n<local> <pid> <relative pid>\n`. */
export interface PeerHello {
  readonly major: number;
  readonly minor: number;
  /** The name of the peer the hello is addressed to. */
  readonly remotePeer: string;
  /** The name of the peer sending the hello. */
  readonly localPeer: string;
  readonly pid: number;
  readonly relativePid: number;
}
