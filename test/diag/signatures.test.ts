import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../diag/paths.ts';
import { explainSnapshot } from '../../diag/snapshot/explain.ts';
import { readSnapshotFile } from '../../diag/snapshot/read.ts';
import { decodeJsonDocument, renderDecodeText } from '../../diag/render/decode.ts';
import {
  SIGNATURES,
  fingerprintInputs,
  fingerprintOf,
  knownIssueOfSubject,
  matchKnownIssue,
  normaliseFn,
  renderKnownIssue,
  subjectOf,
} from '../../diag/signatures.ts';
import type { Signature } from '../../diag/signatures.types.ts';
import { snapshotDir, snapshotOf, snapshotWith, type FaultClass } from './signatures.fixtures.ts';

const tmp = snapshotDir();
afterAll(() => tmp.cleanup());

/** Each class the fixture raises, and the signature it must match. */
const EXPECTED: [FaultClass, string, number | undefined][] = [
  ['seed1-h3-headers', 'h3-resp-headers-overflow', 1],
  ['seed2-goaway', 'quic-goaway-migration-race', 2],
  ['seed3-peers-learn', 'peers-learn-after-disconnect', 3],
  ['seed4-ncbuf', 'quic-crypto-ncbuf-alloc', 4],
  ['seed5-stksess', 'stksess-kill-race', 5],
  ['pool-tag-mismatch', 'pool-tag-mismatch', undefined],
  ['pool-double-free', 'pool-double-free', undefined],
  ['pool-integrity', 'pool-integrity', undefined],
  ['stall', 'watchdog-stall', undefined],
  ['oom', 'worker-oom', undefined],
  ['uncaught', 'uncaught-error', undefined],
  ['bug', 'bug-on', undefined],
];

