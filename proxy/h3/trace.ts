/**
 * The `h3` trace source (HAProxy has one of the same name): frames received and sent, SETTINGS,
 * unidirectional streams opened by the peer, requests, response headers (and the seed-1 failure
 * of a response whose headers do not fit), GOAWAY, cancellations, stream and connection errors.
 * Records carry the connection id the engine was created with and the HTTP/3 stream id.
 * The integrator adds `import './h3/trace.ts'` to proxy/trace-sources.ts.
 */
import { declareTraceSource } from '../../diag/trace.ts';

/** Events of the `h3` source (names usable in `trace h3 event <name>`). */
export const H3_EVENTS = [
  { name: 'rcv_frm', desc: 'frame received' },
  { name: 'snd_frm', desc: 'frame sent' },
  { name: 'settings', desc: 'peer SETTINGS received' },
  { name: 'uni_strm', desc: 'peer unidirectional stream typed' },
  { name: 'req', desc: 'request headers decoded' },
  { name: 'resp_hdrs', desc: 'response headers sent' },
  { name: 'resp_err', desc: 'response headers could not be sent; stream failed alone' },
  { name: 'goaway', desc: 'GOAWAY sent or received' },
  { name: 'cancel', desc: 'request cancelled or rejected' },
  { name: 'strm_err', desc: 'stream error (reset)' },
  { name: 'conn_err', desc: 'connection error (close)' },
] as const;

/** The `h3` trace source. */
export const H3 = declareTraceSource('h3', 'HTTP/3 framing and streams', H3_EVENTS);

/** Trace points of proxy/h3/. */
export const H3TP = {
  /** {0}: frame type; {1}: length. */
  rcvFrame: H3.point('rcv_frm', 'data', 'h3_rcv_frame', 'rcv frame type {0} ({1} bytes)'),
  /** {0}: frame type; {1}: length. */
  sndFrame: H3.point('snd_frm', 'data', 'h3_snd_frame', 'snd frame type {0} ({1} bytes)'),
  /** {0}: QPACK table capacity; {1}: blocked streams; {2}: max field section size (0 = unlimited). */
  settings: H3.point('settings', 'proto', 'h3_parse_settings', 'peer SETTINGS: qpack capacity {0}, blocked {1}, max field section {2}'),
  /** {0}: stream type. */
  uniStream: H3.point('uni_strm', 'state', 'h3_init_uni_stream', 'peer uni stream type {0}'),
  /** {0}: field lines; {1}: content-length (-1 none); {s}: method and path. */
  request: H3.point('req', 'proto', 'h3_headers_to_htx', 'request: {0} fields, content-length {1}: {s}'),
  /** {0}: status; {1}: encoded frame size. */
  respHeaders: H3.point('resp_hdrs', 'proto', 'h3RespHeadersSend', 'response {0}: {1} bytes'),
  /** {0}: status; {1}: field section size or frame size; {2}: limit; {s}: reason. */
  respError: H3.point('resp_err', 'error', 'h3RespHeadersSend', 'response {0} too large ({1} > {2}): {s}'),
  /** {0}: id; {1}: 1 sent / 0 received. */
  goaway: H3.point('goaway', 'state', 'h3_goaway', 'GOAWAY id {0} (sent={1})'),
  /** {0}: error code; {1}: 1 by peer / 0 by us. */
  cancel: H3.point('cancel', 'state', 'h3_cancel', 'stream cancelled, code {0} (peer={1})'),
  /** {0}: error code; {s}: reason. */
  streamError: H3.point('strm_err', 'error', 'h3_strm_err', 'stream error {0}: {s}'),
  /** {0}: error code; {1}: offset; {s}: reason. */
  connError: H3.point('conn_err', 'error', 'h3_conn_err', 'connection error {0} at offset {1}: {s}'),
} as const;
