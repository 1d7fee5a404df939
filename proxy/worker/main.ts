/**
 * Entry point of a worker thread: attaches to the recorder memory the supervisor allocated, binds
 * every listener with SO_REUSEPORT (the kernel spreads connections across workers), serves
 * HTTP/1.1 (TCP binds) and HTTP/3 (`quic4@`/`quic6@` binds: proxy/quic/udp/listener.ts, datagrams of
 * connections owned by another thread handed over through the supervisor), beats its heartbeat for the watchdog, and turns every way of dying (panic, BUG_ON, pool
 * inconsistency, uncaught error) into a fault record in shared memory before the thread ends, so the
 * supervisor can write the post-mortem.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { createServer, type Server, type Socket } from 'node:net';
import type { FromWorker, ToWorker, WorkerInit } from './worker.types.ts';
import { attachRecorder } from '../../diag/recorder.ts';
import { TS } from '../../diag/thread-state.ts';
import { setPanicHandler, onCheck, currentObject, checkHits, mirrorCurrentObject } from '../../diag/invariants.ts';
import { framesOf } from '../../diag/frames.ts';
import type { FaultKind, FaultRecord } from '../../diag/fault.types.ts';
import { configurePools, declarePool } from '../../diag/pool.ts';
import { serveH1 } from '../h1/conn.ts';
import { createTlsListener } from '../tls/listener.ts';
import { runDebugDev } from './debug-dev.ts';
import { redactText } from '../../diag/redact.ts';
import { tickClock } from '../../diag/ring.ts';
import { attachServerState } from '../stream/backend-runtime.ts';
import { attachCounters } from '../stream/counters.ts';
import { createLogger, type Logger } from '../log/sink.ts';
import { attachStickTables } from '../stick/registry.ts';
import { QuicListener } from '../quic/udp/listener.ts';
import { openH3Connection } from '../h3/driver.ts';
import { declareNcbufPool } from '../quic/crypto-rx.ts';
import { loadCrts } from '../tls/certs.ts';
import { loadServerCredentials } from '../tls13/certificate-chain.ts';
import type { BindConfig, BindSslConfig, FrontendConfig } from '../config/config.types.ts';

process.setSourceMapsEnabled(true);
const init = workerData as WorkerInit;
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);
const cfg = init.config;

const rec = attachRecorder(init.mem, init.proc);
attachServerState(init.servers, cfg.backends);
attachCounters(init.counters, init.thread, cfg);
// The stick-tables the supervisor made: this thread's views, by name (threadStickTables()), counting
// its references in its own ledger (the supervisor drops them if this thread dies).
attachStickTables(cfg.stickTables ?? [], init.stickTables ?? [], undefined, init.thread);
const state = rec.state;

/** Records the fault where the supervisor will find it, then ends this thread. */
function die(fault: FaultRecord, code: number): never {
  state.publish('fault', fault);
  state.f64[TS.status] = 4;
  process.exit(code);
}

setPanicHandler((fault) => die(fault, 134), init.thread);
mirrorCurrentObject(state.f64, TS.curConn); // TS.curStream follows it
onCheck((hit, first) => {
  state.publish('checks', checkHits());
  if (first) process.stderr.write(`[WARNING] thread ${init.thread}: CHECK_IF: ${hit.message} at ${hit.site}\n`);
});

function uncaught(kind: FaultKind, err: unknown): never {
  const e = err instanceof Error ? err : new Error(String(err));
  const cur = currentObject();
  return die(
    {
      kind,
      message: redactText(`${e.name}: ${e.message}`),
      thread: init.thread,
      time: Date.now(),
      frames: framesOf(e),
      context: { connId: cur.connId, streamId: cur.streamId },
    },
    70,
  );
}
process.on('uncaughtException', (err) => uncaught('uncaught', err));
process.on('unhandledRejection', (err) => uncaught('uncaught', err));

const bufferPool = declarePool<Uint8Array>('buffer', { kind: 'buffer', size: cfg.global.tune.bufsize });
// QUIC CRYPTO reassembly buffers are tune.bufsize too (HAProxy takes them from the buffer pool); -m caps them with the rest.
declareNcbufPool(cfg.global.tune.bufsize);
configurePools({
  ...init.pools,
  thread: init.thread,
  // tune.fail-alloc in the configuration wins over -dMfail's 1% preset, as in HAProxy.
  failPercent: cfg.global.tune.failAlloc > 0 ? cfg.global.tune.failAlloc : init.pools.failPercent,
  memLimitBytes: init.pools.memLimitBytes ?? cfg.global.poolMemoryLimit ?? 0,
});

