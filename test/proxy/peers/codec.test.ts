/**
 * proxy/peers/codec.ts: framing and every message of the peers protocol, byte-exact against
 * encodings derived from the protocol text (sections cited per test; the 2.1 text's known gap is
 * filled from src/peers.c: ack is 0x84, timed updates 0x85/0x86, the definition ends with expiry and
 * data-type parameters), round trips, every decoder error path, and byte-by-byte feeding.
 */
import { describe, expect, it } from 'vitest';
import { describeMessage, encodeMessage, PeerDecoder, PeerEncoder } from '../../../proxy/peers/codec.ts';
import { encodeVarint } from '../../../proxy/peers/varint.ts';
import { STKTABLE_DT, type PeerMessage, type PeerReadOutcome, type TableDefinition } from '../../../proxy/peers/peers.types.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
/** A stick-table message: class 10, `type`, varint length, body. */
const stkt = (type: number, body: string) => {
  const b = bytes(body);
  return hex(Uint8Array.of(10, type, ...encodeVarint(b.length), ...b));
};

function decodeAll(input: string | Uint8Array, opts = {}): { out: PeerReadOutcome[]; dec: PeerDecoder } {
  const dec = new PeerDecoder(opts);
  dec.push(typeof input === 'string' ? bytes(input) : input);
  const out: PeerReadOutcome[] = [];
  for (;;) {
    const o = dec.next();
    out.push(o);
    if (o.kind !== 'message') break;
  }
  return { out, dec };
}
const messages = (input: string | Uint8Array) => decodeAll(input).out.filter((o) => o.kind === 'message').map((o) => (o as { message: PeerMessage }).message);
function errorOf(input: string, opts = {}) {
  const last = decodeAll(input, opts).out.at(-1)!;
  expect(last.kind).toBe('error');
  return (last as Extract<PeerReadOutcome, { kind: 'error' }>).error;
}

/**
 * Table `fe` of the interop test: id 1, ip keys, gpc0 + http_req_cnt + http_req_rate(10s), expire
 * 1m. Body, by "Definition message format": id 01, name length 02, "fe", key type 04 (ipv4, v2.0
 * text "Table Type"), key length 04, bitfield (bits 2, 9, 10 = 1540) f4 51, expire 60000 f0 97 1c,
 * then for the frequency counter its type id 0a and period 10000 f0 e2 03.
 */
const FE: TableDefinition = {
  id: 1,
  name: 'fe',
  keyType: 'ipv4',
  keyLength: 4,
  data: [{ type: STKTABLE_DT.GPC0 }, { type: STKTABLE_DT.HTTP_REQ_CNT }, { type: STKTABLE_DT.HTTP_REQ_RATE, period: 10000 }],
  expire: 60000,
};
const FE_DEFINE = '0a820f 01 02 6665 04 04 f451 f0971c 0a f0e203'.replace(/\s/g, '');
/** Update 1 of 127.0.0.1: id 00000001, key 7f000001, gpc0 0, http_req_cnt 1, rate (age 5, 1, 0). */
const FE_UPDATE = '0a800d 00000001 7f000001 00 01 05 01 00'.replace(/\s/g, '');
const feValues = (cnt: number) => [
  { type: STKTABLE_DT.GPC0, value: 0 },
  { type: STKTABLE_DT.HTTP_REQ_CNT, value: cnt },
  { type: STKTABLE_DT.HTTP_REQ_RATE, value: { tickAge: 5, currCtr: cnt, prevCtr: 0 } },
];

describe('control and error messages ("Control message class", "Error message class")', () => {
  it.each([
    ['resync-request', '0000'],
    ['resync-finished', '0001'],
    ['resync-partial', '0002'],
    ['resync-confirm', '0003'],
    ['heartbeat', '0004'],
  ] as const)('control %s is %s', (type, wire) => {
    expect(hex(encodeMessage({ kind: 'control', type }))).toBe(wire);
    expect(messages(wire)).toEqual([{ kind: 'control', type }]);
  });

  it.each([
    ['protocol', '0100'],
    ['size-limit', '0101'],
  ] as const)('error %s is %s', (type, wire) => {
    expect(hex(encodeMessage({ kind: 'error', type }))).toBe(wire);
    expect(messages(wire)).toEqual([{ kind: 'error', type }]);
  });
});

