/** The `quic` trace source declares its catalog and the points recovery and reassembly use. */
import { describe, expect, it } from 'vitest';
import { QUIC, QTR, QUIC_EVENTS } from '../../../proxy/quic/trace.ts';
import { tracePoints } from '../../../diag/trace.ts';
import { Recovery } from '../../../proxy/quic/recovery.ts';

describe('quic trace source', () => {
  it('is named quic and registers one point per event', () => {
    expect(QUIC.name).toBe('quic');
    expect(QUIC_EVENTS.map((e) => e.name)).toEqual(['pkt_sent', 'pkt_rcvd', 'pkt_lost', 'ack_rcvd', 'ack_sent', 'pto', 'cc_state', 'ncbuf', 'quic_err', 'retry', 'version_neg', 'stateless_reset']);
    const mine = tracePoints().filter((p) => p.source === 'quic');
    expect(mine.map((p) => p.event)).toEqual(QUIC_EVENTS.map((e) => e.name));
    expect(QTR.ncbuf.info.fn).toBe('quicGetNcbuf');
    expect(QTR.error.info.level).toBe('error');
  });

  it('engines run with the source detached (every point off)', () => {
    const r = new Recovery({ isServer: false, connId: 5 });
    expect(r.onPacketReceived('initial', 0, true, 10)).toBe(true);
    expect(r.onPacketReceived('initial', 0, true, 11)).toBe(false);
    expect(r.buildAck('initial', 12)!.ranges).toEqual([{ smallest: 0, largest: 0 }]);
    expect(QTR.pktRcvd.on).toBe(false);
  });
});
