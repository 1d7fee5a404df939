import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../../diag/redact.ts';
import {
  buildPolicy,
  envReferences,
  findLeaks,
  parseRedactPattern,
  redactConfig,
  redactJsonValue,
  redactString,
  type RedactPolicy,
} from '../../../diag/report/policy.ts';

const R = REDACTED;
const none: RedactPolicy = { headers: [], queries: [], patterns: [], literals: [], envNames: [] };

describe('parseRedactPattern', () => {
  it('takes a bare source (case-sensitive) or /source/flags, always global', () => {
    const a = parseRedactPattern('tok_[0-9a-f]+');
    expect(a.flags).toBe('g');
    expect('x tok_ab TOK_AB'.replace(a, R)).toBe(`x ${R} TOK_AB`);
    const b = parseRedactPattern('/secret=\\w+/i');
    expect(b.flags.split('').sort().join('')).toBe('gi');
    expect('SECRET=abc; secret=def'.replace(b, R)).toBe(`${R}; ${R}`);
  });

  it('says which pattern is wrong and what to give instead', () => {
    expect(() => parseRedactPattern('tok_[')).toThrow(/invalid --redact pattern 'tok_\['.*give a JavaScript regular expression/);
    expect(() => parseRedactPattern('a*')).toThrow(/matches the empty string/);
  });
});

describe('envReferences', () => {
  it('lists ${NAME} (with or without a default) and $NAME references once each', () => {
    expect(envReferences('a "${A}" b $B_2 c ${A} d ${C:-x} e $$ f ${1x}').sort()).toEqual(['A', 'B_2', 'C']);
  });
});

describe('buildPolicy', () => {
  const cfg = ['global', '    redact-header X-Api-Key "X-Other"', '    redact-query session_token', '    redact-query Sig', 'frontend f', '    http-request set-header X-K "${FB_K}" # and $SHORT', ''].join('\n');

  it("reads the configuration's redact-header / redact-query names", () => {
    const p = buildPolicy({ configText: cfg });
    expect(p.headers).toEqual(['x-api-key', 'x-other']);
    expect(p.queries).toEqual(['session_token', 'Sig']);
    expect(p.literals).toEqual([]);
  });

  it('takes the values of referenced environment variables from the given env, ignoring short ones', () => {
    const p = buildPolicy({ configText: cfg, env: { FB_K: 'very-secret-value', SHORT: 'on', UNUSED: 'not-referenced-value' } });
    expect(p.literals).toEqual(['very-secret-value']);
    expect(p.envNames).toEqual(['FB_K']);
  });

  it('parses --redact patterns and rejects invalid ones', () => {
    expect(buildPolicy({ patterns: ['a+', '/b/i'] }).patterns.map((r) => r.source)).toEqual(['a+', 'b']);
    expect(() => buildPolicy({ patterns: ['('] })).toThrow(/invalid --redact pattern/);
  });
});

describe('redactString', () => {
  const p: RedactPolicy = { headers: ['x-api-key'], queries: ['sig'], patterns: [/tok_\w+/g], literals: ['literal-secret'], envNames: ['E'] };

  it('removes header values, query values, URL credentials, literals and pattern matches, keeping the rest', () => {
    expect(redactString('GET /p?a=1&SIG=xyz HTTP/1.1', p)).toBe(`GET /p?a=1&SIG=${R} HTTP/1.1`);
    expect(redactString('x-api-key: abc def', p)).toBe(`x-api-key: ${R}`);
    expect(redactString('to https://u:pw@h/x now', p)).toBe(`to https://${R}@h/x now`);
    expect(redactString('env literal-secret and tok_abc1', p)).toBe(`env ${R} and ${R}`);
    expect(redactString('Authorization: Bearer abc.def', none)).toBe(`Authorization: ${R}`);
  });

  it('leaves text without secrets exactly as it was', () => {
    const s = 'h1_rcv_req(): request head: GET /index.html?page=2 HTTP/1.1 c=3 s=4 (status 200)';
    expect(redactString(s, p)).toBe(s);
  });
});

describe('redactConfig', () => {
  it('applies the configuration rules, then literals and patterns, comments included, keeping line count', () => {
    const p: RedactPolicy = { headers: [], queries: [], patterns: [/tok_\w+/g], literals: ['envval-123'], envNames: ['E'] };
    const cfg = '# token tok_abc\nuserlist u\n    user a password pw1\n    setenv X envval-123\n    bind :80 # envval-123';
    const out = redactConfig(cfg, p);
    expect(out).toBe(`# token ${R}\nuserlist u\n    user a password ${R}\n    setenv X ${R}\n    bind :80 # ${R}`);
  });

  it('redacts global cluster-secret', () => {
    expect(redactConfig('global\n    cluster-secret s3cr3t-value', none)).toBe(`global\n    cluster-secret ${R}`);
  });
});

describe('redactJsonValue', () => {
  it('redacts strings everywhere and whole values under secret-looking keys, without touching the input', () => {
    const input = {
      message: 'bad Cookie: a=b',
      details: { cookie: 'sid=1', Token: 'abc', count: 3, ok: true, 'x-api-key': 'k' },
      list: ['GET /x?sig=1', 5, null],
    };
    const out = redactJsonValue(input, { ...none, headers: ['x-api-key'], queries: ['sig'] });
    expect(out).toEqual({
      message: `bad Cookie: ${R}`,
      details: { cookie: R, Token: R, count: 3, ok: true, 'x-api-key': R },
      list: [`GET /x?sig=${R}`, 5, null],
    });
    expect(input.details.cookie).toBe('sid=1');
  });
});

describe('findLeaks', () => {
  it('names the pattern by position and the variable by name, never the secret', () => {
    const p: RedactPolicy = { headers: [], queries: [], patterns: [/abc/g, /zzz/g], literals: ['lit-val-99'], envNames: ['MY_VAR'] };
    const leaks = findLeaks('x abc lit-val-99', p, 'the text');
    expect(leaks).toEqual(['the text: the value of an environment variable referenced by the configuration (MY_VAR)', 'the text: a match of --redact pattern #1']);
  });

  it('ignores the <redacted> marks themselves', () => {
    expect(findLeaks(`a ${R} b`, { ...none, patterns: [/redacted/g] }, 'x')).toEqual([]);
  });
});
