/**
 * Post-parse checks: what can only be judged once every file is read (names unique across
 * files, required lines present, sizes against `tune.bufsize`, missing timeouts, backend names
 * of `default_backend`/`use_backend`, servers). Each check reports at the file:line of the element
 * concerned. Later cross references (ring names in `trace ... sink`) belong here as new entries of
 * {@link CONFIG_CHECKS}.
 */
import type { Diagnostics } from './alerts.ts';
import { hasBackendCap, hasFrontendCap, resolveLogs, type ConfigBuilder, type ProxyState } from './builder.ts';
import type { SourceRef } from './config.types.ts';

/** A check over the whole parsed configuration. */
export type ConfigCheck = (b: ConfigBuilder, d: Diagnostics) => void;

/**
 * Proxy names are unique among proxies sharing a capability, as HAProxy: a frontend and a backend
 * may share a name, a listen section conflicts with both.
 */
export function checkProxyNames(b: ConfigBuilder, d: Diagnostics): void {
  const seen: ProxyState[] = [];
  for (const p of b.proxies) {
    const other = seen.find(
      (q) =>
        q.name === p.name &&
        ((hasFrontendCap(q.kind) && hasFrontendCap(p.kind)) || (hasBackendCap(q.kind) && hasBackendCap(p.kind))),
    );
    if (other) {
      d.alert(
        p.file,
        p.line,
        `${p.kind} '${p.name}' has the same name as ${other.kind} '${other.name}' declared at ${other.file}:${other.line}; rename one of them.`,
      );
    }
    seen.push(p);
  }
}

/** A frontend or listen section must have at least one `bind` line. */
export function checkFrontendBinds(b: ConfigBuilder, d: Diagnostics): void {
  for (const p of b.proxies) {
    if ((p.kind === 'frontend' || p.kind === 'listen') && p.binds.length === 0) {
      d.alert(p.file, p.line, `${p.kind} '${p.name}' has no 'bind' line, so it would accept no connection; add 'bind <address>:<port>'.`);
    }
  }
}

/** Ring names are unique and every ring has a `size`. */
export function checkRings(b: ConfigBuilder, d: Diagnostics): void {
  b.rings.forEach((r, i) => {
    const other = b.rings.slice(0, i).find((q) => q.name === r.name);
    if (other) d.alert(r.file, r.line, `ring '${r.name}' has the same name as the ring declared at ${other.file}:${other.line}; rename one of them.`);
    if (r.size === undefined) d.alert(r.file, r.line, `ring '${r.name}' has no 'size'; add 'size <size>' (e.g. 'size 1m').`);
  });
}

/** The payload of an `http-request return`/`deny` or `http-response deny` must fit in one buffer (`tune.bufsize`), as in HAProxy. */
export function checkReturnSizes(b: ConfigBuilder, d: Diagnostics): void {
  const bufsize = b.global.value.tune.bufsize;
  for (const p of b.proxies) {
    const rules = [...p.httpRequestRules.map((r) => ['http-request', r] as const), ...p.httpResponseRules.map((r) => ['http-response', r] as const)];
    for (const [kw, r] of rules) {
      if ((r.kind === 'return' || r.kind === 'deny') && r.body.length > bufsize) {
        d.alert(
          r.file,
          r.line,
          `'${kw} ${r.kind}' : the payload is ${r.body.length} bytes, larger than tune.bufsize (${bufsize}); raise 'tune.bufsize' in the global section or shorten the payload.`,
        );
      }
    }
  }
}

/** Warns, as HAProxy, about proxies that would wait forever for an idle client or server. */
export function checkTimeouts(b: ConfigBuilder, d: Diagnostics): void {
  for (const p of b.proxies) {
    const missing: string[] = [];
    if (hasFrontendCap(p.kind) && !p.timeouts.client) missing.push("'timeout client'");
    if (hasBackendCap(p.kind) && !p.timeouts.connect) missing.push("'timeout connect'");
    if (hasBackendCap(p.kind) && !p.timeouts.server) missing.push("'timeout server'");
    if (missing.length > 0) {
      d.warn(
        p.file,
        p.line,
        `missing timeouts for ${p.kind} '${p.name}': set ${missing.join(', ')} here or in a defaults section, otherwise idle connections are never closed.`,
      );
    }
  }
}

