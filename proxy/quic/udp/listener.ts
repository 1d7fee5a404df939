/**
 * The UDP listener of a `bind quic4@...` / `quic6@...` line in a worker (node:dgram with
 * SO_REUSEPORT: every worker binds the same address and port and the kernel spreads datagrams by
 * 4-tuple). Each datagram goes through this thread's dispatcher (dispatcher.ts): to a connection of
 * this thread, to a new connection, or handed over to the thread owning its connection id (the
 * worker relays it through the supervisor and delivers it to `inject` on that thread).
 *
 * Per connection: one QuicConnection (sans-IO engine), its application (the HTTP/3 driver,
 * proxy/h3/driver.ts) and one timer armed at `QuicConnection.deadline()`. After every input
 * (datagram, timer, a kick from the application) the listener lets the application handle the
 * events, then sends every datagram the connection transmits, then re-arms the timer. A connection
 * whose state is `closed` is removed from the table and released in the same turn. The
 * application's lifecycle object (`quic_conn`) is created before the QuicConnection, whose trace
 * records (`quic`, `tls13`) all carry its id; only the answers below, which belong to no
 * connection, are recorded with connection id 0.
 *
 * Graceful stop (`stop()`): no new connection is accepted, every connection is asked to drain
 * (HTTP/3 GOAWAY), the socket keeps serving the ones still open, and `onIdle` is called once none is
 * left (the socket is then closed).
 *
 * Answers without a connection (each traced on the `quic` source and counted in the dispatcher's stats):
 * - Version Negotiation for a long header of an unsupported version (RFC 9000 §6.1; dispatcher.ts).
 * - Retry (`quic-force-retry` on the bind, RFC 9000 §8.1.2, §17.2.5): a client Initial without a
 *   token gets a Retry whose token (address-token.ts) is bound to the client's address and to the
 *   connection id chosen in the Retry; the Initial that brings a valid token back starts the
 *   connection with the Retry's transport parameters (§7.3; that `retry` record carries the new
 *   connection's id); an invalid or expired token is closed
 *   at once with INVALID_TOKEN in an Initial packet, without creating any state (§8.1.2, §10.2).
 * - Stateless reset (RFC 9000 §10.3) for a short-header datagram whose connection id is unknown
 *   (its connection ended, or this thread was restarted), with the token the connection advertised
 *   for that id, rate-limited (§10.3.3).
 * The keys of Retry tokens and stateless reset tokens derive from `secret`, which every worker
 * thread receives from the supervisor, so any thread validates any token and recomputes any reset
 * token, also after a worker restart.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { BindConfig, BindSslConfig } from '../../config/config.types.ts';
import { setCurrentObject } from '../../../diag/invariants.ts';
import { tickClock } from '../../../diag/ring.ts';
import { openRetryToken, retryTokenKey, sealRetryToken } from '../address-token.ts';
import { cidHex, LOCAL_CID_LENGTH, type RandomSource } from '../cid.ts';
import { QuicConnection, type QuicTlsSetup } from '../connection.ts';
import type { QuicPath } from '../connection.types.ts';
import { TRANSPORT_ERROR } from '../errors.ts';
import { encodeFrame } from '../frame.ts';
import { parsePacketHeader } from '../header.ts';
import { deriveInitialKeys } from '../keys.ts';
import { sealPacket } from '../packetizer.ts';
import { buildStatelessReset, resetKeyFromSecret, ResetLimiter, statelessResetToken } from '../reset-token.ts';
import { buildRetry } from '../retry.ts';
import { QTR } from '../trace.ts';
import { datagramDcid, QuicDispatcher, threadCidSource, type DispatchStats } from './dispatcher.ts';
import { collectQuicConn } from '../show.ts';
import type { QuicAppShow, QuicConnRecord } from '../show.types.ts';

/** What a connection's application (HTTP/3 driver) provides to the listener. */
export interface QuicApp {
  /** Handle the connection's events (drain `pollEvents`) and write what follows. */
  onEvents(): void;
  /** Resume writers paused for backpressure whose streams drained (after acknowledgements). */
  serviceDrains?(): void;
  /** Graceful stop: finish open work, then close (HTTP/3 GOAWAY). */
  drain(): void;
  /** The connection is gone: release everything it holds. */
  release(why: string): void;
  /** Lifecycle id of the connection's object: set as the current object while it is handled, so a fault names it. */
  readonly connId?: number;
  /** What `show quic` adds from the application: ids, frontend, request streams (proxy/quic/show.ts). */
  show?(): QuicAppShow;
}

