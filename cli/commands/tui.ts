/**
 * `flightbox tui <snapshot> [--maps <dir...>]`: the interactive terminal UI over a snapshot
 * (cli/tui/). The UI is loaded on demand, so the other commands do not load ink and React.
 *
 * Exit status: 0 after quitting; 1 when the UI failed or the terminal is not interactive; 2 when
 * the file cannot be read, is not a snapshot, or is damaged beyond use.
 */
import type { Command } from 'commander';

/** Registers `tui`. */
export function register(program: Command): void {
  program
    .command('tui')
    .description('explore a snapshot in an interactive terminal UI (views: overview, call chain, timeline, pools, sessions, threads)')
    .argument('<snapshot>', 'snapshot file (.fbsnap)')
    .option('--maps <dir...>', 'dist directories (or checkouts holding dist/) of the build that wrote the snapshot')
    .action(async (file: string, opts: { maps?: string[] }) => {
      let runTui: typeof import('../tui/run.ts').runTui;
      try {
        ({ runTui } = await import('../tui/run.ts'));
      } catch (e) {
        // Node strips types from .ts but cannot load the .tsx views: the UI runs compiled.
        if ((e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
        process.stderr.write('flightbox tui: the terminal UI runs from the build (Node cannot load .tsx sources): run `npm run build`, then `node dist/cli/main.js tui <snapshot>`\n');
        process.exitCode = 1;
        return;
      }
      process.exitCode = await runTui(file, { maps: opts.maps });
    });
}