/** frontend and listen sections. */
function frontends(b: ConfigBuilder): ProxyState[] {
  return b.proxies.filter((p) => p.kind === 'frontend' || p.kind === 'listen');
}

/** backend and listen sections. */
function backends(b: ConfigBuilder): ProxyState[] {
  return b.proxies.filter((p) => p.kind === 'backend' || p.kind === 'listen');
}

/**
 * `default_backend` and `use_backend` name a backend or listen section, not the section itself
 * (HAProxy: "unable to find required default_backend", "loop detected"); a listen section whose
 * `default_backend` makes its own servers unreachable gets HAProxy's warning.
 */
export function checkBackendRefs(b: ConfigBuilder, d: Diagnostics): void {
  const targets = backends(b);
  const check = (p: ProxyState, kw: string, name: string, at: SourceRef): boolean => {
    const target = targets.find((t) => t.name === name);
    if (!target) {
      d.alert(at.file, at.line, `${p.kind} '${p.name}' : unable to find required ${kw}: '${name}'; declare 'backend ${name}' or fix the name.`);
    } else if (target === p) {
      d.alert(at.file, at.line, `${p.kind} '${p.name}' : loop detected for ${kw}: '${name}'; a listen section cannot send traffic to itself (its own servers are used without it).`);
    }
    return target !== undefined && target !== p;
  };
  for (const p of frontends(b)) {
    for (const u of p.useBackends) check(p, 'use_backend', u.backend, u);
    const def = p.defaultBackend;
    if (def && check(p, 'default_backend', def.backend, def) && p.servers.length > 0) {
      d.warn(def.file, def.line, `in listen '${p.name}', the 'default_backend' rule always has precedence over the servers, which will never be used.`);
    }
  }
}

/** True when some rule answers or routes every request (no condition, nothing that can skip it). */
function routesEverything(p: ProxyState): boolean {
  if (p.defaultBackend || p.useBackends.some((u) => !u.cond)) return true;
  return p.httpRequestRules.some(
    (r) => !r.cond && (r.kind === 'return' || r.kind === 'deny' || (r.kind === 'redirect' && !r.ignoreEmpty)),
  );
}

/**
 * Warns about a frontend (or a listen section without servers) where some requests reach no
 * backend: HAProxy answers them 503 Service Unavailable. Sections without `bind` already have an
 * alert and are skipped.
 */
export function checkRouting(b: ConfigBuilder, d: Diagnostics): void {
  for (const p of frontends(b)) {
    if (p.binds.length === 0 || routesEverything(p) || (p.kind === 'listen' && p.servers.length > 0)) continue;
    const what = p.kind === 'listen' ? `listen '${p.name}' has no server, no 'default_backend'` : `frontend '${p.name}' has no 'default_backend'`;
    const fix = p.kind === 'listen' ? "add a 'server' line or 'default_backend <backend>'" : "add 'default_backend <backend>'";
    d.warn(
      p.file,
      p.line,
      `${what} and no unconditional 'use_backend', 'http-request return', 'deny' or 'redirect': requests that no rule answers get 503 Service Unavailable; ${fix}.`,
    );
  }
}

/**
 * Server names are unique within a backend; a server without `verify` takes the global
 * `ssl-server-verify`; a TLS server that verifies its certificate (the default) needs a CA file, as
 * HAProxy ("verify is enabled by default but no CA file specified").
 */
