/**
 * What the two ends of an HTTP/3 connection (RFC 9114) share, sans-IO: H3ServerConnection
 * (server-connection.ts) and H3ClientEngine (client-connection.ts) extend H3ConnectionBase, and
 * the QUIC bindings of both (driver.ts, client-connection.ts) apply the engines' actions with
 * `applyH3Actions`. Role-specific rules (who may open which stream, push ids, what a GOAWAY id
 * means, request versus response messages) stay in the subclasses, through the abstract hooks.
 *
 * Shared here:
 * - §6.2.1 / RFC 9204 §4.2: at creation, the control stream (type, then SETTINGS) and the QPACK
 *   encoder and decoder streams on our three unidirectional ids.
 * - §6.2: peer unidirectional streams are typed by their first varint: one control stream (first
 *   frame SETTINGS, else H3_MISSING_SETTINGS; DATA on it is H3_FRAME_UNEXPECTED), one QPACK encoder
 *   stream (fed to QpackDecoder) and one decoder stream (fed to QpackStaticEncoder); a second of a
 *   kind is H3_STREAM_CREATION_ERROR; closing or resetting one is H3_CLOSED_CRITICAL_STREAM; other
 *   types are ignored with STOP_SENDING H3_STREAM_CREATION_ERROR (§9). A push stream goes to
 *   `onPushStream`.
 * - §5.2: a peer GOAWAY id may not increase (H3_ID_ERROR).
 * - Reading a request stream's frames, holding them while a HEADERS section waits for QPACK
 *   inserts (RFC 9204 §2.1.2), stream errors (RESET_STREAM and STOP_SENDING with the code) and
 *   connection errors (a `close` action and a `connection-error` event; every later input ignored).
 */
import type { FieldLine } from '../qpack/qpack.types.ts';
import { QPACK_ERROR_CODE } from '../qpack/qpack.types.ts';
import { QpackDecoder } from '../qpack/decoder.ts';
import { QpackStaticEncoder } from '../qpack/encoder.ts';
import type { QuicConnection } from '../quic/connection.ts';
import { decodeVarint, encodeVarint } from '../quic/varint.ts';
import type { H3Action, H3Error, H3Frame, H3Settings } from './h3.types.ts';
import { H3_ERROR_CODE, H3_STREAM_TYPE } from './h3.types.ts';
import { concatBytes } from '../bytes.ts';
import { buildFrame, FRAME_TABLE } from './frame.ts';
import { FrameReader, type FrameReaderItem } from './frame-reader.ts';
import { fieldSectionSize } from './message.ts';
import { DEFAULT_H3_SETTINGS } from './settings.ts';
import { H3TP } from './trace.ts';

/** Options both ends take; each end documents its own defaults. */
export interface H3EngineOptions {
  /** Connection id for traces (0 when none). */
  readonly conn?: number;
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY we advertise. */
  readonly qpackMaxTableCapacity?: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS we advertise. */
  readonly qpackBlockedStreams?: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE we advertise and enforce on received messages (default 65536). */
  readonly maxFieldSectionSize?: number;
  /** Largest non-DATA frame we buffer from the peer (default 65536; larger is H3_EXCESSIVE_LOAD). */
  readonly maxFrameSize?: number;
  /** Our unidirectional stream ids: control, QPACK encoder, QPACK decoder. */
  readonly uniStreamIds?: readonly [number, number, number];
}

/** The defaults an end applies to the options it was not given. */
export interface H3EngineDefaults {
  readonly qpackMaxTableCapacity: number;
  readonly qpackBlockedStreams: number;
  readonly uniStreamIds: readonly [number, number, number];
  /** Who the peer is in error messages ("peer", "server"). */
  readonly peerName: string;
}

/** Receive state of a request stream: HEADERS, then DATA*, then optional trailers (RFC 9114 §4.1). */
export type H3RecvState = 'headers' | 'body' | 'trailers' | 'done';
/** Send state of a request stream (a client uses `body` and `done` only). */
export type H3SendState = 'none' | 'interim' | 'body' | 'done';

