/**
 * QUIC streams of one connection (RFC 9000 §2-4): id allocation and the MAX_STREAMS limits both
 * ways (§4.6), the sending and receiving state machines (§3.1, §3.2) with STREAM/FIN, RESET_STREAM
 * and STOP_SENDING (§3.5), ordered delivery (out-of-order data waits in an ncbuf of the stream's
 * window, taken only while needed), and flow control at stream and connection level (§4.1,
 * FLOW_CONTROL_ERROR, FINAL_SIZE_ERROR §4.5, STREAM_LIMIT_ERROR, STREAM_STATE_ERROR §19.x).
 *
 * Receive backpressure (RFC 9000 §4.1-4.2: credit follows what the application consumes): the
 * application may pause a stream's delivery (`pauseRecv`); its in-order data then stays in the
 * stream's reassembly buffer, which the stream window already bounds, no MAX_STREAM_DATA is
 * returned for it, and `resumeRecv` delivers it (one `stream-data` event) and lets the window move
 * again. The connection window is shared: paused streams may keep at most a quarter of it
 * ({@link PAUSED_CONN_SHARE}) unreturned; the connection credit of held bytes beyond that share is
 * returned as they arrive (each stream stays bounded by its own window), so that paused streams can
 * never starve the others (RFC 9000 §4.1 lets the receiver choose how it computes MAX_DATA).
 *
 * Sans-IO: frame handlers return null or the connection error to close with; events go to the
 * `emit` callback; `fill` puts the frames to send into a packet being assembled; `onAcked` and
 * `onLost` take back the records of sent packets.
 */
import { decodeError, type QuicDecodeError } from './errors.ts';
import { RecvWindow, SendCredit } from './flow-control.ts';
import {
  FRAME_TYPE,
  type MaxStreamDataFrame,
  type ResetStreamFrame,
  type StopSendingFrame,
  type StreamFrame,
} from './frame.types.ts';
import { Ncbuf } from './ncbuf.ts';
import type { ConnectionEvent } from './connection.types.ts';
import { SendBuffer } from './send-buffer.ts';
import type { FrameSink, SentRecord } from './sent-record.ts';
import { isBidi, streamId, streamIndex, streamInitiator, type Role } from './stream-id.ts';
import type { TransportParameters } from './transport-params.types.ts';
import { varintLength } from './varint.ts';

/** Sending part states (RFC 9000 §3.1). */
export type SendState = 'ready' | 'send' | 'data-sent' | 'data-recvd' | 'reset-sent' | 'reset-recvd';
/** Receiving part states (RFC 9000 §3.2). */
export type RecvState = 'recv' | 'size-known' | 'data-recvd' | 'data-read' | 'reset-recvd' | 'reset-read';

/** The sending part of a stream. */
export class SendSide {
  state: SendState = 'ready';
  readonly buf = new SendBuffer();
  readonly credit: SendCredit;
  /** RESET_STREAM to send (pending) or sent. */
  reset: { code: number; finalSize: number; pending: boolean } | undefined;
  constructor(limit: number) {
    this.credit = new SendCredit(limit);
  }
  /** No more frames will be sent for this part. */
  get done(): boolean {
    return this.state === 'data-recvd' || this.state === 'reset-recvd';
  }
}

/** The receiving part of a stream. */
export class RecvSide {
  state: RecvState = 'recv';
  readonly window: RecvWindow;
  /** Bytes handed to the application, in order. */
  delivered = 0;
  finalSize: number | undefined;
  /** Reassembly buffer, only while out-of-order data is held. */
  ncbuf: Ncbuf | null = null;
  /** STOP_SENDING to send (pending) or sent. */
  stop: { code: number; pending: boolean } | undefined;
  /** The application paused delivery (StreamSet.pauseRecv): in-order data is held in `ncbuf`. */
  paused = false;
  /** In-order bytes received and held while paused (readable from `ncbuf`, not yet delivered). */
  held = 0;
  /** Of `held`, bytes whose connection credit was already returned (beyond the paused share). */
  lent = 0;
  constructor(window: number) {
    this.window = new RecvWindow(window);
  }
  get done(): boolean {
    return this.state === 'data-read' || this.state === 'reset-read';
  }
  /** Still expecting data with an unknown final size (MAX_STREAM_DATA is useful). */
  get receiving(): boolean {
    return this.state === 'recv';
  }
  /** Still expecting data (STOP_SENDING is useful). */
  get wantsData(): boolean {
    return this.state === 'recv' || this.state === 'size-known';
  }
}

