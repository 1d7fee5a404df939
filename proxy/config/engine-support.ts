/**
 * What this build's proxy engine implements, checked after parsing. The parser knows HAProxy's
 * language ahead of the engine (issue 3's keywords parse fully), but accepting a feature the engine
 * does not implement would silently skip it, and a keyword that is accepted must behave as in
 * HAProxy. So `flightbox run` and `flightbox check` turn each such feature into an alert at its
 * file:line. Entries leave this list as the engine implements them, with their tests.
 */
import type { Config, SourceRef } from './config.types.ts';
import type { ConfigAlert } from './config.types.ts';
import { makeDiagnostic } from './alerts.ts';

const LATER = 'is recognised but not implemented by the proxy yet (HTTP/1.1 proxying is in progress); remove it for now.';

/** One alert per parsed feature the proxy engine does not implement yet (empty when all are). */
export function checkEngineSupport(config: Config): ConfigAlert[] {
  const out: ConfigAlert[] = [];
  const at = (ref: SourceRef, what: string) => out.push(makeDiagnostic('alert', ref.file, ref.line, `${what} ${LATER}`));
  for (const l of config.global.logs) at(l, "'log'");
  for (const b of config.backends) for (const s of b.servers) at(s, `'server ${s.name}'`);
  for (const f of config.frontends) {
    for (const u of f.useBackends) at(u, "'use_backend'");
    if (f.defaultBackend) at(f.defaultBackend, "'default_backend'");
    for (const a of f.acls) at(a, `'acl ${a.name}'`);
    for (const r of f.httpRequestRules) {
      if (r.kind !== 'return') at(r, `'http-request ${r.kind}'`);
      else if (r.cond) at(r, `'http-request return' with a condition ('${r.cond.kind} ...')`);
    }
    for (const r of f.httpResponseRules) at(r, `'http-response ${r.kind}'`);
    if (f.forwardfor) at(f.forwardfor, "'option forwardfor'");
    if (f.httplog) at(f, "'option httplog'");
    for (const l of f.logs) if (!config.global.logs.includes(l)) at(l, "'log'");
  }
  // Alerts in file order, as the parser reports them.
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
}
