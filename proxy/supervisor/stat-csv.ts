/**
 * `show stat` (management.txt 9.1 "CSV format", 9.3 "show stat"): one CSV line per frontend,
 * backend and server, the header line starting with "# ", every field followed by a comma, and
 * HAProxy's column order. Flightbox fills the columns it measures (sessions, states, weights,
 * checks, addresses); the others are 0 where HAProxy prints a counter and empty where HAProxy
 * prints nothing for that row type.
 */
import type { FrontendConfig } from '../config/config.types.ts';
import { CHECK_STATUS, SW } from '../stream/server-state.ts';
import type { BackendEntry, BackendStates, ServerEntry } from './backend-state.ts';

/** HAProxy's `show stat` columns, in order (management.txt 9.1, fields 0 .. 99). */
export const STAT_COLUMNS = [
  'pxname', 'svname', 'qcur', 'qmax', 'scur', 'smax', 'slim', 'stot', 'bin', 'bout',
  'dreq', 'dresp', 'ereq', 'econ', 'eresp', 'wretr', 'wredis', 'status', 'weight', 'act',
  'bck', 'chkfail', 'chkdown', 'lastchg', 'downtime', 'qlimit', 'pid', 'iid', 'sid', 'throttle',
  'lbtot', 'tracked', 'type', 'rate', 'rate_lim', 'rate_max', 'check_status', 'check_code', 'check_duration', 'hrsp_1xx',
  'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other', 'hanafail', 'req_rate', 'req_rate_max', 'req_tot', 'cli_abrt',
  'srv_abrt', 'comp_in', 'comp_out', 'comp_byp', 'comp_rsp', 'lastsess', 'last_chk', 'last_agt', 'qtime', 'ctime',
  'rtime', 'ttime', 'agent_status', 'agent_code', 'agent_duration', 'check_desc', 'agent_desc', 'check_rise', 'check_fall', 'check_health',
  'agent_rise', 'agent_fall', 'agent_health', 'addr', 'cookie', 'mode', 'algo', 'conn_rate', 'conn_rate_max', 'conn_tot',
  'intercepted', 'dcon', 'dses', 'wrew', 'connect', 'reuse', 'cache_lookups', 'cache_hits', 'srv_icur', 'src_ilim',
  'qtime_max', 'ctime_max', 'rtime_max', 'ttime_max', 'eint', 'idle_conn_cur', 'safe_conn_cur', 'used_conn_cur', 'need_conn_est', 'uweight',
] as const;

/** One column's name. */
export type StatColumn = (typeof STAT_COLUMNS)[number];
/** One row: the columns it fills (the rest are printed empty). */
export type StatRow = Partial<Record<StatColumn, string | number>>;

/** Frontend figures the supervisor knows (from the workers' thread state). */
export interface FrontendFigures {
  scur: number;
  stot: number;
}

/** The `show stat` line of a checked server's status: `UP`, `UP 1/3` (going down), `DOWN 1/2` (going up), ... */
export function serverStatusText(states: BackendStates, s: ServerEntry): string {
  const st = states.state;
  if (s.model.admin === 'maint') return 'MAINT';
  const health = st.get(s.slot, SW.checkHealth);
  const { rise, fall } = s.cfg;
  if (s.model.oper === 'down') return s.cfg.check && health > 0 ? `DOWN ${health}/${rise}` : 'DOWN';
  if (s.model.admin === 'drain' || s.model.weight === 0) return 'DRAIN';
  if (!s.cfg.check) return 'no check';
  return health < rise + fall - 1 ? `UP ${health - rise + 1}/${fall}` : 'UP';
}

function serverRow(states: BackendStates, be: BackendEntry, s: ServerEntry, sid: number, nowSec: number): StatRow {
  const st = states.state;
  const g = (w: number) => st.get(s.slot, w);
  const chk = s.cfg.check;
  const status = CHECK_STATUS[g(SW.checkStatus)]?.code ?? '';
  const dur = g(SW.checkDuration);
  const http = be.cfg.mode === 'http';
  return {
    pxname: be.cfg.name, svname: s.cfg.name, qcur: 0, qmax: 0,
    scur: g(SW.scur), smax: g(SW.smax), slim: s.cfg.maxconn || '', stot: g(SW.stot), bin: 0, bout: 0,
    dresp: 0, econ: g(SW.econ), eresp: 0, wretr: 0, wredis: 0,
    status: serverStatusText(states, s), weight: s.model.weight, act: s.cfg.backup ? 0 : 1, bck: s.cfg.backup ? 1 : 0,
    chkfail: chk ? g(SW.chkfail) : '', chkdown: chk ? g(SW.chkdown) : '', lastchg: Math.max(0, nowSec - g(SW.lastChange)),
    downtime: chk ? 0 : '', qlimit: '', pid: 1, iid: be.iid, sid, throttle: '', lbtot: g(SW.lbtot), type: 2,
    rate: 0, rate_max: 0,
    check_status: chk ? status : '', check_code: chk && g(SW.checkCode) ? g(SW.checkCode) : '', check_duration: chk && dur >= 0 ? dur : '',
    ...(http ? { hrsp_1xx: 0, hrsp_2xx: 0, hrsp_3xx: 0, hrsp_4xx: 0, hrsp_5xx: 0, hrsp_other: 0 } : {}),
    hanafail: 0, cli_abrt: 0, srv_abrt: 0, lastsess: -1,
    qtime: 0, ctime: 0, rtime: 0, ttime: 0,
    check_desc: chk ? (CHECK_STATUS[g(SW.checkStatus)]?.desc ?? '') : '',
    check_rise: chk ? s.cfg.rise : '', check_fall: chk ? s.cfg.fall : '', check_health: chk ? g(SW.checkHealth) : '',
    addr: `${s.cfg.host.includes(':') ? `[${s.cfg.host}]` : s.cfg.host}:${s.cfg.port}`, mode: be.cfg.mode,
    dcon: '', dses: '', wrew: 0, connect: 0, reuse: 0, srv_icur: 0, src_ilim: '',
    qtime_max: 0, ctime_max: 0, rtime_max: 0, ttime_max: 0, eint: 0, idle_conn_cur: 0, safe_conn_cur: 0, used_conn_cur: 0, need_conn_est: 0,
    uweight: s.model.weight,
  };
}

