/**
 * One peer session (one TCP connection with a remote peer), sans-IO: bytes, the time and commands
 * in; bytes to send, typed events and the next deadline out. It runs the handshake
 * (proxy/peers/handshake.ts), then the message protocol of `haproxy-peers-protocol.txt`
 * (proxy/peers/codec.ts) over the local stick-tables it is given:
 *
 * - teaching: before the first update of a table, its definition (0x82); then the entries changed
 *   locally since the last update the peer acknowledged (incremental teaching from
 *   `teachFrom(table)`), in update id order, as updates (0x80, or 0x85 with the remaining lifetime
 *   when the table has an expire and the peer speaks 2.1); acknowledgements (0x84) received move
 *   `acked`, reported as events so that the next session starts from there;
 * - full resync on request: a resync request (control 0) makes the session teach every entry, then
 *   send resync finished (control 1) when `synced()` says the local tables are complete, resync
 *   partial (control 2) otherwise, and wait for the confirmation (control 3);
 * - learning: `requestResync()` sends a resync request; the updates received are applied to the
 *   matching local table (same name, key type and key length) as learned from `source`, with
 *   their remaining lifetime when timed, and acknowledged (the last update id per table, after
 *   each batch of input); resync finished/partial is answered with a confirmation;
 * - liveness: a heartbeat (control 4) after 3 s without sending, the session closes after 5 s
 *   without receiving anything (the protocol text's "Heartbeat messages");
 * - errors: a protocol error is answered with the error message (class 1) and the session closes.
 *
 * Every state transition (session state, learn state, teach state) is recorded by the `peers`
 * trace source (`sess` and `resync` events) and kept in `transitions` for tests and `show peers`.
 * After `release()` (the driver dropped the connection) the session must not be used: its learn
 * state is read through {@link learnStateOf}, which BUG_ONs on a released session.
 */
import { panic, setCurrentObject } from '../../diag/invariants.ts';
import { PeerDecoder, PeerEncoder } from './codec.ts';
import { PeerAcceptor, PeerInitiator } from './handshake.ts';
import { PEER_STATUS, type PeerHello, type PeerMessage, type PeerStatus, type TableDefinition } from './peers.types.ts';
import { definitionMatches, entryToUpdate, learnedValues, peerTableDefinition, tableKeyOf, type PeerTable } from './tables.ts';
import { PTP } from './trace.ts';
import type { StickUpdateEntry } from '../stick/table.ts';

/** Session states (HAProxy's PEER_SESS_ST_*, simplified). */
export type PeerSessionState = 'connecting' | 'hello-sent' | 'wait-hello' | 'established' | 'closed' | 'released';

/** Learning side of a session: nothing asked, resync requested, or the answer received. */
export type PeerLearnState = 'none' | 'requested' | 'finished' | 'partial';

/** Teaching side: incremental, a full resync being sent, waiting for its confirmation. */
export type PeerTeachState = 'incremental' | 'full' | 'wait-confirm';

/** Heartbeat period and silence timeout of the protocol text (ms). */
export const PEER_HEARTBEAT_MS = 3000;
export const PEER_TIMEOUT_MS = 5000;
/** Period of the incremental teaching scan when the table changed (ms). */
export const PEER_TEACH_SCAN_MS = 50;

/** What a session reports to its driver. */
export type PeerSessionEvent =
  | { readonly kind: 'established'; readonly peer: string; readonly minor: number }
  /** The remote answered a status other than 200 (initiator), or we refused its hello (acceptor). */
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string; readonly downgrade: boolean }
  | { readonly kind: 'resync-asked' }
  | { readonly kind: 'learn-finished'; readonly partial: boolean; readonly learned: number }
  | { readonly kind: 'teach-confirmed' }
  | { readonly kind: 'acked'; readonly table: string; readonly updateId: number }
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'closed'; readonly reason: string; readonly status?: string };

/** Options of a session. */
export interface PeerSessionOptions {
  readonly role: 'initiator' | 'acceptor';
  readonly localPeer: string;
  /** The peer connected to (initiator); an acceptor learns it from the hello. */
  readonly remotePeer?: string;
  /** Acceptor: the answer to a well-formed hello addressed to us (200 accepts). */
  readonly decide?: (hello: PeerHello) => PeerStatus;
  readonly pid: number;
  /** Connection id in trace records and faults. */
  readonly conn: number;
  /** The local tables of the section. */
  readonly tables: readonly PeerTable[];
  /** Peer source number recorded on learned entries (> 0), once the remote peer is known. */
  readonly sourceOf: (peer: string) => number;
  /** Where incremental teaching of `table` to `peer` starts (the last acknowledged update id). */
  readonly teachFrom: (peer: string, table: string) => number;
  /** Whether the local tables are complete (resync finished vs partial). */
  readonly synced: () => boolean;
  /** Minor version to announce as initiator (0 after a 502, as HAProxy). */
  readonly minor?: 0 | 1;
  /**
   * Hold incremental teaching until the peer asks for a full resync (or {@link PeerSession.releaseTeach}):
   * the sessions between an old process and its successor on a reload (the local peer), where the
   * lesson is the full resync and an incremental pass before it would send every entry twice.
   */
  readonly holdTeach?: boolean;
  readonly now: number;
}

