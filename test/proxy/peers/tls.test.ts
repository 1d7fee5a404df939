/**
 * proxy/peers/tls.ts: the `ssl` settings of peer lines become node:tls options (the local peer's
 * listener presents its `crt` and, with `ca-file`, requires client certificates; connections to a
 * remote peer verify its chain against `ca-file` and present `crt`), checked with real handshakes
 * on 127.0.0.1; settings that cannot work are reported at their line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { PeerConfig, PeersConfig } from '../../../proxy/config/config.types.ts';
import { peerConnectTls, peerListenerTls, peersTlsProblems, type PeerTlsConfig } from '../../../proxy/peers/tls.ts';
import { createPki, type Pki } from '../tls/pki.ts';

let pki: Pki;
let other: Pki;
let alpha: string;
let bravo: string;
let stranger: string;
beforeAll(() => {
  pki = createPki('Peers Unit CA');
  other = createPki('Other Unit CA');
  alpha = pki.issue('alpha').pem;
  bravo = pki.issue('bravo').pem;
  stranger = other.issue('stranger').pem;
});
afterAll(() => {
  pki.cleanup();
  other.cleanup();
});

/** Result of one handshake between a listener and a connector. */
interface Outcome {
  client: 'secure' | string;
  server: 'secure' | 'unauthorized' | string;
  clientCertCn?: string;
}

/** One handshake on 127.0.0.1 with the listener options of `local` and the connect options of `remote`. */
async function handshake(local: PeerTlsConfig, remote: PeerTlsConfig): Promise<Outcome> {
  const lo = peerListenerTls(local, 'me');
  let server = 'none';
  let clientCertCn: string | undefined;
  const srv = createServer({ ...lo, rejectUnauthorized: false }, (s: TLSSocket) => {
    server = lo.requestCert && !s.authorized ? 'unauthorized' : 'secure';
    const cn = s.getPeerCertificate()?.subject?.CN;
    if (typeof cn === 'string') clientCertCn = cn;
    s.end();
  });
  srv.on('tlsClientError', (e: NodeJS.ErrnoException) => (server = e.code ?? e.message));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const client = await new Promise<string>((resolve) => {
    const c = connect({ ...peerConnectTls(remote), host: '127.0.0.1', port });
    c.once('secureConnect', () => resolve('secure'));
    c.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    c.on('close', () => resolve('closed'));
    setTimeout(() => c.destroy(), 3000).unref();
  });
  await new Promise((r) => setTimeout(r, 50));
  await new Promise<void>((r) => srv.close(() => r()));
  return clientCertCn === undefined ? { client, server } : { client, server, clientCertCn };
}

describe('peers TLS options', () => {
  it('mutual TLS: both sides verify against the CA, the client presents its crt', async () => {
    const got = await handshake({ crt: alpha, caFile: pki.caFile, verify: 'required' }, { crt: bravo, caFile: pki.caFile, verify: 'required' });
    expect(got).toEqual({ client: 'secure', server: 'secure', clientCertCn: 'bravo' });
  });

  it('without ca-file on the local line, no client certificate is asked (HAProxy bind default verify none)', async () => {
    expect(peerListenerTls({ crt: alpha, caFile: undefined, verify: 'required' }, 'me').requestCert).toBeUndefined();
    expect(peerListenerTls({ crt: alpha, caFile: pki.caFile, verify: 'none' }, 'me').requestCert).toBeUndefined();
    const got = await handshake({ crt: alpha, caFile: undefined, verify: 'required' }, { crt: undefined, caFile: pki.caFile, verify: 'required' });
    expect(got).toEqual({ client: 'secure', server: 'secure' });
  });

  it('a remote certificate from another CA fails verify required, passes verify none', async () => {
    const bad = await handshake({ crt: stranger, caFile: undefined, verify: 'none' }, { crt: undefined, caFile: pki.caFile, verify: 'required' });
    expect(bad.client).toMatch(/UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED/);
    const ok = await handshake({ crt: stranger, caFile: undefined, verify: 'none' }, { crt: undefined, caFile: undefined, verify: 'none' });
    expect(ok.client).toBe('secure');
  });

  it('a client certificate from another CA is seen as unauthorized by a listener with ca-file', async () => {
    const got = await handshake({ crt: alpha, caFile: pki.caFile, verify: 'required' }, { crt: stranger, caFile: pki.caFile, verify: 'required' });
    expect(got.server).toBe('unauthorized');
  });

  it('no host name check: the peer certificate names another host and still verifies (HAProxy checks names only against an SNI)', async () => {
    const got = await handshake({ crt: pki.issue('www.example.com').pem, caFile: undefined, verify: 'none' }, { crt: undefined, caFile: pki.caFile, verify: 'required' });
    expect(got.client).toBe('secure');
  });
});

function peer(name: string, local: boolean, ssl: PeerTlsConfig | undefined, line: number): PeerConfig {
  return { name, host: '127.0.0.1', port: 10000 + line, local, keyword: 'peer', ssl, file: 'p.cfg', line };
}

describe('peersTlsProblems', () => {
  it('reports the local peer without crt, verify required without ca-file, and files that do not load, at their lines', () => {
    const p: PeersConfig = {
      name: 'mesh',
      file: 'p.cfg',
      line: 1,
      bind: undefined,
      tables: [],
      peers: [
        peer('me', true, { crt: undefined, caFile: undefined, verify: 'required' }, 2),
        peer('b', false, { crt: undefined, caFile: undefined, verify: 'required' }, 3),
        peer('c', false, { crt: '/nonexistent/c.pem', caFile: undefined, verify: 'none' }, 4),
        peer('d', false, { crt: undefined, caFile: '/nonexistent/ca.pem', verify: 'required' }, 5),
        peer('e', false, { crt: bravo, caFile: pki.caFile, verify: 'required' }, 6),
        peer('f', false, undefined, 7),
      ],
    };
    const got = peersTlsProblems(p).map((x) => `${x.peer.line}: ${x.message}`);
    expect(got).toHaveLength(4);
    expect(got[0]).toMatch(/^2: 'peer me' in peers section 'mesh': local peer 'me' has 'ssl' but no 'crt': its TLS listener needs a certificate; add 'crt <pem>'/);
    expect(got[1]).toMatch(/^3: 'peer b' in peers section 'mesh': verify is enabled by default but no CA file specified; add 'ca-file <pem>' .* or set 'verify none'/);
    expect(got[2]).toMatch(/^4: 'peer c' .*unable to stat SSL certificate from file '\/nonexistent\/c\.pem' : ENOENT/);
    expect(got[3]).toMatch(/^5: 'peer d' .*unable to load CA file '\/nonexistent\/ca\.pem' \(ENOENT\)/);
  });

  it('a complete mutual TLS section has no problem', () => {
    const ssl = (crt: string): PeerTlsConfig => ({ crt, caFile: pki.caFile, verify: 'required' });
    const p: PeersConfig = { name: 'mesh', file: 'p.cfg', line: 1, bind: undefined, tables: [], peers: [peer('alpha', true, ssl(alpha), 2), peer('bravo', false, ssl(alpha), 3)] };
    expect(peersTlsProblems(p)).toEqual([]);
  });
});
