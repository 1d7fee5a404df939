/**
 * The supervisor's view of every backend and server: it owns the process-wide server state
 * (proxy/stream/server-state.ts) that the workers follow, keeps a model balancer per backend (the
 * same proxy/lb code the workers run, so weights are validated exactly as there and the
 * active/backup counts of HAProxy's log lines are right), and makes every state change: runtime
 * commands and health checks both go through here. Each change is logged on stderr in HAProxy's
 * words and recorded as a `check` trace event.
 */
import type { BackendConfig, Config, ServerConfig } from '../config/config.types.ts';
import type { Balancer } from '../lb/balance.ts';
import type { LbServer, ServerAdminState, ServerOperState } from '../lb/lb.types.ts';
import { createBalancer } from '../lb/balance.ts';
import { SW, ServerState, createServerState } from '../stream/server-state.ts';
import { CountersView, createCounters } from '../stream/counters.ts';
import { CTP } from '../checks/trace.ts';
import { createLogger, type Logger } from '../log/sink.ts';
import type { SyslogLevel } from '../config/config.types.ts';

/** One server as the supervisor tracks it. */
export interface ServerEntry {
  backend: BackendEntry;
  cfg: ServerConfig;
  slot: number;
  /** The model server in the backend's model balancer. */
  model: LbServer;
}

/** One backend as the supervisor tracks it. */
export interface BackendEntry {
  cfg: BackendConfig;
  /** 1-based proxy id (HAProxy's iid), in configuration order after the frontends. */
  iid: number;
  /** The section's `log` targets, which get its server state changes as HAProxy sends them; undefined: none. */
  logger: Logger | undefined;
  balancer: Balancer;
  servers: ServerEntry[];
}

/** HAProxy-style log line prefix: `[WARNING]  (pid) : `. */
export function logPrefix(level: 'NOTICE' | 'WARNING' | 'ALERT'): string {
  return `[${level}]${' '.repeat(Math.max(1, 9 - level.length))}(${process.pid}) : `;
}

/** The backends and servers of a configuration with their shared state. */
export class BackendStates {
  readonly sab: SharedArrayBuffer;
  readonly state: ServerState;
  /** The traffic counters of every frontend, backend and server (proxy/stream/counters.ts), one slice per worker thread. */
  readonly countersSab: SharedArrayBuffer;
  readonly counters: CountersView;
  readonly backends: BackendEntry[] = [];
  private readonly log: (line: string) => void;

  /** `threads`: the number of worker threads that will write counters (nbthread). */
  /**
   * `threads`: the number of worker threads that will write counters (nbthread). `withLogs`: open
   * each section's `log` targets for its server state changes (the supervisor does; tests of the
   * runtime commands need not).
   */
  constructor(config: Pick<Config, 'backends' | 'frontends'>, log: (line: string) => void, threads = 1, withLogs = false) {
    this.sab = createServerState(config);
    this.state = new ServerState(this.sab);
    this.countersSab = createCounters(config, threads);
    this.counters = new CountersView(this.countersSab);
    this.log = log;
    let slot = 0;
    let iid = config.frontends.length;
    for (const b of config.backends) {
      const balancer = createBalancer(
        b.balance.algorithm,
        b.servers.map((s) => ({ name: s.name, weight: s.weight, maxconn: s.maxconn, backup: s.backup, disabled: s.disabled })),
      );
      const be: BackendEntry = { cfg: b, iid: ++iid, balancer, servers: [], logger: withLogs ? createLogger(b.logs) : undefined };
      b.servers.forEach((s, i) => be.servers.push({ backend: be, cfg: s, slot: slot++, model: balancer.servers[i]! }));
      this.backends.push(be);
    }
  }

  /** The backend named `name` (HAProxy's proxy lookup), or undefined. */
  backend(name: string): BackendEntry | undefined {
    return this.backends.find((b) => b.cfg.name === name);
  }

  /** Active and backup servers usable now in `be`. */
  usable(be: BackendEntry): { act: number; bck: number } {
    return be.balancer.usableCount();
  }

