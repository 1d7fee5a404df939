/**
 * Connection queues of a backend, as HAProxy's src/queue.c and assign_server_and_queue()
 * (src/backend.c) run them, without IO or timers: time is the `now` (milliseconds, any
 * monotonic origin) the caller passes.
 *
 * - A request that must wait for a server slot is queued: in the server's own queue when it is
 *   bound to that server (persistence, or a hashing algorithm designated a saturated server),
 *   otherwise in the backend queue (every usable server is at its `maxconn`). A request never
 *   queues when no server is usable at all: it gets HAProxy's 503 at once.
 * - When a slot frees (`onRelease`), HAProxy's process_srv_queue() hands it to the oldest of the
 *   head of the server's queue and the head of the backend queue (the server queue wins ties);
 *   the backend queue is only considered when the server may serve it (usable, and for a backup
 *   only while it is the backup in use). A server that comes back (pendconn_grab_from_px()) takes
 *   waiters of the backend queue up to its `maxconn`.
 * - `timeout queue` (configuration.txt §4.2): a request still queued after that long is removed
 *   by `expire()` and gets HAProxy's 503 (termination state `sQ`). HAProxy uses `timeout connect`
 *   when `timeout queue` is not set; the caller passes the effective value.
 * - `option redispatch` (configuration.txt §4.2): when a server goes down, into maintenance or
 *   into drain, the requests waiting in its queue are load-balanced again
 *   (pendconn_redistribute()): they get another server at once, or wait in the backend queue
 *   (with a fresh `timeout queue`, as HAProxy re-arms it), or get 503 when no server is left.
 *   Requests with `forcePersist` stay, and nothing moves under `option persist`. Without
 *   redispatch (and after `set weight 0`, as in HAProxy) they wait for a slot of that server,
 *   whose own queue is still served while it is unusable, or for `timeout queue`.
 *
 * Not implemented: `maxqueue`, priority classes (`http-request set-priority-class/offset`), the
 * dynamic maxconn of `minconn`/`fullconn`, and slow start.
 */
import type { Balancer } from './balance.ts';
import type { BackendStats, LbCounters, LbServer, PickContext, ServerAdminState, ServerOperState } from './lb.types.ts';
import { acceptsPersistent, isFull, mut } from './server.ts';

/** Backend options the queues follow. */
export interface QueueOptions {
  /** `timeout queue` in milliseconds (> 0). */
  timeoutQueue: number;
  /** `option redispatch`. */
  redispatch?: boolean;
  /** `option persist`: persistent requests may go to (and stay queued for) a down server. */
  persist?: boolean;
}

/** How a request is to be dispatched: hash inputs, and its persistence target if any. */
export interface DispatchContext extends PickContext {
  /** The server that persistence (cookie, stick table, use-server) designates. */
  server?: LbServer;
  /** A `force-persist` rule matched: the persistence target is used even if down. */
  forcePersist?: boolean;
}

/** Outcome of {@link LbQueue.dispatch}. */
export type DispatchResult =
  | { kind: 'assigned'; server: LbServer; via: 'persist' | 'balance' }
  | { kind: 'queued'; server?: LbServer; deadline: number }
  | { kind: 'unavailable'; status: 503; reason: string };

/** A queued request that got a server slot: connect it to `server` now. */
export interface Handoff<R> {
  req: R;
  server: LbServer;
  /** The queue it waited in. */
  from: 'server' | 'backend';
  /** Milliseconds spent in that queue. */
  waited: number;
}

/** A queued request that must be answered with 503. */
export interface QueueFailure<R> {
  req: R;
  status: 503;
  reason: 'timeout queue' | 'no server available';
  waited: number;
  /** The server it waited for, when it was bound to one. */
  server?: LbServer;
}

/** What a runtime change or a redispatch did to the waiting requests. */
export interface QueueEvents<R> {
  assigned: Handoff<R>[];
  failed: QueueFailure<R>[];
}

interface Entry<R> {
  req: R;
  ctx: DispatchContext;
  server: LbServer | undefined;
  queuedAt: number;
  deadline: number;
  prev: Entry<R> | undefined;
  next: Entry<R> | undefined;
}

/** A FIFO with O(1) unlinking of any entry. */
class Fifo<R> {
  head: Entry<R> | undefined;
  tail: Entry<R> | undefined;
  size = 0;

  push(e: Entry<R>): void {
    e.prev = this.tail;
    e.next = undefined;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.size++;
  }

  unlink(e: Entry<R>): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = undefined;
    this.size--;
  }

  *entries(): Generator<Entry<R>> {
    for (let e = this.head; e; ) {
      const next = e.next;
      yield e;
      e = next;
    }
  }
}

