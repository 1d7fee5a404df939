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

/**
 * What an object is doing, per kind: the live table stores the index, readers print the name. Index 0
 * (`none`) is an object whose subsystem has not reported a state (or the only state of kinds that do
 * not report any yet). Codes are only ever appended, so tables written by older builds keep decoding.
 *
 * - `conn` (a client connection of the HTTP/1.1 driver): `waiting-request` (accepted, nothing received
 *   yet), `reading-request` (first byte of a request seen, its head not complete), `serving` (a stream
 *   is being answered), `idle-keepalive` (between requests), `tunnel` (after a 101).
 *   A server connection (proxy/stream/server-conn.ts): `connecting` (under `timeout connect`),
 *   `active` (carrying a stream, whose state says what it waits for), `idle` (parked for reuse).
 * - `stream`: `queued` (waiting for a server slot), `connecting` (to the server), `receiving-body` (the
 *   request head went to the server, its body is still arriving from the client), `waiting-response`
 *   (request sent, no response head yet), `sending-body` (response head sent to the client, its body
 *   being forwarded), `tunnel` (after a 101).
 */
export const LC_STATES = {
  conn: ['none', 'waiting-request', 'reading-request', 'serving', 'idle-keepalive', 'tunnel', 'connecting', 'active', 'idle'],
  stream: ['none', 'queued', 'connecting', 'receiving-body', 'waiting-response', 'sending-body', 'tunnel'],
  appctx: ['none'],
  peer: ['none'],
  stksess: ['none'],
  quic_conn: ['none'],
} as const satisfies Record<ObjKind, readonly string[]>;

/**
 * State codes of connections (indexes in LC_STATES.conn): a client connection's, then a server
 * connection's (`connecting`, `active` carrying a stream, `idle` waiting for reuse).
 */
export const LC_CONN_STATE = {
  none: 0,
  'waiting-request': 1,
  'reading-request': 2,
  serving: 3,
  'idle-keepalive': 4,
  tunnel: 5,
  connecting: 6,
  active: 7,
  idle: 8,
} as const;
/** State codes of streams (indexes in LC_STATES.stream). */
export const LC_STREAM_STATE = { none: 0, queued: 1, connecting: 2, 'receiving-body': 3, 'waiting-response': 4, 'sending-body': 5, tunnel: 6 } as const;

/**
 * The timer an object is waiting on, named after the HAProxy timeout that arms it (configuration
 * manual 4.2 "timeout ..."); `none`: no timer. `client`, `server` and `tunnel` are inactivity timers
 * (their expiry moves while data flows); `http-request`, `http-keep-alive`, `connect` and `queue`
 * are deadlines.
 */
export const LC_TIMERS = ['none', 'client', 'http-request', 'http-keep-alive', 'connect', 'server', 'queue', 'tunnel'] as const;
export type LcTimer = (typeof LC_TIMERS)[number];
/** Timer codes (indexes in LC_TIMERS). */
export const LC_TIMER = { none: 0, client: 1, 'http-request': 2, 'http-keep-alive': 3, connect: 4, server: 5, queue: 6, tunnel: 7 } as const;
/** Timer codes by the HAProxy keyword a driver names its timer with (`'timeout http-request'`); 0 for others. */
export const LC_TIMER_OF_KEYWORD: Readonly<Record<string, number>> = {
  'timeout client': LC_TIMER.client,
  'timeout http-request': LC_TIMER['http-request'],
  'timeout http-keep-alive': LC_TIMER['http-keep-alive'],
  'timeout connect': LC_TIMER.connect,
  'timeout server': LC_TIMER.server,
  'timeout queue': LC_TIMER.queue,
  'timeout tunnel': LC_TIMER.tunnel,
};

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
  /**
   * What it is doing (a name of LC_STATES for its kind). Absent when read from a table or snapshot
   * written before states were recorded (live-table layout 0).
   */
  state?: string;
  /** The timer it waits on (`none`: no timer, always so once freed); absent like `state`. */
  timer?: LcTimer;
  /** When that timer expires (epoch ms, 0 for none); absent like `state`. */
  expires?: number;
}
