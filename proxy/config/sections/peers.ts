/**
 * The `peers <name>` section (HAProxy configuration manual 3.5 "Peers"): the instances that
 * synchronise stick-tables with HAProxy's peers protocol, and the tables declared there.
 *
 *   peers <name>
 *     peer <peername> <addr>:<port> [ssl [crt <pem>] [ca-file <pem>] [verify none|required]]
 *     bind <addr>:<port>                          (the bind/server form, HAProxy 2.x:)
 *     server <peername> [<addr>:<port>] [ssl ...] (the local peer's `server` line has no address)
 *     table <name> type ... size ... [expire <t>] [nopurge] [store ...]   (named `<peers>/<name>`)
 *
 * HAProxy's rules kept here: `peer` and `bind` lines cannot be mixed in one section; the local
 * peer (the one named like this instance: `-L`, the global `localpeer`, or the host name) is
 * declared by `peer <local> <addr>:<port>` or by `server <local>` without address plus `bind`;
 * a remote `server` needs its address. Cross-section rules (every section lists the local peer,
 * `stick-table ... peers <name>` names a section) are in checks.ts. `localpeer` belongs to the
 * global section. The `ssl` settings are those of HAProxy's `server` lines (how the local peer's
 * line also configures its TLS listener: proxy/peers/tls.ts); engine-support.ts refuses settings
 * that cannot work (no `crt` on the local peer, `verify required` without `ca-file`, files that do
 * not load).
 */
import { ConfigValueError } from '../alerts.ts';
import type { PeersState } from '../builder.ts';
import type { PeerConfig, ServerVerify } from '../config.types.ts';
import { expectArgs, sectionName, type KeywordContext, type KeywordTable, type SectionDef } from '../keyword.ts';
import { parseStickTableLine } from '../../stick/config.ts';
import { parseHostPort } from './address.ts';
import { parseBindAddress } from './bind.ts';
import { stickMessage } from './stick-table.ts';

type Ctx = KeywordContext<PeersState>;

/** Characters of peer names (HAProxy's proxy-name characters). */
const PEER_NAME = /^[A-Za-z0-9_.:-]+$/;

function peerName(ctx: Ctx): string {
  const name = ctx.args[1];
  if (name === undefined) throw new ConfigValueError(`missing peer name, expected '${ctx.usage}'`);
  if (!PEER_NAME.test(name)) throw new ConfigValueError(`invalid peer name '${name}', use letters, digits, '-', '_', '.' and ':'`);
  const other = ctx.state.peers.find((p) => p.name === name);
  if (other) throw new ConfigValueError(`peer '${name}' is already declared at ${other.file}:${other.line} in peers section '${ctx.state.name}'; each peer appears once`);
  return name;
}

function peerAddress(text: string): { host: string; port: number } {
  const { host, port } = parseHostPort(text);
  if (port === undefined) throw new ConfigValueError(`missing port in '${text}', expected '<address>:<port>' (e.g. '10.0.0.1:10000')`);
  return { host, port };
}

/** Parses `[ssl [crt <pem>] [ca-file <pem>] [verify none|required]]` from args[from]. */
function peerSsl(ctx: Ctx, from: number): PeerConfig['ssl'] {
  const a = ctx.args;
  if (from >= a.length) return undefined;
  let ssl = false;
  let crt: string | undefined;
  let caFile: string | undefined;
  let verify: ServerVerify = 'required';
  for (let i = from; i < a.length; ) {
    const opt = a[i]!;
    if (opt === 'ssl') {
      ssl = true;
      i++;
      continue;
    }
    if (opt === 'crt' || opt === 'ca-file' || opt === 'verify') {
      const v = a[i + 1];
      if (v === undefined) throw new ConfigValueError(`missing value after '${opt}'`);
      if (opt === 'crt') crt = v;
      else if (opt === 'ca-file') caFile = v;
      else if (v === 'none' || v === 'required') verify = v;
      else throw new ConfigValueError(`invalid value '${v}' for 'verify', expected 'none' or 'required'`);
      i += 2;
      continue;
    }
    throw new ConfigValueError(`unknown setting '${opt}', expected 'ssl', 'crt <pem>', 'ca-file <pem>' or 'verify none|required'`);
  }
  if (!ssl) throw new ConfigValueError(`'crt', 'ca-file' and 'verify' need 'ssl' on the same line`);
  return { crt, caFile, verify };
}

const SSL_USAGE = '[ssl [crt <pem>] [ca-file <pem>] [verify none|required]]';

