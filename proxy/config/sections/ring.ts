/**
 * The `ring <name>` section (HAProxy configuration manual, 3.10 "Ring buffers"): a named ring
 * that trace sources and logs can write to. Supported: `size <size>` (required), `description
 * <text>`, `format raw|short|timed|iso|rfc3164|rfc5424` (default raw) and `maxlen <number>`.
 */
import { ConfigValueError } from '../alerts.ts';
import type { RingState } from '../builder.ts';
import type { RingFormat } from '../config.types.ts';
import { expectArgs, sectionName, type KeywordTable, type SectionDef } from '../keyword.ts';
import { parseInteger, parseSize } from '../units.ts';

const RING_FORMATS: readonly RingFormat[] = ['raw', 'short', 'timed', 'iso', 'rfc3164', 'rfc5424'];

/** Smallest ring accepted. */
export const MIN_RING_SIZE = 1024;

/** Keywords of a `ring` section. */
export const RING_KEYWORDS: KeywordTable<RingState> = {
  size: {
    usage: 'size <size>',
    parse(ctx) {
      expectArgs(ctx, 1, 1);
      const size = parseSize(ctx.args[1]);
      if (size < MIN_RING_SIZE) throw new ConfigValueError(`size '${ctx.args[1]}' is too small, expected at least 1k`);
      ctx.state.size = size;
    },
  },
  description: {
    usage: 'description <text>',
    parse(ctx) {
      expectArgs(ctx, 1, Number.MAX_SAFE_INTEGER);
      ctx.state.description = ctx.args.slice(1).join(' ');
    },
  },
  format: {
    usage: `format ${RING_FORMATS.join('|')}`,
    parse(ctx) {
      expectArgs(ctx, 1, 1);
      const f = ctx.args[1];
      if (!(RING_FORMATS as readonly string[]).includes(f)) {
        throw new ConfigValueError(`unknown format '${f}', expected one of ${RING_FORMATS.join(', ')}`);
      }
      ctx.state.format = f as RingFormat;
    },
  },
  maxlen: {
    usage: 'maxlen <number>',
    parse(ctx) {
      expectArgs(ctx, 1, 1);
      ctx.state.maxlen = parseInteger(ctx.args[1], 1, Number.MAX_SAFE_INTEGER);
    },
  },
};

/** The `ring <name>` section; names are checked for uniqueness after parsing. */
export const RING_SECTION: SectionDef<RingState> = {
  keyword: 'ring',
  open(ctx) {
    const name = sectionName(ctx, true);
    const state: RingState = {
      name: name ?? '',
      file: ctx.file,
      line: ctx.line,
      size: undefined,
      description: undefined,
      format: 'raw',
      maxlen: undefined,
    };
    if (typeof name === 'string') ctx.builder.rings.push(state);
    return state;
  },
  keywords: RING_KEYWORDS,
};
