import { describe, expect, it } from 'vitest';
import { requestContext } from '../../../proxy/acl/context.ts';
import { formatStickKey } from '../../../proxy/stick/key.ts';
import { fetchKeySample, parseStickKeyExpr, stickKeyOf } from '../../../proxy/stick/track-key.ts';
import { stickDef } from './helpers.ts';

const expr = (t: string) => {
  const e = parseStickKeyExpr(t);
  if (typeof e === 'string') throw new Error(e);
  return e;
};

describe('tracking keys', () => {
  it('parses the supported fetches and refuses the others saying what is supported', () => {
    expect(expr('req.hdr(X-Id,2)')).toEqual({ fetch: 'req.hdr', name: 'X-Id', occ: 2, text: 'req.hdr(X-Id,2)' });
    expect(expr('hdr(host)')).toMatchObject({ fetch: 'req.hdr', name: 'host', occ: undefined });
    expect(parseStickKeyExpr('cookie(x)')).toMatch(/^key 'cookie\(x\)' is not supported by Flightbox yet; supported keys: src/);
    expect(parseStickKeyExpr('path', true)).toMatch(/only 'src' is available/);
  });

  it('fetches src (IPv4-mapped as IPv4), the last header occurrence, path, url and base', () => {
    const req = requestContext({ src: '::ffff:10.0.0.9', target: '/a/b?x=1', headers: [['Host', 'ex.test'], ['X-Id', 'one'], ['X-Id', 'two, three']] });
    expect(fetchKeySample(expr('src'), req)).toEqual({ type: 'ip', value: '10.0.0.9' });
    expect(fetchKeySample(expr('req.hdr(x-id)'), req)).toEqual({ type: 'str', value: 'three' });
    expect(fetchKeySample(expr('req.hdr(x-id,1)'), req)).toEqual({ type: 'str', value: 'one' });
    expect(fetchKeySample(expr('req.hdr(x-none)'), req)).toBeUndefined();
    expect(fetchKeySample(expr('path'), req)).toEqual({ type: 'str', value: '/a/b' });
    expect(fetchKeySample(expr('url'), req)).toEqual({ type: 'str', value: '/a/b?x=1' });
    expect(fetchKeySample(expr('base'), req)).toEqual({ type: 'str', value: 'ex.test/a/b' });
  });

  it('casts samples to each key type as smp_to_stkey() does', () => {
    const show = (line: string, sample: { type: 'ip' | 'str'; value: string }) => {
      const def = stickDef(line);
      const k = stickKeyOf(def, sample);
      return k && formatStickKey(def.type, k.bytes, k.len);
    };
    expect(show('stick-table type ip size 1', { type: 'ip', value: '10.0.0.1' })).toBe('10.0.0.1');
    expect(show('stick-table type ip size 1', { type: 'ip', value: '2001:db8::1' })).toBeUndefined();
    expect(show('stick-table type ipv6 size 1', { type: 'ip', value: '10.0.0.1' })).toBe('::ffff:10.0.0.1');
    expect(show('stick-table type integer size 1', { type: 'ip', value: '0.0.1.2' })).toBe('258');
    expect(show('stick-table type integer size 1', { type: 'str', value: '42' })).toBe('42');
    expect(show('stick-table type integer size 1', { type: 'str', value: 'abc' })).toBeUndefined();
    expect(show('stick-table type string len 4 size 1', { type: 'str', value: 'abcdef' })).toBe('abcd');
    expect(show('stick-table type string size 1', { type: 'ip', value: '10.0.0.1' })).toBe('10.0.0.1');
    expect(show('stick-table type binary len 3 size 1', { type: 'str', value: 'AB' })).toBe('414200');
  });
});

describe('tracking keys with converters', () => {
  it('parses fetch + chain (src only in tcp-request connection), refusing bad chains in HAProxy wording', () => {
    expect(expr('src,ipmask(24)')).toMatchObject({ fetch: 'src', text: 'src,ipmask(24)', convs: [{ name: 'ipmask', args: [0xffffff00] }] });
    expect(parseStickKeyExpr('src,ipmask(24)', true)).toMatchObject({ fetch: 'src' });
    expect(parseStickKeyExpr('path,lower', true)).toMatch(/only 'src' is available/);
    expect(parseStickKeyExpr('req.hdr(host),nosuch')).toBe("key 'req.hdr(host),nosuch': unknown conv method 'nosuch'");
    expect(parseStickKeyExpr('src,ipmask(24),lower')).toBe("key 'src,ipmask(24),lower': conv method 'lower' cannot be applied");
  });

  it('makes the key from the converted sample: lower-cased host, masked address, an integer as text', () => {
    const req = requestContext({ src: '10.0.7.9', target: '/a/b', headers: [['Host', 'WWW.Ex.Test']] });
    expect(fetchKeySample(expr('req.hdr(host),lower'), req)).toEqual({ type: 'str', value: 'www.ex.test' });
    expect(fetchKeySample(expr('src,ipmask(16)'), req)).toEqual({ type: 'ip', value: '10.0.0.0' });
    expect(fetchKeySample(expr('path,length'), req)).toEqual({ type: 'str', value: '4' });
    expect(fetchKeySample(expr('path,field(5,/)'), req)).toBeUndefined();
    const key = stickKeyOf(stickDef('stick-table type integer size 1'), fetchKeySample(expr('path,length'), req)!);
    expect(key && formatStickKey('integer', key.bytes, key.len)).toBe('4');
  });
});
