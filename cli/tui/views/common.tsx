/**
 * Building blocks of the views: a theme that honours NO_COLOR, a one-line text truncated to the
 * width (never wrapped, so a view keeps its height at 80 columns), and a scrolling list window.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { windowStart } from './rows.ts';

/** Colours on or off (off under NO_COLOR). */
export interface Theme {
  color: boolean;
}

/** Props every view gets. */
export interface ViewProps {
  width: number;
  height: number;
  theme: Theme;
}

/** Kinds of emphasis a line can have. */
export type Tone = 'normal' | 'heading' | 'alert' | 'dim' | 'good';

const COLORS: Record<Tone, string | undefined> = { normal: undefined, heading: 'cyan', alert: 'red', dim: 'gray', good: 'green' };

/** One line, truncated to `width`; `selected` marks it with `>` (and inverse video). */
export function Line(props: { text: string; width: number; theme: Theme; tone?: Tone; selected?: boolean; marker?: boolean }): ReactNode {
  const tone = props.tone ?? 'normal';
  const prefix = props.marker === false ? '' : props.selected ? '>' : ' ';
  const text = (prefix + props.text).replace(/[\r\n\t]/g, ' ');
  return (
    <Box width={props.width} height={1} flexShrink={0}>
      <Text
        wrap="truncate-end"
        inverse={props.selected === true}
        bold={tone === 'heading'}
        color={props.theme.color ? COLORS[tone] : undefined}
        dimColor={!props.theme.color ? false : tone === 'dim'}
      >
        {text}
      </Text>
    </Box>
  );
}

/**
 * A window of `height` rows over `count` rows, keeping `selected` visible; `render(i)` gives the
 * text and tone of row `i` (only the visible rows are asked for).
 */
export function ListWindow(props: {
  count: number;
  selected: number;
  height: number;
  width: number;
  theme: Theme;
  render: (i: number) => { text: string; tone?: Tone };
  empty?: string;
}): ReactNode {
  const { count, selected, height, width, theme } = props;
  if (count === 0) return <Line text={props.empty ?? '(nothing to show)'} width={width} theme={theme} tone="dim" />;
  const start = windowStart(selected, count, height);
  const rows: ReactNode[] = [];
  for (let i = start; i < Math.min(count, start + height); i++) {
    const r = props.render(i);
    rows.push(<Line key={i} text={r.text} tone={r.tone} width={width} theme={theme} selected={i === selected} />);
  }
  return <Box flexDirection="column">{rows}</Box>;
}
