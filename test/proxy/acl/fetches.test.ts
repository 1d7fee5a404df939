import { describe, expect, it } from 'vitest';
import { clientAddress, FETCHES, findFetch, requestUrl } from '../../../proxy/acl/fetches.ts';
import { requestContext } from '../../../proxy/acl/context.ts';
import { matches } from './helpers.ts';

const H = (...fields: [string, string][]) => ({ headers: fields });

describe('path family (7.3.6 path)', () => {
  it('path: exact', () => {
    expect(matches('path /login.php', { target: '/login.php?x=1' })).toBe(true);
    expect(matches('path /login', { target: '/login.php' })).toBe(false);
  });

  it('path_beg / path_end / path_sub / path_reg / path_dir / path_dom / path_len', () => {
    expect(matches('path_beg /api /v2', { target: '/v2/users' })).toBe(true);
    expect(matches('path_beg /api', { target: '/apx' })).toBe(false);
    expect(matches('path_end .css .js', { target: '/a/app.js?v=3' })).toBe(true);
    expect(matches('path_end .css', { target: '/a/app.css.map' })).toBe(false);
    expect(matches('path_sub admin', { target: '/x/admin/y' })).toBe(true);
    expect(matches('path_sub admin', { target: '/x/y?admin=1' })).toBe(false);
    expect(matches('path_reg ^/u/[0-9]+$', { target: '/u/42' })).toBe(true);
    expect(matches('path_reg ^/u/[0-9]+$', { target: '/u/42/x' })).toBe(false);
    expect(matches('path_dir img', { target: '/static/img/a.png' })).toBe(true);
    expect(matches('path_dir img', { target: '/static/imgs/a.png' })).toBe(false);
    expect(matches('path_dom b', { target: '/a.b.c' })).toBe(true);
    expect(matches('path_len gt 5', { target: '/abcdef' })).toBe(true);
    expect(matches('path_len gt 5', { target: '/abc' })).toBe(false);
  });

  it('uses the path of an absolute-form target and finds nothing in an authority-form one', () => {
    expect(matches('path_beg /p', { target: 'http://h.example/p/q' })).toBe(true);
    expect(matches('path -m found', { method: 'CONNECT', target: 'h.example:443' })).toBe(false);
    expect(matches('path *', { method: 'OPTIONS', target: '*' })).toBe(true);
  });
});

describe('url family, query, url_param', () => {
  it('url: the whole target', () => {
    expect(matches('url /a?b=1', { target: '/a?b=1' })).toBe(true);
    expect(matches('url_beg http://', { target: 'http://h/x' })).toBe(true);
    expect(matches('url_beg http://', { target: '/x' })).toBe(false);
    expect(matches('url_sub b=1', { target: '/a?b=1' })).toBe(true);
    expect(matches('url_end =2', { target: '/a?b=1' })).toBe(false);
  });

  it('url falls back to path and query when the context has no url', () => {
    const ctx = { ...requestContext({ target: '/a?b' }), url: undefined };
    expect(requestUrl(ctx)).toBe('/a?b');
    expect(requestUrl({ ...ctx, query: undefined })).toBe('/a');
    expect(requestUrl({ ...ctx, path: undefined })).toBeUndefined();
  });

  it('query: after the ?, empty but found after a bare ?, absent without one', () => {
    expect(matches('query -m sub lang=en', { target: '/p?lang=en&x' })).toBe(true);
    expect(matches('query -m found', { target: '/p?' })).toBe(true);
    expect(matches('query -m len 0', { target: '/p?' })).toBe(true);
    expect(matches('query -m found', { target: '/p' })).toBe(false);
  });

  it('url_param / urlp and derivatives iterate every occurrence', () => {
    expect(matches('url_param(user) -m str bob', { target: '/p?user=alice&user=bob' })).toBe(true);
    expect(matches('urlp(user) bob', { target: '/p?user=alice' })).toBe(false);
    expect(matches('urlp_beg(id) 12', { target: '/p?id=123' })).toBe(true);
    expect(matches('urlp(JSESSIONID,;) abc', { target: '/foo;JSESSIONID=abc' })).toBe(true);
    expect(matches('urlp_val(page) ge 10', { target: '/p?page=12' })).toBe(true);
    expect(matches('urlp_val(page) ge 10', { target: '/p?page=9' })).toBe(false);
  });
});

