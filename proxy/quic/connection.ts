/**
 * A sans-IO QUIC v1 connection, client or server (RFC 9000, RFC 9001, RFC 9002). Inputs are
 * datagrams (bytes, path, time), timer expiries and application commands (open a stream, write,
 * finish, reset, stop sending, close); outputs are datagrams to send (`transmit`), the next
 * deadline (`deadline`) and events (`pollEvents`). A driver owns the socket and the clock:
 *
 *     conn.receive(now, bytes, path); for (let d; (d = conn.transmit(now)); ) socket.send(d)
 *     at conn.deadline(): conn.onTimeout(now), then transmit again
 *
 * What it wires (module by module): Initial keys from the client's first DCID (keys.ts, RFC 9001
 * §5.2); the TLS 1.3 engines' CRYPTO bytes per level and their install-keys events turned into
 * packet keys per space (RFC 9001 §4.1); key discard (Initial when Handshake keys are used,
 * Handshake at confirmation, §4.9); HANDSHAKE_DONE (RFC 9000 §19.20); packet assembly with
 * coalescing and padding (packetizer.ts, RFC 9000 §12.2, §14.1); ACK generation and processing,
 * loss detection, PTO probes, congestion control and pacing (recovery.ts, RFC 9002); the
 * anti-amplification limit before address validation (RFC 9000 §8.1); the idle timeout (§10.1);
 * CONNECTION_CLOSE of both kinds with the closing and draining states (§10.2); streams and flow
 * control (streams.ts); 1-RTT key update (key-update.ts, RFC 9001 §6); connection ids issued up to
 * the peer's active_connection_id_limit and the peer's ids with retire_prior_to (local-cids.ts,
 * peer-cids.ts, RFC 9000 §5.1); migration and NAT rebinding with path validation (path-validation.ts,
 * RFC 9000 §8.2, §9); the server side of a Retry through `retry` (the transport parameters of §7.3;
 * the listener sends the Retry and checks its token, address-token.ts). Version negotiation and
 * stateless resets are answered by the listener (udp/listener.ts); a stateless reset from the peer
 * is recognised by its token and drains the connection (§10.3.1). A client follows one Retry
 * (RFC 9000 §17.2.5.2: integrity tag checked, new Initial keys and DCID, token in every later Initial,
 * loss recovery of the Initial space reset, RFC 9002 §6.3). Not yet: 0-RTT, preferred_address, a key update forced by the AEAD confidentiality limit (RFC 9001 §6.6).
 */
import { joinBytes } from '../bytes.ts';
import { ClientHandshake, type ClientHandshakeConfig, type ClientHandshakeOptions } from '../tls13/client.ts';
import type { EncryptionLevel, HandshakeEvent } from '../tls13/handshake.types.ts';
import { ServerHandshake, type ServerHandshakeConfig, type ServerHandshakeOptions } from '../tls13/server.ts';
import { cidEquals, cryptoRandom, LOCAL_CID_LENGTH, type RandomSource } from './cid.ts';
import type { CloseReason, ConnectionEvent, ConnectionState, ConnectionStats, OutgoingDatagram, QuicPath } from './connection.types.ts';
import { AEAD_TAG_LENGTH, type PacketKeys } from './crypto.types.ts';
import { cryptoRxRelease, newCryptoRx, qcHandleCryptoFrm, type CryptoRx } from './crypto-rx.ts';
import { TRANSPORT_ERROR, type QuicDecodeError } from './errors.ts';
import { isAckEliciting } from './frame-rules.ts';
import { decodeFrames } from './frame.ts';
import type { ConnectionCloseFrame, Frame } from './frame.types.ts';
import { parsePacketHeader, splitDatagram } from './header.ts';
import { deriveInitialKeys, derivePacketKeys } from './keys.ts';
import { packetNumberLength } from './packet-number.ts';
import { MAX_CID_LENGTH, QUIC_V1, type LongHeaderPacket, type RetryPacket, type ShortHeaderPacket } from './packet.types.ts';
import { headerSize, minPayloadForSample, PacketBuilder, sealPacket, type SendPacketType } from './packetizer.ts';
import { unprotectPacket, unprotectPacketWith, type UnprotectResult } from './protection.ts';
import { KeyPhase, type KeyChoice } from './key-update.ts';
import { LocalCids, type CidChanges, type IssuedCid } from './local-cids.ts';
import { PeerCids } from './peer-cids.ts';
import { hostOf, PathValidation, samePath } from './path-validation.ts';
import { Recovery, type TimeoutOutcome } from './recovery.ts';
import { endsWithResetToken } from './reset-token.ts';
import { verifyRetry } from './retry.ts';
import { SendBuffer } from './send-buffer.ts';
import type { SentRecord } from './sent-record.ts';
import { SPACE_IDS, type SentPacket, type SpaceId } from './spaces.ts';
import { StreamSet, type LocalStreamLimits } from './streams.ts';
import type { Role } from './stream-id.ts';
import { encodeTransportParameters, decodeTransportParameters } from './transport-params.ts';
import type { TransportParameters } from './transport-params.types.ts';

/** Smallest datagram carrying a client Initial, or a server's ack-eliciting Initial (RFC 9000 §14.1). */
export const MIN_INITIAL_DATAGRAM = 1200;

/**
 * Our transport settings (RFC 9000 §18.2), durations in milliseconds: the transport parameters we
 * choose (`maxIdleTimeout` 0 disables the idle timeout on our side; `activeConnectionIdLimit` is
 * how many connection ids of the peer we keep, §5.1.1, at least 2).
 */
export type TransportSettings = LocalStreamLimits &
  Pick<TransportParameters, 'maxIdleTimeout' | 'ackDelayExponent' | 'maxAckDelay' | 'activeConnectionIdLimit'>;

/** Defaults: 30 s idle, 4 MB per connection, 1 MB per stream, 100 bidirectional and 3 unidirectional streams. */
export const DEFAULT_TRANSPORT_SETTINGS: TransportSettings = {
  maxIdleTimeout: 30_000,
  initialMaxData: 4 * 1024 * 1024,
  initialMaxStreamDataBidiLocal: 1024 * 1024,
  initialMaxStreamDataBidiRemote: 1024 * 1024,
  initialMaxStreamDataUni: 1024 * 1024,
  initialMaxStreamsBidi: 100,
  initialMaxStreamsUni: 3,
  ackDelayExponent: 3,
  maxAckDelay: 25,
  activeConnectionIdLimit: 4,
};

/** TLS side of a connection: the handshake engine configuration without the transport parameters, which the connection adds. */
export type QuicTlsSetup =
  | { readonly role: 'client'; readonly config: Omit<ClientHandshakeConfig, 'transportParameters'>; readonly options?: ClientHandshakeOptions }
  | { readonly role: 'server'; readonly config: Omit<ServerHandshakeConfig, 'transportParameters'>; readonly options?: ServerHandshakeOptions };

