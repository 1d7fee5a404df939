/**
 * Runs `decode` as the flightbox CLI would, without the rest of the CLI: a commander program with
 * only cli/commands/decode.ts registered. Used by test/cli/decode.test.ts as a real process:
 *   node test/cli/run-decode.ts decode <file> [options]
 */
import { Command } from 'commander';
import { register } from '../../cli/commands/decode.ts';

const program = new Command('flightbox').exitOverride((e) => process.exit(e.exitCode));
register(program);
program.parse(process.argv);
