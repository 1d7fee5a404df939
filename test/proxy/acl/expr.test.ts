import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAclExpr } from '../../../proxy/acl/expr.ts';
import { aclError, matches, WHERE, words } from './helpers.ts';

function exprError(line: string, cwd?: string): string {
  const r = parseAclExpr(words(line), WHERE, cwd ? { cwd } : {});
  if (!('error' in r)) throw new Error(`expected an error for ${line}`);
  return r.error;
}

function exprWarnings(line: string): string[] {
  const r = parseAclExpr(words(line), WHERE);
  if ('error' in r) throw new Error(r.error);
  return r.warnings;
}

describe('flags (7.1)', () => {
  it('-i applies to the patterns after it, not before', () => {
    expect(matches('path /A -i', { target: '/a' })).toBe(false); // '-i' after a pattern is a pattern
    expect(matches('path -i /A', { target: '/a' })).toBe(true);
  });

  it('-- ends the flags so that patterns may start with a dash', () => {
    expect(matches('hdr(x) -- -i', { headers: [['X', '-i']] })).toBe(true);
    expect(matches('hdr(x) -- --', { headers: [['X', '--']] })).toBe(true);
    expect(matches('hdr(x) -i -- -ABC', { headers: [['X', '-abc']] })).toBe(true);
  });

  it('-m selects the method on a generic fetch and on a derivative', () => {
    expect(matches('hdr(host) -m beg www.', { headers: [['Host', 'www.a']] })).toBe(true);
    expect(matches('hdr_dom(host) -m beg www.', { headers: [['Host', 'www.a']] })).toBe(true);
    expect(matches('path -m reg ^/x', { target: '/xy' })).toBe(true);
    expect(matches('hdr(x-real-ip) -m ip 10.0.0.0/8', { headers: [['X-Real-IP', '10.2.3.4']] })).toBe(true);
    expect(matches('hdr_cnt(x) -m bool', { headers: [['X', 'a']] })).toBe(true);
    expect(matches('hdr_cnt(x) -m bool', {})).toBe(false);
    expect(matches('path -m found', { target: '/' })).toBe(true);
    expect(matches('path -m len 1', { target: '/' })).toBe(true);
    expect(matches('dst_port -m str 80', { dstPort: 80 })).toBe(true);
  });

  it('-n and -u are accepted', () => {
    expect(matches('src -n 127.0.0.1')).toBe(true);
    const r = parseAclExpr(words('path -u 12 /'), WHERE);
    expect('expr' in r && r.expr.uniqueId).toBe(12);
  });

  it('the int operators only exist for int and len methods', () => {
    expect(matches('path eq', { target: 'eq' })).toBe(false);
    expect(matches('hdr(x) gt', { headers: [['X', 'gt']] })).toBe(true);
    expect(matches('path_len le 3', { target: '/ab' })).toBe(true);
    expect(matches('path_len lt 3', { target: '/ab' })).toBe(false);
    expect(matches('dst_port gt 100:200', { dstPort: 150 })).toBe(true); // a range is taken as is
  });
});

describe('warnings', () => {
  it('warns when a non-boolean fetch has no pattern, as HAProxy', () => {
    const w = exprWarnings('path');
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^parsing acl keyword 'path' : no pattern to match against were provided, so this ACL will never match\. /);
    expect(w[0]).toContain(`please add '--'`);
    expect(w[0]).toContain(`'-m found'`);
  });

  it('does not warn for booleans, -m found or --', () => {
    expect(exprWarnings('ssl_fc')).toEqual([]);
    expect(exprWarnings('path -m found')).toEqual([]);
    expect(exprWarnings('path --')).toEqual([]);
  });

  it('a pattern-less non-boolean ACL never matches', () => {
    expect(matches('path --', { target: '/' })).toBe(false);
    expect(matches('dst_port --', { dstPort: 80 })).toBe(false);
  });
});

