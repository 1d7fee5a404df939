/**
 * The synchronisation state of one `peers` section, sans-IO (HAProxy src/peers.c `struct peers`,
 * process_peer_sync(), and 3.x's sync_peer_learn_state()): one {@link PeerLink} per remote peer
 * (its current session, reconnect timer and back-off, last status, what it acknowledged), and the
 * section's learn state: at start the local tables are incomplete (`needed`); the first peer with
 * an established session is asked for a full resync (`assigned`: that peer is the learner); its
 * answer makes the section `finished` (resync finished) or moves on to the next peer (resync
 * partial); when every peer answered partial the section is `partial` (done, as complete as the
 * cluster). A section without remote peers is `finished` at once.
 *
 * Connections (protocol text "Handshake"): every peer may connect to every other one; when a
 * hello arrives from a peer that already has a session, the older session is closed and the new
 * one kept ("the last connected peer wins"), and this side waits a random 50..2050 ms before its
 * own next attempt so that two peers do not keep cutting each other's sessions. To avoid that
 * dance at start, the peer whose name sorts first connects at once and the other waits 1..2 s
 * (by then it has usually been connected to). After an established session ends, the reconnect
 * comes 50..500 ms later; after a failed attempt the delay doubles from 500 ms up to 5 s.
 *
 * {@link syncPeerLearnState} is the learn step, run for each peer after every event and timer:
 * it assigns the learner, takes the learner session's answer, and, when the learner's connection
 * was cut in the middle of the resync, resets the learn state so another session is asked (seed
 * crash 3). The fault site `peers.learn-released-session` re-creates the original defect: the step
 * then reads the released session, which is a BUG_ON naming that session.
 *
 * Reload (HAProxy configuration manual 3.5 "Peers": "during a soft restart, the old process
 * connects to the new one using such a TCP connection to push all its entries before the new
 * process tries to connect to other peers"): the section also has a {@link PeerLink} for the local
 * peer itself (`localLink`). The old process, on a soft stop (`handingOver`), connects to its own
 * address, where only the successor listens now ({@link PeersSection.connectLocal}), and teaches
 * on request; the successor accepts a hello carrying its own name as the old local process, asks
 * it for a full resync before any remote peer ({@link syncLocalLearnState}), and, when started
 * with `-sf/-st` (`waitLocal`), waits up to {@link PEERS_RESYNC_TIMEOUT_MS} for that lesson.
 */
import { declareFaultSite } from '../../diag/fault-sites.ts';
import { PEER_STATUS, type PeerHello, type PeerStatus } from './peers.types.ts';
import { learnStateOf, PeerSession, statusName } from './session.ts';
import type { PeerTable } from './tables.ts';
import { PTP } from './trace.ts';

/** Fault site re-creating seed crash 3: the learn step uses the session released by a cut. */
export const FS_LEARN_RELEASED_SESSION = declareFaultSite(
  'peers.learn-released-session',
  'the peers learn step keeps and reads the session asked for a resync after its connection was cut (seed crash 3: use after release)',
);

/**
 * Learn state of a section: `local` waits for the lesson of the old process this one replaces
 * (a reload: HAProxy's PEERS_RESYNC_FROMLOCAL), `needed` for a remote peer's, `assigned` while a
 * peer (remote or local) teaches, `finished`/`partial` once taught.
 */
export type SectionLearnState = 'local' | 'needed' | 'assigned' | 'finished' | 'partial';

/** After this long without a complete resync, the local tables are announced as complete anyway (HAProxy PEERS_RESYNC_TIMEOUT). */
export const PEERS_RESYNC_TIMEOUT_MS = 5000;

