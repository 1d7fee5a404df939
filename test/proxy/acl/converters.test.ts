import { describe, expect, it } from 'vitest';
import {
  applyConverters,
  canCast,
  castSample,
  convField,
  convJson,
  convWord,
  formatIpv6,
  intText,
  parseConverterChain,
  sampleText,
  splitSampleExpr,
} from '../../../proxy/acl/converters.ts';
import type { ConvSampleType, Sample } from '../../../proxy/acl/converters.ts';
import { requestContext } from '../../../proxy/acl/context.ts';
import { matches } from './helpers.ts';

/** Runs chain `text` on a sample of `type`; the output value, or undefined for no sample. */
function run(text: string, value: string | number | boolean, type: ConvSampleType = 'str'): string | number | boolean | undefined {
  const chain = parseConverterChain(text, type);
  if ('error' in chain) throw new Error(chain.error);
  return applyConverters(chain.convs, { type, value })?.value;
}

function parseError(text: string, type: ConvSampleType = 'str'): string {
  const chain = parseConverterChain(text, type);
  if (!('error' in chain)) throw new Error(`expected an error for ${text}`);
  return chain.error;
}

const LLONG_MAX = '9223372036854775807';
const LLONG_MIN = '-9223372036854775808';

describe('splitSampleExpr', () => {
  it('splits after the fetch and its parenthesised arguments, whose commas are not converters', () => {
    expect(splitSampleExpr('src')).toEqual({ fetch: 'src', convs: undefined });
    expect(splitSampleExpr('src,lower')).toEqual({ fetch: 'src', convs: 'lower' });
    expect(splitSampleExpr('hdr(x,2),field(1,:),upper')).toEqual({ fetch: 'hdr(x,2)', convs: 'field(1,:),upper' });
    expect(splitSampleExpr('hdr(x,2)')).toEqual({ fetch: 'hdr(x,2)', convs: undefined });
  });
});

describe('text converters', () => {
  it('lower / upper change ASCII letters only (latin1 bytes kept, as C tolower)', () => {
    expect(run('lower', 'WwW.Ex-AMPLE.Test')).toBe('www.ex-ample.test');
    expect(run('upper', 'abc-é-z')).toBe('ABC-é-Z');
  });

  it('length counts bytes, and an address is cast to its text first (c_ip2str)', () => {
    expect(run('length', 'hello')).toBe(5);
    expect(run('length', '')).toBe(0);
    expect(run('length', '10.0.0.1', 'ip')).toBe(8);
  });

  it('field: 1-based, negative from the end, several delimiters, count, and HAProxy edge cases', () => {
    expect(convField('a:b:c', 2, ':')).toBe('b');
    expect(convField('a:b:c', -1, ':')).toBe('c');
    expect(convField('a:b:c', -3, ':')).toBe('a');
    expect(convField('a:b;c', 3, ':;')).toBe('c');
    expect(convField('a::c', 2, ':')).toBe(''); // an empty field is a sample
    expect(convField('a:b:c', 4, ':')).toBeUndefined(); // past the last field: no sample
    expect(convField('a:b:c', 0, ':')).toBeUndefined(); // index 0: no sample
    expect(convField('a:b:c:d', 2, ':', 2)).toBe('b:c');
    expect(convField('a:b:c:d', 2, ':', 0)).toBe('b:c:d'); // 0: up to the end
    expect(convField('a:b:c:d', -2, ':', 2)).toBe('b:c');
    expect(run('field(2,/)', '/api/v1/users')).toBe('api');
  });

  it('word: runs of delimiters count as one, leading delimiters skipped', () => {
    expect(convWord('/api//v1/users', 2, '/')).toBe('v1');
    expect(convWord('/api//v1/users', -1, '/')).toBe('users');
    expect(convWord('//a//b//', 2, '/')).toBe('b');
    expect(convWord('a b c', 4, ' ')).toBeUndefined();
    expect(convWord('a b c', 0, ' ')).toBeUndefined();
    expect(convWord('a b c d', 2, ' ', 2)).toBe('b c');
    expect(run('word(1,.)', 'www.example.com')).toBe('www');
  });

  it('json: escapes quotes, backslash, slash and controls; ascii escapes each byte >= 0x80', () => {
    expect(run('json', 'Very "Ugly" UA 1/2')).toBe('Very \\"Ugly\\" UA 1\\/2');
    expect(convJson('a\\b\n\t\r\b\f\x01', 'ascii')).toBe('a\\\\b\\n\\t\\r\\b\\f\\u0001');
    const e = '\xc3\xa9'; // "é" in UTF-8, as latin1 bytes
    expect(convJson(e, 'ascii')).toBe('\\u00c3\\u00a9');
    expect(convJson(e, 'utf8')).toBe('\\u00e9');
    expect(convJson('\xe2\x82\xac', 'utf8')).toBe('\\u20ac');
  });

  it('json utf8 variants: utf8 fails on bad input, s skips, p accepts overlong codes', () => {
    const bad = 'a\xffb';
    expect(convJson(bad, 'utf8')).toBeUndefined();
    expect(convJson(bad, 'utf8s')).toBe('ab');
    const overlong = 'a\xc1\x81b'; // 'A' encoded on two bytes
    expect(convJson(overlong, 'utf8')).toBeUndefined();
    expect(convJson(overlong, 'utf8p')).toBe('aAb');
    expect(convJson(overlong + bad, 'utf8ps')).toBe('aAbab');
    const astral = '\xf0\x9f\x98\x80'; // U+1F600 does not fit 4 hex digits
    expect(convJson(astral, 'utf8')).toBeUndefined();
    expect(convJson(`x${astral}y`, 'utf8s')).toBe('xy');
    expect(run('json(utf8s)', `x${bad}`)).toBe('xab');
  });
});

