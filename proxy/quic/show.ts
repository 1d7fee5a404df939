/**
 * `show quic [oneline|full] [all|<id>]` (HAProxy 2.8+ management.txt, src/quic_cli.c): what a worker
 * knows about each QUIC connection it owns, and how the supervisor prints it.
 *
 * - {@link collectQuicConn} is pure: one QuicConnection (and what its application adds) at one
 *   instant -> one plain {@link QuicConnRecord}, which crosses `postMessage` as is. It reads the
 *   engine's state through TypeScript's bracket access to private members, which tsc still
 *   type-checks, so a renamed field breaks the build here rather than the output.
 * - {@link renderShowQuic} prints the records of every worker: HAProxy's `oneline` columns (conn/
 *   frontend, state, in_flight, infl_p, lost_p, local and foreign address, local and remote CIDs)
 *   followed by `key=value` fields HAProxy does not have (version, RTT, cwnd, streams, idle timer);
 *   or HAProxy's `full` blocks (CIDs, transport parameters, `st=`/`mux=`/`expire=`, addresses,
 *   packet number spaces, `srtt= rttvar= rttmin= ptoc= cwnd= mcwnd= sentpkts= lostpkts=`) with
 *   the paths, every CID, flow control and one `| stream=` line per stream. A worker that gave no
 *   answer is named on a `# thread N: ...` line.
 * - {@link renderQuicSessDetail} is the live part `show sess <id>` adds for a QUIC connection or an
 *   HTTP/3 stream (QUIC stream id, states, bytes, flow control).
 *
 * Ids are the lifecycle ids `show sess` and `show conns` print (`0x1e`), so the outputs cross-reference.
 * No output line is empty: the runtime socket ends a response with an empty line.
 */
import type { QuicConnection } from './connection.ts';
import type { TransportParameters } from './transport-params.types.ts';
import { QUIC_V1 } from './packet.types.ts';
import { SPACE_IDS } from './spaces.ts';
import { isBidi, streamInitiator } from './stream-id.ts';
import type { QuicConnRecord, QuicShowAnswer, QuicShowCid, QuicShowContext, QuicShowSpace, QuicShowStream, ShowQuicArgs } from './show.types.ts';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
/** Milliseconds with at most 3 decimals (RTT estimates are fractional). */
const ms3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Our transport parameters as HAProxy's quic_transport_params_dump() names them. */
function localTps(c: QuicConnection): string {
  const s = c.settings;
  return (
    `midle_timeout=${s.maxIdleTimeout}ms ack_delay_exp=${s.ackDelayExponent} mack_delay=${s.maxAckDelay}ms act_cid_limit=${s.activeConnectionIdLimit} ` +
    `md=${s.initialMaxData} msd_bidi_l=${s.initialMaxStreamDataBidiLocal} msd_bidi_r=${s.initialMaxStreamDataBidiRemote} ` +
    `msd_uni=${s.initialMaxStreamDataUni} ms_bidi=${s.initialMaxStreamsBidi} ms_uni=${s.initialMaxStreamsUni}`
  );
}

/** The peer's transport parameters (RFC 9000 §18.2), HAProxy's names; `-` before they are known. */
function peerTps(p: TransportParameters | undefined): string {
  if (!p) return '-';
  const flags = [p.disableActiveMigration ? 'no_act_migr' : '', p.statelessResetToken ? 'stless_rst_tok' : '', p.preferredAddress ? 'pref_addr' : ''].filter(Boolean);
  return (
    `${p.originalDestinationConnectionId ? `odcid=${hex(p.originalDestinationConnectionId)} ` : ''}` +
    `${p.initialSourceConnectionId ? `iscid=${hex(p.initialSourceConnectionId)} ` : ''}` +
    `midle_timeout=${p.maxIdleTimeout}ms mudp_payload_sz=${p.maxUdpPayloadSize} ack_delay_exp=${p.ackDelayExponent} ` +
    `mack_delay=${p.maxAckDelay}ms act_cid_limit=${p.activeConnectionIdLimit} md=${p.initialMaxData} ` +
    `msd_bidi_l=${p.initialMaxStreamDataBidiLocal} msd_bidi_r=${p.initialMaxStreamDataBidiRemote} msd_uni=${p.initialMaxStreamDataUni} ` +
    `ms_bidi=${p.initialMaxStreamsBidi} ms_uni=${p.initialMaxStreamsUni}${flags.length ? ` (${flags.join(',')})` : ''}`
  );
}

