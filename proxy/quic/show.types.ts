/**
 * Types of `show quic` (proxy/quic/show.ts): the record a worker makes of each QUIC connection it
 * owns, sent to the supervisor as is (plain data: it crosses `postMessage`), and what the application
 * of a connection (the HTTP/3 driver) adds to it. No logic here.
 */
import type { CloseReason, ConnectionState, ConnectionStats } from './connection.types.ts';
import type { RecvState, SendState } from './streams.ts';
import type { SpaceId } from './spaces.ts';

/** HAProxy's `mux=` of `show quic full`: no application yet, running, or gone. */
export type QuicMuxState = 'null' | 'ready' | 'released';

/** A request stream as the application sees it (HTTP/3: one per request in progress). */
export interface QuicAppStream {
  /** QUIC stream id (RFC 9000 §2.1). */
  readonly id: number;
  /** Lifecycle id of its `stream` object (what `show sess` prints as `0x..`). */
  readonly lcId: number;
  /** Request line, already redacted like the lifecycle description. */
  readonly request: string;
}

/** What the application of a connection tells `show quic` (QuicApp.show in udp/listener.ts). */
export interface QuicAppShow {
  /** Lifecycle id of the `quic_conn` object (`show quic` prints it as the connection's id). */
  readonly id: number;
  readonly frontend: string;
  readonly mux: QuicMuxState;
  /** A graceful stop started (HTTP/3 GOAWAY sent, RFC 9114 §5.2). */
  readonly goaway: boolean;
  /** Requests received on the connection so far. */
  readonly requests: number;
  readonly streams: readonly QuicAppStream[];
}

/** Where a connection is known: the worker thread and, from the application, ids and frontend. */
export interface QuicShowContext {
  readonly thread: number;
  /** Lifecycle id of the connection (0 when it has no application, e.g. a bare engine in tests). */
  readonly id?: number;
  readonly frontend?: string;
  readonly app?: QuicAppShow;
}

/** A connection id with its sequence number (RFC 9000 §5.1.1), hex. */
export interface QuicShowCid {
  readonly seq: number;
  readonly cid: string;
  /** The one in use: the peer's id we send to, or (ours) the one the peer's last packet carried. */
  readonly current: boolean;
}

/** One packet number space (RFC 9000 §12.3) as `show quic full` prints it. */
export interface QuicShowSpace {
  readonly space: SpaceId;
  /** Keys discarded (RFC 9001 §4.9): nothing more is sent or received in it. */
  readonly discarded: boolean;
  /** Keys installed to send / receive in it. */
  readonly keys: boolean;
  /** Next packet number to send, largest acknowledged by the peer (-1: none). */
  readonly txNext: number;
  readonly txLargestAcked: number;
  /** Packets sent and awaiting acknowledgement, the ack-eliciting ones among them. */
  readonly txInFlight: number;
  readonly txAckElicitingInFlight: number;
  /** Largest packet number received (-1: none). */
  readonly rxLargest: number;
  readonly ackPending: boolean;
}

/** One QUIC stream (RFC 9000 §3) as `show quic full` prints it. */
export interface QuicShowStream {
  readonly id: number;
  readonly bidi: boolean;
  readonly initiator: 'client' | 'server';
  /** Sending part (absent on a peer's unidirectional stream): state, bytes written, sent, acknowledged, credit. */
  readonly tx?: {
    readonly state: SendState;
    readonly written: number;
    readonly sent: number;
    readonly acked: number;
    readonly limit: number;
    readonly resetCode?: number;
  };
  /** Receiving part (absent on our unidirectional stream): state, bytes delivered, highest offset, window. */
  readonly rx?: {
    readonly state: RecvState;
    readonly delivered: number;
    readonly highest: number;
    readonly limit: number;
    readonly finalSize?: number;
    readonly stopCode?: number;
    /** Delivery paused by the application (receive backpressure): the in-order bytes it holds undelivered. */
    readonly pausedHeld?: number;
  };
  /** The request on it, when the application has one (HTTP/3 request streams). */
  readonly lcId?: number;
  readonly request?: string;
}

