import { parseStickTableLine } from '../../../proxy/stick/config.ts';
import type { StickTableDef } from '../../../proxy/stick/stick.types.ts';
import { StickTable, createStickTable } from '../../../proxy/stick/table.ts';

/** A definition from a `stick-table` line (throws on a parse error). */
export function stickDef(line: string, name = 'be'): StickTableDef {
  const r = parseStickTableLine(line.split(/\s+/), { name, file: 'test.cfg', line: 1 });
  if (!r.ok) throw new Error(r.error);
  return r.def;
}

/** A table on a virtual clock: `clock.now` is the time in ms. */
export function virtualTable(line: string, start = 1_000_000): { t: StickTable; clock: { now: number }; sab: SharedArrayBuffer } {
  const def = stickDef(line);
  const sab = createStickTable(def);
  const clock = { now: start };
  return { t: new StickTable(sab, def, () => clock.now), clock, sab };
}
