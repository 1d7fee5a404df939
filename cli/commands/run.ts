/**
 * `flightbox run`: start the proxy (supervisor + worker threads) in the foreground, on the given
 * configuration files or on the embedded default one. Flags follow HAProxy: -f, -c, -d, -m, -n, -L,
 * -dM, -sf, -st.
 *
 * Reload (HAProxy management guide 4 "Stopping and restarting HAProxy"): `-sf <pid>...` starts
 * this process and, once it listens (listeners are bound with SO_REUSEPORT, so both processes
 * serve the same ports meanwhile), sends the old ones SIGUSR1, HAProxy's "finish" signal: a soft
 * stop, where the old process hands its stick-tables over to this one through the local peer
 * (proxy/peers/runtime.ts), finishes its connections and exits. `-st <pid>...` sends SIGTERM,
 * HAProxy's "terminate" signal; Flightbox's SIGTERM (and SIGINT) is a graceful stop that finishes
 * the connections in flight (bounded by hard-stop-after) but hands no table over. The old
 * processes' runtime socket path is taken over (HAProxy binds and renames over it likewise).
 */
import type { Command } from 'commander';
import { checkConfig } from './check.ts';
import type { Config } from '../../proxy/config/config.types.ts';
import { parseDashDM } from '../../diag/pool.ts';
import type { PoolOptions } from '../../diag/pool.types.ts';
import { Supervisor } from '../../proxy/supervisor/supervisor.ts';
import { registerSupervisorCommands } from '../../proxy/supervisor/commands.ts';
import { createRegistry } from '../../proxy/runtime/registry.ts';
import { startRuntimeServer } from '../../proxy/runtime/server.ts';
import type { RuntimeServer } from '../../proxy/runtime/runtime.types.ts';
import { currentBuild } from '../../diag/build-info.ts';
import { constants } from 'node:os';
import { lstat, unlink } from 'node:fs/promises';

/**
 * Reload: the old process's runtime socket file is removed so that this one can be created at the
 * same path (the old process keeps serving its already-open socket until it exits, and removes
 * the file at exit only if it is still its own). Anything but a socket is left alone.
 */
async function takeOverSocketPath(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSocket()) await unlink(path);
  } catch {
    // absent, or not ours to remove: startRuntimeServer says what is wrong
  }
}

/** Options of `run`, as commander parses them. */
interface RunOptions {
  file: string[];
  check?: boolean;
  debug?: boolean;
  memory?: string;
  maxconn?: string;
  dM?: string[];
  localPeer?: string;
  sf?: string[];
  st?: string[];
}

/**
 * HAProxy writes the reload flags `-sf`/`-st` with one dash, which commander would read as `-s -f`:
 * they become `--sf`/`--st`. Applied to process.argv when `run` is registered, before the command
 * line is parsed (cli/main.ts normaliseArgv may call it instead).
 */
export function normaliseReloadArgv(argv: string[]): string[] {
  return argv.map((a) => (a === '-sf' ? '--sf' : a === '-st' ? '--st' : a));
}

