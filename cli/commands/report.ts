/**
 * `flightbox report <snapshot> [-o <dir>] [--redact <regex>]... [--max-kb <n>] [--maps <dir...>]`:
 * writes a bug-report bundle (diag/report/bundle.ts): a GitHub-flavoured Markdown report and a
 * redacted copy of the snapshot, then prints what to attach.
 *
 * Exit status: 0 when both files were written; 1 for a usage error (invalid --redact pattern or
 * --max-kb); 2 when the snapshot cannot be read or is damaged beyond use; 3 when the final
 * redaction check found a secret (nothing is written) or the files cannot be written.
 */
import type { Command } from 'commander';
import { SnapshotFormatError } from '../../diag/snapshot/container.ts';
import { RedactionLeakError, writeReportBundle } from '../../diag/report/bundle.ts';
import { parseRedactPattern } from '../../diag/report/policy.ts';

/** Options of `report`, as commander gives them. */
export interface ReportOptions {
  output?: string;
  redact?: string[];
  maxKb?: string;
  maps?: string[];
}

/** Where `runReport` writes. */
export interface ReportIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Environment whose values referenced by the configuration are redacted (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

const HELP = `
What is removed, in every section of the snapshot (compressed ones included) and in the Markdown:
  values of Authorization, Proxy-Authorization, Cookie, Set-Cookie and of the snapshot's
  redact-header names; values of its redact-query parameters and URL credentials; passwords, keys
  and credentials in the configuration (userlist passwords, stats auth, PEM private keys, ...);
  every match of --redact; the values of environment variables the configuration references
  ("\${NAME}") when they are set where the report runs.

--redact takes a JavaScript regular expression, bare or as /source/flags; repeat it for more:
  flightbox report snap.fbsnap --redact 'tok_live_[0-9a-f]+' --redact '/x-secret=\\w+/i'

Exit status:
  0  written (the paths and what to attach are printed)
  1  usage error (invalid --redact pattern or --max-kb)
  2  the snapshot cannot be read, is not a snapshot, or is damaged beyond use
  3  the redaction check found a secret in the output (nothing written), or writing failed
`;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Runs `report` on `file` and returns the exit status (see the module comment). */
export function runReport(file: string, opts: ReportOptions, io: ReportIO): number {
  let maxBytes: number | undefined;
  if (opts.maxKb !== undefined) {
    const kb = Number(opts.maxKb);
    if (!Number.isFinite(kb) || kb < 4) {
      io.err(`flightbox report: invalid --max-kb '${opts.maxKb}': give a size in KB of at least 4 (default 60)\n`);
      return 1;
    }
    maxBytes = Math.floor(kb * 1024);
  }
  try {
    for (const p of opts.redact ?? []) parseRedactPattern(p);
  } catch (e) {
    io.err(`flightbox report: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const b = writeReportBundle(file, {
      outDir: opts.output ?? '.',
      patterns: opts.redact,
      maxBytes,
      env: io.env ?? process.env,
      mapsDirs: opts.maps,
    });
    const lines = [
      `report written: ${b.markdownPath} (${b.markdownBytes} bytes)`,
      `redacted snapshot written: ${b.snapshotPath} (${b.snapshotBytes} bytes; flightbox decode reads it)`,
      ...b.redactionNotes,
    ];
    if (b.cuts.length > 0) lines.push(`shortened to fit: ${b.cuts.join(', ')}`);
    if (b.emptied.length > 0) lines.push(`left empty (could not be decoded): ${b.emptied.join('; ')}`);
    lines.push('', 'Attach to the issue:', ...b.attach.map((a, i) => `  ${i + 1}. ${a}`));
    io.out(lines.join('\n') + '\n');
    return 0;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    if (e instanceof SnapshotFormatError) {
      io.err(`flightbox report: ${file}: ${msg}\n`);
      return 2;
    }
    if (e instanceof RedactionLeakError) {
      io.err(`flightbox report: ${msg}\n`);
      return 3;
    }
    if ((e as NodeJS.ErrnoException).path === file) {
      io.err(`flightbox report: ${file}: cannot read the file: ${msg}\n`);
      return 2;
    }
    io.err(`flightbox report: ${msg}\n`);
    return 3;
  }
}

/** Registers `report` on the `flightbox` program. */
export function register(program: Command): void {
  program
    .command('report')
    .description('write a bug report (Markdown) and a redacted copy of a snapshot, ready to attach to an issue')
    .argument('<snapshot>', 'snapshot file (.fbsnap)')
    .option('-o, --output <dir>', 'directory for the two files (default: the current directory)')
    .option('--redact <regex>', 'also remove every match of this regular expression (repeatable)', collect)
    .option('--max-kb <n>', 'size budget of the Markdown in KB (default 60)')
    .option('--maps <dir...>', 'dist directories (or checkouts holding dist/) of the build that wrote the snapshot')
    .addHelpText('after', HELP)
    .action((file: string, opts: ReportOptions) => {
      process.exitCode = runReport(file, opts, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    });
}
