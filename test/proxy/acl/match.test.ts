import { describe, expect, it } from 'vitest';
import type { MatchMethod, SampleType, SampleValue } from '../../../proxy/acl/acl.types.ts';
import {
  asciiLower, defaultMethod, intOperatorRange, methodAccepts, parseIntRange, PatternSet,
} from '../../../proxy/acl/match.ts';

function set(method: MatchMethod, patterns: string[], icase = false): PatternSet {
  const s = new PatternSet(method);
  for (const p of patterns) {
    const err = s.add(p, icase);
    if (err) throw new Error(err);
  }
  return s;
}

function t(method: MatchMethod, patterns: string[], value: SampleValue, type: SampleType = 'str', icase = false): boolean {
  return set(method, patterns, icase).test(value, type);
}

describe('parseIntRange (7.1.2)', () => {
  it('reads values and closed, open-ended ranges with : or -', () => {
    expect(parseIntRange('80')).toEqual({ min: 80, max: 80 });
    expect(parseIntRange('1024:65535')).toEqual({ min: 1024, max: 65535 });
    expect(parseIntRange('1024-65535')).toEqual({ min: 1024, max: 65535 });
    expect(parseIntRange('1024:')).toEqual({ min: 1024 });
    expect(parseIntRange(':1023')).toEqual({ max: 1023 });
  });

  it('gives HAProxy messages for non-numbers and bad ranges', () => {
    expect(parseIntRange('abc')).toBe(`'abc' is not a number`);
    expect(parseIntRange('')).toBe(`'' is not a valid number range`);
    expect(parseIntRange(':')).toBe(`':' is not a valid number range`);
    expect(parseIntRange('10:5')).toBe(`'10:5' is not a valid number range`);
    expect(parseIntRange('1:x')).toBe(`'1:x' is not a valid number range`);
  });
});

describe('intOperatorRange', () => {
  it('turns gt ge lt le into ranges as HAProxy', () => {
    expect(intOperatorRange('gt', '5')).toEqual({ min: 6 });
    expect(intOperatorRange('ge', '5')).toEqual({ min: 5 });
    expect(intOperatorRange('lt', '5')).toEqual({ max: 4 });
    expect(intOperatorRange('le', '5')).toEqual({ max: 5 });
    expect(intOperatorRange('lt', '0')).toEqual({ max: -1 });
    expect(intOperatorRange('gt', '5.3')).toEqual({ min: 6 });
  });

  it('refuses a non-number with HAProxy message', () => {
    expect(intOperatorRange('gt', 'x')).toBe(`'x' is neither a number nor a supported operator`);
  });
});

describe('methodAccepts / defaultMethod (7.1 matrix)', () => {
  it('gives the default method of each sample type', () => {
    expect(defaultMethod('bool')).toBe('bool');
    expect(defaultMethod('int')).toBe('int');
    expect(defaultMethod('ip')).toBe('ip');
    expect(defaultMethod('str')).toBe('str');
    expect(defaultMethod('meth')).toBe('meth');
  });

  it('follows the compatibility matrix', () => {
    expect(methodAccepts('ip', 'str')).toBe(true);
    expect(methodAccepts('ip', 'int')).toBe(false);
    expect(methodAccepts('ip', 'bool')).toBe(false);
    expect(methodAccepts('bool', 'ip')).toBe(false);
    expect(methodAccepts('int', 'ip')).toBe(true);
    expect(methodAccepts('beg', 'int')).toBe(true);
    expect(methodAccepts('int', 'meth')).toBe(false);
    expect(methodAccepts('found', 'meth')).toBe(true);
  });
});

