import { describe, expect, it } from 'vitest';
import { parseBindAddress } from '../../../../proxy/config/sections/bind.ts';
import { alerts, parse, parseOk } from '../helpers.ts';

describe('parseBindAddress', () => {
  it.each([
    ['*:80', '0.0.0.0', 80],
    [':8080', '0.0.0.0', 8080],
    ['0.0.0.0:1', '0.0.0.0', 1],
    ['127.0.0.1:65535', '127.0.0.1', 65535],
    ['[::1]:8443', '::1', 8443],
    [':::8080', '::', 8080],
    ['::1:9000', '::1', 9000],
    ['[2001:db8::5]:443', '2001:db8::5', 443],
  ])('%s', (text, host, port) => {
    expect(parseBindAddress(text)).toEqual({ host, port });
  });
  it.each([
    ['127.0.0.1', "missing port in '127.0.0.1', expected '<address>:<port>' (e.g. ':8080')"],
    [':0', "port 0 in ':0' is out of range, expected 1..65535"],
    [':65536', "port 65536 in ':65536' is out of range, expected 1..65535"],
    [':', "missing port in ':', expected a port between 1 and 65535 (port ranges are not supported)"],
    [':80-90', "invalid port '80-90' in ':80-90', expected a port between 1 and 65535 (port ranges are not supported)"],
    ['localhost:80', "invalid address 'localhost' in 'localhost:80', expected '*', an IPv4 or an IPv6 address (host names are not supported)"],
    ['300.1.1.1:80', "invalid address '300.1.1.1' in '300.1.1.1:80', expected '*', an IPv4 or an IPv6 address (host names are not supported)"],
    ['[::1]80', "invalid address '[::1]80', expected '[<ipv6>]:<port>'"],
    ['[zz]:80', "invalid IPv6 address 'zz' in '[zz]:80'"],
    ['/run/fb.sock', "address '/run/fb.sock' is not supported yet, only '<ip>:<port>' (e.g. '127.0.0.1:8080', ':8080', '[::1]:8080')"],
    ['ipv4@:80', "address 'ipv4@:80' is not supported yet, only '<ip>:<port>' (e.g. '127.0.0.1:8080', ':8080', '[::1]:8080')"],
  ])('rejects %s', (text, message) => {
    expect(() => parseBindAddress(text)).toThrow(message);
  });
});

describe('bind keyword', () => {
  it('records each address with its name and file:line; commas give several addresses', () => {
    const c = parseOk('frontend f\n timeout client 1s\n bind 127.0.0.1:80 name web\n bind :81,[::1]:82\n');
    expect(c.frontends[0].binds).toEqual([
      { host: '127.0.0.1', port: 80, name: 'web', file: 't.cfg', line: 3 },
      { host: '0.0.0.0', port: 81, name: undefined, file: 't.cfg', line: 4 },
      { host: '::1', port: 82, name: undefined, file: 't.cfg', line: 4 },
    ]);
  });
  it.each([
    ['bind', "'bind' : missing address, expected 'bind <address>:<port>[,<address>:<port>...] [name <name>]'."],
    ['bind :80 foo', "'bind' : unknown option 'foo' for ':80', expected 'name <name>', 'ssl', 'crt <pem-file-or-directory>', 'alpn <list>' or 'quic-force-retry' (other bind options are not supported yet)."],
    ['bind :80 name', "'bind' : missing value after 'name'."],
    ['bind :0', "'bind' : port 0 in ':0' is out of range, expected 1..65535."],
  ])('rejects %s at its line', (line, message) => {
    expect(alerts(parse(`frontend f\n bind :90\n ${line}\n`))).toEqual([`[ALERT] config : parsing [t.cfg:3] : ${message}`]);
  });
});
