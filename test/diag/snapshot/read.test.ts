import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { SECTION, SnapshotFormatError, encodeJson, encodeSnapshot } from '../../../diag/snapshot/container.ts';
import { collectSnapshot } from '../../../diag/snapshot/collect.ts';
import { readSnapshot, sectionTitle } from '../../../diag/snapshot/read.ts';
import { explainSnapshot } from '../../../diag/snapshot/explain.ts';
import { buildSyntheticRecorder } from '../../../fixtures/snapshots/synthetic.ts';

const r = buildSyntheticRecorder();
const time = Date.now();
const image = encodeSnapshot(collectSnapshot(r.input(time)), { maxSize: 1 << 20, createdAt: time });

/** Offsets of each section (header start, payload start, payload length) by walking the v1 layout. */
function layout(buf: Uint8Array): { type: number; at: number; payload: number; len: number }[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = [];
  let at = 40;
  for (let i = 0; i < dv.getUint32(32, true); i++) {
    const len = dv.getUint32(at + 16, true);
    out.push({ type: dv.getUint16(at + 4, true), at, payload: at + 32, len });
    at += 32 + len;
  }
  return out;
}

const secs = layout(image);
/** The n-th section of `type` (0-based). */
const nth = (type: number, n = 0) => secs.filter((s) => s.type === type)[n];

function flip(at: number): Buffer {
  const b = Buffer.from(image);
  b[at] ^= 0x5a;
  return b;
}

describe('readSnapshot', () => {
  it('decodes an intact snapshot completely, every section named', () => {
    const d = readSnapshot(image);
    expect(d.complete).toBe(true);
    expect(d.unusable).toBe(false);
    expect(d.sections.map((s) => `${s.name}${s.label ? `(${s.label})` : ''}`)).toEqual([
      'META',
      'FAULT',
      'THREADS',
      'TRACE_POINTS(thread 1)',
      'LIVE(thread 1)',
      'POOLS(thread 1)',
      'TRACE_POINTS(thread 2)',
      'LIVE(thread 2)',
      'POOLS(thread 2)',
      'TRACE_STATE',
      'CHECKS',
      'MEMORY',
      'CONFIG',
      'RING(thread 1, flight)',
      'RING(thread 1, buf0)',
      'RING(thread 2, flight)',
      'RING(thread 2, buf0)',
    ]);
  });

  it('names a bit-flipped ring section as damaged and still decodes the rest', () => {
    const ring = nth(SECTION.RING, 2); // thread 2, flight
    const d = readSnapshot(flip(ring.payload + Math.floor(ring.len / 2)));
    expect(d.complete).toBe(false);
    expect(d.problems[0]).toMatch(/^section RING \(thread 2, flight\) is damaged: payload checksum mismatch/);
    expect(d.sections.find((s) => s.label === 'thread 2, flight')!.status).toBe('damaged');
    expect(d.rings.map((x) => `${x.thread}/${x.ring}`)).toEqual(['1/flight', '1/buf0', '2/buf0']);
    expect(d.fault!.kind).toBe('bug');
    expect(d.live.length).toBeGreaterThan(0);
    expect(explainSnapshot(d).context!.object!.id).toBe(r.streamId);
  });

  it('names a section whose header is damaged from the table of contents', () => {
    const live = nth(SECTION.LIVE, 0); // thread 1
    const d = readSnapshot(flip(live.at + 5)); // the type field
    const s = d.sections.find((x) => x.index === secs.indexOf(live))!;
    expect(s).toMatchObject({ name: 'LIVE', label: 'thread 1', status: 'damaged' });
    expect(d.problems[0]).toMatch(/^section LIVE \(thread 1\) is damaged: section \d+ header at offset \d+ damaged/);
    expect(d.pools.map((p) => p.thread)).toEqual([1, 2]); // resynchronised after it
  });

  it('decodes a truncated file up to where it ends and names the sections cut or missing', () => {
    const ring = nth(SECTION.RING, 2);
    const d = readSnapshot(image.subarray(0, ring.payload + 10));
    expect(d.complete).toBe(false);
    expect(d.unusable).toBe(false);
    expect(d.problems).toContainEqual(expect.stringMatching(/^section RING \(thread 2, flight\) is truncated: /));
    expect(d.problems).toContainEqual('section RING (thread 2, buf0) is missing: the file ends before it');
    expect(d.rings.map((x) => `${x.thread}/${x.ring}`)).toEqual(['1/flight', '1/buf0']);
    expect(d.threads).toHaveLength(2);
  });

  it('still decodes without META (names come from the sections themselves) and is unusable without META and FAULT', () => {
    const meta = nth(SECTION.META);
    const noMeta = readSnapshot(flip(meta.payload + 3));
    expect(noMeta.meta).toBeUndefined();
    expect(noMeta.unusable).toBe(false);
    expect(noMeta.problems[0]).toMatch(/^section META is damaged: /);
    expect(noMeta.sections.find((s) => s.name === 'RING' && s.index === secs.indexOf(nth(SECTION.RING, 3)))!.label).toBe('thread 2, buf0');
    const fault = nth(SECTION.FAULT);
    const both = flip(meta.payload + 3);
    both[fault.payload + 3] ^= 0x5a;
    expect(readSnapshot(both).unusable).toBe(true);
  });

  it('reports a section whose checksum is right but whose content is not the model as unreadable', () => {
    const sections = collectSnapshot(r.input(time)).map((s) =>
      s.type === SECTION.THREADS ? { ...s, payload: encodeJson({ nothreads: true }) } : s,
    );
    const d = readSnapshot(encodeSnapshot(sections, { maxSize: 1 << 20 }));
    expect(d.complete).toBe(false);
    expect(d.sections.find((s) => s.name === 'THREADS')!.status).toBe('unreadable');
    expect(d.problems).toEqual(['section THREADS is unreadable: THREADS lacks its thread list']);
    expect(d.threads).toEqual([]);
  });

  it('throws SnapshotFormatError for what is not a snapshot, or of an unknown version', () => {
    expect(() => readSnapshot(Buffer.from('global\n  maxconn 10\n'))).toThrow(SnapshotFormatError);
    const caught = (buf: Uint8Array) => {
      try {
        readSnapshot(buf);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(caught(Buffer.from('not a snapshot at all'))).toMatchObject({ code: 'not-a-snapshot' });
    const v2 = Buffer.from(image);
    v2.writeUInt16LE(2, 8);
    v2.writeUInt32LE(crc32(v2.subarray(0, 36)), 36);
    expect(caught(v2)).toMatchObject({ code: 'unknown-version' });
    expect(sectionTitle(SECTION.TRACE_POINTS)).toBe('TRACE_POINTS');
    expect(sectionTitle(99)).toBe('unknown section type 99');
  });
});
