/**
 * Types of the snapshot exports (diag/export/): the Chrome Trace Event format that Perfetto and
 * chrome://tracing open, and the qlog JSON-SEQ records (for QUIC connections).
 *
 * Trace Event format: "Trace Event Format" (Google, the document catapult and Perfetto implement):
 * a JSON object `{ traceEvents: [...], displayTimeUnit, otherData }`; every event has `ph` (phase),
 * `ts` (microseconds), `pid`, `tid`, and, by phase, `name`, `cat`, `dur` (X), `id` (async b/e and
 * flows s/t/f), `s` (instant scope), `bp` (flow binding point), `args`.
 */

/** Phases used by the Perfetto export: M metadata, X complete, i instant, b/e async nestable, s/f flow start/end. */
export type TracePhase = 'M' | 'X' | 'i' | 'b' | 'e' | 's' | 'f';

/** One Trace Event. */
export interface TraceEvent {
  ph: TracePhase;
  name: string;
  /** Comma-separated categories. */
  cat?: string;
  /** Microseconds since `otherData.timeOriginEpochMs`. Absent on metadata events. */
  ts?: number;
  /** Duration of a complete (X) event, microseconds. */
  dur?: number;
  pid: number;
  tid: number;
  /** Async (b/e) and flow (s/f) id: events of one async slice or one flow share it (and `cat`). */
  id?: string | number;
  /** Instant scope: `t` thread, `p` process, `g` global. */
  s?: 't' | 'p' | 'g';
  /** Flow binding point: `e` binds a flow end to the enclosing slice. */
  bp?: 'e';
  args?: Record<string, unknown>;
}

/** The JSON document of `flightbox export --format perfetto`. */
export interface TraceDocument {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms' | 'ns';
  otherData: Record<string, string | number | boolean | null>;
}
