/**
 * Real snapshots of every crash class of the signature catalogue, for test/diag/signatures.test.ts
 * and test/diag/export/*: each fault is raised by the real machinery (BUG_ON, pool free checks,
 * the stick-table's `stktable.unlocked-release` fault site, a real TypeError) inside functions named
 * as the Flightbox code of that class is (or, for code not written yet, will be: issues 4 and 5),
 * recorded by the synthetic recorder of fixtures/snapshots/synthetic.ts, written to a snapshot file
 * in a temp dir and read back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultRecord } from '../../diag/fault.types.ts';
import { captureFrames, framesOf } from '../../diag/frames.ts';
import { BUG_ON, PanicError, setCurrentObject } from '../../diag/invariants.ts';
import { configurePools, declarePool } from '../../diag/pool.ts';
import { collectSnapshot } from '../../diag/snapshot/collect.ts';
import { writeSnapshotFile } from '../../diag/snapshot/container.ts';
import type { DecodedSnapshot } from '../../diag/snapshot/model.types.ts';
import { readSnapshotFile } from '../../diag/snapshot/read.ts';
import { buildSyntheticRecorder } from '../../fixtures/snapshots/synthetic.ts';
import { H3TP } from '../../proxy/h3/trace.ts';
import { PEERS } from '../../proxy/peers/trace.ts';
import { newCryptoRx, quicGetNcbuf, declareNcbufPool } from '../../proxy/quic/crypto-rx.ts';
import { integerKey } from '../../proxy/stick/key.ts';
import { FS_UNLOCKED_RELEASE, STICK_TEST_HOOKS } from '../../proxy/stick/table.ts';
import { virtualTable } from '../proxy/stick/helpers.ts';

// A point of the peers learn step (the peers runtime does not exist yet), declared before the recorder attaches.
const PEERS_TP = PEERS.point('ctrlmsg', 'state', 'syncPeerLearnState', 'learn step on peer: {s}');
const r = buildSyntheticRecorder();
const lc = r.rec.lifecycle;
for (const src of ['h3', 'peers']) {
  r.rec.control.command([src, 'level', 'developer']);
  r.rec.control.command([src, 'sink', 'flight']);
  r.rec.control.command([src, 'start', 'now']);
}
// Pools of the pool-fault classes: -dMcaller records sites, -dMintegrity poisons free items.
configurePools({ thread: 1, caller: true, integrity: true });
const OBJ_POOL = declarePool('sig_session', { kind: 'object', size: 40, create: () => ({ n: 0 }) });
const BUF_POOL = declarePool('sig_buffer', { kind: 'buffer', size: 256 });
declareNcbufPool(4096);

/** The classes the fixture can produce. */
export type FaultClass =
  | 'seed1-h3-headers'
  | 'seed2-goaway'
  | 'seed3-peers-learn'
  | 'seed4-ncbuf'
  | 'seed5-stksess'
  | 'pool-tag-mismatch'
  | 'pool-double-free'
  | 'pool-integrity'
  | 'stall'
  | 'oom'
  | 'uncaught'
  | 'bug'
  | 'panic';

/** Runs `f` as the handler of `connId`/`streamId`; returns the fault it raised (PanicError, or an uncaught error recorded as the worker does). */
function raise(f: () => void, connId: number, streamId: number): FaultRecord {
  setCurrentObject(connId, streamId);
  try {
    f();
  } catch (e) {
    if (e instanceof PanicError) return { ...e.fault, thread: 1 };
    const err = e as Error;
    return { kind: 'uncaught', message: `${err.name}: ${err.message}`, thread: 1, time: Date.now(), frames: framesOf(err), context: { connId, streamId } };
  } finally {
    setCurrentObject(0, 0);
  }
  throw new Error('the fixture raised no fault');
}

// --- the code paths, named as Flightbox's ---------------------------------------------------------