/** One stream; `send` is absent on a peer's unidirectional stream, `recv` on ours. */
export interface QuicStream {
  readonly id: number;
  readonly send: SendSide | undefined;
  readonly recv: RecvSide | undefined;
}

/** Our receive limits: the flow-control part of our transport parameters (RFC 9000 §18.2). */
export type LocalStreamLimits = Pick<
  TransportParameters,
  'initialMaxData' | 'initialMaxStreamDataBidiLocal' | 'initialMaxStreamDataBidiRemote' | 'initialMaxStreamDataUni' | 'initialMaxStreamsBidi' | 'initialMaxStreamsUni'
>;

/** Largest number of out-of-order ranges a stream's reassembly buffer tracks. */
export const STREAM_NCBUF_MAX_RANGES = 1024;

/**
 * Share of the connection window that bytes held by paused streams may keep unreturned. Below one
 * half: the window is moved forward once less than half of it remains unconsumed (flow-control.ts),
 * so with at most a quarter held, streams that read always have a quarter of it as credit.
 */
export const PAUSED_CONN_SHARE = 0.25;

type Lookup = { readonly stream: QuicStream } | { readonly closed: true } | { readonly error: QuicDecodeError };

const stateError = (frameType: number, message: string): Lookup => ({ error: decodeError('STREAM_STATE_ERROR', frameType, 0, message) });

/** The streams of one connection. */
export class StreamSet {
  readonly role: Role;
  private readonly peer: Role;
  private readonly local: LocalStreamLimits;
  private readonly emit: (e: ConnectionEvent) => void;
  private readonly map = new Map<number, QuicStream>();
  /** Peer transport parameters, once known. */
  private peerParams: TransportParameters | undefined;
  /** Connection-level credit (peer's MAX_DATA) and window (ours). */
  readonly connCredit = new SendCredit(0);
  readonly connWindow: RecvWindow;
  /** How many streams of each type we opened / may open (peer's MAX_STREAMS). */
  private readonly openedLocal = { bidi: 0, uni: 0 };
  private readonly peerMaxStreams = { bidi: 0, uni: 0 };
  /** How many streams of each type the peer opened / may open (our MAX_STREAMS). */
  private readonly openedPeer = { bidi: 0, uni: 0 };
  private readonly localMaxStreams: { bidi: number; uni: number };
  private readonly maxStreamsPending = { bidi: false, uni: false };
  /** STREAMS_BLOCKED to send: the limit we hit, per type. */
  private readonly streamsBlocked: { bidi: number | undefined; uni: number | undefined } = { bidi: undefined, uni: undefined };
  private rr = 0;
  /** Bytes held by paused streams, and of them those whose connection credit was returned early. */
  private pausedHeld = 0;
  private pausedLent = 0;

  constructor(role: Role, local: LocalStreamLimits, emit: (e: ConnectionEvent) => void) {
    this.role = role;
    this.peer = role === 'client' ? 'server' : 'client';
    this.local = local;
    this.emit = emit;
    this.connWindow = new RecvWindow(local.initialMaxData);
    this.localMaxStreams = { bidi: local.initialMaxStreamsBidi, uni: local.initialMaxStreamsUni };
  }

  /** Streams currently tracked. */
  get size(): number {
    return this.map.size;
  }

  /** The stream `id`, if open. */
  get(id: number): QuicStream | undefined {
    return this.map.get(id);
  }

  /** Applies the peer's transport parameters (RFC 9000 §7.4): credits and stream limits. */
  setPeerParams(p: TransportParameters): void {
    this.peerParams = p;
    this.connCredit.raise(p.initialMaxData);
    this.peerMaxStreams.bidi = p.initialMaxStreamsBidi;
    this.peerMaxStreams.uni = p.initialMaxStreamsUni;
  }

