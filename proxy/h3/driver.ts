/**
 * The HTTP/3 client-connection driver of a worker (RFC 9114 over RFC 9000): joins one server-side
 * QuicConnection (proxy/quic/connection.ts) to an H3ServerConnection (server-connection.ts) and
 * runs each request stream through the same path as an HTTP/1.1 request (proxy/h1/conn.ts):
 * the frontend's `http-request` rules, routing, the backend's rules, `option forwardfor`,
 * forwarding to a server over HTTP/1.1 (proxy/stream/forward.ts, the response handed back as a
 * message through {@link ClientMessageSink}), the `http-response` rules, the traffic log line
 * (`HTTP/3.0` in the request line, as HAProxy logs it), `show stat` counters and lifecycle objects.
 *
 * Sans-socket: the QUIC listener (proxy/quic/udp/listener.ts) opens the connection's `quic_conn`
 * object first ({@link openH3Connection}: the QuicConnection is then built with its id as trace id),
 * feeds datagrams to the QuicConnection, calls `onEvents()` after every input, then sends what the connection transmits. When something
 * is written outside an input (a server's response arrives), `kick()` asks the listener to do so.
 *
 * - Response headers go through `h3RespHeadersSend`: one that does not fit (`tune.bufsize`) fails
 *   that stream alone (RESET_STREAM H3_INTERNAL_ERROR), the forward is aborted, and the other
 *   streams go on (seed crash 1).
 * - Lifetimes (seed crash 2): a request stream reaches its connection only through `conn`, and every
 *   call it makes first checks that the stream is still open and the connection not released; the
 *   connection ends every stream it still has when it is released, so no stream acts after GOAWAY or
 *   close on state that is gone (the fault site `h3.stream-outlives-conn` re-creates the original
 *   defect: the streams are left running and the first to close hits a BUG_ON in h3Close). Events
 *   the engine produces while a stream is being written to are queued and handled on the next
 *   turn, never re-entrantly.
 * - Graceful stop (`drain()`): GOAWAY with the first request id not yet seen (RFC 9114 §5.2); open
 *   requests complete; the connection is then closed with H3_NO_ERROR.
 * - Backpressure: a response body is written to the QUIC stream while less than 1 MB of it waits
 *   for acknowledgement; above that the server socket is paused until it drops under 256 KB. The
 *   request body goes the other way through QUIC flow control (RFC 9000 §4.1-4.2): when the server
 *   socket does not keep up, the forward pauses the client side, which pauses delivery of the QUIC
 *   stream (`QuicConnection.pauseRecv`): the engine holds what arrives within the stream window
 *   already advertised and returns no credit, so the client stops sending; `resume()` (the server
 *   socket drained) delivers what was held and returns the credit. The proxy thus holds at most
 *   about two stream windows of a request body (one held by the engine, one handed to the socket),
 *   whatever the origin's speed. A stream that ends while paused is resumed so that its QUIC stream
 *   can finish.
 */
import type { FrontendConfig, BackendConfig } from '../config/config.types.ts';
import type { H1Context } from '../h1/conn.ts';
import type { H1Header, H1HeadEvent } from '../h1/h1.types.ts';
import type { H1ResponseHeadEvent } from '../h1/response.types.ts';
import { errorResponse } from '../h1/errors.ts';
import type { QuicConnection } from '../quic/connection.ts';
import type { ConnectionEvent } from '../quic/connection.types.ts';
import type { QuicAppShow } from '../quic/show.types.ts';
import type { QuicAppOpening } from '../quic/udp/listener.ts';
import type { FieldLine } from '../qpack/qpack.types.ts';
import type { LcHandle } from '../../diag/lifecycle.ts';
import { currentObject, panic, setCurrentObject } from '../../diag/invariants.ts';
import { declareFaultSite } from '../../diag/fault-sites.ts';
import { redactUrl } from '../../diag/redact.ts';
import { nowMs, tickClock } from '../../diag/ring.ts';
import type { ConnectionFacts } from '../acl/context.ts';
import { routerFor } from '../stream/backend-runtime.ts';
import { createForward, newForwardLog, type ClientMessageSink, type ClientSide, type Forward, type ForwardHost, type ForwardLog } from '../stream/forward.ts';
import { CTR } from '../stream/counters.ts';
import { formatHttpLog } from '../log/httplog.ts';
import { endedStreamLog, FrontendConns } from '../stream/stream-log.ts';
import type { Logger } from '../log/sink.ts';
import { backendRulesFor, decideRequest, renderReply, rulesFor, runResponseRules, runStickRules, type RuleReply } from '../stream/rules.ts';
import { TrackCounters } from '../stick/track.ts';
import { threadStickTables } from '../stick/registry.ts';
import { H3ServerConnection } from './server-connection.ts';
import { applyH3Actions } from './connection-common.ts';
import { H3_ERROR_CODE, type H3Action, type H3Event, type H3Request } from './h3.types.ts';

