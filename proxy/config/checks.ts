/**
 * Post-parse checks: what can only be judged once every file is read (names unique across
 * files, required lines present, sizes against `tune.bufsize`, missing timeouts). Each check
 * reports at the file:line of the element concerned. Later cross references (`default_backend`,
 * `use_backend`, ring names in `trace ... sink`) belong here as new entries of {@link CONFIG_CHECKS}.
 */
import type { Diagnostics } from './alerts.ts';
import { hasBackendCap, hasFrontendCap, type ConfigBuilder, type ProxyState } from './builder.ts';

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

/** An `http-request return` payload must fit in one buffer (`tune.bufsize`), as in HAProxy. */
export function checkReturnSizes(b: ConfigBuilder, d: Diagnostics): void {
  const bufsize = b.global.value.tune.bufsize;
  for (const p of b.proxies) {
    for (const r of p.httpRequestRules) {
      if (r.kind === 'return' && r.body.length > bufsize) {
        d.alert(
          r.file,
          r.line,
          `'http-request return' : the payload is ${r.body.length} bytes, larger than tune.bufsize (${bufsize}); raise 'tune.bufsize' in the global section or shorten the payload.`,
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

/** Every post-parse check, in order. */
export const CONFIG_CHECKS: readonly ConfigCheck[] = [checkProxyNames, checkFrontendBinds, checkRings, checkReturnSizes, checkTimeouts];