describe('hdr family (7.3.6 req.hdr)', () => {
  const req = H(['Host', 'www.example.com:8080'], ['X-Fwd', '10.0.0.1, 192.168.1.9'], ['X-Fwd', '172.16.0.3']);

  it('hdr: exact match of any occurrence, name case-insensitive', () => {
    expect(matches('hdr(host) www.example.com:8080', req)).toBe(true);
    expect(matches('hdr(HOST) www.example.com', req)).toBe(false);
    expect(matches('hdr(x-fwd) 192.168.1.9', req)).toBe(true);
    expect(matches('req.hdr(x-fwd) 172.16.0.3', req)).toBe(true);
  });

  it('hdr(<name>,<occ>) selects one occurrence', () => {
    expect(matches('hdr(x-fwd,1) 10.0.0.1', req)).toBe(true);
    expect(matches('hdr(x-fwd,1) 172.16.0.3', req)).toBe(false);
    expect(matches('hdr(x-fwd,-1) 172.16.0.3', req)).toBe(true);
    expect(matches('hdr(x-fwd,2) 192.168.1.9', req)).toBe(true);
  });

  it('hdr_beg / hdr_end / hdr_sub / hdr_reg / hdr_dom / hdr_dir / hdr_len', () => {
    expect(matches('hdr_beg(host) -i WWW.', req)).toBe(true);
    expect(matches('hdr_beg(host) img.', req)).toBe(false);
    expect(matches('hdr_end(host) :8080', req)).toBe(true);
    expect(matches('hdr_end(host) .org', req)).toBe(false);
    expect(matches('hdr_sub(host) example', req)).toBe(true);
    expect(matches('hdr_sub(host) sample', req)).toBe(false);
    expect(matches('hdr_reg(host) ^www\\.[a-z]+\\.com', req)).toBe(true);
    expect(matches('hdr_reg(host) ^api\\.', req)).toBe(false);
    expect(matches('hdr_dom(host) example.com', req)).toBe(true);
    expect(matches('hdr_dom(host) ample.com', req)).toBe(false);
    expect(matches('hdr_dir(x-fwd) 10.0.0.1', req)).toBe(true);
    expect(matches('hdr_len(host) 20', req)).toBe(true);
  });

  it('hdr without a name looks at every header value', () => {
    expect(matches('hdr 172.16.0.3', req)).toBe(true);
    expect(matches('hdr_sub nothing', req)).toBe(false);
  });

  it('req.fhdr keeps commas', () => {
    expect(matches(['req.fhdr(x-fwd)', '10.0.0.1, 192.168.1.9'], req)).toBe(true);
    expect(matches('req.fhdr(x-fwd) 10.0.0.1', req)).toBe(false);
  });

  it('a missing header finds no sample, even with -m found', () => {
    expect(matches('hdr(cookie) -m found', req)).toBe(false);
    expect(matches('hdr(host) -m found', req)).toBe(true);
    expect(matches('hdr(cookie) -m len 0', req)).toBe(false);
  });

  it('hdr_cnt / req.hdr_cnt count values, req.fhdr_cnt counts lines', () => {
    expect(matches('hdr_cnt(x-fwd) 3', req)).toBe(true);
    expect(matches('req.hdr_cnt(x-fwd) eq 2', req)).toBe(false);
    expect(matches('req.fhdr_cnt(x-fwd) 2', req)).toBe(true);
    expect(matches('hdr_cnt(cookie) 0', req)).toBe(true);
    expect(matches('hdr_cnt 4', req)).toBe(true);
    expect(matches('hdr_cnt(x-fwd) gt 1', req)).toBe(true);
  });

  it('hdr_val reads integers, hdr_ip reads addresses', () => {
    const cl = H(['Content-Length', '42']);
    expect(matches('hdr_val(content-length) gt 0', cl)).toBe(true);
    expect(matches('req.hdr_val(content-length) lt 10', cl)).toBe(false);
    expect(matches('hdr_ip(x-fwd) 192.168.0.0/16', req)).toBe(true);
    expect(matches('req.hdr_ip(x-fwd,1) 192.168.0.0/16', req)).toBe(false);
    expect(matches('hdr_ip(host) -m found', req)).toBe(false);
  });
});

describe('method, req.ver', () => {
  it('method: exact, several patterns OR-ed', () => {
    expect(matches('method GET HEAD', { method: 'HEAD' })).toBe(true);
    expect(matches('method GET HEAD', { method: 'POST' })).toBe(false);
    expect(matches('method get', { method: 'GET' })).toBe(false);
    expect(matches('method -i get', { method: 'GET' })).toBe(true);
    expect(matches('method -m beg PO', { method: 'POST' })).toBe(true);
  });

  it('req.ver / req_ver: 1.0 or 1.1', () => {
    expect(matches('req.ver 1.1', { version: '1.1' })).toBe(true);
    expect(matches('req.ver 1.1', { version: '1.0' })).toBe(false);
    expect(matches('req_ver 1.0', { version: '1.0' })).toBe(true);
  });
});

