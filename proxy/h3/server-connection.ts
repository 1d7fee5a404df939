/**
 * The server side of an HTTP/3 connection (RFC 9114), sans-IO. The QUIC transport hands it the
 * bytes of each stream (`onStreamData`), RESET_STREAM (`onResetStream`) and STOP_SENDING
 * (`onStopSending`); the application answers requests with `h3RespHeadersSend`, `sendData` and
 * `h3RespTrailersSend`, and may `cancelRequest` or `goaway`. `take()` returns the actions for the
 * transport (bytes per stream, resets, connection close) and the events for the application.
 *
 * - §6.2.1 / §3.2: at creation it opens its control stream (SETTINGS first) and its QPACK encoder
 *   and decoder streams (RFC 9204 §4.2) on the server unidirectional ids 3, 7, 11 (configurable).
 * - §6.2: peer unidirectional streams are typed by their first varint: one control stream (whose
 *   first frame must be SETTINGS, §6.2.1 H3_MISSING_SETTINGS; a second SETTINGS is
 *   H3_FRAME_UNEXPECTED, §7.2.4), one QPACK encoder stream (fed to QpackDecoder) and one decoder
 *   stream (fed to QpackStaticEncoder); a second one of a kind is H3_STREAM_CREATION_ERROR; closing
 *   or resetting any of them is H3_CLOSED_CRITICAL_STREAM (§6.2.1, RFC 9204 §4.2); a push stream
 *   from a client is H3_STREAM_CREATION_ERROR (§6.2.2); other types are ignored with STOP_SENDING
 *   H3_STREAM_CREATION_ERROR (§6.2, §9).
 * - §4.1: request streams carry HEADERS, DATA*, then optional trailing HEADERS; anything else in
 *   that order is H3_FRAME_UNEXPECTED; malformed messages are H3_MESSAGE_ERROR on that stream only
 *   (§4.1.2, message.ts); a stream that ends before its HEADERS is H3_REQUEST_INCOMPLETE.
 * - §5.2: `goaway()` sends GOAWAY with the first request id not yet seen; later requests at or
 *   above it are refused with H3_REQUEST_REJECTED, lower ones complete, then `drained` is emitted.
 *   A peer GOAWAY (a push id, as the client sends it) may not increase (H3_ID_ERROR).
 * - §4.1.1: a peer RESET_STREAM / STOP_SENDING on a request stream is a cancellation; we answer
 *   STOP_SENDING with RESET_STREAM H3_REQUEST_CANCELLED.
 *
 * Errors of the peer are outcomes (a `close` action and a `connection-error` event, or a stream
 * reset), never exceptions; after a connection error every input is ignored.
 */
import type { FieldLine } from '../qpack/qpack.types.ts';
import type { H3Event, H3Frame } from './h3.types.ts';
import { H3_ERROR_CODE } from './h3.types.ts';
import { concatBytes } from '../bytes.ts';
import { buildFrameHeader, frameAllowed, FRAME_TABLE } from './frame.ts';
import { FrameReader, type FrameReaderItem } from './frame-reader.ts';
import { H3ConnectionBase, type H3EngineOptions, type H3SendState, type H3StreamState } from './connection-common.ts';
import { checkRequestHeaders, checkTrailers, fieldSectionSize, responseFieldLines } from './message.ts';
import { declareFaultSite } from '../../diag/fault-sites.ts';
import { panic } from '../../diag/invariants.ts';
import { H3TP } from './trace.ts';

/**
 * Fault site re-creating seed crash 1 (HAProxy 2.8.5): when armed, the next response whose encoded
 * HEADERS frame does not fit `maxResponseHeadersFrame` (tune.bufsize) is a BUG_ON in
 * h3RespHeadersSend instead of failing that stream alone.
 */
export const FS_RESP_HEADERS_OVERFLOW = declareFaultSite(
  'h3.resp-headers-overflow',
  'h3RespHeadersSend asserts (BUG_ON) when the encoded response headers do not fit the buffer, instead of failing the stream (seed crash 1, HAProxy 2.8.5)',
);

/**
 * Options of a server connection: those of H3EngineOptions (QPACK table capacity default 4096,
 * blocked streams 16, field section size 65536 enforced on requests, unidirectional ids 3, 7, 11)
 * and the response buffer.
 */
