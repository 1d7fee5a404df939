/**
 * Text rendering of trace records, close to HAProxy's trace line:
 *   `<date> [thread|source|level|file:line] function(): message` followed by the connection and
 * stream ids (`c=<conn> s=<stream>`) when the record has them.
 */
import type { RingRecord } from '../ring.types.ts';
import type { TracePointInfo } from '../trace.types.ts';

/** ISO-8601 time with microseconds and a UTC offset, as HAProxy's trace sinks print it. */
export function formatTraceDate(ms: number): string {
  const d = new Date(Math.floor(ms));
  const micro = Math.floor((ms - Math.floor(ms / 1000) * 1000) * 1000);
  return d.toISOString().slice(0, 19) + '.' + String(micro).padStart(6, '0') + '+00:00';
}

/** Expands a point's message template with a record's arguments. */
export function formatTraceMessage(msg: string, rec: Pick<RingRecord, 'args' | 'text'>): string {
  return msg.replace(/\{([012s])\}/g, (_m, k: string) =>
    k === 's' ? (rec.text ?? '') : String(rec.args[Number(k)]),
  );
}

/** One trace line. `point` undefined (unknown id) still renders, naming the id. */
export function formatTraceLine(rec: RingRecord, point: TracePointInfo | undefined): string {
  const date = formatTraceDate(rec.time);
  const th = String(rec.thread).padStart(2, '0');
  if (!point) return `${date} [${th}|?|?|?] point#${rec.point}: args=${rec.args.join(',')}${rec.text ? ' ' + rec.text : ''}`;
  const ids = rec.connId || rec.streamId ? ` c=${rec.connId} s=${rec.streamId}` : '';
  return `${date} [${th}|${point.source}|${point.level}|${point.file}:${point.line}] ${point.fn}(): ${formatTraceMessage(point.msg, rec)}${ids}`;
}
