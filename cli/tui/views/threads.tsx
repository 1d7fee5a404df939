/** Threads: status, heartbeat, loop lag, current object; the selected thread's stack when one was captured. Enter jumps to its current object. */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { formatFrame } from '../../../diag/symbolicate.ts';
import { formatRawFrames } from '../../../diag/render/threads.ts';
import type { TuiModel } from '../data/model.ts';
import { Line, ListWindow, type ViewProps } from './common.tsx';
import { threadLine } from './rows.ts';

export function Threads(props: ViewProps & { model: TuiModel; selected: number }): ReactNode {
  const { model, width, theme, height } = props;
  const threads = model.explanation.threads;
  const listHeight = Math.max(1, Math.min(threads.length, Math.floor(height / 2)));
  const t = threads[props.selected];
  const stack = t?.mappedStack ? t.mappedStack.map((f, i) => formatFrame(f, i)) : t?.stack ? formatRawFrames(t.stack) : [];
  return (
    <Box flexDirection="column">
      <ListWindow
        count={threads.length}
        selected={props.selected}
        height={listHeight}
        width={width}
        theme={theme}
        empty="(no thread figures in this snapshot)"
        render={(i) => ({ text: threadLine(threads[i]), tone: /dead|stall/.test(threads[i].status) ? 'alert' : 'normal' })}
      />
      {t ? <Line text={stack.length > 0 ? `stack of thread ${t.thread}:` : `thread ${t.thread}: no stack captured`} width={width} theme={theme} tone="heading" marker={false} /> : null}
      {stack.slice(0, Math.max(0, height - listHeight - 1)).map((s, k) => (
        <Line key={k} text={s} width={width} theme={theme} marker={false} />
      ))}
    </Box>
  );
}
