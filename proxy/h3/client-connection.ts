/**
 * The client side of an HTTP/3 connection (RFC 9114), sans-IO, and its binding to a sans-IO QUIC
 * connection. The counterpart of H3ServerConnection (server-connection.ts); not to be confused with
 * driver.ts's H3ClientConnection, which is a *server's* connection with a client.
 *
 * H3ClientEngine (no transport): the application sends requests with `sendRequest`, `sendData`,
 * `sendTrailers`, `finish`, may `cancel` them or send `goaway`; the transport hands it the bytes of
 * each stream (`onStreamData`), RESET_STREAM (`onResetStream`) and STOP_SENDING (`onStopSending`).
 * `take()` returns the actions for the transport (bytes per stream, resets, close; H3Action as the
 * server engine's) and the events for the application (H3ClientEvent, per request stream).
 *
 * - §6.2.1 / RFC 9204 §4.2: at creation it opens its control stream (type, then SETTINGS) and its
 *   QPACK encoder and decoder streams on the client unidirectional ids given (default 2, 6, 10).
 *   The encoder is static-only (QpackStaticEncoder); the decoder advertises a dynamic table
 *   (default capacity 0: none) and handles blocked sections like the server engine does.
 * - §6.2: server unidirectional streams are typed by their first varint: one control stream (its
 *   first frame must be SETTINGS, H3_MISSING_SETTINGS; a second SETTINGS or a MAX_PUSH_ID from a
 *   server is H3_FRAME_UNEXPECTED, §7.2.4, §7.2.7), one QPACK encoder and one decoder stream; a
 *   second of a kind is H3_STREAM_CREATION_ERROR; closing or resetting one is
 *   H3_CLOSED_CRITICAL_STREAM. We never send MAX_PUSH_ID, so a push stream, a PUSH_PROMISE or a
 *   CANCEL_PUSH is H3_ID_ERROR (§4.6, §7.2.3, §7.2.5). Other types are ignored with STOP_SENDING
 *   H3_STREAM_CREATION_ERROR (§6.2, §9). A server-initiated bidirectional stream is
 *   H3_STREAM_CREATION_ERROR (§6.1).
 * - §4.1: a response is interim HEADERS (1xx)*, the final HEADERS, DATA*, then optional trailing
 *   HEADERS; anything else in that order is H3_FRAME_UNEXPECTED. A malformed response (§4.1.2,
 *   §4.3.2: missing or bad :status, other pseudo-header fields, bad fields, content-length not
 *   matching the body) is a stream error H3_MESSAGE_ERROR on that stream only, as is a stream that
 *   ends before its final HEADERS.
 * - §5.2: a server GOAWAY carries a client-initiated bidirectional stream id (else H3_ID_ERROR)
 *   that may not increase; requests at or above it are reported `rejected` and cancelled, and new
 *   ones are refused.
 * - §4.1.1: a server RESET_STREAM ends the response (`reset` event); STOP_SENDING stops the request
 *   body (`stop-sending` event) while the response may still arrive.
 *
 * Errors of the peer are outcomes (a `close` action and a `connection-error` event, or a stream
 * error), never exceptions; after a connection error every input is ignored.
 */
import type { FieldLine } from '../qpack/qpack.types.ts';
import type { QuicConnection } from '../quic/connection.ts';
import type { ConnectionEvent } from '../quic/connection.types.ts';
import type { H3Frame } from './h3.types.ts';
import { H3_ERROR_CODE } from './h3.types.ts';
import type { H3ClientEvent, H3ClientRequest, H3ClientResponse, H3QuicClientEvent } from './client-connection.types.ts';
import type { H3SendOutcome } from './server-connection.ts';
import { concatBytes } from '../bytes.ts';
import { buildFrameHeader, FRAME_TABLE } from './frame.ts';
import { FrameReader, type FrameReaderItem } from './frame-reader.ts';
import { applyH3Actions, H3ConnectionBase, type H3EngineOptions, type H3StreamState } from './connection-common.ts';
import { checkField, CONNECTION_SPECIFIC_FIELDS, fieldSectionSize, parseContentLength } from './message.ts';
import { H3TP } from './trace.ts';

