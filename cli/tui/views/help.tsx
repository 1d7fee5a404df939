/** The help overlay (`?`). */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { Line, type ViewProps } from './common.tsx';

/** The help text, one key per line. */
export const HELP_LINES = [
  'Keys',
  '  tab / shift-tab, 1..6   switch view (Overview, Call chain, Timeline, Pools, Sessions, Threads)',
  '  up/down, j/k            move the selection; pgup/pgdn, space: by a page; g/G: first/last',
  '  enter                   Timeline: go to the event\'s object; Sessions: its events;',
  '                          Threads: its current object; Overview: the context object',
  '  /  then enter           search the current view; n: next match',
  '  f                       filter the timeline (conn, stream, source, level, text); F: clear',
  '  s / r                   Pools: next sort column / reverse the order',
  '  S                       live mode (-S): take a snapshot now and open it',
  '  ?                       this help (esc or ? closes it)',
  '  q, esc                  quit (esc first closes search, filter or help)',
];

export function Help(props: ViewProps): ReactNode {
  return (
    <Box flexDirection="column">
      {HELP_LINES.slice(0, props.height).map((t, k) => (
        <Line key={k} text={t} width={props.width} theme={props.theme} tone={k === 0 ? 'heading' : 'normal'} marker={false} />
      ))}
    </Box>
  );
}
