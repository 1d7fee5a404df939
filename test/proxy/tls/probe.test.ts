/**
 * Health checks of `ssl` servers over TLS (proxy/checks/probe.ts) against a real node:tls origin:
 * TCP-style and HTTP checks pass once the handshake verified; a certificate the CA did not sign is a
 * connection problem naming the TLS error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:tls';
import { probe } from '../../../proxy/checks/probe.ts';
import type { HttpCheckConfig } from '../../../proxy/config/config.types.ts';
import { createPki, type Pki } from './pki.ts';

let pki: Pki;
let other: Pki;
let origin: Server;
let port: number;
const requests: string[] = [];

beforeAll(async () => {
  pki = createPki();
  other = createPki('Other CA');
  const cert = pki.issue('a.test', ['a.test']);
  origin = createServer({ cert: cert.certText, key: cert.keyText }, (s) => {
    s.setEncoding('latin1');
    s.on('error', () => {});
    s.on('data', (d: string) => {
      requests.push(d);
      s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
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

const httpchk: HttpCheckConfig = { file: 't.cfg', line: 1, method: 'GET', uri: '/health', version: 'HTTP/1.0', headers: [], expects: [] };

describe('checks of ssl servers', () => {
  it('a connect check passes once the handshake verified the chain', async () => {
    const r = await probe({ host: '127.0.0.1', port, timeoutMs: 2000, tls: { ssl: true, verify: 'required', caFile: pki.caFile } });
    expect(r).toMatchObject({ passed: true, status: 'L6OK' });
  });
  it('an HTTP check sends its request inside TLS', async () => {
    const r = await probe({ host: '127.0.0.1', port, timeoutMs: 2000, http: httpchk, tls: { ssl: true, verify: 'none', caFile: undefined } });
    expect(r).toMatchObject({ passed: true, status: 'L7OK', code: 200 });
    expect(requests.at(-1)).toMatch(/^GET \/health HTTP\/1\.0\r\n/);
  });
  it('a certificate the CA did not sign fails as a connection problem naming the TLS error', async () => {
    const r = await probe({ host: '127.0.0.1', port, timeoutMs: 2000, tls: { ssl: true, verify: 'required', caFile: other.caFile } });
    expect(r).toMatchObject({ passed: false, status: 'L6RSP', info: 'SSL handshake failure (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate)' });
  });
  it('a server without ssl is checked in clear even when given its settings', async () => {
    const r = await probe({ host: '127.0.0.1', port, timeoutMs: 2000, http: httpchk, tls: { ssl: false, verify: 'required', caFile: undefined } });
    // The TLS origin cannot parse the clear request and closes: no HTTP response.
    expect(r).toMatchObject({ passed: false, status: 'L7RSP' });
  });
});
