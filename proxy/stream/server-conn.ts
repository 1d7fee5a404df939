/**
 * Connections from a worker to servers: opened with `timeout connect`, each with its own response
 * parser (proxy/h1/response-parser.ts), and kept per server in an idle list for `http-reuse`
 * (HAProxy configuration manual 4.2 "http-reuse"): `never` closes after each response; `safe` (the
 * default) reuses an idle connection except for the first request of a client connection;
 * `aggressive` also lets a first request use an idle connection that has already been reused
 * (proven to survive reuse); `always` reuses for any request.
 *
 * Each connection is a pooled object (pool `server_conn`) and a lifecycle object of kind `conn`
 * whose parent is the stream that opened it, so `show conns` / `show sess` list it; a reuse by
 * another stream is recorded as an `attach` event carrying that stream's id, a return to the idle
 * list as `detach`. The socket's events go to the current owner (one forwarding stream at a time).
 *
 * A server with `ssl` is reached through node:tls (proxy/tls/client.ts): the connection counts as
 * established once the TLS handshake completed (both bounded by `timeout connect`), a handshake or
 * certificate failure is a connection failure (retried, then 503) whose reason names the TLS error,
 * and an idle TLS connection is reused only by a request that sends the same SNI.
 */
import { LC_CONN_STATE, LC_TIMER } from '../../diag/lifecycle.types.ts';
import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { ServerConfig } from '../config/config.types.ts';
import type { H1ResponseParser } from '../h1/response-parser.ts';
import { createResponseParser } from '../h1/response-parser.ts';
import type { BackendRuntime } from './backend-runtime.ts';
import { BTP } from './trace.ts';
import { declarePool, declarePoolSite, type Pool } from '../../diag/pool.ts';
import type { Lifecycle, LcHandle } from '../../diag/lifecycle.ts';
import { tickClock } from '../../diag/ring.ts';
import { flushWrites } from './write-batch.ts';
import { InactivityTimer, LazyTimer } from './lazy-timer.ts';
import { describeTlsError, resolveServerSni, serverTlsOptions } from '../tls/client.ts';
import { STP } from '../tls/trace.ts';

/** What a connection reports to the stream using it. */
export interface ServerConnOwner {
  /** The TCP connection is established (only for a fresh connection). */
  serverConnected(): void;
  /** The connection could not be established: refused, unreachable, or `timeout connect`. */
  serverConnectFailed(reason: string, timedOut: boolean): void;
  /** Bytes from the server. */
  serverData(chunk: Buffer): void;
  /** The server closed (or reset) an established connection. */
  serverClosed(reason: string): void;
  /** The socket's send buffer drained (backpressure towards the server is over). */
  serverDrain(): void;
  /** Nothing was read or written for its `timeout server` (or `timeout tunnel`): see ServerConn.inactive. */
  serverTimedOut(): void;
}

/** One connection to a server (pooled, `server_conn`). */
export interface ServerConn {
  lc: LcHandle | undefined;
  sock: Socket | undefined;
  parser: H1ResponseParser | undefined;
  rt: BackendRuntime | undefined;
  server: ServerConfig | undefined;
  /** Requests sent on it so far. */
  requests: number;
  state: 'connecting' | 'active' | 'idle' | 'closed';
  owner: ServerConnOwner | undefined;
  /** `timeout connect`, while connecting. */
  timer: NodeJS.Timeout | undefined;
  /** IDLE_TIMEOUT, armed while idle (lazy: parking and taking it back costs no timer work). */
  idle: LazyTimer | undefined;
  /**
   * `timeout server` (or `timeout tunnel`) while a stream uses it: the stream sets it and reports its
   * writes (wrote()), the connection its reads. Its expiry calls the owner's serverTimedOut().
   */
  inactive: InactivityTimer | undefined;
  lifecycle: Lifecycle | undefined;
  /** The server has `ssl`: the socket is a TLSSocket. */
  tls: boolean;
  /** The SNI sent (TLS only); a reuse must send the same. */
  sni: string | undefined;
  /** Idle and private to this client connection (`http-reuse never`); 0 when shareable. */
  privateTo: number;
}

const POOL: Pool<ServerConn> = declarePool<ServerConn>('server_conn', {
  kind: 'object',
  size: 256,
  create: () => blank(),
  reset: (c) => Object.assign(c, blank()),
});

function blank(): ServerConn {
  return {
    lc: undefined,
    sock: undefined,
    parser: undefined,
    rt: undefined,
    server: undefined,
    requests: 0,
    state: 'connecting',
    owner: undefined,
    timer: undefined,
    idle: undefined,
    inactive: undefined,
    lifecycle: undefined,
    tls: false,
    sni: undefined,
    privateTo: 0,
  };
}

