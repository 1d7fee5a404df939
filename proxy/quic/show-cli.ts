/**
 * The runtime commands over QUIC connections, answered by the supervisor from what the workers
 * report (they own the connections; proxy/quic/show.ts collects and renders):
 * - `show quic [oneline|full] [all|<id>]` (HAProxy 2.8+, level operator): every worker is asked,
 *   each for at most {@link SHOW_QUIC_TIMEOUT_MS}; one that does not answer in time is named in the
 *   output instead of holding the CLI.
 * - the live part of `show sess <id>` for a `quic_conn` object or an HTTP/3 stream
 *   ({@link showSessQuicDetail}): only the worker owning the object is asked.
 */
import type { Registry } from '../runtime/runtime.types.ts';
import { CommandError } from '../runtime/registry.ts';
import type { WorkerQuery, WorkerQueryAnswer } from '../worker/worker.types.ts';
import type { LiveObject } from '../../diag/lifecycle.types.ts';
import { parseObjectId } from '../../diag/render/sess.ts';
import { parseShowQuicArgs, renderQuicSessDetail, renderShowQuic, SHOW_QUIC_USAGE, ShowQuicArgError } from './show.ts';
import type { QuicShowAnswer } from './show.types.ts';

/** How long `show quic` waits for each worker's answer (ms). */
export const SHOW_QUIC_TIMEOUT_MS = 1000;

/** What the commands need from the supervisor (Supervisor.queryWorkers). */
export interface QuicCommandHost {
  queryWorkers(what: WorkerQuery['what'], timeoutMs?: number, only?: number): Promise<WorkerQueryAnswer[]>;
}

/** The workers' answers as `show quic` renders them. */
function quicAnswers(answers: readonly WorkerQueryAnswer[]): QuicShowAnswer[] {
  return answers.map((a) =>
    a.result?.quic ? { thread: a.thread, records: a.result.quic } : { thread: a.thread, error: a.result?.error ?? a.error ?? 'no answer' },
  );
}

/** Registers `show quic` into `reg`. */
export function registerQuicCommands(reg: Registry, host: QuicCommandHost, timeoutMs = SHOW_QUIC_TIMEOUT_MS): void {
  reg.register({
    words: ['show', 'quic'],
    level: 'operator',
    usage: SHOW_QUIC_USAGE,
    help: 'display quic connections status',
    handler: async (args) => {
      let parsed;
      try {
        parsed = parseShowQuicArgs(args);
      } catch (e) {
        if (e instanceof ShowQuicArgError) throw new CommandError(e.message);
        throw e;
      }
      const answers = quicAnswers(await host.queryWorkers('quic', timeoutMs));
      try {
        return renderShowQuic(answers, parsed);
      } catch (e) {
        if (e instanceof ShowQuicArgError) throw new CommandError(e.message);
        throw e;
      }
    },
  });
}

/**
 * The lines `show sess <id>` adds when `<id>` is a live `quic_conn` object or a live stream whose
 * parent is one (an HTTP/3 stream): the connection's QUIC state, and for a stream the QUIC stream
 * carrying it (id, states, bytes, windows), asked from the owning worker for at most `timeoutMs`.
 * Empty for any other argument or object (the object table already says everything about those).
 */
export async function showSessQuicDetail(
  host: QuicCommandHost,
  objects: readonly LiveObject[],
  args: readonly string[],
  timeoutMs = SHOW_QUIC_TIMEOUT_MS,
): Promise<string[]> {
  const id = args[0] === undefined ? undefined : parseObjectId(args[0]);
  const o = id === undefined ? undefined : objects.find((x) => x.id === id);
  if (!o || !o.live) return [];
  const parent = o.kind === 'stream' ? objects.find((x) => x.id === o.parentId) : undefined;
  const conn = o.kind === 'quic_conn' ? o : parent?.kind === 'quic_conn' ? parent : undefined;
  if (!conn) return [];
  const [answer] = quicAnswers(await host.queryWorkers('quic', timeoutMs, conn.thread));
  if (!answer.records) return [`  quic: thread ${conn.thread}: ${answer.error}`];
  const r = answer.records.find((x) => x.id === conn.id);
  if (!r) return [`  quic: connection 0x${conn.id.toString(16)} is not open on thread ${conn.thread} any more`];
  return renderQuicSessDetail(r, o === conn ? undefined : o.id);
}
