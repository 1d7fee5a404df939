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
import { QPACK_ERROR_CODE } from '../qpack/qpack.types.ts';
import { QpackDecoder } from '../qpack/decoder.ts';
import { QpackStaticEncoder } from '../qpack/encoder.ts';
import type { QuicConnection } from '../quic/connection.ts';
import type { ConnectionEvent } from '../quic/connection.types.ts';
import { decodeVarint, encodeVarint } from '../quic/varint.ts';
import type { H3Action, H3Error, H3Frame, H3Settings } from './h3.types.ts';
import { H3_ERROR_CODE, H3_STREAM_TYPE } from './h3.types.ts';
import type { H3ClientEvent, H3ClientRequest, H3ClientResponse, H3QuicClientEvent } from './client-connection.types.ts';
import type { H3SendOutcome } from './server-connection.ts';
import { buildFrame, buildFrameHeader, concat, FRAME_TABLE } from './frame.ts';
import { FrameReader, type FrameReaderItem } from './frame-reader.ts';
import { DEFAULT_H3_SETTINGS } from './settings.ts';
import { checkField, CONNECTION_SPECIFIC_FIELDS, fieldSectionSize, parseContentLength } from './message.ts';
import { H3TP } from './trace.ts';

/** Options of a client engine. */
export interface H3ClientOptions {
  /** Connection id for traces (0 when none). */
  readonly conn?: number;
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY we advertise (default 0: the server may not use a dynamic table). */
  readonly qpackMaxTableCapacity?: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS we advertise (default 0). */
  readonly qpackBlockedStreams?: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE we advertise and enforce on responses (default 65536). */
  readonly maxFieldSectionSize?: number;
  /** Largest non-DATA frame we buffer from the peer (default 65536; larger is H3_EXCESSIVE_LOAD). */
  readonly maxFrameSize?: number;
  /** Our unidirectional stream ids: control, QPACK encoder, QPACK decoder (default 2, 6, 10). */
  readonly uniStreamIds?: readonly [number, number, number];
}

type RecvState = 'headers' | 'body' | 'trailers' | 'done';

interface RequestStream {
  readonly id: number;
  readonly reader: FrameReader;
  /** A HEAD request: the response has no body whatever its content-length (RFC 9110 §9.3.2). */
  readonly head: boolean;
  recv: RecvState;
  /** Our request side: still open (`body`) or ended, reset or stopped (`done`). */
  send: 'body' | 'done';
  held: FrameReaderItem[] | undefined;
  finHeld: boolean;
  status: number;
  contentLength: number | undefined;
  received: number;
}

interface UniStream {
  kind: 'pending' | 'control' | 'encoder' | 'decoder' | 'ignored';
  head: Uint8Array;
  reader: FrameReader | undefined;
  settingsSeen: boolean;
}

const NO_BYTES = new Uint8Array(0);
const STATUS = /^[1-5][0-9][0-9]$/;

/** The client side of one HTTP/3 connection (see module doc). */
export class H3ClientEngine {
  /** SETTINGS we sent. */
  readonly localSettings: H3Settings;
  /** Server SETTINGS (defaults until its SETTINGS frame arrives, §7.2.4.2). */
  peerSettings: H3Settings = DEFAULT_H3_SETTINGS;
  /** The id of the last GOAWAY the server sent, if any. */
  peerGoawayId: number | undefined;
  /** Whether we sent GOAWAY. */
  goawaySent = false;
  private readonly conn: number;
  private readonly maxFrameSize: number;
  private readonly ids: readonly [number, number, number];
  private readonly decoder: QpackDecoder;
  private readonly encoder = new QpackStaticEncoder();
  private readonly requests = new Map<number, RequestStream>();
  private readonly uni = new Map<number, UniStream>();
  private readonly critical = { control: -1, encoder: -1, decoder: -1 };
  private failed: H3Error | undefined;
  private actions: H3Action[] = [];
  private events: H3ClientEvent[] = [];