/**
 * The application of a new connection, opened before its QuicConnection exists (QuicListenerOptions.app):
 * its lifecycle object is created first, so that its id tags every trace record of the engine (the
 * `quic` and `tls13` sources, through QuicConnectionOptions.traceId) from the very first Initial on.
 */
export interface QuicAppOpening {
  /** Lifecycle id of the connection's object (`quic_conn`, what `show sess`/`show conns` print); 0 when it has none. */
  readonly connId: number;
  /** Builds the application around the connection; called once, right after the connection is built and before any input. */
  start(conn: QuicConnection): QuicApp;
}

/** A datagram handed over to another thread (its bytes are a fresh ArrayBuffer, to be transferred). */
export interface HandedDatagram {
  readonly thread: number;
  readonly data: ArrayBuffer;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** Options of a listener. */
export interface QuicListenerOptions {
  readonly bind: BindConfig & { ssl: BindSslConfig; quic: 'quic4' | 'quic6' };
  /** This worker's thread number and the number of workers (connection ids carry the thread). */
  readonly thread: number;
  readonly nbthread: number;
  /** The TLS side of every connection (credentials and ALPN). */
  readonly tls: Extract<QuicTlsSetup, { role: 'server' }>;
  /** Hands a datagram to the thread owning its connection. */
  forward(d: HandedDatagram): void;
  /**
   * Opens the application of a new connection, before its QuicConnection is built (see
   * QuicAppOpening); `kick` asks for onEvents + transmit soon.
   */
  app(path: { remoteAddress: string; remotePort: number; localAddress: string; localPort: number }, hooks: { now(): number; kick(): void }): QuicAppOpening;
  /** A connection was created / released (counters of the worker). */
  onOpen?(): void;
  onClose?(): void;
  /**
   * 32 bytes shared by every worker thread (drawn once by the supervisor, WorkerInit.quicSecret):
   * keys of Retry tokens and stateless reset tokens derive from it. Default: random per listener
   * (then a token is only good on the thread that made it).
   */
  readonly secret?: Uint8Array;
  /**
   * Epoch ms before which no stateless reset is sent: set while a predecessor (reload, `run -sf`)
   * may still be serving this port. Both processes' UDP sockets are in one SO_REUSEPORT group, so
   * the kernel hands either of them datagrams of the other's connections; a reset keyed with a
   * shared `cluster-secret` would kill them (RFC 9000 §10.3.2, §21.11).
   */
  readonly quietResetsUntil?: number;
}

/** The connection ids of a Retry exchange, for the connection it leads to (QuicConnectionOptions.retry). */
type RetryIds = { readonly originalDcid: Uint8Array; readonly retryScid: Uint8Array };

/** A connection of this listener. */
interface Entry {
  readonly quic: QuicConnection;
  app: QuicApp | undefined;
  readonly cids: Uint8Array[];
  /** Ids the peer retired lately, still routed here (newest last, at most RETIRED_KEPT). */
  readonly retired: Uint8Array[];
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
  kicked: boolean;
  gone: boolean;
}

/**
 * Retired connection ids still routed to their connection. Packets the peer sent before it
 * retired an id keep arriving for a while (reordering, a migration's old path): forgotten at once,
 * they would find no connection and be answered with a stateless reset whose token the peer still
 * accepts, killing a live connection (RFC 9000 §5.1.2 lets an endpoint retain a retired id).
 * Bounded per connection so that a peer retiring ids in a loop cannot grow the table.
 */
const RETIRED_KEPT = 8;

/** The clock given to the engines: monotonic milliseconds, above 0. */
function clock(): number {
  return performance.now() + 1;
}

/** Splits a "host:port" path end (IPv6 hosts are written without brackets). */
function splitHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

/** One QUIC listener (see module doc). */
export class QuicListener {
  readonly dispatcher: QuicDispatcher<Entry>;
  /** Datagrams received, sent, and dropped by the dispatcher, with its own counters. */
  readonly counts = { received: 0, sent: 0, sendErrors: 0 };
  private readonly o: QuicListenerOptions;
  private readonly sock: Socket;
  private readonly entries = new Set<Entry>();
  private localPath = '';
  private stopping = false;
  private onIdle: (() => void) | undefined;
  private closed = false;
  private readonly cidSource: RandomSource;
  private readonly resetKey: Uint8Array;
  private readonly tokenKey: Uint8Array;
  private readonly resetLimiter = new ResetLimiter();
  /** The same budget for Version Negotiation answers, apart so that a VN flood cannot starve resets. */
  private readonly vnLimiter = new ResetLimiter();