/**
 * Options of a client engine (H3EngineOptions): SETTINGS_QPACK_MAX_TABLE_CAPACITY default 0 (the
 * server may not use a dynamic table), SETTINGS_QPACK_BLOCKED_STREAMS default 0, field section
 * size 65536 enforced on responses, unidirectional ids 2, 6, 10.
 */
export type H3ClientOptions = H3EngineOptions;

/** A request stream; our request side (`send`) is still open (`body`) or ended, reset or stopped (`done`). */
interface RequestStream extends H3StreamState {
  /** A HEAD request: the response has no body whatever its content-length (RFC 9110 §9.3.2). */
  readonly head: boolean;
  status: number;
}

const NO_BYTES = new Uint8Array(0);
const STATUS = /^[1-5][0-9][0-9]$/;

/** The client side of one HTTP/3 connection (see module doc). */
export class H3ClientEngine extends H3ConnectionBase<H3ClientEvent, RequestStream> {
  /** Whether we sent GOAWAY. */
  goawaySent = false;

  constructor(options: H3ClientOptions = {}) {
    super(options, { qpackMaxTableCapacity: 0, qpackBlockedStreams: 0, uniStreamIds: [2, 6, 10], peerName: 'server' });
  }

  // ---- requests (send side) ----

  /**
   * Sends the request header section of `req` on client bidirectional stream `streamId` (opened by
   * the transport; RFC 9114 §4.1, §4.3.1); `fin` ends the request there (no body). Invalid (nothing
   * sent) when the stream id is not a client bidirectional one or is already used, after a
   * connection error, at or above the server's GOAWAY id (§5.2), or when the section exceeds the
   * server's SETTINGS_MAX_FIELD_SECTION_SIZE (§4.2.2).
   */
  sendRequest(streamId: number, req: H3ClientRequest, fin = false): H3SendOutcome {
    if (this.failed) return { status: 'invalid', reason: 'the connection failed' };
    if ((streamId & 3) !== 0) return { status: 'invalid', reason: `stream ${streamId} is not a client bidirectional stream (RFC 9000 §2.1)` };
    if (this.requests.has(streamId)) return { status: 'invalid', reason: `stream ${streamId} already carries a request` };
    if (this.peerGoawayId !== undefined && streamId >= this.peerGoawayId) {
      return { status: 'invalid', reason: `stream ${streamId} is at or above the server's GOAWAY id ${this.peerGoawayId} (RFC 9114 §5.2)` };
    }
    const fields = requestFieldLines(req);
    const size = fieldSectionSize(fields);
    const limit = this.peerSettings.maxFieldSectionSize;
    if (size > limit) return { status: 'invalid', reason: `request field section of ${size} bytes exceeds the server's SETTINGS_MAX_FIELD_SECTION_SIZE ${limit} (RFC 9114 §4.2.2)` };
    const section = this.encoder.encodeFieldSection(fields);
    const frame = concatBytes(buildFrameHeader(FRAME_TABLE.HEADERS.type, section.length), section);
    const s: RequestStream = {
      id: streamId, reader: new FrameReader(`request stream ${streamId}`, this.maxFrameSize), head: req.method === 'HEAD',
      recv: 'headers', send: fin ? 'done' : 'body', held: undefined, finHeld: false, status: 0, contentLength: undefined, received: 0,
    };
    this.requests.set(streamId, s);
    this.send(streamId, frame, fin);
    if (H3TP.sndFrame.on) H3TP.sndFrame.emit(this.conn, streamId, FRAME_TABLE.HEADERS.type, section.length);
    return { status: 'sent', bytes: frame.length };
  }

  /** Sends request body bytes as one DATA frame (RFC 9114 §7.2.1); `fin` ends the request. */
  sendData(streamId: number, bytes: Uint8Array, fin = false): H3SendOutcome {
    const s = this.requests.get(streamId);
    if (this.failed || !s || s.send !== 'body') return { status: 'invalid', reason: `stream ${streamId} has no request open for sending` };
    const out = bytes.length > 0 ? concatBytes(buildFrameHeader(FRAME_TABLE.DATA.type, bytes.length), bytes) : NO_BYTES;
    this.send(streamId, out, fin);
    if (fin) this.endSend(s);
    return { status: 'sent', bytes: out.length };
  }

