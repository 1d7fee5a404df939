import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRequire } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildFixtureProject, type FixtureProject } from '../../fixtures/symbolicate/build-fixture.ts';
import { createSymbolicator, formatFrame, formatFrames, defaultSearchDirs } from '../../diag/symbolicate.ts';
import { currentBuild, projectRoot } from '../../diag/build-info.ts';
import { captureFrames, framesOf } from '../../diag/frames.ts';
import type { RawFrame } from '../../diag/fault.types.ts';
import type { MappedFrame } from '../../diag/symbolicate.types.ts';

const BUILD = 'fixture-build-1';
const CHAIN_TS = 'fixtures/symbolicate/chain.ts';
const CHAIN_JS = 'fixtures/symbolicate/chain.js';

let project: FixtureProject;
let scratch: string;
let chain: RawFrame[];
let thrown: RawFrame[];
let emitted: RawFrame[];

interface ChainModule {
  captureChain(): RawFrame[];
  throwChain(): RawFrame[];
  emitterChain(): RawFrame[];
}

beforeAll(() => {
  project = buildFixtureProject([CHAIN_TS, 'diag/frames.ts', 'diag/fault.types.ts'], BUILD);
  scratch = mkdtempSync(join(tmpdir(), 'flightbox-symbolicate-scratch-'));
  // Loaded by Node itself (not through vitest's transform, which would shift positions), so the frames
  // are exactly what a compiled flightbox process records.
  const m = createRequire(import.meta.url)(join(project.dist, CHAIN_JS)) as ChainModule;
  chain = m.captureChain();
  thrown = m.throwChain();
  emitted = m.emitterChain();
});