// Heartbeat: the watchdog declares the thread stalled when this stops moving.
state.f64[TS.started] = Date.now();
state.beat();
setInterval(() => {
  tickClock();
  state.beat();
  // V8's own figure: process.memoryUsage() also reads the RSS from /proc at every beat.
  state.f64[TS.heapUsed] = getHeapStatistics().used_heap_size;
  let dropped = 0;
  for (const l of loggers.values()) dropped += l.drops();
  state.f64[TS.droppedLogs] = dropped;
}, init.heartbeatMs).unref();

let draining = false;
const servers: Server[] = [];
const open = new Set<{ closeIfIdle(): void }>();
/** QUIC listeners by `<frontend>|<host>:<port>` (the key handed-over datagrams carry). */
const quicListeners = new Map<string, QuicListener>();
/** QUIC listeners still serving connections during a graceful stop. */
let quicDraining = 0;

// Traffic logs: one logger per frontend with `log` lines (proxy/log/sink.ts).
const loggers = new Map<string, Logger>();
for (const fe of cfg.frontends) {
  const l = createLogger(fe.logs);
  if (l) loggers.set(fe.name, l);
}

const h1ctx = {
  logger: (fe: { name: string }) => loggers.get(fe.name),
  actconn: () => state.f64[TS.connsCur]!,
  lifecycle: rec.lifecycle,
  bufferPool,
  bufsize: cfg.global.tune.bufsize,
  maxhdr: cfg.global.tune.maxhdr,
  onRequest: () => state.f64[TS.reqsTotal]++,
  draining: () => draining,
  redactQueries: cfg.global.redactQueries,
  backends: cfg.backends,
};

/**
 * This worker's share of the connection limits: the frontend's `maxconn` and the process's global
 * `maxconn` (-n) split evenly across workers. Node closes connections over the limit at once
 * (HAProxy leaves them in the kernel's backlog instead); undefined = no limit.
 */
function connectionLimit(feMaxconn: number | undefined): number | undefined {
  const global = cfg.global.maxconn === undefined ? undefined : Math.max(1, Math.ceil(cfg.global.maxconn / init.nbthread));
  if (feMaxconn === undefined) return global;
  return global === undefined ? feMaxconn : Math.min(feMaxconn, global);
}

