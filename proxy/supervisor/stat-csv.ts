/**
 * `show stat` (management.txt 9.1 "CSV format", 9.3 "show stat"): one CSV line per frontend,
 * backend and server, the header line starting with "# ", every field followed by a comma, and
 * HAProxy's column order. Sessions, states, weights and checks come from the shared server state
 * (proxy/stream/server-state.ts); bytes, errors, retries, HTTP responses, rates, queues, aborts and
 * times from the workers' traffic counters (proxy/stream/counters.ts). Columns of features
 * Flightbox does not have (compression, cache, agent checks, ...) are 0 where HAProxy prints a
 * counter and empty where HAProxy prints nothing for that row type.
 */
import type { FrontendConfig } from '../config/config.types.ts';
import { CHECK_STATUS, SW } from '../stream/server-state.ts';
import { CK, G, type CountersView } from '../stream/counters.ts';
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

/** A frontend's session figures (current, highest, total). */
export interface FrontendFigures {
  scur: number;
  /** Highest `scur` seen (defaults to `scur`). */
  smax?: number;
  stot: number;
}


/** The six hrsp_* columns of object `obj`. */
function hrsp(v: CountersView, obj: number): StatRow {
  const h = (i: number) => v.sum(obj, CK.hrsp + i);
  return { hrsp_1xx: h(0), hrsp_2xx: h(1), hrsp_3xx: h(2), hrsp_4xx: h(3), hrsp_5xx: h(4), hrsp_other: h(5) };
}

/** Columns backends and servers share ([..BS] in management.txt 9.1), from the counters of `obj`. */
function serverSide(v: CountersView, obj: number, now: number, http: boolean): StatRow {
  const s = (w: number) => v.sum(obj, w);
  return {
    qcur: v.gauge(obj, G.qcur), qmax: v.gauge(obj, G.qmax), bin: s(CK.bin), bout: s(CK.bout),
    dresp: s(CK.dresp), eresp: s(CK.eresp), wretr: s(CK.wretr), wredis: s(CK.wredis),
    rate: v.rate(obj, CK.sessRate, now), rate_max: v.rateMax(obj, CK.sessRate),
    ...(http ? hrsp(v, obj) : {}),
    cli_abrt: s(CK.cliAbrt), srv_abrt: s(CK.srvAbrt), lastsess: v.lastSess(obj, now),
    qtime: v.avg(obj, CK.qSum), ctime: v.avg(obj, CK.cSum), rtime: http ? v.avg(obj, CK.rSum) : 0, ttime: v.avg(obj, CK.tSum),
    connect: s(CK.connect), reuse: s(CK.reuse),
    qtime_max: v.max(obj, CK.qMax), ctime_max: v.max(obj, CK.cMax), rtime_max: http ? v.max(obj, CK.rMax) : 0, ttime_max: v.max(obj, CK.tMax),
    eint: s(CK.eint),
  };
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

function serverRow(states: BackendStates, be: BackendEntry, s: ServerEntry, sid: number, nowSec: number, now: number): StatRow {
  const st = states.state;
  const g = (w: number) => st.get(s.slot, w);
  const chk = s.cfg.check;
  const status = CHECK_STATUS[g(SW.checkStatus)]?.code ?? '';
  const dur = g(SW.checkDuration);
  const http = be.cfg.mode === 'http';
  return {
    pxname: be.cfg.name, svname: s.cfg.name,
    ...serverSide(states.counters, states.counters.server(s.slot), now, http),
    scur: g(SW.scur), smax: g(SW.smax), slim: s.cfg.maxconn || '', stot: g(SW.stot), econ: g(SW.econ),
    status: serverStatusText(states, s), weight: s.model.weight, act: s.cfg.backup ? 0 : 1, bck: s.cfg.backup ? 1 : 0,
    chkfail: chk ? g(SW.chkfail) : '', chkdown: chk ? g(SW.chkdown) : '', lastchg: Math.max(0, nowSec - g(SW.lastChange)),
    downtime: chk ? 0 : '', qlimit: '', pid: 1, iid: be.iid, sid, throttle: '', lbtot: g(SW.lbtot), type: 2,
    check_status: chk ? status : '', check_code: chk && g(SW.checkCode) ? g(SW.checkCode) : '', check_duration: chk && dur >= 0 ? dur : '',
    hanafail: 0,
    check_desc: chk ? (CHECK_STATUS[g(SW.checkStatus)]?.desc ?? '') : '',
    check_rise: chk ? s.cfg.rise : '', check_fall: chk ? s.cfg.fall : '', check_health: chk ? g(SW.checkHealth) : '',
    addr: `${s.cfg.host.includes(':') ? `[${s.cfg.host}]` : s.cfg.host}:${s.cfg.port}`, mode: be.cfg.mode,
    dcon: '', dses: '', wrew: 0, srv_icur: 0, src_ilim: '',
    idle_conn_cur: 0, safe_conn_cur: 0, used_conn_cur: 0, need_conn_est: 0,
    uweight: s.model.weight,
  };
}

function backendRow(states: BackendStates, be: BackendEntry, nowSec: number, now: number): StatRow {
  const st = states.state;
  const v = states.counters;
  const obj = v.backend(states.backends.indexOf(be));
  const http = be.cfg.mode === 'http';
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
    pxname: be.cfg.name, svname: 'BACKEND',
    ...serverSide(v, obj, now, http),
    scur, smax, slim: be.cfg.maxconn ?? '', stot,
    // econ: every server's failed connections plus the streams that got no server at all
    dreq: 0, econ: econ + v.sum(obj, CK.econ),
    status: act + bck > 0 ? 'UP' : 'DOWN', weight: b.weight, act, bck, chkdown,
    lastchg: lastchg ? Math.max(0, nowSec - lastchg) : 0, downtime: 0, pid: 1, iid: be.iid, sid: 0, lbtot, type: 1,
    ...(http ? { req_tot: v.sum(obj, CK.reqTot), intercepted: v.sum(obj, CK.intercepted) } : {}),
    comp_in: 0, comp_out: 0, comp_byp: 0, comp_rsp: 0,
    mode: be.cfg.mode, algo: be.cfg.balance.algorithm,
    dcon: '', dses: '', wrew: 0, cache_lookups: 0, cache_hits: 0,
    uweight: be.servers.reduce((n, s) => n + (states.state.oper(s.slot) === 'up' && s.model.admin === 'ready' ? s.model.weight : 0), 0),
  };
}

