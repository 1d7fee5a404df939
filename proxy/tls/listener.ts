/**
 * The TLS listener of a `bind ... ssl crt ...` line in a worker (node:tls `createServer`): loads the
 * bind's certificates (proxy/tls/certs.ts) into one secure context each, answers the client's SNI
 * with the matching one (first loaded when none matches), offers the bind's ALPN list, and hands
 * every connection whose handshake completed to the HTTP/1.1 driver as an ordinary socket.
 *
 * Each handshake is recorded by the `ssl` trace source: start (level proto), done with protocol,
 * cipher, SNI, ALPN and the certificate chosen (level state), failure with the client's address
 * and the error (level error; the connection is closed). The handshake is bounded by the
 * frontend's `timeout client` (30 s when unset), as HAProxy bounds it.
 */
import type { Socket } from 'node:net';
import { basename } from 'node:path';
import { createSecureContext, createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';
import type { BindConfig, BindSslConfig, FrontendConfig } from '../config/config.types.ts';
import { tickClock } from '../../diag/ring.ts';
import { createSniMatcher, loadCrts } from './certs.ts';
import { describeTlsError } from './client.ts';
import { STP } from './trace.ts';
import type { LoadedCert, TlsSessionFacts } from './tls.types.ts';

/** Handshake bound when the frontend has no `timeout client` (the HTTP/1.1 driver's default). */
export const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;

interface CertContext {
  names: readonly string[];
  cert: LoadedCert;
  ctx: SecureContext;
}

/** Protocol, cipher, SNI and ALPN of a socket whose handshake completed. */
export function sessionFacts(sock: TLSSocket): TlsSessionFacts {
  return {
    protocol: sock.getProtocol() ?? '?',
    cipher: sock.getCipher()?.name ?? '?',
    sni: typeof sock.servername === 'string' && sock.servername !== '' ? sock.servername : undefined,
    alpn: typeof sock.alpnProtocol === 'string' ? sock.alpnProtocol : undefined,
  };
}

/**
 * Creates (does not listen) the TLS server of bind `b` (which must have `ssl`) of frontend `fe`;
 * `onSecure` receives each connection once its handshake completed. Throws an Error naming the
 * bind's file:line when a certificate cannot be loaded (it was checked at parse time, but files
 * may have changed since).
 */
export function createTlsListener(b: BindConfig & { ssl: BindSslConfig }, fe: FrontendConfig, onSecure: (sock: Socket) => void): Server {
  let certs: LoadedCert[];
  try {
    certs = loadCrts(b.ssl.crt);
  } catch (err) {
    throw new Error(`bind ${b.host}:${b.port} of ${fe.kind} '${fe.name}' (${b.file}:${b.line}): ${(err as Error).message}`);
  }
  const entries: CertContext[] = certs.map((c) => ({ names: c.names, cert: c, ctx: createSecureContext({ cert: c.certPem, key: c.keyPem }) }));
  const pick = createSniMatcher(entries);
  const def = certs[0];
  const peerOf = (s: Socket) => `${s.remoteAddress}:${s.remotePort}`;
  /**
   * Each accepted TCP connection's address (read while it is open: a client that sent its alert and
   * closed leaves none on the TLS socket) and its accept time, for handshake durations.
   */
  const accepted = new WeakMap<Socket, { peer: string; t0: number }>();
  /** What was recorded at accept for the TLS socket `sock` (node:tls keeps the TCP one as `_parent`, which has no public name). */
  const acceptOf = (sock: TLSSocket) => {
    const raw = (sock as unknown as { _parent?: Socket })._parent;
    return (raw && accepted.get(raw)) ?? { peer: peerOf(sock), t0: undefined };
  };

  const srv = createServer(
    {
      cert: def.certPem,
      key: def.keyPem,
      ALPNProtocols: b.ssl.alpn,
      SNICallback: (name, cb) => cb(null, pick(name).entry.ctx),
      handshakeTimeout: fe.timeouts.client ?? DEFAULT_HANDSHAKE_TIMEOUT,
      // As the plain listener: the client may shut its sending side and still get its responses.
      allowHalfOpen: true,
      noDelay: true,
    },
    (sock: TLSSocket) => {
      tickClock();
      const { peer, t0 } = acceptOf(sock);
      if (STP.acceptDone.on) {
        const f = sessionFacts(sock);
        const chosen = basename(pick(f.sni).entry.cert.file);
        const text = `${peer} fe=${fe.name} ${f.protocol} ${f.cipher} sni=${f.sni ?? '-'} alpn=${f.alpn ?? '-'} crt=${chosen}`;
        STP.acceptDone.emit(0, 0, t0 === undefined ? 0 : Date.now() - t0, 0, 0, text);
      }
      onSecure(sock);
    },
  );
  srv.on('connection', (raw: Socket) => {
    tickClock();
    const peer = peerOf(raw);
    accepted.set(raw, { peer, t0: Date.now() });
    if (STP.acceptStart.on) STP.acceptStart.emit(0, 0, 0, 0, 0, `${peer} fe=${fe.name}`);
  });
  srv.on('tlsClientError', (err: NodeJS.ErrnoException, sock: TLSSocket) => {
    tickClock();
    const { peer, t0 } = acceptOf(sock);
    if (STP.acceptError.on) STP.acceptError.emit(0, 0, t0 === undefined ? 0 : Date.now() - t0, 0, 0, `${peer} fe=${fe.name}: ${describeTlsError(err)}`);
    // node:tls leaves a timed-out handshake open when this event has a listener.
    sock.destroy();
  });
  return srv;
}
