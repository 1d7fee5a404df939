/**
 * `flightbox cli [-S <path>] <commands...>`: sends runtime commands to a running flightbox over
 * its runtime socket and prints the answer verbatim, like
 * `echo 'show info; show pools' | socat stdio UNIX-CONNECT:/tmp/flightbox.sock`.
 */
import type { Command } from 'commander';
import { DEFAULT_CLIENT_TIMEOUT_MS, defaultSocketPath, runCommands } from '../runtime-client.ts';

/**
 * Adds the `cli` command to `program`. The command words are joined with spaces into one line
 * (quote `;` for the shell: `flightbox cli 'show info; show pools'`); the response is written to
 * stdout unchanged and the exit status is 0. On failure the error goes to stderr and the exit
 * status is 1. The socket is `-S/--socket`, else `$FLIGHTBOX_SOCKET`, else /tmp/flightbox.sock.
 */
export function register(program: Command): void {
  program
    .command('cli')
    .description("send runtime commands (HAProxy stats socket syntax, ';'-separated) to a running flightbox")
    .option('-S, --socket <path>', 'runtime socket path ($FLIGHTBOX_SOCKET, else /tmp/flightbox.sock)')
    .option('-t, --timeout <ms>', 'give up after this many milliseconds', String(DEFAULT_CLIENT_TIMEOUT_MS))
    .argument('<commands...>', "commands, e.g. 'show info; show pools'")
    .action(async (commands: string[], opts: { socket?: string; timeout: string }) => {
      const socketPath = opts.socket ?? defaultSocketPath();
      const timeoutMs = Number(opts.timeout);
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
        process.stderr.write(`flightbox cli: --timeout must be a positive number of milliseconds (got '${opts.timeout}')\n`);
        process.exitCode = 1;
        return;
      }
      try {
        const out = await runCommands(socketPath, commands.join(' '), { timeoutMs });
        process.stdout.write(out);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        process.stderr.write(`flightbox cli: ${msg}\n`);
        process.exitCode = 1;
      }
    });
}
