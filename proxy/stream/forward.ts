/**
 * Forwarding one request to a backend and its response back, as HAProxy's stream does in HTTP mode:
 *
 * - a server slot is taken through the backend's balancer and queues (`maxconn`, `timeout queue`);
 * - a connection is reused from the idle list (`http-reuse`) or opened (`timeout connect`); a failed
 *   attempt is retried `retries` times, on the same server after a turn-around delay of
 *   min(timeout connect, 1 s), or on another one when `option redispatch` says so (shouldRedispatch);
 *   then HAProxy's 503;
 * - the request head goes out without hop-by-hop fields (writeRequestHead, RFC 9110 §7.6.1), the body
 *   streams as it arrives (Content-Length kept, chunked re-encoded, RFC 9112 §6, §7);
 * - the response head and body stream back as they arrive (never buffered whole), re-framed for the
 *   client: Content-Length kept, chunked re-encoded, a close-delimited body chunked for HTTP/1.1
 *   clients (RFC 9112 §6.3);
 * - backpressure both ways: the side that cannot keep up pauses the other side's socket;
 * - a request offering a protocol upgrade (`Connection: upgrade` + `Upgrade`, RFC 9110 §7.8) is sent
 *   with its Upgrade field; a `101 Switching Protocols` answer is forwarded with Upgrade and
 *   `Connection: upgrade`, then the stream becomes a tunnel: raw bytes both ways with backpressure
 *   until either side closes, idle for at most `timeout tunnel` (HAProxy 4.2, else client/server
 *   timeouts). A 101 the request did not ask for is a 502; any other answer is a normal response.
 *   A tunnel's server connection is never parked for reuse;
 * - errors: no server / connection failures -> 503, the server closing or sending garbage before a
 *   complete response head -> 502, `timeout server` before the head -> 504; after the head, the
 *   client connection is closed (the response was partly sent).
 *
 * Every outcome is a `be` trace point and a lifecycle event of the stream, and the server connection
 * is closed or parked, and its slot released, whatever happens.
 */
import type { Socket } from 'node:net';
import type { H1Header, H1HeadEvent } from '../h1/h1.types.ts';
import type { H1ResponseEvent, H1ResponseHeadEvent } from '../h1/response.types.ts';
import type { ServerConfig } from '../config/config.types.ts';
import type { LbServer } from '../lb/lb.types.ts';
import type { Lifecycle, LcHandle } from '../../diag/lifecycle.ts';
import { LC_STREAM_STATE, LC_TIMER } from '../../diag/lifecycle.types.ts';
import { writeRequestHead, framingOf, createChunkedEncoder, HOP_BY_HOP_FIELDS, type ChunkedEncoder } from '../h1/request-writer.ts';
import { writeResponseHead, encodeChunk, lastChunk, type ResponseHeader } from '../h1/response.ts';
import { listElements } from '../h1/response-semantics.ts';
import { shouldRedispatch } from '../lb/retry.ts';
import type { BackendRuntime, SlotWaiter } from './backend-runtime.ts';
import { openServerConn, takeIdle, parkServerConn, closeServerConn, type ServerConn, type ServerConnOwner } from './server-conn.ts';
import { BTP } from './trace.ts';
import { CTR } from './counters.ts';
import { tickClock } from '../../diag/ring.ts';

/** What the client connection driver provides to a forwarded stream. */
export interface ForwardHost {
  /** The client socket (responses are written to it; it is paused for backpressure). */
  sock: Socket;
  connId: number;
  lifecycle: Lifecycle;
  bufsize: number;
  maxhdr: number;
  /** True for the first request of the client connection (`http-reuse safe`). */
  firstRequest: boolean;
  /** The client connection may stay open after this response (request keep-alive, not draining). */
  keepAlive: boolean;
  /** `option http-server-close` of the frontend. */
  serverClose: boolean;
  /**
   * Called with each final response head before it is sent (`http-response` rules): may rewrite
   * `res.headers` in place; returns a status when the response is denied (it is then dropped and
   * `failed(status)` is called), undefined to send it.
   */
  responseHead?(res: H1ResponseHeadEvent): number | undefined;
  /**
   * The response was forwarded completely: `keepAlive` says whether the client connection goes on
   * (false: the driver closes it).
   */
  finished(status: number, bytes: number, keepAlive: boolean): void;
  /**
   * The stream failed. `status` > 0: nothing was sent yet, the driver answers HAProxy's error page
   * for it and closes; 0: a response was partly sent, the driver closes the connection at once.
   */
  failed(status: number, why: string): void;
  /**
   * The server switched protocols (101 forwarded to the client): from now on the driver stops parsing
   * HTTP and hands every client byte to Forward.tunnel(). `tunnelTimeout` is the backend's
   * `timeout tunnel` (undefined: keep `timeout client`). The tunnel ends with finished(101, ..., false)
   * when both sides are done, or failed(0, ...) on a timeout or a reset.
   */
  upgraded?(tunnelTimeout: number | undefined): void;
  /** Filled in as the stream goes, for its traffic log line (proxy/log/httplog.ts). */
  log?: ForwardLog;
  /** The frontend's record base in the traffic counters (proxy/stream/counters.ts; 0 or unset: none). */
  feCtr?: number;
}