  /**
   * Opens a stream of ours (RFC 9000 §2.1, §4.6). Returns its id, or null when the peer's
   * parameters are not known yet or its MAX_STREAMS limit is reached (a STREAMS_BLOCKED is then
   * queued; a `streams-available` event says when to retry).
   */
  open(bidi: boolean): number | null {
    if (!this.peerParams) return null;
    const kind = bidi ? 'bidi' : 'uni';
    if (this.openedLocal[kind] >= this.peerMaxStreams[kind]) {
      this.streamsBlocked[kind] = this.peerMaxStreams[kind];
      return null;
    }
    const id = streamId(this.openedLocal[kind]++, this.role, bidi);
    this.create(id);
    return id;
  }

  private create(id: number): QuicStream {
    const p = this.peerParams;
    const ours = streamInitiator(id) === this.role;
    const bidi = isBidi(id);
    const sendLimit = !p ? 0 : bidi ? (ours ? p.initialMaxStreamDataBidiRemote : p.initialMaxStreamDataBidiLocal) : p.initialMaxStreamDataUni;
    const recvWindow = bidi ? (ours ? this.local.initialMaxStreamDataBidiLocal : this.local.initialMaxStreamDataBidiRemote) : this.local.initialMaxStreamDataUni;
    const s: QuicStream = {
      id,
      send: bidi || ours ? new SendSide(sendLimit) : undefined,
      recv: bidi || !ours ? new RecvSide(recvWindow) : undefined,
    };
    this.map.set(id, s);
    return s;
  }

  /**
   * Finds the stream a received frame names, opening peer streams up to it (RFC 9000 §3.2) within
   * our MAX_STREAMS (else STREAM_LIMIT_ERROR, §4.6). A stream of ours not opened yet is
   * STREAM_STATE_ERROR (§19.4-19.13); a stream already closed reads as `closed` (frame ignored).
   */
  private lookup(id: number, frameType: number): Lookup {
    const s = this.map.get(id);
    if (s) return { stream: s };
    const kind = isBidi(id) ? 'bidi' : 'uni';
    const index = streamIndex(id);
    if (streamInitiator(id) === this.role) {
      if (index >= this.openedLocal[kind]) return stateError(frameType, `frame for stream ${id}, which this endpoint has not opened (RFC 9000 §19.8)`);
      return { closed: true };
    }
    if (index < this.openedPeer[kind]) return { closed: true };
    if (index >= this.localMaxStreams[kind]) {
      return { error: decodeError('STREAM_LIMIT_ERROR', frameType, 0, `peer opened ${kind} stream ${id} beyond the limit of ${this.localMaxStreams[kind]} streams (RFC 9000 §4.6)`) };
    }
    let last: QuicStream | undefined;
    while (this.openedPeer[kind] <= index) {
      const sid = streamId(this.openedPeer[kind]++, this.peer, kind === 'bidi');
      last = this.create(sid);
      this.emit({ kind: 'stream-opened', streamId: sid });
    }
    return { stream: last! };
  }

  // ------------------------------------------------------------------ receiving frames

  /** A STREAM frame (RFC 9000 §19.8, §2.2, §4.1, §4.5). */
  onStream(f: StreamFrame): QuicDecodeError | null {
    const l = this.lookup(f.streamId, FRAME_TYPE.STREAM);
    if ('error' in l) return l.error;
    if ('closed' in l) return null;
    const r = l.stream.recv;
    if (!r) return decodeError('STREAM_STATE_ERROR', FRAME_TYPE.STREAM, 0, `STREAM frame on stream ${f.streamId}, which only this endpoint sends on (RFC 9000 §19.8)`);
    const end = f.offset + f.data.length;
    if (r.finalSize !== undefined && (end > r.finalSize || (f.fin && end !== r.finalSize))) {
      return decodeError('FINAL_SIZE_ERROR', FRAME_TYPE.STREAM, 0, `stream ${f.streamId}: data up to ${end}${f.fin ? ' with FIN' : ''} but the final size is ${r.finalSize} (RFC 9000 §4.5)`);
    }
    if (f.fin && end < r.window.highest) {
      return decodeError('FINAL_SIZE_ERROR', FRAME_TYPE.STREAM, 0, `stream ${f.streamId}: FIN at ${end} below data already received up to ${r.window.highest} (RFC 9000 §4.5)`);
    }
    if (r.state !== 'recv' && r.state !== 'size-known') return null;
    const err = this.account(r, end, FRAME_TYPE.STREAM, f.streamId);
    if (err) return err;
    if (f.fin) {
      r.finalSize = end;
      r.state = 'size-known';
    }
    return this.deliver(l.stream, r, f.offset, f.data);
  }

