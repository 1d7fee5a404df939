/**
 * The Pools: every pool of every thread, sorted by the state's column (`s` cycles, `r` reverses);
 * offenders marked `!`. In live mode (figures summed over the threads, shown as thread 0) each row
 * ends with a sparkline of its `used` count over the last polls, and the selected pool's `used` and
 * `failures` histories are drawn under the list.
 */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { sparkline } from '../data/live-model.ts';
import type { TuiModel } from '../data/model.ts';
import type { TuiState } from '../state/types.ts';
import { Line, ListWindow, type ViewProps } from './common.tsx';
import { POOL_HEADER, poolLine, sortedPools } from './rows.ts';

/** Width of the per-row sparkline in live mode. */
const ROW_SPARK = 12;

export function Pools(props: ViewProps & { model: TuiModel; state: TuiState }): ReactNode {
  const { model, state, width, theme, height } = props;
  const rows = sortedPools(model.pools, state.sort);
  const off = model.explanation.offendingPool;
  const live = model.live;
  const head = `sorted by ${state.sort.column} ${state.sort.desc ? 'desc' : 'asc'} (s: column, r: reverse)${off ? ` | offending pool: ${off}` : ''}${live ? ' | T0 = all threads' : ''}`;
  const spark = live !== undefined && width >= POOL_HEADER.length + ROW_SPARK + 3;
  const sel = rows[Math.min(state.selected.pools, Math.max(0, rows.length - 1))];
  const detail: ReactNode[] = [];
  if (live && sel) {
    const h = live.history(sel.name);
    const w = Math.max(4, width - 24);
    detail.push(<Line key="u" text={`${sel.name.slice(0, 12).padEnd(12)} used     ${sparkline(h.used, w)} ${h.used.at(-1) ?? 0}`} width={width} theme={theme} marker={false} />);
    detail.push(
      <Line key="f" text={`${''.padEnd(12)} failures ${sparkline(h.failures, w)} ${h.failures.at(-1) ?? 0}`} width={width} theme={theme} tone={(h.failures.at(-1) ?? 0) > 0 ? 'alert' : 'normal'} marker={false} />,
    );
  }
  return (
    <Box flexDirection="column">
      <Line text={head} width={width} theme={theme} tone="heading" marker={false} />
      <Line text={POOL_HEADER + (spark ? '  USED OVER TIME' : '')} width={width} theme={theme} tone="dim" />
      <ListWindow
        count={rows.length}
        selected={state.selected.pools}
        height={Math.max(1, height - 2 - detail.length)}
        width={width}
        theme={theme}
        empty={live ? '(no pool figures yet)' : '(no pool figures in this snapshot)'}
        render={(i) => ({ text: poolLine(rows[i]) + (spark ? `  ${sparkline(live!.history(rows[i].name).used, ROW_SPARK)}` : ''), tone: rows[i].offender ? 'alert' : 'normal' })}
      />
      {detail}
    </Box>
  );
}