  /** Sends request trailers (RFC 9114 §4.1) and ends the request; pseudo-header and connection-specific fields are dropped. */
  sendTrailers(streamId: number, trailers: readonly FieldLine[]): H3SendOutcome {
    const s = this.requests.get(streamId);
    if (this.failed || !s || s.send !== 'body') return { status: 'invalid', reason: `stream ${streamId} has no request open for sending` };
    const section = this.encoder.encodeFieldSection(regularFields(trailers));
    const frame = concatBytes(buildFrameHeader(FRAME_TABLE.HEADERS.type, section.length), section);
    this.send(streamId, frame, true);
    this.endSend(s);
    return { status: 'sent', bytes: frame.length };
  }

  /** Ends the request (FIN with no more bytes, RFC 9000 §3.1). */
  finish(streamId: number): H3SendOutcome {
    return this.sendData(streamId, NO_BYTES, true);
  }

  /**
   * Cancels request `streamId` (RFC 9114 §4.1.1): RESET_STREAM (if still sending) and STOP_SENDING
   * (if the response is still arriving) with `code` (default H3_REQUEST_CANCELLED); forgets it.
   */
  cancel(streamId: number, code: number = H3_ERROR_CODE.H3_REQUEST_CANCELLED): void {
    this.cancelStream(streamId, code);
  }

  /**
   * Starts a graceful shutdown from the client side (RFC 9114 §5.2): GOAWAY with push id 0 (we
   * accept no pushes). Requests in progress go on; a second call sends nothing.
   */
  goaway(): void {
    if (this.failed || this.goawaySent) return;
    this.goawaySent = true;
    this.sendGoaway(0);
  }

  // ---- transport input ----

  /** Bytes (and FIN) received on stream `streamId`. */
  onStreamData(streamId: number, bytes: Uint8Array, fin: boolean): void {
    if (this.failed) return;
    switch (streamId & 3) {
      case 0:
        this.onResponseData(streamId, bytes, fin);
        break;
      case 1:
        this.connectionError('H3_STREAM_CREATION_ERROR', `stream ${streamId}`, 0, 'the server opened a bidirectional stream (RFC 9114 §6.1)');
        return;
      case 3:
        this.onUniData(streamId, bytes, fin);
        break;
      default:
        return; // our own unidirectional streams carry nothing in
    }
    this.flushDecoderStream();
  }

  /** A server RESET_STREAM ends the response (`reset` event, RFC 9114 §4.1.1) and cancels the rest of the request. */
  protected override onPeerReset(s: RequestStream, code: number): void {
    this.events.push({ kind: 'reset', streamId: s.id, code });
    // The response is gone: the rest of the request is useless.
    if (s.send !== 'done') {
      s.send = 'done';
      this.actions.push({ kind: 'reset-stream', streamId: s.id, code: H3_ERROR_CODE.H3_REQUEST_CANCELLED });
    }
  }

  /** The server asked us to stop sending on `streamId` (STOP_SENDING, RFC 9000 §19.5). */
  onStopSending(streamId: number, code: number): void {
    if (this.failed) return;
    const s = this.requests.get(streamId);
    if (!s || s.send === 'done') return;
    s.send = 'done';
    this.actions.push({ kind: 'reset-stream', streamId, code });
    this.events.push({ kind: 'stop-sending', streamId, code });
    this.maybeClose(s);
  }

  // ---- receive side ----

  /** We never send MAX_PUSH_ID, so a push stream is H3_ID_ERROR (RFC 9114 §4.6). */
  protected override onPushStream(where: string): void {
    this.connectionError('H3_ID_ERROR', where, 0, 'a push stream, but the client sent no MAX_PUSH_ID (RFC 9114 §4.6)');
  }

