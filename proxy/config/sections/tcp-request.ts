/**
 * The `tcp-request` keyword of frontend and listen sections (HAProxy configuration manual 4.2
 * "tcp-request connection"). Supported:
 *
 *   tcp-request connection track-sc0|track-sc1|track-sc2 src [table <table>] [if|unless <condition>]
 *
 * run once per accepted connection, before any HTTP is read: the connection tracks the client
 * address's entry for its whole life (proxy/stick/track.ts), and its streams see it as their
 * `sc<n>` when they do not track that counter themselves. Other `tcp-request` rules are alerts
 * ("not supported yet"), never accepted silently.
 *
 * The rule is stored in the section's `httpRequestRules` list with kind `tcp-connection-track-sc`
 * (see TcpConnectionTrackRule in ../config.types.ts): the http-request engine skips it.
 */
import { ConfigValueError } from '../alerts.ts';
import type { ProxyState } from '../builder.ts';
import type { TcpConnectionTrackRule, TrackSlot } from '../config.types.ts';
import type { KeywordDef } from '../keyword.ts';
import { optionalCondition } from './condition.ts';
import { trackKeyAndTable } from './http-request.ts';

/** `tcp-request connection track-sc<n> src [table <t>] [if|unless <cond>]`. */
export const TCP_REQUEST_KEYWORD: KeywordDef<ProxyState> = {
  usage: 'tcp-request connection track-sc0|track-sc1|track-sc2 src [table <table>] [if|unless <condition>]',
  parse(ctx) {
    const where = ctx.args[1];
    if (where !== 'connection') {
      const what = where === undefined ? 'missing rule type' : `'tcp-request ${where}' is not supported by Flightbox yet`;
      throw new ConfigValueError(`${what}; only 'tcp-request connection track-sc0|1|2 src [table <table>]' is`);
    }
    const action = ctx.args[2];
    const m = action === undefined ? null : /^track-sc([0-2])$/.exec(action);
    if (!m) {
      const what = action === undefined ? 'missing action' : `action '${action}' is not supported by Flightbox yet`;
      throw new ConfigValueError(`${what}; only 'track-sc0', 'track-sc1' and 'track-sc2' are in 'tcp-request connection'`, 'tcp-request connection');
    }
    const kw = `tcp-request connection ${action}`;
    const usage = `${kw} src [table <table>] [if|unless <condition>]`;
    const { key, table, next } = trackKeyAndTable(ctx, 3, kw, usage, true);
    const rule: TcpConnectionTrackRule = { kind: 'tcp-connection-track-sc', slot: Number(m[1]) as TrackSlot, key, table, file: ctx.file, line: ctx.line };
    const cond = optionalCondition(ctx, next, kw, usage);
    ctx.state.httpRequestRules.push(cond ? { ...rule, cond } : rule);
  },
};
