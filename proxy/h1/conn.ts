/**
 * The HTTP/1.1 connection driver of a worker: owns a socket, feeds the sans-IO request parser
 * (proxy/h1/parser.ts), applies the `http-request` / `http-response` rules (proxy/stream/rules.ts)
 * and writes responses (proxy/h1/response.ts), with timeouts, keep-alive and pipelining (requests
 * answered in order).
 *
 * When no `http-request` rule answers (deny, return, redirect), the stream is routed
 * (proxy/stream/backend-runtime.ts) and forwarded to a server (proxy/stream/forward.ts); the events
 * of a pipelined next request are held until that response is complete, so responses leave in
 * request order.
 *
 * A request offering a protocol upgrade (RFC 9110 §7.8) stops HTTP parsing once it is complete: the
 * client's next bytes are kept raw (and the socket paused) until the answer. A 101 turns the
 * connection into a tunnel (the kept bytes go first, HTTP is never parsed again on it, `timeout
 * tunnel` replaces `timeout client`); any other answer resumes HTTP with the kept bytes.
 *
 * Stick-table tracking (proxy/stick/track.ts): when the worker has stick-tables, the connection's
 * `tcp-request connection` rules run at accept (its own tracked counters, released when it
 * closes), and each stream gets tracked counters of its own (`http-request track-sc*`), counted
 * per request, per client error (4xx, denied or invalid request) and per byte both ways, and
 * released exactly once in endStream(), the one place every stream ends (normal end, error, client
 * abort, timeout, tunnel end).
 *
 * Everything it does is recorded: trace points of source `h1`, lifecycle events of its connection
 * and streams, pooled receive buffers (pool `buffer`, tune.bufsize) and pooled connection/stream
 * objects, so a snapshot can tell which request a crash happened on and how it got there.
 */
import type { Socket } from 'node:net';
import type { BackendConfig, FrontendConfig } from '../config/config.types.ts';
import type { H1HeadEvent, H1Event } from './h1.types.ts';
import { createRequestParser } from './parser.ts';
import { errorResponse } from './errors.ts';
import { TP } from './trace.ts';
import { declarePool, declarePoolSite, type Pool } from '../../diag/pool.ts';
import { setCurrentObject, BUG_ON } from '../../diag/invariants.ts';
import { declareFaultSite } from '../../diag/fault-sites.ts';
import type { Lifecycle, LcHandle } from '../../diag/lifecycle.ts';
import { LC_CONN_STATE, LC_TIMER_OF_KEYWORD } from '../../diag/lifecycle.types.ts';
import { redactUrl } from '../../diag/redact.ts';
import { nowMs, tickClock } from '../../diag/ring.ts';
import { routerFor } from '../stream/backend-runtime.ts';
import { createForward, newForwardLog, type Forward, type ForwardHost, type ForwardLog } from '../stream/forward.ts';
import { CTR } from '../stream/counters.ts';
import { endedStreamLog, FrontendConns } from '../stream/stream-log.ts';
import { closePrivateServerConn } from '../stream/server-conn.ts';
import { batchWrites, flushWrites } from '../stream/write-batch.ts';
import { formatConnectLog, formatHttpLog } from '../log/httplog.ts';
import { connectionFacts } from '../acl/context.ts';
import type { Logger } from '../log/sink.ts';
import { backendRulesFor, decideRequest, hasConnectionRules, renderReply, rulesFor, runConnectionRules, runResponseRules, runStickRules, type RuleReply } from '../stream/rules.ts';
import { TrackCounters } from '../stick/track.ts';
import { threadStickTables } from '../stick/registry.ts';
import { InactivityTimer, LazyTimer } from '../stream/lazy-timer.ts';

/** Per-connection state, pooled (pool `connection`). */
interface H1Conn {
  lc: LcHandle | undefined;
  rx: Uint8Array | null;
  streams: number;
}

