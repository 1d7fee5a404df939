/**
 * Process-wide trace control, in one SharedArrayBuffer that every thread maps: per source its state,
 * level, verbosity, sink and event masks (report/start/stop/pause, as HAProxy's trace.c), and a
 * precomputed enable table indexed by (source, event, level), so that a trace point's enabled-check
 * is one typed-array load. The supervisor applies `trace ...` commands here and every worker sees the
 * change at once; a worker that hits a start/stop/pause event updates the state here itself.
 */
import {
  TRACE_LEVELS,
  TRACE_STATES,
  type TraceEventDef,
  type TraceLevel,
  type TraceSourceStatus,
  type TraceState,
} from './trace.types.ts';

/** Most sources a process can declare. */
export const MAX_SOURCES = 64;
/** Most events in one source's catalog (two 32-bit mask words). */
export const MAX_EVENTS = 64;
const MAX_SINKS = 16;
const HDR = 16; // i32 words
const SRC_WORDS = 16;
const CATALOG_BYTES = 4096;
const OFF_CATALOG = (HDR + MAX_SOURCES * SRC_WORDS) * 4;
const OFF_SINKS = OFF_CATALOG + MAX_SOURCES * CATALOG_BYTES;
const SINKS_BYTES = 2048;
/** Byte offset of the enable table: one byte per (source, event, level); see tableKey(). */
export const OFF_TABLE = OFF_SINKS + SINKS_BYTES;
const TABLE_BYTES = MAX_SOURCES * MAX_EVENTS * 8;
const TOTAL = OFF_TABLE + TABLE_BYTES;

// Per-source word offsets.
const W_STATE = 0;
const W_LEVEL = 1;
const W_VERB = 2;
/** Word offset of a source's sink id within its block (used by trace points). */
export const W_SINK = 3;
const W_LOCK = 4;
const W_REPORT = 5;
const W_START = 7;
const W_STOP = 9;
const W_PAUSE = 11;
const W_DROPPED = 13;
const W_NEVENTS = 14;
// Header words.
const H_LOCK = 0;
const H_NSRC = 1;
const H_VERSION = 2;
const H_DEBUG = 3;

/** Table values: the point is off, records normally, or takes the slow path (transitions, stderr). */
export const TBL_OFF = 0;
export const TBL_RECORD = 1;
export const TBL_SLOW = 2;

/** Index of the enable-table byte for (source index, event index, level index). */
export function tableKey(src: number, ev: number, level: number): number {
  return (src * MAX_EVENTS + ev) * 8 + level;
}

/** Word index of a source's control block. */
export function sourceWord(src: number): number {
  return HDR + src * SRC_WORDS;
}

/** Where sources start by default (the flight recorder records them from the first request). */
export interface TraceDefaults {
  state: TraceState;
  level: TraceLevel;
  sink: string;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Result of a `trace` command: HAProxy answers either a message or an error. */
export interface TraceCommandResult {
  ok: boolean;
  message: string;
}

/** A view over the shared trace control. Any thread may construct one over the same buffer. */
export class TraceControl {
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly table: Uint8Array;
  private readonly bytes: Uint8Array;

  /** Maps `sab`, or creates a fresh control with the sinks `none` and `flight` when omitted. */
  constructor(sab?: SharedArrayBuffer) {
    this.sab = sab ?? new SharedArrayBuffer(TOTAL);
    this.i32 = new Int32Array(this.sab, 0, OFF_CATALOG / 4);
    this.bytes = new Uint8Array(this.sab);
    this.table = new Uint8Array(this.sab, OFF_TABLE, TABLE_BYTES);
    if (!sab) this.setSinks(['none', 'flight']);
  }

  private withLock<T>(fn: () => T): T {
    while (Atomics.compareExchange(this.i32, H_LOCK, 0, 1) !== 0) Atomics.wait(this.i32, H_LOCK, 1, 1);
    try {
      return fn();
    } finally {
      Atomics.store(this.i32, H_LOCK, 0);
      Atomics.notify(this.i32, H_LOCK);
    }
  }