const SITE = {
  alloc: declarePoolSite('openServerConn'),
  free: declarePoolSite('closeServerConn'),
} as const;

/** How long an idle server connection is kept (HAProxy's `pool-purge-delay` default). */
export const IDLE_TIMEOUT = 5_000;
/**
 * Most idle connections kept per server and worker. HAProxy's `pool-max-conn` defaults to no limit:
 * a server keeps as many idle connections as were busy at once, each closed after IDLE_TIMEOUT. A
 * low cap is costly: with more concurrent clients than the cap, every response beyond it closes its
 * connection and the next request opens one (measured: 256 clients over a cap of 64 doubled the
 * proxy's CPU per request). This only bounds memory against a pathological peak.
 */
export const MAX_IDLE_PER_SERVER = 4096;

/** Options of openServerConn(). */
export interface OpenOptions {
  lifecycle: Lifecycle;
  /** The stream opening it (lifecycle parent). */
  streamId: number;
  /** Client connection id, for traces. */
  connId: number;
  bufsize: number;
  maxhdr: number;
  /** The request's Host header, for a server's `sni req.hdr(host)`; undefined: unknown (no SNI then). */
  host?: string;
}

/**
 * What a plain TCP server socket reads into (one per thread): Node's `onread` option, instead of
 * the Readable stream's fresh 64 KiB allocation, push, 'data' event and next-tick read-ahead per
 * read. The bytes are copied out before the callback returns (the next read overwrites them).
 */
const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * A socket connecting to `server`: TCP, or TLS (node:tls) sending `sni` when the server has `ssl`.
 * Every chunk read goes to `onData`, as a Buffer the callee owns. When the TLS options cannot be
 * built (the CA file became unreadable since the configuration was checked), a socket that fails at
 * once with an `SSL setup failure` error, like a refused connection.
 */
function connectSocket(server: ServerConfig, sni: string | undefined, onData: (chunk: Buffer) => void): Socket {
  if (!server.ssl) {
    const onread = {
      buffer: READ_BUFFER,
      callback(n: number, buf: Uint8Array): boolean {
        const chunk = Buffer.allocUnsafe(n); // small reads are slices of Node's shared pool
        chunk.set(buf.subarray(0, n));
        onData(chunk);
        return true; // pausing is the owner's, through sock.pause()
      },
    };
    return netConnect({ host: server.host, port: server.port, noDelay: true, onread });
  }
  let opts: ConnectionOptions;
  try {
    opts = serverTlsOptions(server, sni);
  } catch (err) {
    const sock = new Socket();
    const e: NodeJS.ErrnoException = new Error(`SSL setup failure: ${(err as Error).message}`);
    e.code = 'ERR_SSL_SETUP';
    queueMicrotask(() => sock.destroy(e));
    return sock;
  }
  // node:tls passes only the address to the TCP connect: set no-delay on the socket itself.
  return tlsConnect({ host: server.host, port: server.port, ...opts }).setNoDelay(true).on('data', onData);
}

/**
 * Opens a connection to `server` of `rt` for `owner`, bounded by the backend's `timeout connect`.
 * Returns undefined when the pool refuses the object (an allocation failure the caller answers).
 */
