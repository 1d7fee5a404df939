import { describe, expect, it } from 'vitest';
import { compileAcl, defineAcl, newAclTable } from '../../../proxy/acl/acl.ts';
import { compileCondition, evaluate } from '../../../proxy/acl/condition.ts';
import { headersFromFields, requestContext, requestContextFromHead } from '../../../proxy/acl/context.ts';
import { createRequestParser } from '../../../proxy/h1/parser.ts';
import type { H1HeadEvent } from '../../../proxy/h1/h1.types.ts';
import { WHERE } from './helpers.ts';

function parseHead(raw: string): H1HeadEvent {
  const p = createRequestParser({ maxHeaderBytes: 16384 });
  const head = p.push(Buffer.from(raw)).find((e) => e.type === 'head');
  if (!head || head.type !== 'head') throw new Error('no head');
  return head;
}

const CONN = { src: '::ffff:10.1.2.3', srcPort: 51000, dstPort: 8443, ssl: true, sni: 'api.example.com' };

describe('requestContextFromHead', () => {
  it('takes method, target, version and headers from a parsed head', () => {
    const head = parseHead('POST /api/v1/items?id=7&x HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 0\r\n\r\n');
    const ctx = requestContextFromHead(head, CONN);
    expect(ctx).toMatchObject({
      method: 'POST', path: '/api/v1/items', query: 'id=7&x', url: '/api/v1/items?id=7&x', version: '1.1',
      src: '::ffff:10.1.2.3', srcPort: 51000, dstPort: 8443, ssl: true, sni: 'api.example.com',
    });
    expect(ctx.headers.get('host')).toBe('api.example.com');
  });

  it('evaluates a realistic routing condition end to end', () => {
    const acls = newAclTable();
    for (const line of ['acl api path_beg /api/', 'acl internal src 10.0.0.0/8', 'acl api_host hdr(host) -i API.example.com']) {
      const r = compileAcl(line.split(' '), WHERE);
      if ('error' in r) throw new Error(r.error);
      defineAcl(acls, r.acl);
    }
    const r = compileCondition('if api api_host internal { ssl_fc } || METH_OPTIONS'.split(' '), acls, WHERE);
    if ('error' in r) throw new Error(r.error);
    const head = parseHead('GET /api/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n');
    expect(evaluate(r.cond, requestContextFromHead(head, CONN))).toBe(true);
    expect(evaluate(r.cond, requestContextFromHead(head, { ...CONN, src: '192.168.0.1' }))).toBe(false);
    const opts = parseHead('OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(evaluate(r.cond, requestContextFromHead(opts, { ...CONN, src: '192.168.0.1' }))).toBe(true);
  });

  it('leaves sni out when the connection has none', () => {
    const head = parseHead('GET / HTTP/1.0\r\n\r\n');
    expect('sni' in requestContextFromHead(head, { src: '1.2.3.4', srcPort: 1, dstPort: 80, ssl: false })).toBe(false);
  });
});

describe('headersFromFields / requestContext', () => {
  it('looks names up ignoring case and keeps the field list', () => {
    const h = headersFromFields([['A', '1'], ['a', '2']]);
    expect(h.get('A')).toBe('1');
    expect(h.getAll('a')).toEqual(['1', '2']);
    expect(h.get('b')).toBeUndefined();
    expect(h.headers).toHaveLength(2);
  });

  it('has documented defaults', () => {
    const ctx = requestContext();
    expect(ctx).toMatchObject({ method: 'GET', path: '/', query: undefined, version: '1.1', src: '127.0.0.1', dstPort: 80, ssl: false });
  });
});
