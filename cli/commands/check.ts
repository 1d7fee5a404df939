/**
 * `flightbox check [-f <file>...]`: checks configuration files like `haproxy -c`. Every alert and
 * warning is printed on stderr; a valid configuration prints `Configuration file is valid` on
 * stdout and exits 0, an invalid one exits 1. Without `-f` the embedded default is checked.
 */
import type { Command } from 'commander';
import type { ParseResult } from '../../proxy/config/config.types.ts';
import { checkEngineSupport } from '../../proxy/config/engine-support.ts';
import { DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_TEXT } from '../../proxy/config/default-config.ts';
import { parseConfigFiles, parseConfigText } from '../../proxy/config/parser.ts';

/** Line printed on stdout for a valid configuration (HAProxy's wording). */
export const CONFIG_VALID_MESSAGE = 'Configuration file is valid';

/** Last line printed on stderr for an invalid configuration (HAProxy's wording). */
export const CONFIG_FATAL_MESSAGE = '[ALERT] config : Fatal errors found in configuration.';

/** Result of {@link checkConfig}: `output` holds the stderr lines (warnings, alerts, fatal line). */
export interface CheckResult {
  ok: boolean;
  output: string[];
  result: ParseResult;
}

/**
 * Parses `paths` (or the embedded default when empty) and returns whether it is valid with the
 * diagnostic lines to print on stderr (warnings and alerts in the order raised, as HAProxy, then
 * {@link CONFIG_FATAL_MESSAGE} when invalid). On success the caller prints {@link CONFIG_VALID_MESSAGE}.
 * `env` and `cwd` default to the process's; `localPeer` is `-L <name>` (this instance's peer name).
 */
export function checkConfig(
  paths: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; localPeer?: string } = {},
): CheckResult {
  const parseOpts = { env: opts.env ?? process.env, cwd: opts.cwd ?? process.cwd(), localPeer: opts.localPeer };
  const result =
    paths.length === 0 ? parseConfigText(DEFAULT_CONFIG_NAME, DEFAULT_CONFIG_TEXT, parseOpts) : parseConfigFiles(paths, parseOpts);
  // Features the language accepts but this build's proxy does not implement yet are alerts too.
  if (result.config) {
    const unsupported = checkEngineSupport(result.config);
    result.alerts.push(...unsupported);
    result.diagnostics.push(...unsupported);
  }
  const ok = result.alerts.length === 0;
  const output = result.diagnostics.map((a) => a.formatted);
  if (!ok) output.push(CONFIG_FATAL_MESSAGE);
  return { ok, output, result };
}

/** Stream pair {@link runCheck} writes to. */
export interface CheckIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** Runs a check and prints like `haproxy -c`; returns the exit code (0 valid, 1 invalid). `localPeer` is `-L`. */
export function runCheck(paths: string[], io: CheckIO = { stdout: process.stdout, stderr: process.stderr }, localPeer?: string): number {
  const { ok, output } = checkConfig(paths, { localPeer });
  for (const l of output) io.stderr.write(`${l}\n`);
  if (ok) io.stdout.write(`${CONFIG_VALID_MESSAGE}\n`);
  return ok ? 0 : 1;
}

/** Adds the `check` command to the `flightbox` program. */
export function register(program: Command): void {
  program
    .command('check')
    .description('check configuration files like haproxy -c: print every alert and warning, exit 0 when valid, 1 when not')
    .option('-f, --file <file...>', 'configuration file or directory of *.cfg files (repeatable, read in order); default: the embedded configuration')
    .option('-L, --local-peer <name>', "this instance's peer name in 'peers' sections (like haproxy -L; default: 'localpeer' or the host name)")
    .action((opts: { file?: string[]; localPeer?: string }) => {
      process.exitCode = runCheck(opts.file ?? [], undefined, opts.localPeer);
    });
}
