/**
 * The `h1` trace source: its catalog of events and the trace points of the HTTP/1.1 connection
 * driver (proxy/h1/conn.ts).
 */
import { declareTraceSource } from '../../diag/trace.ts';

/** Events of the `h1` source (names usable in `trace h1 event <name>`). */
export const H1_EVENTS = [
  { name: 'new', desc: 'new H1 connection' },
  { name: 'rcv-req', desc: 'request head received' },
  { name: 'rcv-data', desc: 'request data received' },
  { name: 'snd-res', desc: 'response sent' },
  { name: 'err', desc: 'protocol error' },
  { name: 'alloc', desc: 'buffer or object allocation' },
  { name: 'timeout', desc: 'timeout expired' },
  { name: 'close', desc: 'connection closed' },
] as const;

/** The `h1` trace source. */
export const H1 = declareTraceSource('h1', 'HTTP/1.1 multiplexer', H1_EVENTS);

/** Trace points of the HTTP/1.1 driver. */
export const TP = {
  accept: H1.point('new', 'proto', 'h1_init', 'accepted connection from {s}'),
  head: H1.point('rcv-req', 'proto', 'h1_rcv_req', 'request head: {s}'),
  data: H1.point('rcv-data', 'data', 'h1_rcv_data', 'request data {0} bytes'),
  response: H1.point('snd-res', 'proto', 'h1_snd_res', 'response status {0}, {1} bytes'),
  error: H1.point('err', 'error', 'h1_handle_error', 'refused with {0}: {s}'),
  allocFail: H1.point('alloc', 'error', 'h1_alloc', 'allocation failed in pool {s}'),
  timeout: H1.point('timeout', 'user', 'h1_timeout', '{s} expired after {0} ms'),
  close: H1.point('close', 'state', 'h1_release', 'connection closed: {s}'),
} as const;
