/**
 * The stick-tables of one thread, by name. The supervisor creates each configured table's shared
 * memory once, before the workers start ({@link createStickTableBuffers}), passes the buffers to
 * every worker in `WorkerInit.stickTables` (same order as `Config.stickTables`), and each thread
 * (workers and the supervisor) makes its own views with {@link StickTableRegistry}: `show table`
 * in the supervisor and tracking rules in a worker read and write the same entries.
 *
 * Expiry has one owner: the supervisor runs {@link StickExpiry}, a timer that calls
 * `StickTable.expire()` on every table with a bounded budget (HAProxy's process_table_expire()
 * task), so workers never spend time on it and no two threads walk a table's LRU list for
 * expiry at once. A release that finds its entry expired still kills it on the spot (table.ts).
 *
 * Dead workers: each table keeps one reference ledger per worker thread (table.ts "Reference
 * ledger"); a worker attaches with its thread number, and when it dies the supervisor calls
 * {@link StickTableRegistry.releaseThread} before starting its replacement, which drops what the
 * dead thread still held. A worker's `exit` handler (installed by {@link attachStickTables}) first
 * drops its tracked references itself, then frees a table lock it died holding.
 */
import { isMainThread } from 'node:worker_threads';
import type { StickTableDef } from './stick.types.ts';
import { StickTable, createStickTable, type StickClock, type StickThreadRelease } from './table.ts';
import { releaseThreadTracking } from './track.ts';

/** One configured table and its shared memory. */
export interface StickTableBuffer {
  readonly def: StickTableDef;
  readonly sab: SharedArrayBuffer;
}

/**
 * Allocates one table per definition (createStickTable), in the given order, each with a reference
 * ledger for worker threads 1..`threads` (0, the default: none). Throws a RangeError naming the
 * table when a definition cannot be laid out (the configuration parser refuses those).
 */
export function createStickTableBuffers(defs: readonly StickTableDef[], threads = 0): StickTableBuffer[] {
  return defs.map((def) => ({ def, sab: createStickTable(def, 0, threads) }));
}

/** What {@link StickTableRegistry.releaseThread} did, over every table. */
export interface StickThreadReleaseSummary {
  /** References dropped. */
  readonly released: number;
  /** Entries killed because they had expired and lost their last reference. */
  readonly killed: number;
  /** Locks the dead thread held, freed. */
  readonly locksFreed: number;
  /** Per table, what it did (tables where the thread held nothing are left out). */
  readonly tables: readonly ({ readonly name: string } & StickThreadRelease)[];
  /** Every table's problems, prefixed with the table name (`'<table>': ...`). */
  readonly problems: readonly string[];
}

/** A thread's views of every table, by name (`be`, `mypeers/t1`), in configuration order. */
export class StickTableRegistry {
  private readonly byName = new Map<string, StickTable>();

  /**
   * Attaches a view to each buffer. `now` is the tables' clock (ms; default Date.now: every
   * thread must use the same time base, since expiry ticks live in shared memory).
   * Throws when a buffer does not match its definition, or a name is given twice.
   */
  constructor(buffers: readonly StickTableBuffer[], now?: StickClock, thread = 0) {
    for (const b of buffers) {
      if (this.byName.has(b.def.name)) throw new Error(`stick-table '${b.def.name}' is defined twice`);
      this.byName.set(b.def.name, new StickTable(b.sab, b.def, now, thread));
    }
  }

  /**
   * The supervisor's clean-up after worker thread `thread` died (before its replacement attaches):
   * StickTable.releaseThread on every table. Never throws: a table that has no ledger for
   * `thread`, or fails, is reported in `problems`.
   */
  releaseThread(thread: number): StickThreadReleaseSummary {
    let released = 0;
    let killed = 0;
    let locksFreed = 0;
    const tables: ({ name: string } & StickThreadRelease)[] = [];
    const problems: string[] = [];
    for (const [name, t] of this.byName) {
      try {
        const r = t.releaseThread(thread);
        released += r.released;
        killed += r.killed;
        locksFreed += r.locksFreed;
        for (const p of r.problems) problems.push(`'${name}': ${p}`);
        if (r.entries > 0 || r.locksFreed > 0 || r.problems.length > 0) tables.push({ name, ...r });
      } catch (e) {
        problems.push(`'${name}': ${(e as Error).message}`);
      }
    }
    return { released, killed, locksFreed, tables, problems };
  }

