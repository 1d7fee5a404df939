import { afterEach, describe, expect, it } from 'vitest';
import { PanicError, checkHits } from '../../../diag/invariants.ts';
import { integerKey } from '../../../proxy/stick/key.ts';
import { shmLock, shmLockHolder } from '../../../proxy/stick/lock.ts';
import { FS_UNLOCKED_RELEASE, SLOT, STICK_TEST_HOOKS, StickTable, createStickTable, stickLayout, stickLedgerBytes } from '../../../proxy/stick/table.ts';
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

describe('the reference ledger: what a dead worker held is dropped by the supervisor', () => {
  /** One buffer with ledgers for 2 worker threads, and views of thread 1, thread 2 and the supervisor (0), on one virtual clock. */
  function threads(line = 'stick-table type integer size 16 expire 10s store conn_cur') {
    const def = stickDef(line);
    const sab = createStickTable(def, 0, 2);
    const clock = { now: 1_000_000 };
    const now = () => clock.now;
    return { def, sab, clock, w1: new StickTable(sab, def, now, 1), w2: new StickTable(sab, def, now, 2), sup: new StickTable(sab, def, now) };
  }
  const useOf = (t: StickTable, k: number) => t.list({ key: integerKey(k) })[0]?.use;

  it('counts each thread\'s takes and drops; releaseThread drops only the dead thread\'s, then zeroes its ledger', () => {
    const { w1, w2, sup } = threads();
    const a1 = w1.acquire(integerKey(1));
    w1.lookup(integerKey(1));
    const b1 = w1.acquire(integerKey(2));
    w2.acquire(integerKey(1));
    sup.lookup(integerKey(2)); // the supervisor's own (a peer sending it): not in any ledger
    expect([sup.ledgerCount(1), sup.ledgerCount(2)]).toEqual([3, 1]);
    w1.touchAndRelease(b1);
    w1.release(a1);
    expect([sup.ledgerCount(1), useOf(sup, 1), useOf(sup, 2)]).toEqual([1, 2, 1]);
    w1.acquire(integerKey(3));
    expect(sup.verify()).toEqual([]);
    const r = sup.releaseThread(1);
    expect(r).toEqual({ released: 2, entries: 2, killed: 0, locksFreed: 0, problems: [] });
    expect([useOf(sup, 1), useOf(sup, 2), useOf(sup, 3)]).toEqual([1, 1, 0]); // thread 2's and the supervisor's stay
    expect([sup.ledgerCount(1), sup.ledgerCount(2)]).toEqual([0, 1]);
    expect(sup.releaseThread(1).released).toBe(0); // nothing twice
    expect(sup.verify()).toEqual([]);
  });

  it('an entry that expired while the dead thread held it is killed by the release, once, as a last release would; the others expire on time', () => {
    const { w1, sup, clock } = threads();
    w1.acquire(integerKey(1));
    clock.now += 5000;
    w1.acquire(integerKey(2)); // touched later: expires 5 s after key 1
    clock.now += 6000; // key 1 expired, key 2 not
    expect(sup.expire().killed).toBe(0); // referenced: expiry skips both
    const r = sup.releaseThread(1);
    expect(r).toMatchObject({ released: 2, entries: 2, killed: 1 });
    expect(sup.current).toBe(1);
    expect(sup.list().map((v) => [v.key, v.use, v.exp])).toEqual([['2', 0, 4000]]);
    clock.now += 4000;
    expect(sup.expire().killed).toBe(1);
    expect(sup.current).toBe(0);
    expect(sup.stats().kills).toBe(2);
    expect(sup.verify()).toEqual([]);
  });

  it('a replacement attached on the same thread number starts from a zeroed ledger and keeps its own count', () => {
    const { def, sab, w1, sup } = threads();
    w1.acquire(integerKey(1));
    sup.releaseThread(1);
    const again = new StickTable(sab, def, Date.now, 1);
    const h = again.acquire(integerKey(1));
    expect(sup.ledgerCount(1)).toBe(1);
    again.release(h);
    expect(sup.ledgerCount(1)).toBe(0);
    expect(sup.verify()).toEqual([]);
  });

  it('a table lock and an entry lock left by a thread ended inside them are freed, and the table is checked', () => {
    const { def, w1, sup, sab } = threads();
    w1.acquire(integerKey(1));
    // what terminate() leaves: the lock words still name thread 1's view (this test thread's holder id)
    const w = new Int32Array(sab);
    const l = stickLayout(def);
    const tableLock = 7; // table.ts H.LOCK
    const entryLock = 32 + l.buckets + def.size + sup.list()[0]!.slot * l.slotWords + SLOT.LOCK; // header, buckets, free stack, slots
    shmLock(w, entryLock);
    shmLock(w, tableLock);
    const r = sup.releaseThread(1);
    expect(r).toMatchObject({ released: 1, locksFreed: 2, problems: [] });
    expect([shmLockHolder(w, tableLock), shmLockHolder(w, entryLock)]).toEqual([0, 0]);
    expect(useOf(sup, 1)).toBe(0);
  });

  it('a drop of a reference the thread never took is a CHECK_IF, not an underflow of its ledger', () => {
    const { w1, w2, sup } = threads();
    const h = w1.acquire(integerKey(1));
    w2.release(h); // wrong thread: REF goes down (the reference rule is the caller's), ledgers do not
    expect([sup.ledgerCount(1), sup.ledgerCount(2)]).toEqual([1, 0]);
    expect(checkHits().some((c) => /drops a reference on slot 0 of stick-table 'be' that its ledger does not hold/.test(c.message))).toBe(true);
    const r = sup.releaseThread(1); // the ledger says 1, use=0: reported, nothing dropped below 0
    expect(r.released).toBe(0);
    expect(r.problems).toEqual(["slot 0: the ledger of thread 1 holds 1 reference(s), the entry has use=0"]);
    expect(sup.verify()).toEqual([]);
  });

  it('a thread holding 65535 references on one entry is refused the next one, counted', () => {
    const { w1, sup } = threads();
    expect(w1.acquire(integerKey(1))).toBeGreaterThanOrEqual(0);
    let ok = 1;
    for (let i = 1; i < 0xffff; i++) if (w1.lookup(integerKey(1)) >= 0) ok++;
    expect(ok).toBe(0xffff);
    expect(w1.acquire(integerKey(1))).toBe(-1);
    expect(w1.lookup(integerKey(1))).toBe(-1);
    expect(sup.ledgerRefused).toBe(2);
    expect(sup.releaseThread(1).released).toBe(0xffff);
    expect(useOf(sup, 1)).toBe(0);
  });

  it('seed crash 5 still re-created with a ledger: the unlocked drop is counted once, the double kill caught, the ledger consistent', () => {
    const { w1, sup, clock } = threads('stick-table type integer size 8 expire 1s');
    const h = w1.acquire(integerKey(42));
    clock.now += 5000;
    FS_UNLOCKED_RELEASE.arm(1);
    STICK_TEST_HOOKS.afterUnlockedDrop = () => {
      expect(sup.expire().killed).toBe(1);
    };
    expect(bug(() => w1.release(h))).toMatch(/already free: double kill \(release\)/);
    expect(sup.ledgerCount(1)).toBe(0);
    expect(sup.releaseThread(1)).toEqual({ released: 0, entries: 0, killed: 0, locksFreed: 0, problems: [] });
    expect(sup.stats().kills).toBe(1);
    expect(sup.verify()).toEqual([]);
  });

  it('refuses a view for a thread the buffer has no ledger for, and releaseThread of such a thread', () => {
    const { def, sab, sup } = threads();
    expect(() => new StickTable(sab, def, Date.now, 3)).toThrow(/no reference ledger for worker thread 3 \(the shared buffer has 2/);
    expect(() => sup.releaseThread(0)).toThrow(RangeError);
    const plain = virtualTable('stick-table type integer size 4');
    expect(() => plain.t.releaseThread(1)).toThrow(/the buffer has 0/);
    expect(stickLedgerBytes(def, 2)).toBe(16 + 16 * 2 * 2);
    expect(sab.byteLength).toBe(stickLayout(def).bytes + stickLedgerBytes(def, 2));
  });
});
