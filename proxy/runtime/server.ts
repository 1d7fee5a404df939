/**
 * The runtime socket: a UNIX socket that speaks HAProxy's CLI protocol (management.txt section
 * 9.3 "Unix Socket commands"; src/cli.c), so `echo "show pools" | socat stdio UNIX-CONNECT:P`
 * behaves as it does against HAProxy:
 *
 * - a line holds commands separated by `;`; a backslash makes the next character literal (`\;`,
 *   `\ `, `\\`); each command's response is followed by an empty line;
 * - non-interactive mode (the default) closes the connection after the first line; `prompt`
 *   switches to prompt mode, where "\n> " follows every response and lines are read until `quit`
 *   or end of input;
 * - a command line ending in `<<` (or `<<PATTERN`, up to 7 characters) takes the following lines
 *   as its payload, up to an empty line (or a line equal to PATTERN); in prompt mode "+ " is
 *   printed while the payload is read;
 * - levels user < operator < admin, expert mode, HAProxy's messages ("Permission denied", "This
 *   command is restricted to expert mode only.", "Unknown command: '...'").
 */
import { createServer, createConnection } from 'node:net';
import type { Server, Socket } from 'node:net';
import { chmod, lstat, rename, stat, unlink } from 'node:fs/promises';
import { CommandError, isRuntimeLevel, levelAtLeast } from './registry.ts';
import type {
  CommandContext,
  PromptMode,
  Registry,
  RuntimeLevel,
  RuntimeServer,
  RuntimeServerOptions,
  SessionControl,
} from './runtime.types.ts';

/** `stats timeout` default in HAProxy: 10 s. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
/** Longest command line accepted. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
/** Largest `<<` payload accepted. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** Socket file mode when the configuration gives none. */
export const DEFAULT_SOCKET_MODE = 0o600;
/** Linux limits sun_path to 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

const LF = 0x0a;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;

/**
 * Splits one command (a line or a `;`-separated part of it) into words as HAProxy's
 * cli_parse_request() does: words are separated by spaces and tabs; a backslash makes the next
 * character part of the word (`\ `, `\;`, `\\`); a final `<<` / `<<PATTERN` word marks a payload
 * and is not returned.
 */
export function parseCommandWords(command: string): string[] {
  const words: string[] = [];
  const n = command.length;
  let i = 0;
  while (i < n) {
    while (i < n && (command[i] === ' ' || command[i] === '\t')) i++;
    if (i >= n) break;
    const rest = command.slice(i);
    if (rest.startsWith('<<') && !/[ \t]/.test(rest) && rest.length <= 9) break; // the payload marker
    let word = '';
    while (i < n && command[i] !== ' ' && command[i] !== '\t') {
      if (command[i] === '\\') {
        if (i + 1 < n) word += command[i + 1];
        i += 2;
        continue;
      }
      word += command[i++];
    }
    words.push(word);
  }
  return words;
}

/**
 * If `command`'s last word is `<<` followed by at most 7 characters, returns those characters
 * (the payload terminator line; '' means an empty line), else undefined.
 */
export function payloadPattern(command: string): string | undefined {
  const cut = Math.max(command.lastIndexOf(' '), command.lastIndexOf('\t'));
  const last = command.slice(cut + 1);
  if (!last.startsWith('<<')) return undefined;
  const pattern = last.slice(2);
  return pattern.length <= 7 ? pattern : undefined;
}

/** A handler's text made into a response body: exactly one trailing "\n", or nothing. */
function responseBody(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === LF) end--;
  return end === 0 ? '' : text.slice(0, end) + '\n';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface SessionSettings {
  readonly registry: Registry;
  readonly level: RuntimeLevel;
  readonly idleTimeoutMs: number;
  readonly maxLineBytes: number;
  readonly maxPayloadBytes: number;
  readonly onInternalError?: (err: unknown, command: string) => void;
}

interface PendingPayload {
  readonly command: string;
  readonly pattern: string;
  readonly lines: string[];
  bytes: number;
}

