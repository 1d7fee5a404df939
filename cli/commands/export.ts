/**
 * `flightbox export <snapshot> --format perfetto|qlog [-o <file>]`: exports a snapshot to the
 * viewers people already use.
 *
 * - `perfetto`: Chrome Trace Event JSON (diag/export/perfetto.ts) for ui.perfetto.dev and
 *   chrome://tracing: a track per thread, connection and stream lifetimes, trace records as
 *   instants, flows stream -> connection -> server connection.
 * - `qlog`: qlog JSON-SEQ (qlog_version 0.3) of the snapshot's QUIC connections with the standard
 *   QUIC / recovery / security / HTTP/3 event names (diag/export/qlog.ts); a snapshot without any
 *   says so and exits 0; records that could not be tied to one connection are counted on stderr.
 *
 * Output goes to `-o <file>` (then a one-line summary on stdout) or to stdout. Exit status: 0
 * exported (or nothing to export); 2 with a one-line reason naming the file when the format is
 * missing or unknown, the snapshot cannot be read, is not a snapshot, is damaged beyond use, or the
 * output cannot be written.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SnapshotFormatError } from '../../diag/snapshot/container.ts';
import { readSnapshotFile } from '../../diag/snapshot/read.ts';
import type { DecodedSnapshot } from '../../diag/snapshot/model.types.ts';
import { exportPerfetto } from '../../diag/export/perfetto.ts';
import { exportQlog } from '../../diag/export/qlog.ts';
import { matchKnownIssue } from '../../diag/signatures.ts';

/** Formats `export` writes. */
export const EXPORT_FORMATS = ['perfetto', 'qlog'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Options of `export`, as commander gives them. */
export interface ExportOptions {
  format?: string;
  output?: string;
}

/** Where `runExport` writes (stdout, stderr). */
export interface ExportIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

const oneLine = (s: string) => s.split('\n')[0].trim();

/** Reads the snapshot; on failure reports through `io.err` and returns undefined. */
function load(file: string, io: ExportIO): DecodedSnapshot | undefined {
  let d: DecodedSnapshot;
  try {
    d = readSnapshotFile(file);
  } catch (e) {
    const why = e instanceof SnapshotFormatError ? oneLine(e.message) : `cannot read the file: ${oneLine((e as Error).message)}`;
    io.err(`flightbox export: ${file}: ${why}\n`);
    return undefined;
  }
  if (d.unusable) {
    io.err(`flightbox export: ${file}: snapshot damaged beyond use: neither its META nor its FAULT section can be read\n`);
    return undefined;
  }
  if (!d.complete) io.err(`warning: ${file} decoded partially (${d.problems.length} problem(s)); exporting what could be read\n`);
  return d;
}

/** Writes `text` to `-o` or stdout; false (and a message) when the file cannot be written. */
function emit(text: string, opts: ExportOptions, io: ExportIO): boolean {
  if (opts.output === undefined) {
    io.out(text);
    return true;
  }
  try {
    writeFileSync(opts.output, text);
    return true;
  } catch (e) {
    io.err(`flightbox export: ${opts.output}: cannot write the output: ${oneLine((e as Error).message)}\n`);
    return false;
  }
}

/** Runs `export` on `file` and returns the exit status (see the module comment). */
export function runExport(file: string, opts: ExportOptions, io: ExportIO): number {
  if (opts.format === undefined) {
    io.err(`flightbox export: ${file}: no --format given: expected one of ${EXPORT_FORMATS.join(', ')}\n`);
    return 2;
  }
  if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) {
    io.err(`flightbox export: ${file}: unknown format '${opts.format}': expected one of ${EXPORT_FORMATS.join(', ')}\n`);
    return 2;
  }
  const d = load(file, io);
  if (!d) return 2;
  if (opts.format === 'qlog') {
    const q = exportQlog(d);
    if (q.connections === 0) {
      io.out(`${file}: the snapshot has no QUIC connection: nothing to export as qlog\n`);
      return 0;
    }
    if (!emit(q.text, opts, io)) return 2;
    if (opts.output !== undefined) io.out(`wrote ${opts.output}: qlog JSON-SEQ, ${q.connections} QUIC connection(s), ${q.records} records (open it in qvis)\n`);
    if (q.unattributed > 0) io.err(`note: ${q.unattributed} quic/tls13 record(s) without a connection id could not be given to a connection (a snapshot of an older build, several QUIC connections alive at once) and were left out\n`);
    return 0;
  }
  const ki = matchKnownIssue(d);
  const doc = exportPerfetto(d, { knownIssue: ki });
  if (!emit(JSON.stringify(doc) + '\n', opts, io)) return 2;
  if (opts.output !== undefined) {
    const n = (ph: string) => doc.traceEvents.filter((e) => e.ph === ph).length;
    const tracks = doc.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').length;
    io.out(
      `wrote ${opts.output}: Chrome Trace Event JSON, ${tracks} thread track(s), ${n('b')} lifetime(s), ${n('i')} instant(s), ${n('s')} flow(s); ` +
        `fingerprint ${ki.fingerprint}; open it in https://ui.perfetto.dev or chrome://tracing\n`,
    );
  }
  return 0;
}

/** Registers `export` on the `flightbox` program. */
export function register(program: Command): void {
  program
    .command('export')
    .description('export a snapshot for Perfetto / chrome://tracing (perfetto) or qvis (qlog)')
    .argument('<snapshot>', 'snapshot file (.fbsnap)')
    .option('--format <format>', `output format: ${EXPORT_FORMATS.join(' or ')}`)
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      '\nExit status: 0 exported (or, for qlog, the snapshot has no QUIC connection); 2 the format is missing or unknown,\n' +
        'the snapshot cannot be read, is not a snapshot or is damaged beyond use, or the output cannot be written.\n',
    )
    .action((file: string, opts: ExportOptions) => {
      process.exitCode = runExport(file, opts, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    });
}
