import { describe, expect, it } from 'vitest';
import { formatUptime, renderShowInfo } from '../../../diag/render/info.ts';
import type { ProcessInfo } from '../../../diag/views.types.ts';
import { fakeSource } from './fake-source.ts';

const INFO: ProcessInfo = {
  name: 'Flightbox',
  version: '0.1.0',
  releaseDate: '2025/03/21',
  buildId: 'abc123',
  node: 'v24.9.0',
  os: 'linux x64',
  pid: 1234,
  nbthread: 4,
  startedAt: 0,
  uptimeSec: 90061.7,
  maxconn: 400,
  currConns: 3,
  cumConns: 120,
  cumReq: 480,
  workerRestarts: 1,
  snapshotsWritten: 2,
  argv: ['flightbox', 'run'],
  poolAllocBytes: 5.5 * 1048576,
  poolUsedBytes: 1048575,
  poolFailures: 7,
  memLimitMB: 900,
  heapUsed: 0,
  rss: 0,
};

describe('renderShowInfo', () => {
  it("prints HAProxy's Name: value lines in HAProxy's order, then Flightbox's", () => {
    expect(renderShowInfo(fakeSource({ info: INFO }))).toBe(
      [
        'Name: Flightbox',
        'Version: 0.1.0',
        'Release_date: 2025/03/21',
        'Nbthread: 4',
        'Process_num: 1',
        'Pid: 1234',
        'Uptime: 1d 1h01m01s',
        'Uptime_sec: 90061',
        'Memmax_MB: 900',
        'PoolAlloc_MB: 5',
        'PoolUsed_MB: 0',
        'PoolFailed: 7',
        'Maxconn: 400',
        'CurrConns: 3',
        'CumConns: 120',
        'CumReq: 480',
        'Build_id: abc123',
        'Worker_restarts: 1',
        'Snapshots_written: 2',
        'Node_version: v24.9.0',
        '',
      ].join('\n'),
    );
  });

  it('omits Release_date when unknown and formats uptime as HAProxy', () => {
    const { releaseDate: _, ...rest } = INFO;
    expect(renderShowInfo(fakeSource({ info: rest }))).not.toContain('Release_date');
    expect(formatUptime(62)).toBe('0d 0h01m02s');
    expect(formatUptime(0)).toBe('0d 0h00m00s');
  });
});
