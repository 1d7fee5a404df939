/**
 * The recorder memory of one thread and of the process: every SharedArrayBuffer the supervisor
 * hands a worker at start, keeps after the worker died, and copies into a snapshot.
 */

/** One thread's recorder memory. Thread 0 is the supervisor; workers are 1..nbthread. */
export interface ThreadMemory {
  thread: number;
  /** Heartbeat, counters, published documents (diag/thread-state.ts). */
  state: SharedArrayBuffer;
  /** Live-object table (diag/lifecycle.ts). */
  live: SharedArrayBuffer;
  /** Pool counters and registry (diag/pool-memory.ts). */
  pools: SharedArrayBuffer;
  /** This thread's shard of each ring, by ring name (`flight` always, plus configured rings). */
  rings: Record<string, SharedArrayBuffer>;
}

/** Process-wide recorder memory shared by all threads. */
export interface ProcessMemory {
  /** Trace control (diag/trace-control.ts). */
  traceControl: SharedArrayBuffer;
  /** Process-unique object id counter (diag/lifecycle.ts). */
  ids: SharedArrayBuffer;
}

/** Sizes of the recorder memory of one thread. */
export interface RecorderSizes {
  /** Ring name -> bytes per thread. `flight` must be present. */
  rings: Record<string, number>;
  /** Live-object table slots. */
  liveSlots: number;
}
