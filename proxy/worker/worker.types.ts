/**
 * Messages between the supervisor and a worker thread, and what a worker is given at start.
 */
import type { Config } from '../config/config.types.ts';
import type { ProcessMemory, ThreadMemory } from '../../diag/recorder.types.ts';
import type { PoolOptions } from '../../diag/pool.types.ts';

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

/** Supervisor -> worker. */
export type ToWorker =
  | { type: 'stop'; graceMs: number }
  | { type: 'debug'; id: number; args: string[] }
  | QuicDatagramMessage;

/** Worker -> supervisor. */
export type FromWorker =
  | { type: 'ready'; listening: string[] }
  | { type: 'listen-error'; message: string }
  | { type: 'debug-result'; id: number; ok: boolean; text: string }
  | { type: 'stopped' }
  | QuicDatagramMessage;
