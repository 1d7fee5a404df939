/**
 * The QUIC datagram dispatcher of a worker thread: decides, for each UDP datagram a thread
 * receives, whether a connection of this thread takes it, whether it starts a new connection here,
 * whether it belongs to a connection owned by another thread (then it is handed over), or whether
 * it is dropped. Pure: no sockets, no timers; the listener (listener.ts) acts on its answer.
 *
 * Why it exists: every worker binds the QUIC port with SO_REUSEPORT, and the kernel spreads
 * datagrams by 4-tuple. A connection is created on the thread that got its first Initial and the
 * same 4-tuple keeps landing there, but a client that migrates or is NAT-rebound (RFC 9000 §9) shows
 * up with a new 4-tuple, hence possibly on another thread. HAProxy's dispatcher handed such
 * datagrams across threads without enough synchronisation and crashed (seed crash 2). The design
 * here has nothing to synchronise:
 *
 * - **Ownership is in the connection id.** Every connection id this server issues (RFC 9000 §5.1,
 *   LOCAL_CID_LENGTH bytes) carries its owning thread in its first byte (`threadCidSource`); the
 *   remaining bytes are random. Any thread can tell the owner of a short-header packet (RFC 9000
 *   §17.3: only the DCID) without a shared table.
 * - **A connection is touched by one thread only.** The connection object, its streams and its
 *   table entries live in the owner's heap; other threads never hold a reference, only the owner's
 *   number. A datagram crossing threads is a copy (its bytes in a fresh ArrayBuffer, transferred,
 *   with the path it arrived on); the owner processes it like one of its own, so a path change is
 *   seen, and acted on, by the owner alone, and replies leave from the owner's socket (bound to the
 *   same address and port).
 * - **Nothing outlives what it points to.** The only cross-thread reference is a thread number. A
 *   handed-over datagram that arrives after its connection ended (or after the owner thread was
 *   restarted with an empty table) finds no entry and is dropped and counted, never dereferenced.
 *   A handed-over datagram is never handed over again (`forwarded`), so no loop can form.
 * - A client's first Initial carries a DCID the client chose at random (RFC 9000 §7.2); when it
 *   happens to look like ours (8 bytes whose first byte names another thread, about nbthread/256 of
 *   8-byte ids) it is handed to that thread, which starts the connection: consistent, one hop more.
 *   A late client Initial whose connection ended may start a connection that never decrypts
 *   anything; it ends at its idle timeout.
 * - Messages between threads go through the supervisor (proxy/supervisor/supervisor.ts relays
 *   `quic-dgram` messages to the worker of that thread number), which survives worker restarts.
 * - A long header of a version other than v1 never reaches a connection: in a datagram of 1200 bytes
 *   or more it is answered, by the thread that got it, with Version Negotiation (`negotiate`,
 *   version-negotiation.ts, RFC 9000 §6.1); otherwise it is dropped (never a VN for a VN).
 * - A short header dropped for an unknown connection id (`unknown-cid`, `owner-gone`) is what the
 *   listener answers with a stateless reset (RFC 9000 §10.3): the owner thread is the one that
 *   answers, since the datagram was handed to it first.
 */
import { cidHex, cryptoRandom, LOCAL_CID_LENGTH, type RandomSource } from '../cid.ts';
import { QuicConnection } from '../connection.ts';
import { MAX_CID_LENGTH, QUIC_V1 } from '../packet.types.ts';
import { longHeaderVersion, versionNegotiation } from '../version-negotiation.ts';

/** Largest thread number a connection id can carry (one byte). */
export const MAX_CID_THREAD = 255;

/**
 * A RandomSource for a server QuicConnection of thread `thread` (1..255): the connection ids it
 * draws carry the thread in their first byte (see module doc); the other bytes come from `random`
 * (node:crypto by default). QuicConnection draws only its own connection ids from this source on
 * the server side.
 */
export function threadCidSource(thread: number, random: RandomSource = cryptoRandom): RandomSource {
  if (!Number.isInteger(thread) || thread < 1 || thread > MAX_CID_THREAD) throw new RangeError(`thread ${thread} cannot be carried by a connection id (1..${MAX_CID_THREAD})`);
  return (n) => {
    const b = random(n);
    if (n > 0) b[0] = thread;
    return b;
  };
}

/** The thread a connection id of ours names (its first byte), or 0 when it cannot be one of ours. */
export function cidOwner(dcid: Uint8Array): number {
  return dcid.length === LOCAL_CID_LENGTH ? dcid[0] : 0;
}

/**
 * The Destination Connection ID of the first packet of a datagram (RFC 9000 §17.2, §17.3), or null
 * when the bytes cannot be a QUIC packet. A short header's DCID is LOCAL_CID_LENGTH bytes (ours).
 */
export function datagramDcid(d: Uint8Array): { dcid: Uint8Array; long: boolean } | null {
  if (d.length < 1 + LOCAL_CID_LENGTH) return null;
  if ((d[0] & 0x80) === 0) return { dcid: d.subarray(1, 1 + LOCAL_CID_LENGTH), long: false };
  if (d.length < 6) return null;
  const len = d[5];
  if (len > MAX_CID_LENGTH || d.length < 6 + len) return null;
  return { dcid: d.subarray(6, 6 + len), long: true };
}

