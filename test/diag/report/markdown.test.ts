import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { projectRoot } from '../../../diag/paths.ts';
import { DEFAULT_REPORT_MAX_BYTES, mdCode, mdText, renderReportMarkdown, type KnownIssueSlot } from '../../../diag/report/markdown.ts';
import { explainSnapshot, type Explanation } from '../../../diag/snapshot/explain.ts';
import { readSnapshotFile } from '../../../diag/snapshot/read.ts';

const golden = () => explainSnapshot(readSnapshotFile(join(projectRoot, 'fixtures/snapshots/v1-bug.fbsnap')));
const unavailable: KnownIssueSlot = { status: 'unavailable', reason: 'no catalogue in this test' };

function sections(md: string): string[] {
  return md.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
}

describe('mdText / mdCode', () => {
  it('escapes HTML and Markdown markup so <redacted> shows as written', () => {
    expect(mdText('a <redacted> *b* | c_d `e`')).toBe('a &lt;redacted&gt; \\*b\\* \\| c\\_d \\`e\\`');
  });

  it('makes code spans that hold backticks and pipes', () => {
    expect(mdCode('a|b')).toBe('`a\\|b`');
    expect(mdCode('x `y` z')).toBe('``x `y` z``');
    expect(mdCode('`edge`')).toBe('`` `edge` ``');
  });
});

describe('renderReportMarkdown', () => {
  it('has the title, the facts table and every part in order', () => {
    const { markdown, cuts } = renderReportMarkdown(golden(), { redactedName: 'v1-bug.redacted.fbsnap', knownIssue: unavailable });
    expect(cuts).toEqual([]);
    const lines = markdown.split('\n');
    expect(lines[0]).toBe('# Flightbox bug on thread 1: BUG\\_ON: header of 9000 bytes exceeds the buffer (4096)');
    expect(markdown).toContain('| **Flightbox** | `0.1.0` (build `dev`) |');
    expect(markdown).toMatch(/\| \*\*Node\*\* \| `v\d+/);
    expect(markdown).toContain('| **Snapshot** | `v1-bug.redacted.fbsnap` (redacted copy');
    expect(sections(markdown)).toEqual([
      'Reason',
      'Call chain',
      'Context object',
      'Last events',
      'Connections and streams',
      'Pools',
      'Threads',
      'CHECK_IF warnings',
      'Configuration (redacted)',
      'Known issue',
    ]);
    expect(markdown).toContain('#0 h1_check_header (fixtures/snapshots/synthetic.ts:68:3) [app]');
    expect(markdown).toMatch(/^0x4: proto=stream tid=1 GET \/big HTTP\/1\.1 age=/m); // show sess lines of the objects
    expect(markdown).toContain('| 1 | **fixture\\_hdrs** ⚠ | object | 96 | 1 | 1 | 0 |');
    expect(markdown).toContain('http-request set-header Authorization <redacted>'); // inside the config code block
    expect(markdown).toContain('_Not matched: no catalogue in this test._');
    expect(Buffer.byteLength(markdown)).toBeLessThan(DEFAULT_REPORT_MAX_BYTES);
  });

  it('puts events and configuration in collapsible <details> blocks with blank lines GitHub needs', () => {
    const { markdown } = renderReportMarkdown(golden(), { redactedName: 'r.fbsnap', knownIssue: unavailable });
    expect(markdown).toContain('<details>\n<summary>20 events</summary>\n\n```\n');
    expect(markdown).toContain('<details>\n<summary>6 lines, secrets removed</summary>\n\n```\nglobal\n');
    expect(markdown.match(/<details>/g)!.length).toBe(markdown.match(/<\/details>/g)!.length);
  });

  it('shows the known-issue match and fingerprint when the catalogue gave one', () => {
    const ex = golden();
    const slot: KnownIssueSlot = {
      status: 'matched',
      result: {
        fingerprint: 'abcdef0123',
        fingerprintInputs: ['kind=bug', 'fn=h1_check_header'],
        matches: [],
        best: {
          signature: { id: 'bug-on', title: 'Assertion failed', kinds: ['bug'], evidence: [], what: 'W', why: 'Y', check: ['C1'], fix: 'F', seed: 2 },
          confidence: 0.9,
          level: 'high',
          matched: ['fault kind bug'],
          missing: [],
          score: 2,
        },
      },
    };
    slot.result.matches.push(slot.result.best!);
    const { markdown } = renderReportMarkdown(ex, { redactedName: 'r.fbsnap', knownIssue: slot });
    expect(markdown).toContain('| **Fingerprint** | `abcdef0123` |');
    expect(markdown).toContain('**Assertion failed** (`bug-on`, seed crash 2): high confidence (90%).');
    expect(markdown).toContain('- **Fix:** F');
  });

  it('stays under the budget by cutting the longest parts, and says what was cut', () => {
    const ex: Explanation = { ...golden() };
    ex.config = Array.from({ length: 5000 }, (_, i) => `    # config line ${i} ${'c'.repeat(40)}`).join('\n');
    ex.events = { ...ex.events, shown: Array.from({ length: 800 }, (_, i) => ({ ...ex.events.shown[0], formatted: `event ${i} ${'e'.repeat(60)}` })) };
    const { markdown, cuts } = renderReportMarkdown(ex, { redactedName: 'r.fbsnap', knownIssue: unavailable });
    expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(DEFAULT_REPORT_MAX_BYTES);
    expect(cuts.map((c) => c.split(':')[0]).sort()).toEqual(['Configuration (redacted)', 'Last events']);
    expect(markdown).toMatch(/> \*\*Shortened to stay under 60 KB:\*\* cut last events \(\d+ lines\), configuration \(redacted\) \(\d+ lines\)\./);
    expect(markdown).toContain('    # config line 0 '); // the configuration keeps its head
    expect(markdown).toContain('event 799 '); // the events keep the newest
    expect(markdown).not.toContain('event 0 ');
    expect(markdown).toMatch(/_\d+ lines before these cut to keep the report small; the attached snapshot holds them all\._/);
  });

  it('honours a smaller budget', () => {
    const { markdown, cuts } = renderReportMarkdown(golden(), { redactedName: 'r.fbsnap', knownIssue: unavailable, maxBytes: 5 * 1024 });
    expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(5 * 1024);
    expect(cuts.length).toBeGreaterThan(0);
  });

  it('passes every line through the scrub', () => {
    const { markdown } = renderReportMarkdown(golden(), { redactedName: 'r.fbsnap', knownIssue: unavailable, scrub: (l) => l.replaceAll('fixture_buf', 'SCRUBBED') });
    expect(markdown).not.toContain('fixture_buf');
    expect(markdown).toContain('SCRUBBED');
  });

  it('fences code that itself holds backtick runs', () => {
    const ex = { ...golden(), config: 'a ``` b\nc' };
    const { markdown } = renderReportMarkdown(ex, { redactedName: 'r.fbsnap', knownIssue: unavailable });
    expect(markdown).toContain('````\na ``` b\nc\n````');
  });
});
