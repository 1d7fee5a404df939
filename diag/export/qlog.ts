/**
 * `flightbox export --format qlog`: the recorded events of a snapshot's QUIC connections as qlog,
 * in the JSON-SEQ serialisation qvis loads (draft-ietf-quic-qlog-main-schema, qlog_version 0.3).
 *
 * A snapshot without QUIC connections (objects of kind `quic_conn` in the live-object table) has
 * nothing to export: {@link exportQlog} returns `{ connections: 0 }` and the command says so.
 *
 * The file (one for all connections of the snapshot):
 *
 * - JSON-SEQ (RFC 7464 §2.2; the main schema's JSON-SEQ serialisation): every record is the byte 0x1E (RS), one JSON text and
 *   a line feed.
 * - Record 1, the header (the main schema's QlogFileSeq): `{ qlog_version: "0.3", qlog_format: "JSON-SEQ",
 *   title, description, trace: { title, description, vantage_point: { name: "flightbox", type:
 *   "server" }, common_fields: { protocol_type: ["QUIC", "HTTP3"], time_format: "relative",
 *   reference_time } } }`, `reference_time` in epoch milliseconds (the earliest event exported).
 * - Then the events of every connection, oldest first: `{ time, name, group_id, data }`, `time` in
 *   milliseconds relative to `reference_time` (µs precision; time_format `relative`), `group_id` the
 *   connection's lifecycle id (`0x1f`: the original destination connection id the QUIC drafts
 *   recommend is not recorded), `name` and `data` from diag/export/qlog-events.ts: standard
 *   `quic:`, `recovery:`, `security:` and `http3:` events where a record has a counterpart, custom
 *   `flightbox_<source>:<event>` events otherwise.
 * - And one `flightbox:connection_lifetime` event per connection at its creation: its description,
 *   state and termination log (what `show sess` prints).
 *
 * Which records belong to a connection: those whose connection id is the `quic_conn`'s. Since the
 * listener creates that object before the QUIC engine (proxy/quic/udp/listener.ts), this covers
 * every source: quic, tls13, h3, qpack, the lifecycle records and the stream lifecycles of its
 * requests. A `quic` record with connection id 0 is an answer that belongs to no connection
 * (Version Negotiation, a Retry sent or refused, a stateless reset) and is not exported.
 *
 * Snapshots of older builds, whose engines traced with connection id 0, are recognised by having
 * `quic`/`tls13` records but none tagged with a connection id. For them only, an untagged record of
 * those sources (the connectionless answers above excepted) is given to the connection that was the
 * only QUIC connection alive on its thread at the time; one that falls in the lifetime of several
 * connections, or of none, is left out and counted in `unattributed`. A current snapshot counts
 * there its untagged engine records, which should not exist.
 */
import type { LiveObject } from '../lifecycle.types.ts';
import type { RingRecord } from '../ring.types.ts';
import type { DecodedSnapshot } from '../snapshot/model.types.ts';
import type { TracePointInfo } from '../trace.types.ts';
import { connectionStarted, qlogEventsOf, type QlogConnState, type QlogEventBody } from './qlog-events.ts';

/** qlog header `qlog_version` written. */
export const QLOG_VERSION = '0.3';

/** The record separator of JSON-SEQ (RFC 7464 §2.2). */
export const RS = '\x1e';

/** Sources whose records carried connection id 0 in builds older than the trace-id fix although they belong to a QUIC connection. */
const UNTAGGED_SOURCES = new Set(['quic', 'tls13']);
/** `quic` events recorded for no connection (the listener's stateless answers): never attributed. */
const CONNECTIONLESS_EVENTS = new Set(['retry', 'version_neg', 'stateless_reset']);
/** Slack after a freed connection's last lifecycle event within which its untagged records still count (ms). */
const END_SLACK_MS = 20;

/** What {@link exportQlog} produced. */
export interface QlogExport {
  /** QUIC connections found in the snapshot. */
  connections: number;
  /** The JSON-SEQ text (empty when there is no connection). */
  text: string;
  /** Records written, header included. */
  records: number;
  /**
   * Records of the quic/tls13 sources without a connection id (connectionless answers excepted)
   * that were given to no connection: in a snapshot of an older build, those that matched no single
   * connection; in a current one, all of them.
   */
  unattributed: number;
}

/** The snapshot's QUIC connections (live or recently freed `quic_conn` objects). */
export function quicConnections(d: DecodedSnapshot): LiveObject[] {
  return d.live.filter((o) => o.kind === 'quic_conn');
}

const hex = (id: number) => `0x${id.toString(16)}`;

/** Whether a record of the quic/tls13 engines was recorded without a connection id (and is no connectionless answer). */
function untaggedEngineRecord(r: RingRecord, p: TracePointInfo | undefined): boolean {
  return r.connId === 0 && p !== undefined && UNTAGGED_SOURCES.has(p.source) && !(p.source === 'quic' && CONNECTIONLESS_EVENTS.has(p.event));
}