interface Teach {
  readonly t: PeerTable;
  readonly id: number;
  lastSent: number;
  acked: number;
  lastCounter: number;
  lastScan: number;
  /** Update id of the last entry sent (what the peer acknowledges once it has everything), undefined before any. */
  lastEntryId: number | undefined;
}

interface Learn {
  readonly def: TableDefinition;
  readonly local: PeerTable | undefined;
  lastGet: number;
  lastAckSent: number;
}

/** The sans-IO state machine of one peer connection (see the module comment). */
export class PeerSession {
  readonly role: 'initiator' | 'acceptor';
  readonly conn: number;
  remotePeer: string;
  private readonly opts: PeerSessionOptions;
  private st: PeerSessionState;
  private learn: PeerLearnState = 'none';
  private teach: PeerTeachState = 'incremental';
  private initiator: PeerInitiator | undefined;
  private acceptor: PeerAcceptor | undefined;
  private readonly decoder: PeerDecoder;
  private readonly encoder: PeerEncoder;
  private out: Uint8Array[] = [];
  private evs: PeerSessionEvent[] = [];
  private readonly teaches: Teach[] = [];
  private readonly learns = new Map<number, Learn>();
  /** Table id of the last definition sent. */
  private currentTable = 0;
  private lastRx: number;
  private lastTx: number;
  /** Protocol minor version agreed (1 unless a 2.0 peer). */
  minor = 1;
  /** Every state transition, oldest first (`sess ...` and `learn/teach ...` lines). */
  readonly transitions: string[] = [];
  /** Updates applied from this peer, and sent to it, on this session. */
  learned = 0;
  taught = 0;
  txHeartbeats = 0;
  rxHeartbeats = 0;
  /** Why it closed, once closed. */
  closeReason = '';
  /** Full resyncs the peer asked for on this session. */
  resyncsAsked = 0;
  /** Incremental teaching held (see PeerSessionOptions.holdTeach). */
  private teachHeld: boolean;

  constructor(opts: PeerSessionOptions) {
    this.opts = opts;
    this.role = opts.role;
    this.conn = opts.conn;
    this.remotePeer = opts.remotePeer ?? '';
    this.decoder = new PeerDecoder({ conn: opts.conn });
    this.encoder = new PeerEncoder({ conn: opts.conn });
    this.lastRx = this.lastTx = opts.now;
    this.teachHeld = opts.holdTeach ?? false;
    this.st = opts.role === 'initiator' ? 'connecting' : 'wait-hello';
    this.trans('sess', 'new', this.st, opts.role);
    if (opts.role === 'acceptor') {
      this.acceptor = new PeerAcceptor({
        localPeer: opts.localPeer,
        decide: opts.decide ?? (() => PEER_STATUS.REMOTE_PEER_MISMATCH),
        conn: opts.conn,
      });
    }
  }

  /** The session state. */
  get state(): PeerSessionState {
    return this.st;
  }
  /** Whether release() was called (the connection is gone; the object must not be used). */
  get released(): boolean {
    return this.st === 'released';
  }
  /** Teaching state (incremental, full, wait-confirm). */
  get teachState(): PeerTeachState {
    return this.teach;
  }
  /** Per table: last update sent, last acknowledged, last received (`show peers`). */
  tableStats(): { name: string; localId: number; remoteId: number; lastSent: number; acked: number; lastGet: number }[] {
    return this.teaches.map((x) => {
      let remoteId = 0;
      let lastGet = 0;
      for (const [id, l] of this.learns) {
        if (l.local === x.t) {
          remoteId = id;
          lastGet = l.lastGet;
        }
      }
      return { name: x.t.name, localId: x.id, remoteId, lastSent: x.lastSent, acked: x.acked, lastGet };
    });
  }

