import { describe, expect, it } from 'vitest';
import { createHealth, feed, isUp } from '../../../proxy/checks/health.ts';
import { apply } from '../../../proxy/checks/checker.ts';
import type { ProbeResult } from '../../../proxy/checks/probe.ts';
import { SW } from '../../../proxy/stream/server-state.ts';
import { states } from './helpers.ts';

/** Feeds a string of results ('+' passed, '-' failed) and returns the transitions, one char per check. */
function run(rise: number, fall: number, results: string): string {
  const h = createHealth(rise, fall);
  return [...results].map((r) => ({ up: 'U', down: 'D', undefined: '.' })[String(feed(h, r === '+')) as 'up']).join('');
}

describe('health counter (HAProxy rise/fall)', () => {
  it('starts up with health = rise: the first failure puts the server down (init-state up)', () => {
    const h = createHealth(2, 3);
    expect(isUp(h)).toBe(true);
    expect(h.health).toBe(2);
    expect(feed(h, false)).toBe('down');
    expect(h.health).toBe(0);
  });

  it('needs rise consecutive successes to come back, then fall consecutive failures to go down', () => {
    expect(run(2, 3, '-++')).toBe('D.U');
    // fully up after rise: three failures to go down
    expect(run(2, 3, '-++---')).toBe('D.U..D');
    // a success in between restores one point only
    expect(run(2, 3, '-++--+-')).toBe('D.U....');
    expect(run(2, 3, '-++--+--')).toBe('D.U....D');
  });

  it('while down, a failure resets the progress towards rise', () => {
    expect(run(3, 2, '-++-+++')).toBe('D.....U');
  });

  it('successes from the initial state climb to rise+fall-1 without a transition', () => {
    const h = createHealth(2, 3);
    for (let i = 0; i < 10; i++) expect(feed(h, true)).toBeUndefined();
    expect(h.health).toBe(4);
    expect(feed(h, false)).toBeUndefined();
    expect(feed(h, false)).toBeUndefined();
    expect(feed(h, false)).toBe('down');
  });

  it('rejects rise or fall below 1', () => {
    expect(() => createHealth(0, 1)).toThrow(RangeError);
  });
});

describe('check results applied to the shared state (virtual clock: one result per inter)', () => {
  const refused: ProbeResult = { passed: false, status: 'L4CON', code: 0, info: 'Connection refused', durationMs: 0 };
  const ok: ProbeResult = { passed: true, status: 'L7OK', code: 200, info: 'OK', durationMs: 1 };

  it('flips the operational state after fall failures and back after rise successes, logging like HAProxy', () => {
    const { st, log } = states(['backend be', '    server s1 127.0.0.1:9001 check inter 100 rise 2 fall 2', '    server s2 127.0.0.1:9002 check']);
    const s1 = st.backend('be')!.servers[0]!;
    const h = createHealth(2, 2);
    apply(st, s1, h, ok); // 2 -> 3 (fully up)
    apply(st, s1, h, refused);
    expect(st.state.oper(s1.slot)).toBe('up');
    const v = st.state.version();
    apply(st, s1, h, refused);
    expect(st.state.oper(s1.slot)).toBe('down');
    expect(st.state.version()).toBeGreaterThan(v);
    expect(st.state.get(s1.slot, SW.chkdown)).toBe(1);
    expect(st.state.get(s1.slot, SW.chkfail)).toBe(2);
    expect(log).toEqual([
      expect.stringMatching(
        /^\[WARNING\] {2}\(\d+\) : Server be\/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$/,
      ),
    ]);
    apply(st, s1, h, ok);
    expect(st.state.oper(s1.slot)).toBe('down');
    apply(st, s1, h, ok);
    expect(st.state.oper(s1.slot)).toBe('up');
    expect(log[1]).toMatch(/^\[NOTICE\] {3}\(\d+\) : Server be\/s1 is UP, reason: Layer7 check passed, code: 200, info: "OK", check duration: 1ms\. 2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$/);
    expect(st.state.get(s1.slot, SW.checkCode)).toBe(200);
  });

  it('alerts when the last server of a backend goes down', () => {
    const { st, log } = states(['backend be', '    server s1 127.0.0.1:9001 check']);
    const s1 = st.backend('be')!.servers[0]!;
    apply(st, s1, createHealth(2, 3), refused);
    expect(log[1]).toMatch(/^\[ALERT\] {4}\(\d+\) : backend 'be' has no server available!$/);
  });
});
