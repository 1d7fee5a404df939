/**
 * QUIC v1 transport parameters codec (RFC 9000 §18, validation rules of §7.3, §7.4 and §18.2):
 * a sequence of (id varint, length varint, value). Decoding refuses, as TRANSPORT_PARAMETER_ERROR,
 * truncation, duplicates, values that do not fill their length, out-of-range values, server-only
 * parameters from a client, and the absence of the connection id parameters §7.3 requires.
 * Unknown and reserved (31*N+27) ids are kept in `unknown` and otherwise ignored.
 */
import { decodeError, type QuicDecodeError } from './errors.ts';
import { ByteReader } from './reader.ts';
import {
  TRANSPORT_PARAM_DEFAULTS,
  TRANSPORT_PARAM_ID,
  type PreferredAddress,
  type TransportParameters,
  type UnknownTransportParameter,
} from './transport-params.types.ts';
import { decodeVarint, varintLength } from './varint.ts';
import { ByteWriter } from './writer.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type IntField =
  | 'maxIdleTimeout' | 'maxUdpPayloadSize' | 'initialMaxData' | 'initialMaxStreamDataBidiLocal' | 'initialMaxStreamDataBidiRemote'
  | 'initialMaxStreamDataUni' | 'initialMaxStreamsBidi' | 'initialMaxStreamsUni' | 'ackDelayExponent' | 'maxAckDelay' | 'activeConnectionIdLimit';
type CidField = 'originalDestinationConnectionId' | 'initialSourceConnectionId' | 'retrySourceConnectionId';

/** Integer parameters: field, and the range §18.2 allows. */
const INT_PARAMS: readonly { id: number; field: IntField; min?: number; max?: number }[] = [
  { id: TRANSPORT_PARAM_ID.max_idle_timeout, field: 'maxIdleTimeout' },
  { id: TRANSPORT_PARAM_ID.max_udp_payload_size, field: 'maxUdpPayloadSize', min: 1200 },
  { id: TRANSPORT_PARAM_ID.initial_max_data, field: 'initialMaxData' },
  { id: TRANSPORT_PARAM_ID.initial_max_stream_data_bidi_local, field: 'initialMaxStreamDataBidiLocal' },
  { id: TRANSPORT_PARAM_ID.initial_max_stream_data_bidi_remote, field: 'initialMaxStreamDataBidiRemote' },
  { id: TRANSPORT_PARAM_ID.initial_max_stream_data_uni, field: 'initialMaxStreamDataUni' },
  { id: TRANSPORT_PARAM_ID.initial_max_streams_bidi, field: 'initialMaxStreamsBidi', max: 2 ** 60 },
  { id: TRANSPORT_PARAM_ID.initial_max_streams_uni, field: 'initialMaxStreamsUni', max: 2 ** 60 },
  { id: TRANSPORT_PARAM_ID.ack_delay_exponent, field: 'ackDelayExponent', max: 20 },
  { id: TRANSPORT_PARAM_ID.max_ack_delay, field: 'maxAckDelay', max: 2 ** 14 - 1 },
  { id: TRANSPORT_PARAM_ID.active_connection_id_limit, field: 'activeConnectionIdLimit', min: 2 },
];

const CID_PARAMS: readonly { id: number; field: CidField }[] = [
  { id: TRANSPORT_PARAM_ID.original_destination_connection_id, field: 'originalDestinationConnectionId' },
  { id: TRANSPORT_PARAM_ID.initial_source_connection_id, field: 'initialSourceConnectionId' },
  { id: TRANSPORT_PARAM_ID.retry_source_connection_id, field: 'retrySourceConnectionId' },
];

/** Parameters a client must not send (RFC 9000 §18.2, last paragraph). */
const SERVER_ONLY: ReadonlySet<number> = new Set([
  TRANSPORT_PARAM_ID.original_destination_connection_id,
  TRANSPORT_PARAM_ID.preferred_address,
  TRANSPORT_PARAM_ID.retry_source_connection_id,
  TRANSPORT_PARAM_ID.stateless_reset_token,
]);

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(TRANSPORT_PARAM_ID).map(([k, v]) => [v, k]));

/** A reserved transport parameter id, 31 * n + 27 (RFC 9000 §18.1), for greasing. */
export function reservedTransportParameterId(n: number): bigint {
  return 31n * BigInt(n) + 27n;
}

