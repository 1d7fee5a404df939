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
 *
 * The client side is a {@link ClientSide}: a net.Socket for HTTP/1.1 (the response is written as
 * HTTP/1.1 bytes), or an HTTP/3 request stream (proxy/h3/driver.ts), which sets `message` and then
 * receives the response as a message (status, fields, body pieces, trailers) instead of bytes.
 */
import type { H1Header, H1HeadEvent } from '../h1/h1.types.ts';
import type { H1ResponseEvent, H1ResponseHeadEvent } from '../h1/response.types.ts';
import type { BackendConfig, ServerConfig } from '../config/config.types.ts';
import type { LbServer } from '../lb/lb.types.ts';
import type { Lifecycle, LcHandle } from '../../diag/lifecycle.ts';
import { LC_STREAM_STATE, LC_TIMER } from '../../diag/lifecycle.types.ts';
import { writeRequestHead, framingOf, createChunkedEncoder, hopByHopFilter, type ChunkedEncoder, type RequestFraming } from '../h1/request-writer.ts';
import { fieldNameIs } from '../h1/chars.ts';
import { writeResponseHead, encodeChunk, lastChunk, type ResponseHeader } from '../h1/response.ts';
import { listElements } from '../h1/response-semantics.ts';
import { shouldRedispatch } from '../lb/retry.ts';
import type { BackendRuntime, SlotWaiter } from './backend-runtime.ts';
import { openServerConn, takeIdle, parkServerConn, closeServerConn, type ServerConn, type ServerConnOwner } from './server-conn.ts';
import { BTP } from './trace.ts';
import { CTR } from './counters.ts';
import { nowMs, tickClock } from '../../diag/ring.ts';
import type { TrackCounters } from '../stick/track.ts';
import { storeStickServer, type StickDecision } from './rules.ts';
import { batchWrites } from './write-batch.ts';

/**
 * The message form of a response, for a client side that frames it itself (HTTP/3, RFC 9114 §4.1):
 * the hop-by-hop fields are already removed (RFC 9110 §7.6.1) and Content-Length is kept when the
 * server sent one; no chunked coding is applied.
 */
export interface ClientMessageSink {
  /**
   * A response head: an interim 1xx (`interim`) or the final one. Returns false when the client
   * stream could not take it (e.g. the encoded headers do not fit: seed crash 1); that stream is then
   * already failed on the client side and the forward aborts.
   */
  head(status: number, headers: readonly H1Header[], interim: boolean): boolean;
  /** Body bytes; false asks for backpressure (the server is paused until `Forward.clientDrain()`). */
  data(bytes: Uint8Array): boolean;
  /** The response is complete, with its trailers (possibly none). */
  end(trailers: readonly H1Header[]): void;
}

/**
 * The client side a forwarded stream answers on. A net.Socket satisfies it (HTTP/1.1: the
 * response is written as bytes with `write`, grouped with cork/uncork); an HTTP/3 request stream
 * implements it with `message` set. `pause`/`resume` stop and restart reading the request body for
 * backpressure towards the server; `timeout` is the client inactivity timeout (ms, 0 or undefined:
 * none), shown by `show sess`.
 */
export interface ClientSide {
  readonly remoteAddress?: string | undefined;
  readonly timeout?: number | undefined;
  /** HTTP/1.1 bytes of the response; false when the client is not keeping up (backpressure). */
  write(bytes: Uint8Array): boolean;
  cork(): void;
  uncork(): void;
  pause(): unknown;
  resume(): unknown;
  /** Set by a client side that takes the response as a message (HTTP/3): `write` is then never called. */
  readonly message?: ClientMessageSink;
}

/**
 * What the client connection driver provides to the streams it forwards: one object per client
 * connection (the per-request facts are createForward()'s arguments). Each callback names the
 * stream it comes from, so the driver ignores one from a stream it no longer serves.
 */
