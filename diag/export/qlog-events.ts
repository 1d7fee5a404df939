/**
 * Maps Flightbox trace records of a QUIC connection to qlog events (the `name` and `data` of each
 * event; diag/export/qlog.ts adds `time` and `group_id`).
 *
 * Names and data fields are the standard ones wherever a recorded event has a counterpart:
 *
 * | Flightbox record                     | qlog event                                                  |
 * |--------------------------------------|-------------------------------------------------------------|
 * | quic `pkt_sent` (space, pn, bytes)    | `quic:packet_sent` header.packet_type/packet_number, raw.length |
 * | quic `pkt_rcvd` (space, pn)           | `quic:packet_received` header                               |
 * | quic `pkt_lost` (space, pn)           | `recovery:packet_lost` header                               |
 * | quic `cc_state` (cwnd, ssthresh, in flight, state) | `recovery:metrics_updated` congestion_window, ssthresh, bytes_in_flight; `recovery:congestion_state_updated` new |
 * | quic `pto` (space, pto_count)         | `recovery:loss_timer_updated` (pto, expired); `recovery:metrics_updated` pto_count |
 * | tls13 `hs-keys` (level, direction)    | `security:key_updated` key_type, trigger `tls`              |
 * | tls13 `hs-done` (suite, role, alpn)   | `quic:connection_state_updated` handshake_complete; `quic:parameters_set` tls_cipher; `quic:alpn_information` chosen_alpn |
 * | h3 `rcv_frm` (frame type)             | `http3:frame_parsed` stream_id, frame.frame_type            |
 * | h3 `resp_hdrs` (status, frame size)   | `http3:frame_created` HEADERS with `:status`, raw.length    |
 * | h3 `settings`                         | `http3:parameters_set` max_table_capacity, blocked_streams_count, max_field_section_size |
 * | h3 `uni_strm` (stream type)           | `http3:stream_type_set` stream_id, stream_type              |
 * | lifecycle `create` of the quic_conn   | `quic:connection_started` local/remote ip_v4/ip_v6 and port |
 * | lifecycle `shutr` (code, by: reason)  | `quic:connection_closed` initiator, error_code, reason, trigger |
 * | lifecycle `close`                     | `quic:connection_state_updated` closed                      |
 *
 * Names: `quic:` (draft-ietf-quic-qlog-quic-events, the `transport` category renamed `quic` in draft
 * 05), `recovery:` and `security:` (the categories of quic-events drafts up to 08, the ones qvis's
 * congestion graph reads; draft 09 folded them into `quic:` as `quic:recovery_metrics_updated`,
 * `quic:key_updated`, `quic:packet_lost`) and `http3:` (draft-ietf-quic-qlog-h3-events). Data field
 * names follow the draft that defines the name (`initiator`, `local`/`remote` endpoints, `raw.length`).
 *
 * Every other record keeps a custom name in a Flightbox category, `flightbox_<source>:<event>`
 * (`flightbox_quic:ack_rcvd`, `flightbox_tls13:hs_rx`, `flightbox_h3:req`; qlog lets applications
 * add categories (main schema, "Category and Event Type"), and a name may not contain a second `:`), with the record's
 * level, rendered message, stream id, numeric arguments and text as data.
 */
import type { RingRecord } from '../ring.types.ts';
import type { TracePointInfo } from '../trace.types.ts';
import { formatTraceMessage } from '../render/trace-line.ts';

/** A qlog event without its time and group. */
export interface QlogEventBody {
  name: string;
  data: Record<string, unknown>;
}

/** Per-connection facts gathered while mapping (the peer's control stream, learnt from `uni_strm`). */
export interface QlogConnState {
  /** QUIC stream id of the peer's HTTP/3 control stream, once typed. */
  controlStream?: number;
}

/** qlog PacketType by Flightbox trace space number (0 Initial, 1 Handshake, 2 Application Data). */
export const PACKET_TYPE = ['initial', 'handshake', '1RTT'] as const;
/** qlog PacketNumberSpace by trace space number. */
export const PN_SPACE = ['initial', 'handshake', 'application_data'] as const;
/** qlog key_type level part by tls13 level code (0 Initial, 1 Handshake, 2 application). */
const KEY_LEVEL = ['initial', 'handshake', '1rtt'] as const;

/** TLS 1.3 cipher suite names by IANA code (RFC 8446 §B.4), for `tls_cipher`. */
export const CIPHER_SUITE_NAMES: Readonly<Record<number, string>> = {
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
};

