/**
 * The supervisor: runs on the main thread, never serves proxy traffic. It allocates each worker's
 * recorder memory, starts `nbthread` workers, owns the runtime socket, the watchdog and the
 * post-mortems: when a worker dies (panic, BUG_ON, pool inconsistency, uncaught error, out of
 * memory, stall, unexpected exit) it still holds that worker's rings, pools and live objects, writes
 * the snapshot, logs `worker N died: <reason>; snapshot written to <path>`, and starts a replacement
 * while the other workers keep serving (or stops, with `worker-on-death exit`). When the
 * configuration has `demo-origin`, it also runs the demo origin (an application, not proxy traffic)
 * before the workers start, and stops it after they are gone. It creates every stick-table's shared
 * memory before the workers start, answers the table commands from it, runs the tables' expiry and
 * their synchronisation with the peers (`peers` sections, proxy/peers/runtime.ts).
 */
import { Worker } from 'node:worker_threads';
import { quicSecretOf } from '../quic/cluster-secret.ts';
import { availableParallelism } from 'node:os';
import type { Config } from '../config/config.types.ts';
import type { FaultKind, FaultRecord, RawFrame } from '../../diag/fault.types.ts';
import type { ProcessMemory, RecorderSizes, ThreadMemory } from '../../diag/recorder.types.ts';
import type { PoolOptions } from '../../diag/pool.types.ts';
import type { FromWorker, ToWorker, WorkerInit, WorkerQuery, WorkerQueryAnswer } from '../worker/worker.types.ts';
import { createProcessMemory, createThreadMemory, attachRecorder, DEFAULT_SIZES } from '../../diag/recorder.ts';
import { ThreadState, TS, THREAD_STATUS } from '../../diag/thread-state.ts';
import { TraceControl } from '../../diag/trace-control.ts';
import { writeSnapshot } from '../../diag/snapshot/collect.ts';
import { createLiveSource } from '../../diag/views.ts';
import type { ProcessInfo, RecorderSource } from '../../diag/views.types.ts';
import { readPoolMemory } from '../../diag/pool-memory.ts';
import { currentBuild } from '../../diag/build-info.ts';
import { redactConfigText } from '../../diag/redact.ts';
import { WorkerStackCapture } from './stack-capture.ts';
import { BackendStates } from './backend-state.ts';
import { startChecks, type Checker } from '../checks/checker.ts';
import { startDemoOrigin, type DemoOrigin } from '../demo/origin.ts';
import '../trace-sources.ts'; // every source known before the first worker starts
import { declareTraceSource } from '../../diag/trace.ts';
import { useLiveClock } from '../../diag/ring.ts';
import { StickExpiry, StickTableRegistry, createStickTableBuffers } from '../stick/registry.ts';
import { PeersRuntime } from '../peers/runtime.ts';

const SUP = declareTraceSource('supervisor', 'Supervisor: workers, watchdog, post-mortems', [
  { name: 'spawn', desc: 'worker started' },
  { name: 'death', desc: 'worker died' },
  { name: 'stall', desc: 'watchdog found a stalled worker' },
  { name: 'snapshot', desc: 'snapshot written' },
  { name: 'stop', desc: 'graceful stop' },
] as const);
const TP = {
  spawn: SUP.point('spawn', 'state', 'spawn_worker', 'worker {0} started (restart #{1})'),
  death: SUP.point('death', 'error', 'worker_exit', 'worker {0} died: {s}'),
  stall: SUP.point('stall', 'error', 'watchdog_check', 'worker {0} stalled for {1} ms'),
  snapshot: SUP.point('snapshot', 'user', 'write_snapshot', 'snapshot written: {s}'),
  stop: SUP.point('stop', 'user', 'supervisor_stop', 'graceful stop: {s}'),
};

