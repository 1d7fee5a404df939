/**
 * A backend's load balancer: the servers, their runtime states and weights, and the `balance`
 * algorithm choosing among them (configuration.txt §4.2 "balance"). Sans-IO and synchronous:
 * the caller asks `pick()` for a server, reports connections with `take()`/`release()`, and
 * applies runtime commands (management.txt §9.3) through `setState()`, `setOperational()`,
 * `setWeight()`, `enable()`, `disable()`.
 *
 * Rules shared by every algorithm (HAProxy src/backend.c, src/lb_*.c):
 * - only usable servers are chosen: up, `ready` (not `drain`, not `maint`), weight > 0;
 * - backup servers are used only when no active server is usable, and then only the first
 *   usable backup in declaration order (`option allbackups`, which spreads the load over all
 *   backups, is not implemented);
 * - roundrobin, leastconn and first skip servers that are at their `maxconn` (or have requests
 *   waiting) and return undefined when all are saturated: the request goes to the backend queue;
 * - source and uri return the hashed server even when it is saturated, so that the request waits
 *   in that server's queue and keeps its affinity; without hash input they fall back to round
 *   robin.
 */
import type {
  BackendStats,
  BalanceAlgo,
  HashType,
  LbCounters,
  LbServer,
  LbServerSpec,
  PickContext,
  ServerAdminState,
  ServerOperState,
  ServerStats,
  UriHashOptions,
} from './lb.types.ts';
import { BALANCE_ALGOS, DEFAULT_HASH_TYPE } from './lb.types.ts';
import { createChash } from './chash.ts';
import { createFas } from './fas.ts';
import { Farm } from './farm.ts';
import type { LbAlgorithm, Slot } from './farm.ts';
import { createFwlc } from './fwlc.ts';
import { createFwrr } from './fwrr.ts';
import { fullHash, genHash, sourceHashKey, uriHashInput } from './hash.ts';
import { createMap } from './map.ts';
import type { HashKeyFn } from './map.ts';
import { LbError, createServers, isUsable, mut, parseWeightChange, serverStatus } from './server.ts';

/** Options of a backend's balancer besides the algorithm. */
export interface BalancerOptions {
  /** `hash-type` for source and uri (default map-based sdbm). */
  hashType?: HashType;
  /** `balance uri` parameters. */
  uri?: UriHashOptions;
}

/** A backend's servers and load-balancing algorithm. */
export interface Balancer {
  readonly algo: BalanceAlgo;
  /** Servers in declaration order. */
  readonly servers: readonly LbServer[];
  /** False for static algorithms (map-based hashing): weights can only be set to 0% or 100%. */
  readonly dynamic: boolean;
  /** Backend-wide counters (stot, lbtot, smax; qmax is kept by the queue). */
  readonly counters: Readonly<LbCounters>;
  /**
   * Chooses a server for a new request, or undefined when no server is usable or all are
   * saturated (tell them apart with {@link Balancer.hasUsable}). Counts `lbtot`. Does not take a
   * connection: call {@link Balancer.take} when the request is actually sent there.
   */
  pick(ctx?: PickContext): LbServer | undefined;
  /** A connection (session) is handed to `server`: cur, stot, smax; leastconn re-sorts. */
  take(server: LbServer): void;
  /** A connection of `server` ended. Throws if it had none (a bookkeeping bug). */
  release(server: LbServer): void;
  /** The server named `name`, if any. */
  find(name: string): LbServer | undefined;
  /** True when the algorithm may choose `server` now (see the module comment). */
  isUsable(server: LbServer): boolean;
  /** True when at least one server (active or backup) is usable. */
  hasUsable(): boolean;
  /** Usable active and backup servers. */
  usableCount(): { act: number; bck: number };
  /**
   * True when a free slot of `server` may be given to a request of the backend queue (HAProxy
   * pendconn_process_next_strm()): the server is usable, and if it is a backup, no active server
   * is usable and it is the backup in use.
   */
  servesBackendQueue(server: LbServer): boolean;
  /** `set server <b>/<s> state ready|drain|maint` (management.txt §9.3). */
  setState(server: LbServer, state: ServerAdminState): void;
  /** A health-check verdict: the server goes up or down. */
  setOperational(server: LbServer, state: ServerOperState): void;
  /**
   * `set weight <b>/<s> <weight>[%]` (management.txt §9.3): an absolute weight 0..256 or `N%` of
   * the initial weight. Returns the new weight. Throws {@link LbError} with HAProxy's messages,
   * including for static algorithms, which only accept 0 and the initial weight.
   */
  setWeight(server: LbServer, weight: number | string): number;
  /** `enable server`: state ready. */
  enable(server: LbServer): void;
  /** `disable server`: state maint. */
  disable(server: LbServer): void;
  /** The figures of `show stat` for one server. */
  serverStats(server: LbServer): ServerStats;
  /** The backend line of `show stat` (qcur is 0 here; the queue fills it in). */
  stats(): BackendStats;
}

