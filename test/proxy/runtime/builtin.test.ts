import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../../../proxy/runtime/registry.ts';
import { startRuntimeServer } from '../../../proxy/runtime/server.ts';
import type { RuntimeLevel, RuntimeServer } from '../../../proxy/runtime/runtime.types.ts';
import { exchange, makeTempDir, openClient } from './helpers.ts';

let tmp: ReturnType<typeof makeTempDir>;
const servers: RuntimeServer[] = [];

beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  tmp.cleanup();
});

async function start(level?: RuntimeLevel): Promise<RuntimeServer> {
  const r = createRegistry();
  r.register({ words: ['show', 'info'], level: 'user', usage: 'show info', help: 'process information', handler: () => 'Name: flightbox\n' });
  r.register({ words: ['clear', 'counters'], level: 'operator', usage: 'clear counters', help: 'clear counters', handler: () => '' });
  r.register({ words: ['disable', 'server'], level: 'admin', usage: 'disable server <b>/<s>', help: 'maintenance', handler: () => 'done\n' });
  r.register({
    words: ['debug', 'dev', 'echo'],
    level: 'admin',
    expert: true,
    usage: 'debug dev echo <text>',
    help: 'expert-only echo',
    handler: (args) => `dev:${args.join(' ')}\n`,
  });
  const s = await startRuntimeServer({ path: tmp.path('rt.sock'), registry: r, level });
  servers.push(s);
  return s;
}

describe('prompt', () => {
  it('enters prompt mode, answers several commands with "\\n> " after each, and quit closes', async () => {
    const s = await start();
    const c = await openClient(s.path);
    c.write('prompt\n');
    expect(await c.until('> ')).toBe('\n> ');
    c.write('show info\n');
    expect(await c.until('> ')).toBe('Name: flightbox\n\n> ');
    c.write('show cli level; show info\n');
    expect(await c.until('> ')).toBe('operator\n\n> ');
    expect(await c.until('> ')).toBe('Name: flightbox\n\n> ');
    c.write('\n');
    expect(await c.until('> ')).toBe('\n> ');
    c.write('quit\n');
    expect(await c.closed()).toBe('');
  });

  it('"prompt" again leaves interactive mode and the connection closes after that line', async () => {
    const s = await start();
    const c = await openClient(s.path);
    c.write('prompt\n');
    await c.until('> ');
    c.write('prompt; show info\n');
    expect(await c.closed()).toBe('\nName: flightbox\n\n');
  });

  it('"prompt i" keeps the connection open without a prompt; "prompt n" ends after the line', async () => {
    const s = await start();
    const c = await openClient(s.path);
    c.write('prompt i\n');
    expect(await c.until('\n')).toBe('\n');
    c.write('show info\n');
    expect(await c.until('\n\n')).toBe('Name: flightbox\n\n');
    c.write('prompt n; show cli level\n');
    expect(await c.closed()).toBe('\noperator\n\n');
  });

  it('"prompt help" lists the options and a bad option is reported', async () => {
    const s = await start();
    expect(await exchange(s.path, 'prompt help\n')).toMatch(/^Options for the prompt command:\n(.|\n)*  p : prompt mode/);
    expect(await exchange(s.path, 'prompt z\n')).toBe("Unknown prompt option 'z'. Use 'prompt help' to list the options (n, i, p).\n\n");
  });

  it('ends the session when the client closes its side in interactive mode', async () => {
    const s = await start();
    expect(await exchange(s.path, 'prompt\nshow info\n')).toBe('\n> Name: flightbox\n\n> ');
  });
});

describe('levels', () => {
  it('an operator socket refuses an admin command with "Permission denied" and the session goes on', async () => {
    const s = await start('operator');
    const out = await exchange(s.path, 'disable server b/s; show cli level; clear counters\n');
    expect(out).toBe('Permission denied\n\noperator\n\n\n');
  });

  it('"user" lowers the level, after which an operator command is refused', async () => {
    const s = await start('operator');
    const out = await exchange(s.path, 'clear counters; user; show cli level; clear counters; show info\n');
    expect(out).toBe('\n\nuser\n\nPermission denied\n\nName: flightbox\n\n');
  });

  it('"operator" cannot raise a user session', async () => {
    const s = await start('user');
    expect(await exchange(s.path, 'operator; show cli level\n')).toBe('Permission denied\n\nuser\n\n');
  });

  it('an admin socket runs admin commands and can lower itself to operator', async () => {
    const s = await start('admin');
    expect(await exchange(s.path, 'disable server b/s; operator; disable server b/s\n')).toBe(
      'done\n\n\nPermission denied\n\n',
    );
  });

  it('"user -" omits the empty line after its (empty) response', async () => {
    const s = await start('admin');
    expect(await exchange(s.path, 'user -; show cli level\n')).toBe('user\n\n');
  });

  it('help lists only the commands of the current level', async () => {
    const s = await start('admin');
    const out = await exchange(s.path, 'help; user; help\n');
    const [adminHelp, userHelp] = out.split('\n\n\n');
    expect(adminHelp).toContain('disable server <b>/<s>');
    expect(adminHelp).toContain('clear counters');
    expect(userHelp).not.toContain('disable server');
    expect(userHelp).not.toContain('clear counters');
    expect(userHelp).toContain('show info');
  });
});

describe('expert-mode', () => {
  it('is admin-only', async () => {
    const s = await start('operator');
    expect(await exchange(s.path, 'expert-mode on; expert-mode\n')).toBe('Permission denied\n\nPermission denied\n\n');
  });

  it('gates expert commands, prints its state, and is reset by a level change', async () => {
    const s = await start('admin');
    const out = await exchange(
      s.path,
      'debug dev echo hi; expert-mode; expert-mode on; expert-mode; debug dev echo hi there; operator; expert-mode; debug dev echo x\n',
    );
    expect(out).toBe(
      'This command is restricted to expert mode only.\n\n' +
        'expert-mode is OFF\n\n' +
        '\n' +
        'expert-mode is ON\n\n' +
        'dev:hi there\n\n' +
        '\n' +
        'Permission denied\n\n' +
        'This command is restricted to expert mode only.\n\n',
    );
  });

  it('"expert-mode off" (or any word but "on") turns it off; expert commands show in help only when on', async () => {
    const s = await start('admin');
    const out = await exchange(s.path, 'help; expert-mode on; help; expert-mode off; expert-mode\n');
    // responses: help, (empty), help, (empty), state, each followed by an empty line
    const parts = out.split('\n\n\n');
    expect(parts).toHaveLength(3);
    expect(parts[0]).not.toContain('debug dev echo');
    expect(parts[0]).not.toContain('expert-mode');
    expect(parts[1]).toContain('debug dev echo <text>');
    expect(parts[2]).toBe('expert-mode is OFF\n\n');
  });
});