/** The pids of `-sf`/`-st` (`what`) as numbers; an error line for one that is not a pid of another process. */
export function parseOldPids(what: '-sf' | '-st', values: readonly string[]): { pids: number[]; error?: string } {
  const pids: number[] = [];
  for (const v of values) {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n <= 0) return { pids, error: `[ALERT] ${what} expects process ids, got '${v}'` };
    if (n === process.pid) return { pids, error: `[ALERT] ${what} ${v}: that is this process's own pid` };
    pids.push(n);
  }
  return { pids };
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Registers `run`. */
export function register(program: Command): void {
  const argv = normaliseReloadArgv(process.argv);
  process.argv.splice(0, process.argv.length, ...argv);
  program
    .command('run')
    .description('start the proxy in the foreground (embedded default configuration without -f)')
    .option('-f, --file <file>', 'configuration file (repeatable, read in order)', collect, [])
    .option('-c, --check', 'check the configuration and exit (like haproxy -c)')
    .option('-d, --debug', 'foreground debug mode: error traces are printed on stderr')
    .option('-m, --memory <megabytes>', 'cap the memory of the pools (like haproxy -m)')
    .option('-n, --maxconn <n>', 'global maxconn (like haproxy -n)')
    .option('-L, --local-peer <name>', "this instance's peer name in 'peers' sections (like haproxy -L; default: 'localpeer' or the host name)")
    .option('--dM <options>', 'pool debugging, as haproxy -dM (write -dMtag,no-merge,integrity,...)', collect)
    .option('--sf <pid...>', 'reload: once listening, soft-stop these old processes (SIGUSR1): they hand their stick-tables over and finish (write -sf, last on the line, like haproxy)')
    .option('--st <pid...>', 'reload: once listening, stop these old processes (SIGTERM: graceful, no table hand-over) (write -st, like haproxy)')
    .action(async (opts: RunOptions) => {
      const code = await run(opts);
      // Exit explicitly (a stopped proxy must not linger on a handle some library left open), but
      // only once stdout and stderr are flushed: a pipe would otherwise lose the last alerts.
      await Promise.all([process.stdout, process.stderr].map((s) => new Promise((r) => s.write('', r))));
      process.exit(code);
    });
}

function fail(lines: string[]): number {
  for (const l of lines) process.stderr.write(l + '\n');
  return 1;
}