/** Options of a connection. */
export interface QuicConnectionOptions {
  readonly tls: QuicTlsSetup;
  /** The path: for a client where it sends from and to; for a server the path of the client's first datagram. */
  readonly path: QuicPath;
  /** Current time in milliseconds (must be above 0). */
  readonly now: number;
  readonly transport?: Partial<TransportSettings>;
  /** Source of connection ids (default node:crypto; seeded in tests). */
  readonly random?: RandomSource;
  /** Connection id in traces (the `quic` source). */
  readonly traceId?: number;
  /** Datagram size used for every packet (default and minimum 1200, RFC 9000 §14). */
  readonly maxDatagramSize?: number;
  /** Key of the stateless reset tokens of the ids we issue (default: this process's, reset-token.ts). */
  readonly resetSecret?: Uint8Array;
  /**
   * Server, after a Retry (RFC 9000 §8.1.2, §17.2.5): the DCID of the client's very first Initial
   * (from the validated token) and the Source Connection ID of our Retry (the DCID of the Initial
   * that starts this connection). They become original_destination_connection_id and
   * retry_source_connection_id (§7.3), and the client's address counts as validated (§8.1).
   */
  readonly retry?: { readonly originalDcid: Uint8Array; readonly retryScid: Uint8Array };
}

type Keys = { read?: PacketKeys; write?: PacketKeys };
type Packet = LongHeaderPacket | ShortHeaderPacket;

const PEER: Record<Role, Role> = { client: 'server', server: 'client' };
const EMPTY = new Uint8Array(0);
const MAX_DEFERRED = 16;
/** Probing frames (RFC 9000 §9.1): a packet of only these does not move the connection to its path. */
const PROBING_FRAMES: ReadonlySet<Frame['type']> = new Set(['path_challenge', 'path_response', 'new_connection_id', 'padding']);
/** Smallest datagram worth building once only 1-RTT packets are sent (no 1200-byte rule, RFC 9000 §14.1). */
const SHORT_DATAGRAM_FLOOR = 64;

/** One QUIC connection. */
export class QuicConnection {
  readonly role: Role;
  readonly settings: TransportSettings;
  /** The connection id this endpoint chose (peers address it in the DCID field). */
  readonly localCid: Uint8Array;
  /** Loss recovery, RTT and congestion state (read it for `show quic`). */
  readonly recovery: Recovery<SentRecord[]>;
  readonly stats: ConnectionStats = {
    datagramsIn: 0, datagramsOut: 0, bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, dropped: 0, packetsLost: 0, ptoCount: 0,
  };
  /** Frames sent, by kind (for `show quic` and tests). */
  readonly framesSent = new Map<Frame['type'], number>();
  private readonly tlsSetup: QuicTlsSetup;
  private tls: ClientHandshake | ServerHandshake | undefined;
  private stateValue: ConnectionState = 'handshake';
  private path: QuicPath;
  private now: number;
  private readonly maxDatagramSize: number;
  /** Client: the random DCID of its first Initial; server: the DCID the client's first Initial carried. */
  private originalDcid: Uint8Array;
  /** The peer's connection ids; the one in use is the DCID of what we send (RFC 9000 §5.1). */
  private readonly peerCids: PeerCids;
  /** The connection ids we issued (RFC 9000 §5.1.1). */
  private readonly localCids: LocalCids;
  private peerCidKnown = false;
  private readonly keys: Record<SpaceId, Keys> = { initial: {}, handshake: {}, application: {} };
  private readonly discarded: Record<SpaceId, boolean> = { initial: false, handshake: false, application: false };
  private readonly cryptoTx: Record<SpaceId, SendBuffer> = { initial: new SendBuffer(), handshake: new SendBuffer(), application: new SendBuffer() };
  private readonly cryptoRx: Record<SpaceId, CryptoRx>;
  private readonly probes: Record<SpaceId, number> = { initial: 0, handshake: 0, application: 0 };
  readonly streams: StreamSet;
  private events: ConnectionEvent[] = [];
  private peerParams: TransportParameters | undefined;
  private complete = false;
  private confirmed = false;
  private handshakeDonePending = false;
  /** PATH_RESPONSE frames to send, each on the path its challenge came from (RFC 9000 §8.2.2). */
  private pathResponses: { data: Uint8Array; path: QuicPath }[] = [];
  /** The peer's new address being validated (RFC 9000 §8.2, §9.3). */
  private validation: PathValidation | undefined;
  /** The last validated path, to go back to when a validation fails (RFC 9000 §9.3.2). */
  private validatedPath: QuicPath | undefined;
  /** The DCID of the peer's latest non-probing packet: a new one on a new path is an active migration (§9.5). */
  private peerDcidUsed: Uint8Array;
  private pingPending = false;
  /** Path changes, for `show quic` and tests. */
  readonly migrations = { peer: 0, validated: 0, failed: 0, local: 0 };
  private lastActivity: number;
  private ackElicitingSinceReceive = false;
  private closeFrame: ConnectionCloseFrame | undefined;
  private closeSendPending = false;
  private closeEnd = 0;
  private reason: CloseReason | undefined;
  private pacingWake: number | undefined;
  private deferred: { datagram: Uint8Array; packet: Packet; path: QuicPath }[] = [];
  private addressValidated: boolean;
  /** 1-RTT key phase (RFC 9001 §6), once both 1-RTT keys are installed. */
  private ku: KeyPhase | undefined;
  /** Server: the connection ids of the Retry exchange, when one preceded this connection (RFC 9000 §7.3). */
  private readonly retried: QuicConnectionOptions['retry'];
  /** Client: the Retry it followed: its token (sent in every later Initial) and Source Connection ID. */
  private retryFollowed: { readonly token: Uint8Array; readonly scid: Uint8Array } | undefined;

  constructor(o: QuicConnectionOptions) {
    this.role = o.tls.role;
    this.tlsSetup = o.tls;
    this.settings = { ...DEFAULT_TRANSPORT_SETTINGS, ...o.transport };
    this.path = o.path;
    this.now = o.now;
    this.lastActivity = o.now;
    this.maxDatagramSize = Math.max(MIN_INITIAL_DATAGRAM, o.maxDatagramSize ?? MIN_INITIAL_DATAGRAM);
    const random = o.random ?? cryptoRandom;
    this.localCid = random(LOCAL_CID_LENGTH);
    this.localCids = new LocalCids(this.localCid, random, o.resetSecret);
    this.peerDcidUsed = this.localCid;
    this.peerCids = new PeerCids(new Uint8Array(0), Math.max(2, this.settings.activeConnectionIdLimit));
    const traceId = o.traceId ?? 0;
    this.recovery = new Recovery<SentRecord[]>({ isServer: this.role === 'server', maxDatagramSize: this.maxDatagramSize, connId: traceId, now: o.now });
    this.retried = this.role === 'server' ? o.retry : undefined;
    this.addressValidated = this.role === 'client' || this.retried !== undefined;
    if (this.retried) this.recovery.onAddressValidated(o.now); // RFC 9000 §8.1.2: the Retry token validated the address
    this.cryptoRx = { initial: newCryptoRx(traceId), handshake: newCryptoRx(traceId), application: newCryptoRx(traceId) };
    this.streams = new StreamSet(this.role, this.settings, (e) => this.events.push(e));
    if (this.role === 'client') {
      this.originalDcid = random(LOCAL_CID_LENGTH);
      this.peerCids.setFirst(this.originalDcid);
      this.installInitialKeys();
      const setup = o.tls as Extract<QuicTlsSetup, { role: 'client' }>;
      const tls = new ClientHandshake({ ...setup.config, transportParameters: this.localTransportParameters() }, { conn: traceId, ...setup.options });
      this.tls = tls;
      this.onTls(tls.start());
    } else {
      this.originalDcid = new Uint8Array(0);
    }
  }

  // ------------------------------------------------------------------ public state

  /** The peer's connection id we send to now (RFC 9000 §5.1). */
  get dcid(): Uint8Array {
    return this.peerCids.current;
  }

