import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../../diag/redact.ts';
import { buildPolicy } from '../../../diag/report/policy.ts';
import { checkImage, redactRing, redactSnapshotImage } from '../../../diag/report/redact-snapshot.ts';
import { createRingMemory, readRing, ringInfo, RingWriter, copyRing } from '../../../diag/ring.ts';
import { ENCODING, SECTION, decodeJson, decodeSnapshot, unpackHeaderBody } from '../../../diag/snapshot/container.ts';
import { explainSnapshot } from '../../../diag/snapshot/explain.ts';
import { readSnapshot } from '../../../diag/snapshot/read.ts';
import { renderDecodeText } from '../../../diag/render/decode.ts';
import { CONFIG, KEPT, SECRETS, allBytes, secretSnapshot } from './secret-snapshot.ts';

const ENV = { FB_REPORT_TEST_SECRET: SECRETS.env };

function policy(patterns: string[] = ['tok_live_[0-9a-f]+']) {
  return buildPolicy({ configText: CONFIG, patterns, env: ENV });
}

function everyByte(image: Uint8Array): string {
  return allBytes(image, decodeSnapshot(image).sections.flatMap((s) => (s.data ? [s.data] : [])));
}

describe('redactRing', () => {
  it('keeps every record (slot, sequence, time, ids, point, arguments) and redacts only texts', () => {
    const sab = createRingMemory(8 * 1024, 3);
    const w = new RingWriter(sab);
    for (let i = 0; i < 50; i++) w.write(i % 4, 7, 9, i, i * 2, -i, i % 3 === 0 ? undefined : `text ${i} secret`);
    const ring = copyRing(sab);
    const out = redactRing(ring, (t) => t.replace('secret', 'gone'));
    const before = readRing(ring);
    const after = readRing(out);
    expect(after).toHaveLength(before.length);
    after.forEach((r, i) => {
      const b = before[i];
      expect({ ...r, text: undefined }).toEqual({ ...b, text: undefined });
      expect(r.text).toBe(b.text?.replace('secret', 'gone'));
    });
    expect(ringInfo(out)).toMatchObject({ capacity: ringInfo(ring).capacity, thread: 3, written: 50, timeOrigin: ringInfo(ring).timeOrigin });
  });

  it('does not carry over text bytes of records that were overwritten', () => {
    const sab = createRingMemory(8 * 1024, 1);
    const w = new RingWriter(sab);
    w.write(0, 1, 1, 0, 0, 0, 'STALE-TEXT-NOBODY-REFERS-TO');
    for (let i = 0; i < 70; i++) w.write(0, 1, 1, i, 0, 0, `f${i}`);
    const ring = copyRing(sab);
    expect(Buffer.from(ring).toString('latin1')).toContain('STALE-TEXT-NOBODY-REFERS-TO');
    expect(readRing(ring).some((r) => r.text?.includes('STALE'))).toBe(false);
    const out = redactRing(ring, (t) => t);
    expect(Buffer.from(out).toString('latin1')).not.toContain('STALE-TEXT');
    expect(readRing(out).map((r) => r.text)).toEqual(readRing(ring).map((r) => r.text));
  });

  it('grows the text area when redacted texts are longer, and keeps a lost text lost', () => {
    const sab = createRingMemory(4 * 1024, 1);
    const w = new RingWriter(sab);
    for (let i = 0; i < 16; i++) w.write(0, 1, 1, i, 0, 0, `t${i}`);
    const ring = copyRing(sab);
    const out = redactRing(ring, (t) => `${t} ${'y'.repeat(200)}`);
    expect(ringInfo(out).textCapacity).toBeGreaterThan(ringInfo(ring).textCapacity);
    expect(readRing(out).every((r, i) => r.text === `t${i} ${'y'.repeat(200)}`)).toBe(true);

    // A ring whose oldest texts were overwritten by newer ones reads back '<lost>' for them.
    const small = createRingMemory(4 * 1024, 1);
    const ws = new RingWriter(small);
    for (let i = 0; i < 16; i++) ws.write(0, 1, 1, i, 0, 0, `${i}:${'z'.repeat(250)}`);
    const lossy = copyRing(small);
    const lost = readRing(lossy).filter((r) => r.text === '<lost>').length;
    expect(lost).toBeGreaterThan(0);
    expect(readRing(redactRing(lossy, (t) => t)).filter((r) => r.text === '<lost>').length).toBe(lost);
  });

  it('refuses bytes that are not a ring', () => {
    expect(() => redactRing(new Uint8Array(100), (t) => t)).toThrow(/not a ring/);
  });
});

