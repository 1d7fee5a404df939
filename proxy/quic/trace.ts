/**
 * The `quic` trace source (HAProxy has one of the same name): packets sent, received and declared
 * lost, ACK frames received and sent, probe timeouts, congestion-control state changes and CRYPTO
 * reassembly outcomes (including `quic_ncbuf` allocation failures, seed crash 4), and what the UDP
 * listener answers without a connection (Retry, Version Negotiation, stateless reset). Records carry the
 * connection id the engine was created with (0 when none) and no stream id. The integrator adds
 * `import './quic/trace.ts'` to proxy/trace-sources.ts.
 */
import { declareTraceSource } from '../../diag/trace.ts';

/** Events of the `quic` source (names usable in `trace quic event <name>`). */
export const QUIC_EVENTS = [
  { name: 'pkt_sent', desc: 'packet sent (recorded for loss detection)' },
  { name: 'pkt_rcvd', desc: 'packet received in a packet number space' },
  { name: 'pkt_lost', desc: 'packet declared lost (packet or time threshold)' },
  { name: 'ack_rcvd', desc: 'ACK frame processed' },
  { name: 'ack_sent', desc: 'ACK frame built' },
  { name: 'pto', desc: 'probe timeout fired' },
  { name: 'cc_state', desc: 'congestion controller state change' },
  { name: 'ncbuf', desc: 'CRYPTO reassembly buffer event (allocation, release, failure)' },
  { name: 'quic_err', desc: 'QUIC connection error detected by recovery or reassembly' },
  { name: 'retry', desc: 'Retry sent, or its address-validation token checked (quic-force-retry)' },
  { name: 'version_neg', desc: 'Version Negotiation sent for an unsupported version' },
  { name: 'stateless_reset', desc: 'stateless reset sent for an unknown connection id (or rate-limited)' },
] as const;

/** The `quic` trace source. */
export const QUIC = declareTraceSource('quic', 'QUIC transport', QUIC_EVENTS);

/** Space numbers in trace records: 0 Initial, 1 Handshake, 2 Application Data. */
export const TRACE_SPACE = { initial: 0, handshake: 1, application: 2 } as const;

/** Trace points of the QUIC loss recovery, ACK and reassembly modules. */
export const QTR = {
  /** {0}: space; {1}: packet number; {2}: bytes (0 when not in flight). */
  pktSent: QUIC.point('pkt_sent', 'data', 'qcOnPacketSent', 'sent pn {1} in space {0}, {2} bytes in flight'),
  /** {0}: space; {1}: packet number; {2}: 1 when ack-eliciting. */
  pktRcvd: QUIC.point('pkt_rcvd', 'data', 'qcOnPacketReceived', 'received pn {1} in space {0} (ack-eliciting {2})'),
  /** {0}: space; {1}: packet number; {2}: bytes. */
  pktLost: QUIC.point('pkt_lost', 'proto', 'qcDetectLostPackets', 'lost pn {1} in space {0}, {2} bytes'),
  /** {0}: space; {1}: largest acknowledged; {2}: newly acknowledged packets. */
  ackRcvd: QUIC.point('ack_rcvd', 'proto', 'qcOnAckReceived', 'ACK in space {0}: largest {1}, {2} newly acked'),
  /** {0}: space; {1}: largest acknowledged; {2}: ranges. */
  ackSent: QUIC.point('ack_sent', 'data', 'qcBuildAck', 'ACK built in space {0}: largest {1}, {2} ranges'),
  /** {0}: space; {1}: pto_count after the timeout; {2}: 1 for an anti-deadlock probe. */
  pto: QUIC.point('pto', 'proto', 'qcOnLossDetectionTimeout', 'PTO in space {0}, pto_count {1} (anti-deadlock {2})'),
  /** {0}: congestion window; {1}: ssthresh (0 = infinite); {2}: bytes in flight; {s}: state. */
  ccState: QUIC.point('cc_state', 'state', 'qcCongestionEvent', 'cc {s}: cwnd {0}, ssthresh {1}, in flight {2}'),
  /** {0}: 1 alloc, 2 release, 3 allocation failure; {1}: buffer size; {2}: stream offset. */
  ncbuf: QUIC.point('ncbuf', 'state', 'quicGetNcbuf', 'ncbuf op {0}: size {1}, offset {2}'),
  /** {0}: transport error code; {1}: frame type; {2}: offset; {s}: message. */
  error: QUIC.point('quic_err', 'error', 'qcHandleCryptoFrm', 'error {0} frame {1} at {2}: {s}'),
  /** {0}: 1 Retry sent, 2 token validated, 3 token refused; {1}: thread; {2}: datagram bytes; {s}: client address and ODCID, or why refused. */
  retry: QUIC.point('retry', 'proto', 'quicRetry', 'retry op {0} on thread {1} ({2} bytes): {s}'),
  /** {0}: the version the client offered; {1}: datagram bytes; {2}: VN packet bytes; {s}: client address. */
  versionNeg: QUIC.point('version_neg', 'proto', 'quicVersionNegotiation', 'version negotiation for version {0} ({1} bytes), answered with {2} bytes: {s}'),
  /** {0}: 1 sent, 2 rate-limited, 3 trigger too small, 4 withheld (draining or reloading); {1}: trigger bytes; {2}: reset bytes; {s}: client address and DCID. */
  statelessReset: QUIC.point('stateless_reset', 'proto', 'quicStatelessReset', 'stateless reset op {0}: trigger {1} bytes, reset {2} bytes: {s}'),
} as const;
