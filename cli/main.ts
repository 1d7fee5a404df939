#!/usr/bin/env node
/**
 * The `flightbox` command. One file per subcommand under cli/commands/, each exporting
 * `register(program)`. HAProxy-style flags are accepted as written (`-dMtag,no-merge`), so argv is
 * normalised before commander sees it.
 */
import 'source-map-support/register.js';
import { Command } from 'commander';
import { currentBuild } from '../diag/build-info.ts';
import { register as registerRun } from './commands/run.ts';
import { register as registerCheck } from './commands/check.ts';
import { register as registerDecode } from './commands/decode.ts';
import { register as registerCli } from './commands/cli.ts';
import { register as registerShow } from './commands/show.ts';
import { register as registerSnapshot } from './commands/snapshot.ts';
import { register as registerReport } from './commands/report.ts';
import { register as registerTui } from './commands/tui.ts';
import { register as registerExport } from './commands/export.ts';

/**
 * Rewrites HAProxy-style flags commander cannot parse: `-dM<opts>` becomes `--dM=<opts>` (also
 * `-dM` alone), so `flightbox run -dMtag,no-merge` works as `haproxy -dMtag,no-merge` does.
 */
export function normaliseArgv(argv: string[]): string[] {
  return argv.map((a) => (a === '-dM' ? '--dM=' : a.startsWith('-dM') ? `--dM=${a.slice(3)}` : a));
}

const b = currentBuild();
const program = new Command('flightbox')
  .description('A reverse proxy in HAProxy\'s family with a built-in flight recorder')
  .version(`flightbox ${b.version} (build ${b.buildId})`, '-v, --version')
  .showHelpAfterError()
  .enablePositionalOptions();
registerRun(program);
registerCheck(program);
registerDecode(program);
registerCli(program);
registerShow(program);
registerSnapshot(program);
registerReport(program);
registerTui(program);
registerExport(program);

program.parseAsync(normaliseArgv(process.argv)).catch((e: Error) => {
  process.stderr.write(`flightbox: ${e.message}\n`);
  process.exit(1);
});
