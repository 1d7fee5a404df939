import { describe, expect, it } from 'vitest';
import { ipInNetwork, parseIpAddress, parseIpNetwork, v6tov4 } from '../../../proxy/acl/ip.ts';

function inNet(addr: string, net: string): boolean {
  const a = parseIpAddress(addr);
  const n = parseIpNetwork(net);
  if (!a || !n) throw new Error(`bad test input ${addr} ${net}`);
  return ipInNetwork(a, n);
}

describe('parseIpNetwork (7.1.6)', () => {
  it('reads plain IPv4 addresses as /32', () => {
    expect(parseIpNetwork('192.168.0.1')).toEqual({ v: 4, n: 0xc0a80001, mask: 0xffffffff });
  });

  it('reads the abbreviated inet_aton forms of the manual table', () => {
    expect(parseIpNetwork('192.168.1')).toEqual(parseIpNetwork('192.168.0.1'));
    expect(parseIpNetwork('10.12')).toEqual(parseIpNetwork('10.0.0.12'));
    expect(parseIpNetwork('127.1')).toEqual(parseIpNetwork('127.0.0.1'));
    expect(parseIpNetwork('127.1/8')).toEqual(parseIpNetwork('127.0.0.1/8'));
  });

  it('reads bit-count and dotted masks and clears host bits', () => {
    expect(parseIpNetwork('10.1.2.3/8')).toEqual({ v: 4, n: 0x0a000000, mask: 0xff000000 });
    expect(parseIpNetwork('10.1.2.3/255.255.0.0')).toEqual({ v: 4, n: 0x0a010000, mask: 0xffff0000 });
    expect(parseIpNetwork('0.0.0.0/0')).toEqual({ v: 4, n: 0, mask: 0 });
  });

  it('reads IPv6 with and without a prefix length', () => {
    const n = parseIpNetwork('2001:db8::/32');
    expect(n?.v).toBe(6);
    expect(n && n.v === 6 ? n.bits : -1).toBe(32);
    expect(parseIpNetwork('::1')).toMatchObject({ v: 6, bits: 128 });
  });

  it('refuses host names, bad masks, leading zeros and out-of-range parts', () => {
    for (const bad of ['localhost', 'example.com', '1.2.3.4/33', '1.2.3.4/x', '::1/129', '2001:db8::/255.0.0.0',
      '256.1.1.1', '010.0.0.1', '1.2.3.4.5', '', '::1%eth0', 'fe80::1::2']) {
      expect(parseIpNetwork(bad), bad).toBeUndefined();
    }
  });
});

describe('parseIpAddress', () => {
  it('reads dotted quads and IPv6, including IPv4-mapped', () => {
    expect(parseIpAddress('10.0.0.1')).toEqual({ v: 4, n: 0x0a000001 });
    const m = parseIpAddress('::ffff:10.0.0.1');
    expect(m?.v).toBe(6);
    expect(m && m.v === 6 ? v6tov4(m.b) : undefined).toBe(0x0a000001);
  });

  it('does not take abbreviated forms or names as sample addresses', () => {
    expect(parseIpAddress('127.1')).toBeUndefined();
    expect(parseIpAddress('unix')).toBeUndefined();
  });
});

describe('ipInNetwork', () => {
  it('matches IPv4 inside and outside a network', () => {
    expect(inNet('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(inNet('11.1.2.3', '10.0.0.0/8')).toBe(false);
    expect(inNet('192.168.1.77', '192.168.1.0/24')).toBe(true);
    expect(inNet('192.168.2.77', '192.168.1.0/24')).toBe(false);
    expect(inNet('1.2.3.4', '1.2.3.4')).toBe(true);
    expect(inNet('1.2.3.5', '1.2.3.4')).toBe(false);
  });

  it('supports non-contiguous dotted masks', () => {
    expect(inNet('10.9.0.5', '10.0.0.5/255.0.0.255')).toBe(true);
    expect(inNet('10.9.0.6', '10.0.0.5/255.0.0.255')).toBe(false);
  });

  it('matches IPv6 prefixes, including ones that end inside a byte', () => {
    expect(inNet('2001:db8::1', '2001:db8::/32')).toBe(true);
    expect(inNet('2001:db9::1', '2001:db8::/32')).toBe(false);
    expect(inNet('2001:db8:ff00::1', '2001:db8:f000::/36')).toBe(true);
    expect(inNet('2001:db8:0f00::1', '2001:db8:f000::/36')).toBe(false);
    expect(inNet('::1', '::1')).toBe(true);
    expect(inNet('::2', '::1')).toBe(false);
  });

  it('compares an IPv4 sample with an IPv6 pattern as ::ffff:v4', () => {
    expect(inNet('10.0.0.1', '::ffff:10.0.0.0/104')).toBe(true);
    expect(inNet('10.0.0.1', '::ffff:11.0.0.0/104')).toBe(false);
    expect(inNet('10.0.0.1', '2001:db8::/32')).toBe(false);
  });

  it('compares ::ffff:v4, ::v4 and 2002:v4:: samples with an IPv4 pattern, and no other IPv6', () => {
    expect(inNet('::ffff:127.0.0.1', '127.0.0.0/8')).toBe(true);
    expect(inNet('::10.0.0.1', '10.0.0.0/8')).toBe(true);
    expect(inNet('2002:a00:1::', '10.0.0.0/8')).toBe(true);
    expect(inNet('2001:db8::a00:1', '10.0.0.0/8')).toBe(false);
    expect(inNet('::ffff:128.0.0.1', '127.0.0.0/8')).toBe(false);
  });
});