describe('stick-table messages', () => {
  it('definition: the byte-exact form derived from "Definition message format"', () => {
    expect(hex(encodeMessage({ kind: 'define', table: FE }))).toBe(FE_DEFINE);
    expect(messages(FE_DEFINE)).toEqual([{ kind: 'define', table: FE }]);
  });

  it('entry update 0x80: 4-byte id, 4-byte ipv4 key, then each value ("Entry update message format")', () => {
    const upd = { kind: 'update', tableId: 1, updateId: 1, incremental: false, key: '127.0.0.1', values: feValues(1) } as const;
    expect(hex(encodeMessage(upd, FE))).toBe(FE_UPDATE);
    expect(messages(FE_DEFINE + FE_UPDATE)[1]).toEqual(upd);
  });

  it('incremental update 0x81 has no id: the decoder numbers it previous + 1 (v2.0 "b) Incremental Update")', () => {
    const inc = { kind: 'update', tableId: 1, updateId: 2, incremental: true, key: '127.0.0.2', values: feValues(2) } as const;
    const wire = hex(encodeMessage(inc, FE));
    expect(wire).toBe('0a8109' + '7f000002 00 02 05 02 00'.replace(/\s/g, ''));
    expect(messages(FE_DEFINE + FE_UPDATE + wire)[2]).toEqual(inc);
  });

  it('timed updates 0x85/0x86 carry 4 bytes of remaining lifetime after the id (src/peers.c)', () => {
    const timed = { kind: 'update', tableId: 1, updateId: 0x01020304, incremental: false, expire: 30000, key: '10.0.0.1', values: feValues(0) } as const;
    const w1 = hex(encodeMessage(timed, FE));
    expect(w1.slice(0, 4)).toBe('0a85');
    expect(w1.slice(6, 22)).toBe('01020304' + '00007530');
    const inc = { ...timed, updateId: 0x01020305, incremental: true, key: '10.0.0.2' };
    const w2 = hex(encodeMessage(inc, FE));
    expect(w2.slice(0, 10)).toBe('0a85'.replace('85', '86') + '0d' + '0000');
    expect(messages(FE_DEFINE + w1 + w2).slice(1)).toEqual([timed, inc]);
  });

  it('update acknowledgement is type 0x84: table id varint then 4-byte update id (README gap)', () => {
    const wire = '0a8405 01 00000005'.replace(/\s/g, '');
    expect(hex(encodeMessage({ kind: 'ack', tableId: 1, updateId: 5 }))).toBe(wire);
    expect(messages(wire)).toEqual([{ kind: 'ack', tableId: 1, updateId: 5 }]);
  });

  it('switch 0x83 selects an already defined table for the updates that follow', () => {
    const other: TableDefinition = { id: 300, name: 'be', keyType: 'sint', keyLength: 4, data: [{ type: STKTABLE_DT.SERVER_ID }], expire: 0 };
    expect(hex(encodeMessage({ kind: 'switch', tableId: 300 }))).toBe('0a8302fc03');
    const enc = new PeerEncoder();
    const stream = [
      enc.encode({ kind: 'define', table: FE }),
      enc.encode({ kind: 'define', table: other }),
      enc.encode({ kind: 'switch', tableId: 1 }),
      enc.encode({ kind: 'update', tableId: 1, updateId: 9, incremental: false, key: '1.2.3.4', values: feValues(3) }),
      enc.encode({ kind: 'switch', tableId: 300 }),
      enc.encode({ kind: 'update', tableId: 300, updateId: 4, incremental: false, key: -7, values: [{ type: 0, value: -3 }] }),
    ];
    const got = messages(Buffer.concat(stream));
    expect(got.map((m) => m.kind)).toEqual(['define', 'define', 'switch', 'update', 'switch', 'update']);
    expect(got[3]).toMatchObject({ tableId: 1, key: '1.2.3.4' });
    expect(got[5]).toMatchObject({ tableId: 300, key: -7, values: [{ type: 0, value: -3 }] });
  });
});