/** Keywords of a `peers` section. */
export const PEERS_KEYWORDS: KeywordTable<PeersState> = {
  peer: {
    usage: `peer <peername> <addr>:<port> ${SSL_USAGE}`,
    parse(ctx) {
      expectArgs(ctx, 2, Number.MAX_SAFE_INTEGER);
      if (ctx.state.bind) throw new ConfigValueError(`mixing 'peer' and 'bind' lines is forbidden (the 'bind' is at ${ctx.state.bind.file}:${ctx.state.bind.line}); use either 'peer' lines or 'bind' + 'server' lines`);
      const name = peerName(ctx);
      const { host, port } = peerAddress(ctx.args[2]!);
      const local = name === ctx.builder.global.value.localPeer;
      ctx.state.peers.push({ name, host, port, local, keyword: 'peer', ssl: peerSsl(ctx, 3), file: ctx.file, line: ctx.line });
    },
  },
  bind: {
    usage: 'bind <addr>:<port>',
    parse(ctx) {
      expectArgs(ctx, 1, 1);
      const st = ctx.state;
      const peerLine = st.peers.find((p) => p.keyword === 'peer');
      if (peerLine) throw new ConfigValueError(`mixing 'peer' and 'bind' lines is forbidden ('peer ${peerLine.name}' is at ${peerLine.file}:${peerLine.line}); use either 'peer' lines or 'bind' + 'server' lines`);
      if (st.bind) throw new ConfigValueError(`peers section '${st.name}' already has a 'bind' line at ${st.bind.file}:${st.bind.line}; the local peer listens on one address`);
      const { host, port } = parseBindAddress(ctx.args[1]!);
      st.bind = { host, port, file: ctx.file, line: ctx.line };
    },
  },
  server: {
    usage: `server <peername> [<addr>:<port>] ${SSL_USAGE}`,
    parse(ctx) {
      expectArgs(ctx, 1, Number.MAX_SAFE_INTEGER);
      const peerLine = ctx.state.peers.find((p) => p.keyword === 'peer');
      if (peerLine) throw new ConfigValueError(`mixing 'peer' and 'server' lines is forbidden ('peer ${peerLine.name}' is at ${peerLine.file}:${peerLine.line}); use either 'peer' lines or 'bind' + 'server' lines`);
      const name = peerName(ctx);
      const local = name === ctx.builder.global.value.localPeer;
      const addr = ctx.args[2];
      const hasAddr = addr !== undefined && !['ssl', 'crt', 'ca-file', 'verify'].includes(addr);
      if (local && hasAddr) {
        throw new ConfigValueError(`'server ${name}' is the local peer: it listens on the section's 'bind' address, so it takes no address; remove '${addr}'`);
      }
      if (!local && !hasAddr) {
        throw new ConfigValueError(
          `missing address for remote peer '${name}' (this instance is '${ctx.builder.global.value.localPeer}'), expected 'server ${name} <addr>:<port>'; only the local peer's 'server' line has no address`,
        );
      }
      const a = hasAddr ? peerAddress(addr) : undefined;
      ctx.state.peers.push({ name, host: a?.host, port: a?.port, local, keyword: 'server', ssl: peerSsl(ctx, hasAddr ? 3 : 2), file: ctx.file, line: ctx.line });
    },
  },
  table: {
    usage: 'table <name> type {ip | ipv6 | integer | string [len <n>] | binary [len <n>]} size <size> [expire <time>] [nopurge] [store <data_type>,...]',
    parse(ctx) {
      const st = ctx.state;
      const r = parseStickTableLine(ctx.args, { file: ctx.file, line: ctx.line, peersSection: st.name });
      if (!r.ok) throw new ConfigValueError(stickMessage(r.error));
      for (const w of r.warnings) ctx.warn(`'table' : ${stickMessage(w, true)}`);
      const name = `${st.name}/${r.def.name}`;
      const other = st.tables.find((t) => t.name === name);
      if (other) throw new ConfigValueError(`table '${r.def.name}' is already declared at ${other.file}:${other.line} in peers section '${st.name}'; rename one of them`);
      st.tables.push({ ...r.def, name });
    },
  },
};

/** The `peers <name>` section; names are checked for uniqueness after parsing. */
export const PEERS_SECTION: SectionDef<PeersState> = {
  keyword: 'peers',
  open(ctx) {
    const name = sectionName(ctx, true);
    const state: PeersState = { name: name ?? '', file: ctx.file, line: ctx.line, peers: [], bind: undefined, tables: [] };
    if (typeof name === 'string') ctx.builder.peers.push(state);
    return state;
  },
  keywords: PEERS_KEYWORDS,
  misplaced(word) {
    if (word === 'localpeer') return `'localpeer' belongs in the 'global' section (or pass '-L <name>' on the command line); it names this instance among the peers.`;
    if (word === 'stick-table') return `'stick-table' is written 'table <name> type ... size ...' in a 'peers' section.`;
    return undefined;
  },
};
