/**
 * A mutex in one Int32 word of a SharedArrayBuffer, usable by every thread of the process (the
 * supervisor on the main thread and the workers): a futex-style lock (Drepper, "Futexes Are
 * Tricky", mutex 3) whose word also names its holder, so code can assert it holds a lock.
 *
 * Word value: 0 = free; otherwise `(holder << 1) | waiters`, with holder = worker_threads
 * `threadId + 1` and `waiters` set once a thread may be sleeping on it. Acquisition spins briefly,
 * then sleeps with Atomics.wait (allowed on Node's main thread too); release wakes one sleeper when
 * the waiters bit is set. Not reentrant: taking a lock one already holds is a bug (it would hang),
 * reported by {@link shmLock} as an Error.
 */
import { threadId } from 'node:worker_threads';

/** This thread's holder id in lock words. */
export const LOCK_SELF = threadId + 1;
const MINE = LOCK_SELF << 1;
const SPINS = 64;

/** Acquires the lock word `w[i]`, blocking until it is free. */
export function shmLock(w: Int32Array, i: number): void {
  if (Atomics.compareExchange(w, i, 0, MINE) === 0) return;
  lockSlow(w, i);
}

function lockSlow(w: Int32Array, i: number): void {
  for (let n = 0; n < SPINS; n++) {
    const v = Atomics.load(w, i);
    if (v === 0 && Atomics.compareExchange(w, i, 0, MINE) === 0) return;
    if (v >>> 1 === LOCK_SELF) throw new Error(`shared lock at word ${i} taken twice by thread ${LOCK_SELF - 1} (not reentrant)`);
  }
  for (;;) {
    const v = Atomics.load(w, i);
    if (v === 0) {
      // we may have been woken while others still sleep: keep the waiters bit
      if (Atomics.compareExchange(w, i, 0, MINE | 1) === 0) return;
      continue;
    }
    if ((v & 1) === 0 && Atomics.compareExchange(w, i, v, v | 1) !== v) continue;
    Atomics.wait(w, i, v | 1, 50);
  }
}

/** Releases the lock word `w[i]`; wakes one sleeper if any may be waiting. */
export function shmUnlock(w: Int32Array, i: number): void {
  const v = Atomics.exchange(w, i, 0);
  if (v & 1) Atomics.notify(w, i, 1);
}

/** True when this thread holds the lock word `w[i]`. */
export function shmLockHeld(w: Int32Array, i: number): boolean {
  return Atomics.load(w, i) >>> 1 === LOCK_SELF;
}

/** The holder (threadId + 1) of the lock word `w[i]`, 0 when free. */
export function shmLockHolder(w: Int32Array, i: number): number {
  return Atomics.load(w, i) >>> 1;
}