describe('-f pattern files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fb-acl-'));
    mkdirSync(join(dir, 'lists'));
    writeFileSync(join(dir, 'lists', 'paths.lst'), '# static prefixes\n/static\n\n  \t/img\r\n #/hash\n');
    writeFileSync(join(dir, 'nets.lst'), '10.0.0.0/8\n2001:db8::/32\n');
    writeFileSync(join(dir, 'ua.lst'), 'Curl\n');
    writeFileSync(join(dir, 'badnet.lst'), '10.0.0.0/8\n\nnot-an-ip\n');
    writeFileSync(join(dir, 'ops.lst'), 'gt 5\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads one pattern per line: # comments and empty lines skipped, leading blanks stripped, CR cut', () => {
    const opts = { cwd: dir };
    expect(matches('path_beg -f lists/paths.lst', { target: '/static/x' }, opts)).toBe(true);
    expect(matches('path_beg -f lists/paths.lst', { target: '/img/a' }, opts)).toBe(true);
    expect(matches('path_beg -f lists/paths.lst', { target: '/other' }, opts)).toBe(false);
    expect(matches('hdr_beg(x) -f lists/paths.lst', { headers: [['X', '#/hash/x']] }, opts)).toBe(true);
    const r = parseAclExpr(words('path_beg -f lists/paths.lst'), WHERE, opts);
    expect('expr' in r && r.expr.matcher.count).toBe(3);
  });

  it('combines files with inline patterns and resolves absolute paths', () => {
    const abs = join(dir, 'nets.lst');
    expect(matches(`src -f ${abs} 192.168.0.0/16`, { src: '10.9.9.9' })).toBe(true);
    expect(matches(`src -f ${abs} 192.168.0.0/16`, { src: '192.168.1.1' })).toBe(true);
    expect(matches(`src -f ${abs} 192.168.0.0/16`, { src: '2001:db8::5' })).toBe(true);
    expect(matches(`src -f ${abs} 192.168.0.0/16`, { src: '172.16.0.1' })).toBe(false);
  });

  it('-i applies to files loaded after it only', () => {
    const opts = { cwd: dir };
    expect(matches('hdr(user-agent) -f ua.lst', { headers: [['User-Agent', 'curl']] }, opts)).toBe(false);
    expect(matches('hdr(user-agent) -i -f ua.lst', { headers: [['User-Agent', 'curl']] }, opts)).toBe(true);
    expect(matches('hdr(user-agent) -f ua.lst -i CURL', { headers: [['User-Agent', 'curl']] }, opts)).toBe(true);
  });

  it('-m must come before -f', () => {
    expect(exprError('path -f ua.lst -m beg', dir)).toBe(`'-m' must only be specified before patterns and files in parsing ACL expression`);
    expect(matches('hdr(user-agent) -m beg -f ua.lst', { headers: [['User-Agent', 'Curl/8']] }, { cwd: dir })).toBe(true);
  });

  it('reports a missing file with its path and the base directory', () => {
    expect(exprError('path -f nope.lst', dir)).toBe(`failed to open pattern file <nope.lst> (ENOENT; relative paths start from ${dir})`);
    expect(exprError('path -f', dir)).toBe(`'-f' expects the name of a pattern file`);
  });

  it('reports a bad pattern with its line in the file; operators are not read from files', () => {
    expect(exprError('src -f badnet.lst', dir)).toBe(`'not-an-ip' is not a valid IPv4 or IPv6 address at line 3 of file 'badnet.lst'`);
    expect(exprError('dst_port -f ops.lst', dir)).toBe(`'gt 5' is not a number at line 1 of file 'ops.lst'`);
  });

  it('wraps file errors in the acl line message', () => {
    expect(aclError('bad src -f badnet.lst', { cwd: dir })).toBe(
      `error detected while parsing ACL 'bad' : 'not-an-ip' is not a valid IPv4 or IPv6 address at line 3 of file 'badnet.lst'.`,
    );
  });
});

