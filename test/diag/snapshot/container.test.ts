import { describe, expect, it, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  FILE_HEADER_BYTES,
  SECTION,
  SECTION_HEADER_BYTES,
  SnapshotFormatError,
  TRAILER_BYTES,
  decodeJson,
  decodeSnapshot,
  decodeText,
  encodeJson,
  encodeSnapshot,
  encodeText,
  isSnapshot,
  packHeaderBody,
  unpackHeaderBody,
  writeSnapshotFile,
  type SectionInput,
} from '../../../diag/snapshot/container.ts';

/** Deterministic PRNG (xorshift32) so every run sees the same bytes. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function randomBytes(n: number, seed: number): Uint8Array {
  const next = prng(seed);
  const out = new Uint8Array(n);
  const u32 = new Uint32Array(out.buffer, 0, n >>> 2);
  for (let i = 0; i < u32.length; i++) u32[i] = next();
  for (let i = u32.length * 4; i < n; i++) out[i] = next() & 0xff;
  return out;
}

/** Bytes laid out like trace ring records (64 bytes each: timestamps, ids, args), as rings hold them. */
function ringLike(bytes: number, seed: number): Uint8Array {
  const next = prng(seed);
  const buf = new ArrayBuffer(bytes);
  const f64 = new Float64Array(buf);
  const i32 = new Int32Array(buf);
  let t = 1000;
  for (let r = 0; r < bytes / 64; r++) {
    const w = r * 8;
    t += (next() % 1000) / 20000;
    f64[w] = t;
    f64[w + 1] = r + 1;
    i32[2 * w + 4] = 1000 + (next() % 37);
    i32[2 * w + 5] = next() % 11;
    i32[2 * w + 6] = next() % 50;
    i32[2 * w + 7] = 0;
    f64[w + 5] = next() % 4096;
    f64[w + 6] = next() % 100;
  }
  return new Uint8Array(buf);
}

/** A ring section whose shrink keeps the newest whole 64-byte records that fit the budget. */
function ringSection(thread: number, ring: number, body: Uint8Array, priority = 0): SectionInput {
  const header = { thread, ring: `buf${ring}` };
  const make = (b: Uint8Array): Uint8Array => packHeaderBody({ header, body: b });
  return {
    type: SECTION.RING,
    payload: make(body),
    priority,
    label: `t${thread}/buf${ring}`,
    shrink: (maxBytes) => {
      const overhead = make(new Uint8Array(0)).length;
      const records = Math.floor((maxBytes - overhead) / 64);
      if (records <= 0) return undefined;
      return make(body.subarray(body.length - records * 64));
    },
  };
}

/** Offsets of every section header in an encoded file, and of the trailer. */
function layout(file: Buffer): { starts: number[]; ends: number[]; trailer: number } {
  const starts: number[] = [];
  const ends: number[] = [];
  let pos = FILE_HEADER_BYTES;
  const count = file.readUInt32LE(32);
  for (let i = 0; i < count; i++) {
    starts.push(pos);
    pos += SECTION_HEADER_BYTES + file.readUInt32LE(pos + 16);
    ends.push(pos);
  }
  return { starts, ends, trailer: pos };
}

function flip(file: Buffer, offset: number, bit = 0): Buffer {
  const copy = Buffer.from(file);
  copy[offset] ^= 1 << bit;
  return copy;
}

const META = { version: '0.1.0', buildId: 'abc123', node: 'v24.9.0', pid: 42, argv: ['run'], reason: 'bug' };

/** A small file of mixed sections used by the truncation and damage tests. */
function sampleSections(): SectionInput[] {
  return [
    { type: SECTION.META, payload: encodeJson(META), priority: 100 },
    { type: SECTION.FAULT, payload: encodeJson({ kind: 'bug', message: 'BUG_ON(x) at a.ts:1', frames: [] }), priority: 90 },
    { type: SECTION.RING, payload: packHeaderBody({ header: { thread: 1, ring: 'buf0' }, body: ringLike(64 * 200, 1) }) },
    { type: SECTION.RING, payload: packHeaderBody({ header: { thread: 2, ring: 'buf0' }, body: randomBytes(3000, 2) }) },
    { type: SECTION.STRINGS, payload: new Uint8Array(0) },
    { type: SECTION.CONFIG, payload: encodeText('global\n  nbthread 2\nfrontend fe\n  bind :8080\n'.repeat(20)) },
    { type: SECTION.POOLS, payload: encodeJson({ pools: Array.from({ length: 30 }, (_, i) => ({ name: `p${i}`, used: i })) }) },
    { type: SECTION.MEMORY, payload: encodeJson({ rss: 123 }) },
  ];
}