/**
 * Encodes the parameters that are present in `p` (fields left undefined are not sent, so the peer
 * assumes the defaults) in id order, then `p.unknown` (e.g. a reserved id for greasing). Throws
 * RangeError on values §18.2 forbids (caller errors).
 */
export function encodeTransportParameters(p: Partial<TransportParameters>): Uint8Array {
  const w = new ByteWriter(128);
  const bytesParam = (id: number, v: Uint8Array) => w.varint(id).varint(v.length).bytes(v);
  for (const { id, field } of CID_PARAMS) {
    const v = p[field];
    if (v && v.length > 20) throw new RangeError(`transport parameter ${NAMES.get(id)}: connection id over 20 bytes`);
  }
  const entries: [number, () => void][] = [];
  for (const { id, field, min, max } of INT_PARAMS) {
    const v = p[field];
    if (v === undefined) continue;
    if ((min !== undefined && v < min) || (max !== undefined && v > max)) throw new RangeError(`transport parameter ${NAMES.get(id)}: ${v} out of range`);
    entries.push([id, () => w.varint(id).varint(varintLength(v)).varint(v)]);
  }
  for (const { id, field } of CID_PARAMS) {
    const v = p[field];
    if (v) entries.push([id, () => bytesParam(id, v)]);
  }
  if (p.statelessResetToken) {
    if (p.statelessResetToken.length !== 16) throw new RangeError('transport parameter stateless_reset_token: must be 16 bytes');
    const t = p.statelessResetToken;
    entries.push([TRANSPORT_PARAM_ID.stateless_reset_token, () => bytesParam(TRANSPORT_PARAM_ID.stateless_reset_token, t)]);
  }
  if (p.disableActiveMigration) entries.push([TRANSPORT_PARAM_ID.disable_active_migration, () => w.varint(TRANSPORT_PARAM_ID.disable_active_migration).varint(0)]);
  if (p.preferredAddress) {
    const v = encodePreferredAddress(p.preferredAddress);
    entries.push([TRANSPORT_PARAM_ID.preferred_address, () => bytesParam(TRANSPORT_PARAM_ID.preferred_address, v)]);
  }
  entries.sort((a, b) => a[0] - b[0]);
  for (const [, write] of entries) write();
  for (const u of p.unknown ?? []) w.varint(u.id).varint(u.value.length).bytes(u.value);
  return w.finish();
}

function encodePreferredAddress(a: PreferredAddress): Uint8Array {
  if (a.ipv4Address.length !== 4 || a.ipv6Address.length !== 16) throw new RangeError('preferred_address: IPv4 must be 4 bytes and IPv6 16');
  if (a.connectionId.length < 1 || a.connectionId.length > 20) throw new RangeError('preferred_address: connection id must be 1..20 bytes (RFC 9000 §18.2)');
  if (a.statelessResetToken.length !== 16) throw new RangeError('preferred_address: stateless reset token must be 16 bytes');
  return new ByteWriter(64)
    .bytes(a.ipv4Address).u16(a.ipv4Port).bytes(a.ipv6Address).u16(a.ipv6Port)
    .u8(a.connectionId.length).bytes(a.connectionId).bytes(a.statelessResetToken)
    .finish();
}

/** Outcome of decoding transport parameters. */
export type TransportParametersDecode =
  | { readonly ok: true; readonly params: TransportParameters }
  | { readonly ok: false; readonly error: QuicDecodeError };

/**
 * Decodes the quic_transport_parameters extension body sent by `sender` (RFC 9000 §18). Offsets
 * in errors are relative to `data`. With `sender`, the role rules apply: server-only parameters
 * from a client (§18.2) and a missing initial_source_connection_id, or a server's missing
 * original_destination_connection_id (§7.3), are TRANSPORT_PARAMETER_ERROR.
 */