describe('the catalogue', () => {
  it('has one entry per seed crash class, and unique ids with what/why/check/fix filled in', () => {
    expect(SIGNATURES.filter((s) => s.seed !== undefined).map((s) => s.seed)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(SIGNATURES.map((s) => s.id)).size).toBe(SIGNATURES.length);
    for (const s of SIGNATURES) {
      expect(s.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect([s.what, s.why, s.fix].every((t) => t.length > 20), s.id).toBe(true);
      expect(s.check.length, s.id).toBeGreaterThan(0);
      if (s.seed !== undefined) expect(s.evidence.some((e) => e.type === 'frame' && e.required), s.id).toBe(true);
    }
  });
});

describe('matching real snapshots of each crash class', () => {
  for (const [cls, id, seed] of EXPECTED) {
    it(`${cls} matches ${id} with high confidence, with the same fingerprint in two runs`, () => {
      const a = explainSnapshot(snapshotOf(tmp.dir, cls)).knownIssue;
      const b = explainSnapshot(snapshotOf(tmp.dir, cls)).knownIssue;
      expect(a.best?.signature.id, renderKnownIssue(a).join('\n')).toBe(id);
      expect(a.best!.signature.seed).toBe(seed);
      expect(a.best!.level).toBe('high');
      expect(a.best!.confidence).toBeGreaterThanOrEqual(0.8);
      expect(a.fingerprint).toMatch(/^[0-9a-f]{10}$/);
      expect(b.fingerprint).toBe(a.fingerprint);
      expect(b.best?.signature.id).toBe(id);
    });
  }

  it('a seed class wins over the generic class that also fits (more evidence)', () => {
    const k = explainSnapshot(snapshotOf(tmp.dir, 'seed5-stksess')).knownIssue;
    expect(k.matches.map((m) => m.signature.id)).toEqual(['stksess-kill-race', 'bug-on']);
    expect(k.best!.matched).toContain('a frame in stksessKill');
    expect(k.fingerprintInputs).toEqual(expect.arrayContaining(['kind=bug', 'fn=stksessKill', 'fn=releaseUnlocked', 'fn=release']));
  });

  it('seed 4 counts the failure the real quic_ncbuf pool recorded', () => {
    const k = explainSnapshot(snapshotOf(tmp.dir, 'seed4-ncbuf')).knownIssue;
    expect(k.best!.matched).toContain('allocation failures counted in the quic_ncbuf pool');
    expect(k.best!.missing).toEqual([]);
  });

  it('different bugs get different fingerprints', () => {
    const fps = EXPECTED.map(([cls]) => explainSnapshot(snapshotOf(tmp.dir, cls)).knownIssue.fingerprint);
    expect(new Set(fps).size).toBe(fps.length);
  });

  it('pool faults fingerprint the declared pools and sites, not the underlying merged pool or the lines', () => {
    const k = explainSnapshot(snapshotOf(tmp.dir, 'pool-double-free')).knownIssue;
    expect(k.fingerprintInputs.slice(0, 6)).toEqual([
      'kind=pool',
      'pool-problem=double-free',
      'pool=sig_session',
      'item-pool=sig_session',
      'alloc-site=endSession',
      'free-site=endSession',
    ]);
    expect(k.fingerprintInputs.join(' ')).not.toMatch(/\d{2,}|\.ts/);
  });

  it('a snapshot of another kind (panic, on demand) matches no known issue, and says so', () => {
    for (const d of [snapshotOf(tmp.dir, 'panic'), snapshotWith(tmp.dir, undefined)]) {
      const ex = explainSnapshot(d);
      expect(ex.knownIssue.best).toBeUndefined();
      expect(ex.knownIssue.matches).toEqual([]);
      expect(ex.knownIssue.fingerprint).toMatch(/^[0-9a-f]{10}$/);
      expect(renderKnownIssue(ex.knownIssue)).toContain('No known issue matches this snapshot.');
      expect((decodeJsonDocument(ex).knownIssue as { match: unknown }).match).toBeNull();
    }
  });
});

describe('the committed golden snapshot', () => {
  const golden = join(projectRoot, 'fixtures/snapshots/v1-bug.fbsnap');

  it('matches the generic BUG_ON class; its fingerprint is pinned (same bug, any build, any run)', () => {
    const k = explainSnapshot(readSnapshotFile(golden)).knownIssue;
    expect(k.best?.signature.id).toBe('bug-on');
    expect(k.fingerprintInputs).toEqual(['kind=bug', 'fn=h1_check_header', 'fn=h1_parse_headers', 'fn=buildSyntheticRecorder']);
    expect(k.fingerprint).toBe(fingerprintOf(k.fingerprintInputs));
    expect(k.fingerprint).toBe('5cb2dbf898');
  });

  it('the raw frames alone (no symbolication) give the same fingerprint as the mapped ones', () => {
    const d = readSnapshotFile(golden);
    expect(matchKnownIssue(d).fingerprint).toBe(explainSnapshot(d).knownIssue.fingerprint);
  });

  it('moving the code (other lines, columns, paths, class prefixes) keeps the fingerprint; another function changes it', () => {
    const d = readSnapshotFile(golden);
    const base = matchKnownIssue(d).fingerprint;
    const moved = {
      ...d,
      fault: {
        ...d.fault!,
        frames: d.fault!.frames.map((f, i) => ({ ...f, fn: i === 0 ? `H1Parser.${f.fn}` : f.fn, line: f.line + 40, col: f.col + 3, file: f.file.replace('synthetic.ts', 'synthetic-v2.ts') })),
      },
    };
    expect(matchKnownIssue(moved).fingerprint).toBe(base);
    const other = { ...d, fault: { ...d.fault!, frames: d.fault!.frames.map((f, i) => (i === 0 ? { ...f, fn: 'h1_check_trailer' } : f)) } };
    expect(matchKnownIssue(other).fingerprint).not.toBe(base);
  });

  it('the golden decode text without the option stays byte for byte; with it, a Known issue section follows the summary', () => {
    const ex = explainSnapshot(readSnapshotFile(golden));
    expect(renderDecodeText(ex)).toBe(readFileSync(join(projectRoot, 'fixtures/snapshots/v1-bug.decode.txt'), 'utf8'));
    const text = renderDecodeText(ex, { knownIssue: true });
    expect(text).toMatch(/== Summary ==[\s\S]*== Known issue ==\nFingerprint: 5cb2dbf898 \(kind=bug, [^\n]*\)\nMatch: bug-on: Assertion failed \(BUG_ON\) \(confidence 1\.00, high\)\n[\s\S]*== Call chain ==/);
  });
});

describe('the matcher', () => {
  const subject = subjectOf(readSnapshotFile(join(projectRoot, 'fixtures/snapshots/v1-bug.fbsnap')));
  const sig = (evidence: Signature['evidence']): Signature => ({ id: 'x', title: 't', kinds: ['bug'], evidence, what: 'w', why: 'y', check: ['c'], fix: 'f' });

  it('normalises V8 names: class prefixes, async/new, anonymous', () => {
    expect(normaliseFn('StickTable.stksessKill')).toBe('stksessKill');
    expect(normaliseFn('async Server.h3RespHeadersSend')).toBe('h3RespHeadersSend');
    expect(normaliseFn('new Pool')).toBe('Pool');
    expect(normaliseFn('Object.<anonymous>')).toBe('');
    expect(normaliseFn('')).toBe('');
  });

  it('a required piece of evidence that does not hold rules a signature out; optional ones lower the confidence', () => {
    const req = sig([{ type: 'frame', fns: ['nowhere'], weight: 3, required: true, label: 'f' }]);
    expect(knownIssueOfSubject(subject, [req]).best).toBeUndefined();
    const half = sig([
      { type: 'frame', fns: ['h1_check_header'], weight: 2, label: 'frame' },
      { type: 'message', pattern: /no such text/, weight: 2, label: 'msg' },
    ]);
    const m = knownIssueOfSubject(subject, [half]).best!;
    expect(m).toMatchObject({ confidence: 0.6, level: 'medium', matched: ['fault kind bug', 'frame'], missing: ['msg'] });
    const low = sig([{ type: 'message', pattern: /no such text/, weight: 4, label: 'msg' }]);
    expect(knownIssueOfSubject(subject, [low]).best).toBeUndefined(); // 1/5 < 0.5
  });

  it('the kind gates: a signature of other kinds never matches', () => {
    expect(knownIssueOfSubject(subject, [{ ...sig([]), kinds: ['pool'] }]).matches).toEqual([]);
  });

  it('frames are looked for among the first `within` in-app frames only', () => {
    const deep = (within: number) => sig([{ type: 'frame', fns: ['buildSyntheticRecorder'], within, weight: 1, required: true, label: 'f' }]);
    expect(knownIssueOfSubject(subject, [deep(2)]).best).toBeUndefined();
    expect(knownIssueOfSubject(subject, [deep(4)]).best?.signature.id).toBe('x');
  });

  it('conditions on the context object, its details, its events and the pools', () => {
    const ok = sig([
      { type: 'object', kinds: ['stream'], weight: 1, required: true, label: 'o' },
      { type: 'detail', key: 'pool', pattern: /^fixture_hdrs$/, weight: 1, required: true, label: 'd' },
      { type: 'event', source: 'fixture', event: /^hdr$/, weight: 1, required: true, label: 'e' },
      { type: 'pool', name: /^fixture_hdrs$/, offending: true, weight: 1, required: true, label: 'p' },
    ]);
    expect(knownIssueOfSubject(subject, [ok]).best?.confidence).toBe(1);
    for (const e of [
      { type: 'object', kinds: ['peer'] },
      { type: 'detail', key: 'pool', pattern: /^other$/ },
      { type: 'event', source: 'h3' },
      { type: 'pool', name: /^fixture_hdrs$/, failures: true },
    ] as const) {
      expect(knownIssueOfSubject(subject, [sig([{ ...e, weight: 1, required: true, label: 'x' }])]).best, JSON.stringify(e)).toBeUndefined();
    }
  });

  it('fingerprint inputs never contain lines, ids or times', () => {
    expect(fingerprintInputs(subject).every((i) => /^(kind|fn|pool|item-pool|pool-problem|alloc-site|free-site|error)=[\w-]+$/.test(i))).toBe(true);
  });
});

describe('decode --json: knownIssue', () => {
  it('carries the match, its confidence and the fingerprint, every field documented in docs/decode-json.md', () => {
    const ex = explainSnapshot(snapshotOf(tmp.dir, 'seed5-stksess'));
    const j = decodeJsonDocument(ex) as { summary: { fingerprint: string }; knownIssue: Record<string, any> };
    expect(j.knownIssue).toMatchObject({ fingerprint: ex.knownIssue.fingerprint, match: { id: 'stksess-kill-race', seed: 5, level: 'high', confidence: 1 } });
    expect(j.knownIssue.others).toEqual([{ id: 'bug-on', title: 'Assertion failed (BUG_ON)', seed: null, confidence: 1, level: 'high' }]);
    expect(j.summary.fingerprint).toBe(ex.knownIssue.fingerprint);
    const doc = readFileSync(join(projectRoot, 'docs/decode-json.md'), 'utf8');
    const keys = [...Object.keys(j.knownIssue), ...Object.keys(j.knownIssue.match), 'knownIssue', 'fingerprint'];
    expect(keys.filter((k) => !doc.includes(`\`${k}\``))).toEqual([]);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});