/** HTTP/3 frame types (RFC 9114 §7.2, RFC 9218 §7) by code, as qlog's `frame_type` names them. */
export const H3_FRAME_TYPES: Readonly<Record<number, string>> = {
  0x0: 'data',
  0x1: 'headers',
  0x3: 'cancel_push',
  0x4: 'settings',
  0x5: 'push_promise',
  0x7: 'goaway',
  0xd: 'max_push_id',
  0xf0700: 'priority_update',
  0xf0701: 'priority_update',
};
/** Frame types only allowed on the control stream (RFC 9114 §7.2.3-§7.2.7). */
const CONTROL_ONLY = new Set([0x3, 0x4, 0x7, 0xd, 0xf0700, 0xf0701]);

/** HTTP/3 unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2) as qlog's `stream_type`. */
export const H3_STREAM_TYPES: Readonly<Record<number, string>> = { 0: 'control', 1: 'push', 2: 'qpack_encode', 3: 'qpack_decode' };

/** A category or event name reduced to qlog's `[a-z0-9_]` (no `:`). */
const ident = (s: string) => s.toLowerCase().replace(/[^a-z0-9_]/g, '_');

/** The custom event of a record that has no standard counterpart. */
export function customEvent(r: RingRecord, p: TracePointInfo | undefined): QlogEventBody {
  return {
    name: `flightbox_${ident(p?.source ?? 'unknown')}:${ident(p?.event ?? `point_${r.point}`)}`,
    data: {
      level: p?.level ?? null,
      message: p ? formatTraceMessage(p.msg, r) : null,
      stream_id: r.streamId || null,
      args: r.args,
      text: r.text ?? null,
    },
  };
}

/** `{ ip_v4|ip_v6, port_v4|port_v6 }` of `host:port` (the port after the last colon). */
export function endpointInfo(hostPort: string): Record<string, unknown> | undefined {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(hostPort.trim());
  if (!m) return undefined;
  const v6 = m[1].includes(':');
  return v6 ? { ip_v6: m[1], port_v6: Number(m[2]) } : { ip_v4: m[1], port_v4: Number(m[2]) };
}

/** `quic:connection_started` data from a quic_conn description (`<remote> -> <local> quic fe=...`). */
export function connectionStarted(info: string): Record<string, unknown> {
  const m = /^(\S+) -> (\S+)/.exec(info);
  const remote = endpointInfo(m ? m[1] : (info.split(' ')[0] ?? ''));
  const local = m ? endpointInfo(m[2]) : undefined;
  return { ...(local ? { local } : {}), ...(remote ? { remote } : {}) };
}

const header = (space: number, pn: number) => ({ packet_type: PACKET_TYPE[space] ?? 'unknown', packet_number: pn });

function quicEvents(r: RingRecord, event: string): QlogEventBody[] | undefined {
  const [a0, a1, a2] = r.args;
  switch (event) {
    case 'pkt_sent':
      return [{ name: 'quic:packet_sent', data: { header: header(a0, a1), ...(a2 > 0 ? { raw: { length: a2 } } : {}) } }];
    case 'pkt_rcvd':
      return [{ name: 'quic:packet_received', data: { header: header(a0, a1) } }];
    case 'pkt_lost':
      return [{ name: 'recovery:packet_lost', data: { header: header(a0, a1) } }];
    case 'cc_state': {
      const metrics: Record<string, number> = { congestion_window: a0, bytes_in_flight: a2 };
      if (a1 > 0) metrics.ssthresh = a1; // 0 records an infinite ssthresh: not logged
      const out: QlogEventBody[] = [{ name: 'recovery:metrics_updated', data: metrics }];
      if (r.text) out.push({ name: 'recovery:congestion_state_updated', data: { new: r.text } });
      return out;
    }
    case 'pto':
      return [
        { name: 'recovery:loss_timer_updated', data: { timer_type: 'pto', packet_number_space: PN_SPACE[a0] ?? 'application_data', event_type: 'expired' } },
        { name: 'recovery:metrics_updated', data: { pto_count: a1 } },
      ];
    default:
      return undefined;
  }
}

function tlsEvents(r: RingRecord, event: string): QlogEventBody[] | undefined {
  const [a0, a1] = r.args;
  const role = (r.text ?? '').split(' ')[0] === 'client' ? 'client' : 'server';
  switch (event) {
    case 'hs-keys': {
      // Keys we write are our role's; keys we read are the peer's (RFC 9001 §5.1).
      const side = a1 === 1 ? role : role === 'server' ? 'client' : 'server';
      return [{ name: 'security:key_updated', data: { key_type: `${side}_${KEY_LEVEL[a0] ?? 'unknown'}_secret`, trigger: 'tls' } }];
    }
    case 'hs-done': {
      const alpn = /alpn=(\S+)/.exec(r.text ?? '')?.[1];
      const out: QlogEventBody[] = [
        { name: 'quic:connection_state_updated', data: { new: 'handshake_complete' } },
        { name: 'quic:parameters_set', data: { initiator: 'local', tls_cipher: CIPHER_SUITE_NAMES[a0] ?? `0x${a0.toString(16)}` } },
      ];
      if (alpn && alpn !== '-') out.push({ name: 'quic:alpn_information', data: { chosen_alpn: alpn } });
      return out;
    }
    default:
      return undefined;
  }
}

