/**
 * `show threads`, over a RecorderSource: one block per thread, in the spirit of HAProxy's
 * `show threads` (management.txt): a `Thread N : ...` line with the status and heartbeat, then
 * indented counters, the object being handled, and the stack of a stalled thread when captured.
 * The supervisor (thread 0) appears only when the source lists it.
 */
import type { RawFrame } from '../fault.types.ts';
import type { LiveObject } from '../lifecycle.types.ts';
import type { RecorderSource, ThreadView } from '../views.types.ts';
import { formatMs, hexId } from './sess.ts';

/** Options of {@link renderShowThreads}. */
export interface ShowThreadsOptions {
  /** Formats a captured stack, one line per frame (the decoder maps frames through source maps). */
  formatStack?: (frames: RawFrame[]) => string[];
}

/** `#0 fn (file:line:col)` for raw frames. */
export function formatRawFrames(frames: readonly RawFrame[]): string[] {
  return frames.map((f, i) => `#${i} ${f.fn || '<anonymous>'} (${f.file ? `${f.file}:${f.line}:${f.col}` : '<native>'})`);
}

function handled(t: ThreadView, objs: readonly LiveObject[]): string {
  const ref = (id: number) => {
    const o = objs.find((x) => x.id === id);
    return o ? `${o.kind} ${hexId(id)}${o.info ? ` (${o.info})` : ''}${o.live ? '' : ' freed'}` : hexId(id);
  };
  const parts: string[] = [];
  if (t.curStream) parts.push(ref(t.curStream));
  if (t.curConn) parts.push(`${t.curStream ? 'on ' : ''}${ref(t.curConn)}`);
  return parts.length > 0 ? parts.join(' ') : 'nothing';
}

/** The lines of one thread block. */
export function threadBlock(t: ThreadView, objs: readonly LiveObject[], opts: ShowThreadsOptions = {}): string[] {
  const beat = t.lastBeatAgoMs < 0 ? 'never' : `${formatMs(t.lastBeatAgoMs)} ago`;
  const name = t.thread === 0 ? 'Supervisor' : `Thread ${t.thread}`;
  const lines = [
    `${name} : status=${t.status} heartbeat=${t.heartbeat} last_beat=${beat}`,
    `      conns=${t.connsCur} conns_total=${t.connsTotal} reqs_total=${t.reqsTotal} heap_used=${(t.heapUsed / 1048576).toFixed(1)}MB restarts=${t.restarts}`,
    `      handling: ${handled(t, objs)}`,
  ];
  if (t.stack && t.stack.length > 0) {
    lines.push('      stack:');
    for (const l of (opts.formatStack ?? formatRawFrames)(t.stack)) lines.push(`        ${l}`);
  }
  return lines;
}

/** `show threads`: a block per thread, in thread order. Arguments are ignored. */
export function renderShowThreads(src: RecorderSource, _args: readonly string[] = [], opts: ShowThreadsOptions = {}): string {
  const objs = src.objects(true);
  return [...src.threads()]
    .sort((a, b) => a.thread - b.thread)
    .flatMap((t) => threadBlock(t, objs, opts))
    .map((l) => l + '\n')
    .join('');
}
