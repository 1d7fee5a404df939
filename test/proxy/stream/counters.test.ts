import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import {
  CK,
  G,
  SWRATE_SAMPLES,
  CountersView,
  ThreadCounters,
  counterLayout,
  createCounters,
  freqAdd,
  freqRead,
  swrateAdd,
  swrateAvg,
} from '../../../proxy/stream/counters.ts';
import { BackendStates } from '../../../proxy/supervisor/backend-state.ts';
import { frontendFigures, renderStatCsv, statRows } from '../../../proxy/supervisor/stat-csv.ts';
import { SW } from '../../../proxy/stream/server-state.ts';
import { config } from '../checks/helpers.ts';

/** fe -> be (s1, s2), other (o1). */
const cfg = () =>
  config(['backend be', '    server s1 127.0.0.1:9001', '    server s2 127.0.0.1:9002', 'backend other', '    server o1 127.0.0.1:9003']);

/** A freq_ctr alone in a record: [second, current, previous, max]. */
const ctr = () => new Float64Array(4);

describe('freq_ctr rates (HAProxy update_freq_ctr / read_freq_ctr)', () => {
  it('counts the current second, then weights the previous one by what is left of the current second', () => {
    const f = ctr();
    for (let i = 0; i < 3; i++) expect(freqAdd(f, 0, 1_000_100)).toBe(i + 1);
    expect(freqRead(f, 0, 1_000_500)).toBe(3);
    // 250 ms into the next second: 3 x 749/1000 of the previous second remain
    expect(freqRead(f, 0, 1_001_250)).toBe(2);
    freqAdd(f, 0, 1_001_300, 2);
    expect(freqRead(f, 0, 1_001_500)).toBe(2 + 1); // 2 now + floor(3 x 0.499)
    expect(f[3]).toBe(3); // the max is the highest count of one second
  });

  it('reads 0 after two idle seconds and forgets a previous count when a second was skipped', () => {
    const f = ctr();
    freqAdd(f, 0, 5_000_000, 5);
    expect(freqRead(f, 0, 5_002_000)).toBe(0);
    freqAdd(f, 0, 5_002_100);
    expect([f[1], f[2]]).toEqual([1, 0]); // 5_001 had nothing: 5 events are two seconds old
    expect(freqRead(f, 0, 5_002_100)).toBe(1);
  });

  it('reports a lone previous event as 1 rather than letting it flap to 0', () => {
    const f = ctr();
    freqAdd(f, 0, 7_000_900);
    expect(freqRead(f, 0, 7_001_990)).toBe(1);
  });

  it('keeps the highest per-second count as the max', () => {
    const f = ctr();
    freqAdd(f, 0, 9_000_000, 4);
    freqAdd(f, 0, 9_001_000, 1);
    freqAdd(f, 0, 9_002_000, 6);
    freqAdd(f, 0, 9_003_000, 2);
    expect(f[3]).toBe(6);
  });
});

describe('swrate averages (HAProxy swrate over the last 1024 samples)', () => {
  it('is the exact mean until the window is full, rounded up', () => {
    const f = new Float64Array(1);
    [10, 20, 31].forEach((v, n) => swrateAdd(f, 0, n, v));
    expect(f[0]).toBe(61);
    expect(swrateAvg(f[0]!, 3)).toBe(21);
    expect(swrateAvg(0, 0)).toBe(0);
  });

  it('slides once full: each new sample replaces 1/1024 of the sum', () => {
    const f = new Float64Array(1);
    let n = 0;
    for (; n < SWRATE_SAMPLES; n++) swrateAdd(f, 0, n, 100);
    expect(swrateAvg(f[0]!, n)).toBe(100);
    swrateAdd(f, 0, n++, 300);
    expect(f[0]).toBe(102_400 - 100 + 300);
    expect(swrateAvg(f[0]!, n)).toBe(101);
    for (let i = 0; i < 20_000; i++) swrateAdd(f, 0, n++, 300);
    expect(swrateAvg(f[0]!, n)).toBe(300); // old samples have faded out
  });
});

