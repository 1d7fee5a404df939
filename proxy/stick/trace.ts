/**
 * The `stktable` trace source: the life of stick-table entries (creation, kills by expiry, purge,
 * clear or release, refused creations). The integrator imports it from proxy/trace-sources.ts so
 * the supervisor knows it; until then its points register in each thread that loads the table.
 */
import { declareTraceSource } from '../../diag/trace.ts';

/** Events of the `stktable` source (names usable in `trace stktable event <name>`). */
export const STKTABLE_EVENTS = [
  { name: 'new', desc: 'entry created' },
  { name: 'kill', desc: 'entry killed (expiry, purge, clear, last release of an expired entry)' },
  { name: 'refuse', desc: 'entry not created: table full' },
  { name: 'expire', desc: 'expiry pass over a table' },
] as const;

/** The `stktable` trace source. */
export const STKTABLE = declareTraceSource('stktable', 'stick-table entries', STKTABLE_EVENTS);

/** Trace points of proxy/stick/table.ts. Args: slot, generation, references. */
export const STP = {
  created: STKTABLE.point('new', 'state', 'stksess_new', 'entry slot {0} gen {1} created in {s}'),
  killed: STKTABLE.point('kill', 'state', 'stksessKill', 'entry slot {0} gen {1} killed ({s})'),
  refused: STKTABLE.point('refuse', 'user', 'stksess_new', 'table {s} full ({0} entries), nothing purgeable'),
  expired: STKTABLE.point('expire', 'developer', 'process_table_expire', '{0} entries expired, {1} left in {s}'),
} as const;