export interface H3ServerOptions extends H3EngineOptions {
  /**
   * Largest HEADERS frame we build for a response (like tune.bufsize): a larger one fails that
   * stream with H3_INTERNAL_ERROR (seed crash 1). Default 16384.
   */
  readonly maxResponseHeadersFrame?: number;
}

/** Outcome of sending response headers, data or trailers. */
export type H3SendOutcome =
  | { readonly status: 'sent'; readonly bytes: number }
  /** The stream was failed alone: RESET_STREAM with `code` was queued (seed crash 1). */
  | { readonly status: 'failed'; readonly code: number; readonly reason: string }
  /** Nothing was sent: the call does not fit the stream's state or its arguments are not legal. */
  | { readonly status: 'invalid'; readonly reason: string };

type RequestStream = H3StreamState;

/** A server-side HTTP/3 connection (see module doc). */
export class H3ServerConnection extends H3ConnectionBase<H3Event, RequestStream> {
  /** The id of the GOAWAY we sent, if any. */
  goawayId: number | undefined;
  private readonly maxRespFrame: number;
  /** Request streams closed both ways (one number each; see the report: to bound with the transport). */
  private readonly closed = new Set<number>();
  private nextRequestId = 0;
  private drainedSent = false;

  constructor(options: H3ServerOptions = {}) {
    super(options, { qpackMaxTableCapacity: 4096, qpackBlockedStreams: 16, uniStreamIds: [3, 7, 11], peerName: 'peer' });
    this.maxRespFrame = options.maxResponseHeadersFrame ?? 16384;
  }

  /** Bytes (and FIN) received on stream `streamId`. Throws RangeError for a server-initiated id. */
  onStreamData(streamId: number, bytes: Uint8Array, fin: boolean): void {
    if (this.failed) return;
    if ((streamId & 1) === 1) throw new RangeError(`h3 server: stream ${streamId} is server-initiated; the peer cannot send on it`);
    if ((streamId & 2) === 2) this.onUniData(streamId, bytes, fin);
    else this.onRequestData(streamId, bytes, fin);
    this.flushDecoderStream();
  }

  /** A peer RESET_STREAM on a request stream is a cancellation (RFC 9114 §4.1.1). */
  protected override onPeerReset(s: RequestStream, code: number): void {
    this.events.push({ kind: 'cancelled', streamId: s.id, code, by: 'reset' });
  }

  /** The peer asked us to stop sending on `streamId` (STOP_SENDING, RFC 9000 §19.5). */
  onStopSending(streamId: number, code: number): void {
    if (this.failed) return;
    const s = this.requests.get(streamId);
    if (!s || s.send === 'done') return;
    s.send = 'done';
    this.actions.push({ kind: 'reset-stream', streamId, code: H3_ERROR_CODE.H3_REQUEST_CANCELLED });
    if (H3TP.cancel.on) H3TP.cancel.emit(this.conn, streamId, code, 1);
    this.events.push({ kind: 'cancelled', streamId, code, by: 'stop-sending' });
    this.maybeClose(s);
  }