/** A remote peer of a section and everything kept about it across its sessions. */
export class PeerLink {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Source number of the entries learned from it (StickTable UPDSRC). */
  readonly source: number;
  /** The current session: connecting, handshaking or established. */
  session: PeerSession | undefined;
  /** When the next connection attempt may start (ms). */
  reconnectAt: number;
  backoff = 500;
  /**
   * HAProxy-style last status: NONE, CONN (connecting), HSHK (hello sent), ESTA, TRYAGAIN,
   * CONNREFUSED, TIMEOUT, PROTOERR, ...; Flightbox adds SSLERR (the TLS handshake failed).
   */
  lastStatus = 'NONE';
  /** Why the last attempt failed (TLS error, refusal), cleared when a session is established. */
  lastError: string | undefined;
  /** Time of the last successful handshake (0: never). */
  lastHandshake = 0;
  /** Last update id it acknowledged, per table (wire name): incremental teaching restarts there. */
  readonly acked = new Map<string, number>();
  /** It answered our resync request with `partial` in this learn round. */
  partial = false;
  /** Minor version to announce (0 after it answered 502). */
  minor: 0 | 1 = 1;
  newConns = 0;
  collisions = 0;
  protoErrors = 0;
  timeouts = 0;
  txHeartbeats = 0;
  rxHeartbeats = 0;
  learned = 0;
  taught = 0;

  constructor(name: string, host: string, port: number, source: number, reconnectAt: number) {
    this.name = name;
    this.host = host;
    this.port = port;
    this.source = source;
    this.reconnectAt = reconnectAt;
  }
}

/** Options of a section. */
export interface PeersSectionOptions {
  readonly name: string;
  readonly localPeer: string;
  readonly remotes: readonly { readonly name: string; readonly host: string; readonly port: number }[];
  readonly tables: readonly PeerTable[];
  readonly pid: number;
  readonly now: number;
  /** Random source in [0, 1) (tests pass a fixed one). */
  readonly random?: () => number;
  /** Allocates connection ids for sessions (trace records, faults). */
  readonly nextConn?: () => number;
  /** Clock (ms) for the decisions sessions ask about (default Date.now). */
  readonly clock?: () => number;
  /** The local peer's own address (its `peer <me>` line): where an old process connects to its successor. */
  readonly local?: { readonly host: string; readonly port: number };
  /**
   * This process replaces old ones (`run -sf/-st <pid>`, HAProxy's nb_oldpids): learn from the old
   * local process first, waiting up to {@link PEERS_RESYNC_TIMEOUT_MS} for it before the remote peers.
   */
  readonly waitLocal?: boolean;
}

let connSeq = 0x7000000;

/** The synchronisation state of one peers section (see the module comment). */
export class PeersSection {
  readonly name: string;
  readonly localPeer: string;
  readonly links: PeerLink[];
  readonly tables: readonly PeerTable[];
  readonly startedAt: number;
  /** Started as a reload's successor (`run -sf`): an old local process is expected to teach. */
  readonly reloadSuccessor: boolean;
  learn: SectionLearnState;
  /** The peer asked for the resync, and the session it was asked on. */
  learner: PeerLink | undefined;
  learnerSession: PeerSession | undefined;
  /** Section-level transitions, oldest first (bounded). */
  readonly transitions: string[] = [];
  /** Learn steps that ended in a BUG_ON and were recovered by resetting the learn state. */
  learnPanics = 0;
  /** TLS handshakes of incoming connections that failed (the peer is unknown then: no hello yet). */
  tlsAcceptErrors = 0;
  /** The last of them: `<address>: <error>`. */
  lastAcceptError: string | undefined;
  /**
   * The local peer (this instance's own name and address) as a link: on a reload, the session
   * between the old process (initiator, teaching) and its successor (acceptor, learning).
   */
  readonly localLink: PeerLink;
  /** Old process: soft stop in progress, the tables are being handed over to the successor. */
  handingOver = false;
  /** New process: a local session is established and has not been asked for its lesson yet. */
  localLessonPending = false;
  /** New process: the learn state to go back to once the local lesson is over. */
  afterLocal: SectionLearnState = 'needed';
  private readonly pid: number;
  private readonly random: () => number;
  private readonly nextConn: () => number;
  private readonly clock: () => number;