  /** Sets the sink names (index = sink id). Index 0 must be `none`. */
  setSinks(names: string[]): void {
    if (names[0] !== 'none' || names.length > MAX_SINKS) throw new Error('sinks must start with none, at most 16');
    this.writeJson(OFF_SINKS, SINKS_BYTES, names);
  }

  /** Sink names, index = sink id. */
  sinks(): string[] {
    return (this.readJson(OFF_SINKS) as string[] | undefined) ?? ['none'];
  }

  /** Enables or disables `-d` mode: error-level events are also printed on stderr. */
  setDebugStderr(on: boolean): void {
    Atomics.store(this.i32, H_DEBUG, on ? 1 : 0);
    this.recompute();
  }

  /** True when `-d` mode prints error-level events on stderr. */
  debugStderr(): boolean {
    return Atomics.load(this.i32, H_DEBUG) === 1;
  }

  /**
   * Declares a source (idempotent by name: every thread declares the same catalogs) and returns its
   * index. A new source takes `defaults`.
   */
  declareSource(name: string, desc: string, events: readonly TraceEventDef[], defaults: TraceDefaults): number {
    if (events.length > MAX_EVENTS) throw new Error(`trace source ${name}: more than ${MAX_EVENTS} events`);
    return this.withLock(() => {
      const n = this.i32[H_NSRC];
      for (let i = 0; i < n; i++) if (this.catalog(i).name === name) return i;
      if (n >= MAX_SOURCES) throw new Error(`too many trace sources (max ${MAX_SOURCES})`);
      this.writeJson(OFF_CATALOG + n * CATALOG_BYTES, CATALOG_BYTES, {
        name,
        desc,
        events: events.map((e) => [e.name, e.desc]),
      });
      const w = sourceWord(n);
      this.i32[w + W_STATE] = TRACE_STATES.indexOf(defaults.state);
      this.i32[w + W_LEVEL] = TRACE_LEVELS.indexOf(defaults.level);
      this.i32[w + W_VERB] = 1;
      this.i32[w + W_SINK] = Math.max(0, this.sinks().indexOf(defaults.sink));
      this.i32[w + W_REPORT] = -1;
      this.i32[w + W_REPORT + 1] = -1;
      this.i32[w + W_NEVENTS] = events.length;
      Atomics.store(this.i32, H_NSRC, n + 1);
      this.recomputeSource(n);
      return n;
    });
  }

  /** Number of declared sources. */
  sourceCount(): number {
    return Atomics.load(this.i32, H_NSRC);
  }

  /** The catalog of source `i`: its name, description and events. */
  catalog(i: number): { name: string; desc: string; events: TraceEventDef[] } {
    const j = this.readJson(OFF_CATALOG + i * CATALOG_BYTES) as
      | { name: string; desc: string; events: [string, string][] }
      | undefined;
    if (!j) return { name: `#${i}`, desc: '', events: [] };
    return { name: j.name, desc: j.desc, events: j.events.map(([name, d]) => ({ name, desc: d })) };
  }

  /** Index of the source called `name`, or -1. */
  findSource(name: string): number {
    const n = this.sourceCount();
    for (let i = 0; i < n; i++) if (this.catalog(i).name === name) return i;
    return -1;
  }

  /** Counts one event dropped by source `src` (its sink was full or missing). */
  countDrop(src: number): void {
    Atomics.add(this.i32, sourceWord(src) + W_DROPPED, 1);
  }