/** The per-request-stream state both ends keep. */
export interface H3StreamState {
  readonly id: number;
  readonly reader: FrameReader;
  recv: H3RecvState;
  send: H3SendState;
  /** Frames held while a HEADERS section waits for QPACK inserts (RFC 9204 §2.1.2). */
  held: FrameReaderItem[] | undefined;
  finHeld: boolean;
  contentLength: number | undefined;
  received: number;
}

/** The events H3ConnectionBase itself emits: every end's event type includes them. */
export type H3CommonEvent =
  | { readonly kind: 'settings'; readonly settings: H3Settings }
  | { readonly kind: 'goaway'; readonly id: number }
  | { readonly kind: 'end'; readonly streamId: number }
  | { readonly kind: 'stream-error'; readonly streamId: number; readonly code: number; readonly message: string }
  | { readonly kind: 'connection-error'; readonly error: H3Error };

interface UniStream {
  kind: 'pending' | 'control' | 'encoder' | 'decoder' | 'ignored';
  head: Uint8Array;
  reader: FrameReader | undefined;
  settingsSeen: boolean;
}

const NO_BYTES = new Uint8Array(0);

/**
 * The machinery of one end of an HTTP/3 connection (see module doc). `E` is the end's event type
 * (it must include H3CommonEvent), `S` its request stream state.
 */
export abstract class H3ConnectionBase<E extends { readonly kind: string }, S extends H3StreamState> {
  /** SETTINGS we sent. */
  readonly localSettings: H3Settings;
  /** Peer SETTINGS (defaults until its SETTINGS frame arrives, §7.2.4.2). */
  peerSettings: H3Settings = DEFAULT_H3_SETTINGS;
  /** The id of the last GOAWAY the peer sent, if any. */
  peerGoawayId: number | undefined;
  protected readonly conn: number;
  protected readonly maxFrameSize: number;
  protected readonly ids: readonly [number, number, number];
  protected readonly peerName: string;
  protected readonly decoder: QpackDecoder;
  protected readonly encoder = new QpackStaticEncoder();
  protected readonly requests = new Map<number, S>();
  private readonly uni = new Map<number, UniStream>();
  private readonly critical = { control: -1, encoder: -1, decoder: -1 };
  protected failed: H3Error | undefined;
  protected actions: H3Action[] = [];
  protected events: E[] = [];