/** How the supervisor was started. */
export interface SupervisorOptions {
  config: Config;
  /** Configuration texts as read (unexpanded); redacted before they go into a snapshot. */
  configSources: { name: string; text: string }[];
  pools: Partial<PoolOptions>;
  /** `-d`: error-level traces go to stderr too. */
  debug: boolean;
  argv: string[];
  /**
   * Pids of the old processes this one replaces (`run -sf/-st`): the peers sections learn from
   * the old local process first (proxy/peers/runtime.ts `waitLocal`).
   */
  reloadOf?: readonly number[];
  /** Where operator-facing log lines go (default stderr). */
  log?: (line: string) => void;
}

/** A worker slot: the thread number stays, the Worker and its memory are replaced on respawn. */
interface Slot {
  thread: number;
  worker: Worker;
  mem: ThreadMemory;
  restarts: number;
  ready: boolean;
  stopping: boolean;
  /** Set when the supervisor already wrote this worker's post-mortem (stall) before ending it. */
  handled: boolean;
  oom: boolean;
}

const HEARTBEAT_MS = 100;

/** The supervisor of one Flightbox process. */
export class Supervisor {
  readonly config: Config;
  readonly proc: ProcessMemory;
  readonly control: TraceControl;
  readonly startedAt = Date.now();
  readonly slots = new Map<number, Slot>();
  readonly nbthread: number;
  private readonly opts: SupervisorOptions;
  private readonly sizes: RecorderSizes;
  /** The supervisor's own recorder memory (thread 0): watchdog, deaths, snapshots. */
  private readonly ownMem: ThreadMemory;
  private readonly log: (line: string) => void;
  private stacks: WorkerStackCapture | undefined;
  /** Every backend's servers, their shared state (followed by the workers) and the health checks. */
  readonly backends: BackendStates;
  private checker: Checker | undefined;
  /**
   * Every configured stick-table (Config.stickTables order): shared memory made here, once, before
   * the workers start, and handed to each worker (and its replacements) in WorkerInit.stickTables.
   */
  private readonly stickBuffers: SharedArrayBuffer[];
  /**
   * Secret of QUIC Retry and stateless reset tokens, the same for every worker and its replacements
   * (WorkerInit.quicSecret): derived from the global `cluster-secret` when set, random otherwise
   * (proxy/quic/cluster-secret.ts).
   */
  /**
   * A reload's successor: no QUIC stateless reset until the predecessor must be gone (its
   * hard-stop-after, taken from this configuration, plus 5 s): datagrams of its connections reach
   * this process's sockets through the shared SO_REUSEPORT group (WorkerInit.quietResetsUntil).
   */
  private readonly quietResetsUntil: number | undefined;
  private readonly quicSecret: Uint8Array;
  /** The supervisor's views of the tables, for `show/clear/set table`. */
  readonly stickTables: StickTableRegistry;
  /** The expiry owner of every table (proxy/stick/registry.ts StickExpiry), while running. */
  private stickExpiry: StickExpiry | undefined;
  /**
   * The peers synchronisation of the tables (proxy/peers/runtime.ts): it runs here because the
   * supervisor owns the tables; a BUG_ON in it writes a snapshot and resets that section's learn state.
   */
  readonly peers: PeersRuntime;
  /** The demo origin, while it runs (`demo-origin` in global). */
  demoOrigin: DemoOrigin | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private stopping = false;
  /** A soft stop (stop() with handOver) is in progress: the process ends after the hand-over. */
  private handingOver = false;
  private exitCode = 0;
  private pending = new Map<number, (r: { ok: boolean; text: string }) => void>();
  /** Queries waiting for a worker's answer (queryWorkers), by request id. */
  private queries = new Map<number, { thread: number; done: (a: WorkerQueryAnswer) => void }>();
  private nextReq = 1;
  workerRestarts = 0;
  snapshotsWritten = 0;
  /** Resolves when the supervisor has fully stopped; the value is the process exit code. */
  readonly done: Promise<number>;
  private resolveDone!: (code: number) => void;

