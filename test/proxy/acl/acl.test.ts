import { describe, expect, it } from 'vitest';
import { compileAcl, defineAcl, evaluateAcl, newAclTable } from '../../../proxy/acl/acl.ts';
import { requestContext } from '../../../proxy/acl/context.ts';
import { acl, aclError, WHERE } from './helpers.ts';

describe('compileAcl', () => {
  it('compiles an acl line into a named one-expression ACL', () => {
    const a = acl('is_api path_beg /api');
    expect(a.name).toBe('is_api');
    expect(a.predefined).toBe(false);
    expect(a.exprs).toHaveLength(1);
    expect(a.exprs[0].keyword).toBe('path_beg');
    expect(a.exprs[0].where).toEqual(WHERE);
    expect(evaluateAcl(a, requestContext({ target: '/api/x' }))).toBe(true);
    expect(evaluateAcl(a, requestContext({ target: '/web' }))).toBe(false);
  });

  it('accepts names made of letters, digits, - _ . :', () => {
    expect(acl('a-b_c.d:e9 path /').name).toBe('a-b_c.d:e9');
  });

  it('refuses other characters in names, as HAProxy', () => {
    expect(aclError('bad/name path /')).toBe(`character '/' is not permitted in acl name 'bad/name'.`);
    expect(aclError('a!b path /')).toBe(`character '!' is not permitted in acl name 'a!b'.`);
  });

  it("refuses 'or' as a name, in any case", () => {
    expect(aclError('OR path /')).toBe(
      `acl name 'OR' will never match. 'or' is used to express a logical disjunction within a condition.`,
    );
  });

  it('wraps expression errors as HAProxy alerts do', () => {
    expect(aclError('foo bar')).toBe(`error detected while parsing ACL 'foo' : unknown fetch method 'bar' in ACL expression 'bar'.`);
    expect(aclError('')).toBe(`error detected while parsing ACL '' : missing fetch method in ACL expression ''.`);
    expect(aclError('x')).toBe(`error detected while parsing ACL 'x' : missing fetch method in ACL expression ''.`);
  });

  it('requires the line to start with acl', () => {
    const r = compileAcl(['x', 'path', '/'], WHERE);
    expect(r).toEqual({ error: `an ACL line starts with 'acl', got 'x'` });
  });

  it('returns the no-pattern warning and the space-before-parenthesis warning', () => {
    const r1 = compileAcl(['acl', 'a', 'path'], WHERE);
    expect('warnings' in r1 && r1.warnings[0]).toMatch(/^parsing acl keyword 'path' : no pattern/);
    const r2 = compileAcl(['acl', 'h', 'hdr', '(host)', 'x'], WHERE);
    expect('warnings' in r2 && r2.warnings).toEqual([
      `parsing acl 'h' : matching 'hdr' for pattern '(host)' is likely a mistake and probably not what you want. ` +
        `Maybe you need to remove the extraneous space before '('. ` +
        `If you are really sure this is not an error, please insert '--' between the match and the pattern to make this warning message disappear.`,
    ]);
    const r3 = compileAcl(['acl', 'h', 'hdr(host)', 'x'], WHERE);
    expect('warnings' in r3 && r3.warnings).toEqual([]);
  });
});

describe('defineAcl: several lines with one name are OR-ed (7.1)', () => {
  it('appends later expressions to the first definition', () => {
    const table = newAclTable();
    const first = defineAcl(table, acl('static path_beg /static /images'));
    const merged = defineAcl(table, acl('static path_end .gif .png'));
    expect(merged).toBe(first);
    expect(table.get('static')?.exprs).toHaveLength(2);
    const a = table.get('static')!;
    expect(evaluateAcl(a, requestContext({ target: '/static/x' }))).toBe(true);
    expect(evaluateAcl(a, requestContext({ target: '/x/y.png' }))).toBe(true);
    expect(evaluateAcl(a, requestContext({ target: '/x/y.html' }))).toBe(false);
  });

  it('keeps names case-sensitive', () => {
    const table = newAclTable();
    defineAcl(table, acl('my_acl path /a'));
    defineAcl(table, acl('My_Acl path /b'));
    expect(table.size).toBe(2);
    expect(evaluateAcl(table.get('my_acl')!, requestContext({ target: '/b' }))).toBe(false);
  });
});
