/**
 * `flightbox decode <file> [--json] [--events <filter>] [--maps <dir...>]`: explains a snapshot
 * (diag/snapshot/explain.ts) as text or as the JSON document of docs/decode-json.md, with the known
 * issue whose signature fits and the crash's fingerprint (diag/signatures.ts).
 *
 * Exit status: 0 when the snapshot was decoded (a partial decode also prints a warning on stderr
 * naming the sections that could not be read); 1 for a usage error (bad --events filter); 2 with a
 * one-line reason when the file cannot be read, is not a snapshot, is of an unknown format version,
 * or is damaged beyond use (neither its META nor its FAULT section readable).
 */
import type { Command } from 'commander';
import { SnapshotFormatError } from '../../diag/snapshot/container.ts';
import { EVENTS_FILTER_HELP, explainSnapshot, parseEventsFilter } from '../../diag/snapshot/explain.ts';
import { readSnapshotFile } from '../../diag/snapshot/read.ts';
import { decodeJsonDocument, renderDecodeText } from '../../diag/render/decode.ts';

/** Options of `decode`, as commander gives them. */
export interface DecodeOptions {
  json?: boolean;
  events?: string;
  maps?: string[];
}

/** Where `runDecode` writes. */
export interface DecodeIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

const EXIT_HELP = `
Exit status:
  0  decoded (a partial decode warns on stderr and lists the damaged sections under Problems)
  1  usage error (e.g. an invalid --events filter)
  2  the file cannot be read, is not a Flightbox snapshot, has an unknown format version, or is
     damaged beyond use (neither its META nor its FAULT section can be read)

--events filter: ${EVENTS_FILTER_HELP}
Without --events, the last 20 events of the connection/stream the fault names are shown.
`;

/** First line of a message (the CLI promises one-line reasons). */
function oneLine(s: string): string {
  return s.split('\n')[0].trim();
}

/**
 * Runs `decode` on `file` and returns the exit status (see the module comment). Writes the report
 * (or JSON) through `io.out` and warnings/errors through `io.err`.
 */
export function runDecode(file: string, opts: DecodeOptions, io: DecodeIO): number {
  if (opts.events !== undefined) {
    try {
      parseEventsFilter(opts.events);
    } catch (e) {
      io.err(`flightbox decode: ${(e as Error).message}\n`);
      return 1;
    }
  }
  let snap;
  try {
    snap = readSnapshotFile(file);
  } catch (e) {
    if (e instanceof SnapshotFormatError) {
      // The container's messages already say what is wrong and what to do (use a newer flightbox, ...).
      io.err(`flightbox decode: ${file}: ${oneLine(e.message)}\n`);
    } else {
      io.err(`flightbox decode: ${file}: cannot read the file: ${oneLine((e as Error).message)}\n`);
    }
    return 2;
  }
  if (snap.unusable) {
    const first = snap.problems[0] ? `; first problem: ${oneLine(snap.problems[0])}` : '';
    io.err(`flightbox decode: ${file}: snapshot damaged beyond use: neither its META nor its FAULT section can be read${first}\n`);
    return 2;
  }
  const ex = explainSnapshot(snap, { mapsDirs: opts.maps, eventsFilter: opts.events });
  const bad = snap.sections.filter((s) => s.status !== 'ok');
  if (bad.length > 0 || !snap.complete) {
    const names = bad.map((s) => `${s.name}${s.label ? ` (${s.label})` : ''} ${s.status}`);
    io.err(
      `warning: ${file} decoded partially` +
        (names.length > 0 ? `; sections not decoded: ${names.join(', ')}` : '; the file is incomplete') +
        ' (details under Problems)\n',
    );
  }
  io.out(opts.json ? JSON.stringify(decodeJsonDocument(ex), null, 2) + '\n' : renderDecodeText(ex, { knownIssue: true }));
  return 0;
}

/** Registers `decode` on the `flightbox` program. */
export function register(program: Command): void {
  program
    .command('decode')
    .description('explain a snapshot: known issue and fingerprint, call chain, the object being handled, its last events, pools, threads')
    .argument('<file>', 'snapshot file (.fbsnap)')
    .option('--json', 'print JSON (schema flightbox.decode/1, documented in docs/decode-json.md)')
    .option('--events <filter>', 'select the trace events to show, e.g. stream=0x1f,level<=proto (see below)')
    .option('--maps <dir...>', 'dist directories (or checkouts holding dist/) of the build that wrote the snapshot')
    .addHelpText('after', EXIT_HELP)
    .action((file: string, opts: DecodeOptions) => {
      process.exitCode = runDecode(file, opts, {
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
      });
    });
}