export interface ForwardHost {
  /** The client side (a socket for HTTP/1.1: responses are written to it; it is paused for backpressure). */
  sock: ClientSide;
  connId: number;
  lifecycle: Lifecycle;
  bufsize: number;
  maxhdr: number;
  /** `option http-server-close` of the frontend. */
  serverClose: boolean;
  /**
   * Called with each final response head before it is sent (`http-response` rules): may rewrite
   * `res.headers` in place; returns a status when the response is denied (it is then dropped and
   * `failed(status)` is called), undefined to send it.
   */
  responseHead?(f: Forward, res: H1ResponseHeadEvent): number | undefined;
  /**
   * The response was forwarded completely: `keepAlive` says whether the client connection goes on
   * (false: the driver closes it).
   */
  finished(f: Forward, status: number, bytes: number, keepAlive: boolean): void;
  /**
   * The stream failed. `status` > 0: nothing was sent yet, the driver answers HAProxy's error page
   * for it and closes; 0: a response was partly sent, the driver closes the connection at once.
   */
  failed(f: Forward, status: number, why: string): void;
  /**
   * The server switched protocols (101 forwarded to the client): from now on the driver stops parsing
   * HTTP and hands every client byte to Forward.tunnel(). `tunnelTimeout` is the backend's
   * `timeout tunnel` (undefined: keep `timeout client`). The tunnel ends with finished(101, ..., false)
   * when both sides are done, or failed(0, ...) on a timeout or a reset.
   */
  upgraded?(f: Forward, tunnelTimeout: number | undefined): void;
  /** The frontend's record base in the traffic counters (proxy/stream/counters.ts; 0 or unset: none). */
  feCtr?: number;
  /** The stream wrote to `sock` (a byte-stream client: its `timeout client` counts from now). */
  clientWrote?(): void;
  /** The client side's inactivity timeout in ms (0: none) when `sock.timeout` does not say it. */
  clientTimeout?(): number;
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

/**
 * The fields of a response that go on to the client: all but the hop-by-hop ones (RFC 9110 §7.6.1)
 * and, for a response with content, Content-Length (the caller frames the content itself).
 */
function endToEndFields(ev: H1ResponseHeadEvent): H1Header[] {
  const drop = hopByHopFilter(ev.headers, false, ev.bodyKind !== 'none');
  const out: H1Header[] = [];
  for (const h of ev.headers) if (!drop.has(h[0])) out.push(h);
  return out;
}

/** Streams being forwarded to each backend by this thread (`%bc`). */
const beActive = new Map<string, number>();

/** A stream being forwarded; the driver feeds it the rest of the request. */
export interface Forward {
  /** Starts it: routing to a server slot, then a connection (call once, after keeping the object). */
  start(): void;
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
  /** The client socket drained: a server paused for backpressure may go on. */
  clientDrain(): void;
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

/**
 * A stream forwarding the request `head` (whose stream is `streamLc`) to backend `rt`, for the client
 * connection `host`; start() it once the caller holds it (its callbacks may come at once).
 * `firstRequest`: the client connection's first (`http-reuse safe`); `keepAlive`: the client
 * connection may stay open after this response (request keep-alive, not draining); `log`: filled in
 * as the stream goes, for its traffic log line (proxy/log/httplog.ts).
 */
export function createForward(
  rt: BackendRuntime,
  head: H1HeadEvent,
  streamLc: LcHandle,
  host: ForwardHost,
  firstRequest: boolean,
  keepAlive: boolean,
  log: ForwardLog | undefined,
  stick?: StickOptions,
): Forward {
  return new ForwardStream(rt, head, streamLc, host, firstRequest, keepAlive, log, stick);
}

/**
 * Stick-table work of a forwarded stream: `track`, the stream's tracked counters (bytes sent to
 * the client count as their bytes_out; the driver counts bytes_in and releases them); `stick`,
 * what the backend's `stick` rules decided (proxy/stream/rules.ts runStickRules): the persistent
 * server (its `server_id`, honoured when that server is usable, as HAProxy) and the entries that
 * get the assigned server's id.
 */
export interface StickOptions {
  track?: TrackCounters;
  stick?: StickDecision;
}

/**
 * One forwarded stream. A class rather than a closure per step: this runs for every request, and
 * the two dozen closures a function-scoped version allocates per request were the largest single
 * source of garbage in the proxy benchmark (about 4 KB per request). The stream is also the waiter
 * of its backend's queue (SlotWaiter) and the owner of its server connection (ServerConnOwner).
 */
class ForwardStream implements Forward, SlotWaiter, ServerConnOwner {
  readonly rt: BackendRuntime;
  readonly head: H1HeadEvent;
  readonly streamLc: LcHandle;
  readonly host: ForwardHost;
  readonly lc: Lifecycle;
  readonly connId: number;
  readonly streamId: number;
  readonly client: ClientSide;
  /** The client side's message sink (HTTP/3), undefined for a byte stream (HTTP/1.1). */
  readonly msg: ClientMessageSink | undefined;
  readonly cfg: BackendConfig;
  readonly serverClose: boolean;
  readonly timeoutServer: number | undefined;
  readonly framing: RequestFraming;
  readonly encoder: ChunkedEncoder | undefined;
  readonly upgradeRequested: boolean;
  readonly flog: ForwardLog | undefined;
  readonly firstRequest: boolean;
  readonly tAcquire: number;
  /** show stat record bases (proxy/stream/counters.ts): frontend, backend; the server's once assigned. */
  readonly fk: number;
  readonly bk: number;
  sk = 0;

