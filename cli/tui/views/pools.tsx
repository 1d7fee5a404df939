/** The Pools: every pool of every thread, sorted by the state's column (`s` cycles, `r` reverses); offenders marked `!`. */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { TuiModel } from '../data/model.ts';
import type { TuiState } from '../state/types.ts';
import { Line, ListWindow, type ViewProps } from './common.tsx';
import { POOL_HEADER, poolLine, sortedPools } from './rows.ts';

export function Pools(props: ViewProps & { model: TuiModel; state: TuiState }): ReactNode {
  const { model, state, width, theme, height } = props;
  const rows = sortedPools(model.pools, state.sort);
  const off = model.explanation.offendingPool;
  const head = `sorted by ${state.sort.column} ${state.sort.desc ? 'desc' : 'asc'} (s: column, r: reverse)${off ? ` | offending pool: ${off}` : ''}`;
  return (
    <Box flexDirection="column">
      <Line text={head} width={width} theme={theme} tone="heading" marker={false} />
      <Line text={POOL_HEADER} width={width} theme={theme} tone="dim" />
      <ListWindow
        count={rows.length}
        selected={state.selected.pools}
        height={Math.max(1, height - 2)}
        width={width}
        theme={theme}
        empty="(no pool figures in this snapshot)"
        render={(i) => ({ text: poolLine(rows[i]), tone: rows[i].offender ? 'alert' : 'normal' })}
      />
    </Box>
  );
}