describe('keys and data types round-trip', () => {
  const roundTrip = (table: TableDefinition, msg: Extract<PeerMessage, { kind: 'update' }>) => {
    const wire = Buffer.concat([encodeMessage({ kind: 'define', table }), encodeMessage(msg, table)]);
    const got = messages(wire);
    expect(got).toEqual([{ kind: 'define', table }, msg]);
    return wire;
  };

  it('string keys are a varint length then the bytes; ipv6 keys 16 bytes; binary keys the key length', () => {
    const s: TableDefinition = { id: 2, name: 'str', keyType: 'string', keyLength: 33, data: [], expire: 0 };
    const w = roundTrip(s, { kind: 'update', tableId: 2, updateId: 1, incremental: false, key: 'héllo', values: [] });
    expect(hex(w).endsWith('0a800b' + '00000001' + '06' + hex(Buffer.from('héllo')))).toBe(true);
    const v6: TableDefinition = { id: 3, name: 'v6', keyType: 'ipv6', keyLength: 16, data: [], expire: 1000 };
    roundTrip(v6, { kind: 'update', tableId: 3, updateId: 1, incremental: false, key: '2001:db8::1', values: [] });
    const bin: TableDefinition = { id: 4, name: 'bin', keyType: 'binary', keyLength: 8, data: [], expire: 0 };
    roundTrip(bin, { kind: 'update', tableId: 4, updateId: 1, incremental: false, key: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), values: [] });
  });

  it('sint, uint, ull (64-bit), frequency counters, dict entries and arrays', () => {
    const t: TableDefinition = {
      id: 5,
      name: 'all',
      keyType: 'sint',
      keyLength: 4,
      expire: 5000,
      data: [
        { type: STKTABLE_DT.SERVER_ID },
        { type: STKTABLE_DT.GPT0 },
        { type: STKTABLE_DT.CONN_RATE, period: 1000 },
        { type: STKTABLE_DT.BYTES_IN_CNT },
        { type: STKTABLE_DT.SERVER_KEY },
        { type: STKTABLE_DT.GPC, count: 2 },
        { type: STKTABLE_DT.GPC_RATE, count: 2, period: 60000 },
      ],
    };
    const u = {
      kind: 'update',
      tableId: 5,
      updateId: 0xffffffff,
      incremental: false,
      key: 42,
      values: [
        { type: STKTABLE_DT.SERVER_ID, value: -1 },
        { type: STKTABLE_DT.GPT0, value: 0xffffffff },
        { type: STKTABLE_DT.CONN_RATE, value: { tickAge: 999, currCtr: 12, prevCtr: 34 } },
        { type: STKTABLE_DT.BYTES_IN_CNT, value: (1n << 64n) - 1n },
        { type: STKTABLE_DT.SERVER_KEY, value: { id: 1, value: 'srv1' } },
        { type: STKTABLE_DT.GPC, value: [3, 4] },
        { type: STKTABLE_DT.GPC_RATE, value: [{ tickAge: 1, currCtr: 2, prevCtr: 3 }, { tickAge: 4, currCtr: 5, prevCtr: 6 }] },
      ],
    } as const;
    const wire = hex(roundTrip(t, u));
    // server_id -1 is sign-extended to 64 bits as HAProxy's intencode((int)-1) does: 10 bytes.
    expect(wire).toContain('ffffffff' + '0000002a' + hex(encodeVarint((1n << 64n) - 1n)));
    // dict: length 06, id 01, value length 04, "srv1" (2.1 text, STD_T_DICT).
    expect(wire).toContain('06' + '01' + '04' + hex(Buffer.from('srv1')));
    // Definition parameters: conn_rate "05 period", gpc "17 02", gpc_rate "18 02 period".
    expect(wire).toContain('05' + hex(encodeVarint(1000)) + '17' + '02' + '18' + '02' + hex(encodeVarint(60000)));
  });

  it('dict values: 0 means no entry, an id alone refers to a cached entry', () => {
    const t: TableDefinition = { id: 6, name: 'd', keyType: 'ipv4', keyLength: 4, data: [{ type: STKTABLE_DT.SERVER_KEY }], expire: 0 };
    const w1 = roundTrip(t, { kind: 'update', tableId: 6, updateId: 1, incremental: false, key: '1.1.1.1', values: [{ type: 19, value: null }] });
    expect(hex(w1).endsWith('01010101' + '00')).toBe(true);
    const w2 = roundTrip(t, { kind: 'update', tableId: 6, updateId: 2, incremental: false, key: '1.1.1.1', values: [{ type: 19, value: { id: 3 } }] });
    expect(hex(w2).endsWith('01010101' + '01' + '03')).toBe(true);
  });

  it('accepts a definition without expiry and parameters (older peers) when no array type is stored', () => {
    const wire = stkt(0x82, '01 01 74 06 21 ' + hex(encodeVarint(1 << 9)));
    expect(messages(wire)).toEqual([{ kind: 'define', table: { id: 1, name: 't', keyType: 'string', keyLength: 0x21, data: [{ type: 9 }] } }]);
  });

  it('skips bytes appended to a message by a newer peer ("...the remaining ones will be skipped")', () => {
    const ack = stkt(0x84, '01 00000005 aabbcc');
    const upd = FE_UPDATE.replace('0a800d', '0a800f') + 'eeff';
    const got = messages(FE_DEFINE + ack + upd + '0004');
    expect(got.map((m) => m.kind)).toEqual(['define', 'ack', 'update', 'control']);
    expect(got[2]).toMatchObject({ key: '127.0.0.1', updateId: 1 });
  });

  it('hands back messages of unknown class or type as `unknown` (HAProxy ignores them)', () => {
    expect(messages('0509' + stkt(0x8f, 'a1a2') + '0a05' + '0007')).toEqual([
      { kind: 'unknown', cls: 5, type: 9, body: new Uint8Array(0) },
      { kind: 'unknown', cls: 10, type: 0x8f, body: Uint8Array.of(0xa1, 0xa2) },
      { kind: 'unknown', cls: 10, type: 5, body: new Uint8Array(0) },
      { kind: 'unknown', cls: 0, type: 7, body: new Uint8Array(0) },
    ]);
    expect(hex(encodeMessage({ kind: 'unknown', cls: 10, type: 0x8f, body: Uint8Array.of(1) }))).toBe('0a8f0101');
  });
});

