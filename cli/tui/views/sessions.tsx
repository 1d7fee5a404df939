/**
 * Sessions/Connections: every tracked object (live first), and under the list the selected one in
 * detail: state, timers, parent and children, termination log, then its latest events from the
 * timeline (trace records and lifecycle events of that connection or stream). Enter shows all its
 * events (Timeline). In live mode the detail comes from `show sess <id>` of the last poll (the
 * whole termination log, not only the last event `show sess` lists) and the events from the last
 * fetch of the flight ring; the separator says where the detail comes from, or what the process
 * answered when it does not know the object (any more).
 */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { LiveObject } from '../../../diag/lifecycle.types.ts';
import { objectDetail } from '../../../diag/render/sess.ts';
import type { TuiModel } from '../data/model.ts';
import type { Timeline } from '../data/timeline.ts';
import { Line, ListWindow, type ViewProps } from './common.tsx';
import { sessionLine, sessionRows } from './rows.ts';

/**
 * The last `max` events of object `o` in `timeline` (a stream's by stream id, others' by connection
 * id), one line each: time relative to the object's creation, source/event, message.
 */
export function objectEvents(timeline: Timeline, o: LiveObject, max: number): { total: number; lines: string[] } {
  const sel = timeline.select(o.kind === 'stream' ? { stream: o.id } : { conn: o.id });
  const lines: string[] = [];
  for (let k = Math.max(0, sel.length - max); k < sel.length; k++) {
    const e = timeline.decode(sel[k]);
    const rel = (e.time - o.created) / 1000;
    lines.push(`    ${rel < 0 ? '-' : '+'}${Math.abs(rel).toFixed(3)}s ${e.source}/${e.event} ${e.message}`);
  }
  return { total: sel.length, lines };
}

function separator(model: TuiModel, o: LiveObject): string {
  const d = model.live?.detail;
  if (!model.live) return '─ detail (enter: its events) ';
  if (!d || d.id !== o.id) return '─ detail (polling show sess...) ';
  if (d.error !== undefined) return `─ show sess 0x${o.id.toString(16)}: ${d.error} `;
  return `─ detail from show sess 0x${o.id.toString(16)} (enter: its events) `;
}

export function Sessions(props: ViewProps & { model: TuiModel; selected: number }): ReactNode {
  const { model, width, theme, height } = props;
  const rows = sessionRows(model);
  const listHeight = Math.max(1, Math.min(rows.length, Math.floor(height / 3)));
  const o = rows[props.selected];
  const room = Math.max(0, height - listHeight - 1);
  let lines: string[] = [];
  if (o) {
    const detail = objectDetail(o, model.objects, model.explanation.now);
    // The events get what the detail leaves, and at least a few lines when the termination log is long.
    const evRoom = Math.max(room - detail.length, Math.min(6, Math.floor(room / 2)));
    const ev = objectEvents(model.timeline, o, Math.max(0, evRoom - 1));
    const more = ev.total > ev.lines.length ? `, last ${ev.lines.length}` : '';
    const evLines = ev.total === 0 ? [`  events: none in the ${model.live ? 'flight ring' : 'rings'}`] : [`  events: ${ev.total}${more}${model.live ? ' (flight ring)' : ''}`, ...ev.lines];
    lines = [...detail.slice(0, Math.max(0, room - evLines.length)), ...evLines].slice(0, room);
  }
  const sep = o ? separator(model, o) : '';
  return (
    <Box flexDirection="column">
      <ListWindow
        count={rows.length}
        selected={props.selected}
        height={listHeight}
        width={width}
        theme={theme}
        empty={model.live ? '(no tracked objects in the process)' : '(no tracked objects in this snapshot)'}
        render={(i) => ({ text: sessionLine(rows[i]), tone: rows[i].live ? 'normal' : 'dim' })}
      />
      <Line text={sep ? sep + '─'.repeat(Math.max(0, width - sep.length)) : ''} width={width} theme={theme} tone="dim" marker={false} />
      {lines.map((t, k) => (
        <Line key={k} text={t} width={width} theme={theme} marker={false} />
      ))}
    </Box>
  );
}
