/**
 * Message codec of HAProxy's peers protocol 2.1 (after the handshake), sans-IO.
 *
 * Framing ("Messages", *** General ***): a class byte, a type byte and, for types >= 128, a varint
 * length of the rest (at most 5 bytes, PEER_MSG_ENC_LENGTH_MAXLEN). Bodies follow "Stick-table
 * update message class" of the 2.1 text, completed from src/peers.c: the definition message ends
 * with the expiry and, per stored data type in id order, `<type id> <period>` for frequency
 * counters and `<type id> <count> [<period>]` for arrays; update acknowledgement is type 0x84;
 * timed updates (0x85, 0x86) put 4 bytes of remaining lifetime (ms) after the update id.
 *
 * `PeerDecoder` takes bytes as they arrive, returns one outcome per call (a message, need-more, or an
 * error naming the field and its stream offset) and never throws on bad input. `encodeMessage` and
 * `PeerEncoder` build the bytes; they throw TypeError/RangeError on objects that cannot be encoded
 * (a caller's bug, not peer input).
 */
import {
  DATA_TYPES,
  PEER_DEFAULT_MAX_MESSAGE,
  PEER_ERR,
  PEER_KEY_TYPE,
  PEER_MSG_CLASS,
  PEER_MSG_ENC_LENGTH_MAXLEN,
  PEER_STKT,
  type ControlType,
  type DataField,
  type DataScalar,
  type DictValue,
  type FreqCounter,
  type PeerErrorCode,
  type PeerKeyType,
  type PeerMessage,
  type PeerProtocolError,
  type PeerReadOutcome,
  type PeerUpdate,
  type StickKey,
  type TableDataDecl,
  type TableDefinition,
} from './peers.types.ts';
import { readVarint, readVarintNumber, varintLength, writeVarint } from './varint.ts';
import { decodeFixedKey, encodeKey, FIXED_KEY_LENGTH } from './keys.ts';
import { PTP } from './trace.ts';

const CONTROL_NAMES: readonly ControlType[] = ['resync-request', 'resync-finished', 'resync-partial', 'resync-confirm', 'heartbeat'];
const KEY_TYPE_BY_CODE = new Map<number, PeerKeyType>(Object.entries(PEER_KEY_TYPE).map(([k, v]) => [v, k as PeerKeyType]));
const U32 = 0xffffffff;
const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// Encoding

/** A growable byte sink used by the encoders. */
class Out {
  buf = new Uint8Array(64);
  len = 0;
  room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  varint(v: number | bigint): void {
    this.room(10);
    this.len = writeVarint(this.buf, this.len, v);
  }
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > U32) throw new RangeError(`peers: ${v} is not a 32-bit unsigned value`);
    this.room(4);
    new DataView(this.buf.buffer).setUint32(this.len, v);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function frame(cls: number, type: number, body: Uint8Array): Uint8Array {
  const n = varintLength(body.length);
  if (n > PEER_MSG_ENC_LENGTH_MAXLEN) throw new RangeError(`peers: message body of ${body.length} bytes is too large to frame`);
  const out = new Uint8Array(2 + n + body.length);
  out[0] = cls;
  out[1] = type;
  writeVarint(out, 2, body.length);
  out.set(body, 2 + n);
  return out;
}

/** The data-types bitfield of a definition (bit n set for STKTABLE_DT n). */
export function dataTypesBitfield(data: readonly TableDataDecl[]): bigint {
  let bits = 0n;
  for (const d of data) bits |= 1n << BigInt(d.type);
  return bits;
}