function frontendRow(v: CountersView, fe: FrontendConfig, iid: number, f: FrontendFigures, now: number): StatRow {
  const obj = v.frontend(iid - 1);
  const s = (w: number) => v.sum(obj, w);
  // Flightbox has no tcp-request session rules: every accepted connection is a session, so
  // rate/rate_max (sessions) and conn_rate/conn_rate_max (connections) are the same counter.
  const rate = v.rate(obj, CK.sessRate, now);
  const rateMax = v.rateMax(obj, CK.sessRate);
  return {
    pxname: fe.name, svname: 'FRONTEND', scur: f.scur, smax: f.smax ?? f.scur, slim: fe.maxconn ?? '', stot: f.stot, bin: s(CK.bin), bout: s(CK.bout),
    dreq: s(CK.dreq), dresp: s(CK.dresp), ereq: s(CK.ereq), status: 'OPEN', pid: 1, iid, sid: 0, type: 0, rate, rate_lim: 0, rate_max: rateMax,
    ...(fe.mode === 'http'
      ? { ...hrsp(v, obj), req_rate: v.rate(obj, CK.reqRate, now), req_rate_max: v.rateMax(obj, CK.reqRate), req_tot: s(CK.reqTot) }
      : {}),
    comp_in: 0, comp_out: 0, comp_byp: 0, comp_rsp: 0, mode: fe.mode, conn_rate: rate, conn_rate_max: rateMax, conn_tot: f.stot,
    intercepted: s(CK.intercepted), dcon: 0, dses: 0, wrew: 0, cache_lookups: 0, cache_hits: 0, eint: s(CK.eint),
  };
}

/**
 * The session figures of frontend number `i` (configuration order) from the counters: current and
 * highest concurrent connections process-wide, and connections accepted.
 */
export function frontendFigures(v: CountersView, i: number): FrontendFigures {
  const obj = v.frontend(i);
  return { scur: v.gauge(obj, G.scur), smax: v.gauge(obj, G.smax), stot: v.sum(obj, CK.stot) };
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
  const now = Date.now(); // the workers' counters are dated with Date.now() (proxy/stream/counters.ts)
  const rows: StatRow[] = [];
  const keep = (name: string, iid: number) => only === undefined || only === '-1' || only === name || only === String(iid);
  frontends.forEach((fe, i) => {
    if (keep(fe.name, i + 1)) rows.push(frontendRow(states.counters, fe, i + 1, frontend(fe), now));
  });
  for (const be of states.backends) {
    if (!keep(be.cfg.name, be.iid)) continue;
    be.servers.forEach((s, i) => rows.push(serverRow(states, be, s, i + 1, nowSec, now)));
    rows.push(backendRow(states, be, nowSec, now));
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
