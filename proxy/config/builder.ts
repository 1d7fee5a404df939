/**
 * The mutable state a parse fills in, section by section, and its conversion into the final
 * {@link Config}. Defaults of every global setting are applied here.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { StickTableDef } from '../stick/stick.types.ts';
import type {
  AclConfig,
  BackendConfig,
  BalanceConfig,
  BindConfig,
  Config,
  DefaultBackendConfig,
  DefaultsConfig,
  ForwardForConfig,
  FrontendConfig,
  GlobalConfig,
  HttpCheckConfig,
  HttpCheckExpect,
  HttpLogFormat,
  HttpRequestRule,
  HttpResponseRule,
  HttpReuse,
  LogConfig,
  PeerConfig,
  PeersConfig,
  ProxyMode,
  ProxyTimeouts,
  RingConfig,
  RingFormat,
  ServerConfig,
  SourceRef,
  TraceLineConfig,
  UseBackendRule,
} from './config.types.ts';

/** Default `tune.bufsize` (HAProxy's). */
export const DEFAULT_BUFSIZE = 16384;
/** Default `tune.maxhdr` (HAProxy's). */
export const DEFAULT_MAXHDR = 101;

/** The global section while parsing: values plus where each single-valued keyword was last set. */
export interface GlobalState {
  value: GlobalConfig;
  seen: Map<string, SourceRef>;
  /** `value.localPeer` came from `-L`: a `localpeer` line is then ignored with a warning, as HAProxy. */
  localPeerFromCommandLine: boolean;
}

/** Kinds of proxy sections; `defaults` holds values that the next proxies copy. */
export type ProxyKind = 'defaults' | 'frontend' | 'backend' | 'listen';

/** The settings of a server line that `default-server` can preset (everything but name and address). */
export type ServerSettings = Omit<ServerConfig, 'name' | 'host' | 'port' | 'file' | 'line'>;

/** Server settings before any `default-server` (HAProxy configuration manual, 5.2). */
export const DEFAULT_SERVER_SETTINGS: Readonly<ServerSettings> = {
  weight: 1,
  maxconn: 0,
  backup: false,
  disabled: false,
  check: false,
  inter: 2000,
  rise: 2,
  fall: 3,
  ssl: false,
  verify: 'required',
  verifySet: false,
  caFile: undefined,
  sni: undefined,
};

/** A `log global` line, replaced by the global section's `log` lines when the configuration is finished. */
export interface GlobalLogRef extends SourceRef {
  kind: 'global';
}

/** A `log` line of a proxy while parsing. */
export type ProxyLogLine = LogConfig | GlobalLogRef;

/** `option httplog [clf]` and where it was written. */
export interface HttpLogState extends SourceRef {
  format: HttpLogFormat;
}

/** `option httpchk` while parsing: the request; the expect rules are kept apart (see {@link ProxyState}). */
export type HttpCheckRequest = Omit<HttpCheckConfig, 'expects'>;

/** A proxy section (or defaults) while parsing. */
export interface ProxyState extends SourceRef {
  kind: ProxyKind;
  name: string;
  mode: ProxyMode;
  timeouts: ProxyTimeouts;
  maxconn: number | undefined;
  binds: BindConfig[];
  httpRequestRules: HttpRequestRule[];
  httpResponseRules: HttpResponseRule[];
  acls: AclConfig[];
  useBackends: UseBackendRule[];
  defaultBackend: DefaultBackendConfig | undefined;
  forwardfor: ForwardForConfig | undefined;
  httpServerClose: boolean;
  httplog: HttpLogState | undefined;
  logs: ProxyLogLine[];
  servers: ServerConfig[];
  /** Settings the next `server` line starts from (accumulated `default-server` lines, inherited from defaults). */
  defaultServer: ServerSettings;
  balance: BalanceConfig;
  httpchk: HttpCheckRequest | undefined;
  httpCheckExpects: HttpCheckExpect[];
  /** True while `httpCheckExpects` are the defaults section's: the proxy's first own rule replaces them, as HAProxy. */
  httpCheckExpectsInherited: boolean;
  reuse: HttpReuse;
  retries: number;
  redispatch: { enabled: boolean; interval: number };
  /** The section's `stick-table` (backend and listen sections; one per section). */
  stickTable: StickTableDef | undefined;
}

/** A `peers` section while parsing. */
export interface PeersState extends PeersConfig {
  peers: PeerConfig[];
  tables: StickTableDef[];
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
  /** `peers` sections in declaration order. */
  peers: PeersState[];
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
    sslServerVerify: 'required',
    redactHeaders: [],
    redactQueries: [],
    poolMemoryLimit: undefined,
    logs: [],
    demoOrigin: undefined,
    localPeer: hostname(),
  };
}