  constructor(o: QuicListenerOptions) {
    this.o = o;
    this.dispatcher = new QuicDispatcher<Entry>(o.thread, o.nbthread);
    this.cidSource = threadCidSource(o.thread);
    const secret = o.secret ?? new Uint8Array(randomBytes(32));
    this.resetKey = resetKeyFromSecret(secret);
    this.tokenKey = retryTokenKey(secret);
    this.sock = createSocket({ type: o.bind.quic === 'quic6' ? 'udp6' : 'udp4', reuseAddr: true, reusePort: true });
    this.sock.on('message', (msg: Buffer, r: RemoteInfo) => this.input(msg, r.address, r.port, false));
  }

  /** Dispatcher counters (`show quic`, tests). */
  get stats(): DispatchStats {
    return this.dispatcher.stats;
  }

  /** Connections open on this listener. */
  get connections(): number {
    return this.entries.size;
  }

  /** `show quic`: a record of every connection of this listener, closing and draining ones included. */
  showConnections(): QuicConnRecord[] {
    const now = clock();
    return [...this.entries].map((e) => collectQuicConn(e.quic, { thread: this.o.thread, id: e.app?.connId, app: e.app?.show?.() }, now));
  }

  /** Binds the socket; rejects with what, where and why. */
  listen(): Promise<void> {
    const b = this.o.bind;
    return new Promise((resolve, reject) => {
      this.sock.once('error', (e) => reject(new Error(`cannot bind ${b.quic}@${b.host}:${b.port} (${b.file}:${b.line}): ${e.message}`)));
      this.sock.bind({ address: b.host, port: b.port, exclusive: false }, () => {
        const a = this.sock.address();
        this.localPath = `${a.address}:${a.port}`;
        this.sock.removeAllListeners('error');
        this.sock.on('error', () => {
          this.counts.sendErrors++;
        });
        resolve();
      });
    });
  }

  /** The bound port (after listen). */
  get port(): number {
    return this.sock.address().port;
  }

  /** A datagram handed over by another thread (dispatcher: never handed over again). */
  inject(data: Uint8Array, remoteAddress: string, remotePort: number): void {
    if (this.closed) return;
    this.input(data, remoteAddress, remotePort, true);
  }

  /** Graceful stop (see module doc); `onIdle` once no connection is left. */
  stop(onIdle: () => void): void {
    this.stopping = true;
    this.onIdle = onIdle;
    for (const e of [...this.entries]) {
      e.app?.drain();
      this.service(e);
    }
    this.checkIdle();
  }

  /** Closes the socket and drops every connection at once (hard stop, tests). */
  close(): void {
    if (this.closed) return;
    for (const e of [...this.entries]) this.remove(e, 'listener closed');
    this.closed = true;
    this.sock.close();
  }

