/**
 * Sessions/Connections: every tracked object (live first), and under the list the selected one in
 * detail: state, timers, parent and children, termination log. Enter shows its events (Timeline).
 */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { objectDetail } from '../../../diag/render/sess.ts';
import type { TuiModel } from '../data/model.ts';
import { Line, ListWindow, type ViewProps } from './common.tsx';
import { sessionLine, sessionRows } from './rows.ts';

export function Sessions(props: ViewProps & { model: TuiModel; selected: number }): ReactNode {
  const { model, width, theme, height } = props;
  const rows = sessionRows(model);
  const listHeight = Math.max(1, Math.min(rows.length, Math.floor(height / 3)));
  const o = rows[props.selected];
  const detail = o ? objectDetail(o, model.objects, model.explanation.now) : [];
  return (
    <Box flexDirection="column">
      <ListWindow
        count={rows.length}
        selected={props.selected}
        height={listHeight}
        width={width}
        theme={theme}
        empty="(no tracked objects in this snapshot)"
        render={(i) => ({ text: sessionLine(rows[i]), tone: rows[i].live ? 'normal' : 'dim' })}
      />
      <Line text={o ? '─ detail (enter: its events) ' + '─'.repeat(Math.max(0, width - 30)) : ''} width={width} theme={theme} tone="dim" marker={false} />
      {detail.slice(0, Math.max(0, height - listHeight - 1)).map((t, k) => (
        <Line key={k} text={t} width={width} theme={theme} marker={false} />
      ))}
    </Box>
  );
}
