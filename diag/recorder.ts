/**
 * Allocating and attaching the flight recorder of a thread. The supervisor allocates each worker's
 * memory (so it still holds it when the worker dies); the worker attaches to it at start.
 */
import type { ProcessMemory, RecorderSizes, ThreadMemory } from './recorder.types.ts';
import { createRingMemory, RingWriter } from './ring.ts';
import { createLiveTable, createIdCounter, Lifecycle } from './lifecycle.ts';
import { createThreadState, ThreadState } from './thread-state.ts';
import { createPoolMemory, attachPoolMemory } from './pool-memory.ts';
import { TraceControl } from './trace-control.ts';
import { attachTrace, tracePoints } from './trace.ts';

/** Default recorder sizes: a 1 MiB flight ring per thread, 4096 live-object slots. */
export const DEFAULT_SIZES: RecorderSizes = { rings: { flight: 1 << 20 }, liveSlots: 4096 };

/** Allocates the process-wide memory; `sinks` are ring names in sink-id order after `none`. */
export function createProcessMemory(ringNames: string[]): ProcessMemory {
  const ctl = new TraceControl();
  ctl.setSinks(['none', ...ringNames.filter((n) => n !== 'stderr'), 'stderr']);
  return { traceControl: ctl.sab, ids: createIdCounter() };
}

/** Allocates the recorder memory of thread `thread`. */
export function createThreadMemory(thread: number, sizes: RecorderSizes): ThreadMemory {
  const rings: Record<string, SharedArrayBuffer> = {};
  for (const [name, bytes] of Object.entries(sizes.rings)) rings[name] = createRingMemory(bytes, thread);
  return {
    thread,
    state: createThreadState(),
    live: createLiveTable(sizes.liveSlots, thread),
    pools: createPoolMemory(),
    rings,
  };
}

/** What a thread holds once attached to its recorder memory. */
export interface AttachedRecorder {
  thread: number;
  control: TraceControl;
  state: ThreadState;
  lifecycle: Lifecycle;
  rings: Record<string, RingWriter>;
}

/**
 * Attaches the calling thread to its recorder: trace points start writing into its rings, pools
 * mirror their counters into its pool memory, and the trace point registry is published so that a
 * reader in another thread (or a snapshot) can decode the records.
 */
export function attachRecorder(
  mem: ThreadMemory,
  proc: ProcessMemory,
  stderr?: (line: string) => void,
): AttachedRecorder {
  const control = new TraceControl(proc.traceControl);
  const rings: Record<string, RingWriter> = {};
  for (const [name, sab] of Object.entries(mem.rings)) rings[name] = new RingWriter(sab);
  attachTrace(control, mem.thread, rings, stderr);
  attachPoolMemory(mem.pools);
  const state = new ThreadState(mem.state);
  state.publish('points', tracePoints());
  return { thread: mem.thread, control, state, lifecycle: new Lifecycle(mem.live, proc.ids), rings };
}
