import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServerAddress } from '../../../../proxy/config/sections/server.ts';
import { alerts, parse, parseOk } from '../helpers.ts';

const T = ' timeout connect 1s\n timeout server 1s\n';
const be = (...lines: string[]) => `backend b\n${T}${lines.map((l) => ` ${l}\n`).join('')}`;
const servers = (text: string, cwd?: string) => parseOk(text, cwd ? { cwd } : {}).backends[0].servers;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-server-'));
  writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('server: accepted forms', () => {
  it("resolves HAProxy's defaults for a bare server", () => {
    expect(servers(be('server s1 10.0.0.1:8080'))).toEqual([
      {
        name: 's1', host: '10.0.0.1', port: 8080, weight: 1, maxconn: 0, backup: false, disabled: false, check: false,
        inter: 2000, rise: 2, fall: 3, ssl: false, verify: 'required', verifySet: false, caFile: undefined, sni: undefined, file: 't.cfg', line: 4,
      },
    ]);
  });
  it('reads every setting, in any order', () => {
    const [s] = servers(
      be('server web-1 app.local:443 check inter 500ms rise 5 fall 1 weight 256 maxconn 100 backup disabled ssl verify required ca-file ca.pem sni str(app.local)'),
      dir,
    );
    expect(s).toMatchObject({
      name: 'web-1', host: 'app.local', port: 443, check: true, inter: 500, rise: 5, fall: 1, weight: 256, maxconn: 100,
      backup: true, disabled: true, ssl: true, verify: 'required', caFile: join(dir, 'ca.pem'), sni: 'str(app.local)',
    });
  });
  it('accepts weight 0, verify none, @system-ca and req.hdr(host)', () => {
    const [a, b] = servers(be('server a [::1]:80 weight 0 ssl verify none', 'server b 10.0.0.2:80 ssl ca-file @system-ca sni req.hdr(host)'));
    expect(a).toMatchObject({ host: '::1', weight: 0, ssl: true, verify: 'none' });
    expect(b).toMatchObject({ caFile: '@system-ca', sni: 'req.hdr(host)' });
  });
  it('keeps servers in declaration order with their lines', () => {
    expect(servers(be('server a 10.0.0.1:80', 'server b 10.0.0.2:80')).map((s) => [s.name, s.line])).toEqual([
      ['a', 4],
      ['b', 5],
    ]);
  });
  it('is accepted in listen sections', () => {
    const c = parseOk('listen l\n bind :80\n timeout client 1s\n server s 127.0.0.1:8080\n');
    expect(c.backends[0].servers.map((s) => s.name)).toEqual(['s']);
  });
});

describe('default-server', () => {
  it('presets the servers declared after it, which can override or reset each setting', () => {
    const list = servers(
      be(
        'server before 10.0.0.1:80',
        'default-server check inter 1s weight 5 backup ssl verify none',
        'default-server rise 4',
        'server after 10.0.0.2:80',
        'server own 10.0.0.3:80 inter 3s weight 7 no-check no-backup no-ssl',
      ),
    );
    expect(list[0]).toMatchObject({ check: false, inter: 2000, weight: 1, rise: 2 });
    expect(list[1]).toMatchObject({ check: true, inter: 1000, weight: 5, backup: true, ssl: true, verify: 'none', rise: 4 });
    expect(list[2]).toMatchObject({ check: false, inter: 3000, weight: 7, backup: false, ssl: false, rise: 4 });
  });
  it("'enabled' resets an inherited 'disabled'", () => {
    const [a, b] = servers(be('default-server disabled', 'server a 10.0.0.1:80', 'server b 10.0.0.2:80 enabled'));
    expect([a.disabled, b.disabled]).toEqual([true, false]);
  });
  it('is inherited from a defaults section; a new defaults section starts over', () => {
    const c = parseOk(
      `defaults\n${T} default-server check fall 9\nbackend a\n server s 10.0.0.1:80\ndefaults\n${T}backend b\n server s 10.0.0.1:80\n`,
    );
    expect(c.backends[0].servers[0]).toMatchObject({ check: true, fall: 9 });
    expect(c.backends[1].servers[0]).toMatchObject({ check: false, fall: 3 });
  });
  it("changes in a backend do not leak into the defaults section's", () => {
    const c = parseOk(`defaults\n${T} default-server weight 3\nbackend a\n default-server weight 9\nbackend b\n server s 10.0.0.1:80\n`);
    expect(c.backends[1].servers[0].weight).toBe(3);
  });
});