/** The paths of a connection (RFC 9000 §8.2, §9). */
export interface QuicShowPaths {
  /** Where datagrams are sent now (`host:port`). */
  readonly local: string;
  readonly remote: string;
  /** Peer address being validated (PATH_CHALLENGE sent), with the time left before it fails (ms). */
  readonly validating?: { readonly remote: string; readonly failsInMs: number };
  /** The last validated path the connection falls back to, when it differs from the active one. */
  readonly fallback?: string;
  /** Migrations: by the peer, validated, failed, and ours (client). */
  readonly migrations: { readonly peer: number; readonly validated: number; readonly failed: number; readonly local: number };
}

/** Everything `show quic` prints about one connection, at one instant. Plain data. */
export interface QuicConnRecord {
  /** Lifecycle id (`quic_conn`), 0 when unknown. */
  readonly id: number;
  readonly thread: number;
  readonly frontend: string;
  readonly role: 'client' | 'server';
  readonly state: ConnectionState;
  readonly handshake: 'in-progress' | 'complete' | 'confirmed';
  /** QUIC version (RFC 9000 §15), 0x00000001. */
  readonly version: number;
  readonly mux: QuicMuxState;
  readonly goaway: boolean;
  /** Our id the peer addresses (SCID of what we send) and the peer's we send to. */
  readonly scid: string;
  readonly dcid: string;
  /** The DCID of the client's first Initial. */
  readonly odcid: string;
  readonly localCids: readonly QuicShowCid[];
  readonly peerCids: readonly QuicShowCid[];
  readonly paths: QuicShowPaths;
  /** Milliseconds until the idle timeout (RFC 9000 §10.1), absent when disabled or closing. */
  readonly idleInMs?: number;
  /** Milliseconds until the engine's next timer (any kind), absent when none. */
  readonly timerInMs?: number;
  /** Negotiated idle timeout (ms, 0: none). */
  readonly idleTimeoutMs: number;
  /** RTT estimates in ms (RFC 9002 §5): latest, smoothed, variation, minimum; PTO count. */
  readonly rtt: { readonly latest: number; readonly srtt: number; readonly rttvar: number; readonly min: number; readonly ptoCount: number };
  /** Congestion control (RFC 9002 §7): window, threshold (-1: infinite), bytes in flight, phase. */
  readonly cc: { readonly cwnd: number; readonly ssthresh: number; readonly inFlight: number; readonly state: string; readonly minCwnd: number };
  /** Anti-amplification (RFC 9000 §8.1): whether the peer's address is validated, bytes still allowed. */
  readonly addressValidated: boolean;
  readonly spaces: readonly QuicShowSpace[];
  /** Connection flow control (RFC 9000 §4.1): what we may send (peer's MAX_DATA), what the peer may send. */
  readonly flow: {
    readonly txLimit: number;
    readonly txUsed: number;
    readonly rxLimit: number;
    readonly rxHighest: number;
    readonly rxConsumed: number;
  };
  /** Our transport parameters and the peer's (RFC 9000 §18.2), HAProxy's `loc. TPs` / `rem. TPs`. */
  readonly tp: { readonly local: string; readonly peer: string };
  readonly keyPhase: 0 | 1;
  readonly keyUpdates: number;
  readonly stats: ConnectionStats;
  readonly closeReason?: CloseReason;
  /** Requests received so far (from the application). */
  readonly requests: number;
  readonly streams: readonly QuicShowStream[];
}

/** One worker's answer to `show quic`: its records, or why it gave none. */
export interface QuicShowAnswer {
  readonly thread: number;
  readonly records?: readonly QuicConnRecord[];
  /** e.g. `no answer within 1000 ms`, `not running`. */
  readonly error?: string;
}

/** `show quic [oneline|full] [all|<id>]` parsed. */
export interface ShowQuicArgs {
  readonly format: 'oneline' | 'full';
  /** `all`: closing and draining connections too (HAProxy's QC_CLI_FL_SHOW_ALL). */
  readonly all: boolean;
  /** Only this connection (lifecycle id), whatever its state. */
  readonly id?: number;
}
