import { describe, expect, it } from 'vitest';
import { STAT_COLUMNS, renderStatCsv, statRows } from '../../../proxy/supervisor/stat-csv.ts';
import { states } from '../checks/helpers.ts';
import { apply } from '../../../proxy/checks/checker.ts';
import { createHealth } from '../../../proxy/checks/health.ts';

function csv(lines: string[], mutate?: (st: ReturnType<typeof states>['st']) => void) {
  const { st } = states(lines);
  mutate?.(st);
  const text = renderStatCsv(statRows(st, [{ name: 'fe', mode: 'http', maxconn: undefined } as never], () => ({ scur: 2, stot: 9 })));
  const [header, ...rows] = text.trimEnd().split('\n');
  const cols = header!.slice(2).split(',');
  return {
    header: header!,
    rows: rows.map((r) => {
      const vals = r.split(',');
      expect(vals).toHaveLength(cols.length); // every field ends with ','
      return Object.fromEntries(cols.map((c, i) => [c, vals[i]]));
    }),
  };
}

describe('show stat CSV', () => {
  it("prints HAProxy's header: '# ' then the columns in management.txt 9.1 order, each followed by ','", () => {
    const { header } = csv(['backend be', '    server s1 127.0.0.1:9001']);
    expect(header.startsWith('# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,')).toBe(true);
    expect(header.endsWith(',uweight,')).toBe(true);
    expect(STAT_COLUMNS.indexOf('check_status')).toBe(36);
    expect(STAT_COLUMNS.indexOf('addr')).toBe(73);
  });

  it('has a FRONTEND row, one row per server, then the BACKEND row', () => {
    const { rows } = csv(['backend be', '    balance leastconn', '    server s1 127.0.0.1:9001 weight 3 maxconn 10 check', '    server s2 127.0.0.1:9002 backup']);
    expect(rows.map((r) => `${r.pxname}/${r.svname}/${r.type}`)).toEqual(['fe/FRONTEND/0', 'be/s1/2', 'be/s2/2', 'be/BACKEND/1']);
    expect(rows[0]).toMatchObject({ status: 'OPEN', scur: '2', stot: '9', iid: '1' });
    // as HAProxy: a checked server starts at health = rise, shown as going down until fully up
    expect(rows[1]).toMatchObject({ status: 'UP 1/3', weight: '3', act: '1', bck: '0', slim: '10', check_status: 'INI', chkfail: '0', sid: '1', iid: '2', addr: '127.0.0.1:9001', mode: 'http' });
    expect(rows[2]).toMatchObject({ status: 'no check', weight: '1', act: '0', bck: '1', slim: '', check_status: '', chkfail: '' });
    expect(rows[3]).toMatchObject({ status: 'UP', weight: '3', act: '1', bck: '1', algo: 'leastconn', sid: '0' });
  });

  it('reflects checks and runtime changes: DOWN, UP 1/3 while going down, MAINT, DRAIN, weights', () => {
    const lines = ['backend be', '    server s1 127.0.0.1:9001 check rise 2 fall 3', '    server s2 127.0.0.1:9002 weight 4'];
    const down = csv(lines, (st) => {
      const s1 = st.backend('be')!.servers[0]!;
      apply(st, s1, createHealth(2, 3), { passed: false, status: 'L4CON', code: 0, info: 'Connection refused', durationMs: 3 });
    }).rows;
    expect(down[1]).toMatchObject({ status: 'DOWN', check_status: 'L4CON', check_duration: '3', chkdown: '1', check_health: '0' });
    expect(down[3]).toMatchObject({ status: 'UP', act: '1', weight: '4' });
    const going = csv(lines, (st) => {
      const s1 = st.backend('be')!.servers[0]!;
      const h = createHealth(2, 3);
      const okr = { passed: true, status: 'L4OK', code: 0, info: '', durationMs: 0 } as const;
      apply(st, s1, h, okr);
      apply(st, s1, h, okr);
      apply(st, s1, h, { ...okr, passed: false, status: 'L4TOUT' });
    }).rows;
    expect(going[1]).toMatchObject({ status: 'UP 2/3', check_status: 'L4TOUT', chkfail: '1' });
    const admin = csv(lines, (st) => {
      const [s1, s2] = st.backend('be')!.servers;
      st.setAdmin(s1!, 'maint');
      st.setAdmin(s2!, 'drain');
    }).rows;
    expect(admin[1]!.status).toBe('MAINT');
    expect(admin[2]!.status).toBe('DRAIN');
    expect(admin[3]).toMatchObject({ status: 'DOWN', act: '0' });
    const weighted = csv(lines, (st) => st.setWeight(st.backend('be')!.servers[1]!, '50%')).rows;
    expect(weighted[2]).toMatchObject({ weight: '2', uweight: '2' });
  });
});
