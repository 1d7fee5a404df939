/**
 * Types of a parsed Flightbox configuration (HAProxy's configuration language). No logic here:
 * the lexer, keyword tables and parser in this folder produce these values; the supervisor,
 * workers, snapshot writer and CLI read them.
 *
 * All times are in milliseconds, all sizes in bytes.
 */
import type { StickKeyExpr, StickTableDef } from '../stick/stick.types.ts';

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
  /** Default `verify` of `ssl` servers without one (HAProxy's `ssl-server-verify`); default `required`. */
  sslServerVerify: ServerVerify;
  /** Bound of a graceful stop (HAProxy's `hard-stop-after`); default 10000 ms. */
  hardStopAfter: number;
  /** Extra header names (lower-cased) whose values never leave in snapshots. */
  redactHeaders: string[];
  /** Extra query parameter names (as written) whose values never leave in snapshots. */
  redactQueries: string[];
  /** Pool memory cap in bytes (same as `-m`); undefined = no cap. */
  poolMemoryLimit: number | undefined;
  /** `log` lines of the global section, in order; proxies copy them with `log global`. */
  logs: LogConfig[];
  /** Flightbox-specific `demo-origin <addr>:<port>`: the supervisor runs the demo origin there; undefined = none. */
  demoOrigin: DemoOriginConfig | undefined;
  /**
   * This instance's peer name (HAProxy `localpeer`): `-L <name>` on the command line, else the
   * global `localpeer <name>`, else the host name, as HAProxy. A `peers` section must list it.
   */
  localPeer: string;
  /**
   * HAProxy's `cluster-secret <secret>` (HAProxy 2.6+): the QUIC Retry and stateless reset tokens
   * derive from it (proxy/quic/cluster-secret.ts), so they outlive the process and are shared by
   * every instance with the same secret; undefined = a random secret per process. Never logged nor
   * written to snapshots (diag/redact.ts removes it from the configuration text).
   */
  clusterSecret?: string;
}

/** Where the demo origin (`proxy/demo/origin.ts`) listens, and the line that asked for it. */
export interface DemoOriginConfig extends SourceRef {
  host: string;
  port: number;
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
  /** Longest wait in a server queue; HAProxy uses `connect` when this is not set. */
  queue?: number;
  /** Idle timeout of a tunnel (e.g. after a WebSocket upgrade); HAProxy uses `server`/`client` when not set. */
  tunnel?: number;
  /** Read timeout of a health check once connected; HAProxy uses the server's `inter` when not set. */
  check?: number;
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
  /** `ssl` with its options (HAProxy configuration manual, 5.1); absent for a plain TCP bind. */
  ssl?: BindSslConfig;
  /**
   * `quic4@` / `quic6@` address prefix (HAProxy configuration manual 11.1): a UDP listener serving
   * HTTP/3 over QUIC (then `ssl` is present and its `alpn` is `['h3']`); absent for TCP.
   */
  quic?: 'quic4' | 'quic6';
  /**
   * `quic-force-retry` (HAProxy configuration manual 5.1), QUIC binds only: every client Initial
   * without a valid address-validation token is answered with a Retry (RFC 9000 §8.1.2).
   */
  quicForceRetry?: boolean;
}

/**
 * The TLS side of a `bind ... ssl crt <pem|dir> [crt ...] [alpn <list>]` line. Only paths are kept
 * (checked when parsed): each worker loads the certificates itself, so keys never travel in the
 * configuration object (which snapshots record).
 */
export interface BindSslConfig {
  /** Absolute paths of the `crt` arguments (PEM files or directories), in order; the first certificate loaded is the default. */
  crt: string[];
  /** ALPN protocols offered (RFC 7301), only those Flightbox serves, in the configured order; undefined: no ALPN. `['h3']` on a QUIC bind. */
  alpn: string[] | undefined;
}

/**
 * An `if <condition>` / `unless <condition>` suffix (HAProxy configuration manual, 7.2 "Using ACLs
 * to form conditions"), kept as written: `tokens` are the words after `if`/`unless` (named ACLs,
 * `!`, `||`/`or`, and `{ ... }` anonymous ACLs with their braces). Only the shape is checked here
 * (something follows the keyword, braces balance, `!`/`||` have operands); the ACL engine compiles it.
 */
