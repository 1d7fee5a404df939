import { afterEach, describe, expect, it } from 'vitest';
import { PanicError } from '../../../diag/invariants.ts';
import { integerKey } from '../../../proxy/stick/key.ts';
import { FS_UNLOCKED_RELEASE, SLOT, STICK_TEST_HOOKS, StickTable, createStickTable } from '../../../proxy/stick/table.ts';
import { stickDef, virtualTable } from './helpers.ts';

/** Runs `f` and returns the BUG_ON message it raised. */
function bug(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof PanicError) {
      expect(e.fault.kind).toBe('bug');
      return e.message;
    }
    throw e;
  }
  throw new Error('expected a BUG_ON');
}

afterEach(() => {
  FS_UNLOCKED_RELEASE.disarm();
  STICK_TEST_HOOKS.afterUnlockedDrop = undefined;
});

describe('the reference rule: stksessKill', () => {
  it('a double kill is a BUG_ON naming the entry, not a silent corruption', () => {
    const { t } = virtualTable('stick-table type integer size 4');
    const h = t.acquire(integerKey(1));
    t.release(h);
    t.kill(h);
    expect(bug(() => t.kill(h))).toMatch(/^BUG_ON: stksessKill: entry slot 0 of stick-table 'be' is already free: double kill \(kill\)$/);
    expect(t.verify()).toEqual([]);
  });

  it('killing a referenced entry is a BUG_ON with its use count', () => {
    const { t } = virtualTable('stick-table type integer size 4');
    const h = t.acquire(integerKey(1));
    t.lookup(integerKey(1));
    expect(bug(() => t.kill(h))).toMatch(/is still referenced \(use=2\)/);
    expect(t.has(integerKey(1))).toBe(true);
  });

  it('a stale handle (slot killed and reused) cannot kill or release the new entry', () => {
    const { t } = virtualTable('stick-table type integer size 1');
    const old = t.acquire(integerKey(1));
    t.release(old);
    const fresh = t.acquire(integerKey(2)); // purges 1, reuses slot 0
    expect(fresh % 2 ** 26).toBe(old % 2 ** 26);
    t.release(fresh);
    expect(bug(() => t.kill(old))).toMatch(/stale or foreign handle on slot 0/);
    expect(bug(() => t.release(old))).toMatch(/stale or foreign handle on slot 0/);
    expect(t.has(integerKey(2))).toBe(true);
  });

  it('a handle of another table is refused (generation), a slot owned by another table too (owner tag)', () => {
    const def = stickDef('stick-table type integer size 4');
    const a = new StickTable(createStickTable(def), def);
    const b = new StickTable(createStickTable(def), def);
    const ha = a.acquire(integerKey(1));
    b.release(b.acquire(integerKey(1)));
    a.release(ha);
    expect(bug(() => b.kill(ha))).toMatch(/stale or foreign handle/);
    // memory of b's slot overwritten with a foreign owner: the kill names both tags
    const hb = b.acquire(integerKey(1));
    b.release(hb);
    const base = b.w.length - b.layout.slotWords * def.size; // slot 0: the slots end the buffer
    b.w[base + SLOT.OWNER] = 4242;
    expect(bug(() => b.kill(hb))).toMatch(/freed into stick-table 'be' \(tag \d+\) but owned by tag 4242/);
  });

  it('releasing more than taken is a BUG_ON', () => {
    const { t } = virtualTable('stick-table type integer size 4');
    const h = t.acquire(integerKey(1));
    t.release(h);
    expect(bug(() => t.release(h))).toMatch(/would drop below 0 \(released more than taken\)/);
  });

  it('stksessKill outside the table lock is a BUG_ON', () => {
    const { t } = virtualTable('stick-table type integer size 4');
    const h = t.acquire(integerKey(1));
    t.release(h);
    expect(bug(() => t.stksessKill(h, 'test'))).toMatch(/table lock of 'be' not held/);
  });
});

describe('expiry racing a release (seed crash 5), simulated deterministically', () => {
  const setup = () => {
    const v = virtualTable('stick-table type integer size 8 expire 100');
    const h = v.t.acquire(integerKey(7)); // a stream tracks the entry
    v.clock.now += 150; // the entry expired while tracked
    return { ...v, h };
  };

  it('expiry first, then the release: expiry skips the referenced entry, the release kills it once', () => {
    const { t, h } = setup();
    expect(t.expire().killed).toBe(0);
    expect(t.release(h)).toBe(true);
    expect(t.expire().killed).toBe(0);
    expect(t.stats().kills).toBe(1);
    expect(t.verify()).toEqual([]);
  });

  it('release first, then expiry: killed once by the release, expiry finds nothing', () => {
    const { t, h } = setup();
    t.lookup(integerKey(7)); // a second holder (a peer sending it)
    expect(t.release(h)).toBe(false); // not the last reference
    expect(t.expire().killed).toBe(0);
    expect(t.release(h)).toBe(true); // the last one
    expect(t.stats().kills).toBe(1);
    expect(t.verify()).toEqual([]);
  });

  it('expiry running between the (locked) drop and the kill cannot interleave: the lock serialises them', () => {
    const { t, h } = setup();
    // the drop and the kill happen in one critical section; an expiry pass only runs before or after
    const order: string[] = [];
    order.push(t.release(h) ? 'release-killed' : 'release');
    order.push(`expire-${t.expire().killed}`);
    expect(order).toEqual(['release-killed', 'expire-0']);
  });

  it('with the unlocked drop of the original defect, expiry frees the entry in between and the release kill is caught as a double kill', () => {
    const { t, h } = setup();
    FS_UNLOCKED_RELEASE.arm(1);
    STICK_TEST_HOOKS.afterUnlockedDrop = () => {
      expect(t.expire().killed).toBe(1); // the expiry task saw ref 0 and freed the entry
    };
    expect(bug(() => t.release(h))).toMatch(/stksessKill: entry slot \d+ of stick-table 'be' is already free: double kill \(release\)/);
    expect(t.stats().kills).toBe(1); // freed exactly once: the second free never happened
    expect(t.verify()).toEqual([]);
  });
});
