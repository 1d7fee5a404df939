// Worker of threads.test.ts: a proxy worker's stick-table side, as proxy/worker/main.ts sets it up
// (attachStickTables with its thread number, a panic handler that ends the thread with
// process.exit), tracking `keys` with TrackCounters as streams do, then, by `mode`:
//   stall        busy-loops (the main thread terminates it, as the watchdog does);
//   wait         waits for 'end', then exits normally (its exit handler drops what it holds);
//   hold-lock    takes the table lock, then busy-loops (terminated inside a locked section);
//   bug-in-lock  re-creates seed crash 5 with the fault site: a BUG_ON inside the table lock ends it.
// Posts { holding } once its references are taken (and the lock, for hold-lock).
import { parentPort, workerData } from 'node:worker_threads';
import { setPanicHandler } from '../../../diag/invariants.ts';
import { integerKey } from '../../../proxy/stick/key.ts';
import { shmLock } from '../../../proxy/stick/lock.ts';
import { attachStickTables, threadStickTables } from '../../../proxy/stick/registry.ts';
import type { StickTableDef } from '../../../proxy/stick/stick.types.ts';
import { FS_UNLOCKED_RELEASE, STICK_TEST_HOOKS } from '../../../proxy/stick/table.ts';
import { TrackCounters, trackedReferences } from '../../../proxy/stick/track.ts';

const { defs, sabs, thread, keys, mode } = workerData as {
  defs: StickTableDef[];
  sabs: SharedArrayBuffer[];
  thread: number;
  keys: number[];
  mode: 'stall' | 'wait' | 'hold-lock' | 'bug-in-lock';
};
let skew = 0;
attachStickTables(defs, sabs, () => Date.now() + skew, thread);
setPanicHandler(() => process.exit(134), thread);
const t = threadStickTables().get('be')!;
const streams: TrackCounters[] = [];
for (const k of keys) {
  const c = new TrackCounters();
  if (!c.track(0, t, integerKey(k), true)) throw new Error(`could not track ${k}`);
  streams.push(c);
}
const spin = (): never => {
  for (;;);
};
if (mode === 'hold-lock') {
  shmLock(t.w, 7); // the table lock (table.ts H.LOCK)
  parentPort!.postMessage({ holding: trackedReferences() });
  spin();
}
parentPort!.postMessage({ holding: trackedReferences() });
if (mode === 'stall') setTimeout(spin, 10);
else if (mode === 'wait') parentPort!.once('message', () => process.exit(0));
else if (mode === 'bug-in-lock') {
  const h = t.acquire(integerKey(1000));
  skew = 3_600_000; // an hour later: the entry has expired
  FS_UNLOCKED_RELEASE.arm(1);
  STICK_TEST_HOOKS.afterUnlockedDrop = () => void t.expire(); // the expiry task frees it in between
  setTimeout(() => t.release(h), 10); // BUG_ON: double kill, inside the table lock
}