describe('PatternSet string methods (7.1.3)', () => {
  it('str: exact, case-sensitive unless -i', () => {
    expect(t('str', ['/a', '/b'], '/b')).toBe(true);
    expect(t('str', ['/a'], '/a/')).toBe(false);
    expect(t('str', ['/A'], '/a')).toBe(false);
    expect(t('str', ['/A'], '/a', 'str', true)).toBe(true);
  });

  it('beg / end / sub', () => {
    expect(t('beg', ['/api'], '/api/v1')).toBe(true);
    expect(t('beg', ['/api'], '/ap')).toBe(false);
    expect(t('beg', ['/API'], '/api/v1', 'str', true)).toBe(true);
    expect(t('end', ['.png', '.jpg'], '/x.jpg')).toBe(true);
    expect(t('end', ['.png'], '/x.png.txt')).toBe(false);
    expect(t('sub', ['adm'], '/x/admin/y')).toBe(true);
    expect(t('sub', ['ADM'], '/x/admin/y')).toBe(false);
    expect(t('sub', ['ADM'], '/x/admin/y', 'str', true)).toBe(true);
  });

  it('dir: a slash-delimited part, pattern slashes ignored', () => {
    expect(t('dir', ['img'], '/static/img/a.png')).toBe(true);
    expect(t('dir', ['/img/'], '/static/img/a.png')).toBe(true);
    expect(t('dir', ['img'], '/static/images/a.png')).toBe(false);
    expect(t('dir', ['static/img'], '/static/img/a.png')).toBe(true);
    expect(t('dir', ['a.png'], '/x/a.png?v=1')).toBe(true);
  });

  it('dom: a dot-delimited part', () => {
    expect(t('dom', ['example.com'], 'www.example.com')).toBe(true);
    expect(t('dom', ['example.com'], 'www.example.com:8080')).toBe(true);
    expect(t('dom', ['example.com'], 'www.badexample.com')).toBe(false);
    expect(t('dom', ['www'], 'www.example.com')).toBe(true);
    expect(t('dom', ['EXAMPLE'], 'www.example.com', 'str', true)).toBe(true);
    expect(t('dom', ['EXAMPLE'], 'www.example.com')).toBe(false);
  });

  it('len: the string length against ranges', () => {
    expect(t('len', ['3'], 'abc')).toBe(true);
    expect(t('len', ['4:'], 'abc')).toBe(false);
    expect(t('len', [':3'], 1234, 'int')).toBe(false);
  });

  it('converts non-string samples to text', () => {
    expect(t('str', ['80'], 80, 'int')).toBe(true);
    expect(t('str', ['1'], true, 'bool')).toBe(true);
    expect(t('beg', ['127.'], '127.0.0.1', 'ip')).toBe(true);
  });
});

describe('PatternSet reg (7.1.4)', () => {
  it('searches unanchored, anchors when written, -i gives the i flag', () => {
    expect(t('reg', ['\\.php$'], '/a/b.php')).toBe(true);
    expect(t('reg', ['\\.php$'], '/a/b.php5')).toBe(false);
    expect(t('reg', ['^/API'], '/api/x')).toBe(false);
    expect(t('reg', ['^/API'], '/api/x', 'str', true)).toBe(true);
    expect(t('reg', ['dmi'], '/admin')).toBe(true);
  });

  it('compiles once and reports an invalid regex', () => {
    const s = new PatternSet('reg');
    expect(s.add('(', false)).toMatch(/^regex '\(' is invalid \(.+\)$/);
    expect(s.count).toBe(0);
  });
});

describe('PatternSet int, bool, found, ip, meth', () => {
  it('int: values and ranges; booleans as 0/1; strings by their leading integer', () => {
    expect(t('int', ['1024:65535'], 8080, 'int')).toBe(true);
    expect(t('int', ['1024:65535'], 80, 'int')).toBe(false);
    expect(t('int', ['1'], true, 'bool')).toBe(true);
    expect(t('int', ['0'], false, 'bool')).toBe(true);
    expect(t('int', ['42'], '42abc', 'str')).toBe(true);
    expect(t('int', ['0'], 'abc', 'str')).toBe(true);
    expect(t('int', ['0'], '', 'str')).toBe(false);
    expect(t('int', ['167772161'], '10.0.0.1', 'ip')).toBe(true);
  });

  it('bool: true and non-zero match, patterns ignored (7.1.1)', () => {
    expect(t('bool', [], true, 'bool')).toBe(true);
    expect(t('bool', [], false, 'bool')).toBe(false);
    expect(t('bool', ['anything'], 3, 'int')).toBe(true);
    expect(t('bool', [], 0, 'int')).toBe(false);
  });

  it('found: any sample matches', () => {
    expect(t('found', [], '', 'str')).toBe(true);
  });

  it('ip: addresses from ip and string samples, not from others', () => {
    expect(t('ip', ['10.0.0.0/8'], '10.1.1.1', 'ip')).toBe(true);
    expect(t('ip', ['10.0.0.0/8'], '10.1.1.1', 'str')).toBe(true);
    expect(t('ip', ['10.0.0.0/8'], 'not-an-ip', 'str')).toBe(false);
    expect(new PatternSet('ip').add('host.example', false)).toBe(`'host.example' is not a valid IPv4 or IPv6 address`);
  });

  it('meth: exact and case-sensitive unless -i', () => {
    expect(t('meth', ['GET', 'HEAD'], 'HEAD', 'meth')).toBe(true);
    expect(t('meth', ['get'], 'GET', 'meth')).toBe(false);
    expect(t('meth', ['get'], 'GET', 'meth', true)).toBe(true);
    expect(t('meth', ['PURGE'], 'PURGE', 'meth')).toBe(true);
  });

  it('keeps the -i state of each pattern', () => {
    const s = new PatternSet('str');
    s.add('Exact', false);
    s.add('LOOSE', true);
    expect(s.test('Exact', 'str')).toBe(true);
    expect(s.test('exact', 'str')).toBe(false);
    expect(s.test('loose', 'str')).toBe(true);
    expect(s.count).toBe(2);
  });

  it('asciiLower only folds ASCII letters', () => {
    expect(asciiLower('AbC-É')).toBe('abc-É');
  });
});
