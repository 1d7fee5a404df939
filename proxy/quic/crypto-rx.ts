/**
 * The receive side of a CRYPTO stream (RFC 9000 §7.5, §19.6): one per packet number space. Data
 * arriving in order goes straight to TLS; data arriving out of order is held in a non-contiguous
 * buffer (ncbuf.ts) taken, only then, from the tagged pool `quic_ncbuf`, and released as soon as
 * it holds nothing more (HAProxy: quic_get_ncbuf / quic_free_ncbuf in src/quic_rx.c).
 *
 * Seed crash 4: with `-m` small and `tune.bufsize` large, taking that buffer fails. HAProxy 3.0.9
 * asserted there (BUG_ON in quic_get_ncbuf); here `quicGetNcbuf` returns null and
 * `qcHandleCryptoFrm` turns it into a `no-memory` outcome on which the caller closes the
 * connection (INTERNAL_ERROR) cleanly. The failure is counted by the pool (`show pools`) and traced.
 * The fault site `quic.ncbuf-alloc-assert` re-creates the original defect: armed, the next refusal
 * of the pool is a BUG_ON in quicGetNcbuf (called by qcHandleCryptoFrm), as in 3.0.9.
 */
import { declareFaultSite } from '../../diag/fault-sites.ts';
import { BUG_ON, currentObject } from '../../diag/invariants.ts';
import { declarePool, declarePoolSite, type Pool } from '../../diag/pool.ts';
import { decodeError, type QuicDecodeError } from './errors.ts';
import { FRAME_TYPE, type CryptoFrame } from './frame.types.ts';
import { Ncbuf } from './ncbuf.ts';
import { QTR } from './trace.ts';

/** Default size of a `quic_ncbuf` buffer: HAProxy's default tune.bufsize. */
export const NCBUF_DEFAULT_SIZE = 16384;

let ncbufPool: Pool<Uint8Array> | null = null;
const SITE_GET = declarePoolSite('quicGetNcbuf');

/**
 * Fault site re-creating seed crash 4: when armed, the next time the `quic_ncbuf` pool refuses a
 * buffer, quicGetNcbuf asserts (BUG_ON) instead of returning null. It does not make the pool fail:
 * the refusal comes from `-m`, `tune.fail-alloc` or `-dMfail`, as in the original report.
 */
export const FS_NCBUF_ALLOC_ASSERT = declareFaultSite(
  'quic.ncbuf-alloc-assert',
  'quicGetNcbuf asserts (BUG_ON) when the quic_ncbuf pool refuses a CRYPTO reassembly buffer (seed crash 4, HAProxy 3.0.9)',
);

/**
 * Declares the `quic_ncbuf` buffer pool with buffers of `size` bytes (the worker passes
 * tune.bufsize, as HAProxy takes ncbufs from the buffer pool). Idempotent for one size; a second
 * call with another size throws (programming error). Without a call, the first use declares it
 * with NCBUF_DEFAULT_SIZE.
 */
export function declareNcbufPool(size = NCBUF_DEFAULT_SIZE): Pool<Uint8Array> {
  if (ncbufPool !== null) {
    if (ncbufPool.size !== size) throw new Error(`quic_ncbuf pool already declared with ${ncbufPool.size}-byte buffers, not ${size}`);
    return ncbufPool;
  }
  ncbufPool = declarePool<Uint8Array>('quic_ncbuf', { kind: 'buffer', size });
  return ncbufPool;
}

/** Receive state of one CRYPTO stream. Create with `newCryptoRx()`; end with `cryptoRxRelease()`. */
export interface CryptoRx {
  /** Stream offset of the next byte TLS expects. */
  offset: number;
  /** Reassembly buffer, present only while out-of-order data is held. */
  ncbuf: Ncbuf | null;
  /** Owner id written in the pool tag (the connection id). */
  readonly owner: number;
}

/** A fresh CRYPTO receive stream owned by connection `owner`. */
export function newCryptoRx(owner = 0): CryptoRx {
  return { offset: 0, ncbuf: null, owner };
}

/**
 * Returns the stream's reassembly buffer, taking one from `quic_ncbuf` if it has none. Returns
 * null when the pool cannot give one (memory cap `-m`, injected failure `tune.fail-alloc`): the
 * caller must handle it (HAProxy 3.0.9 asserted here: seed crash 4; so does the armed fault site
 * FS_NCBUF_ALLOC_ASSERT). The buffer's pool tag names the stream's owner, or, when the stream has
 * none (0), the connection this thread is handling (setCurrentObject).
 */
