import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfig, CONFIG_FATAL_MESSAGE, CONFIG_VALID_MESSAGE, runCheck } from '../../../cli/commands/check.ts';

const repo = resolve(import.meta.dirname, '../../..');
// Node 24 (type stripping) from the `node` dev dependency; the machine's plain node may be older.
const nodeBin = existsSync(join(repo, 'node_modules/.bin/node')) ? join(repo, 'node_modules/.bin/node') : process.execPath;
const entry = [
  "import { Command } from 'commander';",
  "import { register } from './cli/commands/check.ts';",
  "const program = new Command('flightbox');",
  'register(program);',
  "await program.parseAsync(process.argv.slice(1), { from: 'user' });",
].join('\n');

/** Runs `flightbox check <args>` as a real process. */
function flightboxCheck(...args: string[]) {
  const r = spawnSync(nodeBin, ['--input-type=module', '-e', entry, 'check', ...args], { cwd: repo, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-check-'));
  writeFileSync(join(dir, 'good.cfg'), 'global\n  nbthread 2\ndefaults\n  timeout client 5s\n');
  writeFileSync(join(dir, 'fe.cfg'), 'frontend web\n  bind 127.0.0.1:8081\n  http-request return status 204\n');
  writeFileSync(join(dir, 'warn.cfg'), 'frontend web\n  bind :8081\n');
  writeFileSync(join(dir, 'bad.cfg'), 'global\n  daemon\n  nbthread 0\nfrontend web\n  timeout client 1s\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flightbox check (real process)', () => {
  it('checks the embedded default without -f: valid, exit 0', () => {
    const r = flightboxCheck();
    expect(r).toEqual({ code: 0, stdout: `${CONFIG_VALID_MESSAGE}\n`, stderr: '' });
  });
  it('accepts -f repeated, files merged in order', () => {
    const r = flightboxCheck('-f', join(dir, 'good.cfg'), '-f', join(dir, 'fe.cfg'));
    expect(r).toEqual({ code: 0, stdout: 'Configuration file is valid\n', stderr: '' });
  });
  it('prints warnings on stderr and still exits 0', () => {
    const r = flightboxCheck('-f', join(dir, 'warn.cfg'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Configuration file is valid\n');
    expect(r.stderr).toMatch(new RegExp(`^\\[WARNING\\] config : parsing \\[${join(dir, 'warn.cfg')}:1\\] : missing timeouts for frontend 'web'`));
  });
  it('prints every alert and exits 1 for an invalid configuration', () => {
    const bad = join(dir, 'bad.cfg');
    const r = flightboxCheck('-f', bad, join(dir, 'missing.cfg'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `[ALERT] config : parsing [${bad}:2] : unknown keyword 'daemon' in 'global' section`,
      `[ALERT] config : parsing [${bad}:3] : 'nbthread' : value '0' is out of range, expected an integer between 1 and 64.`,
      `[ALERT] config : cannot open configuration file '${join(dir, 'missing.cfg')}' : ENOENT; check the path given to -f.`,
      `[ALERT] config : parsing [${bad}:4] : frontend 'web' has no 'bind' line, so it would accept no connection; add 'bind <address>:<port>'.`,
      CONFIG_FATAL_MESSAGE,
    ]);
  });
});

describe('checkConfig / runCheck (in process)', () => {
  it('returns ok and no output for the embedded default', () => {
    const r = checkConfig([]);
    expect([r.ok, r.output]).toEqual([true, []]);
    expect(r.result.config?.frontends[0].name).toBe('welcome');
  });
  it('returns the alert lines and the fatal line for an invalid file', () => {
    const r = checkConfig(['bad.cfg'], { cwd: dir, env: {} });
    expect(r.ok).toBe(false);
    expect(r.output).toHaveLength(4);
    expect(r.output.at(-1)).toBe(CONFIG_FATAL_MESSAGE);
  });
  it('takes -L (the local peer name): valid as a peer of the section, an alert otherwise', () => {
    writeFileSync(join(dir, 'peers.cfg'), 'peers mine\n  peer a 127.0.0.1:10000\n  peer b 127.0.0.1:10001\n');
    const asB = checkConfig(['peers.cfg'], { cwd: dir, env: {}, localPeer: 'b' });
    expect(asB.ok).toBe(true);
    expect(asB.result.config?.global.localPeer).toBe('b');
    const asC = checkConfig(['peers.cfg'], { cwd: dir, env: {}, localPeer: 'c' });
    expect(asC.ok).toBe(false);
    expect(asC.output[0]).toMatch(/^\[ALERT\] config : parsing \[peers\.cfg:1\] : unable to find local peer 'c' in peers section 'mine'/);
    const cli = flightboxCheck('-L', 'b', '-f', join(dir, 'peers.cfg'));
    expect(cli.code).toBe(0);
    expect(cli.stderr).not.toMatch(/unable to find local peer/);
    expect(flightboxCheck('-L', 'c', '-f', join(dir, 'peers.cfg')).code).toBe(1);
  });
  it('runCheck writes to the given streams and returns the exit code', () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } };
    expect(runCheck([join(dir, 'good.cfg'), join(dir, 'fe.cfg')], io)).toBe(0);
    expect([out, err]).toEqual([[`${CONFIG_VALID_MESSAGE}\n`], []]);
    expect(runCheck([join(dir, 'bad.cfg')], io)).toBe(1);
    expect(err.at(-1)).toBe(`${CONFIG_FATAL_MESSAGE}\n`);
  });
});