  requestDone = false;
  reqTrailers: H1Header[] = [];
  respTrailers: H1Header[] = [];
  /** Request bytes waiting for a connection (head not sent yet). */
  pending: Uint8Array[] = [];
  pendingBytes = 0;
  lbServer: LbServer | undefined = undefined;
  server: ServerConfig | undefined = undefined;
  /** `<backend>/<server>` for trace texts, built once the server is known. */
  srvLabel = '';
  sc: ServerConn | undefined = undefined;
  reused = false;
  /** The request head was written to `sc`. */
  ready = false;
  attempt = 0;
  retryTimer: NodeJS.Timeout | undefined = undefined;
  queued = false;
  done = false;
  pausedClient = false;
  pausedServer = false;
  respHead: H1ResponseHeadEvent | undefined = undefined;
  respChunked = false;
  respCloseDelimited = false;
  clientKeepAlive: boolean;
  respBytes = 0;
  serverBytes = 0;
  /** The 101 was forwarded: raw bytes both ways. */
  tunnelled = false;
  tunnelUp = 0;
  tAssigned = 0;
  tConnected = 0;
  tResp = 0;
  /** The response was denied by an http-response rule (its error page is not the server's fault). */
  respDenied = false;
  /** Counted in beActive (`%bc`) until cleanup. */
  counted = true;
  readonly track: TrackCounters | undefined;
  readonly stick: StickDecision | undefined;
  /** The server `stick match` designated (HAProxy SF_DIRECT), if any. */
  persistTarget: LbServer | undefined = undefined;

  constructor(rt: BackendRuntime, head: H1HeadEvent, streamLc: LcHandle, host: ForwardHost, firstRequest: boolean, keepAlive: boolean, log: ForwardLog | undefined, stick?: StickOptions) {
    this.rt = rt;
    this.head = head;
    this.streamLc = streamLc;
    this.host = host;
    this.lc = host.lifecycle;
    this.connId = host.connId;
    this.streamId = streamLc.id;
    this.client = host.sock;
    this.msg = host.sock.message;
    this.cfg = rt.cfg;
    this.serverClose = host.serverClose || rt.cfg.httpServerClose;
    this.timeoutServer = rt.cfg.timeouts.server;
    this.framing = framingOf(head);
    this.encoder = this.framing.kind === 'chunked' ? createChunkedEncoder() : undefined;
    this.upgradeRequested = isUpgradeRequest(head);
    this.flog = log;
    this.firstRequest = firstRequest;
    this.tAcquire = nowMs();
    this.clientKeepAlive = keepAlive;
    this.fk = host.feCtr ?? 0;
    this.bk = rt.ctr;
    this.track = stick?.track;
    this.stick = stick?.stick;
  }

  start(): void {
    const cfg = this.cfg;
    beActive.set(cfg.name, (beActive.get(cfg.name) ?? 0) + 1);
    if (this.flog) {
      this.flog.backend = cfg.name;
      this.flog.beconn = beActive.get(cfg.name) ?? 1;
    }
    if (BTP.route.on) BTP.route.emit(this.connId, this.streamId, 0, 0, 0, cfg.name);
    this.lc.event(this.streamLc, 'attach', 0, cfg.name);
    this.acquire(undefined);
  }

  get beCtr(): number {
    return this.bk;
  }

  get responseStarted(): boolean {
    return this.respHead !== undefined;
  }

  // Times (tAcquire, tAssigned, ...) are the recorder's clock: the time the current I/O callback
  // started (tickClock()), as HAProxy's timers use the poll loop's date; a clock read per step
  // costs more than the step.

  private term(t: string): void {
    if (this.flog && this.flog.termination === undefined) this.flog.termination = t;
  }

  /**
   * `show sess`: the stream's phase and the timer that ends it first (diag/lifecycle.ts), from the
   * flags above; called at each phase change and when data pushes an inactivity timer back.
   */
  private showPhase(): void {
    const S = LC_STREAM_STATE;
    const T = LC_TIMER;
    const { lc, streamLc, timeoutServer } = this;
    const tunnelMs = this.cfg.timeouts.tunnel;
    if (this.tunnelled) lc.setPhase(streamLc, S.tunnel, tunnelMs !== undefined ? T.tunnel : T.server, tunnelMs ?? timeoutServer);
    else if (this.respHead) lc.setPhase(streamLc, S['sending-body'], T.server, timeoutServer);
    else if (this.ready && this.requestDone) lc.setPhase(streamLc, S['waiting-response'], T.server, timeoutServer);
    else if (this.ready) {
      // The body comes from the client (`timeout client`) while the server waits (`timeout server`).
      const cl = (this.host.clientTimeout?.() ?? this.client.timeout) || undefined;
      const byClient = cl !== undefined && (timeoutServer === undefined || cl <= timeoutServer);
      lc.setPhase(streamLc, S['receiving-body'], byClient ? T.client : T.server, byClient ? cl : timeoutServer);
    } else if (this.sc) lc.setPhase(streamLc, S.connecting, T.connect, this.rt.connectTimeout);
    else if (this.queued) lc.setPhase(streamLc, S.queued, T.queue, this.cfg.timeouts.queue ?? this.rt.connectTimeout);
    else lc.setPhase(streamLc, S.connecting, T.none, undefined); // turn-around before a retry
  }