export function decodeTransportParameters(data: Uint8Array, sender?: 'client' | 'server'): TransportParametersDecode {
  const out: Mutable<TransportParameters> = { ...TRANSPORT_PARAM_DEFAULTS };
  const unknown: UnknownTransportParameter[] = [];
  const seen = new Set<string>();
  const r = new ByteReader(data);
  const fail = (at: number, message: string): TransportParametersDecode => ({ ok: false, error: decodeError('TRANSPORT_PARAMETER_ERROR', 0, at, message) });
  while (r.remaining > 0) {
    const at = r.pos;
    const idBig = r.varintBig();
    const length = r.varint();
    if (length < 0) return fail(at, `transport parameter at ${at}: truncated id or length`);
    const value = r.bytes(length);
    const id = idBig <= 0x10n ? Number(idBig) : -1;
    const name = NAMES.get(id) ?? `0x${idBig.toString(16)}`;
    if (!value) return fail(at, `transport parameter ${name} at ${at}: length ${length} exceeds the ${r.remaining} bytes left`);
    const key = idBig.toString();
    if (seen.has(key)) return fail(at, `transport parameter ${name} at ${at} appears twice (RFC 9000 §7.4)`);
    seen.add(key);
    if (sender === 'client' && SERVER_ONLY.has(id)) return fail(at, `transport parameter ${name} must not be sent by a client (RFC 9000 §18.2)`);
    const problem = decodeOne(out, id, value);
    if (problem) return fail(at, `transport parameter ${name} at ${at}: ${problem}`);
    if (id < 0) unknown.push({ id: idBig, value });
  }
  out.unknown = unknown;
  if (sender && !out.initialSourceConnectionId) return fail(data.length, `initial_source_connection_id missing from the ${sender}'s parameters (RFC 9000 §7.3)`);
  if (sender === 'server' && !out.originalDestinationConnectionId) return fail(data.length, 'original_destination_connection_id missing from the server\'s parameters (RFC 9000 §7.3)');
  return { ok: true, params: out };
}

/** Stores one known parameter in `out`; returns what is wrong with its value, if anything. */
function decodeOne(out: Mutable<TransportParameters>, id: number, value: Uint8Array): string | undefined {
  const int = INT_PARAMS.find((p) => p.id === id);
  if (int) {
    const v = decodeVarint(value, 0);
    if (!v.ok || v.next !== value.length) return `value of ${value.length} bytes is not exactly one varint`;
    if (int.min !== undefined && v.value < int.min) return `${v.value} is below the minimum ${int.min} (RFC 9000 §18.2)`;
    if (int.max !== undefined && (v.value > int.max || exceeds(value, int.max))) return `value exceeds the maximum ${int.max === 2 ** 60 ? '2^60' : int.max} (RFC 9000 §18.2)`;
    out[int.field] = v.value;
    return undefined;
  }
  const cid = CID_PARAMS.find((p) => p.id === id);
  if (cid) {
    if (value.length > 20) return `connection id of ${value.length} bytes, at most 20`;
    out[cid.field] = value;
    return undefined;
  }
  switch (id) {
    case TRANSPORT_PARAM_ID.stateless_reset_token:
      if (value.length !== 16) return `${value.length} bytes, expected 16`;
      out.statelessResetToken = value;
      return undefined;
    case TRANSPORT_PARAM_ID.disable_active_migration:
      if (value.length !== 0) return `${value.length} bytes, expected a zero-length value`;
      out.disableActiveMigration = true;
      return undefined;
    case TRANSPORT_PARAM_ID.preferred_address:
      return decodePreferredAddress(out, value);
  }
  return undefined;
}

/** Whether the varint in `value` is above `max` exactly (saturated decoding hides values above 2^53). */
function exceeds(value: Uint8Array, max: number): boolean {
  if (value.length !== 8) return false;
  let v = BigInt(value[0] & 0x3f);
  for (let i = 1; i < 8; i++) v = (v << 8n) | BigInt(value[i]);
  return v > BigInt(max);
}

function decodePreferredAddress(out: Mutable<TransportParameters>, value: Uint8Array): string | undefined {
  const r = new ByteReader(value);
  const ipv4Address = r.bytes(4), ipv4Port = r.u16(), ipv6Address = r.bytes(16), ipv6Port = r.u16(), cidLength = r.u8();
  if (cidLength < 0 || !ipv4Address || !ipv6Address) return `truncated (${value.length} bytes)`;
  if (cidLength === 0 || cidLength > 20) return `connection id length ${cidLength} outside 1..20 (RFC 9000 §18.2)`;
  const connectionId = r.bytes(cidLength), statelessResetToken = r.bytes(16);
  if (!connectionId || !statelessResetToken) return `truncated (${value.length} bytes)`;
  if (r.remaining !== 0) return `${r.remaining} bytes after the stateless reset token`;
  out.preferredAddress = { ipv4Address, ipv4Port, ipv6Address, ipv6Port, connectionId, statelessResetToken };
  return undefined;
}