describe('binary converters', () => {
  it('bytes: offset and length, truncated at the end, empty past it', () => {
    expect(run('bytes(2)', 'abcdef')).toBe('cdef');
    expect(run('bytes(1,3)', 'abcdef')).toBe('bcd');
    expect(run('bytes(4,10)', 'abcdef')).toBe('ef');
    expect(run('bytes(6)', 'abcdef')).toBe('');
    expect(run('bytes(9,2)', 'abcdef')).toBe('');
  });

  it('hex is upper case; base64 is padded; an int is cast to its text first', () => {
    expect(run('hex', 'AZ\x00\xff')).toBe('415A00FF');
    expect(run('base64', 'hello')).toBe('aGVsbG8=');
    expect(run('bytes(1,2),hex', 'abcd')).toBe('6263');
    expect(run('hex', 255, 'int')).toBe('323535');
    expect(run('base64', '')).toBe('');
  });
});

describe('ipmask', () => {
  it('masks IPv4 with a prefix length or a dotted mask', () => {
    expect(run('ipmask(24)', '192.168.17.42', 'ip')).toBe('192.168.17.0');
    expect(run('ipmask(255.255.0.0)', '192.168.17.42', 'ip')).toBe('192.168.0.0');
    expect(run('ipmask(0)', '192.168.17.42', 'ip')).toBe('0.0.0.0');
    expect(run('ipmask(32)', '192.168.17.42', 'ip')).toBe('192.168.17.42');
  });

  it('masks IPv6 only when a v6 mask is given (no sample otherwise); an IPv4-mapped address uses the v4 mask', () => {
    expect(run('ipmask(24,64)', '2001:db8:1:2:3:4:5:6', 'ip')).toBe('2001:db8:1:2::');
    expect(run('ipmask(24)', '2001:db8::1', 'ip')).toBeUndefined();
    expect(run('ipmask(24)', '::ffff:10.1.2.3', 'ip')).toBe('10.1.2.0');
    expect(run('ipmask(24)', '10.9.8.7')).toBe('10.9.8.0'); // a text is cast to an address
    expect(run('ipmask(24)', 'not-an-ip')).toBeUndefined();
  });

  it('formats IPv6 as RFC 5952 (longest zero run as ::)', () => {
    const b = new Uint8Array(16);
    b[0] = 0x20;
    b[1] = 0x01;
    b[15] = 1;
    expect(formatIpv6(b)).toBe('2001::1');
    expect(formatIpv6(new Uint8Array(16))).toBe('::');
  });
});

