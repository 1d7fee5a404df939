/**
 * Process-wide server state, shared by the supervisor and every worker through one
 * SharedArrayBuffer (allocated by the supervisor, passed in WorkerInit). Each server of each backend
 * (configuration order: backend index, then server index) owns a fixed slot of 32-bit words:
 *
 * - written by the supervisor only (runtime commands, health checks): admin state, operational
 *   state, weight, check status/code/duration/health, last state change, chkfail/chkdown; every
 *   change of admin/oper/weight bumps the header's version word;
 * - added to by every worker (Atomics): scur, smax, stot, lbtot, econ.
 *
 * Workers compare the version word with the one they last applied (one Atomics.load per request,
 * plus a timer) and push changes into their own balancer and queue (proxy/stream/backend-runtime.ts).
 * HAProxy keeps these in its `struct server` shared by its threads; `show stat` reads them here.
 */
import type { Config } from '../config/config.types.ts';
import type { ServerAdminState, ServerOperState } from '../lb/lb.types.ts';

/** Word offsets inside one server slot. */
export const SW = {
  admin: 0,
  oper: 1,
  weight: 2,
  scur: 3,
  smax: 4,
  stot: 5,
  lbtot: 6,
  econ: 7,
  /** Index into {@link CHECK_STATUS}. */
  checkStatus: 8,
  /** HTTP status of the last HTTP check (0: none). */
  checkCode: 9,
  /** Duration of the last check, ms (-1: none yet). */
  checkDuration: 10,
  /** HAProxy's check health counter (0 .. rise+fall-1; up when >= rise). */
  checkHealth: 11,
  /** Unix time (s) of the last operational/admin change. */
  lastChange: 12,
  chkfail: 13,
  chkdown: 14,
  /** Unix time (s) of the last check (0: none). */
  lastCheck: 15,
} as const;

/** Words per server slot. */
export const SLOT_WORDS = 16;
/** Header words: [0] version. */
const HEADER = 4;

/** Admin states in their word encoding. */
export const ADMIN_STATES: readonly ServerAdminState[] = ['ready', 'drain', 'maint'];

/**
 * Check statuses as `show stat` prints them (management.txt 9.1 field 36 `check_status`), and the
 * reason HAProxy logs with each.
 */
export const CHECK_STATUS = [
  { code: '', desc: '' },
  { code: 'INI', desc: 'Initializing' },
  { code: 'L4OK', desc: 'Layer4 check passed' },
  { code: 'L4TOUT', desc: 'Layer4 timeout' },
  { code: 'L4CON', desc: 'Layer4 connection problem' },
  { code: 'L7OK', desc: 'Layer7 check passed' },
  { code: 'L7TOUT', desc: 'Layer7 timeout' },
  { code: 'L7RSP', desc: 'Layer7 invalid response' },
  { code: 'L7STS', desc: 'Layer7 wrong status' },
  { code: 'SOCKERR', desc: 'Socket error' },
  // Appended (codes are stored by index): TLS checks of `ssl` servers.
  { code: 'L6OK', desc: 'Layer6 check passed' },
  { code: 'L6TOUT', desc: 'Layer6 timeout' },
  { code: 'L6RSP', desc: 'Layer6 invalid response' },
] as const;

/** A check status code (`L4OK`, ...). */
export type CheckStatusCode = (typeof CHECK_STATUS)[number]['code'];

/** Where one server lives in the shared memory. */
export interface ServerSlotRef {
  backend: string;
  server: string;
  /** Slot index (configuration order over every backend). */
  slot: number;
}

/** The slots of every server of `config`, in configuration order (identical in every thread). */
export function serverSlots(config: Pick<Config, 'backends'>): ServerSlotRef[] {
  const out: ServerSlotRef[] = [];
  for (const b of config.backends) for (const s of b.servers) out.push({ backend: b.name, server: s.name, slot: out.length });
  return out;
}

/**
 * Allocates and initialises the shared state for `config`: admin state from `disabled`, every
 * server up (HAProxy's default `init-state up`: a checked server starts up and its first failed
 * check may put it down), configured weights, counters at 0, check status INI for checked servers.
 */
