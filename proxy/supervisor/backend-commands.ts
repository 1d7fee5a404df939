/**
 * Runtime commands that show and control backends and servers (management.txt 9.3), answered by
 * the supervisor from the process-wide server state that every worker follows:
 * `show stat`, `show servers state [<backend>]`, `show backend`, `set server <b>/<s> state
 * ready|drain|maint`, `set server <b>/<s> weight <w>[%]`, `set weight <b>/<s> <w>[%]`,
 * `enable server <b>/<s>`, `disable server <b>/<s>`, `get weight <b>/<s>`. Levels and error
 * messages are HAProxy's.
 */
import type { Registry } from '../runtime/runtime.types.ts';
import { CommandError } from '../runtime/registry.ts';
import type { FrontendConfig } from '../config/config.types.ts';
import { LbError } from '../lb/server.ts';
import { CHECK_STATUS, SW } from '../stream/server-state.ts';
import type { BackendStates, ServerEntry } from './backend-state.ts';
import { frontendFigures, renderStatCsv, statRows } from './stat-csv.ts';

/** What the commands need from the supervisor. */
export interface BackendCommandHost {
  readonly backends: BackendStates;
  readonly config: { readonly frontends: readonly FrontendConfig[] };
}

/** HAProxy's HCHK_STATUS_* numbers for `show servers state` (include/haproxy/check-t.h). */
const HCHK: Record<string, number> = { '': 0, INI: 1, SOCKERR: 4, L4OK: 5, L4TOUT: 6, L4CON: 7, L7TOUT: 11, L7RSP: 12, L7OK: 13, L7STS: 15 };

/**
 * Resolves `<backend>/<server>` as HAProxy's cli_find_server(): "Require 'backend/server'.",
 * "No such backend.", "No such server.".
 */
export function findServer(states: BackendStates, arg: string | undefined): ServerEntry {
  const slash = arg?.indexOf('/') ?? -1;
  if (!arg || slash < 0) throw new CommandError("Require 'backend/server'.");
  const be = states.backend(arg.slice(0, slash));
  if (!be) throw new CommandError('No such backend.');
  const name = arg.slice(slash + 1);
  const s = be.servers.find((x) => x.cfg.name === name || `#${x.model.id}` === name);
  if (!s) throw new CommandError('No such server.');
  return s;
}

/** The `show servers state` text (format version 1) for one backend or all. */
export function renderServersState(states: BackendStates, only?: string): string {
  const bes = only === undefined ? states.backends : states.backends.filter((b) => b.cfg.name === only);
  if (only !== undefined && bes.length === 0) throw new CommandError("Can't find backend.");
  const lines = [
    '1',
    '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port',
  ];
  const nowSec = Math.floor(Date.now() / 1000);
  for (const be of bes) {
    for (const s of be.servers) {
      const st = states.state;
      const status = CHECK_STATUS[st.get(s.slot, SW.checkStatus)]?.code ?? '';
      const result = !s.cfg.check || status === '' || status === 'INI' ? 0 : status === 'L4OK' || status === 'L7OK' ? 3 : 2;
      const admin = s.model.admin === 'maint' ? 1 : s.model.admin === 'drain' ? 8 : 0;
      lines.push(
        [
          be.iid, be.cfg.name, s.model.id, s.cfg.name, s.cfg.host,
          s.model.oper === 'up' ? 2 : 0, admin, s.model.weight, s.model.initialWeight,
          Math.max(0, nowSec - st.get(s.slot, SW.lastChange)),
          HCHK[status] ?? 0, result, s.cfg.check ? st.get(s.slot, SW.checkHealth) : 0, s.cfg.check ? 6 : 0, 0,
          0, 0, '-', s.cfg.port, '-', s.cfg.ssl ? 1 : 0, 0, '-', '-', 0,
        ].join(' '),
      );
    }
  }
  return lines.join('\n');
}

/** Registers the backend commands into `reg`. */
export function registerBackendCommands(reg: Registry, host: BackendCommandHost): void {
  const states = host.backends;
  // Each frontend's sessions, from the workers' traffic counters (proxy/stream/counters.ts).
  const figures = (fe: FrontendConfig) => frontendFigures(states.counters, host.config.frontends.indexOf(fe));
  reg.register({
    words: ['show', 'stat'],
    level: 'user',
    usage: 'show stat [<proxy>|-1] [<type> <sid>]',
    help: 'report counters for each proxy and server',
    handler: (args) => renderStatCsv(statRows(states, host.config.frontends, figures, args[0])).replace(/\n+$/, ''),
  });
  reg.register({
    words: ['show', 'servers', 'state'],
    level: 'user',
    usage: 'show servers state [<backend>]',
    help: 'dump volatile server information (all or for a single backend)',
    handler: (args) => renderServersState(states, args[0]),
  });
  reg.register({
    words: ['show', 'backend'],
    level: 'user',
    usage: 'show backend',
    help: 'list backends in the current running config',
    handler: () => ['# name', ...states.backends.map((b) => b.cfg.name)].join('\n'),
  });
  reg.register({
    words: ['set', 'server'],
    level: 'admin',
    usage: 'set server <bk>/<srv> [state ready|drain|maint|weight <w>[%]]',
    help: 'change a server\'s state or weight',
    handler: (args) => {
      const s = findServer(states, args[0]);
      const what = args[1];
      if (what === 'state') {
        const v = args[2];
        if (v !== 'ready' && v !== 'drain' && v !== 'maint') throw new CommandError("'set server <srv> state' expects 'ready', 'drain' and 'maint'.");
        states.setAdmin(s, v);
        return '';
      }
      if (what === 'weight') return setWeight(s, args[2]);
      throw new CommandError("'set server <srv>' only supports 'state' and 'weight'.");
    },
  });
  const setWeight = (s: ServerEntry, v: string | undefined): string => {
    if (v === undefined || v === '') throw new CommandError('Require <weight> or <weight%>.');
    try {
      states.setWeight(s, v);
    } catch (e) {
      if (e instanceof LbError) throw new CommandError(e.message);
      throw e;
    }
    return '';
  };
  reg.register({
    words: ['set', 'weight'],
    level: 'admin',
    usage: 'set weight <bk>/<srv> (<w>|<w>%)',
    help: 'change a server\'s weight (deprecated)',
    handler: (args) => setWeight(findServer(states, args[0]), args[1]),
  });
  reg.register({
    words: ['get', 'weight'],
    level: 'user',
    usage: 'get weight <bk>/<srv>',
    help: 'report a server\'s current weight',
    handler: (args) => {
      const s = findServer(states, args[0]);
      return `${s.model.weight} (initial ${s.model.initialWeight})`;
    },
  });
  reg.register({
    words: ['enable', 'server'],
    level: 'admin',
    usage: 'enable server (DEPRECATED)',
    help: 'enable a disabled server (use \'set server\' instead)',
    handler: (args) => {
      states.setAdmin(findServer(states, args[0]), 'ready');
      return '';
    },
  });
  reg.register({
    words: ['disable', 'server'],
    level: 'admin',
    usage: 'disable server (DEPRECATED)',
    help: 'disable a server for maintenance (use \'set server\' instead)',
    handler: (args) => {
      states.setAdmin(findServer(states, args[0]), 'maint');
      return '';
    },
  });
}