  /** A server control-stream frame after SETTINGS; false when the connection failed. */
  protected override onControlFrameAfterSettings(f: H3Frame, offset: number, where: string): boolean {
    switch (f.type) {
      case 'unknown':
        return true;
      case 'CANCEL_PUSH':
        this.connectionError('H3_ID_ERROR', where, offset, `CANCEL_PUSH for push id ${f.pushId}, but the client sent no MAX_PUSH_ID (RFC 9114 §7.2.3)`);
        return false;
      case 'GOAWAY':
        return this.onGoaway(f.id, offset, where);
      default:
        // SETTINGS again; MAX_PUSH_ID from a server (§7.2.7); DATA/HEADERS/PUSH_PROMISE on the control stream.
        this.connectionError('H3_FRAME_UNEXPECTED', where, offset, `${f.type} frame ${f.type === 'SETTINGS' ? 'repeated ' : ''}on the server's control stream (RFC 9114 §7.2)`);
        return false;
    }
  }

  private onGoaway(id: number, offset: number, where: string): boolean {
    if ((id & 3) !== 0) {
      this.connectionError('H3_ID_ERROR', where, offset, `GOAWAY id ${id} is not a client-initiated bidirectional stream id (RFC 9114 §5.2)`);
      return false;
    }
    if (!this.acceptPeerGoaway(id, offset, where)) return false;
    for (const s of [...this.requests.values()]) {
      if (s.id < id) continue;
      this.events.push({ kind: 'rejected', streamId: s.id, goawayId: id });
      this.resetStream(s, H3_ERROR_CODE.H3_REQUEST_CANCELLED);
    }
    return true;
  }

  private onResponseData(streamId: number, bytes: Uint8Array, fin: boolean): void {
    const s = this.requests.get(streamId);
    if (!s || s.recv === 'done') return; // a stream we cancelled or already finished
    this.readStream(s, bytes, fin);
  }

  /** One frame or DATA chunk of a response; false when the stream or connection failed. */
  protected override onStreamItem(s: RequestStream, it: FrameReaderItem): boolean {
    const where = `request stream ${s.id}`;
    if (it.kind === 'data') {
      if (!this.acceptData(s, it, where, 'DATA before the final response HEADERS (RFC 9114 §4.1)')) return false;
      if (it.bytes.length > 0) this.events.push({ kind: 'data', streamId: s.id, bytes: it.bytes });
      return true;
    }
    const f = it.frame;
    if (H3TP.rcvFrame.on) H3TP.rcvFrame.emit(this.conn, s.id, f.type === 'unknown' ? f.frameType : FRAME_TABLE[f.type].type, 0);
    if (f.type === 'unknown') return true;
    if (f.type === 'PUSH_PROMISE') {
      this.connectionError('H3_ID_ERROR', where, it.offset, `PUSH_PROMISE for push id ${f.pushId}, but the client sent no MAX_PUSH_ID (RFC 9114 §7.2.5)`);
      return false;
    }
    if (f.type !== 'HEADERS') {
      this.connectionError('H3_FRAME_UNEXPECTED', where, it.offset, `${f.type} frame on a request stream (RFC 9114 §7.2)`);
      return false;
    }
    if (s.recv === 'trailers') {
      this.connectionError('H3_FRAME_UNEXPECTED', where, it.offset, 'HEADERS after trailers (RFC 9114 §4.1)');
      return false;
    }
    return this.decodeHeaders(s, f.fieldSection);
  }

  /** A decoded HEADERS section: an interim or final response, or trailers. */
  protected override onHeaders(s: RequestStream, fields: FieldLine[]): boolean {
    if (s.recv === 'body') {
      for (const f of fields) {
        const e = f.name.startsWith(':') ? `pseudo-header field ${f.name} in trailers (RFC 9114 §4.3)` : checkField(f);
        if (e) return this.streamError(s, 'H3_MESSAGE_ERROR', e);
      }
      s.recv = 'trailers';
      this.events.push({ kind: 'trailers', streamId: s.id, fields });
      return true;
    }
    const c = checkResponseHeaders(fields);
    if (typeof c === 'string') return this.streamError(s, 'H3_MESSAGE_ERROR', c);
    if (c.status < 200) {
      this.events.push({ kind: 'interim', streamId: s.id, status: c.status, headers: c.headers });
      return true;
    }
    s.recv = 'body';
    s.status = c.status;
    // RFC 9110 §8.6: no body for HEAD, 204 and 304 whatever content-length says.
    s.contentLength = s.head || c.status === 204 || c.status === 304 ? 0 : c.contentLength;
    this.events.push({ kind: 'response', streamId: s.id, response: c });
    return true;
  }

