/**
 * An HTTP/3 load generator on Flightbox's own engines: M connections, each a client-role
 * QuicConnection (proxy/quic/connection.ts) with an H3QuicClient (proxy/h3/client-connection.ts)
 * on its own node:dgram socket, each keeping N requests in flight, for a duration or a number of
 * requests. It counts completed requests, response body bytes, errors (resets, malformed or non-2xx
 * responses, closed connections) and latency percentiles, and measures its own CPU time.
 *
 * Driving (as proxy/quic/udp/listener.ts does for the server): a datagram is handed to the
 * connection at once; the connection is then serviced once per event-loop turn (setImmediate), so
 * that the datagrams that arrived together are acknowledged together: H3QuicClient.process(), new
 * requests for the ones that ended, every datagram the connection transmits, then one timer at the
 * connection's deadline(). Loopback use: the TLS chain is not verified.
 *
 * Run alone: `npx node test/bench/h3-load.ts <port> [connections] [streams] [seconds] [path]`.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { QuicConnection, type TransportSettings } from '../../proxy/quic/connection.ts';
import { H3QuicClient } from '../../proxy/h3/client-connection.ts';
import type { H3ClientRequest } from '../../proxy/h3/client-connection.types.ts';

/** What to run. */
export interface H3LoadOptions {
  readonly host?: string;
  readonly port: number;
  /** Connections (M). */
  readonly connections: number;
  /** Requests in flight per connection (N). */
  readonly streams: number;
  /** Measured duration in seconds, counted from the moment every connection is ready (unless `requests` ends it first). */
  readonly seconds?: number;
  /** Stop after this many completed (or failed) requests in total. */
  readonly requests?: number;
  readonly path?: string;
  readonly method?: string;
  readonly authority?: string;
  readonly body?: Uint8Array;
  /** Client transport settings (e.g. larger windows for a download). */
  readonly transport?: Partial<TransportSettings>;
  /** Give up (and report what was done) after this many ms in all (default: seconds * 1000 + 15000). */
  readonly timeoutMs?: number;
  /** Called with each response body chunk (the download check); the bytes are counted anyway. */
  readonly onBody?: (streamId: number, bytes: Uint8Array) => void;
}

/** What was measured. */
export interface H3LoadResult {
  readonly completed: number;
  readonly errors: number;
  /** Response body bytes received. */
  readonly bytes: number;
  /** Measured wall time in seconds (from all connections ready to the end). */
  readonly seconds: number;
  readonly rps: number;
  /** Latency of completed requests in ms. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Time from start to all connections ready, in ms. */
  readonly handshakeMs: number;
  /** The generator's own CPU time (user + system) during the measured period, in microseconds. */
  readonly cpuMicros: number;
  /** Responses by status. */
  readonly statuses: ReadonlyMap<number, number>;
  /** The first few error descriptions. */
  readonly errorSamples: readonly string[];
  /** Datagrams sent and received by the generator. */
  readonly datagramsOut: number;
  readonly datagramsIn: number;
  /** The client connections' transport counters, summed: packets they declared lost, PTOs; and their largest smoothed RTT (ms). */
  readonly transport: { readonly packetsLost: number; readonly ptoCount: number; readonly packetsIn: number; readonly maxSmoothedRtt: number };
}

const clock = (): number => performance.now() + 1;

interface Conn {
  readonly index: number;
  readonly sock: Socket;
  readonly quic: QuicConnection;
  readonly h3: H3QuicClient;
  readonly inflight: Map<number, number>;
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
  scheduled: boolean;
  ready: boolean;
  closed: boolean;
}

