/**
 * `show peers [<section>]` output, in the layout of HAProxy 2.6 (src/peers.c peers_dump_head(),
 * peers_dump_peer()): one head line per section, then per peer its name and role, address, last
 * status and time since the last handshake, reconnect timer, heartbeat counters, connections and
 * collisions, its session state, and per shared table the update positions (last acked, last
 * pushed, last got). Addresses print as small hex ids (Flightbox has no pointers to show).
 * Flightbox adds the synchronisation progress HAProxy encodes in `flags`, in words:
 * `resync=<needed|assigned(<peer>)|finished|partial>` on the head line and
 * `learn=<...> teach=<...>` on each session line; after a failed attempt, `last_error="<why>"` on
 * the peer's line (with `last_status=SSLERR` when its TLS handshake failed), and on the local
 * peer's line `ssl_accept_err=<n> last_error="<address>: <why>"` when incoming TLS handshakes
 * failed (before any hello, so the peer is not known). The local peer's line turns
 * `(local,active)` with a session line while a reload hands the tables over, and keeps its
 * last status and `learned=`/`taught=` counts afterwards.
 */
import type { PeersSection, PeerLink } from './sync.ts';

/** HAProxy's human duration of a tick delta: `<NEVER>`, `<PAST>`, `1s`, `250ms`, `2m3s`. */
export function humanDelay(ms: number): string {
  if (!Number.isFinite(ms)) return '<NEVER>';
  if (ms <= 0) return '<PAST>';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${s % 60}s`;
}

function date(t: number): string {
  const d = new Date(t);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function resync(sec: PeersSection): string {
  return sec.learn === 'assigned' ? `assigned(${sec.learner?.name ?? '?'})` : sec.learn;
}

function peerLines(sec: PeersSection, l: PeerLink, i: number, s: number, now: number): string[] {
  const sess = l.session;
  const est = sess?.state === 'established';
  const lines = [
    `  0x${(s * 0x100 + i + 2).toString(16)}: id=${l.name}(remote,active) addr=${l.host}:${l.port} last_status=${l.lastStatus} last_hdshk=${l.lastHandshake ? humanDelay(now - l.lastHandshake) : '<NEVER>'}${l.lastError ? ` last_error=${JSON.stringify(l.lastError)}` : ''}`,
    `        reconnect=${sess ? '<NEVER>' : humanDelay(l.reconnectAt - now)} heartbeat=${est ? humanDelay(3000 - ((now - l.lastHandshake) % 3000)) : '<NEVER>'} confirm=${sess?.teachState === 'wait-confirm' ? 1 : 0} tx_hbt=${l.txHeartbeats + (sess?.txHeartbeats ?? 0)} rx_hbt=${l.rxHeartbeats} no_hbt=${l.timeouts} new_conn=${l.newConns} proto_err=${l.protoErrors} coll=${l.collisions}`,
  ];
  if (sess) {
    const learn = sec.learnerSession === sess ? (sess.released ? 'released' : sess.learnStateUnchecked) : 'none';
    lines.push(`        flags=0x0 appctx:0x${sess.conn.toString(16)} st0=${sess.state} learn=${learn} teach=${sess.teachState} learned=${l.learned + sess.learned} taught=${l.taught + sess.taught}`);
  } else lines.push(`        flags=0x0 learned=${l.learned} taught=${l.taught}`);
  lines.push('        shared tables:');
  const stats = sess?.tableStats() ?? [];
  sec.tables.forEach((t, k) => {
    const st = stats.find((x) => x.name === t.name);
    lines.push(`          0x${(s * 0x1000 + k + 1).toString(16)} local_id=${k + 1} remote_id=${st?.remoteId ?? 0} flags=0x0`);
    lines.push(`              last_acked=${(st?.acked ?? l.acked.get(t.name) ?? 0) >>> 0} last_pushed=${(st?.lastSent ?? 0) >>> 0} last_get=${(st?.lastGet ?? 0) >>> 0} teaching_origin=${(l.acked.get(t.name) ?? 0) >>> 0} update=${t.table.updateCounter >>> 0}`);
    lines.push(`              table:0x${(s * 0x10000 + k + 1).toString(16)} id=${t.table.def.name} update=${t.table.updateCounter >>> 0} localupdate=${t.table.updateCounter >>> 0} commitupdate=0 refcnt=1`);
  });
  return lines;
}

/**
 * The local peer's lines: `(local,inactive)` and zeros, as HAProxy shows it, until a reload makes
 * it active: the session with the old process (in the successor) or with the successor (in the
 * old process), its last status, handshake time, and the updates learned from it or taught to it.
 */
function localLines(sec: PeersSection, s: number, now: number, at: { host: string; port: number } | undefined): string[] {
  const l = sec.localLink;
  const sess = l.session;
  const acceptErr = sec.tlsAcceptErrors ? ` ssl_accept_err=${sec.tlsAcceptErrors} last_error=${JSON.stringify(sec.lastAcceptError ?? '')}` : l.lastError ? ` last_error=${JSON.stringify(l.lastError)}` : '';
  const lines = [
    `  0x${(s * 0x100 + 1).toString(16)}: id=${sec.localPeer}(local,${sess ? 'active' : 'inactive'}) addr=${at ? `${at.host}:${at.port}` : '-'} last_status=${l.lastStatus} last_hdshk=${l.lastHandshake ? humanDelay(now - l.lastHandshake) : '<NEVER>'}${acceptErr}`,
    `        reconnect=<NEVER> heartbeat=<NEVER> confirm=${sess?.teachState === 'wait-confirm' ? 1 : 0} tx_hbt=${l.txHeartbeats + (sess?.txHeartbeats ?? 0)} rx_hbt=${l.rxHeartbeats} no_hbt=0 new_conn=${l.newConns} proto_err=0 coll=0`,
  ];
  if (sess) {
    const learn = sec.learnerSession === sess ? (sess.released ? 'released' : sess.learnStateUnchecked) : 'none';
    lines.push(`        flags=0x0 appctx:0x${sess.conn.toString(16)} st0=${sess.state} learn=${learn} teach=${sess.teachState} learned=${l.learned + sess.learned} taught=${l.taught + sess.taught}`);
  } else lines.push(l.newConns > 0 ? `        flags=0x0 learned=${l.learned} taught=${l.taught}` : '        flags=0x0');
  return lines;
}

/** The `show peers` text for `sections` at time `now`; `listen` gives each local peer's address. */
export function formatShowPeers(sections: readonly PeersSection[], now: number, listen: ReadonlyMap<PeersSection, { host: string; port: number }>): string {
  const out: string[] = [];
  sections.forEach((sec, s) => {
    const timeout = sec.synced(now) ? '<PAST>' : humanDelay(sec.startedAt + 5000 - now);
    out.push(`0x${(s + 1).toString(16)}: [${date(sec.startedAt)}] id=${sec.name} disabled=0 flags=0x0 resync_timeout=${timeout} task_calls=0 resync=${resync(sec)}`);
    const at = listen.get(sec);
    out.push(...localLines(sec, s, now, at));
    sec.links.forEach((l, i) => out.push(...peerLines(sec, l, i, s, now)));
    out.push('');
  });
  return out.join('\n').replace(/\n+$/, '');
}