function encodeDefine(t: TableDefinition): Uint8Array {
  const o = new Out();
  o.varint(t.id);
  const name = utf8.encode(t.name);
  if (name.length === 0) throw new TypeError('peers define: the table name is empty');
  o.varint(name.length);
  o.bytes(name);
  o.varint(PEER_KEY_TYPE[t.keyType]);
  o.varint(t.keyLength);
  const sorted = [...t.data].sort((a, b) => a.type - b.type);
  o.varint(dataTypesBitfield(sorted));
  o.varint(t.expire ?? 0);
  for (const d of sorted) {
    const info = DATA_TYPES[d.type];
    if (!info) throw new TypeError(`peers define: unknown data type id ${d.type}`);
    if (info.array) {
      if (d.count === undefined) throw new TypeError(`peers define: array data type ${info.name} needs a count`);
      o.varint(d.type);
      o.varint(d.count);
      if (info.std === 'frqp') o.varint(d.period ?? 0);
    } else if (info.std === 'frqp') {
      o.varint(d.type);
      o.varint(d.period ?? 0);
    }
  }
  return o.done();
}

function encodeScalar(o: Out, std: string, name: string, v: DataScalar): void {
  const bad = (): never => {
    throw new TypeError(`peers update: value ${String(v)} does not fit data type ${name} (${std})`);
  };
  switch (std) {
    case 'sint':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) bad();
      // HAProxy passes the C int to intencode(uint64_t): negatives are sign-extended to 64 bits.
      o.varint((v as number) < 0 ? (1n << 64n) + BigInt(v as number) : (v as number));
      return;
    case 'uint':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > U32) bad();
      o.varint(v as number);
      return;
    case 'ull':
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) o.varint(v);
      else if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) o.varint(v);
      else bad();
      return;
    case 'frqp': {
      const f = v as FreqCounter;
      if (v === null || typeof v !== 'object' || !('currCtr' in f)) bad();
      for (const x of [f.tickAge, f.currCtr, f.prevCtr]) {
        if (!Number.isInteger(x) || x < 0 || x > U32) bad();
        o.varint(x);
      }
      return;
    }
    case 'dict': {
      if (v === null) {
        o.varint(0);
        return;
      }
      const d = v as DictValue;
      if (typeof v !== 'object' || !('id' in d) || !Number.isInteger(d.id) || d.id < 1 || d.id > U32) bad();
      const inner = new Out();
      inner.varint(d.id);
      if (d.value !== undefined) {
        const s = utf8.encode(d.value);
        inner.varint(s.length);
        inner.bytes(s);
      }
      o.varint(inner.len);
      o.bytes(inner.done());
      return;
    }
  }
}

function encodeUpdateBody(u: PeerUpdate, t: TableDefinition): Uint8Array {
  const o = new Out();
  if (!u.incremental) o.u32(u.updateId);
  if (u.expire !== undefined) o.u32(u.expire);
  const key = encodeKey(t.keyType, t.keyLength, u.key);
  if (t.keyType === 'string') o.varint(key.length);
  o.bytes(key);
  const decls = [...t.data].sort((a, b) => a.type - b.type);
  if (u.values.length !== decls.length) {
    throw new TypeError(`peers update: table ${t.name} stores ${decls.length} data types, the update has ${u.values.length} values`);
  }
  decls.forEach((d, i) => {
    const f = u.values[i];
    const info = DATA_TYPES[d.type];
    if (!info || f.type !== d.type) throw new TypeError(`peers update: value #${i} is data type ${f.type}, table ${t.name} expects ${d.type}`);
    if (info.array) {
      const arr = f.value as readonly DataScalar[];
      if (!Array.isArray(arr) || arr.length !== d.count) throw new TypeError(`peers update: ${info.name} needs ${d.count} elements`);
      for (const e of arr) encodeScalar(o, info.std, info.name, e);
    } else {
      if (Array.isArray(f.value)) throw new TypeError(`peers update: ${info.name} is not an array type`);
      encodeScalar(o, info.std, info.name, f.value as DataScalar);
    }
  });
  return o.done();
}

function updateType(u: PeerUpdate): number {
  if (u.expire !== undefined) return u.incremental ? PEER_STKT.INCUPDATE_TIMED : PEER_STKT.UPDATE_TIMED;
  return u.incremental ? PEER_STKT.INCUPDATE : PEER_STKT.UPDATE;
}