  /** The view of table `name`, or undefined. */
  get(name: string): StickTable | undefined {
    return this.byName.get(name);
  }

  /** Every table, in configuration order. */
  all(): StickTable[] {
    return [...this.byName.values()];
  }

  /** Table names, in configuration order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Number of tables. */
  get size(): number {
    return this.byName.size;
  }
}

let current = new StickTableRegistry([]);

let exitHook = false;

/**
 * Builds this thread's registry from the configured definitions and the buffers the supervisor
 * made for them (same order), and makes it the one {@link threadStickTables} returns. `thread`:
 * the worker thread number (1..nbthread), whose reference ledger this thread's views keep (0, the
 * default: none). In a worker thread with a ledger, installs the `exit` handler that drops the
 * tracked references still held (track.ts releaseThreadTracking), then frees a table lock the
 * thread died holding (StickTable.abandonLocks).
 */
export function attachStickTables(defs: readonly StickTableDef[], sabs: readonly SharedArrayBuffer[], now?: StickClock, thread = 0): StickTableRegistry {
  if (defs.length !== sabs.length) throw new Error(`stick-tables: ${defs.length} configured but ${sabs.length} shared buffers given`);
  current = new StickTableRegistry(
    defs.map((def, i) => ({ def, sab: sabs[i]! })),
    now,
    thread,
  );
  if (thread > 0 && !isMainThread && !exitHook) {
    exitHook = true;
    process.on('exit', () => {
      // references first (releaseQuiet skips a table whose lock this thread holds: the supervisor
      // drops those from the ledger), then the locks, so the others never wait on a dead thread
      releaseThreadTracking();
      for (const t of current.all()) t.abandonLocks();
    });
  }
  return current;
}

/** This thread's registry (empty until attachStickTables). */
export function threadStickTables(): StickTableRegistry {
  return current;
}

/** Options of {@link StickExpiry}. */
export interface StickExpiryOptions {
  /** Period of the expiry pass in ms (default 250). */
  readonly intervalMs?: number;
  /** Most entries one table loses in one locked expire() call (default 1024), so workers wait little for the lock. */
  readonly budget?: number;
  /** Most back-to-back calls per table per pass when each one used its whole budget (default 64). */
  readonly maxRounds?: number;
}

/**
 * The expiry owner: every `intervalMs`, kills the expired unreferenced entries of every table,
 * oldest first, `budget` at a time under the table lock (StickTable.expire), until none is left
 * or `maxRounds` calls were made (the next pass goes on). Tables without `expire` are skipped.
 */
export class StickExpiry {
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly tables: StickTable[];
  private readonly budget: number;
  private readonly maxRounds: number;

  constructor(reg: StickTableRegistry, opts: StickExpiryOptions = {}) {
    this.tables = reg.all().filter((t) => t.def.expire > 0);
    this.budget = opts.budget ?? 1024;
    this.maxRounds = opts.maxRounds ?? 64;
    if (this.tables.length > 0) {
      this.timer = setInterval(() => this.runOnce(), opts.intervalMs ?? 250);
      this.timer.unref();
    }
  }

  /** One pass over every table; returns the entries killed. */
  runOnce(): number {
    let killed = 0;
    for (const t of this.tables) {
      for (let round = 0; round < this.maxRounds; round++) {
        const r = t.expire(this.budget);
        killed += r.killed;
        if (r.killed < this.budget) break;
      }
    }
    return killed;
  }

  /** Stops the timer. */
  stop(): void {
    clearInterval(this.timer);
  }
}
