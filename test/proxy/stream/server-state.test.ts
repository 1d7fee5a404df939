import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { ServerState, SW, createServerState, serverSlots } from '../../../proxy/stream/server-state.ts';
import { config } from '../checks/helpers.ts';

const cfg = () =>
  config(['backend be', '    server s1 127.0.0.1:9001 weight 3 check rise 2', '    server s2 127.0.0.1:9002 disabled', 'backend other', '    server o1 127.0.0.1:9003']);

describe('shared server state', () => {
  it('numbers servers in configuration order across backends', () => {
    expect(serverSlots(cfg()).map((r) => `${r.slot}:${r.backend}/${r.server}`)).toEqual(['0:be/s1', '1:be/s2', '2:other/o1']);
  });

  it('starts from the configuration: weights, disabled = maint, every server up, checked ones INI at health rise', () => {
    const st = new ServerState(createServerState(cfg()));
    expect([st.admin(0), st.oper(0), st.weight(0), st.get(0, SW.checkStatus), st.get(0, SW.checkHealth)]).toEqual(['ready', 'up', 3, 1, 2]);
    expect([st.admin(1), st.oper(1), st.weight(1), st.get(1, SW.checkStatus)]).toEqual(['maint', 'up', 1, 0]);
  });

  it('bumps the version only when admin, oper or weight really change', () => {
    const st = new ServerState(createServerState(cfg()));
    const v0 = st.version();
    expect(st.setAdmin(0, 'ready')).toBe(false);
    expect(st.version()).toBe(v0);
    expect(st.setAdmin(0, 'drain')).toBe(true);
    expect(st.setOper(2, 'down')).toBe(true);
    expect(st.setWeight(0, 7)).toBe(true);
    expect(st.version()).toBe(v0 + 3);
    expect([st.admin(0), st.oper(2), st.weight(0)]).toEqual(['drain', 'down', 7]);
  });

  it('counts sessions from several threads: scur, smax and stot add up', async () => {
    const sab = createServerState(cfg());
    const code = `
      const { workerData } = require('node:worker_threads');
      const i32 = new Int32Array(workerData);
      const base = 4 + 16 * 2;
      for (let i = 0; i < 1000; i++) { Atomics.add(i32, base + ${SW.scur}, 1); Atomics.add(i32, base + ${SW.stot}, 1); Atomics.sub(i32, base + ${SW.scur}, 1); }
    `;
    const st = new ServerState(sab);
    st.onTake(2);
    st.onTake(2);
    await Promise.all([0, 1].map(() => new Promise((r) => new Worker(code, { eval: true, workerData: sab }).once('exit', r))));
    st.onRelease(2);
    expect([st.get(2, SW.scur), st.get(2, SW.smax), st.get(2, SW.stot)]).toEqual([1, 2, 2002]);
  });
});
