/**
 * Symbolication: maps raw call-chain frames (JavaScript positions, diag/frames.ts) back to TypeScript
 * through the source maps of the build that produced them.
 *
 * A snapshot records the build id and the dist dir the process ran from (diag/build-info.ts). Maps are
 * only trusted from a dist dir whose build-info.json carries the same build id: maps of another build
 * would point at wrong lines. Frames are matched by their path relative to the recorded dist dir, so a
 * snapshot from another machine still maps when the user points `--maps` at a copy of the same build.
 * A `'dev'` build ran from sources: its frames already point at .ts files and are only made relative.
 *
 * Positions: RawFrame and MappedFrame lines/columns are 1-based (as V8 call sites and editors);
 * `SourceMap.findEntry` takes and returns 0-based offsets. Like Node's own `--enable-source-maps`
 * stacks, a position maps to the original position of the mapping segment that starts at or before it
 * on the same generated line (no intra-segment column offset); a line without any segment is unmapped.
 */
import { SourceMap } from 'node:module';
import type { SourceMapPayload } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawFrame } from './fault.types.ts';
import type { MappedFrame, Symbolicator, SymbolicatorOptions, SymbolicatorStatus } from './symbolicate.types.ts';
import { BUILD_INFO_FILE, DEV_BUILD_ID, UNKNOWN_BUILD_ID, currentBuild, projectRoot, readBuildInfo } from './build-info.ts';

export type { MappedFrame, Symbolicator, SymbolicatorOptions, SymbolicatorStatus } from './symbolicate.types.ts';

/** A parsed source map and the file its relative `sources` resolve against. */
interface LoadedMap {
  sm: SourceMap;
  /** The .map file, or the .js file itself for an inline (data: URL) map. */
  base: string;
  sourceRoot: string;
}

/** One frame mapped, plus the name the map gives to the function called at this frame's position. */
interface MapResult {
  frame: MappedFrame;
  calleeName?: string;
}

const NODE_MODULES_RE = /[\\/]node_modules[\\/]/;
const TS_RE = /\.[cm]?tsx?$/;
const URL_SCHEME_RE = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Returns the user's search dirs followed by the CLI's own dist dir (when the CLI runs compiled), the
 * order `createSymbolicator` expects for `searchDirs`.
 */
export function defaultSearchDirs(userDirs: readonly string[] = []): string[] {
  const own = currentBuild().distDir;
  return own ? [...userDirs, own] : [...userDirs];
}

/**
 * Creates a symbolicator for frames recorded by build `opts.buildId`.
 *
 * Lookup: each of `opts.searchDirs` (a dist dir, or a checkout holding `dist/`), then the recorded
 * `opts.distDir`; the first whose build-info.json has the same build id is used (`status.found`,
 * `status.distDir`). When none matches, `status.warning` names the ids found and frames stay raw.
 * With build id `'dev'` no maps are needed: .ts frames are made relative to the project root.
 * Parsed maps are cached per file for the life of the symbolicator. `status.warnings` grows when
 * map() meets a dist file whose source map is missing or unreadable (that file's frames stay raw).
 */