/**
 * What a forwarded stream records for its log line: HAProxy's `%b %s %Tw %Tc %Tr %B %bc %sc %rc %sq`
 * and the first two characters of `%tsc` when it did not end normally.
 */
export interface ForwardLog {
  backend: string | undefined;
  server: string | undefined;
  /** ms waiting for a server slot (-1: never got one). */
  tw: number;
  /** ms to connect (-1: never connected; 0 for a reused connection). */
  tc: number;
  /** ms from connection to response head (-1: none). */
  tr: number;
  /** Bytes written to the client. */
  bytes: number;
  retries: number;
  redispatched: boolean;
  beconn: number;
  srvConn: number;
  srvQueue: number;
  /** HAProxy's termination cause and state (`SC`, `sH`, `SD`, ...), undefined while normal. */
  termination: string | undefined;
  /** Status of the response head sent to the client (-1: none). */
  status: number;
}

/** A blank ForwardLog. */
export function newForwardLog(): ForwardLog {
  return { backend: undefined, server: undefined, tw: -1, tc: -1, tr: -1, bytes: 0, retries: 0, redispatched: false, beconn: 0, srvConn: 0, srvQueue: 0, termination: undefined, status: -1 };
}

/** Streams being forwarded to each backend by this thread (`%bc`). */
const beActive = new Map<string, number>();

/** A stream being forwarded; the driver feeds it the rest of the request. */
export interface Forward {
  /** Request content (de-chunked by the parser); copied before it is kept. */
  data(bytes: Uint8Array): void;
  trailers(headers: H1Header[]): void;
  /** The request is complete. */
  end(): void;
  /** The client went away, timed out or sent an invalid body: drop everything, call nothing back. */
  abort(why: string): void;
  /** True once the request was received completely. */
  readonly requestDone: boolean;
  /** True once a response head was written to the client. */
  readonly responseStarted: boolean;
  /** The request offered a protocol upgrade (RFC 9110 §7.8): its answer may turn it into a tunnel. */
  readonly upgradeRequested: boolean;
  /** Raw client bytes once tunnelled (after `upgraded`); written as given: the caller must not reuse them. */
  tunnel(bytes: Uint8Array): void;
  /** The client shut its sending side of a tunnel: the server's sending side is shut too. */
  clientEnd(): void;
  /** The backend's record base in the traffic counters (client bytes of this stream count there). */
  readonly beCtr: number;
}

/**
 * Whether a request offers a protocol upgrade that the proxy forwards (RFC 9110 §7.8): HTTP/1.1, an
 * Upgrade field and `upgrade` in Connection, and not CONNECT (RFC 9110 §9.3.6 is a different tunnel).
 */
export function isUpgradeRequest(head: H1HeadEvent): boolean {
  if (head.version !== '1.1' || head.method === 'CONNECT' || !head.has('upgrade')) return false;
  for (const v of head.getAll('connection')) for (const el of listElements(v)) if (el.toLowerCase() === 'upgrade') return true;
  return false;
}

/** Response fields never copied to the client (RFC 9110 §7.6.1); framing is rewritten. */
function responseHopByHop(headers: readonly H1Header[]): Set<string> {
  const names = new Set(HOP_BY_HOP_FIELDS);
  for (const [n, v] of headers) if (n.toLowerCase() === 'connection') for (const el of listElements(v)) names.add(el.toLowerCase());
  return names;
}

