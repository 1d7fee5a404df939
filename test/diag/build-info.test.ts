import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentBuild, projectRoot, readBuildInfo, DEV_BUILD_ID } from '../../diag/build-info.ts';
import { buildFixtureProject, type FixtureProject } from '../../fixtures/symbolicate/build-fixture.ts';
import type { CurrentBuild } from '../../diag/symbolicate.types.ts';

interface BuildInfoModule {
  currentBuild(): CurrentBuild;
  projectRoot(): string;
}

let project: FixtureProject;
let scratch: string;

beforeAll(() => {
  project = buildFixtureProject(['diag/build-info.ts', 'diag/symbolicate.types.ts', 'diag/fault.types.ts'], 'bi-test-1', '7.8.9');
  scratch = mkdtempSync(join(tmpdir(), 'flightbox-build-info-'));
});

afterAll(() => {
  project?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Loads a compiled build-info.js with Node itself (vitest would serve the .ts module instead). */
function loadCompiled(dist: string): BuildInfoModule {
  return createRequire(import.meta.url)(join(dist, 'diag/build-info.js')) as BuildInfoModule;
}

describe('currentBuild', () => {
  test("from TypeScript sources the build is 'dev', without a dist dir, with package.json's version", () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
    expect(currentBuild()).toEqual({ buildId: DEV_BUILD_ID, version: pkg.version, distDir: undefined });
  });

  test('the project root is the checkout holding package.json and diag/', () => {
    expect(existsSync(join(projectRoot(), 'package.json'))).toBe(true);
    expect(existsSync(join(projectRoot(), 'diag', 'build-info.ts'))).toBe(true);
  });

  test('compiled, it reads dist/build-info.json next to dist/diag/', () => {
    const m = loadCompiled(project.dist);
    expect(m.currentBuild()).toEqual({ buildId: 'bi-test-1', version: '7.8.9', distDir: project.dist });
    expect(m.projectRoot()).toBe(project.root);
  });

  test("compiled without build-info.json, the build id is 'unknown' and the version comes from package.json", () => {
    const copy = join(scratch, 'unstamped');
    cpSync(project.root, copy, { recursive: true });
    rmSync(join(copy, 'dist', 'build-info.json'));
    const m = loadCompiled(join(copy, 'dist'));
    expect(m.currentBuild()).toEqual({ buildId: 'unknown', version: '7.8.9', distDir: join(copy, 'dist') });
  });

  test('callers get a copy: changing it does not change the next answer', () => {
    const b = currentBuild();
    b.buildId = 'changed';
    expect(currentBuild().buildId).toBe(DEV_BUILD_ID);
  });
});

describe('readBuildInfo', () => {
  test('reads what scripts/build.ts writes', () => {
    const info = { buildId: '0123456789abcdef0123', version: '0.1.0', builtAt: '2025-01-02T03:04:05.000Z' };
    writeFileSync(join(scratch, 'build-info.json'), JSON.stringify(info, null, 2) + '\n');
    expect(readBuildInfo(scratch)).toEqual(info);
  });

  test('returns undefined for a missing, malformed or id-less file', () => {
    expect(readBuildInfo(join(scratch, 'nowhere'))).toBeUndefined();
    const bad = join(scratch, 'bad');
    cpSync(project.dist, bad, { recursive: true });
    writeFileSync(join(bad, 'build-info.json'), '{"buildId": ');
    expect(readBuildInfo(bad)).toBeUndefined();
    writeFileSync(join(bad, 'build-info.json'), '{"version": "1.0.0"}');
    expect(readBuildInfo(bad)).toBeUndefined();
    writeFileSync(join(bad, 'build-info.json'), '["bi-test-1"]');
    expect(readBuildInfo(bad)).toBeUndefined();
  });

  test('missing version and time read as empty strings', () => {
    const d = join(scratch, 'partial');
    cpSync(project.dist, d, { recursive: true });
    writeFileSync(join(d, 'build-info.json'), '{"buildId": "abc"}');
    expect(readBuildInfo(d)).toEqual({ buildId: 'abc', version: '', builtAt: '' });
  });
});