/** The UDP listener of a `bind quic4@|quic6@ ... ssl crt <pem>` line, serving HTTP/3 (proxy/h3/driver.ts). */
function quicListener(b: BindConfig & { ssl: BindSslConfig; quic: 'quic4' | 'quic6' }, fe: FrontendConfig, key: string): QuicListener {
  const where = `bind ${b.quic}@${b.host}:${b.port} of ${fe.kind} '${fe.name}' (${b.file}:${b.line})`;
  let certs;
  try {
    certs = loadCrts(b.ssl.crt);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  const creds = loadServerCredentials(certs[0].certPem, certs[0].keyPem);
  if (!creds.ok) throw new Error(`${where}: ${creds.message}`);
  return new QuicListener({
    bind: b,
    thread: init.thread,
    nbthread: init.nbthread,
    secret: init.quicSecret,
    quietResetsUntil: init.quietResetsUntil,
    tls: { role: 'server', config: { credentials: creds.value, alpn: b.ssl.alpn ?? ['h3'] } },
    forward: (d) =>
      port.postMessage(
        { type: 'quic-dgram', to: d.thread, from: init.thread, listener: key, data: d.data, remoteAddress: d.remoteAddress, remotePort: d.remotePort } satisfies FromWorker,
        [d.data],
      ),
    app: (path, hooks) => openH3Connection(fe, h1ctx, path, hooks),
    onOpen: () => {
      state.f64[TS.connsCur]++;
      state.f64[TS.connsTotal]++;
    },
    onClose: () => {
      state.f64[TS.connsCur]--;
    },
  });
}

async function listenAll(): Promise<string[]> {
  const out: string[] = [];
  for (const fe of cfg.frontends) {
    for (const b of fe.binds) {
      if (b.quic && b.ssl) {
        const key = `${fe.name}|${b.host}:${b.port}`;
        const l = quicListener({ ...b, ssl: b.ssl, quic: b.quic }, fe, key);
        await l.listen();
        quicListeners.set(key, l);
        out.push(`${fe.name} ${b.quic}@${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port} ssl`);
        continue;
      }
      const onConnection = (sock: Socket) => {
        tickClock();
        if (draining) return sock.destroy();
        state.f64[TS.connsCur]++;
        state.f64[TS.connsTotal]++;
        const h = serveH1(sock, fe, h1ctx);
        open.add(h);
        sock.once('close', () => {
          open.delete(h);
          state.f64[TS.connsCur]--;
          if (draining && open.size === 0 && quicDraining === 0) finishStop();
        });
      };
      // allowHalfOpen: a client that shuts its sending side still gets its responses (serveH1 ends the socket).
      // `bind ... ssl`: a node:tls server hands over connections whose handshake completed (proxy/tls/listener.ts).
      const srv: Server = b.ssl ? createTlsListener({ ...b, ssl: b.ssl }, fe, onConnection) : createServer({ noDelay: true, allowHalfOpen: true }, onConnection);
      const limit = connectionLimit(fe.maxconn);
      if (limit !== undefined) srv.maxConnections = limit;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', (e) =>
          reject(new Error(`cannot bind ${fe.name} to ${b.host}:${b.port} (${b.file}:${b.line}): ${e.message}`)),
        );
        srv.listen({ host: b.host, port: b.port, reusePort: true, backlog: 1024 }, () => resolve());
      });
      servers.push(srv);
      out.push(`${fe.name} ${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}${b.ssl ? ' ssl' : ''}`);
    }
  }
  return out;
}

let stopped = false;
function finishStop(): void {
  if (stopped) return;
  stopped = true;
  state.f64[TS.status] = 3;
  for (const l of loggers.values()) l.close();
  send({ type: 'stopped' });
  process.exit(0);
}

port.on('message', (m: ToWorker) => {
  tickClock();
  if (m.type === 'stop') {
    draining = true;
    state.f64[TS.status] = 2;
    for (const s of servers) s.close();
    for (const h of open) h.closeIfIdle();
    // QUIC: GOAWAY on every connection (RFC 9114 §5.2); open streams complete, then the listener closes.
    quicDraining = quicListeners.size;
    for (const l of quicListeners.values()) {
      l.stop(() => {
        quicDraining--;
        if (open.size === 0 && quicDraining === 0) finishStop();
      });
    }
    if (open.size === 0 && quicDraining === 0) finishStop();
  } else if (m.type === 'quic-dgram') {
    quicListeners.get(m.listener)?.inject(new Uint8Array(m.data), m.remoteAddress, m.remotePort);
  } else if (m.type === 'query') {
    // `show quic`: a record of every QUIC connection of this thread (proxy/quic/show.ts).
    try {
      send({ type: 'query-result', id: m.id, thread: init.thread, quic: [...quicListeners.values()].flatMap((l) => l.showConnections()) });
    } catch (e) {
      send({ type: 'query-result', id: m.id, thread: init.thread, error: e instanceof Error ? e.message : String(e) });
    }
  } else if (m.type === 'debug') {
    // Answer first for commands that end or block the thread, so the operator sees what happens.
    const [cmd] = m.args;
    if (cmd === 'loop' || cmd === 'panic' || cmd === 'bug' || cmd === 'exit' || cmd === 'oom') {
      send({ type: 'debug-result', id: m.id, ok: true, text: `thread ${init.thread}: debug dev ${m.args.join(' ')} started` });
      setImmediate(() => runDebugDev(m.args));
      return;
    }
    try {
      send({ type: 'debug-result', id: m.id, ok: true, text: runDebugDev(m.args) });
    } catch (e) {
      send({ type: 'debug-result', id: m.id, ok: false, text: e instanceof Error ? e.message : String(e) });
    }
  }
});

listenAll().then(
  (listening) => {
    state.f64[TS.status] = 1;
    send({ type: 'ready', listening });
  },
  (e: Error) => {
    send({ type: 'listen-error', message: e.message });
    process.exit(1);
  },
);
