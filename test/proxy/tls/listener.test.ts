/**
 * proxy/tls/listener.ts with real node:tls clients on 127.0.0.1: certificate choice by SNI (exact,
 * wildcard, default), ALPN, what the HTTP/1.1 driver gets (connectionFacts), and failed or stalled
 * handshakes closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import type { BindConfig, BindSslConfig, FrontendConfig } from '../../../proxy/config/config.types.ts';
import { createTlsListener } from '../../../proxy/tls/listener.ts';
import { connectionFacts } from '../../../proxy/acl/context.ts';
import { createPki, type Pki } from './pki.ts';

let pki: Pki;
let srv: Server;
let port: number;
const accepted: Socket[] = [];

beforeAll(async () => {
  pki = createPki();
  pki.issue('default.test', ['default.test'], 'certs/0-default.pem');
  pki.issue('a.test', ['a.test', '*.b.test'], 'certs/1-a.pem');
  pki.issue('wild.test', ['*.a.test'], 'certs/2-wild.pem');
  const text = `frontend f\n timeout client 300ms\n bind 127.0.0.1:1 ssl crt certs alpn http/1.1,http/1.0\n http-request return status 200\n`;
  const r = parseConfigText('t.cfg', text, { env: {}, cwd: pki.dir });
  expect(r.alerts).toEqual([]);
  const fe: FrontendConfig = r.config!.frontends[0];
  const b = fe.binds[0] as BindConfig & { ssl: BindSslConfig };
  srv = createTlsListener(b, fe, (s) => {
    accepted.push(s);
    s.end(`hello ${connectionFacts(s).sni ?? 'nobody'}`);
  });
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  port = (srv.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((res) => srv.close(() => res()));
  pki.cleanup();
});

/** Connects with TLS (trusting the test CA), returns the certificate CN, ALPN and what the server wrote. */
function handshake(servername: string | undefined, alpn?: string[]): Promise<{ cn: string; alpn: string | false; body: string }> {
  return new Promise((resolve, reject) => {
    const s: TLSSocket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername,
      ca: readFileSync(pki.caFile, 'utf8'),
      checkServerIdentity: () => undefined,
      ALPNProtocols: alpn,
    });
    let body = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (body += d));
    s.on('error', reject);
    s.on('end', () => resolve({ cn: String(s.getPeerCertificate().subject?.CN ?? ''), alpn: s.alpnProtocol, body }));
  });
}

describe('certificate choice by SNI', () => {
  it.each([
    ['a.test', 'a.test', 'exact name (CN and SAN)'],
    ['x.b.test', 'a.test', 'wildcard SAN, one label'],
    ['x.a.test', 'wild.test', 'wildcard of another certificate'],
    ['y.x.b.test', 'default.test', 'two labels: no match, the first loaded'],
    ['unknown.test', 'default.test', 'no match: the first loaded'],
  ])('%s gets %s (%s)', async (sni, cn) => {
    const r = await handshake(sni);
    expect(r.cn).toBe(cn);
    expect(r.body).toBe(`hello ${sni}`);
  });
  it('a client sending no SNI gets the first certificate loaded, and the driver sees ssl without sni', async () => {
    const r = await handshake(undefined);
    expect(r.cn).toBe('default.test');
    expect(r.body).toBe('hello nobody');
    const facts = connectionFacts(accepted.at(-1)!);
    expect(facts).toMatchObject({ ssl: true, src: '127.0.0.1' });
    expect(facts.sni).toBeUndefined();
  });
});

describe('ALPN', () => {
  it('negotiates http/1.1 when offered with h2, and a client without ALPN still connects', async () => {
    expect((await handshake('a.test', ['h2', 'http/1.1'])).alpn).toBe('http/1.1');
    expect((await handshake('a.test')).alpn).toBe(false);
  });
  it('refuses a client that offers only h2 (no_application_protocol alert)', async () => {
    await expect(handshake('a.test', ['h2'])).rejects.toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' });
  });
});

describe('failed handshakes', () => {
  const closedAfter = (write: string | undefined) =>
    new Promise<number>((resolve) => {
      const t0 = Date.now();
      const s = netConnect(port, '127.0.0.1', () => {
        if (write !== undefined) s.write(write);
      });
      s.on('error', () => {});
      s.on('close', () => resolve(Date.now() - t0));
      s.resume();
    });
  it('closes a client that speaks plain HTTP to the TLS port', async () => {
    expect(await closedAfter('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toBeLessThan(2000);
  });
  it("closes a client that never completes the handshake after the frontend's timeout client", async () => {
    const ms = await closedAfter(undefined);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(2000);
  });
  it('a plain socket is not ssl for the driver', () => {
    const s = netConnect(1, '127.0.0.1').on('error', () => {});
    expect(connectionFacts(s)).toMatchObject({ ssl: false });
    s.destroy();
  });
});