  /**
   * Sends response headers on request stream `streamId` (RFC 9114 §4.1): an interim 1xx section
   * (any number, before the final one) or the final one (200-599); `fin` ends the stream after it.
   * Every status 100-599 is accepted except 101, which HTTP/3 does not support (§4.5). Names are
   * lowercased and connection-specific fields dropped (§4.2).
   *
   * A section larger than the peer's SETTINGS_MAX_FIELD_SECTION_SIZE (§4.2.2) fails the stream
   * with H3_EXCESSIVE_LOAD; an encoded HEADERS frame larger than `maxResponseHeadersFrame` (our
   * buffer) fails it with H3_INTERNAL_ERROR. Either way only this stream is reset (RESET_STREAM and,
   * if the request is still arriving, STOP_SENDING), the failure is traced (`h3 resp_err`) and the
   * other streams go on: seed crash 1 asserted here instead (as it does again when the fault site
   * `h3.resp-headers-overflow` is armed).
   */
  h3RespHeadersSend(streamId: number, status: number, headers: readonly FieldLine[], fin = false): H3SendOutcome {
    const s = this.requests.get(streamId);
    if (this.failed || !s) return { status: 'invalid', reason: `stream ${streamId} is not an open request stream` };
    if (s.send === 'body' || s.send === 'done') return { status: 'invalid', reason: `stream ${streamId}: final response headers already sent` };
    if (!Number.isInteger(status) || status < 100 || status > 599) return { status: 'invalid', reason: `status ${status} is not in 100..599` };
    if (status === 101) return { status: 'invalid', reason: 'status 101 is not supported by HTTP/3 (RFC 9114 §4.5)' };
    const interim = status < 200;
    if (interim && fin) return { status: 'invalid', reason: `an interim ${status} response cannot end the stream` };
    const enc = this.encodeFieldSection(s, responseFieldLines(status, headers), status);
    if (enc.kind === 'failed') return enc.outcome;
    if (enc.frame.length > this.maxRespFrame) {
      if (FS_RESP_HEADERS_OVERFLOW.armed && FS_RESP_HEADERS_OVERFLOW.fire()) {
        // The original defect: assert instead of failing the stream.
        panic('bug', `BUG_ON: h3_resp_headers_send: encoded HEADERS frame of ${enc.frame.length} bytes does not fit the ${this.maxRespFrame}-byte buffer (response ${status} on stream ${streamId})`, {
          details: { h3Stream: streamId, status, frameBytes: enc.frame.length, bufferBytes: this.maxRespFrame },
        });
      }
      return this.headersOverflow(s, status, enc.frame.length);
    }
    return this.commitFieldSection(s, enc.frame, status, fin, interim ? 'interim' : 'body');
  }

  /**
   * Sends response trailers (RFC 9114 §4.1) and ends the stream. Pseudo-header and
   * connection-specific fields are dropped; the same size limits as `h3RespHeadersSend` apply.
   */
  h3RespTrailersSend(streamId: number, trailers: readonly FieldLine[]): H3SendOutcome {
    const s = this.requests.get(streamId);
    if (this.failed || !s) return { status: 'invalid', reason: `stream ${streamId} is not an open request stream` };
    if (s.send !== 'body') return { status: 'invalid', reason: `stream ${streamId}: trailers need final response headers first and an open stream` };
    const enc = this.encodeFieldSection(s, responseFieldLines(0, trailers).slice(1), 0);
    if (enc.kind === 'failed') return enc.outcome;
    if (enc.frame.length > this.maxRespFrame) return this.headersOverflow(s, 0, enc.frame.length);
    return this.commitFieldSection(s, enc.frame, 0, true, 'done');
  }

  /** Sends response body bytes as one DATA frame (RFC 9114 §7.2.1); `fin` ends the stream. */
  sendData(streamId: number, bytes: Uint8Array, fin = false): H3SendOutcome {
    const s = this.requests.get(streamId);
    if (this.failed || !s) return { status: 'invalid', reason: `stream ${streamId} is not an open request stream` };
    if (s.send !== 'body') return { status: 'invalid', reason: `stream ${streamId}: DATA needs final response headers first and an open stream` };
    const out = bytes.length > 0 ? concatBytes(buildFrameHeader(FRAME_TABLE.DATA.type, bytes.length), bytes) : new Uint8Array(0);
    this.send(streamId, out, fin);
    if (fin) this.endSend(s);
    return { status: 'sent', bytes: out.length };
  }

  /**
   * Cancels or rejects request `streamId` ourselves (RFC 9114 §4.1.1): RESET_STREAM and
   * STOP_SENDING with `code` (H3_REQUEST_CANCELLED by default; H3_REQUEST_REJECTED when no
   * processing happened).
   */
  cancelRequest(streamId: number, code: number = H3_ERROR_CODE.H3_REQUEST_CANCELLED): void {
    this.cancelStream(streamId, code);
  }

  /**
   * Starts a graceful shutdown (RFC 9114 §5.2): sends GOAWAY with the first client bidirectional
   * stream id not yet seen. Requests below it complete; later ones are rejected. Emits `drained`
   * once no request remains. A second call sends nothing new.
   */
  goaway(): void {
    if (this.failed || this.goawayId !== undefined) return;
    this.goawayId = this.nextRequestId;
    this.sendGoaway(this.goawayId);
    this.checkDrained();
  }