describe('layer 4 and 5: src, ports, ssl', () => {
  it('src: IPv4 and IPv6 networks, IPv4-mapped client addresses', () => {
    expect(matches('src 10.0.0.0/8 192.168.0.0/16', { src: '192.168.3.4' })).toBe(true);
    expect(matches('src 10.0.0.0/8', { src: '11.0.0.1' })).toBe(false);
    expect(matches('src 2001:db8::/32', { src: '2001:db8::42' })).toBe(true);
    expect(matches('src 2001:db8::/32', { src: '2001:db9::42' })).toBe(false);
    expect(matches('src 127.0.0.1/8', { src: '::ffff:127.0.0.1' })).toBe(true);
    expect(matches('src -n 10.0.0.1', { src: '10.0.0.1' })).toBe(true);
    expect(matches('src -m found', { src: 'unix' })).toBe(false);
  });

  it('src: an IPv4-mapped client address is seen as IPv4, as HAProxy sees such a client', () => {
    expect(matches('src -m beg 10.', { src: '::ffff:10.1.2.3' })).toBe(true);
    expect(matches('src -m str 10.1.2.3', { src: '::FFFF:10.1.2.3' })).toBe(true);
    expect(matches('src ::ffff:10.0.0.0/104', { src: '::ffff:10.1.2.3' })).toBe(true);
    expect(matches('src -m str ::1', { src: '::1' })).toBe(true);
    expect(clientAddress('2001:db8::1')).toBe('2001:db8::1');
    expect(clientAddress('/run/x.sock')).toBeUndefined();
  });

  it('dst_port / src_port: values, ranges and operators', () => {
    expect(matches('dst_port 80 443', { dstPort: 443 })).toBe(true);
    expect(matches('dst_port 1024:65535', { dstPort: 8080 })).toBe(true);
    expect(matches('dst_port 1024:65535', { dstPort: 80 })).toBe(false);
    expect(matches('dst_port :1023', { dstPort: 80 })).toBe(true);
    expect(matches('dst_port 1024:', { dstPort: 80 })).toBe(false);
    expect(matches('dst_port lt 1024', { dstPort: 1023 })).toBe(true);
    expect(matches('dst_port lt 1024', { dstPort: 1024 })).toBe(false);
    expect(matches('dst_port le 1024', { dstPort: 1024 })).toBe(true);
    expect(matches('dst_port gt 1024', { dstPort: 1024 })).toBe(false);
    expect(matches('dst_port ge 1024', { dstPort: 1024 })).toBe(true);
    expect(matches('dst_port eq 8080', { dstPort: 8080 })).toBe(true);
    expect(matches('dst_port gt 9000 eq 80', { dstPort: 80 })).toBe(true);
    expect(matches('src_port gt 30000', { srcPort: 40000 })).toBe(true);
  });

  it('ssl_fc: boolean, patterns not needed', () => {
    expect(matches('ssl_fc', { ssl: true })).toBe(true);
    expect(matches('ssl_fc', { ssl: false })).toBe(false);
    expect(matches('ssl_fc -m int 0', { ssl: false })).toBe(true);
  });

  it('ssl_fc_sni and derivatives; no sample without TLS or SNI', () => {
    expect(matches('ssl_fc_sni -i API.example.com', { ssl: true, sni: 'api.example.com' })).toBe(true);
    expect(matches('ssl_fc_sni api.example.com', { ssl: true, sni: 'www.example.com' })).toBe(false);
    expect(matches('ssl_fc_sni_end .example.com', { ssl: true, sni: 'api.example.com' })).toBe(true);
    expect(matches('ssl_fc_sni_reg ^api\\.', { ssl: true, sni: 'api.example.com' })).toBe(true);
    expect(matches('ssl_fc_sni -m found', { ssl: true })).toBe(false);
    expect(matches('ssl_fc_sni -m found', { ssl: false, sni: 'x' })).toBe(false);
  });

  it('always_true, always_false, req.proto_http', () => {
    expect(matches('always_true')).toBe(true);
    expect(matches('always_false')).toBe(false);
    expect(matches('req.proto_http')).toBe(true);
  });
});

describe('FETCHES table', () => {
  it('has the derivatives of each family and their implied methods', () => {
    for (const base of ['path', 'url', 'urlp', 'hdr']) {
      for (const m of ['beg', 'dir', 'dom', 'end', 'len', 'reg', 'sub']) {
        expect(findFetch(`${base}_${m}`)?.match, `${base}_${m}`).toBe(m);
      }
    }
    expect(findFetch('hdr_cnt')?.type).toBe('int');
    expect(findFetch('src')?.type).toBe('ip');
    expect(findFetch('nope')).toBeUndefined();
    expect(FETCHES.size).toBeGreaterThan(40);
  });
});
