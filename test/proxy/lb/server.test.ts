/**
 * Server lines and the predicates shared by the algorithms (proxy/lb/server.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  LbError,
  acceptsPersistent,
  createServers,
  isFull,
  isUsable,
  mut,
  parseWeightChange,
  serverStatus,
} from '../../../proxy/lb/server.ts';

describe('createServers', () => {
  it('applies HAProxy defaults: weight 1, no maxconn, active, ready and up', () => {
    const [s] = createServers([{ name: 'web1' }]);
    expect(s).toMatchObject({ name: 'web1', id: 1, weight: 1, initialWeight: 1, maxconn: 0, backup: false, admin: 'ready', oper: 'up', cur: 0, queued: 0 });
    expect(s.counters).toEqual({ qmax: 0, smax: 0, stot: 0, lbtot: 0 });
  });

  it('keeps explicit ids and gives the others the lowest free ids in declaration order', () => {
    const s = createServers([{ name: 'a' }, { name: 'b', id: 1 }, { name: 'c' }, { name: 'd', id: 3 }, { name: 'e' }]);
    expect(s.map((x) => x.id)).toEqual([2, 1, 4, 3, 5]);
  });

  it('`disabled` starts in maintenance', () => {
    expect(createServers([{ name: 'a', disabled: true }])[0].admin).toBe('maint');
  });

  it('rejects invalid lines naming the server', () => {
    expect(() => createServers([{ name: 'a', weight: 257 }])).toThrow("server 'a': weight must be an integer between 0 and 256, got 257");
    expect(() => createServers([{ name: 'a', weight: 1.5 }])).toThrow(LbError);
    expect(() => createServers([{ name: 'a', maxconn: -1 }])).toThrow("server 'a': maxconn must be an integer");
    expect(() => createServers([{ name: 'a', id: 0 }])).toThrow("server 'a': id must be an integer between 1");
    expect(() => createServers([{ name: 'a' }, { name: 'a' }])).toThrow("duplicate server name 'a'");
    expect(() => createServers([{ name: 'a', id: 2 }, { name: 'b', id: 2 }])).toThrow("server 'b': id 2 is already used");
  });
});

describe('predicates', () => {
  it('isUsable needs up, ready and a weight', () => {
    const [s] = createServers([{ name: 'a' }]);
    expect(isUsable(s)).toBe(true);
    for (const change of [{ oper: 'down' }, { admin: 'drain' }, { admin: 'maint' }, { weight: 0 }] as const) {
      const [t] = createServers([{ name: 'a' }]);
      Object.assign(mut(t), change);
      expect(isUsable(t), JSON.stringify(change)).toBe(false);
    }
  });

  it('acceptsPersistent: drain and weight 0 still accept; down and maint only with persist/force-persist', () => {
    const [a, b, c, d] = createServers([{ name: 'a' }, { name: 'b', weight: 0 }, { name: 'c' }, { name: 'd', disabled: true }]);
    mut(a).admin = 'drain';
    mut(c).oper = 'down';
    expect([a, b, c, d].map((s) => acceptsPersistent(s))).toEqual([true, true, false, false]);
    expect([c, d].map((s) => acceptsPersistent(s, true))).toEqual([true, true]);
  });

  it('isFull: only with a maxconn, when all slots are used or others already wait', () => {
    const [s, u] = createServers([{ name: 'a', maxconn: 2 }, { name: 'b' }]);
    expect(isFull(s)).toBe(false);
    mut(s).cur = 2;
    expect(isFull(s)).toBe(true);
    mut(s).cur = 1;
    mut(s).queued = 1;
    expect(isFull(s)).toBe(true);
    mut(u).cur = 1_000_000;
    expect(isFull(u)).toBe(false);
  });

  it('serverStatus gives the show stat status', () => {
    const [a, b, c, d, e] = createServers([{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd', weight: 0 }, { name: 'e', disabled: true }]);
    mut(b).oper = 'down';
    mut(c).admin = 'drain';
    mut(e).oper = 'down';
    expect([a, b, c, d, e].map(serverStatus)).toEqual(['UP', 'DOWN', 'DRAIN', 'DRAIN', 'MAINT']);
  });
});

describe('parseWeightChange (set weight)', () => {
  const [s] = createServers([{ name: 'a', weight: 30 }]);

  it('accepts absolute weights 0..256 as numbers or strings', () => {
    expect(parseWeightChange(s, 0, true)).toBe(0);
    expect(parseWeightChange(s, '256', true)).toBe(256);
    expect(parseWeightChange(s, 12, true)).toBe(12);
  });

  it('takes N% of the initial weight, rounded down and capped at 256', () => {
    expect(parseWeightChange(s, '50%', true)).toBe(15);
    expect(parseWeightChange(s, '33%', true)).toBe(9);
    expect(parseWeightChange(s, '0%', true)).toBe(0);
    expect(parseWeightChange(s, '1000%', true)).toBe(256);
    expect(parseWeightChange(s, '99999999%', true)).toBe(256);
  });

  it("answers with HAProxy's messages", () => {
    expect(() => parseWeightChange(s, '', true)).toThrow('Require <weight> or <weight%>.');
    expect(() => parseWeightChange(s, 'abc', true)).toThrow('Empty weight string empty or preceded by garbage');
    expect(() => parseWeightChange(s, '-5%', true)).toThrow('Relative weight must be positive.');
    expect(() => parseWeightChange(s, '257', true)).toThrow('Absolute weight can only be between 0 and 256 inclusive.');
    expect(() => parseWeightChange(s, -1, true)).toThrow('Absolute weight can only be between 0 and 256 inclusive.');
    expect(() => parseWeightChange(s, '5x', true)).toThrow('Trailing garbage in weight string');
    expect(() => parseWeightChange(s, '5%%', true)).toThrow('Trailing garbage in weight string');
  });

  it('static algorithms only accept 0 and the initial weight', () => {
    expect(parseWeightChange(s, '100%', false)).toBe(30);
    expect(parseWeightChange(s, 0, false)).toBe(0);
    expect(() => parseWeightChange(s, 10, false)).toThrow(
      "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.",
    );
  });
});
