/**
 * TLS server connections of proxy/stream/server-conn.ts against a real node:tls origin: the SNI
 * sent (`sni req.hdr(host)`, `str()`), certificate verification failures reported as connection
 * failures, and idle-connection reuse that never crosses SNI values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import { createBackendRuntime, type BackendRuntime } from '../../../proxy/stream/backend-runtime.ts';
import { closeServerConn, openServerConn, parkServerConn, takeIdle, type ServerConn } from '../../../proxy/stream/server-conn.ts';
import { createIdCounter, createLiveTable, Lifecycle } from '../../../diag/lifecycle.ts';
import { createPki, type Pki } from './pki.ts';
import { recordingOwner } from '../stream/server-conn-owner.ts';

let pki: Pki;
let other: Pki;
let origin: Server;
let port: number;
const seenSni: (string | false)[] = [];
const lifecycle = new Lifecycle(createLiveTable(64, 1), createIdCounter());

beforeAll(async () => {
  pki = createPki();
  other = createPki('Other CA');
  const cert = pki.issue('a.test', ['a.test', '*.b.test']);
  origin = createServer({ cert: cert.certText, key: cert.keyText }, (s: TLSSocket) => {
    seenSni.push(s.servername);
    s.on('error', () => {});
  });
  origin.on('tlsClientError', () => {});
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  port = (origin.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((r) => origin.close(() => r()));
  pki.cleanup();
  other.cleanup();
});

/** The runtime of a backend whose server s1 is the origin with `settings`. */
function backend(settings: string): BackendRuntime {
  const text = `backend b\n timeout connect 2s\n timeout server 2s\n server s1 127.0.0.1:${port} ${settings}\n`;
  const r = parseConfigText('t.cfg', text, { env: {}, cwd: pki.dir });
  expect(r.alerts).toEqual([]);
  return createBackendRuntime(r.config!.backends[0]);
}

async function open(rt: BackendRuntime, host: string | undefined) {
  const { o, settled } = recordingOwner();
  const c: ServerConn = openServerConn(rt, rt.servers.get('s1')!, o, { lifecycle, streamId: 1, connId: 1, bufsize: 16384, maxhdr: 101, host })!;
  const sock = c.sock!;
  return { c, sock, result: await settled };
}

describe('TLS server connections', () => {
  it('connect once the handshake verified the chain, sending the Host header (port removed) as SNI', async () => {
    const rt = backend(`ssl verify required ca-file ${pki.caFile} sni req.hdr(host)`);
    const { c, result } = await open(rt, 'x.b.test:8443');
    expect(result).toEqual({ ok: true });
    expect(c.tls).toBe(true);
    expect(c.sni).toBe('x.b.test');
    expect((c.sock as TLSSocket).getProtocol()).toMatch(/^TLSv1\.[23]$/);
    await new Promise((r) => setTimeout(r, 20));
    expect(seenSni.at(-1)).toBe('x.b.test');
    closeServerConn(c, 'test done');
  });

  it('reuse an idle TLS connection only for a request sending the same SNI', async () => {
    const rt = backend(`ssl verify required ca-file ${pki.caFile} sni req.hdr(host)`);
    const server = rt.servers.get('s1')!;
    const { c } = await open(rt, 'x.b.test');
    parkServerConn(c);
    expect(takeIdle(rt, server, false, 1, recordingOwner().o, 2, 'y.b.test')).toBeUndefined();
    expect(takeIdle(rt, server, false, 1, recordingOwner().o, 2, undefined)).toBeUndefined();
    expect(takeIdle(rt, server, false, 1, recordingOwner().o, 2, 'X.B.test:443')).toBe(c); // host names ignore case
    closeServerConn(c, 'test done');
  });

  it('with sni str(<name>) every request sends that name, and reuses across Host values', async () => {
    const rt = backend(`ssl verify required ca-file ${pki.caFile} sni str(a.test)`);
    const { c } = await open(rt, 'anything.example');
    expect(c.sni).toBe('a.test');
    parkServerConn(c);
    expect(takeIdle(rt, rt.servers.get('s1')!, false, 1, recordingOwner().o, 2, 'other.example')).toBe(c);
    closeServerConn(c, 'test done');
  });

  it('fail to connect when the certificate does not verify, naming the TLS error', async () => {
    const { sock, result } = await open(backend(`ssl verify required ca-file ${other.caFile}`), undefined);
    expect(result).toEqual({ ok: false, reason: 'SSL handshake failure (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate)' });
    expect(sock.destroyed).toBe(true);
  });

  it('fail when the SNI does not match the certificate (verify required checks the name sent)', async () => {
    const { result } = await open(backend(`ssl verify required ca-file ${pki.caFile} sni str(nope.test)`), undefined);
    expect(result.ok).toBe(false);
    expect((result as { reason: string }).reason).toMatch(/^SSL handshake failure \(ERR_TLS_CERT_ALTNAME_INVALID: Hostname\/IP does not match certificate's altnames/);
  });

  it('accept any certificate with verify none', async () => {
    const { c, result } = await open(backend('ssl verify none'), undefined);
    expect(result).toEqual({ ok: true });
    closeServerConn(c, 'test done');
  });
});
