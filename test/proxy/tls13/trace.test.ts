/** The `tls13` trace source declares its catalog and the points the engines use. */
import { describe, expect, it } from 'vitest';
import { TLS13, T13, TLS13_EVENTS } from '../../../proxy/tls13/trace.ts';
import { tracePoints } from '../../../diag/trace.ts';

describe('tls13 trace source', () => {
  it('is named tls13 and registers one point per engine step', () => {
    expect(TLS13.name).toBe('tls13');
    expect(TLS13_EVENTS.map((e) => e.name)).toEqual(['hs-rx', 'hs-tx', 'hs-hrr', 'hs-keys', 'hs-done', 'hs-alert']);
    const mine = tracePoints().filter((p) => p.source === 'tls13');
    expect(mine.map((p) => p.fn).sort()).toEqual(
      ['tls13_alert', 'tls13_complete', 'tls13_hello_retry', 'tls13_install_keys', 'tls13_process_msg', 'tls13_send_msg'],
    );
    expect(T13.alert.info.level).toBe('error');
  });
});