/** Bytes of a response body waiting for acknowledgement above which the server is paused. */
export const H3_SEND_HIGH_WATER = 1 << 20;
/** ... and under which it resumes. */
export const H3_SEND_LOW_WATER = 256 << 10;

/** The addresses of a QUIC connection as the listener saw its first datagram. */
export interface H3ConnInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** What the driver needs from the listener that owns its connection. */
export interface H3DriverHooks {
  /** The listener's clock (ms, monotonic), as given to the QuicConnection. */
  now(): number;
  /** Something was written outside an input: run onEvents() and transmit soon. */
  kick(): void;
}


/**
 * Opens the HTTP/3 application of a new QUIC connection for the listener (QuicListenerOptions.app):
 * creates its `quic_conn` lifecycle object now, before the listener builds the QuicConnection, so
 * that the engine is created with that id as its trace id and every `quic`/`tls13` record of the
 * connection (the first Initial's included) carries the id `show sess`/`show conns` print; `start`
 * then builds the {@link H3ClientConnection} around the connection with that same object.
 */
export function openH3Connection(fe: FrontendConfig, ctx: H1Context, info: H3ConnInfo, hooks: H3DriverHooks): QuicAppOpening {
  const lc = createConnObject(fe, ctx, info);
  return { connId: lc.id, start: (quic) => new H3ClientConnection(quic, fe, ctx, info, hooks, lc) };
}

/** The `quic_conn` lifecycle object of a connection (its description is what `show sess` prints). */
function createConnObject(fe: FrontendConfig, ctx: H1Context, info: H3ConnInfo): LcHandle {
  return ctx.lifecycle.create('quic_conn', 0, `${info.remoteAddress}:${info.remotePort} -> ${info.localAddress}:${info.localPort} quic fe=${fe.name}`);
}

/**
 * Fault site re-creating seed crash 2 (HAProxy 3.0.0-3.0.2: `h3s->h3c` NULL in `h3_close()` after
 * GOAWAY): when armed, the next release of a connection that still has request streams releases
 * its HTTP/3 context but leaves those streams running (the original lifetime defect); the first of
 * them to close reaches the released context in h3Close, a BUG_ON naming the stream.
 */
export const FS_STREAM_OUTLIVES_CONN = declareFaultSite(
  'h3.stream-outlives-conn',
  'a released HTTP/3 connection leaves its open streams running; the first to close reaches the released context in h3Close (seed crash 2: h3s->h3c after GOAWAY)',
);

/** HTTP/3 connections open per frontend on this thread (`%fc` of their log lines). */
const feConns = new FrontendConns();

/**
 * A request stream: its lifecycle object, rules outcome, forward, log facts. It is also the client
 * side its forward answers on (message mode).
 */
class H3Stream implements ClientSide, ClientMessageSink {
  readonly id: number;
  readonly conn: H3ClientConnection;
  readonly lc: LcHandle;
  readonly reqHead: H1HeadEvent;
  readonly requestLine: string;
  readonly start: number;
  readonly headAt: number;
  readonly timeout: number | undefined;
  readonly message: ClientMessageSink = this;
  fwd: Forward | undefined = undefined;
  reply: RuleReply | undefined = undefined;
  status = 0;
  bytes = -1;
  term: string | undefined = undefined;
  flog: ForwardLog | undefined = undefined;
  be: BackendConfig | undefined = undefined;
  denied: RuleReply | undefined = undefined;
  stk: TrackCounters | undefined = undefined;
  /** endStream() ran: nothing may be done on its behalf any more. */
  ended = false;
  /** The server is paused until the QUIC stream drains. */
  wantDrain = false;
  /** The request body is complete. */
  requestEnded = false;