export function checkServers(b: ConfigBuilder, d: Diagnostics): void {
  for (const p of backends(b)) {
    p.servers.forEach((s, i) => {
      const other = p.servers.slice(0, i).find((o) => o.name === s.name);
      if (other) {
        d.alert(s.file, s.line, `${p.kind} '${p.name}' : server '${s.name}' has the same name as the server declared at ${other.file}:${other.line}; rename one of them.`);
      }
      if (!s.verifySet) s.verify = b.global.value.sslServerVerify;
      if (s.ssl && s.verify === 'required' && s.caFile === undefined) {
        d.alert(
          s.file,
          s.line,
          `${p.kind} '${p.name}', server '${s.name}' : verify is enabled by default but no CA file specified; add 'ca-file <file>' ('ca-file @system-ca' for the system's CAs), or 'verify none' if you are certain to trust the server's certificate (e.g. on a LAN), or 'ssl-server-verify none' in the global section to disable server-side verification by default.`,
        );
      }
    });
  }
}

/** HAProxy ignores `http-check` rules without `option httpchk`, with a warning. */
export function checkHttpCheck(b: ConfigBuilder, d: Diagnostics): void {
  for (const p of backends(b)) {
    const first = p.httpCheckExpects[0];
    if (first && !p.httpchk) {
      d.warn(first.file, first.line, `${p.kind} '${p.name}' uses http-check rules without 'option httpchk', so the rules are ignored; add 'option httpchk'.`);
    }
  }
}

/** HAProxy warns when a log format is set for a frontend that has nowhere to send logs. */
export function checkHttplog(b: ConfigBuilder, d: Diagnostics): void {
  for (const p of frontends(b)) {
    if (p.httplog && resolveLogs(p.logs, b.global.value.logs).length === 0) {
      const why = p.logs.length > 0 ? " ('log global' but the global section has no 'log' line)" : '';
      d.warn(
        p.httplog.file,
        p.httplog.line,
        `log format ignored for ${p.kind} '${p.name}' since it has no log address${why}; add 'log <address> <facility>' (e.g. 'log stdout format raw local0').`,
      );
    }
  }
}

/**
 * Peers sections (HAProxy configuration manual 3.5): names are unique; each one lists this
 * instance (HAProxy: "unable to find local peer '<name>' in peers section '<p>'"); a local peer
 * declared by `server <name>` without address needs the section's `bind` line.
 */
export function checkPeers(b: ConfigBuilder, d: Diagnostics): void {
  const local = b.global.value.localPeer;
  b.peers.forEach((p, i) => {
    const other = b.peers.slice(0, i).find((q) => q.name === p.name);
    if (other) d.alert(p.file, p.line, `peers section '${p.name}' has the same name as the peers section declared at ${other.file}:${other.line}; rename one of them.`);
    const me = p.peers.find((x) => x.local);
    if (!me) {
      d.alert(
        p.file,
        p.line,
        `unable to find local peer '${local}' in peers section '${p.name}': this instance's peer name comes from '-L <name>', else the global 'localpeer <name>', else the host name; add 'peer ${local} <addr>:<port>' to the section, or name one of its peers with -L or 'localpeer'.`,
      );
    } else if (me.keyword === 'server' && !p.bind) {
      d.alert(me.file, me.line, `local peer '${me.name}' of peers section '${p.name}' has no address: its 'server' line takes none, so add 'bind <addr>:<port>' to the section.`);
    }
  });
}

/** `stick-table ... peers <name>` names a `peers` section (HAProxy: "unable to find sync peers '<name>'"). */
export function checkStickTablePeers(b: ConfigBuilder, d: Diagnostics): void {
  for (const p of backends(b)) {
    const t = p.stickTable;
    if (!t || t.peers === undefined) continue;
    if (!b.peers.some((s) => s.name === t.peers)) {
      d.alert(t.file ?? p.file, t.line ?? p.line, `${p.kind} '${p.name}' : unable to find sync peers '${t.peers}'; declare 'peers ${t.peers}' or fix the name in 'stick-table ... peers ${t.peers}'.`);
    }
  }
}

/** Every post-parse check, in order. */
export const CONFIG_CHECKS: readonly ConfigCheck[] = [
  checkProxyNames,
  checkFrontendBinds,
  checkRings,
  checkReturnSizes,
  checkTimeouts,
  checkBackendRefs,
  checkServers,
  checkRouting,
  checkHttpCheck,
  checkHttplog,
  checkPeers,
  checkStickTablePeers,
];
