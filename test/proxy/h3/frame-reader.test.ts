/** proxy/h3/frame-reader.ts: incremental frame reading on one stream (RFC 9114 §7.1). */
import { describe, expect, it } from 'vitest';
import { FrameReader, type FrameReaderItem } from '../../../proxy/h3/frame-reader.ts';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

function feedBytewise(r: FrameReader, b: Uint8Array): FrameReaderItem[] {
  const items: FrameReaderItem[] = [];
  for (const x of b) {
    const o = r.push(Uint8Array.of(x));
    if (!o.ok) throw new Error(JSON.stringify(o.error));
    items.push(...o.items);
  }
  return items;
}

describe('FrameReader', () => {
  it('reads frames fed one byte at a time; DATA streams, unknown types are skipped', () => {
    const r = new FrameReader('request stream 0');
    // HEADERS(0000d1) DATA("ab") reserved 0x21 (3 bytes) GOAWAY(15293, RFC 9000 A.1 7bbd)
    const items = feedBytewise(r, bytes('01 03 0000d1  00 02 6162  21 03 ffffff  07 02 7bbd'));
    expect(items.map((i) => (i.kind === 'frame' ? i.frame.type : 'data'))).toEqual(['HEADERS', 'data', 'data', 'GOAWAY']);
    expect(items[0]).toEqual({ kind: 'frame', frame: { type: 'HEADERS', fieldSection: bytes('0000d1') }, offset: 0 });
    expect(items[1]).toEqual({ kind: 'data', bytes: bytes('61'), offset: 5 });
    expect(items[3]).toMatchObject({ offset: 14, frame: { id: 15293 } });
    expect(r.atBoundary).toBe(true);
    expect(r.finish()).toBeUndefined();
  });

  it('an empty DATA frame is still reported', () => {
    const o = new FrameReader('s').push(bytes('00 00'));
    expect(o).toEqual({ ok: true, items: [{ kind: 'data', bytes: new Uint8Array(0), offset: 0 }] });
  });

  it('a stream ending inside a frame is H3_FRAME_ERROR at the frame start (§7.1)', () => {
    const r = new FrameReader('control stream 2', 65536, 1);
    expect(r.push(bytes('04 00 07 02 7b')).ok).toBe(true);
    expect(r.finish()).toEqual({ code: 'H3_FRAME_ERROR', where: 'control stream 2', offset: 3, message: 'stream ended inside a frame (RFC 9114 §7.1)' });
  });

  it('a buffered frame above the limit is H3_EXCESSIVE_LOAD; DATA and unknown frames are not limited', () => {
    const r = new FrameReader('request stream 0', 16);
    expect(r.push(bytes('00 4100')).ok).toBe(true); // 256-byte DATA header: streamed, fine
    expect(r.push(new Uint8Array(256)).ok).toBe(true);
    expect(r.push(bytes('21 4100')).ok).toBe(true);
    expect(r.push(new Uint8Array(256)).ok).toBe(true);
    const o = r.push(bytes('01 11'));
    expect(o).toMatchObject({ ok: false, error: { code: 'H3_EXCESSIVE_LOAD', offset: 518 } });
    expect(r.push(bytes('00')).ok).toBe(false); // stays failed
  });

  it('HTTP/2 frame types fail at their header (§7.2.8); a bad payload names its offset', () => {
    expect(new FrameReader('s').push(bytes('00 01 61 08 00'))).toMatchObject({ ok: false, error: { code: 'H3_FRAME_UNEXPECTED', offset: 3 } });
    expect(new FrameReader('s').push(bytes('07 03 00 00 00'))).toMatchObject({ ok: false, error: { code: 'H3_FRAME_ERROR', offset: 0 } });
  });
});