export function createSymbolicator(opts: SymbolicatorOptions): Symbolicator {
  const warnings: string[] = [];
  const root = opts.projectRoot ?? projectRoot();
  const dev = opts.buildId === DEV_BUILD_ID;
  const recorded = opts.distDir !== undefined ? toPath(opts.distDir) : undefined;
  const found = dev ? undefined : findDist(opts.buildId, opts.searchDirs ?? [], recorded, warnings);
  const maps = new Map<string, LoadedMap | null>();

  const status: SymbolicatorStatus = {
    found: dev || found !== undefined,
    distDir: found,
    warnings,
    get warning() {
      return warnings.length > 0 ? warnings.join('\n') : undefined;
    },
  };

  function loadMap(jsFile: string): LoadedMap | null {
    const cached = maps.get(jsFile);
    if (cached !== undefined) return cached;
    const r = readMap(jsFile, opts.buildId);
    if (typeof r === 'string') warnings.push(r);
    const loaded = typeof r === 'string' ? null : r;
    maps.set(jsFile, loaded);
    return loaded;
  }

  function mapOne(raw: RawFrame): MapResult {
    const rawFrame: MappedFrame = { fn: raw.fn, file: raw.file, line: raw.line, col: raw.col, inApp: false, mapped: false, raw };
    const path = toPath(raw.file);
    if (path === undefined || NODE_MODULES_RE.test(path)) return { frame: rawFrame };
    if (dev) return { frame: mapDev(rawFrame, path, root) };

    // Path of the frame's script relative to the dist dir it ran from.
    const rel = relativeInside(recorded, path) ?? relativeInside(found, path);
    if (rel === undefined) return { frame: rawFrame };
    const frame = { ...rawFrame, inApp: true };
    if (found === undefined || raw.line < 1 || raw.col < 1) return { frame };
    const jsFile = join(found, rel);
    const lm = loadMap(jsFile);
    if (!lm) return { frame };
    const entry = lm.sm.findEntry(raw.line - 1, raw.col - 1) as Partial<{
      generatedLine: number;
      originalSource: string;
      originalLine: number;
      originalColumn: number;
      name: string;
    }>;
    if (entry.generatedLine !== raw.line - 1 || entry.originalSource === undefined) return { frame };
    const source = sourcePath(entry.originalSource, lm);
    return {
      frame: {
        ...frame,
        file: displayPath(source, [dirname(found), root]),
        line: (entry.originalLine ?? 0) + 1,
        col: (entry.originalColumn ?? 0) + 1,
        mapped: true,
      },
      calleeName: entry.name || undefined,
    };
  }

  return {
    status,
    map: (frame) => mapOne(frame).frame,
    mapAll(frames) {
      const results = frames.map(mapOne);
      // A frame's own position is a call site inside it: the name there belongs to the callee, i.e.
      // to the next inner frame. So frame i takes its original name from frame i+1's entry.
      return results.map((r, i) => {
        const name = results[i + 1]?.calleeName;
        return name && r.frame.mapped ? { ...r.frame, fn: name } : r.frame;
      });
    },
  };
}

/** A dev-build frame: .ts positions already; made relative to the project root when under it. */
function mapDev(frame: MappedFrame, path: string, root: string): MappedFrame {
  const rel = relativeInside(root, path);
  const isTs = TS_RE.test(path);
  return {
    ...frame,
    file: isTs && rel !== undefined ? rel.split(sep).join('/') : frame.file,
    inApp: rel !== undefined || isTs,
    mapped: isTs,
  };
}

/**
 * Finds the dist dir holding build `buildId` among `searchDirs` then `recorded`; pushes a warning
 * explaining what was found instead when there is none.
 */
function findDist(buildId: string, searchDirs: readonly string[], recorded: string | undefined, warnings: string[]): string | undefined {
  const seen = new Set<string>();
  const notes: string[] = [];
  const dirs = [...searchDirs.map((d) => toPath(d) ?? d), ...(recorded !== undefined ? [recorded] : [])];
  for (const dir of dirs) {
    const abs = resolve(dir);
    if (seen.has(abs)) continue;
    let noted = false;
    for (const cand of [abs, join(abs, 'dist')]) {
      if (seen.has(cand)) continue;
      seen.add(cand);
      const info = readBuildInfo(cand);
      if (info?.buildId === buildId) return cand;
      if (info) notes.push(`${cand} holds build ${info.buildId}`);
      else if (existsSync(join(cand, BUILD_INFO_FILE))) notes.push(`${join(cand, BUILD_INFO_FILE)} is unreadable`);
      else continue;
      noted = true;
    }
    if (!noted) notes.push(existsSync(abs) ? `${abs} has no ${BUILD_INFO_FILE}` : `${abs} does not exist`);
  }
  if (buildId === UNKNOWN_BUILD_ID && recorded !== undefined && existsSync(recorded)) {
    warnings.push(
      `the snapshot's build id is unknown (built without scripts/build.ts): using the maps in ${recorded}, ` +
        `which may not match the code that ran`,
    );
    return resolve(recorded);
  }
  const looked = notes.length > 0 ? notes.join('; ') : 'no dist directory was recorded or given';
  warnings.push(
    `source maps for build ${buildId} not found (${looked}); maps from a different build would point to wrong ` +
      `lines, so frames are shown at JavaScript positions. Pass --maps <dist dir of build ${buildId}> to map them.`,
  );
  return undefined;
}

