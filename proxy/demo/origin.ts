/**
 * The demo origin: a small node:http application that the supervisor starts when the global
 * `demo-origin <addr>:<port>` keyword asks for it (the embedded default configuration does), so that
 * `npm start` shows proxying end to end without a separate server. It plays the role of a separate
 * application: it runs on the supervisor's thread, never inside a worker, and knows nothing of the
 * proxy.
 *
 * Routes (every answer carries `Cache-Control: no-store` and `X-Demo-Origin: <addr>:<port>`):
 * - `GET /health`: 200 `OK` (the target of `option httpchk GET /health`);
 * - `/slow?ms=N`: the echo page after N ms (0..10000), to watch a stream in `show sess`;
 * - `/stream?kb=N`: a chunked body of N KiB (0..10240, default 64) written 1 KiB at a time;
 * - `/status/<code>`: an answer with that status (200..599);
 * - a request with a body (POST, PUT, PATCH, ...): its body echoed back with its content type;
 * - anything else: a page showing what arrived (method, target, version, peer, headers in order,
 *   X-Forwarded-For included), HTML when the client prefers it, else plain text.
 * Bad parameters get a 400 saying what is accepted.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Longest `/slow` delay, in milliseconds. */
export const DEMO_MAX_SLOW_MS = 10_000;
/** Largest `/stream` body, in KiB. */
export const DEMO_MAX_STREAM_KB = 10_240;
/** `/stream` body size when `kb` is not given, in KiB. */
export const DEMO_DEFAULT_STREAM_KB = 64;

/** A running demo origin. */
export interface DemoOrigin {
  /** Address it listens on (the port actually bound, useful when 0 was asked). */
  readonly host: string;
  readonly port: number;
  /** Stops listening, ends every connection (in flight or idle) and resolves once closed. */
  close(): Promise<void>;
}

/**
 * Starts the demo origin on `host:port`. Rejects with an error saying what could not be bound and
 * why (address in use, permission denied, address not available) when listening fails.
 */
export function startDemoOrigin(host: string, port: number): Promise<DemoOrigin> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let label = `${host}:${port}`;
  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => handle(req, res, label, timers));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'the address is already in use (another program, or another Flightbox, listens there)'
          : err.code === 'EACCES'
            ? 'permission denied (ports below 1024 need privileges)'
            : err.code === 'EADDRNOTAVAIL'
              ? 'the address is not one of this machine'
              : err.message;
      reject(new Error(`cannot listen on ${label}: ${why}`));
    };
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      const bound = (server.address() as { port: number }).port;
      label = `${host.includes(':') ? `[${host}]` : host}:${bound}`;
      let closed: Promise<void> | undefined;
      resolve({
        host,
        port: bound,
        close: () =>
          (closed ??= new Promise<void>((done) => {
            for (const t of timers) clearTimeout(t);
            timers.clear();
            server.close(() => done());
            for (const s of sockets) s.destroy();
          })),
      });
    });
  });
}

function common(res: ServerResponse, label: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Demo-Origin', label);
}

