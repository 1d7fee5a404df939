/**
 * Extension lists of the handshake messages (RFC 8446 section 4.2) and the codecs of the extensions
 * QUIC needs: server_name (RFC 6066 section 3), supported_groups, signature_algorithms(_cert), ALPN
 * (RFC 7301), supported_versions, cookie, psk_key_exchange_modes, key_share, early_data,
 * pre_shared_key (kept opaque), and quic_transport_parameters (0x39, opaque; RFC 9001 section 8.2).
 *
 * Rules applied while decoding a list (section 4.2): a type appearing twice is illegal_parameter; a
 * known type in a message the RFC does not list it for is illegal_parameter; a type this stack does
 * not know is ignored in ClientHello and refused with unsupported_extension in the server's messages
 * (the client never sends one, so the server cannot answer one); pre_shared_key must be the last
 * extension of a ClientHello (section 4.2.11).
 */
import { WireReader, WireWriter } from './wire.ts';
import { EXTENSION_TYPE } from './tls13.types.ts';
import type { KeyShareEntry, RawExtension } from './tls13.types.ts';

/** The message an extension list belongs to. */
export type ExtensionContext =
  | 'client_hello'
  | 'server_hello'
  | 'hello_retry_request'
  | 'encrypted_extensions'
  | 'certificate'
  | 'certificate_request'
  | 'new_session_ticket';

type Ctx = ExtensionContext;
const CH: Ctx = 'client_hello';
const SH: Ctx = 'server_hello';
const HRR: Ctx = 'hello_retry_request';
const EE: Ctx = 'encrypted_extensions';
const CT: Ctx = 'certificate';
const CR: Ctx = 'certificate_request';
const NST: Ctx = 'new_session_ticket';

/** Where each known extension may appear (RFC 8446 section 4.2 table; RFC 8449, RFC 9001 section 8.2). */
export const EXTENSION_RULES: ReadonlyMap<number, { readonly name: string; readonly allowedIn: readonly Ctx[] }> = new Map([
  [EXTENSION_TYPE.server_name, { name: 'server_name', allowedIn: [CH, EE] }],
  [1, { name: 'max_fragment_length', allowedIn: [CH, EE] }],
  [5, { name: 'status_request', allowedIn: [CH, CR, CT] }],
  [EXTENSION_TYPE.supported_groups, { name: 'supported_groups', allowedIn: [CH, EE] }],
  [EXTENSION_TYPE.signature_algorithms, { name: 'signature_algorithms', allowedIn: [CH, CR] }],
  [14, { name: 'use_srtp', allowedIn: [CH, EE] }],
  [15, { name: 'heartbeat', allowedIn: [CH, EE] }],
  [EXTENSION_TYPE.application_layer_protocol_negotiation, { name: 'application_layer_protocol_negotiation', allowedIn: [CH, EE] }],
  [18, { name: 'signed_certificate_timestamp', allowedIn: [CH, CR, CT] }],
  [19, { name: 'client_certificate_type', allowedIn: [CH, EE] }],
  [20, { name: 'server_certificate_type', allowedIn: [CH, EE] }],
  [21, { name: 'padding', allowedIn: [CH] }],
  [EXTENSION_TYPE.record_size_limit, { name: 'record_size_limit', allowedIn: [CH, EE] }],
  [EXTENSION_TYPE.pre_shared_key, { name: 'pre_shared_key', allowedIn: [CH, SH] }],
  [EXTENSION_TYPE.early_data, { name: 'early_data', allowedIn: [CH, EE, NST] }],
  [EXTENSION_TYPE.supported_versions, { name: 'supported_versions', allowedIn: [CH, SH, HRR] }],
  [EXTENSION_TYPE.cookie, { name: 'cookie', allowedIn: [CH, HRR] }],
  [EXTENSION_TYPE.psk_key_exchange_modes, { name: 'psk_key_exchange_modes', allowedIn: [CH] }],
  [EXTENSION_TYPE.certificate_authorities, { name: 'certificate_authorities', allowedIn: [CH, CR] }],
  [48, { name: 'oid_filters', allowedIn: [CR] }],
  [49, { name: 'post_handshake_auth', allowedIn: [CH] }],
  [EXTENSION_TYPE.signature_algorithms_cert, { name: 'signature_algorithms_cert', allowedIn: [CH, CR] }],
  [EXTENSION_TYPE.key_share, { name: 'key_share', allowedIn: [CH, SH, HRR] }],
  [EXTENSION_TYPE.quic_transport_parameters, { name: 'quic_transport_parameters', allowedIn: [CH, EE] }],
]);