  private input(data: Uint8Array, remoteAddress: string, remotePort: number, forwarded: boolean): void {
    tickClock(); // records of this datagram carry its time, not the last heartbeat's (diag/ring.ts)
    this.counts.received++;
    const d = this.dispatcher.route(data, forwarded);
    const now = clock();
    const path: QuicPath = { local: this.localPath, remote: `${remoteAddress}:${remotePort}` };
    switch (d.kind) {
      case 'local':
        if (d.conn.gone) return;
        setCurrentObject(d.conn.app?.connId ?? 0, 0);
        d.conn.quic.receive(now, data, path);
        d.conn.app?.serviceDrains?.();
        this.service(d.conn);
        setCurrentObject(0, 0);
        return;
      case 'new': {
        if (this.stopping) return;
        const retry = this.o.bind.quicForceRetry ? this.quicRetry(data, remoteAddress, remotePort) : undefined;
        if (retry === null) return; // answered with a Retry or INVALID_TOKEN
        this.create(now, data, path, d.odcid, remoteAddress, remotePort, retry);
        return;
      }
      case 'negotiate':
        // Bounded like stateless resets: an answer per datagram to any (spoofable) source otherwise (§6.1).
        if (!this.vnLimiter.allow(remoteAddress, clock())) {
          this.dispatcher.stats.vnLimited++;
          return;
        }
        this.quicVersionNegotiation(d.packet, d.version, data.length, remoteAddress, remotePort);
        return;
      case 'forward': {
        const copy = new ArrayBuffer(data.length);
        new Uint8Array(copy).set(data);
        this.o.forward({ thread: d.thread, data: copy, remoteAddress, remotePort });
        return;
      }
      case 'drop':
        if (d.why === 'unknown-cid' || d.why === 'owner-gone') this.quicStatelessReset(data, remoteAddress, remotePort);
        return;
    }
  }

  /** Sends one datagram that belongs to no connection. */
  private sendRaw(data: Uint8Array, host: string, port: number): void {
    this.counts.sent++;
    this.sock.send(data, port, host);
  }

  /** Answers an unsupported version with Version Negotiation (RFC 9000 §6.1). */
  private quicVersionNegotiation(packet: Uint8Array, version: number, trigger: number, host: string, port: number): void {
    this.dispatcher.stats.vnSent++;
    if (QTR.versionNeg.on) QTR.versionNeg.emit(0, 0, version, trigger, packet.length, `${host}:${port}`);
    this.sendRaw(packet, host, port);
  }

  /**
   * `quic-force-retry` (RFC 9000 §8.1.2): the connection ids to start the connection with when the
   * Initial carries a valid Retry token; null when the Initial was answered instead (a Retry when it
   * has no token, INVALID_TOKEN when its token does not open) and no connection is created.
   */
  private quicRetry(data: Uint8Array, host: string, port: number): RetryIds | null {
    const h = parsePacketHeader(data, 0, LOCAL_CID_LENGTH);
    if (!h.ok || h.packet.form !== 'long' || h.packet.type !== 'initial') return null;
    const { dcid, scid, token } = h.packet;
    const st = this.dispatcher.stats;
    if (token.length === 0) {
      const retryScid = this.cidSource(LOCAL_CID_LENGTH);
      const t = sealRetryToken(this.tokenKey, { address: host, retryScid }, dcid, Date.now());
      const retry = buildRetry({ dcid: scid, scid: retryScid, token: t, odcid: dcid });
      st.retrySent++;
      if (QTR.retry.on) QTR.retry.emit(0, 0, 1, this.o.thread, data.length, `${host}:${port} odcid ${cidHex(dcid)} -> ${cidHex(retryScid)}`);
      this.sendRaw(retry, host, port);
      return null;
    }
    const c = openRetryToken(this.tokenKey, token, { address: host, retryScid: dcid }, Date.now());
    if (c.ok) {
      st.retryValidated++; // traced by create(), with the id of the connection it starts
      return { originalDcid: c.odcid, retryScid: dcid.slice() };
    }
    if (c.why === 'malformed') {
      // Not one of our Retry tokens (a NEW_TOKEN from another server, say): §8.1.3 says to proceed
      // as for a client without a validated address, i.e. send a Retry; INVALID_TOKEN is for a Retry
      // token of ours that does not open (§8.1.2).
      st.retryFailed++;
      if (QTR.retry.on) QTR.retry.emit(0, 0, 3, this.o.thread, data.length, `${host}:${port} token not ours: answered with a Retry`);
      const retryScid = this.cidSource(LOCAL_CID_LENGTH);
      const t = sealRetryToken(this.tokenKey, { address: host, retryScid }, dcid, Date.now());
      st.retrySent++;
      this.sendRaw(buildRetry({ dcid: scid, scid: retryScid, token: t, odcid: dcid }), host, port);
      return null;
    }
    st.retryFailed++;
    if (QTR.retry.on) QTR.retry.emit(0, 0, 3, this.o.thread, data.length, `${host}:${port} token ${c.why}`);
    // §8.1.2: close at once with INVALID_TOKEN; no state exists, so no closing period.
    const close = encodeFrame({ type: 'connection_close', kind: 'transport', errorCode: TRANSPORT_ERROR.INVALID_TOKEN, frameType: 0, reason: new Uint8Array(Buffer.from(`address validation token ${c.why}`)) });
    const packet = sealPacket({ type: 'initial', keys: deriveInitialKeys(dcid).server, dcid: scid, scid: this.cidSource(LOCAL_CID_LENGTH), token: new Uint8Array(0), pn: 0, pnLength: 1, payload: close });
    this.sendRaw(packet, host, port);
    return null;
  }