describe('arithmetic converters (64-bit, saturating)', () => {
  it('add, sub, mul, div', () => {
    expect(run('add(5)', 10, 'int')).toBe(15);
    expect(run('sub(15)', 10, 'int')).toBe(-5);
    expect(run('mul(-3)', 10, 'int')).toBe(-30);
    expect(run('div(3)', 10, 'int')).toBe(3);
    expect(run('div(3)', -10, 'int')).toBe(-3); // truncates toward zero, as C
    expect(run('add(2),mul(3),sub(1)', 1, 'int')).toBe(8);
  });

  it('div by 0 gives LLONG_MAX, as HAProxy; overflows saturate at the bounds', () => {
    expect(sampleText({ type: 'int', value: run('div(0)', 42, 'int') as number })).toBe(LLONG_MAX);
    expect(sampleText({ type: 'int', value: run('div(0)', -42, 'int') as number })).toBe(LLONG_MAX);
    expect(intText(run(`add(${LLONG_MAX})`, 10, 'int') as number)).toBe(LLONG_MAX);
    expect(intText(run(`sub(${LLONG_MAX}),sub(10)`, -10, 'int') as number)).toBe(LLONG_MIN);
    expect(intText(run('mul(9223372036854775807)', 2, 'int') as number)).toBe(LLONG_MAX);
  });

  it('a text is cast as read_int64 (leading digits), an empty text gives no sample', () => {
    expect(run('add(1)', '41abc')).toBe(42);
    expect(run('add(1)', 'abc')).toBe(1);
    expect(run('add(1)', '')).toBeUndefined();
    expect(run('add(1)', '10.0.0.1', 'ip')).toBe(167772162); // c_ip2int
    expect(run('add(1)', '2001:db8::1', 'ip')).toBeUndefined(); // no IPv6 to int cast
  });
});

describe('casts (HAProxy sample_casts)', () => {
  it('the compile-time matrix', () => {
    expect(canCast('ip', 'str')).toBe(true);
    expect(canCast('ip', 'int')).toBe(true);
    expect(canCast('bool', 'bin')).toBe(false);
    expect(canCast('bin', 'int')).toBe(false);
    expect(canCast('addr', 'str')).toBe(false);
    expect(canCast('addr', 'any')).toBe(true);
    expect(canCast('meth', 'str')).toBe(true);
    expect(canCast('int', 'meth')).toBe(false);
  });

  it('run-time casts', () => {
    const s = (type: ConvSampleType, value: string | number | boolean): Sample => ({ type, value });
    expect(castSample(s('bool', true), 'str')).toEqual({ type: 'str', value: '1' });
    expect(castSample(s('int', 3232235777), 'ip')).toEqual({ type: 'ip', value: '192.168.1.1' });
    expect(castSample(s('str', ' 10.0.0.1 '), 'ip')).toEqual({ type: 'ip', value: '10.0.0.1' });
    expect(castSample(s('str', 'x'), 'ip')).toBeUndefined();
  });
});