  constructor(conn: H3ClientConnection, id: number, lc: LcHandle, head: H1HeadEvent, requestLine: string, start: number, timeout: number | undefined) {
    this.conn = conn;
    this.id = id;
    this.lc = lc;
    this.reqHead = head;
    this.requestLine = requestLine;
    this.start = start;
    this.headAt = nowMs();
    this.timeout = timeout;
  }

  get remoteAddress(): string {
    return this.conn.info.remoteAddress;
  }

  private get open(): boolean {
    return !this.ended && (!this.conn.released || this.conn.streamsLeftBehind);
  }

  // ClientSide: the response never comes as bytes (message mode); reading the request body is
  // paused and resumed through QUIC flow control (the engine's receive backpressure).
  write(): boolean {
    return true;
  }
  cork(): void {}
  uncork(): void {}
  pause(): void {
    this.conn.pauseBody(this);
  }
  resume(): void {
    this.conn.resumeBody(this);
  }

  // ClientMessageSink
  head(status: number, headers: readonly H1Header[], interim: boolean): boolean {
    if (!this.open) return false;
    return this.conn.sendHead(this, status, headers, interim);
  }

  data(bytes: Uint8Array): boolean {
    if (!this.open) return true;
    return this.conn.sendBody(this, bytes, false);
  }

  end(trailers: readonly H1Header[]): void {
    if (!this.open) return;
    this.conn.sendEnd(this, trailers);
  }
}

/**
 * One HTTP/3 client connection: its QUIC connection, HTTP/3 engine and request streams (see module
 * doc). Created by the listener when a connection starts; `release()` once the QUIC connection is
 * closed (or the listener stops).
 */
export class H3ClientConnection {
  readonly quic: QuicConnection;
  readonly fe: FrontendConfig;
  readonly info: H3ConnInfo;
  /** Lifecycle id of the connection (`quic_conn` object). */
  readonly connId: number;
  /** Set once released: streams check it before acting. */
  released = false;
  /** Set when a release left streams running (fault site h3.stream-outlives-conn only). */
  streamsLeftBehind = false;
  private releasedWhy = '';
  private readonly ctx: H1Context;
  private readonly hooks: H3DriverHooks;
  private readonly lc: LcHandle;
  private readonly fk: number;
  private readonly facts: ConnectionFacts;
  private readonly logger: Logger | undefined;
  private readonly httplog: boolean;
  private readonly tracking: boolean;
  private h3: H3ServerConnection | undefined;
  private readonly streams = new Map<number, H3Stream>();
  /** QUIC events that came before the HTTP/3 engine existed (before handshake completion). */
  private early: ConnectionEvent[] = [];
  /** HTTP/3 events produced while a stream was being written to: handled on the next turn. */
  private queued: H3Event[] = [];
  private requests = 0;
  private draining = false;
  private goneAway = false;
  /** Ended streams whose response bytes are not all acknowledged yet (a graceful close waits for them). */
  private readonly unacked = new Set<number>();

  /**
   * `lc`: the connection's `quic_conn` object when it was created before the QuicConnection
   * ({@link openH3Connection}, whose id the engine's trace records carry); created here otherwise.
   */
  constructor(quic: QuicConnection, fe: FrontendConfig, ctx: H1Context, info: H3ConnInfo, hooks: H3DriverHooks, lc?: LcHandle) {
    this.quic = quic;
    this.fe = fe;
    this.ctx = ctx;
    this.info = info;
    this.hooks = hooks;
    this.logger = ctx.logger?.(fe);
    this.httplog = this.logger !== undefined && fe.httplog !== false;
    this.tracking = threadStickTables().size > 0;
    this.fk = CTR.accept(fe);
    feConns.opened(fe.name);
    this.lc = lc ?? createConnObject(fe, ctx, info);
    this.connId = this.lc.id;
    this.facts = { src: info.remoteAddress, srcPort: info.remotePort, dstPort: info.localPort, ssl: true };
  }