  constructor(opts: SupervisorOptions) {
    this.opts = opts;
    this.config = opts.config;
    this.quicSecret = quicSecretOf(opts.config.global.clusterSecret);
    this.quietResetsUntil = (opts.reloadOf?.length ?? 0) > 0 ? Date.now() + opts.config.global.hardStopAfter + 5000 : undefined;
    this.log = opts.log ?? ((l) => process.stderr.write(l + '\n'));
    this.nbthread = opts.config.global.nbthread ?? availableParallelism();
    const rings: Record<string, number> = { flight: DEFAULT_SIZES.rings.flight };
    for (const r of opts.config.rings) rings[r.name] = r.size;
    this.sizes = { rings, liveSlots: Math.max(DEFAULT_SIZES.liveSlots, Math.min(65536, (opts.config.global.maxconn ?? 0) * 2)) };
    this.proc = createProcessMemory(Object.keys(rings));
    this.control = new TraceControl(this.proc.traceControl);
    this.control.setDebugStderr(opts.debug);
    this.ownMem = createThreadMemory(0, { rings: { flight: 256 << 10 }, liveSlots: 16 });
    useLiveClock();
    attachRecorder(this.ownMem, this.proc, (l) => this.log(l));
    this.done = new Promise((r) => (this.resolveDone = r));
    this.backends = new BackendStates(opts.config, (l) => this.log(l), this.nbthread, true);
    // one reference ledger per worker thread: a dead worker's references are dropped in onExit
    const stick = createStickTableBuffers(opts.config.stickTables ?? [], this.nbthread);
    this.stickBuffers = stick.map((b) => b.sab);
    this.stickTables = new StickTableRegistry(stick);
    this.peers = new PeersRuntime({
      config: opts.config,
      tables: this.stickTables,
      log: (l) => this.log(l),
      onPanic: (fault) => this.writeSnapshotSafe(fault.kind, fault),
      waitLocal: (opts.reloadOf?.length ?? 0) > 0,
    });
  }

  /** Applies the `traces` section, starts the workers and the watchdog; resolves once all listen. */
  async start(): Promise<string[]> {
    for (const t of this.config.traces) {
      const r = this.control.command(t.args); // args come without the leading 'trace'
      if (!r.ok) throw new Error(`config : parsing [${t.file}:${t.line}] : ${r.message}`);
    }
    await this.startDemoOrigin();
    await this.peers.start();
    this.stacks = new WorkerStackCapture();
    const ready: Promise<string[]>[] = [];
    for (let t = 1; t <= this.nbthread; t++) ready.push(this.spawn(t, 0));
    const listening = await Promise.all(ready);
    const wdTimeout = this.config.global.watchdogTimeout;
    this.watchdog = setInterval(() => this.checkWatchdog(), Math.max(20, Math.min(250, wdTimeout / 4)));
    this.watchdog.unref();
    this.checker = startChecks(this.backends);
    this.stickExpiry = new StickExpiry(this.stickTables);
    return listening[0] ?? [];
  }

  /** Starts the demo origin when asked for; a bind failure rejects with what, where and what to do. */
  private async startDemoOrigin(): Promise<void> {
    const d = this.config.global.demoOrigin;
    if (!d) return;
    try {
      this.demoOrigin = await startDemoOrigin(d.host, d.port);
    } catch (e) {
      const hint =
        d.file === '<embedded>'
          ? 'stop what listens there, or choose other ports for the embedded configuration with FLIGHTBOX_PORT and FLIGHTBOX_DEMO_PORT'
          : "stop what listens there, or choose another address in 'demo-origin'";
      throw new Error(`demo-origin (${d.file}:${d.line}): ${(e as Error).message}; ${hint}`);
    }
  }

