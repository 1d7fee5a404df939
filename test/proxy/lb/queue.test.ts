/**
 * Queues of a backend (proxy/lb/queue.ts) driven with a virtual clock: FIFO order, maxconn,
 * `timeout queue`, server queue versus backend queue, persistence, `option redispatch`, servers
 * coming and going. Timelines recorded from a live HAProxy 2.6.12 are replayed in
 * balance.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../proxy/lb/balance.ts';
import type { BalancerOptions } from '../../../proxy/lb/balance.ts';
import type { BalanceAlgo, LbServer, LbServerSpec } from '../../../proxy/lb/lb.types.ts';
import { createQueue } from '../../../proxy/lb/queue.ts';
import type { LbQueue, QueueOptions } from '../../../proxy/lb/queue.ts';

interface Req {
  id: number;
}

function setup(
  algo: BalanceAlgo,
  servers: LbServerSpec[],
  opts: Partial<QueueOptions> = {},
  bopts: BalancerOptions = {},
): { q: LbQueue<Req>; s: (name: string) => LbServer } {
  const b = createBalancer(algo, servers, bopts);
  const q = createQueue<Req>(b, { timeoutQueue: 1000, ...opts });
  return { q, s: (name) => b.find(name)! };
}

const reqs = (n: number): Req[] => Array.from({ length: n }, (_, i) => ({ id: i + 1 }));

describe('dispatch', () => {
  it('assigns while slots are free, then queues in the backend queue', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }, { name: 'b', maxconn: 1 }]);
    const [r1, r2, r3] = reqs(3);
    expect(q.dispatch(r1, 0)).toEqual({ kind: 'assigned', server: s('a'), via: 'balance' });
    expect(q.dispatch(r2, 0)).toEqual({ kind: 'assigned', server: s('b'), via: 'balance' });
    expect(q.dispatch(r3, 5)).toEqual({ kind: 'queued', deadline: 1005 });
    expect(q.length()).toBe(1);
    expect([s('a').cur, s('b').cur]).toEqual([1, 1]);
  });

  it("answers 503 at once when no server is usable, and queues nothing (HAProxy's NOSRV)", () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }]);
    q.disable(s('a'), 0);
    expect(q.dispatch({ id: 1 }, 0)).toEqual({ kind: 'unavailable', status: 503, reason: 'no server available' });
    expect(q.length()).toBe(0);
  });

  it('a hashing algorithm queues on the designated server even when another one is free', () => {
    const { q, s } = setup('uri', [{ name: 'a', maxconn: 1 }, { name: 'b', maxconn: 1 }]);
    const first = q.dispatch({ id: 1 }, 0, { uri: '/same' });
    expect(first.kind).toBe('assigned');
    const home = (first as { server: LbServer }).server;
    const again = q.dispatch({ id: 2 }, 0, { uri: '/same' });
    expect(again).toEqual({ kind: 'queued', server: home, deadline: 1000 });
    expect(q.length(home)).toBe(1);
    expect(home.queued).toBe(1);
    const other = home === s('a') ? s('b') : s('a');
    expect(other.cur).toBe(0);
  });

  it('refuses to queue the same request twice', () => {
    const { q } = setup('roundrobin', [{ name: 'a', maxconn: 1 }]);
    const r = { id: 1 };
    q.dispatch({ id: 0 }, 0);
    q.dispatch(r, 0);
    expect(() => q.enqueue(r, 1)).toThrow('already queued');
  });
});

describe('FIFO and maxconn', () => {
  it('hands freed slots to waiters in arrival order', () => {
    const { q, s } = setup('leastconn', [{ name: 'a', maxconn: 2 }, { name: 'b', maxconn: 1 }]);
    const rs = reqs(8);
    rs.forEach((r, i) => q.dispatch(r, i * 10));
    expect(q.length()).toBe(5);
    const served: number[] = [];
    for (const [i, name] of ['a', 'b', 'a', 'a', 'b'].entries()) {
      const got = q.onRelease(s(name), 100 + i);
      expect(got).toHaveLength(1);
      expect(got[0].server).toBe(s(name));
      expect(got[0].from).toBe('backend');
      served.push(got[0].req.id);
    }
    expect(served).toEqual([4, 5, 6, 7, 8]);
    expect(q.onRelease(s('a'), 200)).toEqual([]);
  });

  it('never exceeds maxconn, under a random workload on a virtual clock', () => {
    const { q, s } = setup('roundrobin', [
      { name: 'a', maxconn: 3, weight: 2 },
      { name: 'b', maxconn: 1 },
      { name: 'c', maxconn: 2 },
    ]);
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const inFlight: { req: Req; server: LbServer }[] = [];
    const waitingOrder: number[] = [];
    const handedOrder: number[] = [];
    let next = 1;
    for (let now = 0; now < 5000; now += 7) {
      if (rand() < 0.5) {
        const req = { id: next++ };
        const r = q.dispatch(req, now);
        if (r.kind === 'assigned') inFlight.push({ req, server: r.server });
        else if (r.kind === 'queued') waitingOrder.push(req.id);
      }
      if (inFlight.length && rand() < 0.45) {
        const [done] = inFlight.splice(Math.floor(rand() * inFlight.length), 1);
        for (const h of q.onRelease(done.server, now)) {
          inFlight.push({ req: h.req, server: h.server });
          handedOrder.push(h.req.id);
        }
      }
      for (const f of q.expire(now)) waitingOrder.splice(waitingOrder.indexOf(f.req.id), 1);
      for (const name of ['a', 'b', 'c']) expect(s(name).cur).toBeLessThanOrEqual(s(name).maxconn);
      expect(inFlight.length).toBe(s('a').cur + s('b').cur + s('c').cur);
    }
    // Waiters were served in arrival order (those that did not time out).
    expect(handedOrder).toEqual([...handedOrder].sort((x, y) => x - y));
    expect(handedOrder.length).toBeGreaterThan(50);
  });
});

describe('timeout queue', () => {
  it('expires waiters at their deadline with 503, on the virtual clock', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }], { timeoutQueue: 500 });
    q.dispatch({ id: 1 }, 0);
    const r2 = { id: 2 };
    const r3 = { id: 3 };
    q.dispatch(r2, 100);
    q.dispatch(r3, 300);
    expect(q.nextDeadline()).toBe(600);
    expect(q.expire(599)).toEqual([]);
    expect(q.expire(600)).toEqual([{ req: r2, status: 503, reason: 'timeout queue', waited: 500, server: undefined }]);
    expect(q.nextDeadline()).toBe(800);
    expect(q.expire(10_000).map((f) => [f.req.id, f.waited])).toEqual([[3, 9700]]);
    expect(q.nextDeadline()).toBeUndefined();
    expect(q.onRelease(s('a'), 10_001)).toEqual([]);
  });

  it('expires server-queue waiters too and frees their place', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }], { timeoutQueue: 50 });
    q.dispatch({ id: 1 }, 0);
    q.dispatch({ id: 2 }, 0, { server: s('a') });
    expect(s('a').queued).toBe(1);
    const [f] = q.expire(50);
    expect(f.server).toBe(s('a'));
    expect(s('a').queued).toBe(0);
  });
});

describe('server queue and backend queue', () => {
  it('a freed slot goes to the oldest of the server queue head and the backend queue head', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }]);
    q.dispatch({ id: 1 }, 0);
    q.dispatch({ id: 2 }, 10); // backend queue
    q.dispatch({ id: 3 }, 20, { server: s('a') }); // persistent: a's queue
    q.dispatch({ id: 4 }, 30); // backend queue
    const order = [40, 50, 60].map((t) => q.onRelease(s('a'), t)[0]);
    expect(order.map((h) => [h.req.id, h.from])).toEqual([
      [2, 'backend'],
      [3, 'server'],
      [4, 'backend'],
    ]);
  });

  it('on equal age the server queue wins', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }]);
    q.dispatch({ id: 1 }, 0);
    q.dispatch({ id: 2 }, 10);
    q.dispatch({ id: 3 }, 10, { server: s('a') });
    expect(q.onRelease(s('a'), 20)[0].req.id).toBe(3);
  });

  it('a drained server still serves its own queue but not the backend queue', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }, { name: 'b', maxconn: 1 }]);
    q.dispatch({ id: 1 }, 0);
    q.dispatch({ id: 2 }, 0);
    q.dispatch({ id: 3 }, 5); // backend queue
    q.dispatch({ id: 4 }, 6, { server: s('a') }); // a's queue
    q.setState(s('a'), 'drain', 7);
    const got = q.onRelease(s('a'), 8);
    expect(got.map((h) => h.req.id)).toEqual([4]);
    expect(q.onRelease(s('a'), 9)).toEqual([]);
    expect(q.onRelease(s('b'), 10).map((h) => h.req.id)).toEqual([3]);
  });
});

describe('persistence', () => {
  it('a draining server still takes persistent requests; a server in maintenance does not', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a' }, { name: 'b' }]);
    q.setState(s('a'), 'drain', 0);
    expect(q.dispatch({ id: 1 }, 0, { server: s('a') })).toEqual({ kind: 'assigned', server: s('a'), via: 'persist' });
    q.setState(s('a'), 'maint', 0);
    expect(q.dispatch({ id: 2 }, 0, { server: s('a') })).toEqual({ kind: 'assigned', server: s('b'), via: 'balance' });
  });

  it('option persist and force-persist reach a down server', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a' }, { name: 'b' }], { persist: true });
    q.setOperational(s('a'), 'down', 0);
    expect(q.dispatch({ id: 1 }, 0, { server: s('a') })).toMatchObject({ kind: 'assigned', server: s('a') });
    const plain = setup('roundrobin', [{ name: 'a' }, { name: 'b' }]);
    plain.q.setOperational(plain.s('a'), 'down', 0);
    expect(plain.q.dispatch({ id: 1 }, 0, { server: plain.s('a'), forcePersist: true })).toMatchObject({ server: plain.s('a') });
    expect(plain.q.dispatch({ id: 2 }, 0, { server: plain.s('a') })).toMatchObject({ server: plain.s('b') });
  });

  it('a persistent request for a full server waits in that server queue', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }, { name: 'b' }]);
    q.dispatch({ id: 1 }, 0, { server: s('a') });
    expect(q.dispatch({ id: 2 }, 1, { server: s('a') })).toEqual({ kind: 'queued', server: s('a'), deadline: 1001 });
  });
});

describe('option redispatch', () => {
  function busy(redispatch: boolean, persist = false) {
    const t = setup('uri', [{ name: 'a', maxconn: 1 }, { name: 'b', maxconn: 1 }, { name: 'c', maxconn: 1 }], {
      redispatch,
      persist,
    });
    // Fill a, then queue three requests on it (persistence), one of them force-persist.
    t.q.dispatch({ id: 1 }, 0, { server: t.s('a') });
    const r2 = { id: 2 };
    const r3 = { id: 3 };
    const r4 = { id: 4 };
    t.q.dispatch(r2, 10, { server: t.s('a'), uri: '/two' });
    t.q.dispatch(r3, 20, { server: t.s('a'), uri: '/three', forcePersist: true });
    t.q.dispatch(r4, 30, { server: t.s('a'), uri: '/four' });
    return { ...t, r2, r3, r4 };
  }

  it('moves the waiters of a server put in maintenance to other servers, except force-persist', () => {
    const { q, s, r2, r3, r4 } = busy(true);
    const ev = q.setState(s('a'), 'maint', 100);
    expect(ev.failed).toEqual([]);
    // b and c are free: at least one of the two is connected at once; if both hash to the same
    // server the other waits in that server's queue.
    expect(ev.assigned.length).toBeGreaterThanOrEqual(1);
    for (const h of ev.assigned) {
      expect([r2, r4]).toContain(h.req);
      expect(h.server).not.toBe(s('a'));
    }
    expect(ev.assigned.length + q.length(s('b')) + q.length(s('c')) + q.length()).toBe(2);
    expect(q.length(s('a'))).toBe(1);
    expect(q.cancel(r3)).toBe(true);
  });

  it('a redispatched request that must wait again gets a fresh timeout queue', () => {
    const t = setup('roundrobin', [{ name: 'a', maxconn: 1 }, { name: 'b', maxconn: 1 }], { redispatch: true, timeoutQueue: 100 });
    t.q.dispatch({ id: 1 }, 0);
    t.q.dispatch({ id: 2 }, 0);
    const r = { id: 3 };
    t.q.dispatch(r, 10, { server: t.s('a') });
    const ev = t.q.setOperational(t.s('a'), 'down', 80);
    expect(ev).toEqual({ assigned: [], failed: [] });
    expect(t.q.length()).toBe(1);
    expect(t.q.nextDeadline()).toBe(180);
    expect(t.q.onRelease(t.s('b'), 90)).toEqual([{ req: r, server: t.s('b'), from: 'backend', waited: 10 }]);
  });

  it('answers 503 when a redispatched request finds no server left', () => {
    const t = setup('roundrobin', [{ name: 'a', maxconn: 1 }], { redispatch: true });
    t.q.dispatch({ id: 1 }, 0);
    const r = { id: 2 };
    t.q.dispatch(r, 5, { server: t.s('a') });
    const ev = t.q.disable(t.s('a'), 50);
    expect(ev.failed).toEqual([{ req: r, status: 503, reason: 'no server available', waited: 45, server: t.s('a') }]);
    expect(t.q.length(t.s('a'))).toBe(0);
  });

  it('without redispatch the waiters stay, and get the server slots that free up', () => {
    const { q, s } = busy(false);
    expect(q.setState(s('a'), 'maint', 100)).toEqual({ assigned: [], failed: [] });
    expect(q.length(s('a'))).toBe(3);
    expect(q.onRelease(s('a'), 110).map((h) => h.req.id)).toEqual([2]);
  });

  it('option persist disables redistribution', () => {
    const { q, s } = busy(true, true);
    q.setOperational(s('a'), 'down', 100);
    expect(q.length(s('a'))).toBe(3);
  });

  it('set weight 0 does not redistribute (HAProxy only does on down, maint and drain)', () => {
    const { q, s } = busy(true);
    expect(q.setWeight(s('a'), 0, 100)).toEqual({ assigned: [], failed: [] });
    expect(q.length(s('a'))).toBe(3);
  });

  it('redispatch() can be called directly, and is a no-op without the option', () => {
    const off = busy(false);
    expect(off.q.redispatch(off.s('a'), 50)).toEqual({ assigned: [], failed: [] });
    const on = busy(true);
    const ev = on.q.redispatch(on.s('a'), 50);
    // a is still usable, so a request may hash back to it and wait there again: none is lost.
    const queued = ['a', 'b', 'c'].reduce((n, x) => n + on.q.length(on.s(x)), on.q.length());
    expect(ev.failed).toEqual([]);
    expect(ev.assigned.length + queued).toBe(3);
  });
});

describe('servers coming back', () => {
  it('a server that becomes usable takes backend waiters up to its maxconn', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }, { name: 'b', maxconn: 2, disabled: true }]);
    for (const r of reqs(4)) q.dispatch(r, r.id);
    expect(q.length()).toBe(3);
    const ev = q.enable(s('b'), 100);
    expect(ev.assigned.map((h) => [h.req.id, h.server.name, h.waited])).toEqual([
      [2, 'b', 98],
      [3, 'b', 97],
    ]);
    expect(q.length()).toBe(1);
  });

  it('a backup taking over does not grab the backend queue (as HAProxy 2.6), an active coming back does', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }, { name: 'bk', maxconn: 5, backup: true }]);
    q.dispatch({ id: 1 }, 0);
    q.dispatch({ id: 2 }, 1);
    const ev = q.disable(s('a'), 2);
    expect(ev.assigned).toEqual([]);
    expect(q.length()).toBe(1);
    // New requests go to the backup.
    expect(q.dispatch({ id: 3 }, 3)).toMatchObject({ kind: 'assigned', server: s('bk') });
    q.onRelease(s('a'), 4);
    expect(q.enable(s('a'), 5).assigned.map((h) => [h.req.id, h.server.name])).toEqual([[2, 'a']]);
  });
});

describe('cancel and stats', () => {
  it('cancel removes a waiter wherever it is', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }]);
    q.dispatch({ id: 1 }, 0);
    const r2 = { id: 2 };
    const r3 = { id: 3 };
    q.dispatch(r2, 0);
    q.dispatch(r3, 0, { server: s('a') });
    expect(q.cancel(r2)).toBe(true);
    expect(q.cancel(r3)).toBe(true);
    expect(q.cancel(r3)).toBe(false);
    expect([q.length(), s('a').queued]).toEqual([0, 0]);
    expect(q.onRelease(s('a'), 1)).toEqual([]);
  });

  it('reports qcur/qmax for the backend and servers, with the balancer counters', () => {
    const { q, s } = setup('roundrobin', [{ name: 'a', maxconn: 1 }, { name: 'b', maxconn: 1 }]);
    for (const r of reqs(5)) q.dispatch(r, 0);
    q.dispatch({ id: 9 }, 0, { server: s('a') });
    expect(q.stats()).toMatchObject({ qcur: 3, qmax: 3, scur: 2, smax: 2, stot: 2, lbtot: 2 });
    expect(q.balancer.serverStats(s('a'))).toMatchObject({ qcur: 1, qmax: 1, scur: 1 });
    q.onRelease(s('b'), 1);
    expect(q.stats()).toMatchObject({ qcur: 2, qmax: 3, stot: 3, lbtot: 2 });
  });

  it('rejects a non-positive timeout queue', () => {
    const b = createBalancer('roundrobin', [{ name: 'a' }]);
    expect(() => createQueue(b, { timeoutQueue: 0 })).toThrow('timeoutQueue must be a positive number of milliseconds');
  });
});