  /** Answers a short header for an unknown connection id with a stateless reset (RFC 9000 §10.3). */
  private quicStatelessReset(data: Uint8Array, host: string, port: number): void {
    const h = datagramDcid(data);
    if (!h || h.long || (data[0] & 0x40) === 0) return; // §17.3.1: fixed bit clear: not a QUIC v1 packet
    const st = this.dispatcher.stats;
    const who = `${host}:${port} dcid ${cidHex(h.dcid)}`;
    if (this.stopping || Date.now() < (this.o.quietResetsUntil ?? 0)) {
      // Draining, or just started by a reload: the datagram may belong to a connection of the
      // other process sharing this port (see QuicListenerOptions.quietResetsUntil).
      st.resetSuppressed++;
      if (QTR.statelessReset.on) QTR.statelessReset.emit(0, 0, 4, data.length, 0, `${who}: not sent while another process may serve this port`);
      return;
    }
    const reset = buildStatelessReset(statelessResetToken(h.dcid, this.resetKey), data.length);
    if (!reset) {
      if (QTR.statelessReset.on) QTR.statelessReset.emit(0, 0, 3, data.length, 0, who);
      return;
    }
    if (!this.resetLimiter.allow(host, clock())) {
      st.resetLimited++;
      if (QTR.statelessReset.on) QTR.statelessReset.emit(0, 0, 2, data.length, 0, who);
      return;
    }
    st.resetSent++;
    if (QTR.statelessReset.on) QTR.statelessReset.emit(0, 0, 1, data.length, reset.length, who);
    this.sendRaw(reset, host, port);
  }

  /**
   * A new connection: its application's lifecycle object first, then the engine tagged with its id
   * (every `quic`/`tls13` record of the connection carries it, the first Initial's included).
   */
  private create(now: number, data: Uint8Array, path: QuicPath, odcid: Uint8Array, remoteAddress: string, remotePort: number, retry?: RetryIds): void {
    const local = splitHostPort(this.localPath);
    let entry: Entry | undefined;
    const opening = this.o.app({ remoteAddress, remotePort, localAddress: local.host, localPort: local.port }, {
      now: clock,
      kick: () => {
        if (entry) this.kick(entry);
      },
    });
    const traceId = opening.connId;
    if (retry && QTR.retry.on) QTR.retry.emit(traceId, 0, 2, this.o.thread, data.length, `${remoteAddress}:${remotePort} odcid ${cidHex(retry.originalDcid)}`);
    const quic = new QuicConnection({ tls: this.o.tls, path, now, random: this.cidSource, resetSecret: this.resetKey, traceId, ...(retry ? { retry } : {}) });
    const e: Entry = { quic, app: undefined, cids: [odcid, quic.localCid], retired: [], timer: undefined, timerAt: 0, kicked: false, gone: false };
    entry = e;
    for (const c of e.cids) this.dispatcher.add(c, e);
    this.entries.add(e);
    this.o.onOpen?.();
    e.app = opening.start(quic);
    setCurrentObject(traceId, 0);
    quic.receive(now, data, path);
    this.service(e);
    setCurrentObject(0, 0);
  }