describe('expression errors, in HAProxy wording', () => {
  const cases: [string, string][] = [
    ['bar', `unknown fetch method 'bar' in ACL expression 'bar'`],
    ['bar(x) y', `unknown fetch method 'bar' in ACL expression 'bar(x)'`],
    ['(x)', `missing fetch method in ACL expression '(x)'`],
    ['path -x /', `'-x' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'`],
    ['path -m foo /', `unknown matching method 'foo' when parsing ACL expression`],
    ['path -m', `unknown matching method '' when parsing ACL expression`],
    ['path -m bin 41', `matching method 'bin' is not supported by Flightbox yet`],
    ['path -m regm x', `matching method 'regm' is not supported by Flightbox yet`],
    ['dst_port -m ip 10.0.0.1', `matching method 'ip' cannot be used with fetch keyword 'dst_port'`],
    ['ssl_fc -m ip 10.0.0.1', `matching method 'ip' cannot be used with fetch keyword 'ssl_fc'`],
    ['src -m bool', `matching method 'bool' cannot be used with fetch keyword 'src'`],
    ['method -m int 1', `matching method 'int' cannot be used with fetch keyword 'method'`],
    ['path -u x /', 'the argument of -u must be an integer'],
    ['path -M x', `'-M' (patterns from a map file) is not supported by Flightbox yet`],
    ['dst_port abc', `'abc' is not a number`],
    ['dst_port 10:5', `'10:5' is not a valid number range`],
    ['dst_port gt abc', `'abc' is neither a number nor a supported operator`],
    ['src 10.0.0.300', `'10.0.0.300' is not a valid IPv4 or IPv6 address`],
    ['src -n host.example', `'host.example' is not a valid IPv4 or IPv6 address`],
    ['hdr(host,x) a', `ACL keyword 'hdr' : failed to parse 'x' as type 'integer' at position 2`],
    ['hdr(host,) a', `ACL keyword 'hdr' : expected type 'integer' at position 2, but got nothing`],
    ['hdr(host,1,2) a', `ACL keyword 'hdr' : end of arguments expected at position 3, but got '2'`],
    ['hdr(host a', `ACL keyword 'hdr' : missing closing ')' after arguments to fetch keyword 'hdr'`],
    ['path(x) /', `ACL keyword 'path' : no argument supported, but got 'x'`],
    ['hdr(host),nosuch a', `ACL keyword 'hdr' : unknown conv method 'nosuch'.`],
    ['req.hdr(host),nosuch a', `unknown conv method 'nosuch' in ACL expression 'req.hdr(host),nosuch'`],
    ['ssl_fc,hex', `conv method 'hex' cannot be applied in ACL expression 'ssl_fc,hex'`],
    ['req.hdr(host),bytes(1) x', `the last converter gives a binary sample, which Flightbox cannot match yet; append ',hex' and match its hexadecimal text in ACL expression 'req.hdr(host),bytes(1)'`],
    ['hdr(host)x a', `ACL keyword 'hdr' : missing comma after fetch keyword 'hdr'`],
    ['src(x) 1.2.3.4', `fetch method 'src' : no argument supported, but got 'x' in ACL expression 'src(x)'`],
    ['req.hdr_cnt(a,b) 1', `fetch method 'req.hdr_cnt' : end of arguments expected at position 2, but got 'b' in ACL expression 'req.hdr_cnt(a,b)'`],
  ];
  for (const [line, msg] of cases) {
    it(`${line} → ${msg}`, () => {
      expect(exprError(line)).toBe(msg);
    });
  }

  it('an empty expression has no fetch method', () => {
    const r = parseAclExpr([], WHERE);
    expect(r).toEqual({ error: `missing fetch method in ACL expression ''` });
  });

  it('an invalid regex is reported when the ACL is compiled', () => {
    expect(exprError('path_reg ([a-z]')).toMatch(/^regex '\(\[a-z\]' is invalid \(/);
  });
});
