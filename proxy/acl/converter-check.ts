/**
 * The configuration check of the stick-table converters (`flightbox check`, `flightbox run`):
 * every `table_*(<t>)` / `in_table(<t>)` written in a section (ACL lines, `if`/`unless`
 * conditions, `%[...]` log-format strings, `track-sc*` and `stick` keys) must name a stick-table
 * that exists, as HAProxy's smp_resolve_args() requires ("unable to find table '<t>' referenced
 * in arg 1 of conversion keyword '<conv>' ... proxy '<px>'").
 *
 * The sections are walked as data: every string of a frontend/backend's parsed configuration is
 * searched for `,table_<x>(<t>)` / `,in_table(<t>)`, and a problem is reported at the file:line of
 * the innermost object that has one, once per line and table.
 */
import type { Config, SourceRef } from '../config/config.types.ts';
import { converters } from './converters.ts';

/** A converter naming a table that does not exist, where it was written. */
export interface ConverterTableError {
  readonly ref: SourceRef;
  readonly message: string;
}

const CONV_REF = /,((?:table_[a-z0-9_]+)|in_table)\(([^),]*)/g;

function isRef(o: object): o is SourceRef {
  const r = o as Partial<SourceRef>;
  return typeof r.file === 'string' && typeof r.line === 'number';
}

/**
 * Alerts for every stick-table converter of `config` whose table does not exist (empty when all
 * resolve). For proxy/config/engine-support.ts.
 */
export function checkConverterTables(config: Config): ConverterTableError[] {
  const tables = new Set(config.stickTables.map((t) => t.name));
  const known = converters();
  const out: ConverterTableError[] = [];
  const seen = new Set<string>();
  const visited = new WeakSet<object>();

  const scan = (s: string, ref: SourceRef | undefined, px: { kind: string; name: string }): void => {
    if (!ref || !s.includes(',')) return;
    for (const m of s.matchAll(CONV_REF)) {
      const conv = m[1]!;
      const table = m[2]!;
      if (!known.has(conv) || table === '' || tables.has(table)) continue;
      const k = `${ref.file}:${ref.line}:${conv}:${table}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({
        ref,
        message:
          `unable to find table '${table}' referenced in arg 1 of conversion keyword '${conv}' in ${px.kind} '${px.name}'; ` +
          `declare 'stick-table' in a backend named '${table}' (or a 'table ${table}' line in a peers section) or fix the name.`,
      });
    }
  };

  const walk = (v: unknown, ref: SourceRef | undefined, px: { kind: string; name: string }, depth: number): void => {
    if (typeof v === 'string') return scan(v, ref, px);
    if (v === null || typeof v !== 'object' || depth > 12 || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return;
    if (visited.has(v)) return;
    visited.add(v);
    if (Array.isArray(v)) {
      // A token list (`acl` line, condition) may split an expression; each token is one word.
      for (const x of v) walk(x, ref, px, depth + 1);
      return;
    }
    const here = isRef(v) ? v : ref;
    for (const x of Object.values(v)) walk(x, here, px, depth + 1);
  };

  for (const f of config.frontends) walk(f, undefined, { kind: 'frontend', name: f.name }, 0);
  for (const b of config.backends) walk(b, undefined, { kind: b.kind, name: b.name }, 0);
  return out;
}
