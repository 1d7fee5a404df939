/**
 * The `traces` section (HAProxy 3.1+): `trace <source> <args...>` lines applied at startup with
 * the same grammar as the runtime `trace` command. Only the shape is checked here; the trace
 * module interprets the words.
 */
import { ConfigValueError } from '../alerts.ts';
import type { TracesState } from '../builder.ts';
import type { KeywordTable, SectionDef } from '../keyword.ts';

/** Keywords of the `traces` section. */
export const TRACES_KEYWORDS: KeywordTable<TracesState> = {
  trace: {
    usage: 'trace <source> [<args>...]',
    parse(ctx) {
      if (ctx.args.length < 2 || ctx.args[1] === '') {
        throw new ConfigValueError(`missing trace source, expected '${ctx.usage}' (e.g. 'trace h1 sink buf0 level user start now')`);
      }
      ctx.state.lines.push({ args: ctx.args.slice(1), file: ctx.file, line: ctx.line });
    },
  },
};

/** The `traces` section (no name; several are concatenated). */
export const TRACES_SECTION: SectionDef<TracesState> = {
  keyword: 'traces',
  open(ctx) {
    if (ctx.args.length > 1) ctx.alert(`'traces' : unexpected argument '${ctx.args[1]}', the traces section takes no name.`);
    return ctx.builder.traces;
  },
  keywords: TRACES_KEYWORDS,
};
