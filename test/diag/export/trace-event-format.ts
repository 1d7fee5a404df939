/**
 * A validator of Chrome Trace Event JSON against the format's documented fields, shared by the unit
 * and e2e tests of the perfetto export.
 */
import type { TraceDocument, TraceEvent } from '../../../diag/export/export.types.ts';

/**
 * Checks a document against the Trace Event format's documented fields: the phases used, `pid`/`tid`
 * integers, `ts` in microseconds (finite, >= 0) on every non-metadata event, `dur` on X, scope on
 * instants, `cat`+`id` pairing of async b/e (end not before begin), flows s/f with one start and one
 * end per id and each bound inside a slice of its track, slices of one track properly nested, and
 * a thread_name for every track used. Returns the problems found.
 */
export function validateTraceDocument(doc: TraceDocument): string[] {
  const bad: string[] = [];
  const where = (e: TraceEvent) => JSON.stringify(e).slice(0, 160);
  if (!Array.isArray(doc.traceEvents)) return ['traceEvents is not an array'];
  if (!['ms', 'ns'].includes(doc.displayTimeUnit)) bad.push(`displayTimeUnit ${doc.displayTimeUnit}`);
  const named = new Set(doc.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => `${e.pid}/${e.tid}`));
  const asyncOpen = new Map<string, number>();
  const flows = new Map<number | string, { s?: TraceEvent; f?: TraceEvent }>();
  const slices = new Map<string, TraceEvent[]>();
  for (const e of doc.traceEvents) {
    if (!['M', 'X', 'i', 'b', 'e', 's', 'f'].includes(e.ph)) bad.push(`unknown phase: ${where(e)}`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) bad.push(`pid/tid not integers: ${where(e)}`);
    if (typeof e.name !== 'string') bad.push(`no name: ${where(e)}`);
    if (e.ph === 'M') {
      if (typeof e.args?.name !== 'string' && typeof e.args?.sort_index !== 'number') bad.push(`metadata without args: ${where(e)}`);
      continue;
    }
    if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) bad.push(`bad ts: ${where(e)}`);
    if (!named.has(`${e.pid}/${e.tid}`)) bad.push(`track without thread_name: ${where(e)}`);
    const key = `${e.cat}|${e.id}`;
    switch (e.ph) {
      case 'X':
        if (typeof e.dur !== 'number' || e.dur < 0) bad.push(`X without dur: ${where(e)}`);
        slices.set(`${e.pid}/${e.tid}`, [...(slices.get(`${e.pid}/${e.tid}`) ?? []), e]);
        break;
      case 'i':
        if (!['t', 'p', 'g'].includes(e.s ?? '')) bad.push(`instant without scope: ${where(e)}`);
        break;
      case 'b':
        if (e.id === undefined || !e.cat) bad.push(`async without id/cat: ${where(e)}`);
        if (asyncOpen.has(key)) bad.push(`async begun twice: ${where(e)}`);
        asyncOpen.set(key, e.ts!);
        break;
      case 'e':
        if (!asyncOpen.has(key)) bad.push(`async end without begin: ${where(e)}`);
        else if (e.ts! < asyncOpen.get(key)!) bad.push(`async ends before it begins: ${where(e)}`);
        asyncOpen.delete(key);
        break;
      case 's':
      case 'f': {
        if (typeof e.id !== 'number' || e.cat !== 'flow') bad.push(`flow without numeric id / cat: ${where(e)}`);
        const fl = flows.get(e.id!) ?? {};
        if (fl[e.ph]) bad.push(`flow ${e.id} has two '${e.ph}'`);
        fl[e.ph] = e;
        flows.set(e.id!, fl);
        if (e.ph === 'f' && e.bp !== 'e') bad.push(`flow end without bp=e: ${where(e)}`);
        break;
      }
    }
  }
  for (const k of asyncOpen.keys()) bad.push(`async ${k} never ends`);
  for (const [id, fl] of flows) {
    if (!fl.s || !fl.f) {
      bad.push(`flow ${id} lacks its start or end`);
      continue;
    }
    if (fl.f.ts! < fl.s.ts!) bad.push(`flow ${id} ends before it starts`);
    for (const p of [fl.s, fl.f]) {
      const inside = (slices.get(`${p.pid}/${p.tid}`) ?? []).some((x) => p.ts! >= x.ts! && p.ts! <= x.ts! + x.dur!);
      if (!inside) bad.push(`flow ${id} '${p.ph}' is not bound to a slice of its track: ${where(p)}`);
    }
  }
  for (const [track, list] of slices) {
    const sorted = [...list].sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
    const stack: TraceEvent[] = [];
    for (const x of sorted) {
      while (stack.length > 0 && stack.at(-1)!.ts! + stack.at(-1)!.dur! <= x.ts! && !(stack.at(-1)!.ts === x.ts)) stack.pop();
      const top = stack.at(-1);
      if (top && x.ts! + x.dur! > top.ts! + top.dur!) bad.push(`slices overlap without nesting on ${track}: ${where(top)} / ${where(x)}`);
      stack.push(x);
    }
  }
  return bad;
}
