/**
 * A client for the runtime socket (HAProxy's stats socket protocol, management.txt section 9.3),
 * in non-interactive mode: it sends one line and reads until the server closes, exactly like
 * `echo "<line>" | socat stdio UNIX-CONNECT:<path>`.
 */
import { createConnection } from 'node:net';

/** Default time allowed for connecting, running the commands and reading every response. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

/** Default socket path: `$FLIGHTBOX_SOCKET`, else `/tmp/flightbox.sock`. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLIGHTBOX_SOCKET || '/tmp/flightbox.sock';
}

/** A failure to talk to the runtime socket; `code` is the system error code when there is one. */
export class RuntimeClientError extends Error {
  readonly code: string | undefined;
  readonly socketPath: string;
  constructor(message: string, socketPath: string, code?: string) {
    super(message);
    this.name = 'RuntimeClientError';
    this.socketPath = socketPath;
    this.code = code;
  }
}

/** Turns a connection error into a message naming the socket and what to check. */
function explain(err: NodeJS.ErrnoException, path: string): RuntimeClientError {
  const code = err.code;
  let msg: string;
  switch (code) {
    case 'ENOENT':
      msg = `no runtime socket at ${path}: is flightbox running, and is \`stats socket ${path}\` in its configuration?`;
      break;
    case 'ECONNREFUSED':
      msg =
        `runtime socket ${path} refused the connection: the file exists but no process listens on it ` +
        `(flightbox stopped and left it behind, or it is not a socket); start flightbox or remove the file`;
      break;
    case 'EACCES':
    case 'EPERM':
      msg =
        `permission denied on runtime socket ${path}: run as a user allowed to write to it ` +
        `(check its owner and the \`mode\` on the \`stats socket\` line, and the directory's permissions)`;
      break;
    case 'ENOTSOCK':
      msg = `${path} is not a UNIX socket: check the path given with -S or $FLIGHTBOX_SOCKET`;
      break;
    case 'ECONNRESET':
    case 'EPIPE':
      msg = `runtime socket ${path} closed the connection before answering (${code}): check flightbox's log`;
      break;
    default:
      msg = `cannot talk to runtime socket ${path}: ${err.message}`;
  }
  return new RuntimeClientError(msg, path, code);
}

/**
 * Connects to the runtime socket at `socketPath`, sends `line` followed by "\n", and resolves with
 * everything the server writes until it closes the connection (each command's response followed
 * by an empty line). Several commands go in one line separated by `;`; a payload goes after a
 * command ending in `<<`, on the following lines of `line` (the final "\n" added here then ends
 * it). Rejects with a RuntimeClientError that names the socket and what to check, or when the
 * whole exchange takes longer than `timeoutMs` (default 10 s).
 */
export function runCommands(socketPath: string, line: string, opts: { timeoutMs?: number } = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const sock = createConnection({ path: socketPath });
    const timer = setTimeout(() => {
      fail(
        new RuntimeClientError(
          `runtime socket ${socketPath} did not finish answering within ${timeoutMs} ms: ` +
            `a command may be stuck, or the line did not end the session (prompt mode?)`,
          socketPath,
          'ETIMEDOUT',
        ),
      );
    }, timeoutMs);

    function fail(err: RuntimeClientError): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    }

    sock.on('connect', () => {
      // Half-close after the line, like socat at end of input: the server still answers.
      sock.end(line + '\n');
    });
    sock.on('data', (chunk: Buffer) => chunks.push(chunk));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      // Linux reports ECONNRESET instead of end of file when the server closed while input it
      // never read was still queued (extra lines in non-interactive mode): the answer is complete.
      if (err.code === 'ECONNRESET' && chunks.length > 0 && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8'));
        return;
      }
      fail(explain(err, socketPath));
    });
    sock.on('close', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
