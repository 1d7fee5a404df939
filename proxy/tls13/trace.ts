/**
 * The `tls13` trace source: steps of the TLS 1.3 handshakes that QUIC carries (proxy/tls13/server.ts
 * and client.ts): messages received and sent with their encryption level, HelloRetryRequest, keys
 * installed (level and direction only: secrets are never traced), completion and alerts. Records
 * carry the connection id the engine was created with (0 when none). The integrator adds
 * `import './tls13/trace.ts'` to proxy/trace-sources.ts.
 */
import { declareTraceSource } from '../../diag/trace.ts';

/** Events of the `tls13` source (names usable in `trace tls13 event <name>`). */
export const TLS13_EVENTS = [
  { name: 'hs-rx', desc: 'handshake message received' },
  { name: 'hs-tx', desc: 'handshake message sent' },
  { name: 'hs-hrr', desc: 'HelloRetryRequest sent or received' },
  { name: 'hs-keys', desc: 'traffic secret installed (level, direction)' },
  { name: 'hs-done', desc: 'handshake complete' },
  { name: 'hs-alert', desc: 'handshake failed with a TLS alert' },
] as const;

/** The `tls13` trace source. */
export const TLS13 = declareTraceSource('tls13', 'TLS 1.3 handshake for QUIC', TLS13_EVENTS);

/** Level codes used as trace arguments: 0 Initial, 1 Handshake, 2 application. */
export const LEVEL_CODE = { initial: 0, handshake: 1, application: 2 } as const;

/** Trace points of proxy/tls13/. {s} starts with `server` or `client`. */
export const T13 = {
  /** {0}: handshake type; {1}: level code; {2}: message length; {s}: role and message name. */
  rx: TLS13.point('hs-rx', 'proto', 'tls13_process_msg', 'rx type {0} at level {1}, {2} bytes: {s}'),
  /** {0}: handshake type; {1}: level code; {2}: message length; {s}: role and message name. */
  tx: TLS13.point('hs-tx', 'proto', 'tls13_send_msg', 'tx type {0} at level {1}, {2} bytes: {s}'),
  /** {0}: selected group; {1}: cookie length; {s}: role. */
  hrr: TLS13.point('hs-hrr', 'state', 'tls13_hello_retry', 'HelloRetryRequest for group {0}, cookie {1} bytes: {s}'),
  /** {0}: level code; {1}: 0 read / 1 write; {2}: cipher suite code; {s}: role. */
  keys: TLS13.point('hs-keys', 'state', 'tls13_install_keys', 'keys installed: level {0} dir {1} suite {2}: {s}'),
  /** {0}: cipher suite code; {1}: group code; {2}: 1 if retried; {s}: `<role> alpn=<p|-> sni=<n|->`. */
  done: TLS13.point('hs-done', 'state', 'tls13_complete', 'handshake complete suite {0} group {1} retried {2}: {s}'),
  /** {0}: alert code; {1}: QUIC error code; {2}: offset; {s}: `<role> <alert>: <message>`. */
  alert: TLS13.point('hs-alert', 'error', 'tls13_alert', 'alert {0} (QUIC {1}) at {2}: {s}'),
} as const;
