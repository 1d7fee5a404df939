/**
 * Servers of a backend: building them from their configuration (configuration.txt §5.2), the
 * predicates every algorithm shares (usable, full), `set weight` argument parsing
 * (management.txt §9.3) and the `show stat` status of a server.
 */
import type {
  LbCounters,
  LbServer,
  LbServerSpec,
  ServerAdminState,
  ServerOperState,
  ServerStatus,
} from './lb.types.ts';

/** HAProxy's default server weight (configuration.txt §5.2 "weight"). */
export const DEFAULT_WEIGHT = 1;
/** Highest user weight (configuration.txt §5.2 "weight": 0..256). */
export const MAX_WEIGHT = 256;

/**
 * An error a user can meet (bad server line, bad runtime command argument). The message says
 * what is wrong and what is accepted; the runtime socket prints it as is.
 */
export class LbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LbError';
  }
}

/** The writable shape behind {@link LbServer}; only proxy/lb/ modules use it. */
export interface MutableServer {
  name: string;
  id: number;
  weight: number;
  initialWeight: number;
  maxconn: number;
  backup: boolean;
  admin: ServerAdminState;
  oper: ServerOperState;
  cur: number;
  queued: number;
  counters: LbCounters;
}

/** Internal: the writable view of a server created by {@link createServers}. */
export function mut(server: LbServer): MutableServer {
  return server as MutableServer;
}

function checkInt(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LbError(`${what} must be an integer between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/**
 * Builds the servers of one backend in declaration order. Ids: explicit `id`s are kept (they
 * must be unique and positive); the others get the lowest free id, in declaration order, as
 * HAProxy assigns them. Throws {@link LbError} naming the server for an invalid weight, maxconn
 * or id, or a duplicate name or id.
 */
export function createServers(specs: readonly LbServerSpec[]): LbServer[] {
  const names = new Set<string>();
  const taken = new Set<number>();
  for (const spec of specs) {
    if (names.has(spec.name)) throw new LbError(`duplicate server name '${spec.name}' in the backend`);
    names.add(spec.name);
    if (spec.id === undefined) continue;
    checkInt(spec.id, 1, 0x7fffffff, `server '${spec.name}': id`);
    if (taken.has(spec.id)) throw new LbError(`server '${spec.name}': id ${spec.id} is already used by another server`);
    taken.add(spec.id);
  }
  let nextFree = 1;
  return specs.map((spec) => {
    let id = spec.id;
    if (id === undefined) {
      while (taken.has(nextFree)) nextFree++;
      id = nextFree;
      taken.add(id);
    }
    const weight = checkInt(spec.weight ?? DEFAULT_WEIGHT, 0, MAX_WEIGHT, `server '${spec.name}': weight`);
    const maxconn = checkInt(spec.maxconn ?? 0, 0, 0x7fffffff, `server '${spec.name}': maxconn`);
    const server: MutableServer = {
      name: spec.name,
      id,
      weight,
      initialWeight: weight,
      maxconn,
      backup: spec.backup ?? false,
      admin: spec.disabled ? 'maint' : 'ready',
      oper: spec.oper ?? 'up',
      cur: 0,
      queued: 0,
      counters: { qmax: 0, smax: 0, stot: 0, lbtot: 0 },
    };
    return server;
  });
}

/**
 * True when the load-balancing algorithm may choose the server (HAProxy's srv_willbe_usable()):
 * operationally up, administratively ready (not draining, not in maintenance), weight > 0.
 */
export function isUsable(server: LbServer): boolean {
  return server.oper === 'up' && server.admin === 'ready' && server.weight > 0;
}

/**
 * True when the server may take a persistent request (cookie, stick table, `use-server`): it is
 * up and not in maintenance; draining and weight 0 do not matter. `option persist` or a matching
 * `force-persist` rule (`override`) also let requests reach a down or maintenance server.
 */
export function acceptsPersistent(server: LbServer, override = false): boolean {
  return override || (server.oper === 'up' && server.admin !== 'maint');
}

/**
 * True when a new request for this server must wait in its queue: it has a `maxconn` and either
 * all its slots are used or others already wait (so that they keep their turn), as in HAProxy's
 * assign_server_and_queue().
 */
export function isFull(server: LbServer): boolean {
  return server.maxconn > 0 && (server.queued > 0 || server.cur >= server.maxconn);
}

/**
 * The `status` column of `show stat`: MAINT, DOWN, DRAIN (drain state or weight 0, HAProxy's
 * server_is_draining()) or UP.
 */
export function serverStatus(server: LbServer): ServerStatus {
  if (server.admin === 'maint') return 'MAINT';
  if (server.oper === 'down') return 'DOWN';
  if (server.admin === 'drain' || server.weight === 0) return 'DRAIN';
  return 'UP';
}

/**
 * Parses the argument of `set weight` / `set server ... weight` (management.txt §9.3) as HAProxy's
 * server_parse_weight_change_request() does: an absolute weight 0..256, or `N%` of the server's
 * initial weight (rounded down, capped at 256). Numbers are taken as absolute weights. `dynamic`
 * is false for static algorithms (map-based hashing), which only accept 0 and the initial weight.
 * Throws {@link LbError} with HAProxy's messages.
 */
export function parseWeightChange(server: LbServer, value: number | string, dynamic: boolean): number {
  let w: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > MAX_WEIGHT) {
      throw new LbError('Absolute weight can only be between 0 and 256 inclusive.');
    }
    w = value;
  } else {
    const m = /^([+-]?\d+)(%?)(.*)$/.exec(value);
    if (value === '') throw new LbError('Require <weight> or <weight%>.');
    if (!m) throw new LbError('Empty weight string empty or preceded by garbage');
    const n = Number(m[1]);
    if (m[2] === '%' && m[3] === '') {
      if (n < 0) throw new LbError('Relative weight must be positive.');
      w = Math.min(Math.floor((server.initialWeight * Math.min(n, 25600)) / 100), MAX_WEIGHT);
    } else if (n < 0 || n > MAX_WEIGHT) {
      throw new LbError('Absolute weight can only be between 0 and 256 inclusive.');
    } else if (m[2] !== '' || m[3] !== '') {
      throw new LbError('Trailing garbage in weight string');
    } else {
      w = n;
    }
  }
  if (w !== 0 && w !== server.initialWeight && !dynamic) {
    throw new LbError("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.");
  }
  return w;
}