  // ---- SlotWaiter: the backend's balancer and queues ----

  assigned(s: LbServer, waited: number, ctr: number): void {
    if (this.done) {
      this.rt.releaseSlot(s);
      return;
    }
    if (this.queued) {
      this.queued = false;
      if (BTP.dequeued.on) BTP.dequeued.emit(this.connId, this.streamId, waited, 0, 0, `${this.cfg.name}/${s.name}`);
    }
    this.lbServer = s;
    this.sk = ctr;
    if (this.stick && this.stick.stores.length > 0) storeStickServer(this.stick, this.cfg.servers.findIndex((x) => x.name === s.name) + 1);
    this.server = this.rt.servers.get(s.name);
    this.srvLabel = `${this.cfg.name}/${s.name}`;
    this.tAssigned = nowMs();
    const flog = this.flog;
    if (flog) {
      flog.server = s.name;
      if (flog.tw < 0) flog.tw = this.tAssigned - this.tAcquire;
      flog.srvConn = s.cur;
      flog.srvQueue = s.queued;
    }
    this.connect();
  }

  failed(reason: string): void {
    this.queued = false;
    if (this.done) return;
    CTR.noServer(this.bk);
    if (reason === 'timeout queue') this.lc.event(this.streamLc, 'timeout', this.cfg.timeouts.queue ?? this.rt.connectTimeout);
    this.term(reason === 'timeout queue' ? 'sQ' : 'SC');
    this.fail(503, reason);
  }

  // ---- ServerConnOwner: the server connection ----

  serverConnected(): void {
    this.tConnected = nowMs();
    if (this.flog) this.flog.tc = this.tConnected - this.tAssigned;
    this.sendHead();
  }

  serverConnectFailed(reason: string, timedOut: boolean): void {
    this.sc = undefined;
    if (this.done) return;
    this.showPhase();
    if (this.flog) this.flog.termination = timedOut ? 'sC' : 'SC';
    this.retryOrFail(timedOut ? 'timeout connect' : reason);
  }

  serverData(chunk: Buffer): void {
    this.serverBytes += chunk.length;
    CTR.srvOut(this.sk, chunk.length);
    this.showPhase(); // timeout server pushed back
    this.onResponse(this.sc!.parser!.push(chunk));
  }

  serverClosed(reason: string): void {
    const sc = this.sc;
    if (this.done || !sc) return;
    if (this.tunnelled) {
      this.endTunnel(`server ${reason}`);
      return;
    }
    if (this.respHead && this.respHead.bodyKind !== 'close') CTR.srvAbort(this.bk, this.sk); // closed before the end of the body
    this.onResponse(sc.parser!.end());
    if (this.done) return;
    if (!this.respHead) {
      // A reused connection the server closed before answering anything: retry on a fresh one
      // when the request can be sent again (no body), as HAProxy does after a failed reuse.
      if (this.reused && this.serverBytes === 0 && this.framing.kind === 'none') {
        this.lc.event(this.streamLc, 'state', 1);
        this.dropServerConn('closed by server while reused');
        this.ready = false;
        this.connect(true);
        return;
      }
      this.term('SH');
      this.fail(502, `server ${reason} before a complete response head`);
    } else {
      this.term('SD');
      this.abortStream(`server ${reason} during the response body`);
    }
  }

  serverDrain(): void {
    if (this.pausedClient && !this.done) {
      this.pausedClient = false;
      this.client.resume();
    }
  }

  serverTimedOut(): void {
    if (this.done) return;
    const { connId, streamId, timeoutServer } = this;
    if (this.tunnelled) {
      const ms = this.cfg.timeouts.tunnel ?? timeoutServer ?? 0;
      this.lc.event(this.streamLc, 'timeout', ms);
      if (BTP.timeout.on) BTP.timeout.emit(connId, streamId, ms, 0, 0, 'timeout tunnel');
      this.term('sD');
      this.abortStream('timeout tunnel');
      return;
    }
    this.lc.event(this.streamLc, 'timeout', timeoutServer ?? 0);
    if (BTP.timeout.on) BTP.timeout.emit(connId, streamId, timeoutServer ?? 0, 0, 0, 'timeout server');
    this.term(this.respHead ? 'sD' : 'sH');
    if (!this.respHead) this.fail(504, 'timeout server');
    else this.abortStream('timeout server during the response body');
  }

