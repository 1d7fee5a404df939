import { describe, expect, it } from 'vitest';
import { parseStatusRanges } from '../../../../proxy/config/sections/backend.ts';
import { alerts, parse, parseOk, warnings } from '../helpers.ts';

const T = ' timeout connect 1s\n timeout server 1s\n';
const be = (...lines: string[]) => `backend b\n${T}${lines.map((l) => ` ${l}\n`).join('')}`;
const backend = (text: string) => parseOk(text).backends[0];
const bad = (line: string) => alerts(parse(be(line)));

describe('backend defaults', () => {
  it("are HAProxy's when nothing is set", () => {
    const b = backend(be());
    expect(b).toMatchObject({
      kind: 'backend', name: 'b', servers: [], balance: { algorithm: 'roundrobin' }, httpchk: undefined, reuse: 'safe', retries: 3,
      redispatch: { enabled: false, interval: -1 }, forwardfor: undefined, httpServerClose: false, logs: [], maxconn: undefined,
    });
  });
});

describe('balance', () => {
  it.each(['roundrobin', 'leastconn', 'source', 'first'])('accepts %s', (algo) => {
    expect(backend(be(`balance ${algo}`)).balance).toEqual({ algorithm: algo });
  });
  it('accepts uri with len, depth, whole and path-only, in any order', () => {
    expect(backend(be('balance uri')).balance).toEqual({ algorithm: 'uri', len: undefined, depth: undefined, whole: false, pathOnly: false });
    expect(backend(be('balance uri whole depth 3 len 20 path-only')).balance).toEqual({ algorithm: 'uri', len: 20, depth: 3, whole: true, pathOnly: true });
  });
  it.each([
    ['balance', "'balance' : missing algorithm, expected 'balance roundrobin|leastconn|source|first|uri [len <n>] [depth <n>] [whole] [path-only]'."],
    ['balance roundrobin now', "'balance' : unexpected argument 'now', 'roundrobin' takes none."],
    ['balance uri len 0', "'balance' : len: value '0' is out of range, expected an integer >= 1."],
    ['balance uri depth', "'balance' : missing value after 'depth'."],
    ['balance uri deep 2', "'balance' : unknown argument 'deep' for 'uri', expected 'len <n>', 'depth <n>', 'whole' or 'path-only'."],
    ['balance static-rr', "'balance' : algorithm 'static-rr' is not supported yet, expected roundrobin, leastconn, source, uri or first."],
    ['balance hdr(host)', "'balance' : algorithm 'hdr(host)' is not supported yet, expected roundrobin, leastconn, source, uri or first."],
    ['balance fastest', "'balance' : unknown load-balancing algorithm 'fastest', expected roundrobin, leastconn, source, uri or first."],
  ])('rejects %s', (line, message) => {
    expect(bad(line)).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });
});

describe('retries and http-reuse', () => {
  it('read their values', () => {
    expect(backend(be('retries 0', 'http-reuse always'))).toMatchObject({ retries: 0, reuse: 'always' });
    for (const r of ['never', 'safe', 'aggressive', 'always']) expect(backend(be(`http-reuse ${r}`)).reuse).toBe(r);
  });
  it.each([
    ['retries', "'retries' : missing argument, expected 'retries <number>'."],
    ['retries -1', "'retries' : value '-1' is out of range, expected an integer between 0 and 1000000."],
    ['retries 3 4', "'retries' : unexpected argument '4', expected 'retries <number>'."],
    ['http-reuse sometimes', "'http-reuse' : invalid value 'sometimes', expected 'never', 'safe', 'aggressive' or 'always'."],
    ['http-reuse', "'http-reuse' : missing argument, expected 'http-reuse never|safe|aggressive|always'."],
  ])('rejects %s', (line, message) => {
    expect(bad(line)).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });
});