  private trans(what: 'sess' | 'learn' | 'teach', from: string, to: string, why: string): void {
    const line = `${this.remotePeer || '?'} ${what} ${from} -> ${to}: ${why}`;
    this.transitions.push(line);
    if (this.transitions.length > 64) this.transitions.shift();
    const tp = what === 'sess' ? PTP.sessState : PTP.syncState;
    if (tp.on) tp.emit(this.conn, 0, 0, 0, 0, line);
  }
  private setState(to: PeerSessionState, why: string): void {
    if (this.st === to) return;
    this.trans('sess', this.st, to, why);
    this.st = to;
  }
  private setLearn(to: PeerLearnState, why: string): void {
    if (this.learn === to) return;
    this.trans('learn', this.learn, to, why);
    this.learn = to;
  }
  private setTeach(to: PeerTeachState, why: string): void {
    if (this.teach === to) return;
    this.trans('teach', this.teach, to, why);
    this.teach = to;
  }

  private send(m: PeerMessage, now: number): void {
    this.out.push(this.encoder.encode(m));
    this.lastTx = now;
  }

  /** Initiator: the connection is up; returns nothing, the hello is in the output. */
  connected(now: number): void {
    if (this.st !== 'connecting') return;
    this.initiator = new PeerInitiator({ localPeer: this.opts.localPeer, remotePeer: this.remotePeer, pid: this.opts.pid, minor: this.opts.minor, conn: this.conn });
    this.out.push(this.initiator.hello());
    this.lastTx = this.lastRx = now;
    this.setState('hello-sent', 'connected, hello sent');
  }

  /** Bytes to write now (empty when none). */
  takeOutput(): Uint8Array {
    if (this.out.length === 0) return new Uint8Array(0);
    const n = this.out.reduce((a, b) => a + b.length, 0);
    const r = new Uint8Array(n);
    let o = 0;
    for (const b of this.out) {
      r.set(b, o);
      o += b.length;
    }
    this.out = [];
    return r;
  }

  /** Events since the last call. */
  takeEvents(): PeerSessionEvent[] {
    const e = this.evs;
    this.evs = [];
    return e;
  }

  /** The time poll() must be called at, at the latest (ms; Infinity when closed). */
  nextDeadline(): number {
    if (this.st === 'closed' || this.st === 'released') return Infinity;
    const t = Math.min(this.lastRx + PEER_TIMEOUT_MS, this.st === 'established' ? this.lastTx + PEER_HEARTBEAT_MS : Infinity);
    return this.st === 'established' && this.teaches.length > 0 ? Math.min(t, this.lastTx + PEER_TEACH_SCAN_MS) : t;
  }

  /** Bytes received from the peer. */
  receive(bytes: Uint8Array, now: number): void {
    if (this.st === 'closed' || this.st === 'released' || bytes.length === 0) return;
    this.lastRx = now;
    let rest = bytes;
    if (this.st === 'wait-hello') {
      const r = this.acceptor!.receive(bytes);
      if (r.kind === 'need-more') return;
      this.out.push(r.send);
      if (r.kind === 'rejected') {
        this.evs.push({ kind: 'refused', status: r.status, reason: r.reason, downgrade: false });
        this.close(`hello refused with ${r.status}: ${r.reason}`, now, statusName(r.status));
        return;
      }
      this.remotePeer = r.hello.localPeer;
      this.minor = r.hello.minor;
      this.establish(now);
      rest = r.rest;
    } else if (this.st === 'hello-sent') {
      const r = this.initiator!.receive(bytes);
      if (r.kind === 'need-more') return;
      if (r.kind === 'error') {
        this.close(`bad status line: ${r.reason}`, now, 'PROTOERR');
        return;
      }
      if (r.kind === 'refused') {
        this.evs.push({ kind: 'refused', status: r.status, reason: r.reason, downgrade: r.downgrade });
        this.close(r.reason, now, statusName(r.status));
        return;
      }
      this.minor = this.opts.minor ?? 1;
      this.establish(now);
      rest = r.rest;
    }
    if (this.st !== 'established') return;
    this.decoder.push(rest);
    this.readMessages(now);
    this.sendAcks(now);
  }

  private establish(now: number): void {
    this.setState('established', `handshake succeeded with ${this.remotePeer} (protocol 2.${this.minor})`);
    this.opts.tables.forEach((t, i) => {
      const from = this.opts.teachFrom(this.remotePeer, t.name);
      this.teaches.push({ t, id: i + 1, lastSent: from, acked: from, lastCounter: NaN, lastScan: -Infinity, lastEntryId: undefined });
    });
    this.evs.push({ kind: 'established', peer: this.remotePeer, minor: this.minor });
    this.lastTx = now;
  }

