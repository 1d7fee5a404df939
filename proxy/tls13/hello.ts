/**
 * ClientHello, ServerHello and HelloRetryRequest codecs (RFC 8446 sections 4.1.2-4.1.4).
 *
 * Decoding checks syntax and extension placement (extensions.ts) and interprets the extensions QUIC
 * needs; it never throws on input. What a server requires of a ClientHello beyond syntax (TLS 1.3
 * offered, mandatory extensions, QUIC transport parameters) is `checkClientHello` in
 * client-hello-check.ts. A ServerHello whose random is HELLO_RETRY_REQUEST_RANDOM is a
 * HelloRetryRequest and its extensions follow the HelloRetryRequest rules.
 */
import { createHash } from 'node:crypto';
import { buildMessage, bodyReader, finishDecode } from './message-header.ts';
import {
  extensionReader,
  readAlpn,
  readClientKeyShares,
  readExtensions,
  readKeyShareEntry,
  readServerName,
  readU16List,
  writeExtensions,
} from './extensions.ts';
import type { LocatedExtension } from './extensions.ts';
import { EXTENSION_TYPE, HANDSHAKE_TYPE, TLS12_LEGACY_VERSION } from './tls13.types.ts';
import type {
  ClientHello,
  ClientHelloExtensions,
  RawExtension,
  ServerHello,
  ServerHelloExtensions,
  TlsResult,
} from './tls13.types.ts';
import type { WireReader } from './wire.ts';

/** SHA-256("HelloRetryRequest"): the random that marks a HelloRetryRequest (section 4.1.3). */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = new Uint8Array(createHash('sha256').update('HelloRetryRequest').digest());

function isRetryRandom(random: Uint8Array): boolean {
  return random.length === 32 && random.every((b, i) => b === HELLO_RETRY_REQUEST_RANDOM[i]);
}

function parseClientExtensions(r: WireReader, list: readonly LocatedExtension[]): ClientHelloExtensions {
  const ext: { -readonly [K in keyof ClientHelloExtensions]: ClientHelloExtensions[K] } = {};
  for (const e of list) {
    if (r.failed) break;
    const x = extensionReader(e);
    switch (e.type) {
      case EXTENSION_TYPE.server_name:
        ext.serverName = readServerName(x);
        break;
      case EXTENSION_TYPE.supported_groups:
        ext.supportedGroups = readU16List(x, 2, 'supported_groups', 2, 0xffff);
        break;
      case EXTENSION_TYPE.signature_algorithms:
        ext.signatureAlgorithms = readU16List(x, 2, 'signature_algorithms', 2, 0xfffe);
        break;
      case EXTENSION_TYPE.signature_algorithms_cert:
        ext.signatureAlgorithmsCert = readU16List(x, 2, 'signature_algorithms_cert', 2, 0xfffe);
        break;
      case EXTENSION_TYPE.application_layer_protocol_negotiation:
        ext.alpn = readAlpn(x);
        break;
      case EXTENSION_TYPE.supported_versions:
        ext.supportedVersions = readU16List(x, 1, 'supported_versions', 2, 254);
        break;
      case EXTENSION_TYPE.key_share:
        ext.keyShares = readClientKeyShares(x);
        break;
      case EXTENSION_TYPE.psk_key_exchange_modes:
        ext.pskKeyExchangeModes = [...x.vectorBytes(1, 'ke_modes', 1, 255)];
        break;
      case EXTENSION_TYPE.cookie:
        ext.cookie = x.vectorBytes(2, 'cookie', 1, 0xffff);
        break;
      case EXTENSION_TYPE.early_data:
        ext.earlyData = true;
        break;
      case EXTENSION_TYPE.pre_shared_key:
        ext.preSharedKey = x.bytes(x.remaining, 'pre_shared_key');
        break;
      case EXTENSION_TYPE.quic_transport_parameters:
        ext.quicTransportParameters = x.bytes(x.remaining, 'quic_transport_parameters');
        break;
      default:
        continue; // not interpreted: kept in `extensions` only
    }
    x.expectEnd(`extension ${e.type}`);
    r.absorb(x);
  }
  return ext;
}

/** Decodes a whole ClientHello message (header included). */
export function decodeClientHello(message: Uint8Array): TlsResult<ClientHello> {
  const head = bodyReader(message, HANDSHAKE_TYPE.client_hello, 'ClientHello');
  if (!head.ok) return head;
  const r = head.value;
  const legacyVersion = r.uint(2, 'legacy_version');
  const random = r.bytes(32, 'random');
  const legacySessionId = r.vectorBytes(1, 'legacy_session_id', 0, 32);
  const cipherSuites = readU16List(r, 2, 'cipher_suites', 2, 0xfffe);
  const legacyCompressionMethods = r.vectorBytes(1, 'legacy_compression_methods', 1, 255);
  // A ClientHello of TLS 1.2 or earlier may omit the extensions block entirely.
  const list = r.failed || r.remaining === 0 ? [] : readExtensions(r, 'client_hello');
  const ext = parseClientExtensions(r, list);
  return finishDecode(r, 'ClientHello', () => ({
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    legacyCompressionMethods,
    extensions: list.map(({ type, data }) => ({ type, data })),
    ext,
  }));
}