export interface RuleCondition extends SourceRef {
  kind: 'if' | 'unless';
  tokens: string[];
}

/**
 * Where the payload of an `http-request return` (or `deny`) came from. `default-errorfiles`: the
 * proxy's own error page for the status (the body is empty here; the proxy builds it).
 */
export type ReturnBodySource = 'none' | 'string' | 'lf-string' | 'file' | 'errorfile' | 'default-errorfiles';

/**
 * A reply built by HAProxy itself (`http-request return`, `http-request deny`, `http-response deny`;
 * HAProxy configuration manual, 4.2 "http-request return"). `body` holds the exact payload bytes;
 * for `lf-string` the text is kept as written here: the proxy compiles its log-format expressions
 * (proxy/stream/log-format.ts), and one it cannot evaluate is a configuration alert. Header values
 * are likewise kept as written and compiled by the proxy.
 */
export interface HttpReply {
  status: number;
  contentType: string | undefined;
  body: Buffer;
  bodySource: ReturnBodySource;
  headers: [string, string][];
}

/** `http-request return ...`: answer the request directly. */
export interface HttpReturnRule extends SourceRef, HttpReply {
  kind: 'return';
  cond?: RuleCondition;
}

/**
 * `http-request deny` (default status 403) / `http-response deny` (default 502). Without any
 * payload option the reply is the proxy's error page for the status (`bodySource` is
 * `default-errorfiles`), as HAProxy's `deny [deny_status <code>]`.
 */
export interface HttpDenyRule extends SourceRef, HttpReply {
  kind: 'deny';
  cond?: RuleCondition;
}

/** HTTP status codes `redirect` may use (HAProxy configuration manual, 4.2 "redirect"). */
export type RedirectCode = 301 | 302 | 303 | 307 | 308;

/**
 * `http-request redirect location|prefix|scheme <value> [code <code>] [option...]` (HAProxy
 * configuration manual, 4.2 "redirect"). `value` is a log-format string kept as written.
 */
export interface HttpRedirectRule extends SourceRef {
  kind: 'redirect';
  type: 'location' | 'prefix' | 'scheme';
  value: string;
  /** default 302. */
  code: RedirectCode;
  /** `drop-query`: the Location built by `prefix`/`scheme` gets no query string. */
  dropQuery: boolean;
  /** `append-slash`: with `drop-query`, a '/' is appended to a path that lacks one. */
  appendSlash: boolean;
  /** `ignore-empty`: the rule is skipped when `value` evaluates to an empty string. */
  ignoreEmpty: boolean;
  /** `set-cookie NAME[=value]`: a session cookie added to the redirect, as written. */
  setCookie: string | undefined;
  /** `clear-cookie NAME[=]`: a cookie sent with Max-Age=0, as written. */
  clearCookie: string | undefined;
  cond?: RuleCondition;
}

/** `set-header` (replaces every occurrence) / `add-header` (appends) `<name> <fmt>`; `value` is the log-format string as written. */
export interface HttpSetHeaderRule extends SourceRef {
  kind: 'set-header' | 'add-header';
  name: string;
  value: string;
  cond?: RuleCondition;
}

/** How `del-header -m <meth>` compares header names: exact, prefix, suffix, substring or regex (default `str`). */
export type HeaderMatchMethod = 'str' | 'beg' | 'end' | 'sub' | 'reg';

/** `del-header <name> [-m str|beg|end|sub|reg]`: removes every header whose name matches (case-insensitive). */
export interface HttpDelHeaderRule extends SourceRef {
  kind: 'del-header';
  /** A header name, or a regular expression (JavaScript syntax, already checked to compile) when `match` is `reg`. */
  name: string;
  match: HeaderMatchMethod;
  cond?: RuleCondition;
}

/**
 * `replace-header <name> <match-regex> <replace-fmt>`: every value of header `name` that matches
 * `regex` (case-sensitive, whole value) is replaced by `replacement`, where `\1`..`\9` are back-references.
 * `regex` compiles as a JavaScript RegExp (checked at parse time).
 */
