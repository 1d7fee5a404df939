/**
 * `flightbox tui <snapshot> [--maps <dir...>]`: the interactive terminal UI over a snapshot, and
 * `flightbox tui -S <socket> [--interval <ms>]`: the same views over a running process, polled
 * through its runtime socket (cli/tui/). The UI is loaded on demand, so the other commands do not
 * load ink and React.
 *
 * Exit status: 0 after quitting; 1 when the UI failed, the terminal is not interactive or the
 * arguments are wrong; 2 when the file cannot be read, is not a snapshot, or is damaged beyond use.
 */
import type { Command } from 'commander';

/** Registers `tui`. */
export function register(program: Command): void {
  program
    .command('tui')
    .description('explore a snapshot, or a running process (-S), in an interactive terminal UI (views: overview, call chain, timeline, pools, sessions, threads)')
    .argument('[snapshot]', 'snapshot file (.fbsnap)')
    .option('-S, --socket <path>', 'live mode: poll the runtime socket of a running flightbox (S takes a snapshot and opens it)')
    .option('--interval <ms>', 'live mode: time between polls in milliseconds (at most 2 requests a second whatever it says)', '1000')
    .option('--maps <dir...>', 'dist directories (or checkouts holding dist/) of the build that wrote the snapshot')
    .action(async (file: string | undefined, opts: { maps?: string[]; socket?: string; interval: string }) => {
      if ((file === undefined) === (opts.socket === undefined)) {
        process.stderr.write('flightbox tui: give either a snapshot file or -S <runtime socket> (live mode), not both or neither\n');
        process.exitCode = 1;
        return;
      }
      const intervalMs = Number(opts.interval);
      if (!Number.isFinite(intervalMs) || intervalMs < 100) {
        process.stderr.write(`flightbox tui: --interval '${opts.interval}' is not a number of milliseconds of at least 100\n`);
        process.exitCode = 1;
        return;
      }
      let run: typeof import('../tui/run.ts');
      try {
        run = await import('../tui/run.ts');
      } catch (e) {
        // Node strips types from .ts but cannot load the .tsx views: the UI runs compiled.
        if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
        process.stderr.write('flightbox tui: the terminal UI runs from the build (Node cannot load .tsx sources): run `npm run build`, then `node dist/cli/main.js tui <snapshot>`\n');
        process.exitCode = 1;
        return;
      }
      process.exitCode = opts.socket !== undefined ? await run.runTuiLive(opts.socket, { maps: opts.maps, intervalMs }) : await run.runTui(file!, { maps: opts.maps });
    });
}