function spacesOf(c: QuicConnection): QuicShowSpace[] {
  const discarded = c['discarded'];
  const keys = c['keys'];
  return SPACE_IDS.map((id) => {
    const sp = c.recovery.spaces[id];
    return {
      space: id,
      discarded: discarded[id],
      keys: keys[id].write !== undefined && keys[id].read !== undefined,
      txNext: sp.nextPn,
      txLargestAcked: sp.largestAcked,
      txInFlight: sp.sent.size,
      txAckElicitingInFlight: sp.ackElicitingInFlight,
      rxLargest: sp.largestReceived,
      ackPending: sp.ackPending,
    };
  });
}

function streamsOf(c: QuicConnection, ctx: QuicShowContext): QuicShowStream[] {
  const requests = new Map((ctx.app?.streams ?? []).map((s) => [s.id, s]));
  return [...c.streams['map'].values()]
    .sort((a, b) => a.id - b.id)
    .map((s) => {
      const req = requests.get(s.id);
      const tx = s.send;
      const rx = s.recv;
      return {
        id: s.id,
        bidi: isBidi(s.id),
        initiator: streamInitiator(s.id),
        ...(tx
          ? {
              tx: {
                state: tx.state,
                written: tx.buf.end,
                sent: tx.buf.sent,
                acked: tx.buf.end - tx.buf.buffered,
                limit: tx.credit.limit,
                ...(tx.reset ? { resetCode: tx.reset.code } : {}),
              },
            }
          : {}),
        ...(rx
          ? {
              rx: {
                state: rx.state,
                delivered: rx.delivered,
                highest: rx.window.highest,
                limit: rx.window.limit,
                ...(rx.finalSize !== undefined ? { finalSize: rx.finalSize } : {}),
                ...(rx.stop ? { stopCode: rx.stop.code } : {}),
                ...(rx.paused ? { pausedHeld: rx.held } : {}),
              },
            }
          : {}),
        ...(req ? { lcId: req.lcId, request: req.request } : {}),
      };
    });
}

function cidsOf(c: QuicConnection): { local: QuicShowCid[]; peer: QuicShowCid[] } {
  const used = c['peerDcidUsed'];
  const local = c.activeLocalCids().map((x) => ({ seq: x.seq, cid: hex(x.cid), current: sameBytes(x.cid, used) }));
  const peerSet = c['peerCids'];
  const peer = [...peerSet['ids'].values()]
    .sort((a, b) => a.seq - b.seq)
    .map((x) => ({ seq: x.seq, cid: hex(x.cid), current: x.seq === peerSet.currentSequence }));
  return { local, peer };
}

/**
 * The record of connection `c` at `now` (the clock its driver gives it, ms): pure, no side effect
 * on the engine. `ctx` says which thread owns it and what its application (HTTP/3 driver) adds.
 */
