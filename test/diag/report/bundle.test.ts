import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedactionLeakError, describePolicy, writeReportBundle } from '../../../diag/report/bundle.ts';
import { buildPolicy } from '../../../diag/report/policy.ts';
import { SnapshotFormatError, decodeSnapshot } from '../../../diag/snapshot/container.ts';
import { readSnapshotFile } from '../../../diag/snapshot/read.ts';
import { CONFIG, SECRETS, allBytes, secretSnapshot } from './secret-snapshot.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-report-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function snapshotFile(): string {
  const f = join(dir, 'flightbox-4242-20231114-221320-bug-t1-abcd.fbsnap');
  writeFileSync(f, secretSnapshot());
  return f;
}

describe('writeReportBundle', () => {
  it('writes the Markdown and the redacted snapshot, neither holding any planted secret', () => {
    const file = snapshotFile();
    const out = join(dir, 'out');
    const b = writeReportBundle(file, { outDir: out, patterns: ['tok_live_[0-9a-f]+'], env: { FB_REPORT_TEST_SECRET: SECRETS.env }, now: 1 });
    expect(b.markdownPath).toBe(join(out, 'flightbox-4242-20231114-221320-bug-t1-abcd.report.md'));
    expect(b.snapshotPath).toBe(join(out, 'flightbox-4242-20231114-221320-bug-t1-abcd.redacted.fbsnap'));
    const md = readFileSync(b.markdownPath, 'utf8');
    const image = readFileSync(b.snapshotPath);
    expect(b.markdownBytes).toBe(Buffer.byteLength(md));
    expect(b.snapshotBytes).toBe(image.length);
    const bytes = allBytes(image, decodeSnapshot(image).sections.flatMap((s) => (s.data ? [s.data] : [])));
    for (const [where, v] of Object.entries(SECRETS)) {
      expect(md.includes(v), `markdown: ${where}`).toBe(false);
      expect(bytes.includes(v), `snapshot: ${where}`).toBe(false);
    }
    // The context is still there.
    expect(md).toContain('`GET /api/items?session_token=<redacted>&page=2 HTTP/1.1`'); // a code span in the intro line
    expect(md).toContain('info: GET /api/items?session_token=<redacted>&page=2 HTTP/1.1'); // as is in the code block
    expect(md).toContain('#0 h1_check_header (proxy/h1/conn.ts:40:3)');
    expect(md).toContain('status 502');
    expect(md).toContain('    bind 127.0.0.1:8080');
    expect(md).toContain('Redacted: values of the environment variables FB\\_REPORT\\_TEST\\_SECRET (referenced by the configuration).');
    expect(statSync(b.markdownPath).mode & 0o777).toBe(0o600);
    // The copy decodes like any snapshot.
    const d = readSnapshotFile(b.snapshotPath);
    expect(d.unusable).toBe(false);
    expect(d.fault?.kind).toBe('bug');
    expect(b.attach).toHaveLength(2);
    expect(b.attach[0]).toContain(b.markdownPath);
    expect(b.attach[1]).toContain(b.snapshotPath);
  });

  it('removes the value of a referenced environment variable only when the report runs with it', () => {
    // The planted env value sits in a ring text of this synthetic snapshot: only the env rule knows it.
    const b = writeReportBundle(snapshotFile(), { outDir: dir, patterns: ['tok_live_[0-9a-f]+'], env: {} });
    expect(readFileSync(b.markdownPath, 'utf8')).toContain(SECRETS.env);
    expect(b.redactionNotes.join('\n')).not.toContain('environment');
  });

  it('says the known-issue result of the catalogue (or that there is none) in the Markdown', () => {
    const b = writeReportBundle(snapshotFile(), { outDir: dir, knownIssue: () => ({ status: 'unavailable', reason: 'catalogue switched off' }) });
    expect(readFileSync(b.markdownPath, 'utf8')).toContain('_Not matched: catalogue switched off._');
    const c = writeReportBundle(snapshotFile(), { outDir: join(dir, 'c') });
    expect(readFileSync(c.markdownPath, 'utf8')).toMatch(/## Known issue\n\nFingerprint: `[0-9a-f]{10}`/);
  });

  it('refuses a file that is not a snapshot, and an invalid pattern, writing nothing', () => {
    const bad = join(dir, 'bad.fbsnap');
    writeFileSync(bad, 'not a snapshot at all, just text');
    expect(() => writeReportBundle(bad, { outDir: join(dir, 'o1') })).toThrow(SnapshotFormatError);
    expect(() => writeReportBundle(snapshotFile(), { outDir: join(dir, 'o2'), patterns: ['('] })).toThrow(/invalid --redact pattern/);
    expect(existsSync(join(dir, 'o1'))).toBe(false);
    expect(existsSync(join(dir, 'o2'))).toBe(false);
  });

  it('describes the policy without printing secrets or pattern texts', () => {
    const p = buildPolicy({ configText: CONFIG, patterns: ['tok_live_[0-9a-f]+'], env: { FB_REPORT_TEST_SECRET: SECRETS.env } });
    const text = describePolicy(p).join('\n');
    expect(text).toContain('x-api-key');
    expect(text).toContain('session_token');
    expect(text).toContain('1 --redact pattern');
    expect(text).not.toContain('tok_live');
    expect(text).not.toContain(SECRETS.env);
  });

  it('RedactionLeakError lists where, and says nothing was written', () => {
    const e = new RedactionLeakError(['section 3 (config): a match of --redact pattern #1']);
    expect(e.message).toMatch(/^redaction check failed, nothing written: section 3 \(config\): a match of --redact pattern #1; please report/);
  });
});
