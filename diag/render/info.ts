/**
 * `show info`, HAProxy's "Name: value" lines (management.txt "show info"), over a RecorderSource:
 * the fields HAProxy prints that Flightbox has, in HAProxy's order, then Flightbox's own
 * (Build_id, Worker_restarts, Snapshots_written, Node_version).
 */
import type { RecorderSource } from '../views.types.ts';

/** HAProxy's uptime format: `0d 0h01m02s`. */
export function formatUptime(sec: number): string {
  const t = Math.max(0, Math.floor(sec));
  const d = Math.floor(t / 86400);
  const h = Math.floor(t / 3600) % 24;
  const m = Math.floor(t / 60) % 60;
  const s = t % 60;
  return `${d}d ${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
}

const MB = 1024 * 1024;

/**
 * `show info`: one `Name: value` per line, as HAProxy prints them (PoolAlloc_MB/PoolUsed_MB are
 * whole megabytes rounded down, Memmax_MB is the `-m` cap, 0 for none). Arguments are ignored.
 */
export function renderShowInfo(src: RecorderSource, _args: readonly string[] = []): string {
  const i = src.info();
  const fields: [string, string | number][] = [
    ['Name', i.name],
    ['Version', i.version],
  ];
  if (i.releaseDate) fields.push(['Release_date', i.releaseDate]);
  fields.push(
    ['Nbthread', i.nbthread],
    ['Process_num', 1],
    ['Pid', i.pid],
    ['Uptime', formatUptime(i.uptimeSec)],
    ['Uptime_sec', Math.floor(i.uptimeSec)],
    ['Memmax_MB', i.memLimitMB],
    ['PoolAlloc_MB', Math.floor(i.poolAllocBytes / MB)],
    ['PoolUsed_MB', Math.floor(i.poolUsedBytes / MB)],
    ['PoolFailed', i.poolFailures],
    ['Maxconn', i.maxconn],
    ['CurrConns', i.currConns],
    ['CumConns', i.cumConns],
    ['CumReq', i.cumReq],
    ...(i.droppedLogs !== undefined ? [['DroppedLogs', i.droppedLogs] as [string, number]] : []),
    ['Build_id', i.buildId],
    ['Worker_restarts', i.workerRestarts],
    ['Snapshots_written', i.snapshotsWritten],
    ['Node_version', i.node],
  );
  return fields.map(([k, v]) => `${k}: ${v}\n`).join('');
}
