/**
 * Types of a parsed Flightbox configuration (HAProxy's configuration language). No logic here:
 * the lexer, keyword tables and parser in this folder produce these values; the supervisor,
 * workers, snapshot writer and CLI read them.
 *
 * All times are in milliseconds, all sizes in bytes.
 */

/** Where a configuration element was written: the file name as given to `-f` (or `<embedded>`), 1-based line. */
export interface SourceRef {
  file: string;
  line: number;
}

/** Severity of a configuration diagnostic; `alert` makes the configuration invalid. */
export type ConfigSeverity = 'alert' | 'warning';

/**
 * One diagnostic. `formatted` is the exact line HAProxy-style tools print, e.g.
 * `[ALERT] config : parsing [a.cfg:3] : unknown keyword 'foo' in 'global' section`.
 * `line` is 0 when the diagnostic is about a whole file (e.g. it cannot be read).
 */
export interface ConfigAlert {
  severity: ConfigSeverity;
  file: string;
  line: number;
  message: string;
  formatted: string;
}

/** Access level of a runtime (stats) socket, as HAProxy's `level` bind option. */
export type StatsLevel = 'user' | 'operator' | 'admin';

/** One `stats socket` line of the global section. */
export interface StatsSocketConfig extends SourceRef {
  /** UNIX socket path as written (a `unix@` prefix removed); relative paths are relative to the cwd. */
  path: string;
  /** File mode bits (e.g. 0o600). */
  mode: number;
  level: StatsLevel;
}

/** What the supervisor does when a worker thread dies (`worker-on-death`). */
export type WorkerOnDeath = 'respawn' | 'exit';

/** The global section, every field resolved (defaults applied) except those documented as optional. */
export interface GlobalConfig {
  /** Worker thread count; undefined when not set (the supervisor then uses the number of cores). */
  nbthread: number | undefined;
  /** Process-wide connection limit; undefined when not set. */
  maxconn: number | undefined;
  statsSockets: StatsSocketConfig[];
  tune: {
    /** `tune.bufsize`: size of an I/O buffer, default 16384. */
    bufsize: number;
    /** `tune.maxhdr`: most header lines in a message, default 101. */
    maxhdr: number;
    /** `tune.fail-alloc`: percentage (0..100, fractional) of pool allocations made to fail, default 0. */
    failAlloc: number;
  };
  /** Absolute directory where snapshots are written; default `<cwd>/snapshots`. */
  snapshotDir: string;
  /** Upper bound of one snapshot file, default 64 MiB. */
  snapshotMaxSize: number;
  /** A worker whose event loop makes no progress this long is declared stalled; default 2000 ms. */
  watchdogTimeout: number;
  /** default `respawn`. */
  workerOnDeath: WorkerOnDeath;
  /** Heap cap per worker thread in bytes; undefined = no cap. */
  workerMemoryLimit: number | undefined;
  /** Bound of a graceful stop (HAProxy's `hard-stop-after`); default 10000 ms. */
  hardStopAfter: number;
  /** Extra header names (lower-cased) whose values never leave in snapshots. */
  redactHeaders: string[];
  /** Extra query parameter names (as written) whose values never leave in snapshots. */
  redactQueries: string[];
  /** Pool memory cap in bytes (same as `-m`); undefined = no cap. */
  poolMemoryLimit: number | undefined;
}

/** Proxy mode. Only `http` is accepted for now (`tcp` is rejected with an alert). */
export type ProxyMode = 'http' | 'tcp';

/** `timeout <kind> <time>` values in milliseconds; undefined when not set. */
export interface ProxyTimeouts {
  client?: number;
  httpRequest?: number;
  httpKeepAlive?: number;
  server?: number;
  connect?: number;
}

/** A `defaults` section (the last one seen in the configuration). */
export interface DefaultsConfig {
  /** Name of a named defaults section (`defaults <name>`), if any. */
  name: string | undefined;
  /** Where it was declared; undefined when the configuration has no defaults section. */
  source: SourceRef | undefined;
  mode: ProxyMode;
  timeouts: ProxyTimeouts;
  maxconn: number | undefined;
}

/** One address of a `bind` line. `host` is an IP literal without brackets: `0.0.0.0` for `*` or empty, `::` for IPv6 any. */
export interface BindConfig extends SourceRef {
  host: string;
  port: number;
  /** `name <n>` option, if given. */
  name: string | undefined;
}

/** Where the payload of an `http-request return` came from. */
export type ReturnBodySource = 'none' | 'string' | 'lf-string' | 'file' | 'errorfile';

/**
 * `http-request return` (HAProxy configuration manual, 4.2 "http-request return"): answer the
 * request directly. `body` holds the exact payload bytes; for `lf-string` the text is kept as
 * written (log-format expressions are not evaluated yet). Header values are likewise verbatim.
 */
export interface HttpReturnRule extends SourceRef {
  kind: 'return';
  status: number;
  contentType: string | undefined;
  body: Buffer;
  bodySource: ReturnBodySource;
  headers: [string, string][];
}

/** An `http-request` rule; a union so later actions can be added. */
export type HttpRequestRule = HttpReturnRule;

/** A frontend: a `frontend` section, or the frontend half of a `listen` section. */
export interface FrontendConfig extends SourceRef {
  kind: 'frontend' | 'listen';
  name: string;
  mode: ProxyMode;
  timeouts: ProxyTimeouts;
  maxconn: number | undefined;
  binds: BindConfig[];
  httpRequestRules: HttpRequestRule[];
}

/** A backend: a `backend` section, or the backend half of a `listen` section. */
export interface BackendConfig extends SourceRef {
  kind: 'backend' | 'listen';
  name: string;
  mode: ProxyMode;
  timeouts: ProxyTimeouts;
}

/** Output format of a ring (`format` keyword of HAProxy's ring section). */
export type RingFormat = 'raw' | 'short' | 'timed' | 'iso' | 'rfc3164' | 'rfc5424';

/** A `ring <name>` section. */
export interface RingConfig extends SourceRef {
  name: string;
  size: number;
  description: string | undefined;
  /** default `raw`, as HAProxy. */
  format: RingFormat;
  /** Longest message kept; undefined = no limit but the ring size. */
  maxlen: number | undefined;
}

/** One `trace <source> <args...>` line of the `traces` section; `args` excludes the word `trace` (args[0] is the source). */
export interface TraceLineConfig extends SourceRef {
  args: string[];
}

/** A whole, valid configuration. */
export interface Config {
  global: GlobalConfig;
  defaults: DefaultsConfig;
  frontends: FrontendConfig[];
  backends: BackendConfig[];
  rings: RingConfig[];
  traces: TraceLineConfig[];
}

/** One configuration source as read, before any environment expansion (for snapshots). */
export interface ConfigSource {
  name: string;
  text: string;
}

/** Result of parsing: `config` is undefined when there is at least one alert. */
export interface ParseResult {
  config: Config | undefined;
  alerts: ConfigAlert[];
  warnings: ConfigAlert[];
  /** Alerts and warnings together, in the order they were raised (per file in line order, then post-parse checks). */
  diagnostics: ConfigAlert[];
  sources: ConfigSource[];
}

/** Options of the parser. */
export interface ParseOptions {
  /** Environment used for `"${VAR}"` expansion (pass `process.env` explicitly). */
  env: Record<string, string | undefined>;
  /** Directory against which relative paths (`snapshot-dir`, `file`, `errorfile`, `-f`) are resolved. */
  cwd: string;
  /** When true, an unset variable without a default is an alert instead of a warning. */
  strictEnv?: boolean;
}