  /** Flow control of data up to `end` on `r` and on the connection (RFC 9000 §4.1). */
  private account(r: RecvSide, end: number, frameType: number, id: number): QuicDecodeError | null {
    const before = r.window.highest;
    const sc = r.window.receiveUpTo(end);
    if (!sc.ok) return decodeError('FLOW_CONTROL_ERROR', frameType, 0, `stream ${id}: data up to ${end} beyond the ${sc.limit} bytes allowed (RFC 9000 §4.1)`);
    const delta = Math.max(0, end - before);
    const cc = this.connWindow.receiveUpTo(this.connWindow.highest + delta);
    if (!cc.ok) return decodeError('FLOW_CONTROL_ERROR', frameType, 0, `connection: ${cc.wanted} bytes received, beyond MAX_DATA ${cc.limit} (RFC 9000 §4.1)`);
    return null;
  }

  private deliver(s: QuicStream, r: RecvSide, offset: number, data: Uint8Array): QuicDecodeError | null {
    if (r.paused) return this.hold(r, offset, data);
    let out: Uint8Array;
    const end = offset + data.length;
    if (r.ncbuf === null && offset <= r.delivered) {
      out = end > r.delivered ? data.subarray(r.delivered - offset) : new Uint8Array(0);
    } else {
      if (r.ncbuf === null) {
        if (end <= r.delivered) return null;
        r.ncbuf = new Ncbuf(new Uint8Array(r.window.window), null, r.delivered, { frameType: FRAME_TYPE.STREAM, maxRanges: STREAM_NCBUF_MAX_RANGES });
      }
      const added = r.ncbuf.add(offset, data);
      if (!added.ok) return added.error;
      out = r.ncbuf.read();
      if (r.ncbuf.empty) {
        r.ncbuf.release();
        r.ncbuf = null;
      }
    }
    this.handOver(s, r, out, 0);
    return null;
  }

  /** Gives `out` (the next in-order bytes) to the application; `lent` of them had their connection credit returned already. */
  private handOver(s: QuicStream, r: RecvSide, out: Uint8Array, lent: number): void {
    r.delivered += out.length;
    r.window.consume(out.length);
    this.connWindow.consume(out.length - lent);
    const fin = r.finalSize !== undefined && r.delivered === r.finalSize && r.state === 'size-known';
    if (fin) r.state = 'data-read';
    if (out.length > 0 || fin) this.emit({ kind: 'stream-data', streamId: s.id, data: out.slice(), fin });
    if (fin) this.maybeRemove(s);
  }

  /**
   * Paused stream: stores the data in the reassembly buffer (which spans the stream window from the
   * delivered offset, so anything the peer may send fits) without delivering or consuming it, and
   * returns the connection credit of held bytes beyond the paused share (PAUSED_CONN_SHARE).
   */
  private hold(r: RecvSide, offset: number, data: Uint8Array): QuicDecodeError | null {
    if (r.ncbuf === null) {
      if (offset + data.length <= r.delivered) return null;
      r.ncbuf = new Ncbuf(new Uint8Array(r.window.window), null, r.delivered, { frameType: FRAME_TYPE.STREAM, maxRanges: STREAM_NCBUF_MAX_RANGES });
    }
    const added = r.ncbuf.add(offset, data);
    if (!added.ok) return added.error;
    const grew = r.ncbuf.contiguous() - r.held;
    if (grew <= 0) return null;
    r.held += grew;
    this.pausedHeld += grew;
    const excess = this.pausedHeld - this.pausedLent - Math.floor(this.connWindow.window * PAUSED_CONN_SHARE);
    if (excess > 0) {
      // excess <= grew: the share was respected before these bytes, so r.lent stays <= r.held.
      r.lent += excess;
      this.pausedLent += excess;
      this.connWindow.consume(excess);
    }
    return null;
  }

