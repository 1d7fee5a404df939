/**
 * proxy/qpack/decoder.ts: the QPACK decoder with its dynamic table (RFC 9204 §2.2). The Appendix B
 * exchange (B.1-B.5) is replayed as the decoder sees it, checking the fields, the table states the
 * RFC shows (sizes 106, 160, 217, 215) and the decoder-stream bytes it emits (84, 01, 48); then
 * blocked streams (§2.1.2, §2.2.1) and every error §6 names, as outcomes.
 */
import { describe, expect, it } from 'vitest';
import { QpackDecoder } from '../../../proxy/qpack/decoder.ts';
import { buildEncoderInstruction } from '../../../proxy/qpack/encoder-instructions.ts';
import { buildFieldSection, maxEntries } from '../../../proxy/qpack/field-lines.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

// RFC 9204 Appendix B, verbatim.
const B1_STREAM0 = '0000 510b 2f69 6e64 6578 2e68 746d 6c';
const B2_ENCODER = '3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468';
const B2_STREAM4 = '0381 10 11';
const B3_ENCODER = '4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565';
const B4_ENCODER = '02';
const B4_STREAM8 = '0500 80 c1 81';
const B5_ENCODER = '810d 6375 7374 6f6d 2d76 616c 7565 32';

const settings = { maxTableCapacity: 220, maxBlockedStreams: 1 };
const fields = (r: ReturnType<QpackDecoder['decodeFieldSection']>) => (r.status === 'decoded' ? r.section.fields.map((f) => [f.name, f.value]) : r);
const table = (d: QpackDecoder) => d.table.entries().map((e) => [e.abs, e.name, e.value]);

describe('RFC 9204 Appendix B, decoder side', () => {
  it('B.1-B.5 in order: fields, table states and decoder-stream bytes', () => {
    const d = new QpackDecoder(settings);
    // B.1
    expect(fields(d.decodeFieldSection(0, bytes(B1_STREAM0)))).toEqual([[':path', '/index.html']]);
    expect(hex(d.takeDecoderStream())).toBe('');
    // B.2
    expect(d.onEncoderStream(bytes(B2_ENCODER))).toEqual({ status: 'ok', unblocked: [] });
    expect(d.table.size).toBe(106);
    expect(fields(d.decodeFieldSection(4, bytes(B2_STREAM4)))).toEqual([
      [':authority', 'www.example.com'],
      [':path', '/sample/path'],
    ]);
    expect(hex(d.takeDecoderStream())).toBe('84');
    // B.3
    d.onEncoderStream(bytes(B3_ENCODER));
    expect(d.table.size).toBe(160);
    expect(hex(d.takeDecoderStream())).toBe('01');
    // B.4: the encoder-stream packet is delayed; stream 8 blocks, then is cancelled.
    expect(d.decodeFieldSection(8, bytes(B4_STREAM8))).toEqual({ status: 'blocked' });
    expect(d.blockedStreams).toBe(1);
    d.cancelStream(8);
    expect(d.blockedStreams).toBe(0);
    expect(hex(d.takeDecoderStream())).toBe('48');
    expect(d.onEncoderStream(bytes(B4_ENCODER))).toEqual({ status: 'ok', unblocked: [] });
    expect(d.table.size).toBe(217);
    // B.5: insert evicting absolute index 0.
    d.onEncoderStream(bytes(B5_ENCODER));
    expect(d.table.size).toBe(215);
    expect(table(d)).toEqual([
      [1, ':path', '/sample/path'],
      [2, 'custom-key', 'custom-value'],
      [3, ':authority', 'www.example.com'],
      [4, 'custom-key', 'custom-value2'],
    ]);
    // Our coalescing policy: the two unacknowledged inserts (B.4, B.5) in one increment.
    expect(hex(d.takeDecoderStream())).toBe('02');
    expect(d.error).toBeUndefined();
  });

  it('B.4 without the cancellation: stream 8 unblocks when the Duplicate arrives, then is acknowledged', () => {
    const d = new QpackDecoder(settings);
    d.onEncoderStream(bytes(B2_ENCODER + B3_ENCODER));
    d.takeDecoderStream();
    expect(d.decodeFieldSection(8, bytes(B4_STREAM8)).status).toBe('blocked');
    const r = d.onEncoderStream(bytes(B4_ENCODER));
    expect(r.status).toBe('ok');
    if (r.status !== 'ok') return;
    expect(r.unblocked).toHaveLength(1);
    expect(r.unblocked[0].streamId).toBe(8);
    expect(r.unblocked[0].requiredInsertCount).toBe(4);
    expect(r.unblocked[0].fields.map((f) => [f.name, f.value])).toEqual([
      [':authority', 'www.example.com'],
      [':path', '/'],
      ['custom-key', 'custom-value'],
    ]);
    expect(hex(d.takeDecoderStream())).toBe('88');
    expect(d.knownReceivedCount).toBe(4);
  });

  it('takes the encoder stream one byte at a time', () => {
    const d = new QpackDecoder(settings);
    for (const b of bytes(B2_ENCODER + B3_ENCODER + B4_ENCODER + B5_ENCODER)) {
      expect(d.onEncoderStream(Uint8Array.of(b)).status).toBe('ok');
    }
    expect(d.table.size).toBe(215);
    expect(d.table.insertCount).toBe(5);
  });
});

