/**
 * A validator of qlog JSON-SEQ text against the documented fields of the qlog main schema (qlog_version
 * 0.3, the JSON-SEQ header and events) and of the QUIC and HTTP/3 event definitions Flightbox writes,
 * shared by the unit and e2e tests of the qlog export.
 */
import { RS } from '../../../diag/export/qlog.ts';

/** A parsed record. */
export type QlogRecord = Record<string, any>;

/** Splits JSON-SEQ (RFC 7464 §2.2: RS, one JSON text, line feed, per record); throws on a malformed record. */
export function parseJsonSeq(text: string): QlogRecord[] {
  if (!text.startsWith(RS)) throw new Error('JSON-SEQ text must start with RS (0x1E)');
  return text
    .split(RS)
    .slice(1)
    .map((chunk, i) => {
      if (!chunk.endsWith('\n')) throw new Error(`record ${i} does not end with a line feed`);
      return JSON.parse(chunk) as QlogRecord;
    });
}

type Check = (v: unknown) => boolean;
const uint: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const str: Check = (v) => typeof v === 'string' && v.length > 0;
const oneOf =
  (...vals: string[]): Check =>
  (v) => typeof v === 'string' && vals.includes(v);
const obj = (fields: Fields): Check => (v) => typeof v === 'object' && v !== null && problems(v as QlogRecord, fields, '').length === 0;
const arr = (item: Check): Check => (v) => Array.isArray(v) && v.every(item);
/** A field's check and whether it is required. */
type Fields = Record<string, [Check, boolean]>;

const PACKET_TYPE = oneOf('initial', 'handshake', '0RTT', '1RTT', 'retry', 'version_negotiation', 'stateless_reset', 'unknown');
const PACKET_HEADER: Fields = { packet_type: [PACKET_TYPE, true], packet_number: [uint, false] };
const RAW: Fields = { length: [uint, false], payload_length: [uint, false], data: [str, false] };
const ENDPOINT: Fields = { ip_v4: [str, false], port_v4: [uint, false], ip_v6: [str, false], port_v6: [uint, false] };
const CONN_STATE = oneOf('attempted', 'peer_validated', 'handshake_started', 'early_write', 'handshake_complete', 'handshake_confirmed', 'closing', 'draining', 'closed');
const KEY_TYPE = oneOf(
  ...['server', 'client'].flatMap((side) => ['initial', 'handshake', '0rtt', '1rtt'].map((l) => `${side}_${l}_secret`)),
);
const H3_FRAME: Fields = {
  frame_type: [oneOf('data', 'headers', 'cancel_push', 'settings', 'push_promise', 'goaway', 'max_push_id', 'priority_update', 'reserved', 'unknown'), true],
  frame_type_bytes: [uint, false],
  headers: [arr(obj({ name: [str, true], value: [(v) => typeof v === 'string', false] })), false],
};
const INITIATOR = oneOf('local', 'remote');

/** Data fields of every standard event Flightbox writes (name -> fields), from the event definitions. */
export const QLOG_EVENT_FIELDS: Readonly<Record<string, Fields>> = {
  'quic:connection_started': { local: [obj(ENDPOINT), false], remote: [obj(ENDPOINT), false] },
  'quic:connection_closed': {
    initiator: [INITIATOR, false],
    error_code: [uint, false],
    reason: [(v) => typeof v === 'string', false],
    trigger: [oneOf('idle_timeout', 'application', 'error', 'version_mismatch', 'stateless_reset', 'aborted', 'unspecified'), false],
  },
  'quic:connection_state_updated': { old: [CONN_STATE, false], new: [CONN_STATE, true] },
  'quic:parameters_set': { initiator: [INITIATOR, false], tls_cipher: [str, false] },
  'quic:alpn_information': { chosen_alpn: [str, false] },
  'quic:packet_sent': { header: [obj(PACKET_HEADER), true], raw: [obj(RAW), false], frames: [arr(obj({ frame_type: [str, true] })), false] },
  'quic:packet_received': { header: [obj(PACKET_HEADER), true], raw: [obj(RAW), false], frames: [arr(obj({ frame_type: [str, true] })), false] },
  'recovery:packet_lost': { header: [obj(PACKET_HEADER), false], trigger: [str, false] },
  'recovery:metrics_updated': {
    min_rtt: [uint, false],
    smoothed_rtt: [uint, false],
    latest_rtt: [uint, false],
    rtt_variance: [uint, false],
    pto_count: [uint, false],
    congestion_window: [uint, false],
    bytes_in_flight: [uint, false],
    ssthresh: [uint, false],
  },
  'recovery:congestion_state_updated': { old: [str, false], new: [oneOf('slow_start', 'congestion_avoidance', 'application_limited', 'recovery'), true] },
  'recovery:loss_timer_updated': {
    timer_type: [oneOf('ack', 'pto'), false],
    packet_number_space: [oneOf('initial', 'handshake', 'application_data'), false],
    event_type: [oneOf('set', 'expired', 'cancelled'), true],
  },
  'security:key_updated': { key_type: [KEY_TYPE, true], trigger: [oneOf('tls', 'remote_update', 'local_update'), false] },
  'http3:parameters_set': { initiator: [INITIATOR, false], max_field_section_size: [uint, false], max_table_capacity: [uint, false], blocked_streams_count: [uint, false] },
  'http3:stream_type_set': {
    initiator: [INITIATOR, false],
    stream_id: [uint, true],
    stream_type: [oneOf('request', 'control', 'push', 'reserved', 'unknown', 'qpack_encode', 'qpack_decode'), true],
    stream_type_bytes: [uint, false],
  },
  'http3:frame_created': { stream_id: [uint, true], frame: [obj(H3_FRAME), true], raw: [obj(RAW), false] },
  'http3:frame_parsed': { stream_id: [uint, true], frame: [obj(H3_FRAME), true], raw: [obj(RAW), false] },
};