function isServer(s: LbServer | LbServerSpec): s is LbServer {
  return 'counters' in s && 'cur' in s;
}

function hashKeyFn(algo: BalanceAlgo, type: HashType, uriOpts: UriHashOptions): HashKeyFn {
  if (algo === 'source') {
    return (ctx) => {
      const h = ctx.srcAddr === undefined ? undefined : sourceHashKey(ctx.srcAddr);
      return h === undefined || !type.avalanche ? h : fullHash(h);
    };
  }
  return (ctx) => (ctx.uri === undefined ? undefined : genHash(uriHashInput(ctx.uri, uriOpts), type));
}

function createAlgorithm(algo: BalanceAlgo, farm: Farm, opts: BalancerOptions): LbAlgorithm {
  switch (algo) {
    case 'roundrobin':
      return createFwrr(farm);
    case 'leastconn':
      return createFwlc(farm);
    case 'first':
      return createFas(farm);
    case 'source':
    case 'uri': {
      const type = opts.hashType ?? DEFAULT_HASH_TYPE;
      const keyOf = hashKeyFn(algo, type, opts.uri ?? {});
      return type.method === 'consistent' ? createChash(farm, keyOf) : createMap(farm, keyOf);
    }
  }
}

/**
 * Creates the balancer of one backend. `servers` are server lines (built with
 * {@link createServers}) or servers already built by it. Throws {@link LbError} for an unknown
 * algorithm or invalid servers.
 */