const CREATED = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const SAMPLE = encodeSnapshot(sampleSections(), { maxSize: 1 << 20, createdAt: CREATED });
const SAMPLE_INPUT = sampleSections();

const tmpRoots: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fb-snap-'));
  tmpRoots.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

describe('header+body payloads', () => {
  it('round-trips a header and a body', () => {
    const body = randomBytes(100, 7);
    const packed = packHeaderBody({ header: { thread: 3, ring: 'buf0', records: 5 }, body });
    const back = unpackHeaderBody(packed);
    expect(back.header).toEqual({ thread: 3, ring: 'buf0', records: 5 });
    expect(Buffer.from(back.body).equals(Buffer.from(body))).toBe(true);
  });
  it('round-trips an empty body', () => {
    const back = unpackHeaderBody(packHeaderBody({ header: {}, body: new Uint8Array(0) }));
    expect(back.header).toEqual({});
    expect(back.body.length).toBe(0);
  });
  it('rejects short payloads, oversize header lengths and non-object headers', () => {
    expect(() => unpackHeaderBody(new Uint8Array(3))).toThrow(/too short/);
    expect(() => unpackHeaderBody(Uint8Array.of(200, 0, 0, 0, 0x7b, 0x7d))).toThrow(/exceeds the payload/);
    expect(() => unpackHeaderBody(Uint8Array.of(2, 0, 0, 0, 0x5b, 0x5d))).toThrow(/not a JSON object/);
    expect(() => unpackHeaderBody(Uint8Array.of(2, 0, 0, 0, 0x7b, 0x7b))).toThrow(/not valid UTF-8 JSON/);
  });
});

describe('v1 layout (FORMAT.md)', () => {
  it('writes exactly the bytes FORMAT.md describes', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926); // the CRC FORMAT.md names
    const payload = Buffer.from('{"a":1}');
    const file = encodeSnapshot([{ type: SECTION.FAULT, payload }], { maxSize: 1000, createdAt: 0x0102030405 });
    const expected = Buffer.alloc(40 + 32 + payload.length + 24);
    Buffer.from('89464253 0d0a1a0a'.replace(/ /g, ''), 'hex').copy(expected, 0);
    expected.writeUInt16LE(1, 8); // version
    expected.writeUInt16LE(40, 10); // header length
    expected.writeUInt32LE(0, 12); // flags
    expected.writeBigUInt64LE(0x0102030405n, 16); // created at
    expected.writeBigUInt64LE(BigInt(expected.length), 24); // file length
    expected.writeUInt32LE(1, 32); // section count
    expected.writeUInt32LE(crc32(expected.subarray(0, 36)), 36);
    const s = 40;
    Buffer.from('fb534543', 'hex').copy(expected, s);
    expected.writeUInt16LE(2, s + 4); // type FAULT
    expected.writeUInt8(0, s + 6); // stored: below 64 bytes
    expected.writeUInt8(0, s + 7);
    expected.writeUInt32LE(0, s + 8); // index
    expected.writeUInt32LE(payload.length, s + 12);
    expected.writeUInt32LE(payload.length, s + 16);
    expected.writeUInt32LE(crc32(payload), s + 20);
    expected.writeUInt32LE(0, s + 24);
    expected.writeUInt32LE(crc32(expected.subarray(s, s + 28)), s + 28);
    payload.copy(expected, s + 32);
    const e = s + 32 + payload.length;
    Buffer.from('fb454e44', 'hex').copy(expected, e);
    expected.writeUInt32LE(1, e + 4);
    expected.writeBigUInt64LE(BigInt(expected.length), e + 8);
    expected.writeUInt32LE(0, e + 16);
    expected.writeUInt32LE(crc32(expected.subarray(e, e + 20)), e + 20);
    expect(file.toString('hex')).toBe(expected.toString('hex'));
  });
});