describe('per-thread slices read by the supervisor', () => {
  it('lays out a sink, the frontends, the backends and the servers', () => {
    expect(counterLayout(cfg())).toEqual({ frontends: 1, backends: 2, servers: 3, objects: 7 });
  });

  it('sums counters, takes maxima and pools averages over the threads', () => {
    const c = cfg();
    const sab = createCounters(c, 2);
    let now = 1_700_000_000_250;
    const t1 = new ThreadCounters(sab, 1, c, () => now);
    const t2 = new ThreadCounters(sab, 2, c, () => now);
    const v = new CountersView(sab);
    const fk = t1.frontendBase('fe');
    const bk = t1.backendBase('be');
    const sk = t1.serverBase(1); // be/s2
    expect([fk, t2.frontendBase('fe'), t1.backendBase('nope'), t1.serverBase(3)]).toEqual([fk, fk, 0, 0]);

    t1.rx(fk, bk, 100);
    t2.rx(fk, 0, 50); // no stream forwarded: only the frontend
    t1.tx(fk, bk, 1000);
    t1.request(fk);
    t2.request(fk);
    t2.request(fk);
    t1.srvIn(sk, 120);
    t1.srvInPieces(sk, [new Uint8Array(5), new Uint8Array(7)]);
    t2.srvOut(sk, 900);
    t1.srvStatus(sk, 100);
    t1.srvStatus(sk, 200);
    t1.response(fk, bk, 200);
    t2.failed(bk, sk, 502, true);
    t2.failed(bk, sk, 502, false); // an http-response deny with deny_status 502 is no server error
    t1.reply(fk, 403, 10, 'PR');
    t1.reply(fk, 302, 20, 'LR');
    t1.reply(fk, 999, 0, undefined);
    t1.retry(bk, sk, false);
    t2.retry(bk, sk, true);
    t1.times(bk, sk, 1, 2, 200, 210);
    t2.times(bk, sk, 3, 4, 100, 110);

    const fe = v.frontend(0);
    const be = v.backend(0);
    const s2 = v.server(1);
    expect([v.sum(fe, CK.bin), v.sum(fe, CK.bout), v.sum(be, CK.bin), v.sum(be, CK.bout)]).toEqual([150, 1030, 100, 1000]);
    expect([v.sum(s2, CK.bin), v.sum(s2, CK.bout)]).toEqual([132, 900]);
    expect([v.sum(fe, CK.reqTot), v.rate(fe, CK.reqRate, now), v.rateMax(fe, CK.reqRate)]).toEqual([3, 3, 3]);
    // hrsp: 1xx..5xx then other
    expect([0, 1, 2, 3, 4, 5].map((i) => v.sum(fe, CK.hrsp + i))).toEqual([0, 1, 1, 1, 0, 1]);
    expect([0, 1, 2, 3, 4, 5].map((i) => v.sum(be, CK.hrsp + i))).toEqual([0, 1, 0, 0, 2, 0]);
    expect([0, 1, 2, 3, 4, 5].map((i) => v.sum(s2, CK.hrsp + i))).toEqual([1, 1, 0, 0, 0, 0]);
    expect([v.sum(be, CK.reqTot), v.sum(fe, CK.dreq), v.sum(fe, CK.intercepted)]).toEqual([3, 1, 1]);
    expect([v.sum(be, CK.eresp), v.sum(s2, CK.eresp)]).toEqual([1, 1]);
    expect([v.sum(be, CK.wretr), v.sum(be, CK.wredis), v.sum(s2, CK.wretr), v.sum(s2, CK.wredis)]).toEqual([1, 1, 1, 1]);
    expect([v.avg(s2, CK.qSum), v.avg(s2, CK.cSum), v.avg(s2, CK.rSum), v.avg(s2, CK.tSum)]).toEqual([2, 3, 150, 160]);
    expect([v.max(be, CK.qMax), v.max(be, CK.cMax), v.max(be, CK.rMax), v.max(be, CK.tMax)]).toEqual([3, 4, 200, 210]);
    expect(v.avg(v.server(0), CK.rSum)).toBe(0); // never used

    // last session: seconds since, -1 when never
    t1.serverSession(sk);
    t2.backendSession(bk);
    now += 2_500;
    expect([v.lastSess(s2, now), v.lastSess(be, now), v.lastSess(v.server(0), now)]).toEqual([2, 2, -1]);
    expect(v.rate(be, CK.sessRate, now)).toBe(0); // two seconds later
    expect(v.rateMax(be, CK.sessRate)).toBe(1);
  });

  it('keeps process-wide gauges exact, and a replacement thread takes back what its dead predecessor held', () => {
    const c = cfg();
    const sab = createCounters(c, 2);
    const fe = c.frontends[0]!;
    const t1 = new ThreadCounters(sab, 1, c, () => 0);
    const t2 = new ThreadCounters(sab, 2, c, () => 0);
    const v = new CountersView(sab);
    const fk = t1.accept(fe);
    t1.accept(fe);
    t2.accept(fe);
    t1.close(fk);
    expect(frontendFigures(v, 0)).toEqual({ scur: 2, smax: 3, stot: 3 });
    const bk = t1.backendBase('be');
    t1.queued(bk, 2);
    t2.queued(bk, 2);
    t1.queued(bk, 1);
    const be = v.backend(0);
    expect([v.gauge(be, G.qcur), v.gauge(be, G.qmax)]).toEqual([3, 4]);
    t1.rx(fk, bk, 10);
    // thread 1 dies with one connection and one queued request; its replacement attaches
    new ThreadCounters(sab, 1, c, () => 0);
    expect(frontendFigures(v, 0)).toEqual({ scur: 1, smax: 3, stot: 3 });
    expect([v.gauge(be, G.qcur), v.gauge(be, G.qmax)]).toEqual([2, 4]);
    expect(v.sum(v.frontend(0), CK.bin)).toBe(10); // counters survive
  });

  it('refuses a thread without a slice and memory made for another configuration', () => {
    const c = cfg();
    const sab = createCounters(c, 2);
    expect(() => new ThreadCounters(sab, 3, c)).toThrow(/thread 3 has no counters slice \(1\.\.2\)/);
    expect(() => new ThreadCounters(sab, 1, config(['backend be', '    server s1 127.0.0.1:9001']))).toThrow(/made for 6 objects, this configuration has 3/);
    expect(() => createCounters(c, 0)).toThrow(RangeError);
  });

  it('sums what real worker threads write to their own slices without Atomics', async () => {
    const c = cfg();
    const sab = createCounters(c, 2);
    const url = new URL('../../../proxy/stream/counters.ts', import.meta.url).href;
    const code = `
      const { workerData } = require('node:worker_threads');
      import(${JSON.stringify(url)}).then((m) => {
        const t = m.attachCounters(workerData.sab, workerData.thread, workerData.cfg);
        const fk = t.accept(workerData.cfg.frontends[0]);
        const bk = t.backendBase('be');
        for (let i = 0; i < 20000; i++) { t.rx(fk, bk, 3); t.request(fk); }
        t.queued(bk, workerData.thread);
      });
    `;
    await Promise.all(
      [1, 2].map(
        (thread) =>
          new Promise((resolve, reject) => {
            const w = new Worker(code, { eval: true, workerData: { sab, thread, cfg: c } });
            w.once('error', reject);
            w.once('exit', resolve);
          }),
      ),
    );
    const v = new CountersView(sab);
    expect([v.sum(v.frontend(0), CK.bin), v.sum(v.backend(0), CK.bin), v.sum(v.frontend(0), CK.reqTot)]).toEqual([120_000, 120_000, 40_000]);
    expect([v.gauge(v.frontend(0), G.scur), v.gauge(v.backend(0), G.qcur)]).toEqual([2, 3]);
  });
});