/**
 * Encodes one message into its wire bytes. An update needs the definition of its table (`table`,
 * whose id must equal the update's tableId); other messages ignore it. Throws TypeError/RangeError
 * for a message that cannot be encoded (missing table, value of the wrong type or range).
 */
export function encodeMessage(msg: PeerMessage, table?: TableDefinition): Uint8Array {
  switch (msg.kind) {
    case 'control':
      return Uint8Array.of(PEER_MSG_CLASS.CONTROL, CONTROL_NAMES.indexOf(msg.type));
    case 'error':
      return Uint8Array.of(PEER_MSG_CLASS.ERROR, msg.type === 'protocol' ? PEER_ERR.PROTOCOL : PEER_ERR.SIZE_LIMIT);
    case 'define':
      return frame(PEER_MSG_CLASS.STICKTABLE, PEER_STKT.DEFINE, encodeDefine(msg.table));
    case 'switch': {
      const o = new Out();
      o.varint(msg.tableId);
      return frame(PEER_MSG_CLASS.STICKTABLE, PEER_STKT.SWITCH, o.done());
    }
    case 'ack': {
      const o = new Out();
      o.varint(msg.tableId);
      o.u32(msg.updateId);
      return frame(PEER_MSG_CLASS.STICKTABLE, PEER_STKT.ACK, o.done());
    }
    case 'update':
      if (!table || table.id !== msg.tableId) throw new TypeError(`peers update: no definition given for table id ${msg.tableId}`);
      return frame(PEER_MSG_CLASS.STICKTABLE, updateType(msg), encodeUpdateBody(msg, table));
    case 'unknown':
      return msg.type >= 128 ? frame(msg.cls, msg.type, msg.body) : Uint8Array.of(msg.cls, msg.type);
  }
}

/**
 * Encoder for one direction of a peer session: remembers the tables it defined, so updates only
 * name their table id, and checks that an incremental update's id follows the previous update of
 * its table. Records a `peers` trace event per message on connection `conn`.
 */
export class PeerEncoder {
  private readonly tables = new Map<number, TableDefinition>();
  private readonly lastId = new Map<number, number>();
  private readonly conn: number;

  constructor(opts: { conn?: number } = {}) {
    this.conn = opts.conn ?? 0;
  }

