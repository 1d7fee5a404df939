/**
 * A real UNIX datagram socket for tests to receive syslog messages on: `socat -u UNIX-RECV:<path>
 * STDOUT` in a child process (Node cannot bind one). Datagrams arrive concatenated on socat's
 * stdout; `logger` sends them without a final newline, so messages are split at each `<PRI>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

/** A receiving socket and what it got. */
export interface UnixReceiver {
  path: string;
  /** Everything received, as latin1 text. */
  raw(): string;
  /** The messages received, in order (split before each `<PRI>`). */
  messages(): string[];
  /** Resolves once `n` messages arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<string[]>;
  /** Kills socat and removes the socket file. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Binds a datagram socket at `path` and waits until it exists. */
export async function startUnixReceiver(path: string): Promise<UnixReceiver> {
  rmSync(path, { force: true });
  const proc: ChildProcess = spawn('socat', ['-u', `UNIX-RECV:${path}`, 'STDOUT'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let raw = '';
  let err = '';
  proc.stdout!.setEncoding('latin1');
  proc.stdout!.on('data', (d: string) => (raw += d));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => proc.once('close', () => r()));
  for (let i = 0; !existsSync(path); i++) {
    if (proc.exitCode !== null || i > 200) throw new Error(`socat did not bind ${path}: ${err}`);
    await sleep(10);
  }
  const messages = () => raw.split(/(?=<\d{1,3}>)/).filter((m) => m !== '');
  return {
    path,
    raw: () => raw,
    messages,
    async waitFor(n, timeoutMs = 5000) {
      const t0 = Date.now();
      while (messages().length < n) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`expected ${n} messages on ${path}, got: ${JSON.stringify(messages())}`);
        await sleep(10);
      }
      return messages();
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(path, { force: true });
    },
  };
}