export interface HttpReplaceHeaderRule extends SourceRef {
  kind: 'replace-header';
  name: string;
  regex: string;
  replacement: string;
  cond?: RuleCondition;
}

/** `http-request set-path <fmt>`: replaces the path (the query string is kept); `value` is the log-format string as written. */
export interface HttpSetPathRule extends SourceRef {
  kind: 'set-path';
  value: string;
  cond?: RuleCondition;
}

/** A tracked counter number: `sc0`, `sc1` or `sc2`. */
export type TrackSlot = 0 | 1 | 2;

/**
 * `http-request track-sc<n> <key> [table <table>]` (HAProxy configuration manual 4.2): the stream
 * tracks the entry of `key` in `table` (undefined: the table of the section holding the rule) as
 * counter `slot`, from now until it ends (proxy/stick/track.ts).
 */
export interface HttpTrackScRule extends SourceRef {
  kind: 'track-sc';
  slot: TrackSlot;
  key: StickKeyExpr;
  table: string | undefined;
  cond?: RuleCondition;
}

/** `http-request sc-inc-gpc0(<n>)` / `sc-inc-gpc1(<n>)`: increments gpc0 (and gpc0_rate) / gpc1 of counter `slot`'s entry. */
export interface HttpScIncGpcRule extends SourceRef {
  kind: 'sc-inc-gpc0' | 'sc-inc-gpc1';
  slot: TrackSlot;
  cond?: RuleCondition;
}

/** `http-request sc-set-gpt0(<n>) <int>`: sets gpt0 of counter `slot`'s entry. */
export interface HttpScSetGptRule extends SourceRef {
  kind: 'sc-set-gpt0';
  slot: TrackSlot;
  value: number;
  cond?: RuleCondition;
}

/**
 * `tcp-request connection track-sc<n> src [table <table>] [if|unless <cond>]` of a frontend
 * (HAProxy configuration manual 4.2 "tcp-request connection"): run once per accepted connection,
 * before any HTTP, whatever its place among the http-request lines. It rides in the section's
 * `httpRequestRules` list (the configuration builder copies that list as is), where the
 * http-request engine skips it and the connection driver runs it at accept
 * (proxy/stream/rules.ts runConnectionRules); a dedicated list is the integrator's to add.
 */
export interface TcpConnectionTrackRule extends SourceRef {
  kind: 'tcp-connection-track-sc';
  slot: TrackSlot;
  key: StickKeyExpr;
  table: string | undefined;
  cond?: RuleCondition;
}

/**
 * `stick on|match|store-request <key> [table <table>] [if|unless <cond>]` of a backend (HAProxy
 * configuration manual 4.2 "stick on", "stick match", "stick store-request"): server persistence
 * through the `server_id` of the key's entry. `match` reads it before load balancing, `store`
 * writes the chosen server's id once one is assigned; `on` does both. Like
 * {@link TcpConnectionTrackRule}, it rides in `httpRequestRules` (skipped by the http-request
 * engine; the forwarding stream runs it, proxy/stream/rules.ts stickRulesFor).
 */
export interface StickRuleConfig extends SourceRef {
  kind: 'stick';
  mode: 'on' | 'match' | 'store-request';
  key: StickKeyExpr;
  table: string | undefined;
  cond?: RuleCondition;
}

/**
 * An `http-request` rule (HAProxy configuration manual, 4.2 "http-request"), evaluated in order;
 * `tcp-connection-track-sc` and `stick` are not http-request rules but ride in the same list (see
 * {@link TcpConnectionTrackRule}).
 */
export type HttpRequestRule =
  | HttpReturnRule
  | HttpDenyRule
  | HttpRedirectRule
  | HttpSetHeaderRule
  | HttpDelHeaderRule
  | HttpReplaceHeaderRule
  | HttpSetPathRule
  | HttpTrackScRule
  | HttpScIncGpcRule
  | HttpScSetGptRule
  | TcpConnectionTrackRule
  | StickRuleConfig;

