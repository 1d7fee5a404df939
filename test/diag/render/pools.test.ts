import { afterEach, describe, expect, it } from 'vitest';
import { renderShowPools, SHOW_POOLS_USAGE } from '../../../diag/render/pools.ts';
import { configurePools, declarePool, poolsView, resetPools, DEFAULT_POOL_OPTIONS } from '../../../diag/pool.ts';
import type { PoolStat, PoolsView } from '../../../diag/pool.types.ts';

function pool(p: Partial<PoolStat> & Pick<PoolStat, 'id' | 'name' | 'size'>): PoolStat {
  return {
    kind: 'object',
    realSize: p.size + 8,
    users: 1,
    userNames: [p.name],
    shared: true,
    allocated: 0,
    used: 0,
    cached: 0,
    neededAvg: 0,
    failures: 0,
    callers: [],
    ...p,
  };
}

function view(pools: PoolStat[], thread = 1): PoolsView {
  return {
    thread,
    pools,
    totals: { pools: pools.length, allocatedBytes: 0, usedBytes: 0, cachedBytes: 0, failures: 0 },
    options: { ...DEFAULT_POOL_OPTIONS, thread },
  };
}

const THREAD1 = view([
  pool({ id: 1, name: 'buffer', kind: 'buffer', size: 16384, realSize: 16392, allocated: 10, used: 4, neededAvg: 6, failures: 2 }),
  pool({ id: 2, name: 'spoe_appctx', size: 200, users: 2, userNames: ['spoe_appctx', 'stksess'], allocated: 3, used: 2, neededAvg: 2 }),
  pool({ id: 3, name: 'connection', size: 320, allocated: 0 }),
  pool({ id: 4, name: 'stream', size: 200, shared: false, allocated: 1, used: 1, neededAvg: 1 }),
]);

const LINE = {
  buffer:
    '  - Pool buffer (16384 bytes) : 10 allocated (163840 bytes), 4 used (~0 by thread caches), needed_avg 6, 2 failures, 1 users, @0x100000000 [SHARED]',
  appctx:
    '  - Pool spoe_appctx (200 bytes) : 3 allocated (600 bytes), 2 used (~0 by thread caches), needed_avg 2, 0 failures, 2 users, @0x200000000 [SHARED]',
  connection:
    '  - Pool connection (320 bytes) : 0 allocated (0 bytes), 0 used (~0 by thread caches), needed_avg 0, 0 failures, 1 users, @0x300000000 [SHARED]',
  stream: '  - Pool stream (200 bytes) : 1 allocated (200 bytes), 1 used (~0 by thread caches), needed_avg 1, 0 failures, 1 users, @0x400000000',
};
const HEADER = 'Dumping pools usage. Use SIGQUIT to flush them.';

afterEach(() => resetPools());

