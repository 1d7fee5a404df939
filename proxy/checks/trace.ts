/**
 * The `check` trace source: health checks run by the supervisor (proxy/checks/) and the state
 * changes they and the runtime commands make. Imported by proxy/trace-sources.ts.
 */
import { declareTraceSource } from '../../diag/trace.ts';

/** Events of the `check` source. */
export const CHECK_EVENTS = [
  { name: 'run', desc: 'health check started' },
  { name: 'result', desc: 'health check result' },
  { name: 'state', desc: 'server state change (check or runtime command)' },
] as const;

/** The `check` trace source. */
export const CHECK = declareTraceSource('check', 'health checks and server state changes', CHECK_EVENTS);

/** Trace points of the checks. {0} is the server slot. */
export const CTP = {
  run: CHECK.point('run', 'proto', 'process_chk', 'check of slot {0} started: {s}'),
  passed: CHECK.point('result', 'state', 'set_server_check_status', 'check of slot {0} passed in {1} ms: {s}'),
  failed: CHECK.point('result', 'error', 'set_server_check_status', 'check of slot {0} failed in {1} ms: {s}'),
  state: CHECK.point('state', 'user', 'srv_update_status', 'slot {0}: {s}'),
} as const;
