/**
 * The `be` trace source: the backend side of a stream (proxy/stream/): routing, queueing, server
 * connections (connect, reuse, retries), the request sent to a server and its response, and every
 * error or timeout of that side. Imported by proxy/trace-sources.ts so the supervisor knows it.
 */
import { declareTraceSource } from '../../diag/trace.ts';

/** Events of the `be` source (names usable in `trace be event <name>`). */
export const BE_EVENTS = [
  { name: 'route', desc: 'backend chosen for a stream' },
  { name: 'queue', desc: 'stream queued or dequeued' },
  { name: 'connect', desc: 'server connection attempt' },
  { name: 'reuse', desc: 'idle server connection reused' },
  { name: 'retry', desc: 'connection retry or redispatch' },
  { name: 'snd-req', desc: 'request head sent to a server' },
  { name: 'rcv-res', desc: 'response head received from a server' },
  { name: 'end', desc: 'response forwarded completely' },
  { name: 'tunnel', desc: 'protocol switched (101): stream tunnelled, or tunnel closed' },
  { name: 'err', desc: 'server-side error' },
  { name: 'timeout', desc: 'server-side timeout expired' },
  { name: 'close', desc: 'server connection closed' },
] as const;

/** The `be` trace source. */
export const BE = declareTraceSource('be', 'backend streams and server connections', BE_EVENTS);

/** Trace points of the forwarding code. */
export const BTP = {
  route: BE.point('route', 'state', 'stream_route', 'routed to backend {s}'),
  noBackend: BE.point('route', 'error', 'stream_route', 'no backend: {s}'),
  queued: BE.point('queue', 'state', 'pendconn_add', 'queued, deadline in {0} ms: {s}'),
  dequeued: BE.point('queue', 'state', 'pendconn_process', 'dequeued after {0} ms to {s}'),
  connect: BE.point('connect', 'proto', 'connect_server', 'connecting to {s}'),
  connected: BE.point('connect', 'state', 'connect_server', 'connected to {s}'),
  reuse: BE.point('reuse', 'proto', 'conn_reuse', 'reusing idle connection {0} to {s}'),
  retry: BE.point('retry', 'user', 'back_handle_st_cer', 'retry {0} (redispatch={1}) after {s}'),
  request: BE.point('snd-req', 'proto', 'be_snd_req', 'request head sent, {0} bytes: {s}'),
  response: BE.point('rcv-res', 'proto', 'be_rcv_res', 'response status {0} from {s}'),
  end: BE.point('end', 'state', 'be_end', 'response forwarded, {0} body bytes, keep-alive={1}'),
  tunnel: BE.point('tunnel', 'state', 'be_tunnel', 'switched protocols ({0}), tunnel timeout {1} ms: {s}'),
  tunnelEnd: BE.point('tunnel', 'state', 'be_tunnel_end', 'tunnel closed, {0} bytes up, {1} bytes down: {s}'),
  error: BE.point('err', 'error', 'be_error', 'answered {0}: {s}'),
  abort: BE.point('err', 'error', 'be_abort', 'stream aborted: {s}'),
  timeout: BE.point('timeout', 'user', 'be_timeout', '{s} expired after {0} ms'),
  close: BE.point('close', 'state', 'be_close', 'server connection closed: {s}'),
} as const;
