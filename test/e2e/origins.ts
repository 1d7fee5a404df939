/**
 * Origin servers for the e2e tests: real node:net / node:http(s) servers on 127.0.0.1 standing
 * behind the proxy. Each listens on a port of its own (the kernel's choice unless given), counts
 * and tracks its connections, and closes with every connection still open destroyed. Every origin
 * started here that a test did not close is closed when its file's tests end (an `afterAll` at the
 * top level, run after the describe-level ones that stop the proxies in front of them).
 */
import { afterAll } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** A listening origin. */
export interface Origin {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** TCP connections accepted so far. */
  readonly conns: number;
  /** Its connections still open. */
  readonly sockets: ReadonlySet<Socket>;
  /** Destroys its open connections and stops listening; resolves once closed. Calling it again is harmless. */
  close(): Promise<void>;
}

const open = new Set<Origin>();

/** Closes every origin still open (run after each file's tests; callable earlier). */
export async function closeOrigins(): Promise<void> {
  await Promise.all([...open].map((o) => o.close()));
}
afterAll(closeOrigins);

/** Makes `srv` listen on 127.0.0.1:`port` (0: a free port chosen by the kernel); resolves with the port. */
export async function listenLocal(srv: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      srv.off('error', reject);
      resolve();
    });
  });
  return (srv.address() as { port: number }).port;
}

/**
 * Makes `srv` (a node:net server or one built on it: http, https) an `Origin` listening on
 * 127.0.0.1:`opts.port` (default 0, a free port). `opts.onConnection` sees each accepted socket after
 * the origin counted and tracked it.
 */
export async function listen(srv: Server, opts: { port?: number; onConnection?: (s: Socket) => void } = {}): Promise<Origin> {
  const sockets = new Set<Socket>();
  let conns = 0;
  srv.on('connection', (s: Socket) => {
    conns++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    opts.onConnection?.(s);
  });
  const port = await listenLocal(srv, opts.port);
  let closing: Promise<void> | undefined;
  const origin: Origin = {
    port,
    get conns() {
      return conns;
    },
    sockets,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }).then(() => void open.delete(origin));
      return closing;
    },
  };
  open.add(origin);
  return origin;
}

/** A node:http origin answering with `handler`; `options` are node:http's server options. */
export function httpOrigin(handler: (req: IncomingMessage, res: ServerResponse) => void, options: ServerOptions = {}): Promise<Origin> {
  return listen(createHttpServer(options, handler));
}

/** A raw TCP origin: `onConnection` gets each accepted socket (to answer, stay silent, or die). */
export function tcpOrigin(onConnection: (s: Socket) => void): Promise<Origin> {
  return listen(createTcpServer(onConnection));
}

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2 item 5.4). */
export function wsAccept(key: string): string {
  return createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

/** A WebSocket origin: 101 to every upgrade request, then it echoes every byte; `plain` to other requests. */
export function wsEchoOrigin(): Promise<Origin> {
  const srv = createHttpServer((_req, res) => res.end('plain\n'));
  srv.on('upgrade', (req: IncomingMessage, sock: Duplex) => {
    sock.on('error', () => {});
    sock.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${wsAccept(String(req.headers['sec-websocket-key']))}\r\n\r\n`);
    sock.pipe(sock);
  });
  return listen(srv);
}
