/**
 * The live TUI's data source: polls a running Flightbox through its runtime socket (HAProxy's CLI
 * protocol, management.txt section 9.3) without disturbing it:
 *
 * - one connection, switched to prompt mode (`prompt`, management.txt "prompt"), kept open and
 *   reused; a poll is one request line holding every command, separated by `;`
 *   (`show info;show threads;show pools;show sess;show conns all[;show events flight]`);
 * - at most `maxRequestsPerSec` request lines per second, whatever `intervalMs` says; the whole
 *   flight ring (`show events flight`) is asked for at most every `eventsEveryMs`;
 * - when the socket cannot be reached or the connection drops, the status becomes `disconnected`
 *   with the error and the time of the next attempt, and attempts back off exponentially
 *   (`backoffMinMs` doubling up to `backoffMaxMs`); a successful poll resets the back-off;
 * - `takeSnapshot()` sends the `snapshot` runtime command (admin level) on the same connection and
 *   resolves with the path of the file the process wrote;
 * - `select(id)` (the object selected in the Sessions view): each poll then also asks
 *   `show sess <id>` in the same request line (its whole termination log, state and timer), and the
 *   flight ring is fetched at most every `selectedEventsEveryMs` instead of `eventsEveryMs`, so that
 *   its events are fresh; a new selection is polled at once, within the same rate bound.
 *
 * Each successful poll gives a {@link LiveSample}; the source also keeps, per pool, the history of
 * `used` and `failures` the Pools view draws as sparklines.
 */
import { createConnection, type Socket } from 'node:net';
import type { LiveObject } from '../../../diag/lifecycle.types.ts';
import type { ThreadView } from '../../../diag/views.types.ts';
import { parseSessDetail, parseShowConns, parseShowEvents, parseShowInfo, parseShowPools, parseShowSess, parseShowThreads, type ParsedEvents } from './live-parse.ts';
import type { PoolRow } from './model.ts';

/** One poll's answers, parsed. */
export interface LiveSample {
  /** When the answers arrived (epoch ms). */
  at: number;
  info: Map<string, string>;
  threads: ThreadView[];
  pools: PoolRow[];
  /** Live streams (`show sess`) and connections, live and recently freed (`show conns all`). */
  objects: LiveObject[];
  /** The flight ring as of the last time it was fetched (see `eventsEveryMs`). */
  events: ParsedEvents;
  /** When `events` was fetched. */
  eventsAt: number;
  /** The selected object's `show sess <id>` answer of this poll (absent when nothing is selected). */
  detail?: LiveDetail;
}

/** The detail of the selected object, from `show sess <id>`. */
export interface LiveDetail {
  id: number;
  /** The object with its whole termination log; undefined when the process does not know it (any more). */
  object?: LiveObject;
  /** The process's answer when it is not an object (`Session not found: ...`). */
  error?: string;
}

/** Connection state, for the status line. */
export type LiveStatus =
  | { state: 'connecting' }
  | { state: 'connected'; since: number }
  | { state: 'disconnected'; error: string; retryAt: number; attempts: number }
  | { state: 'stopped' };

/** Samples of one pool, oldest first. */
export interface PoolHistory {
  used: number[];
  failures: number[];
}

/** Options of {@link LiveSource}. */
export interface LiveSourceOptions {
  /** Time between polls (default 1000 ms). */
  intervalMs?: number;
  /** Upper bound of request lines per second, snapshots included (default 2). */
  maxRequestsPerSec?: number;
  /** Least time between two fetches of the flight ring (default 5000 ms). */
  eventsEveryMs?: number;
  /** The same while an object is selected (default 2000 ms): its events stay fresh. */
  selectedEventsEveryMs?: number;
  /** Ring the Timeline shows (default `flight`). */
  ring?: string;
  /** First retry delay after a failure (default 500 ms), doubled per failure up to `backoffMaxMs` (default 8000 ms). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Time allowed for connecting and for each answer (default 5000 ms). */
  timeoutMs?: number;
  /** Samples kept per pool for the sparklines (default 60). */
  historyLength?: number;
}

/** A failure of one request: what happened, naming the socket. */
export class LiveSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveSourceError';
  }
}

const PROMPT = '\n> ';

/** One prompt-mode session on the runtime socket; requests are serialised by the caller. */
class PromptSession {
  private sock: Socket | undefined;
  private buf = '';
  private waiter: { n: number; resolve: (parts: string[]) => void; reject: (e: Error) => void } | undefined;
  closed = false;
  readonly path: string;
  readonly timeoutMs: number;

  constructor(path: string, timeoutMs: number) {
    this.path = path;
    this.timeoutMs = timeoutMs;
  }