  /** The connection ids we issued that are active, in sequence order (RFC 9000 §5.1.1). */
  activeLocalCids(): IssuedCid[] {
    return this.localCids.list();
  }

  /**
   * Our connection ids added and removed since the last call: the listener adds the new ones to its
   * dispatcher and forgets the retired ones, so that datagrams sent to any active id find this
   * connection (RFC 9000 §5.1, §5.2).
   */
  pollCidChanges(): CidChanges {
    return this.localCids.pollChanges();
  }

  /** Where the connection stands (RFC 9000 §10). */
  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Why it ended, once closing, draining or closed. */
  get closeReason(): CloseReason | undefined {
    return this.reason;
  }

  /** Whether the TLS handshake completed (RFC 9001 §4.1.1). */
  get handshakeComplete(): boolean {
    return this.complete;
  }

  /** Whether the handshake is confirmed (RFC 9001 §4.1.2). */
  get handshakeConfirmed(): boolean {
    return this.confirmed;
  }

  /** The peer's transport parameters, once received. */
  get peerTransportParameters(): TransportParameters | undefined {
    return this.peerParams;
  }

  /** The DCID of the client's first Initial (empty on a server before it). */
  get originalDestinationCid(): Uint8Array {
    return this.originalDcid;
  }

  /** The Key Phase bit of 1-RTT packets sent now (RFC 9001 §6). */
  get keyPhase(): 0 | 1 {
    return this.ku?.phase ?? 0;
  }

  /** Key updates done so far, initiated by either side (RFC 9001 §6). */
  get keyUpdates(): number {
    return this.ku?.updates ?? 0;
  }

  /** The events since the last call, in order. */
  pollEvents(): ConnectionEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  /**
   * Whether `datagram` may start a server connection (RFC 9000 §14.1, §7.2): a QUIC v1 Initial in
   * a datagram of at least 1200 bytes with a DCID of at least 8 bytes. Returns that DCID (the
   * dispatcher's key) or null.
   */
  static acceptableFirstDatagram(datagram: Uint8Array): Uint8Array | null {
    if (datagram.length < MIN_INITIAL_DATAGRAM) return null;
    const h = parsePacketHeader(datagram, 0, LOCAL_CID_LENGTH);
    if (!h.ok || h.packet.form !== 'long' || h.packet.type !== 'initial' || h.packet.version !== QUIC_V1) return null;
    if (h.packet.dcid.length < 8 || h.packet.dcid.length > MAX_CID_LENGTH) return null;
    return h.packet.dcid;
  }

  // ------------------------------------------------------------------ commands

  /** Opens a stream (RFC 9000 §2.1); null until the peer's limits are known or when its MAX_STREAMS is reached. */
  openStream(bidi = true): number | null {
    if (this.closingOrClosed()) return null;
    return this.streams.open(bidi);
  }

  /** Queues bytes on a stream; false when it cannot take them (unknown, receive-only, finished, reset, connection closing). */
  write(streamId: number, data: Uint8Array): boolean {
    return !this.closingOrClosed() && this.streams.write(streamId, data);
  }

  /** Ends a stream with a FIN (RFC 9000 §3.1). */
  finish(streamId: number): boolean {
    return !this.closingOrClosed() && this.streams.finish(streamId);
  }

  /** Resets the sending part of a stream (RESET_STREAM, RFC 9000 §19.4). */
  resetStream(streamId: number, errorCode: number): boolean {
    return !this.closingOrClosed() && this.streams.reset(streamId, errorCode);
  }

  /** Asks the peer to stop sending on a stream (STOP_SENDING, RFC 9000 §19.5). */
  stopSending(streamId: number, errorCode: number): boolean {
    return !this.closingOrClosed() && this.streams.stopSending(streamId, errorCode);
  }

  /**
   * Initiates a key update (RFC 9001 §6.1): 1-RTT packets sent from now on use the next keys and
   * the other Key Phase. Refused (false) before the handshake is confirmed, while closing, and
   * while no packet sent with the current keys has been acknowledged.
   */
  updateKeys(now: number): boolean {
    this.now = now;
    if (this.closingOrClosed() || !this.confirmed || !this.ku) return false;
    if (!this.ku.initiate(this.recovery.spaces.application.nextPn)) return false;
    this.keys.application = { read: this.ku.read, write: this.ku.write };
    return true;
  }

  /**
   * Client: moves the connection to `path` (a new local address, RFC 9000 §9.2) at `now`: the
   * next packets go to a peer connection id not used before (the old one is retired, §9.5), with
   * congestion control restarted when the host changed (§9.4), starting with a PING so that the
   * server sees a non-probing packet on the new path. False on a server, before the handshake is
   * confirmed, when the server sent disable_active_migration, or when it gave no spare id.
   */
  migrate(now: number, path: QuicPath): boolean {
    this.now = now;
    if (this.role !== 'client' || !this.confirmed || this.closingOrClosed() || this.peerParams?.disableActiveMigration) return false;
    if (!this.peerCids.switchToUnused()) return false;
    const hostChanged = hostOf(path.local) !== hostOf(this.path.local);
    this.path = path;
    this.migrations.local++;
    this.recovery.onPathChanged(hostChanged, true, 0, now);
    this.pingPending = true;
    return true;
  }

  /** The path datagrams are sent on now (changes with migration, RFC 9000 §9). */
  get currentPath(): QuicPath {
    return this.path;
  }

  /** Whether a path validation is in progress (RFC 9000 §8.2). */
  get validatingPath(): boolean {
    return this.validation !== undefined;
  }

  /** Bytes written on a stream and not yet acknowledged. */
  streamBuffered(streamId: number): number {
    return this.streams.buffered(streamId);
  }

  /**
   * Stops delivering a stream's data to the application (receive backpressure, RFC 9000 §4.1-4.2):
   * what arrives is held within the window already advertised and no credit is returned for it,
   * so the peer stops once it reaches that limit; other streams go on (streams.ts,
   * PAUSED_CONN_SHARE). False when the stream receives nothing more or is paused already.
   */
  pauseRecv(streamId: number): boolean {
    return !this.closingOrClosed() && this.streams.pauseRecv(streamId);
  }

  /**
   * Delivers what a paused stream held (a `stream-data` event for the next `pollEvents`) and
   * returns its credit (MAX_STREAM_DATA / MAX_DATA queued for the next `transmit`). False when it
   * was not paused.
   */
  resumeRecv(streamId: number): boolean {
    return !this.closingOrClosed() && this.streams.resumeRecv(streamId);
  }

  /**
   * Closes the connection (RFC 9000 §10.2): an application close (0x1d) by default, a transport
   * one with `app` false. The connection enters the closing state, sends CONNECTION_CLOSE, and is
   * `closed` three PTOs later.
   */
  close(now: number, errorCode: number, reason = '', app = true): void {
    this.now = now;
    this.closeLocal({ by: 'local', app, errorCode, frameType: 0, reason });
  }

  private closingOrClosed(): boolean {
    return this.stateValue === 'closing' || this.stateValue === 'draining' || this.stateValue === 'closed';
  }

  // ------------------------------------------------------------------ receiving