  constructor(o: PeersSectionOptions) {
    this.clock = o.clock ?? Date.now;
    this.name = o.name;
    this.localPeer = o.localPeer;
    this.tables = o.tables;
    this.pid = o.pid;
    this.startedAt = o.now;
    this.reloadSuccessor = !!o.waitLocal;
    this.random = o.random ?? Math.random;
    this.nextConn = o.nextConn ?? (() => ++connSeq);
    this.links = o.remotes.map((r, i) => {
      const first = o.localPeer < r.name ? o.now : o.now + 1000 + Math.floor(this.random() * 1000);
      return new PeerLink(r.name, r.host, r.port, i + 1, first);
    });
    this.localLink = new PeerLink(o.localPeer, o.local?.host ?? '', o.local?.port ?? 0, this.links.length + 1, Infinity);
    this.learn = this.tables.length === 0 ? 'finished' : o.waitLocal ? 'local' : this.remoteLearnStart();
    this.note(`learn new -> ${this.learn}: ${this.links.length} remote peers, ${this.tables.length} tables`);
  }

  /** Where learning starts with the remote peers: `needed`, or `finished` when there is none. */
  remoteLearnStart(): SectionLearnState {
    return this.links.length === 0 || this.tables.length === 0 ? 'finished' : 'needed';
  }

  /** Records a section transition (trace `resync` event). */
  note(line: string): void {
    const l = `${this.name}: ${line}`;
    this.transitions.push(l);
    if (this.transitions.length > 64) this.transitions.shift();
    if (PTP.syncState.on) PTP.syncState.emit(0, 0, 0, 0, 0, l);
  }

  /** Changes the learn state, recording why. */
  setLearn(to: SectionLearnState, why: string): void {
    if (to === this.learn) return;
    this.note(`learn ${this.learn} -> ${to}: ${why}`);
    this.learn = to;
  }

  /** Whether the local tables are complete: resync done (finished or partial), or timed out. */
  synced(now: number): boolean {
    return this.learn === 'finished' || this.learn === 'partial' || now - this.startedAt >= PEERS_RESYNC_TIMEOUT_MS;
  }

  /** The link of remote peer `name`. */
  link(name: string): PeerLink | undefined {
    return this.links.find((l) => l.name === name);
  }

  /** The link `session` is the current session of: a remote peer's, or the local peer's (reload). */
  linkOf(session: PeerSession): PeerLink | undefined {
    if (this.localLink.session === session) return this.localLink;
    const l = this.link(session.remotePeer);
    return l && l.session === session ? l : undefined;
  }

  private sessionOptions(now: number) {
    return {
      localPeer: this.localPeer,
      pid: this.pid,
      tables: this.tables,
      sourceOf: (peer: string) => (peer === this.localPeer ? this.localLink.source : (this.link(peer)?.source ?? 0x3fffffff)),
      teachFrom: (peer: string, table: string) => (peer === this.localPeer ? this.localLink : this.link(peer))?.acked.get(table) ?? 0,
      synced: () => this.synced(this.clock()),
      now,
    };
  }

  /**
   * Links whose reconnect timer expired without a session (only peer `only` when given): a new
   * initiator session each, for the driver to connect.
   */
  dueConnects(now: number, only?: string): { link: PeerLink; session: PeerSession }[] {
    const out: { link: PeerLink; session: PeerSession }[] = [];
    if (this.handingOver) return out; // a stopping process talks to its successor only
    for (const link of this.links) {
      if (link.session || now < link.reconnectAt || (only !== undefined && link.name !== only)) continue;
      const session = new PeerSession({ ...this.sessionOptions(now), role: 'initiator', remotePeer: link.name, minor: link.minor, conn: this.nextConn() });
      link.session = session;
      link.lastStatus = 'CONN';
      link.newConns++;
      if (PTP.link.on) PTP.link.emit(session.conn, 0, 0, 0, 0, `${this.name}/${link.name}: connecting to ${link.host}:${link.port}`);
      out.push({ link, session });
    }
    return out;
  }

