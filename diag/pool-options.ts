/**
 * What pools are configured and declared with: the pool options (their defaults, the checks
 * configurePools() applies, HAProxy's `-dM` argument after src/pool.c pool_parse_debugging and
 * `haproxy -dMhelp`), and declarePool()'s options with their checks.
 *
 * Pure functions over option records: no state lives here. The options in force belong to
 * diag/pool.ts, which keeps the hot-path copies of them coherent; it calls resolvePoolOptions()
 * from configurePools(), checkPoolDeclaration() from declarePool() and parseDashDMFrom() from
 * parseDashDM() (which defaults the base to the options in force).
 */
import type { DashDMResult, PoolOptions } from './pool.types.ts';

/** The defaults: tagging on (as HAProxy builds with DEBUG_MEMORY_POOLS), everything else off. */
export const DEFAULT_POOL_OPTIONS: Readonly<PoolOptions> = Object.freeze({
  tag: true,
  integrity: false,
  caller: false,
  noMerge: false,
  fail: false,
  failPercent: 0,
  poison: false,
  poisonByte: 0x50,
  coldFirst: false,
  noCache: false,
  memLimitBytes: 0,
  seed: 0x2545f491,
  thread: 1,
});

/**
 * The complete options configurePools(given) puts in force: unspecified ones (and ones given as
 * undefined) take DEFAULT_POOL_OPTIONS; without `seed`, a random non-zero one is drawn; `fail`
 * without `failPercent` means 1% (HAProxy's -dMfail); `failPercent` > 0 without `fail` turns failing
 * on (`tune.fail-alloc`). Throws a RangeError naming the option and the accepted range on an
 * out-of-range value. Does not change anything.
 */
export function resolvePoolOptions(given: Partial<PoolOptions>): PoolOptions {
  // An option set to undefined counts as not given.
  const o = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<PoolOptions>;
  const next: PoolOptions = { ...DEFAULT_POOL_OPTIONS, ...o };
  if (o.seed === undefined) next.seed = (Math.random() * 2 ** 32) >>> 0 || 1;
  if (o.fail === undefined && o.failPercent !== undefined) next.fail = o.failPercent > 0;
  if (o.failPercent === undefined) next.failPercent = next.fail ? 1 : 0;
  if (!(next.failPercent >= 0 && next.failPercent <= 100)) {
    throw new RangeError(`configurePools: failPercent (tune.fail-alloc) expects a value between 0 and 100, got ${next.failPercent}`);
  }
  if (!Number.isInteger(next.poisonByte) || next.poisonByte < 0 || next.poisonByte > 255) {
    throw new RangeError(`configurePools: poisonByte must be 0..255, got ${next.poisonByte}`);
  }
  if (!(next.memLimitBytes >= 0) || !Number.isSafeInteger(next.memLimitBytes)) {
    throw new RangeError(`configurePools: memLimitBytes must be a whole number of bytes >= 0 (0 = no limit), got ${next.memLimitBytes}`);
  }
  if (!Number.isInteger(next.thread) || next.thread < 0) {
    throw new RangeError(`configurePools: thread must be an integer >= 0, got ${next.thread}`);
  }
  return next;
}

// ---------------------------------------------------------------------------------------------
// declarePool() options

/** Options of an object pool. */
export interface ObjectPoolOptions<T> {
  /** Bytes an item accounts for (for `show pools` and the `-m` cap). */
  size: number;
  kind: 'object';
  /** Makes a new item when the free list is empty. Must return a fresh object. */
  create: () => T;
  /** Called on free() to clear the item before it waits on the free list (drop references!). */
  reset?: (item: T) => void;
  /** May share an underlying pool with pools of the same size (HAProxy MEM_F_SHARED); default true. */
  shared?: boolean;
}

/** Options of a buffer pool: items are Uint8Arrays of exactly `size` bytes. */
export interface BufferPoolOptions {
  size: number;
  kind: 'buffer';
  shared?: boolean;
}

const NAME_RE = /^[A-Za-z0-9_.:-]{1,63}$/;

/**
 * Checks what declarePool(name, o) is given, throwing an Error that names the pool and the rule:
 * a name of 1 to 63 letters, digits or `_.:-`, not among `taken` (the names already declared); an
 * integer size from 1 to 2^30 bytes; kind 'buffer', or 'object' with a create() function.
 */
export function checkPoolDeclaration<T>(name: string, o: BufferPoolOptions | ObjectPoolOptions<T>, taken: ReadonlySet<string>): void {
  if (!NAME_RE.test(name)) {
    throw new Error(`declarePool: invalid pool name '${name}': use 1 to 63 letters, digits or '_.:-'`);
  }
  if (taken.has(name)) {
    throw new Error(`declarePool: pool '${name}' is already declared; pool names must be unique, pick another name`);
  }
  if (!Number.isInteger(o.size) || o.size < 1 || o.size > 2 ** 30) {
    throw new Error(`declarePool: pool '${name}': size must be an integer from 1 to 2^30 bytes (got ${o.size})`);
  }
  if (o.kind !== 'buffer' && (o.kind !== 'object' || typeof o.create !== 'function')) {
    throw new Error(`declarePool: pool '${name}': kind must be 'buffer', or 'object' with a create() function`);
  }
}

// ---------------------------------------------------------------------------------------------
// -dM parsing (HAProxy pool_parse_debugging)

type Feature = {
  set: string;
  clr: string;
  help: string;
  is: (o: PoolOptions) => boolean;
  apply: (o: PoolOptions, on: boolean, warn: string[]) => void;
};

type FlagKey = 'noMerge' | 'coldFirst' | 'integrity' | 'noCache' | 'caller' | 'tag' | 'poison';