  /** A response stream that ends before its final HEADERS is malformed (RFC 9114 §4.1). */
  protected override onFinBeforeHeaders(s: RequestStream): void {
    this.streamError(s, 'H3_MESSAGE_ERROR', 'stream ended before the final response HEADERS (RFC 9114 §4.1)');
  }
}

/** The field lines of a request: pseudo-header fields first (§4.3.1), then the regular ones (§4.2). */
export function requestFieldLines(req: H3ClientRequest): FieldLine[] {
  const out: FieldLine[] = [{ name: ':method', value: req.method }];
  if (req.method !== 'CONNECT') out.push({ name: ':scheme', value: req.scheme ?? 'https' });
  out.push({ name: ':authority', value: req.authority });
  if (req.method !== 'CONNECT') out.push({ name: ':path', value: req.path });
  if (req.headers) out.push(...regularFields(req.headers));
  return out;
}

function regularFields(headers: readonly FieldLine[]): FieldLine[] {
  const out: FieldLine[] = [];
  for (const h of headers) {
    const name = h.name.toLowerCase();
    if (name.startsWith(':') || name === 'host' || CONNECTION_SPECIFIC_FIELDS.includes(name)) continue;
    out.push(h.neverIndex ? { name, value: h.value, neverIndex: true } : { name, value: h.value });
  }
  return out;
}

/**
 * Validates a decoded response header section (RFC 9114 §4.3.2, §4.2, §4.1.2): exactly one
 * `:status` of three digits in 100..599 (101 is not allowed in HTTP/3, §4.5) before any regular
 * field, no other pseudo-header field, regular fields as §4.2 says, content-length a number.
 * Returns the response or why it is malformed.
 */
export function checkResponseHeaders(fields: readonly FieldLine[]): H3ClientResponse | string {
  let status: number | undefined;
  let contentLength: number | undefined;
  const headers: FieldLine[] = [];
  for (const f of fields) {
    if (f.name.charCodeAt(0) === 0x3a) {
      if (headers.length > 0) return `pseudo-header field ${f.name} after a regular field (RFC 9114 §4.3)`;
      if (f.name !== ':status') return `pseudo-header field ${f.name} is not allowed in a response (RFC 9114 §4.3.2)`;
      if (status !== undefined) return ':status appears twice (RFC 9114 §4.3.2)';
      if (!STATUS.test(f.value)) return `:status "${f.value}" is not a status code 100..599 (RFC 9114 §4.3.2)`;
      status = Number(f.value);
      if (status === 101) return ':status 101 is not supported by HTTP/3 (RFC 9114 §4.5)';
      continue;
    }
    const e = checkField(f);
    if (e) return e;
    if (f.name === 'content-length') {
      const cl = parseContentLength(f.value);
      if (cl === undefined || (contentLength !== undefined && cl !== contentLength)) return `content-length "${f.value}" is invalid or conflicts (RFC 9114 §4.1.2)`;
      contentLength = cl;
    }
    headers.push(f);
  }
  if (status === undefined) return ':status is missing (RFC 9114 §4.3.2)';
  return contentLength === undefined ? { status, headers } : { status, headers, contentLength };
}

// ---------------------------------------------------------------------------------------------
// The engine joined to a sans-IO QUIC connection.

/** What the binding needs from its driver. */
export interface H3QuicClientHooks {
  /** The driver's clock (ms), as given to the QuicConnection. */
  now(): number;
}

/**
 * An HTTP/3 client over a client-role QuicConnection (proxy/quic/connection.ts), still sans-IO:
 * the driver feeds datagrams and timers to `quic`, then calls `process()`, then sends what `quic`
 * transmits. On handshake completion it opens the three unidirectional streams (RFC 9114 §6.2)
 * and creates the engine (`ready` event); `request()` opens a bidirectional stream and sends a
 * whole request. Events of the engine and of the transport come out of `pollEvents()`.
 */
export class H3QuicClient {
  readonly quic: QuicConnection;
  /** The engine, once the handshake completed. */
  engine: H3ClientEngine | undefined;
  private readonly options: H3ClientOptions;
  private readonly hooks: H3QuicClientHooks;
  private early: ConnectionEvent[] = [];
  private events: H3QuicClientEvent[] = [];