/** What to do with a datagram (see QuicDispatcher.route). */
export type DispatchDecision<C> =
  /** A connection of this thread takes it. */
  | { readonly kind: 'local'; readonly conn: C }
  /** A client Initial that may start a connection here (RFC 9000 §7.2, §14.1); `odcid` keys it. */
  | { readonly kind: 'new'; readonly odcid: Uint8Array }
  /** It belongs to a connection of thread `thread`: hand it over. */
  | { readonly kind: 'forward'; readonly thread: number }
  /** A long header of an unsupported version `version`: send `packet`, a Version Negotiation (RFC 9000 §6.1). */
  | { readonly kind: 'negotiate'; readonly packet: Uint8Array; readonly version: number }
  /** Nothing takes it; `why` says what (counted by the listener). */
  | { readonly kind: 'drop'; readonly why: DropReason };

/** Why a datagram is dropped: `unsupported-version` covers datagrams too small for Version Negotiation and VN packets. */
export type DropReason = 'not-quic' | 'unknown-cid' | 'owner-gone' | 'unsupported-version';

/**
 * Counters of a dispatcher (`show quic` and tests). `created` counts client Initials that may start
 * a connection (before the listener's Retry check); the listener counts what it answers without a
 * connection: Retry packets sent, tokens validated and refused (RFC 9000 §8.1.2), Version
 * Negotiation packets sent (§6.1), stateless resets sent and those the rate limit held back (§10.3).
 */
export interface DispatchStats {
  local: number;
  created: number;
  forwarded: number;
  received: number;
  dropped: number;
  retrySent: number;
  retryValidated: number;
  retryFailed: number;
  vnSent: number;
  /** Version Negotiation answers withheld by the per-address / global rate limit. */
  vnLimited: number;
  resetSent: number;
  resetLimited: number;
  /** Stateless resets not sent because another process may serve the port (draining, or after a reload). */
  resetSuppressed: number;
}

/**
 * The connection table of one thread (one per QUIC listener) and the routing decision. `C` is the
 * listener's connection record. Every connection id of a connection (ours, and the client's
 * original DCID while its Initials may still use it) maps to it until `forget`.
 */
export class QuicDispatcher<C> {
  /** This thread's number (1..255). */
  readonly thread: number;
  /** Number of worker threads: a connection id naming a thread outside 1..nbthread is not ours. */
  readonly nbthread: number;
  readonly stats: DispatchStats = {
    local: 0, created: 0, forwarded: 0, received: 0, dropped: 0, retrySent: 0, retryValidated: 0, retryFailed: 0, vnSent: 0, vnLimited: 0, resetSent: 0, resetLimited: 0, resetSuppressed: 0,
  };
  private readonly table = new Map<string, C>();

  constructor(thread: number, nbthread: number) {
    if (!Number.isInteger(thread) || thread < 1 || thread > Math.min(nbthread, MAX_CID_THREAD)) throw new RangeError(`thread ${thread} is not in 1..${nbthread}`);
    this.thread = thread;
    this.nbthread = nbthread;
  }

  /** Number of connection ids in the table. */
  get size(): number {
    return this.table.size;
  }

  /** Routes connection id `cid` to `conn` (this thread's). */
  add(cid: Uint8Array, conn: C): void {
    this.table.set(cidHex(cid), conn);
  }

  /** Removes connection id `cid` (the connection ended or retired it); later datagrams for it are dropped. */
  forget(cid: Uint8Array): void {
    this.table.delete(cidHex(cid));
  }

  /** The connection `cid` routes to on this thread, if any. */
  lookup(cid: Uint8Array): C | undefined {
    return this.table.get(cidHex(cid));
  }

  /**
   * Decides where `datagram` goes. `forwarded`: it was handed over by another thread (never handed
   * over again). Order: a long header of another version than v1 (Version Negotiation or
   * dropped); a connection of this thread (by DCID); a connection id naming another thread (handed
   * over, unless already handed over); a client Initial acceptable as a first datagram (a new
   * connection here); otherwise dropped.
   */
  route(datagram: Uint8Array, forwarded = false): DispatchDecision<C> {
    if (forwarded) this.stats.received++;
    const version = longHeaderVersion(datagram);
    if (version !== null && version !== QUIC_V1) {
      const vn = versionNegotiation(datagram);
      return vn.kind === 'answer' ? { kind: 'negotiate', packet: vn.packet, version: vn.version } : this.drop('unsupported-version');
    }
    const h = datagramDcid(datagram);
    if (!h) return this.drop('not-quic');
    const conn = this.table.get(cidHex(h.dcid));
    if (conn !== undefined) {
      this.stats.local++;
      return { kind: 'local', conn };
    }
    const owner = cidOwner(h.dcid);
    if (!forwarded && owner !== this.thread && owner >= 1 && owner <= this.nbthread) {
      this.stats.forwarded++;
      return { kind: 'forward', thread: owner };
    }
    if (h.long) {
      const odcid = QuicConnection.acceptableFirstDatagram(datagram);
      if (odcid) {
        this.stats.created++;
        return { kind: 'new', odcid: odcid.slice() };
      }
    }
    return this.drop(forwarded && owner === this.thread ? 'owner-gone' : 'unknown-cid');
  }

  private drop(why: DropReason): DispatchDecision<C> {
    this.stats.dropped++;
    return { kind: 'drop', why };
  }
}