describe('show stat columns from the counters', () => {
  /** The CSV rows of `st` as column -> value maps, keyed by `px/sv`. */
  function rows(st: BackendStates): Record<string, Record<string, string>> {
    const c = st.counters;
    const [header, ...lines] = renderStatCsv(statRows(st, cfg().frontends, () => frontendFigures(c, 0))).trimEnd().split('\n');
    const cols = header!.slice(2).split(',');
    return Object.fromEntries(
      lines.map((l) => {
        const vals = l.split(',');
        return [`${vals[0]}/${vals[1]}`, Object.fromEntries(cols.map((k, i) => [k, vals[i] ?? '']))];
      }),
    );
  }

  it('fills bytes, responses, errors, retries, queues, rates and times per frontend, backend and server', () => {
    const c = cfg();
    const st = new BackendStates(c, () => {}, 2);
    const t = new ThreadCounters(st.countersSab, 2, c, Date.now);
    const fk = t.accept(c.frontends[0]!);
    const bk = t.backendBase('be');
    const sk = t.serverBase(0);
    t.rx(fk, bk, 78);
    t.request(fk);
    t.backendSession(bk);
    t.serverSession(sk);
    t.connect(bk, sk);
    t.srvIn(sk, 90);
    t.srvOut(sk, 150);
    t.srvStatus(sk, 200);
    t.response(fk, bk, 200);
    t.tx(fk, bk, 140);
    t.times(bk, sk, 0, 1, 250, 260);
    t.noServer(bk); // a second stream found no server
    t.failed(bk, 0, 503, true);
    t.reply(fk, 503, 217, undefined);
    t.cliAbort(bk, sk);
    t.queued(t.serverBase(1), 1);
    st.state.add(0, SW.econ, 2); // two failed connects to s1 (counted in the server state)

    const r = rows(st);
    expect(r['fe/FRONTEND']).toMatchObject({ scur: '1', smax: '1', stot: '1', bin: '78', bout: '357', ereq: '0', hrsp_2xx: '1', hrsp_5xx: '1', req_tot: '1', req_rate_max: '1', conn_rate_max: '1', rate_max: '1', conn_tot: '1' });
    expect(Number(r['fe/FRONTEND']!.req_rate)).toBeGreaterThanOrEqual(1);
    expect(r['be/s1']).toMatchObject({ bin: '90', bout: '150', hrsp_2xx: '1', econ: '2', connect: '1', cli_abrt: '1', lastsess: '0', rtime: '250', ttime: '260', ctime: '1', qtime: '0', rtime_max: '250', rate_max: '1' });
    expect(r['be/s2']).toMatchObject({ qcur: '1', qmax: '1', lastsess: '-1', bin: '0', hrsp_2xx: '0' });
    expect(r['be/BACKEND']).toMatchObject({ bin: '78', bout: '140', econ: '3', hrsp_2xx: '1', hrsp_5xx: '1', req_tot: '2', cli_abrt: '1', rtime: '250', lastsess: '0', qcur: '0', connect: '1' });
    expect(r['other/BACKEND']).toMatchObject({ bin: '0', lastsess: '-1', req_tot: '0', rtime: '0' });
  });
});