  constructor(quic: QuicConnection, hooks: H3QuicClientHooks, options: H3ClientOptions = {}) {
    this.quic = quic;
    this.hooks = hooks;
    this.options = options;
  }

  /** Whether requests may be sent (handshake done, streams open, no connection error, not closing). */
  get ready(): boolean {
    const s = this.quic.state;
    return this.engine !== undefined && this.engine.error === undefined && (s === 'established' || s === 'handshake');
  }

  /**
   * Handles the QUIC connection's events (by default those `quic.pollEvents()` returns; a driver
   * that polls them itself passes them) and applies the engine's actions; call after every input.
   */
  process(events: readonly ConnectionEvent[] = this.quic.pollEvents()): void {
    for (const e of events) this.onQuicEvent(e);
    this.pump();
  }

  /**
   * Sends a request on a new bidirectional stream: HEADERS, then `body` as one DATA frame if given,
   * then FIN. Returns the stream id, or null when no stream may be opened now (not ready, the
   * server's MAX_STREAMS reached: wait for `streams-available`, GOAWAY, closing).
   */
  request(req: H3ClientRequest, body?: Uint8Array): number | null {
    const h3 = this.engine;
    if (!h3 || !this.ready) return null;
    if (h3.peerGoawayId !== undefined) return null;
    const id = this.quic.openStream(true);
    if (id === null) return null;
    const hasBody = body !== undefined && body.length > 0;
    const r = h3.sendRequest(id, req, !hasBody);
    if (r.status !== 'sent') {
      this.quic.resetStream(id, H3_ERROR_CODE.H3_REQUEST_CANCELLED);
      return null;
    }
    if (hasBody) h3.sendData(id, body, true);
    this.pump();
    return id;
  }

  /** Cancels a request (RFC 9114 §4.1.1). */
  cancel(streamId: number, code: number = H3_ERROR_CODE.H3_REQUEST_CANCELLED): void {
    this.engine?.cancel(streamId, code);
    this.pump();
  }

  /** Closes the connection with H3_NO_ERROR (or `code`), RFC 9114 §5.2. */
  close(code: number = H3_ERROR_CODE.H3_NO_ERROR, reason = ''): void {
    this.quic.close(this.hooks.now(), code, reason);
  }

  /** The events since the last call, in order. */
  pollEvents(): H3QuicClientEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private onQuicEvent(e: ConnectionEvent): void {
    switch (e.kind) {
      case 'handshake-done':
        this.start();
        return;
      case 'closed':
        this.events.push({ kind: 'closed', reason: e.reason });
        return;
      case 'streams-available':
        if (e.bidi) this.events.push({ kind: 'streams-available' });
        return;
      case 'stream-data':
      case 'stream-reset':
      case 'stop-sending':
        if (!this.engine) this.early.push(e);
        else this.toEngine(e);
        return;
      default:
        return;
    }
  }

  private toEngine(e: ConnectionEvent): void {
    const h3 = this.engine!;
    if (e.kind === 'stream-data') h3.onStreamData(e.streamId, e.data, e.fin);
    else if (e.kind === 'stream-reset') h3.onResetStream(e.streamId, e.errorCode);
    else if (e.kind === 'stop-sending') h3.onStopSending(e.streamId, e.errorCode);
  }

  private start(): void {
    const ids = [this.quic.openStream(false), this.quic.openStream(false), this.quic.openStream(false)];
    if (ids.some((id) => id === null)) {
      this.quic.close(this.hooks.now(), H3_ERROR_CODE.H3_STREAM_CREATION_ERROR, 'the server allows fewer than 3 unidirectional streams (RFC 9114 §6.2)');
      return;
    }
    this.engine = new H3ClientEngine({ ...this.options, uniStreamIds: ids as [number, number, number] });
    const early = this.early;
    this.early = [];
    for (const e of early) this.toEngine(e);
    this.events.push({ kind: 'ready' });
  }

  private pump(): void {
    const h3 = this.engine;
    if (!h3) return;
    const { actions, events } = h3.take();
    applyH3Actions(this.quic, actions, () => this.hooks.now());
    for (const e of events) this.events.push(e);
  }
}
