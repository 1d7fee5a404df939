/** A RecorderSource over plain data, for renderer tests that need exact figures. */
import type { LiveObject } from '../../../diag/lifecycle.types.ts';
import type { ProcessInfo, RecorderSource, ThreadView } from '../../../diag/views.types.ts';

export const T0 = Date.UTC(2025, 2, 21, 10, 0, 0);

export function obj(o: Partial<LiveObject> & Pick<LiveObject, 'id' | 'kind'>): LiveObject {
  return { parentId: 0, thread: 1, live: true, created: T0, lastEvent: T0, info: '', totalEvents: 0, log: [], ...o };
}

export function fakeSource(p: { objects?: LiveObject[]; threads?: ThreadView[]; info?: ProcessInfo; now?: number }): RecorderSource {
  return {
    kind: 'snapshot',
    now: () => p.now ?? T0,
    info: () => p.info!,
    threads: () => p.threads ?? [],
    pools: () => [],
    objects: (all = false) => (p.objects ?? []).filter((o) => all || o.live),
    ringNames: () => ['flight'],
    events: () => ({ records: [], points: new Map() }),
    traceStatus: () => [],
  };
}
