import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigFiles } from '../../../proxy/config/parser.ts';
import { alerts, FRONTEND, parse, parseOk, warnings } from './helpers.ts';

describe('unknown keywords', () => {
  it.each([
    ['global', 'global\n'],
    ['defaults', 'defaults\n'],
    ['frontend', 'frontend f\n bind :80\n'],
    ['backend', 'backend b\n'],
    ['listen', 'listen l\n bind :80\n'],
    ['ring', 'ring r\n size 1m\n'],
    ['traces', 'traces\n'],
  ])("are reported with HAProxy's exact text in '%s'", (section, head) => {
    const r = parse(`${head}  frobnicate 1 2\n`);
    const line = head.split('\n').length;
    expect(alerts(r)).toContain(`[ALERT] config : parsing [t.cfg:${line}] : unknown keyword 'frobnicate' in '${section}' section`);
    expect(r.config).toBeUndefined();
  });
  it('are reported out of section before any header', () => {
    const r = parse('# comment\nmaxconn 10\nglobal\n');
    expect(alerts(r)).toEqual(["[ALERT] config : parsing [t.cfg:2] : unknown keyword 'maxconn' out of section."]);
  });
  it('reject daemon and master-worker', () => {
    const r = parse('global\n daemon\n master-worker\n');
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : unknown keyword 'daemon' in 'global' section",
      "[ALERT] config : parsing [t.cfg:3] : unknown keyword 'master-worker' in 'global' section",
    ]);
  });
  it('do not reach Object.prototype members', () => {
    expect(alerts(parse('global\n toString\n constructor\n'))).toHaveLength(2);
    expect(alerts(parse('toString\n'))).toEqual(["[ALERT] config : parsing [t.cfg:1] : unknown keyword 'toString' out of section."]);
  });
});

describe('collecting alerts', () => {
  it('reports every problem, not only the first, in line order', () => {
    const r = parse(
      ['global', '  nbthread 0', '  bogus', '  maxconn ten', 'frontend fe', '  bind :99999', '  mode tcp', '  timeout client 5s', '  bind :80'].join('\n'),
    );
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:2] : 'nbthread' : value '0' is out of range, expected an integer between 1 and 64.",
      "[ALERT] config : parsing [t.cfg:3] : unknown keyword 'bogus' in 'global' section",
      "[ALERT] config : parsing [t.cfg:4] : 'maxconn' : invalid number 'ten', expected an integer >= 1.",
      "[ALERT] config : parsing [t.cfg:6] : 'bind' : port 99999 in ':99999' is out of range, expected 1..65535.",
      "[ALERT] config : parsing [t.cfg:7] : 'mode' : 'tcp' mode is not supported yet, only 'mode http' is.",
    ]);
    expect(r.config).toBeUndefined();
    expect(r.alerts[0]).toMatchObject({ severity: 'alert', file: 't.cfg', line: 2 });
  });
  it('turns lexer errors into alerts at their line and goes on', () => {
    const r = parse('global\n  stats socket "/tmp/x.sock\n  nbthread 65\n');
    expect(alerts(r)).toEqual([
      '[ALERT] config : parsing [t.cfg:2] : unmatched double quote opened at column 16; close it with " or escape it with a backslash.',
      "[ALERT] config : parsing [t.cfg:3] : 'nbthread' : value '65' is out of range, expected an integer between 1 and 64.",
    ]);
  });
  it('reports an unset variable as a warning, or an alert with strictEnv', () => {
    const text = 'global\n  snapshot-dir "${SNAPDIR}/x"\n';
    const loose = parse(text);
    expect(alerts(loose)).toEqual([]);
    expect(warnings(loose)[0]).toMatch(/^\[WARNING\] config : parsing \[t\.cfg:2\] : environment variable 'SNAPDIR' is not set/);
    expect(loose.config?.global.snapshotDir).toBe('/x');
    expect(alerts(parse(text, { strictEnv: true }))[0]).toMatch(/^\[ALERT\] config : parsing \[t\.cfg:2\] : environment variable 'SNAPDIR'/);
  });
});

describe('environment and sources', () => {
  it('expands the env given in options and keeps the source unexpanded', () => {
    const text = `global\n  snapshot-dir "\${SNAP}"\n${FRONTEND.replace(':8080', '"127.0.0.1:${PORT}"')}`;
    const r = parse(text, { env: { SNAP: '/var/snap', PORT: '9000' } });
    expect(r.config?.global.snapshotDir).toBe('/var/snap');
    expect(r.config?.frontends[0].binds[0]).toMatchObject({ host: '127.0.0.1', port: 9000 });
    expect(r.sources).toEqual([{ name: 't.cfg', text }]);
    expect(r.sources[0].text).toContain('${PORT}');
  });
  it('provides .FILE, .LINE and .SECTION pseudo-variables', () => {
    const c = parseOk(`ring r\n  size 1m\n  description "\${.FILE}:\${.LINE} in \${.SECTION}"\n`);
    expect(c.rings[0].description).toBe('t.cfg:3 in r');
  });
});