  /**
   * An acceptor session for an incoming connection. Its hello is accepted when it comes from a
   * known remote peer; a session that peer already had is closed then (the last connected wins)
   * and this side's next own attempt is delayed 50..2050 ms.
   */
  incoming(now: number): PeerSession {
    let session: PeerSession;
    const decide = (hello: PeerHello): PeerStatus => {
      if (hello.localPeer === this.localPeer) return this.acceptLocal(session);
      const link = this.link(hello.localPeer);
      if (!link) return PEER_STATUS.REMOTE_PEER_MISMATCH;
      const old = link.session;
      if (old && old !== session) {
        const t = this.clock();
        old.close(`collision: ${link.name} connected again, its new session wins`, t, 'COLLISION');
        link.collisions++;
        link.reconnectAt = t + 50 + Math.floor(this.random() * 2000);
        if (PTP.link.on) PTP.link.emit(old.conn, 0, link.reconnectAt - t, 0, 0, `${this.name}/${link.name}: collision, older session closed`);
      }
      link.session = session;
      link.newConns++;
      return PEER_STATUS.SUCCESS;
    };
    session = new PeerSession({ ...this.sessionOptions(now), role: 'acceptor', decide, conn: this.nextConn() });
    return session;
  }

  /**
   * A hello from a peer carrying this instance's own name: the old process of a reload handing its
   * tables over (HAProxy's local peer). Accepted (a previous local session is closed); the
   * session is asked for a full resync once established, and does not teach (holdTeach).
   */
  private acceptLocal(session: PeerSession): PeerStatus {
    const l = this.localLink;
    if (this.handingOver) return PEER_STATUS.TRY_AGAIN;
    // Only a reload's successor expects an old process, and only around its start (HAProxy takes the
    // local lesson in its FROMLOCAL phase): anything else using our own name is refused as before,
    // never allowed to overwrite the tables with a "full resync".
    if (!this.reloadSuccessor || this.clock() - this.startedAt > 2 * PEERS_RESYNC_TIMEOUT_MS) return PEER_STATUS.REMOTE_PEER_MISMATCH;
    const old = l.session;
    if (old && old !== session) old.close(`the old local process connected again, its new session wins`, this.clock(), 'COLLISION');
    l.session = session;
    l.newConns++;
    if (PTP.link.on) PTP.link.emit(session.conn, 0, 0, 0, 0, `${this.name}/${l.name}: the old local process connected (reload), it will teach its tables`);
    return PEER_STATUS.SUCCESS;
  }

  /**
   * Old process, soft stop: the initiator session to the local peer's address, where the successor
   * now listens (this process closed its own listener). It teaches on request (full resync).
   */
  connectLocal(now: number): PeerSession {
    const l = this.localLink;
    const session = new PeerSession({ ...this.sessionOptions(now), role: 'initiator', remotePeer: this.localPeer, holdTeach: true, conn: this.nextConn() });
    l.session = session;
    l.lastStatus = 'CONN';
    l.newConns++;
    if (PTP.link.on) PTP.link.emit(session.conn, 0, 0, 0, 0, `${this.name}/${l.name}: soft stop, connecting to the successor at ${l.host}:${l.port} to teach it the tables`);
    return session;
  }

  /** Handles the events of a session of this section (the driver passes every event). */
  onEvent(session: PeerSession, ev: ReturnType<PeerSession['takeEvents']>[number], now: number): void {
    const link = this.linkOf(session);
    if (!link) return;
    if (link === this.localLink) {
      this.onLocalEvent(session, ev, now);
      return;
    }
    switch (ev.kind) {
      case 'established':
        link.lastStatus = 'ESTA';
        link.lastError = undefined;
        link.lastHandshake = now;
        link.backoff = 500;
        if (PTP.link.on) PTP.link.emit(session.conn, 0, 0, 0, 0, `${this.name}/${link.name}: session established (${session.role})`);
        break;
      case 'refused':
        link.lastStatus = statusName(ev.status);
        if (ev.downgrade) link.minor = 0;
        break;
      case 'acked':
        link.acked.set(ev.table, ev.updateId);
        break;
      case 'heartbeat':
        link.rxHeartbeats++;
        break;
      default:
        break;
    }
    syncPeerLearnState(this, link, now);
  }

  private onLocalEvent(session: PeerSession, ev: ReturnType<PeerSession['takeEvents']>[number], now: number): void {
    const l = this.localLink;
    if (ev.kind === 'established') {
      l.lastStatus = 'ESTA';
      l.lastError = undefined;
      l.lastHandshake = now;
      if (session.role === 'acceptor') this.localLessonPending = true;
    } else if (ev.kind === 'refused') l.lastStatus = statusName(ev.status);
    else if (ev.kind === 'acked') l.acked.set(ev.table, ev.updateId);
    else if (ev.kind === 'heartbeat') l.rxHeartbeats++;
    syncLocalLearnState(this, now);
  }