describe('show pools', () => {
  it('lists pools by ascending size, in declaration order for equal sizes, with the totals', () => {
    expect(renderShowPools([THREAD1], []).split('\n')).toEqual([
      HEADER,
      LINE.appctx,
      LINE.stream,
      LINE.connection,
      LINE.buffer,
      'Total: 4 pools, 164640 bytes allocated, 66136 used (~0 by thread caches).',
      '',
    ]);
  });

  it('sorts byname, bysize and byusage (which skips unused pools)', () => {
    expect(renderShowPools([THREAD1], ['byname']).split('\n').slice(1, 5)).toEqual([LINE.buffer, LINE.connection, LINE.appctx, LINE.stream]);
    expect(renderShowPools([THREAD1], ['bysize']).split('\n').slice(1, 5)).toEqual([LINE.buffer, LINE.connection, LINE.appctx, LINE.stream]);
    expect(renderShowPools([THREAD1], ['byusage']).split('\n')).toEqual([
      HEADER,
      LINE.buffer,
      LINE.appctx,
      LINE.stream,
      'Total: 3 pools, 164640 bytes allocated, 66136 used (~0 by thread caches).',
      '',
    ]);
  });

  it('filters by prefix and limits the number of lines', () => {
    expect(renderShowPools([THREAD1], ['match', 's']).split('\n').slice(1, -2)).toEqual([LINE.appctx, LINE.stream]);
    expect(renderShowPools([THREAD1], ['byusage', '2']).split('\n')).toEqual([
      'Dumping pools usage (limited to the first 2 entries). Use SIGQUIT to flush them.',
      LINE.buffer,
      LINE.appctx,
      'Total: 3 pools, 164440 bytes allocated, 65936 used (~0 by thread caches).',
      '',
    ]);
  });

  it('sums the figures of every thread', () => {
    const t2 = view(
      [
        pool({ id: 1, name: 'buffer', kind: 'buffer', size: 16384, realSize: 16392, allocated: 5, used: 5, neededAvg: 4, failures: 1 }),
        pool({ id: 2, name: 'spoe_appctx', size: 200, users: 2, userNames: ['spoe_appctx', 'stksess'], allocated: 1, used: 0 }),
      ],
      2,
    );
    expect(renderShowPools([THREAD1, t2], ['match', 'b']).split('\n')).toEqual([
      HEADER,
      '  - Pool buffer (16384 bytes) : 15 allocated (245760 bytes), 9 used (~0 by thread caches), needed_avg 10, 3 failures, 1 users, @0x100000000 [SHARED]',
      'Total: 1 pools, 245760 bytes allocated, 147456 used (~0 by thread caches).',
      '',
    ]);
  });

  it('shows merged users and per-caller counts when detailed', () => {
    const v = view([
      pool({
        id: 2,
        name: 'spoe_appctx',
        size: 200,
        users: 2,
        userNames: ['spoe_appctx', 'stksess'],
        allocated: 3,
        used: 2,
        neededAvg: 2,
        callers: [
          { user: 'spoe_appctx', site: 'spoe_create_appctx (proxy/spoe.ts:40)', allocs: 1, frees: 0 },
          { user: 'stksess', site: 'stksess_new (proxy/stick/table.ts:80)', allocs: 12, frees: 0 },
          { user: 'stksess', site: '__stksess_kill (proxy/stick/table.ts:120)', allocs: 0, frees: 10 },
        ],
      }),
    ]);
    expect(renderShowPools([v], ['detailed']).split('\n')).toEqual([
      HEADER,
      LINE.appctx,
      '      kind: object, real size: 208, users: spoe_appctx, stksess',
      "      caller: stksess_new (proxy/stick/table.ts:80) for 'stksess': 12 allocs, 0 frees",
      "      caller: spoe_create_appctx (proxy/spoe.ts:40) for 'spoe_appctx': 1 allocs, 0 frees",
      "      caller: __stksess_kill (proxy/stick/table.ts:120) for 'stksess': 0 allocs, 10 frees",
      'Total: 1 pools, 600 bytes allocated, 400 used (~0 by thread caches).',
      '',
    ]);
  });

  it('explains the syntax on bad arguments', () => {
    expect(renderShowPools([THREAD1], ['bogus'])).toBe(SHOW_POOLS_USAGE);
    expect(renderShowPools([THREAD1], ['match'])).toBe(SHOW_POOLS_USAGE);
    expect(SHOW_POOLS_USAGE).toBe(
      "Expects either 'byname', 'bysize', 'byusage', 'detailed', 'match <pfx>', or a max number of output lines.\n",
    );
  });

  it('renders live pools: a merged pool under its first name with its users', () => {
    const appctx = declarePool('spoe_appctx', { kind: 'object', size: 200, create: () => ({}) });
    const sess = declarePool('stksess', { kind: 'object', size: 200, create: () => ({}) });
    declarePool('buffer', { kind: 'buffer', size: 16384 });
    configurePools();
    appctx.alloc();
    sess.free(sess.alloc());
    expect(renderShowPools([poolsView()], []).split('\n')).toEqual([
      HEADER,
      '  - Pool spoe_appctx (200 bytes) : 2 allocated (400 bytes), 1 used (~0 by thread caches), needed_avg 1, 0 failures, 2 users, @0x100000000 [SHARED]',
      '  - Pool buffer (16384 bytes) : 0 allocated (0 bytes), 0 used (~0 by thread caches), needed_avg 0, 0 failures, 1 users, @0x200000000 [SHARED]',
      'Total: 2 pools, 400 bytes allocated, 200 used (~0 by thread caches).',
      '',
    ]);
    configurePools({ noMerge: true });
    expect(renderShowPools([poolsView()], ['match', 's']).split('\n').slice(1, 3)).toEqual([
      '  - Pool spoe_appctx (200 bytes) : 0 allocated (0 bytes), 0 used (~0 by thread caches), needed_avg 0, 0 failures, 1 users, @0x100000000 [SHARED]',
      '  - Pool stksess (200 bytes) : 0 allocated (0 bytes), 0 used (~0 by thread caches), needed_avg 0, 0 failures, 1 users, @0x200000000 [SHARED]',
    ]);
  });
});
