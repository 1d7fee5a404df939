/**
 * Where the project lives, and how to name a source position relative to it. Works from the
 * TypeScript sources (vitest, `node file.ts`) and from the build in dist/.
 */
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceMap } from 'node:module';
import { readFileSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url)); // <root>/diag or <root>/dist/diag
const up = dirname(here);
/** The project checkout (the directory holding package.json). */
export const projectRoot = up.endsWith(`${sep}dist`) ? dirname(up) : up;

const maps = new Map<string, SourceMap | null>();

/** The source map next to a built file (`x.js.map`), parsed once; null when there is none. */
function mapOf(path: string): SourceMap | null {
  let m = maps.get(path);
  if (m === undefined) {
    try {
      m = new SourceMap(JSON.parse(readFileSync(path + '.map', 'utf8')));
    } catch {
      m = null;
    }
    maps.set(path, m);
  }
  return m;
}

/**
 * Names a position project-relative (`proxy/h1/conn.ts:88`). A position in the build is mapped back
 * to TypeScript through the source map next to the file; without one it stays a dist-relative .js
 * position. Meant for one-time uses (trace point declarations), not per event.
 */
export function projectPosition(file: string, line: number, col: number): { file: string; line: number } {
  const path = file.startsWith('file://') ? fileURLToPath(file) : file;
  if (path.endsWith('.js')) {
    const entry = mapOf(path)?.findEntry(line - 1, col - 1) as { originalSource?: string; originalLine?: number } | undefined;
    if (entry?.originalSource) {
      const src = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : join(dirname(path), entry.originalSource);
      return { file: relative(projectRoot, src), line: (entry.originalLine ?? 0) + 1 };
    }
  }
  const rel = relative(projectRoot, path);
  return { file: rel.startsWith('..') ? path : rel, line };
}