  /** Request streams in progress. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** `show quic`: the connection's ids, frontend and request streams (proxy/quic/show.ts). */
  show(): QuicAppShow {
    return {
      id: this.connId,
      frontend: this.fe.name,
      mux: this.released ? 'released' : this.h3 ? 'ready' : 'null',
      goaway: this.draining,
      requests: this.requests,
      streams: [...this.streams.values()].map((s) => ({
        id: s.id,
        lcId: s.lc.id,
        request: `${s.reqHead.method} ${redactUrl(s.reqHead.target, { queries: this.ctx.redactQueries })} HTTP/3.0`,
      })),
    };
  }

  /** Handles the QUIC connection's events and the HTTP/3 engine's output; call after every input. */
  onEvents(): void {
    if (this.released) return;
    tickClock();
    for (const e of this.quic.pollEvents()) {
      if (this.released) return;
      this.onQuicEvent(e);
    }
    this.pump();
    this.checkDrain();
  }

  /** Graceful stop (RFC 9114 §5.2): GOAWAY; the connection closes once its open requests completed. */
  drain(): void {
    if (this.released || this.draining) return;
    this.draining = true;
    if (!this.h3) {
      this.quic.close(this.hooks.now(), H3_ERROR_CODE.H3_NO_ERROR, 'server stopping');
      return;
    }
    this.h3.goaway();
    this.pump();
  }

  /** The QUIC connection ended (or the listener stops): every stream still open ends, then the connection. */
  release(why: string): void {
    if (this.released) return;
    this.released = true;
    this.releasedWhy = why;
    if (this.streams.size > 0 && FS_STREAM_OUTLIVES_CONN.armed && FS_STREAM_OUTLIVES_CONN.fire()) {
      this.streamsLeftBehind = true; // seed crash 2's defect: the streams outlive their connection context
    } else {
      for (const s of [...this.streams.values()]) {
        s.term ??= s.fwd?.responseStarted ? 'CD' : 'CR';
        s.fwd?.abort(`client connection ${why}`);
        this.endStream(s);
      }
    }
    this.h3 = undefined; // the HTTP/3 connection context: no stream reaches it any more
    feConns.closed(this.fe.name);
    CTR.close(this.fk);
    this.ctx.lifecycle.event(this.lc, 'close');
    this.ctx.lifecycle.release(this.lc);
    this.early = [];
    this.queued = [];
  }

  // ---------------------------------------------------------------- QUIC events

  private onQuicEvent(e: ConnectionEvent): void {
    if (e.kind === 'handshake-done') {
      this.startH3(e.summary.serverName);
      return;
    }
    if (e.kind === 'closed') {
      this.ctx.lifecycle.event(this.lc, 'shutr', e.reason.errorCode, `${e.reason.by}: ${e.reason.reason}`.slice(0, 100));
      return;
    }
    if (!this.h3) {
      if (e.kind === 'stream-data' || e.kind === 'stream-reset' || e.kind === 'stop-sending') this.early.push(e);
      return;
    }
    this.toH3(e);
  }

  private toH3(e: ConnectionEvent): void {
    const h3 = this.h3!;
    if (e.kind === 'stream-data') {
      if ((e.streamId & 1) === 1) return; // our own unidirectional streams carry nothing in
      h3.onStreamData(e.streamId, e.data, e.fin);
    } else if (e.kind === 'stream-reset') h3.onResetStream(e.streamId, e.errorCode);
    else if (e.kind === 'stop-sending') h3.onStopSending(e.streamId, e.errorCode);
  }

  /** Handshake done: our control and QPACK streams (RFC 9114 §6.2.1, RFC 9204 §4.2), then the engine. */
  private startH3(sni: string | undefined): void {
    if (sni !== undefined && sni !== '') this.facts.sni = sni;
    const ids = [this.quic.openStream(false), this.quic.openStream(false), this.quic.openStream(false)];
    if (ids.some((id) => id === null)) {
      // RFC 9114 §6.2: a client must allow 3 unidirectional streams.
      this.quic.close(this.hooks.now(), H3_ERROR_CODE.H3_STREAM_CREATION_ERROR, 'the client allows fewer than 3 unidirectional streams (RFC 9114 §6.2)');
      return;
    }
    this.ctx.lifecycle.event(this.lc, 'state', 1, 'h3');
    this.h3 = new H3ServerConnection({ conn: this.connId, uniStreamIds: ids as [number, number, number], maxResponseHeadersFrame: this.ctx.bufsize });
    const early = this.early;
    this.early = [];
    for (const e of early) this.toH3(e);
    if (this.draining) this.h3.goaway();
  }

