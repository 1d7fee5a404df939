/**
 * Per-worker backend objects built from the configuration: each backend's servers (as LbServerSpec),
 * its balancer and queues (proxy/lb), its idle server connections (proxy/stream/server-conn.ts), and
 * each frontend's compiled routing rules (`acl`, `use_backend`, `default_backend`, HAProxy
 * configuration manual 4.2 and 7). Built once per worker on first use and kept for its life.
 *
 * `maxconn` and the queues are per worker: with `nbthread N` a server may receive up to N x maxconn
 * concurrent requests (HAProxy shares them across its threads). Documented in the README.
 */
import type { BackendConfig, FrontendConfig, ServerConfig, SourceRef } from '../config/config.types.ts';
import type { H1HeadEvent } from '../h1/h1.types.ts';
import type { AclCondition, AclTable } from '../acl/acl.types.ts';
import type { Balancer } from '../lb/balance.ts';
import type { LbQueue, DispatchContext, QueueEvents } from '../lb/queue.ts';
import type { LbServer, LbServerSpec } from '../lb/lb.types.ts';
import { createBalancer } from '../lb/balance.ts';
import { createQueue } from '../lb/queue.ts';
import { compileAcl, defineAcl, newAclTable } from '../acl/acl.ts';
import { compileCondition, evaluate } from '../acl/condition.ts';
import { requestContextFromHead, type ConnectionFacts } from '../acl/context.ts';
import { tickClock } from '../../diag/ring.ts';
import { ServerState, SW, serverSlots } from './server-state.ts';
import { CTR } from './counters.ts';

/** HAProxy's `timeout connect` when none is set (it warns and waits forever; we bound it). */
export const DEFAULT_CONNECT_TIMEOUT = 5_000;

/**
 * A request waiting for a server slot (the queue's element type). `assigned` is called once it holds
 * a slot of `server` (balancer.take done: the holder must call {@link BackendRuntime.releaseSlot});
 * `ctr` is the server's record base in the traffic counters (proxy/stream/counters.ts, 0: none).
 * `failed` when it must be answered 503 (`timeout queue`, no usable server).
 */
export interface SlotWaiter {
  assigned(server: LbServer, waitedMs: number, ctr: number): void;
  failed(reason: string, waitedMs: number): void;
}

/** One backend of a worker. */
export interface BackendRuntime {
  readonly cfg: BackendConfig;
  readonly balancer: Balancer;
  readonly queue: LbQueue<SlotWaiter>;
  /** The configuration of each server, by server name. */
  readonly servers: ReadonlyMap<string, ServerConfig>;
  /** Effective `timeout connect`. */
  readonly connectTimeout: number;
  /** The backend's record base in this thread's traffic counters (proxy/stream/counters.ts CTR; 0: none). */
  readonly ctr: number;
  /** Idle (reusable) server connections, by server name; managed by server-conn.ts. */
  readonly idle: Map<string, unknown[]>;
  /**
   * Finds a slot for `w`: calls `w.assigned` (synchronously) when a server is free, queues it
   * (`timeout queue`, or `timeout connect` when unset, as HAProxy), or calls `w.failed` when no
   * server is usable (HAProxy's 503).
   */
  acquire(w: SlotWaiter, ctx: DispatchContext): void;
  /** Gives back the slot taken on `server`; the oldest waiter for it (if any) gets it. */
  releaseSlot(server: LbServer): void;
  /** Removes a waiter that no longer wants a slot (client gone). */
  cancel(w: SlotWaiter): void;
  /** Counts a failed connection attempt to `server` (`econ` of `show stat`, process-wide). */
  connFailed(server: LbServer): void;
}

function serverSpec(s: ServerConfig): LbServerSpec {
  return { name: s.name, weight: s.weight, maxconn: s.maxconn, backup: s.backup, disabled: s.disabled };
}

const now = (): number => performance.now();

/** The process-wide server state (proxy/stream/server-state.ts) and each server's slot in it. */
let shared: { state: ServerState; slots: Map<string, number> } | undefined;

/**
 * Attaches this worker to the process-wide server state the supervisor allocated for `config`
 * (WorkerInit.servers). Backends built afterwards follow its admin/oper/weight changes and add
 * their sessions to its counters. Without it (unit tests), backends are self-contained.
 */
export function attachServerState(sab: SharedArrayBuffer, config: readonly BackendConfig[]): void {
  const slots = new Map<string, number>();
  for (const r of serverSlots({ backends: [...config] })) slots.set(`${r.backend}/${r.server}`, r.slot);
  shared = { state: new ServerState(sab), slots };
}