  /**
   * Processes one UDP datagram received on `path` at `now`. Malformed, misaddressed or
   * undecryptable packets are dropped and counted (RFC 9000 §5.2, §12.2; RFC 9001 §5.3); errors in
   * authenticated packets close the connection. Never throws on hostile bytes.
   */
  receive(now: number, datagram: Uint8Array, path: QuicPath): void {
    this.now = now;
    this.stats.datagramsIn++;
    this.stats.bytesIn += datagram.length;
    if (this.stateValue === 'closed' || this.stateValue === 'draining') return;
    if (this.role === 'server' && !this.tls && !this.acceptFirst(datagram, path)) {
      this.stats.dropped++;
      return;
    }
    const split = splitDatagram(datagram, LOCAL_CID_LENGTH);
    const processedBefore = this.stats.packetsIn;
    let ours = false;
    for (const p of split.packets) {
      if (p.form === 'retry') {
        if (!this.followRetry(datagram, p, now)) this.stats.dropped++;
        return;
      }
      if (p.form !== 'long' && p.form !== 'short') {
        this.stats.dropped++;
        continue;
      }
      if (!this.addressedToUs(p)) {
        this.stats.dropped++;
        continue;
      }
      if (!ours) {
        ours = true;
        const out = this.recovery.onDatagramReceived(datagram.length, now);
        this.onRecoveryTimeout(out);
      }
      if (this.stateValue === 'closing') {
        this.closeSendPending = true; // RFC 9000 §10.2.1: answer with CONNECTION_CLOSE again
        break;
      }
      this.processPacket(p, datagram, now, path);
      if (this.closingOrClosed()) break;
    }
    if (split.error || split.ignored.length > 0) this.stats.dropped++;
    // RFC 9000 §10.3.1: a datagram none of whose packets could be processed may be a stateless reset.
    if (this.stats.packetsIn === processedBefore && !this.closingOrClosed() && endsWithResetToken(datagram, this.peerCids.resetTokens())) {
      this.onStatelessReset(now);
      return;
    }
    if (!ours) return;
    this.retryDeferred(now);
  }

  /** The peer reset the connection (RFC 9000 §10.3.1): draining at once, nothing more is sent. */
  private onStatelessReset(now: number): void {
    this.stateValue = 'draining';
    this.reason = { by: 'peer', app: false, errorCode: TRANSPORT_ERROR.NO_ERROR, frameType: 0, reason: 'stateless reset' };
    this.closeEnd = now + 3 * this.ptoPeriod();
    this.events.push({ kind: 'closed', reason: this.reason });
    this.release();
  }

  /**
   * Client: a Retry (RFC 9000 §17.2.5.2) is followed once, before any server packet was processed,
   * when its integrity tag is valid for our original DCID (RFC 9001 §5.8) and its SCID differs from
   * that DCID. The next Initials carry its token, go to its SCID under the Initial keys of that id
   * (RFC 9001 §5.2), and repeat the CRYPTO data; packet numbers go on (§17.2.5.3) and the Initial
   * space's loss recovery restarts (RFC 9002 §6.3).
   */
  private followRetry(datagram: Uint8Array, p: RetryPacket, now: number): boolean {
    if (this.role !== 'client' || this.retryFollowed || this.peerCidKnown || this.discarded.initial) return false;
    if (p.version !== QUIC_V1 || cidEquals(p.scid, this.originalDcid) || !verifyRetry(datagram, p, this.originalDcid)) return false;
    this.retryFollowed = { token: p.token.slice(), scid: p.scid.slice() };
    this.peerCids.setFirst(this.retryFollowed.scid);
    const k = deriveInitialKeys(this.retryFollowed.scid);
    this.keys.initial = { read: k.server, write: k.client };
    this.recovery.discardSpace('initial', now);
    this.cryptoTx.initial.onLost(0, this.cryptoTx.initial.end, false);
    return true;
  }

  /** The token of our Initial packets: the Retry's, once one was followed (RFC 9000 §17.2.2). */
  private initialToken(): Uint8Array {
    return this.retryFollowed?.token ?? EMPTY;
  }

  /** Server: the first datagram must be an acceptable client Initial; it fixes the original DCID and Initial keys. */
  private acceptFirst(datagram: Uint8Array, path: QuicPath): boolean {
    const odcid = QuicConnection.acceptableFirstDatagram(datagram);
    if (!odcid) return false;
    const h = parsePacketHeader(datagram, 0, LOCAL_CID_LENGTH);
    if (!h.ok || h.packet.form !== 'long') return false;
    this.originalDcid = odcid.slice();
    this.peerCids.setFirst(h.packet.scid.slice());
    this.peerCidKnown = true;
    this.path = path;
    this.installInitialKeys();
    const setup = this.tlsSetup as Extract<QuicTlsSetup, { role: 'server' }>;
    this.tls = new ServerHandshake(
      { ...setup.config, transportParameters: this.localTransportParameters() },
      { conn: this.recovery.connId, ...setup.options },
    );
    return true;
  }

  private addressedToUs(p: Packet): boolean {
    if (this.localCids.has(p.dcid)) return true;
    // A client's Initial packets carry the original DCID until it learns ours (RFC 9000 §7.2).
    return this.role === 'server' && p.form === 'long' && p.type === 'initial' && cidEquals(p.dcid, this.originalDcid);
  }

  private processPacket(p: Packet, datagram: Uint8Array, now: number, path: QuicPath): void {
    if (p.form === 'long' && p.type === '0rtt') {
      this.stats.dropped++; // 0-RTT is not offered
      return;
    }
    const space: SpaceId = p.form === 'short' ? 'application' : (p.type as 'initial' | 'handshake');
    if (this.discarded[space]) {
      this.stats.dropped++;
      return;
    }
    const keys = this.keys[space].read;
    if (!keys) {
      // RFC 9001 §5.7: keep a few packets that arrive before their keys.
      if (this.deferred.length < MAX_DEFERRED) this.deferred.push({ datagram, packet: p, path });
      else this.stats.dropped++;
      return;
    }
    const bytes = datagram.subarray(p.offset, p.end);
    const largest = this.recovery.spaces[space].largestReceived;
    let choice: KeyChoice = 'current';
    let u: UnprotectResult;
    if (space === 'application' && this.ku) {
      const ku = this.ku;
      ku.expire(now);
      u = unprotectPacketWith(keys, bytes, p.pnOffset - p.offset, largest, (bit, pn) => {
        const c = ku.choose(bit, pn);
        choice = c.which;
        return c.keys;
      });
    } else {
      u = unprotectPacket(keys, bytes, p.pnOffset - p.offset, largest);
    }
    if (!u.ok) {
      if (u.error === 'reserved-bits') {
        this.closeTransport('PROTOCOL_VIOLATION', 0, u.message);
        return;
      }
      this.stats.dropped++;
      return;
    }
    if (this.role === 'client' && space === 'initial' && !this.peerCidKnown && p.form === 'long') {
      this.peerCids.setFirst(p.scid.slice()); // RFC 9000 §7.2: use the server's chosen id from now on
      this.peerCidKnown = true;
    }
    const packetType = p.form === 'short' ? '1rtt' : (p.type as 'initial' | 'handshake');
    const decoded = decodeFrames(u.payload, { packetType, sender: PEER[this.role] });
    if (!decoded.ok) {
      this.closeWithError(decoded.error);
      return;
    }
    const frames = decoded.frames;
    if (!this.recovery.onPacketReceived(space, u.pn, isAckEliciting(frames), now)) {
      this.stats.dropped++; // duplicate (RFC 9000 §12.3)
      return;
    }
    if (space === 'application' && this.ku) {
      const k = this.ku.onOpened(choice, u.pn, now, this.ptoPeriod(), this.recovery.spaces.application.nextPn);
      if (!k.ok) return this.closeTransport('KEY_UPDATE_ERROR', 0, k.message);
      if (k.updated) this.keys.application = { read: this.ku.read, write: this.ku.write };
    }
    this.stats.packetsIn++;
    this.lastActivity = now;
    this.ackElicitingSinceReceive = false;
    if (this.role === 'server' && space === 'handshake') {
      if (!this.addressValidated) {
        this.addressValidated = true; // RFC 9000 §8.1: a Handshake packet proves the address
        this.recovery.onAddressValidated(now);
      }
      if (!this.discarded.initial) this.discardSpace('initial', now); // RFC 9001 §4.9.1
    }
    for (const f of frames) {
      this.onFrame(space, f, now, p.dcid, path);
      if (this.closingOrClosed()) return;
    }
    if (space === 'application' && u.pn === this.recovery.spaces.application.largestReceived && !frames.every((f) => PROBING_FRAMES.has(f.type))) {
      this.onNonProbing(p.dcid, path, datagram.length, now);
    }
  }

