/**
 * Live mode of the TUI (`flightbox tui -S <socket>`): the {@link App} over the model of a
 * {@link LiveSource}, rebuilt after every poll, with the connection state in the status line
 * ("disconnected, retrying in 3s", counted down every second). `S` asks the process for a snapshot
 * (the `snapshot` runtime command), stops polling and opens the file in snapshot mode in the same
 * terminal; a failure is shown in the status line and polling goes on. The object selected in the
 * Sessions view is handed to the source (LiveSource.select), which then polls its detail.
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { createElement } from 'react';
import { App } from './app.tsx';
import { buildLiveModel, liveStatusText } from './data/live-model.ts';
import type { LiveSource } from './data/live-source.ts';
import { openSnapshot, type TuiModel } from './data/model.ts';

/** Props of {@link LiveApp}. */
export interface LiveAppProps {
  source: LiveSource;
  color: boolean;
  columns?: number;
  rows?: number;
  /** Dist directories for the snapshot opened with `S` (`--maps`). */
  maps?: string[];
  /** Called with the path of the snapshot `S` wrote, once it is open. */
  onSnapshot?: (path: string) => void;
}

/** The live TUI; see the module comment. */
export function LiveApp(props: LiveAppProps): ReactNode {
  const { source } = props;
  const [version, setVersion] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const [snapshot, setSnapshot] = useState<TuiModel | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  useEffect(() => {
    const off = source.subscribe(() => setVersion((v) => v + 1));
    source.start();
    return () => {
      off();
      source.stop();
    };
  }, [source]);
  useEffect(() => {
    if (snapshot) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [snapshot]);

  // Rebuilt when the source reports a change (`version`).
  const model = useMemo(() => buildLiveModel(source.socketPath, source.sample, source.status, (p) => source.history(p)), [source, version]);

  const onSelectObject = useMemo(() => (id: number | undefined) => source.select(id), [source]);

  if (snapshot) return createElement(App, { key: 'snapshot', model: snapshot, color: props.color, columns: props.columns, rows: props.rows });

  const takeSnapshot = () => {
    setNotice('taking a snapshot...');
    source.takeSnapshot().then(
      (path) => {
        try {
          const m = openSnapshot(path, { mapsDirs: props.maps });
          source.stop();
          setSnapshot(m);
          props.onSnapshot?.(path);
        } catch (e) {
          setNotice(`snapshot written to ${path} but it cannot be opened: ${(e as Error).message}`);
        }
      },
      (e: Error) => {
        setNotice(`snapshot failed: ${e.message}`);
        setTimeout(() => setNotice(undefined), 8000).unref();
      },
    );
  };
  const live = model.live!;
  void now; // re-rendered every second for the countdown
  const text = liveStatusText(live, Date.now());
  return createElement(App, {
    key: 'live',
    model,
    color: props.color,
    columns: props.columns,
    rows: props.rows,
    onSnapshotKey: takeSnapshot,
    onSelectObject,
    status: { text: notice ? `${notice} | ${text}` : text, alert: live.status.state === 'disconnected' || (notice?.startsWith('snapshot') ?? false) },
  });
}