/** How often a backend polls the shared version when no request comes (queued requests must follow). */
const SYNC_MS = 100;

/** Builds one backend's runtime objects. Throws (LbError) only for servers the parser let through invalid. */
export function createBackendRuntime(cfg: BackendConfig): BackendRuntime {
  const balancer = createBalancer(
    cfg.balance.algorithm,
    cfg.servers.map(serverSpec),
    cfg.balance.algorithm === 'uri'
      ? { uri: { len: cfg.balance.len, depth: cfg.balance.depth, whole: cfg.balance.whole, pathOnly: cfg.balance.pathOnly } }
      : {},
  );
  const connectTimeout = cfg.timeouts.connect ?? DEFAULT_CONNECT_TIMEOUT;
  const queue = createQueue<SlotWaiter>(balancer, {
    timeoutQueue: cfg.timeouts.queue ?? connectTimeout,
    redispatch: cfg.redispatch.enabled,
  });
  let timer: NodeJS.Timeout | undefined;
  const sh = shared;
  const slotOf = new Map<LbServer, number>();
  if (sh) for (const s of balancer.servers) slotOf.set(s, sh.slots.get(`${cfg.name}/${s.name}`) ?? -1);
  let seen = -1;
  // Traffic counter record bases (show stat), resolved once: the backend's and each server's.
  const beCtr = CTR.backendBase(cfg.name);
  const srvCtr = balancer.servers.map((s) => CTR.serverBase(slotOf.get(s) ?? -1));

  /** A server slot was handed out: shared session counters; returns the server's counter base. */
  function taken(server: LbServer, viaBalance: boolean): number {
    const i = slotOf.get(server);
    if (sh === undefined || i === undefined || i < 0) return 0;
    sh.state.onTake(i);
    if (viaBalance) sh.state.add(i, SW.lbtot, 1);
    const k = CTR.serverBase(i);
    CTR.serverSession(k);
    return k;
  }

  /** Publishes this thread's queue lengths (backend queue and each server's) after the queues moved. */
  function queuesMoved(): void {
    CTR.queued(beCtr, queue.length());
    balancer.servers.forEach((s, i) => CTR.queued(srvCtr[i]!, s.queued));
  }

  /**
   * Applies the shared admin/oper/weight of every server to this worker's balancer and queue when
   * the version word moved (one atomic load when nothing changed). Waiters the change concerns are
   * served or failed at once.
   */
  function sync(): void {
    if (!sh) return;
    const v = sh.state.version();
    if (v === seen) return;
    seen = v;
    const t = now();
    for (const [server, i] of slotOf) {
      if (i < 0) continue;
      const evs: QueueEvents<SlotWaiter>[] = [];
      const admin = sh.state.admin(i);
      if (admin !== server.admin) evs.push(queue.setState(server, admin, t));
      const oper = sh.state.oper(i);
      if (oper !== server.oper) evs.push(queue.setOperational(server, oper, t));
      const w = sh.state.weight(i);
      if (w !== server.weight) {
        try {
          evs.push(queue.setWeight(server, w, t));
        } catch {
          // The supervisor validated it against the same algorithm; nothing else to do.
        }
      }
      for (const e of evs) {
        for (const h of e.assigned) {
          const k = taken(h.server, h.from === 'backend');
          h.req.assigned(h.server, h.waited, k);
        }
        for (const f of e.failed) f.req.failed(f.reason, f.waited);
      }
    }
    queuesMoved(); // a state change may have served, failed or moved waiters (rare: the version moved)
    armTimer();
  }
  if (sh) setInterval(() => {
    tickClock();
    sync();
  }, SYNC_MS).unref();

  function armTimer(): void {
    clearTimeout(timer);
    timer = undefined;
    const next = queue.nextDeadline();
    if (next === undefined) return;
    timer = setTimeout(onTimer, Math.max(0, Math.ceil(next - now())));
  }

  function onTimer(): void {
    tickClock();
    const expired = queue.expire(now());
    if (expired.length > 0) queuesMoved();
    for (const f of expired) f.req.failed(f.reason, f.waited);
    armTimer();
  }

  const rt: BackendRuntime = {
    cfg,
    balancer,
    queue,
    servers: new Map(cfg.servers.map((s) => [s.name, s])),
    connectTimeout,
    ctr: beCtr,
    idle: new Map(),
    acquire(w, ctx) {
      sync();
      if (!ctx.avoid) CTR.backendSession(beCtr); // a redispatch (avoid set) is the same session
      const r = queue.dispatch(w, now(), ctx);
      if (r.kind === 'assigned') {
        const k = taken(r.server, r.via === 'balance');
        w.assigned(r.server, 0, k);
      }
      else if (r.kind === 'queued') {
        queuesMoved();
        armTimer();
      }
      else w.failed(r.reason, 0);
    },
    releaseSlot(server) {
      const i = slotOf.get(server);
      if (sh && i !== undefined && i >= 0) sh.state.onRelease(i);
      const handoffs = queue.onRelease(server, now());
      armTimer();
      if (handoffs.length > 0) queuesMoved();
      for (const h of handoffs) {
        const k = taken(h.server, h.from === 'backend');
        h.req.assigned(h.server, h.waited, k);
      }
    },
    cancel(w) {
      if (queue.cancel(w)) {
        queuesMoved();
        armTimer();
      }
    },
    connFailed(server) {
      const i = slotOf.get(server);
      if (sh && i !== undefined && i >= 0) sh.state.add(i, SW.econ, 1);
    },
  };
  return rt;
}

