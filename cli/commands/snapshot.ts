/**
 * `flightbox snapshot -S <socket> [-o <file>]`: ask a live process for a snapshot of every thread
 * now (runtime command `snapshot`, admin level) and, with -o, copy it to <file>.
 */
import type { Command } from 'commander';
import { copyFileSync } from 'node:fs';
import { runCommands } from '../runtime-client.ts';

/** Registers `snapshot`. */
export function register(program: Command): void {
  program
    .command('snapshot')
    .description('take a snapshot of a live process now (needs an admin-level socket)')
    .option('-S, --socket <path>', 'runtime socket (default $FLIGHTBOX_SOCKET or /tmp/flightbox.sock)')
    .option('-o, --output <file>', 'copy the snapshot to this file')
    .action(async (opts: { socket?: string; output?: string }) => {
      const socket = opts.socket ?? process.env.FLIGHTBOX_SOCKET ?? '/tmp/flightbox.sock';
      try {
        const answer = (await runCommands(socket, 'snapshot')).trim();
        const m = /^snapshot written to (.+)$/m.exec(answer);
        if (!m) throw new Error(answer || 'no answer from the process');
        if (opts.output) {
          copyFileSync(m[1], opts.output);
          process.stdout.write(`${opts.output}\n`);
        } else process.stdout.write(`${m[1]}\n`);
      } catch (e) {
        process.stderr.write(`flightbox snapshot: ${(e as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