  /** Forgets what paused stream `r` holds in the connection's paused accounting; returns its lent bytes. */
  private unhold(r: RecvSide): number {
    const lent = r.lent;
    this.pausedHeld -= r.held;
    this.pausedLent -= r.lent;
    r.held = 0;
    r.lent = 0;
    return lent;
  }

  /** RESET_STREAM (RFC 9000 §19.4, §3.2, §4.5). */
  onResetStream(f: ResetStreamFrame): QuicDecodeError | null {
    const l = this.lookup(f.streamId, FRAME_TYPE.RESET_STREAM);
    if ('error' in l) return l.error;
    if ('closed' in l) return null;
    const r = l.stream.recv;
    if (!r) return decodeError('STREAM_STATE_ERROR', FRAME_TYPE.RESET_STREAM, 0, `RESET_STREAM on stream ${f.streamId}, which only this endpoint sends on (RFC 9000 §19.4)`);
    if ((r.finalSize !== undefined && f.finalSize !== r.finalSize) || f.finalSize < r.window.highest) {
      return decodeError('FINAL_SIZE_ERROR', FRAME_TYPE.RESET_STREAM, 0, `stream ${f.streamId}: RESET_STREAM final size ${f.finalSize} contradicts ${r.finalSize ?? `data received up to ${r.window.highest}`} (RFC 9000 §4.5)`);
    }
    if (r.done || r.state === 'reset-recvd') return null;
    const err = this.account(r, f.finalSize, FRAME_TYPE.RESET_STREAM, f.streamId);
    if (err) return err;
    // The bytes never delivered still count against the connection window; give them back (§4.5),
    // except those a paused stream held whose credit was already returned.
    const lent = this.unhold(r);
    this.connWindow.consume(f.finalSize - r.delivered - lent);
    r.finalSize = f.finalSize;
    r.state = 'reset-read';
    if (r.ncbuf) {
      r.ncbuf.release();
      r.ncbuf = null;
    }
    this.emit({ kind: 'stream-reset', streamId: f.streamId, errorCode: f.errorCode, finalSize: f.finalSize });
    this.maybeRemove(l.stream);
    return null;
  }

  /** STOP_SENDING (RFC 9000 §19.5, §3.5): reported, then answered with RESET_STREAM of the same code. */
  onStopSending(f: StopSendingFrame): QuicDecodeError | null {
    const l = this.lookup(f.streamId, FRAME_TYPE.STOP_SENDING);
    if ('error' in l) return l.error;
    if ('closed' in l) return null;
    const s = l.stream.send;
    if (!s) return decodeError('STREAM_STATE_ERROR', FRAME_TYPE.STOP_SENDING, 0, `STOP_SENDING on stream ${f.streamId}, which only the peer sends on (RFC 9000 §19.5)`);
    if (s.done || s.state === 'reset-sent') return null;
    this.emit({ kind: 'stop-sending', streamId: f.streamId, errorCode: f.errorCode });
    this.resetSide(s, f.errorCode);
    return null;
  }

  /** MAX_STREAM_DATA (RFC 9000 §19.10). */
  onMaxStreamData(f: MaxStreamDataFrame): QuicDecodeError | null {
    const l = this.lookup(f.streamId, FRAME_TYPE.MAX_STREAM_DATA);
    if ('error' in l) return l.error;
    if ('closed' in l) return null;
    const s = l.stream.send;
    if (!s) return decodeError('STREAM_STATE_ERROR', FRAME_TYPE.MAX_STREAM_DATA, 0, `MAX_STREAM_DATA on stream ${f.streamId}, which only the peer sends on (RFC 9000 §19.10)`);
    s.credit.raise(f.maximum);
    return null;
  }

  /** STREAM_DATA_BLOCKED (RFC 9000 §19.13): checked for the stream's direction, otherwise informative. */
  onStreamDataBlocked(id: number): QuicDecodeError | null {
    const l = this.lookup(id, FRAME_TYPE.STREAM_DATA_BLOCKED);
    if ('error' in l) return l.error;
    if ('closed' in l) return null;
    if (!l.stream.recv) return decodeError('STREAM_STATE_ERROR', FRAME_TYPE.STREAM_DATA_BLOCKED, 0, `STREAM_DATA_BLOCKED on stream ${id}, which only this endpoint sends on (RFC 9000 §19.13)`);
    return null;
  }