  // ---------------------------------------------------------------- HTTP/3 engine output

  /** Applies the engine's actions and handles its events until it has nothing more. */
  private pump(): void {
    const h3 = this.h3;
    if (!h3) return;
    for (let round = 0; round < 64 && !this.released; round++) {
      const { actions, events } = h3.take();
      this.apply(actions);
      const all = this.queued.length > 0 ? [...this.queued, ...events] : events;
      this.queued = [];
      if (all.length === 0) return;
      for (let i = 0; i < all.length && !this.released; i++) this.onH3Event(all[i], all, i);
    }
  }

  /** Only the actions: used while a stream is written to, so that no event is handled re-entrantly. */
  private applyOnly(): void {
    const { actions, events } = this.h3!.take();
    this.apply(actions);
    if (events.length > 0) this.queued.push(...events);
    this.hooks.kick();
  }

  private apply(actions: H3Action[]): void {
    applyH3Actions(this.quic, actions, () => this.hooks.now());
  }

  private onH3Event(e: H3Event, batch: readonly H3Event[], at: number): void {
    switch (e.kind) {
      case 'request': {
        // No body when the stream ends right after its HEADERS (RFC 9114 §4.1) and none was announced.
        let bodyless = e.fin;
        for (let j = at + 1; j < batch.length && !bodyless; j++) {
          const n = batch[j];
          if (!('streamId' in n) || n.streamId !== e.streamId) continue;
          if (n.kind === 'end') bodyless = true;
          break;
        }
        setCurrentObject(this.connId, 0);
        this.onRequest(e.streamId, e.request, bodyless);
        setCurrentObject(0, 0);
        return;
      }
      case 'data': {
        const s = this.streams.get(e.streamId);
        if (s && e.bytes.length > 0) s.fwd?.data(e.bytes);
        if (s && e.fin) this.onRequestEnd(s);
        return;
      }
      case 'trailers': {
        const s = this.streams.get(e.streamId);
        s?.fwd?.trailers(e.fields.map((f) => [f.name, f.value] as H1Header));
        return;
      }
      case 'end': {
        const s = this.streams.get(e.streamId);
        if (s) this.onRequestEnd(s);
        return;
      }
      case 'cancelled':
      case 'stream-error': {
        const s = this.streams.get(e.streamId);
        if (e.kind === 'stream-error' && !s) CTR.reqError(this.fk);
        if (!s) return;
        s.term ??= e.kind === 'cancelled' ? (s.fwd?.responseStarted ? 'CD' : 'CH') : s.fwd?.responseStarted ? 'SD' : 'PR';
        this.ctx.lifecycle.event(s.lc, 'error', e.code, e.kind === 'cancelled' ? 'cancelled by the client' : e.message.slice(0, 100));
        s.fwd?.abort(e.kind === 'cancelled' ? 'client cancelled the request' : `invalid request: ${e.message}`);
        this.endStream(s);
        return;
      }
      case 'drained':
        this.goneAway = true;
        return;
      case 'connection-error':
        this.ctx.lifecycle.event(this.lc, 'error', 0, `${e.error.code} ${e.error.where}`.slice(0, 100));
        return;
      case 'settings':
      case 'goaway':
        return;
    }
  }

  /** After GOAWAY, once every request completed and was acknowledged: close with H3_NO_ERROR (RFC 9114 §5.2). */
  private checkDrain(): void {
    if (!this.draining || !this.goneAway || this.released || this.streams.size > 0) return;
    if (this.quic.state !== 'established') return;
    for (const id of this.unacked) if (this.quic.streamBuffered(id) === 0) this.unacked.delete(id);
    if (this.unacked.size > 0) return; // CONNECTION_CLOSE would discard response bytes not yet delivered
    this.quic.close(this.hooks.now(), H3_ERROR_CODE.H3_NO_ERROR, 'graceful stop');
  }

  // ---------------------------------------------------------------- requests