describe('round trip', () => {
  it('decodes every section of a complete file byte for byte, including empty and 20 MB payloads', () => {
    const big = ringLike(20 * 1024 * 1024, 11);
    const noise = randomBytes(2 * 1024 * 1024, 12);
    const input: SectionInput[] = [
      ...sampleSections(),
      { type: SECTION.RING, payload: packHeaderBody({ header: { thread: 3, ring: 'buf0' }, body: big }) },
      { type: SECTION.RING, payload: noise },
      { type: SECTION.LIVE, payload: new Uint8Array(0) },
      { type: SECTION.CHECKS, payload: encodeJson([]) },
    ];
    const file = encodeSnapshot(input, { maxSize: 64 << 20, createdAt: CREATED });
    expect(isSnapshot(file)).toBe(true);
    expect(file.length).toBeLessThan(big.length); // the ring data was compressed
    const d = decodeSnapshot(file);
    expect(d.version).toBe(1);
    expect(d.createdAt).toBe(CREATED);
    expect(d.problems).toEqual([]);
    expect(d.complete).toBe(true);
    expect(d.size).toBeUndefined();
    expect(d.sections.map((s) => s.type)).toEqual(input.map((s) => s.type));
    d.sections.forEach((s, i) => {
      expect(s.status).toBe('ok');
      expect(s.index).toBe(i);
      expect(Buffer.compare(Buffer.from(s.data!), Buffer.from(input[i].payload))).toBe(0);
    });
    expect(d.sections[0].name).toBe('meta');
    expect(decodeJson(d.sections[0].data!)).toEqual(META);
    expect(decodeText(d.sections[5].data!)).toContain('frontend fe');
    const ring = unpackHeaderBody(d.sections[8].data!);
    expect(ring.header).toEqual({ thread: 3, ring: 'buf0' });
  });

  it('stores incompressible payloads and compresses compressible ones', () => {
    const noise = randomBytes(4 * 1024 * 1024, 5);
    const text = encodeText('x'.repeat(10000));
    const file = encodeSnapshot(
      [
        { type: SECTION.RING, payload: noise },
        { type: SECTION.CONFIG, payload: text },
      ],
      { maxSize: 16 << 20 },
    );
    const { starts } = layout(file);
    expect(file[starts[0] + 6]).toBe(0); // stored
    expect(file.readUInt32LE(starts[0] + 16)).toBe(noise.length);
    expect(file[starts[1] + 6]).toBe(1); // deflated
    expect(file.readUInt32LE(starts[1] + 16)).toBeLessThan(200);
    expect(decodeSnapshot(file).complete).toBe(true);
  });

  it('encodes payloads that are views of SharedArrayBuffer memory (live rings)', () => {
    const sab = new SharedArrayBuffer(64 * 1024);
    new Uint8Array(sab).set(ringLike(64 * 1024, 9));
    const small = new Uint8Array(sab, 0, 40); // stored as is
    const big = new Uint8Array(sab); // deflated
    const d = decodeSnapshot(encodeSnapshot([{ type: SECTION.RING, payload: small }, { type: SECTION.RING, payload: big }], { maxSize: 1 << 20 }));
    expect(d.complete).toBe(true);
    expect(Buffer.from(d.sections[0].data!).equals(Buffer.from(small))).toBe(true);
    expect(Buffer.from(d.sections[1].data!).equals(Buffer.from(big))).toBe(true);
  });

  it('accepts a Uint8Array view that is not a Buffer', () => {
    const copy = new Uint8Array(SAMPLE.length + 10);
    copy.set(SAMPLE, 10);
    const d = decodeSnapshot(copy.subarray(10));
    expect(d.complete).toBe(true);
    expect(d.sections).toHaveLength(SAMPLE_INPUT.length);
  });

  it('reports unknown section types and skips them without failing', () => {
    const file = encodeSnapshot(
      [
        { type: SECTION.META, payload: encodeJson(META) },
        { type: 200, payload: encodeText('from the future') },
        { type: SECTION.MEMORY, payload: encodeJson({ rss: 1 }) },
      ],
      { maxSize: 4096 },
    );
    const d = decodeSnapshot(file);
    expect(d.sections.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
    expect(d.sections[1].name).toBe('unknown section type 200');
    expect(d.problems).toEqual(['section 1: unknown section type 200 (written by a newer flightbox?), skipped']);
    expect(d.complete).toBe(true);
  });

  it('writes and reads an empty snapshot (no sections)', () => {
    const file = encodeSnapshot([], { maxSize: 64, createdAt: 5 });
    expect(file.length).toBe(FILE_HEADER_BYTES + TRAILER_BYTES);
    const d = decodeSnapshot(file);
    expect(d).toMatchObject({ version: 1, createdAt: 5, sections: [], problems: [], complete: true });
  });

  it('rejects section types that do not fit in u16', () => {
    expect(() => encodeSnapshot([{ type: 70000, payload: new Uint8Array(1) }], { maxSize: 1000 })).toThrow(/not a u16/);
  });
});

describe('truncation', () => {
  const { starts, trailer } = layout(SAMPLE);

  it('at every section boundary decodes the intact prefix and says how many bytes are missing', () => {
    for (let k = 0; k <= starts.length; k++) {
      const cut = k < starts.length ? starts[k] : trailer;
      const d = decodeSnapshot(SAMPLE.subarray(0, cut));
      expect(d.complete).toBe(false);
      expect(d.sections).toHaveLength(k);
      for (const s of d.sections) expect(s.status).toBe('ok');
      const after = k === 0 ? 'the file header' : `section ${k - 1}`;
      expect(d.problems[0]).toContain(`file truncated after ${after} (end marker missing)`);
      expect(d.problems[0]).toContain(`${SAMPLE.length - cut} bytes missing`);
      if (k < starts.length) expect(d.problems[0]).toContain(`of ${starts.length} missing`);
    }
  });

  it('at sampled offsets inside each section names the truncated section', () => {
    for (let k = 0; k < starts.length; k++) {
      const start = starts[k];
      const end = k + 1 < starts.length ? starts[k + 1] : trailer;
      const offsets = [start + 1, start + 3, start + 6, start + 20, start + 31, start + 32, Math.floor((start + 32 + end) / 2), end - 1];
      for (const cut of [...new Set(offsets)].filter((o) => o > start && o < end)) {
        const d = decodeSnapshot(SAMPLE.subarray(0, cut));
        expect(d.complete).toBe(false);
        expect(d.sections).toHaveLength(k + 1);
        for (const s of d.sections.slice(0, k)) expect(s.status).toBe('ok');
        const last = d.sections[k];
        expect(last.status).toBe('truncated');
        expect(last.index).toBe(k);
        if (cut - start >= 6) expect(last.type).toBe(SAMPLE_INPUT[k].type);
        expect(last.problem).toContain(`${SAMPLE.length - cut} bytes missing`);
        expect(d.problems.some((p) => p.includes(`section ${k}`) && p.includes('truncated'))).toBe(true);
      }
    }
  });

  it('inside the end marker keeps every section and says the file is incomplete', () => {
    for (const cut of [trailer + 1, trailer + 4, trailer + TRAILER_BYTES - 1]) {
      const d = decodeSnapshot(SAMPLE.subarray(0, cut));
      expect(d.sections.every((s) => s.status === 'ok')).toBe(true);
      expect(d.sections).toHaveLength(starts.length);
      expect(d.complete).toBe(false);
      expect(d.problems.join('\n')).toMatch(/inside the end marker.*bytes missing/);
    }
  });

  it('a file cut inside its header is damaged, and an empty or short file is not a snapshot', () => {
    expect(() => decodeSnapshot(SAMPLE.subarray(0, 20))).toThrow(expect.objectContaining({ code: 'damaged' }));
    expect(() => decodeSnapshot(SAMPLE.subarray(0, 10))).toThrow(expect.objectContaining({ code: 'damaged' }));
    expect(() => decodeSnapshot(SAMPLE.subarray(0, 5))).toThrow(expect.objectContaining({ code: 'not-a-snapshot', message: expect.stringContaining('only 5 bytes') }));
    expect(() => decodeSnapshot(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'not-a-snapshot' }));
  });
});

