/**
 * What the proxy engine checks after parsing, for `flightbox run` and `flightbox check` alike: the
 * ACLs, conditions and log-format strings of every section compile, TLS material loads, and UNIX
 * log targets can be served. Each problem is an alert at its file:line. It is also the place for a
 * feature the parser knows ahead of the engine: such a feature must be an alert here, never a
 * silent skip. TLS between peers is implemented (proxy/peers/tls.ts): a peer line's `ssl`
 * settings that cannot work (the local peer without `crt`, `verify required` without `ca-file`, a
 * certificate or CA file that does not load) are alerts at that line.
 */
import type { Config } from './config.types.ts';
import type { ConfigAlert, LogConfig } from './config.types.ts';
import { makeDiagnostic } from './alerts.ts';
import { compileRouting } from '../stream/backend-runtime.ts';
import { aclErrors, checkStickReferences, compileRules } from '../stream/rules.ts';
import { findLogger } from '../log/logger-child.ts';
import { serverTlsProblem } from '../tls/client.ts';
import { peersTlsProblems } from '../peers/tls.ts';
import { checkConverterTables } from '../acl/converter-check.ts';

/** One alert per problem the engine finds in a parsed configuration (empty when it can run it). */
export function checkEngineSupport(config: Config): ConfigAlert[] {
  const out: ConfigAlert[] = [];
  const seen = new Set<string>();
  // Traffic logs are implemented (proxy/log/). UNIX datagram targets go through util-linux 'logger'
  // (Node has no datagram UNIX sockets): it must be installed, and it cannot send 'format raw'.
  let logger: string | undefined | null = null;
  const unixLog = (l: LogConfig) => {
    if (l.address.kind !== 'unix') return;
    const key = `${l.file}:${l.line}:unix-log`;
    if (seen.has(key)) return;
    seen.add(key);
    const target = `'log ${l.address.path}'`;
    if (logger === null) logger = findLogger();
    if (logger === undefined) {
      const msg = `${target}: UNIX datagram log targets are sent through the 'logger' program of util-linux (Node has no datagram UNIX sockets), and no 'logger' was found in PATH; install it (Debian: bsdutils) or log to 'stdout', 'stderr' or a syslog server over UDP (e.g. 'log 127.0.0.1:514 local0') instead.`;
      out.push(makeDiagnostic('alert', l.file, l.line, msg));
    } else if (l.format === 'raw') {
      const msg = `${target} with 'format raw': UNIX datagram log targets are sent through util-linux 'logger', which always writes a syslog header; use 'format rfc3164' (the default) or 'format rfc5424' here, or send raw lines to 'stdout', 'stderr' or a UDP target.`;
      out.push(makeDiagnostic('alert', l.file, l.line, msg));
    }
  };
  for (const l of config.global.logs) unixLog(l);
  for (const b of config.backends) {
    for (const s of b.servers) {
      // TLS to servers is implemented (proxy/tls/client.ts): a CA file that does not load is an alert.
      const tlsProblem = serverTlsProblem(s);
      if (tlsProblem) out.push(makeDiagnostic('alert', s.file, s.line, `${b.kind} '${b.name}', ${tlsProblem}.`));
    }
    // A backend's log lines get its server state changes (a listen section's also its traffic logs).
    if (b.kind === 'backend') for (const l of b.logs) if (!config.global.logs.includes(l)) unixLog(l);
    // Backend ACLs and http-request / http-response rules are implemented (run after / before the
    // frontend's). A listen section's are reported once, with its frontend half below.
    if (b.kind === 'backend') {
      for (const e of aclErrors(b.acls)) out.push(makeDiagnostic('alert', e.ref.file, e.ref.line, e.message));
      for (const e of compileRules(b).errors) out.push(makeDiagnostic('alert', e.ref.file, e.ref.line, e.message));
    }
  }
  for (const f of config.frontends) {
    // ACLs and use_backend conditions are implemented: a line that does not compile is an alert.
    for (const e of compileRouting(f).errors) out.push(makeDiagnostic('alert', e.ref.file, e.ref.line, e.message));
    // http-request / http-response rules are implemented: a condition or <fmt> that does not compile is an alert.
    for (const e of compileRules(f).errors) out.push(makeDiagnostic('alert', e.ref.file, e.ref.line, e.message));
    for (const l of f.logs) if (!config.global.logs.includes(l)) unixLog(l);
  }
  // Stick-tables and their synchronisation with peers are implemented (proxy/stick/, proxy/peers/,
  // run by the supervisor), over TCP or TLS: 'ssl' settings of a peer line that cannot work are alerts.
  for (const p of config.peers) {
    for (const e of peersTlsProblems(p)) out.push(makeDiagnostic('alert', e.peer.file, e.peer.line, `${e.message}.`));
  }
  // Tracking and stick rules name a table that exists (HAProxy: "unable to find table").
  for (const e of checkStickReferences(config)) out.push(makeDiagnostic('alert', e.ref.file, e.ref.line, e.message));
  // So do the stick-table converters (`src,table_http_req_rate(t)`, HAProxy smp_resolve_args()).
  for (const e of checkConverterTables(config)) out.push(makeDiagnostic('alert', e.ref.file, e.ref.line, e.message));
  // Alerts in file order, as the parser reports them.
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
}