export function collectQuicConn(c: QuicConnection, ctx: QuicShowContext, now: number): QuicConnRecord {
  const state = c.state;
  const live = state === 'handshake' || state === 'established';
  const idle = live ? c['idleDeadline']() : undefined;
  const deadline = c.deadline();
  const validation = c['validation'];
  const fallback = c['validatedPath'];
  const path = c.currentPath;
  const r = c.recovery;
  const cids = cidsOf(c);
  const peer = c.peerTransportParameters;
  const localIdle = c.settings.maxIdleTimeout;
  const peerIdle = peer?.maxIdleTimeout ?? 0;
  const streams = c.streams;
  return {
    id: ctx.app?.id ?? ctx.id ?? 0,
    thread: ctx.thread,
    frontend: ctx.app?.frontend ?? ctx.frontend ?? '-',
    role: c.role,
    state,
    handshake: c.handshakeConfirmed ? 'confirmed' : c.handshakeComplete ? 'complete' : 'in-progress',
    version: QUIC_V1,
    mux: ctx.app?.mux ?? 'null',
    goaway: ctx.app?.goaway ?? false,
    scid: hex(c.localCid),
    dcid: hex(c.dcid),
    odcid: hex(c.originalDestinationCid),
    localCids: cids.local,
    peerCids: cids.peer,
    paths: {
      local: path.local,
      remote: path.remote,
      ...(validation ? { validating: { remote: validation.path.remote, failsInMs: Math.round(validation.failAt - now) } } : {}),
      ...(fallback && (fallback.local !== path.local || fallback.remote !== path.remote) ? { fallback: `${fallback.local}->${fallback.remote}` } : {}),
      migrations: { ...c.migrations },
    },
    ...(idle !== undefined ? { idleInMs: Math.round(idle - now) } : {}),
    ...(deadline !== undefined ? { timerInMs: Math.round(deadline - now) } : {}),
    idleTimeoutMs: localIdle === 0 ? peerIdle : peerIdle === 0 ? localIdle : Math.min(localIdle, peerIdle),
    rtt: { latest: ms3(r.rtt.latestRtt), srtt: ms3(r.rtt.smoothedRtt), rttvar: ms3(r.rtt.rttvar), min: ms3(r.rtt.minRtt), ptoCount: r.ptoCount },
    cc: {
      cwnd: Math.floor(r.cc.congestionWindow),
      ssthresh: Number.isFinite(r.cc.ssthresh) ? Math.floor(r.cc.ssthresh) : -1,
      inFlight: r.cc.bytesInFlight,
      state: r.ccState(),
      minCwnd: r.cc.minimumWindow,
    },
    addressValidated: r.amplification.validated,
    spaces: spacesOf(c),
    flow: {
      txLimit: streams.connCredit.limit,
      txUsed: streams.connCredit.used,
      rxLimit: streams.connWindow.limit,
      rxHighest: streams.connWindow.highest,
      rxConsumed: streams.connWindow.consumed,
    },
    tp: { local: localTps(c), peer: peerTps(peer) },
    keyPhase: c.keyPhase,
    keyUpdates: c.keyUpdates,
    stats: { ...c.stats },
    ...(c.closeReason ? { closeReason: { ...c.closeReason } } : {}),
    requests: ctx.app?.requests ?? 0,
    streams: streamsOf(c, ctx),
  };
}

// ------------------------------------------------------------------ arguments

/** The synopsis, for `help` and errors. */
export const SHOW_QUIC_USAGE = 'show quic [oneline|full] [all|<id>]';

/** A `show quic` argument that is neither a format, `all`, nor a connection id. */
export class ShowQuicArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShowQuicArgError';
  }
}

/**
 * Parses `[oneline|full] [all|<id>]` (HAProxy: the format first, then the filter); `<id>` as
 * `show quic`/`show conns` print it (`0x1e`) or decimal. Throws ShowQuicArgError saying which word
 * is wrong and what is expected.
 */
export function parseShowQuicArgs(args: readonly string[]): ShowQuicArgs {
  let format: ShowQuicArgs['format'] = 'oneline';
  let all = false;
  let id: number | undefined;
  let i = 0;
  if (args[0] === 'oneline' || args[0] === 'full') format = args[i++] as ShowQuicArgs['format'];
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '') continue;
    if (a === 'all' && id === undefined) all = true;
    else if (id === undefined && !all && (/^0x[0-9a-f]+$/i.test(a) || /^\d+$/.test(a))) id = /^0x/i.test(a) ? parseInt(a.slice(2), 16) : Number(a);
    else if (a === 'oneline' || a === 'full') throw new ShowQuicArgError(`show quic: the format ('${a}') comes first: ${SHOW_QUIC_USAGE}`);
    else throw new ShowQuicArgError(`show quic: unexpected argument '${a}': ${SHOW_QUIC_USAGE} (<id> as 'show quic' prints it, e.g. 0x1e)`);
  }
  return { format, all, ...(id !== undefined ? { id } : {}) };
}

// ------------------------------------------------------------------ rendering