/** Seed 1: HAProxy 2.8.5 asserted when the encoded response headers did not fit the buffer. */
function h3RespHeadersSend(conn: number, stream: number, status: number, encoded: number, room: number): void {
  if (H3TP.respError.on) H3TP.respError.emit(conn, stream, status, encoded, room, 'HEADERS frame');
  BUG_ON(encoded > room, `h3RespHeadersSend: encoded headers of ${encoded} bytes exceed the buffer (${room})`);
}
function h3SndBuf(conn: number, stream: number): void {
  if (H3TP.respHeaders.on) H3TP.respHeaders.emit(conn, stream, 200, 64, 0);
  h3RespHeadersSend(conn, stream, 200, 20_000, 16_384);
}

/** Seed 2: the stream outlived its connection context after GOAWAY. */
function h3Close(h3s: { h3c: { streams: number } | null }): number {
  return h3s.h3c!.streams - 1; // TypeError: h3c was released on GOAWAY
}
function qcStreamRelease(conn: number, stream: number): void {
  if (H3TP.goaway.on) H3TP.goaway.emit(conn, 0, 4, 0, 0);
  h3Close({ h3c: null });
  void stream;
}

/** Seed 3: the learn step used a released peer session. */
function syncPeerLearnState(peer: { appctx: { st: number } | null }): number {
  return peer.appctx!.st; // TypeError: the session was released when the connection broke
}
function peerIoHandler(peerId: number): void {
  if (PEERS_TP.on) PEERS_TP.emit(peerId, 0, 1, 0, 0, 'connection broke during resync');
  syncPeerLearnState({ appctx: null });
}

/** Seed 4: HAProxy 3.0.9 asserted when the CRYPTO ncbuf could not be allocated. */
function qcHandleCryptoFrm(owner: number): void {
  const nb = quicGetNcbuf(newCryptoRx(owner)); // the real getter: null, the failure is counted by the pool
  BUG_ON(nb === null, 'quic_get_ncbuf: ncbuf allocation failed');
}

/** Seed 5: the real stick-table with the unlocked reference drop of the original defect. */
function sessionRelease(): void {
  const { t, clock } = virtualTable('stick-table type integer size 8 expire 1s');
  const h = t.acquire(integerKey(42));
  clock.now += 5000; // expired
  FS_UNLOCKED_RELEASE.arm(1);
  STICK_TEST_HOOKS.afterUnlockedDrop = () => void t.expire(); // the expiry task frees it in between
  try {
    t.release(h);
  } finally {
    FS_UNLOCKED_RELEASE.disarm();
    STICK_TEST_HOOKS.afterUnlockedDrop = undefined;
  }
}

function releaseIntoWrongPool(): void {
  const b = BUF_POOL.alloc(1)!;
  OBJ_POOL.free(b as never);
}
function endSession(): void {
  const o = OBJ_POOL.alloc(2)!;
  OBJ_POOL.free(o);
  OBJ_POOL.free(o);
}
function reuseBuffer(): void {
  const b = BUF_POOL.alloc(3)!;
  BUF_POOL.free(b);
  b[10] = 0x41; // write after free
  for (let i = 0; i < 64; i++) BUF_POOL.alloc(4); // the next allocation of that item checks it
}
function answerRequest(): void {
  throw new Error('injected failure while answering');
}
function parseRequestLine(): void {
  BUG_ON(true, 'request line longer than the buffer');
}
function debugDevLoop(): FaultRecord {
  return {
    kind: 'stall',
    message: 'thread 1 stalled: no heartbeat for 1500 ms (watchdog-timeout 1000 ms)',
    thread: 1,
    time: Date.now(),
    frames: captureFrames(0, 10),
    context: { connId: 0, streamId: 0 },
  };
}