/** An `http-response` rule (HAProxy configuration manual, 4.2 "http-response"), evaluated in order. */
export type HttpResponseRule = HttpSetHeaderRule | HttpDelHeaderRule | HttpReplaceHeaderRule | HttpDenyRule;

/**
 * `acl <name> <fetch> [flags] [operator] [values...]`. Several lines with the same name form one
 * ACL whose lines are OR'ed (HAProxy configuration manual, 7.1). `tokens` are the words after the
 * name (fetch first), as written; the ACL engine compiles them.
 */
export interface AclConfig extends SourceRef {
  name: string;
  tokens: string[];
}

/** `use_backend <name> [if|unless <condition>]`: the first rule whose condition holds selects the backend. */
export interface UseBackendRule extends SourceRef {
  backend: string;
  cond?: RuleCondition;
}

/** `default_backend <name>`, with the line where it was written (possibly in a defaults section). */
export interface DefaultBackendConfig extends SourceRef {
  backend: string;
}

/** An IPv4 or IPv6 network: an address and a prefix length (`127.0.0.0/8`, `::1` = `::1/128`). */
export interface NetworkConfig {
  address: string;
  prefixLength: number;
}

/**
 * `option forwardfor [except <network>] [header <name>] [if-none]` (HAProxy configuration manual,
 * 4.2): add the client's address to requests sent to servers.
 */
export interface ForwardForConfig extends SourceRef {
  /** default `X-Forwarded-For`. */
  header: string;
  /** Clients in this network get no header. */
  except: NetworkConfig | undefined;
  /** Only add the header when the request has none. */
  ifNone: boolean;
}

/** `option httplog` (HAProxy's HTTP log format) or `option httplog clf` (Common Log Format). */
export type HttpLogFormat = 'httplog' | 'clf';

/** Syslog message format of a `log` line (HAProxy configuration manual, 4.2 "log"). */
export type LogFormat = 'rfc3164' | 'rfc5424' | 'raw';

/** A syslog facility (RFC 5424 6.2.1; `auth2`, `audit`, `alert`, `cron2` as HAProxy names codes 10, 13, 14, 15). */
export type SyslogFacility =
  | 'kern' | 'user' | 'mail' | 'daemon' | 'auth' | 'syslog' | 'lpr' | 'news'
  | 'uucp' | 'cron' | 'auth2' | 'ftp' | 'ntp' | 'audit' | 'alert' | 'cron2'
  | 'local0' | 'local1' | 'local2' | 'local3' | 'local4' | 'local5' | 'local6' | 'local7';

/** A syslog severity level, most severe first (RFC 5424 6.2.1: emerg = 0 ... debug = 7). */
export type SyslogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warning' | 'notice' | 'info' | 'debug';

/**
 * Where a `log` line sends messages: the process's stdout or stderr, a UNIX datagram socket (e.g.
 * `/dev/log`), or a syslog server over UDP (`host` is an IP literal without brackets, or a host name
 * to resolve at startup).
 */
export type LogAddress =
  | { kind: 'stdout' }
  | { kind: 'stderr' }
  | { kind: 'unix'; path: string }
  | { kind: 'udp'; host: string; port: number };

/** One `log <address> [len <n>] [format <f>] <facility> [<level> [<minlevel>]]` line. */
export interface LogConfig extends SourceRef {
  address: LogAddress;
  /** Longest line sent (80..65535), default 1024; longer lines are truncated. */
  len: number;
  /** default `rfc3164`. */
  format: LogFormat;
  facility: SyslogFacility;
  /** Only messages at least this severe are sent; undefined = all. */
  level: SyslogLevel | undefined;
  /** Messages more severe than this are sent at this level; undefined = unchanged. */
  minLevel: SyslogLevel | undefined;
}