const idOf = (r: QuicConnRecord): string => `0x${r.id.toString(16)}`;
/** HAProxy's oneline state column. */
const STATE_WORD: Record<QuicConnRecord['state'], string> = { handshake: 'HDSHK', established: 'ESTAB', closing: 'CLOSE', draining: 'DRAIN', closed: 'CLOSE' };

/** HAProxy's `st=` of the full format: handshake until confirmed, then opened. */
function stWord(r: QuicConnRecord): string {
  if (r.state === 'closing' || r.state === 'closed') return 'closing';
  if (r.state === 'draining') return 'draining';
  return r.handshake === 'confirmed' ? 'opened' : 'handshake';
}

/** `12ms`, `2.5s`, `29s`, `-1s`: a timer's remaining time (like show sess `exp=`). */
function left(ms: number): string {
  const a = Math.abs(Math.round(ms));
  const s = a < 1000 ? `${a}ms` : a < 10_000 ? `${(a / 1000).toFixed(1)}s` : `${Math.floor(a / 1000)}s`;
  return ms < 0 ? `-${s}` : s;
}

/** Splits `host:port` (IPv6 hosts without brackets) for HAProxy's `%15s:%-5s` columns. */
function addrCols(a: string): string {
  const i = a.lastIndexOf(':');
  return `${a.slice(0, i).padStart(15)}:${a.slice(i + 1).padEnd(5)}`;
}

/** Open bidirectional streams: the requests (HTTP/3 keeps its control and QPACK streams, unidirectional, open). */
const openStreams = (r: QuicConnRecord): number => r.streams.filter((s) => s.bidi).length;

/** The legend of the oneline format (HAProxy's, plus the fields this proxy adds after the CIDs). */
export const ONELINE_LEGEND =
  '# conn/frontend                     state   in_flight infl_p lost_p         Local Address           Foreign Address      local & remote CIDs [ver srtt rttvar cwnd streams reqs idle]';

/**
 * One oneline row: HAProxy's columns, then `v=1 srtt=<ms> rttvar=<ms> cwnd=<bytes> streams=<open>
 * reqs=<n> idle=<left>` (`idle=-` when no idle timer runs, e.g. closing).
 */
export function quicOneline(r: QuicConnRecord): string {
  const head = `${idOf(r)}[${String(r.thread).padStart(2, '0')}]/${r.frontend.slice(0, 12)} `;
  const inflP = r.spaces.reduce((n, s) => n + s.txAckElicitingInFlight, 0);
  return (
    head.padEnd(36) +
    STATE_WORD[r.state].padEnd(8) +
    `${String(r.cc.inFlight).padStart(9)} ${String(inflP).padStart(6)} ${String(r.stats.packetsLost).padStart(6)}   ` +
    `${addrCols(r.paths.local)}   ${addrCols(r.paths.remote)} ${r.scid} ${r.dcid}` +
    ` v=${r.version} srtt=${r.rtt.srtt} rttvar=${r.rtt.rttvar} cwnd=${r.cc.cwnd} streams=${openStreams(r)} reqs=${r.requests} idle=${r.idleInMs !== undefined ? left(r.idleInMs) : '-'}`
  );
}

const SPACE_TAG = { initial: '[initl] ', handshake: '[hndshk]', application: '[01rtt] ' } as const;
const cidList = (l: readonly QuicShowCid[]): string => (l.length === 0 ? '-' : l.map((c) => `${c.seq}:${c.cid || '(empty)'}${c.current ? '*' : ''}`).join(' '));

