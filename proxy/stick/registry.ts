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
 */
import type { StickTableDef } from './stick.types.ts';
import { StickTable, createStickTable, type StickClock } from './table.ts';

/** One configured table and its shared memory. */
export interface StickTableBuffer {
  readonly def: StickTableDef;
  readonly sab: SharedArrayBuffer;
}

/**
 * Allocates one table per definition (createStickTable), in the given order. Throws a RangeError
 * naming the table when a definition cannot be laid out (the configuration parser refuses those).
 */
export function createStickTableBuffers(defs: readonly StickTableDef[]): StickTableBuffer[] {
  return defs.map((def) => ({ def, sab: createStickTable(def) }));
}

/** A thread's views of every table, by name (`be`, `mypeers/t1`), in configuration order. */
export class StickTableRegistry {
  private readonly byName = new Map<string, StickTable>();

  /**
   * Attaches a view to each buffer. `now` is the tables' clock (ms; default Date.now: every
   * thread must use the same time base, since expiry ticks live in shared memory).
   * Throws when a buffer does not match its definition, or a name is given twice.
   */
  constructor(buffers: readonly StickTableBuffer[], now?: StickClock) {
    for (const b of buffers) {
      if (this.byName.has(b.def.name)) throw new Error(`stick-table '${b.def.name}' is defined twice`);
      this.byName.set(b.def.name, new StickTable(b.sab, b.def, now));
    }
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

/**
 * Builds this thread's registry from the configured definitions and the buffers the supervisor
 * made for them (same order), and makes it the one {@link threadStickTables} returns.
 */
export function attachStickTables(defs: readonly StickTableDef[], sabs: readonly SharedArrayBuffer[], now?: StickClock): StickTableRegistry {
  if (defs.length !== sabs.length) throw new Error(`stick-tables: ${defs.length} configured but ${sabs.length} shared buffers given`);
  current = new StickTableRegistry(
    defs.map((def, i) => ({ def, sab: sabs[i]! })),
    now,
  );
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