  /**
   * The peer's newest non-probing packet came on `path` to our id `dcid` (RFC 9000 §9.3). On a new
   * path (server, handshake confirmed): that path becomes the one we send on, under the
   * anti-amplification limit until validated with PATH_CHALLENGE (§8.2, §9.3), with congestion
   * control and RTT restarted unless only the port changed (§9.4), and, when the peer also moved to
   * another of our ids (an active migration rather than a NAT rebinding), with a new peer id of its
   * own (§9.5). Going back to the last validated path needs no validation.
   */
  private onNonProbing(dcid: Uint8Array, path: QuicPath, bytes: number, now: number): void {
    const newDcid = !cidEquals(dcid, this.peerDcidUsed);
    this.peerDcidUsed = dcid.slice();
    if (samePath(path, this.path) || this.role !== 'server' || !this.confirmed) return;
    this.migrations.peer++;
    const hostChanged = hostOf(path.remote) !== hostOf(this.path.remote);
    if (!this.validation) this.validatedPath = this.path;
    this.path = path;
    if (newDcid) this.peerCids.switchToUnused();
    if (this.validatedPath && samePath(path, this.validatedPath)) {
      this.validation = undefined;
      this.recovery.onPathChanged(hostChanged, true, bytes, now);
      return;
    }
    this.recovery.onPathChanged(hostChanged, false, bytes, now);
    // Challenge data from node:crypto: the connection's source may fix bytes (the thread byte of udp/dispatcher.ts).
    this.validation = new PathValidation(path, now, this.ptoPeriod(), cryptoRandom);
  }

  private onPathResponse(data: Uint8Array, now: number): void {
    const v = this.validation;
    if (!v || !v.answers(data)) return;
    this.validation = undefined;
    this.validatedPath = v.path;
    this.migrations.validated++;
    if (samePath(v.path, this.path)) this.recovery.onAddressValidated(now);
  }

  private retryDeferred(now: number): void {
    if (this.deferred.length === 0) return;
    const waiting = this.deferred;
    this.deferred = [];
    for (const d of waiting) {
      if (this.closingOrClosed()) return;
      const space: SpaceId = d.packet.form === 'short' ? 'application' : (d.packet.type as SpaceId);
      if (this.keys[space].read || this.discarded[space]) this.processPacket(d.packet, d.datagram, now, d.path);
      else this.deferred.push(d);
    }
  }

  private onFrame(space: SpaceId, f: Frame, now: number, packetDcid: Uint8Array, path: QuicPath): void {
    switch (f.type) {
      case 'new_connection_id':
        return this.check(this.peerCids.onNewCid(f, this.dcid.length === 0));
      case 'retire_connection_id':
        return this.check(this.localCids.onRetire(f.sequence, packetDcid));
      case 'path_response':
        return this.onPathResponse(f.data, now);
      case 'padding':
      case 'ping':
      case 'new_token':
      case 'data_blocked':
      case 'streams_blocked':
        return;
      case 'ack':
        return this.onAck(space, f, now);
      case 'crypto': {
        const out = qcHandleCryptoFrm(this.cryptoRx[space], f);
        if (out.kind !== 'data') return this.closeWithError(out.error);
        if (out.data.length > 0 && this.tls) this.onTls(this.tls.receive(space as EncryptionLevel, out.data));
        return;
      }
      case 'stream':
        return this.check(this.streams.onStream(f));
      case 'reset_stream':
        return this.check(this.streams.onResetStream(f));
      case 'stop_sending':
        return this.check(this.streams.onStopSending(f));
      case 'max_data':
        return this.streams.onMaxData(f.maximum);
      case 'max_stream_data':
        return this.check(this.streams.onMaxStreamData(f));
      case 'max_streams':
        return this.streams.onMaxStreams(f.bidi, f.maximum);
      case 'stream_data_blocked':
        return this.check(this.streams.onStreamDataBlocked(f.streamId));
      case 'path_challenge':
        if (this.pathResponses.length < 4) this.pathResponses.push({ data: f.data.slice(), path });
        return;
      case 'connection_close':
        return this.onPeerClose(f, now);
      case 'handshake_done':
        if (!this.confirmed) this.confirm(now);
        return;
    }
  }

  private check(err: QuicDecodeError | null): void {
    if (err) this.closeWithError(err);
  }

  private onAck(space: SpaceId, f: Extract<Frame, { type: 'ack' }>, now: number): void {
    const out = this.recovery.onAckReceived(space, f, now);
    if (!out.ok) return this.closeWithError(out.error);
    if (space === 'application' && this.ku && f.ranges.length > 0) this.ku.onAckReceived(f.ranges[0].largest);
    for (const p of out.acked) for (const r of p.payload ?? []) this.onRecordAcked(r);
    this.onPacketsLost(out.lost);
  }

  private onRecordAcked(r: SentRecord): void {
    if (r.k === 'crypto') this.cryptoTx[r.space].onAck(r.offset, r.length, false);
    else this.streams.onAcked(r);
  }

  private onPacketsLost(lost: readonly SentPacket<SentRecord[]>[]): void {
    this.stats.packetsLost += lost.length;
    for (const p of lost) for (const r of p.payload ?? []) this.requeue(r);
  }

  /** Queues the information of a lost (or PTO-probed) frame again (RFC 9000 §13.3). */
  private requeue(r: SentRecord): void {
    if (r.k === 'crypto') {
      if (!this.discarded[r.space]) this.cryptoTx[r.space].onLost(r.offset, r.length, false);
    } else if (r.k === 'new_cid') {
      this.localCids.onLost(r.seq);
    } else if (r.k === 'retire_cid') {
      this.peerCids.onLost(r.seq);
    } else if (r.k === 'handshake_done') {
      if (this.role === 'server') this.handshakeDonePending = true;
    } else {
      this.streams.onLost(r);
    }
  }

  // ------------------------------------------------------------------ TLS

