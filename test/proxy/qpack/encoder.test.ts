/**
 * proxy/qpack/encoder.ts: the static-only encoder (RFC 9204 §2.1, §4.5). Vector: Appendix B.1
 * (`0000 510b 2f69 6e64 6578 2e68 746d 6c`, literals not Huffman-coded), byte-exact with Huffman
 * off; otherwise sections are checked by decoding them with the real decoder.
 */
import { describe, expect, it } from 'vitest';
import { QpackStaticEncoder, staticRepresentation } from '../../../proxy/qpack/encoder.ts';
import { QpackDecoder } from '../../../proxy/qpack/decoder.ts';
import type { FieldLine } from '../../../proxy/qpack/qpack.types.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

function decode(section: Uint8Array): FieldLine[] {
  const r = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 }).decodeFieldSection(0, section);
  if (r.status !== 'decoded') throw new Error(JSON.stringify(r));
  return r.section.fields;
}

describe('QpackStaticEncoder', () => {
  it('B.1: :path=/index.html is 0000 510b 2f69 6e64 6578 2e68 746d 6c with Huffman off', () => {
    const enc = new QpackStaticEncoder({ huffman: 'never' });
    expect(hex(enc.encodeFieldSection([{ name: ':path', value: '/index.html' }]))).toBe(hex(bytes('0000 510b 2f69 6e64 6578 2e68 746d 6c')));
  });

  it('uses an Indexed Field Line for static entries and Huffman when shorter', () => {
    const enc = new QpackStaticEncoder();
    // :method GET = static 17 (d1), :scheme https = 23 (d7), :path / = 1 (c1).
    expect(hex(enc.encodeFieldSection([{ name: ':method', value: 'GET' }, { name: ':scheme', value: 'https' }, { name: ':path', value: '/' }]))).toBe('0000d1d7c1');
    // :authority www.example.com: name ref 0, Huffman value as RFC 7541 C.4.1 codes it.
    expect(hex(enc.encodeFieldSection([{ name: ':authority', value: 'www.example.com' }]))).toBe('0000508cf1e3c2e5f23a6ba0ab90f4ff');
  });

  it('round-trips a realistic response through the decoder, including names outside the table', () => {
    const fields: FieldLine[] = [
      { name: ':status', value: '418' },
      { name: 'content-type', value: 'text/html; charset=utf-8' },
      { name: 'x-flightbox', value: 'qpack \u00e9\u0000\u00ff' },
      { name: 'set-cookie', value: 'id=42; HttpOnly', neverIndex: true },
      { name: 'authorization', value: '', neverIndex: true },
      { name: 'x-empty', value: '' },
    ];
    for (const huffman of ['auto', 'always', 'never'] as const) {
      expect(decode(new QpackStaticEncoder({ huffman }).encodeFieldSection(fields))).toEqual(fields);
    }
  });

  it("keeps the 'N' bit and never indexes a never-index line even when it is a static entry", () => {
    expect(staticRepresentation({ name: 'authorization', value: '', neverIndex: true })).toEqual({
      kind: 'literal-name-ref',
      isStatic: true,
      index: 84,
      value: '',
      neverIndex: true,
    });
    expect(staticRepresentation({ name: 'x-a', value: 'b' }).kind).toBe('literal-literal-name');
  });

  it('accepts Stream Cancellations on the decoder stream, even split across calls', () => {
    const enc = new QpackStaticEncoder();
    const wire = bytes('48 7f ff 01');
    for (const b of wire) expect(enc.onDecoderStream(Uint8Array.of(b))).toBeUndefined();
  });

  it('a Section Acknowledgment or Insert Count Increment is QPACK_DECODER_STREAM_ERROR (§4.4.1, §4.4.3)', () => {
    const a = new QpackStaticEncoder();
    expect(a.onDecoderStream(bytes('48 84'))).toMatchObject({ code: 'QPACK_DECODER_STREAM_ERROR', where: 'decoder stream', offset: 1 });
    expect(a.onDecoderStream(bytes('48'))).toMatchObject({ code: 'QPACK_DECODER_STREAM_ERROR' }); // stays failed
    const b = new QpackStaticEncoder();
    expect(b.onDecoderStream(bytes('01'))?.message).toMatch(/Insert Count Increment of 1/);
    const c = new QpackStaticEncoder();
    expect(c.onDecoderStream(bytes('00'))?.code).toBe('QPACK_DECODER_STREAM_ERROR');
  });
});