afterAll(() => {
  project?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The fixture source text at a 1-based line:col, to prove the expected positions are the call sites. */
function sourceAt(line: number, col: number): string {
  return readFileSync(join(projectRoot(), CHAIN_TS), 'utf8').split('\n')[line - 1].slice(col - 1);
}

function pick(f: MappedFrame): Pick<MappedFrame, 'fn' | 'file' | 'line' | 'col' | 'inApp' | 'mapped'> {
  return { fn: f.fn, file: f.file, line: f.line, col: f.col, inApp: f.inApp, mapped: f.mapped };
}

/** Copies the fixture dist to `<scratch>/<name>/dist` and returns that dist dir. */
function copyDist(name: string): string {
  const to = join(scratch, name, 'dist');
  cpSync(project.dist, to, { recursive: true });
  return to;
}

describe('mapping a build with matching source maps', () => {
  test('nested named functions map to the exact TypeScript file, line and column', () => {
    const s = createSymbolicator({ buildId: BUILD, distDir: project.dist });
    expect(s.status.found).toBe(true);
    expect(s.status.distDir).toBe(project.dist);
    expect(s.status.warning).toBeUndefined();
    const m = s.mapAll(chain);
    expect(m.slice(0, 3).map(pick)).toEqual([
      { fn: 'leaf', file: CHAIN_TS, line: 21, col: 10, inApp: true, mapped: true },
      { fn: 'middle', file: CHAIN_TS, line: 17, col: 10, inApp: true, mapped: true },
      { fn: 'captureChain', file: CHAIN_TS, line: 12, col: 10, inApp: true, mapped: true },
    ]);
    expect(sourceAt(21, 10)).toMatch(/^captureFrames\(/);
    expect(sourceAt(17, 10)).toMatch(/^leaf\(next\)/);
    expect(sourceAt(12, 10)).toMatch(/^middle\(2\)/);
    // The raw positions were JavaScript ones, in the compiled file.
    expect(m[0].raw).toBe(chain[0]);
    expect(m[0].raw.file).toBe(pathToFileURL(join(project.dist, CHAIN_JS)).href);
    expect(m[0].raw.line).not.toBe(21);
  });

  test('a throw inside a class method maps to the throw site and the calling line', () => {
    const m = createSymbolicator({ buildId: BUILD, distDir: project.dist }).mapAll(thrown);
    expect(m.slice(0, 2).map(pick)).toEqual([
      { fn: 'parse', file: CHAIN_TS, line: 36, col: 33, inApp: true, mapped: true },
      { fn: 'throwChain', file: CHAIN_TS, line: 27, col: 18, inApp: true, mapped: true },
    ]);
    expect(sourceAt(36, 33)).toMatch(/^new Error\(/);
    expect(sourceAt(27, 18)).toMatch(/^parse\('x'\)/);
  });

  test('node internals stay raw and are not in-app; the anonymous listener maps', () => {
    const m = createSymbolicator({ buildId: BUILD, distDir: project.dist }).mapAll(emitted);
    expect(pick(m[0])).toEqual({ fn: '', file: CHAIN_TS, line: 46, col: 14, inApp: true, mapped: true });
    expect(sourceAt(46, 14)).toMatch(/^captureFrames\(/);
    expect(m[1].file).toBe('node:events');
    expect(m[1]).toMatchObject({ inApp: false, mapped: false, line: emitted[1].line, col: emitted[1].col });
    expect(pick(m[2])).toEqual({ fn: 'emitterChain', file: CHAIN_TS, line: 48, col: 6, inApp: true, mapped: true });
  });

  test('frames outside the dist dir (test runner, node_modules, native, node:internal) are not in-app', () => {
    const s = createSymbolicator({ buildId: BUILD, distDir: project.dist });
    const outside = s.mapAll(chain.slice(3));
    expect(outside.length).toBeGreaterThan(1);
    expect(outside.some((f) => f.raw.file.includes('/node_modules/'))).toBe(true);
    for (const f of outside) expect(f).toMatchObject({ inApp: false, mapped: false, file: f.raw.file });
    const internal = s.map({ fn: 'processTicksAndRejections', file: 'node:internal/process/task_queues', line: 105, col: 5 });
    expect(pick(internal)).toEqual({
      fn: 'processTicksAndRejections',
      file: 'node:internal/process/task_queues',
      line: 105,
      col: 5,
      inApp: false,
      mapped: false,
    });
    expect(s.map({ fn: 'Promise', file: '', line: 0, col: 0 })).toMatchObject({ inApp: false, mapped: false });
    expect(s.map({ fn: 'x', file: join(project.dist, 'node_modules/dep/index.js'), line: 1, col: 1 }).inApp).toBe(false);
  });

  test('a position before the first mapping of its line stays unmapped instead of borrowing the previous line', () => {
    const s = createSymbolicator({ buildId: BUILD, distDir: project.dist });
    // Column 1 of `    return captureFrames(0, 8);` is indentation: no segment starts there.
    const f = s.map({ ...chain[0], col: 1 });
    expect(f).toMatchObject({ mapped: false, inApp: true, line: chain[0].line, col: 1 });
    expect(f.file).toBe(chain[0].file);
  });

  test('parsed maps are cached per file', () => {
    const dist = copyDist('cache');
    const s = createSymbolicator({ buildId: BUILD, distDir: project.dist, searchDirs: [dist] });
    expect(s.map(chain[0]).line).toBe(21);
    rmSync(join(dist, `${CHAIN_JS}.map`));
    expect(s.mapAll(chain).slice(0, 3).map((f) => f.line)).toEqual([21, 17, 12]);
    expect(s.status.warning).toBeUndefined();
  });
});

describe('finding the maps of the right build', () => {
  test('a dist dir with another build id is refused with a warning naming both ids, frames stay raw', () => {
    const s = createSymbolicator({ buildId: 'fixture-build-0', distDir: project.dist });
    expect(s.status.found).toBe(false);
    expect(s.status.distDir).toBeUndefined();
    expect(s.status.warning).toContain('fixture-build-0');
    expect(s.status.warning).toContain(`${project.dist} holds build ${BUILD}`);
    expect(s.status.warning).toContain('wrong lines');
    const m = s.mapAll(chain);
    expect(m.slice(0, 3).map(pick)).toEqual(
      chain.slice(0, 3).map((r) => ({ fn: r.fn, file: r.file, line: r.line, col: r.col, inApp: true, mapped: false })),
    );
  });

  test("the CLI's own dist of another build is skipped quietly when the recorded dist matches", () => {
    const other = join(scratch, 'cli-own', 'dist');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'build-info.json'), JSON.stringify({ buildId: 'cli-build-9', version: '9.0.0', builtAt: '' }));
    const s = createSymbolicator({ buildId: BUILD, distDir: project.dist, searchDirs: [other] });
    expect(s.status).toMatchObject({ found: true, distDir: project.dist, warnings: [] });
    expect(s.map(chain[0]).line).toBe(21);
  });

  test('a missing map keeps raw frames and warns once, naming the map file', () => {
    const dist = copyDist('nomap');
    rmSync(join(dist, `${CHAIN_JS}.map`));
    const s = createSymbolicator({ buildId: BUILD, distDir: project.dist, searchDirs: [dist] });
    expect(s.status).toMatchObject({ found: true, distDir: dist });
    expect(s.status.warning).toBeUndefined();
    const m = s.mapAll(chain);
    expect(m.slice(0, 3).map((f) => [f.file, f.line, f.mapped, f.inApp])).toEqual(
      chain.slice(0, 3).map((r) => [r.file, r.line, false, true]),
    );
    expect(s.status.warnings).toHaveLength(1);
    expect(s.status.warning).toContain(join(dist, `${CHAIN_JS}.map`));
    expect(s.status.warning).toContain(BUILD);
  });

  test('a relocated dist (snapshot from another machine) maps through --maps, by path or file URL', () => {
    const checkout = join(scratch, 'elsewhere', 'checkout');
    cpSync(project.dist, join(checkout, 'dist'), { recursive: true });
    const recordedUrl = pathToFileURL(project.dist).href;
    const asUrl = chain.map((f) => ({ ...f, file: f.file.replace(recordedUrl, 'file:///opt/flightbox/dist') }));
    const asPath = chain.map((f) => ({ ...f, file: f.file.replace(recordedUrl, '/opt/flightbox/dist') }));
    expect(asUrl[0].file).toBe(`file:///opt/flightbox/dist/${CHAIN_JS}`);
    // The user points --maps at the checkout; its dist/ holds the same build.
    const s = createSymbolicator({ buildId: BUILD, distDir: '/opt/flightbox/dist', searchDirs: [checkout] });
    expect(s.status).toMatchObject({ found: true, distDir: join(checkout, 'dist'), warnings: [] });
    for (const frames of [asUrl, asPath]) {
      expect(s.mapAll(frames).slice(0, 3).map((f) => `${f.fn} ${f.file}:${f.line}:${f.col} ${f.inApp}`)).toEqual([
        `leaf ${CHAIN_TS}:21:10 true`,
        `middle ${CHAIN_TS}:17:10 true`,
        `captureChain ${CHAIN_TS}:12:10 true`,
      ]);
    }
  });

  test('without a recorded or given dist dir the warning says so and how to fix it', () => {
    const s = createSymbolicator({ buildId: BUILD });
    expect(s.status.found).toBe(false);
    expect(s.status.warning).toContain('no dist directory was recorded or given');
    expect(s.status.warning).toContain(`--maps <dist dir of build ${BUILD}>`);
    expect(s.map(chain[0])).toMatchObject({ mapped: false, inApp: false, file: chain[0].file });
  });

  test('a directory without build-info.json is named in the warning', () => {
    const bare = join(scratch, 'bare');
    mkdirSync(bare, { recursive: true });
    const s = createSymbolicator({ buildId: BUILD, searchDirs: [bare, join(scratch, 'missing')] });
    expect(s.status.warning).toContain(`${bare} has no build-info.json`);
    expect(s.status.warning).toContain(`${join(scratch, 'missing')} does not exist`);
  });

  test('an unknown build id uses the recorded dist with a warning', () => {
    const dist = copyDist('unknown');
    rmSync(join(dist, 'build-info.json'));
    const recorded = pathToFileURL(project.dist).href;
    const frames = chain.map((f) => ({ ...f, file: f.file.replace(recorded, pathToFileURL(dist).href) }));
    const s = createSymbolicator({ buildId: 'unknown', distDir: dist });
    expect(s.status).toMatchObject({ found: true, distDir: dist });
    expect(s.status.warning).toContain('may not match');
    expect(s.map(frames[0])).toMatchObject({ file: CHAIN_TS, line: 21, col: 10 });
  });

  test('defaultSearchDirs puts the user dirs first', () => {
    const own = currentBuild().distDir;
    expect(defaultSearchDirs(['/a', '/b'])).toEqual(own ? ['/a', '/b', own] : ['/a', '/b']);
  });
});

/** Base64 VLQ of one source-map field (ECMA-426 "mappings"). */
function vlq(n: number): string {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let s = '';
  do {
    let d = v & 31;
    v >>>= 5;
    if (v) d |= 32;
    s += B64[d];
  } while (v);
  return s;
}

describe('original function names from the map', () => {
  test("a frame takes the name its caller's call site has in the map's names", () => {
    const root = join(scratch, 'names');
    const dist = join(root, 'dist');
    mkdirSync(dist, { recursive: true });
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(dist, 'build-info.json'), JSON.stringify({ buildId: 'min-1', version: '0', builtAt: '' }));
    // A "minified" script: c calls a calls b, which throws. The map gives a and b their original names.
    const code = 'export function c(){return a()}function a(){return b()}function b(){throw new Error("x")}';
    // Each call site's segment is one character long (a decoy segment follows it), so looking up a
    // column one off (1-based vs 0-based) lands on the decoy and fails the test.
    const segs: [genCol: number, line: number, col: number, name?: number][] = [];
    for (const [g, l, c, n] of [
      [code.indexOf('return a()') + 7, 10, 9, 0],
      [code.indexOf('return b()') + 7, 20, 11, 1],
      [code.indexOf('new Error'), 30, 4, undefined],
    ] as const) {
      segs.push([g, l, c, n], [g + 1, l, c + 50]);
    }
    let prev = [0, 0, 0, 0];
    const mappings = segs
      .map(([g, l, c, n]) => {
        let s = vlq(g - prev[0]) + vlq(0) + vlq(l - prev[1]) + vlq(c - prev[2]);
        if (n !== undefined) s += vlq(n - prev[3]);
        prev = [g, l, c, n ?? prev[3]];
        return s;
      })
      .join(',');
    const map = { version: 3, sources: ['../src/names.ts'], names: ['handleRequest', 'parseHeader'], mappings };
    const inline = Buffer.from(JSON.stringify(map)).toString('base64');
    writeFileSync(join(dist, 'app.js'), `${code}\n//# sourceMappingURL=data:application/json;base64,${inline}\n`);
    const mod = createRequire(import.meta.url)(join(dist, 'app.js')) as { c(): void };
    let frames: RawFrame[] = [];
    try {
      mod.c();
    } catch (e) {
      frames = framesOf(e as Error, 5);
    }
    expect(frames.slice(0, 3).map((f) => f.fn)).toEqual(['b', 'a', 'c']);
    const s = createSymbolicator({ buildId: 'min-1', distDir: dist });
    expect(s.mapAll(frames).slice(0, 3).map(pick)).toEqual([
      { fn: 'parseHeader', file: 'src/names.ts', line: 31, col: 5, inApp: true, mapped: true },
      { fn: 'handleRequest', file: 'src/names.ts', line: 21, col: 12, inApp: true, mapped: true },
      { fn: 'c', file: 'src/names.ts', line: 11, col: 10, inApp: true, mapped: true },
    ]);
    // Alone, a frame has no caller to name it: V8's name stays.
    expect(s.map(frames[0]).fn).toBe('b');
  });
});

describe("a 'dev' build (ran from TypeScript sources)", () => {
  test('frames already at .ts positions are kept, made relative to the project root', () => {
    const s = createSymbolicator({ buildId: 'dev', projectRoot: '/home/a/flightbox' });
    expect(s.status).toMatchObject({ found: true, warnings: [] });
    const m = s.mapAll([
      { fn: 'loop', file: '/home/a/flightbox/proxy/worker/loop.ts', line: 42, col: 7 },
      { fn: '', file: 'file:///home/a/flightbox/diag/x.ts', line: 3, col: 1 },
      { fn: 'parse', file: '/home/a/flightbox/node_modules/commander/lib/command.js', line: 9, col: 2 },
      { fn: 'listOnTimeout', file: 'node:internal/timers', line: 588, col: 17 },
    ]);
    expect(m.map(pick)).toEqual([
      { fn: 'loop', file: 'proxy/worker/loop.ts', line: 42, col: 7, inApp: true, mapped: true },
      { fn: '', file: 'diag/x.ts', line: 3, col: 1, inApp: true, mapped: true },
      { fn: 'parse', file: '/home/a/flightbox/node_modules/commander/lib/command.js', line: 9, col: 2, inApp: false, mapped: false },
      { fn: 'listOnTimeout', file: 'node:internal/timers', line: 588, col: 17, inApp: false, mapped: false },
    ]);
  });

  test('frames captured here, from sources, point at this test file', () => {
    const frames = captureFrames(0, 3);
    const [f] = createSymbolicator({ buildId: 'dev' }).mapAll(frames);
    expect(f).toMatchObject({ file: 'test/diag/symbolicate.test.ts', inApp: true, mapped: true });
  });
});

describe('formatFrame', () => {
  test('formats in-app, library, anonymous and native frames', () => {
    const m = createSymbolicator({ buildId: BUILD, distDir: project.dist }).mapAll(emitted);
    expect(formatFrame(m[0], 0)).toBe(`#0 <anonymous> (${CHAIN_TS}:46:14) [app]`);
    expect(formatFrame(m[1], 1)).toBe(`#1 emit (node:events:${emitted[1].line}:${emitted[1].col})`);
    expect(formatFrame(m[2], 2)).toBe(`#2 emitterChain (${CHAIN_TS}:48:6) [app]`);
    const native: MappedFrame = { fn: 'Promise', file: '', line: 0, col: 0, inApp: false, mapped: false, raw: { fn: 'Promise', file: '', line: 0, col: 0 } };
    expect(formatFrame(native, 7)).toBe('#7 Promise (<native>)');
    expect(formatFrames(m.slice(0, 2)).split('\n')).toEqual([formatFrame(m[0], 0), formatFrame(m[1], 1)]);
  });
});