  // ---- Forward: what the client connection driver calls ----

  clientDrain(): void {
    if (this.pausedServer && this.sc && !this.done) {
      this.pausedServer = false;
      this.sc.sock!.resume();
    }
  }

  data(bytes: Uint8Array): void {
    const copy = Buffer.from(bytes);
    this.showPhase(); // timeout client pushed back
    this.sendBody(this.encoder ? this.encoder.write(copy) : [copy]);
  }

  trailers(h: H1Header[]): void {
    this.reqTrailers = h;
  }

  end(): void {
    this.requestDone = true;
    this.showPhase();
    if (this.encoder) this.sendBody(this.encoder.end(this.reqTrailers));
  }

  abort(why: string): void {
    if (this.done) return;
    this.done = true;
    if (!why.startsWith('invalid request')) CTR.cliAbort(this.bk, this.sk); // an invalid body is the frontend's ereq
    if (BTP.abort.on) BTP.abort.emit(this.connId, this.streamId, 0, 0, 0, `${this.cfg.name}: ${why}`);
    this.lc.event(this.streamLc, 'shutr', 0);
    this.cleanup();
    this.dropServerConn(`client side: ${why}`);
    this.releaseSlot();
  }

  tunnel(bytes: Uint8Array): void {
    const sc = this.sc;
    if (this.done || !this.tunnelled || !sc) return;
    this.tunnelUp += bytes.length;
    CTR.srvIn(this.sk, bytes.length);
    this.showPhase();
    batchWrites(sc.sock!);
    const ok = sc.sock!.write(bytes);
    sc.inactive!.wrote();
    if (!ok && !this.pausedClient) {
      this.pausedClient = true;
      this.client.pause();
    }
  }

  clientEnd(): void {
    if (this.done || !this.tunnelled || !this.sc) return;
    this.sc.sock!.end();
  }

  // ---- the steps ----

  private acquire(avoid: LbServer | undefined): void {
    this.queued = true;
    // `stick match|on`: the stored server, unless this is a redispatch away from a server.
    const id = avoid ? 0 : (this.stick?.serverId ?? 0);
    const name = id > 0 ? this.cfg.servers[id - 1]?.name : undefined;
    const server = name === undefined ? undefined : this.rt.balancer.servers.find((x) => x.name === name);
    this.persistTarget = server;
    this.rt.acquire(this, server ? { srcAddr: this.client.remoteAddress, uri: this.head.target, server } : { srcAddr: this.client.remoteAddress, uri: this.head.target, avoid });
    if (this.queued && !this.done && !this.lbServer) {
      this.showPhase();
      if (BTP.queued.on) BTP.queued.emit(this.connId, this.streamId, this.cfg.timeouts.queue ?? this.rt.connectTimeout, 0, 0, this.cfg.name);
    }
  }

  private connect(fresh = false): void {
    const s = this.server!;
    const { rt, host, streamId } = this;
    const idle = fresh ? undefined : takeIdle(rt, s, this.firstRequest, this.connId, this, streamId, this.head.get('host'));
    if (idle) {
      this.sc = idle;
      this.reused = true;
      this.tConnected = nowMs();
      CTR.reuse(this.bk, this.sk);
      if (this.flog) this.flog.tc = 0;
      if (BTP.reuse.on) BTP.reuse.emit(this.connId, streamId, idle.lc!.id, 0, 0, this.srvLabel);
      this.sendHead();
      return;
    }
    this.reused = false;
    CTR.connect(this.bk, this.sk);
    const c = openServerConn(rt, s, this, {
      lifecycle: this.lc,
      streamId,
      connId: this.connId,
      bufsize: host.bufsize,
      maxhdr: host.maxhdr,
      host: this.head.get('host'),
    });
    if (!c) {
      this.term('RC');
      this.fail(500, 'server connection allocation failed');
      return;
    }
    this.sc = c;
    this.showPhase();
  }