/** The queues of one backend and its servers. */
export interface LbQueue<R> {
  readonly balancer: Balancer;
  /**
   * Finds a server for `req` (HAProxy assign_server_and_queue()): its persistence target if that
   * server accepts it, else the load-balancing algorithm. The request is either assigned (a slot
   * is taken: connect now), queued until `deadline`, or unavailable (503, no usable server).
   * A persistence target that is down or in maintenance is ignored (the request is balanced)
   * unless `option persist` or `forcePersist`.
   */
  dispatch(req: R, now: number, ctx?: DispatchContext): DispatchResult;
  /**
   * Queues `req` without choosing: in `server`'s queue when given, else in the backend queue.
   * Returns its deadline. Throws if `req` is already queued.
   */
  enqueue(req: R, now: number, server?: LbServer, ctx?: DispatchContext): number;
  /** A connection of `server` ended: its slot goes to the oldest eligible waiter (if any). */
  onRelease(server: LbServer, now: number): Handoff<R>[];
  /** Removes and returns the requests whose `timeout queue` has passed (deadline <= now). */
  expire(now: number): QueueFailure<R>[];
  /** Removes a waiting request (client gone). Returns false if it was not queued. */
  cancel(req: R): boolean;
  /** The earliest deadline of the waiting requests, for the driver's timer. */
  nextDeadline(): number | undefined;
  /** Waiting requests: in the backend queue, or in `server`'s queue. */
  length(server?: LbServer): number;
  /** Redispatches the requests waiting for `server` (see module comment); no-op without redispatch. */
  redispatch(server: LbServer, now: number): QueueEvents<R>;
  /** `set server ... state`, then serve or redispatch the waiters it concerns. */
  setState(server: LbServer, state: ServerAdminState, now: number): QueueEvents<R>;
  /** A health-check verdict, then serve or redispatch the waiters it concerns. */
  setOperational(server: LbServer, state: ServerOperState, now: number): QueueEvents<R>;
  /**
   * `set weight`; a server that becomes usable then takes backend waiters, but a weight of 0 does
   * not redistribute (as in HAProxy). Throws like Balancer.setWeight.
   */
  setWeight(server: LbServer, weight: number | string, now: number): QueueEvents<R>;
  /** `enable server` (ready). */
  enable(server: LbServer, now: number): QueueEvents<R>;
  /** `disable server` (maint). */
  disable(server: LbServer, now: number): QueueEvents<R>;
  /** The backend line of `show stat` (balancer figures plus the backend queue). */
  stats(): BackendStats;
}

/**
 * Creates the queues of the backend balanced by `balancer`. All runtime changes of its servers
 * should then go through the queue's methods so that waiting requests follow them.
 */