/** One `| stream=` line of the full format (HAProxy prints `stream= off= ack=`; states, windows and the request are added). */
export function quicStreamLine(s: QuicShowStream): string {
  const kind = `${s.bidi ? 'bidi' : 'uni'}/${s.initiator === 'client' ? 'cli' : 'srv'}`;
  const tx = s.tx
    ? ` tx=${s.tx.state} off=${s.tx.sent} ack=${s.tx.acked} written=${s.tx.written} msd=${s.tx.limit}${s.tx.resetCode !== undefined ? ` reset=0x${s.tx.resetCode.toString(16)}` : ''}`
    : '';
  const rx = s.rx
    ? ` rx=${s.rx.state} off=${s.rx.delivered} highest=${s.rx.highest} msd=${s.rx.limit}${s.rx.finalSize !== undefined ? ` fin=${s.rx.finalSize}` : ''}${s.rx.stopCode !== undefined ? ` stop=0x${s.rx.stopCode.toString(16)}` : ''}${s.rx.pausedHeld !== undefined ? ` paused held=${s.rx.pausedHeld}` : ''}`
    : '';
  const req = s.lcId !== undefined ? ` sess=0x${s.lcId.toString(16)} "${s.request ?? ''}"` : '';
  return `  | stream=${String(s.id).padEnd(4)} ${kind}${tx}${rx}${req}`;
}

/** The full block of one connection (HAProxy's dump_quic_full() order, then what this proxy adds). */
export function quicFull(r: QuicConnRecord): string[] {
  const pad20 = (h: string) => h + '..'.repeat(Math.max(0, 20 - h.length / 2));
  const lines = [`* ${idOf(r)}[${String(r.thread).padStart(2, '0')}]: scid=${pad20(r.scid)} dcid=${pad20(r.dcid)}`];
  lines.push(`  loc. TPs: ${r.tp.local}`);
  lines.push(`  rem. TPs: ${r.tp.peer}`);
  const expire = r.idleInMs !== undefined ? ` expire=${String(Math.max(0, Math.floor(r.idleInMs / 1000))).padStart(2, '0')}s` : '';
  lines.push(`  st=${stWord(r).padEnd(17)} mux=${r.mux.padEnd(9)}${expire} fe=${r.frontend} version=0x${r.version.toString(16).padStart(8, '0')} hs=${r.handshake}${r.goaway ? ' goaway' : ''}`);
  lines.push(`  local_addr=${r.paths.local} foreign_addr=${r.paths.remote} odcid=${r.odcid || '-'} addr_validated=${r.addressValidated ? 1 : 0}`);
  const v = r.paths.validating;
  const m = r.paths.migrations;
  lines.push(
    `  path: ${v ? `validating ${v.remote} (fails in ${left(v.failsInMs)})` : 'validated'}${r.paths.fallback ? ` fallback=${r.paths.fallback}` : ''}` +
      ` migrations: peer=${m.peer} validated=${m.validated} failed=${m.failed} local=${m.local}`,
  );
  lines.push(`  local CIDs: ${cidList(r.localCids)}`);
  lines.push(`  peer CIDs:  ${cidList(r.peerCids)}`);
  for (const s of r.spaces) {
    const what = s.discarded
      ? 'discarded'
      : !s.keys
        ? 'no keys'
        : `tx.pn=${s.txNext} tx.acked=${s.txLargestAcked} tx.inflight=${s.txInFlight} tx.ae_inflight=${s.txAckElicitingInFlight} rx.largest=${s.rxLargest} ack_pending=${s.ackPending ? 1 : 0}`;
    lines.push(`  ${SPACE_TAG[s.space]} ${what}`);
  }
  const st = r.stats;
  lines.push(
    `  srtt=${String(r.rtt.srtt).padEnd(4)} rttvar=${String(r.rtt.rttvar).padEnd(4)} rttmin=${String(r.rtt.min).padEnd(4)} ptoc=${String(r.rtt.ptoCount).padEnd(4)} ` +
      `cwnd=${String(r.cc.cwnd).padEnd(6)} mcwnd=${String(r.cc.minCwnd).padEnd(6)} sentpkts=${String(st.packetsOut).padEnd(6)} lostpkts=${String(st.packetsLost).padEnd(6)}`,
  );
  lines.push(
    `  rtt=${r.rtt.latest} ssthresh=${r.cc.ssthresh < 0 ? 'inf' : r.cc.ssthresh} in_flight=${r.cc.inFlight} cc=${r.cc.state} timer=${r.timerInMs !== undefined ? left(r.timerInMs) : '-'}` +
      ` idle_timeout=${r.idleTimeoutMs}ms key_phase=${r.keyPhase} key_updates=${r.keyUpdates}`,
  );
  lines.push(
    `  rxpkts=${st.packetsIn} droppkts=${st.dropped} dgrams_in=${st.datagramsIn} dgrams_out=${st.datagramsOut} bytes_in=${st.bytesIn} bytes_out=${st.bytesOut}`,
  );
  const f = r.flow;
  lines.push(`  flow: tx.md=${f.txLimit} tx.used=${f.txUsed} rx.md=${f.rxLimit} rx.highest=${f.rxHighest} rx.consumed=${f.rxConsumed} reqs=${r.requests}`);
  if (r.closeReason) {
    const c = r.closeReason;
    lines.push(`  close: by=${c.by} ${c.app ? 'app' : 'transport'} error=0x${c.errorCode.toString(16)}${c.frameType ? ` frame=0x${c.frameType.toString(16)}` : ''}${c.reason ? ` reason="${c.reason}"` : ''}`);
  }
  for (const s of r.streams) lines.push(quicStreamLine(s));
  return lines;
}