/** Per-request state, pooled (pool `stream`). */
interface H1Stream {
  lc: LcHandle | undefined;
  status: number;
  head: H1HeadEvent | undefined;
  /** Set while the request is forwarded to a server. */
  fwd: Forward | undefined;
  /** The answer of an `http-request` rule (deny, return, redirect), sent instead of forwarding. */
  reply: RuleReply | undefined;
  /** Traffic log: first byte of the request, head complete (epoch ms). */
  start: number;
  headAt: number;
  /** Bytes sent to the client by the driver itself (rule replies, error pages); -1: see flog. */
  bytes: number;
  /** HAProxy's termination cause/state when the driver decided it (`PR`, `LR`, `cD`, ...). */
  term: string | undefined;
  /** What the forwarding recorded (backend, server, timers), when the stream was forwarded. */
  flog: ForwardLog | undefined;
  /** The backend it was routed to (its http-response rules run before the frontend's). */
  be: BackendConfig | undefined;
  /** The reply of an `http-response deny`, sent instead of the error page. */
  denied: RuleReply | undefined;
  /** Its tracked counters (sc0..sc2, the connection's as fallback); undefined without stick-tables. */
  stk: TrackCounters | undefined;
}

const CONN_POOL: Pool<H1Conn> = declarePool<H1Conn>('connection', {
  kind: 'object',
  size: 384,
  create: () => ({ lc: undefined, rx: null, streams: 0 }),
  reset: (c) => {
    c.lc = undefined;
    c.rx = null;
    c.streams = 0;
  },
});
const STREAM_POOL: Pool<H1Stream> = declarePool<H1Stream>('stream', {
  kind: 'object',
  size: 896,
  create: () => ({ lc: undefined, status: 0, head: undefined, fwd: undefined, reply: undefined, start: 0, headAt: 0, bytes: -1, term: undefined, flog: undefined, be: undefined, denied: undefined, stk: undefined }),
  reset: (s) => {
    s.start = 0;
    s.headAt = 0;
    s.bytes = -1;
    s.term = undefined;
    s.flog = undefined;
    s.lc = undefined;
    s.status = 0;
    s.head = undefined;
    s.fwd = undefined;
    s.reply = undefined;
    s.be = undefined;
    s.denied = undefined;
    s.stk = undefined;
  },
});

// Call sites recorded in the pool tags, so a pool report names where an item was allocated and freed.
const SITE = {
  connAlloc: declarePoolSite('serveH1'),
  rxAlloc: declarePoolSite('serveH1'),
  streamAlloc: declarePoolSite('onEvent'),
  streamFree: declarePoolSite('endStream'),
  rxFree: declarePoolSite('release'),
  connFree: declarePoolSite('release'),
} as const;

/** Fault sites of this driver (`debug dev fault <name>`). */
export const H1_FAULTS = {
  uncaught: declareFaultSite('h1.uncaught', 'throw an uncaught error while building a response'),
  bug: declareFaultSite('h1.bug', 'trip a BUG_ON while building a response'),
  doubleFree: declareFaultSite('h1.stream-double-free', 'free the stream object twice after the response'),
  wrongPool: declareFaultSite('h1.buffer-wrong-pool', 'free the receive buffer into the stream pool'),
  useAfterFree: declareFaultSite('h1.buffer-use-after-free', 'write into the receive buffer after freeing it'),
} as const;

/** What the driver needs from its worker. */
export interface H1Context {
  lifecycle: Lifecycle;
  bufferPool: Pool<Uint8Array>;
  bufsize: number;
  maxhdr: number;
  /** Counts a request (show info CumReq). */
  onRequest(): void;
  /** True while the worker drains for a graceful stop: keep-alive ends after the current request. */
  draining(): boolean;
  redactQueries: string[];
  /** The configuration's backends (routing targets). */
  backends: readonly BackendConfig[];
  /** The traffic logger of a frontend (its `log` lines), undefined when it logs nothing. */
  logger?(fe: FrontendConfig): Logger | undefined;
  /** Connections currently open on this thread (`%ac`). */
  actconn?(): number;
}


/** HTTP/1.1 connections open per frontend on this thread (`%fc`). */
const feConns = new FrontendConns();