  private kick(e: Entry): void {
    if (e.kicked || e.gone) return;
    e.kicked = true;
    setImmediate(() => {
      e.kicked = false;
      if (e.gone) return;
      tickClock();
      setCurrentObject(e.app?.connId ?? 0, 0); // a fault in a turn the application asked for names its connection
      this.service(e);
      setCurrentObject(0, 0);
    });
  }

  /** Events to the application, datagrams to the network, timer re-armed; removal once closed. */
  private service(e: Entry): void {
    if (e.gone) return;
    const q = e.quic;
    e.app?.onEvents();
    const now = clock();
    for (let d = q.transmit(now); d; d = q.transmit(now)) {
      const to = splitHostPort(d.path.remote);
      this.counts.sent++;
      this.sock.send(d.data, to.port, to.host);
    }
    // Writes made while handling the events above (a response to a request) are sent in this turn too.
    this.followCids(e);
    if (q.state === 'closed') {
      this.remove(e, q.closeReason?.reason ?? 'closed');
      return;
    }
    this.arm(e, now);
  }

  /**
   * Registers the connection ids the connection issued since the last turn (NEW_CONNECTION_ID, RFC
   * 9000 §5.1.1); ids the peer retired (§19.16) keep routing here for late packets, the last
   * RETIRED_KEPT of them: a datagram sent to any active id finds the connection, on this thread or
   * handed over to it (the ids carry this thread's number).
   */
  private followCids(e: Entry): void {
    const ch = e.quic.pollCidChanges();
    for (const c of ch.added) {
      this.dispatcher.add(c, e);
      e.cids.push(c);
    }
    for (const c of ch.removed) {
      const i = e.cids.findIndex((x) => x.length === c.length && x.every((b, j) => b === c[j]));
      if (i >= 0) e.cids.splice(i, 1);
      e.retired.push(c); // still routed here for late packets (RETIRED_KEPT)
      if (e.retired.length > RETIRED_KEPT) this.dispatcher.forget(e.retired.shift()!);
    }
  }

  private arm(e: Entry, now: number): void {
    const at = e.quic.deadline();
    if (at === undefined) {
      if (e.timer) clearTimeout(e.timer);
      e.timer = undefined;
      return;
    }
    if (e.timer && e.timerAt === at) return;
    if (e.timer) clearTimeout(e.timer);
    e.timerAt = at;
    e.timer = setTimeout(() => {
      e.timer = undefined;
      if (e.gone) return;
      tickClock();
      const t = clock();
      setCurrentObject(e.app?.connId ?? 0, 0);
      e.quic.onTimeout(t);
      this.service(e);
      setCurrentObject(0, 0);
    }, Math.max(0, Math.ceil(at - now)));
  }

  private remove(e: Entry, why: string): void {
    if (e.gone) return;
    e.gone = true;
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    for (const c of e.cids) this.dispatcher.forget(c);
    for (const c of e.retired) this.dispatcher.forget(c);
    this.entries.delete(e);
    e.app?.release(why);
    e.app = undefined;
    this.o.onClose?.();
    this.checkIdle();
  }

  private checkIdle(): void {
    if (!this.stopping || this.entries.size > 0 || !this.onIdle) return;
    const cb = this.onIdle;
    this.onIdle = undefined;
    this.close();
    cb();
  }
}