type Segment =
  | { readonly kind: 'command'; readonly text: string; readonly lf: boolean }
  | { readonly kind: 'payload-line'; readonly text: string }
  | { readonly kind: 'too-long' };

/** Serves one client connection until it quits, times out, or the line ends in non-interactive mode. */
function serveSession(sock: Socket, cfg: SessionSettings): void {
  let input: Buffer = Buffer.alloc(0);
  let level = cfg.level;
  let expert = false;
  let mode: PromptMode = 'n';
  let payload: PendingPayload | null = null;
  let busy = false;
  let clientEnded = false;
  let closing = false;
  let quitRequested = false;
  let noTerminator = false;
  let idleTimer: NodeJS.Timeout | undefined;

  const control: SessionControl = {
    setLevel(l) {
      if (!levelAtLeast(level, l)) throw new CommandError('Permission denied');
      level = l;
      expert = false;
    },
    setExpert(on) {
      if (on && level !== 'admin') throw new CommandError('Permission denied');
      expert = on;
    },
    setMode(m) {
      mode = m;
    },
    quit() {
      quitRequested = true;
    },
    suppressTerminator() {
      noTerminator = true;
    },
  };

  function disarmIdle(): void {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
  }

  function armIdle(): void {
    disarmIdle();
    idleTimer = setTimeout(finish, cfg.idleTimeoutMs);
    idleTimer.unref();
  }

  /** Ends the session: flushes what was written, then closes; a client that lingers is cut. */
  function finish(): void {
    if (closing) return;
    closing = true;
    disarmIdle();
    input = Buffer.alloc(0);
    if (sock.destroyed) return;
    sock.end();
    setTimeout(() => sock.destroy(), cfg.idleTimeoutMs).unref();
  }

  const gone = new AbortController();
  sock.once('close', () => gone.abort());

  /** Writes `text`; resolves once the socket can take more (backpressure) or is gone. */
  function write(text: string): Promise<void> {
    if (text === '' || sock.destroyed || !sock.writable) return Promise.resolve();
    if (sock.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        sock.off('drain', done);
        sock.off('close', done);
        resolve();
      };
      sock.on('drain', done);
      sock.on('close', done);
    });
  }

  /** Takes the next command (normal mode) or payload line from the input, if complete. */
  function nextSegment(): Segment | null {
    if (payload) {
      const at = input.indexOf(LF);
      if (at < 0) {
        return payload.bytes + input.length > cfg.maxPayloadBytes ? { kind: 'too-long' } : null;
      }
      const text = input.subarray(0, at).toString('utf8');
      input = input.subarray(at + 1);
      return { kind: 'payload-line', text };
    }
    for (let i = 0; i < input.length; i++) {
      const b = input[i];
      if (b === BACKSLASH) {
        i++;
        continue;
      }
      if (b !== LF && b !== SEMICOLON) continue;
      if (i > cfg.maxLineBytes) return { kind: 'too-long' };
      let text = input.subarray(0, i).toString('utf8');
      input = input.subarray(i + 1);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      return { kind: 'command', text, lf: b === LF };
    }
    return input.length > cfg.maxLineBytes ? { kind: 'too-long' } : null;
  }

  /** Runs one command and returns its response body (without the terminating empty line). */
  async function dispatch(words: string[], payloadText: string | undefined): Promise<string> {
    const view = { level, expert };
    const match = cfg.registry.lookup(words);
    if (!match) return cfg.registry.unknownCommandText(words, view);
    const cmd = match.command;
    if (cmd.expert && !expert) return 'This command is restricted to expert mode only.\n';
    if (!levelAtLeast(level, cmd.level)) return 'Permission denied\n';
    const ctx: CommandContext = {
      level,
      expert,
      interactive: mode !== 'n',
      mode,
      payload: payloadText,
      words: cmd.words,
      session: control,
      write,
      closed: gone.signal,
    };
    try {
      const out = await cmd.handler(match.args, ctx);
      return typeof out === 'string' ? out : out == null ? '' : String(out);
    } catch (err) {
      if (err instanceof CommandError) return err.message;
      cfg.onInternalError?.(err, cmd.name);
      return `Internal error while executing '${cmd.name}': ${errorMessage(err)}\n`;
    }
  }

  /** Executes a complete command and writes its response and the terminator or prompt. */
  async function execute(command: string, payloadText: string | undefined, lf: boolean): Promise<void> {
    const words = parseCommandWords(command);
    noTerminator = false;
    const body = words.length === 0 ? '' : responseBody(await dispatch(words, payloadText));
    if (closing) return;
    if (quitRequested) {
      await write(body);
      finish();
      return;
    }
    const terminator = mode === 'p' ? '\n> ' : noTerminator ? '' : '\n';
    await write(body + terminator);
    // Non-interactive mode ends with the line (HAProxy's APPCTX_CLI_ST1_LASTCMD).
    if (mode === 'n' && lf) finish();
  }

  async function step(seg: Segment): Promise<void> {
    if (seg.kind === 'too-long') {
      const msg = payload
        ? `The payload is too big: at most ${cfg.maxPayloadBytes} bytes are accepted after '<<'.\n`
        : `The command is too big for the buffer size: a command line may hold at most ${cfg.maxLineBytes} bytes. ` +
          `Send shorter commands, or large data as a '<<' payload.\n`;
      await write(msg);
      finish();
      return;
    }
    if (seg.kind === 'payload-line') {
      const p = payload!;
      if (seg.text === p.pattern || seg.text === p.pattern + '\r') {
        payload = null;
        await execute(p.command, p.lines.join('\n'), true);
        return;
      }
      p.lines.push(seg.text);
      p.bytes += Buffer.byteLength(seg.text) + 1;
      if (p.bytes > cfg.maxPayloadBytes) return step({ kind: 'too-long' });
      if (mode === 'p') await write('+ ');
      return;
    }
    const pattern = payloadPattern(seg.text);
    if (pattern !== undefined) {
      payload = { command: seg.text, pattern, lines: [], bytes: 0 };
      if (mode === 'p') await write('+ ');
      return;
    }
    await execute(seg.text, undefined, seg.lf);
  }

  /** Runs complete commands from the input, one at a time, in order. */
  async function pump(): Promise<void> {
    if (busy || closing) return;
    busy = true;
    disarmIdle();
    try {
      for (let seg = nextSegment(); seg && !closing; seg = closing ? null : nextSegment()) {
        await step(seg);
      }
    } catch (err) {
      cfg.onInternalError?.(err, '<session>');
      finish();
    } finally {
      busy = false;
    }
    if (closing) return;
    // At end of input an unterminated command is dropped, as HAProxy does.
    if (clientEnded) finish();
    else armIdle();
  }

  sock.on('data', (chunk: Buffer) => {
    if (closing) return;
    input = input.length === 0 ? chunk : Buffer.concat([input, chunk]);
    void pump();
  });
  sock.on('end', () => {
    clientEnded = true;
    void pump();
  });
  sock.on('error', () => {
    // EPIPE / ECONNRESET from a client that went away: nothing to answer.
    closing = true;
    disarmIdle();
  });
  sock.on('close', () => {
    closing = true;
    disarmIdle();
  });
  armIdle();
}

