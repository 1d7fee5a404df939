import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../../proxy/runtime/registry.ts';
import type { CommandContext } from '../../../proxy/runtime/runtime.types.ts';
import { registerBackendCommands } from '../../../proxy/supervisor/backend-commands.ts';
import { states } from '../checks/helpers.ts';

function setup() {
  const { st, log } = states(['backend be', '    server s1 127.0.0.1:9001 check', '    server s2 127.0.0.1:9002 weight 2', 'backend static', '    balance source', '    server a 127.0.0.1:9003 weight 10']);
  const reg = createRegistry({ builtins: false });
  registerBackendCommands(reg, { backends: st, config: { frontends: [] }, info: () => ({ currConns: 0, cumConns: 0 }) });
  const cli = async (line: string): Promise<string> => {
    const m = reg.lookup(line.split(' '));
    if (!m) throw new Error(`no command for ${line}`);
    try {
      return await m.command.handler(m.args, {} as CommandContext);
    } catch (e) {
      return `ERR ${(e as Error).message}`;
    }
  };
  return { st, log, cli, reg };
}

describe('backend runtime commands', () => {
  it('set server state maint/drain/ready changes the shared admin state and logs like HAProxy', async () => {
    const { st, log, cli } = setup();
    expect(await cli('set server be/s1 state maint')).toBe('');
    expect(st.state.admin(0)).toBe('maint');
    expect(log.at(-1)).toMatch(/^\[WARNING\] {2}\(\d+\) : Server be\/s1 is going DOWN for maintenance\. 1 active and 0 backup servers left\./);
    expect(await cli('set server be/s1 state drain')).toBe('');
    expect(st.state.admin(0)).toBe('drain');
    expect(await cli('enable server be/s1')).toBe('');
    expect(st.state.admin(0)).toBe('ready');
    expect(await cli('disable server be/s2')).toBe('');
    expect(st.state.admin(1)).toBe('maint');
  });

  it("answers with HAProxy's errors", async () => {
    const { cli } = setup();
    expect(await cli('set server nope/s1 state maint')).toBe('ERR No such backend.');
    expect(await cli('set server be/nope state maint')).toBe('ERR No such server.');
    expect(await cli('set server be state maint')).toBe("ERR Require 'backend/server'.");
    expect(await cli('set server be/s1 state up')).toBe("ERR 'set server <srv> state' expects 'ready', 'drain' and 'maint'.");
    expect(await cli('set server be/s1 weight 300')).toBe('ERR Absolute weight can only be between 0 and 256 inclusive.');
    expect(await cli('set server static/a weight 5')).toBe("ERR Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.");
    expect(await cli('show servers state nope')).toBe("ERR Can't find backend.");
  });

  it('set server weight and set weight accept absolute and relative weights', async () => {
    const { st, cli } = setup();
    await cli('set server be/s2 weight 50%');
    expect(st.state.weight(1)).toBe(1);
    await cli('set weight be/s2 7');
    expect(st.state.weight(1)).toBe(7);
    expect(await cli('get weight be/s2')).toBe('7 (initial 2)');
    await cli('set server static/a weight 0%');
    expect(st.state.weight(2)).toBe(0);
  });

  it('show servers state prints format 1 with one line per server', async () => {
    const { cli } = setup();
    await cli('set server be/s2 state drain');
    const lines = (await cli('show servers state be')).split('\n');
    expect(lines[0]).toBe('1');
    expect(lines[1]!.startsWith('# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status')).toBe(true);
    expect(lines.slice(2).map((l) => l.split(' ').slice(0, 9).join(' '))).toEqual(['2 be 1 s1 127.0.0.1 2 0 1 1', '2 be 2 s2 127.0.0.1 2 8 2 2']);
    expect(lines[2]!.split(' ').slice(10, 14)).toEqual(['1', '0', '2', '6']); // INI, no result yet, health = rise, check enabled
    expect((await cli('show servers state')).split('\n')).toHaveLength(5);
  });

  it('show backend lists the backends', async () => {
    const { cli } = setup();
    expect(await cli('show backend')).toBe('# name\nbe\nstatic');
  });

  it('registers control commands at admin level and views at user level', () => {
    const { reg } = setup();
    const level = (w: string) => reg.lookup(w.split(' '))!.command.level;
    expect([level('set server'), level('set weight'), level('enable server'), level('disable server')]).toEqual(['admin', 'admin', 'admin', 'admin']);
    expect([level('show stat'), level('show servers state'), level('show backend')]).toEqual(['user', 'user', 'user']);
  });
});