  private onRequest(streamId: number, req: H3Request, bodyless: boolean): void {
    const ctx = this.ctx;
    const fe = this.fe;
    const start = nowMs();
    const head = headOf(req, bodyless);
    const requestLine = `${req.method} ${req.path ?? req.authority ?? '/'} HTTP/3.0`;
    // `sid=`: the QUIC stream id, first so that a long target cannot push it out of the 80-byte description (show sess).
    const lc = ctx.lifecycle.create('stream', this.connId, `sid=${streamId} ${req.method} ${redactUrl(head.target, { queries: ctx.redactQueries })} HTTP/3.0`);
    const s = new H3Stream(this, streamId, lc, head, requestLine, start, fe.timeouts.client);
    this.streams.set(streamId, s);
    this.requests++;
    ctx.onRequest();
    CTR.request(this.fk);
    ctx.lifecycle.event(lc, 'request', this.requests);
    setCurrentObject(this.connId, lc.id);
    if (this.tracking) {
      s.stk = new TrackCounters();
      s.stk.httpRequest();
    }
    const d = decideRequest(fe, routerFor(fe, ctx.backends), head, this.facts, s.stk);
    if (d.reply) {
      s.reply = d.reply;
      if (d.reply.kind === 'error-page' || d.reply.close || bodyless) this.respond(s);
      return;
    }
    if (!d.be) {
      s.term = 'SC';
      this.answer(s, 503, [errorResponse(503)]);
      return;
    }
    if (this.httplog) s.flog = newForwardLog();
    s.be = d.be.cfg;
    const stick = this.tracking ? { track: s.stk, stick: runStickRules(d.be.cfg, head, this.facts, s.stk) } : undefined;
    const f = createForward(d.be, head, lc, this.hostFor(s), this.requests === 1, !this.draining, s.flog, stick);
    s.fwd = f;
    f.start(); // may fail at once (no server: 503 sent, the stream ended)
    if (bodyless && !s.ended) this.onRequestEnd(s);
  }

  private onRequestEnd(s: H3Stream): void {
    if (s.requestEnded || s.ended) return;
    s.requestEnded = true;
    if (s.fwd) s.fwd.end();
    else if (s.reply) this.respond(s);
  }

  /** What the forward of stream `s` calls back (one host per stream: its `sock` is the stream). */
  private hostFor(s: H3Stream): ForwardHost {
    const ctx = this.ctx;
    const fe = this.fe;
    return {
      sock: s,
      connId: this.connId,
      lifecycle: ctx.lifecycle,
      bufsize: ctx.bufsize,
      maxhdr: ctx.maxhdr,
      serverClose: fe.httpServerClose,
      feCtr: this.fk,
      responseHead: (f: Forward, res: H1ResponseHeadEvent) => {
        if (s.fwd !== f || s.ended) return undefined;
        s.denied = runResponseRules([backendRulesFor(fe, s.be!), rulesFor(fe)], s.reqHead, this.facts, res, s.stk);
        return s.denied?.status;
      },
      finished: (f: Forward, status: number) => {
        if (s.fwd !== f || s.ended) return;
        s.status = status;
        ctx.lifecycle.event(s.lc, 'response', status);
        this.endStream(s);
      },
      failed: (f: Forward, status: number, why: string) => {
        if (s.fwd !== f || s.ended) return;
        if (status > 0) {
          const bytes = s.denied ? renderReply(s.denied, false, false).bytes : [errorResponse(status)];
          this.answer(s, status, bytes);
          return;
        }
        // The response was partly sent (or its headers could not be): this stream alone is reset.
        ctx.lifecycle.event(s.lc, 'error', 0, why.slice(0, 100));
        if (!this.released && this.h3) {
          this.h3.cancelRequest(s.id, H3_ERROR_CODE.H3_INTERNAL_ERROR);
          this.applyOnly();
        }
        this.endStream(s);
      },
    };
  }

  /** Answers an `http-request` rule's reply (deny, return, redirect). */
  private respond(s: H3Stream): void {
    const rule = s.reply!;
    const r = renderReply(rule, s.reqHead.method === 'HEAD', true);
    s.term = /deny|tarpit/.test(rule.why) ? 'PR' : 'LR';
    this.answer(s, rule.status, r.bytes);
  }