  private tail(be: BackendEntry, s: ServerEntry, left: boolean): string {
    const { act, bck } = this.usable(be);
    const scur = this.state.get(s.slot, SW.scur);
    return left
      ? `${act} active and ${bck} backup servers left. ${scur} sessions active, 0 requeued, 0 remaining in queue.`
      : `${act} active and ${bck} backup servers online. 0 sessions requeued, 0 total in queue.`;
  }

  /** Closes the `log` targets of every section. */
  close(): void {
    for (const b of this.backends) b.logger?.close();
  }

  /**
   * A state change: on stderr with HAProxy's prefix, and to the section's `log` targets at HAProxy's
   * severity (srv_set_stopped() sends a server going down at `alert`, a server coming back or an
   * admin change at `notice`, and "has no server available!" at `emerg`).
   */
  private announce(be: BackendEntry, level: 'NOTICE' | 'WARNING' | 'ALERT', severity: SyslogLevel, line: string): void {
    this.log(logPrefix(level) + line);
    be.logger?.send(line, severity);
  }

  private noServerAlert(be: BackendEntry): void {
    if (!be.balancer.hasUsable()) this.announce(be, 'ALERT', 'emerg', `backend '${be.cfg.name}' has no server available!`);
  }

  private record(s: ServerEntry, line: string): void {
    if (CTP.state.on) CTP.state.emit(0, 0, s.slot, 0, 0, line);
  }

  /**
   * A health-check verdict (`why` is HAProxy's "reason: ..., info: ..., check duration: ..."
   * text). Logs `Server b/s is UP|DOWN, <why>. N active and M backup servers left|online. ...`.
   */
  setOperational(s: ServerEntry, oper: ServerOperState, why: string): void {
    if (s.model.oper === oper) return;
    s.backend.balancer.setOperational(s.model, oper);
    this.state.setOper(s.slot, oper);
    if (oper === 'down') this.state.add(s.slot, SW.chkdown, 1);
    const name = `${s.backend.cfg.name}/${s.cfg.name}`;
    const line = `Server ${name} is ${oper === 'up' ? 'UP' : 'DOWN'}, ${why}. ${this.tail(s.backend, s, oper === 'down')}`;
    this.announce(s.backend, oper === 'up' ? 'NOTICE' : 'WARNING', oper === 'up' ? 'notice' : 'alert', line);
    this.record(s, line);
    if (oper === 'down') this.noServerAlert(s.backend);
  }

  /** `set server <b>/<s> state ready|drain|maint`, `enable|disable server`. */
  setAdmin(s: ServerEntry, admin: ServerAdminState): void {
    const before = s.model.admin;
    if (before === admin) return;
    s.backend.balancer.setState(s.model, admin);
    this.state.setAdmin(s.slot, admin);
    const name = `${s.backend.cfg.name}/${s.cfg.name}`;
    let line: string;
    if (admin === 'maint') line = `Server ${name} is going DOWN for maintenance. ${this.tail(s.backend, s, true)}`;
    else if (before === 'maint')
      line = `Server ${name} is ${s.model.oper === 'up' ? 'UP' : 'DOWN'} (leaving forced maintenance). ${this.tail(s.backend, s, false)}`;
    else if (admin === 'drain') line = `Server ${name} enters drain state. ${this.tail(s.backend, s, true)}`;
    else line = `Server ${name} is ${s.model.oper === 'up' ? 'UP' : 'DOWN'} (leaving forced drain). ${this.tail(s.backend, s, false)}`;
    this.announce(s.backend, admin === 'maint' ? 'WARNING' : 'NOTICE', 'notice', line);
    this.record(s, line);
    if (admin === 'maint') this.noServerAlert(s.backend);
  }

  /**
   * `set server <b>/<s> weight <w>[%]` / `set weight`: validated by the model balancer exactly as
   * in the workers (throws LbError with HAProxy's message). Returns the new weight.
   */
  setWeight(s: ServerEntry, value: string): number {
    const w = s.backend.balancer.setWeight(s.model, value);
    this.state.setWeight(s.slot, w);
    this.record(s, `weight set to ${w}`);
    return w;
  }
}
