/**
 * Types for build identity and symbolication, shared by the snapshot writer (which records the build
 * id and dist directory), the decoder (which maps frames back to TypeScript) and the CLI/TUI views.
 */
import type { RawFrame } from './fault.types.ts';

/** The content of `dist/build-info.json`, written by `scripts/build.ts` after tsc. */
export interface BuildInfo {
  /** Hash of every emitted .js file (20 hex digits): same sources give the same id. */
  buildId: string;
  /** package.json version at build time. */
  version: string;
  /** ISO-8601 time of the build. */
  builtAt: string;
}

/** The identity of the code running now (see diag/build-info.ts `currentBuild`). */
export interface CurrentBuild {
  /** The build id from dist/build-info.json, `'dev'` when running from TypeScript sources, `'unknown'`
   * when running compiled code whose dist has no readable build-info.json. */
  buildId: string;
  version: string;
  /** Absolute dist directory the process runs from; undefined when running from sources. */
  distDir: string | undefined;
}

/** Options of `createSymbolicator` (diag/symbolicate.ts). */
export interface SymbolicatorOptions {
  /** Build id recorded in the snapshot. */
  buildId: string;
  /** Dist directory the recording process ran from, as recorded in the snapshot (maybe another machine's path). */
  distDir?: string;
  /** Directories to look in first, in order: the user's `--maps` dirs, then the CLI's own dist.
   * A directory may be a dist dir or a checkout holding `dist/`. */
  searchDirs?: string[];
  /** Project root used to make TypeScript paths of a `'dev'` build relative; defaults to the root of
   * the code running now (diag/build-info.ts `projectRoot`). */
  projectRoot?: string;
}

/** Where the symbolicator found source maps, and what it could not do. Live: map() may add warnings. */
export interface SymbolicatorStatus {
  /** True when frames can be shown at TypeScript positions: a dist dir with the recorded build id
   * was found, or the build was `'dev'` (frames already point at .ts files). */
  found: boolean;
  /** The dist dir whose source maps are used. */
  distDir?: string;
  /** All warnings joined by newlines; undefined when there are none. */
  warning?: string;
  /** Each warning, in the order they arose (lookup first, then missing/unreadable maps met by map()). */
  warnings: string[];
}

/** A frame after symbolication. Lines and columns are 1-based. */
export interface MappedFrame {
  /** Function name: the original name from the source map's `names` when known, else V8's ('' = anonymous). */
  fn: string;
  /** Project-relative TypeScript path (`proxy/worker/loop.ts`) when mapped, else the raw file. */
  file: string;
  line: number;
  col: number;
  /** The frame is the application's code (under the dist dir, or project sources for a dev build),
   * not node_modules, not `node:` internals, not native. */
  inApp: boolean;
  /** file/line/col are TypeScript source positions (through a source map, or a dev build's .ts frame). */
  mapped: boolean;
  /** The frame as captured. */
  raw: RawFrame;
}

/** Maps raw frames of one build; see `createSymbolicator`. */
export interface Symbolicator {
  readonly status: SymbolicatorStatus;
  /** Maps one frame (without caller context, so names come from V8 only). */
  map(frame: RawFrame): MappedFrame;
  /** Maps a call chain, innermost first; each frame's original name is taken from the source map
   * entry at its caller's call site when the map has one. */
  mapAll(frames: readonly RawFrame[]): MappedFrame[];
}