/** Raises the fault of `c` (a new occurrence each call) and returns its record. */
export function faultOf(c: FaultClass): FaultRecord {
  switch (c) {
    case 'seed1-h3-headers': {
      const conn = lc.create('quic_conn', 0, '127.0.0.1:40000 h3');
      const s = lc.create('stream', conn.id, 'GET /large-headers HTTP/3');
      return raise(() => h3SndBuf(conn.id, s.id), conn.id, s.id);
    }
    case 'seed2-goaway': {
      const conn = lc.create('quic_conn', 0, '127.0.0.1:40001 h3');
      const s = lc.create('stream', conn.id, 'GET /slow HTTP/3');
      return raise(() => qcStreamRelease(conn.id, s.id), conn.id, s.id);
    }
    case 'seed3-peers-learn': {
      const peer = lc.create('peer', 0, 'peer p2 127.0.0.1:10001 ssl');
      return raise(() => peerIoHandler(peer.id), peer.id, 0);
    }
    case 'seed4-ncbuf': {
      const conn = lc.create('quic_conn', 0, '127.0.0.1:40002 h3');
      // Every allocation fails (tune.fail-alloc 100) until the next snapshot is written: reconfiguring
      // forgets the pool counters, and the snapshot must show the failure.
      configurePools({ thread: 1, caller: true, integrity: true, failPercent: 100 });
      restoreAfterSnapshot = true;
      return raise(() => qcHandleCryptoFrm(conn.id), conn.id, 0);
    }
    case 'seed5-stksess':
      return raise(sessionRelease, 0, 0);
    case 'pool-tag-mismatch':
      return raise(releaseIntoWrongPool, r.connId, r.streamId);
    case 'pool-double-free':
      return raise(endSession, r.connId, r.streamId);
    case 'pool-integrity':
      return raise(reuseBuffer, r.connId, 0);
    case 'uncaught':
      return raise(answerRequest, r.connId, r.streamId);
    case 'bug':
      return raise(parseRequestLine, r.connId, r.streamId);
    case 'panic': {
      const f = raise(parseRequestLine, 0, 0);
      return { ...f, kind: 'panic', message: 'debug dev panic' };
    }
    case 'stall':
      return debugDevLoop();
    case 'oom':
      return { kind: 'oom', message: 'worker 1 ran out of memory (heap limit 96 MB)', thread: 1, time: Date.now(), frames: [], context: { connId: 0, streamId: 0 } };
  }
}

/**
 * Adds a server connection (a `conn` whose parent is the synthetic stream, as proxy/stream/server-conn.ts
 * creates them) to the recorder, and a stream to a QUIC connection; returns their ids.
 */
export function addObjects(): { serverConn: number; stream: number; connId: number; quicConn: number; quicStream: number } {
  const sc = lc.create('conn', r.streamId, '-> 127.0.0.1:8081 be=app');
  lc.event(sc, 'attach', 0);
  const q = lc.create('quic_conn', 0, '127.0.0.1:40010 h3');
  const qs = lc.create('stream', q.id, 'GET /q HTTP/3');
  if (H3TP.respHeaders.on) H3TP.respHeaders.emit(q.id, qs.id, 200, 80, 0);
  lc.release(qs);
  return { serverConn: sc.id, stream: r.streamId, connId: r.connId, quicConn: q.id, quicStream: qs.id };
}

/** A temp dir for snapshot files; `cleanup()` removes it. */
export function snapshotDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'fb-sig-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let restoreAfterSnapshot = false;
let n = 0;
/** Writes a snapshot of the synthetic recorder with `fault` (none: on demand) into `dir` and reads it back. */
export function snapshotWith(dir: string, fault: FaultRecord | undefined): DecodedSnapshot {
  const time = Date.now();
  const input = { ...r.input(time), reason: fault?.kind ?? ('on-demand' as const), fault };
  const file = join(dir, `s${++n}.fbsnap`);
  writeSnapshotFile(file, collectSnapshot(input), { maxSize: 1 << 20, createdAt: time });
  if (restoreAfterSnapshot) {
    restoreAfterSnapshot = false;
    configurePools({ thread: 1, caller: true, integrity: true });
  }
  return readSnapshotFile(file);
}

/** Raises a fault of class `c` and returns the decoded snapshot of it. */
export function snapshotOf(dir: string, c: FaultClass): DecodedSnapshot {
  return snapshotWith(dir, faultOf(c));
}

