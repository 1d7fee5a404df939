/** The Overview: reason, message, known-issue match, call chain, context object and its last events (scrolls with j/k). */
import type { ReactNode } from 'react';
import type { TuiModel } from '../data/model.ts';
import { ListWindow, type ViewProps } from './common.tsx';
import { overviewLines } from './rows.ts';

export function Overview(props: ViewProps & { model: TuiModel; selected: number }): ReactNode {
  const lines = overviewLines(props.model);
  return (
    <ListWindow
      count={lines.length}
      selected={props.selected}
      height={props.height}
      width={props.width}
      theme={props.theme}
      render={(i) => ({ text: lines[i].text, tone: lines[i].style ?? 'normal' })}
    />
  );
}