  private spawn(thread: number, restarts: number): Promise<string[]> {
    const mem = createThreadMemory(thread, this.sizes);
    const init: WorkerInit = {
      thread,
      nbthread: this.nbthread,
      config: this.config,
      mem,
      proc: this.proc,
      servers: this.backends.sab,
      counters: this.backends.countersSab,
      stickTables: this.stickBuffers,
      quicSecret: this.quicSecret,
      quietResetsUntil: this.quietResetsUntil,
      pools: this.opts.pools,
      heartbeatMs: HEARTBEAT_MS,
    };
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const limit = this.config.global.workerMemoryLimit;
    const worker = new Worker(new URL(`../worker/main.${ext}`, import.meta.url), {
      workerData: init,
      resourceLimits: limit ? { maxOldGenerationSizeMb: Math.max(8, Math.round(limit / (1 << 20))) } : undefined,
      name: `flightbox worker ${thread}`,
    });
    const slot: Slot = { thread, worker, mem, restarts, ready: false, stopping: false, handled: false, oom: false };
    this.slots.set(thread, slot);
    if (TP.spawn.on) TP.spawn.emit(0, 0, thread, restarts);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          slot.ready = true;
          resolve(m.listening);
        } else if (m.type === 'listen-error') reject(new Error(m.message));
        // A QUIC datagram for a connection another thread owns (proxy/quic/udp/dispatcher.ts): relayed
        // by thread number, so a restarted worker is reached too; dropped when that thread is gone.
        else if (m.type === 'quic-dgram') this.slots.get(m.to)?.worker.postMessage(m, [m.data]);
        else if (m.type === 'debug-result') {
          this.pending.get(m.id)?.({ ok: m.ok, text: m.text });
          this.pending.delete(m.id);
        } else if (m.type === 'query-result') this.queries.get(m.id)?.done({ thread, result: m });
      });
      worker.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') slot.oom = true;
      });
      worker.on('exit', (code) => {
        if (!slot.ready) reject(new Error(`worker ${thread} exited with code ${code} before it was ready`));
        void this.onExit(slot, code);
      });
    });
  }

  private async onExit(slot: Slot, code: number): Promise<void> {
    if (this.slots.get(slot.thread) !== slot) return;
    if (slot.stopping || this.stopping) {
      // A worker that faulted while draining (seed crash 2 struck during the GOAWAY drain of a
      // graceful stop) leaves its post-mortem too; a clean exit has no fault record.
      const own = new ThreadState(slot.mem.state).read<FaultRecord>('fault');
      if (own && !slot.handled) {
        const path = this.writeSnapshotSafe(own.kind, own, slot);
        this.log(`worker ${slot.thread} died while stopping: ${own.kind}: ${own.message}; ${path ? `snapshot written to ${path}` : 'no snapshot written'}${this.releaseStickOf(slot.thread)}`);
      } else {
        const released = this.releaseStickOf(slot.thread, true); // hard-stop-after: terminated while draining
        if (released) this.log(`worker ${slot.thread} ended while stopping${released}`);
      }
      this.slots.delete(slot.thread);
      // a soft stop still hands the tables over once the workers are gone: stop() finishes then
      if (this.stopping && this.slots.size === 0 && !this.handingOver) this.finish();
      return;
    }
    if (!slot.ready) {
      // Died while starting: respawning would loop; start() reports it (or the log, on a respawn).
      this.slots.delete(slot.thread);
      const fault = this.faultOf(slot, code);
      this.log(`worker ${slot.thread} died while starting: ${fault.message}; not restarted${this.releaseStickOf(slot.thread, true)}`);
      return;
    }
    // The snapshot first (it shows what the dead thread held), then its stick-table references are
    // dropped, synchronously, before the replacement (same thread number, same ledger) can start.
    if (!slot.handled) {
      const fault = this.faultOf(slot, code);
      const path = this.writeSnapshotSafe(fault.kind, fault, slot);
      this.log(`worker ${slot.thread} died: ${fault.kind}: ${fault.message}; ${path ? `snapshot written to ${path}` : 'no snapshot written'}${this.releaseStickOf(slot.thread)}`);
    } else {
      const released = this.releaseStickOf(slot.thread);
      if (released) this.log(`worker ${slot.thread} died: ended by the watchdog${released}`);
    }
    this.slots.delete(slot.thread); // its memory is in the snapshot; stop() must not wait for it
    if (TP.death.on) TP.death.emit(0, 0, slot.thread, code, 0, `exit code ${code}`);
    for (const [id, cb] of this.pending) {
      cb({ ok: false, text: `worker ${slot.thread} died` });
      this.pending.delete(id);
    }
    for (const q of [...this.queries.values()]) if (q.thread === slot.thread) q.done({ thread: slot.thread, error: `worker ${slot.thread} died` });
    if (this.config.global.workerOnDeath === 'exit') {
      this.log(`worker-on-death exit: stopping`);
      void this.stop('a worker died', 1);
      return;
    }
    this.workerRestarts++;
    if (this.stopping) return;
    this.spawn(slot.thread, slot.restarts + 1).catch((e: Error) => this.log(`worker ${slot.thread} could not restart: ${e.message}`));
  }

  /**
   * Drops the stick-table references that dead worker `thread` still held (its reference ledgers:
   * proxy/stick/registry.ts releaseThread; expired entries left unreferenced are killed), logs
   * what looked wrong, and returns the text for its death line (`; released N stick-table
   * references`), empty without tables or, with `quietIfNone`, when it held none. Call it after the
   * thread's `exit` event and before a replacement starts.
   */
  private releaseStickOf(thread: number, quietIfNone = false): string {
    if (this.stickTables.size === 0) return '';
    const r = this.stickTables.releaseThread(thread);
    for (const p of r.problems) this.log(`[WARNING] worker ${thread} died: stick-table ${p}`);
    if (quietIfNone && r.released === 0 && r.locksFreed === 0) return '';
    const extra = [r.killed ? `${r.killed} expired entries killed` : '', r.locksFreed ? `${r.locksFreed} locks it held freed` : ''].filter(Boolean).join(', ');
    return `; released ${r.released} stick-table references${extra ? ` (${extra})` : ''}`;
  }

  /** The fault of a dead worker: its own record, or one made here for OOM and plain exits. */
  private faultOf(slot: Slot, code: number): FaultRecord {
    const st = new ThreadState(slot.mem.state);
    const own = st.read<FaultRecord>('fault');
    if (own) return own;
    const context = { connId: st.f64[TS.curConn], streamId: st.f64[TS.curStream] };
    const base = { thread: slot.thread, time: Date.now(), frames: [] as RawFrame[], context };
    if (slot.oom) {
      const limit = this.config.global.workerMemoryLimit;
      return {
        ...base,
        kind: 'oom',
        message: `worker ${slot.thread} ran out of memory (heap limit ${limit ? Math.round(limit / (1 << 20)) + ' MB' : 'default'}, last heap used ${Math.round(st.f64[TS.heapUsed] / (1 << 20))} MB)`,
      };
    }
    return { ...base, kind: 'exit', message: `worker ${slot.thread} exited unexpectedly with code ${code}` };
  }

  private checkWatchdog(): void {
    const now = Date.now();
    const limit = this.config.global.watchdogTimeout;
    for (const slot of this.slots.values()) {
      if (!slot.ready || slot.handled || slot.stopping) continue;
      const st = new ThreadState(slot.mem.state);
      const idle = now - st.f64[TS.heartbeatTime];
      if (idle > limit) {
        slot.handled = true;
        void this.onStall(slot, st, idle);
      }
    }
  }

  private async onStall(slot: Slot, st: ThreadState, idle: number): Promise<void> {
    if (TP.stall.on) TP.stall.emit(0, 0, slot.thread, idle);
    let frames: RawFrame[] = [];
    let note = '';
    try {
      frames = await this.stacks!.capture(slot.worker.threadId);
    } catch (e) {
      note = ` (call chain unavailable: ${(e as Error).message})`;
    }
    const fault: FaultRecord = {
      kind: 'stall',
      message: `thread ${slot.thread} stalled: no heartbeat for ${idle} ms (watchdog-timeout ${this.config.global.watchdogTimeout} ms)${note}`,
      thread: slot.thread,
      time: Date.now(),
      frames,
      context: { connId: st.f64[TS.curConn], streamId: st.f64[TS.curStream] },
    };
    const path = this.writeSnapshotSafe('stall', fault, slot, frames);
    this.log(`worker ${slot.thread} died: stall: ${fault.message}; ${path ? `snapshot written to ${path}` : 'no snapshot written'}`);
    await slot.worker.terminate();
  }

  /**
   * Live view of every thread's recorder, for the runtime commands: the supervisor's own (thread 0:
   * its `flight` ring with the peers, supervisor and check traces, its peer objects) first, as in a
   * snapshot, then the workers.
   */
  source(): RecorderSource {
    return createLiveSource({
      info: () => this.info(),
      threads: () => [
        { mem: this.ownMem, restarts: 0, status: 'running' },
        ...[...this.slots.values()].sort((a, b) => a.thread - b.thread).map((s) => ({
          mem: s.mem,
          restarts: s.restarts,
          status: THREAD_STATUS[new ThreadState(s.mem.state).f64[TS.status]] ?? 'starting',
        })),
      ],
      proc: this.proc,
    });
  }

  /** `show info` figures. */
  info(): ProcessInfo {
    let currConns = 0;
    let cumConns = 0;
    let cumReq = 0;
    let droppedLogs = 0;
    let poolAlloc = 0;
    let poolUsed = 0;
    let poolFailed = 0;
    let heap = 0;
    for (const s of this.slots.values()) {
      const f = new ThreadState(s.mem.state).f64;
      currConns += f[TS.connsCur];
      cumConns += f[TS.connsTotal];
      cumReq += f[TS.reqsTotal];
      droppedLogs += f[TS.droppedLogs];
      heap += f[TS.heapUsed];
      const pv = readPoolMemory(s.mem.pools);
      poolAlloc += pv.totals.allocatedBytes;
      poolUsed += pv.totals.usedBytes;
      poolFailed += pv.totals.failures;
    }
    const b = currentBuild();
    const mem = process.memoryUsage();
    return {
      name: 'Flightbox',
      version: b.version,
      buildId: b.buildId,
      distDir: b.distDir,
      node: process.version,
      os: `${process.platform} ${process.arch}`,
      pid: process.pid,
      nbthread: this.nbthread,
      startedAt: this.startedAt,
      uptimeSec: Math.floor((Date.now() - this.startedAt) / 1000),
      maxconn: this.config.global.maxconn ?? 0,
      currConns,
      cumConns,
      cumReq,
      droppedLogs,
      workerRestarts: this.workerRestarts,
      snapshotsWritten: this.snapshotsWritten,
      argv: this.opts.argv,
      poolAllocBytes: poolAlloc,
      poolUsedBytes: poolUsed,
      poolFailures: poolFailed,
      memLimitMB: this.opts.pools.memLimitBytes ? Math.round(this.opts.pools.memLimitBytes / (1 << 20)) : 0,
      heapUsed: heap + mem.heapUsed,
      rss: mem.rss,
    };
  }

  /**
   * Writes a snapshot of every thread (the supervisor's own included). `focus` is the worker the
   * fault is about (it is named in the file name). Returns the path, or undefined when writing
   * failed (the reason is logged: a snapshot failure must never take the process down).
   */
  writeSnapshotSafe(reason: FaultKind, fault: FaultRecord | undefined, focus?: Slot, stack?: RawFrame[]): string | undefined {
    try {
      const threads = [
        { mem: this.ownMem, restarts: 0, status: 'running' },
        ...[...this.slots.values()].sort((a, b) => a.thread - b.thread).map((s) => ({
          mem: s.mem,
          restarts: s.restarts,
          status: s === focus ? (reason === 'stall' ? 'stalled' : 'dead') : (THREAD_STATUS[new ThreadState(s.mem.state).f64[TS.status]] ?? 'starting'),
          stack: s === focus ? stack : undefined,
        })),
      ];
      const extra = { headers: this.config.global.redactHeaders, queries: this.config.global.redactQueries };
      const configText = this.opts.configSources.map((s) => `# ${s.name}\n${redactConfigText(s.text, extra)}`).join('\n');
      const { path } = writeSnapshot(
        this.config.global.snapshotDir,
        { reason, fault, info: this.info(), threads, proc: this.proc, configText },
        { maxSize: this.config.global.snapshotMaxSize },
      );
      this.snapshotsWritten++;
      if (TP.snapshot.on) TP.snapshot.emit(0, 0, 0, 0, 0, path);
      return path;
    } catch (e) {
      this.log(`[ALERT] could not write the ${reason} snapshot into ${this.config.global.snapshotDir}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Forwards a `debug dev` command to worker `thread` and waits for its answer. */
  debugOnWorker(thread: number, args: string[], timeoutMs = 5000): Promise<{ ok: boolean; text: string }> {
    const slot = this.slots.get(thread);
    if (!slot || !slot.ready) return Promise.resolve({ ok: false, text: `no running worker thread ${thread} (1..${this.nbthread})` });
    const id = this.nextReq++;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, text: `worker ${thread} did not answer within ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(t);
        resolve(r);
      });
      slot.worker.postMessage({ type: 'debug', id, args } satisfies ToWorker);
    });
  }

  /**
   * Asks every worker (or only worker `only`) for live information that only it holds (WorkerQuery,
   * e.g. `quic` for `show quic`) and resolves, after at most `timeoutMs`, with one answer per
   * configured thread in thread order: the worker's result, or why there is none (`not running`,
   * `worker N died`, `no answer within <n> ms`). Never rejects: a stalled worker cannot hold a
   * runtime command longer than `timeoutMs`.
   */
  queryWorkers(what: WorkerQuery['what'], timeoutMs = 1000, only?: number): Promise<WorkerQueryAnswer[]> {
    const threads = only !== undefined ? [only] : Array.from({ length: this.nbthread }, (_, i) => i + 1);
    return Promise.all(
      threads.map(
        (thread) =>
          new Promise<WorkerQueryAnswer>((resolve) => {
            const slot = this.slots.get(thread);
            if (!slot || !slot.ready || slot.stopping) return resolve({ thread, error: slot?.stopping ? 'stopping' : 'not running' });
            const id = this.nextReq++;
            const done = (a: WorkerQueryAnswer) => {
              clearTimeout(timer);
              this.queries.delete(id);
              resolve(a);
            };
            const timer = setTimeout(() => done({ thread, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
            this.queries.set(id, { thread, done });
            slot.worker.postMessage({ type: 'query', id, what } satisfies ToWorker);
          }),
      ),
    );
  }

  /**
   * Graceful stop: every worker closes its listeners and finishes in-flight requests; after
   * `hard-stop-after` the remaining ones are terminated. Resolves `done` with `code`. With
   * `handOver` (the soft stop of a reload, SIGUSR1 / `-sf`), the stick-tables are taught to the
   * successor through the local peer while the workers drain, and the process ends once the
   * successor acknowledged them (bounded: proxy/peers/runtime.ts finishHandOver).
   */
  async stop(why: string, code = 0, opts: { handOver?: boolean } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.exitCode = code;
    if (TP.stop.on) TP.stop.emit(0, 0, 0, 0, 0, why);
    clearInterval(this.watchdog);
    this.checker?.stop();
    this.stickExpiry?.stop();
    this.handingOver = !!opts.handOver;
    if (opts.handOver) this.peers.startHandOver();
    else await this.peers.stop();
    this.backends.close();
    const grace = this.config.global.hardStopAfter;
    const exits = [...this.slots.values()].map(
      (s) =>
        new Promise<void>((resolve) => {
          s.stopping = true;
          s.worker.once('exit', () => resolve());
          s.worker.postMessage({ type: 'stop', graceMs: grace } satisfies ToWorker);
        }),
    );
    const timer = setTimeout(() => {
      this.log(`hard-stop-after ${grace} ms reached: terminating remaining workers`);
      for (const s of this.slots.values()) void s.worker.terminate();
    }, grace);
    await Promise.all(exits);
    clearTimeout(timer);
    if (opts.handOver) {
      for (const r of await this.peers.finishHandOver(Math.max(5000, grace))) {
        this.log(`${r.outcome === 'complete' || r.outcome === 'unasked' ? '[NOTICE]' : '[WARNING]'} peers '${r.section}': tables handed over to the successor: ${r.outcome} (${r.reason})`);
      }
      await this.peers.stop();
    }
    this.slots.clear();
    this.stacks?.close();
    await this.demoOrigin?.close();
    this.demoOrigin = undefined;
    this.finish();
  }

  private finish(): void {
    this.resolveDone(this.exitCode);
  }
}