  /**
   * The driver dropped the connection of `session` (closed by either side, cut, refused): the
   * session is released, the link's reconnect timer set, and the learn step run, which resets
   * the learn state when this was the learner's session. `status` forces the link's last status
   * (the driver passes SSLERR with `why` the TLS error, kept as the link's last error).
   */
  released(session: PeerSession, now: number, why: string, status?: string): void {
    if (!session.released) {
      session.close(why, now, session.state === 'connecting' ? 'CONNREFUSED' : 'CLOSED');
      session.release();
    }
    if (this.localLink.session === session) {
      const l = this.localLink;
      l.session = undefined;
      l.learned += session.learned;
      l.taught += session.taught;
      l.txHeartbeats += session.txHeartbeats;
      const established = session.transitions.some((t) => t.includes('-> established'));
      if (status !== undefined) {
        l.lastStatus = status;
        l.lastError = why;
      } else if (!established) {
        l.lastStatus = l.lastStatus === 'CONN' ? 'CONNREFUSED' : l.lastStatus === 'ESTA' ? 'CLOSED' : l.lastStatus;
        l.lastError = why;
      }
      if (PTP.link.on) PTP.link.emit(session.conn, 0, 0, 0, 0, `${this.name}/${l.name}: local session released (${why})`);
      syncLocalLearnState(this, now);
      return;
    }
    const link = this.link(session.remotePeer);
    if (!link || link.session !== session) {
      if (link && this.learnerSession === session) syncPeerLearnState(this, link, now);
      if (this.learner === this.localLink && this.learnerSession === session) syncLocalLearnState(this, now);
      return;
    }
    link.session = undefined;
    link.learned += session.learned;
    link.taught += session.taught;
    link.txHeartbeats += session.txHeartbeats;
    const established = session.transitions.some((t) => t.includes('-> established'));
    if (/timeout|no message/i.test(session.closeReason)) {
      link.timeouts++;
      link.lastStatus = 'TIMEOUT';
    } else if (/protocol error|error message|bad status/i.test(session.closeReason)) {
      link.protoErrors++;
      link.lastStatus = 'PROTOERR';
    } else if (!established && link.lastStatus === 'CONN') link.lastStatus = 'CONNREFUSED';
    else if (!established && link.lastStatus === 'HSHK') link.lastStatus = 'CLOSED';
    if (status !== undefined) {
      link.lastStatus = status;
      link.lastError = why;
    }
    if (established) {
      link.backoff = 500;
      link.reconnectAt = Math.max(link.reconnectAt, now + 50 + Math.floor(this.random() * 450));
    } else if (link.lastStatus === 'TRYAGAIN') {
      link.reconnectAt = now + 50 + Math.floor(this.random() * 2000);
    } else {
      link.reconnectAt = Math.max(link.reconnectAt, now + link.backoff);
      link.backoff = Math.min(5000, link.backoff * 2);
    }
    if (PTP.link.on) PTP.link.emit(session.conn, 0, link.reconnectAt - now, 0, 0, `${this.name}/${link.name}: session released (${why}), reconnect scheduled`);
    syncPeerLearnState(this, link, now);
  }

  /** Runs the learn step for every link (timers, after input), the local peer's first. */
  step(now: number): void {
    syncLocalLearnState(this, now);
    for (const link of this.links) syncPeerLearnState(this, link, now);
  }

  /** Clears the learner (after its answer, its cut, or a recovered BUG_ON). */
  unassign(): void {
    this.learner = undefined;
    this.learnerSession = undefined;
  }
}

/**
 * The learn step for `link` (HAProxy 3.x sync_peer_learn_state(), 2.x process_peer_sync()):
 *
 * - when the section needs a resync and no peer is asked, a peer with an established session that
 *   did not answer `partial` in this round is asked (resync request) and becomes the learner;
 * - when `link` is the learner: a released learner session (its connection was cut in the middle
 *   of the resync) resets the learn state to `needed`, so the next established session is asked;
 *   `finished` completes the resync; `partial` moves on to another peer, and when every peer
 *   answered partial the section is `partial`.
 *
 * With the fault site `peers.learn-released-session` armed, the released-session check is skipped
 * (the original defect) and the step reads the released session: BUG_ON through learnStateOf().
 */
