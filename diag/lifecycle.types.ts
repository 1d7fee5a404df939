/**
 * Lifecycle log types: what a reader (show sess, show conns, snapshot decoder) gets for each object.
 */

/** Kinds of objects that get process-unique ids. */
export const OBJ_KINDS = ['conn', 'stream', 'appctx', 'peer', 'stksess', 'quic_conn'] as const;
export type ObjKind = (typeof OBJ_KINDS)[number];

/** Lifecycle events. `state` carries a subsystem-defined state code in its argument. */
export const LC_EVENTS = [
  'create',
  'attach',
  'detach',
  'upgrade',
  'shutr',
  'shutw',
  'close',
  'free',
  'error',
  'timeout',
  'state',
  'request',
  'response',
] as const;
export type LcEvent = (typeof LC_EVENTS)[number];

/** One entry of an object's termination log. */
export interface LcLogEntry {
  time: number;
  event: LcEvent;
  arg: number;
}

/** An object as read from the live table (live, or recently freed and not yet reused). */
export interface LiveObject {
  id: number;
  kind: ObjKind;
  parentId: number;
  thread: number;
  live: boolean;
  created: number;
  lastEvent: number;
  /** Short description (addresses, frontend, request line), redacted by the writer. */
  info: string;
  /** Total events seen; the log keeps the first 4 and the last 12. */
  totalEvents: number;
  log: LcLogEntry[];
}
