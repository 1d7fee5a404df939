/**
 * The reference point of the proxy benchmark (issue 3, "(c) a minimal node:http reverse proxy"):
 * the smallest reverse proxy node:http allows, with no routing, header rewriting or logging.
 * One `http.createServer` whose handler forwards each request with `http.request` through a
 * keep-alive Agent (connections to the origin are reused, as `http-reuse safe` does in HAProxy)
 * and pipes both bodies. Errors toward the origin answer 502, like a proxy would.
 *
 *   node dist/test/bench/node-proxy.js <listen-port> <origin-port> [origin-host]
 *
 * Prints `listening on 127.0.0.1:<port>` on stdout once it accepts connections. Loopback only.
 */
import { createServer, request, Agent } from 'node:http';

/**
 * Starts the reference proxy on 127.0.0.1:`listenPort` forwarding to `originHost`:`originPort`.
 * Resolves with the bound port once listening (pass 0 to get a free one).
 */
export function startNodeProxy(listenPort: number, originPort: number, originHost = '127.0.0.1'): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });
  const server = createServer((req, res) => {
    const up = request(
      { host: originHost, port: originPort, method: req.method, path: req.url, headers: req.headers, agent },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway\n');
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : listenPort);
    });
  });
}

// Run as a program (the benchmark spawns it so its CPU time is its own process's).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [listen, origin, host] = process.argv.slice(2);
  if (!listen || !origin) {
    process.stderr.write('usage: node-proxy.js <listen-port> <origin-port> [origin-host]\n');
    process.exit(2);
  }
  const port = await startNodeProxy(Number(listen), Number(origin), host ?? '127.0.0.1');
  process.stdout.write(`listening on 127.0.0.1:${port}\n`);
}
