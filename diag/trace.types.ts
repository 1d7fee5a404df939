/**
 * Trace types shared by writers (subsystems declaring sources and points), the control plane
 * (diag/trace-control.ts, the `trace` runtime command) and readers (decoders, renderers).
 */

/** HAProxy's trace levels, in order: a source at level L records points whose level is <= L. */
export const TRACE_LEVELS = ['error', 'user', 'proto', 'state', 'data', 'developer'] as const;
export type TraceLevel = (typeof TRACE_LEVELS)[number];

/** Source states as HAProxy names them: stopped, waiting (armed for a start event), running. */
export const TRACE_STATES = ['stopped', 'waiting', 'running'] as const;
export type TraceState = (typeof TRACE_STATES)[number];

/** An event of a source's catalog: a name usable in `trace <src> event <name>` and a description. */
export interface TraceEventDef {
  readonly name: string;
  readonly desc: string;
}

/** A trace point as registered in a thread: what a ring record's `point` field refers to. */
export interface TracePointInfo {
  id: number;
  source: string;
  event: string;
  level: TraceLevel;
  /** Function the point is in (as written at the declaration). */
  fn: string;
  /** Project-relative file and line of the declaration (captured once, at declaration). */
  file: string;
  line: number;
  /** Message template; `{0}`, `{1}`, `{2}` are the numeric args, `{s}` the text argument. */
  msg: string;
}

/** A source's control state as `show trace` reports it; JSON-able (snapshots carry it). */
export interface TraceSourceStatus {
  name: string;
  desc: string;
  state: TraceState;
  level: TraceLevel;
  verbosity: 'quiet' | 'default';
  sink: string;
  lock: string;
  /** Events dropped because the sink could not take them. */
  dropped: number;
  events: { name: string; desc: string; report: boolean; start: boolean; stop: boolean; pause: boolean }[];
}