/** The problems of `o` against `fields`: missing required fields, wrong types, unknown fields. */
function problems(o: QlogRecord, fields: Fields, where: string): string[] {
  const bad: string[] = [];
  for (const [k, [check, required]] of Object.entries(fields)) {
    if (!(k in o)) {
      if (required) bad.push(`${where}missing ${k}`);
    } else if (!check(o[k])) bad.push(`${where}bad ${k}: ${JSON.stringify(o[k])}`);
  }
  for (const k of Object.keys(o)) if (!(k in fields)) bad.push(`${where}unexpected field ${k}`);
  return bad;
}

/**
 * Checks parsed JSON-SEQ records: the header (qlog_version 0.3, qlog_format JSON-SEQ, a trace with a
 * server vantage point and common_fields with relative time and a numeric reference_time), then
 * events with a finite non-negative `time` in ascending order, a `category:event` name, a text
 * `group_id` and an object `data`; standard events (QLOG_EVENT_FIELDS) field by field, custom ones in
 * a `flightbox` category. Returns the problems found.
 */
export function validateQlog(records: QlogRecord[]): string[] {
  const bad: string[] = [];
  const [h, ...events] = records;
  if (!h) return ['no header record'];
  if (h.qlog_version !== '0.3') bad.push(`header qlog_version ${h.qlog_version}`);
  if (h.qlog_format !== 'JSON-SEQ') bad.push(`header qlog_format ${h.qlog_format}`);
  const t = h.trace;
  if (typeof t !== 'object' || t === null) return [...bad, 'header has no trace object'];
  if (t.vantage_point?.type !== 'server') bad.push(`vantage_point ${JSON.stringify(t.vantage_point)}`);
  if (t.common_fields?.time_format !== 'relative') bad.push(`time_format ${t.common_fields?.time_format}`);
  if (!Number.isFinite(t.common_fields?.reference_time)) bad.push(`reference_time ${t.common_fields?.reference_time}`);
  if ('events' in t) bad.push('a JSON-SEQ trace carries no events array');
  let last = -Infinity;
  events.forEach((e, i) => {
    const where = `event ${i} (${e.name}): `;
    if (!Number.isFinite(e.time) || e.time < 0) bad.push(`${where}time ${e.time}`);
    if (e.time < last) bad.push(`${where}time ${e.time} before ${last}`);
    last = e.time;
    if (typeof e.name !== 'string' || !/^[a-z0-9_]+:[a-z0-9_]+$/.test(e.name)) bad.push(`${where}bad name`);
    if (typeof e.group_id !== 'string') bad.push(`${where}group_id ${e.group_id}`);
    if (typeof e.data !== 'object' || e.data === null) return void bad.push(`${where}data not an object`);
    const fields = QLOG_EVENT_FIELDS[e.name];
    if (fields) bad.push(...problems(e.data, fields, where));
    else if (!e.name.startsWith('flightbox')) bad.push(`${where}neither a standard event this validator knows nor a flightbox one`);
  });
  return bad;
}
