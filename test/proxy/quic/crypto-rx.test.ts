import { beforeEach, describe, expect, it } from 'vitest';
import { configurePools, poolsView } from '../../../diag/pool.ts';
import { PanicError, setCurrentObject } from '../../../diag/invariants.ts';
import { inspectPoolItem } from '../../../diag/pool.ts';
import {
  cryptoRxRelease,
  declareNcbufPool,
  FS_NCBUF_ALLOC_ASSERT,
  newCryptoRx,
  qcHandleCryptoFrm,
  quicFreeNcbuf,
  quicGetNcbuf,
} from '../../../proxy/quic/crypto-rx.ts';
import type { CryptoFrame } from '../../../proxy/quic/frame.types.ts';

declareNcbufPool(1024);

function frame(offset: number, data: Uint8Array): CryptoFrame {
  return { type: 'crypto', offset, data };
}

function ncbufStat() {
  const p = poolsView().pools.find((x) => x.name === 'quic_ncbuf');
  if (!p) throw new Error('quic_ncbuf not listed');
  return p;
}

const msg = Uint8Array.from({ length: 3000 }, (_, i) => (i * 31 + 7) & 0xff);

beforeEach(() => configurePools({ noMerge: true, seed: 42 }));

describe('CRYPTO stream receive (RFC 9000 §19.6) over quic_ncbuf', () => {
  it('delivers in-order frames without taking a buffer', () => {
    const rx = newCryptoRx(11);
    const a = qcHandleCryptoFrm(rx, frame(0, msg.subarray(0, 100)));
    const b = qcHandleCryptoFrm(rx, frame(50, msg.subarray(50, 180))); // overlap, in order
    expect(a.kind === 'data' && [...a.data]).toEqual([...msg.subarray(0, 100)]);
    expect(b.kind === 'data' && [...b.data]).toEqual([...msg.subarray(100, 180)]);
    expect(rx.offset).toBe(180);
    expect(ncbufStat().used).toBe(0);
    expect(ncbufStat().allocated).toBe(0);
  });

  it('reassembles reversed fragments through one buffer, released once it is empty', () => {
    const rx = newCryptoRx(12);
    const out: Uint8Array[] = [];
    for (let off = 900; off >= 0; off -= 100) {
      const res = qcHandleCryptoFrm(rx, frame(off, msg.subarray(off, off + 100)));
      expect(res.kind).toBe('data');
      if (res.kind === 'data') out.push(res.data);
      if (off > 0) expect(ncbufStat().used).toBe(1);
    }
    expect(Buffer.concat(out).equals(Buffer.from(msg.subarray(0, 1000)))).toBe(true);
    expect(rx.ncbuf).toBeNull();
    expect(ncbufStat().used).toBe(0);
  });

  it('takes a buffer for out-of-order data and frees it on connection release', () => {
    const rx = newCryptoRx(77);
    qcHandleCryptoFrm(rx, frame(10, msg.subarray(10, 20)));
    expect(rx.ncbuf).not.toBeNull();
    expect(ncbufStat().used).toBe(1);
    cryptoRxRelease(rx);
    cryptoRxRelease(rx); // idempotent at the stream level
    expect(ncbufStat().used).toBe(0);
  });

  it('refuses data further than the buffer size ahead before allocating (CRYPTO_BUFFER_EXCEEDED)', () => {
    const rx = newCryptoRx(13);
    const res = qcHandleCryptoFrm(rx, frame(1000, msg.subarray(1000, 1025)));
    expect(res.kind).toBe('error');
    if (res.kind === 'error') {
      expect(res.error.name).toBe('CRYPTO_BUFFER_EXCEEDED');
      expect(res.error.frameType).toBe(0x06);
      expect(res.error.offset).toBe(1000);
    }
    expect(ncbufStat().allocated).toBe(0);
  });

  it('reports changed data as PROTOCOL_VIOLATION', () => {
    const rx = newCryptoRx(14);
    qcHandleCryptoFrm(rx, frame(10, Uint8Array.of(1, 2, 3)));
    const res = qcHandleCryptoFrm(rx, frame(11, Uint8Array.of(2, 4)));
    expect(res.kind === 'error' && res.error).toMatchObject({ name: 'PROTOCOL_VIOLATION', offset: 12 });
    cryptoRxRelease(rx);
  });

  it('seed 4: allocation failure (tune.fail-alloc 100) is a no-memory outcome, counted, never an assert', () => {
    configurePools({ noMerge: true, failPercent: 100, seed: 1 });
    const rx = newCryptoRx(15);
    const res = qcHandleCryptoFrm(rx, frame(5, msg.subarray(5, 50)));
    expect(res.kind).toBe('no-memory');
    if (res.kind === 'no-memory') {
      expect(res.error.name).toBe('INTERNAL_ERROR');
      expect(res.error.message).toMatch(/no memory for the CRYPTO reassembly buffer \(pool quic_ncbuf, 1024 bytes\)/);
    }
    expect(rx.ncbuf).toBeNull();
    expect(ncbufStat().failures).toBe(1);
    cryptoRxRelease(rx); // nothing to release: no panic
    // In-order data still needs no buffer.
    expect(qcHandleCryptoFrm(rx, frame(0, msg.subarray(0, 5))).kind).toBe('data');
  });

  it('seed 4: with -m capping memory, the connections beyond the cap get no-memory, the others go on', () => {
    configurePools({ noMerge: true, memLimitBytes: 3 * 1024, seed: 1 });
    const rxs = Array.from({ length: 5 }, (_, i) => newCryptoRx(100 + i));
    const kinds = rxs.map((rx) => qcHandleCryptoFrm(rx, frame(1, msg.subarray(1, 9))).kind);
    expect(kinds).toEqual(['data', 'data', 'data', 'no-memory', 'no-memory']);
    expect(ncbufStat().failures).toBe(2);
    for (const rx of rxs) cryptoRxRelease(rx);
    expect(ncbufStat().used).toBe(0);
  });

  it('seed 4 fault site armed: the next refusal of the pool is a BUG_ON in quicGetNcbuf under qcHandleCryptoFrm, counted first', () => {
    configurePools({ noMerge: true, memLimitBytes: 1024, seed: 1 });
    FS_NCBUF_ALLOC_ASSERT.arm(1);
    try {
      // Granted: the site does not fire and stays armed.
      const first = newCryptoRx(200);
      expect(qcHandleCryptoFrm(first, frame(1, msg.subarray(1, 9))).kind).toBe('data');
      expect(FS_NCBUF_ALLOC_ASSERT.armed).toBe(true);
      // Refused (the 1024-byte cap holds one buffer): the original assert.
      let err: unknown;
      try {
        qcHandleCryptoFrm(newCryptoRx(201), frame(3, msg.subarray(3, 9)));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PanicError);
      const f = (err as PanicError).fault;
      expect(f.kind).toBe('bug');
      expect(f.message).toMatch(/^BUG_ON: quic_get_ncbuf: ncbuf allocation failed \(pool quic_ncbuf, 1024-byte buffers, CRYPTO offset 0, connection 201\)/);
      expect(f.frames.map((x) => x.fn.replace(/^.*\./, '')).slice(0, 2)).toEqual(['quicGetNcbuf', 'qcHandleCryptoFrm']);
      expect(ncbufStat().failures).toBe(1);
      expect(FS_NCBUF_ALLOC_ASSERT.armed).toBe(false);
      // Disarmed again: the next refusal is the handled no-memory outcome.
      expect(qcHandleCryptoFrm(newCryptoRx(202), frame(3, msg.subarray(3, 9))).kind).toBe('no-memory');
      expect(ncbufStat().failures).toBe(2);
      cryptoRxRelease(first);
    } finally {
      FS_NCBUF_ALLOC_ASSERT.disarm();
    }
  });

  it('a stream without an owner tags its buffer with the connection the thread is handling', () => {
    const rx = newCryptoRx();
    setCurrentObject(4242, 0);
    try {
      const nb = quicGetNcbuf(rx)!;
      const storage = (nb as unknown as { storage: Uint8Array }).storage; // the pool item behind the buffer
      expect(inspectPoolItem(storage)).toMatchObject({ declaredPool: 'quic_ncbuf', state: 'allocated', owner: 4242 });
    } finally {
      setCurrentObject(0, 0);
      cryptoRxRelease(rx);
    }
  });

  it('a double release of the buffer itself is a BUG_ON', () => {
    const rx = newCryptoRx(16);
    const nb = quicGetNcbuf(rx)!;
    quicFreeNcbuf(rx);
    expect(() => nb.release()).toThrow(PanicError);
  });
});
