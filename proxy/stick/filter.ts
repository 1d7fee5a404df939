/**
 * The `data.<type> <op> <value>` filters of `show table` and `clear table` (HAProxy management
 * guide 9.3: ops eq, ne, le, lt, ge, gt; the value is a decimal integer; the type must be stored
 * in the table). Pure parsing; StickTable.list/clear apply them.
 */
import { STICK_DATA_TYPES, type StickDataFilter, type StickDataType } from './stick.types.ts';

const OPS = ['eq', 'ne', 'le', 'lt', 'ge', 'gt'] as const;

/**
 * Parses one filter from three words (`data.conn_rate`, `gt`, `10`). `stored` lists the types
 * the table stores. Returns the filter or an error message that says what is wrong and what to
 * write instead.
 */
export function parseStickFilter(
  words: readonly string[],
  stored: readonly StickDataType[],
): { ok: true; filter: StickDataFilter } | { ok: false; error: string } {
  const [what, op, value] = words;
  if (!what?.startsWith('data.')) return { ok: false, error: `expected 'data.<type> <op> <value>', got '${what ?? ''}'` };
  const name = what.slice(5);
  const t = STICK_DATA_TYPES.find((x) => x.name === name);
  if (!t) return { ok: false, error: `unknown data type '${name}' (known: ${STICK_DATA_TYPES.map((x) => x.name).join(', ')})` };
  if (!stored.includes(t.name)) return { ok: false, error: `data type '${name}' is not stored in this table` };
  if (op === undefined || !(OPS as readonly string[]).includes(op)) {
    return { ok: false, error: `'${what}' needs an operator among ${OPS.join(', ')}${op === undefined ? '' : `, got '${op}'`}` };
  }
  if (value === undefined || !/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    return { ok: false, error: `'${what} ${op}' needs an integer value${value === undefined ? '' : `, got '${value}'`}` };
  }
  return { ok: true, filter: { type: t.name, op: op as StickDataFilter['op'], value: Number(value) } };
}

/** Whether `v` passes `f`'s comparison. */
export function stickFilterMatches(f: StickDataFilter, v: number): boolean {
  switch (f.op) {
    case 'eq':
      return v === f.value;
    case 'ne':
      return v !== f.value;
    case 'le':
      return v <= f.value;
    case 'lt':
      return v < f.value;
    case 'ge':
      return v >= f.value;
    case 'gt':
      return v > f.value;
  }
}
