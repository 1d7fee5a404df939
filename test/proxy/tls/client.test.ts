/**
 * proxy/tls/client.ts: the SNI sent to servers, CA files, and the node:tls options of `server ...
 * ssl verify ... ca-file ...`, exercised against a real node:tls server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import type { ServerConfig } from '../../../proxy/config/config.types.ts';
import { describeTlsError, loadCaFile, resolveServerSni, serverTlsOptions, serverTlsProblem } from '../../../proxy/tls/client.ts';
import { createPki, type Pki } from './pki.ts';

let pki: Pki;
let other: Pki;
let srv: Server;
let port: number;

beforeAll(async () => {
  pki = createPki();
  other = createPki('Other CA');
  const a = pki.issue('a.test', ['a.test']);
  srv = createServer({ cert: a.certText, key: a.keyText }, (s) => s.end(s.servername || '-'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  port = (srv.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((r) => srv.close(() => r()));
  pki.cleanup();
  other.cleanup();
});

describe('resolveServerSni', () => {
  it.each([
    [undefined, 'x.test', undefined],
    ['str(api.internal)', undefined, 'api.internal'],
    ['req.hdr(host)', 'www.example.com', 'www.example.com'],
    ['req.hdr(host)', 'www.example.com:8443', 'www.example.com'],
    ['req.hdr(host)', 'WWW.Example.com.', 'www.example.com'],
    ['req.hdr(host)', '10.0.0.1:80', undefined],
    ['req.hdr(host)', '[::1]:8443', undefined],
    ['req.hdr(host)', '', undefined],
    ['req.hdr(host)', undefined, undefined],
  ])('sni %s with Host %s sends %s', (expr, host, sni) => {
    expect(resolveServerSni(expr, host)).toBe(sni);
  });
});

describe('loadCaFile', () => {
  it('reads every certificate of a bundle, and the system CAs for @system-ca', () => {
    const bundle = join(pki.dir, 'bundle.pem');
    writeFileSync(bundle, `# two CAs\n${pemOf(pki.caFile)}${pemOf(other.caFile)}`);
    expect(loadCaFile(bundle)).toHaveLength(2);
    expect(loadCaFile('@system-ca').length).toBeGreaterThanOrEqual(0);
  });
  it('says what is wrong with an unreadable or empty file', () => {
    expect(() => loadCaFile(join(pki.dir, 'none.pem'))).toThrow(/unable to load CA file '.*none\.pem' \(ENOENT\); check the path/);
    writeFileSync(join(pki.dir, 'empty.pem'), 'nothing here');
    expect(() => loadCaFile(join(pki.dir, 'empty.pem'))).toThrow(/it holds no PEM certificate/);
  });
  it('is reported by serverTlsProblem only for a verifying ssl server', () => {
    const s = (over: Partial<ServerConfig>) => ({ name: 's1', ssl: true, verify: 'required', caFile: join(pki.dir, 'empty.pem'), ...over }) as ServerConfig;
    expect(serverTlsProblem(s({}))).toMatch(/^server 's1' : unable to load CA file/);
    expect(serverTlsProblem(s({ verify: 'none' }))).toBeUndefined();
    expect(serverTlsProblem(s({ ssl: false }))).toBeUndefined();
    expect(serverTlsProblem(s({ caFile: pki.caFile }))).toBeUndefined();
  });
});

function pemOf(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Connects with the options of a server line; resolves with what the server saw as SNI, or the error. */
function attempt(server: Pick<ServerConfig, 'verify' | 'caFile'>, sni: string | undefined): Promise<{ seen?: string; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, ...serverTlsOptions(server, sni) });
    let seen = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (seen += d));
    s.on('end', () => resolve({ seen }));
    s.on('error', (error: NodeJS.ErrnoException) => resolve({ error }));
  });
}

describe('serverTlsOptions against a real TLS server', () => {
  it('verify required with the right CA: connects, sending the SNI, whose name must match the certificate', async () => {
    expect(await attempt({ verify: 'required', caFile: pki.caFile }, 'a.test')).toEqual({ seen: 'a.test' });
    const bad = await attempt({ verify: 'required', caFile: pki.caFile }, 'b.test');
    expect(bad.error?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
  it('verify required without SNI checks the chain only (HAProxy without verifyhost), and sends no SNI', async () => {
    expect(await attempt({ verify: 'required', caFile: pki.caFile }, undefined)).toEqual({ seen: '-' });
  });
  it('verify required with another CA fails the handshake; verify none accepts any certificate', async () => {
    const r = await attempt({ verify: 'required', caFile: other.caFile }, 'a.test');
    expect(r.error?.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(describeTlsError(r.error!)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate');
    expect(await attempt({ verify: 'none', caFile: undefined }, 'a.test')).toEqual({ seen: 'a.test' });
  });
});