/** Resolves true if something accepts connections on the UNIX socket at `path`. */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection({ path });
    const done = (live: boolean): void => {
      probe.destroy();
      resolve(live);
    };
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
    probe.setTimeout(1000, () => done(true));
  });
}

/** Removes a stale socket file at `path`; refuses a live socket or anything that is not a socket. */
async function clearSocketPath(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`cannot create runtime socket at ${path}: ${errorMessage(err)}`);
  }
  if (!st.isSocket()) {
    const kind = st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : 'a file';
    throw new Error(
      `cannot create runtime socket at ${path}: ${kind} already exists there and is not a UNIX socket; ` +
        `remove it or choose another path on the 'stats socket' line`,
    );
  }
  if (await socketIsLive(path)) {
    throw new Error(
      `cannot create runtime socket at ${path}: another process is listening on it (is another flightbox ` +
        `running?); stop it or choose another path on the 'stats socket' line`,
    );
  }
  try {
    await unlink(path);
  } catch (err) {
    throw new Error(`cannot remove stale runtime socket ${path}: ${errorMessage(err)}; remove it by hand`);
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const hint =
        err.code === 'EACCES'
          ? 'permission denied: run flightbox as a user that may create files in that directory'
          : err.code === 'ENOENT'
            ? 'its directory does not exist: create it or choose another path'
            : err.code === 'EADDRINUSE'
              ? 'the path was taken meanwhile by another process'
              : err.message;
      reject(new Error(`cannot create runtime socket at ${path}: ${hint}`));
    };
    server.once('error', onError);
    server.listen({ path }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Creates the runtime socket at `opts.path` and serves HAProxy's CLI protocol on it with the
 * commands of `opts.registry`. A stale socket file is removed first; a live socket or a path that
 * exists and is not a socket is refused with an error. The socket is bound under a temporary name,
 * given its mode (default 0600) and renamed into place, so it is never reachable with looser
 * permissions. `close()` removes it again (only if it is still ours).
 */
export async function startRuntimeServer(opts: RuntimeServerOptions): Promise<RuntimeServer> {
  const path = opts.path;
  const mode = opts.mode ?? DEFAULT_SOCKET_MODE;
  const level = opts.level ?? 'operator';
  if (typeof path !== 'string' || path === '') throw new TypeError('runtime socket: a path is required');
  if (!opts.registry) throw new TypeError(`runtime socket ${path}: a registry (createRegistry()) is required`);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw new TypeError(`runtime socket ${path}: mode ${String(mode)} is not a permission mode between 000 and 777 (octal)`);
  }
  if (!isRuntimeLevel(level)) {
    throw new TypeError(`runtime socket ${path}: level '${String(level)}' is not one of user, operator, admin`);
  }
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new Error(
      `runtime socket path ${path} is ${bytes} bytes long; UNIX socket paths are limited to ` +
        `${MAX_SOCKET_PATH_BYTES} bytes: choose a shorter path`,
    );
  }
  const settings: SessionSettings = {
    registry: opts.registry,
    level,
    idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxLineBytes: opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    maxPayloadBytes: opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    onInternalError: opts.onInternalError,
  };
  for (const [name, v] of [['idleTimeoutMs', settings.idleTimeoutMs], ['maxLineBytes', settings.maxLineBytes], ['maxPayloadBytes', settings.maxPayloadBytes]] as const) {
    if (!(v > 0)) throw new TypeError(`runtime socket ${path}: ${name} must be a positive number (got ${String(v)})`);
  }

  await clearSocketPath(path);

  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    serveSession(sock, settings);
  });

  const tmp = `${path}.${process.pid}.tmp`;
  const viaTmp = Buffer.byteLength(tmp) <= MAX_SOCKET_PATH_BYTES;
  const bindPath = viaTmp ? tmp : path;
  if (viaTmp) await unlink(tmp).catch(() => undefined);
  let identity: { dev: number; ino: number };
  try {
    await listen(server, bindPath);
    await chmod(bindPath, mode);
    if (viaTmp) await rename(tmp, path);
    const st = await stat(path);
    identity = { dev: st.dev, ino: st.ino };
  } catch (err) {
    server.close();
    await unlink(bindPath).catch(() => undefined);
    throw err;
  }

  let closed: Promise<void> | undefined;
  return {
    path,
    close() {
      closed ??= (async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        try {
          const st = await stat(path);
          if (st.dev === identity.dev && st.ino === identity.ino) await unlink(path);
        } catch {
          // already gone
        }
      })();
      return closed;
    },
  };
}