describe('server: bad values are alerts at file:line', () => {
  it.each([
    ['server', "'server' : missing name, expected 'server <name> <address>:<port> [settings...]'."],
    ['server s1', "'server' : missing address, expected 'server <name> <address>:<port> [settings...]'."],
    ['server a/b 10.0.0.1:80', "'server' : character '/' in server name 'a/b' is not permitted, use letters, digits, '-', '_', '.' and ':'."],
    ['server s 10.0.0.1', "'server' : missing port in '10.0.0.1', expected '<address>:<port>' (servers without a port, which reuse the client's port, are not supported)."],
    ['server s 10.0.0.1:+1', "'server' : port offset '+1' in '10.0.0.1:+1' is not supported, give a port between 1 and 65535."],
    ['server s *:80', "'server' : address '*:80' (forward to the client's original destination) is not supported, give the server's address."],
    ['server s 0.0.0.0:80', "'server' : address '0.0.0.0:80' (forward to the client's original destination) is not supported, give the server's address."],
    ['server s unix@/run/app.sock', "'server' : address 'unix@/run/app.sock' is not supported yet, only '<address>:<port>' (e.g. '10.0.0.1:8080', 'app.local:80', '[::1]:8080')."],
    ['server s ipv4@::1:80', "'server' : '::1' is not an IPv4 address (prefix 'ipv4@')."],
    ['server s 10.0.0.1:80 weight 257', "'server' : weight: value '257' is out of range, expected an integer between 0 and 256."],
    ['server s 10.0.0.1:80 weight', "'server' : missing value after 'weight' for server 's'."],
    ['server s 10.0.0.1:80 maxconn -1', "'server' : maxconn: value '-1' is out of range, expected an integer >= 0."],
    ['server s 10.0.0.1:80 inter 0', "'server' : inter: time '0' must be greater than zero."],
    ['server s 10.0.0.1:80 inter 2x', "'server' : inter: invalid time '2x', expected an integer optionally followed by us, ms, s, m, h or d (default unit: ms, e.g. '5s')."],
    ['server s 10.0.0.1:80 rise 0', "'server' : rise: value '0' is out of range, expected an integer >= 1."],
    ['server s 10.0.0.1:80 fall x', "'server' : fall: invalid number 'x', expected an integer >= 1."],
    ['server s 10.0.0.1:80 verify optional', "'server' : verify: invalid value 'optional', expected 'none' or 'required'."],
    ['server s 10.0.0.1:80 ca-file missing.pem', "'server' : cannot read CA file 'missing.pem' (ENOENT); check the path (relative paths start from /srv/fb) or use '@system-ca'."],
    ['server s 10.0.0.1:80 sni hdr(host)', "'server' : sni expression 'hdr(host)' is not supported yet, use 'str(<name>)' or 'req.hdr(host)'."],
    ['server s 10.0.0.1:80 sni str()', "'server' : sni expression 'str()' is not supported yet, use 'str(<name>)' or 'req.hdr(host)'."],
    ['server s 10.0.0.1:80 cookie a', "'server' : setting 'cookie' of server 's' is not supported yet; supported: weight, maxconn, inter, rise, fall, verify, ca-file, sni, backup, no-backup, disabled, enabled, check, no-check, ssl, no-ssl."],
    ['server s 10.0.0.1:80 chek', "'server' : unknown setting 'chek' for server 's', expected one of weight, maxconn, inter, rise, fall, verify, ca-file, sni, backup, no-backup, disabled, enabled, check, no-check, ssl, no-ssl."],
    ['default-server weight x', "'default-server' : weight: invalid number 'x', expected an integer between 0 and 256."],
    ['default-server id 3', "'default-server' : setting 'id' of default-server is not supported yet; supported: weight, maxconn, inter, rise, fall, verify, ca-file, sni, backup, no-backup, disabled, enabled, check, no-check, ssl, no-ssl."],
  ])('%s', (line, message) => {
    const r = parse(be(line));
    expect(alerts(r)).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });
});

describe('server in the wrong section', () => {
  it('is an alert in a frontend, saying where servers belong', () => {
    expect(alerts(parse('frontend f\n bind :80\n server s 10.0.0.1:80\n default-server check\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:3] : 'server' not allowed because frontend 'f' has no backend capability; declare servers in a 'backend' (or 'listen') section and send traffic to it with 'default_backend' or 'use_backend'.",
      "[ALERT] config : parsing [t.cfg:4] : 'default-server' not allowed because frontend 'f' has no backend capability; declare servers in a 'backend' (or 'listen') section and send traffic to it with 'default_backend' or 'use_backend'.",
    ]);
  });
  it('is an alert in a defaults section (default-server is fine there)', () => {
    expect(alerts(parse('defaults\n default-server check\n server s 10.0.0.1:80\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:3] : 'server' not allowed in 'defaults' section; write it in a 'backend' or 'listen' section.",
    ]);
  });
});

describe('parseServerAddress', () => {
  it('strips ipv4@/ipv6@ prefixes and brackets', () => {
    expect(parseServerAddress('ipv4@10.0.0.1:80')).toEqual({ host: '10.0.0.1', port: 80 });
    expect(parseServerAddress('ipv6@[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseServerAddress('db.internal:5432')).toEqual({ host: 'db.internal', port: 5432 });
  });
});