  constructor(options: H3ClientOptions = {}) {
    this.conn = options.conn ?? 0;
    this.maxFrameSize = options.maxFrameSize ?? 65536;
    this.ids = options.uniStreamIds ?? [2, 6, 10];
    this.localSettings = {
      qpackMaxTableCapacity: options.qpackMaxTableCapacity ?? 0,
      qpackBlockedStreams: options.qpackBlockedStreams ?? 0,
      maxFieldSectionSize: options.maxFieldSectionSize ?? 65536,
      other: new Map(),
    };
    this.decoder = new QpackDecoder({ maxTableCapacity: this.localSettings.qpackMaxTableCapacity, maxBlockedStreams: this.localSettings.qpackBlockedStreams }, { conn: this.conn });
    const settings = buildFrame({ type: 'SETTINGS', settings: this.localSettings });
    this.send(this.ids[0], concat(encodeVarint(H3_STREAM_TYPE.CONTROL), settings), false);
    this.send(this.ids[1], encodeVarint(H3_STREAM_TYPE.QPACK_ENCODER), false);
    this.send(this.ids[2], encodeVarint(H3_STREAM_TYPE.QPACK_DECODER), false);
  }

  /** The connection error this connection failed with, if any. */
  get error(): H3Error | undefined {
    return this.failed;
  }

  /** Number of request streams not yet closed both ways. */
  get openRequests(): number {
    return this.requests.size;
  }

  /** Actions and events produced since the last call, in order. */
  take(): { actions: H3Action[]; events: H3ClientEvent[] } {
    const r = { actions: this.actions, events: this.events };
    this.actions = [];
    this.events = [];
    return r;
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
    const frame = concat(buildFrameHeader(FRAME_TABLE.HEADERS.type, section.length), section);
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
    const out = bytes.length > 0 ? concat(buildFrameHeader(FRAME_TABLE.DATA.type, bytes.length), bytes) : NO_BYTES;
    this.send(streamId, out, fin);
    if (fin) this.endSend(s);
    return { status: 'sent', bytes: out.length };
  }

  /** Sends request trailers (RFC 9114 §4.1) and ends the request; pseudo-header and connection-specific fields are dropped. */
  sendTrailers(streamId: number, trailers: readonly FieldLine[]): H3SendOutcome {
    const s = this.requests.get(streamId);
    if (this.failed || !s || s.send !== 'body') return { status: 'invalid', reason: `stream ${streamId} has no request open for sending` };
    const section = this.encoder.encodeFieldSection(regularFields(trailers));
    const frame = concat(buildFrameHeader(FRAME_TABLE.HEADERS.type, section.length), section);
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
    const s = this.requests.get(streamId);
    if (this.failed || !s) return;
    if (H3TP.cancel.on) H3TP.cancel.emit(this.conn, streamId, code, 0);
    this.resetStream(s, code);
  }

