import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RuntimeClientError, defaultSocketPath, runCommands } from '../../cli/runtime-client.ts';
import { createRegistry } from '../../proxy/runtime/registry.ts';
import { startRuntimeServer } from '../../proxy/runtime/server.ts';
import type { RuntimeServer } from '../../proxy/runtime/runtime.types.ts';
import { makeTempDir } from '../proxy/runtime/helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

let tmp: ReturnType<typeof makeTempDir>;
let server: RuntimeServer | undefined;

beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  tmp.cleanup();
});

async function start(): Promise<RuntimeServer> {
  const r = createRegistry();
  r.register({ words: ['show', 'info'], level: 'user', usage: 'show info', help: 'info', handler: () => 'Name: flightbox\nPid: 42\n' });
  r.register({ words: ['show', 'pools'], level: 'user', usage: 'show pools', help: 'pools', handler: (args) => `pools ${args.join(',')}\n` });
  r.register({ words: ['count'], level: 'user', usage: 'count <<', help: 'count payload lines', handler: (_a, ctx) =>
    `${ctx.payload?.split('\n').length ?? 0} lines\n` });
  r.register({ words: ['hang'], level: 'user', usage: 'hang', help: 'never answers quickly', handler: () =>
    new Promise<string>((res) => setTimeout(() => res('late\n'), 2000)) });
  server = await startRuntimeServer({ path: tmp.path('fb.sock'), registry: r });
  return server;
}

describe('runCommands', () => {
  it("sends the line and returns the server's answer verbatim", async () => {
    const s = await start();
    expect(await runCommands(s.path, 'show info; show pools byname 3')).toBe('Name: flightbox\nPid: 42\n\npools byname,3\n\n');
  });

  it('sends a payload given on the lines after <<', async () => {
    const s = await start();
    expect(await runCommands(s.path, 'count <<\na\nb\nc\n')).toBe('3 lines\n\n');
  });

  it('explains a missing socket: is flightbox running, is `stats socket` configured?', async () => {
    const path = tmp.path('absent.sock');
    const err = await runCommands(path, 'show info').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeClientError);
    expect((err as RuntimeClientError).code).toBe('ENOENT');
    expect((err as Error).message).toBe(
      `no runtime socket at ${path}: is flightbox running, and is \`stats socket ${path}\` in its configuration?`,
    );
  });

  it('explains a stale socket file nobody listens on', async () => {
    const path = tmp.path('stale.sock');
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(r.signal).toBe('SIGKILL');
    await expect(runCommands(path, 'show info')).rejects.toThrow(
      new RegExp(`runtime socket ${path} refused the connection: the file exists but no process listens on it`),
    );
  });

  it('explains a permission problem', async () => {
    const s = await start();
    chmodSync(s.path, 0o000);
    let message: string;
    if (process.getuid?.() !== 0) {
      message = await runCommands(s.path, 'show info').then(String, (e: Error) => e.message);
    } else {
      // root ignores file modes: load the client, drop to nobody, then connect
      const script =
        `const m = await import(${JSON.stringify(root + 'cli/runtime-client.ts')});` +
        'process.setgid(65534); process.setuid(65534);' +
        `await m.runCommands(${JSON.stringify(s.path)}, 'show info').then(console.log, (e) => console.log(e.message));`;
      message = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { cwd: root });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.on('error', reject);
        child.on('close', () => resolve(out.trim()));
      });
    }
    expect(message).toBe(
      `permission denied on runtime socket ${s.path}: run as a user allowed to write to it ` +
        '(check its owner and the `mode` on the `stats socket` line, and the directory\'s permissions)',
    );
  }, 15_000);

  it('gives up after the timeout, naming the socket', async () => {
    const s = await start();
    const t0 = Date.now();
    await expect(runCommands(s.path, 'hang', { timeoutMs: 200 })).rejects.toThrow(
      new RegExp(`runtime socket ${s.path} did not finish answering within 200 ms`),
    );
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('defaults to $FLIGHTBOX_SOCKET, else /tmp/flightbox.sock', () => {
    expect(defaultSocketPath({ FLIGHTBOX_SOCKET: '/run/fb.sock' })).toBe('/run/fb.sock');
    expect(defaultSocketPath({})).toBe('/tmp/flightbox.sock');
  });
});

/** Runs `flightbox cli <args>` (the commander command alone) in a child Node process. */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script =
    "import { Command } from 'commander';" +
    `import { register } from ${JSON.stringify(root + 'cli/commands/cli.ts')};` +
    "const p = new Command('flightbox'); register(p); await p.parseAsync(process.argv.slice(1), { from: 'user' });";
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script, 'cli', ...args], {
      cwd: root,
      env: { ...process.env, FLIGHTBOX_SOCKET: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('flightbox cli', () => {
  it('prints the response verbatim and exits 0', async () => {
    const s = await start();
    const r = await runCli(['-S', s.path, 'show info; show', 'pools', 'x']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Name: flightbox\nPid: 42\n\npools x\n\n');
  }, 15_000);

  it('uses $FLIGHTBOX_SOCKET when -S is not given', async () => {
    const s = await start();
    const r = await runCli(['show info'], { FLIGHTBOX_SOCKET: s.path });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Name: flightbox\nPid: 42\n\n');
  }, 15_000);

  it('exits 1 with the error on stderr when the socket is missing', async () => {
    const path = tmp.path('nope.sock');
    const r = await runCli(['--socket', path, 'show info']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`flightbox cli: no runtime socket at ${path}: is flightbox running, and is \`stats socket ${path}\` in its configuration?\n`);
  }, 15_000);
});