/**
 * Whether the snapshot comes from a build whose QUIC engines traced with connection id 0: it has
 * quic/tls13 records and none of them carries a connection id.
 */
function engineUntagged(d: DecodedSnapshot, point: (r: RingRecord) => TracePointInfo | undefined): boolean {
  let engine = false;
  for (const ring of d.rings) {
    for (const r of ring.records) {
      const p = point(r);
      if (!p || !UNTAGGED_SOURCES.has(p.source)) continue;
      if (r.connId !== 0) return false;
      engine = true;
    }
  }
  return engine;
}

/** Older builds: the connection an untagged quic/tls13 record belongs to, the only one alive on its thread then. */
function ownerByTime(r: RingRecord, conns: readonly LiveObject[]): LiveObject | undefined {
  const alive = conns.filter((c) => c.thread === r.thread && c.created <= r.time && (c.live || r.time <= c.lastEvent + END_SLACK_MS));
  return alive.length === 1 ? alive[0] : undefined;
}

/** Exports the QUIC connections of a decoded snapshot as qlog JSON-SEQ (see the module comment). */
export function exportQlog(d: DecodedSnapshot): QlogExport {
  const conns = quicConnections(d);
  if (conns.length === 0) return { connections: 0, text: '', records: 0, unattributed: 0 };
  const byId = new Map(conns.map((c) => [c.id, c]));
  const point = (r: RingRecord): TracePointInfo | undefined => d.points.get(r.thread)?.[r.point];
  const guess = engineUntagged(d, point);
  let unattributed = 0;
  const owned: { r: RingRecord; p: TracePointInfo | undefined; conn: LiveObject }[] = [];
  for (const ring of d.rings) {
    for (const r of ring.records) {
      const p = point(r);
      let conn = byId.get(r.connId);
      if (!conn && untaggedEngineRecord(r, p)) {
        conn = guess ? ownerByTime(r, conns) : undefined;
        if (!conn) unattributed++;
      }
      if (conn) owned.push({ r, p, conn });
    }
  }
  owned.sort((a, b) => a.r.time - b.r.time || a.r.thread - b.r.thread || a.r.seq - b.r.seq);
  // A loop, not Math.min(...spread): a large snapshot holds more records than a call has arguments.
  let earliest = Infinity;
  for (const c of conns) earliest = Math.min(earliest, c.created);
  for (const o of owned) earliest = Math.min(earliest, o.r.time);
  const reference = Math.floor(earliest);
  const rel = (ms: number) => Math.round((ms - reference) * 1000) / 1000;

  const events: { time: number; name: string; group_id: string; data: Record<string, unknown> }[] = [];
  const push = (time: number, conn: LiveObject, e: QlogEventBody) => events.push({ time: rel(time), name: e.name, group_id: hex(conn.id), data: e.data });
  const started = new Set<number>();
  const states = new Map<number, QlogConnState>();
  for (const { r, p, conn } of owned) {
    let st = states.get(conn.id);
    if (!st) states.set(conn.id, (st = {}));
    for (const e of qlogEventsOf(r, p, conn.info, st)) {
      if (e.name === 'quic:connection_started') started.add(conn.id);
      push(r.time, conn, e);
    }
  }
  for (const c of conns) {
    // The creation record may have left the ring: the live table still knows when and what.
    if (!started.has(c.id)) push(c.created, c, { name: 'quic:connection_started', data: connectionStarted(c.info) });
    push(c.created, c, {
      name: 'flightbox:connection_lifetime',
      data: { info: c.info, live: c.live, state: c.state ?? null, ended: c.live ? null : rel(c.lastEvent), log: c.log.map((l) => ({ time: rel(l.time), event: l.event, arg: l.arg })) },
    });
  }
  // Stable: events of one record keep their order; a connection's start comes before its lifetime record.
  events.sort((a, b) => a.time - b.time);

  const header = {
    qlog_version: QLOG_VERSION,
    qlog_format: 'JSON-SEQ',
    title: `flightbox snapshot ${d.file ?? ''}`.trim(),
    description: `${conns.length} QUIC connection(s), reason ${d.meta?.reason ?? d.fault?.kind ?? 'unknown'}`,
    trace: {
      title: `flightbox ${d.meta?.version ?? ''} pid ${d.meta?.pid ?? '?'}`.replace(/ +/g, ' '),
      description: `events of ${conns.length} QUIC connection(s) from the flight recorder; group_id is the connection's lifecycle id`,
      vantage_point: { name: 'flightbox', type: 'server' },
      common_fields: { protocol_type: ['QUIC', 'HTTP3'], time_format: 'relative', reference_time: reference },
    },
  };
  const out: unknown[] = [header, ...events];
  return { connections: conns.length, text: out.map((o) => `${RS}${JSON.stringify(o)}\n`).join(''), records: out.length, unattributed };
}