/** A frontend: a `frontend` section, or the frontend half of a `listen` section. */
export interface FrontendConfig extends SourceRef {
  kind: 'frontend' | 'listen';
  name: string;
  mode: ProxyMode;
  timeouts: ProxyTimeouts;
  maxconn: number | undefined;
  binds: BindConfig[];
  acls: AclConfig[];
  /** In order; the first matching rule wins, before `defaultBackend`. */
  useBackends: UseBackendRule[];
  /** undefined: none (a `listen` section then uses its own servers). */
  defaultBackend: DefaultBackendConfig | undefined;
  httpRequestRules: HttpRequestRule[];
  httpResponseRules: HttpResponseRule[];
  /** undefined unless `option forwardfor` applies. */
  forwardfor: ForwardForConfig | undefined;
  /** `option http-server-close`: close the server connection after each response. */
  httpServerClose: boolean;
  /** false unless `option httplog [clf]` applies. */
  httplog: HttpLogFormat | false;
  /** Where traffic logs go (`log global` already replaced by the global section's lines). */
  logs: LogConfig[];
}

/** Load-balancing algorithm (HAProxy configuration manual, 4.2 "balance"). */
export type BalanceConfig =
  | { algorithm: 'roundrobin' | 'leastconn' | 'source' | 'first' }
  | {
      algorithm: 'uri';
      /** Hash only the first `len` characters of the URI; undefined = all. */
      len: number | undefined;
      /** Hash only up to this many '/'-separated levels; undefined = all. */
      depth: number | undefined;
      /** Hash the whole URI including the query string (default: the part before '?'). */
      whole: boolean;
      /** Start the key at the first '/' of the path (ignore scheme and authority). */
      pathOnly: boolean;
    };

/** `http-reuse` strategy for idle server connections (HAProxy configuration manual, 4.2), default `safe`. */
export type HttpReuse = 'never' | 'safe' | 'aggressive' | 'always';

/**
 * One `http-check expect [!] status <codes>|rstatus <regex>`: `status` matches any listed code or
 * inclusive range (`200,201,300-310` gives [[200,200],[201,201],[300,310]]); `rstatus` matches the
 * status code as text against `regex` (JavaScript syntax, checked to compile). `negate` inverts it.
 */
export type HttpCheckExpect = SourceRef & { negate: boolean } & (
    | { match: 'status'; ranges: [number, number][] }
    | { match: 'rstatus'; regex: string }
  );

/**
 * `option httpchk [<method> <uri> [<version>]]` (or `option httpchk <uri>`): HTTP health checks.
 * Headers written after the version with the legacy `\r\n` trick land in `headers`.
 * `expects` are the `http-check expect` rules, all of which must hold; when empty, HAProxy's
 * implicit rule applies (a 2xx or 3xx status).
 */
export interface HttpCheckConfig extends SourceRef {
  /** default `OPTIONS`. */
  method: string;
  /** default `/`. */
  uri: string;
  /** default `HTTP/1.0`. */
  version: string;
  headers: [string, string][];
  expects: HttpCheckExpect[];
}

/** TLS verification of a server's certificate. */
export type ServerVerify = 'none' | 'required';

/**
 * A `server` line with every setting resolved: the `default-server` settings in force when it was
 * declared, then its own (HAProxy configuration manual, 5.2).
 */
export interface ServerConfig extends SourceRef {
  name: string;
  /** IPv4/IPv6 literal without brackets, or a host name resolved at startup. */
  host: string;
  port: number;
  /** 0..256, default 1; 0 takes no load-balanced traffic. */
  weight: number;
  /** Most concurrent requests sent to this server (more wait in the queue); 0 (default) = no limit. */
  maxconn: number;
  /** Used only when no non-backup server is usable. */
  backup: boolean;
  /** Starts in maintenance: receives no traffic. */
  disabled: boolean;
  /** Health checks enabled (TCP connect, or HTTP when the backend has `option httpchk`). */
  check: boolean;
  /** Interval between health checks, ms, default 2000. */
  inter: number;
  /** Consecutive successful checks to mark the server up, default 2. */
  rise: number;
  /** Consecutive failed checks to mark the server down, default 3. */
  fall: number;
  /** TLS to the server. */
  ssl: boolean;
  /**
   * Certificate verification; only meaningful with `ssl`. Without a `verify` setting (on the
   * server or its `default-server`), the global `ssl-server-verify` (default `required`).
   */
  verify: ServerVerify;
  /** `verify` was written (server or default-server line): the global default does not apply. */
  verifySet: boolean;
  /** Absolute path of the CA bundle, or `@system-ca` for the system's trusted CAs. */
  caFile: string | undefined;
  /** SNI sample expression as written: `str(<name>)` or `req.hdr(host)`. */
  sni: string | undefined;
}

