/**
 * TLS between peers (HAProxy configuration manual 3.5 "Peers": `peer`/`server` lines take the
 * server options `ssl`, `crt`, `ca-file`, `verify`; the local listener takes bind options), mapped
 * onto the settings Flightbox parses on each peer line (`ssl [crt <pem>] [ca-file <pem>]
 * [verify none|required]`):
 *
 * - a remote peer's line with `ssl`: connections to it use TLS (node:tls). As HAProxy's `server ...
 *   ssl`: `verify required` (the default) checks the peer's chain against `ca-file` (no host name
 *   check: HAProxy checks names only against an SNI or `verifyhost`, which peers do not send);
 *   `verify none` accepts any certificate; `crt` is the client certificate presented to it;
 * - the local peer's line with `ssl` (the `peer <me> ...` line, or `server <me>` of the
 *   bind/server form): the listener is TLS and presents its `crt` (required). Flightbox has no
 *   `bind`/`default-bind` options in a peers section, so the local line also carries the client
 *   side of mutual TLS: with `ca-file` and `verify required`, connecting peers must present a
 *   certificate that chain-verifies against it (HAProxy's `bind ... ssl crt <pem> ca-file <pem>
 *   verify required`); without `ca-file` (or with `verify none`) none is asked, as HAProxy's bind
 *   default `verify none`.
 *
 * So the same `peer` lines on every instance (each with `ssl crt <own pem> ca-file <ca>`) give
 * mutual TLS in both directions, and HAProxy's `tls_basic_sync` layout (`bind ... ssl crt`,
 * `server <peer> ... ssl crt <pem> verify none`) interoperates.
 */
import { createPrivateKey } from 'node:crypto';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { PeerConfig, PeersConfig } from '../config/config.types.ts';
import { loadCrt } from '../tls/certs.ts';
import { loadCaFile, serverTlsOptions } from '../tls/client.ts';

/** The TLS settings of one peer line (`ssl` present). */
export type PeerTlsConfig = NonNullable<PeerConfig['ssl']>;

/** Bound of a TLS handshake with a peer (ms): the peers protocol's silence timeout. */
export const PEER_TLS_HANDSHAKE_MS = 5000;

function certOf(file: string): { cert: string; key: string } {
  const c = loadCrt(file)[0]!;
  // Parse the key once here so a broken one fails at start, not at the first handshake.
  createPrivateKey(c.keyPem);
  return { cert: c.certPem, key: c.keyPem };
}

/**
 * node:tls server options of the local peer's listener (`local` is its line's ssl settings):
 * certificate from `crt`, client certificates required and verified against `ca-file` when
 * `verify required` and a `ca-file` is given. Throws an Error naming the file and what to do when
 * `crt` is missing or a file does not load.
 */
export function peerListenerTls(local: PeerTlsConfig, peer: string): TlsOptions {
  if (local.crt === undefined) {
    throw new Error(`local peer '${peer}' has 'ssl' but no 'crt': its TLS listener needs a certificate; add 'crt <pem>' (certificate, chain and key in one PEM file)`);
  }
  const o: TlsOptions = { ...certOf(local.crt), handshakeTimeout: PEER_TLS_HANDSHAKE_MS };
  if (local.verify === 'required' && local.caFile !== undefined) {
    o.requestCert = true;
    o.rejectUnauthorized = true;
    o.ca = loadCaFile(local.caFile);
  }
  return o;
}

/**
 * node:tls connection options towards a remote peer whose line has `ssl` settings `remote`: as
 * HAProxy's `server ... ssl` (chain verified against `ca-file` when `verify required`, no SNI,
 * no name check; `crt` presented as client certificate). Throws when a file does not load.
 */
export function peerConnectTls(remote: PeerTlsConfig): ConnectionOptions {
  if (remote.verify === 'required' && remote.caFile === undefined) {
    throw new Error(`'verify required' needs a 'ca-file' to check the peer's certificate against; add 'ca-file <pem>' or set 'verify none'`);
  }
  const o: ConnectionOptions = serverTlsOptions({ verify: remote.verify, caFile: remote.caFile }, undefined);
  if (remote.crt !== undefined) Object.assign(o, certOf(remote.crt));
  return o;
}

/**
 * The problems of the `ssl` settings of the peer lines of `p` that `check`/`run` must refuse,
 * each with the line it belongs to: a local peer without `crt`, a remote peer with `verify
 * required` but no `ca-file` (HAProxy: "verify is enabled by default but no CA file specified"),
 * a `crt` or `ca-file` that does not load.
 */
export function peersTlsProblems(p: PeersConfig): { peer: PeerConfig; message: string }[] {
  const out: { peer: PeerConfig; message: string }[] = [];
  for (const peer of p.peers) {
    const ssl = peer.ssl;
    if (!ssl) continue;
    const where = `'${peer.keyword} ${peer.name}' in peers section '${p.name}'`;
    try {
      if (peer.local) peerListenerTls(ssl, peer.name);
      else peerConnectTls(ssl);
    } catch (err) {
      const m = (err as Error).message;
      if (!peer.local && ssl.verify === 'required' && ssl.caFile === undefined) {
        out.push({ peer, message: `${where}: verify is enabled by default but no CA file specified; add 'ca-file <pem>' with the CA that signed the peer's certificate, or set 'verify none' if the network between the peers is trusted` });
      } else out.push({ peer, message: `${where}: ${m}` });
    }
  }
  return out;
}