async function run(opts: RunOptions): Promise<number> {
  // The same parse and checks as `flightbox check` (and -c): every alert and warning, in order.
  const { ok, output, result } = checkConfig(opts.file, { localPeer: opts.localPeer });
  if (!ok || !result.config) return fail(output);
  for (const l of output) process.stderr.write(l + '\n');
  const config: Config = result.config;
  const sf = parseOldPids('-sf', opts.sf ?? []);
  const st = parseOldPids('-st', opts.st ?? []);
  for (const e of [sf.error, st.error]) if (e) return fail([e]);
  const reloadOf = [...sf.pids, ...st.pids];
  if (opts.check) {
    process.stdout.write('Configuration file is valid\n');
    return 0;
  }
  const pools: Partial<PoolOptions> = {};
  for (const dm of opts.dM ?? []) {
    const r = parseDashDM(dm);
    if (r.kind === 'help') {
      process.stdout.write(r.text + '\n');
      return 0;
    }
    if (r.kind === 'error') return fail([`[ALERT] -dM${dm}: ${r.error}`]);
    for (const w of r.warnings) process.stderr.write(`[WARNING] -dM${dm}: ${w}\n`);
    Object.assign(pools, r.options);
  }
  if (opts.memory !== undefined) {
    const mb = Number(opts.memory);
    if (!Number.isFinite(mb) || mb <= 0) return fail([`[ALERT] -m expects a size in megabytes, got '${opts.memory}'`]);
    pools.memLimitBytes = mb * 1024 * 1024;
  }
  if (opts.maxconn !== undefined) {
    const n = Number(opts.maxconn);
    if (!Number.isInteger(n) || n <= 0) return fail([`[ALERT] -n expects a positive integer, got '${opts.maxconn}'`]);
    config.global.maxconn = n;
  }

  const sup = new Supervisor({ config, configSources: result.sources, pools, debug: !!opts.debug, argv: process.argv.slice(2), reloadOf });
  let listening: string[];
  try {
    listening = await sup.start();
  } catch (e) {
    await sup.stop('start failed', 1);
    return fail([`[ALERT] ${(e as Error).message}`]);
  }
  const registry = createRegistry();
  registerSupervisorCommands(registry, sup);
  const sockets: RuntimeServer[] = [];
  for (const s of config.global.statsSockets) {
    try {
      if (reloadOf.length > 0) await takeOverSocketPath(s.path);
      sockets.push(await startRuntimeServer({ path: s.path, mode: s.mode, level: s.level, registry }));
    } catch (e) {
      process.stderr.write(`[ALERT] stats socket ${s.path} (${s.file}:${s.line}): ${(e as Error).message}\n`);
      await sup.stop('stats socket failed', 1);
      return 1;
    }
  }

  const b = currentBuild();
  const lines = [`Flightbox ${b.version} (build ${b.buildId}) running with ${sup.nbthread} worker thread${sup.nbthread > 1 ? 's' : ''}, pid ${process.pid}`];
  for (const l of listening) {
    const [fe, addr, ssl] = l.split(' '); // '<frontend> <addr>:<port>[ ssl]'
    lines.push(`  listening on ${ssl === 'ssl' ? 'https' : 'http'}://${addr}/ (frontend ${fe})`);
  }
  if (sup.demoOrigin) {
    const d = config.global.demoOrigin!;
    const host = sup.demoOrigin.host.includes(':') ? `[${sup.demoOrigin.host}]` : sup.demoOrigin.host;
    lines.push(`  demo origin on http://${host}:${sup.demoOrigin.port}/ (demo-origin, ${d.file}:${d.line}): the application the proxy forwards to`);
  }
  for (const s of config.global.statsSockets)
    lines.push(`  runtime socket: ${s.path} (level ${s.level}); try: echo 'show info' | socat stdio UNIX-CONNECT:${s.path}`);
  lines.push(`  snapshots go to ${config.global.snapshotDir}`);

  const stop = (sig: string) => {
    process.stderr.write(`${sig} received: stopping gracefully (hard-stop-after ${config.global.hardStopAfter} ms)\n`);
    void sup.stop(sig);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // HAProxy's soft stop ("finish", sent by a successor's -sf): graceful stop that first hands the
  // stick-tables over to the successor through the local peer. Installing the listener also keeps
  // Node from opening its inspector on SIGUSR1.
  process.on('SIGUSR1', () => {
    process.stderr.write(`SIGUSR1 received: soft stop: handing the stick-tables over to the successor, then stopping gracefully (hard-stop-after ${config.global.hardStopAfter} ms)\n`);
    void sup.stop('SIGUSR1', 0, { handOver: true });
  });
  process.on('SIGUSR2', () => {
    const p = sup.writeSnapshotSafe('on-demand', undefined);
    if (p) process.stderr.write(`SIGUSR2: snapshot written to ${p}\n`);
  });
  // A fatal signal sent to the process: leave a snapshot of every thread, then die of it.
  for (const sig of ['SIGQUIT', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGILL'] as const) {
    process.on(sig, () => {
      const p = sup.writeSnapshotSafe('signal', {
        kind: 'signal',
        message: `fatal signal ${sig} received by the process`,
        thread: 0,
        time: Date.now(),
        frames: [],
        context: { connId: 0, streamId: 0 },
      });
      process.stderr.write(`${sig}: ${p ? `snapshot written to ${p}` : 'no snapshot written'}\n`);
      process.exit(128 + (constants.signals[sig] ?? 0));
    });
  }
  // Reload: every listener is up, the old processes may go (HAProxy sends its signals at this point).
  for (const [pids, sig, what] of [[sf.pids, 'SIGUSR1', 'soft stop: it hands its stick-tables over, then finishes'], [st.pids, 'SIGTERM', 'graceful stop, no table hand-over']] as const) {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
        lines.push(`  reload: ${sig} sent to old process ${pid} (${what})`);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        process.stderr.write(`[WARNING] ${sig === 'SIGUSR1' ? '-sf' : '-st'} ${pid}: ${code === 'ESRCH' ? 'no such process (already gone?)' : code === 'EPERM' ? 'not allowed to signal it (another user?)' : (e as Error).message}\n`);
      }
    }
  }
  // Announced once the signal handlers are in place: whoever waits for this banner (a test, a
  // supervisor script) may signal the process at once.
  process.stdout.write(lines.join('\n') + '\n');
  const code = await sup.done;
  await Promise.all(sockets.map((s) => s.close()));
  return code;
}
