import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { CommandError, createRegistry } from '../../../proxy/runtime/registry.ts';
import { parseCommandWords, payloadPattern, startRuntimeServer } from '../../../proxy/runtime/server.ts';
import type { Registry, RuntimeServer, RuntimeServerOptions } from '../../../proxy/runtime/runtime.types.ts';
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

function sampleRegistry(): Registry {
  const r = createRegistry();
  r.register({ words: ['echo'], level: 'user', usage: 'echo <words>...', help: 'print the words', handler: (args) => args.join('|') + '\n' });
  r.register({ words: ['show', 'info'], level: 'user', usage: 'show info', help: 'process information', handler: () => 'Name: flightbox\n' });
  r.register({
    words: ['show', 'pools'],
    level: 'user',
    usage: 'show pools [byname] [<nb>]',
    help: 'report pools',
    handler: (args) => `pools args=${JSON.stringify(args)}\n`,
  });
  r.register({ words: ['slow'], level: 'user', usage: 'slow <ms> <tag>', help: 'answer after a delay', handler: async (args) => {
    await new Promise((res) => setTimeout(res, Number(args[0])));
    return `slow ${args[1]}\n`;
  } });
  r.register({ words: ['fail'], level: 'user', usage: 'fail', help: 'throws', handler: () => {
    throw new Error('kaboom');
  } });
  r.register({ words: ['refuse'], level: 'user', usage: 'refuse', help: 'throws a user error', handler: () => {
    throw new CommandError('No such backend.');
  } });
  r.register({ words: ['add', 'map'], level: 'operator', usage: 'add map <map> <payload>', help: 'takes a payload', handler: (args, ctx) =>
    `map=${args[0]} payload=${JSON.stringify(ctx.payload)}\n` });
  return r;
}

async function start(extra: Partial<RuntimeServerOptions> = {}): Promise<RuntimeServer> {
  const s = await startRuntimeServer({ path: tmp.path('rt.sock'), registry: sampleRegistry(), ...extra });
  servers.push(s);
  return s;
}

describe('command line parsing', () => {
  it('splits words on blanks and honours backslash escapes', () => {
    expect(parseCommandWords('  show   pools\tbyname 10 ')).toEqual(['show', 'pools', 'byname', '10']);
    expect(parseCommandWords('set var a\\ b c\\;d e\\\\f')).toEqual(['set', 'var', 'a b', 'c;d', 'e\\f']);
  });

  it('recognises a final << or <<PATTERN word as the payload marker', () => {
    expect(parseCommandWords('add map #0 <<')).toEqual(['add', 'map', '#0']);
    expect(payloadPattern('add map #0 <<')).toBe('');
    expect(payloadPattern('add map #0 <<EOF')).toBe('EOF');
    expect(payloadPattern('add map #0 <<TOOLONGPAT')).toBeUndefined();
    expect(payloadPattern('add map x<<')).toBeUndefined();
  });
});

describe('non-interactive mode', () => {
  it('runs ;-separated commands in order, ends each response with an empty line, then closes', async () => {
    const s = await start();
    const out = await exchange(s.path, 'show info; show pools byname 10;echo a b\n', { end: false });
    expect(out).toBe('Name: flightbox\n\npools args=["byname","10"]\n\na|b\n\n');
  });

  it('treats \\; as a literal semicolon', async () => {
    const s = await start();
    expect(await exchange(s.path, 'echo a\\;b c\n')).toBe('a;b|c\n\n');
  });

  it('closes after the first line even when more lines are sent', async () => {
    const s = await start();
    expect(await exchange(s.path, 'echo one\necho two\n', { end: false })).toBe('one\n\n');
  });

  it('answers an empty command with the empty line alone', async () => {
    const s = await start();
    expect(await exchange(s.path, 'echo x;\n')).toBe('x\n\n\n');
  });

  it('drops an unterminated command at end of input, as HAProxy does', async () => {
    const s = await start();
    expect(await exchange(s.path, 'echo never')).toBe('');
  });

  it("answers an unknown command with HAProxy's message and the usage list", async () => {
    const s = await start();
    const out = await exchange(s.path, 'xyz\n');
    expect(out.split('\n')[0]).toBe("Unknown command: 'xyz', but maybe one of the following ones is a better match:");
    expect(out.endsWith('  quit                                    : disconnect\n\n')).toBe(true);
  });
});

describe('payloads', () => {
  it('gives the lines after << up to an empty line to the command', async () => {
    const s = await start();
    const out = await exchange(s.path, 'add map #0 <<\nkey1 value1\nkey2 value2 with spaces\n\n', { end: false });
    expect(out).toBe('map=#0 payload="key1 value1\\nkey2 value2 with spaces"\n\n');
  });

  it('supports a custom terminator (<<EOF) so the payload may hold empty lines', async () => {
    const s = await start();
    const out = await exchange(s.path, 'add map m <<EOF\na\n\nb;c\nEOF\n', { end: false });
    expect(out).toBe('map=m payload="a\\n\\nb;c"\n\n');
  });

  it('prints "+ " for each payload line in prompt mode', async () => {
    const s = await start();
    const c = await openClient(s.path);
    c.write('prompt\n');
    expect(await c.until('> ')).toBe('\n> ');
    c.write('add map x <<\n');
    expect(await c.until('+ ')).toBe('+ ');
    c.write('k v\n');
    expect(await c.until('+ ')).toBe('+ ');
    c.write('\n');
    expect(await c.until('> ')).toBe('map=x payload="k v"\n\n> ');
    c.write('quit\n');
    expect(await c.closed()).toBe('');
  });
});