  /** MAX_DATA (RFC 9000 §19.9). */
  onMaxData(maximum: number): void {
    this.connCredit.raise(maximum);
  }

  /** MAX_STREAMS (RFC 9000 §19.11): raises how many streams of a type we may open. */
  onMaxStreams(bidi: boolean, maximum: number): void {
    const kind = bidi ? 'bidi' : 'uni';
    if (maximum <= this.peerMaxStreams[kind]) return;
    this.peerMaxStreams[kind] = maximum;
    this.emit({ kind: 'streams-available', bidi });
  }

  // ------------------------------------------------------------------ application commands

  /** Queues `data` on stream `id`. False when the stream cannot send (unknown, receive-only, finished or reset). */
  write(id: number, data: Uint8Array): boolean {
    const s = this.map.get(id)?.send;
    if (!s || s.state === 'data-sent' || s.state === 'data-recvd' || s.reset || s.buf.finished) return false;
    s.buf.write(data);
    return true;
  }

  /** Ends stream `id` (a FIN after the data written). False when it cannot send. */
  finish(id: number): boolean {
    const s = this.map.get(id)?.send;
    if (!s || s.reset || s.buf.finished) return false;
    s.buf.finish();
    return true;
  }

  /** Resets the sending part of `id` with `code` (RESET_STREAM, RFC 9000 §3.3). False when nothing to reset. */
  reset(id: number, code: number): boolean {
    const s = this.map.get(id)?.send;
    if (!s || s.done || s.reset) return false;
    this.resetSide(s, code);
    return true;
  }

  private resetSide(s: SendSide, code: number): void {
    s.reset = { code, finalSize: s.buf.sent, pending: true };
    s.state = 'reset-sent';
    s.buf.abandon();
  }

  /** Asks the peer to stop sending on `id` (STOP_SENDING, RFC 9000 §3.5). False when nothing is received there. */
  stopSending(id: number, code: number): boolean {
    const r = this.map.get(id)?.recv;
    if (!r || !r.wantsData || r.stop) return false;
    r.stop = { code, pending: true };
    return true;
  }

  /**
   * Pauses delivery on stream `id` (receive backpressure, RFC 9000 §4.1-4.2): from now on its
   * in-order data is held, not delivered nor consumed, so its window (MAX_STREAM_DATA) stops moving
   * and the peer is blocked once it has sent up to the limit already advertised. False when the
   * stream has no receiving part still expecting data, or is paused already.
   */
  pauseRecv(id: number): boolean {
    const r = this.map.get(id)?.recv;
    if (!r || !r.wantsData || r.paused) return false;
    r.paused = true;
    return true;
  }

  /**
   * Resumes delivery on stream `id`: what was held is delivered at once (one `stream-data` event,
   * with FIN when the whole stream was received) and consumed, which queues MAX_STREAM_DATA /
   * MAX_DATA as the window rules say. False when the stream was not paused (or is gone).
   */
  resumeRecv(id: number): boolean {
    const s = this.map.get(id);
    const r = s?.recv;
    if (!s || !r || !r.paused) return false;
    r.paused = false;
    if (r.done || r.state === 'reset-recvd') return true;
    const lent = this.unhold(r);
    let out: Uint8Array = new Uint8Array(0);
    if (r.ncbuf) {
      out = r.ncbuf.read();
      if (r.ncbuf.empty) {
        r.ncbuf.release();
        r.ncbuf = null;
      }
    }
    this.handOver(s, r, out, lent);
    return true;
  }

  /** Whether delivery on stream `id` is paused. */
  recvPaused(id: number): boolean {
    return this.map.get(id)?.recv?.paused === true;
  }

  /** Bytes held by paused streams and, of them, those whose connection credit was returned early. */
  get pausedBytes(): { held: number; lent: number } {
    return { held: this.pausedHeld, lent: this.pausedLent };
  }

