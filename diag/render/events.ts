/**
 * `show events [<ring>] [-w] [-n]` and `show trace [<source>]` over a RecorderSource, so that a
 * snapshot answers them like a live process. Wording follows HAProxy's sink.c (`show events`) and
 * trace.c (`show trace`); the `show trace` text is identical to TraceControl.showTrace's.
 */
import { RenderError, formatEvent } from '../views.ts';
import type { RecorderSource, TraceStatusEntry } from '../views.types.ts';

const SINKS_HEADER = 'Supported events sinks are listed below. Add -w(wait), -n(new). Any key to stop\n';

function ringDesc(name: string): string {
  return name === 'flight' ? 'the flight recorder (per-thread rings, kept in snapshots)' : 'in-memory ring buffer (per thread)';
}

/** HAProxy's sink list: `    <name>     : type=buffer, <n> dropped, <desc>` per ring, then stderr. */
export function listSinks(src: RecorderSource): string {
  const status = src.traceStatus();
  const dropped = (sink: string) => status.filter((s) => s.sink === sink).reduce((n, s) => n + (s.dropped ?? 0), 0);
  let out = SINKS_HEADER;
  for (const r of src.ringNames()) out += `    ${r.padEnd(10)} : type=buffer, ${dropped(r)} dropped, ${ringDesc(r)}\n`;
  out += `    ${'stderr'.padEnd(10)} : type=fd, ${dropped('stderr')} dropped, standard error (fd#2)\n`;
  return out;
}

/** Parsed `show events` arguments. */
export interface ShowEventsArgs {
  ring?: string;
  wait: boolean;
  onlyNew: boolean;
}

/**
 * Parses `show events` arguments (`<ring> [-w] [-n] [-nw|-wn]`, as HAProxy's sink.c); throws
 * RenderError("unknown option") for anything else.
 */
export function parseShowEventsArgs(args: readonly string[]): ShowEventsArgs {
  const out: ShowEventsArgs = { ring: args[0] || undefined, wait: false, onlyNew: false };
  for (const a of args.slice(1)) {
    if (a === '-w') out.wait = true;
    else if (a === '-n') out.onlyNew = true;
    else if (a === '-nw' || a === '-wn') out.wait = out.onlyNew = true;
    else throw new RenderError('unknown option');
  }
  return out;
}

/**
 * `show events [<ring>] [-w] [-n]`: without a ring, the list of sinks; with one, its records of every
 * thread, oldest first, one formatted trace line each (diag/render/trace-line.ts). `-n` prints only
 * events arriving from now on, so this function prints nothing for it (from a snapshot, a note that
 * no new event can arrive); waiting (`-w`) is the live caller's job (views.ts createEventsCursor).
 * An unknown ring throws RenderError with HAProxy's "No such event sink" and the list of sinks.
 */
export function renderShowEvents(src: RecorderSource, args: readonly string[] = []): string {
  const a = parseShowEventsArgs(args);
  if (!a.ring) return listSinks(src);
  if (a.ring === 'stderr') return 'Nothing to report for this sink\n';
  if (!src.ringNames().includes(a.ring)) throw new RenderError(`No such event sink\n${listSinks(src)}`);
  if (a.onlyNew) {
    return src.kind === 'snapshot' ? `No new events: ring ${a.ring} of a snapshot never changes (drop -n to see its events).\n` : '';
  }
  const ev = src.events(a.ring);
  return ev.records.map((r) => formatEvent(r, ev.points) + '\n').join('');
}

const stateChar = (s: string) => (s === 'running' ? 'R' : s === 'waiting' ? 'w' : '.');

/**
 * `show trace [<source>]` from a list of source states (TraceControl.status() plus dropped counts):
 * the same text TraceControl.showTrace prints over live memory, so a snapshot renders it too.
 * Throws RenderError("No such trace source") for an unknown source.
 */
export function renderShowTrace(status: readonly TraceStatusEntry[], args: readonly string[] = []): string {
  if (!args[0]) {
    let out = 'Supported trace sources and states (.=stopped, w=waiting, R=running) :\n';
    for (const s of status) out += ` [${stateChar(s.state)}] ${s.name.padEnd(10)} -> ${s.sink} [drp ${s.dropped ?? 0}]  [${s.desc}]\n`;
    return out;
  }
  const s = status.find((x) => x.name === args[0]);
  if (!s) throw new RenderError('No such trace source');
  const yn = (b: boolean) => (b ? '+' : '-');
  let out = `Trace status for ${s.name}:\n`;
  out += `  - sink: ${s.sink} [${s.dropped ?? 0} dropped]\n`;
  out += `  - state: ${s.state}, level: ${s.level}, verbosity: ${s.verbosity}, lock: ${s.lock}\n`;
  out += '  - event name   :     report    start    stop    pause\n';
  for (const e of s.events)
    out += `    ${e.name.padEnd(12)} :        ${yn(e.report)}        ${yn(e.start)}        ${yn(e.stop)}       ${yn(e.pause)}\n`;
  return out;
}
