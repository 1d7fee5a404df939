/**
 * `flightbox show <what> [args...] (-S <socket> | --snapshot <file>)`: the same output from a live
 * process (sent as `show <what> ...` over the runtime socket) or from a snapshot file (rendered
 * locally by the very renderers the runtime socket uses).
 */
import type { Command } from 'commander';
import { runCommands } from '../runtime-client.ts';
import { readSnapshotFile } from '../../diag/snapshot/read.ts';
import { createSnapshotSource } from '../../diag/views.ts';
import type { RecorderSource } from '../../diag/views.types.ts';
import { renderShowInfo } from '../../diag/render/info.ts';
import { renderShowThreads } from '../../diag/render/threads.ts';
import { renderShowSess, renderShowConns } from '../../diag/render/sess.ts';
import { renderShowPools } from '../../diag/render/pools.ts';
import { renderShowEvents, renderShowTrace } from '../../diag/render/events.ts';

/** What `show` can display, and how to render it from a snapshot. */
export const SHOW_TOPICS: Record<string, (src: RecorderSource, args: string[]) => string> = {
  pools: (src, args) => renderShowPools(src.pools(), args),
  sess: (src, args) => renderShowSess(src, args),
  conns: (src, args) => renderShowConns(src, args),
  trace: (src, args) => renderShowTrace(src.traceStatus(), args),
  events: (src, args) => renderShowEvents(src, args),
  threads: (src) => renderShowThreads(src),
  info: (src) => renderShowInfo(src),
};

/** Registers `show`. */
export function register(program: Command): void {
  program
    .command('show')
    .description(`show <${Object.keys(SHOW_TOPICS).join('|')}> [args...] from a live process or a snapshot`)
    .argument('<what>', Object.keys(SHOW_TOPICS).join('|'))
    .argument('[args...]', 'arguments, as for the runtime command (e.g. "show pools byusage 10")')
    .option('-S, --socket <path>', 'runtime socket of a live process (default $FLIGHTBOX_SOCKET or /tmp/flightbox.sock)')
    .option('--snapshot <file>', 'read a snapshot file instead of a live process')
    .action(async (what: string, args: string[], opts: { socket?: string; snapshot?: string }) => {
      const render = SHOW_TOPICS[what];
      if (!render) {
        process.stderr.write(`flightbox show: unknown topic '${what}' (expected ${Object.keys(SHOW_TOPICS).join(', ')})\n`);
        process.exitCode = 1;
        return;
      }
      if (opts.snapshot && opts.socket) {
        process.stderr.write('flightbox show: give either -S <socket> or --snapshot <file>, not both\n');
        process.exitCode = 1;
        return;
      }
      try {
        if (opts.snapshot) {
          const snap = readSnapshotFile(opts.snapshot);
          for (const p of snap.problems) process.stderr.write(`warning: ${p}\n`);
          process.stdout.write(render(createSnapshotSource(snap), args).replace(/\n*$/, '\n'));
        } else {
          const socket = opts.socket ?? process.env.FLIGHTBOX_SOCKET ?? '/tmp/flightbox.sock';
          process.stdout.write(await runCommands(socket, ['show', what, ...args].join(' ')));
        }
      } catch (e) {
        process.stderr.write(`flightbox show ${what}: ${(e as Error).message}\n`);
        process.exitCode = (e as { code?: string }).code === 'not-a-snapshot' || (e as { code?: string }).code === 'unknown-version' ? 2 : 1;
      }
    });
}