/**
 * The text of `show quic` over every worker's answer (workers in thread order): the legend and one
 * row per connection (oneline; `streams=` counts open bidirectional streams, i.e. requests), or one block per connection (full). Without `all`, closing and
 * draining connections are left out (HAProxy); with an `<id>`, only that connection is shown,
 * whatever its state. Each worker that did not answer gets a `# thread N: <why>` line, so a missing
 * connection is never silently missing. Throws ShowQuicArgError when `<id>` is on no thread that answered.
 */
export function renderShowQuic(answers: readonly QuicShowAnswer[], a: ShowQuicArgs): string {
  const rows: string[] = [];
  const missing: string[] = [];
  for (const ans of [...answers].sort((x, y) => x.thread - y.thread)) {
    if (!ans.records) {
      missing.push(`# thread ${ans.thread}: ${ans.error ?? 'no answer'}`);
      continue;
    }
    for (const r of ans.records) {
      if (a.id !== undefined ? r.id !== a.id : !a.all && r.state !== 'handshake' && r.state !== 'established') continue;
      if (a.format === 'full') rows.push(...quicFull(r));
      else rows.push(quicOneline(r));
    }
  }
  if (a.id !== undefined && rows.length === 0) {
    const hint = missing.length > 0 ? ` (${missing.map((m) => m.slice(2)).join('; ')}: it may be there)` : '';
    throw new ShowQuicArgError(`show quic: no QUIC connection 0x${a.id.toString(16)}${hint}; 'show quic' lists the open ones, 'show conns' every connection.`);
  }
  const head = a.format === 'oneline' ? [ONELINE_LEGEND] : [];
  return [...head, ...rows, ...missing].join('\n');
}

/**
 * The live QUIC part of `show sess <id>` (lines indented like diag/render/sess.ts objectDetail):
 * for a `quic_conn` object its full block; for an HTTP/3 stream (`streamLcId` set) the QUIC stream
 * carrying it (id, states, bytes, windows) and its connection's oneline state.
 */
export function renderQuicSessDetail(r: QuicConnRecord, streamLcId?: number): string[] {
  const conn = `  quic: conn=${idOf(r)} st=${stWord(r)} srtt=${r.rtt.srtt}ms cwnd=${r.cc.cwnd} in_flight=${r.cc.inFlight} lost=${r.stats.packetsLost} idle=${r.idleInMs !== undefined ? left(r.idleInMs) : '-'} ${r.paths.local}<-${r.paths.remote}`;
  if (streamLcId === undefined) return [`  live QUIC state (thread ${r.thread}):`, ...quicFull(r).map((l) => `  ${l}`)];
  const s = r.streams.find((x) => x.lcId === streamLcId);
  if (!s) return [conn, '  quic stream: not open on the connection any more'];
  const bytes = `bytes_in=${s.rx?.delivered ?? 0} bytes_out=${s.tx?.acked ?? 0}/${s.tx?.written ?? 0} acked/written`;
  return [conn, `  quic stream: id=${s.id} ${bytes}`, `  ${quicStreamLine(s).trimStart()}`];
}