/** Starts forwarding the request `head` (whose stream is `streamLc`) to backend `rt`. */
export function startForward(rt: BackendRuntime, head: H1HeadEvent, streamLc: LcHandle, host: ForwardHost): Forward {
  const lc = host.lifecycle;
  const connId = host.connId;
  const streamId = streamLc.id;
  const client = host.sock;
  const cfg = rt.cfg;
  const serverClose = host.serverClose || cfg.httpServerClose;
  const timeoutServer = cfg.timeouts.server;
  const framing = framingOf(head);
  const encoder: ChunkedEncoder | undefined = framing.kind === 'chunked' ? createChunkedEncoder() : undefined;
  const srcAddr = client.remoteAddress;
  const upgradeRequested = isUpgradeRequest(head);

  let requestDone = false;
  let reqTrailers: H1Header[] = [];
  let respTrailers: H1Header[] = [];
  /** Request bytes waiting for a connection (head not sent yet). */
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let lbServer: LbServer | undefined;
  let server: ServerConfig | undefined;
  let sc: ServerConn | undefined;
  let reused = false;
  let ready = false; // request head written to sc
  let attempt = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let queued = false;
  let done = false;
  let pausedClient = false;
  let pausedServer = false;
  // response side
  let respHead: H1ResponseHeadEvent | undefined;
  let respChunked = false;
  let respCloseDelimited = false;
  let clientKeepAlive = host.keepAlive;
  let respBytes = 0;
  let serverBytes = 0;
  /** The 101 was forwarded: raw bytes both ways. */
  let tunnelled = false;
  let tunnelUp = 0;
  const flog = host.log;
  const tAcquire = Date.now();
  let tAssigned = 0;
  let tConnected = 0;
  // show stat counters (proxy/stream/counters.ts): frontend, backend, server record bases; response time; denied by a rule
  const fk = host.feCtr ?? 0, bk = rt.ctr;
  let sk = 0, tResp = 0, respDenied = false;
  beActive.set(cfg.name, (beActive.get(cfg.name) ?? 0) + 1);
  let counted = true;
  const uncount = () => {
    if (counted) {
      counted = false;
      beActive.set(cfg.name, (beActive.get(cfg.name) ?? 1) - 1);
    }
  };
  const term = (t: string) => {
    if (flog && flog.termination === undefined) flog.termination = t;
  };
  /**
   * `show sess`: the stream's phase and the timer that ends it first (diag/lifecycle.ts), from the
   * flags above; called at each phase change and when data pushes an inactivity timer back.
   */
  const showPhase = (): void => {
    const S = LC_STREAM_STATE;
    const T = LC_TIMER;
    const tunnelMs = cfg.timeouts.tunnel;
    if (tunnelled) lc.setPhase(streamLc, S.tunnel, tunnelMs !== undefined ? T.tunnel : T.server, tunnelMs ?? timeoutServer);
    else if (respHead) lc.setPhase(streamLc, S['sending-body'], T.server, timeoutServer);
    else if (ready && requestDone) lc.setPhase(streamLc, S['waiting-response'], T.server, timeoutServer);
    else if (ready) {
      // The body comes from the client (`timeout client`) while the server waits (`timeout server`).
      const cl = client.timeout || undefined;
      const byClient = cl !== undefined && (timeoutServer === undefined || cl <= timeoutServer);
      lc.setPhase(streamLc, S['receiving-body'], byClient ? T.client : T.server, byClient ? cl : timeoutServer);
    } else if (sc) lc.setPhase(streamLc, S.connecting, T.connect, rt.connectTimeout);
    else if (queued) lc.setPhase(streamLc, S.queued, T.queue, cfg.timeouts.queue ?? rt.connectTimeout);
    else lc.setPhase(streamLc, S.connecting, T.none, undefined); // turn-around before a retry
  };
  if (flog) {
    flog.backend = cfg.name;
    flog.beconn = beActive.get(cfg.name) ?? 1;
  }

  const waiter: SlotWaiter = {
    assigned(s, waited, ctr) {
      if (done) {
        rt.releaseSlot(s);
        return;
      }
      if (queued) {
        queued = false;
        if (BTP.dequeued.on) BTP.dequeued.emit(connId, streamId, waited, 0, 0, `${cfg.name}/${s.name}`);
      }
      lbServer = s;
      sk = ctr;
      server = rt.servers.get(s.name);
      tAssigned = Date.now();
      if (flog) {
        flog.server = s.name;
        if (flog.tw < 0) flog.tw = tAssigned - tAcquire;
        flog.srvConn = s.cur;
        flog.srvQueue = s.queued;
      }
      connect();
    },
    failed(reason) {
      queued = false;
      if (done) return;
      CTR.noServer(bk);
      if (reason === 'timeout queue') lc.event(streamLc, 'timeout', rt.cfg.timeouts.queue ?? rt.connectTimeout);
      term(reason === 'timeout queue' ? 'sQ' : 'SC');
      fail(503, reason);
    },
  };

  const owner: ServerConnOwner = {
    connected() {
      tConnected = Date.now();
      if (flog) flog.tc = tConnected - tAssigned;
      sendHead();
    },
    connectFailed(reason, timedOut) {
      sc = undefined;
      if (done) return;
      showPhase();
      if (flog) flog.termination = timedOut ? 'sC' : 'SC';
      retryOrFail(timedOut ? 'timeout connect' : reason);
    },
    data(chunk) {
      serverBytes += chunk.length;
      CTR.srvOut(sk, chunk.length);
      showPhase(); // timeout server pushed back
      onResponse(sc!.parser!.push(chunk));
    },
    closed(reason) {
      if (done || !sc) return;
      if (tunnelled) {
        endTunnel(`server ${reason}`);
        return;
      }
      if (respHead && respHead.bodyKind !== 'close') CTR.srvAbort(bk, sk); // closed before the end of the body
      onResponse(sc.parser!.end());
      if (done) return;
      if (!respHead) {
        // A reused connection the server closed before answering anything: retry on a fresh one
        // when the request can be sent again (no body), as HAProxy does after a failed reuse.
        if (reused && serverBytes === 0 && framing.kind === 'none') {
          lc.event(streamLc, 'state', 1);
          dropServerConn('closed by server while reused');
          ready = false;
          connect(true);
          return;
        }
        term('SH');
        fail(502, `server ${reason} before a complete response head`);
      } else {
        term('SD');
        abortStream(`server ${reason} during the response body`);
      }
    },
    drain() {
      if (pausedClient && !done) {
        pausedClient = false;
        client.resume();
      }
    },
    timedOut() {
      if (done) return;
      if (tunnelled) {
        const ms = cfg.timeouts.tunnel ?? timeoutServer ?? 0;
        lc.event(streamLc, 'timeout', ms);
        if (BTP.timeout.on) BTP.timeout.emit(connId, streamId, ms, 0, 0, 'timeout tunnel');
        term('sD');
        abortStream('timeout tunnel');
        return;
      }
      lc.event(streamLc, 'timeout', timeoutServer ?? 0);
      if (BTP.timeout.on) BTP.timeout.emit(connId, streamId, timeoutServer ?? 0, 0, 0, 'timeout server');
      term(respHead ? 'sD' : 'sH');
      if (!respHead) fail(504, 'timeout server');
      else abortStream('timeout server during the response body');
    },
  };

  function onClientDrain(): void {
    if (pausedServer && sc && !done) {
      pausedServer = false;
      sc.sock!.resume();
    }
  }
  client.on('drain', onClientDrain);

  if (BTP.route.on) BTP.route.emit(connId, streamId, 0, 0, 0, cfg.name);
  lc.event(streamLc, 'attach', 0, cfg.name);
  acquire(undefined);

  function acquire(avoid: LbServer | undefined): void {
    queued = true;
    rt.acquire(waiter, { srcAddr, uri: head.target, avoid });
    if (queued && !done && !lbServer) {
      showPhase();
      if (BTP.queued.on) BTP.queued.emit(connId, streamId, rt.cfg.timeouts.queue ?? rt.connectTimeout, 0, 0, cfg.name);
    }
  }

  function connect(fresh = false): void {
    const s = server!;
    const idle = fresh ? undefined : takeIdle(rt, s, host.firstRequest, connId, owner, streamId, head.get('host'));
    if (idle) {
      sc = idle;
      reused = true;
      tConnected = Date.now();
      CTR.reuse(bk, sk);
      if (flog) flog.tc = 0;
      if (BTP.reuse.on) BTP.reuse.emit(connId, streamId, idle.lc!.id, 0, 0, `${cfg.name}/${s.name}`);
      sendHead();
      return;
    }
    reused = false;
    CTR.connect(bk, sk);
    const c = openServerConn(rt, s, owner, { lifecycle: lc, streamId, connId, bufsize: host.bufsize, maxhdr: host.maxhdr, host: head.get('host') });
    if (!c) {
      term('RC');
      fail(500, 'server connection allocation failed');
      return;
    }
    sc = c;
    showPhase();
  }

  /** A connection attempt to the server failed (refused, reset or timeout connect). */
  function retryOrFail(reason: string): void {
    if (lbServer) rt.connFailed(lbServer); // show stat 'econ'
    attempt++;
    lc.event(streamLc, 'error', attempt);
    if (attempt > cfg.retries) {
      if (flog) flog.retries = attempt - 1;
      fail(503, `${reason} (${attempt} attempts)`);
      return;
    }
    const redispatch = shouldRedispatch(
      { retries: cfg.retries, redispatch: cfg.redispatch.enabled ? cfg.redispatch.interval : false },
      {
        attempt,
        serverUp: lbServer!.oper === 'up' && lbServer!.admin !== 'maint',
        persistent: false,
        activeServers: rt.balancer.usableCount().act,
        algo: rt.balancer.algo,
      },
    );
    if (BTP.retry.on) BTP.retry.emit(connId, streamId, attempt, redispatch ? 1 : 0, 0, reason);
    CTR.retry(bk, sk, redispatch); // show stat wretr / wredis
    if (flog) {
      flog.retries = attempt;
      flog.termination = undefined;
      if (redispatch) flog.redispatched = true;
    }
    if (redispatch) {
      const prev = lbServer!;
      lbServer = undefined;
      server = undefined;
      rt.releaseSlot(prev);
      acquire(prev);
      return;
    }
    // HAProxy's turn-around timer before retrying the same server.
    retryTimer = setTimeout(() => {
      tickClock();
      retryTimer = undefined;
      if (!done) connect(true);
    }, Math.min(rt.connectTimeout, 1000));
  }

  function sendHead(): void {
    const c = sc!;
    let bytes: Uint8Array;
    try {
      bytes = writeRequestHead({
        method: head.method,
        target: head.target,
        headers: head.headers,
        body: framing,
        keepAlive: !serverClose,
        upgrade: upgradeRequested,
      });
    } catch (e) {
      term('PR');
      fail(400, e instanceof Error ? e.message : String(e));
      return;
    }
    c.requests++;
    c.parser!.expect(head.method, { upgrade: upgradeRequested });
    if (timeoutServer !== undefined) c.sock!.setTimeout(timeoutServer);
    ready = true;
    showPhase();
    c.sock!.cork();
    c.sock!.write(bytes);
    if (BTP.request.on) BTP.request.emit(connId, streamId, bytes.length, 0, 0, `${cfg.name}/${server!.name}`);
    lc.event(streamLc, 'state', 2);
    for (const p of pending) c.sock!.write(p);
    c.sock!.uncork();
    CTR.srvIn(sk, bytes.length + pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (pausedClient && !c.sock!.writableNeedDrain) {
      pausedClient = false;
      client.resume();
    }
  }

  function sendBody(pieces: Uint8Array[]): void {
    if (done) return;
    if (!ready) {
      for (const p of pieces) {
        pending.push(p);
        pendingBytes += p.length;
      }
      if (pendingBytes >= host.bufsize && !pausedClient) {
        pausedClient = true;
        client.pause();
      }
      return;
    }
    let ok = true;
    CTR.srvInPieces(sk, pieces);
    for (const p of pieces) ok = sc!.sock!.write(p) && ok;
    if (!ok && !pausedClient) {
      pausedClient = true;
      client.pause();
    }
  }

  function writeClient(b: Uint8Array): void {
    respBytes += b.length;
    CTR.tx(fk, bk, b.length);
    if (flog) flog.bytes = respBytes;
    if (!client.write(b) && !pausedServer && sc) {
      pausedServer = true;
      sc.sock!.pause();
    }
  }

  function onResponse(events: H1ResponseEvent[]): void {
    for (const ev of events) {
      if (done) return;
      switch (ev.type) {
        case 'head':
          CTR.srvStatus(sk, ev.status);
          if (ev.interim) writeClient(responseHead(ev, true));
          else startResponse(ev);
          break;
        case 'data':
          if (ev.bytes.length === 0) break;
          if (respChunked) for (const p of encodeChunk(ev.bytes)) writeClient(p);
          else writeClient(ev.bytes);
          break;
        case 'trailers':
          respTrailers = ev.headers;
          break;
        case 'end':
          // After a 101 the parser reports `upgrade` next: the stream goes on as a tunnel.
          if (respHead?.status === 101) break;
          finish();
          return;
        case 'error':
          term(respHead ? 'SD' : 'PH');
          if (!respHead) fail(502, `${ev.code}: ${ev.reason}`);
          else abortStream(`invalid response body: ${ev.code}: ${ev.reason}`);
          return;
        case 'upgrade':
          startTunnel(ev.status);
          break;
        case 'tunnel-data':
          if (ev.bytes.length > 0) writeClient(ev.bytes); // a view of a socket chunk, never reused
          break;
      }
    }
  }

  function responseHead(ev: H1ResponseHeadEvent, interim: boolean): Uint8Array {
    const drop = responseHopByHop(ev.headers);
    const headers: ResponseHeader[] = [];
    const keepLength = ev.bodyKind === 'none';
    for (const h of ev.headers) {
      const n = h[0].toLowerCase();
      if (drop.has(n) || (n === 'content-length' && !keepLength)) continue;
      headers.push(h);
    }
    if (ev.status === 101) {
      // The switch itself (RFC 9110 §7.8): the Upgrade field(s) and `Connection: upgrade` go through.
      for (const h of ev.headers) if (h[0].toLowerCase() === 'upgrade') headers.push(h);
      headers.push(['connection', 'upgrade']);
    } else if (!interim) {
      if (ev.bodyKind === 'length') headers.push(['content-length', String(ev.contentLength ?? 0)]);
      if (respChunked) headers.push(['transfer-encoding', 'chunked']);
      if (!clientKeepAlive) headers.push(['connection', 'close']);
      else if (head.version === '1.0') headers.push(['connection', 'keep-alive']);
    }
    return writeResponseHead({ status: ev.status, reason: ev.reason || undefined, headers });
  }

  function startResponse(ev: H1ResponseHeadEvent): void {
    const denied = host.responseHead?.(ev);
    if (denied !== undefined) {
      term('PH');
      respDenied = true;
      CTR.deniedResponse(fk, bk, sk);
      fail(denied, `response denied by an http-response rule (status ${ev.status})`);
      return;
    }
    respHead = ev;
    tResp = Date.now();
    if (flog) {
      flog.tr = Date.now() - (tConnected || tAssigned);
      flog.status = ev.status;
    }
    if (BTP.response.on) BTP.response.emit(connId, streamId, ev.status, 0, 0, `${cfg.name}/${server!.name}`);
    lc.event(streamLc, 'state', 3);
    showPhase();
    const unframed = ev.bodyKind === 'chunked' || ev.bodyKind === 'close';
    if (unframed && head.version === '1.1') respChunked = true;
    else if (unframed) {
      respCloseDelimited = true;
      clientKeepAlive = false;
    }
    let bytes: Uint8Array;
    try {
      bytes = responseHead(ev, false);
    } catch (e) {
      respHead = undefined;
      term('PH');
      fail(502, e instanceof Error ? e.message : String(e));
      return;
    }
    writeClient(bytes);
    CTR.response(fk, bk, ev.status);
  }

  function finish(): void {
    if (respChunked) writeClient(lastChunk(respTrailers));
    const c = sc;
    const status = respHead!.status;
    const serverKeep = respHead!.keepAlive && !serverClose && requestDone && c !== undefined && c.parser!.state === 'idle';
    if (!requestDone) clientKeepAlive = false;
    if (BTP.end.on) BTP.end.emit(connId, streamId, respBytes, clientKeepAlive ? 1 : 0);
    done = true;
    cleanup();
    if (c) {
      sc = undefined;
      // http-reuse never: kept for this client connection only (closed with it).
      if (serverKeep) parkServerConn(c, cfg.reuse === 'never' ? connId : 0);
      else closeServerConn(c, 'server side closes after the response');
    }
    releaseSlot();
    host.finished(status, respBytes, clientKeepAlive && !respCloseDelimited);
  }

  /** The 101 went to the client: from now on bytes flow raw both ways (RFC 9110 §7.8). */
  function startTunnel(status: number): void {
    tunnelled = true;
    const c = sc!;
    const ms = cfg.timeouts.tunnel ?? timeoutServer;
    c.sock!.setTimeout(ms ?? 0);
    lc.event(streamLc, 'upgrade', status, 'tunnel');
    showPhase();
    c.lifecycle!.event(c.lc!, 'upgrade', status);
    if (BTP.tunnel.on) BTP.tunnel.emit(connId, streamId, status, ms ?? 0, 0, `${cfg.name}/${server!.name}`);
    host.upgraded?.(cfg.timeouts.tunnel);
  }

  /** One side of the tunnel closed: shut the other one and end the stream. */
  function endTunnel(why: string): void {
    if (done) return;
    done = true;
    if (BTP.tunnelEnd.on) BTP.tunnelEnd.emit(connId, streamId, tunnelUp, respBytes, 0, why);
    cleanup();
    dropServerConn(`tunnel closed: ${why}`);
    releaseSlot();
    host.finished(101, respBytes, false);
  }

  function cleanup(): void {
    if (respHead) CTR.times(bk, sk, tAssigned - tAcquire, tConnected - tAssigned, tResp - (tConnected || tAssigned), Date.now() - tAcquire);
    uncount();
    clearTimeout(retryTimer);
    client.removeListener('drain', onClientDrain);
    if (queued) {
      rt.cancel(waiter);
      queued = false;
    }
    if (pausedClient) {
      pausedClient = false;
      client.resume();
    }
    if (pausedServer && sc) {
      pausedServer = false;
      sc.sock!.resume();
    }
  }

  function releaseSlot(): void {
    if (lbServer) {
      const s = lbServer;
      lbServer = undefined;
      rt.releaseSlot(s);
    }
  }

  function dropServerConn(why: string): void {
    if (sc) {
      const c = sc;
      sc = undefined;
      closeServerConn(c, why);
    }
  }

  /** Fails before anything was sent to the client: HAProxy's error page for `status`. */
  function fail(status: number, why: string): void {
    if (done) return;
    done = true;
    CTR.failed(bk, sk, status, !respDenied);
    if (BTP.error.on) BTP.error.emit(connId, streamId, status, 0, 0, `${cfg.name}: ${why}`);
    lc.event(streamLc, 'error', status);
    cleanup();
    dropServerConn(why);
    releaseSlot();
    host.failed(status, why);
  }

  /** Fails after the response started: the client connection must be closed. */
  function abortStream(why: string): void {
    if (done) return;
    done = true;
    if (!tunnelled) CTR.respError(bk, sk); // eresp (an idle tunnel timing out is no error)
    if (BTP.abort.on) BTP.abort.emit(connId, streamId, 0, 0, 0, `${cfg.name}: ${why}`);
    lc.event(streamLc, 'error', 0);
    cleanup();
    dropServerConn(why);
    releaseSlot();
    host.failed(0, why);
  }

  return {
    data(bytes) {
      const copy = Buffer.from(bytes);
      showPhase(); // timeout client pushed back
      sendBody(encoder ? encoder.write(copy) : [copy]);
    },
    trailers(h) {
      reqTrailers = h;
    },
    end() {
      requestDone = true;
      showPhase();
      if (encoder) {
        sendBody(encoder.end(reqTrailers));
      }
    },
    abort(why) {
      if (done) return;
      done = true;
      if (!why.startsWith('invalid request')) CTR.cliAbort(bk, sk); // an invalid body is the frontend's ereq
      if (BTP.abort.on) BTP.abort.emit(connId, streamId, 0, 0, 0, `${cfg.name}: ${why}`);
      lc.event(streamLc, 'shutr', 0);
      cleanup();
      dropServerConn(`client side: ${why}`);
      releaseSlot();
    },
    get requestDone() {
      return requestDone;
    },
    get responseStarted() {
      return respHead !== undefined;
    },
    get upgradeRequested() {
      return upgradeRequested;
    },
    tunnel(bytes) {
      if (done || !tunnelled || !sc) return;
      tunnelUp += bytes.length;
      CTR.srvIn(sk, bytes.length);
      showPhase();
      if (!sc.sock!.write(bytes) && !pausedClient) {
        pausedClient = true;
        client.pause();
      }
    },
    clientEnd() {
      if (done || !tunnelled || !sc) return;
      sc.sock!.end();
    },
    beCtr: bk,
  };
}
