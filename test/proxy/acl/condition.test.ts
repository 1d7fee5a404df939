import { describe, expect, it } from 'vitest';
import { defineAcl, newAclTable } from '../../../proxy/acl/acl.ts';
import type { AclTable } from '../../../proxy/acl/acl.types.ts';
import { compileCondition, evaluate, predefinedAcl, PREDEFINED_ACLS } from '../../../proxy/acl/condition.ts';
import { requestContext } from '../../../proxy/acl/context.ts';
import type { RequestContextInit } from '../../../proxy/acl/context.ts';
import { acl, WHERE, words } from './helpers.ts';

/** A table with a, b, c true for paths containing the letter, and never_match. */
function table(): AclTable {
  const t = newAclTable();
  for (const l of ['a', 'b', 'c']) defineAcl(t, acl(`${l} path_sub ${l}`));
  return t;
}

function cond(text: string, acls: AclTable = table()) {
  const r = compileCondition(words(text), acls, WHERE);
  if ('error' in r) throw new Error(r.error);
  return r.cond;
}

function condError(text: string, acls: AclTable = table()): string {
  const r = compileCondition(words(text), acls, WHERE);
  if (!('error' in r)) throw new Error(`expected an error for ${text}`);
  return r.error;
}

function run(text: string, init: RequestContextInit | string, acls?: AclTable): boolean {
  return evaluate(cond(text, acls), requestContext(typeof init === 'string' ? { target: `/${init}` } : init));
}

describe('if / unless', () => {
  it('if applies when the condition holds, unless when it does not', () => {
    expect(run('if a', 'xa')).toBe(true);
    expect(run('if a', 'x')).toBe(false);
    expect(run('unless a', 'xa')).toBe(false);
    expect(run('unless a', 'x')).toBe(true);
  });

  it('refuses anything else as the first word', () => {
    expect(condError('when a')).toBe(`conditions must start with either 'if' or 'unless'`);
    expect(condError('IF a')).toBe(`conditions must start with either 'if' or 'unless'`);
  });

  it('keeps the polarity, the words and where it was written', () => {
    const c = cond('unless a || !b');
    expect(c.polarity).toBe('unless');
    expect(c.text).toBe('unless a || !b');
    expect(c.where).toEqual(WHERE);
    expect(c.suites.map((s) => s.map((t) => `${t.negated ? '!' : ''}${t.acl.name}`))).toEqual([['a'], ['!b']]);
  });

  it('an empty condition never holds: if is false, unless is true, with a warning', () => {
    const r = compileCondition(['if'], table(), WHERE);
    expect('warnings' in r && r.warnings).toEqual([`empty condition after 'if': it is never true`]);
    expect(run('if', 'abc')).toBe(false);
    expect(run('unless', 'abc')).toBe(true);
  });
});

describe('AND, OR, NOT (7.2)', () => {
  it('ACLs side by side are AND-ed', () => {
    expect(run('if a b', 'ab')).toBe(true);
    expect(run('if a b', 'a')).toBe(false);
    expect(run('if a b c', 'abc')).toBe(true);
    expect(run('if a b c', 'ac')).toBe(false);
  });

  it('or, OR and || separate OR-ed groups', () => {
    expect(run('if a or b', 'b')).toBe(true);
    expect(run('if a OR b', 'b')).toBe(true);
    expect(run('if a || b', 'a')).toBe(true);
    expect(run('if a || b', 'c')).toBe(false);
  });

  it('AND binds tighter than OR: a b || c is (a AND b) OR c', () => {
    expect(run('if a b || c', 'c')).toBe(true);
    expect(run('if a b || c', 'a')).toBe(false);
    expect(run('if a || b c', 'a')).toBe(true);
    expect(run('if a || b c', 'b')).toBe(false);
    expect(run('if a || b c', 'bc')).toBe(true);
  });

  it('! negates one ACL, glued or standing alone; several ! toggle', () => {
    expect(run('if !a', 'b')).toBe(true);
    expect(run('if !a', 'a')).toBe(false);
    expect(run('if ! a', 'b')).toBe(true);
    expect(run('if !!a', 'a')).toBe(true);
    expect(run('if !a b', 'b')).toBe(true);
    expect(run('if !a b', 'ab')).toBe(false);
    expect(run('if a !b || c', 'a')).toBe(true);
    expect(run('if a !b || c', 'ab')).toBe(false);
  });

  it('a ! is not carried over an or, and stray or / ! are ignored', () => {
    expect(run('if ! or a', 'a')).toBe(true);
    expect(run('if or a', 'a')).toBe(true);
    expect(run('if a or', 'a')).toBe(true);
    expect(run('if a !', 'a')).toBe(true);
  });

  it('a negated ACL whose fetch finds nothing is true', () => {
    const t = newAclTable();
    defineAcl(t, acl('has_cookie hdr(cookie) -m found'));
    expect(run('if !has_cookie', { headers: [] }, t)).toBe(true);
    expect(run('if !has_cookie', { headers: [['Cookie', 'x=1']] }, t)).toBe(false);
  });
});

