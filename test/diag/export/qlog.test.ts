import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { projectRoot } from '../../../diag/paths.ts';
import { QLOG_VERSION, RS, exportQlog, quicConnections } from '../../../diag/export/qlog.ts';
import { readSnapshotFile } from '../../../diag/snapshot/read.ts';
import { addObjects, snapshotDir, snapshotOf } from '../signatures.fixtures.ts';

const tmp = snapshotDir();
afterAll(() => tmp.cleanup());

/** Splits JSON-SEQ (RFC 7464): every record is RS, a JSON text and a line feed. */
function records(text: string): Record<string, any>[] {
  expect(text.startsWith(RS)).toBe(true);
  return text
    .split(RS)
    .slice(1)
    .map((chunk) => {
      expect(chunk.endsWith('\n')).toBe(true);
      return JSON.parse(chunk);
    });
}

describe('qlog export', () => {
  it('a snapshot without QUIC connections has nothing to export', () => {
    const g = readSnapshotFile(join(projectRoot, 'fixtures/snapshots/v1-bug.fbsnap'));
    expect(quicConnections(g)).toEqual([]);
    expect(exportQlog(g)).toEqual({ connections: 0, text: '', records: 0 });
  });

  it("writes JSON-SEQ with qlog's header and events of each QUIC connection (main schema fields)", () => {
    const ids = addObjects();
    const d = snapshotOf(tmp.dir, 'seed1-h3-headers');
    const q = exportQlog(d);
    expect(q.connections).toBe(quicConnections(d).length);
    const recs = records(q.text);
    expect(recs).toHaveLength(q.records);
    const [header, ...events] = recs;
    expect(header).toMatchObject({ qlog_version: QLOG_VERSION, qlog_format: 'JSON-SEQ', trace: { vantage_point: { type: 'server' }, common_fields: { time_format: 'relative' } } });
    const ref = header.trace.common_fields.reference_time as number;
    expect(Number.isFinite(ref)).toBe(true);
    for (const e of events) {
      expect(typeof e.time).toBe('number');
      expect(e.time).toBeGreaterThanOrEqual(0);
      expect(e.name).toMatch(/^[a-z0-9_]+:[a-z0-9_]+$/);
      expect(e.group_id).toMatch(/^0x[0-9a-f]+$/);
      expect(typeof e.data).toBe('object');
    }
    expect(events.map((e) => e.time)).toEqual([...events.map((e) => e.time)].sort((a, b) => a - b));
    const hex = (n: number) => `0x${n.toString(16)}`;
    expect(events.filter((e) => e.name === 'flightbox:connection_lifetime').map((e) => e.group_id)).toContain(hex(ids.quicConn));
    // The h3 events of the QUIC connection's stream belong to it.
    expect(events.find((e) => e.name === 'h3:resp_hdrs' && e.group_id === hex(ids.quicConn))?.data).toMatchObject({ stream_id: hex(ids.quicStream), level: 'proto' });
    expect(events.some((e) => e.name === 'h3:resp_err' && e.data.message === 'response 200 too large (20000 > 16384): HEADERS frame')).toBe(true);
    // Nothing from non-QUIC connections.
    expect(events.some((e) => e.name.startsWith('fixture:'))).toBe(false);
  });
});
