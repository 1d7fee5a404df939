/**
 * Free loopback ports for tests and benchmarks. No vitest here: the benchmark scripts (plain node,
 * test/bench/*.ts) import it as well as test/e2e/harness.ts (which re-exports `freePort`).
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (the kernel's pick; free when this resolves, not reserved). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * A port free for both TCP and UDP on 127.0.0.1 (a TCP bind and a quic4 bind sharing the number);
 * rejects after 20 tries.
 */
export async function freeTcpUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1');
}