describe('incremental input', () => {
  const stream = () => {
    const enc = new PeerEncoder();
    const parts = [
      enc.encode({ kind: 'control', type: 'resync-request' }),
      enc.encode({ kind: 'define', table: FE }),
      enc.encode({ kind: 'update', tableId: 1, updateId: 10, incremental: false, key: '127.0.0.1', values: feValues(1) }),
      enc.encode({ kind: 'update', tableId: 1, updateId: 11, incremental: true, expire: 100, key: '127.0.0.9', values: feValues(300) }),
      enc.encode({ kind: 'ack', tableId: 2, updateId: 77 }),
      enc.encode({ kind: 'control', type: 'heartbeat' }),
    ];
    return Buffer.concat(parts);
  };

  it('gives the same messages fed one byte at a time as all at once, and waits inside a message', () => {
    const all = stream();
    const whole = messages(all);
    expect(whole).toHaveLength(6);
    const dec = new PeerDecoder();
    const got: PeerMessage[] = [];
    const offsets: number[] = [];
    for (const b of all) {
      dec.push(Uint8Array.of(b));
      for (let o = dec.next(); o.kind !== 'need-more'; o = dec.next()) {
        expect(o.kind).toBe('message');
        if (o.kind === 'message') {
          got.push(o.message);
          offsets.push(o.offset);
        }
      }
    }
    expect(got).toEqual(whole);
    expect(offsets[0]).toBe(0);
    expect(offsets[1]).toBe(2);
    expect(dec.buffered).toBe(0);
  });

  it('waits for more inside the header, the length varint and the body', () => {
    const dec = new PeerDecoder();
    const def = bytes(FE_DEFINE);
    for (const cut of [1, 2, 3, 10]) {
      const d = new PeerDecoder();
      d.push(def.subarray(0, cut));
      expect(d.next()).toEqual({ kind: 'need-more' });
    }
    // A 2-byte length varint split between its bytes.
    const big = encodeMessage({ kind: 'define', table: { ...FE, name: 'x'.repeat(300) } });
    dec.push(big.subarray(0, 3));
    expect(dec.next()).toEqual({ kind: 'need-more' });
    dec.push(big.subarray(3));
    expect(dec.next()).toMatchObject({ kind: 'message', size: big.length });
  });
});