describe('redactSnapshotImage', () => {
  it('the planted secrets really are in the original, hidden in deflated sections', () => {
    const img = secretSnapshot();
    const c = decodeSnapshot(img);
    expect(c.sections.filter((s) => s.type !== 999).every((s) => s.status === 'ok')).toBe(true);
    const raw = img.toString('latin1');
    const decompressed = everyByte(img);
    for (const v of Object.values(SECRETS)) {
      expect(raw).not.toContain(v); // compressed: a byte search of the file alone proves nothing
      expect(decompressed).toContain(v);
    }
    expect(img.readUInt8(40 + 6)).toBe(ENCODING.DEFLATE_RAW); // META is deflated
  });

  it('removes every planted secret from every byte, compressed sections included', () => {
    const r = redactSnapshotImage(secretSnapshot(), policy(), 1_700_000_100_000);
    expect(r.leaks).toEqual([]);
    const bytes = everyByte(r.image);
    for (const [where, v] of Object.entries(SECRETS)) expect(bytes.includes(v), where).toBe(false);
    expect(bytes).toContain(REDACTED);
  });

  it('keeps the context and stays readable by the decoder (same container format, same order)', () => {
    const original = secretSnapshot();
    const r = redactSnapshotImage(original, policy(), 1_700_000_100_000);
    const c = decodeSnapshot(r.image);
    expect(c.createdAt).toBe(decodeSnapshot(original).createdAt);
    expect(c.sections.map((s) => s.type)).toEqual(decodeSnapshot(original).sections.map((s) => s.type));
    const d = readSnapshot(r.image, 'x.fbsnap');
    expect(d.unusable).toBe(false);
    expect(d.fault?.frames[0].fn).toBe('h1_check_header');
    expect(d.live.find((o) => o.id === 2)?.info).toBe(`GET /api/items?session_token=${REDACTED}&page=2 HTTP/1.1`);
    expect(d.config).toContain('bind 127.0.0.1:8080');
    expect(d.config!.split('\n')).toHaveLength(CONFIG.split('\n').length);
    const text = renderDecodeText(explainSnapshot(d));
    for (const k of KEPT) expect(text).toContain(k);
    expect(d.rings[0].records.length).toBe(readSnapshot(original).rings[0].records.length);
  });

  it('empties the sections it cannot decode, keeps their place and says so in META', () => {
    const r = redactSnapshotImage(secretSnapshot(), policy(), 1_700_000_100_000);
    expect(r.emptied).toHaveLength(1);
    expect(r.emptied[0]).toMatch(/unknown section type 999 .*cannot be decoded by this version/);
    const c = decodeSnapshot(r.image);
    const unknown = c.sections.find((s) => s.type === 999)!;
    expect(unknown.data).toHaveLength(0);
    const meta = decodeJson(c.sections.find((s) => s.type === SECTION.META)!.data!) as { extra: { report: { redacted: boolean; time: number; emptied: string[] } } };
    expect(meta.extra.report).toEqual({ redacted: true, time: 1_700_000_100_000, emptied: r.emptied });
    expect(r.changed).toEqual(expect.arrayContaining(['FAULT', 'LIVE (thread 1)', 'CONFIG', 'RING (thread 1, flight)']));
  });

  it('redacts the ring header strings too and keeps its thread and ring name', () => {
    const r = redactSnapshotImage(secretSnapshot(), policy(), 0);
    const ring = decodeSnapshot(r.image).sections.find((s) => s.type === SECTION.RING)!;
    expect(unpackHeaderBody(ring.data!).header).toEqual({ thread: 1, ring: 'flight', layout: 1 });
  });

  it('without the --redact pattern, the token only a pattern can know survives, and the check names where', () => {
    const p = policy([]);
    const r = redactSnapshotImage(secretSnapshot(), p, 0);
    expect(everyByte(r.image)).toContain(SECRETS.pattern);
    // Checked against a policy that knows the pattern: found, named by section, secret not printed.
    const leaks = checkImage(r.image, policy());
    expect(leaks.length).toBeGreaterThan(0);
    expect(leaks.join('\n')).toMatch(/section \d+ \((config|ring)\): a match of --redact pattern #1/);
    expect(leaks.join('\n')).not.toContain(SECRETS.pattern);
  });

  it('finds an environment value left in the raw bytes, naming the variable, not the value', () => {
    const leaks = checkImage(secretSnapshot(), policy());
    expect(leaks.some((l) => l.includes('FB_REPORT_TEST_SECRET'))).toBe(true);
    expect(leaks.join('\n')).not.toContain(SECRETS.env);
  });
});