/** What encodeClientHello needs; legacy fields default to TLS 1.3 values (section 4.1.2). */
export interface ClientHelloInput {
  readonly random: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly extensions: readonly RawExtension[];
  readonly legacyVersion?: number;
  /** Empty in QUIC (RFC 9001 section 8.4). */
  readonly legacySessionId?: Uint8Array;
  readonly legacyCompressionMethods?: Uint8Array;
}

/** Encodes a whole ClientHello message. Throws RangeError on a random that is not 32 bytes (caller's bug). */
export function encodeClientHello(ch: ClientHelloInput): Uint8Array {
  if (ch.random.length !== 32) throw new RangeError('ClientHello.random must be 32 bytes');
  return buildMessage(HANDSHAKE_TYPE.client_hello, (w) => {
    w.uint(2, ch.legacyVersion ?? TLS12_LEGACY_VERSION).bytes(ch.random);
    w.vector(1, ch.legacySessionId ?? new Uint8Array(0));
    w.begin(2);
    for (const s of ch.cipherSuites) w.uint(2, s);
    w.end();
    w.vector(1, ch.legacyCompressionMethods ?? Uint8Array.of(0));
    writeExtensions(w, ch.extensions);
  });
}

function parseServerExtensions(r: WireReader, list: readonly LocatedExtension[], retry: boolean): ServerHelloExtensions {
  const ext: { -readonly [K in keyof ServerHelloExtensions]: ServerHelloExtensions[K] } = {};
  for (const e of list) {
    if (r.failed) break;
    const x = extensionReader(e);
    switch (e.type) {
      case EXTENSION_TYPE.supported_versions:
        ext.supportedVersion = x.uint(2, 'selected_version');
        break;
      case EXTENSION_TYPE.key_share:
        if (retry) ext.selectedGroup = x.uint(2, 'selected_group');
        else ext.keyShare = readKeyShareEntry(x);
        break;
      case EXTENSION_TYPE.cookie:
        ext.cookie = x.vectorBytes(2, 'cookie', 1, 0xffff);
        break;
      case EXTENSION_TYPE.pre_shared_key:
        ext.selectedIdentity = x.uint(2, 'selected_identity');
        break;
      default:
        continue;
    }
    x.expectEnd(`extension ${e.type}`);
    r.absorb(x);
  }
  return ext;
}

/**
 * Decodes a whole ServerHello message (header included); `kind` tells a HelloRetryRequest apart.
 * A legacy_compression_method other than 0 is illegal_parameter (section 4.1.3).
 */
export function decodeServerHello(message: Uint8Array): TlsResult<ServerHello> {
  const head = bodyReader(message, HANDSHAKE_TYPE.server_hello, 'ServerHello');
  if (!head.ok) return head;
  const r = head.value;
  const legacyVersion = r.uint(2, 'legacy_version');
  const random = r.bytes(32, 'random');
  const retry = !r.failed && isRetryRandom(random);
  const legacySessionIdEcho = r.vectorBytes(1, 'legacy_session_id_echo', 0, 32);
  const cipherSuite = r.uint(2, 'cipher_suite');
  const compressionAt = r.pos;
  const legacyCompressionMethod = r.uint(1, 'legacy_compression_method');
  if (!r.failed && legacyCompressionMethod !== 0) {
    r.fail('illegal_parameter', `legacy_compression_method ${legacyCompressionMethod}, must be 0`, compressionAt);
  }
  const list = r.failed ? [] : readExtensions(r, retry ? 'hello_retry_request' : 'server_hello');
  const ext = parseServerExtensions(r, list, retry);
  const what = retry ? 'HelloRetryRequest' : 'ServerHello';
  return finishDecode(r, what, () => ({
    kind: retry ? ('hello_retry_request' as const) : ('server_hello' as const),
    legacyVersion,
    random,
    legacySessionIdEcho,
    cipherSuite,
    legacyCompressionMethod,
    extensions: list.map(({ type, data }) => ({ type, data })),
    ext,
  }));
}

/** What encodeServerHello needs; pass HELLO_RETRY_REQUEST_RANDOM as random for a HelloRetryRequest. */
export interface ServerHelloInput {
  readonly random: Uint8Array;
  readonly cipherSuite: number;
  readonly extensions: readonly RawExtension[];
  /** Echo of the client's legacy_session_id (section 4.1.3). */
  readonly legacySessionIdEcho?: Uint8Array;
  readonly legacyVersion?: number;
}

/** Encodes a whole ServerHello (or HelloRetryRequest) message. Throws RangeError on a bad random length. */
export function encodeServerHello(sh: ServerHelloInput): Uint8Array {
  if (sh.random.length !== 32) throw new RangeError('ServerHello.random must be 32 bytes');
  return buildMessage(HANDSHAKE_TYPE.server_hello, (w) => {
    w.uint(2, sh.legacyVersion ?? TLS12_LEGACY_VERSION).bytes(sh.random);
    w.vector(1, sh.legacySessionIdEcho ?? new Uint8Array(0));
    w.uint(2, sh.cipherSuite).uint(1, 0);
    writeExtensions(w, sh.extensions);
  });
}