  /** Opens our control stream (SETTINGS first) and QPACK streams (RFC 9114 §6.2.1, RFC 9204 §4.2). */
  constructor(options: H3EngineOptions, defaults: H3EngineDefaults) {
    this.conn = options.conn ?? 0;
    this.maxFrameSize = options.maxFrameSize ?? 65536;
    this.ids = options.uniStreamIds ?? defaults.uniStreamIds;
    this.peerName = defaults.peerName;
    this.localSettings = {
      qpackMaxTableCapacity: options.qpackMaxTableCapacity ?? defaults.qpackMaxTableCapacity,
      qpackBlockedStreams: options.qpackBlockedStreams ?? defaults.qpackBlockedStreams,
      maxFieldSectionSize: options.maxFieldSectionSize ?? 65536,
      other: new Map(),
    };
    this.decoder = new QpackDecoder({ maxTableCapacity: this.localSettings.qpackMaxTableCapacity, maxBlockedStreams: this.localSettings.qpackBlockedStreams }, { conn: this.conn });
    const settings = buildFrame({ type: 'SETTINGS', settings: this.localSettings });
    this.send(this.ids[0], concatBytes(encodeVarint(H3_STREAM_TYPE.CONTROL), settings), false);
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
  take(): { actions: H3Action[]; events: E[] } {
    const r = { actions: this.actions, events: this.events };
    this.actions = [];
    this.events = [];
    return r;
  }

  /**
   * The peer reset its sending side of `streamId` (RESET_STREAM, RFC 9000 §19.4): on a critical
   * unidirectional stream H3_CLOSED_CRITICAL_STREAM (§6.2.1); on a request stream the receive side
   * ends, its QPACK state is cancelled and `onPeerReset` tells the application.
   */
  onResetStream(streamId: number, code: number): void {
    if (this.failed) return;
    if ((streamId & 2) === 2) {
      const u = this.uni.get(streamId);
      if (u && u.kind !== 'ignored' && u.kind !== 'pending') {
        this.connectionError('H3_CLOSED_CRITICAL_STREAM', `${u.kind} stream ${streamId}`, 0, `${this.peerName} reset its ${u.kind} stream (RFC 9114 §6.2.1)`);
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
    this.onPeerReset(s, code);
    this.maybeClose(s);
  }

  /** Cancels request stream `streamId` ourselves with `code` (RFC 9114 §4.1.1), traced; nothing when unknown or failed. */
  protected cancelStream(streamId: number, code: number): void {
    const s = this.requests.get(streamId);
    if (this.failed || !s) return;
    if (H3TP.cancel.on) H3TP.cancel.emit(this.conn, streamId, code, 0);
    this.resetStream(s, code);
  }

  /** Sends GOAWAY with `id` on our control stream (RFC 9114 §5.2, §7.2.6), traced. */
  protected sendGoaway(id: number): void {
    this.send(this.ids[0], buildFrame({ type: 'GOAWAY', id }), false);
    if (H3TP.goaway.on) H3TP.goaway.emit(this.conn, 0, id, 1);
  }

  // ---- role-specific hooks ----

  /** A request stream's receive side was reset by the peer (already ended): tell the application. */
  protected abstract onPeerReset(s: S, code: number): void;
  /** The peer opened a push stream (RFC 9114 §4.6, §6.2.2): fail the connection. */
  protected abstract onPushStream(where: string): void;
  /** A control-stream frame after SETTINGS (§7.2); false when the connection failed. */
  protected abstract onControlFrameAfterSettings(f: H3Frame, offset: number, where: string): boolean;
  /** One frame or DATA chunk of a request stream; false when the stream or connection failed. */
  protected abstract onStreamItem(s: S, it: FrameReaderItem): boolean;
  /** A decoded HEADERS section of a request stream, within our size limit; false when the stream failed. */
  protected abstract onHeaders(s: S, fields: FieldLine[]): boolean;
  /** The peer ended a request stream before its (final) HEADERS: fail the stream (§4.1). */
  protected abstract onFinBeforeHeaders(s: S): void;

  // ---- receive side ----

  /** Bytes of a peer unidirectional stream (§6.2). */
  protected onUniData(streamId: number, bytes: Uint8Array, fin: boolean): void {
    let u = this.uni.get(streamId);
    if (!u) {
      u = { kind: 'pending', head: NO_BYTES, reader: undefined, settingsSeen: false };
      this.uni.set(streamId, u);
    }
    let data = bytes;
    if (u.kind === 'pending') {
      const buf = u.head.length > 0 ? concatBytes(u.head, bytes) : bytes;
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
    if (fin && !this.failed) this.connectionError('H3_CLOSED_CRITICAL_STREAM', where, 0, `${this.peerName} closed its ${u.kind} stream (RFC 9114 §6.2.1)`);
  }

  private typeUniStream(streamId: number, u: UniStream, type: number, typeLen: number): boolean {
    if (H3TP.uniStream.on) H3TP.uniStream.emit(this.conn, streamId, type);
    const where = `unidirectional stream ${streamId}`;
    if (type === H3_STREAM_TYPE.PUSH) {
      this.onPushStream(where);
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

  /** Handles one control-stream frame; false when the connection failed. */
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
      this.emit({ kind: 'settings', settings: f.settings });
      return true;
    }
    return this.onControlFrameAfterSettings(f, offset, where);
  }

  /** A peer GOAWAY with `id` (RFC 9114 §5.2): H3_ID_ERROR if larger than the previous one; false then. */
  protected acceptPeerGoaway(id: number, offset: number, where: string): boolean {
    if (this.peerGoawayId !== undefined && id > this.peerGoawayId) {
      this.connectionError('H3_ID_ERROR', where, offset, `GOAWAY id ${id} is larger than the previous ${this.peerGoawayId} (RFC 9114 §5.2)`);
      return false;
    }
    this.peerGoawayId = id;
    if (H3TP.goaway.on) H3TP.goaway.emit(this.conn, 0, id, 0);
    this.emit({ kind: 'goaway', id });
    return true;
  }

  /** Feeds the bytes of request stream `s` (receive side open) to its frame reader and its items on. */
  protected readStream(s: S, bytes: Uint8Array, fin: boolean): void {
    const r = s.reader.push(bytes);
    if (!r.ok) return this.connectionError(r.error.code, r.error.where, r.error.offset, r.error.message);
    for (const it of r.items) {
      if (s.held) s.held.push(it);
      else if (!this.onStreamItem(s, it)) return;
    }
    if (fin) {
      const e = s.reader.finish();
      if (e) return this.connectionError(e.code, e.where, e.offset, e.message);
      if (s.held) s.finHeld = true;
      else this.onStreamFin(s);
    }
  }

  /**
   * Accounts a DATA chunk of request stream `s` (RFC 9114 §4.1, §4.1.2): H3_FRAME_UNEXPECTED when
   * it comes before the (final) HEADERS (`beforeHeaders` says why) or after trailers; a stream
   * error when the body exceeds content-length. True when the caller may deliver the bytes.
   */
  protected acceptData(s: S, it: FrameReaderItem & { kind: 'data' }, where: string, beforeHeaders: string): boolean {
    if (s.recv !== 'body') {
      this.connectionError('H3_FRAME_UNEXPECTED', where, it.offset, s.recv === 'headers' ? beforeHeaders : 'DATA after trailers (RFC 9114 §4.1)');
      return false;
    }
    s.received += it.bytes.length;
    if (s.contentLength !== undefined && s.received > s.contentLength) {
      return this.streamError(s, 'H3_MESSAGE_ERROR', `DATA exceeds content-length ${s.contentLength} (RFC 9114 §4.1.2)`);
    }
    return true;
  }

  /**
   * The peer ended a request stream's receive side (all its frames handled): `onFinBeforeHeaders`
   * before the HEADERS, H3_MESSAGE_ERROR when the body does not match content-length (§4.1.2),
   * else an `end` event.
   */
  protected onStreamFin(s: S): void {
    if (s.recv === 'done') return;
    if (s.recv === 'headers') {
      this.onFinBeforeHeaders(s);
      return;
    }
    if (s.contentLength !== undefined && s.received !== s.contentLength) {
      this.streamError(s, 'H3_MESSAGE_ERROR', `body of ${s.received} bytes does not match content-length ${s.contentLength} (RFC 9114 §4.1.2)`);
      return;
    }
    s.recv = 'done';
    this.emit({ kind: 'end', streamId: s.id });
    this.maybeClose(s);
  }

  /** Decodes a HEADERS field section; false when the connection failed; holds the stream when blocked. */
  protected decodeHeaders(s: S, fieldSection: Uint8Array): boolean {
    const d = this.decoder.decodeFieldSection(s.id, fieldSection);
    if (d.status === 'error') {
      this.qpackError(d.error);
      return false;
    }
    if (d.status === 'blocked') {
      s.held = [];
      return true;
    }
    return this.headersDecoded(s, d.section.fields);
  }

  /**
   * A decoded HEADERS section: larger than our SETTINGS_MAX_FIELD_SECTION_SIZE fails the stream
   * with H3_EXCESSIVE_LOAD (RFC 9114 §4.2.2), whichever side we are; else `onHeaders`.
   */
  private headersDecoded(s: S, fields: FieldLine[]): boolean {
    const size = fieldSectionSize(fields);
    if (size > this.localSettings.maxFieldSectionSize) {
      return this.streamError(s, 'H3_EXCESSIVE_LOAD', `field section of ${size} bytes exceeds our SETTINGS_MAX_FIELD_SECTION_SIZE ${this.localSettings.maxFieldSectionSize} (RFC 9114 §4.2.2)`);
    }
    return this.onHeaders(s, fields);
  }

  private onSectionDecoded(streamId: number, fields: FieldLine[]): void {
    const s = this.requests.get(streamId);
    if (!s || !s.held) return;
    const held = s.held;
    s.held = undefined;
    if (!this.headersDecoded(s, fields)) return;
    for (let i = 0; i < held.length; i++) {
      const again = s.held as FrameReaderItem[] | undefined; // set again when trailers block too
      if (again) {
        again.push(...held.slice(i));
        return;
      }
      if (!this.onStreamItem(s, held[i])) return;
    }
    if (s.finHeld && !s.held) {
      s.finHeld = false;
      this.onStreamFin(s);
    }
  }

  // ---- errors and lifetime ----

  protected endSend(s: S): void {
    s.send = 'done';
    this.maybeClose(s);
  }

  /** Fails request stream `s` alone with `code` (a `stream-error` event, RESET_STREAM and STOP_SENDING). */
  protected streamError(s: S, code: 'H3_MESSAGE_ERROR' | 'H3_REQUEST_INCOMPLETE' | 'H3_EXCESSIVE_LOAD', message: string): false {
    const c = H3_ERROR_CODE[code];
    if (H3TP.streamError.on) H3TP.streamError.emit(this.conn, s.id, c, 0, 0, message);
    this.emit({ kind: 'stream-error', streamId: s.id, code: c, message: `${code} on request stream ${s.id}: ${message}` });
    this.resetStream(s, c);
    return false;
  }

  /** Resets our side and aborts reading of `s` with `code`, then forgets it. */
  protected resetStream(s: S, code: number): void {
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

  /** Forgets `s` once closed both ways; true when it did. */
  protected maybeClose(s: S): boolean {
    if (s.send !== 'done' || s.recv !== 'done') return false;
    this.requests.delete(s.id);
    return true;
  }

  protected qpackError(e: { code: keyof typeof QPACK_ERROR_CODE; where: string; offset: number; message: string }): void {
    this.fail({ code: e.code, where: e.where, offset: e.offset, message: e.message }, QPACK_ERROR_CODE[e.code]);
  }

  protected connectionError(code: H3Error['code'], where: string, offset: number, message: string): void {
    const n = code in H3_ERROR_CODE ? H3_ERROR_CODE[code as keyof typeof H3_ERROR_CODE] : QPACK_ERROR_CODE[code as keyof typeof QPACK_ERROR_CODE];
    this.fail({ code, where, offset, message }, n);
  }

  private fail(error: H3Error, code: number): void {
    if (this.failed) return;
    this.failed = error;
    if (H3TP.connError.on) H3TP.connError.emit(this.conn, 0, code, error.offset, 0, `${error.code} ${error.where}: ${error.message}`);
    this.actions.push({ kind: 'close', code, reason: `${error.code} ${error.where} at ${error.offset}: ${error.message}`.slice(0, 200) });
    this.emit({ kind: 'connection-error', error });
  }

  protected flushDecoderStream(): void {
    if (this.failed) return;
    const b = this.decoder.takeDecoderStream();
    if (b.length > 0) this.send(this.ids[2], b, false);
  }

  protected send(streamId: number, bytes: Uint8Array, fin: boolean): void {
    this.actions.push({ kind: 'send', streamId, bytes, fin });
  }

  /** Queues an event of the kinds every end has (E includes H3CommonEvent). */
  private emit(e: H3CommonEvent): void {
    this.events.push(e as unknown as E);
  }
}

/**
 * Applies an engine's actions to its QUIC connection (RFC 9000 stream frames): bytes and FIN,
 * RESET_STREAM, STOP_SENDING, CONNECTION_CLOSE at `now()`.
 */
export function applyH3Actions(q: QuicConnection, actions: readonly H3Action[], now: () => number): void {
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
        q.close(now(), a.code, a.reason);
        break;
    }
  }
}