  /** Sends a complete response the proxy made (HTTP/1.1 bytes: rule replies, error pages) and ends the stream. */
  private answer(s: H3Stream, status: number, bytes: readonly Uint8Array[]): void {
    const m = messageOf(bytes);
    s.status = status;
    s.bytes = m.body.length;
    if (!this.released && this.h3) {
      const sent = this.h3.h3RespHeadersSend(s.id, status, m.fields, m.body.length === 0);
      if (sent.status === 'sent' && m.body.length > 0) this.h3.sendData(s.id, m.body, true);
      this.applyOnly();
    }
    s.stk?.bytesOut(m.body.length);
    CTR.reply(this.fk, status, m.body.length, s.term);
    this.ctx.lifecycle.event(s.lc, 'response', status);
    this.endStream(s);
  }

  // ---------------------------------------------------------------- the client side of forwards

  /** Response headers from a forward (through h3RespHeadersSend: seed crash 1 fails the stream alone). */
  sendHead(s: H3Stream, status: number, headers: readonly H1Header[], interim: boolean): boolean {
    if (!this.h3) return false;
    const fields: FieldLine[] = headers.map(([name, value]) => ({ name: name.toLowerCase(), value }));
    const was = currentObject();
    const [c0, s0] = [was.connId, was.streamId];
    setCurrentObject(this.connId, s.lc.id); // a fault while sending names this stream
    const r = this.h3.h3RespHeadersSend(s.id, status, fields, false);
    setCurrentObject(c0, s0);
    this.applyOnly();
    if (r.status === 'sent') return true;
    if (r.status === 'invalid' && interim) return true; // e.g. a 101 never reaches an HTTP/3 client (§4.5): dropped
    return false;
  }

  /** Response body bytes; false when the QUIC stream holds too much unacknowledged data (backpressure). */
  sendBody(s: H3Stream, bytes: Uint8Array, fin: boolean): boolean {
    if (!this.h3) return true;
    this.h3.sendData(s.id, bytes, fin);
    this.applyOnly();
    if (this.quic.streamBuffered(s.id) < H3_SEND_HIGH_WATER) return true;
    s.wantDrain = true;
    return false;
  }

  /** The response is complete: trailers if any (RFC 9114 §4.1), else an empty FIN. */
  sendEnd(s: H3Stream, trailers: readonly H1Header[]): void {
    if (!this.h3) return;
    if (trailers.length > 0) this.h3.h3RespTrailersSend(s.id, trailers.map(([name, value]) => ({ name: name.toLowerCase(), value })));
    else this.h3.sendData(s.id, new Uint8Array(0), true);
    this.applyOnly();
  }

  /**
   * The server of stream `s` does not take its request body fast enough: stop reading the QUIC
   * stream (RFC 9000 §4.1: no more credit until it resumes; the other streams go on).
   */
  pauseBody(s: H3Stream): void {
    if (this.released || s.ended) return;
    this.quic.pauseRecv(s.id);
  }

  /** The server of stream `s` drained: deliver what the QUIC stream held and return its credit. */
  resumeBody(s: H3Stream): void {
    if (this.released) return;
    if (this.quic.resumeRecv(s.id)) this.hooks.kick(); // the data comes as events, MAX_STREAM_DATA goes out
  }

  /** Resumes servers paused for backpressure whose stream drained (call after acknowledgements). */
  serviceDrains(): void {
    for (const id of this.unacked) if (this.quic.streamBuffered(id) === 0) this.unacked.delete(id);
    for (const s of this.streams.values()) {
      if (s.wantDrain && this.quic.streamBuffered(s.id) < H3_SEND_LOW_WATER) {
        s.wantDrain = false;
        s.fwd?.clientDrain();
      }
    }
  }

  // ---------------------------------------------------------------- end of a stream

  private endStream(s: H3Stream): void {
    if (s.ended) return;
    s.ended = true;
    const stk = s.stk;
    if (stk) {
      s.stk = undefined;
      stk.endStream(s.status, s.term === 'PR');
    }
    if (this.httplog) this.logStream(s);
    this.resumeBody(s); // a stream paused for backpressure must not stay paused (its QUIC stream could never end)
    this.h3Close(s);
    this.ctx.lifecycle.release(s.lc);
    this.streams.delete(s.id);
  }

