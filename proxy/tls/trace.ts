/**
 * The `ssl` trace source: TLS handshakes of accepted client connections (`bind ... ssl`) and of
 * connections to servers (`server ... ssl`), and their failures. Imported by proxy/trace-sources.ts
 * so the supervisor knows it before any worker starts.
 *
 * The record of an accepted connection carries connection id 0 (the handshake completes before the
 * HTTP/1.1 driver creates the connection object); its text starts with the client's `ip:port`, as
 * the lifecycle info of the connection that follows does. A server-side record carries the client
 * connection and stream ids, and the server connection's id as argument {0}.
 */
import { declareTraceSource } from '../../diag/trace.ts';

/** Events of the `ssl` source (names usable in `trace ssl event <name>`). */
export const SSL_EVENTS = [
  { name: 'hs-start', desc: 'TLS handshake started' },
  { name: 'hs-done', desc: 'TLS handshake completed (protocol, cipher, SNI, ALPN)' },
  { name: 'hs-error', desc: 'TLS handshake failed' },
] as const;

/** The `ssl` trace source. */
export const SSL = declareTraceSource('ssl', 'TLS handshakes (node:tls)', SSL_EVENTS);

/** Trace points of proxy/tls/. */
export const STP = {
  /** {s}: `<client ip:port> fe=<frontend>`. */
  acceptStart: SSL.point('hs-start', 'proto', 'ssl_sock_accept', 'handshake started: {s}'),
  /** {0}: handshake ms; {s}: `<client> fe=<fe> <protocol> <cipher> sni=<name|-> alpn=<proto|->`. */
  acceptDone: SSL.point('hs-done', 'state', 'ssl_sock_accept', 'handshake done in {0} ms: {s}'),
  /** {0}: ms until the failure; {s}: `<client> fe=<fe>: <error code>: <message>`. */
  acceptError: SSL.point('hs-error', 'error', 'ssl_sock_accept', 'client handshake failed after {0} ms: {s}'),
  /** {0}: server connection id; {s}: `<be>/<srv> <addr> sni=<name|->`. */
  connectStart: SSL.point('hs-start', 'proto', 'ssl_sock_connect', 'handshake with server conn {0} started: {s}'),
  /** {0}: server connection id; {1}: handshake ms; {s}: `<be>/<srv> <protocol> <cipher> sni=<name|->`. */
  connectDone: SSL.point('hs-done', 'state', 'ssl_sock_connect', 'handshake with server conn {0} done in {1} ms: {s}'),
  /** {0}: server connection id; {s}: `<be>/<srv>: <error code>: <message>` (certificate failures included). */
  connectError: SSL.point('hs-error', 'error', 'ssl_sock_connect', 'server conn {0} handshake failed: {s}'),
} as const;
