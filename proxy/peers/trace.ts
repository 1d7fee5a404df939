/**
 * The `peers` trace source: handshake steps, messages received and sent, and protocol errors of the
 * peers protocol engine (proxy/peers/). Event names follow HAProxy's `peers` trace source
 * (`ctrlmsg`, `defmsg`, `swtcmsg`, `updtmsg`, `ackmsg`, `protoerr`), so `trace peers event
 * +updtmsg` reads the same. Imported by proxy/trace-sources.ts.
 *
 * Records carry the connection id the engine was created with (0 when none). Message records: {0}
 * class, {1} type, {2} size in bytes; {s} a one-line description.
 */
import { declareTraceSource, type TracePoint } from '../../diag/trace.ts';
import type { PeerMessage } from './peers.types.ts';

/** Events of the `peers` source (names usable in `trace peers event <name>`). */
export const PEERS_EVENTS = [
  { name: 'hello', desc: 'handshake step: hello or status sent or received' },
  { name: 'ctrlmsg', desc: 'control message sent/received' },
  { name: 'defmsg', desc: 'table definition message sent/received' },
  { name: 'swtcmsg', desc: 'table switch message sent/received' },
  { name: 'updtmsg', desc: 'update message sent/received' },
  { name: 'ackmsg', desc: 'update acknowledgement sent/received' },
  { name: 'errmsg', desc: 'error message sent/received' },
  { name: 'othermsg', desc: 'message of an unknown class or type received (ignored)' },
  { name: 'protoerr', desc: 'protocol error' },
  { name: 'sess', desc: 'session state transition (connecting, hello, established, closed, released)' },
  { name: 'resync', desc: 'synchronisation state transition: learning (resync request/finished/partial/confirm) and teaching' },
  { name: 'link', desc: 'peer link: connect, reconnect timer, collision, session attached/detached' },
] as const;

/** The `peers` trace source. */
export const PEERS = declareTraceSource('peers', 'Peers protocol', PEERS_EVENTS);

type MsgEvent = 'ctrlmsg' | 'defmsg' | 'swtcmsg' | 'updtmsg' | 'ackmsg' | 'errmsg' | 'othermsg';

const EVENT_OF: Record<PeerMessage['kind'], MsgEvent> = {
  control: 'ctrlmsg',
  define: 'defmsg',
  switch: 'swtcmsg',
  update: 'updtmsg',
  ack: 'ackmsg',
  error: 'errmsg',
  unknown: 'othermsg',
};

function perKind(dir: 'rx' | 'tx'): Record<PeerMessage['kind'], TracePoint> {
  const out = {} as Record<PeerMessage['kind'], TracePoint>;
  for (const kind of Object.keys(EVENT_OF) as PeerMessage['kind'][]) {
    const ev = EVENT_OF[kind];
    const level = kind === 'update' || kind === 'ack' ? 'data' : 'proto';
    out[kind] =
      dir === 'rx'
        ? PEERS.point(ev, level, 'peer_treat_awaited_msg', 'received {s} ({2} bytes)')
        : PEERS.point(ev, level, 'peer_send_msg', 'sent {s} ({2} bytes)');
  }
  return out;
}

/** Trace points of proxy/peers/. */
export const PTP = {
  /** {s}: `HAProxyS 2.1 to=<remote> from=<local> pid=<pid>`. */
  helloSent: PEERS.point('hello', 'proto', 'peer_send_hellomsg', 'hello sent: {s}'),
  /** {s}: as helloSent. */
  helloRcvd: PEERS.point('hello', 'proto', 'peer_getline_last', 'hello received: {s}'),
  /** {0}: status code; {s}: its meaning. */
  statusSent: PEERS.point('hello', 'state', 'peer_send_status', 'status {0} sent: {s}'),
  /** {0}: status code; {s}: its meaning. */
  statusRcvd: PEERS.point('hello', 'state', 'peer_getstatus', 'status {0} received: {s}'),
  /** Per message kind, a received-message point. */
  rx: perKind('rx'),
  /** Per message kind, a sent-message point. */
  tx: perKind('tx'),
  /** {0}: stream offset; {s}: `<code>: <message>`. */
  protoError: PEERS.point('protoerr', 'error', 'peer_treat_awaited_msg', 'protocol error at offset {0}: {s}'),
  /** {s}: `<peer> <from> -> <to>: <why>` (proxy/peers/session.ts). */
  sessState: PEERS.point('sess', 'state', 'peer_session_state', 'session {s}'),
  /** {s}: `<peer> learn|teach <from> -> <to>: <why>` (session and section learn state). */
  syncState: PEERS.point('resync', 'state', 'sync_peer_learn_state', 'sync {s}'),
  /** {0}: delay in ms when a reconnect is scheduled; {s}: `<section>/<peer>: <what>`. */
  link: PEERS.point('link', 'state', 'process_peer_sync', 'link {s} ({0} ms)'),
  /** {0}: handshake ms; {s}: `<section>/<peer|address>: <protocol> <cipher> (initiator|acceptor)` (proxy/peers/runtime.ts). */
  tlsDone: PEERS.point('link', 'state', 'peer_ssl_handshake', 'TLS handshake done in {0} ms: {s}'),
  /** {0}: ms until the failure; {s}: `<section>/<peer|address>: <error code>: <message>`. */
  tlsError: PEERS.point('link', 'error', 'peer_ssl_handshake', 'TLS handshake failed after {0} ms: {s}'),
} as const;