  /** Encodes `msg`; throws TypeError for an update of an undefined table or a non-consecutive incremental id. */
  encode(msg: PeerMessage): Uint8Array {
    let table: TableDefinition | undefined;
    if (msg.kind === 'define') this.tables.set(msg.table.id, msg.table);
    if (msg.kind === 'update') {
      table = this.tables.get(msg.tableId);
      if (!table) throw new TypeError(`peers update: table id ${msg.tableId} was not defined on this session`);
      const prev = this.lastId.get(msg.tableId);
      if (msg.incremental && (prev === undefined || ((prev + 1) >>> 0) !== msg.updateId)) {
        throw new TypeError(`peers update: incremental update ${msg.updateId} does not follow ${prev ?? 'nothing'}`);
      }
      this.lastId.set(msg.tableId, msg.updateId);
    }
    const bytes = encodeMessage(msg, table);
    const tp = PTP.tx[msg.kind];
    if (tp.on) tp.emit(this.conn, 0, bytes[0], bytes[1], bytes.length, describeMessage(msg));
    return bytes;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Thrown inside the decoder only; turned into an error outcome before leaving it. */
class Fail {
  readonly code: PeerErrorCode;
  readonly message: string;
  readonly offset: number;
  constructor(code: PeerErrorCode, message: string, offset: number) {
    this.code = code;
    this.message = message;
    this.offset = offset;
  }
}

/** A cursor over one message body; `base` is the stream offset of `buf[0]`. */
class Cursor {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  readonly base: number;
  readonly what: string;
  constructor(buf: Uint8Array, pos: number, end: number, base: number, what: string) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.base = base;
    this.what = what;
  }
  at(p = this.pos): number {
    return this.base + p;
  }
  fail(code: PeerErrorCode, field: string, problem: string, p = this.pos): never {
    throw new Fail(code, `${this.what}: ${field} ${problem}`, this.at(p));
  }
  num(field: string, max = U32): number {
    const r = readVarintNumber(this.buf, this.pos, this.end, max);
    if (r.status === 'ok') {
      this.pos = r.next;
      return r.value;
    }
    if (r.status === 'truncated') this.fail('truncated-field', field, 'is cut short by the end of the message');
    if (r.status === 'overflow') this.fail('varint-overflow', field, 'is an encoded integer above 2^64-1');
    return this.fail('value-out-of-range', field, `is ${r.status === 'too-large' ? r.value : '?'}, above the largest allowed ${max}`);
  }
  big(field: string): bigint {
    const r = readVarint(this.buf, this.pos, this.end);
    if (r.status === 'ok') {
      this.pos = r.next;
      return r.value;
    }
    if (r.status === 'truncated') this.fail('truncated-field', field, 'is cut short by the end of the message');
    return this.fail('varint-overflow', field, 'is an encoded integer above 2^64-1');
  }
  u32(field: string): number {
    if (this.pos + 4 > this.end) this.fail('truncated-field', field, `needs 4 bytes, ${this.end - this.pos} left`);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  take(field: string, n: number): Uint8Array {
    if (this.pos + n > this.end) this.fail('truncated-field', field, `needs ${n} bytes, ${this.end - this.pos} left`);
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

function decodeDefine(c: Cursor): TableDefinition {
  const id = c.num('table id');
  const nameAt = c.pos;
  const nameLen = c.num('table name length');
  if (nameLen === 0 || c.pos + nameLen >= c.end) {
    c.fail('bad-table-name', 'table name length', `${nameLen} leaves no room for the name and the fields after it`, nameAt);
  }
  const name = utf8d.decode(c.take('table name', nameLen));
  const typeAt = c.pos;
  const code = c.num('key type');
  const keyType = KEY_TYPE_BY_CODE.get(code);
  if (!keyType) return c.fail('bad-key-type', 'key type', `${code} is not one of 2 (integer), 4 (ipv4), 5 (ipv6), 6 (string), 7 (binary)`, typeAt);
  const lenAt = c.pos;
  const keyLength = c.num('key length');
  const fixed = FIXED_KEY_LENGTH[keyType];
  if ((fixed !== undefined && keyLength !== fixed) || (keyType === 'binary' && keyLength === 0)) {
    c.fail('bad-key-length', 'key length', `${keyLength} is not valid for a ${keyType} key${fixed ? ` (must be ${fixed})` : ''}`, lenAt);
  }
  const bitsAt = c.pos;
  const bits = c.big('data types bitfield');
  const types: number[] = [];
  for (let t = 0; t < 64; t++) {
    if (!(bits & (1n << BigInt(t)))) continue;
    if (!DATA_TYPES[t]) c.fail('unknown-data-type', 'data types bitfield', `announces data type ${t}, which this codec does not know`, bitsAt);
    types.push(t);
  }
  if (c.pos >= c.end) {
    // Peers older than the expiry field: no parameters; arrays cannot be decoded without their size.
    const arr = types.find((t) => DATA_TYPES[t].array);
    if (arr !== undefined) c.fail('data-param-mismatch', 'data type parameters', `are missing for array type ${DATA_TYPES[arr].name}`);
    return { id, name, keyType, keyLength, data: types.map((type) => ({ type })) };
  }
  const expire = c.num('expire');
  const data: TableDataDecl[] = [];
  for (const type of types) {
    const info = DATA_TYPES[type];
    if (!info.array && info.std !== 'frqp') {
      data.push({ type });
      continue;
    }
    const at = c.pos;
    const prefix = c.num(`parameter prefix of ${info.name}`);
    if (prefix !== type) c.fail('data-param-mismatch', `parameter prefix of ${info.name}`, `is data type ${prefix}, expected ${type}`, at);
    if (info.array) {
      const count = c.num(`element count of ${info.name}`);
      data.push(info.std === 'frqp' ? { type, count, period: c.num(`period of ${info.name}`) } : { type, count });
    } else {
      data.push({ type, period: c.num(`period of ${info.name}`) });
    }
  }
  return { id, name, keyType, keyLength, data, expire };
}

function decodeScalar(c: Cursor, std: string, field: string): DataScalar {
  switch (std) {
    case 'sint': {
      const at = c.pos;
      const v = BigInt.asIntN(64, c.big(field));
      if (v < -0x80000000n || v > 0x7fffffffn) c.fail('value-out-of-range', field, `is ${v}, outside a 32-bit signed integer`, at);
      return Number(v);
    }
    case 'uint':
      return c.num(field);
    case 'ull':
      return c.big(field);
    case 'frqp':
      return { tickAge: c.num(`${field} curr_tick age`), currCtr: c.num(`${field} curr_ctr`), prevCtr: c.num(`${field} prev_ctr`) };
    default: {
      const len = c.num(`${field} length`);
      if (len === 0) return null;
      const start = c.pos;
      if (start + len > c.end) c.fail('truncated-field', field, `needs ${len} bytes, ${c.end - start} left`);
      const sub = new Cursor(c.buf, start, start + len, c.base, c.what);
      const idAt = sub.pos;
      const id = sub.num(`${field} cache id`);
      if (id === 0) sub.fail('bad-dict-value', `${field} cache id`, 'is 0 (ids start at 1)', idAt);
      let value: string | undefined;
      if (sub.pos < sub.end) {
        const n = sub.num(`${field} value length`);
        value = utf8d.decode(sub.take(`${field} value`, n));
        if (sub.pos !== sub.end) sub.fail('bad-dict-value', field, `has ${sub.end - sub.pos} bytes after its value`);
      }
      c.pos = start + len;
      return value === undefined ? { id } : { id, value };
    }
  }
}

function decodeUpdate(c: Cursor, type: number, t: TableDefinition, lastId: number): PeerUpdate {
  const incremental = type === PEER_STKT.INCUPDATE || type === PEER_STKT.INCUPDATE_TIMED;
  const timed = type === PEER_STKT.UPDATE_TIMED || type === PEER_STKT.INCUPDATE_TIMED;
  const updateId = incremental ? (lastId + 1) >>> 0 : c.u32('update id');
  const expire = timed ? c.u32('expire') : undefined;
  let key: StickKey;
  if (t.keyType === 'string') {
    const n = c.num('key length');
    key = utf8d.decode(c.take('key', n));
  } else {
    key = decodeFixedKey(t.keyType, c.take('key', t.keyLength));
  }
  const values: DataField[] = [];
  for (const d of t.data) {
    const info = DATA_TYPES[d.type];
    if (info.array) {
      const arr: DataScalar[] = [];
      for (let i = 0; i < (d.count ?? 0); i++) arr.push(decodeScalar(c, info.std, `${info.name}[${i}]`));
      values.push({ type: d.type, value: arr });
    } else {
      values.push({ type: d.type, value: decodeScalar(c, info.std, info.name) });
    }
  }
  const base = { kind: 'update', tableId: t.id, updateId, incremental, key, values } as const;
  return expire === undefined ? base : { ...base, expire };
}

const STKT_NAMES: Record<number, string> = {
  [PEER_STKT.UPDATE]: 'update message',
  [PEER_STKT.INCUPDATE]: 'incremental update message',
  [PEER_STKT.DEFINE]: 'table definition message',
  [PEER_STKT.SWITCH]: 'table switch message',
  [PEER_STKT.ACK]: 'update acknowledgement',
  [PEER_STKT.UPDATE_TIMED]: 'timed update message',
  [PEER_STKT.INCUPDATE_TIMED]: 'timed incremental update message',
};

/** Options of a PeerDecoder. */
export interface PeerDecoderOptions {
  /** Largest message body accepted; a larger length is a size-limit error (default 16384). */
  readonly maxMessageLength?: number;
  /** Connection id recorded in `peers` trace events (default 0). */
  readonly conn?: number;
}

/**
 * Incremental decoder for the messages one peer receives after the handshake. It keeps the
 * session's decoding state: tables announced by definition messages (by sender id), the table
 * selected by the last define/switch, and the last update id per table (incremental updates).
 *
 * `push(bytes)` appends input; `next()` returns the next message, `need-more` when the buffered
 * bytes end inside a message, or an error (what, where: offset from the first byte pushed) after
 * which the decoder stays failed: HAProxy answers with a protocol (or size limit) error message and
 * closes. Never throws on bad input.
 */
export class PeerDecoder {
  private buf = new Uint8Array(0);
  private start = 0;
  private base = 0;
  private failure: PeerProtocolError | undefined;
  private readonly max: number;
  private readonly conn: number;
  /** Tables announced by the remote peer, by its table id. */
  readonly tables = new Map<number, TableDefinition>();
  /** The table that updates apply to (last define or switch), if any. */
  current: TableDefinition | undefined;
  private readonly lastId = new Map<number, number>();

  constructor(opts: PeerDecoderOptions = {}) {
    this.max = opts.maxMessageLength ?? PEER_DEFAULT_MAX_MESSAGE;
    this.conn = opts.conn ?? 0;
  }

  /** Appends received bytes. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const rest = this.buf.length - this.start;
    const b = new Uint8Array(rest + bytes.length);
    b.set(this.buf.subarray(this.start));
    b.set(bytes, rest);
    this.base += this.start;
    this.buf = b;
    this.start = 0;
  }

  /** Bytes received and not yet consumed by a decoded message. */
  get buffered(): number {
    return this.buf.length - this.start;
  }

  /** The error that stopped this decoder, if any. */
  get error(): PeerProtocolError | undefined {
    return this.failure;
  }

  /** Decodes the next message from the buffered bytes (see the class comment). */
  next(): PeerReadOutcome {
    if (this.failure) return { kind: 'error', error: this.failure };
    const buf = this.buf;
    const p = this.start;
    const avail = buf.length - p;
    if (avail < 2) return { kind: 'need-more' };
    const cls = buf[p];
    const type = buf[p + 1];
    let bodyStart = p + 2;
    let bodyEnd = bodyStart;
    if (type >= 128) {
      const lim = Math.min(buf.length, bodyStart + PEER_MSG_ENC_LENGTH_MAXLEN);
      const r = readVarintNumber(buf, bodyStart, lim, U32);
      if (r.status === 'truncated' && lim < bodyStart + PEER_MSG_ENC_LENGTH_MAXLEN) return { kind: 'need-more' };
      if (r.status === 'too-large') {
        return this.fail('message-too-large', `message length: ${r.value} bytes exceeds the limit of ${this.max} (class ${cls}, type ${type})`, this.base + bodyStart, 'size-limit');
      }
      if (r.status !== 'ok') {
        return this.fail('length-encoding-too-long', `message length: encoded on more than ${PEER_MSG_ENC_LENGTH_MAXLEN} bytes (class ${cls}, type ${type})`, this.base + bodyStart, 'protocol');
      }
      if (r.value > this.max) {
        return this.fail('message-too-large', `message length: ${r.value} bytes exceeds the limit of ${this.max} (class ${cls}, type ${type})`, this.base + bodyStart, 'size-limit');
      }
      bodyStart = r.next;
      bodyEnd = bodyStart + r.value;
      if (bodyEnd > buf.length) return { kind: 'need-more' };
    }
    if (cls === PEER_MSG_CLASS.RESERVED) {
      return this.fail('reserved-class', `message class 255 is reserved (type ${type})`, this.base + p, 'protocol');
    }
    let message: PeerMessage;
    try {
      message = this.decodeBody(cls, type, new Cursor(buf, bodyStart, bodyEnd, this.base, STKT_NAMES[type] ?? 'message'));
    } catch (e) {
      if (e instanceof Fail) return this.fail(e.code, e.message, e.offset, 'protocol');
      return this.fail('decoder-failed', `internal decoder error: ${String(e)}`, this.base + p, 'protocol');
    }
    this.start = bodyEnd;
    const size = bodyEnd - p;
    const tp = PTP.rx[message.kind];
    if (tp.on) tp.emit(this.conn, 0, cls, type, size, describeMessage(message));
    return { kind: 'message', message, offset: this.base + p, size };
  }

  private fail(code: PeerErrorCode, message: string, offset: number, reply: 'protocol' | 'size-limit'): PeerReadOutcome {
    this.failure = { code, message, offset, reply };
    if (PTP.protoError.on) PTP.protoError.emit(this.conn, 0, offset, 0, 0, `${code}: ${message}`);
    return { kind: 'error', error: this.failure };
  }

  private decodeBody(cls: number, type: number, c: Cursor): PeerMessage {
    if (cls === PEER_MSG_CLASS.CONTROL && type < CONTROL_NAMES.length) return { kind: 'control', type: CONTROL_NAMES[type] };
    if (cls === PEER_MSG_CLASS.ERROR && type <= PEER_ERR.SIZE_LIMIT) return { kind: 'error', type: type === PEER_ERR.PROTOCOL ? 'protocol' : 'size-limit' };
    if (cls !== PEER_MSG_CLASS.STICKTABLE || !STKT_NAMES[type]) {
      return { kind: 'unknown', cls, type, body: c.buf.slice(c.pos, c.end) };
    }
    switch (type) {
      case PEER_STKT.DEFINE: {
        const table = decodeDefine(c);
        this.tables.set(table.id, table);
        this.current = table;
        return { kind: 'define', table };
      }
      case PEER_STKT.SWITCH: {
        const at = c.pos;
        const tableId = c.num('table id');
        const t = this.tables.get(tableId);
        if (!t) c.fail('unknown-table', 'table id', `${tableId} was never defined on this session`, at);
        this.current = t;
        return { kind: 'switch', tableId };
      }
      case PEER_STKT.ACK: {
        const tableId = c.num('table id');
        return { kind: 'ack', tableId, updateId: c.u32('update id') };
      }
      default: {
        const t = this.current;
        if (!t) return c.fail('no-table', 'update', 'arrived before any table definition or switch');
        const u = decodeUpdate(c, type, t, this.lastId.get(t.id) ?? 0);
        this.lastId.set(t.id, u.updateId);
        return u;
      }
    }
  }
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** A one-line description of a message for traces and logs (`update fe#1 id=5 key=127.0.0.1`). */
export function describeMessage(m: PeerMessage): string {
  switch (m.kind) {
    case 'control':
      return `control ${m.type}`;
    case 'error':
      return `error ${m.type}`;
    case 'define':
      return `define ${m.table.name}#${m.table.id} ${m.table.keyType}(${m.table.keyLength}) data=${m.table.data.map((d) => DATA_TYPES[d.type]?.name ?? d.type).join(',') || '-'}`;
    case 'switch':
      return `switch #${m.tableId}`;
    case 'ack':
      return `ack #${m.tableId} id=${m.updateId}`;
    case 'update':
      return `update #${m.tableId} id=${m.updateId}${m.incremental ? ' (inc)' : ''}${m.expire !== undefined ? ` exp=${m.expire}` : ''} key=${m.key instanceof Uint8Array ? hex(m.key) : m.key}`;
    case 'unknown':
      return `class ${m.cls} type ${m.type} (${m.body.length} bytes, ignored)`;
  }
}
