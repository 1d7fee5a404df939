/**
 * The `qpack` trace source (HAProxy has one of the same name): encoder-stream instructions
 * received, decoder-stream instructions emitted, field sections decoded, blocked and unblocked
 * streams, and QPACK errors. Records carry the connection id the decoder was created with (0 when
 * none) and the HTTP/3 stream id where there is one. The integrator adds
 * `import './qpack/trace.ts'` to proxy/trace-sources.ts.
 */
import { declareTraceSource } from '../../diag/trace.ts';

/** Events of the `qpack` source (names usable in `trace qpack event <name>`). */
export const QPACK_EVENTS = [
  { name: 'enc_inst', desc: 'encoder-stream instruction received' },
  { name: 'dec_inst', desc: 'decoder-stream instructions emitted' },
  { name: 'section', desc: 'field section decoded' },
  { name: 'blocked', desc: 'field section waits for dynamic table inserts' },
  { name: 'unblocked', desc: 'blocked field section decoded after inserts arrived' },
  { name: 'qpack_err', desc: 'QPACK error (connection or stream)' },
] as const;

/** The `qpack` trace source. */
export const QPACK = declareTraceSource('qpack', 'QPACK field compression', QPACK_EVENTS);

/** Trace points of proxy/qpack/. */
export const QTP = {
  /** {0}: instruction kind (0 capacity, 1 name ref, 2 literal name, 3 duplicate); {1}: insert count; {2}: table size. */
  encInst: QPACK.point('enc_inst', 'proto', 'qpack_decode_enc', 'encoder instruction {0}: insert count {1}, table size {2}'),
  /** {0}: octets emitted; {1}: insert count; {2}: known received count. */
  decInst: QPACK.point('dec_inst', 'proto', 'qpack_decode_dec', 'decoder stream: {0} bytes, insert count {1}, known received {2}'),
  /** {0}: field lines; {1}: Required Insert Count; {2}: encoded size. */
  section: QPACK.point('section', 'data', 'qpack_decode_fs', 'field section: {0} lines, RIC {1}, {2} bytes'),
  /** {0}: Required Insert Count; {1}: insert count; {2}: blocked streams. */
  blocked: QPACK.point('blocked', 'state', 'qpack_decode_fs', 'blocked: RIC {0} > insert count {1} ({2} blocked streams)'),
  /** {0}: Required Insert Count; {1}: insert count. */
  unblocked: QPACK.point('unblocked', 'state', 'qpack_decode_enc', 'unblocked: RIC {0} <= insert count {1}'),
  /** {0}: error code (512 + n); {1}: offset; {s}: `<CODE_NAME> <where>: <message>`. */
  error: QPACK.point('qpack_err', 'error', 'qpack_decode', 'error {0} at offset {1}: {s}'),
} as const;
