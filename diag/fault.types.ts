/**
 * Types shared by everything that raises, carries or decodes a fault: the worker that panics, the
 * supervisor that writes the post-mortem, and the decoder that explains it.
 */

/** Why a snapshot was written. Stable strings: they appear in snapshots, JSON output and tests. */
export type FaultKind =
  | 'bug' // BUG_ON(cond) was true
  | 'panic' // explicit panic (debug dev panic)
  | 'uncaught' // an uncaught exception or unhandled rejection in a worker
  | 'pool' // pool inconsistency (tag mismatch, double free, foreign item, integrity)
  | 'oom' // worker ran out of memory (resourceLimits)
  | 'stall' // watchdog found a worker that stopped making progress
  | 'signal' // a fatal signal reached the process
  | 'exit' // a worker exited on its own with a non-zero code
  | 'on-demand'; // asked for by an operator (runtime socket, CLI)

/** One stack frame as captured, before any source-map mapping. Lines and columns are 1-based. */
export interface RawFrame {
  /** Function name as V8 reports it ('' for anonymous). */
  fn: string;
  /** Script URL or path ('' when unknown, e.g. native frames). */
  file: string;
  line: number;
  col: number;
}

/** The object a thread was handling when it faulted (a stream, a connection, a pool item owner, ...). */
export interface FaultContext {
  /** Lifecycle id of the connection being handled, 0 if none. */
  connId: number;
  /** Lifecycle id of the stream being handled, 0 if none. */
  streamId: number;
  /** Free-form extra facts about the object (pool report fields, peer state, ...). */
  details?: Record<string, string | number | boolean>;
}

/** A fault as recorded by the thread that raised it (or by the supervisor for oom/stall/signal). */
export interface FaultRecord {
  kind: FaultKind;
  /** One-line message, e.g. "BUG_ON(buf == null) at proxy/quic/crypto.ts:88: ncbuf allocation failed". */
  message: string;
  /** Multi-line report when there is one (HAProxy's "FATAL: pool inconsistency detected ..." block). */
  report?: string;
  /** Worker thread number (1-based) or 0 for the supervisor. */
  thread: number;
  /** Wall-clock time of the fault, ms since the epoch. */
  time: number;
  /** The call chain at the fault, innermost first. */
  frames: RawFrame[];
  context: FaultContext;
}
