import { describe, expect, it } from 'vitest';
import { isValidHost, parseHostPort } from '../../../../proxy/config/sections/address.ts';

describe('parseHostPort', () => {
  it.each([
    ['10.0.0.1:80', '10.0.0.1', 80],
    ['10.0.0.1', '10.0.0.1', undefined],
    ['10.0.0.1:', '10.0.0.1', undefined],
    ['app.example.com:8080', 'app.example.com', 8080],
    ['localhost', 'localhost', undefined],
    ['[::1]:443', '::1', 443],
    ['[2001:db8::1]', '2001:db8::1', undefined],
    ['::1:514', '::1', 514],
    ['::1:', '::1', undefined],
    ['my_host:1', 'my_host', 1],
  ])('%s', (text, host, port) => {
    expect(parseHostPort(text)).toEqual({ host, port });
  });
  it.each([
    ['::1', "invalid address ':' in '::1', expected an IPv4 or IPv6 address or a host name; an IPv6 address needs a port or a final ':' ('::1:' or '[::1]:<port>')"],
    ['300.1.1.1:80', "invalid address '300.1.1.1' in '300.1.1.1:80', expected an IPv4 or IPv6 address or a host name"],
    ['bad host:80', "invalid address 'bad host' in 'bad host:80', expected an IPv4 or IPv6 address or a host name"],
    [':80', "invalid address '' in ':80', expected an IPv4 or IPv6 address or a host name"],
    ['[::1', "missing ']' in '[::1', expected '[<ipv6>]:<port>'"],
    ['[::1]80', "unexpected '80' after ']' in '[::1]80', expected '[<ipv6>]:<port>'"],
    ['[10.0.0.1]:80', "invalid IPv6 address '10.0.0.1' in '[10.0.0.1]:80'"],
    ['h:0', "port 0 in 'h:0' is out of range, expected 1..65535"],
    ['h:70000', "port 70000 in 'h:70000' is out of range, expected 1..65535"],
    ['h:http', "invalid port 'http' in 'h:http', expected a port between 1 and 65535"],
    ['h:-1', "port offset '-1' in 'h:-1' is not supported, give a port between 1 and 65535"],
  ])('rejects %s', (text, message) => {
    expect(() => parseHostPort(text)).toThrow(message);
  });
});

describe('isValidHost', () => {
  it('accepts IP literals and RFC 1123 names, rejects the rest', () => {
    expect(['1.2.3.4', '::', 'a', 'a-b.c', 'x.example.com.'].map(isValidHost)).toEqual([true, true, true, true, true]);
    expect(['', '-a', 'a-', 'a..b', '1.2.3', 'a/b', 'a'.repeat(64)].map(isValidHost)).toEqual([false, false, false, false, false, false, false]);
  });
});