export function openServerConn(rt: BackendRuntime, server: ServerConfig, owner: ServerConnOwner, o: OpenOptions): ServerConn | undefined {
  const c = POOL.alloc(o.streamId, SITE.alloc);
  if (!c) return undefined;
  const addr = `${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
  const what = `${rt.cfg.name}/${server.name} ${addr}`;
  c.lifecycle = o.lifecycle;
  c.tls = server.ssl;
  c.sni = server.ssl ? resolveServerSni(server.sni, o.host) : undefined;
  c.lc = o.lifecycle.create('conn', o.streamId, `-> ${what}${server.ssl ? ' ssl' : ''} be=${rt.cfg.name}`);
  c.rt = rt;
  c.server = server;
  c.owner = owner;
  c.state = 'connecting';
  c.parser = createResponseParser({ maxHeaderBytes: o.bufsize, maxHeaders: o.maxhdr });
  if (BTP.connect.on) BTP.connect.emit(o.connId, o.streamId, c.lc.id, 0, 0, what);
  const sock = connectSocket(server, c.sni, (chunk) => {
    tickClock();
    if (!mine()) return;
    if (c.state === 'idle') {
      // A server speaking while idle is out of protocol (RFC 9112 §9.3): drop the connection.
      closeServerConn(c, 'data on an idle connection');
      return;
    }
    c.inactive!.read();
    c.owner?.serverData(chunk);
  });
  c.sock = sock;
  // Every handler checks that `c` still holds this socket: once closed, the object goes back to its
  // pool and may already carry another connection when the socket's last events arrive.
  const mine = () => c.sock === sock;
  c.idle = new LazyTimer(() => {
    if (mine() && c.state === 'idle') closeServerConn(c, 'idle timeout');
  }, true);
  c.inactive = new InactivityTimer(sock, () => {
    if (mine() && c.state === 'active') c.owner?.serverTimedOut();
  });
  /** TLS: the TCP connection is up and the handshake is in progress (failures are handshake failures). */
  let handshaking = false;
  const t0 = Date.now();
  o.lifecycle.setPhase(c.lc, LC_CONN_STATE.connecting, LC_TIMER.connect, rt.connectTimeout);
  c.timer = setTimeout(() => {
    tickClock();
    if (!mine() || c.state !== 'connecting') return;
    o.lifecycle.event(c.lc!, 'timeout', rt.connectTimeout);
    if (BTP.timeout.on) BTP.timeout.emit(o.connId, o.streamId, rt.connectTimeout, 0, 0, 'timeout connect');
    const ow = c.owner;
    closeServerConn(c, 'timeout connect');
    ow?.serverConnectFailed('timeout connect', true);
  }, rt.connectTimeout);
  if (server.ssl) {
    sock.on('connect', () => {
      tickClock();
      if (!mine() || c.state !== 'connecting') return;
      handshaking = true;
      if (STP.connectStart.on) STP.connectStart.emit(o.connId, o.streamId, c.lc!.id, 0, 0, `${what} sni=${c.sni ?? '-'}`);
    });
  }
  sock.on(server.ssl ? 'secureConnect' : 'connect', () => {
    tickClock();
    if (!mine() || c.state !== 'connecting') return;
    if (server.ssl && STP.connectDone.on) {
      const t = sock as TLSSocket;
      const text = `${rt.cfg.name}/${server.name} ${t.getProtocol() ?? '?'} ${t.getCipher()?.name ?? '?'} sni=${c.sni ?? '-'}`;
      STP.connectDone.emit(o.connId, o.streamId, c.lc!.id, Date.now() - t0, 0, text);
    }
    clearTimeout(c.timer);
    c.timer = undefined;
    c.state = 'active';
    o.lifecycle.setPhase(c.lc!, LC_CONN_STATE.active, LC_TIMER.none, undefined);
    o.lifecycle.event(c.lc!, 'attach', o.streamId);
    if (BTP.connected.on) BTP.connected.emit(o.connId, o.streamId, c.lc!.id, 0, 0, what);
    c.owner?.serverConnected();
  });
  sock.on('drain', () => {
    if (mine()) c.owner?.serverDrain();
  });
  sock.on('error', (e: NodeJS.ErrnoException) => {
    tickClock();
    if (mine() && c.state === 'connecting') {
      const ow = c.owner;
      // HAProxy's wording for a failed handshake (certificate refused included) is "SSL handshake failure".
      const tlsFailure = handshaking || /^(ERR_SSL|ERR_TLS)|CERT|SELF_SIGNED|UNABLE_TO/.test(e.code ?? '');
      const reason = tlsFailure ? `SSL handshake failure (${describeTlsError(e)})` : (e.code ?? e.message);
      if (tlsFailure && STP.connectError.on) STP.connectError.emit(o.connId, o.streamId, c.lc!.id, 0, 0, `${rt.cfg.name}/${server.name}: ${describeTlsError(e)}`);
      o.lifecycle.event(c.lc!, 'error');
      closeServerConn(c, `connect failed: ${reason}`);
      ow?.serverConnectFailed(reason, false);
    }
    // errors of an established connection are reported by 'close'
  });
  sock.on('close', () => {
    tickClock();
    if (!mine() || c.state === 'closed') return;
    // The owner reads what is left in the parser first; it may close the connection itself.
    if (c.state === 'active') c.owner?.serverClosed('closed by server');
    if (mine()) closeServerConn(c, 'closed by server');
  });
  return c;
}

/**
 * Idle server connections private to a client connection (`http-reuse never`: HAProxy keeps the
 * connection attached to the session that opened it, configuration manual 4.2), by client
 * connection id; at most one each, its last.
 */
const privateIdle = new Map<number, ServerConn>();

/**
 * An idle connection to `server` for a new request, or undefined. `firstRequest` is true for the
 * first request of a client connection (`safe` does not reuse for it, `aggressive` only a connection
 * already reused); with `never`, only the connection private to `clientConn` (the client connection
 * id) qualifies. `host` is the request's Host header (as for {@link OpenOptions}): a TLS connection
 * is reused only by a request that would send the same SNI. The connection is detached from the
 * idle list and handed to `owner`.
 */
export function takeIdle(
  rt: BackendRuntime,
  server: ServerConfig,
  firstRequest: boolean,
  clientConn: number,
  owner: ServerConnOwner,
  streamId: number,
  host?: string,
): ServerConn | undefined {
  const mode = rt.cfg.reuse;
  const sni = server.ssl ? resolveServerSni(server.sni, host) : undefined;
  if (mode === 'never') {
    const c = privateIdle.get(clientConn);
    if (!c || !fits(c, rt, server, sni)) return undefined;
    privateIdle.delete(clientConn);
    c.privateTo = 0;
    return attachIdle(c, owner, streamId);
  }
  const list = rt.idle.get(server.name) as ServerConn[] | undefined;
  if (!list || list.length === 0) return undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const c = list[i];
    const ok = mode === 'always' || !firstRequest || (mode === 'aggressive' && c.requests > 1);
    if (!ok || !fits(c, rt, server, sni)) continue;
    if (i === list.length - 1) list.pop(); // the usual case: the most recently parked
    else list.splice(i, 1);
    return attachIdle(c, owner, streamId);
  }
  return undefined;
}

/** `c` connects to `server` of `rt` with the same TLS and SNI (it may serve that request). */
function fits(c: ServerConn, rt: BackendRuntime, server: ServerConfig, sni: string | undefined): boolean {
  return c.rt === rt && c.server === server && c.tls === server.ssl && c.sni === sni;
}

function attachIdle(c: ServerConn, owner: ServerConnOwner, streamId: number): ServerConn {
  c.idle!.disarm();
  c.state = 'active';
  c.owner = owner;
  c.lifecycle!.setPhase(c.lc!, LC_CONN_STATE.active, LC_TIMER.none, undefined);
  c.lifecycle!.event(c.lc!, 'attach', streamId);
  return c;
}

/** Closes the idle connection private to client connection `clientConn`, if any (it closed). */
export function closePrivateServerConn(clientConn: number): void {
  const c = privateIdle.get(clientConn);
  if (c) closeServerConn(c, 'client connection closed (http-reuse never)');
}

/**
 * Puts a connection whose response completed (and that may carry another) in its server's idle list,
 * or closes it when the list is full; with `privateTo` (a client connection id, `http-reuse never`)
 * it is kept for that client connection only, replacing the one it had. It is closed after
 * IDLE_TIMEOUT, when the server closes it, or (private) when its client connection closes.
 */
export function parkServerConn(c: ServerConn, privateTo = 0): void {
  if (privateTo !== 0) {
    const old = privateIdle.get(privateTo);
    if (old && old !== c) closeServerConn(old, 'replaced by a newer private connection');
    if (c.sock!.destroyed) {
      closeServerConn(c, 'closed');
      return;
    }
    c.privateTo = privateTo;
    privateIdle.set(privateTo, c);
  } else {
    const name = c.server!.name;
    let list = c.rt!.idle.get(name) as ServerConn[] | undefined;
    if (!list) c.rt!.idle.set(name, (list = []));
    if (list.length >= MAX_IDLE_PER_SERVER || c.sock!.destroyed) {
      closeServerConn(c, 'idle list full');
      return;
    }
    list.push(c);
  }
  c.state = 'idle';
  c.owner = undefined;
  c.inactive!.cancel(); // the next stream sets its own; IDLE_TIMEOUT governs it meanwhile
  c.lifecycle!.setPhase(c.lc!, LC_CONN_STATE.idle, LC_TIMER.none, undefined);
  c.lifecycle!.event(c.lc!, 'detach');
  c.idle!.arm(IDLE_TIMEOUT);
}

/**
 * Closes the connection (destroying its socket), removes it from the idle list, records the close
 * and gives the pooled object back. Idempotent. The owner is not called back.
 */
export function closeServerConn(c: ServerConn, why: string): void {
  if (c.state === 'closed') return;
  const wasIdle = c.state === 'idle';
  c.state = 'closed';
  c.owner = undefined;
  clearTimeout(c.timer);
  c.timer = undefined;
  c.idle?.cancel();
  c.inactive?.cancel();
  if (wasIdle && c.privateTo !== 0) {
    if (privateIdle.get(c.privateTo) === c) privateIdle.delete(c.privateTo);
    c.privateTo = 0;
  } else if (wasIdle) {
    const list = c.rt!.idle.get(c.server!.name) as ServerConn[] | undefined;
    const i = list ? list.indexOf(c) : -1;
    if (i >= 0) list!.splice(i, 1);
  }
  const sock = c.sock!;
  flushWrites(sock); // what this turn wrote to it leaves first (write-batch.ts)
  sock.destroy();
  if (BTP.close.on) BTP.close.emit(0, 0, c.lc!.id, 0, 0, why);
  c.lifecycle!.event(c.lc!, 'close');
  c.lifecycle!.release(c.lc!);
  POOL.free(c, SITE.free);
}