describe('blocked streams (RFC 9204 §2.1.2, §2.2.1)', () => {
  const me = maxEntries(4096);
  const insert = (v: string) => buildEncoderInstruction({ kind: 'insert-literal-name', name: 'k', value: v });
  const refSection = (ric: number) => buildFieldSection({ requiredInsertCount: ric, base: ric }, [{ kind: 'indexed', isStatic: false, index: 0 }], me);

  it('holds sections per stream in order, unblocks each when its inserts arrive, and copies the bytes', () => {
    const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 2 }, { initialCapacity: 4096 });
    const s1 = refSection(1);
    expect(d.decodeFieldSection(1, s1).status).toBe('blocked');
    s1.fill(0); // the caller may reuse its buffer
    expect(d.decodeFieldSection(1, refSection(2)).status).toBe('blocked'); // same stream: queued, not a new blocked stream
    expect(d.decodeFieldSection(5, refSection(2)).status).toBe('blocked');
    expect(d.blockedStreams).toBe(2);
    let r = d.onEncoderStream(insert('one'));
    expect(r.status === 'ok' && r.unblocked.map((s) => [s.streamId, s.fields[0].value])).toEqual([[1, 'one']]);
    r = d.onEncoderStream(insert('two'));
    expect(r.status === 'ok' && r.unblocked.map((s) => [s.streamId, s.fields[0].value])).toEqual([
      [1, 'two'],
      [5, 'two'],
    ]);
    expect(d.blockedStreams).toBe(0);
    expect(hex(d.takeDecoderStream())).toBe('818185');
  });

  it('a section arriving on a stream that is already blocked waits behind it even if decodable', () => {
    const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 1 }, { initialCapacity: 4096 });
    expect(d.decodeFieldSection(1, refSection(1)).status).toBe('blocked');
    expect(d.decodeFieldSection(1, bytes('0000 d1')).status).toBe('blocked');
    const r = d.onEncoderStream(insert('x'));
    expect(r.status === 'ok' && r.unblocked.map((s) => s.fields.map((f) => f.value))).toEqual([['x'], ['GET']]);
  });

  it('more blocked streams than SETTINGS_QPACK_BLOCKED_STREAMS is QPACK_DECOMPRESSION_FAILED', () => {
    const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 1 }, { initialCapacity: 4096 });
    expect(d.decodeFieldSection(1, refSection(1)).status).toBe('blocked');
    const r = d.decodeFieldSection(5, refSection(1));
    expect(r).toMatchObject({ status: 'error', error: { code: 'QPACK_DECOMPRESSION_FAILED', where: 'field section on stream 5' } });
    // The decoder stays failed.
    expect(d.onEncoderStream(insert('x'))).toMatchObject({ status: 'error', error: { code: 'QPACK_DECOMPRESSION_FAILED' } });
  });

  it('with SETTINGS_QPACK_BLOCKED_STREAMS 0 any section that would block is an error', () => {
    const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 0 }, { initialCapacity: 4096 });
    expect(d.decodeFieldSection(1, refSection(1))).toMatchObject({ status: 'error', error: { code: 'QPACK_DECOMPRESSION_FAILED' } });
  });

  it('no Stream Cancellation is sent when the maximum table capacity is 0 (§2.2.2.2)', () => {
    const d = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
    d.cancelStream(4);
    expect(d.takeDecoderStream().length).toBe(0);
  });
});