  private onTls(events: readonly HandshakeEvent[]): void {
    for (const e of events) {
      if (this.closingOrClosed()) return;
      switch (e.kind) {
        case 'send':
          this.cryptoTx[e.level].write(e.bytes);
          break;
        case 'install-keys': {
          const k = derivePacketKeys(e.suite, e.secret);
          this.keys[e.level][e.direction] = k;
          const app = this.keys.application;
          if (e.level === 'application' && app.read && app.write && !this.ku) this.ku = new KeyPhase(app.read, app.write);
          if (e.level === 'handshake' && e.direction === 'write') this.recovery.hasHandshakeKeys = true;
          break;
        }
        case 'transport-parameters':
          this.onPeerTransportParameters(e.params);
          break;
        case 'complete':
          this.complete = true;
          this.stateValue = 'established';
          this.events.push({ kind: 'handshake-done', summary: e.summary });
          // RFC 9001 §4.1.2: the server's handshake is confirmed when it completes.
          if (this.role === 'server') {
            this.handshakeDonePending = true;
            this.confirm(this.now);
          }
          break;
        case 'error':
          this.closeLocal({ by: 'local', app: false, errorCode: e.error.quicErrorCode, frameType: 0x06, reason: e.error.alert.message });
          break;
      }
    }
  }

  /** Handshake confirmed (RFC 9001 §4.1.2): discard Handshake keys (§4.9.2), arm the Application PTO. */
  private confirm(now: number): void {
    this.confirmed = true;
    this.recovery.confirmHandshake(now);
    if (!this.discarded.handshake) this.discardSpace('handshake', now);
  }

  private onPeerTransportParameters(bytes: Uint8Array): void {
    const d = decodeTransportParameters(bytes, PEER[this.role]);
    if (!d.ok) return this.closeWithError(d.error);
    const p = d.params;
    const bad = (what: string) => this.closeTransport('TRANSPORT_PARAMETER_ERROR', 0, `${what} (RFC 9000 §7.3)`);
    if (!p.initialSourceConnectionId || !cidEquals(p.initialSourceConnectionId, this.dcid)) {
      return bad('initial_source_connection_id differs from the Source Connection ID of the peer\'s Initial');
    }
    if (this.role === 'client') {
      if (!p.originalDestinationConnectionId || !cidEquals(p.originalDestinationConnectionId, this.originalDcid)) {
        return bad('original_destination_connection_id differs from the DCID of our first Initial');
      }
      const rs = this.retryFollowed?.scid;
      if (rs ? !p.retrySourceConnectionId || !cidEquals(p.retrySourceConnectionId, rs) : p.retrySourceConnectionId) {
        return bad(rs ? 'retry_source_connection_id differs from the Source Connection ID of the Retry' : 'retry_source_connection_id without a Retry');
      }
    }
    this.peerParams = p;
    this.recovery.maxAckDelay = p.maxAckDelay;
    this.recovery.ackDelayExponent = p.ackDelayExponent;
    this.streams.setPeerParams(p);
    if (this.role === 'client' && p.statelessResetToken) this.peerCids.setFirst(this.dcid, p.statelessResetToken);
    this.localCids.setPeerLimit(p.activeConnectionIdLimit);
  }

  private localTransportParameters(): Uint8Array {
    const s = this.settings;
    const p: Partial<TransportParameters> = {
      maxIdleTimeout: s.maxIdleTimeout,
      initialMaxData: s.initialMaxData,
      initialMaxStreamDataBidiLocal: s.initialMaxStreamDataBidiLocal,
      initialMaxStreamDataBidiRemote: s.initialMaxStreamDataBidiRemote,
      initialMaxStreamDataUni: s.initialMaxStreamDataUni,
      initialMaxStreamsBidi: s.initialMaxStreamsBidi,
      initialMaxStreamsUni: s.initialMaxStreamsUni,
      ackDelayExponent: s.ackDelayExponent,
      maxAckDelay: s.maxAckDelay,
      activeConnectionIdLimit: Math.max(2, s.activeConnectionIdLimit),
      initialSourceConnectionId: this.localCid,
      // RFC 9000 §18.2: the server's first id has its stateless reset token; migration is allowed (§9).
      ...(this.role === 'server' ? { originalDestinationConnectionId: this.retried?.originalDcid ?? this.originalDcid, statelessResetToken: this.localCids.firstToken } : {}),
      // RFC 9000 §7.3: after a Retry, the server names the Retry's Source Connection ID.
      ...(this.retried ? { retrySourceConnectionId: this.retried.retryScid } : {}),
    };
    return encodeTransportParameters(p);
  }

  private installInitialKeys(): void {
    const k = deriveInitialKeys(this.originalDcid);
    this.keys.initial = this.role === 'client' ? { read: k.server, write: k.client } : { read: k.client, write: k.server };
  }

  /** Drops a space's keys and state (RFC 9001 §4.9, RFC 9002 §6.4). */
  private discardSpace(space: 'initial' | 'handshake', now: number): void {
    this.discarded[space] = true;
    this.keys[space] = {};
    this.probes[space] = 0;
    this.recovery.discardSpace(space, now);
    cryptoRxRelease(this.cryptoRx[space]);
    this.cryptoTx[space] = new SendBuffer();
  }

  // ------------------------------------------------------------------ closing

  private closeWithError(e: QuicDecodeError): void {
    this.closeLocal({ by: 'local', app: false, errorCode: e.code, frameType: e.frameType, reason: e.message });
  }

  private closeTransport(name: keyof typeof TRANSPORT_ERROR, frameType: number, reason: string): void {
    this.closeLocal({ by: 'local', app: false, errorCode: TRANSPORT_ERROR[name], frameType, reason });
  }

  private closeLocal(r: CloseReason): void {
    if (this.closingOrClosed()) return;
    this.stateValue = 'closing';
    this.reason = r;
    const reason = Buffer.from(r.reason, 'utf8').subarray(0, 256);
    this.closeFrame = { type: 'connection_close', kind: r.app ? 'application' : 'transport', errorCode: r.errorCode, frameType: r.frameType, reason: new Uint8Array(reason) };
    this.closeSendPending = true;
    this.closeEnd = this.now + 3 * this.ptoPeriod();
    this.events.push({ kind: 'closed', reason: r });
    this.release();
  }

  private onPeerClose(f: ConnectionCloseFrame, now: number): void {
    this.stateValue = 'draining'; // RFC 9000 §10.2.2
    this.reason = { by: 'peer', app: f.kind === 'application', errorCode: f.errorCode, frameType: f.frameType, reason: Buffer.from(f.reason).toString('utf8') };
    this.closeEnd = now + 3 * this.ptoPeriod();
    this.events.push({ kind: 'closed', reason: this.reason });
    this.release();
  }

  private release(): void {
    this.streams.release();
    for (const id of SPACE_IDS) cryptoRxRelease(this.cryptoRx[id]);
    this.deferred = [];
  }

  private ptoPeriod(): number {
    return this.recovery.rtt.ptoBase() + this.recovery.maxAckDelay;
  }

  // ------------------------------------------------------------------ timers

  private idleDeadline(): number | undefined {
    const local = this.settings.maxIdleTimeout;
    const peer = this.peerParams?.maxIdleTimeout ?? 0;
    const t = local === 0 ? peer : peer === 0 ? local : Math.min(local, peer);
    if (t === 0) return undefined;
    return this.lastActivity + Math.max(t, 3 * this.ptoPeriod()); // RFC 9000 §10.1
  }