  /** Connects and enters prompt mode (the server answers `prompt` with its first prompt). */
  async open(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const s = createConnection({ path: this.path });
      this.sock = s;
      const t = setTimeout(() => {
        s.destroy();
        reject(new LiveSourceError(`runtime socket ${this.path} did not accept the connection within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      s.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(t);
        this.fail(new LiveSourceError(explainCode(e, this.path)));
        reject(new LiveSourceError(explainCode(e, this.path)));
      });
      s.on('close', () => this.fail(new LiveSourceError(`runtime socket ${this.path} closed the connection (flightbox stopped or restarted?)`)));
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        this.buf += d;
        this.check();
      });
    });
    await this.request('prompt', 0);
  }

  private fail(e: Error): void {
    this.closed = true;
    this.sock?.destroy();
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }

  private check(): void {
    const w = this.waiter;
    if (!w) return;
    // `prompt` itself answers with one prompt; n commands answer with n.
    const want = Math.max(1, w.n);
    const parts = this.buf.split(PROMPT);
    if (parts.length - 1 < want || parts[parts.length - 1] !== '') return;
    this.buf = '';
    this.waiter = undefined;
    w.resolve(parts.slice(0, want));
  }

  /** Sends `line` (`n` commands separated by `;`) and resolves with each command's answer. */
  request(line: string, n: number): Promise<string[]> {
    if (this.closed || !this.sock) return Promise.reject(new LiveSourceError(`runtime socket ${this.path}: the connection is closed`));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => this.fail(new LiveSourceError(`runtime socket ${this.path} did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiter = {
        n,
        resolve: (p) => {
          clearTimeout(t);
          resolve(p);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
      this.sock!.write(line + '\n');
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const s = this.sock;
    if (s && !s.destroyed) {
      s.end('quit\n');
      setTimeout(() => s.destroy(), 200).unref();
    }
  }
}

function explainCode(e: NodeJS.ErrnoException, path: string): string {
  switch (e.code) {
    case 'ENOENT':
      return `no runtime socket at ${path}: is flightbox running, with \`stats socket ${path}\` in its configuration?`;
    case 'ECONNREFUSED':
      return `runtime socket ${path} refused the connection: no process listens on it (flightbox stopped?)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on runtime socket ${path}: run as a user allowed to write to it`;
    default:
      return `cannot talk to runtime socket ${path}: ${e.message}`;
  }
}

/** The polling source; see the module comment. */
export class LiveSource {
  readonly socketPath: string;
  private readonly opts: Required<LiveSourceOptions>;
  private session: PromptSession | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastRequest = 0;
  private attempts = 0;
  private listeners = new Set<() => void>();
  private readonly poolHistory = new Map<string, PoolHistory>();
  private events: ParsedEvents = { rings: [], points: new Map() };
  private eventsAt = 0;
  /** Object selected in the Sessions view (its detail is polled), undefined for none. */
  private selectedId: number | undefined;
  /** Request lines sent so far (polls, snapshots and the `prompt` of each connection). */
  requests = 0;
  /** Connections opened so far. */
  connections = 0;
  status: LiveStatus = { state: 'connecting' };
  sample: LiveSample | undefined;

  constructor(socketPath: string, opts: LiveSourceOptions = {}) {
    this.socketPath = socketPath;
    this.opts = {
      intervalMs: opts.intervalMs ?? 1000,
      maxRequestsPerSec: opts.maxRequestsPerSec ?? 2,
      eventsEveryMs: opts.eventsEveryMs ?? 5000,
      selectedEventsEveryMs: opts.selectedEventsEveryMs ?? 2000,
      ring: opts.ring ?? 'flight',
      backoffMinMs: opts.backoffMinMs ?? 500,
      backoffMaxMs: opts.backoffMaxMs ?? 8000,
      timeoutMs: opts.timeoutMs ?? 5000,
      historyLength: opts.historyLength ?? 60,
    };
  }

  /** Calls `f` after every change of sample or status; returns the unsubscribe function. */
  subscribe(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** `used` and `failures` samples of pool `name`, oldest first. */
  history(name: string): PoolHistory {
    return this.poolHistory.get(name) ?? { used: [], failures: [] };
  }

  /** The object whose detail is polled (see {@link select}). */
  get selected(): number | undefined {
    return this.selectedId;
  }

  /**
   * Selects the object whose detail (`show sess <id>`) and fresh events each poll brings, or none
   * (`undefined`). A change polls at once (still within `maxRequestsPerSec`).
   */
  select(id: number | undefined): void {
    if (id === this.selectedId) return;
    this.selectedId = id;
    if (id !== undefined && this.running && this.status.state === 'connected') this.schedule(0);
  }

  /** Starts polling (first poll at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops polling and closes the connection. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.session?.close();
    this.session = undefined;
    this.setStatus({ state: 'stopped' });
  }

  private emit(): void {
    for (const f of this.listeners) f();
  }

  private setStatus(s: LiveStatus): void {
    this.status = s;
    this.emit();
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.cycle(), ms);
  }

  /** Runs `f` after the requests before it, no sooner than the rate bound allows. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const gap = 1000 / this.opts.maxRequestsPerSec;
      const wait = this.lastRequest + gap - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      return f();
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** The open session, connecting (one request: `prompt`) when there is none. */
  private async connected(): Promise<PromptSession> {
    if (this.session && !this.session.closed) return this.session;
    const s = new PromptSession(this.socketPath, this.opts.timeoutMs);
    this.connections++;
    this.requests++;
    this.lastRequest = Date.now();
    await s.open();
    this.session = s;
    return s;
  }

  /** Sends one request line of `commands`; reconnects first when needed. */
  private send(commands: string[]): Promise<string[]> {
    return this.exclusive(async () => {
      const s = await this.connected();
      if (this.session === s) {
        const wait = this.lastRequest + 1000 / this.opts.maxRequestsPerSec - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      this.requests++;
      this.lastRequest = Date.now();
      return s.request(commands.join(';'), commands.length);
    });
  }

  private async cycle(): Promise<void> {
    if (!this.running) return;
    const now = Date.now();
    const selected = this.selectedId;
    const every = selected === undefined ? this.opts.eventsEveryMs : Math.min(this.opts.eventsEveryMs, this.opts.selectedEventsEveryMs);
    const withEvents = this.eventsAt === 0 || now - this.eventsAt >= every;
    const cmds = ['show info', 'show threads', 'show pools', 'show sess', 'show conns all'];
    if (withEvents) cmds.push(`show events ${this.opts.ring}`);
    if (selected !== undefined) cmds.push(`show sess 0x${selected.toString(16)}`);
    try {
      const r = await this.send(cmds);
      if (!this.running) return;
      const at = Date.now();
      if (withEvents) {
        this.events = parseShowEvents(r[5] ?? '', this.opts.ring);
        this.eventsAt = at;
      }
      let detail: LiveDetail | undefined;
      if (selected !== undefined) {
        const text = r[cmds.length - 1] ?? '';
        const object = parseSessDetail(text, at);
        detail = object ? { id: selected, object } : { id: selected, error: text.trim() || 'no answer' };
      }
      const pools = parseShowPools(r[2]);
      for (const p of pools) {
        const h = this.poolHistory.get(p.name) ?? { used: [], failures: [] };
        h.used.push(p.used);
        h.failures.push(p.failures);
        const max = this.opts.historyLength;
        if (h.used.length > max) h.used.splice(0, h.used.length - max);
        if (h.failures.length > max) h.failures.splice(0, h.failures.length - max);
        this.poolHistory.set(p.name, h);
      }
      const sess = parseShowSess(r[3], at);
      const ids = new Set(sess.map((o) => o.id));
      const objects = [...sess, ...parseShowConns(r[4], at).filter((o) => !ids.has(o.id))];
      this.sample = { at, info: parseShowInfo(r[0]), threads: parseShowThreads(r[1]), pools, objects, events: this.events, eventsAt: this.eventsAt, detail };
      this.attempts = 0;
      if (this.status.state !== 'connected') this.status = { state: 'connected', since: at };
      this.emit();
      this.schedule(Math.max(this.opts.intervalMs, 1000 / this.opts.maxRequestsPerSec));
    } catch (e) {
      if (!this.running) return;
      this.session?.close();
      this.session = undefined;
      this.eventsAt = 0;
      const delay = Math.min(this.opts.backoffMaxMs, this.opts.backoffMinMs * 2 ** this.attempts);
      this.attempts++;
      this.setStatus({ state: 'disconnected', error: (e as Error).message, retryAt: Date.now() + delay, attempts: this.attempts });
      this.schedule(delay);
    }
  }

  /**
   * Asks the process for a snapshot now (`snapshot`, admin level) and resolves with the path of the
   * file written; rejects with the proxy's answer when it refused or failed (permission denied on a
   * socket below `level admin`, no snapshot directory, ...) or when the socket is unreachable.
   */
  async takeSnapshot(): Promise<string> {
    const [answer] = await this.send(['snapshot']);
    const m = /snapshot written to (.+?)\s*$/.exec(answer ?? '');
    if (!m) throw new LiveSourceError(`the process did not write a snapshot: ${(answer ?? '').trim() || 'no answer'}`);
    return m[1];
  }
}
