/**
 * The balancer as a whole (proxy/lb/balance.ts): the rules every algorithm shares (usable servers,
 * backup, drain/maint, weight 0, saturation), counters, runtime operations, and the replay of
 * decisions recorded from a real HAProxy 2.6.12 (haproxy-vectors.ts).
 */
import { describe, expect, it } from 'vitest';
import { createBalancer } from '../../../proxy/lb/balance.ts';
import type { Balancer } from '../../../proxy/lb/balance.ts';
import type { BalanceAlgo, LbServer, ServerAdminState } from '../../../proxy/lb/lb.types.ts';
import { LbError, createServers } from '../../../proxy/lb/server.ts';
import { createQueue } from '../../../proxy/lb/queue.ts';
import { PICK_VECTORS, QUEUE_VECTORS, serverLine } from './haproxy-vectors.ts';

const NAMES = 'abcdefgh';
const ALL_ALGOS: BalanceAlgo[] = ['roundrobin', 'leastconn', 'first', 'source', 'uri'];

function srv(b: Balancer, name: string): LbServer {
  const s = b.find(name);
  if (!s) throw new Error(`no server ${name}`);
  return s;
}

/** Picks n times, releasing each connection at once, and returns the names. */
function picks(b: Balancer, n: number, ctx: (i: number) => { uri?: string; srcAddr?: string } = () => ({})): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = b.pick(ctx(i));
    out.push(s ? s.name : '-');
    if (s) {
      b.take(s);
      b.release(s);
    }
  }
  return out;
}

