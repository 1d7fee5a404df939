/**
 * `flightbox export --format qlog`: the recorded events of a snapshot's QUIC connections as qlog
 * (draft-ietf-quic-qlog-main-schema, the JSON-SEQ serialisation qvis loads).
 *
 * Until a snapshot holds QUIC connections (objects of kind `quic_conn` in the live-object table:
 * the HTTP/3 listener of issue 4 creates them), there is nothing to export: {@link exportQlog}
 * returns `{ connections: 0 }` and the command says so.
 *
 * The schema written, for when there are (one file for all connections of the snapshot):
 *
 * - JSON-SEQ (RFC 7464): every record is the byte 0x1E (RS), one JSON text, and a line feed.
 * - Record 1, the header: `{ qlog_version: "0.3", qlog_format: "JSON-SEQ", title, description,
 *   trace: { title, vantage_point: { type: "server", name: "flightbox" }, common_fields: {
 *   time_format: "relative", reference_time } } }`, `reference_time` in epoch milliseconds (the
 *   earliest event exported).
 * - Then one record per trace event about a QUIC connection, oldest first: `{ time, name, group_id,
 *   data }`, `time` in milliseconds since `reference_time`, `group_id` the connection id (`0x1f`),
 *   `name` `<category>:<event>` where the category is the Flightbox trace source (`quic`, `h3`,
 *   `tls13`, `qpack`: qlog lets applications define categories) and the event its catalog name;
 *   `data` holds `level`, `message`, `stream_id` (the lifecycle stream id or null), `args` and `text`.
 * - And one `flightbox:connection_lifetime` record per connection at its creation, whose `data` is
 *   the connection's description, state and termination log.
 */
import type { LiveObject } from '../lifecycle.types.ts';
import { formatTraceMessage } from '../render/trace-line.ts';
import type { DecodedSnapshot } from '../snapshot/model.types.ts';

/** qlog header `qlog_version` written. */
export const QLOG_VERSION = '0.3';

/** The record separator of JSON-SEQ (RFC 7464 §2.2). */
export const RS = '\x1e';

/** What {@link exportQlog} produced. */
export interface QlogExport {
  /** QUIC connections found in the snapshot. */
  connections: number;
  /** The JSON-SEQ text (empty when there is no connection). */
  text: string;
  /** Records written, header included. */
  records: number;
}

/** The snapshot's QUIC connections (live or recently freed `quic_conn` objects). */
export function quicConnections(d: DecodedSnapshot): LiveObject[] {
  return d.live.filter((o) => o.kind === 'quic_conn');
}

const hex = (id: number) => `0x${id.toString(16)}`;

/** Exports the QUIC connections of a decoded snapshot as qlog JSON-SEQ (see the module comment). */
export function exportQlog(d: DecodedSnapshot): QlogExport {
  const conns = quicConnections(d);
  if (conns.length === 0) return { connections: 0, text: '', records: 0 };
  const ids = new Set(conns.map((c) => c.id));
  // A stream of a QUIC connection is a child of it: its records belong to the connection too.
  const streamConn = new Map(d.live.filter((o) => ids.has(o.parentId)).map((o) => [o.id, o.parentId]));
  const recs = d.rings
    .flatMap((r) => r.records)
    .filter((r) => ids.has(r.connId) || streamConn.has(r.streamId))
    .sort((a, b) => a.time - b.time || a.thread - b.thread || a.seq - b.seq);
  const reference = Math.floor(Math.min(...conns.map((c) => c.created), ...recs.map((r) => r.time)));
  const rel = (ms: number) => Math.round((ms - reference) * 1000) / 1000;
  const out: unknown[] = [
    {
      qlog_version: QLOG_VERSION,
      qlog_format: 'JSON-SEQ',
      title: `flightbox snapshot ${d.file ?? ''}`.trim(),
      description: `${conns.length} QUIC connection(s), reason ${d.meta?.reason ?? d.fault?.kind ?? 'unknown'}`,
      trace: {
        title: `flightbox ${d.meta?.version ?? ''} pid ${d.meta?.pid ?? '?'}`,
        vantage_point: { type: 'server', name: 'flightbox' },
        common_fields: { time_format: 'relative', reference_time: reference },
      },
    },
  ];
  const events: { time: number; rec: unknown }[] = conns.map((c) => ({
    time: rel(c.created),
    rec: {
      time: rel(c.created),
      name: 'flightbox:connection_lifetime',
      group_id: hex(c.id),
      data: { info: c.info, live: c.live, state: c.state ?? null, ended: c.live ? null : rel(c.lastEvent), log: c.log.map((l) => ({ time: rel(l.time), event: l.event, arg: l.arg })) },
    },
  }));
  for (const r of recs) {
    const p = d.points.get(r.thread)?.[r.point];
    const conn = ids.has(r.connId) ? r.connId : streamConn.get(r.streamId)!;
    events.push({
      time: rel(r.time),
      rec: {
        time: rel(r.time),
        name: `${p?.source ?? 'flightbox'}:${p?.event ?? `point_${r.point}`}`,
        group_id: hex(conn),
        data: {
          level: p?.level ?? null,
          message: p ? formatTraceMessage(p.msg, r) : null,
          stream_id: r.streamId ? hex(r.streamId) : null,
          args: r.args,
          text: r.text ?? null,
        },
      },
    });
  }
  events.sort((a, b) => a.time - b.time);
  out.push(...events.map((e) => e.rec));
  return { connections: conns.length, text: out.map((o) => `${RS}${JSON.stringify(o)}\n`).join(''), records: out.length };
}