describe('section headers', () => {
  it('require a name for proxies and rings', () => {
    const r = parse('frontend\n  bind :80\nbackend\nring\n  size 1m\n');
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:1] : 'frontend' : missing name, expected 'frontend <name>'.",
      "[ALERT] config : parsing [t.cfg:3] : 'backend' : missing name, expected 'backend <name>'.",
      "[ALERT] config : parsing [t.cfg:4] : 'ring' : missing name, expected 'ring <name>'.",
    ]);
  });
  it('keep checking the lines of a section whose header is invalid', () => {
    const r = parse('frontend a/b\n  maxconn x\n');
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:1] : 'frontend' : character '/' in name 'a/b' is not permitted, use letters, digits, '-', '_', '.' and ':'.",
      "[ALERT] config : parsing [t.cfg:2] : 'maxconn' : invalid number 'x', expected an integer >= 1.",
    ]);
  });
  it('reject extra words after a name and names on global/traces', () => {
    expect(alerts(parse('frontend a b\n bind :80\nglobal x\ntraces y\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:1] : 'frontend' : unexpected argument 'b', expected 'frontend <name>'.",
      "[ALERT] config : parsing [t.cfg:3] : 'global' : unexpected argument 'x', the global section takes no name.",
      "[ALERT] config : parsing [t.cfg:4] : 'traces' : unexpected argument 'y', the traces section takes no name.",
    ]);
  });
  it('merge several global sections', () => {
    const c = parseOk(`global\n  nbthread 2\n${FRONTEND}global\n  maxconn 100\n`);
    expect(c.global.nbthread).toBe(2);
    expect(c.global.maxconn).toBe(100);
  });
});

describe('parseConfigFiles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fb-config-'));
    writeFileSync(join(dir, 'a.cfg'), 'global\n  nbthread 3\ndefaults\n  timeout client 7s\n');
    writeFileSync(join(dir, 'b.cfg'), 'frontend web\n  bind :8080\n');
    writeFileSync(join(dir, 'c.cfg'), '  maxconn 5\nglobal\n  bogus\n');
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', '20-fe.cfg'), 'frontend two\n  bind :8082\n');
    writeFileSync(join(dir, 'conf.d', '10-fe.cfg'), 'frontend one\n  bind :8081\n');
    writeFileSync(join(dir, 'conf.d', 'notes.txt'), 'not a config\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses files in order and merges them; defaults carry over from one file to the next', () => {
    const r = parseConfigFiles(['a.cfg', 'b.cfg'], { env: {}, cwd: dir });
    expect(alerts(r)).toEqual([]);
    expect(r.config?.global.nbthread).toBe(3);
    expect(r.config?.frontends[0]).toMatchObject({ name: 'web', file: 'b.cfg', line: 1, timeouts: { client: 7000 } });
    expect(r.sources.map((s) => s.name)).toEqual(['a.cfg', 'b.cfg']);
  });
  it('starts each file out of section and names each file in its alerts', () => {
    const r = parseConfigFiles(['a.cfg', join(dir, 'c.cfg')], { env: {}, cwd: '/' });
    expect(alerts(r)).toEqual([
      `[ALERT] config : cannot open configuration file 'a.cfg' : ENOENT; check the path given to -f.`,
      `[ALERT] config : parsing [${join(dir, 'c.cfg')}:1] : unknown keyword 'maxconn' out of section.`,
      `[ALERT] config : parsing [${join(dir, 'c.cfg')}:3] : unknown keyword 'bogus' in 'global' section`,
    ]);
  });
  it("reads a directory's *.cfg files in alphabetical order", () => {
    const r = parseConfigFiles(['conf.d'], { env: {}, cwd: dir });
    expect(r.config?.frontends.map((f) => f.name)).toEqual(['one', 'two']);
    expect(r.sources.map((s) => s.name)).toEqual([join('conf.d', '10-fe.cfg'), join('conf.d', '20-fe.cfg')]);
  });
  it('alerts when no file is given', () => {
    expect(alerts(parseConfigFiles([], { env: {}, cwd: dir }))).toEqual(['[ALERT] config : no configuration file given; use -f <file>.']);
  });
});