/** An extension with the offset of its extension_data in the message (for error offsets). */
export interface LocatedExtension extends RawExtension {
  readonly dataOffset: number;
}

/**
 * Reads `Extension extensions<min..2^16-1>` from `r` and applies the list rules above for `ctx`.
 * Failures are recorded in `r` (check `r.failed`).
 */
export function readExtensions(r: WireReader, ctx: Ctx, min = 0): LocatedExtension[] {
  const list = r.vector(2, 'extensions', min, 0xffff);
  const out: LocatedExtension[] = [];
  const seen = new Set<number>();
  while (!list.failed && list.remaining > 0) {
    const at = list.pos;
    const type = list.uint(2, 'extension_type');
    const dataOffset = list.offset + 2;
    const data = list.vectorBytes(2, `extension_data of extension ${type}`);
    if (list.failed) break;
    const rule = EXTENSION_RULES.get(type);
    if (seen.has(type)) {
      list.fail('illegal_parameter', `extension ${rule?.name ?? type} appears twice`, at);
      break;
    }
    seen.add(type);
    if (rule && !rule.allowedIn.includes(ctx)) {
      list.fail('illegal_parameter', `extension ${rule.name} is not allowed in ${ctx}`, at);
      break;
    }
    if (!rule && ctx !== CH) {
      list.fail('unsupported_extension', `extension ${type} in ${ctx} was not offered`, at);
      break;
    }
    if (ctx === CH && out.some((e) => e.type === EXTENSION_TYPE.pre_shared_key)) {
      list.fail('illegal_parameter', 'pre_shared_key is not the last extension of ClientHello', at);
      break;
    }
    out.push({ type, data, dataOffset });
  }
  r.absorb(list);
  return out;
}

/** Appends `extensions<0..2^16-1>` holding `list` in order. */
export function writeExtensions(w: WireWriter, list: readonly RawExtension[]): void {
  w.begin(2);
  for (const e of list) w.uint(2, e.type).vector(2, e.data);
  w.end();
}

/** A reader over one extension's data, with offsets counted in the message. */
export function extensionReader(e: LocatedExtension): WireReader {
  return new WireReader(e.data, 0, e.data.length, e.dataOffset);
}

// ---- typed codecs: read* take a reader over extension_data and record failures in it --------------

/** A list of uint16 values in a vector with a 2-byte (or 1-byte) length (groups, schemes, versions). */
export function readU16List(r: WireReader, lenBytes: 1 | 2, what: string, min: number, max: number): number[] {
  const v = r.vector(lenBytes, what, min, max);
  const out: number[] = [];
  if (!v.failed && v.remaining % 2 !== 0) v.fail('decode_error', `${what}: odd length ${v.remaining}`);
  while (!v.failed && v.remaining > 0) out.push(v.uint(2, what));
  r.absorb(v);
  return out;
}

/** server_name in ClientHello: the host_name entry (RFC 6066 section 3), ASCII without NUL. */
export function readServerName(r: WireReader): string {
  const list = r.vector(2, 'server_name_list', 1, 0xffff);
  let host = '';
  const types = new Set<number>();
  while (!list.failed && list.remaining > 0) {
    const at = list.pos;
    const type = list.uint(1, 'name_type');
    const name = list.vectorBytes(2, 'server name', 1, 0xffff);
    if (list.failed) break;
    if (types.has(type)) {
      list.fail('illegal_parameter', `server_name lists name type ${type} twice`, at);
      break;
    }
    types.add(type);
    if (type !== 0) continue;
    if (name.some((b) => b === 0 || b > 0x7e)) {
      list.fail('decode_error', 'server_name host_name is not printable ASCII', at + 3);
      break;
    }
    host = Buffer.from(name).toString('ascii');
  }
  r.absorb(list);
  return host;
}

/** ALPN ProtocolNameList (RFC 7301 section 3.1): names of 1..255 bytes, latin1-decoded. */
export function readAlpn(r: WireReader): string[] {
  const list = r.vector(2, 'protocol_name_list', 2, 0xffff);
  const out: string[] = [];
  while (!list.failed && list.remaining > 0) {
    const name = list.vectorBytes(1, 'protocol name', 1, 255);
    if (!list.failed) out.push(Buffer.from(name).toString('latin1'));
  }
  r.absorb(list);
  return out;
}

