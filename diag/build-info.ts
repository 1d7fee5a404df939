/**
 * Build identity of the running code. `npm run build` (scripts/build.ts) compiles to `dist/` and stamps
 * `dist/build-info.json` with a build id; snapshots record that id and the dist directory so that
 * `flightbox decode` can find the source maps of the very build that produced the frames
 * (diag/symbolicate.ts).
 *
 * Located from this module's own URL: `dist/diag/build-info.js` reads `dist/build-info.json`; when the
 * module runs from TypeScript sources (vitest, `node diag/x.ts`) there is no build, and frames already
 * point at .ts files: the build id is `'dev'`.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildInfo, CurrentBuild } from './symbolicate.types.ts';

export type { BuildInfo, CurrentBuild } from './symbolicate.types.ts';

/** Build id of code running from TypeScript sources (no dist, frames already at .ts positions). */
export const DEV_BUILD_ID = 'dev';
/** Build id of compiled code whose dist dir has no readable build-info.json (built without scripts/build.ts). */
export const UNKNOWN_BUILD_ID = 'unknown';
/** File name of the build stamp inside a dist dir. */
export const BUILD_INFO_FILE = 'build-info.json';

/**
 * Reads `<distDir>/build-info.json`. Returns undefined when the file is missing, is not JSON, or lacks
 * a string `buildId`; `version` and `builtAt` default to '' when absent. Never throws.
 */
export function readBuildInfo(distDir: string): BuildInfo | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(join(distDir, BUILD_INFO_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const o = data as Record<string, unknown>;
  if (typeof o.buildId !== 'string' || o.buildId === '') return undefined;
  return {
    buildId: o.buildId,
    version: typeof o.version === 'string' ? o.version : '',
    builtAt: typeof o.builtAt === 'string' ? o.builtAt : '',
  };
}

interface Located {
  build: CurrentBuild;
  root: string;
}

let located: Located | undefined;

/** Works out where this module runs from; memoised (the answer cannot change in a process). */
function locate(): Located {
  if (located) return located;
  const here = fileURLToPath(import.meta.url); // <root>/diag/build-info.ts or <root>/dist/diag/build-info.js
  const parent = dirname(dirname(here));
  if (/\.[cm]?ts$/.test(here)) {
    located = { root: parent, build: { buildId: DEV_BUILD_ID, version: packageVersion(parent), distDir: undefined } };
  } else {
    const root = dirname(parent);
    const info = readBuildInfo(parent);
    located = {
      root,
      build: {
        buildId: info?.buildId ?? UNKNOWN_BUILD_ID,
        version: info?.version || packageVersion(root),
        distDir: parent,
      },
    };
  }
  return located;
}

/** Version from `<root>/package.json`, or 'unknown' when it cannot be read. */
function packageVersion(root: string): string {
  const p = join(root, 'package.json');
  if (!existsSync(p)) return 'unknown';
  try {
    const v = (JSON.parse(readFileSync(p, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Identity of the code running now: `{ buildId, version, distDir }` from `dist/build-info.json` when
 * running compiled code (distDir = the absolute dist dir), or `{ buildId: 'dev', version: <package.json>,
 * distDir: undefined }` when running from TypeScript sources. Snapshot metadata records buildId and
 * distDir; the CLI passes its own distDir as the last search dir of the symbolicator.
 */
export function currentBuild(): CurrentBuild {
  return { ...locate().build };
}

/**
 * Absolute project root of the running code: the directory holding package.json, i.e. `dist/..`
 * when compiled and `diag/..` when running from sources. Project-relative paths are relative to it.
 */
export function projectRoot(): string {
  return locate().root;
}
