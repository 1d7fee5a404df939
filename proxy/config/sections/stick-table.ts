/**
 * The `stick-table` keyword of backend and listen sections (HAProxy configuration manual 4.2
 * `stick-table`), parsed by proxy/stick/config.ts:
 *
 *   stick-table type {ip | ipv6 | integer | string [len <n>] | binary [len <n>]} size <size>
 *               [expire <time>] [nopurge] [peers <name>] [store <data_type>[,<data_type>]...]
 *
 * The table is named after its section (`show table <backend>`), and a section has at most one,
 * as in HAProxy. A `peers <name>` naming no `peers` section is an alert of checks.ts; the
 * synchronisation itself is not implemented yet, which engine-support.ts reports.
 */
import { ConfigValueError } from '../alerts.ts';
import type { ProxyState } from '../builder.ts';
import type { KeywordDef } from '../keyword.ts';
import { parseStickTableLine } from '../../stick/config.ts';

/**
 * Turns a message of proxy/stick/config.ts (`parsing [f:l] : <kw>: <what>.`) into the part after
 * `<kw>: ` (the configuration parser adds the location and keyword itself); `keepPeriod` keeps
 * the final period (warnings are complete sentences).
 */
export function stickMessage(text: string, keepPeriod = false): string {
  const m = /^parsing \[[^\]]*\] : [^:]+: (.*)$/s.exec(text);
  const body = m ? m[1]! : text;
  return keepPeriod ? body : body.replace(/\.$/, '');
}

/** `stick-table ...` in a backend or listen section. */
export const STICK_TABLE_KEYWORD: KeywordDef<ProxyState> = {
  usage:
    'stick-table type {ip | ipv6 | integer | string [len <n>] | binary [len <n>]} size <size> [expire <time>] [nopurge] [peers <name>] [store <data_type>,...]',
  parse(ctx) {
    const st = ctx.state;
    const prev = st.stickTable;
    if (prev) {
      throw new ConfigValueError(
        `only one stick-table per section is allowed (it is named after the section), ${st.kind} '${st.name}' already has the one at ${prev.file}:${prev.line}; declare another backend (or a 'table' in a 'peers' section) for a second table`,
      );
    }
    const r = parseStickTableLine(ctx.args, { name: st.name, file: ctx.file, line: ctx.line });
    if (!r.ok) throw new ConfigValueError(stickMessage(r.error));
    for (const w of r.warnings) ctx.warn(`'stick-table' : ${stickMessage(w, true)}`);
    st.stickTable = r.def;
  },
};