export function createQueue<R>(balancer: Balancer, opts: QueueOptions): LbQueue<R> {
  if (!(opts.timeoutQueue > 0)) throw new RangeError(`timeoutQueue must be a positive number of milliseconds, got ${opts.timeoutQueue}`);
  const backendQueue = new Fifo<R>();
  const serverQueues = new Map<LbServer, Fifo<R>>(balancer.servers.map((s) => [s, new Fifo<R>()]));
  const index = new Map<R, Entry<R>>();
  const backendCounters = balancer.counters as LbCounters;

  function queueOf(server: LbServer | undefined): Fifo<R> {
    if (!server) return backendQueue;
    const q = serverQueues.get(server);
    if (!q) throw new RangeError(`server '${server.name}' does not belong to this backend`);
    return q;
  }

  function add(req: R, now: number, server: LbServer | undefined, ctx: DispatchContext): number {
    if (index.has(req)) throw new Error('request is already queued');
    const q = queueOf(server);
    const entry: Entry<R> = { req, ctx, server, queuedAt: now, deadline: now + opts.timeoutQueue, prev: undefined, next: undefined };
    q.push(entry);
    index.set(req, entry);
    if (server) {
      const s = mut(server);
      s.queued++;
      s.counters.qmax = Math.max(s.counters.qmax, s.queued);
    } else {
      backendCounters.qmax = Math.max(backendCounters.qmax, backendQueue.size);
    }
    return entry.deadline;
  }

  function remove(e: Entry<R>): void {
    queueOf(e.server).unlink(e);
    index.delete(e.req);
    if (e.server) mut(e.server).queued--;
  }

  function dispatch(req: R, now: number, ctx: DispatchContext = {}): DispatchResult {
    const target = ctx.server;
    if (target && acceptsPersistent(target, opts.persist || ctx.forcePersist)) {
      if (isFull(target)) return { kind: 'queued', server: target, deadline: add(req, now, target, ctx) };
      balancer.take(target);
      return { kind: 'assigned', server: target, via: 'persist' };
    }
    const server = balancer.pick(ctx);
    if (server) {
      if (isFull(server)) return { kind: 'queued', server, deadline: add(req, now, server, ctx) };
      balancer.take(server);
      return { kind: 'assigned', server, via: 'balance' };
    }
    if (balancer.hasUsable()) return { kind: 'queued', deadline: add(req, now, undefined, ctx) };
    return { kind: 'unavailable', status: 503, reason: 'no server available' };
  }

  /** process_srv_queue(): give `server`'s free slots to the oldest eligible waiters. */
  function serve(server: LbServer, now: number, out: Handoff<R>[]): void {
    const own = queueOf(server);
    const limit = server.maxconn || Infinity;
    while (server.cur < limit) {
      const p = own.head;
      const pp = backendQueue.head && balancer.servesBackendQueue(server) ? backendQueue.head : undefined;
      const e = p && pp ? (p.queuedAt <= pp.queuedAt ? p : pp) : (p ?? pp);
      if (!e) return;
      remove(e);
      balancer.take(server);
      out.push({ req: e.req, server, from: e === p ? 'server' : 'backend', waited: now - e.queuedAt });
    }
  }

  /** pendconn_grab_from_px(): a server that became usable takes backend waiters up to its maxconn. */
  function grab(server: LbServer, now: number, out: Handoff<R>[]): void {
    if (!balancer.servesBackendQueue(server)) return;
    const limit = server.maxconn || Infinity;
    for (let e = backendQueue.head; e && server.cur < limit; e = backendQueue.head) {
      remove(e);
      balancer.take(server);
      out.push({ req: e.req, server, from: 'backend', waited: now - e.queuedAt });
    }
  }

  function redispatch(server: LbServer, now: number): QueueEvents<R> {
    const events: QueueEvents<R> = { assigned: [], failed: [] };
    if (!opts.redispatch || opts.persist) return events;
    for (const e of [...queueOf(server).entries()]) {
      if (e.ctx.forcePersist) continue;
      remove(e);
      const ctx: DispatchContext = { ...e.ctx, server: undefined, avoid: server };
      const r = dispatch(e.req, now, ctx);
      if (r.kind === 'assigned') {
        events.assigned.push({ req: e.req, server: r.server, from: 'server', waited: now - e.queuedAt });
      } else if (r.kind === 'unavailable') {
        events.failed.push({ req: e.req, status: 503, reason: 'no server available', waited: now - e.queuedAt, server });
      } else {
        // Requeued: keep what was asked (hash input, force-persist) but not the avoided server.
        index.get(e.req)!.ctx = { ...e.ctx, server: undefined };
      }
    }
    return events;
  }

  /**
   * Applies a runtime change, then does what HAProxy's srv_update_status() does with the queues:
   * a server that went down, into maintenance or into drain has its waiters redispatched
   * (pendconn_redistribute(); not after a weight set to 0), and a server that became usable
   * takes waiters of the backend queue (pendconn_grab_from_px()). As in HAProxy, a backup that
   * takes over because the last active server left does not grab the backend queue: those
   * waiters are served when a server comes back, or time out.
   */
  function change(server: LbServer, now: number, redistribute: boolean, op: () => void): QueueEvents<R> {
    const was = balancer.isUsable(server);
    op();
    const is = balancer.isUsable(server);
    const events: QueueEvents<R> = was && !is && redistribute ? redispatch(server, now) : { assigned: [], failed: [] };
    if (!was && is) grab(server, now, events.assigned);
    return events;
  }

  return {
    balancer,
    dispatch,
    enqueue: (req, now, server, ctx = {}) => add(req, now, server, ctx),

    onRelease(server: LbServer, now: number): Handoff<R>[] {
      balancer.release(server);
      const out: Handoff<R>[] = [];
      serve(server, now, out);
      return out;
    },

    expire(now: number): QueueFailure<R>[] {
      const due = [...index.values()].filter((e) => e.deadline <= now).sort((a, b) => a.deadline - b.deadline);
      return due.map((e) => {
        remove(e);
        return { req: e.req, status: 503, reason: 'timeout queue', waited: now - e.queuedAt, server: e.server };
      });
    },

    cancel(req: R): boolean {
      const e = index.get(req);
      if (!e) return false;
      remove(e);
      return true;
    },

    nextDeadline(): number | undefined {
      let min: number | undefined;
      for (const e of index.values()) if (min === undefined || e.deadline < min) min = e.deadline;
      return min;
    },

    length: (server) => queueOf(server).size,
    redispatch,
    setState: (server, state, now) => change(server, now, true, () => balancer.setState(server, state)),
    setOperational: (server, state, now) => change(server, now, true, () => balancer.setOperational(server, state)),
    setWeight: (server, weight, now) => change(server, now, false, () => balancer.setWeight(server, weight)),
    enable: (server, now) => change(server, now, true, () => balancer.enable(server)),
    disable: (server, now) => change(server, now, true, () => balancer.disable(server)),

    stats(): BackendStats {
      return { ...balancer.stats(), qcur: backendQueue.size };
    },
  };
}