describe('handlers', () => {
  it('runs async handlers strictly in order, whatever their durations', async () => {
    const s = await start();
    const out = await exchange(s.path, 'slow 60 a; slow 1 b; echo c; slow 20 d\n');
    expect(out).toBe('slow a\n\nslow b\n\nc\n\nslow d\n\n');
  });

  it('reports a throwing handler as an internal error and goes on with the next command', async () => {
    const errors: string[] = [];
    const s = await start({ onInternalError: (_e, cmd) => errors.push(cmd) });
    const out = await exchange(s.path, 'fail; echo still alive\n');
    expect(out).toBe("Internal error while executing 'fail': kaboom\n\nstill|alive\n\n");
    expect(errors).toEqual(['fail']);
    expect(await exchange(s.path, 'echo server ok\n')).toBe('server|ok\n\n');
  });

  it('prints a CommandError message verbatim', async () => {
    const s = await start();
    expect(await exchange(s.path, 'refuse\n')).toBe('No such backend.\n\n');
  });
});

describe('limits', () => {
  it('answers an over-long line with an error and closes', async () => {
    const s = await start({ maxLineBytes: 1024 });
    const out = await exchange(s.path, 'echo ' + 'x'.repeat(5000), { end: false });
    expect(out).toMatch(/^The command is too big for the buffer size: a command line may hold at most 1024 bytes\./);
  });

  it('accepts a line of 64 KiB by default', async () => {
    const s = await start();
    const word = 'y'.repeat(60_000);
    expect(await exchange(s.path, `echo ${word}\n`)).toBe(`${word}\n\n`);
  });

  it('closes a client that sends nothing once the idle timeout expires', async () => {
    const s = await start({ idleTimeoutMs: 150 });
    const t0 = Date.now();
    expect(await exchange(s.path, '', { end: false, timeoutMs: 3000 })).toBe('');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe('socket file', () => {
  it('is created with mode 0600 by default and removed on close', async () => {
    const s = await start();
    const st = lstatSync(s.path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    await s.close();
    expect(existsSync(s.path)).toBe(false);
  });

  it('takes the configured mode', async () => {
    const s = await start({ mode: 0o660 });
    expect(statSync(s.path).mode & 0o777).toBe(0o660);
  });

  it('replaces a stale socket file left by a dead process', async () => {
    const path = tmp.path('rt.sock');
    // a socket file with nobody listening: bind in a child process that then dies abruptly
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(r.signal).toBe('SIGKILL');
    expect(lstatSync(path).isSocket()).toBe(true);
    const s = await start();
    expect(await exchange(s.path, 'echo fresh\n')).toBe('fresh\n\n');
  }, 10_000);

  it('refuses a path that exists and is not a socket', async () => {
    writeFileSync(tmp.path('rt.sock'), 'precious');
    await expect(start()).rejects.toThrow(/a file already exists there and is not a UNIX socket/);
    mkdirSync(tmp.path('dir.sock'));
    await expect(startRuntimeServer({ path: tmp.path('dir.sock'), registry: createRegistry() })).rejects.toThrow(/a directory/);
  });

  it('refuses a socket another process is listening on', async () => {
    const other = createServer();
    await new Promise<void>((res) => other.listen(tmp.path('rt.sock'), res));
    try {
      await expect(start()).rejects.toThrow(/another process is listening on it/);
    } finally {
      await new Promise<void>((res) => other.close(() => res()));
    }
  });

  it('rejects a path longer than UNIX sockets allow', async () => {
    await expect(startRuntimeServer({ path: '/tmp/' + 'p'.repeat(120), registry: createRegistry() })).rejects.toThrow(
      /limited to 107 bytes/,
    );
  });
});

const socat = (() => {
  try {
    return execFileSync('which', ['socat']).toString().trim();
  } catch {
    return '';
  }
})();

/** Runs a shell pipeline asynchronously (the server under test runs in this process). */
function sh(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script]);
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`${script} exited ${code}`))));
  });
}

describe.skipIf(!socat)('with the real socat client', () => {
  it("answers `echo 'help' | socat stdio UNIX-CONNECT:<path>`", async () => {
    const s = await start();
    const out = await sh(`echo 'help' | ${socat} stdio UNIX-CONNECT:${s.path}`);
    expect(out.split('\n')[0]).toBe('The following commands are valid at this level:');
    expect(out).toContain('  show pools [byname] [<nb>]              : report pools\n');
    expect(out.endsWith('  quit                                    : disconnect\n\n')).toBe(true);
  });

  it("runs `echo 'show info;show pools 3' | socat ...` with both responses", async () => {
    const s = await start();
    const out = await sh(`echo 'show info;show pools 3' | ${socat} stdio UNIX-CONNECT:${s.path}`);
    expect(out).toBe('Name: flightbox\n\npools args=["3"]\n\n');
  });
});