describe('decoder errors: what, where, and the reply to send', () => {
  it('length-encoding-too-long: a length varint over 5 bytes', () => {
    expect(errorOf('0a80 f0808080 80 00')).toMatchObject({ code: 'length-encoding-too-long', offset: 2, reply: 'protocol' });
  });

  it('message-too-large: a length above the limit is a size-limit error (HAProxy ERRSIZE)', () => {
    expect(errorOf(stkt(0x80, '00'.repeat(20)), { maxMessageLength: 16 })).toMatchObject({ code: 'message-too-large', offset: 2, reply: 'size-limit' });
    expect(errorOf('0a80 ffffffff7f')).toMatchObject({ code: 'message-too-large', reply: 'size-limit' });
    expect(errorOf('0a80 ffffffff7f').message).toMatch(/4328786159 bytes exceeds the limit of 16384/);
  });

  it('reserved-class: class 255', () => {
    expect(errorOf('0004 ff00')).toMatchObject({ code: 'reserved-class', offset: 2 });
  });

  it('varint-overflow: a field encoded past 64 bits', () => {
    const e = errorOf(stkt(0x84, 'ff ffffffffffffffffff 00 00000001'));
    expect(e).toMatchObject({ code: 'varint-overflow', offset: 3 });
    expect(e.message).toBe('update acknowledgement: table id is an encoded integer above 2^64-1');
  });

  it('truncated-field: a message ending inside a field names the field and the offset', () => {
    expect(errorOf(stkt(0x84, '01 0000'))).toMatchObject({ code: 'truncated-field', offset: 4, message: 'update acknowledgement: update id needs 4 bytes, 2 left' });
    const cut = stkt(0x80, '00000001 7f00');
    const e = errorOf(FE_DEFINE + cut);
    expect(e).toMatchObject({ code: 'truncated-field', offset: FE_DEFINE.length / 2 + 7 });
    expect(e.message).toBe('update message: key needs 4 bytes, 2 left');
    expect(errorOf(FE_DEFINE + stkt(0x80, '00000001 7f000001 00 01 05'))).toMatchObject({ code: 'truncated-field', message: 'update message: http_req_rate curr_ctr is cut short by the end of the message' });
  });

  it('value-out-of-range: uint above 32 bits, sint outside 32-bit signed, table id above 32 bits', () => {
    const e = errorOf(FE_DEFINE + stkt(0x80, '00000001 7f000001 ' + hex(encodeVarint(2 ** 32)) + ' 01 050100'));
    expect(e).toMatchObject({ code: 'value-out-of-range', offset: FE_DEFINE.length / 2 + 11 });
    expect(e.message).toBe('update message: gpc0 is 4294967296, above the largest allowed 4294967295');
    const sdef = encodeMessage({ kind: 'define', table: { id: 1, name: 's', keyType: 'sint', keyLength: 4, data: [{ type: 0 }], expire: 0 } });
    expect(errorOf(hex(sdef) + stkt(0x80, '00000001 00000001 ' + hex(encodeVarint(2 ** 31))))).toMatchObject({ code: 'value-out-of-range', message: expect.stringMatching(/server_id is 2147483648, outside a 32-bit signed integer/) });
    expect(errorOf(stkt(0x83, hex(encodeVarint(2 ** 32))))).toMatchObject({ code: 'value-out-of-range', offset: 3 });
  });

  it('bad-table-name: empty name, or a name running to the end of the message', () => {
    expect(errorOf(stkt(0x82, '01 00 04 04 00 00'))).toMatchObject({ code: 'bad-table-name', offset: 4 });
    expect(errorOf(stkt(0x82, '01 02 6665'))).toMatchObject({ code: 'bad-table-name', offset: 4 });
  });

  it('bad-key-type and bad-key-length', () => {
    expect(errorOf(stkt(0x82, '01 01 74 03 04 00 00'))).toMatchObject({ code: 'bad-key-type', offset: 6, message: expect.stringMatching(/key type 3 is not one of/) });
    expect(errorOf(stkt(0x82, '01 01 74 04 05 00 00'))).toMatchObject({ code: 'bad-key-length', offset: 7, message: expect.stringMatching(/5 is not valid for a ipv4 key \(must be 4\)/) });
    expect(errorOf(stkt(0x82, '01 01 74 07 00 00 00'))).toMatchObject({ code: 'bad-key-length' });
  });

  it('unknown-data-type: a bit this codec does not know', () => {
    expect(errorOf(stkt(0x82, '01 01 74 04 04 ' + hex(encodeVarint(1n << 40n)) + ' 00'))).toMatchObject({ code: 'unknown-data-type', offset: 8, message: expect.stringMatching(/data type 40/) });
  });

  it('data-param-mismatch: wrong parameter prefix, or an array type without parameters', () => {
    const bits = hex(encodeVarint(1 << STKTABLE_DT.HTTP_REQ_RATE));
    expect(errorOf(stkt(0x82, `01 01 74 04 04 ${bits} 00 09 10`))).toMatchObject({ code: 'data-param-mismatch', message: 'table definition message: parameter prefix of http_req_rate is data type 9, expected 10' });
    expect(errorOf(stkt(0x82, `01 01 74 04 04 ${hex(encodeVarint(1 << STKTABLE_DT.GPC))}`))).toMatchObject({ code: 'data-param-mismatch', message: expect.stringMatching(/missing for array type gpc/) });
  });

  it('no-table: an update before any definition; unknown-table: a switch to an undefined id', () => {
    expect(errorOf(FE_UPDATE)).toMatchObject({ code: 'no-table', offset: 3, message: 'update message: update arrived before any table definition or switch' });
    expect(errorOf(FE_DEFINE + stkt(0x83, '09'))).toMatchObject({ code: 'unknown-table', offset: FE_DEFINE.length / 2 + 3 });
  });

  it('bad-dict-value: cache id 0, or bytes left after the value', () => {
    const def = hex(encodeMessage({ kind: 'define', table: { id: 1, name: 'd', keyType: 'ipv4', keyLength: 4, data: [{ type: 19 }], expire: 0 } }));
    expect(errorOf(def + stkt(0x80, '00000001 01010101 01 00'))).toMatchObject({ code: 'bad-dict-value', message: expect.stringMatching(/cache id is 0/) });
    expect(errorOf(def + stkt(0x80, '00000001 01010101 04 01 01 61 62'))).toMatchObject({ code: 'bad-dict-value', message: expect.stringMatching(/1 bytes after its value/) });
    expect(errorOf(def + stkt(0x80, '00000001 01010101 05 01 01'))).toMatchObject({ code: 'truncated-field' });
  });

  it('stays failed after an error and never throws on random input', () => {
    const dec = new PeerDecoder();
    dec.push(bytes('ff00'));
    const e = dec.next();
    expect(e.kind).toBe('error');
    dec.push(bytes('0004'));
    expect(dec.next()).toEqual(e);
    expect(dec.error?.code).toBe('reserved-class');
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
    for (let i = 0; i < 300; i++) {
      const d = new PeerDecoder({ maxMessageLength: 64 });
      d.push(bytes(FE_DEFINE));
      d.push(Uint8Array.from({ length: 40 }, () => (i % 3 === 0 ? 10 : rnd())));
      expect(() => {
        for (let o = d.next(); o.kind === 'message'; o = d.next());
      }).not.toThrow();
    }
  });
});