  /** A connection attempt to the server failed (refused, reset or timeout connect). */
  private retryOrFail(reason: string): void {
    const { rt, cfg } = this;
    if (this.lbServer) rt.connFailed(this.lbServer); // show stat 'econ'
    const attempt = ++this.attempt;
    this.lc.event(this.streamLc, 'error', attempt);
    if (attempt > cfg.retries) {
      if (this.flog) this.flog.retries = attempt - 1;
      this.fail(503, `${reason} (${attempt} attempts)`);
      return;
    }
    const redispatch = shouldRedispatch(
      { retries: cfg.retries, redispatch: cfg.redispatch.enabled ? cfg.redispatch.interval : false },
      {
        attempt,
        serverUp: this.lbServer!.oper === 'up' && this.lbServer!.admin !== 'maint',
        persistent: this.persistTarget !== undefined && this.persistTarget === this.lbServer,
        activeServers: rt.balancer.usableCount().act,
        algo: rt.balancer.algo,
      },
    );
    if (BTP.retry.on) BTP.retry.emit(this.connId, this.streamId, attempt, redispatch ? 1 : 0, 0, reason);
    CTR.retry(this.bk, this.sk, redispatch); // show stat wretr / wredis
    if (this.flog) {
      this.flog.retries = attempt;
      this.flog.termination = undefined;
      if (redispatch) this.flog.redispatched = true;
    }
    if (redispatch) {
      const prev = this.lbServer!;
      this.lbServer = undefined;
      this.server = undefined;
      rt.releaseSlot(prev);
      this.acquire(prev);
      return;
    }
    // HAProxy's turn-around timer before retrying the same server.
    this.retryTimer = setTimeout(() => {
      tickClock();
      this.retryTimer = undefined;
      if (!this.done) this.connect(true);
    }, Math.min(rt.connectTimeout, 1000));
  }

  private sendHead(): void {
    const c = this.sc!;
    const head = this.head;
    let bytes: Uint8Array;
    try {
      bytes = writeRequestHead({
        method: head.method,
        target: head.target,
        headers: head.headers,
        body: this.framing,
        keepAlive: !this.serverClose,
        upgrade: this.upgradeRequested,
      });
    } catch (e) {
      this.term('PR');
      this.fail(400, e instanceof Error ? e.message : String(e));
      return;
    }
    c.requests++;
    c.parser!.expect(head.method, { upgrade: this.upgradeRequested });
    const sock = c.sock!;
    if (c.inactive!.ms !== (this.timeoutServer ?? 0)) c.inactive!.set(this.timeoutServer);
    this.ready = true;
    this.showPhase();
    batchWrites(sock);
    sock.write(bytes);
    if (BTP.request.on) BTP.request.emit(this.connId, this.streamId, bytes.length, 0, 0, this.srvLabel);
    this.lc.event(this.streamLc, 'state', 2);
    for (const p of this.pending) sock.write(p);
    c.inactive!.wrote();
    CTR.srvIn(this.sk, bytes.length + this.pendingBytes);
    if (this.pending.length > 0) this.pending = [];
    this.pendingBytes = 0;
    if (this.pausedClient && !sock.writableNeedDrain) {
      this.pausedClient = false;
      this.client.resume();
    }
  }

  private sendBody(pieces: Uint8Array[]): void {
    if (this.done) return;
    if (!this.ready) {
      for (const p of pieces) {
        this.pending.push(p);
        this.pendingBytes += p.length;
      }
      if (this.pendingBytes >= this.host.bufsize && !this.pausedClient) {
        this.pausedClient = true;
        this.client.pause();
      }
      return;
    }
    let ok = true;
    CTR.srvInPieces(this.sk, pieces);
    const sock = this.sc!.sock!;
    batchWrites(sock);
    for (const p of pieces) ok = sock.write(p) && ok;
    this.sc!.inactive!.wrote();
    if (!ok && !this.pausedClient) {
      this.pausedClient = true;
      this.client.pause();
    }
  }

  /** Body bytes to a message client side (HTTP/3), with the same accounting and backpressure as writeClient. */
  private writeMessageData(b: Uint8Array): void {
    this.respBytes += b.length;
    this.track?.bytesOut(b.length);
    CTR.tx(this.fk, this.bk, b.length);
    if (this.flog) this.flog.bytes = this.respBytes;
    if (!this.msg!.data(b) && !this.pausedServer && this.sc) {
      this.pausedServer = true;
      this.sc.sock!.pause();
    }
  }

  /** The response fields for a message client side: hop-by-hop fields removed, Content-Length kept (RFC 9110 §7.6.1). */
  private messageFields(ev: H1ResponseHeadEvent): H1Header[] {
    const out = endToEndFields(ev);
    if (ev.bodyKind === 'length') out.push(['content-length', String(ev.contentLength ?? 0)]);
    return out;
  }

  private writeClient(b: Uint8Array): void {
    this.respBytes += b.length;
    this.track?.bytesOut(b.length);
    CTR.tx(this.fk, this.bk, b.length);
    if (this.flog) this.flog.bytes = this.respBytes;
    const ok = this.client.write(b);
    this.host.clientWrote?.();
    if (!ok && !this.pausedServer && this.sc) {
      this.pausedServer = true;
      this.sc.sock!.pause();
    }
  }

