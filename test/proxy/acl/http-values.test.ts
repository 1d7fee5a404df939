import { describe, expect, it } from 'vitest';
import { headersFromFields } from '../../../proxy/acl/context.ts';
import { headerValues, splitHeaderValue, splitTarget, urlParamValues } from '../../../proxy/acl/http-values.ts';

describe('splitTarget', () => {
  it('splits origin-form at the first ?', () => {
    expect(splitTarget('/a/b?x=1?y')).toEqual({ path: '/a/b', query: 'x=1?y' });
    expect(splitTarget('/a?')).toEqual({ path: '/a', query: '' });
    expect(splitTarget('/a')).toEqual({ path: '/a', query: undefined });
  });

  it('drops scheme and authority of the absolute-form', () => {
    expect(splitTarget('http://a.example:8080/p/q?z')).toEqual({ path: '/p/q', query: 'z' });
    expect(splitTarget('http://a.example')).toEqual({ path: undefined, query: undefined });
  });

  it('gives * for the asterisk-form and no path for the authority-form', () => {
    expect(splitTarget('*')).toEqual({ path: '*', query: undefined });
    expect(splitTarget('a.example:443')).toEqual({ path: undefined, query: undefined });
  });
});

describe('splitHeaderValue', () => {
  it('splits at commas and trims spaces and tabs', () => {
    expect(splitHeaderValue('a, b ,\tc')).toEqual(['a', 'b', 'c']);
    expect(splitHeaderValue('one')).toEqual(['one']);
    expect(splitHeaderValue('a,,b')).toEqual(['a', '', 'b']);
  });

  it('does not split inside quoted strings, escapes included', () => {
    expect(splitHeaderValue('"x, y", z')).toEqual(['"x, y"', 'z']);
    expect(splitHeaderValue('"a\\", b", c')).toEqual(['"a\\", b"', 'c']);
  });
});

describe('headerValues', () => {
  const h = headersFromFields([
    ['X-A', '1, 2'],
    ['Host', 'h.example'],
    ['x-a', '3'],
  ]);

  it('iterates every comma-separated value of every occurrence', () => {
    expect(headerValues(h, 'x-a', undefined, false)).toEqual(['1', '2', '3']);
    expect(headerValues(h, 'X-A', undefined, true)).toEqual(['1, 2', '3']);
  });

  it('selects one occurrence from the start or the end', () => {
    expect(headerValues(h, 'x-a', 2, false)).toEqual(['2']);
    expect(headerValues(h, 'x-a', -1, false)).toEqual(['3']);
    expect(headerValues(h, 'x-a', -3, false)).toEqual(['1']);
    expect(headerValues(h, 'x-a', 4, false)).toEqual([]);
    expect(headerValues(h, 'x-a', -1, true)).toEqual(['3']);
  });

  it('covers every header without a name, and nothing without the field list', () => {
    expect(headerValues(h, undefined, undefined, false)).toEqual(['1', '2', 'h.example', '3']);
    expect(headerValues({ get: () => undefined, getAll: () => [] }, '', undefined, false)).toEqual([]);
  });
});

describe('urlParamValues', () => {
  it('finds every occurrence of a named parameter after ? and splits at & and ;', () => {
    expect(urlParamValues('/p?a=1&b=2;a=3', 'a', undefined)).toEqual(['1', '3']);
    expect(urlParamValues('/p?a=1', 'A', undefined)).toEqual([]);
    expect(urlParamValues('/p?ab=1', 'a', undefined)).toEqual([]);
    expect(urlParamValues('/p?a', 'a', undefined)).toEqual([]);
    expect(urlParamValues('/p', 'a', undefined)).toEqual([]);
  });

  it('lists every parameter without a name', () => {
    expect(urlParamValues('/p?a=1&flag&&b=', undefined, undefined)).toEqual(['1', '', '']);
  });

  it('uses the delimiter as start and separator', () => {
    expect(urlParamValues('/foo;JSESSIONID=abc', 'JSESSIONID', ';')).toEqual(['abc']);
    expect(urlParamValues('/foo|x=1|y=2', 'y', '|')).toEqual(['2']);
  });
});