function backendRow(states: BackendStates, be: BackendEntry, nowSec: number): StatRow {
  const st = states.state;
  let scur = 0, smax = 0, stot = 0, lbtot = 0, econ = 0, chkdown = 0, lastchg = 0;
  for (const s of be.servers) {
    scur += st.get(s.slot, SW.scur);
    smax += st.get(s.slot, SW.smax);
    stot += st.get(s.slot, SW.stot);
    lbtot += st.get(s.slot, SW.lbtot);
    econ += st.get(s.slot, SW.econ);
    chkdown += st.get(s.slot, SW.chkdown);
    lastchg = Math.max(lastchg, st.get(s.slot, SW.lastChange));
  }
  const { act, bck } = states.usable(be);
  const b = be.balancer.stats();
  return {
    pxname: be.cfg.name, svname: 'BACKEND', qcur: 0, qmax: 0, scur, smax, slim: be.cfg.maxconn ?? '', stot, bin: 0, bout: 0,
    dreq: 0, dresp: 0, econ, eresp: 0, wretr: 0, wredis: 0,
    status: act + bck > 0 ? 'UP' : 'DOWN', weight: b.weight, act, bck, chkdown,
    lastchg: lastchg ? Math.max(0, nowSec - lastchg) : 0, downtime: 0, pid: 1, iid: be.iid, sid: 0, lbtot, type: 1,
    rate: 0, rate_max: 0,
    ...(be.cfg.mode === 'http' ? { hrsp_1xx: 0, hrsp_2xx: 0, hrsp_3xx: 0, hrsp_4xx: 0, hrsp_5xx: 0, hrsp_other: 0, req_tot: 0 } : {}),
    cli_abrt: 0, srv_abrt: 0, comp_in: 0, comp_out: 0, comp_byp: 0, comp_rsp: 0, lastsess: -1,
    qtime: 0, ctime: 0, rtime: 0, ttime: 0, mode: be.cfg.mode, algo: be.cfg.balance.algorithm,
    dcon: '', dses: '', wrew: 0, connect: 0, reuse: 0, cache_lookups: 0, cache_hits: 0,
    qtime_max: 0, ctime_max: 0, rtime_max: 0, ttime_max: 0, eint: 0,
    uweight: be.servers.reduce((n, s) => n + (states.state.oper(s.slot) === 'up' && s.model.admin === 'ready' ? s.model.weight : 0), 0),
  };
}

function frontendRow(fe: FrontendConfig, iid: number, f: FrontendFigures): StatRow {
  return {
    pxname: fe.name, svname: 'FRONTEND', scur: f.scur, smax: f.scur, slim: fe.maxconn ?? '', stot: f.stot, bin: 0, bout: 0,
    dreq: 0, dresp: 0, ereq: 0, status: 'OPEN', pid: 1, iid, sid: 0, type: 0, rate: 0, rate_lim: 0, rate_max: 0,
    ...(fe.mode === 'http' ? { hrsp_1xx: 0, hrsp_2xx: 0, hrsp_3xx: 0, hrsp_4xx: 0, hrsp_5xx: 0, hrsp_other: 0, req_rate: 0, req_rate_max: 0, req_tot: 0 } : {}),
    comp_in: 0, comp_out: 0, comp_byp: 0, comp_rsp: 0, mode: fe.mode, conn_rate: 0, conn_rate_max: 0, conn_tot: f.stot,
    intercepted: 0, dcon: 0, dses: 0, wrew: 0, cache_lookups: 0, cache_hits: 0, eint: 0,
  };
}

/**
 * The rows of `show stat` in HAProxy's order: each proxy (frontends, then backends, in
 * configuration order) with its FRONTEND line, its servers, then its BACKEND line. `only` keeps one
 * proxy (by name or iid). `frontend` gives each frontend's figures.
 */
export function statRows(
  states: BackendStates,
  frontends: readonly FrontendConfig[],
  frontend: (fe: FrontendConfig) => FrontendFigures,
  only?: string,
): StatRow[] {
  const nowSec = Math.floor(Date.now() / 1000);
  const rows: StatRow[] = [];
  const keep = (name: string, iid: number) => only === undefined || only === '-1' || only === name || only === String(iid);
  frontends.forEach((fe, i) => {
    if (keep(fe.name, i + 1)) rows.push(frontendRow(fe, i + 1, frontend(fe)));
  });
  for (const be of states.backends) {
    if (!keep(be.cfg.name, be.iid)) continue;
    be.servers.forEach((s, i) => rows.push(serverRow(states, be, s, i + 1, nowSec)));
    rows.push(backendRow(states, be, nowSec));
  }
  return rows;
}

/** Renders rows as HAProxy's CSV: the `# pxname,...` header, then one line per row; fields end with ','. */
export function renderStatCsv(rows: readonly StatRow[]): string {
  const line = (vals: readonly (string | number)[]) => vals.map((v) => `${String(v).replace(/,/g, ' ')},`).join('');
  const out = ['# ' + line(STAT_COLUMNS)];
  for (const r of rows) out.push(line(STAT_COLUMNS.map((c) => r[c] ?? '')));
  return out.join('\n') + '\n';
}