  /** The next time `onTimeout` must be called, or undefined when nothing is scheduled. */
  deadline(): number | undefined {
    if (this.stateValue === 'closed') return undefined;
    if (this.stateValue === 'closing' || this.stateValue === 'draining') return this.closeEnd;
    let t = this.idleDeadline() ?? Infinity;
    const r = this.recovery.deadline();
    if (r !== undefined) t = Math.min(t, r);
    if (this.validation) t = Math.min(t, this.validation.deadline(this.ptoPeriod()));
    if (this.recovery.amplification.allowance() >= this.datagramFloor()) {
      for (const id of SPACE_IDS) {
        if (!this.keys[id].write) continue;
        const a = this.recovery.spaces[id].ackDeadline(id === 'application' ? this.settings.maxAckDelay : 0);
        if (a !== undefined) t = Math.min(t, a);
      }
    }
    if (this.pacingWake !== undefined) t = Math.min(t, this.pacingWake);
    return t === Infinity ? undefined : t;
  }

  /** Handles every timer due at `now`: closing/draining end, idle timeout, loss detection and PTO (RFC 9002 §6.2). */
  onTimeout(now: number): void {
    this.now = now;
    if (this.stateValue === 'closed') return;
    if (this.stateValue === 'closing' || this.stateValue === 'draining') {
      if (now >= this.closeEnd) this.stateValue = 'closed';
      return;
    }
    const idle = this.idleDeadline();
    if (idle !== undefined && now >= idle) {
      this.stateValue = 'closed';
      this.reason = { by: 'idle', app: false, errorCode: TRANSPORT_ERROR.NO_ERROR, frameType: 0, reason: 'idle timeout' };
      this.events.push({ kind: 'closed', reason: this.reason });
      this.release();
      return;
    }
    if (this.pacingWake !== undefined && now >= this.pacingWake) this.pacingWake = undefined;
    if (this.validation && this.validation.onTimeout(now, this.ptoPeriod()) === 'failed') this.onValidationFailed(now);
    const r = this.recovery.deadline();
    if (r !== undefined && now >= r) this.onRecoveryTimeout(this.recovery.onTimeout(now));
  }

  /** The new path did not answer in time: back to the last validated one (RFC 9000 §9.3.2). */
  private onValidationFailed(now: number): void {
    this.validation = undefined;
    this.migrations.failed++;
    const back = this.validatedPath;
    if (!back) return;
    const hostChanged = hostOf(back.remote) !== hostOf(this.path.remote);
    this.path = back;
    this.recovery.onPathChanged(hostChanged, true, 0, now);
  }

  /** Smallest datagram worth building: 1200 bytes while Initial or Handshake packets may be sent (RFC 9000 §14.1). */
  private datagramFloor(): number {
    return this.discarded.initial && this.discarded.handshake ? SHORT_DATAGRAM_FLOOR : MIN_INITIAL_DATAGRAM;
  }

  private onRecoveryTimeout(out: TimeoutOutcome<SentRecord[]>): void {
    switch (out.kind) {
      case 'none':
        return;
      case 'lost':
        return this.onPacketsLost(out.lost);
      case 'pto': {
        this.stats.ptoCount++;
        this.probes[out.space] = out.probes;
        // RFC 9002 §6.2.4: probe with new data if any, else with data not yet acknowledged.
        if (this.hasPendingIn(out.space)) return;
        const inFlight = [...this.recovery.spaces[out.space].sent.values()].filter((p) => p.ackEliciting);
        const take = out.space === 'application' ? inFlight.slice(0, 2) : inFlight;
        for (const p of take) for (const rec of p.payload ?? []) this.requeue(rec);
        return;
      }
      case 'anti-deadlock':
        this.stats.ptoCount++;
        this.probes[out.space] = 1; // RFC 9002 §6.2.2.1
        return;
    }
  }

  // ------------------------------------------------------------------ sending

  /**
   * The next datagram to send at `now`, or null when nothing can be sent (nothing pending,
   * congestion window or anti-amplification limit reached, or pacing: see `deadline`). Call it
   * until it returns null after every input.
   */
  transmit(now: number): OutgoingDatagram | null {
    this.now = now;
    if (this.stateValue === 'closed' || this.stateValue === 'draining') return null;
    if (this.stateValue === 'handshake' && this.role === 'server' && !this.tls) return null;
    if (this.stateValue !== 'closing') {
      const i = this.pathResponses.findIndex((r) => !samePath(r.path, this.path));
      if (i >= 0) {
        const r = this.pathResponses.splice(i, 1)[0];
        const probe = this.buildPathResponse(now, r.data);
        if (probe) {
          this.stats.datagramsOut++;
          this.stats.bytesOut += probe.length;
          return { data: probe, path: r.path };
        }
      }
    }
    const data = this.stateValue === 'closing' ? this.buildClose() : this.buildDatagram(now);
    if (!data) return null;
    this.stats.datagramsOut++;
    this.stats.bytesOut += data.length;
    return { data, path: this.path };
  }

  private hasPendingIn(space: SpaceId): boolean {
    if (this.cryptoTx[space].hasPending()) return true;
    if (space !== 'application') return false;
    return this.handshakeDonePending || this.pingPending || this.validation?.pending === true || this.pathResponses.length > 0 || this.localCids.hasPending() || this.peerCids.hasPending() || this.streams.hasPending();
  }

  private buildDatagram(now: number): Uint8Array | null {
    const amp = this.recovery.amplification.allowance();
    const maxSize = Math.min(this.maxDatagramSize, amp);
    if (maxSize < this.datagramFloor()) return null;
    const probing = SPACE_IDS.some((id) => this.probes[id] > 0 && this.keys[id].write);
    let ackOnly = !probing && this.recovery.cc.available() < maxSize;
    if (!ackOnly && !probing) {
      const wait = this.recovery.pacingDelay(now, maxSize);
      // A wait lost in floating-point rounding (now + wait === now) would re-arm a timer that is already due.
      if (wait > 0 && now + wait > now) {
        this.pacingWake = now + wait;
        ackOnly = true;
      }
    }
    let remaining = maxSize;
    const built: { space: SpaceId; type: SendPacketType; b: PacketBuilder; pn: number; pnLength: 1 | 2 | 3 | 4 }[] = [];
    for (const space of SPACE_IDS) {
      const keys = this.keys[space].write;
      if (!keys) continue;
      const type: SendPacketType = space === 'application' ? '1rtt' : space;
      const sp = this.recovery.spaces[space];
      const pn = sp.nextPn;
      const pnLength = packetNumberLength(pn, sp.largestAcked < 0 ? undefined : sp.largestAcked);
      const tokenLength = type === 'initial' ? this.initialToken().length : 0;
      const budget = remaining - headerSize(type, this.dcid.length, this.localCid.length, tokenLength, pnLength) - AEAD_TAG_LENGTH;
      if (budget < 24) break;
      const b = new PacketBuilder(budget);
      this.fillSpace(space, b, ackOnly, now);
      if (b.empty) continue;
      b.pad(minPayloadForSample(pnLength) - b.length);
      built.push({ space, type, b, pn, pnLength });
      remaining -= headerSize(type, this.dcid.length, this.localCid.length, tokenLength, pnLength) + b.length + AEAD_TAG_LENGTH;
    }
    if (built.length === 0) return null;
    // RFC 9000 §14.1: datagrams with a client Initial, or a server's ack-eliciting Initial, are at least 1200 bytes.
    if (built.some((x) => x.space === 'initial' && (this.role === 'client' || x.b.ackEliciting))) built[built.length - 1].b.pad(remaining);
    // RFC 9000 §8.2.1, §8.2.2: datagrams with PATH_CHALLENGE or PATH_RESPONSE are expanded to 1200 bytes (within the amplification limit).
    else if (built.some((x) => x.b.kinds.includes('path_challenge') || x.b.kinds.includes('path_response'))) {
      built[built.length - 1].b.pad(Math.min(remaining, MIN_INITIAL_DATAGRAM - (maxSize - remaining)));
    }
    const parts: Uint8Array[] = [];
    let sentHandshake = false;
    for (const x of built) {
      const pn = this.recovery.nextPacketNumber(x.space);
      const bytes = sealPacket({
        type: x.type, keys: this.keys[x.space].write!, dcid: this.dcid, scid: this.localCid, token: this.initialToken(), pn, pnLength: x.pnLength, payload: x.b.payload(),
        keyPhase: x.space === 'application' ? this.keyPhase : 0,
      });
      parts.push(bytes);
      this.recovery.onPacketSent(x.space, pn, { ackEliciting: x.b.ackEliciting, inFlight: x.b.inFlight, bytes: bytes.length, payload: x.b.records }, now);
      this.stats.packetsOut++;
      for (const k of x.b.kinds) this.framesSent.set(k, (this.framesSent.get(k) ?? 0) + 1);
      if (x.b.ackEliciting) {
        if (this.probes[x.space] > 0) this.probes[x.space]--;
        if (!this.ackElicitingSinceReceive) this.lastActivity = now; // RFC 9000 §10.1
        this.ackElicitingSinceReceive = true;
      }
      if (x.space === 'handshake') sentHandshake = true;
    }
    // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
    if (this.role === 'client' && sentHandshake && !this.discarded.initial) this.discardSpace('initial', now);
    return joinBytes(parts);
  }