export function createBalancer(
  algo: BalanceAlgo,
  servers: readonly LbServerSpec[] | readonly LbServer[],
  opts: BalancerOptions = {},
): Balancer {
  if (!BALANCE_ALGOS.includes(algo)) {
    throw new LbError(`unknown balance algorithm '${algo}', expected one of: ${BALANCE_ALGOS.join(', ')}`);
  }
  const list: LbServer[] = servers.every(isServer) ? [...(servers as readonly LbServer[])] : createServers(servers as LbServerSpec[]);
  const farm = new Farm(list.map(mut));
  const algorithm = createAlgorithm(algo, farm, opts);
  const counters: LbCounters = { qmax: 0, smax: 0, stot: 0, lbtot: 0 };
  let scur = 0;

  for (const slot of farm.slots) {
    slot.curEw = slot.nextEw = algorithm.eweight(slot.srv.weight);
    slot.curUsable = slot.nextUsable = isUsable(slot.srv) && slot.curEw > 0;
  }
  farm.recount();
  algorithm.init();

  function slotOf(server: LbServer): Slot {
    const slot = farm.slotOf(server);
    if (!slot) throw new LbError(`server '${server.name}' does not belong to this backend`);
    return slot;
  }

  /** srv_update_status(): propagate a state or weight change to the algorithm, then commit. */
  function apply(slot: Slot): void {
    slot.nextEw = algorithm.eweight(slot.srv.weight);
    slot.nextUsable = isUsable(slot.srv) && slot.nextEw > 0;
    if (slot.nextEw === slot.curEw && slot.nextUsable === slot.curUsable) return;
    algorithm.update(slot);
    slot.curEw = slot.nextEw;
    slot.curUsable = slot.nextUsable;
    farm.recount();
  }

  const balancer: Balancer = {
    algo,
    servers: list,
    dynamic: algorithm.dynamic,
    counters,

    pick(ctx: PickContext = {}): LbServer | undefined {
      const avoid = ctx.avoid ? slotOf(ctx.avoid) : undefined;
      const slot = algorithm.pick(ctx, avoid);
      if (!slot) return undefined;
      if (slot !== avoid) {
        slot.srv.counters.lbtot++;
        counters.lbtot++;
      }
      return slot.srv;
    },

    take(server: LbServer): void {
      const slot = slotOf(server);
      const s = slot.srv;
      s.cur++;
      s.counters.stot++;
      s.counters.smax = Math.max(s.counters.smax, s.cur);
      scur++;
      counters.stot++;
      counters.smax = Math.max(counters.smax, scur);
      algorithm.reposition?.(slot);
    },

    release(server: LbServer): void {
      const slot = slotOf(server);
      if (slot.srv.cur <= 0) throw new Error(`release() on server '${server.name}' which has no connection`);
      slot.srv.cur--;
      scur--;
      algorithm.reposition?.(slot);
    },

    find: (name) => list.find((s) => s.name === name),
    isUsable: (server) => slotOf(server).curUsable,
    hasUsable: () => farm.srvAct + farm.srvBck > 0,
    usableCount: () => ({ act: farm.srvAct, bck: farm.srvBck }),

    servesBackendQueue(server: LbServer): boolean {
      const slot = slotOf(server);
      if (!slot.curUsable) return false;
      return !server.backup || (farm.srvAct === 0 && farm.fbck === slot);
    },

    setState(server: LbServer, state: ServerAdminState): void {
      if (state !== 'ready' && state !== 'drain' && state !== 'maint') {
        throw new LbError("'set server <srv> state' expects 'ready', 'drain' and 'maint'.");
      }
      const slot = slotOf(server);
      slot.srv.admin = state;
      apply(slot);
    },

    setOperational(server: LbServer, state: ServerOperState): void {
      if (state !== 'up' && state !== 'down') throw new LbError(`operational state must be 'up' or 'down', got '${state}'`);
      const slot = slotOf(server);
      slot.srv.oper = state;
      apply(slot);
    },

    setWeight(server: LbServer, weight: number | string): number {
      const slot = slotOf(server);
      slot.srv.weight = parseWeightChange(server, weight, algorithm.dynamic);
      apply(slot);
      return slot.srv.weight;
    },

    enable: (server) => balancer.setState(server, 'ready'),
    disable: (server) => balancer.setState(server, 'maint'),

    serverStats(server: LbServer): ServerStats {
      slotOf(server);
      return {
        name: server.name,
        id: server.id,
        status: serverStatus(server),
        weight: server.weight,
        iweight: server.initialWeight,
        backup: server.backup,
        qcur: server.queued,
        qmax: server.counters.qmax,
        scur: server.cur,
        smax: server.counters.smax,
        slim: server.maxconn,
        stot: server.counters.stot,
        lbtot: server.counters.lbtot,
      };
    },

    stats(): BackendStats {
      const inUse = farm.srvAct ? farm.slots.filter((s) => s.curUsable && !s.srv.backup) : farm.fbck ? [farm.fbck] : [];
      return {
        qcur: 0,
        qmax: counters.qmax,
        scur,
        smax: counters.smax,
        stot: counters.stot,
        lbtot: counters.lbtot,
        weight: inUse.reduce((sum, s) => sum + s.srv.weight, 0),
        act: farm.srvAct,
        bck: farm.srvBck,
      };
    },
  };
  return balancer;
}