export function syncPeerLearnState(sec: PeersSection, link: PeerLink, now: number): void {
  if (sec.learner !== link) {
    const s = link.session;
    if (sec.learn === 'needed' && !sec.learner && !link.partial && s && s.state === 'established') {
      sec.learner = link;
      sec.learnerSession = s;
      s.requestResync(now);
      sec.setLearn('assigned', `resync requested from ${link.name} (conn ${s.conn})`);
    }
    return;
  }
  const s = sec.learnerSession!;
  if (s.released && !(FS_LEARN_RELEASED_SESSION.armed && FS_LEARN_RELEASED_SESSION.fire())) {
    sec.unassign();
    sec.setLearn('needed', `learner ${link.name}'s session (conn ${s.conn}) was cut in the middle of the resync after ${s.learned} updates (${s.closeReason}); another session will be asked`);
    return;
  }
  const st = learnStateOf(s, sec.name);
  if (st === 'finished') {
    sec.unassign();
    sec.setLearn('finished', `${link.name} finished the resync (${s.learned} updates)`);
  } else if (st === 'partial') {
    link.partial = true;
    sec.unassign();
    if (sec.links.every((l) => l.partial)) sec.setLearn('partial', `every peer answered resync partial (last: ${link.name}, ${s.learned} updates)`);
    else sec.setLearn('needed', `${link.name} answered resync partial (${s.learned} updates); asking another peer`);
  } else if (st === 'none' && s.state === 'closed') {
    sec.unassign();
    sec.setLearn('needed', `learner ${link.name}'s session closed before answering (${s.closeReason})`);
  }
}

/**
 * The learn step for the local peer (HAProxy's PEERS_RESYNC_FROMLOCAL phase, sync_peer_app_state()
 * for a local peer whose connection was accepted), run before the remote peers' step:
 *
 * - an established local session (the old process of a reload, connected to this successor) not
 *   yet asked is asked for a full resync as soon as no other peer is teaching, and becomes the
 *   learner; meanwhile the remote peers are not asked;
 * - when its answer comes (finished or partial), or its session is cut, the learn state goes back
 *   to where it was, `local` becoming `needed` (the remote peers are asked next, as HAProxy does
 *   after the local resync) or `finished` without remote peers;
 * - in state `local` (started as a successor, `run -sf/-st`), after {@link PEERS_RESYNC_TIMEOUT_MS}
 *   without a lesson from an old process, learning moves on to the remote peers.
 */
export function syncLocalLearnState(sec: PeersSection, now: number): void {
  const l = sec.localLink;
  if (sec.learner === l) {
    const s = sec.learnerSession!;
    if (s.released || s.state === 'closed') {
      sec.unassign();
      sec.setLearn(sec.afterLocal, `the old local process's session (conn ${s.conn}) ended before its lesson was over, after ${s.learned} updates (${s.closeReason}); going on with the remote peers`);
      return;
    }
    const st = learnStateOf(s, sec.name);
    if (st === 'finished' || st === 'partial') {
      sec.unassign();
      sec.setLearn(sec.afterLocal, `the old local process taught its tables (${s.learned} updates, resync ${st})`);
    }
    return;
  }
  if (sec.learner) return; // a remote peer is teaching: the local lesson waits for its end
  const s = l.session;
  if (sec.localLessonPending && s && s.state === 'established') {
    sec.localLessonPending = false;
    sec.afterLocal = sec.learn === 'local' ? sec.remoteLearnStart() : sec.learn;
    sec.learner = l;
    sec.learnerSession = s;
    s.requestResync(now);
    sec.setLearn('assigned', `resync requested from the old local process ${l.name} (conn ${s.conn})`);
    return;
  }
  if (sec.learn === 'local' && now - sec.startedAt >= PEERS_RESYNC_TIMEOUT_MS) {
    sec.setLearn(sec.remoteLearnStart(), `no lesson from an old local process within ${PEERS_RESYNC_TIMEOUT_MS} ms; asking the remote peers`);
  }
}