function frameOf(type: number): Record<string, unknown> {
  const name = H3_FRAME_TYPES[type];
  return name ? { frame_type: name } : { frame_type: (type - 0x21) % 0x1f === 0 ? 'reserved' : 'unknown', frame_type_bytes: type };
}

function h3Events(r: RingRecord, event: string, st: QlogConnState): QlogEventBody[] | undefined {
  const [a0, a1, a2] = r.args;
  switch (event) {
    case 'rcv_frm': {
      // Control-stream frames are recorded without a stream id (0): they arrived on the peer's control stream.
      const streamId = CONTROL_ONLY.has(a0) && r.streamId === 0 && st.controlStream !== undefined ? st.controlStream : r.streamId;
      return [{ name: 'http3:frame_parsed', data: { stream_id: streamId, frame: frameOf(a0), ...(a1 > 0 ? { raw: { length: a1 } } : {}) } }];
    }
    case 'resp_hdrs':
      return [{ name: 'http3:frame_created', data: { stream_id: r.streamId, frame: { frame_type: 'headers', headers: [{ name: ':status', value: String(a0) }] }, raw: { length: a1 } } }];
    case 'settings': {
      const data: Record<string, unknown> = { initiator: 'remote', max_table_capacity: a0, blocked_streams_count: a1 };
      if (a2 > 0) data.max_field_section_size = a2;
      return [{ name: 'http3:parameters_set', data }];
    }
    case 'uni_strm': {
      const known = H3_STREAM_TYPES[a0];
      if (known === 'control') st.controlStream = r.streamId;
      const stream_type = known ?? ((a0 - 0x21) % 0x1f === 0 ? 'reserved' : 'unknown');
      return [{ name: 'http3:stream_type_set', data: { initiator: 'remote', stream_id: r.streamId, stream_type, ...(known ? {} : { stream_type_bytes: a0 }) } }];
    }
    default:
      return undefined;
  }
}

/** `quic:connection_closed` trigger from the lifecycle record (`<by>: <reason>`, by = local|peer|idle). */
function closeTrigger(by: string, code: number): string {
  if (by === 'idle') return 'idle_timeout';
  if (by !== 'local') return 'unspecified';
  return code === 0 || code === 0x100 ? 'application' : 'error'; // NO_ERROR / H3_NO_ERROR: we chose to close
}

function lifecycleEvents(r: RingRecord, event: string, info: string): QlogEventBody[] | undefined {
  if (r.streamId !== 0) return undefined; // a stream's lifecycle, not the connection's
  switch (event) {
    case 'create':
      return [{ name: 'quic:connection_started', data: connectionStarted(r.text ?? info) }];
    case 'shutr': {
      const m = /^(\w+): ?(.*)$/.exec(r.text ?? '');
      const by = m?.[1] ?? 'unknown';
      const data: Record<string, unknown> = { initiator: by === 'peer' ? 'remote' : 'local', error_code: r.args[0], trigger: closeTrigger(by, r.args[0]) };
      if (m?.[2]) data.reason = m[2];
      return [{ name: 'quic:connection_closed', data }];
    }
    case 'close':
      return [{ name: 'quic:connection_state_updated', data: { new: 'closed' } }];
    default:
      return undefined;
  }
}

/**
 * The qlog events of one record of a QUIC connection: the standard events it maps to (see the
 * module table), else one custom event. `info` is the connection's description (for
 * `connection_started` when the record's text was lost); `st` carries facts between records of the
 * same connection, in time order.
 */
export function qlogEventsOf(r: RingRecord, p: TracePointInfo | undefined, info: string, st: QlogConnState): QlogEventBody[] {
  let mapped: QlogEventBody[] | undefined;
  if (p?.source === 'quic') mapped = quicEvents(r, p.event);
  else if (p?.source === 'tls13') mapped = tlsEvents(r, p.event);
  else if (p?.source === 'h3') mapped = h3Events(r, p.event, st);
  else if (p?.source === 'objects') mapped = lifecycleEvents(r, p.event, info);
  return mapped ?? [customEvent(r, p)];
}