function answer(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function badRequest(res: ServerResponse, msg: string): void {
  answer(res, 400, 'text/plain; charset=utf-8', msg + '\n');
}

/** An integer query parameter in [min, max]; `fallback` when absent; undefined when invalid. */
function intParam(url: URL, name: string, min: number, max: number, fallback: number): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  if (!/^\d+$/.test(text)) return undefined;
  const v = Number(text);
  return v >= min && v <= max ? v : undefined;
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

function handle(req: IncomingMessage, res: ServerResponse, label: string, timers: Set<NodeJS.Timeout>): void {
  common(res, label);
  const url = new URL(req.url ?? '/', 'http://demo.invalid');
  const path = url.pathname;
  if (path === '/health') return answer(res, 200, 'text/plain; charset=utf-8', 'OK\n');
  if (path.startsWith('/status/')) {
    const code = /^\d{3}$/.test(path.slice(8)) ? Number(path.slice(8)) : 0;
    if (code < 200 || code > 599) return badRequest(res, `'/status/<code>' takes a status between 200 and 599, got '${path.slice(8)}'`);
    if (code === 204 || code === 304) {
      res.statusCode = code;
      return void res.end();
    }
    return answer(res, code, 'text/plain; charset=utf-8', `${code} ${STATUS_CODES[code] ?? 'Unknown'} (asked for by ${path})\n`);
  }
  if (path === '/stream') {
    const kb = intParam(url, 'kb', 0, DEMO_MAX_STREAM_KB, DEMO_DEFAULT_STREAM_KB);
    if (kb === undefined) return badRequest(res, `'/stream?kb=N' takes N between 0 and ${DEMO_MAX_STREAM_KB} (KiB), got '${url.searchParams.get('kb')}'`);
    return stream(res, kb);
  }
  if (path === '/slow') {
    const ms = intParam(url, 'ms', 0, DEMO_MAX_SLOW_MS, 1000);
    if (ms === undefined) return badRequest(res, `'/slow?ms=N' takes N between 0 and ${DEMO_MAX_SLOW_MS} (milliseconds), got '${url.searchParams.get('ms')}'`);
    req.resume();
    const t = setTimeout(() => {
      timers.delete(t);
      if (!res.destroyed) page(req, res, label, `answered after ${ms} ms`);
    }, ms);
    timers.add(t);
    res.once('close', () => {
      clearTimeout(t);
      timers.delete(t);
    });
    return;
  }
  if (hasBody(req)) return echo(req, res);
  page(req, res, label, undefined);
}

/** Writes `kb` KiB as chunks of 1 KiB, waiting for 'drain' when the socket is full. */
function stream(res: ServerResponse, kb: number): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  const line = 'Flightbox demo origin: streamed body, 1 KiB per chunk.'.padEnd(1023, '.') + '\n';
  let sent = 0;
  const pump = (): void => {
    while (sent < kb) {
      sent++;
      if (!res.write(line)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.once('close', () => (sent = kb + 1));
  pump();
}

/** Streams the request body back with the same content type. */
function echo(req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', req.headers['content-type'] ?? 'application/octet-stream');
  res.setHeader('X-Demo-Echo', `${req.method} ${req.url}`);
  req.pipe(res);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page showing what arrived; `note` says why it came late (for /slow). */
function page(req: IncomingMessage, res: ServerResponse, label: string, note: string | undefined): void {
  req.resume();
  const lines = [
    `Flightbox demo origin on ${label}${note ? `: ${note}` : ''}.`,
    '',
    'This request reached the demo origin, the server of backend "demo" in the embedded default',
    'configuration, through the proxy. What arrived:',
    '',
    `  ${req.method} ${req.url} HTTP/${req.httpVersion}`,
    `  from ${req.socket.remoteAddress}:${req.socket.remotePort}`,
    '',
  ];
  for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`  ${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  if (req.headers['x-forwarded-for'] === undefined) lines.push('', '  (no X-Forwarded-For: this request did not come through option forwardfor)');
  lines.push(
    '',
    'Try:',
    '  /slow?ms=5000     answers after 5 s (at most 10 s): meanwhile, look at the stream with',
    "                    echo 'show sess' | socat stdio UNIX-CONNECT:/tmp/flightbox.sock",
    `  /stream?kb=1024   a chunked body of 1 MiB (at most ${DEMO_MAX_STREAM_KB} KiB)`,
    '  /status/503       any status between 200 and 599',
    '  /health           the health check of server demo/demo1',
    '  curl -d hello ... a request body is echoed back',
    '  /flightbox        the proxy itself answers (http-request return), the origin never sees it',
    '',
  );
  const text = lines.join('\n');
  const html = /text\/html/.test(req.headers.accept ?? '');
  if (!html) return answer(res, 200, 'text/plain; charset=utf-8', text);
  const body = `<!doctype html>\n<html><head><meta charset="utf-8"><title>Flightbox demo origin</title></head>\n<body><pre>${escapeHtml(text)}</pre></body></html>\n`;
  answer(res, 200, 'text/html; charset=utf-8', body);
}