describe('http-check expect', () => {
  it('reads status lists and ranges, rstatus and negation, in order', () => {
    const b = backend(be('option httpchk', 'http-check expect status 200,201,300-310', 'http-check expect ! rstatus ^5', 'http-check expect ! status 404'));
    expect(b.httpchk?.expects).toEqual([
      { match: 'status', negate: false, ranges: [[200, 200], [201, 201], [300, 310]], file: 't.cfg', line: 5 },
      { match: 'rstatus', negate: true, regex: '^5', file: 't.cfg', line: 6 },
      { match: 'status', negate: true, ranges: [[404, 404]], file: 't.cfg', line: 7 },
    ]);
  });
  it.each([
    ['http-check expect', "'http-check expect' : missing match, expected '[!] status <codes>' or '[!] rstatus <regex>'."],
    ['http-check expect status', "'http-check expect' : 'status' expects status codes (e.g. 200-399)."],
    ['http-check expect rstatus', "'http-check expect' : 'rstatus' expects a regular expression (e.g. ^2)."],
    ['http-check expect status 2xx', "'http-check expect' : invalid status '2xx' in '2xx', expected codes or ranges such as '200', '200-399' or '200,301-302'."],
    ['http-check expect status 200,', "'http-check expect' : invalid status '' in '200,', expected codes or ranges such as '200', '200-399' or '200,301-302'."],
    ['http-check expect status 099', "'http-check expect' : status '099' is out of range, expected codes between 100 and 599."],
    ['http-check expect status 399-200', "'http-check expect' : range '399-200' is reversed, write the lower code first."],
    ['http-check expect rstatus (', "'http-check expect' : invalid regex '(': Unterminated group."],
    ['http-check expect status 200 now', "'http-check expect' : unexpected argument 'now' after 'status 200'."],
    ['http-check expect string OK', "'http-check expect' : 'string' is not supported yet, expected '[!] status <codes>' or '[!] rstatus <regex>'."],
    ['http-check expect min-recv 10 status 200', "'http-check expect' : 'min-recv' is not supported yet, expected '[!] status <codes>' or '[!] rstatus <regex>'."],
    ['http-check expect header name x', "'http-check expect' : unknown match 'header', expected '[!] status <codes>' or '[!] rstatus <regex>'."],
    ['http-check send meth GET', "'http-check' : 'send' is not supported yet, only 'http-check expect [!] status <codes>|rstatus <regex>' is."],
    ['http-check', "'http-check' : missing action, only 'http-check expect [!] status <codes>|rstatus <regex>' is."],
  ])('rejects %s', (line, message) => {
    expect(bad(line)).toEqual([`[ALERT] config : parsing [t.cfg:4] : ${message}`]);
  });
});

describe('parseStatusRanges', () => {
  it('turns codes and ranges into inclusive pairs', () => {
    expect(parseStatusRanges('200')).toEqual([[200, 200]]);
    expect(parseStatusRanges('200-399,404')).toEqual([[200, 399], [404, 404]]);
  });
});

describe('backend keywords in defaults', () => {
  it('are inherited by backends and listen sections declared after them', () => {
    const c = parseOk(
      [
        'defaults',
        T.trimEnd(),
        ' balance source',
        ' retries 5',
        ' http-reuse never',
        ' option redispatch',
        ' option httpchk HEAD /ping',
        ' http-check expect status 204',
        ' timeout queue 10s',
        ' timeout tunnel 1h',
        ' timeout check 2s',
        'backend a',
        'backend b',
        ' balance first',
        ' retries 1',
        ' http-check expect status 200',
        'listen l',
        ' bind :80',
        ' timeout client 1s',
        ' server s 10.0.0.1:80',
      ].join('\n'),
    );
    const [a, b, l] = c.backends;
    expect(a).toMatchObject({
      balance: { algorithm: 'source' }, retries: 5, reuse: 'never', redispatch: { enabled: true, interval: -1 },
      httpchk: { method: 'HEAD', uri: '/ping', version: 'HTTP/1.0', expects: [{ match: 'status', ranges: [[204, 204]], line: 9 }] },
      timeouts: { connect: 1000, server: 1000, queue: 10_000, tunnel: 3_600_000, check: 2000 },
    });
    // A proxy's own http-check rules replace the inherited ones, as HAProxy.
    expect(b).toMatchObject({ balance: { algorithm: 'first' }, retries: 1, httpchk: { expects: [{ ranges: [[200, 200]], line: 17 }] } });
    expect(b.httpchk?.expects).toHaveLength(1);
    expect(l).toMatchObject({ kind: 'listen', balance: { algorithm: 'source' }, retries: 5 });
    expect(c.defaults.timeouts).toMatchObject({ queue: 10_000, tunnel: 3_600_000, check: 2000 });
  });
  it('are not allowed in frontends', () => {
    expect(alerts(parse('frontend f\n bind :80\n balance roundrobin\n retries 3\n http-reuse safe\n http-check expect status 200\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:3] : 'balance' not allowed because frontend 'f' has no backend capability; write it in a 'backend' or 'listen' section.",
      "[ALERT] config : parsing [t.cfg:4] : 'retries' not allowed because frontend 'f' has no backend capability; write it in a 'backend' or 'listen' section.",
      "[ALERT] config : parsing [t.cfg:5] : 'http-reuse' not allowed because frontend 'f' has no backend capability; write it in a 'backend' or 'listen' section.",
      "[ALERT] config : parsing [t.cfg:6] : 'http-check' not allowed because frontend 'f' has no backend capability; write it in a 'backend' or 'listen' section.",
    ]);
  });
  it('timeouts queue, tunnel and check are ignored with a warning in a frontend', () => {
    const r = parse('frontend f\n bind :80\n timeout client 1s\n timeout queue 1s\n timeout tunnel 1s\n timeout check 1s\n default_backend b\nbackend b\n');
    expect(warnings(r).slice(0, 3)).toEqual([
      "[WARNING] config : parsing [t.cfg:4] : 'timeout queue' ignored because frontend 'f' has no backend capability",
      "[WARNING] config : parsing [t.cfg:5] : 'timeout tunnel' ignored because frontend 'f' has no backend capability",
      "[WARNING] config : parsing [t.cfg:6] : 'timeout check' ignored because frontend 'f' has no backend capability",
    ]);
  });
});
