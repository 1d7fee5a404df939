/**
 * The Timeline: trace and lifecycle events of every thread, oldest first, filtered by the state's
 * filter; only the visible rows are decoded. Enter jumps from an event to its object (Sessions).
 */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { describeFilter, isEmptyFilter } from '../data/timeline.ts';
import type { TuiModel } from '../data/model.ts';
import type { TuiState } from '../state/types.ts';
import { Line, ListWindow, type ViewProps } from './common.tsx';
import { eventLine } from './rows.ts';

export function Timeline(props: ViewProps & { model: TuiModel; state: TuiState }): ReactNode {
  const { model, state, width, theme, height } = props;
  const sel = model.timeline.select(state.filter);
  const selected = state.selected.timeline;
  const head = `${sel.length} of ${model.timeline.total} events${isEmptyFilter(state.filter) ? '' : ` | filter: ${describeFilter(state.filter)}`} | f filter, F clear, enter: object`;
  const cur = sel.length > 0 ? model.timeline.decode(sel[Math.min(selected, sel.length - 1)]) : undefined;
  const detail = cur ? `${cur.ring} ${cur.source}:${cur.event} level=${cur.level}${cur.where ? ` at ${cur.where}` : ''}` : '';
  return (
    <Box flexDirection="column">
      <Line text={head} width={width} theme={theme} tone="heading" marker={false} />
      <ListWindow
        count={sel.length}
        selected={selected}
        height={Math.max(1, height - 2)}
        width={width}
        theme={theme}
        empty="(no event matches the filter)"
        render={(i) => {
          const e = model.timeline.decode(sel[i]);
          return { text: eventLine(e), tone: e.level === 'error' ? 'alert' : e.source === 'lifecycle' ? 'good' : 'normal' };
        }}
      />
      {cur ? <Line text={detail} width={width} theme={theme} tone="dim" marker={false} /> : null}
    </Box>
  );
}