/** Hash inputs for request i (ignored by the non-hashing algorithms). */
const ctx = (i: number) => ({ uri: `/obj/${i}`, srcAddr: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` });

describe('HAProxy 2.6.12 reference decisions', () => {
  for (const v of PICK_VECTORS) {
    it(`replays "${v.name}" (${v.balance}${v.hashType ? `, ${v.hashType}` : ''}) like HAProxy`, () => {
      const b = createBalancer(v.algo, v.servers.map((line, i) => serverLine(NAMES[i], line)), v.opts);
      const out: string[] = [];
      for (const a of v.actions) {
        if ('cmd' in a) {
          const w = /^set weight be\/(\w) (\S+)$/.exec(a.cmd);
          const st = /^set server be\/(\w) state (\w+)$/.exec(a.cmd);
          try {
            if (w) b.setWeight(srv(b, w[1]), w[2]);
            else if (st) b.setState(srv(b, st[1]), st[2] as ServerAdminState);
            else throw new Error(`unknown command ${a.cmd}`);
          } catch (e) {
            if (!(e instanceof LbError)) throw e;
            out.push(`!${e.message}`);
          }
        } else {
          const s = b.pick({ uri: a.req, srcAddr: a.src });
          if (s) {
            b.take(s);
            b.release(s);
          }
          out.push(s ? s.name : '503');
        }
      }
      expect(out).toEqual(v.expected);
    });
  }

  for (const v of QUEUE_VECTORS) {
    it(`replays the queue timeline "${v.name}" (${v.balance}${v.extra ? `, ${v.extra}` : ''}) like HAProxy`, () => {
      const b = createBalancer(v.algo, v.servers.map((line, i) => serverLine(NAMES[i], line)));
      const q = createQueue<number>(b, { timeoutQueue: 20_000, redispatch: v.redispatch });
      const where = new Map<number, LbServer>();
      const out: string[] = [];
      let now = 0;
      for (const a of v.acts) {
        now += 60;
        const got: string[] = [];
        const note = (req: number, s: LbServer): void => {
          got.push(`${req}=${s.name}`);
          where.set(req, s);
        };
        if ('open' in a) {
          const r = q.dispatch(a.open, now, { uri: a.uri });
          if (r.kind === 'assigned') note(a.open, r.server);
        } else if ('close' in a) {
          const s = where.get(a.close);
          if (!s) {
            out.push('NOTHELD');
            continue;
          }
          where.delete(a.close);
          for (const h of q.onRelease(s, now)) note(h.req, h.server);
        } else {
          const m = /^set server be\/(\w) state (\w+)$/.exec(a.cmd)!;
          for (const h of q.setState(srv(b, m[1]), m[2] as ServerAdminState, now).assigned) note(h.req, h.server);
        }
        out.push(got.sort().join(','));
      }
      expect(out).toEqual(v.expected);
    });
  }
});

describe('usable servers', () => {
  for (const algo of ALL_ALGOS) {
    it(`${algo}: a drained, maintenance, down or weight-0 server gets no load-balanced traffic`, () => {
      const b = createBalancer(algo, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }, { name: 'e', weight: 0 }]);
      b.setState(srv(b, 'a'), 'drain');
      b.setState(srv(b, 'b'), 'maint');
      b.setOperational(srv(b, 'c'), 'down');
      const seen = new Set(picks(b, 200, ctx));
      expect([...seen]).toEqual(['d']);
      expect(b.usableCount()).toEqual({ act: 1, bck: 0 });
    });

    it(`${algo}: returns undefined when no server is usable, and uses servers again when they return`, () => {
      const b = createBalancer(algo, [{ name: 'a' }, { name: 'b' }]);
      b.disable(srv(b, 'a'));
      b.setWeight(srv(b, 'b'), 0);
      expect(b.pick(ctx(1))).toBeUndefined();
      expect(b.hasUsable()).toBe(false);
      b.enable(srv(b, 'a'));
      expect(b.pick(ctx(1))?.name).toBe('a');
      b.setWeight(srv(b, 'b'), '100%');
      expect(new Set(picks(b, 200, ctx))).toEqual(new Set(algo === 'first' ? ['a'] : ['a', 'b']));
    });

    it(`${algo}: backup servers only when every active is unusable, and only the first usable backup`, () => {
      const b = createBalancer(algo, [
        { name: 'a' },
        { name: 'b' },
        { name: 'bk1', backup: true },
        { name: 'bk2', backup: true },
      ]);
      expect(picks(b, 100, ctx)).not.toContain('bk1');
      b.setOperational(srv(b, 'a'), 'down');
      expect(picks(b, 100, ctx)).not.toContain('bk1');
      b.setState(srv(b, 'b'), 'maint');
      expect(new Set(picks(b, 100, ctx))).toEqual(new Set(['bk1']));
      b.setState(srv(b, 'bk1'), 'drain');
      expect(new Set(picks(b, 100, ctx))).toEqual(new Set(['bk2']));
      b.setState(srv(b, 'bk1'), 'ready');
      expect(new Set(picks(b, 100, ctx))).toEqual(new Set(['bk1']));
      b.setOperational(srv(b, 'a'), 'up');
      expect(new Set(picks(b, 100, ctx))).toEqual(new Set(['a']));
    });
  }

  for (const algo of ['roundrobin', 'leastconn', 'first'] as const) {
    it(`${algo}: skips servers at their maxconn and returns undefined when all are saturated`, () => {
      const b = createBalancer(algo, [
        { name: 'a', maxconn: 1 },
        { name: 'b', maxconn: 2 },
      ]);
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        const s = b.pick()!;
        b.take(s);
        got.push(s.name);
      }
      expect(got.sort()).toEqual(['a', 'b', 'b']);
      expect(b.pick()).toBeUndefined();
      expect(b.hasUsable()).toBe(true);
      b.release(srv(b, 'b'));
      expect(b.pick()?.name).toBe('b');
    });

    it(`${algo}: avoids the server a retry leaves, unless it is the only choice`, () => {
      const b = createBalancer(algo, [{ name: 'a' }, { name: 'b' }]);
      for (let i = 0; i < 10; i++) expect(b.pick({ avoid: srv(b, 'a') })?.name).toBe('b');
      b.disable(srv(b, 'b'));
      expect(b.pick({ avoid: srv(b, 'a') })?.name).toBe('a');
    });
  }
});

describe('counters and stats', () => {
  it('counts lbtot per pick, stot/scur/smax per connection, for servers and the backend', () => {
    const b = createBalancer('roundrobin', [{ name: 'a' }, { name: 'b', maxconn: 10 }]);
    const a = srv(b, 'a');
    const bb = srv(b, 'b');
    b.pick();
    b.take(a);
    b.take(a);
    b.take(bb);
    b.release(a);
    expect(b.serverStats(a)).toMatchObject({ status: 'UP', scur: 1, smax: 2, stot: 2, lbtot: 1, weight: 1, iweight: 1, slim: 0 });
    expect(b.serverStats(bb)).toMatchObject({ scur: 1, smax: 1, stot: 1, lbtot: 0, slim: 10 });
    expect(b.stats()).toMatchObject({ scur: 2, smax: 3, stot: 3, lbtot: 1, weight: 2, act: 2, bck: 0 });
  });

  it('does not count lbtot when the only choice is the avoided server', () => {
    const b = createBalancer('roundrobin', [{ name: 'a' }]);
    b.pick({ avoid: srv(b, 'a') });
    expect(b.counters.lbtot).toBe(0);
    b.pick();
    expect(b.counters.lbtot).toBe(1);
  });

  it('reports MAINT, DOWN and DRAIN the way show stat does', () => {
    const b = createBalancer('roundrobin', [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }]);
    b.disable(srv(b, 'a'));
    b.setOperational(srv(b, 'b'), 'down');
    b.setState(srv(b, 'c'), 'drain');
    b.setWeight(srv(b, 'd'), 0);
    expect(b.servers.map((s) => b.serverStats(s).status)).toEqual(['MAINT', 'DOWN', 'DRAIN', 'DRAIN']);
    expect(b.stats()).toMatchObject({ act: 0, weight: 0 });
  });

  it('refuses to release a connection the server does not have', () => {
    const b = createBalancer('leastconn', [{ name: 'a' }]);
    expect(() => b.release(srv(b, 'a'))).toThrow(/has no connection/);
  });
});

describe('creation and runtime operations', () => {
  it('accepts server lines or servers built by createServers', () => {
    const servers = createServers([{ name: 'x', weight: 3 }, { name: 'y' }]);
    const b = createBalancer('roundrobin', servers);
    expect(b.servers[0]).toBe(servers[0]);
    expect(picks(b, 8)).toEqual(['x', 'x', 'x', 'y', 'x', 'x', 'x', 'y']);
  });

  it('rejects an unknown algorithm and foreign servers with a message saying what is accepted', () => {
    expect(() => createBalancer('random' as BalanceAlgo, [{ name: 'a' }])).toThrow(
      "unknown balance algorithm 'random', expected one of: roundrobin, leastconn, source, uri, first",
    );
    const b = createBalancer('roundrobin', [{ name: 'a' }]);
    const other = createServers([{ name: 'z' }])[0];
    expect(() => b.take(other)).toThrow("server 'z' does not belong to this backend");
    expect(() => b.setState(srv(b, 'a'), 'stopped' as ServerAdminState)).toThrow("expects 'ready', 'drain' and 'maint'");
  });

  it('set weight accepts N% of the initial weight, capped at 256, on dynamic algorithms', () => {
    const b = createBalancer('leastconn', [{ name: 'a', weight: 10 }]);
    expect(b.setWeight(srv(b, 'a'), '50%')).toBe(5);
    expect(b.setWeight(srv(b, 'a'), '3000%')).toBe(256);
    expect(b.setWeight(srv(b, 'a'), 7)).toBe(7);
    expect(srv(b, 'a').initialWeight).toBe(10);
    expect(() => b.setWeight(srv(b, 'a'), 300)).toThrow('Absolute weight can only be between 0 and 256 inclusive.');
  });

  it('static hashing only accepts 0 and the initial weight; consistent hashing accepts any', () => {
    const map = createBalancer('uri', [{ name: 'a', weight: 4 }]);
    expect(() => map.setWeight(srv(map, 'a'), 2)).toThrow("only accepts weights '0%' and '100%'");
    expect(map.dynamic).toBe(false);
    expect(map.setWeight(srv(map, 'a'), '0%')).toBe(0);
    expect(map.setWeight(srv(map, 'a'), 4)).toBe(4);
    const ch = createBalancer('uri', [{ name: 'a', weight: 4 }], { hashType: { method: 'consistent', fn: 'sdbm', avalanche: true } });
    expect(ch.dynamic).toBe(true);
    expect(ch.setWeight(srv(ch, 'a'), 2)).toBe(2);
  });
});