/** One KeyShareEntry (RFC 8446 section 4.2.8). */
export function readKeyShareEntry(r: WireReader): KeyShareEntry {
  const group = r.uint(2, 'key share group');
  const keyExchange = r.vectorBytes(2, 'key_exchange', 1, 0xffff);
  return { group, keyExchange };
}

/** KeyShareClientHello: client_shares<0..2^16-1>; a group offered twice is illegal_parameter. */
export function readClientKeyShares(r: WireReader): KeyShareEntry[] {
  const list = r.vector(2, 'client_shares');
  const out: KeyShareEntry[] = [];
  while (!list.failed && list.remaining > 0) {
    const at = list.pos;
    const e = readKeyShareEntry(list);
    if (list.failed) break;
    if (out.some((x) => x.group === e.group)) {
      list.fail('illegal_parameter', `key_share offers group 0x${e.group.toString(16)} twice`, at);
      break;
    }
    out.push(e);
  }
  r.absorb(list);
  return out;
}

// ---- builders: extension_data of each extension -----------------------------------------------------

function build(type: number, fill: (w: WireWriter) => void): RawExtension {
  const w = new WireWriter();
  fill(w);
  return { type, data: w.finish() };
}

/** Builders of the extensions this stack sends; each returns type and extension_data. */
export const ext = {
  /** server_name with one host_name (ClientHello). */
  serverName: (host: string): RawExtension =>
    build(EXTENSION_TYPE.server_name, (w) => w.begin(2).uint(1, 0).vector(2, Buffer.from(host, 'ascii')).end()),
  /** Empty server_name: the server's acknowledgement in EncryptedExtensions. */
  serverNameAck: (): RawExtension => ({ type: EXTENSION_TYPE.server_name, data: new Uint8Array(0) }),
  supportedGroups: (groups: readonly number[]): RawExtension =>
    build(EXTENSION_TYPE.supported_groups, (w) => {
      w.begin(2);
      for (const g of groups) w.uint(2, g);
      w.end();
    }),
  signatureAlgorithms: (schemes: readonly number[], type: number = EXTENSION_TYPE.signature_algorithms): RawExtension =>
    build(type, (w) => {
      w.begin(2);
      for (const s of schemes) w.uint(2, s);
      w.end();
    }),
  /** ALPN: the client's list, or the server's single choice (RFC 7301 section 3.1). */
  alpn: (protocols: readonly string[]): RawExtension =>
    build(EXTENSION_TYPE.application_layer_protocol_negotiation, (w) => {
      w.begin(2);
      for (const p of protocols) w.vector(1, Buffer.from(p, 'latin1'));
      w.end();
    }),
  supportedVersionsClient: (versions: readonly number[]): RawExtension =>
    build(EXTENSION_TYPE.supported_versions, (w) => {
      w.begin(1);
      for (const v of versions) w.uint(2, v);
      w.end();
    }),
  supportedVersionServer: (version: number): RawExtension => build(EXTENSION_TYPE.supported_versions, (w) => w.uint(2, version)),
  keyShareClient: (entries: readonly KeyShareEntry[]): RawExtension =>
    build(EXTENSION_TYPE.key_share, (w) => {
      w.begin(2);
      for (const e of entries) w.uint(2, e.group).vector(2, e.keyExchange);
      w.end();
    }),
  keyShareServer: (entry: KeyShareEntry): RawExtension =>
    build(EXTENSION_TYPE.key_share, (w) => w.uint(2, entry.group).vector(2, entry.keyExchange)),
  /** key_share of a HelloRetryRequest: the selected group (RFC 8446 section 4.2.8). */
  keyShareRetry: (group: number): RawExtension => build(EXTENSION_TYPE.key_share, (w) => w.uint(2, group)),
  pskKeyExchangeModes: (modes: readonly number[]): RawExtension =>
    build(EXTENSION_TYPE.psk_key_exchange_modes, (w) => w.vector(1, Uint8Array.from(modes))),
  cookie: (cookie: Uint8Array): RawExtension => build(EXTENSION_TYPE.cookie, (w) => w.vector(2, cookie)),
  earlyData: (): RawExtension => ({ type: EXTENSION_TYPE.early_data, data: new Uint8Array(0) }),
  quicTransportParameters: (params: Uint8Array): RawExtension => ({ type: EXTENSION_TYPE.quic_transport_parameters, data: params }),
} as const;
