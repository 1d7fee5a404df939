/**
 * Runtime commands served by the supervisor (HAProxy's management.txt names and levels where HAProxy
 * has the command). Everything is read from the workers' shared recorder memory through the same
 * renderers that `flightbox show --snapshot` uses, so a live answer and a snapshot look alike.
 */
import type { Registry } from '../runtime/runtime.types.ts';
import { CommandError } from '../runtime/registry.ts';
import type { Supervisor } from './supervisor.ts';
import { renderShowInfo } from '../../diag/render/info.ts';
import { renderShowThreads } from '../../diag/render/threads.ts';
import { renderShowSess, renderShowConns } from '../../diag/render/sess.ts';
import { renderShowEvents, renderShowTrace, parseShowEventsArgs } from '../../diag/render/events.ts';
import { RenderError, createEventsCursor } from '../../diag/views.ts';
import { renderShowPools } from '../../diag/render/pools.ts';
import { DEBUG_DEV_USAGE } from '../worker/debug-dev.ts';
import { registerBackendCommands } from './backend-commands.ts';
import { registerStickCommands } from '../stick/runtime.ts';
import { registerPeersCommands } from '../peers/runtime.ts';
import { findFaultSite } from '../../diag/fault-sites.ts';
import { registerQuicCommands, showSessQuicDetail } from '../quic/show-cli.ts';

/** Removes the trailing newline: the runtime server ends every response itself. */
const out = (s: string) => s.replace(/\n+$/, '');

/** Renders, turning a renderer's complaint about its arguments into a message for the operator. */
function userErrors(render: () => string): string {
  try {
    return out(render());
  } catch (e) {
    if (e instanceof RenderError) throw new CommandError(e.message);
    throw e;
  }
}

/** Registers the supervisor's commands into `reg`. */
export function registerSupervisorCommands(reg: Registry, sup: Supervisor): void {
  registerBackendCommands(reg, sup);
  registerStickCommands(reg, sup.stickTables);
  registerPeersCommands(reg, sup.peers);
  registerQuicCommands(reg, sup);
  reg.register({
    words: ['show', 'info'],
    level: 'user',
    usage: 'show info',
    help: 'report information about the running process',
    handler: () => userErrors(() => renderShowInfo(sup.source())),
  });
  reg.register({
    words: ['show', 'threads'],
    level: 'user',
    usage: 'show threads',
    help: 'show some threads debugging information',
    handler: () => userErrors(() => renderShowThreads(sup.source())),
  });
  reg.register({
    words: ['show', 'pools'],
    level: 'user',
    usage: 'show pools [byname|bysize|byusage] [detailed] [match <pfx>] [<nb>]',
    help: 'report information about the memory pools usage',
    handler: (args) => userErrors(() => renderShowPools(sup.source().pools(), args)),
  });
  reg.register({
    words: ['show', 'sess'],
    level: 'operator',
    usage: 'show sess [all|<id>]',
    help: 'report the list of current streams or dump this exact stream',
    handler: async (args) => {
      const src = sup.source();
      const text = userErrors(() => renderShowSess(src, args));
      // A QUIC connection or an HTTP/3 stream: its live QUIC state from the worker that owns it.
      const quic = await showSessQuicDetail(sup, src.objects(true), args);
      return quic.length > 0 ? `${text}\n${quic.join('\n')}` : text;
    },
  });
  reg.register({
    words: ['show', 'conns'],
    level: 'operator',
    usage: 'show conns [all]',
    help: 'report the list of current client connections',
    handler: (args) => userErrors(() => renderShowConns(sup.source(), args)),
  });
  reg.register({
    words: ['show', 'trace'],
    level: 'user',
    usage: 'show trace [<module>]',
    help: 'show live tracing state',
    handler: (args) => userErrors(() => renderShowTrace(sup.source().traceStatus(), args)),
  });
  reg.register({
    words: ['trace'],
    level: 'operator',
    usage: 'trace [<module>|0] [cmd [args...]]',
    help: 'manage live tracing (empty to list, 0 to stop all)',
    handler: (args) => {
      const r = sup.control.command(args);
      if (!r.ok) throw new CommandError(r.message);
      return out(r.message);
    },
  });
  reg.register({
    words: ['show', 'events'],
    level: 'operator',
    usage: 'show events [<sink>] [-w] [-n]',
    help: 'show event sink state',
    handler: async (args, ctx) => {
      const ring = args[0] ?? '';
      const text = userErrors(() => renderShowEvents(sup.source(), args));
      if (!parseShowEventsArgs(args).wait || !sup.source().ringNames().includes(ring)) return out(text);
      // -w: keep following the ring until the client goes away (HAProxy's 'show events <sink> -w').
      await ctx.write(text);
      const cursor = createEventsCursor(sup.source(), ring);
      while (!ctx.closed.aborted) {
        await new Promise((r) => setTimeout(r, 100));
        const lines = cursor.next();
        if (lines.length > 0) await ctx.write(lines.join('\n') + '\n');
      }
      return '';
    },
  });
  reg.register({
    words: ['snapshot'],
    level: 'admin',
    usage: 'snapshot',
    help: 'write a snapshot of every thread now and print its path',
    handler: () => {
      const path = sup.writeSnapshotSafe('on-demand', undefined);
      if (!path) throw new CommandError('snapshot failed (see the process log)');
      return `snapshot written to ${path}`;
    },
  });
  reg.register({
    words: ['debug', 'dev'],
    level: 'admin',
    expert: true,
    usage: 'debug dev <panic|bug|warn|check|loop <ms>|exit [<code>]|oom|fault [<site> [on|off|<n>]]|snapshot> [thread <n>]',
    help: 'break things on purpose (expert mode)',
    handler: async (args) => {
      let thread = 1;
      const at = args.indexOf('thread');
      if (at >= 0) {
        thread = Number(args[at + 1]);
        if (!Number.isInteger(thread) || thread < 1 || thread > sup.nbthread)
          throw new CommandError(`debug dev: 'thread' expects a worker number 1..${sup.nbthread}`);
        args = args.slice(0, at);
      }
      if (args.length === 0) return DEBUG_DEV_USAGE;
      if (args[0] === 'snapshot') {
        const path = sup.writeSnapshotSafe('on-demand', undefined);
        if (!path) throw new CommandError('snapshot failed (see the process log)');
        return `snapshot written to ${path}`;
      }
      // The peers run in the supervisor: their fault sites are armed here, not in a worker.
      if (args[0] === 'fault' && args[1]?.startsWith('peers.') && findFaultSite(args[1])) return armSupervisorFault(args[1], args[2]);
      const r = await sup.debugOnWorker(thread, args);
      if (!r.ok) throw new CommandError(r.text);
      return out(r.text);
    },
  });
}

/** `debug dev fault <site> [on|off|<count>]` for a site that lives in the supervisor (peers.*). */
function armSupervisorFault(name: string, how: string | undefined): string {
  const site = findFaultSite(name)!;
  if (how === 'off') {
    site.disarm();
    return `fault site ${name} disarmed (supervisor)`;
  }
  const count = how === undefined || how === 'on' ? 1 : Number(how);
  if (!Number.isInteger(count) || count < 1) throw new CommandError('debug dev fault: expects on, off or a positive count');
  site.arm(count);
  return `fault site ${name} armed for ${count} hit${count > 1 ? 's' : ''} (supervisor)`;
}
