/**
 * The registry of sections: a line whose first word is one of these keys opens that section.
 * Adding a section = adding an entry here.
 */
import type { GlobalState } from '../builder.ts';
import type { SectionDef } from '../keyword.ts';
import { GLOBAL_KEYWORDS } from './global.ts';
import { BACKEND_SECTION, DEFAULTS_SECTION, FRONTEND_SECTION, LISTEN_SECTION } from './proxy.ts';
import { PEERS_SECTION } from './peers.ts';
import { RING_SECTION } from './ring.ts';
import { TRACES_SECTION } from './traces.ts';

/** The `global` section (several are merged). */
export const GLOBAL_SECTION: SectionDef<GlobalState> = {
  keyword: 'global',
  open(ctx) {
    if (ctx.args.length > 1) ctx.alert(`'global' : unexpected argument '${ctx.args[1]}', the global section takes no name.`);
    return ctx.builder.global;
  },
  keywords: GLOBAL_KEYWORDS,
};

/** Every section keyword understood by the parser. */
export const SECTIONS: Readonly<Record<string, SectionDef<unknown>>> = {
  global: GLOBAL_SECTION,
  defaults: DEFAULTS_SECTION,
  frontend: FRONTEND_SECTION,
  backend: BACKEND_SECTION,
  listen: LISTEN_SECTION,
  ring: RING_SECTION,
  traces: TRACES_SECTION,
  peers: PEERS_SECTION,
} as Readonly<Record<string, SectionDef<unknown>>>;