/** A backend: a `backend` section, or the backend half of a `listen` section. */
export interface BackendConfig extends SourceRef {
  kind: 'backend' | 'listen';
  name: string;
  mode: ProxyMode;
  timeouts: ProxyTimeouts;
  /**
   * The `listen` section's `maxconn` (shared with its frontend half); always undefined for a
   * `backend` section, where HAProxy ignores `maxconn` (limit servers with `server ... maxconn`).
   */
  maxconn: number | undefined;
  servers: ServerConfig[];
  /** default roundrobin. */
  balance: BalanceConfig;
  /** undefined unless `option httpchk` applies. */
  httpchk: HttpCheckConfig | undefined;
  /** default `safe`. */
  reuse: HttpReuse;
  /** Connection retries after a failure, default 3. */
  retries: number;
  /**
   * `option redispatch [<interval>]`: retry on another server. `interval` as HAProxy: P > 0 every
   * Pth retry, -N the Nth retry before the last (default -1: the last retry).
   */
  redispatch: { enabled: boolean; interval: number };
  /** The section's `acl` lines, which its rules' conditions may name (a `listen` section's are its frontend half's). */
  acls: AclConfig[];
  /**
   * Run once this backend is chosen, after the frontend's (HAProxy's http_process_req_common() on
   * the backend); not again for the backend half of the `listen` section that received the request.
   */
  httpRequestRules: HttpRequestRule[];
  /** Run on the response head before the frontend's (same exception as `httpRequestRules`). */
  httpResponseRules: HttpResponseRule[];
  /** undefined unless `option forwardfor` applies (the backend's header name wins over the frontend's). */
  forwardfor: ForwardForConfig | undefined;
  httpServerClose: boolean;
  /** Where server state changes are logged (`log global` already replaced). */
  logs: LogConfig[];
  /** The section's `stick-table` (named after the section); undefined when it has none. */
  stickTable?: StickTableDef;
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

/**
 * One peer of a `peers` section (HAProxy configuration manual 3.5): a `peer <name> <addr>:<port>`
 * line, or a `server <name> [<addr>:<port>]` line (the local peer's `server` line has no address:
 * it listens on the section's `bind`).
 */
export interface PeerConfig extends SourceRef {
  name: string;
  /** Undefined for a local `server <name>` line without address (the `bind` address applies). */
  host: string | undefined;
  port: number | undefined;
  /** True when `name` is this instance's peer name (`localpeer`, `-L`, host name). */
  local: boolean;
  /** Which keyword declared it. */
  keyword: 'peer' | 'server';
  /** `ssl [crt <pem>] [ca-file <pem>] [verify none|required]`; undefined without `ssl`. */
  ssl: { crt: string | undefined; caFile: string | undefined; verify: ServerVerify } | undefined;
}

/** A `peers <name>` section. */
export interface PeersConfig extends SourceRef {
  name: string;
  peers: PeerConfig[];
  /** `bind <addr>:<port>`: where the local peer listens with the bind/server form. */
  bind: (SourceRef & { host: string; port: number }) | undefined;
  /** Its `table <name> ...` lines, named `<peers>/<name>` as in HAProxy 2.x. */
  tables: StickTableDef[];
}

/** A whole, valid configuration. */
export interface Config {
  global: GlobalConfig;
  defaults: DefaultsConfig;
  frontends: FrontendConfig[];
  backends: BackendConfig[];
  rings: RingConfig[];
  traces: TraceLineConfig[];
  /** `peers` sections, in declaration order. */
  peers: PeersConfig[];
  /**
   * Every stick-table to create, in declaration order: the `stick-table` of each backend/listen
   * section (named after it) and the `table` lines of peers sections (`<peers>/<table>`). Names are unique.
   */
  stickTables: StickTableDef[];
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
  /** `-L <name>`: this instance's peer name, over the global `localpeer` and the host name. */
  localPeer?: string;
}
