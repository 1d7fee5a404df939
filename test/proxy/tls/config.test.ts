/**
 * TLS keywords of the configuration: `bind ... ssl crt ... alpn ...` (proxy/config/sections/bind.ts)
 * and `server ... ssl verify ... ca-file ... sni ...` (parsing, post-parse checks, engine support).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText } from '../../../proxy/config/parser.ts';
import { checkEngineSupport } from '../../../proxy/config/engine-support.ts';
import { createPki, type Issued, type Pki } from './pki.ts';

let pki: Pki;
let a: Issued;
beforeAll(() => {
  pki = createPki();
  a = pki.issue('a.test', ['a.test'], 'certs/a.pem');
  pki.issue('c.test', ['c.test'], 'certs/c.pem');
  writeFileSync(join(pki.dir, 'nokey.pem'), a.certText);
  writeFileSync(join(pki.dir, 'not-a-ca.pem'), 'hello\n');
});
afterAll(() => pki.cleanup());

const parse = (text: string) => parseConfigText('t.cfg', text, { env: {}, cwd: pki.dir });
const alertsOf = (text: string) => parse(text).alerts.map((x) => x.formatted);
const warningsOf = (text: string) => parse(text).warnings.map((x) => x.formatted);
const fe = (bind: string) => `frontend f\n timeout client 1s\n ${bind}\n http-request return status 200\n`;
/** A frontend whose line 3 is `bind` and that has another, valid bind (so only line 3 is reported). */
const feBad = (bind: string) => `frontend f\n timeout client 1s\n ${bind}\n bind :90\n http-request return status 200\n`;
const be = (server: string, global = '') => `${global}defaults\n timeout connect 1s\n timeout server 1s\nbackend b\n ${server}\n`;

describe('bind ... ssl crt', () => {
  it('keeps the resolved crt paths (relative to the cwd, in order) and the ALPN list on every address', () => {
    const r = parse(fe('bind 127.0.0.1:8443,[::1]:8443 name web ssl crt certs/a.pem crt certs alpn http/1.1'));
    expect(r.alerts).toEqual([]);
    const ssl = { crt: [a.pem, join(pki.dir, 'certs')], alpn: ['http/1.1'] };
    expect(r.config!.frontends[0].binds).toEqual([
      { host: '127.0.0.1', port: 8443, name: 'web', ssl, file: 't.cfg', line: 3 },
      { host: '::1', port: 8443, name: 'web', ssl, file: 't.cfg', line: 3 },
    ]);
  });
  it('leaves a plain bind without ssl settings', () => {
    expect(parse(fe('bind :8080')).config!.frontends[0].binds[0].ssl).toBeUndefined();
  });
  it("drops ALPN names Flightbox does not speak, with a warning, keeping http/1.1 and http/1.0 in order", () => {
    const text = fe('bind :8443 ssl crt certs/a.pem alpn h2,http/1.1,http/1.0');
    expect(parse(text).config!.frontends[0].binds[0].ssl!.alpn).toEqual(['http/1.1', 'http/1.0']);
    expect(warningsOf(text)).toEqual([
      "[WARNING] config : parsing [t.cfg:3] : 'bind :8443' : ALPN 'h2' not offered: Flightbox speaks only HTTP/1.1 on TCP (clients negotiate http/1.1 or http/1.0)",
    ]);
  });
  it("warns as HAProxy when a certificate is given without 'ssl' (the bind stays plain)", () => {
    const text = fe('bind :8080 crt certs/a.pem');
    expect(parse(text).config!.frontends[0].binds[0].ssl).toBeUndefined();
    expect(warningsOf(text)).toEqual([
      "[WARNING] config : parsing [t.cfg:3] : 'bind :8080' : a certificate was specified but SSL was not enabled on this bind (use 'ssl'); it accepts plain HTTP",
    ]);
  });
  it.each([
    ['bind :443 ssl', "'bind :443' : no SSL certificate specified for frontend 'f' (use 'crt <file>' with a PEM file holding the certificate, its chain and its private key, or 'crt <directory>' of such files)."],
    ['bind :443 ssl crt', "'bind' : missing value after 'crt'."],
    ['bind :443 ssl crt missing.pem', `'bind :443' : unable to stat SSL certificate from file '${'DIR'}/missing.pem' : ENOENT; check the path (relative paths start from the directory flightbox runs in).`],
    ['bind :443 ssl crt nokey.pem', `'bind :443' : unable to load SSL private key from PEM file '${'DIR'}/nokey.pem': it holds no private key (nor does '${'DIR'}/nokey.pem.key'); append the unencrypted private key to the PEM file (HAProxy style: certificate, chain, key).`],
    ['bind :443 ssl crt certs/a.pem alpn h2', "'bind :443' : ALPN list 'h2' does not offer 'http/1.1': Flightbox speaks only HTTP/1.1 on TCP, so a client could negotiate nothing it serves; use 'alpn http/1.1' (or add http/1.1 to the list)."],
    ['bind :443 ssl crt certs/a.pem alpn http/1.1,,h2', "'bind :443' : invalid ALPN list 'http/1.1,,h2': empty protocol name; write e.g. 'alpn http/1.1'."],
    ['bind :443 ssl crt certs/a.pem ciphers HIGH', "'bind' : bind option 'ciphers' for ':443' is not supported yet; supported: 'name <name>', 'ssl', 'crt <pem-file-or-directory>', 'alpn <list>' or 'quic-force-retry'."],
    ['bind :443 ssl crt certs/a.pem sslv3', "'bind' : unknown option 'sslv3' for ':443', expected 'name <name>', 'ssl', 'crt <pem-file-or-directory>', 'alpn <list>' or 'quic-force-retry' (other bind options are not supported yet)."],
  ])('refuses %s at its line, saying what to do', (line, message) => {
    expect(alertsOf(feBad(line))).toEqual([`[ALERT] config : parsing [t.cfg:3] : ${message.replaceAll('DIR', pki.dir)}`]);
  });
});