/**
 * A proxy state of `kind` that copies the values of `defaults` (HAProxy copies them at
 * declaration). Rules, ACLs, binds and servers are never inherited; a new defaults section
 * (`defaults` undefined) starts from HAProxy's built-in values.
 */
export function newProxyState(kind: ProxyKind, name: string, src: SourceRef, defaults: ProxyState | undefined): ProxyState {
  const httpchk = defaults?.httpchk;
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
    httpResponseRules: [],
    acls: [],
    useBackends: [],
    defaultBackend: defaults?.defaultBackend,
    forwardfor: defaults?.forwardfor,
    httpServerClose: defaults?.httpServerClose ?? false,
    httplog: defaults?.httplog,
    logs: [...(defaults?.logs ?? [])],
    servers: [],
    defaultServer: { ...(defaults?.defaultServer ?? DEFAULT_SERVER_SETTINGS) },
    balance: defaults?.balance ?? { algorithm: 'roundrobin' },
    httpchk: httpchk && { ...httpchk, headers: httpchk.headers.map(([n, v]) => [n, v]) },
    httpCheckExpects: [...(defaults?.httpCheckExpects ?? [])],
    httpCheckExpectsInherited: true,
    reuse: defaults?.reuse ?? 'safe',
    retries: defaults?.retries ?? 3,
    redispatch: { ...(defaults?.redispatch ?? { enabled: false, interval: -1 }) },
    stickTable: undefined,
  };
}

/** Replaces each `log global` of a proxy by the global section's `log` lines. */
export function resolveLogs(lines: readonly ProxyLogLine[], global: readonly LogConfig[]): LogConfig[] {
  return lines.flatMap((l) => ('address' in l ? [l] : global));
}

/** An empty builder; `localPeer` is the `-L` name, which no `localpeer` line overrides. */
export function newBuilder(cwd: string, localPeer?: string): ConfigBuilder {
  const global = defaultGlobal(cwd);
  if (localPeer !== undefined) global.localPeer = localPeer;
  return {
    cwd,
    global: { value: global, seen: new Map(), localPeerFromCommandLine: localPeer !== undefined },
    defaults: newProxyState('defaults', '', { file: '', line: 0 }, undefined),
    defaultsSeen: false,
    proxies: [],
    rings: [],
    traces: { lines: [] },
    peers: [],
  };
}

/** Converts a builder (after the post-parse checks passed) into the final configuration. */
export function finishConfig(b: ConfigBuilder): Config {
  const frontends: FrontendConfig[] = [];
  const backends: BackendConfig[] = [];
  for (const p of b.proxies) {
    const logs = resolveLogs(p.logs, b.global.value.logs);
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
        acls: p.acls,
        useBackends: p.useBackends,
        defaultBackend: p.defaultBackend,
        httpRequestRules: p.httpRequestRules,
        httpResponseRules: p.httpResponseRules,
        forwardfor: p.forwardfor,
        httpServerClose: p.httpServerClose,
        httplog: p.httplog?.format ?? false,
        logs,
      });
    }
    if (p.kind === 'backend' || p.kind === 'listen') {
      backends.push({
        kind: p.kind,
        name: p.name,
        file: p.file,
        line: p.line,
        mode: p.mode,
        timeouts: { ...p.timeouts },
        maxconn: p.kind === 'listen' ? p.maxconn : undefined,
        servers: p.servers,
        balance: p.balance,
        httpchk: p.httpchk && { ...p.httpchk, expects: p.httpCheckExpects },
        reuse: p.reuse,
        retries: p.retries,
        redispatch: { ...p.redispatch },
        acls: p.acls,
        httpRequestRules: p.httpRequestRules,
        httpResponseRules: p.httpResponseRules,
        forwardfor: p.forwardfor,
        httpServerClose: p.httpServerClose,
        logs: [...logs],
        ...(p.stickTable ? { stickTable: p.stickTable } : {}),
      });
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
  const peers: PeersConfig[] = b.peers.map((p) => ({
    name: p.name,
    file: p.file,
    line: p.line,
    peers: p.peers.map((x) => ({ ...x })),
    bind: p.bind,
    tables: [...p.tables],
  }));
  const stickTables = [...backends.flatMap((be) => (be.stickTable ? [be.stickTable] : [])), ...peers.flatMap((p) => p.tables)];
  return { global: b.global.value, defaults, frontends, backends, rings, traces: b.traces.lines, peers, stickTables };
}