  /**
   * Starts a graceful shutdown from the client side (RFC 9114 §5.2): GOAWAY with push id 0 (we
   * accept no pushes). Requests in progress go on; a second call sends nothing.
   */
  goaway(): void {
    if (this.failed || this.goawaySent) return;
    this.goawaySent = true;
    this.send(this.ids[0], buildFrame({ type: 'GOAWAY', id: 0 }), false);
    if (H3TP.goaway.on) H3TP.goaway.emit(this.conn, 0, 0, 1);
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

  /** The server reset its sending side of `streamId` (RESET_STREAM, RFC 9000 §19.4). */
  onResetStream(streamId: number, code: number): void {
    if (this.failed) return;
    if ((streamId & 3) === 3) {
      const u = this.uni.get(streamId);
      if (u && u.kind !== 'ignored' && u.kind !== 'pending') {
        this.connectionError('H3_CLOSED_CRITICAL_STREAM', `${u.kind} stream ${streamId}`, 0, `server reset its ${u.kind} stream (RFC 9114 §6.2.1)`);
      }
      this.uni.delete(streamId);
      return;
    }
    const s = this.requests.get(streamId);
    if (!s || s.recv === 'done') return;
    s.recv = 'done';
    s.held = undefined;
    this.decoder.cancelStream(streamId);
    this.flushDecoderStream();
    if (H3TP.cancel.on) H3TP.cancel.emit(this.conn, streamId, code, 1);
    this.events.push({ kind: 'reset', streamId, code });
    // The response is gone: the rest of the request is useless.
    if (s.send !== 'done') {
      s.send = 'done';
      this.actions.push({ kind: 'reset-stream', streamId, code: H3_ERROR_CODE.H3_REQUEST_CANCELLED });
    }
    this.maybeClose(s);
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

  private onUniData(streamId: number, bytes: Uint8Array, fin: boolean): void {
    let u = this.uni.get(streamId);
    if (!u) {
      u = { kind: 'pending', head: NO_BYTES, reader: undefined, settingsSeen: false };
      this.uni.set(streamId, u);
    }
    let data = bytes;
    if (u.kind === 'pending') {
      const buf = u.head.length > 0 ? concat(u.head, bytes) : bytes;
      const t = decodeVarint(buf, 0);
      if (!t.ok) {
        u.head = buf.slice();
        if (fin) this.uni.delete(streamId);
        return;
      }
      data = buf.subarray(t.next);
      if (!this.typeUniStream(streamId, u, t.value, t.next)) return;
    }
    const where = `${u.kind} stream ${streamId}`;
    if (u.kind === 'ignored') return;
    if (u.kind === 'encoder') {
      if (data.length > 0) {
        const r = this.decoder.onEncoderStream(data);
        if (r.status === 'error') return this.qpackError(r.error);
        for (const sec of r.unblocked) this.onSectionDecoded(sec.streamId, sec.fields);
      }
    } else if (u.kind === 'decoder') {
      if (data.length > 0) {
        const e = this.encoder.onDecoderStream(data);
        if (e) return this.qpackError(e);
      }
    } else if (u.kind === 'control') {
      const r = u.reader!.push(data);
      if (!r.ok) return this.connectionError(r.error.code, where, r.error.offset, r.error.message);
      for (const it of r.items) {
        if (it.kind === 'data') return this.connectionError('H3_FRAME_UNEXPECTED', where, it.offset, 'DATA frame on the control stream (RFC 9114 §7.2.1)');
        if (!this.onControlFrame(u, it.frame, it.offset, where)) return;
      }
    }
    if (fin && !this.failed) this.connectionError('H3_CLOSED_CRITICAL_STREAM', where, 0, `server closed its ${u.kind} stream (RFC 9114 §6.2.1)`);
  }

  private typeUniStream(streamId: number, u: UniStream, type: number, typeLen: number): boolean {
    if (H3TP.uniStream.on) H3TP.uniStream.emit(this.conn, streamId, type);
    const where = `unidirectional stream ${streamId}`;
    if (type === H3_STREAM_TYPE.PUSH) {
      this.connectionError('H3_ID_ERROR', where, 0, 'a push stream, but the client sent no MAX_PUSH_ID (RFC 9114 §4.6)');
      return false;
    }
    const slot = type === H3_STREAM_TYPE.CONTROL ? 'control' : type === H3_STREAM_TYPE.QPACK_ENCODER ? 'encoder' : type === H3_STREAM_TYPE.QPACK_DECODER ? 'decoder' : undefined;
    if (!slot) {
      u.kind = 'ignored';
      this.actions.push({ kind: 'stop-sending', streamId, code: H3_ERROR_CODE.H3_STREAM_CREATION_ERROR });
      return true;
    }
    if (this.critical[slot] >= 0) {
      this.connectionError('H3_STREAM_CREATION_ERROR', where, 0, `a second ${slot} stream (first was ${this.critical[slot]}) (RFC 9114 §6.2.1, RFC 9204 §4.2)`);
      return false;
    }
    this.critical[slot] = streamId;
    u.kind = slot;
    if (slot === 'control') u.reader = new FrameReader(`control stream ${streamId}`, this.maxFrameSize, typeLen);
    return true;
  }

  /** Handles one control-stream frame from the server; false when the connection failed. */
  private onControlFrame(u: UniStream, f: H3Frame, offset: number, where: string): boolean {
    if (H3TP.rcvFrame.on) H3TP.rcvFrame.emit(this.conn, 0, f.type === 'unknown' ? f.frameType : FRAME_TABLE[f.type].type, 0);
    if (!u.settingsSeen) {
      if (f.type !== 'SETTINGS') {
        this.connectionError('H3_MISSING_SETTINGS', where, offset, `first frame on the control stream is ${f.type}, not SETTINGS (RFC 9114 §6.2.1)`);
        return false;
      }
      u.settingsSeen = true;
      this.peerSettings = f.settings;
      if (H3TP.settings.on) H3TP.settings.emit(this.conn, 0, f.settings.qpackMaxTableCapacity, f.settings.qpackBlockedStreams, Number.isFinite(f.settings.maxFieldSectionSize) ? f.settings.maxFieldSectionSize : 0);
      this.events.push({ kind: 'settings', settings: f.settings });
      return true;
    }
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
    if (this.peerGoawayId !== undefined && id > this.peerGoawayId) {
      this.connectionError('H3_ID_ERROR', where, offset, `GOAWAY id ${id} is larger than the previous ${this.peerGoawayId} (RFC 9114 §5.2)`);
      return false;
    }
    this.peerGoawayId = id;
    if (H3TP.goaway.on) H3TP.goaway.emit(this.conn, 0, id, 0);
    this.events.push({ kind: 'goaway', id });
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
    const r = s.reader.push(bytes);
    if (!r.ok) return this.connectionError(r.error.code, r.error.where, r.error.offset, r.error.message);
    for (const it of r.items) {
      if (s.held) s.held.push(it);
      else if (!this.onResponseItem(s, it)) return;
    }
    if (fin) {
      const e = s.reader.finish();
      if (e) return this.connectionError(e.code, e.where, e.offset, e.message);
      if (s.held) s.finHeld = true;
      else this.onResponseFin(s);
    }
  }

  /** One frame or DATA chunk of a response; false when the stream or connection failed. */
  private onResponseItem(s: RequestStream, it: FrameReaderItem): boolean {
    const where = `request stream ${s.id}`;
    if (it.kind === 'data') {
      if (s.recv !== 'body') {
        this.connectionError('H3_FRAME_UNEXPECTED', where, it.offset, s.recv === 'headers' ? 'DATA before the final response HEADERS (RFC 9114 §4.1)' : 'DATA after trailers (RFC 9114 §4.1)');
        return false;
      }
      s.received += it.bytes.length;
      if (s.contentLength !== undefined && s.received > s.contentLength) {
        return this.streamError(s, `DATA exceeds content-length ${s.contentLength} (RFC 9114 §4.1.2)`);
      }
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
    const d = this.decoder.decodeFieldSection(s.id, f.fieldSection);
    if (d.status === 'error') {
      this.qpackError(d.error);
      return false;
    }
    if (d.status === 'blocked') {
      s.held = [];
      return true;
    }
    return this.onHeaders(s, d.section.fields);
  }

  private onSectionDecoded(streamId: number, fields: FieldLine[]): void {
    const s = this.requests.get(streamId);
    if (!s || !s.held) return;
    const held = s.held;
    s.held = undefined;
    if (!this.onHeaders(s, fields)) return;
    for (let i = 0; i < held.length; i++) {
      const again = s.held as FrameReaderItem[] | undefined; // set again when trailers block too
      if (again) {
        again.push(...held.slice(i));
        return;
      }
      if (!this.onResponseItem(s, held[i])) return;
    }
    if (s.finHeld && !s.held) {
      s.finHeld = false;
      this.onResponseFin(s);
    }
  }

  /** A decoded HEADERS section: an interim or final response, or trailers. */
  private onHeaders(s: RequestStream, fields: FieldLine[]): boolean {
    if (fieldSectionSize(fields) > this.localSettings.maxFieldSectionSize) {
      return this.streamError(s, `field section of ${fieldSectionSize(fields)} bytes exceeds our SETTINGS_MAX_FIELD_SECTION_SIZE ${this.localSettings.maxFieldSectionSize} (RFC 9114 §4.2.2)`, 'H3_EXCESSIVE_LOAD');
    }
    if (s.recv === 'body') {
      for (const f of fields) {
        const e = f.name.startsWith(':') ? `pseudo-header field ${f.name} in trailers (RFC 9114 §4.3)` : checkField(f);
        if (e) return this.streamError(s, e);
      }
      s.recv = 'trailers';
      this.events.push({ kind: 'trailers', streamId: s.id, fields });
      return true;
    }
    const c = checkResponseHeaders(fields);
    if (typeof c === 'string') return this.streamError(s, c);
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

  private onResponseFin(s: RequestStream): void {
    if (s.recv === 'done') return;
    if (s.recv === 'headers') {
      this.streamError(s, 'stream ended before the final response HEADERS (RFC 9114 §4.1)');
      return;
    }
    if (s.contentLength !== undefined && s.received !== s.contentLength) {
      this.streamError(s, `body of ${s.received} bytes does not match content-length ${s.contentLength} (RFC 9114 §4.1.2)`);
      return;
    }
    s.recv = 'done';
    this.events.push({ kind: 'end', streamId: s.id });
    this.maybeClose(s);
  }

  // ---- errors and lifetime ----

  private endSend(s: RequestStream): void {
    s.send = 'done';
    this.maybeClose(s);
  }

  private streamError(s: RequestStream, message: string, code: 'H3_MESSAGE_ERROR' | 'H3_EXCESSIVE_LOAD' = 'H3_MESSAGE_ERROR'): false {
    const c = H3_ERROR_CODE[code];
    if (H3TP.streamError.on) H3TP.streamError.emit(this.conn, s.id, c, 0, 0, message);
    this.events.push({ kind: 'stream-error', streamId: s.id, code: c, message: `${code} on request stream ${s.id}: ${message}` });
    this.resetStream(s, c);
    return false;
  }

  /** Resets our side and aborts reading of `s` with `code`, then forgets it. */
  private resetStream(s: RequestStream, code: number): void {
    if (s.send !== 'done') this.actions.push({ kind: 'reset-stream', streamId: s.id, code });
    if (s.recv !== 'done') {
      this.actions.push({ kind: 'stop-sending', streamId: s.id, code });
      this.decoder.cancelStream(s.id);
    }
    s.send = 'done';
    s.recv = 'done';
    s.held = undefined;
    this.maybeClose(s);
  }

  private maybeClose(s: RequestStream): void {
    if (s.send === 'done' && s.recv === 'done') this.requests.delete(s.id);
  }

  private qpackError(e: { code: keyof typeof QPACK_ERROR_CODE; where: string; offset: number; message: string }): void {
    this.fail({ code: e.code, where: e.where, offset: e.offset, message: e.message }, QPACK_ERROR_CODE[e.code]);
  }

  private connectionError(code: H3Error['code'], where: string, offset: number, message: string): void {
    const n = code in H3_ERROR_CODE ? H3_ERROR_CODE[code as keyof typeof H3_ERROR_CODE] : QPACK_ERROR_CODE[code as keyof typeof QPACK_ERROR_CODE];
    this.fail({ code, where, offset, message }, n);
  }

  private fail(error: H3Error, code: number): void {
    if (this.failed) return;
    this.failed = error;
    if (H3TP.connError.on) H3TP.connError.emit(this.conn, 0, code, error.offset, 0, `${error.code} ${error.where}: ${error.message}`);
    this.actions.push({ kind: 'close', code, reason: `${error.code} ${error.where} at ${error.offset}: ${error.message}`.slice(0, 200) });
    this.events.push({ kind: 'connection-error', error });
  }

  private flushDecoderStream(): void {
    if (this.failed) return;
    const b = this.decoder.takeDecoderStream();
    if (b.length > 0) this.send(this.ids[2], b, false);
  }

  private send(streamId: number, bytes: Uint8Array, fin: boolean): void {
    this.actions.push({ kind: 'send', streamId, bytes, fin });
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
    const q = this.quic;
    for (const a of actions) {
      switch (a.kind) {
        case 'send':
          if (a.bytes.length > 0) q.write(a.streamId, a.bytes);
          if (a.fin) q.finish(a.streamId);
          break;
        case 'reset-stream':
          q.resetStream(a.streamId, a.code);
          break;
        case 'stop-sending':
          q.stopSending(a.streamId, a.code);
          break;
        case 'close':
          q.close(this.hooks.now(), a.code, a.reason);
          break;
      }
    }
    for (const e of events) this.events.push(e);
  }
}