describe('named ACLs in conditions', () => {
  it('an unknown name is an error in HAProxy wording', () => {
    expect(condError('if a foo')).toBe(`no such ACL : 'foo'`);
    expect(condError('if a and b')).toBe(`no such ACL : 'and' (AND is implicit: write the ACLs one after the other)`);
    expect(condError('if a && b')).toBe(`no such ACL : '&&' (AND is implicit: write the ACLs one after the other)`);
    expect(condError('if }')).toBe(`no such ACL : '}'`);
  });

  it('sees expressions added to an ACL after the condition was compiled, as HAProxy', () => {
    const t = newAclTable();
    defineAcl(t, acl('img path_end .png'));
    const c = cond('if img', t);
    defineAcl(t, acl('img path_end .gif'));
    expect(evaluate(c, requestContext({ target: '/x.gif' }))).toBe(true);
  });

  it('a section ACL named like a pre-defined one takes precedence', () => {
    const t = newAclTable();
    defineAcl(t, acl('METH_GET method PURGE'));
    expect(run('if METH_GET', { method: 'PURGE' }, t)).toBe(true);
    expect(run('if METH_GET', { method: 'GET' }, t)).toBe(false);
  });
});

describe('anonymous ACLs', () => {
  it('{ ... } is an expression in place', () => {
    expect(run('if { path_beg /api }', { target: '/api/v1' })).toBe(true);
    expect(run('if { path_beg /api }', { target: '/web' })).toBe(false);
    expect(run('if METH_POST { hdr_cnt(content-length) eq 0 }', { method: 'POST' })).toBe(true);
    expect(run('if METH_POST { hdr_cnt(content-length) eq 0 }', { method: 'POST', headers: [['Content-Length', '3']] })).toBe(false);
  });

  it('can be negated and OR-ed', () => {
    expect(run('if !{ src 10.0.0.0/8 }', { src: '192.168.0.1' })).toBe(true);
    expect(run('if ! { src 10.0.0.0/8 }', { src: '10.0.0.1' })).toBe(false);
    expect(run('if { dst_port 80 } || { dst_port 443 }', { dstPort: 443 })).toBe(true);
    expect(run('if { dst_port 80 } || { dst_port 443 }', { dstPort: 8080 })).toBe(false);
  });

  it('has an empty name and is not added to the table', () => {
    const t = table();
    const c = cond('if { path / }', t);
    expect(c.suites[0][0].acl.name).toBe('');
    expect(t.size).toBe(3);
  });

  it('reports a missing closing brace and expression errors', () => {
    expect(condError('if { path_beg /api')).toBe(`missing closing '}' in condition`);
    expect(condError('if { }')).toBe(`missing fetch method in ACL expression ''`);
    expect(condError('if { pth /a }')).toBe(`unknown fetch method 'pth' in ACL expression 'pth'`);
    expect(condError('if { dst_port x }')).toBe(`'x' is not a number`);
  });

  it('returns the warnings of its expression', () => {
    const r = compileCondition(words('if { path }'), table(), WHERE);
    expect('warnings' in r && r.warnings[0]).toMatch(/^parsing acl keyword 'path' : no pattern/);
  });
});