  /** The state of every source, JSON-able (`show trace`, snapshots). */
  status(): TraceSourceStatus[] {
    const out: TraceSourceStatus[] = [];
    const sinks = this.sinks();
    for (let i = 0; i < this.sourceCount(); i++) {
      const c = this.catalog(i);
      const w = sourceWord(i);
      const bit = (word: number, e: number) => ((this.i32[w + word + (e >> 5)] >>> (e & 31)) & 1) === 1;
      out.push({
        name: c.name,
        desc: c.desc,
        state: TRACE_STATES[this.i32[w + W_STATE]] ?? 'stopped',
        level: TRACE_LEVELS[this.i32[w + W_LEVEL]] ?? 'user',
        verbosity: this.i32[w + W_VERB] === 0 ? 'quiet' : 'default',
        sink: sinks[this.i32[w + W_SINK]] ?? 'none',
        lock: this.i32[w + W_LOCK] === 0 ? 'nothing' : 'thread',
        dropped: this.i32[w + W_DROPPED],
        events: c.events.map((e, k) => ({
          name: e.name,
          desc: e.desc,
          report: bit(W_REPORT, k),
          start: bit(W_START, k),
          stop: bit(W_STOP, k),
          pause: bit(W_PAUSE, k),
        })),
      });
    }
    return out;
  }

  /**
   * Called by a trace point's slow path when event `ev` of source `src` fired: applies HAProxy's
   * automatic transitions (a start event starts a waiting source, a stop event stops a running one,
   * a pause event puts it back to waiting). Returns true when the event must also be recorded.
   */
  onEvent(src: number, ev: number, level: number): boolean {
    const w = sourceWord(src);
    const has = (word: number) => ((this.i32[w + word + (ev >> 5)] >>> (ev & 31)) & 1) === 1;
    let state = Atomics.load(this.i32, w + W_STATE);
    const before = state;
    if (state === 1 && has(W_START)) state = 2;
    const record = state === 2 && level <= this.i32[w + W_LEVEL] && has(W_REPORT);
    if (state === 2 && has(W_STOP)) state = 0;
    else if (state === 2 && has(W_PAUSE)) state = 1;
    if (state !== before) {
      Atomics.store(this.i32, w + W_STATE, state);
      this.recomputeSource(src);
    }
    return record;
  }

  /** Recomputes the whole enable table (after any control change). */
  recompute(): void {
    for (let s = 0; s < this.sourceCount(); s++) this.recomputeSource(s);
    Atomics.add(this.i32, H_VERSION, 1);
  }

  private recomputeSource(s: number): void {
    const w = sourceWord(s);
    const state = this.i32[w + W_STATE];
    const level = this.i32[w + W_LEVEL];
    const nev = this.i32[w + W_NEVENTS];
    const debug = this.i32[H_DEBUG] === 1;
    const bit = (word: number, e: number) => ((this.i32[w + word + (e >> 5)] >>> (e & 31)) & 1) === 1;
    for (let e = 0; e < nev; e++) {
      for (let l = 0; l < TRACE_LEVELS.length; l++) {
        let v = TBL_OFF;
        if (state === 2 && l <= level && bit(W_REPORT, e)) v = TBL_RECORD;
        const armed =
          (state === 1 && bit(W_START, e)) || (state === 2 && (bit(W_STOP, e) || bit(W_PAUSE, e)));
        if (armed || (debug && l === 0)) v = TBL_SLOW;
        this.table[tableKey(s, e, l)] = v;
      }
    }
  }

  /**
   * Applies one `trace` command (args without the leading `trace`), with HAProxy's grammar and
   * messages: `trace`, `trace 0`, `trace <src|all> event|level|lock|pause|sink|start|stop|verbosity [arg]`.
   */
  command(args: string[]): TraceCommandResult {
    const [name, kw, arg] = args;
    if (!name) return { ok: true, message: this.listSources() };
    if (name === '0') {
      for (let s = 0; s < this.sourceCount(); s++) Atomics.store(this.i32, sourceWord(s) + W_STATE, 0);
      this.recompute();
      return { ok: true, message: 'All traces now stopped' };
    }
    const targets =
      name === 'all' ? [...Array(this.sourceCount()).keys()] : [this.findSource(name)].filter((i) => i >= 0);
    if (targets.length === 0) return { ok: false, message: `No such trace source '${name}'` };
    if (name === 'all' && kw && !['sink', 'level', 'follow', 'verbosity'].includes(kw))
      return { ok: false, message: "'all' only supports 'sink', 'level' and 'verbosity'" };
    if (!kw) return { ok: true, message: SUPPORTED_COMMANDS };
    const results = targets.map((t) => this.commandOne(t, kw, arg));
    this.recompute();
    return results.find((r) => !r.ok) ?? results[0];
  }