/** One `use_backend` rule, compiled. */
interface CompiledUseBackend {
  backend: string;
  cond: AclCondition | undefined;
}

/** A frontend's routing rules, compiled against its ACLs. */
export interface CompiledRouting {
  useBackends: CompiledUseBackend[];
  /** Alerts for lines that do not compile: where, and HAProxy's message. */
  errors: { ref: SourceRef; message: string }[];
}

/**
 * Compiles a frontend's `acl` lines and the conditions of its `use_backend` rules (HAProxy
 * configuration manual 7.1, 7.2). Lines that do not compile are listed in `errors` with HAProxy's
 * wording (the configuration check turns them into alerts) and left out.
 */
export function compileRouting(fe: FrontendConfig): CompiledRouting {
  const table: AclTable = newAclTable();
  const errors: CompiledRouting['errors'] = [];
  for (const a of fe.acls) {
    const r = compileAcl(['acl', a.name, ...a.tokens], a);
    if ('error' in r) errors.push({ ref: a, message: r.error });
    else defineAcl(table, r.acl);
  }
  const useBackends: CompiledUseBackend[] = [];
  for (const u of fe.useBackends) {
    if (!u.cond) {
      useBackends.push({ backend: u.backend, cond: undefined });
      continue;
    }
    const r = compileCondition([u.cond.kind, ...u.cond.tokens], table, u.cond);
    if ('error' in r) errors.push({ ref: u, message: `error detected while parsing switching rule : ${r.error}.` });
    else useBackends.push({ backend: u.backend, cond: r.cond });
  }
  return { useBackends, errors };
}

/** Routes the streams of one frontend. */
export interface Router {
  /**
   * The backend of a request (HAProxy's process_switching_rules()): the first `use_backend` whose
   * condition holds, else `default_backend`, else a `listen` section's own servers; undefined when
   * none applies (HAProxy's 503).
   */
  route(head: H1HeadEvent, facts: ConnectionFacts): BackendRuntime | undefined;
}

const runtimes = new WeakMap<BackendConfig, BackendRuntime>();
const routers = new WeakMap<FrontendConfig, Router>();

function runtimeOf(cfg: BackendConfig): BackendRuntime {
  let rt = runtimes.get(cfg);
  if (!rt) runtimes.set(cfg, (rt = createBackendRuntime(cfg)));
  return rt;
}

/** The router of `fe` in this worker, built on first use over `backends` (the configuration's). */
export function routerFor(fe: FrontendConfig, backends: readonly BackendConfig[]): Router {
  let r = routers.get(fe);
  if (r) return r;
  const byName = new Map(backends.map((b) => [b.name, b]));
  const compiled = compileRouting(fe);
  const rules = compiled.useBackends.map((u) => ({ cond: u.cond, be: byName.get(u.backend) }));
  const def = fe.defaultBackend ? byName.get(fe.defaultBackend.backend) : undefined;
  const own = fe.kind === 'listen' ? backends.find((b) => b.kind === 'listen' && b.name === fe.name && b.servers.length > 0) : undefined;
  r = {
    route(head, facts) {
      if (rules.length > 0) {
        const ctx = requestContextFromHead(head, facts);
        for (const rule of rules) if (rule.be && (!rule.cond || evaluate(rule.cond, ctx))) return runtimeOf(rule.be);
      }
      if (def) return runtimeOf(def);
      return own ? runtimeOf(own) : undefined;
    },
  };
  routers.set(fe, r);
  return r;
}