  private onResponse(events: H1ResponseEvent[]): void {
    // One read from the server usually holds the head and the body: they leave together, with the
    // other writes of this event-loop turn (write-batch.ts).
    if (!this.msg) batchWrites(this.client);
    this.onResponseEvents(events);
  }

  private onResponseEvents(events: H1ResponseEvent[]): void {
    for (const ev of events) {
      if (this.done) return;
      switch (ev.type) {
        case 'head':
          CTR.srvStatus(this.sk, ev.status);
          if (ev.interim && this.msg) this.msg.head(ev.status, this.messageFields(ev), true);
          else if (ev.interim) this.writeClient(this.responseHead(ev, true));
          else this.startResponse(ev);
          break;
        case 'data':
          if (ev.bytes.length === 0) break;
          if (this.msg) this.writeMessageData(ev.bytes);
          else if (this.respChunked) for (const p of encodeChunk(ev.bytes)) this.writeClient(p);
          else this.writeClient(ev.bytes);
          break;
        case 'trailers':
          this.respTrailers = ev.headers;
          break;
        case 'end':
          // After a 101 the parser reports `upgrade` next: the stream goes on as a tunnel.
          if (this.respHead?.status === 101) break;
          this.finish();
          return;
        case 'error':
          this.term(this.respHead ? 'SD' : 'PH');
          if (!this.respHead) this.fail(502, `${ev.code}: ${ev.reason}`);
          else this.abortStream(`invalid response body: ${ev.code}: ${ev.reason}`);
          return;
        case 'upgrade':
          this.startTunnel(ev.status);
          break;
        case 'tunnel-data':
          if (ev.bytes.length > 0) this.writeClient(ev.bytes); // a view of a socket chunk, never reused
          break;
      }
    }
  }

  private responseHead(ev: H1ResponseHeadEvent, interim: boolean): Uint8Array {
    const headers: ResponseHeader[] = endToEndFields(ev); // framing is rewritten below
    if (ev.status === 101) {
      // The switch itself (RFC 9110 §7.8): the Upgrade field(s) and `Connection: upgrade` go through.
      for (const h of ev.headers) if (fieldNameIs(h[0], 'upgrade')) headers.push(h);
      headers.push(['connection', 'upgrade']);
    } else if (!interim) {
      if (ev.bodyKind === 'length') headers.push(['content-length', String(ev.contentLength ?? 0)]);
      if (this.respChunked) headers.push(['transfer-encoding', 'chunked']);
      if (!this.clientKeepAlive) headers.push(['connection', 'close']);
      else if (this.head.version === '1.0') headers.push(['connection', 'keep-alive']);
    }
    return writeResponseHead({ status: ev.status, reason: ev.reason || undefined, headers });
  }

  private startResponse(ev: H1ResponseHeadEvent): void {
    const denied = this.host.responseHead?.(this, ev);
    if (denied !== undefined) {
      this.term('PH');
      this.respDenied = true;
      CTR.deniedResponse(this.fk, this.bk, this.sk);
      this.fail(denied, `response denied by an http-response rule (status ${ev.status})`);
      return;
    }
    this.respHead = ev;
    this.tResp = nowMs();
    if (this.flog) {
      this.flog.tr = this.tResp - (this.tConnected || this.tAssigned);
      this.flog.status = ev.status;
    }
    if (BTP.response.on) BTP.response.emit(this.connId, this.streamId, ev.status, 0, 0, this.srvLabel);
    this.lc.event(this.streamLc, 'state', 3);
    this.showPhase();
    if (this.msg) {
      // HTTP/3 frames the body itself (DATA frames, the stream's end): no chunking, no keep-alive question.
      const fields = this.messageFields(ev);
      let size = 0;
      for (const [n, v] of fields) size += n.length + v.length + 4;
      if (!this.msg.head(ev.status, fields, false)) {
        this.term('PH');
        this.abortStream(`response headers of status ${ev.status} could not be sent to the client stream`);
        return;
      }
      this.respBytes += size;
      if (this.flog) this.flog.bytes = this.respBytes;
      CTR.tx(this.fk, this.bk, size);
      CTR.response(this.fk, this.bk, ev.status);
      return;
    }
    const unframed = ev.bodyKind === 'chunked' || ev.bodyKind === 'close';
    if (unframed && this.head.version === '1.1') this.respChunked = true;
    else if (unframed) {
      this.respCloseDelimited = true;
      this.clientKeepAlive = false;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.responseHead(ev, false);
    } catch (e) {
      this.respHead = undefined;
      this.term('PH');
      this.fail(502, e instanceof Error ? e.message : String(e));
      return;
    }
    this.writeClient(bytes);
    CTR.response(this.fk, this.bk, ev.status);
  }

