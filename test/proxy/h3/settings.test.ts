/** proxy/h3/settings.ts: SETTINGS payloads (RFC 9114 §7.2.4, §7.2.4.1; RFC 9204 §5). */
import { describe, expect, it } from 'vitest';
import { buildSettings, parseSettings, DEFAULT_H3_SETTINGS } from '../../../proxy/h3/settings.ts';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('SETTINGS', () => {
  it('parses the QPACK and field-section identifiers and keeps the rest', () => {
    const r = parseSettings(bytes('01 4400 07 4064 06 4fff 21 00 80000040 05'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.settings.qpackMaxTableCapacity).toBe(0x400);
    expect(r.settings.qpackBlockedStreams).toBe(100);
    expect(r.settings.maxFieldSectionSize).toBe(0xfff);
    // reserved 0x21 (0x1f*0+0x21) and 0x40 written on 4 bytes are kept by exact identifier
    expect(r.settings.other).toEqual(new Map([['33', 0], ['64', 5]]));
  });

  it('an identifier repeated (even encoded differently) is H3_SETTINGS_ERROR (§7.2.4)', () => {
    const r = parseSettings(bytes('21 00 4021 01'));
    expect(r).toMatchObject({ ok: false, error: { code: 'H3_SETTINGS_ERROR', offset: 2 } });
    expect(parseSettings(bytes('06 10 06 10'))).toMatchObject({ ok: false, error: { code: 'H3_SETTINGS_ERROR' } });
  });

  it('HTTP/2 identifiers 0x00, 0x02-0x05 are H3_SETTINGS_ERROR (§7.2.4.1)', () => {
    for (const id of ['00', '02', '03', '04', '05']) {
      const r = parseSettings(bytes(`01 00 ${id} 01`));
      expect(r, id).toMatchObject({ ok: false, error: { code: 'H3_SETTINGS_ERROR', offset: 2 } });
    }
  });

  it('huge reserved identifiers stay distinct (exact comparison)', () => {
    // 0x1f*N+0x21 identifiers above 2^53 written as 8-byte varints.
    const r = parseSettings(bytes('ff00000000000021 01 ff00000000000040 02'));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.settings.other.size).toBe(2);
  });

  it('defaults: capacity 0, blocked 0, unlimited field section (§7.2.4.2)', () => {
    const r = parseSettings(new Uint8Array(0));
    expect(r).toEqual({ ok: true, settings: DEFAULT_H3_SETTINGS });
  });

  it('builds in a fixed order and round-trips', () => {
    const b = buildSettings({ qpackMaxTableCapacity: 4096, maxFieldSectionSize: 100, qpackBlockedStreams: 16, other: new Map([['64', 7]]) });
    expect(hex(b)).toBe('01 5000 06 4064 07 10 4040 07'.replace(/ /g, ''));
    expect(parseSettings(b)).toEqual({ ok: true, settings: { qpackMaxTableCapacity: 4096, qpackBlockedStreams: 16, maxFieldSectionSize: 100, other: new Map([['64', 7]]) } });
    expect(() => buildSettings({ other: new Map([['2', 1]]) })).toThrow(RangeError);
  });
});