  private commandOne(s: number, kw: string, arg: string | undefined): TraceCommandResult {
    const w = sourceWord(s);
    const c = this.catalog(s);
    const maskWord = { event: W_REPORT, start: W_START, stop: W_STOP, pause: W_PAUSE }[kw];
    if (maskWord !== undefined) {
      let evName = arg ?? '';
      let neg = false;
      while (evName && '!-+'.includes(evName[0])) {
        neg = evName[0] !== '+';
        evName = evName.slice(1);
      }
      if (!evName) return { ok: true, message: this.listEvents(s, maskWord) };
      if (evName === 'now' && kw !== 'event') {
        this.i32[w + maskWord] = 0;
        this.i32[w + maskWord + 1] = 0;
        this.i32[w + W_STATE] = kw === 'start' ? 2 : kw === 'stop' ? 0 : 1;
        return { ok: true, message: '' };
      }
      if (evName === 'none' || evName === 'any') {
        const v = evName === 'any' ? -1 : 0;
        this.i32[w + maskWord] = v;
        this.i32[w + maskWord + 1] = v;
      } else {
        const e = c.events.findIndex((x) => x.name === evName);
        if (e < 0) return { ok: false, message: 'No such trace event' };
        const idx = w + maskWord + (e >> 5);
        this.i32[idx] = neg ? this.i32[idx] & ~(1 << (e & 31)) : this.i32[idx] | (1 << (e & 31));
      }
      // Arming a start event on a stopped source makes it wait for that event, as in HAProxy.
      if (kw === 'start' && this.i32[w + W_STATE] === 0 && evName !== 'none') this.i32[w + W_STATE] = 1;
      return { ok: true, message: '' };
    }
    if (kw === 'level') {
      if (!arg) return { ok: true, message: this.listLevels(s) };
      const l = TRACE_LEVELS.indexOf(arg as TraceLevel);
      if (l < 0) return { ok: false, message: 'No such trace level' };
      this.i32[w + W_LEVEL] = l;
      return { ok: true, message: '' };
    }
    if (kw === 'sink') {
      const sinks = this.sinks();
      if (!arg) {
        const cur = this.i32[w + W_SINK];
        return {
          ok: true,
          message:
            `Supported sinks for source ${c.name} (*=current):\n` +
            sinks.map((n, i) => `  ${i === cur ? '*' : ' '} ${n.padEnd(10)} : ${SINK_DESC[n] ?? 'ring buffer'}`).join('\n') +
            '\n',
        };
      }
      const i = sinks.indexOf(arg);
      if (i < 0) return { ok: false, message: 'No such sink' };
      this.i32[w + W_SINK] = i;
      return { ok: true, message: '' };
    }
    if (kw === 'verbosity') {
      if (!arg) {
        const q = this.i32[w + W_VERB] === 0;
        return {
          ok: true,
          message:
            `Supported trace verbosities for source ${c.name}:\n` +
            `  ${q ? '*' : ' '} quiet      : only report basic information with no decoding\n` +
            `  ${q ? ' ' : '*'} default    : report extra information when available\n`,
        };
      }
      if (arg !== 'quiet' && arg !== 'default') return { ok: false, message: 'No such verbosity level' };
      this.i32[w + W_VERB] = arg === 'quiet' ? 0 : 1;
      return { ok: true, message: '' };
    }
    if (kw === 'lock') {
      const cur = this.i32[w + W_LOCK];
      if (!arg)
        return {
          ok: true,
          message:
            `Supported lock-on criteria for source ${c.name}:\n` +
            `  ${cur === 0 ? '*' : ' '} nothing    : do not lock on anything\n` +
            `  ${cur === 1 ? '*' : ' '} thread     : lock on the thread that started the trace\n`,
        };
      if (arg !== 'nothing' && arg !== 'thread') return { ok: false, message: 'Unsupported lock-on criterion' };
      this.i32[w + W_LOCK] = arg === 'thread' ? 1 : 0;
      return { ok: true, message: '' };
    }
    return { ok: false, message: 'Unknown trace keyword' };
  }