export function createServerState(config: Pick<Config, 'backends'>): SharedArrayBuffer {
  const slots = serverSlots(config);
  const sab = new SharedArrayBuffer((HEADER + Math.max(1, slots.length) * SLOT_WORDS) * 4);
  const view = new ServerState(sab);
  let i = 0;
  const now = Math.floor(Date.now() / 1000);
  for (const b of config.backends) {
    for (const s of b.servers) {
      const w = view.words(i++);
      w[SW.admin] = s.disabled ? 2 : 0;
      w[SW.oper] = 1;
      w[SW.weight] = s.weight;
      w[SW.checkStatus] = s.check ? 1 : 0;
      w[SW.checkDuration] = -1;
      w[SW.checkHealth] = s.rise;
      w[SW.lastChange] = now;
    }
  }
  return sab;
}

/** A view over the shared server state. Cheap to create; holds no state of its own. */
export class ServerState {
  readonly i32: Int32Array;
  constructor(sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
  }

  /** The words of slot `slot` (a subarray sharing the memory). */
  words(slot: number): Int32Array {
    const o = HEADER + slot * SLOT_WORDS;
    return this.i32.subarray(o, o + SLOT_WORDS);
  }

  /** The version word: bumped on every admin/oper/weight change. */
  version(): number {
    return Atomics.load(this.i32, 0);
  }

  private set(slot: number, word: number, v: number): boolean {
    const o = HEADER + slot * SLOT_WORDS + word;
    if (Atomics.load(this.i32, o) === v) return false;
    Atomics.store(this.i32, o, v);
    Atomics.store(this.i32, HEADER + slot * SLOT_WORDS + SW.lastChange, Math.floor(Date.now() / 1000));
    Atomics.add(this.i32, 0, 1);
    return true;
  }

  /** Reads one word atomically. */
  get(slot: number, word: number): number {
    return Atomics.load(this.i32, HEADER + slot * SLOT_WORDS + word);
  }

  /** Writes one word without bumping the version (check figures). */
  put(slot: number, word: number, v: number): void {
    Atomics.store(this.i32, HEADER + slot * SLOT_WORDS + word, v);
  }

  /** Adds to a counter word; returns the new value. */
  add(slot: number, word: number, d: number): number {
    return Atomics.add(this.i32, HEADER + slot * SLOT_WORDS + word, d) + d;
  }

  admin(slot: number): ServerAdminState {
    return ADMIN_STATES[this.get(slot, SW.admin)] ?? 'ready';
  }
  oper(slot: number): ServerOperState {
    return this.get(slot, SW.oper) ? 'up' : 'down';
  }
  weight(slot: number): number {
    return this.get(slot, SW.weight);
  }
  /** Sets the admin state; true when it changed (version bumped). */
  setAdmin(slot: number, s: ServerAdminState): boolean {
    return this.set(slot, SW.admin, ADMIN_STATES.indexOf(s));
  }
  /** Sets the operational state; true when it changed (version bumped). */
  setOper(slot: number, s: ServerOperState): boolean {
    return this.set(slot, SW.oper, s === 'up' ? 1 : 0);
  }
  /** Sets the user weight; true when it changed (version bumped). */
  setWeight(slot: number, w: number): boolean {
    return this.set(slot, SW.weight, w);
  }

  /** A worker handed a session to the server: scur, smax (process-wide), stot. */
  onTake(slot: number): void {
    const cur = this.add(slot, SW.scur, 1);
    this.add(slot, SW.stot, 1);
    const o = HEADER + slot * SLOT_WORDS + SW.smax;
    for (let m = Atomics.load(this.i32, o); cur > m; m = Atomics.load(this.i32, o)) {
      if (Atomics.compareExchange(this.i32, o, m, cur) === m) break;
    }
  }

  /** A worker's session on the server ended. */
  onRelease(slot: number): void {
    this.add(slot, SW.scur, -1);
  }
}