  private readMessages(now: number): void {
    for (;;) {
      const o = this.decoder.next();
      if (o.kind === 'need-more') return;
      if (o.kind === 'error') {
        this.send({ kind: 'error', type: o.error.reply }, now);
        this.close(`protocol error: ${o.error.message} (offset ${o.error.offset})`, now, 'PROTOERR');
        return;
      }
      this.onMessage(o.message, now);
      if (this.st !== 'established') return;
    }
  }

  private onMessage(m: PeerMessage, now: number): void {
    switch (m.kind) {
      case 'control':
        if (m.type === 'heartbeat') {
          this.rxHeartbeats++;
          this.evs.push({ kind: 'heartbeat' });
        } else if (m.type === 'resync-request') {
          this.resyncsAsked++;
          this.teachHeld = false;
          this.setTeach('full', 'peer asked for a full resync');
          this.evs.push({ kind: 'resync-asked' });
        } else if (m.type === 'resync-finished' || m.type === 'resync-partial') {
          const partial = m.type === 'resync-partial';
          if (this.learn === 'requested') {
            this.setLearn(partial ? 'partial' : 'finished', `peer answered ${m.type} after ${this.learned} updates`);
            this.evs.push({ kind: 'learn-finished', partial, learned: this.learned });
          }
          this.send({ kind: 'control', type: 'resync-confirm' }, now);
        } else if (m.type === 'resync-confirm') {
          if (this.teach === 'wait-confirm') {
            this.setTeach('incremental', 'peer confirmed the resync');
            this.evs.push({ kind: 'teach-confirmed' });
          }
        }
        return;
      case 'error':
        this.close(`peer sent a ${m.type} error message`, now, 'PROTOERR');
        return;
      case 'define': {
        const local = this.opts.tables.find((t) => definitionMatches(m.table, t));
        const prev = this.learns.get(m.table.id);
        this.learns.set(m.table.id, { def: m.table, local, lastGet: prev?.lastGet ?? 0, lastAckSent: prev?.lastAckSent ?? 0 });
        return;
      }
      case 'update': {
        const l = this.learns.get(m.tableId);
        if (l) l.lastGet = m.updateId;
        if (!l?.local) return;
        const t = l.local;
        const values = learnedValues(t, l.def, m);
        let key;
        try {
          key = tableKeyOf(t.table, m.key);
        } catch {
          return; // a key this table cannot hold (e.g. an IPv6 text for an ip table): ignored, as HAProxy
        }
        if (t.table.applyLearned(key, values, m.expire, this.opts.sourceOf(this.remotePeer))) this.learned++;
        return;
      }
      case 'ack': {
        const x = this.teaches.find((y) => y.id === m.tableId);
        if (!x) return;
        x.acked = m.updateId | 0;
        this.evs.push({ kind: 'acked', table: x.t.name, updateId: x.acked });
        return;
      }
      default:
        return; // switch is handled by the decoder; unknown messages are ignored
    }
  }

  private sendAcks(now: number): void {
    if (this.st !== 'established') return;
    for (const [id, l] of this.learns) {
      if (l.lastGet !== l.lastAckSent) {
        l.lastAckSent = l.lastGet;
        this.send({ kind: 'ack', tableId: id, updateId: l.lastGet >>> 0 }, now);
      }
    }
  }

  /** Learning: asks the peer for a full resync (control 0). Only on an established session. */
  requestResync(now: number): void {
    if (this.st !== 'established') return;
    this.send({ kind: 'control', type: 'resync-request' }, now);
    this.setLearn('requested', 'resync request sent');
  }

  /** Timers and teaching: call at nextDeadline() and after local table changes. */
  poll(now: number): void {
    if (this.st === 'closed' || this.st === 'released') return;
    if (now - this.lastRx >= PEER_TIMEOUT_MS) {
      this.close(this.st === 'established' ? `no message for ${PEER_TIMEOUT_MS} ms (peer considered dead)` : `handshake not done within ${PEER_TIMEOUT_MS} ms`, now, 'TIMEOUT');
      return;
    }
    if (this.st !== 'established') return;
    if (this.teach === 'full') this.teachFull(now);
    else if (!this.teachHeld) this.teachIncremental(now);
    if (now - this.lastTx >= PEER_HEARTBEAT_MS) {
      this.txHeartbeats++;
      this.send({ kind: 'control', type: 'heartbeat' }, now);
    }
  }

