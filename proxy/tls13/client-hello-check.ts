/**
 * What a TLS 1.3 server over QUIC requires of a decoded ClientHello beyond syntax, and the choices it
 * makes from it (RFC 8446 sections 4.1.1, 4.1.2, 4.2, 9.2; RFC 9001 section 8):
 *
 * - TLS 1.3 must be offered in supported_versions, else protocol_version (section 4.2.1);
 * - legacy_compression_methods must be exactly [0], else illegal_parameter (section 4.1.2);
 * - without a PSK, signature_algorithms and supported_groups are required, else missing_extension,
 *   and key_share comes with supported_groups (section 9.2); each offered share's group must be in
 *   supported_groups, else illegal_parameter (section 4.2.8);
 * - QUIC requires quic_transport_parameters, else missing_extension (RFC 9001 section 8.2), and ALPN,
 *   else no_application_protocol (RFC 9001 section 8.1).
 */
import { fail, ok } from './alert.ts';
import { KEY_SHARE_SIZES, supportedGroupName } from './key-share.ts';
import { TLS13_VERSION } from './tls13.types.ts';
import type { ClientHello, KeyShareEntry, TlsResult } from './tls13.types.ts';

/** Checks a decoded ClientHello for a TLS 1.3 server, over QUIC unless `quic` is false. */
export function checkClientHello(ch: ClientHello, opts: { readonly quic?: boolean } = {}): TlsResult<void> {
  const quic = opts.quic ?? true;
  const e = ch.ext;
  if (!e.supportedVersions?.includes(TLS13_VERSION)) {
    return fail('protocol_version', 'ClientHello does not offer TLS 1.3 in supported_versions', 0);
  }
  if (ch.legacyCompressionMethods.length !== 1 || ch.legacyCompressionMethods[0] !== 0) {
    return fail('illegal_parameter', 'legacy_compression_methods must be exactly [null] in TLS 1.3', 0);
  }
  if (!e.preSharedKey) {
    if (!e.signatureAlgorithms) return fail('missing_extension', 'ClientHello has no signature_algorithms (RFC 8446 section 9.2)', 0);
    if (!e.supportedGroups) return fail('missing_extension', 'ClientHello has no supported_groups (RFC 8446 section 9.2)', 0);
  }
  if ((e.keyShares === undefined) !== (e.supportedGroups === undefined)) {
    return fail('missing_extension', 'ClientHello has one of key_share and supported_groups without the other', 0);
  }
  for (const k of e.keyShares ?? []) {
    if (!e.supportedGroups?.includes(k.group)) {
      return fail('illegal_parameter', `key_share for group 0x${k.group.toString(16)} not listed in supported_groups`, 0);
    }
  }
  if (quic) {
    if (!e.quicTransportParameters) return fail('missing_extension', 'QUIC ClientHello without quic_transport_parameters (RFC 9001 section 8.2)', 0);
    if (!e.alpn) return fail('no_application_protocol', 'QUIC ClientHello without ALPN (RFC 9001 section 8.1)', 0);
  }
  return ok(undefined);
}

/** The first of the server's suites (in its preference order) that the client offers, or handshake_failure. */
export function selectCipherSuite(ch: ClientHello, serverOrder: readonly number[]): TlsResult<number> {
  const s = serverOrder.find((c) => ch.cipherSuites.includes(c));
  return s === undefined ? fail('handshake_failure', 'no cipher suite in common', 0) : ok(s);
}

/** The first of the server's protocols the client offers (RFC 7301 section 3.2), or no_application_protocol. */
export function selectAlpn(ch: ClientHello, serverOrder: readonly string[]): TlsResult<string> {
  const p = serverOrder.find((x) => ch.ext.alpn?.includes(x));
  return p === undefined ? fail('no_application_protocol', `client offers ALPN [${(ch.ext.alpn ?? []).join(', ')}], none served`, 0) : ok(p);
}

/** A key share the server can use now, or the group to ask for in a HelloRetryRequest. */
export type KeyShareChoice = { readonly kind: 'share'; readonly entry: KeyShareEntry } | { readonly kind: 'retry'; readonly group: number };

/**
 * Picks the key exchange (section 4.2.8): the first group of `serverOrder` for which the client sent
 * a share; else the first of `serverOrder` the client supports, for a HelloRetryRequest; else
 * handshake_failure. A share of the wrong size for its group is illegal_parameter. Call after
 * checkClientHello.
 */
export function selectKeyShare(ch: ClientHello, serverOrder: readonly number[]): TlsResult<KeyShareChoice> {
  const shares = ch.ext.keyShares ?? [];
  for (const g of serverOrder) {
    const entry = shares.find((k) => k.group === g);
    if (!entry) continue;
    const name = supportedGroupName(g);
    if (name && entry.keyExchange.length !== KEY_SHARE_SIZES[name].client) {
      return fail('illegal_parameter', `key_share for ${name} has ${entry.keyExchange.length} bytes, expected ${KEY_SHARE_SIZES[name].client}`, 0);
    }
    return ok({ kind: 'share', entry });
  }
  const g = serverOrder.find((x) => ch.ext.supportedGroups?.includes(x));
  return g === undefined ? fail('handshake_failure', 'no key exchange group in common', 0) : ok({ kind: 'retry', group: g });
}