  // ---- receive side ----

  /** A push stream from a client (RFC 9114 §6.2.2). */
  protected override onPushStream(where: string): void {
    this.connectionError('H3_STREAM_CREATION_ERROR', where, 0, 'a client opened a push stream; only servers push (RFC 9114 §6.2.2)');
  }

  /** A client control-stream frame after SETTINGS: GOAWAY carries a push id (§5.2); false when the connection failed. */
  protected override onControlFrameAfterSettings(f: H3Frame, offset: number, where: string): boolean {
    if (f.type === 'unknown') return true;
    if (!frameAllowed(FRAME_TABLE[f.type].type, 'control') || f.type === 'SETTINGS') {
      this.connectionError('H3_FRAME_UNEXPECTED', where, offset, `${f.type} frame ${f.type === 'SETTINGS' ? 'repeated ' : ''}on the control stream (RFC 9114 §7.2)`);
      return false;
    }
    if (f.type === 'CANCEL_PUSH') {
      this.connectionError('H3_ID_ERROR', where, offset, `CANCEL_PUSH for push id ${f.pushId}, which was never promised (RFC 9114 §7.2.3)`);
      return false;
    }
    if (f.type === 'GOAWAY') return this.acceptPeerGoaway(f.id, offset, where);
    // MAX_PUSH_ID: we never push; nothing to do beyond validation.
    return true;
  }

  private onRequestData(streamId: number, bytes: Uint8Array, fin: boolean): void {
    let s = this.requests.get(streamId);
    if (!s) {
      if (this.closed.has(streamId)) return; // late data of a stream we already closed or reset
      if (streamId >= this.nextRequestId) this.nextRequestId = streamId + 4; // QUIC may deliver 8 before 4
      s = { id: streamId, reader: new FrameReader(`request stream ${streamId}`, this.maxFrameSize), recv: 'headers', send: 'none', held: undefined, finHeld: false, contentLength: undefined, received: 0 };
      this.requests.set(streamId, s);
      if (this.goawayId !== undefined && streamId >= this.goawayId) {
        if (H3TP.cancel.on) H3TP.cancel.emit(this.conn, streamId, H3_ERROR_CODE.H3_REQUEST_REJECTED, 0);
        this.events.push({ kind: 'stream-error', streamId, code: H3_ERROR_CODE.H3_REQUEST_REJECTED, message: `request above GOAWAY id ${this.goawayId} rejected (RFC 9114 §5.2)` });
        this.resetStream(s, H3_ERROR_CODE.H3_REQUEST_REJECTED);
        return;
      }
    }
    if (s.recv === 'done') return;
    this.readStream(s, bytes, fin);
  }

  /** One frame or DATA chunk of a request stream; false when the stream or connection failed. */
  protected override onStreamItem(s: RequestStream, it: FrameReaderItem): boolean {
    const where = `request stream ${s.id}`;
    if (it.kind === 'data') {
      if (!this.acceptData(s, it, where, 'DATA before HEADERS (RFC 9114 §4.1)')) return false;
      this.events.push({ kind: 'data', streamId: s.id, bytes: it.bytes, fin: false });
      return true;
    }
    const f = it.frame;
    if (H3TP.rcvFrame.on) H3TP.rcvFrame.emit(this.conn, s.id, f.type === 'unknown' ? f.frameType : FRAME_TABLE[f.type].type, 0);
    if (f.type === 'unknown') return true;
    if (f.type !== 'HEADERS') {
      const why = f.type === 'PUSH_PROMISE' ? 'PUSH_PROMISE from a client (RFC 9114 §7.2.5)' : `${f.type} frame on a request stream (RFC 9114 §7.2)`;
      this.connectionError('H3_FRAME_UNEXPECTED', where, it.offset, why);
      return false;
    }
    if (s.recv === 'trailers' || s.recv === 'done') {
      this.connectionError('H3_FRAME_UNEXPECTED', where, it.offset, 'HEADERS after trailers (RFC 9114 §4.1)');
      return false;
    }
    return this.decodeHeaders(s, f.fieldSection);
  }

