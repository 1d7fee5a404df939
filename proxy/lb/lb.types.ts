/**
 * Types of the sans-IO load-balancing core (proxy/lb/): servers as a backend sees them, their
 * administrative and operational states, the balance algorithms and the counters `show stat`
 * reports. No logic lives here; the runtime socket, the stats renderer and diag/ can import it
 * without pulling the algorithms in.
 *
 * References are to HAProxy's documentation: configuration.txt §4.2 (`balance`, `hash-type`,
 * `option redispatch`, `option persist`, `retries`, `timeout queue`) and §5.2 (server keywords
 * `weight`, `maxconn`, `backup`, `disabled`, `id`), management.txt §9.3 (`set server`,
 * `set weight`, `enable server`, `disable server`, `show stat`).
 */

/**
 * Administrative state set by the operator (management.txt §9.3 "set server <b>/<s> state"):
 * - `ready`: normal; the server takes traffic when it is also operationally up;
 * - `drain`: no new load-balanced traffic; persistent requests (cookie, stick table) still go
 *   there and its own queue is still served;
 * - `maint`: no traffic at all, like a down server (only `option persist`/`force-persist` may
 *   still reach it). The `disabled` server keyword starts a server in this state.
 */
export type ServerAdminState = 'ready' | 'drain' | 'maint';

/** Operational state reported by health checks (their rise/fall counters live with the checks). */
export type ServerOperState = 'up' | 'down';

/** The `balance` algorithms implemented (configuration.txt §4.2 "balance"). */
export type BalanceAlgo = 'roundrobin' | 'leastconn' | 'source' | 'uri' | 'first';

/** Every algorithm name, for validation and help texts. */
export const BALANCE_ALGOS: readonly BalanceAlgo[] = ['roundrobin', 'leastconn', 'source', 'uri', 'first'];

/**
 * `hash-type <method> <function> [<modifier>]` (configuration.txt §4.2 "hash-type"), used by the
 * hashing algorithms (`source`, `uri`). HAProxy's default is `map-based sdbm` without avalanche;
 * `hash-type consistent` without a function means `consistent sdbm avalanche` (see
 * parseHashType() in hash.ts). `source` ignores the function (the address itself is the hash)
 * but honours `avalanche`.
 * - `map-based`: hash modulo the total weight of the running servers; static (weights can only be
 *   set to 0% or 100% at runtime) and most clients move when a server goes down or up;
 * - `consistent`: a ring of weight x 16 points per server; dynamic, and only the clients of a
 *   server that goes away move.
 */
export interface HashType {
  method: 'map-based' | 'consistent';
  fn: 'sdbm' | 'djb2' | 'wt6' | 'crc32';
  /** The `avalanche` modifier: apply a full 32-bit avalanche (Bob Jenkins' hash) to the result. */
  avalanche: boolean;
}

/** HAProxy's default hash type. */
export const DEFAULT_HASH_TYPE: HashType = { method: 'map-based', fn: 'sdbm', avalanche: false };

/**
 * Parameters of `balance uri [len <n>] [depth <n>] [whole] [path-only]` (configuration.txt §4.2
 * "balance"): by default the part of the request-target before '?' is hashed.
 */
export interface UriHashOptions {
  /** Hash the query string too (`whole`). */
  whole?: boolean;
  /** Hash at most this many characters (`len`); 0 or absent: no limit. */
  len?: number;
  /** Hash at most this many directory levels (`depth`, counted in '/'); 0 or absent: no limit. */
  depth?: number;
  /** Hash only the path of absolute-form targets, without scheme and authority (`path-only`). */
  pathOnly?: boolean;
}

/** A server line of a backend, as the configuration gives it (configuration.txt §5.2). */
export interface LbServerSpec {
  name: string;
  /** `id <n>`: numeric id; servers without one get the lowest free id, in declaration order. */
  id?: number;
  /** `weight <n>`: 0..256, default 1. */
  weight?: number;
  /** `maxconn <n>`: concurrent connections; 0 or absent means unlimited (no queueing). */
  maxconn?: number;
  /** `backup`: only used when no active server is usable. */
  backup?: boolean;
  /** `disabled`: starts in maintenance (admin state `maint`). */
  disabled?: boolean;
  /** Initial operational state; HAProxy starts checked servers up (`init-state`), default 'up'. */
  oper?: ServerOperState;
}

/** Cumulative and peak counters of one server or backend (names of `show stat` columns). */
export interface LbCounters {
  /** Highest number of queued requests seen. */
  qmax: number;
  /** Highest number of concurrent sessions seen. */
  smax: number;
  /** Sessions handed to the server (or the backend's servers) since start. */
  stot: number;
  /** Times the server was selected by the load-balancing algorithm (not by persistence). */
  lbtot: number;
}

/**
 * A server as the rest of the proxy sees it. Read it freely; change it only through the
 * balancer's runtime operations (and the queue's), which keep the algorithms' state consistent.
 */
export interface LbServer {
  readonly name: string;
  /** Numeric id (`id` keyword or auto-assigned); `first` fills servers in increasing id order. */
  readonly id: number;
  /** Current user weight, 0..256 (HAProxy's uweight). */
  readonly weight: number;
  /** Weight from the configuration; `set weight N%` is relative to it (HAProxy's iweight). */
  readonly initialWeight: number;
  /** 0 = unlimited. */
  readonly maxconn: number;
  readonly backup: boolean;
  readonly admin: ServerAdminState;
  readonly oper: ServerOperState;
  /** Connections (sessions) currently served: `scur`. */
  readonly cur: number;
  /** Requests waiting in this server's own queue: `qcur`. */
  readonly queued: number;
  readonly counters: Readonly<LbCounters>;
}

/** What the hashing algorithms need from a request; others ignore it. */
export interface PickContext {
  /** Client address (IPv4 dotted quad, IPv6, or IPv4-mapped IPv6) for `balance source`. */
  srcAddr?: string;
  /** Request-target as received (origin-form path or absolute-form) for `balance uri`. */
  uri?: string;
  /**
   * A server to avoid if another one is available (HAProxy's `srvtoavoid`: the server a retry
   * is being redispatched away from). It is still returned when it is the only choice.
   */
  avoid?: LbServer;
}

/** Server status as `show stat` prints it in the `status` column. */
export type ServerStatus = 'UP' | 'DOWN' | 'MAINT' | 'DRAIN';

/** One server's `show stat` figures owned by the load-balancing core. */
export interface ServerStats {
  name: string;
  id: number;
  status: ServerStatus;
  weight: number;
  iweight: number;
  backup: boolean;
  qcur: number;
  qmax: number;
  scur: number;
  smax: number;
  /** `maxconn`, or 0 when unlimited (HAProxy prints an empty `slim` then). */
  slim: number;
  stot: number;
  lbtot: number;
}

/** The backend line of `show stat` as far as the load-balancing core knows it. */
export interface BackendStats {
  /** Requests in the backend queue (not yet bound to a server). */
  qcur: number;
  qmax: number;
  /** Sum of the servers' current sessions. */
  scur: number;
  smax: number;
  stot: number;
  lbtot: number;
  /** Total effective weight of the servers in use, in user-weight units (HAProxy's `weight`). */
  weight: number;
  /** Usable active and backup servers (`act`, `bck`). */
  act: number;
  bck: number;
}