/** Runs the load (see module doc) and resolves with its figures once every connection is closed. */
export async function runH3Load(o: H3LoadOptions): Promise<H3LoadResult> {
  const host = o.host ?? '127.0.0.1';
  const req: H3ClientRequest = { method: o.method ?? 'GET', authority: o.authority ?? `localhost:${o.port}`, path: o.path ?? '/' };
  const timeoutMs = o.timeoutMs ?? (o.seconds ?? 10) * 1000 + 15_000;
  const conns: Conn[] = [];
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const errorSamples: string[] = [];
  let completed = 0;
  let errors = 0;
  let bytes = 0;
  let issued = 0;
  let running = true;
  let measureStart = 0;
  let cpuStart = process.cpuUsage();
  let readyCount = 0;
  let datagramsOut = 0;
  let datagramsIn = 0;
  const t0 = clock();
  let handshakeMs = 0;

  let finish: () => void = () => {};
  const done = new Promise<void>((r) => (finish = r));

  const fail = (what: string): void => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(what);
  };

  let final = { completed: 0, errors: 0, bytes: 0, latencies: 0 };
  const stop = (): void => {
    if (!running) return;
    running = false;
    final = { completed, errors, bytes, latencies: latencies.length };
    finish();
  };

  const fill = (c: Conn): void => {
    while (running && c.ready && c.inflight.size < o.streams && (o.requests === undefined || issued < o.requests)) {
      const id = c.h3.request(req, o.body);
      if (id === null) return; // MAX_STREAMS: wait for streams-available
      issued++;
      c.inflight.set(id, clock());
    }
  };

  const ended = (c: Conn, id: number, ok: boolean, what?: string): void => {
    const start = c.inflight.get(id);
    if (start === undefined) return;
    c.inflight.delete(id);
    if (ok) {
      completed++;
      latencies.push(clock() - start);
    } else fail(what ?? `stream ${id} failed`);
    if (o.requests !== undefined && completed + errors >= o.requests) stop();
  };

  const service = (c: Conn): void => {
    c.scheduled = false;
    if (c.closed) return;
    c.h3.process();
    for (const e of c.h3.pollEvents()) {
      switch (e.kind) {
        case 'ready':
          c.ready = true;
          if (++readyCount === conns.length) {
            handshakeMs = clock() - t0;
            measureStart = clock();
            cpuStart = process.cpuUsage();
            for (const x of conns) fill(x);
          }
          break;
        case 'response':
          statuses.set(e.response.status, (statuses.get(e.response.status) ?? 0) + 1);
          if (e.response.status >= 300) ended(c, e.streamId, false, `stream ${e.streamId}: status ${e.response.status}`);
          break;
        case 'data':
          bytes += e.bytes.length;
          o.onBody?.(e.streamId, e.bytes);
          break;
        case 'end':
          ended(c, e.streamId, true);
          break;
        case 'reset':
          ended(c, e.streamId, false, `stream ${e.streamId} reset by the server, code 0x${e.code.toString(16)}`);
          break;
        case 'stream-error':
          ended(c, e.streamId, false, e.message);
          break;
        case 'rejected':
          ended(c, e.streamId, false, `stream ${e.streamId} rejected by GOAWAY ${e.goawayId}`);
          break;
        case 'connection-error':
          fail(`connection ${c.index}: ${e.error.code} ${e.error.where}: ${e.error.message}`);
          break;
        case 'closed':
          // Requests still in flight when the run ends (we close) are neither completed nor errors.
          if (!running) break;
          fail(`connection ${c.index} closed (${e.reason.by}): 0x${e.reason.errorCode.toString(16)} ${e.reason.reason}`);
          for (const id of [...c.inflight.keys()]) ended(c, id, false, `connection ${c.index} closed with stream ${id} open`);
          break;
        default:
          break;
      }
    }
    if (readyCount === conns.length) fill(c);
    const now = clock();
    for (let d = c.quic.transmit(now); d; d = c.quic.transmit(now)) {
      datagramsOut++;
      c.sock.send(d.data);
    }
    if (c.quic.state === 'closed') {
      release(c);
      return;
    }
    arm(c, now);
    if (running && conns.every((x) => x.closed)) stop();
  };

  const schedule = (c: Conn): void => {
    if (c.scheduled || c.closed) return;
    c.scheduled = true;
    setImmediate(() => service(c));
  };

  const arm = (c: Conn, now: number): void => {
    const at = c.quic.deadline();
    if (at === undefined) {
      if (c.timer) clearTimeout(c.timer);
      c.timer = undefined;
      return;
    }
    if (c.timer && c.timerAt === at) return;
    if (c.timer) clearTimeout(c.timer);
    c.timerAt = at;
    c.timer = setTimeout(() => {
      c.timer = undefined;
      if (c.closed) return;
      c.quic.onTimeout(clock());
      service(c);
    }, Math.max(0, Math.ceil(at - now)));
  };

  const release = (c: Conn): void => {
    if (c.closed) return;
    c.closed = true;
    if (c.timer) clearTimeout(c.timer);
    c.timer = undefined;
  };

  // Sockets first (their local ports are the client addresses), then the connections.
  for (let i = 0; i < o.connections; i++) {
    const sock = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(0, '127.0.0.1', () => {
          sock.off('error', reject);
          sock.connect(o.port, host, () => resolve());
        });
      });
    } catch (err) {
      // the sockets of the connections already opened must not outlive the failed run
      for (const c of conns) c.sock.close();
      sock.close();
      throw err;
    }
    const local = `127.0.0.1:${sock.address().port}`;
    const path = { local, remote: `${host}:${o.port}` };
    const quic = new QuicConnection({
      tls: { role: 'client', config: { serverName: 'localhost', alpn: ['h3'], verify: { mode: 'none' } } },
      path, now: clock(), transport: o.transport,
    });
    const c: Conn = { index: i, sock, quic, h3: new H3QuicClient(quic, { now: clock }), inflight: new Map(), timer: undefined, timerAt: 0, scheduled: false, ready: false, closed: false };
    sock.on('message', (msg) => {
      if (c.closed) return;
      datagramsIn++;
      c.quic.receive(clock(), msg, path);
      schedule(c);
    });
    sock.on('error', (e) => fail(`connection ${i} socket: ${e.message}`));
    conns.push(c);
  }
  for (const c of conns) service(c);

  const limit = setTimeout(() => {
    fail(`gave up after ${timeoutMs} ms (${readyCount}/${conns.length} connections ready)`);
    stop();
  }, timeoutMs);
  let duration: NodeJS.Timeout | undefined;
  if (o.seconds !== undefined) {
    // The measured period starts when every connection is ready.
    const poll = setInterval(() => {
      if (readyCount < conns.length) return;
      clearInterval(poll);
      // Node's timers count from the loop's cached time, which may lag the clock the period is
      // measured with: stop only once the measured period is complete, else wait for the rest.
      const periodMs = o.seconds! * 1000;
      const stopWhenDone = (): void => {
        const left = periodMs - (clock() - measureStart);
        if (left > 0) duration = setTimeout(stopWhenDone, Math.max(1, Math.ceil(left)));
        else stop();
      };
      duration = setTimeout(stopWhenDone, periodMs);
    }, 5);
    void done.then(() => clearInterval(poll));
  }
  await done;
  clearTimeout(limit);
  if (duration) clearTimeout(duration);
  const end = clock();
  const cpu = process.cpuUsage(cpuStart);
  const seconds = measureStart > 0 ? (end - measureStart) / 1000 : 0;

  // Close every connection (CONNECTION_CLOSE H3_NO_ERROR), let the datagrams leave, then the sockets.
  for (const c of conns) {
    if (c.closed) continue;
    c.h3.close();
    service(c);
    release(c);
  }
  await new Promise((r) => setTimeout(r, 30));
  for (const c of conns) c.sock.close();

  // What happened after the end of the measured period (the closing turn) does not count.
  ({ completed, errors, bytes } = final);
  latencies.length = final.latencies;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]);
  return {
    completed, errors, bytes, seconds, rps: seconds > 0 ? completed / seconds : 0,
    p50: pct(50), p90: pct(90), p99: pct(99), max: latencies.at(-1) ?? NaN,
    handshakeMs, cpuMicros: cpu.user + cpu.system, statuses, errorSamples, datagramsOut, datagramsIn,
    transport: {
      packetsLost: conns.reduce((a, c) => a + c.quic.stats.packetsLost, 0),
      ptoCount: conns.reduce((a, c) => a + c.quic.stats.ptoCount, 0),
      packetsIn: conns.reduce((a, c) => a + c.quic.stats.packetsIn, 0),
      maxSmoothedRtt: Math.max(0, ...conns.map((c) => c.quic.recovery.rtt.smoothedRtt)),
    },
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [port, m = '1', n = '1', secs = '3', path = '/'] = process.argv.slice(2);
  if (!port) {
    console.error('usage: h3-load.ts <port> [connections] [streams] [seconds] [path]');
    process.exit(2);
  }
  const r = await runH3Load({ port: Number(port), connections: Number(m), streams: Number(n), seconds: Number(secs), path });
  console.log(JSON.stringify({ ...r, statuses: Object.fromEntries(r.statuses) }, null, 2));
}