  /** A decoded HEADERS section: the request header section or the trailers. */
  protected override onHeaders(s: RequestStream, fields: FieldLine[]): boolean {
    if (s.recv === 'body') {
      const e = checkTrailers(fields);
      if (e) return this.streamError(s, 'H3_MESSAGE_ERROR', e);
      s.recv = 'trailers';
      this.events.push({ kind: 'trailers', streamId: s.id, fields });
      return true;
    }
    const c = checkRequestHeaders(fields);
    if (!c.ok) return this.streamError(s, 'H3_MESSAGE_ERROR', c.message);
    s.recv = 'body';
    s.contentLength = c.request.contentLength;
    if (H3TP.request.on) H3TP.request.emit(this.conn, s.id, fields.length, c.request.contentLength ?? -1, 0, `${c.request.method} ${c.request.path ?? c.request.authority}`);
    this.events.push({ kind: 'request', streamId: s.id, request: c.request, fin: false });
    return true;
  }

  /** A request stream that ends before its HEADERS is H3_REQUEST_INCOMPLETE (RFC 9114 §4.1). */
  protected override onFinBeforeHeaders(s: RequestStream): void {
    this.streamError(s, 'H3_REQUEST_INCOMPLETE', 'stream ended before a complete HEADERS frame (RFC 9114 §4.1)');
  }

  // ---- send side ----

  /**
   * The HEADERS frame of a response header or trailer section, or the stream failed with
   * H3_EXCESSIVE_LOAD when the section is larger than the peer accepts (RFC 9114 §4.2.2).
   */
  private encodeFieldSection(s: RequestStream, fields: FieldLine[], status: number): { kind: 'frame'; frame: Uint8Array } | { kind: 'failed'; outcome: H3SendOutcome } {
    const size = fieldSectionSize(fields);
    const limit = this.peerSettings.maxFieldSectionSize;
    if (size > limit) return { kind: 'failed', outcome: this.failResponse(s, status, 'H3_EXCESSIVE_LOAD', size, limit, `field section of ${size} bytes exceeds the peer's SETTINGS_MAX_FIELD_SECTION_SIZE ${limit} (RFC 9114 §4.2.2)`) };
    const section = this.encoder.encodeFieldSection(fields);
    return { kind: 'frame', frame: concatBytes(buildFrameHeader(FRAME_TABLE.HEADERS.type, section.length), section) };
  }

  /** A HEADERS frame larger than our buffer: this stream alone fails with H3_INTERNAL_ERROR (seed crash 1). */
  private headersOverflow(s: RequestStream, status: number, bytes: number): H3SendOutcome {
    return this.failResponse(s, status, 'H3_INTERNAL_ERROR', bytes, this.maxRespFrame, `encoded HEADERS frame of ${bytes} bytes does not fit the ${this.maxRespFrame}-byte buffer (raise tune.bufsize)`);
  }

  private commitFieldSection(s: RequestStream, frame: Uint8Array, status: number, fin: boolean, next: H3SendState): H3SendOutcome {
    this.send(s.id, frame, fin);
    if (H3TP.respHeaders.on) H3TP.respHeaders.emit(this.conn, s.id, status, frame.length);
    s.send = fin ? 'done' : next;
    if (s.send === 'done') this.endSend(s);
    return { status: 'sent', bytes: frame.length };
  }

  private failResponse(s: RequestStream, status: number, code: 'H3_EXCESSIVE_LOAD' | 'H3_INTERNAL_ERROR', size: number, limit: number, reason: string): H3SendOutcome {
    if (H3TP.respError.on) H3TP.respError.emit(this.conn, s.id, status, size, limit, reason);
    const c = H3_ERROR_CODE[code];
    this.events.push({ kind: 'stream-error', streamId: s.id, code: c, message: reason });
    this.resetStream(s, c);
    return { status: 'failed', code: c, reason };
  }

  // ---- lifetime ----

  /** Also remembers `s` as closed (late data is ignored) and emits `drained` when due. */
  protected override maybeClose(s: RequestStream): boolean {
    if (!super.maybeClose(s)) return false;
    this.closed.add(s.id);
    this.checkDrained();
    return true;
  }

  private checkDrained(): void {
    if (this.goawayId === undefined || this.drainedSent) return;
    for (const id of this.requests.keys()) if (id < this.goawayId) return;
    this.drainedSent = true;
    this.events.push({ kind: 'drained' });
  }
}