const DEFAULT_CLIENT_TIMEOUT = 30_000;

/**
 * Serves one accepted socket until it closes. Returns a function that closes the connection when it
 * is idle (between requests), used for graceful stops.
 */
export function serveH1(sock: Socket, fe: FrontendConfig, ctx: H1Context): { closeIfIdle(): void } {
  const peer = `${sock.remoteAddress}:${sock.remotePort}`;
  const allocated = CONN_POOL.alloc(0, SITE.connAlloc);
  if (!allocated) {
    if (TP.allocFail.on) TP.allocFail.emit(0, 0, 0, 0, 0, 'connection');
    sock.destroy();
    return { closeIfIdle() {} };
  }
  const conn = allocated;
  const logger = ctx.logger?.(fe);
  const httplog = logger !== undefined && fe.httplog !== false;
  feConns.opened(fe.name);
  const fk = CTR.accept(fe); // show stat: the frontend's counter record (stot, scur, rate)
  /** When the first byte of the next request arrived (0: not yet). */
  let reqStart = 0;
  if (logger && !fe.httplog)
    logger.send(formatConnectLog(sock.remoteAddress ?? '', sock.remotePort ?? 0, sock.localAddress ?? '', sock.localPort ?? 0, fe.name));
  conn.lc = ctx.lifecycle.create('conn', 0, `${peer} -> ${sock.localAddress}:${sock.localPort}${'encrypted' in sock ? ' ssl' : ''} fe=${fe.name}`);
  const connId = conn.lc.id;
  if (TP.accept.on) TP.accept.emit(connId, 0, 0, 0, 0, peer);
  const parser = createRequestParser({ maxHeaderBytes: ctx.bufsize, maxHeaders: ctx.maxhdr });
  let stream: H1Stream | null = null;
  /** What forwarded streams call back (created with the first one). */
  let host: ForwardHost | undefined;
  let closing = false;
  let released = false;
  const clientTimeout = fe.timeouts.client ?? DEFAULT_CLIENT_TIMEOUT;
  const requestTimeout = fe.timeouts.httpRequest;
  const keepAliveTimeout = fe.timeouts.httpKeepAlive ?? requestTimeout ?? clientTimeout;
  /** `timeout client` (then `timeout tunnel`): reads and writes push it back (see InactivityTimer). */
  const clientIdle = new InactivityTimer(sock, () => onTimeout('timeout client', clientTimeout));
  /** `timeout http-request` / `http-keep-alive` (lazy: re-armed twice per request, rarely expiring). */
  const reqTimer = new LazyTimer(onRequestTimer);
  /** The request timer's duration, and what expires when it fires ('' when disarmed). */
  let reqTimerMs = 0;
  let reqTimerWhat = '';
  /** Events of the next (pipelined) request, held while the current one is being answered. */
  let held: H1Event[] = [];
  /** The client shut its sending side: close once the current response is complete. */
  let clientEnded = false;
  /** An upgrade request is complete and its answer is awaited: client bytes are kept raw here. */
  let awaitingUpgrade = false;
  let rawHeld: Buffer[] = [];
  /** The server switched protocols: every client byte goes to the stream's tunnel. */
  let tunnelled = false;
  let tunnelTimeout = clientTimeout;
  const router = routerFor(fe, ctx.backends);
  const facts = connectionFacts(sock);
  // Stick-tables: the connection's tracked counters (tcp-request connection), released in release().
  const tracking = threadStickTables().size > 0;
  let connTrack: TrackCounters | undefined;
  if (tracking && hasConnectionRules(fe)) {
    connTrack = new TrackCounters();
    runConnectionRules(fe, facts, connTrack);
  }

  conn.rx = ctx.bufferPool.alloc(connId, SITE.rxAlloc);
  if (!conn.rx) {
    if (TP.allocFail.on) TP.allocFail.emit(connId, 0, 0, 0, 0, 'buffer');
    ctx.lifecycle.event(conn.lc, 'error', 500);
    // Written, then closed whatever the client does (a client keeping its side open must not hold
    // the socket, nor a graceful stop, forever).
    sock.write(errorResponse(500));
    sock.destroySoon();
    release('buffer allocation failed');
    return { closeIfIdle: () => sock.destroy() };
  }

  sock.setNoDelay(true);
  clientIdle.set(clientTimeout);
  // The first request is awaited under `timeout http-request` from the accept (HAProxy manual 4.2:
  // it "protects against established connections on which nothing is sent", with a 408);
  // `timeout http-keep-alive` only applies between requests. Unset: `timeout client` alone.
  armRequestTimer(requestTimeout, 'timeout http-request');
  ctx.lifecycle.setState(conn.lc, LC_CONN_STATE['waiting-request']);

  sock.on('data', (chunk: Buffer) => {
    tickClock();
    clientIdle.read();
    (stream?.stk ?? connTrack)?.bytesIn(chunk.length); // before feed(): the stream may end in it
    feed(chunk);
    CTR.rx(fk, stream?.fwd?.beCtr ?? 0, chunk.length); // bin of the frontend and of the stream's backend
  });
  sock.on('end', () => {
    tickClock();
    clientEnded = true;
    if (tunnelled) {
      stream?.fwd?.clientEnd();
      return;
    }
    if (!closing && !awaitingUpgrade) handle(parser.end());
    if (!stream?.fwd && !sock.writableEnded) sock.end();
  });
  // Backpressure towards the server ends when the client socket drains (one listener per
  // connection, not one per stream).
  sock.on('drain', () => stream?.fwd?.clientDrain());
  sock.on('error', () => {
    /* reset by peer etc.: recorded at close */
  });
  sock.on('close', (hadError) => {
    tickClock();
    release(hadError ? 'socket error' : 'closed');
  });

  /** Client bytes: to the tunnel, kept raw while an upgrade is pending, or parsed as HTTP. */
  function feed(chunk: Buffer): void {
    if (closing) return;
    if (!stream && reqStart === 0) {
      reqStart = nowMs();
      // `timeout http-request` bounds the head whatever pace it comes at (HAProxy manual 4.2): from
      // the first byte of a kept-alive request, from the accept for the first one (armed there).
      if (conn.streams > 0) armRequestTimer(requestTimeout, 'timeout http-request');
      ctx.lifecycle.setState(conn.lc!, LC_CONN_STATE['reading-request']);
    }
    if (tunnelled) {
      if (stream && TP.data.on) TP.data.emit(connId, stream.lc!.id, chunk.length);
      stream?.fwd?.tunnel(chunk);
      return;
    }
    if (awaitingUpgrade) {
      rawHeld.push(chunk);
      sock.pause();
      return;
    }
    // Copy through the pooled receive buffer, at most bufsize bytes at a time.
    for (let off = 0; off < chunk.length && !closing; off += ctx.bufsize) {
      const part = chunk.subarray(off, Math.min(chunk.length, off + ctx.bufsize));
      const rx = conn.rx!;
      rx.set(part);
      handle(parser.push(rx.subarray(0, part.length)));
      if (awaitingUpgrade && off + ctx.bufsize < chunk.length) {
        // The upgrade request ended inside this chunk: what follows stays raw.
        rawHeld.push(chunk.subarray(off + ctx.bufsize));
        sock.pause();
        return;
      }
    }
  }

  /**
   * Arms the request-side timer (`timeout http-request` / `http-keep-alive`) for `ms`, or disarms it
   * (undefined). This runs two or three times per request: a LazyTimer makes it a deadline store.
   */
  function armRequestTimer(ms: number | undefined, what: string): void {
    ctx.lifecycle.armTimer(conn.lc!, LC_TIMER_OF_KEYWORD[what] ?? 0, ms); // show sess: exp=
    reqTimerWhat = ms === undefined ? '' : what;
    if (ms === undefined) {
      reqTimer.disarm();
      return;
    }
    reqTimerMs = ms;
    reqTimer.arm(ms);
  }

  function onRequestTimer(): void {
    const what = reqTimerWhat;
    reqTimerWhat = '';
    if (what !== '') onTimeout(what, reqTimerMs);
  }

  function onTimeout(what: string, ms: number): void {
    tickClock();
    if (closing) {
      // Our side is closed and the client still keeps its own open: drop the connection.
      if (what === 'timeout client') destroyNow();
      return;
    }
    const fwd = stream?.fwd;
    // Waiting for the server is governed by `timeout server`, not by the client's timeout.
    if (fwd && fwd.requestDone && !fwd.responseStarted && what === 'timeout client') return;
    if (tunnelled) {
      what = 'timeout tunnel';
      ms = tunnelTimeout;
    }
    if (TP.timeout.on) TP.timeout.emit(connId, 0, ms, 0, 0, what);
    if (fwd) {
      // Mid-upload or mid-response: nothing sensible can be answered any more.
      ctx.lifecycle.event(stream!.lc!, 'timeout', ms);
      stream!.term ??= 'cD';
      fwd.abort(what);
      closing = true;
      destroyNow();
      return;
    }
    ctx.lifecycle.event(conn.lc!, 'timeout', ms);
    // HAProxy's rules (parser.timeout): 408 when a request was started, silent close when idle.
    const evs = parser.timeout();
    if (evs.length > 0) handle(evs);
    if (!closing) {
      closing = true;
      sock.end();
    }
  }

  /** Closes at once, after sending what this turn wrote (destroy() would discard it: write-batch.ts). */
  function destroyNow(): void {
    flushWrites(sock);
    sock.destroy();
  }

  function handle(events: H1Event[]): void {
    for (const ev of events) {
      if (closing) return;
      if (stream?.fwd?.requestDone) {
        // Pipelining: the next request waits until this response is complete.
        held.push(ev.type === 'data' ? { type: 'data', bytes: Buffer.from(ev.bytes) } : ev);
        sock.pause();
        continue;
      }
      // Not cleared in a `finally`: if onEvent throws, the uncaught-error handler must still see
      // which connection and stream were being handled.
      setCurrentObject(connId, stream?.lc?.id ?? 0);
      onEvent(ev);
      setCurrentObject(0, 0);
    }
  }

  function onEvent(ev: H1Event): void {
    switch (ev.type) {
      case 'head': {
        armRequestTimer(undefined, '');
        const s = STREAM_POOL.alloc(connId, SITE.streamAlloc);
        if (!s) {
          if (TP.allocFail.on) TP.allocFail.emit(connId, 0, 0, 0, 0, 'stream');
          fail(500);
          return;
        }
        stream = s;
        s.start = reqStart || nowMs();
        s.headAt = nowMs();
        reqStart = 0;
        const line = `${ev.method} ${redactUrl(ev.target, { queries: ctx.redactQueries })} HTTP/${ev.version}`;
        s.lc = ctx.lifecycle.create('stream', connId, line);
        s.head = ev;
        conn.streams++;
        ctx.onRequest();
        CTR.request(fk);
        ctx.lifecycle.event(s.lc, 'request', conn.streams);
        if (TP.head.on) TP.head.emit(connId, s.lc.id, 0, 0, 0, line);
        // `timeout http-request` ended with the head: the body is paced by `timeout client` (HAProxy 4.2).
        ctx.lifecycle.setState(conn.lc!, LC_CONN_STATE.serving);
        if (tracking) {
          s.stk = new TrackCounters(connTrack);
          s.stk.httpRequest(); // the connection's tracked entries count it (the stream's do when they start)
        }
        // http-request rules (frontend, then the backend's after routing) and option forwardfor.
        const d = decideRequest(fe, router, ev, facts, s.stk);
        if (d.reply) {
          s.reply = d.reply;
          // A deny answers at once and closes; return/redirect answer once the request is read.
          if (d.reply.kind === 'error-page' || d.reply.close) respond(s);
        } else if (d.be) {
          if (httplog) s.flog = newForwardLog();
          s.be = d.be.cfg;
          const stick = tracking ? { track: s.stk, stick: runStickRules(d.be.cfg, ev, facts, s.stk) } : undefined;
          const f = createForward(d.be, ev, s.lc, (host ??= makeForwardHost()), conn.streams === 1, ev.keepAlive && !ctx.draining(), s.flog, stick);
          s.fwd = f;
          f.start(); // may fail at once (no server: 503 sent, the stream ended)
        }
        return;
      }
      case 'data':
        if (stream && TP.data.on) TP.data.emit(connId, stream.lc!.id, ev.bytes.length);
        stream?.fwd?.data(ev.bytes);
        return;
      case 'trailers':
        stream?.fwd?.trailers(ev.headers);
        return;
      case 'end':
        armRequestTimer(undefined, '');
        // No more HTTP parsing until the server says whether it switches protocols.
        if (stream?.fwd?.upgradeRequested) awaitingUpgrade = true;
        if (stream?.fwd) stream.fwd.end();
        else if (stream) respond(stream);
        return;
      case 'error':
        if (TP.error.on) TP.error.emit(connId, stream?.lc?.id ?? 0, ev.status, 0, 0, `${ev.code}: ${ev.reason}`);
        CTR.reqError(fk);
        if (stream?.fwd) {
          const started = stream.fwd.responseStarted;
          stream.fwd.abort(`invalid request: ${ev.code}`);
          if (started) {
            stream.term = 'CD';
            ctx.lifecycle.event(stream.lc!, 'error', ev.status);
            endStream(stream);
            closing = true;
            destroyNow();
            return;
          }
        }
        if (stream) stream.term ??= ev.status === 408 ? 'cR' : 'PR';
        fail(ev.status);
        return;
    }
  }

  /**
   * What the streams forwarded for this connection need from it (one object per connection). A
   * callback from a stream this connection no longer serves (`f` is not the current stream's) is
   * ignored.
   */
  function makeForwardHost(): ForwardHost {
    /** The current stream, if `f` is its forward. */
    const mine = (f: Forward): H1Stream | undefined => (stream !== null && stream.fwd === f ? stream : undefined);
    return {
      sock,
      connId,
      lifecycle: ctx.lifecycle,
      bufsize: ctx.bufsize,
      maxhdr: ctx.maxhdr,
      serverClose: fe.httpServerClose,
      feCtr: fk,
      clientWrote: () => clientIdle.wrote(),
      clientTimeout: () => clientIdle.ms,
      responseHead(f, res) {
        const s = mine(f);
        if (!s) return undefined;
        s.denied = runResponseRules([backendRulesFor(fe, s.be!), rulesFor(fe)], s.head!, facts, res, s.stk);
        return s.denied?.status;
      },
      upgraded(f, ms) {
        const s = mine(f);
        if (!s) return;
        // Bytes that followed the upgrade request in its own segment were parsed as HTTP already and
        // cannot become tunnel bytes: a client must wait for the 101 (RFC 6455 §4.1).
        if (held.length > 0 || parser.state !== 'idle') {
          if (TP.error.on) TP.error.emit(connId, s.lc!.id, 0, 0, 0, 'client sent data after an upgrade request before the 101');
          s.term = 'CD';
          s.fwd!.abort('client spoke before the protocol switch');
          ctx.lifecycle.event(s.lc!, 'error', 0);
          endStream(s);
          closing = true;
          destroyNow();
          return;
        }
        tunnelled = true;
        awaitingUpgrade = false;
        reqTimer.cancel();
        reqTimerWhat = '';
        ctx.lifecycle.event(conn.lc!, 'upgrade', 101);
        ctx.lifecycle.setState(conn.lc!, LC_CONN_STATE.tunnel);
        if (ms !== undefined) {
          tunnelTimeout = ms;
          clientIdle.set(ms); // onTimeout() names it `timeout tunnel` once tunnelled
        }
        const raw = rawHeld;
        rawHeld = [];
        for (const b of raw) feed(b);
        if (!closing) sock.resume();
        if (clientEnded) s.fwd?.clientEnd();
      },
      finished(f, status, bytes, keepAlive) {
        const s = mine(f);
        if (!s) return;
        s.status = status;
        if (TP.response.on) TP.response.emit(connId, s.lc!.id, status, bytes);
        ctx.lifecycle.event(s.lc!, 'response', status);
        endStream(s);
        if (!keepAlive || ctx.draining() || (clientEnded && held.length === 0)) {
          closing = true;
          held = [];
          // A graceful stop does not wait for the client's side: flushed, then closed.
          if (ctx.draining()) sock.destroySoon();
          else sock.end();
          return;
        }
        armRequestTimer(keepAliveTimeout, 'timeout http-keep-alive');
        const next = held;
        held = [];
        awaitingUpgrade = false;
        sock.resume();
        handle(next);
        // Bytes kept raw after an upgrade request that was not switched: HTTP again.
        const raw = rawHeld;
        rawHeld = [];
        for (const b of raw) feed(b);
        if (clientEnded && !stream && !closing && !awaitingUpgrade) handle(parser.end());
        // A client that shut its side after pipelining gets every answer, then the close.
        if (clientEnded && !stream && !closing) {
          closing = true;
          sock.end();
        }
      },
      failed(f, status, why) {
        const s = mine(f);
        if (!s) return;
        held = [];
        if (status > 0) {
          fail(status, s.denied);
          return;
        }
        if (TP.close.on) TP.close.emit(connId, s.lc!.id, 0, 0, 0, why);
        ctx.lifecycle.event(s.lc!, 'error', 0);
        endStream(s);
        closing = true;
        destroyNow();
      },
    };
  }

  function respond(s: H1Stream): void {
    const head = s.head!;
    const rule = s.reply;
    if (H1_FAULTS.uncaught.armed && H1_FAULTS.uncaught.fire())
      throw new Error(`injected fault h1.uncaught while answering ${head.method} ${head.target}`);
    if (H1_FAULTS.bug.armed && H1_FAULTS.bug.fire()) BUG_ON(true, 'injected fault h1.bug: response state is inconsistent');
    let keepAlive = head.keepAlive && !ctx.draining();
    let bytes: Uint8Array[];
    if (rule) {
      const r = renderReply(rule, head.method === 'HEAD', keepAlive);
      s.status = rule.status;
      bytes = r.bytes;
      keepAlive = !r.close;
      s.term = /deny|tarpit/.test(rule.why) ? 'PR' : 'LR';
    } else {
      // No rule answered and there are no backends yet: HAProxy's 503.
      s.status = 503;
      s.term = 'SC';
      bytes = [errorResponse(503)];
    }
    let n = 0;
    batchWrites(sock);
    for (const b of bytes) {
      n += b.length;
      sock.write(b);
    }
    clientIdle.wrote();
    s.bytes = n;
    s.stk?.bytesOut(n);
    CTR.reply(fk, s.status, n, s.term);
    if (TP.response.on) TP.response.emit(connId, s.lc!.id, s.status, n);
    ctx.lifecycle.event(s.lc!, 'response', s.status);
    endStream(s);
    if (!keepAlive) {
      closing = true;
      sock.end();
    } else armRequestTimer(keepAliveTimeout, 'timeout http-keep-alive');
  }

  /** One HTTP log line for the stream that ends (option httplog, HAProxy manual 8.2.3). */
  function logStream(s: H1Stream): void {
    const h = s.head;
    const line = h ? `${h.method} ${h.target} HTTP/${h.version}` : undefined;
    const client = { clientIp: facts.src, clientPort: facts.srcPort, frontend: fe.name, ssl: facts.ssl };
    logger!.send(formatHttpLog(endedStreamLog(s, client, line, ctx.actconn?.(), feConns.count(fe.name), nowMs()), fe.httplog || 'httplog'));
  }

  function endStream(s: H1Stream): void {
    const stk = s.stk;
    if (stk) {
      s.stk = undefined; // before release(): nothing can drop these references twice
      stk.endStream(s.status, s.term === 'PR');
    }
    if (httplog) logStream(s);
    ctx.lifecycle.release(s.lc!);
    ctx.lifecycle.setState(conn.lc!, LC_CONN_STATE['idle-keepalive']);
    STREAM_POOL.free(s, SITE.streamFree);
    if (H1_FAULTS.doubleFree.armed && H1_FAULTS.doubleFree.fire()) STREAM_POOL.free(s, SITE.streamFree);
    stream = null;
  }

  /** Answers HAProxy's error page for `status` (or `reply`, an http-response deny's) and closes. */
  function fail(status: number, reply?: RuleReply): void {
    const bytes = reply ? renderReply(reply, false, false).bytes : [errorResponse(status)];
    const n = bytes.reduce((a, b) => a + b.length, 0);
    CTR.reply(fk, status, n, undefined);
    (stream?.stk ?? connTrack)?.bytesOut(n);
    if (!stream && status >= 400 && status < 500) connTrack?.httpError(); // a request that never became a stream
    if (stream) {
      ctx.lifecycle.event(stream.lc!, 'error', status);
      stream.status = status;
      stream.bytes = n;
      endStream(stream);
    } else {
      ctx.lifecycle.event(conn.lc!, 'error', status);
      if (httplog) logBadRequest(status, n);
    }
    closing = true;
    sock.cork();
    for (const b of bytes) sock.write(b);
    sock.uncork();
    clientIdle.wrote();
    sock.end();
  }

  /** The log line of an error answered before a request head was parsed (`<BADREQ>`). */
  function logBadRequest(status: number, bytes: number): void {
    const now = nowMs();
    const start = reqStart || now;
    logger!.send(
      formatHttpLog({
        clientIp: facts.src,
        clientPort: facts.srcPort,
        start,
        frontend: fe.name,
        ssl: facts.ssl,
        backend: undefined,
        server: undefined,
        tR: -1,
        tw: -1,
        tc: -1,
        tr: -1,
        ta: now - start,
        status,
        bytes,
        termination: status === 408 ? 'cR' : status >= 500 ? 'IR' : 'PR',
        actconn: ctx.actconn?.() ?? feConns.count(fe.name),
        feconn: feConns.count(fe.name),
        beconn: 0,
        srvConn: 0,
        retries: 0,
        redispatched: false,
        srvQueue: 0,
        backendQueue: 0,
        requestLine: undefined,
      }, fe.httplog || 'httplog'),
    );
  }

  function release(why: string): void {
    if (released) return;
    released = true;
    feConns.closed(fe.name);
    CTR.close(fk);
    reqTimer.cancel();
    clientIdle.cancel();
    held = [];
    rawHeld = [];
    if (stream) {
      const f = stream.fwd;
      stream.term ??= !f ? 'CR' : f.responseStarted ? 'CD' : f.requestDone ? 'CH' : 'CD';
      stream.fwd?.abort(why === 'closed' ? 'client closed the connection' : `client ${why}`);
      endStream(stream);
    }
    connTrack?.release(); // tcp-request connection tracking ends with the connection (once: release() is guarded)
    closePrivateServerConn(connId); // its `http-reuse never` server connection, if idle
    if (TP.close.on) TP.close.emit(connId, 0, 0, 0, 0, why);
    ctx.lifecycle.event(conn.lc!, 'close');
    ctx.lifecycle.release(conn.lc!);
    if (conn.rx) {
      const rx = conn.rx;
      conn.rx = null;
      if (H1_FAULTS.wrongPool.armed && H1_FAULTS.wrongPool.fire()) (STREAM_POOL as unknown as Pool<Uint8Array>).free(rx, SITE.rxFree);
      else ctx.bufferPool.free(rx, SITE.rxFree);
      if (H1_FAULTS.useAfterFree.armed && H1_FAULTS.useAfterFree.fire()) rx.fill(0x41, 0, 16);
    }
    CONN_POOL.free(conn, SITE.connFree);
  }

  return {
    closeIfIdle() {
      if (stream) return; // the request in progress is answered first (its end closes then)
      closing = true;
      // Flush what was written, then close, even if the client keeps its side open (a half-closed
      // socket would otherwise hold the graceful stop until hard-stop-after).
      sock.destroySoon();
    },
  };
}
