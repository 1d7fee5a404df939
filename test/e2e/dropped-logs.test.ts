/**
 * Traffic log lines that could not be sent are counted per worker and shown by `show info` as
 * HAProxy's `DroppedLogs`.
 */
import { describe, expect, it } from 'vitest';
import { startProxy, waitFor } from './harness.ts';

describe('lost log lines', () => {
  it("are counted in show info's DroppedLogs, as HAProxy does (a UNIX target whose socket is gone)", async () => {
    const p = await startProxy({ frontend: ['log /nonexistent/flightbox-test.sock local0', 'option httplog'] });
    try {
      expect(await p.cli('show info')).toMatch(/^DroppedLogs: 0$/m);
      for (let i = 0; i < 3; i++) expect((await p.get(`/lost-${i}`)).status).toBe(200);
      await waitFor(async () => /^DroppedLogs: [1-9]\d*$/m.test(await p.cli('show info')), 10_000, 'DroppedLogs > 0');
    } finally {
      await p.stop();
    }
  });
});
