import { describe, expect, it } from 'vitest';
import { Ncbuf } from '../../../proxy/quic/ncbuf.ts';
import { PanicError } from '../../../diag/invariants.ts';

/** Deterministic PRNG (xorshift32) so that failures replay. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function message(n: number, seed = 7): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

/** Random overlapping fragments covering all of `msg` (with duplicates), in random order. */
function fragments(msg: Uint8Array, r: () => number): { offset: number; data: Uint8Array }[] {
  const out: { offset: number; data: Uint8Array }[] = [];
  let off = 0;
  while (off < msg.length) {
    const len = 1 + Math.floor(r() * 40);
    const start = Math.max(0, off - Math.floor(r() * 10)); // overlap the previous piece
    const end = Math.min(msg.length, off + len);
    out.push({ offset: start, data: msg.subarray(start, end) });
    if (r() < 0.2) out.push({ offset: start, data: msg.subarray(start, end) }); // duplicate
    off = end;
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('Ncbuf reassembly (RFC 9000 §2.2, §19.6)', () => {
  it('reassembles random permutations of overlapping and duplicate fragments exactly', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = rng(seed);
      const msg = message(300 + seed * 7, seed);
      const nb = new Ncbuf(new Uint8Array(msg.length), null);
      const chunks: Uint8Array[] = [];
      let added = 0;
      for (const f of fragments(msg, r)) {
        const res = nb.add(f.offset, f.data);
        expect(res.ok).toBe(true);
        if (res.ok) added += res.added;
        chunks.push(nb.read());
      }
      expect(added).toBe(msg.length);
      expect(Buffer.concat(chunks).equals(Buffer.from(msg))).toBe(true);
      expect(nb.empty).toBe(true);
      expect(nb.head).toBe(msg.length);
    }
  });

  it('wraps around a window smaller than the message when reading as data arrives', () => {
    const msg = message(1000, 3);
    const nb = new Ncbuf(new Uint8Array(64), null);
    const r = rng(9);
    const chunks: Uint8Array[] = [];
    let off = 0;
    while (off < msg.length) {
      // Send the next window's worth in two swapped halves.
      const end = Math.min(msg.length, off + 20 + Math.floor(r() * 40));
      const mid = off + Math.floor((end - off) / 2);
      expect(nb.add(mid, msg.subarray(mid, end)).ok).toBe(true);
      expect(nb.contiguous()).toBe(mid === off ? end - off : 0);
      expect(nb.add(off, msg.subarray(off, mid)).ok).toBe(true);
      chunks.push(nb.read());
      off = end;
    }
    expect(Buffer.concat(chunks).equals(Buffer.from(msg))).toBe(true);
  });

  it('delivers only the contiguous prefix, and read(max) advances by max', () => {
    const nb = new Ncbuf(new Uint8Array(32), null, 100);
    expect(nb.add(105, Uint8Array.of(5, 6, 7))).toEqual({ ok: true, added: 3 });
    expect(nb.contiguous()).toBe(0);
    expect([...nb.read()]).toEqual([]);
    expect(nb.add(100, Uint8Array.of(0, 1, 2, 3, 4))).toEqual({ ok: true, added: 5 });
    expect(nb.rangeCount).toBe(1); // adjacent ranges merged
    expect([...nb.read(2)]).toEqual([0, 1]);
    expect(nb.head).toBe(102);
    expect([...nb.read()]).toEqual([2, 3, 4, 5, 6, 7]);
    expect(nb.empty).toBe(true);
  });

  it('ignores data already delivered and trims data straddling the head', () => {
    const nb = new Ncbuf(new Uint8Array(16), null);
    nb.add(0, Uint8Array.of(1, 2, 3, 4));
    nb.read();
    // Different bytes below head cannot be compared any more: accepted and ignored.
    expect(nb.add(0, Uint8Array.of(9, 9, 9))).toEqual({ ok: true, added: 0 });
    expect(nb.add(2, Uint8Array.of(3, 4, 5, 6))).toEqual({ ok: true, added: 2 });
    expect([...nb.read()]).toEqual([5, 6]);
  });

  it('refuses different data at an offset already held with PROTOCOL_VIOLATION, changing nothing', () => {
    const nb = new Ncbuf(new Uint8Array(32), null, 0);
    nb.add(10, Uint8Array.of(1, 2, 3, 4));
    const res = nb.add(8, Uint8Array.of(0, 0, 1, 2, 9, 4, 7)); // byte at 12 differs (3 vs 9)
    expect(res).toEqual({
      ok: false,
      error: { code: 0x0a, name: 'PROTOCOL_VIOLATION', frameType: 0x06, offset: 12, message: 'data at offset 12 differs from data received earlier at the same offset' },
    });
    expect(nb.rangeCount).toBe(1);
    nb.add(0, new Uint8Array(10));
    expect([...nb.read()]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
  });

  it('refuses data beyond the window with CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5)', () => {
    const nb = new Ncbuf(new Uint8Array(16), null, 100);
    expect(nb.add(110, new Uint8Array(6)).ok).toBe(true); // ends at 116 = head + capacity
    const res = nb.add(110, new Uint8Array(7));
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.name).toBe('CRYPTO_BUFFER_EXCEEDED');
      expect(res.error.code).toBe(0x0d);
      expect(res.error.message).toMatch(/offset 117 exceeds the 16-byte reassembly window starting at 100/);
    }
  });

  it('bounds the number of disjoint ranges a peer can create', () => {
    const nb = new Ncbuf(new Uint8Array(1000), null, 0, { maxRanges: 4 });
    for (const o of [1, 3, 5, 7]) expect(nb.add(o, Uint8Array.of(o)).ok).toBe(true);
    const res = nb.add(9, Uint8Array.of(9));
    expect(res.ok ? '' : res.error.message).toMatch(/more than 4 ranges/);
    expect(nb.add(2, Uint8Array.of(2)).ok).toBe(true); // merging stays allowed
    expect(nb.rangeCount).toBe(3);
  });

  it('panics (BUG_ON) on a second release and on use after release', () => {
    const nb = new Ncbuf(new Uint8Array(8), null);
    nb.release();
    expect(nb.released).toBe(true);
    expect(() => nb.release()).toThrow(PanicError);
    expect(() => nb.release()).toThrow(/BUG_ON: ncbuf released twice/);
    expect(() => nb.add(0, Uint8Array.of(1))).toThrow(/BUG_ON: ncbuf used after release/);
  });
});