describe('pre-defined ACLs (7.4)', () => {
  const cases: [string, RequestContextInit, RequestContextInit][] = [
    ['TRUE', {}, {}],
    ['HTTP', {}, {}],
    ['HTTP_1.0', { version: '1.0' }, { version: '1.1' }],
    ['HTTP_1.1', { version: '1.1' }, { version: '1.0' }],
    ['METH_CONNECT', { method: 'CONNECT', target: 'a:443' }, { method: 'GET' }],
    ['METH_DELETE', { method: 'DELETE' }, { method: 'GET' }],
    ['METH_GET', { method: 'HEAD' }, { method: 'POST' }],
    ['METH_HEAD', { method: 'HEAD' }, { method: 'GET' }],
    ['METH_OPTIONS', { method: 'OPTIONS' }, { method: 'GET' }],
    ['METH_POST', { method: 'POST' }, { method: 'PUT' }],
    ['METH_PUT', { method: 'PUT' }, { method: 'POST' }],
    ['METH_TRACE', { method: 'TRACE' }, { method: 'GET' }],
    ['HTTP_URL_ABS', { target: 'http://a/b' }, { target: '/b' }],
    ['HTTP_URL_SLASH', { target: '/b' }, { target: '*', method: 'OPTIONS' }],
    ['HTTP_URL_STAR', { target: '*', method: 'OPTIONS' }, { target: '/' }],
    ['HTTP_CONTENT', { headers: [['Content-Length', '5']] }, { headers: [['Content-Length', '0']] }],
    ['LOCALHOST', { src: '127.0.0.2' }, { src: '10.0.0.1' }],
  ];
  for (const [name, yes, no] of cases) {
    it(`${name}`, () => {
      expect(run(`if ${name}`, yes)).toBe(true);
      if (name !== 'TRUE' && name !== 'HTTP') expect(run(`if ${name}`, no)).toBe(false);
    });
  }

  it('FALSE never matches, LOCALHOST covers ::1 and mapped IPv4, HTTP_2.0 never matches HTTP/1', () => {
    expect(run('if FALSE', {})).toBe(false);
    expect(run('unless FALSE', {})).toBe(true);
    expect(run('if LOCALHOST', { src: '::1' })).toBe(true);
    expect(run('if LOCALHOST', { src: '::ffff:127.0.0.1' })).toBe(true);
    expect(run('if LOCALHOST', { src: '::2' })).toBe(false);
    expect(run('if HTTP_2.0', {})).toBe(false);
  });

  it('are compiled once and shared', () => {
    expect(predefinedAcl('METH_GET')).toBe(predefinedAcl('METH_GET'));
    expect(predefinedAcl('METH_GET')?.predefined).toBe(true);
    expect(predefinedAcl('toString')).toBeUndefined();
    for (const name of Object.keys(PREDEFINED_ACLS)) expect(predefinedAcl(name)?.name).toBe(name);
  });

  it('the ones needing missing fetches say so', () => {
    expect(condError('if REQ_CONTENT')).toBe(`pre-defined ACL 'REQ_CONTENT' is not supported by Flightbox yet`);
    expect(condError('if WAIT_END')).toBe(`pre-defined ACL 'WAIT_END' is not supported by Flightbox yet`);
  });

  it('combine with named and anonymous ACLs (manual 7.2 example)', () => {
    const t = newAclTable();
    defineAcl(t, acl('missing_cl hdr_cnt(Content-length) eq 0'));
    const block = (init: RequestContextInit) => run('if HTTP_URL_STAR !METH_OPTIONS || METH_POST missing_cl', init, t);
    expect(block({ method: 'GET', target: '*' })).toBe(true);
    expect(block({ method: 'OPTIONS', target: '*' })).toBe(false);
    expect(block({ method: 'POST', target: '/' })).toBe(true);
    expect(block({ method: 'POST', target: '/', headers: [['Content-Length', '2']] })).toBe(false);
    expect(run('unless METH_GET or METH_POST or METH_OPTIONS', { method: 'PUT' }, t)).toBe(true);
    expect(run('unless METH_GET or METH_POST or METH_OPTIONS', { method: 'HEAD' }, t)).toBe(false);
  });
});
