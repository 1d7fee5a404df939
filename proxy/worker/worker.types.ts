/**
 * Messages between the supervisor and a worker thread, and what a worker is given at start.
 */
import type { Config } from '../config/config.types.ts';
import type { ProcessMemory, ThreadMemory } from '../../diag/recorder.types.ts';
import type { PoolOptions } from '../../diag/pool.types.ts';
import type { QuicConnRecord } from '../quic/show.types.ts';

/** workerData of a worker thread. */
export interface WorkerInit {
  thread: number;
  /** Number of worker threads (global maxconn is split across them). */
  nbthread: number;
  config: Config;
  mem: ThreadMemory;
  proc: ProcessMemory;
  /** Process-wide server state (proxy/stream/server-state.ts), shared with the supervisor. */
  servers: SharedArrayBuffer;
  /** Traffic counters of `show stat` (proxy/stream/counters.ts): this worker writes slice `thread`. */
  counters: SharedArrayBuffer;
  /** One buffer per stick-table, in `config.stickTables` order (proxy/stick/registry.ts attachStickTables). */
  stickTables: SharedArrayBuffer[];
  pools: Partial<PoolOptions>;
  /** Heartbeat period in ms (the watchdog compares against watchdog-timeout). */
  heartbeatMs: number;
  /**
   * 32 random bytes drawn once by the supervisor, the same for every worker and its replacements:
   * keys of QUIC Retry tokens and stateless reset tokens derive from it (proxy/quic/udp/listener.ts).
   * Never written to snapshots.
   */
  quicSecret?: Uint8Array;
  /**
   * Epoch ms before which QUIC listeners send no stateless reset: set by a process started as a
   * reload (`run -sf`), until its predecessor must have stopped (QuicListenerOptions.quietResetsUntil).
   */
  quietResetsUntil?: number;
}

/**
 * A QUIC datagram handed to the worker whose thread owns its connection (proxy/quic/udp/dispatcher.ts):
 * sent by the receiving worker, relayed as is by the supervisor to worker `to`. `data` is a fresh
 * buffer, transferred (never shared); `listener` names the bind (`<frontend>|<host>:<port>`, the same on
 * every thread).
 */
export interface QuicDatagramMessage {
  type: 'quic-dgram';
  to: number;
  from: number;
  listener: string;
  data: ArrayBuffer;
  remoteAddress: string;
  remotePort: number;
}

/**
 * Live information only a worker holds, asked by the supervisor for a runtime command and answered
 * with a {@link WorkerQueryResult} of the same id (Supervisor.queryWorkers waits a bounded time):
 * `quic`: a record of every QUIC connection of the worker (`show quic`, `show sess <id>`).
 */
export interface WorkerQuery {
  type: 'query';
  id: number;
  what: 'quic';
}

/** A worker's answer to a {@link WorkerQuery}: the records, or the error it met collecting them. */
export interface WorkerQueryResult {
  type: 'query-result';
  id: number;
  thread: number;
  quic?: QuicConnRecord[];
  error?: string;
}

/** What Supervisor.queryWorkers gives for one thread: the worker's result, or why there is none. */
export interface WorkerQueryAnswer {
  thread: number;
  result?: WorkerQueryResult;
  error?: string;
}

/** Supervisor -> worker. */
export type ToWorker =
  | { type: 'stop'; graceMs: number }
  | { type: 'debug'; id: number; args: string[] }
  | WorkerQuery
  | QuicDatagramMessage;

/** Worker -> supervisor. */
export type FromWorker =
  | { type: 'ready'; listening: string[] }
  | { type: 'listen-error'; message: string }
  | { type: 'debug-result'; id: number; ok: boolean; text: string }
  | WorkerQueryResult
  | { type: 'stopped' }
  | QuicDatagramMessage;