  /**
   * Detaches ended stream `s` from the connection's HTTP/3 context (HAProxy `h3_close()`): its
   * response bytes not yet acknowledged are remembered for a graceful close. A release ends every
   * stream before the context goes, so reaching a released context here is a lifetime defect
   * (seed crash 2, re-created by the fault site h3.stream-outlives-conn): a BUG_ON naming the stream.
   */
  private h3Close(s: H3Stream): void {
    if (this.h3 === undefined && this.released) {
      setCurrentObject(this.connId, s.lc.id);
      panic('bug', `BUG_ON: h3_close: stream ${s.id} of connection ${this.connId} reached the connection's HTTP/3 context after it was released (${this.releasedWhy})`, {
        details: { h3Stream: s.id, conn: this.connId, released: this.releasedWhy.slice(0, 80), request: s.requestLine.slice(0, 80) },
      });
    }
    if (!this.released && this.quic.streamBuffered(s.id) > 0) this.unacked.add(s.id);
  }

  /** One HTTP log line (option httplog, HAProxy manual 8.2.3) with `HTTP/3.0` in the request line. */
  private logStream(s: H3Stream): void {
    const client = { clientIp: this.facts.src, clientPort: this.facts.srcPort, frontend: this.fe.name, ssl: true };
    this.logger!.send(formatHttpLog(endedStreamLog(s, client, s.requestLine, this.ctx.actconn?.(), feConns.count(this.fe.name), nowMs()), this.fe.httplog || 'httplog'));
  }

}

/**
 * The HTTP/1.1 request head an HTTP/3 request becomes (RFC 9114 §4.3.1, RFC 9110 §7.2): `:path` as
 * the target, `:authority` as Host when the request has none, split Cookie fields joined with "; "
 * (RFC 9114 §4.2.1). The body is announced by Content-Length, else chunked unless the stream ended
 * with its HEADERS (`bodyless`).
 */
export function headOf(req: H3Request, bodyless: boolean): H1HeadEvent {
  const headers: H1Header[] = [];
  const cookies: string[] = [];
  let hasHost = false;
  for (const f of req.headers) {
    if (f.name === 'cookie') cookies.push(f.value);
    else {
      if (f.name === 'host') hasHost = true;
      headers.push([f.name, f.value]);
    }
  }
  if (!hasHost && req.authority !== undefined) headers.unshift(['host', req.authority]);
  if (cookies.length > 0) headers.push(['cookie', cookies.join('; ')]);
  const connect = req.method === 'CONNECT';
  const target = connect ? (req.authority ?? '') : (req.path ?? '/');
  const bodyKind = req.contentLength !== undefined ? 'length' : bodyless ? 'none' : 'chunked';
  const lower = (n: string) => n.toLowerCase();
  return {
    type: 'head',
    method: req.method,
    target,
    targetForm: connect ? 'authority' : target === '*' ? 'asterisk' : 'origin',
    version: '1.1',
    headers,
    keepAlive: true,
    bodyKind,
    ...(req.contentLength !== undefined ? { contentLength: req.contentLength } : {}),
    expectContinue: false,
    get: (name) => headers.find((h) => lower(h[0]) === lower(name))?.[1],
    getAll: (name) => headers.filter((h) => lower(h[0]) === lower(name)).map((h) => h[1]),
    has: (name) => headers.some((h) => lower(h[0]) === lower(name)),
  };
}

const NOT_IN_H3 = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * Status, fields and body of a complete HTTP/1.1 response the proxy rendered itself (a rule reply
 * or an error page, always with Content-Length), without its connection-specific fields (RFC 9114
 * §4.2).
 */
export function messageOf(parts: readonly Uint8Array[]): { status: number; fields: FieldLine[]; body: Uint8Array } {
  const buf = Buffer.concat(parts);
  const end = buf.indexOf('\r\n\r\n');
  const headEnd = end < 0 ? buf.length : end;
  const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(lines[0].split(' ')[1]) || 500;
  const fields: FieldLine[] = [];
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const name = l.slice(0, i).trim().toLowerCase();
    if (!NOT_IN_H3.has(name)) fields.push({ name, value: l.slice(i + 1).trim() });
  }
  return { status, fields, body: end < 0 ? new Uint8Array(0) : new Uint8Array(buf.subarray(end + 4)) };
}