  /** Bytes written on `id` and not yet acknowledged (0 for unknown streams). */
  buffered(id: number): number {
    return this.map.get(id)?.send?.buf.buffered ?? 0;
  }

  // ------------------------------------------------------------------ sending

  /** Whether any frame waits to be sent (so that an ACK can ride along). */
  hasPending(): boolean {
    if (this.connWindow.updatePending || this.maxStreamsPending.bidi || this.maxStreamsPending.uni) return true;
    if (this.streamsBlocked.bidi !== undefined || this.streamsBlocked.uni !== undefined) return true;
    for (const s of this.map.values()) {
      if (s.send && (s.send.reset?.pending || this.sendable(s.send))) return true;
      if (s.recv && ((s.recv.stop?.pending && s.recv.wantsData) || (s.recv.window.updatePending && s.recv.receiving))) return true;
    }
    return false;
  }

  private sendable(s: SendSide): boolean {
    if (s.reset) return false;
    return s.buf.hasPending(s.buf.sent + Math.min(s.credit.available, this.connCredit.available));
  }

  /** Puts control frames, then STREAM frames (streams served round-robin), into `sink`. */
  fill(sink: FrameSink): void {
    if (this.connWindow.updatePending) {
      if (!sink.add({ type: 'max_data', maximum: this.connWindow.limit }, { k: 'max_data' })) return;
      this.connWindow.updatePending = false;
    }
    for (const bidi of [true, false]) {
      const kind = bidi ? 'bidi' : 'uni';
      if (this.maxStreamsPending[kind]) {
        if (!sink.add({ type: 'max_streams', bidi, maximum: this.localMaxStreams[kind] }, { k: 'max_streams', bidi })) return;
        this.maxStreamsPending[kind] = false;
      }
      const limit = this.streamsBlocked[kind];
      if (limit !== undefined) {
        if (!sink.add({ type: 'streams_blocked', bidi, limit }, { k: 'streams_blocked', bidi })) return;
        this.streamsBlocked[kind] = undefined;
      }
    }
    const streams = [...this.map.values()];
    let connBlocked = false;
    for (const s of streams) {
      const r = s.recv;
      if (r?.stop?.pending && r.wantsData) {
        if (!sink.add({ type: 'stop_sending', streamId: s.id, errorCode: r.stop.code }, { k: 'stop', id: s.id })) return;
        r.stop.pending = false;
      }
      if (r?.window.updatePending && r.receiving) {
        if (!sink.add({ type: 'max_stream_data', streamId: s.id, maximum: r.window.limit }, { k: 'max_stream_data', id: s.id })) return;
        r.window.updatePending = false;
      }
      const w = s.send;
      if (!w) continue;
      if (w.reset?.pending) {
        if (!sink.add({ type: 'reset_stream', streamId: s.id, errorCode: w.reset.code, finalSize: w.reset.finalSize }, { k: 'reset', id: s.id })) return;
        w.reset.pending = false;
      }
      if (w.reset) continue;
      if (w.buf.blockedBy(w.buf.sent + w.credit.available) && w.credit.available === 0 && w.credit.shouldSignalBlocked()) {
        if (!sink.add({ type: 'stream_data_blocked', streamId: s.id, limit: w.credit.limit }, { k: 'stream_data_blocked', id: s.id })) return;
        w.credit.markBlockedSignalled();
      }
      if (this.connCredit.available === 0 && w.buf.blockedBy(w.buf.sent)) connBlocked = true;
    }
    if (connBlocked && this.connCredit.shouldSignalBlocked()) {
      if (!sink.add({ type: 'data_blocked', limit: this.connCredit.limit }, { k: 'data_blocked' })) return;
      this.connCredit.markBlockedSignalled();
    }
    const n = streams.length;
    for (let i = 0; i < n; i++) {
      const s = streams[(this.rr + i) % n];
      const w = s.send;
      if (!w || w.reset) continue;
      while (this.fillStream(s.id, w, sink));
      if (sink.room < 24) break;
    }
    this.rr = n === 0 ? 0 : (this.rr + 1) % n;
  }

