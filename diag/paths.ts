/**
 * Where the project lives, and how to name a source position relative to it. Works from the
 * TypeScript sources (vitest, `node file.ts`) and from the build in dist/.
 */
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSourceMap } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url)); // <root>/diag or <root>/dist/diag
const up = dirname(here);
/** The directory this code runs from: <root> (sources) or <root>/dist (build). */
export const codeRoot = up;
/** The project checkout (the directory holding package.json). */
export const projectRoot = up.endsWith(`${sep}dist`) ? dirname(up) : up;

/**
 * Names a position project-relative (`proxy/h1/conn.ts:88`). A position in the build is mapped back
 * to TypeScript through its source map when the thread has source maps enabled
 * (process.setSourceMapsEnabled(true)); otherwise it stays a dist-relative .js position.
 */
export function projectPosition(file: string, line: number, col: number): { file: string; line: number } {
  const path = file.startsWith('file://') ? fileURLToPath(file) : file;
  if (path.endsWith('.js')) {
    try {
      const entry = findSourceMap(path)?.findEntry(line - 1, col - 1) as
        | { originalSource?: string; originalLine?: number }
        | undefined;
      if (entry?.originalSource) {
        const src = entry.originalSource.startsWith('file://')
          ? fileURLToPath(entry.originalSource)
          : join(dirname(path), entry.originalSource);
        return { file: relative(projectRoot, src), line: (entry.originalLine ?? 0) + 1 };
      }
    } catch {
      // no map: keep the raw position
    }
  }
  const rel = relative(projectRoot, path);
  return { file: rel.startsWith('..') ? path : rel, line };
}