describe('encoder', () => {
  it('PeerEncoder refuses updates of undefined tables and non-consecutive incremental ids', () => {
    const enc = new PeerEncoder();
    const upd = { kind: 'update', tableId: 1, updateId: 1, incremental: false, key: '1.2.3.4', values: feValues(0) } as const;
    expect(() => enc.encode(upd)).toThrow(/table id 1 was not defined/);
    enc.encode({ kind: 'define', table: FE });
    enc.encode(upd);
    expect(() => enc.encode({ ...upd, updateId: 3, incremental: true })).toThrow(/does not follow 1/);
    expect(enc.encode({ ...upd, updateId: 2, incremental: true })[1]).toBe(0x81);
  });

  it('refuses values that do not fit their data type, and updates without their definition', () => {
    const upd = (values: unknown) => ({ kind: 'update', tableId: 1, updateId: 1, incremental: false, key: '1.2.3.4', values }) as Extract<PeerMessage, { kind: 'update' }>;
    expect(() => encodeMessage(upd(feValues(0)))).toThrow(/no definition given for table id 1/);
    expect(() => encodeMessage(upd(feValues(0).slice(1)), FE)).toThrow(/stores 3 data types, the update has 2/);
    expect(() => encodeMessage(upd([{ type: 2, value: -1 }, ...feValues(0).slice(1)]), FE)).toThrow(/value -1 does not fit data type gpc0/);
    expect(() => encodeMessage(upd([feValues(0)[1], feValues(0)[0], feValues(0)[2]]), FE)).toThrow(/value #0 is data type 9/);
    expect(() => encodeMessage(upd([feValues(0)[0], feValues(0)[1], { type: 10, value: 3 }]), FE)).toThrow(/http_req_rate/);
    expect(() => encodeMessage({ kind: 'define', table: { ...FE, data: [{ type: 23 }] } })).toThrow(/needs a count/);
    expect(() => encodeMessage({ kind: 'define', table: { ...FE, name: '' } })).toThrow(/name is empty/);
  });

  it('describes messages in one line for traces', () => {
    expect(describeMessage({ kind: 'define', table: FE })).toBe('define fe#1 ipv4(4) data=gpc0,http_req_cnt,http_req_rate');
    expect(describeMessage({ kind: 'update', tableId: 1, updateId: 2, incremental: true, expire: 5, key: Uint8Array.of(1, 255), values: [] })).toBe('update #1 id=2 (inc) exp=5 key=01ff');
  });
});
