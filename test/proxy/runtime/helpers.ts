/**
 * Test helpers for the runtime socket: temporary directories for socket files and small raw
 * clients over real UNIX sockets.
 */
import { createConnection } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** A fresh directory under /tmp (short, so socket paths stay far below 107 bytes). */
export function makeTempDir(): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync('/tmp/fbrt-');
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Connects, writes `data` (then half-closes unless `end` is false), and resolves with everything
 * the server wrote once it closes the connection. Rejects after `timeoutMs`.
 */
export function exchange(path: string, data: string, opts: { end?: boolean; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = createConnection({ path });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`server did not close within ${opts.timeoutMs ?? 5000} ms; got ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    }, opts.timeoutMs ?? 5000);
    sock.on('connect', () => {
      if (opts.end === false) sock.write(data);
      else sock.end(data);
    });
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** An interactive client: write lines, wait for text to appear, observe the close. */
export interface InteractiveClient {
  write(text: string): void;
  /** Resolves with the output received since the previous call, once it contains `marker`. */
  until(marker: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the output not yet returned by until(), once the server has closed. */
  closed(timeoutMs?: number): Promise<string>;
  destroy(): void;
}

export function openClient(path: string): Promise<InteractiveClient> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let isClosed = false;
    const waiters = new Set<() => void>();
    const sock = createConnection({ path });
    const notify = (): void => {
      for (const w of [...waiters]) w();
    };
    sock.on('data', (c: Buffer) => {
      pending += c.toString('utf8');
      notify();
    });
    sock.on('close', () => {
      isClosed = true;
      notify();
    });
    sock.on('error', () => undefined);
    const wait = (ready: () => boolean, what: string, timeoutMs: number): Promise<void> =>
      new Promise((res, rej) => {
        const check = (): void => {
          if (!ready()) return;
          waiters.delete(check);
          clearTimeout(timer);
          res();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          rej(new Error(`timed out waiting for ${what}; have ${JSON.stringify(pending)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    sock.once('error', reject);
    sock.once('connect', () =>
      resolve({
        write: (t) => sock.write(t),
        async until(marker, timeoutMs = 3000) {
          await wait(() => pending.includes(marker), JSON.stringify(marker), timeoutMs);
          const at = pending.indexOf(marker) + marker.length;
          const out = pending.slice(0, at);
          pending = pending.slice(at);
          return out;
        },
        async closed(timeoutMs = 3000) {
          await wait(() => isClosed, 'close', timeoutMs);
          const out = pending;
          pending = '';
          return out;
        },
        destroy: () => sock.destroy(),
      }),
    );
  });
}