  private listEvents(s: number, word: number): string {
    const c = this.catalog(s);
    const w = sourceWord(s);
    let out = `Supported events for source ${c.name} (+=enabled, -=disabled):\n`;
    if (word !== W_REPORT) out += "  - now          : don't wait for events, immediately change the state\n";
    out += '  - none         : disable all event types\n  - any          : enable all event types\n';
    c.events.forEach((e, k) => {
      const on = ((this.i32[w + word + (k >> 5)] >>> (k & 31)) & 1) === 1;
      out += `  ${on ? '+' : '-'} ${e.name.padEnd(12)} : ${e.desc}\n`;
    });
    return out;
  }

  private listLevels(s: number): string {
    const cur = this.i32[sourceWord(s) + W_LEVEL];
    const d = LEVEL_DESC;
    return (
      `Supported trace levels for source ${this.catalog(s).name}:\n` +
      TRACE_LEVELS.map((l, i) => `  ${i === cur ? '*' : ' '} ${l.padEnd(10)} : ${d[l]}`).join('\n') +
      '\n'
    );
  }

  /** The source list `trace` alone prints (HAProxy's wording). `show trace` is diag/render/events.ts. */
  listSources(): string {
    const ch = (s: TraceState) => (s === 'running' ? 'R' : s === 'waiting' ? 'w' : '.');
    let out = 'Supported trace sources and states (.=stopped, w=waiting, R=running) :\n';
    out += ' [.] 0          : not a source, will immediately stop all traces\n';
    for (const s of this.status()) out += ` [${ch(s.state)}] ${s.name.padEnd(10)} : ${s.desc}\n`;
    return out;
  }

  private writeJson(off: number, cap: number, v: unknown): void {
    const b = enc.encode(JSON.stringify(v));
    if (b.length + 4 > cap) throw new Error('trace control: catalog too large');
    new DataView(this.sab).setUint32(off, b.length, true);
    this.bytes.set(b, off + 4);
  }

  private readJson(off: number): unknown {
    const n = new DataView(this.sab).getUint32(off, true);
    if (n === 0) return undefined;
    return JSON.parse(dec.decode(this.bytes.slice(off + 4, off + 4 + n)));
  }
}

const SUPPORTED_COMMANDS =
  'Supported commands:\n' +
  '  event     : list/enable/disable source-specific event reporting\n' +
  '  level     : list/set trace reporting level\n' +
  '  lock      : automatic lock on thread/connection/stream/...\n' +
  '  pause     : pause and automatically restart after a specific event\n' +
  '  sink      : list/set event sinks\n' +
  '  start     : start immediately or after a specific event\n' +
  '  stop      : stop immediately or after a specific event\n' +
  '  verbosity : list/set trace output verbosity\n';

const LEVEL_DESC: Record<TraceLevel, string> = {
  error: 'only errors',
  user: 'information useful to the end user',
  proto: 'also protocol-level updates',
  state: 'also report internal state changes',
  data: 'also report data transfers',
  developer: 'also report information useful only to the developer',
};

const SINK_DESC: Record<string, string> = {
  none: 'no sink',
  flight: 'the flight recorder (per-thread rings, kept in snapshots)',
  stderr: 'standard error',
};