  /** One STREAM frame of `w` into `sink`; false when nothing more fits or waits. */
  private fillStream(id: number, w: SendSide, sink: FrameSink): boolean {
    const limit = w.buf.sent + Math.min(w.credit.available, this.connCredit.available);
    if (!w.buf.hasPending(limit)) return false;
    // Frame header: type, id, offset (up to 8 bytes), length (2 bytes: a packet is < 16384 bytes).
    const overhead = 1 + varintLength(id) + 8 + 2;
    const max = sink.room - overhead;
    if (max < 1 && !(w.buf.finished && w.buf.sent === w.buf.end)) return false;
    const c = w.buf.next(Math.max(0, max), limit);
    if (!c) return false;
    w.credit.consume(c.newBytes);
    this.connCredit.consume(c.newBytes);
    if (w.state === 'ready') w.state = 'send';
    if (c.fin) w.state = 'data-sent';
    const rec: SentRecord = { k: 'stream', id, offset: c.offset, length: c.data.length, fin: c.fin };
    if (sink.add({ type: 'stream', streamId: id, offset: c.offset, data: c.data, fin: c.fin }, rec)) return true;
    w.buf.onLost(c.offset, c.data.length, c.fin); // did not fit after all: send it later
    return false;
  }

  // ------------------------------------------------------------------ acknowledgments

  /** A packet carrying `rec` was acknowledged. */
  onAcked(rec: SentRecord): void {
    if (rec.k === 'stream') {
      const s = this.map.get(rec.id);
      const w = s?.send;
      if (!s || !w || w.reset) return;
      w.buf.onAck(rec.offset, rec.length, rec.fin);
      if (w.buf.allAcked && w.state !== 'data-recvd') {
        w.state = 'data-recvd';
        this.emit({ kind: 'stream-sent', streamId: s.id, reset: false });
        this.maybeRemove(s);
      }
    } else if (rec.k === 'reset') {
      const s = this.map.get(rec.id);
      if (s?.send && s.send.state === 'reset-sent') {
        s.send.state = 'reset-recvd';
        this.emit({ kind: 'stream-sent', streamId: s.id, reset: true });
        this.maybeRemove(s);
      }
    }
  }

  /** A packet carrying `rec` was declared lost: queue the information again if still needed (RFC 9000 §13.3). */
  onLost(rec: SentRecord): void {
    switch (rec.k) {
      case 'stream': {
        const w = this.map.get(rec.id)?.send;
        if (w && !w.reset && !w.done) w.buf.onLost(rec.offset, rec.length, rec.fin);
        return;
      }
      case 'reset': {
        const w = this.map.get(rec.id)?.send;
        if (w?.reset && w.state === 'reset-sent') w.reset.pending = true;
        return;
      }
      case 'stop': {
        const r = this.map.get(rec.id)?.recv;
        if (r?.stop && r.wantsData) r.stop.pending = true;
        return;
      }
      case 'max_data':
        this.connWindow.updatePending = true;
        return;
      case 'max_stream_data': {
        const r = this.map.get(rec.id)?.recv;
        if (r?.receiving) r.window.updatePending = true;
        return;
      }
      case 'max_streams':
        this.maxStreamsPending[rec.bidi ? 'bidi' : 'uni'] = true;
        return;
      case 'data_blocked':
        this.connCredit.onBlockedLost();
        return;
      case 'stream_data_blocked':
        this.map.get(rec.id)?.send?.credit.onBlockedLost();
        return;
      default:
        return;
    }
  }

  /** Forgets a stream whose both parts are done (RFC 9000 §3); a peer's stream frees a MAX_STREAMS slot (§4.6). */
  private maybeRemove(s: QuicStream): void {
    if ((s.send && !s.send.done) || (s.recv && !s.recv.done)) return;
    this.map.delete(s.id);
    if (streamInitiator(s.id) === this.peer) {
      const kind = isBidi(s.id) ? 'bidi' : 'uni';
      this.localMaxStreams[kind]++;
      this.maxStreamsPending[kind] = true;
    }
  }

  /** Releases every reassembly buffer (connection end). */
  release(): void {
    for (const s of this.map.values()) {
      if (s.recv?.ncbuf) {
        s.recv.ncbuf.release();
        s.recv.ncbuf = null;
      }
    }
  }
}