  private fillSpace(space: SpaceId, b: PacketBuilder, ackOnly: boolean, now: number): void {
    const sp = this.recovery.spaces[space];
    const probe = this.probes[space] > 0;
    if (sp.ackPending) {
      const due = sp.ackDeadline(space === 'application' ? this.settings.maxAckDelay : 0);
      const other = probe || (!ackOnly && this.hasPendingIn(space));
      if ((due !== undefined && due <= now) || other) {
        const ack = this.recovery.buildAck(space, now, this.settings.ackDelayExponent);
        if (ack && b.add(ack, null) && space === 'application') this.ku?.onAckSent(ack.ranges[0].largest);
      }
    }
    if (ackOnly && !probe) return;
    if (space === 'application') {
      if (this.handshakeDonePending && b.add({ type: 'handshake_done' }, { k: 'handshake_done' })) this.handshakeDonePending = false;
      for (let i = 0; i < this.pathResponses.length; ) {
        const r = this.pathResponses[i];
        if (!samePath(r.path, this.path)) i++;
        else if (b.add({ type: 'path_response', data: r.data }, null)) this.pathResponses.splice(i, 1);
        else break;
      }
      const v = this.validation;
      if (v?.pending && samePath(v.path, this.path) && b.room > 9) b.add({ type: 'path_challenge', data: v.challenge(now) }, null);
      if (this.pingPending && b.add({ type: 'ping' }, { k: 'ping' })) this.pingPending = false;
      this.localCids.fill(b);
      this.peerCids.fill(b);
    }
    const tx = this.cryptoTx[space];
    while (b.room > 16) {
      const c = tx.next(b.room - 1 - 8 - 2);
      if (!c) break;
      if (!b.add({ type: 'crypto', offset: c.offset, data: c.data }, { k: 'crypto', space, offset: c.offset, length: c.data.length })) {
        tx.onLost(c.offset, c.data.length, false);
        break;
      }
    }
    if (space === 'application') this.streams.fill(b);
    if (probe && !b.ackEliciting) b.add({ type: 'ping' }, { k: 'ping' });
  }

  /**
   * A datagram with a PATH_RESPONSE for a challenge that came on another path than ours (the peer
   * probing a path, RFC 9000 §8.2.2, §9.1), expanded to 1200 bytes, sent on that path.
   */
  private buildPathResponse(now: number, data: Uint8Array): Uint8Array | null {
    const keys = this.keys.application.write;
    if (!keys) return null;
    const sp = this.recovery.spaces.application;
    const pnLength = packetNumberLength(sp.nextPn, sp.largestAcked < 0 ? undefined : sp.largestAcked);
    const overhead = headerSize('1rtt', this.dcid.length, 0, 0, pnLength) + AEAD_TAG_LENGTH;
    const b = new PacketBuilder(this.maxDatagramSize - overhead);
    b.add({ type: 'path_response', data }, null);
    b.pad(MIN_INITIAL_DATAGRAM - overhead - b.length);
    const pn = this.recovery.nextPacketNumber('application');
    const bytes = sealPacket({ type: '1rtt', keys, dcid: this.dcid, scid: this.localCid, token: new Uint8Array(0), pn, pnLength, payload: b.payload(), keyPhase: this.keyPhase });
    this.recovery.onPacketSent('application', pn, { ackEliciting: true, inFlight: true, bytes: bytes.length, payload: [] }, now);
    this.stats.packetsOut++;
    this.framesSent.set('path_response', (this.framesSent.get('path_response') ?? 0) + 1);
    return bytes;
  }

  /** A datagram with CONNECTION_CLOSE in every space we still have keys for (RFC 9000 §10.2.3). */
  private buildClose(): Uint8Array | null {
    if (!this.closeSendPending || !this.closeFrame) return null;
    this.closeSendPending = false;
    const parts: Uint8Array[] = [];
    let hasInitial = false;
    for (const space of SPACE_IDS) {
      const keys = this.keys[space].write;
      if (!keys) continue;
      // An application close in Initial/Handshake packets becomes APPLICATION_ERROR without reason (§10.2.3).
      const frame: ConnectionCloseFrame =
        space !== 'application' && this.closeFrame.kind === 'application'
          ? { type: 'connection_close', kind: 'transport', errorCode: TRANSPORT_ERROR.APPLICATION_ERROR, frameType: 0, reason: new Uint8Array(0) }
          : this.closeFrame;
      const sp = this.recovery.spaces[space];
      const pn = this.recovery.nextPacketNumber(space);
      const pnLength = packetNumberLength(pn, sp.largestAcked < 0 ? undefined : sp.largestAcked);
      const b = new PacketBuilder(this.maxDatagramSize);
      b.add(frame, null);
      b.pad(minPayloadForSample(pnLength) - b.length);
      if (space === 'initial') hasInitial = true;
      if (hasInitial && this.role === 'client' && space === SPACE_IDS.filter((id) => this.keys[id].write).at(-1)) {
        const used = parts.reduce((n, x) => n + x.length, 0);
        const type: SendPacketType = space === 'application' ? '1rtt' : space;
        b.pad(MIN_INITIAL_DATAGRAM - used - headerSize(type, this.dcid.length, this.localCid.length, type === 'initial' ? this.initialToken().length : 0, pnLength) - b.length - AEAD_TAG_LENGTH);
      }
      parts.push(sealPacket({
        type: space === 'application' ? '1rtt' : space, keys, dcid: this.dcid, scid: this.localCid, token: this.initialToken(), pn, pnLength, payload: b.payload(),
        keyPhase: space === 'application' ? this.keyPhase : 0,
      }));
    }
    const data = joinBytes(parts);
    if (data.length === 0 || data.length > this.recovery.amplification.allowance()) return null;
    this.recovery.amplification.onSent(data.length);
    this.stats.packetsOut += parts.length;
    return data;
  }
}