export function quicGetNcbuf(rx: CryptoRx): Ncbuf | null {
  if (rx.ncbuf !== null) return rx.ncbuf;
  const pool = declareNcbufPool(ncbufPool?.size ?? NCBUF_DEFAULT_SIZE);
  const owner = rx.owner !== 0 ? rx.owner : currentObject().connId;
  const buf = pool.alloc(owner, SITE_GET);
  if (buf === null) {
    if (QTR.ncbuf.on) QTR.ncbuf.emit(owner, 0, 3, pool.size, rx.offset);
    if (FS_NCBUF_ALLOC_ASSERT.armed && FS_NCBUF_ALLOC_ASSERT.fire()) {
      BUG_ON(true, `quic_get_ncbuf: ncbuf allocation failed (pool quic_ncbuf, ${pool.size}-byte buffers, CRYPTO offset ${rx.offset}, connection ${owner})`);
    }
    return null;
  }
  if (QTR.ncbuf.on) QTR.ncbuf.emit(owner, 0, 1, pool.size, rx.offset);
  rx.ncbuf = new Ncbuf(buf, pool, rx.offset);
  return rx.ncbuf;
}

/** Gives the stream's reassembly buffer back, if it holds one (HAProxy quic_free_ncbuf). */
export function quicFreeNcbuf(rx: CryptoRx): void {
  const nb = rx.ncbuf;
  if (nb === null) return;
  rx.ncbuf = null;
  if (QTR.ncbuf.on) QTR.ncbuf.emit(rx.owner !== 0 ? rx.owner : currentObject().connId, 0, 2, nb.capacity, rx.offset);
  nb.release();
}

/** Releases everything the stream holds (connection end, key discard). Safe to call twice. */
export function cryptoRxRelease(rx: CryptoRx): void {
  quicFreeNcbuf(rx);
}

/**
 * Outcome of one CRYPTO frame: the bytes now deliverable to TLS in order (possibly empty), a
 * connection error to close with (RFC 9000 §7.5, §19.6), or `no-memory` (no reassembly buffer:
 * close the connection with INTERNAL_ERROR, `error` says so).
 */
export type CryptoRxOutcome =
  | { readonly kind: 'data'; readonly data: Uint8Array }
  | { readonly kind: 'error'; readonly error: QuicDecodeError }
  | { readonly kind: 'no-memory'; readonly error: QuicDecodeError };

const NOTHING = new Uint8Array(0);

/**
 * Handles one received CRYPTO frame (RFC 9000 §19.6) on stream `rx`: in-order data with no
 * buffer held is delivered without copying into a buffer; anything else goes through the ncbuf
 * (taken by quicGetNcbuf), and the buffer is released once it holds nothing. Data further than
 * `window` bytes (the ncbuf size) ahead is CRYPTO_BUFFER_EXCEEDED (§7.5) before any allocation.
 */
export function qcHandleCryptoFrm(rx: CryptoRx, frame: CryptoFrame): CryptoRxOutcome {
  const end = frame.offset + frame.data.length;
  if (end <= rx.offset) return { kind: 'data', data: NOTHING };
  const window = ncbufPool?.size ?? NCBUF_DEFAULT_SIZE;
  if (rx.ncbuf === null && frame.offset <= rx.offset) {
    const data = frame.data.subarray(rx.offset - frame.offset);
    rx.offset = end;
    return { kind: 'data', data };
  }
  if (end > rx.offset + window) {
    return fail('error', rx, decodeError('CRYPTO_BUFFER_EXCEEDED', FRAME_TYPE.CRYPTO, frame.offset,
      `CRYPTO data up to offset ${end} is more than ${window} bytes ahead of offset ${rx.offset}`));
  }
  const nb = quicGetNcbuf(rx);
  if (nb === null) {
    return fail('no-memory', rx, decodeError('INTERNAL_ERROR', FRAME_TYPE.CRYPTO, frame.offset,
      `no memory for the CRYPTO reassembly buffer (pool quic_ncbuf, ${window} bytes): raise -m or lower tune.bufsize`));
  }
  const added = nb.add(frame.offset, frame.data);
  if (!added.ok) return fail('error', rx, added.error);
  const data = nb.read();
  rx.offset = nb.head;
  if (nb.empty) quicFreeNcbuf(rx);
  return { kind: 'data', data };
}

function fail(kind: 'error' | 'no-memory', rx: CryptoRx, error: QuicDecodeError): CryptoRxOutcome {
  if (QTR.error.on) QTR.error.emit(rx.owner !== 0 ? rx.owner : currentObject().connId, 0, error.code, error.frameType, error.offset, error.message);
  return { kind, error };
}
