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
import { compileRouting } from '../stream/backend-runtime.ts';
import { compileRules } from '../stream/rules.ts';

const LATER = 'is recognised but not implemented by the proxy yet (HTTP/1.1 proxying is in progress); remove it for now.';

/** One alert per parsed feature the proxy engine does not implement yet (empty when all are). */
export function checkEngineSupport(config: Config): ConfigAlert[] {
  const out: ConfigAlert[] = [];
  const seen = new Set<string>();
  const at = (ref: SourceRef, what: string) => {
    const key = `${ref.file}:${ref.line}:${what}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(makeDiagnostic('alert', ref.file, ref.line, `${what} ${LATER}`));
  };
  for (const l of config.global.logs) at(l, "'log'");
  for (const b of config.backends) {
    for (const s of b.servers) {
      if (s.ssl) at(s, `'ssl' on 'server ${s.name}'`);
    }
    for (const l of b.logs) if (!config.global.logs.includes(l)) at(l, "'log'");
  }
  for (const f of config.frontends) {
    // ACLs and use_backend conditions are implemented: a line that does not compile is an alert.
    for (const e of compileRouting(f).errors) out.push(makeDiagnostic('alert', e.ref.file, e.ref.line, e.message));
    // http-request / http-response rules are implemented: a condition or <fmt> that does not compile is an alert.
    for (const e of compileRules(f).errors) out.push(makeDiagnostic('alert', e.ref.file, e.ref.line, e.message));
    if (f.httplog) at(f, "'option httplog'");
    for (const l of f.logs) if (!config.global.logs.includes(l)) at(l, "'log'");
  }
  // Alerts in file order, as the parser reports them.
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
}