describe('errors (RFC 9204 §6) are outcomes naming what and where', () => {
  const withTable = () => {
    const d = new QpackDecoder(settings);
    expect(d.onEncoderStream(bytes(B2_ENCODER)).status).toBe('ok');
    return d;
  };
  const sectionError = (hexSection: string, d = withTable()) => {
    const r = d.decodeFieldSection(4, bytes(hexSection));
    expect(r.status).toBe('error');
    if (r.status !== 'error') return undefined;
    expect(r.error.code).toBe('QPACK_DECOMPRESSION_FAILED');
    expect(r.error.where).toBe('field section on stream 4');
    return r.error;
  };
  const encoderError = (hexInstr: string, d = withTable()) => {
    const r = d.onEncoderStream(bytes(hexInstr));
    expect(r.status).toBe('error');
    if (r.status !== 'error') return undefined;
    expect(r.error.code).toBe('QPACK_ENCODER_STREAM_ERROR');
    expect(r.error.where).toBe('encoder stream');
    return r.error;
  };

  it('QPACK_DECOMPRESSION_FAILED: invalid static index (§3.1)', () => {
    expect(sectionError('0000 ff24')?.message).toMatch(/static index 99/);
    expect(sectionError('0000 5f54 00')?.message).toMatch(/static index 99/);
  });

  it('QPACK_DECOMPRESSION_FAILED: reference at or beyond the Required Insert Count (§2.2.3)', () => {
    expect(sectionError('0200 81')?.message).toMatch(/absolute index -1|outside/); // RIC 1, Base 1, relative 1 -> -1
    expect(sectionError('0280 11')?.message).toMatch(/absolute index 1 outside 0\.\.0/); // RIC 1, Sign 1, Delta 0: Base 0, post-base 1 is absolute 1
  });

  it('QPACK_DECOMPRESSION_FAILED: reference to an evicted entry (§2.2.3)', () => {
    const d = withTable();
    d.onEncoderStream(bytes(B3_ENCODER + B4_ENCODER + B5_ENCODER)); // evicts absolute 0
    // RIC 5, Base 5, relative 4 -> absolute 0.
    expect(sectionError('0600 84', d)?.message).toMatch(/evicted/);
  });

  it('QPACK_DECOMPRESSION_FAILED: impossible Required Insert Count, negative Base, larger RIC than needed (§4.5.1)', () => {
    expect(sectionError('0f00')?.message).toMatch(/impossible/); // 15 > FullRange 12
    expect(sectionError('0382 10')?.message).toMatch(/negative Base/);
    expect(sectionError('0300 c1')?.message).toMatch(/larger than needed/); // RIC 2, no dynamic reference
  });

  it('QPACK_DECOMPRESSION_FAILED: truncated section, bad Huffman, integer overflow, with the offset', () => {
    expect(sectionError('00')?.message).toMatch(/prefix is truncated/);
    const e = sectionError('0000 d1 510b 2f69');
    expect(e?.offset).toBe(3);
    expect(e?.message).toMatch(/truncated/);
    expect(sectionError('0000 29 00 00')?.message).toMatch(/padding/);
    expect(sectionError('0000 ff ffffffffffffffffff7f')?.message).toMatch(/2\^53-1/);
  });

  it('QPACK_ENCODER_STREAM_ERROR: capacity above SETTINGS_QPACK_MAX_TABLE_CAPACITY (§4.3.1)', () => {
    expect(encoderError('3fbe01')?.message).toMatch(/221 exceeds SETTINGS_QPACK_MAX_TABLE_CAPACITY 220/);
  });

  it('QPACK_ENCODER_STREAM_ERROR: invalid static index, missing dynamic entry, bad Duplicate (§3.1, §2.2.3)', () => {
    expect(encoderError('ff24 00')?.message).toMatch(/static index 99/);
    expect(encoderError('82 00')?.message).toMatch(/relative index 2/);
    expect(encoderError('05')?.message).toMatch(/Duplicate: relative index 5/);
  });

  it('QPACK_ENCODER_STREAM_ERROR: an entry larger than the capacity (§3.2.2), and its offset in the stream', () => {
    const d = withTable();
    const big = buildEncoderInstruction({ kind: 'insert-literal-name', name: 'n', value: 'v'.repeat(190) }, 'never');
    const e = encoderError('01' + hex(big), d);
    expect(e?.message).toMatch(/larger than the dynamic table capacity 220/);
    expect(e?.offset).toBe(bytes(B2_ENCODER).length + 1);
  });

  it('QPACK_ENCODER_STREAM_ERROR: a huge string length is refused before its octets arrive', () => {
    expect(encoderError('5f ffffff0f')?.message).toMatch(/exceeds the limit/);
  });

  it('QPACK_ENCODER_STREAM_ERROR: bad Huffman coding in an insert', () => {
    expect(encoderError('c0 81 00')?.message).toMatch(/padding/);
  });

  it('an insert with no capacity set (HTTP/3 starts at 0, §3.2.2) is an error', () => {
    const d = new QpackDecoder(settings);
    expect(encoderError('c0 01 61', d)?.message).toMatch(/capacity 0/);
  });

  it('never throws on random bytes, on either input', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 4 }, { initialCapacity: i % 2 === 0 ? 4096 : 0 });
      const enc = Uint8Array.from({ length: i % 50 }, rnd);
      const sec = Uint8Array.from({ length: (i * 7) % 30 }, rnd);
      const a = d.onEncoderStream(enc);
      const b = d.decodeFieldSection(4, sec);
      d.cancelStream(4);
      d.takeDecoderStream();
      if (a.status === 'error' || b.status === 'error') errors++;
    }
    expect(errors).toBeGreaterThan(0);
  });
});
