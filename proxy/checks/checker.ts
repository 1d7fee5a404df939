/**
 * Runs the health checks of every `server ... check` in the supervisor (configuration manual 5.2
 * `check`, `inter`, `rise`, `fall`; 4.2 `option httpchk`, `http-check expect`, `timeout check`):
 * every `inter` one probe (probe.ts), its result fed into the server's health counter (health.ts);
 * a transition changes the shared operational state through {@link BackendStates}, which the
 * workers follow, and is logged in HAProxy's words. Servers in maintenance are not checked (as in
 * HAProxy). Check figures (status, code, duration, health, chkfail) go into the shared memory for
 * `show stat` / `show servers state`.
 */
import type { BackendStates, ServerEntry } from '../supervisor/backend-state.ts';
import { CHECK_STATUS, SW } from '../stream/server-state.ts';
import { createHealth, feed, isUp, type Health } from './health.ts';
import { probe, type ProbeResult } from './probe.ts';
import { CTP } from './trace.ts';
import { tickClock } from '../../diag/ring.ts';

/** The running checks; {@link Checker.stop} ends them. */
export interface Checker {
  stop(): void;
  /** The health counter of a checked server (tests, `show servers state`). */
  health(s: ServerEntry): Health | undefined;
}

/** HAProxy's `reason: ..., [code: N, ]info: "...", check duration: Nms` text of a result. */
export function describeResult(r: ProbeResult): string {
  const desc = CHECK_STATUS.find((c) => c.code === r.status)?.desc ?? r.status;
  const parts = [`reason: ${desc}`];
  if (r.code) parts.push(`code: ${r.code}`);
  if (r.info) parts.push(`info: "${r.info}"`);
  parts.push(`check duration: ${r.durationMs}ms`);
  return parts.join(', ');
}

/** Starts the checks of every checked server of `states`. */
export function startChecks(states: BackendStates): Checker {
  const timers = new Set<NodeJS.Timeout>();
  const healths = new Map<ServerEntry, Health>();
  let stopped = false;
  for (const be of states.backends) {
    const timeoutCheck = be.cfg.timeouts.check;
    for (const s of be.servers) {
      if (!s.cfg.check) continue;
      const h = createHealth(s.cfg.rise, s.cfg.fall);
      healths.set(s, h);
      const run = async () => {
        tickClock();
        if (stopped) return;
        if (s.model.admin !== 'maint') {
          if (CTP.run.on) CTP.run.emit(0, 0, s.slot, 0, 0, `${be.cfg.name}/${s.cfg.name}`);
          const r = await probe({ host: s.cfg.host, port: s.cfg.port, timeoutMs: timeoutCheck ?? s.cfg.inter, http: be.cfg.httpchk, tls: s.cfg });
          if (stopped) return;
          tickClock();
          apply(states, s, h, r);
        }
        schedule(run, s.cfg.inter);
      };
      // Spread the first checks over one interval, as HAProxy does, but start quickly.
      schedule(run, Math.min(s.cfg.inter, 5 + Math.floor(Math.random() * Math.min(50, s.cfg.inter))));
    }
  }
  function schedule(fn: () => Promise<void>, ms: number): void {
    const t = setTimeout(() => {
      timers.delete(t);
      void fn();
    }, ms);
    t.unref();
    timers.add(t);
  }
  return {
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
    health: (s) => healths.get(s),
  };
}

/** Records one result and applies the transition it causes, if any. */
export function apply(states: BackendStates, s: ServerEntry, h: Health, r: ProbeResult): void {
  const st = states.state;
  st.put(s.slot, SW.checkStatus, CHECK_STATUS.findIndex((c) => c.code === r.status));
  st.put(s.slot, SW.checkCode, r.code);
  st.put(s.slot, SW.checkDuration, r.durationMs);
  st.put(s.slot, SW.lastCheck, Math.floor(Date.now() / 1000));
  const tp = r.passed ? CTP.passed : CTP.failed;
  if (tp.on) tp.emit(0, 0, s.slot, r.durationMs, r.code, `${s.backend.cfg.name}/${s.cfg.name} ${r.status} ${r.info}`);
  if (!r.passed && isUp(h)) st.add(s.slot, SW.chkfail, 1);
  const t = feed(h, r.passed);
  st.put(s.slot, SW.checkHealth, h.health);
  if (t) states.setOperational(s, t, describeResult(r));
}