/** Reads the source map of `jsFile` (its sourceMappingURL, inline or file, else `<jsFile>.map`); a warning string when it cannot. */
function readMap(jsFile: string, buildId: string): LoadedMap | string {
  let mapFile = `${jsFile}.map`;
  let text: string | undefined;
  let code: string | undefined;
  try {
    code = readFileSync(jsFile, 'utf8');
  } catch {
    // The script itself may be absent from this copy of the dist; its .map may still be there.
  }
  const url = code !== undefined ? lastSourceMappingURL(code) : undefined;
  try {
    if (url?.startsWith('data:')) {
      const comma = url.indexOf(',');
      const body = url.slice(comma + 1);
      text = /;base64$/i.test(url.slice(0, comma)) ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
      mapFile = jsFile;
    } else {
      if (url) mapFile = url.startsWith('file:') ? fileURLToPath(url) : resolve(dirname(jsFile), decodeURIComponent(url));
      text = readFileSync(mapFile, 'utf8');
    }
  } catch {
    return (
      `no source map for ${jsFile} (looked for ${mapFile}) in build ${buildId}: its frames stay at JavaScript ` +
      `positions. Point --maps at a dist dir of this build that still has its .map files.`
    );
  }
  try {
    const payload = JSON.parse(text) as SourceMapPayload;
    return { sm: new SourceMap(payload), base: mapFile, sourceRoot: typeof payload.sourceRoot === 'string' ? payload.sourceRoot : '' };
  } catch (e) {
    return `source map ${mapFile} is unreadable (${(e as Error).message}): frames in ${jsFile} stay at JavaScript positions.`;
  }
}

/** The last `//# sourceMappingURL=` of a script, if any. */
function lastSourceMappingURL(code: string): string | undefined {
  const re = /\/\/[#@] sourceMappingURL=(\S+)/g;
  let last: string | undefined;
  for (let m = re.exec(code); m; m = re.exec(code)) last = m[1];
  return last;
}

/** Absolute path (or a non-file URL as is) of a map's `source`, applying sourceRoot. */
function sourcePath(source: string, lm: LoadedMap): string {
  let s = source;
  if (lm.sourceRoot && !isAbsolute(s) && !URL_SCHEME_RE.test(s)) s = lm.sourceRoot.replace(/\/?$/, '/') + s;
  if (s.startsWith('file:')) return fileURLToPath(s);
  if (URL_SCHEME_RE.test(s)) return s;
  return resolve(dirname(lm.base), s);
}

/** `path` relative to the first of `roots` that contains it, with forward slashes; else `path` itself. */
function displayPath(path: string, roots: readonly string[]): string {
  for (const r of roots) {
    const rel = relativeInside(r, path);
    if (rel !== undefined) return rel.split(sep).join('/');
  }
  return path;
}

/** `path` relative to `dir` when it lies inside it, else undefined. */
function relativeInside(dir: string | undefined, path: string): string | undefined {
  if (dir === undefined || !isAbsolute(path)) return undefined;
  const rel = relative(dir, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel;
}

/** Filesystem path of a frame's file (absolute path or file: URL); undefined for node:, native and other scripts. */
function toPath(file: string): string | undefined {
  if (file.startsWith('file:')) {
    try {
      return fileURLToPath(file);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(file) ? file : undefined;
}

/**
 * Formats one frame as `#<i> <fn> (<file>:<line>:<col>)`, e.g. `#0 parseHeader (proxy/h1/parse.ts:42:7) [app]`.
 * Anonymous functions show as `<anonymous>`, frames without a file as `(<native>)`, frames without a
 * position as `(<file>)`. In-app frames (the application's own code) end with ` [app]`.
 */
export function formatFrame(f: MappedFrame, i: number): string {
  const where = f.file === '' ? '<native>' : f.line > 0 ? `${f.file}:${f.line}:${f.col}` : f.file;
  return `#${i} ${f.fn || '<anonymous>'} (${where})${f.inApp ? ' [app]' : ''}`;
}

/** Formats a call chain, innermost first, one `formatFrame` line per frame. */
export function formatFrames(frames: readonly MappedFrame[]): string {
  return frames.map(formatFrame).join('\n');
}