  private sendEntries(x: Teach, entries: readonly StickUpdateEntry[], now: number): void {
    if (entries.length === 0) return;
    // HAProxy announces the table with a definition message whenever it switches tables
    // (peer_send_switchmsg() builds a 0x82; the 0x83 switch is unused), so do the same.
    if (this.currentTable !== x.id) {
      this.send({ kind: 'define', table: peerTableDefinition(x.t, x.id) }, now);
      this.currentTable = x.id;
    }
    const timed = this.minor >= 1;
    for (const e of entries) {
      this.send(entryToUpdate(x.t, x.id, e, timed), now);
      this.taught++;
    }
    x.lastEntryId = entries[entries.length - 1]!.updateId | 0;
  }

  private teachFull(now: number): void {
    for (const x of this.teaches) {
      const b = x.t.table.collectUpdates({ after: 0, full: true });
      this.sendEntries(x, b.entries, now);
      x.lastSent = b.upTo;
      x.lastCounter = b.upTo;
      x.lastScan = now;
    }
    const synced = this.opts.synced();
    this.send({ kind: 'control', type: synced ? 'resync-finished' : 'resync-partial' }, now);
    this.setTeach('wait-confirm', `full resync sent, ${synced ? 'finished' : 'partial (local tables not complete)'}`);
  }

  private teachIncremental(now: number): void {
    for (const x of this.teaches) {
      const counter = x.t.table.updateCounter;
      // scan when the table changed, and every second for entries changed under a long-held reference
      if (counter === x.lastCounter && now - x.lastScan < 1000) continue;
      const b = x.t.table.collectUpdates({ after: x.lastSent });
      this.sendEntries(x, b.entries, now);
      x.lastSent = b.upTo;
      x.lastCounter = counter;
      x.lastScan = now;
    }
  }

  /** Ends the hold of incremental teaching (PeerSessionOptions.holdTeach): the next poll teaches the local changes. */
  releaseTeach(): void {
    this.teachHeld = false;
  }

  /** Whether incremental teaching is held (PeerSessionOptions.holdTeach, no resync asked yet). */
  get teachIsHeld(): boolean {
    return this.teachHeld;
  }

  /**
   * Whether the peer has everything this session had to teach: established, not in the middle of
   * a full resync, incremental teaching not held, every table scanned since its last change, and
   * the last update sent of each table acknowledged. The old process of a reload waits for this
   * before it closes the session to its successor.
   */
  caughtUp(): boolean {
    if (this.st !== 'established' || this.teach !== 'incremental' || this.teachHeld) return false;
    return this.teaches.every((x) => x.lastCounter === x.t.table.updateCounter && (x.lastEntryId === undefined || x.acked === x.lastEntryId));
  }

  /** Closes the session (the driver then ends the connection and calls release()). */
  close(reason: string, now: number, status = 'CLOSED'): void {
    if (this.st === 'closed' || this.st === 'released') return;
    void now;
    this.closeReason = reason;
    this.setState('closed', reason);
    if (this.learn === 'requested') this.setLearn('none', 'session closed in the middle of a resync');
    this.evs.push({ kind: 'closed', reason, status });
  }

  /** The driver dropped the connection: the session is dead; any further use is a bug. */
  release(): void {
    if (this.st !== 'closed') this.close('released', 0);
    this.setState('released', 'connection released');
  }

  /** Learn state, for the section's learn step (see {@link learnStateOf}). */
  get learnStateUnchecked(): PeerLearnState {
    return this.learn;
  }
}

/**
 * The learn state of `s`, for the section's learn step (proxy/peers/sync.ts syncPeerLearnState).
 * Reading a released session is the defect of seed crash 3 (a learn step run on a session freed
 * when its connection was cut in the middle of a full resync): BUG_ON, naming the session
 * (connection id, peer, state) as the fault's context; the call chain's first frame is the caller.
 */
export function learnStateOf(s: PeerSession, section: string): PeerLearnState {
  if (s.released) {
    setCurrentObject(s.conn, 0);
    panic('bug', `BUG_ON: sync_peer_learn_state: peers '${section}': session with '${s.remotePeer}' (conn ${s.conn}) used after its release (connection cut in the middle of a resync: ${s.closeReason})`, {
      skip: 1,
      details: { peer: s.remotePeer, section, conn: s.conn, state: s.state, learned: s.learned, closeReason: s.closeReason },
    });
  }
  return s.learnStateUnchecked;
}

/** HAProxy-style status names of `show peers` `last_status` for a handshake status code. */
export function statusName(code: number): string {
  switch (code) {
    case 200:
      return 'ESTA';
    case 300:
      return 'TRYAGAIN';
    case 501:
      return 'PROTOERR';
    case 502:
      return 'BADVERSION';
    case 503:
      return 'LOCALMISMATCH';
    case 504:
      return 'REMOTEMISMATCH';
    default:
      return `STATUS${code}`;
  }
}