describe('chain parser errors, in HAProxy wording', () => {
  it.each([
    ['nosuch', 'str', "unknown conv method 'nosuch'"],
    ['lower,nosuch(1)', 'str', "unknown conv method 'nosuch'"],
    ['', 'str', "missing conv method name after ','"],
    ['lower(1)', 'str', "conv method 'lower' does not support any args"],
    ['field(1', 'str', "syntax error: missing ')' after conv keyword 'field'"],
    ['field(1,:)x', 'str', "missing comma after conv keyword 'field'"],
    ['field', 'str', "missing args for conv method 'field'"],
    ['field(1)', 'str', "invalid arg 2 in conv method 'field' : missing arguments (got 1/2), type 'string' expected"],
    ['field(x,:)', 'str', "invalid arg 1 in conv method 'field' : failed to parse 'x' as type 'integer' at position 1 (variables are not supported by Flightbox yet; give an integer)"],
    ['field(1,)', 'str', "invalid args in conv method 'field' : empty separators list"],
    ['add(1,2)', 'int', "invalid arg 2 in conv method 'add' : end of arguments expected at position 2, but got '2'"],
    ['add()', 'int', "invalid arg 1 in conv method 'add' : missing arguments (got 0/1), type 'integer' expected"],
    ['div(txn.x)', 'int', "invalid arg 1 in conv method 'div' : failed to parse 'txn.x' as type 'integer' at position 1 (variables are not supported by Flightbox yet; give an integer)"],
    ['bytes(-1)', 'str', "invalid args in conv method 'bytes' : offset and length must not be negative"],
    ['ipmask(33)', 'ip', "invalid arg 1 in conv method 'ipmask' : failed to parse '33' as type 'IPv4 mask' at position 1"],
    ['ipmask(24,129)', 'ip', "invalid arg 2 in conv method 'ipmask' : failed to parse '129' as type 'IPv6 mask' at position 2"],
    ['json(latin1)', 'str', "invalid args in conv method 'json' : Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'"],
    ['table_http_req_rate', 'ip', "missing args for conv method 'table_http_req_rate'"],
    ['table_http_req_rate()', 'ip', "invalid arg 1 in conv method 'table_http_req_rate' : missing arguments (got 0/1), type 'table' expected"],
  ] as const)('%s on %s → %s', (text, type, message) => {
    expect(parseError(text, type)).toBe(message);
  });

  it('type mismatches: the converter input must be reachable from the previous output', () => {
    expect(parseError('hex', 'bool')).toBe("conv method 'hex' cannot be applied");
    expect(parseError('bytes(1),add(1)', 'str')).toBe("conv method 'add' cannot be applied");
    expect(parseError('ipmask(24),lower', 'ip')).toBe("conv method 'lower' cannot be applied");
    expect(parseConverterChain('ipmask(24),table_conn_cur(t)', 'ip')).toMatchObject({ outType: 'int' });
    expect(parseConverterChain('lower,length,add(1)', 'str')).toMatchObject({ outType: 'int' });
  });

  it('accepts quoted and escaped arguments as make_arg_list()', () => {
    expect(run("field(2,',')", 'a,b,c')).toBe('b');
    expect(run('field(2,\\,)', 'a,b,c')).toBe('b');
  });
});

describe('converters in ACL expressions', () => {
  it('apply to each fetched sample and match with the method of the output type', () => {
    const init = { headers: [['Host', 'WWW.Example.COM']] as [string, string][] };
    expect(matches('req.hdr(host),lower www.example.com', init)).toBe(true);
    expect(matches('req.hdr(host) www.example.com', init)).toBe(false);
    expect(matches('req.hdr(host),length gt 10', init)).toBe(true);
    expect(matches('req.hdr(host),lower,field(2,.) example', init)).toBe(true);
    expect(matches('src,ipmask(24) 10.1.2.0/24', { src: '10.1.2.99' })).toBe(true);
    expect(matches('src,ipmask(24) 10.1.2.99', { src: '10.1.2.99' })).toBe(false);
    expect(matches('path,word(1,/) api', { target: '/api/v1' })).toBe(true);
    expect(matches('src_port,mul(2) 2000', { srcPort: 1000 })).toBe(true);
  });

  it('an ACL keyword with converters matches by the output type (hdr_beg,length uses int)', () => {
    const init = { headers: [['X-Id', 'abcdef']] as [string, string][] };
    expect(matches('hdr_beg(x-id),length 6', init)).toBe(true);
    expect(matches('hdr_beg(x-id) abc', init)).toBe(true);
  });

  it('no sample from a converter: the expression cannot match, not even -m found', () => {
    expect(matches('path,field(9,/) -m found', { target: '/a/b' })).toBe(false);
    expect(matches('path,field(2,/) -m found', { target: '/a/b' })).toBe(true);
  });

  it('a request context is available to converters', () => {
    const chain = parseConverterChain('upper', 'str');
    if ('error' in chain) throw new Error(chain.error);
    expect(applyConverters(chain.convs, { type: 'str', value: 'x' }, requestContext({}))).toEqual({ type: 'str', value: 'X' });
  });
});
