/**
 * The mutable state a parse fills in, section by section, and its conversion into the final
 * {@link Config}. Defaults of every global setting are applied here.
 */
import { resolve } from 'node:path';
import type {
  BackendConfig,
  BindConfig,
  Config,
  DefaultsConfig,
  FrontendConfig,
  GlobalConfig,
  HttpRequestRule,
  ProxyMode,
  ProxyTimeouts,
  RingConfig,
  RingFormat,
  SourceRef,
  TraceLineConfig,
} from './config.types.ts';

/** Default `tune.bufsize` (HAProxy's). */
export const DEFAULT_BUFSIZE = 16384;
/** Default `tune.maxhdr` (HAProxy's). */
export const DEFAULT_MAXHDR = 101;

/** The global section while parsing: values plus where each single-valued keyword was last set. */
export interface GlobalState {
  value: GlobalConfig;
  seen: Map<string, SourceRef>;
}

/** Kinds of proxy sections; `defaults` holds values that the next proxies copy. */
export type ProxyKind = 'defaults' | 'frontend' | 'backend' | 'listen';

/** A proxy section (or defaults) while parsing. */
export interface ProxyState extends SourceRef {
  kind: ProxyKind;
  name: string;
  mode: ProxyMode;
  timeouts: ProxyTimeouts;
  maxconn: number | undefined;
  binds: BindConfig[];
  httpRequestRules: HttpRequestRule[];
}

/** A ring section while parsing (`size` is checked after parsing). */
export interface RingState extends SourceRef {
  name: string;
  size: number | undefined;
  description: string | undefined;
  format: RingFormat;
  maxlen: number | undefined;
}

/** The `traces` section while parsing. */
export interface TracesState {
  lines: TraceLineConfig[];
}

/** Everything a parse has produced so far, across files. */
export interface ConfigBuilder {
  cwd: string;
  global: GlobalState;
  /** The defaults section in force (the last one seen), or the built-in one when `defaultsSeen` is false. */
  defaults: ProxyState;
  defaultsSeen: boolean;
  /** frontend, backend and listen sections in declaration order. */
  proxies: ProxyState[];
  rings: RingState[];
  traces: TracesState;
}

/** True when a proxy kind accepts connections (frontend capability). */
export function hasFrontendCap(kind: ProxyKind): boolean {
  return kind === 'frontend' || kind === 'listen' || kind === 'defaults';
}

/** True when a proxy kind forwards to servers (backend capability). */
export function hasBackendCap(kind: ProxyKind): boolean {
  return kind === 'backend' || kind === 'listen' || kind === 'defaults';
}

/** Global settings before any keyword: HAProxy's and Flightbox's documented defaults. */
export function defaultGlobal(cwd: string): GlobalConfig {
  return {
    nbthread: undefined,
    maxconn: undefined,
    statsSockets: [],
    tune: { bufsize: DEFAULT_BUFSIZE, maxhdr: DEFAULT_MAXHDR, failAlloc: 0 },
    snapshotDir: resolve(cwd, 'snapshots'),
    snapshotMaxSize: 64 * 1024 * 1024,
    watchdogTimeout: 2000,
    workerOnDeath: 'respawn',
    workerMemoryLimit: undefined,
    hardStopAfter: 10_000,
    redactHeaders: [],
    redactQueries: [],
    poolMemoryLimit: undefined,
  };
}

/** A proxy state of `kind` that copies the values of `defaults` (HAProxy copies them at declaration). */
export function newProxyState(kind: ProxyKind, name: string, src: SourceRef, defaults: ProxyState | undefined): ProxyState {
  return {
    kind,
    name,
    file: src.file,
    line: src.line,
    mode: defaults?.mode ?? 'http',
    timeouts: { ...defaults?.timeouts },
    maxconn: defaults?.maxconn,
    binds: [],
    httpRequestRules: [],
  };
}

/** An empty builder. */
export function newBuilder(cwd: string): ConfigBuilder {
  return {
    cwd,
    global: { value: defaultGlobal(cwd), seen: new Map() },
    defaults: newProxyState('defaults', '', { file: '', line: 0 }, undefined),
    defaultsSeen: false,
    proxies: [],
    rings: [],
    traces: { lines: [] },
  };
}

/** Converts a builder (after the post-parse checks passed) into the final configuration. */
export function finishConfig(b: ConfigBuilder): Config {
  const frontends: FrontendConfig[] = [];
  const backends: BackendConfig[] = [];
  for (const p of b.proxies) {
    if (p.kind === 'frontend' || p.kind === 'listen') {
      frontends.push({
        kind: p.kind,
        name: p.name,
        file: p.file,
        line: p.line,
        mode: p.mode,
        timeouts: { ...p.timeouts },
        maxconn: p.maxconn,
        binds: p.binds,
        httpRequestRules: p.httpRequestRules,
      });
    }
    if (p.kind === 'backend' || p.kind === 'listen') {
      backends.push({ kind: p.kind, name: p.name, file: p.file, line: p.line, mode: p.mode, timeouts: { ...p.timeouts } });
    }
  }
  const d = b.defaults;
  const defaults: DefaultsConfig = {
    name: d.name === '' ? undefined : d.name,
    source: b.defaultsSeen ? { file: d.file, line: d.line } : undefined,
    mode: d.mode,
    timeouts: { ...d.timeouts },
    maxconn: d.maxconn,
  };
  const rings: RingConfig[] = b.rings.map((r) => ({
    name: r.name,
    file: r.file,
    line: r.line,
    size: r.size ?? 0,
    description: r.description,
    format: r.format,
    maxlen: r.maxlen,
  }));
  return { global: b.global.value, defaults, frontends, backends, rings, traces: b.traces.lines };
}