  private finish(): void {
    if (this.msg) this.msg.end(this.respTrailers);
    else if (this.respChunked) this.writeClient(lastChunk(this.respTrailers));
    const c = this.sc;
    const status = this.respHead!.status;
    const serverKeep = this.respHead!.keepAlive && !this.serverClose && this.requestDone && c !== undefined && c.parser!.state === 'idle';
    if (!this.requestDone) this.clientKeepAlive = false;
    if (BTP.end.on) BTP.end.emit(this.connId, this.streamId, this.respBytes, this.clientKeepAlive ? 1 : 0);
    this.done = true;
    this.cleanup();
    if (c) {
      this.sc = undefined;
      // http-reuse never: kept for this client connection only (closed with it).
      if (serverKeep) parkServerConn(c, this.cfg.reuse === 'never' ? this.connId : 0);
      else closeServerConn(c, 'server side closes after the response');
    }
    this.releaseSlot();
    this.host.finished(this, status, this.respBytes, this.clientKeepAlive && !this.respCloseDelimited);
  }

  /** The 101 went to the client: from now on bytes flow raw both ways (RFC 9110 §7.8). */
  private startTunnel(status: number): void {
    this.tunnelled = true;
    const c = this.sc!;
    const ms = this.cfg.timeouts.tunnel ?? this.timeoutServer;
    c.inactive!.set(ms);
    this.lc.event(this.streamLc, 'upgrade', status, 'tunnel');
    this.showPhase();
    c.lifecycle!.event(c.lc!, 'upgrade', status);
    if (BTP.tunnel.on) BTP.tunnel.emit(this.connId, this.streamId, status, ms ?? 0, 0, this.srvLabel);
    this.host.upgraded?.(this, this.cfg.timeouts.tunnel);
  }

  /** One side of the tunnel closed: shut the other one and end the stream. */
  private endTunnel(why: string): void {
    if (this.done) return;
    this.done = true;
    if (BTP.tunnelEnd.on) BTP.tunnelEnd.emit(this.connId, this.streamId, this.tunnelUp, this.respBytes, 0, why);
    this.cleanup();
    this.dropServerConn(`tunnel closed: ${why}`);
    this.releaseSlot();
    this.host.finished(this, 101, this.respBytes, false);
  }

  private cleanup(): void {
    if (this.respHead) {
      const { tAcquire, tAssigned, tConnected } = this;
      CTR.times(this.bk, this.sk, tAssigned - tAcquire, tConnected - tAssigned, this.tResp - (tConnected || tAssigned), nowMs() - tAcquire);
    }
    if (this.counted) {
      this.counted = false;
      beActive.set(this.cfg.name, (beActive.get(this.cfg.name) ?? 1) - 1);
    }
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.queued) {
      this.rt.cancel(this);
      this.queued = false;
    }
    if (this.pausedClient) {
      this.pausedClient = false;
      this.client.resume();
    }
    if (this.pausedServer && this.sc) {
      this.pausedServer = false;
      this.sc.sock!.resume();
    }
  }

  private releaseSlot(): void {
    if (this.lbServer) {
      const s = this.lbServer;
      this.lbServer = undefined;
      this.rt.releaseSlot(s);
    }
  }

  private dropServerConn(why: string): void {
    if (this.sc) {
      const c = this.sc;
      this.sc = undefined;
      closeServerConn(c, why);
    }
  }

  /** Fails before anything was sent to the client: HAProxy's error page for `status`. */
  private fail(status: number, why: string): void {
    if (this.done) return;
    this.done = true;
    CTR.failed(this.bk, this.sk, status, !this.respDenied);
    if (BTP.error.on) BTP.error.emit(this.connId, this.streamId, status, 0, 0, `${this.cfg.name}: ${why}`);
    this.lc.event(this.streamLc, 'error', status);
    this.cleanup();
    this.dropServerConn(why);
    this.releaseSlot();
    this.host.failed(this, status, why);
  }

  /** Fails after the response started: the client connection must be closed. */
  private abortStream(why: string): void {
    if (this.done) return;
    this.done = true;
    if (!this.tunnelled) CTR.respError(this.bk, this.sk); // eresp (an idle tunnel timing out is no error)
    if (BTP.abort.on) BTP.abort.emit(this.connId, this.streamId, 0, 0, 0, `${this.cfg.name}: ${why}`);
    this.lc.event(this.streamLc, 'error', 0);
    this.cleanup();
    this.dropServerConn(why);
    this.releaseSlot();
    this.host.failed(this, 0, why);
  }
}