/** A feature that just sets or clears one boolean option. */
function flag(set: string, clr: string, help: string, key: FlagKey): Feature {
  return { set, clr, help, is: (o) => o[key], apply: (o, on) => void (o[key] = on) };
}

/** HAProxy's dbg_options[] (src/pool.c), in its order. */
const FEATURES: Feature[] = [
  {
    set: 'fail',
    clr: 'no-fail',
    help: 'randomly fail allocations',
    is: (o) => o.fail,
    apply: (o, on) => {
      o.fail = on;
      o.failPercent = on ? 1 : 0; // HAProxy presets tune.fail-alloc to 1%
    },
  },
  flag('no-merge', 'merge', 'disable merging of similar pools', 'noMerge'),
  flag('cold-first', 'hot-first', 'pick cold objects first', 'coldFirst'),
  flag('integrity', 'no-integrity', 'enable cache integrity checks', 'integrity'),
  {
    set: 'no-global',
    clr: 'global',
    help: 'disable global shared cache',
    is: () => true,
    apply: (_o, _on, warn) =>
      warn.push("pool debugging feature 'no-global'/'global' has no effect: each worker thread has its own pools, there is no global cache"),
  },
  flag('no-cache', 'cache', 'disable thread-local cache', 'noCache'),
  flag('caller', 'no-caller', 'save caller information in cache', 'caller'),
  flag('tag', 'no-tag', 'add tag at end of allocated objects', 'tag'),
  flag('poison', 'no-poison', 'poison newly allocated objects', 'poison'),
  {
    set: 'uaf',
    clr: 'no-uaf',
    help: 'enable use-after-free checks (slow)',
    is: () => false,
    apply: (o, on, warn) => {
      if (!on) return;
      o.noCache = true;
      warn.push(
        "pool debugging feature 'uaf' needs page protection, which JavaScript lacks: it only disables the cache here; " +
          "use 'integrity' to catch writes after free",
      );
    },
  },
];

/** HAProxy's `-dMhelp` text, with '*' marking the settings in `o`. */
function dashDMHelp(o: PoolOptions): string {
  const rule = '  -----------------+-----------------+-----------------------------------------\n';
  let t =
    '-dM alone enables memory poisonning with byte 0x50 on allocation. A numeric\n' +
    'value may be appended immediately after -dM to use another value (0 supported).\n' +
    'Then an optional list of comma-delimited keywords may be appended to set or\n' +
    "clear some debugging options ('*' marks the current setting):\n\n" +
    '    set               clear            description\n' +
    rule;
  for (const f of FEATURES) {
    const on = f.is(o);
    t += `  ${on ? '*' : ' '} ${f.set.padEnd(15)}|${on ? ' ' : '*'} ${f.clr.padEnd(15)}| ${f.help}\n`;
  }
  t +=
    rule +
    'Examples:\n' +
    "  Disable merging and enable poisonning with byte 'P': -dM0x50,no-merge\n" +
    '  Randomly fail allocations: -dMfail\n' +
    '  Detect out-of-bound corruptions: -dMno-merge,tag\n' +
    '  Detect post-free cache corruptions: -dMno-merge,cold-first,integrity,caller\n' +
    '  Detect all cache corruptions: -dMno-merge,cold-first,integrity,tag,caller\n';
  return t;
}

const NUM_RE = /^[+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(?=,|$)/;

/**
 * Parses HAProxy's `-dM` argument (with or without the leading "-dM") on top of `base`, which is
 * not modified: an optional poison byte (`-dM` alone = poison with 0x50, `-dM0x41`, a negative
 * value turns poisoning off), then comma-separated features from `-dMhelp` (fail, no-merge,
 * cold-first, integrity, no-cache, caller, tag, poison, their opposites, ...). Returns the resulting
 * options with warnings for features that mean nothing here, the help text (marking `base`'s
 * settings) for `help`, or an error naming the unknown feature or bad poison byte and listing the
 * valid ones. diag/pool.ts's parseDashDM() is this with `base` defaulting to the options in force.
 */
export function parseDashDMFrom(arg: string, base: PoolOptions): DashDMResult {
  const given = arg.startsWith('-dM') ? arg.slice(3) : arg;
  let s = given;
  const o: PoolOptions = { ...base };
  const warnings: string[] = [];
  const num = NUM_RE.exec(s);
  if (s === '' || num) {
    const value = num ? parseNumber(num[0]) : 0x50;
    if (value > 255) {
      return { kind: 'error', error: `'-dM${s}': the poison byte must be between 0 and 255 (or negative to disable poisoning), got ${value}` };
    }
    o.poison = value >= 0;
    if (value >= 0) o.poisonByte = value;
    s = num ? s.slice(num[0].length) : '';
  }
  for (const feat of s.split(',')) {
    if (feat === '') continue;
    if (feat === 'help') return { kind: 'help', text: dashDMHelp(base) };
    const f = FEATURES.find((x) => x.set === feat || x.clr === feat);
    if (!f) {
      const valid = FEATURES.flatMap((x) => [x.set, x.clr]).join(', ');
      return { kind: 'error', error: `unknown pool debugging feature <${feat}> in '-dM${given}'; valid features: ${valid}, help` };
    }
    f.apply(o, feat === f.set, warnings);
  }
  return { kind: 'ok', options: o, warnings };
}

/** strtol(str, &end, 0) for a string already validated by NUM_RE. */
function parseNumber(t: string): number {
  const neg = t.startsWith('-');
  const u = t.replace(/^[+-]/, '');
  const v = /^0[xX]/.test(u) ? parseInt(u.slice(2), 16) : u.length > 1 && u.startsWith('0') ? parseInt(u.slice(1), 8) : parseInt(u, 10);
  return neg ? -v : v;
}