describe('damage', () => {
  const { starts, ends, trailer } = layout(SAMPLE);

  it('a bit flipped in a section payload damages only that section', () => {
    for (let k = 0; k < starts.length; k++) {
      const payloadBytes = ends[k] - starts[k] - SECTION_HEADER_BYTES;
      if (payloadBytes === 0) continue;
      const d = decodeSnapshot(flip(SAMPLE, starts[k] + SECTION_HEADER_BYTES + Math.floor(payloadBytes / 2), 3));
      expect(d.sections).toHaveLength(starts.length);
      d.sections.forEach((s, i) => expect(s.status).toBe(i === k ? 'damaged' : 'ok'));
      expect(d.sections[k].problem).toContain('payload checksum mismatch');
      expect(d.sections[k].type).toBe(SAMPLE_INPUT[k].type);
      expect(d.complete).toBe(false);
    }
  });

  it('a bit flipped anywhere in a section header damages only that section and reading resumes', () => {
    for (let k = 0; k < starts.length; k++) {
      for (let b = 0; b < SECTION_HEADER_BYTES; b++) {
        const d = decodeSnapshot(flip(SAMPLE, starts[k] + b, b % 8));
        expect(d.sections.map((s) => s.index)).toEqual(SAMPLE_INPUT.map((_, i) => i));
        d.sections.forEach((s, i) => {
          expect(s.status, `section ${i} with byte ${b} of header ${k} flipped`).toBe(i === k ? 'damaged' : 'ok');
          if (i !== k) expect(Buffer.from(s.data!).equals(Buffer.from(SAMPLE_INPUT[i].payload))).toBe(true);
        });
        expect(d.sections[k].problem).toMatch(/header at offset \d+ damaged \((header checksum mismatch|bad marker)/);
        expect(d.sections[k].problem).toMatch(/resynchronised at offset/);
        expect(d.complete).toBe(false);
      }
    }
  });

  it('two consecutive damaged headers: both sections damaged, the rest ok', () => {
    const bad = flip(flip(SAMPLE, starts[2] + 12), starts[3] + 5);
    const d = decodeSnapshot(bad);
    expect(d.sections.map((s) => s.status)).toEqual(SAMPLE_INPUT.map((_, i) => (i === 2 || i === 3 ? 'damaged' : 'ok')));
    expect(d.sections[2].type).toBe(SECTION.RING); // read from the damaged header, flagged unverified
    expect(d.sections[3].problem).toContain('lost in the damaged region');
    expect(d.sections.map((s) => s.index)).toEqual(SAMPLE_INPUT.map((_, i) => i));
  });

  it('a damaged header with no intact section after it reports the rest as unreadable', () => {
    const { starts: s2 } = layout(SAMPLE);
    const last = s2.length - 1;
    // flip the last section header and cut the trailer off: nothing to resync with
    const d = decodeSnapshot(flip(SAMPLE, s2[last] + 9).subarray(0, trailer));
    expect(d.sections[last].status).toBe('damaged');
    expect(d.sections[last].problem).toContain('no intact section or end marker follows');
    expect(d.sections.slice(0, last).every((s) => s.status === 'ok')).toBe(true);
    expect(d.problems.join('\n')).toContain(`${SAMPLE.length - trailer} bytes missing`);
  });

  it('a bit flipped in the end marker keeps every section and reports the marker', () => {
    for (let b = 0; b < TRAILER_BYTES; b++) {
      const d = decodeSnapshot(flip(SAMPLE, trailer + b, 1));
      expect(d.sections.every((s) => s.status === 'ok')).toBe(true);
      expect(d.sections).toHaveLength(starts.length);
      expect(d.complete).toBe(false);
      expect(d.problems.join('\n')).toMatch(/end marker at offset \d+ damaged/);
    }
  });

  it('a bit flipped in the file header: still read when the layout fields survive, else damaged', () => {
    for (let b = 8; b < FILE_HEADER_BYTES; b++) {
      const bad = flip(SAMPLE, b, 2);
      if (b < 12) {
        expect(() => decodeSnapshot(bad), `byte ${b}`).toThrow(expect.objectContaining({ code: 'damaged' }));
        continue;
      }
      const d = decodeSnapshot(bad);
      expect(d.problems[0]).toMatch(/file header damaged \(checksum mismatch\)/);
      expect(d.complete).toBe(false);
      expect(d.sections).toHaveLength(starts.length);
      expect(d.sections.every((s) => s.status === 'ok')).toBe(true);
    }
  });

  it('reports bytes appended after the end marker', () => {
    const d = decodeSnapshot(Buffer.concat([SAMPLE, Buffer.from('junk')]));
    expect(d.sections.every((s) => s.status === 'ok')).toBe(true);
    expect(d.complete).toBe(false);
    expect(d.problems).toContain(`4 unexpected bytes after the end marker (offset ${SAMPLE.length})`);
  });

  it('a deflate stream that does not inflate is damaged, not fatal', () => {
    // Rewrite a compressed section's payload with garbage and fix its checksums: only inflate can tell.
    const bad = Buffer.from(SAMPLE);
    const k = 6; // pools JSON, compressed
    expect(bad[starts[k] + 6]).toBe(1);
    const p = starts[k] + SECTION_HEADER_BYTES;
    bad.fill(0xff, p, ends[k]);
    bad.writeUInt32LE(crc32(bad.subarray(p, ends[k])), starts[k] + 20);
    bad.writeUInt32LE(crc32(bad.subarray(starts[k], starts[k] + 28)), starts[k] + 28);
    const d = decodeSnapshot(bad);
    expect(d.sections[k].status).toBe('damaged');
    expect(d.sections[k].problem).toContain('decompression failed');
    expect(d.sections.filter((s) => s.status === 'ok')).toHaveLength(starts.length - 1);
  });
});

describe('not a snapshot / unknown version', () => {
  it('wrong magic is not-a-snapshot', () => {
    const bad = Buffer.from(SAMPLE);
    bad[0] = 0x50;
    expect(isSnapshot(bad)).toBe(false);
    expect(() => decodeSnapshot(bad)).toThrow(SnapshotFormatError);
    expect(() => decodeSnapshot(bad)).toThrow(expect.objectContaining({ code: 'not-a-snapshot', message: expect.stringContaining('wrong magic') }));
    expect(() => decodeSnapshot(Buffer.from('{"hello": "world"}\n'))).toThrow(expect.objectContaining({ code: 'not-a-snapshot' }));
  });

  it('a file mangled by a text-mode transfer is recognised as such', () => {
    const crlfToLf = Buffer.from(SAMPLE.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    expect(() => decodeSnapshot(crlfToLf)).toThrow(expect.objectContaining({ code: 'not-a-snapshot', message: expect.stringContaining('binary mode') }));
    const sevenBit = Buffer.from(SAMPLE);
    sevenBit[0] &= 0x7f;
    expect(() => decodeSnapshot(sevenBit)).toThrow(expect.objectContaining({ message: expect.stringContaining('binary mode') }));
  });

  it('version 99 with an intact header is unknown-version', () => {
    const v99 = Buffer.from(SAMPLE);
    v99.writeUInt16LE(99, 8);
    v99.writeUInt32LE(crc32(v99.subarray(0, 36)), 36);
    expect(isSnapshot(v99)).toBe(true);
    expect(() => decodeSnapshot(v99)).toThrow(
      expect.objectContaining({ code: 'unknown-version', message: expect.stringContaining('version 99') }),
    );
  });

  it('a newer version with a longer header is still recognised as unknown-version', () => {
    const hdr = Buffer.alloc(64);
    Buffer.from(SAMPLE.subarray(0, 8)).copy(hdr);
    hdr.writeUInt16LE(2, 8);
    hdr.writeUInt16LE(64, 10);
    hdr.writeUInt32LE(crc32(hdr.subarray(0, 60)), 60);
    expect(() => decodeSnapshot(hdr)).toThrow(expect.objectContaining({ code: 'unknown-version' }));
  });
});

describe('size bound', () => {
  const meta = { type: SECTION.META, payload: encodeJson(META), priority: 100 };

  it('shrinks rings (oldest records first) to respect a bound smaller than the data', () => {
    const bodies = [randomBytes(64 * 1000, 21), randomBytes(64 * 1000, 22)];
    const input = [meta, ringSection(1, 0, bodies[0]), ringSection(2, 0, bodies[1])];
    const maxSize = 60_000;
    const file = encodeSnapshot(input, { maxSize });
    expect(file.length).toBeLessThanOrEqual(maxSize);
    expect(file.length).toBeGreaterThan(maxSize * 0.8); // it did not cut far more than needed
    const d = decodeSnapshot(file);
    expect(d.complete).toBe(true);
    expect(d.sections.map((s) => s.name)).toEqual(['meta', 'ring', 'ring', 'omitted']);
    for (const k of [1, 2]) {
      const s = d.sections[k];
      expect(s.trimmed).toBe(true);
      expect(s.label).toBe(`t${k}/buf0`);
      const { header, body } = unpackHeaderBody(s.data!);
      expect(header.thread).toBe(k);
      expect(body.length % 64).toBe(0);
      expect(body.length).toBeGreaterThan(0);
      // the newest records are kept
      expect(Buffer.from(body).equals(Buffer.from(bodies[k - 1].subarray(bodies[k - 1].length - body.length)))).toBe(true);
    }
    expect(d.size?.trimmed.map((t) => t.label)).toEqual(['t1/buf0', 't2/buf0']);
    expect(d.size?.omitted).toEqual([]);
    expect(d.problems[0]).toMatch(/^ring t1\/buf0 \(section 1\) trimmed to \d+ of 64\d+ bytes to fit the size bound \(60000 bytes\)$/);
  });

  it('drops sections lowest priority first when shrinking is not enough, and says so', () => {
    const input: SectionInput[] = [
      meta,
      { type: SECTION.POOLS, payload: randomBytes(5000, 31), priority: 10, label: 'pools' },
      { type: SECTION.LIVE, payload: randomBytes(5000, 32), priority: 5 },
      { type: SECTION.MEMORY, payload: randomBytes(5000, 33), priority: 1 },
    ];
    const file = encodeSnapshot(input, { maxSize: 8_000 });
    expect(file.length).toBeLessThanOrEqual(8_000);
    const d = decodeSnapshot(file);
    expect(d.complete).toBe(true);
    expect(d.sections.map((s) => s.name)).toEqual(['meta', 'pools', 'omitted']);
    expect(d.size?.omitted.map((o) => [o.inputIndex, o.type])).toEqual([
      [2, SECTION.LIVE],
      [3, SECTION.MEMORY],
    ]);
    expect(d.problems).toContain('section memory (5000 bytes) omitted to fit the size bound (8000 bytes)');
    expect(d.problems).toContain('section live (5000 bytes) omitted to fit the size bound (8000 bytes)');
  });

  it('drops a ring whose shrink cannot go small enough, or answers more than it was allowed', () => {
    const liar: SectionInput = { type: SECTION.RING, payload: randomBytes(20_000, 41), label: 't9/buf0', shrink: () => randomBytes(19_000, 42) };
    const file = encodeSnapshot([meta, liar], { maxSize: 2000 });
    expect(file.length).toBeLessThanOrEqual(2000);
    const d = decodeSnapshot(file);
    expect(d.sections.map((s) => s.name)).toEqual(['meta', 'omitted']);
    expect(d.problems).toContain('ring t9/buf0 (20000 bytes) omitted to fit the size bound (2000 bytes)');
  });

  it('treats a shrink that throws as unable to shrink: the section is dropped, the snapshot still written', () => {
    const broken: SectionInput = {
      type: SECTION.RING,
      payload: randomBytes(20_000, 43),
      label: 't4/buf0',
      shrink: () => {
        throw new Error('ring vanished');
      },
    };
    const file = encodeSnapshot([meta, broken], { maxSize: 3000 });
    expect(file.length).toBeLessThanOrEqual(3000);
    expect(decodeSnapshot(file).problems).toContain('ring t4/buf0 (20000 bytes) omitted to fit the size bound (3000 bytes)');
  });

  it('never exceeds the bound, for every bound from the minimum to the full size', () => {
    const make = (): SectionInput[] => [
      meta,
      ringSection(1, 0, ringLike(64 * 300, 51), 1),
      ringSection(2, 0, randomBytes(64 * 100, 52), 1),
      { type: SECTION.CONFIG, payload: encodeText('frontend fe\n'.repeat(100)), priority: 50 },
      { type: SECTION.POOLS, payload: randomBytes(2000, 53), priority: 20 },
    ];
    const full = encodeSnapshot(make(), { maxSize: 1 << 20 }).length;
    for (let maxSize = 64; maxSize <= full + 100; maxSize += 97) {
      const file = encodeSnapshot(make(), { maxSize });
      expect(file.length, `maxSize ${maxSize}`).toBeLessThanOrEqual(maxSize);
      const d = decodeSnapshot(file);
      expect(d.complete).toBe(true);
      expect(d.sections.every((s) => s.status === 'ok')).toBe(true);
      if (maxSize < full) expect(file.readUInt32LE(12), `flags at maxSize ${maxSize}`).not.toBe(0);
    }
  });

  it('refuses a bound below the smallest possible snapshot', () => {
    expect(() => encodeSnapshot([meta], { maxSize: 63 })).toThrow(RangeError);
    expect(() => encodeSnapshot([meta], { maxSize: 63 })).toThrow(/smallest possible snapshot \(64 bytes\)/);
  });
});

describe('writeSnapshotFile', () => {
  it('creates the directory, writes atomically and leaves no temporary file', () => {
    const dir = join(tempDir(), 'a', 'b');
    const path = join(dir, 'core.fbsnap');
    const res = writeSnapshotFile(path, sampleSections(), { maxSize: 1 << 20, createdAt: CREATED });
    expect(res.path).toBe(path);
    expect(res.bytes).toBe(statSync(path).size);
    expect(readdirSync(dir)).toEqual(['core.fbsnap']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path).equals(SAMPLE)).toBe(true);
    // overwrite in place
    writeSnapshotFile(path, [{ type: SECTION.META, payload: encodeJson({ again: true }) }], { maxSize: 4096 });
    expect(readdirSync(dir)).toEqual(['core.fbsnap']);
    expect(decodeSnapshot(readFileSync(path)).sections).toHaveLength(1);
  });

  it('removes the temporary file and leaves the target alone when the rename fails', () => {
    const root = tempDir();
    const target = join(root, 'snap');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    let error: NodeJS.ErrnoException | undefined;
    try {
      writeSnapshotFile(target, sampleSections(), { maxSize: 1 << 20 });
    } catch (e) {
      error = e as NodeJS.ErrnoException;
    }
    expect(error?.message).toContain(`cannot write snapshot to ${target}`);
    expect(error?.code).toMatch(/^E/);
    expect(readdirSync(root)).toEqual(['snap']);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(readdirSync(target)).toEqual(['keep']);
  });

  it('keeps the previous snapshot intact when a new write fails before the rename', () => {
    const root = tempDir();
    const path = join(root, 'core.fbsnap');
    writeSnapshotFile(path, sampleSections(), { maxSize: 1 << 20, createdAt: CREATED });
    // a section type that does not fit fails inside encoding: nothing may change on disk
    expect(() => writeSnapshotFile(path, [{ type: -1, payload: new Uint8Array(1) }], { maxSize: 4096 })).toThrow(RangeError);
    expect(readdirSync(root)).toEqual(['core.fbsnap']);
    expect(readFileSync(path).equals(SAMPLE)).toBe(true);
  });
});

describe('performance', () => {
  it('encodes 16 MiB of ring data well under 250 ms', () => {
    const rings = Array.from({ length: 4 }, (_, i) => ringSection(i + 1, 0, ringLike(4 * 1024 * 1024, 60 + i)));
    const input: SectionInput[] = [{ type: SECTION.META, payload: encodeJson(META), priority: 100 }, ...rings];
    encodeSnapshot(input, { maxSize: 64 << 20 }); // warm up
    // CPU time is what the encoder costs; wall time also counts whatever else shares the 2 cores.
    const wall: number[] = [];
    const cpu: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 3; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      bytes = encodeSnapshot(input, { maxSize: 64 << 20 }).length;
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    const fmt = (a: number[]): string => a.map((t) => t.toFixed(1)).join(' / ');
    console.log(`encode 16 MiB of ring data: wall ${fmt(wall)} ms, cpu ${fmt(cpu)} ms, ${bytes} bytes`);
    expect(Math.min(...cpu)).toBeLessThan(250);
    expect(Math.min(...wall)).toBeLessThan(500); // generous: other processes may share the machine
  });
});