describe('server ... ssl', () => {
  it('is no longer gated as unimplemented: verify none, or verify required with a loadable CA file, pass run/check', () => {
    const r = parse(be(`server s1 127.0.0.1:8443 ssl verify none\n server s2 127.0.0.1:8444 ssl verify required ca-file ${pki.caFile} sni str(a.test)`));
    expect(r.alerts).toEqual([]);
    expect(checkEngineSupport(r.config!)).toEqual([]);
    expect(r.config!.backends[0].servers[1]).toMatchObject({ ssl: true, verify: 'required', caFile: pki.caFile, sni: 'str(a.test)' });
  });
  it('refuses a CA file that holds no certificate, at the server line (run and check)', () => {
    const r = parse(be('server s1 127.0.0.1:8443 ssl ca-file not-a-ca.pem'));
    expect(checkEngineSupport(r.config!).map((x) => x.formatted)).toEqual([
      `[ALERT] config : parsing [t.cfg:5] : backend 'b', server 's1' : unable to load CA file '${join(pki.dir, 'not-a-ca.pem')}': it holds no PEM certificate; give a file of '-----BEGIN CERTIFICATE-----' blocks.`,
    ]);
  });
  it('refuses verify required (the default) without a CA file, as HAProxy', () => {
    expect(alertsOf(be('server s1 127.0.0.1:8443 ssl'))).toEqual([
      "[ALERT] config : parsing [t.cfg:5] : backend 'b', server 's1' : verify is enabled by default but no CA file specified; add 'ca-file <file>' ('ca-file @system-ca' for the system's CAs), or 'verify none' if you are certain to trust the server's certificate (e.g. on a LAN), or 'ssl-server-verify none' in the global section to disable server-side verification by default.",
    ]);
  });
  it('refuses sni expressions other than str(<name>) and req.hdr(host)', () => {
    expect(alertsOf(be('server s1 127.0.0.1:8443 ssl verify none sni req.hdr(x-host)'))).toEqual([
      "[ALERT] config : parsing [t.cfg:5] : 'server' : sni expression 'req.hdr(x-host)' is not supported yet, use 'str(<name>)' or 'req.hdr(host)'.",
    ]);
  });
});

describe('directory certificates at parse time', () => {
  it('checks every file of a crt directory', () => {
    mkdirSync(join(pki.dir, 'withbad'), { recursive: true });
    writeFileSync(join(pki.dir, 'withbad', 'x.pem'), 'garbage');
    expect(alertsOf(feBad('bind :443 ssl crt withbad'))).toEqual([
      `[ALERT] config : parsing [t.cfg:3] : 'bind :443' : no certificate found in '${join(pki.dir, 'withbad', 'x.pem')}'; a 'crt' file holds, in PEM format, the certificate, its chain and its private key.`,
    ]);
  });
});
