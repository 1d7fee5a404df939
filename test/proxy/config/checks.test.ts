import { describe, expect, it } from 'vitest';
import { alerts, parse, parseOk, warnings } from './helpers.ts';

const T = ' timeout client 1s\n timeout connect 1s\n timeout server 1s\n';

describe('post-parse checks', () => {
  it('rejects duplicate proxy names sharing a capability, naming the first declaration', () => {
    const r = parse(`defaults\n${T}frontend web\n bind :80\nfrontend web\n bind :81\nbackend app\nlisten app\n bind :82\n`);
    expect(alerts(r)).toEqual([
      "[ALERT] config : parsing [t.cfg:7] : frontend 'web' has the same name as frontend 'web' declared at t.cfg:5; rename one of them.",
      "[ALERT] config : parsing [t.cfg:10] : listen 'app' has the same name as backend 'app' declared at t.cfg:9; rename one of them.",
    ]);
  });
  it('lets a frontend and a backend share a name, as HAProxy', () => {
    const c = parseOk(`defaults\n${T}frontend app\n bind :80\nbackend app\n`);
    expect([c.frontends[0].name, c.backends[0].name]).toEqual(['app', 'app']);
  });
  it('rejects a frontend or listen without bind at its header line', () => {
    expect(alerts(parse(`defaults\n${T}frontend lonely\n maxconn 3\nlisten alone\n`))).toEqual([
      "[ALERT] config : parsing [t.cfg:5] : frontend 'lonely' has no 'bind' line, so it would accept no connection; add 'bind <address>:<port>'.",
      "[ALERT] config : parsing [t.cfg:7] : listen 'alone' has no 'bind' line, so it would accept no connection; add 'bind <address>:<port>'.",
    ]);
  });
  it('rejects duplicate ring names and rings without size', () => {
    expect(alerts(parse('ring a\n size 1m\nring b\n format raw\nring a\n size 2m\n'))).toEqual([
      "[ALERT] config : parsing [t.cfg:3] : ring 'b' has no 'size'; add 'size <size>' (e.g. 'size 1m').",
      "[ALERT] config : parsing [t.cfg:5] : ring 'a' has the same name as the ring declared at t.cfg:1; rename one of them.",
    ]);
  });
  it('warns about missing timeouts as HAProxy does, without invalidating the configuration', () => {
    const r = parse('frontend f\n bind :80\nbackend b\n timeout connect 1s\nlisten l\n bind :81\n timeout client 0\n');
    expect(alerts(r)).toEqual([]);
    expect(r.config).toBeDefined();
    expect(warnings(r)).toEqual([
      "[WARNING] config : parsing [t.cfg:1] : missing timeouts for frontend 'f': set 'timeout client' here or in a defaults section, otherwise idle connections are never closed.",
      "[WARNING] config : parsing [t.cfg:3] : missing timeouts for backend 'b': set 'timeout server' here or in a defaults section, otherwise idle connections are never closed.",
      "[WARNING] config : parsing [t.cfg:5] : missing timeouts for listen 'l': set 'timeout client', 'timeout connect', 'timeout server' here or in a defaults section, otherwise idle connections are never closed.",
    ]);
  });
  it('runs after every file so checks see the whole configuration', () => {
    const r = parse(`frontend f\n${T} bind :80\nring r\n size 1m\n`);
    expect(r.alerts).toEqual([]);
    expect(r.config?.rings.map((x) => x.name)).toEqual(['r']);
  });
});
