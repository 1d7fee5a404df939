/**
 * The Call chain: the fault's frames (in-app or library), and under them the TypeScript lines around
 * the selected frame's position when the sources are present.
 */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { formatFrame } from '../../../diag/symbolicate.ts';
import { sourceExcerpt, type TuiModel } from '../data/model.ts';
import { Line, ListWindow, type ViewProps } from './common.tsx';

export function CallChain(props: ViewProps & { model: TuiModel; selected: number }): ReactNode {
  const { model, width, theme, height } = props;
  const frames = model.explanation.callChain.frames;
  const listHeight = Math.max(1, Math.min(frames.length, Math.floor(height / 2)));
  const f = frames[props.selected];
  const detail: ReactNode[] = [];
  if (f) {
    detail.push(
      <Line key="k" text={`${f.inApp ? 'in-app' : 'library'} frame #${props.selected}: ${f.fn || '<anonymous>'} at ${f.file}:${f.line}:${f.col}${f.mapped ? '' : ' (not mapped)'}`} width={width} theme={theme} tone="heading" marker={false} />,
    );
    const ex = sourceExcerpt(f, model.sourceRoots, Math.max(1, Math.floor((height - listHeight - 3) / 2)));
    if (!ex) detail.push(<Line key="n" text={f.mapped ? '(source file not found)' : '(no TypeScript position for this frame)'} width={width} theme={theme} tone="dim" marker={false} />);
    else {
      ex.lines.forEach((text, k) => {
        const n = ex.first + k;
        detail.push(<Line key={n} text={`${n === ex.line ? '>' : ' '}${String(n).padStart(5)} | ${text}`} width={width} theme={theme} tone={n === ex.line ? 'alert' : 'normal'} marker={false} />);
      });
    }
  }
  for (const w of model.explanation.callChain.warnings) detail.push(<Line key={w} text={`warning: ${w}`} width={width} theme={theme} tone="dim" marker={false} />);
  return (
    <Box flexDirection="column">
      <ListWindow
        count={frames.length}
        selected={props.selected}
        height={listHeight}
        width={width}
        theme={theme}
        empty="(no frames recorded)"
        render={(i) => ({ text: formatFrame(frames[i], i), tone: frames[i].inApp ? 'normal' : 'dim' })}
      />
      <Line text={'─'.repeat(Math.max(0, width - 1))} width={width} theme={theme} tone="dim" marker={false} />
      {detail.slice(0, Math.max(0, height - listHeight - 1))}
    </Box>
  );
}
