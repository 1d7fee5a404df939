/**
 * Keys of tracking and stickiness rules: the `<key>` of `http-request track-sc0 <key>`,
 * `tcp-request connection track-sc0 <key>` and `stick on|match|store-request <key>` (HAProxy
 * configuration manual 4.2), parsed once from the configuration, fetched from a request, and
 * converted to the bytes of a table's key type as HAProxy's smp_to_stkey() casts samples:
 *
 * - `src` (an address sample): an `ip` table takes IPv4 (an IPv4-mapped IPv6 client becomes IPv4,
 *   another IPv6 client gives no key), an `ipv6` table maps IPv4 into `::ffff:a.b.c.d`, an
 *   `integer` table takes the IPv4 address as a 32-bit number, `string`/`binary` tables its text;
 * - `req.hdr(<name>[,<occ>])` (last occurrence by default, as HAProxy's sample fetch), `path`,
 *   `url`, `base` (the Host header followed by the path, 7.3.6): text samples, converted to an
 *   address for `ip`/`ipv6` tables and to an integer for `integer` tables when they parse as one
 *   (no key otherwise), truncated for `string`, raw bytes for `binary`.
 *
 * The fetch may be followed by converters (HAProxy 7.3.1, `src,ipmask(24)`, `req.hdr(host),lower`:
 * proxy/acl/converters.ts), parsed and type-checked with the key and run on each request before the
 * key is made.
 *
 * No key means the rule does nothing for this request, as in HAProxy.
 */
import type { RequestContext } from '../acl/acl.types.ts';
import { applyConverters, parseConverterChain, sampleText, splitSampleExpr } from '../acl/converters.ts';
import type { ConverterCall } from '../acl/converters.ts';
import { clientAddress } from '../acl/fetches.ts';
import { headerValues } from '../acl/http-values.ts';
import { integerKey, parseStickKey, stringKey, type StickKey } from './key.ts';
import type { StickKeyExpr, StickTableDef } from './stick.types.ts';

/** The key fetches a tracking rule accepts, for messages. */
export const TRACK_KEY_FETCHES = 'src, req.hdr(<name>[,<occ>]), path, url or base';

/** A key expression with the converters that follow its fetch (pure data, survives structured cloning). */
export type StickKeyExprConv = StickKeyExpr & { readonly convs?: readonly ConverterCall[] };

/**
 * Parses the `<key>` word of a tracking or stick rule, `<fetch>[,<conv>...]`. `layer4`: only `src`
 * is available (a `tcp-request connection` rule runs before any HTTP is read). Returns the
 * expression, or a message saying what is accepted (HAProxy's wording for converter errors).
 */
export function parseStickKeyExpr(text: string, layer4 = false): StickKeyExprConv | string {
  const split = splitSampleExpr(text);
  if (split.convs === undefined) return parseKeyFetch(text, layer4);
  const base = parseKeyFetch(split.fetch, layer4);
  if (typeof base === 'string') return base;
  const chain = parseConverterChain(split.convs, base.fetch === 'src' ? 'ip' : 'str');
  if ('error' in chain) return `key '${text}': ${chain.error}`;
  return { ...base, text, convs: chain.convs };
}

function parseKeyFetch(text: string, layer4: boolean): StickKeyExpr | string {
  if (text === 'src') return { fetch: 'src', text };
  const avail = layer4 ? "only 'src' is available in 'tcp-request connection' rules (no HTTP request is read yet)" : `supported keys: ${TRACK_KEY_FETCHES}`;
  if (layer4) return `key '${text}' is not supported here: ${avail}`;
  if (text === 'path' || text === 'url' || text === 'base') return { fetch: text, text };
  const m = /^(?:req\.hdr|hdr)\(([^(),]+)(?:,(-?[0-9]+))?\)$/.exec(text);
  if (m) return { fetch: 'req.hdr', name: m[1]!.trim(), occ: m[2] === undefined ? undefined : Number(m[2]), text };
  return `key '${text}' is not supported by Flightbox yet; ${avail}`;
}

/** A fetched key sample: an address or a text. */
export interface KeySample {
  readonly type: 'ip' | 'str';
  readonly value: string;
}

/**
 * The sample of `expr` for request `req`, its converters applied (undefined: no sample, the rule
 * does nothing). A converter's integer or boolean output becomes its decimal text.
 */
export function fetchKeySample(expr: StickKeyExprConv, req: RequestContext): KeySample | undefined {
  const s = fetchBaseSample(expr, req);
  if (!s || !expr.convs || expr.convs.length === 0) return s;
  const out = applyConverters(expr.convs, s, req);
  if (!out) return undefined;
  return { type: out.type === 'ip' || out.type === 'addr' ? 'ip' : 'str', value: sampleText(out) };
}

function fetchBaseSample(expr: StickKeyExpr, req: RequestContext): KeySample | undefined {
  switch (expr.fetch) {
    case 'src': {
      const a = clientAddress(req.src);
      return a === undefined ? undefined : { type: 'ip', value: a };
    }
    case 'req.hdr': {
      const v = headerValues(req.headers, expr.name, expr.occ ?? -1, false)[0];
      return v === undefined ? undefined : { type: 'str', value: v };
    }
    case 'path':
      return req.path === undefined ? undefined : { type: 'str', value: req.path };
    case 'url': {
      const u = req.url ?? (req.path === undefined ? undefined : req.query === undefined ? req.path : `${req.path}?${req.query}`);
      return u === undefined ? undefined : { type: 'str', value: u };
    }
    case 'base': {
      if (req.path === undefined) return undefined;
      const host = req.headers.get('host');
      return { type: 'str', value: `${host ?? ''}${req.path}` };
    }
  }
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The key of `sample` for a table of `def`'s type (HAProxy smp_to_stkey() casts), or undefined
 * when the sample cannot be one (an IPv6 client for an `ip` table, a text that is no number for
 * an `integer` table).
 */
export function stickKeyOf(def: StickTableDef, sample: KeySample): StickKey | undefined {
  switch (def.type) {
    case 'ip':
    case 'ipv6':
      try {
        return parseStickKey(def.type, def.keySize, sample.value.trim());
      } catch {
        return undefined;
      }
    case 'integer': {
      const m = IPV4.exec(sample.value);
      if (sample.type === 'ip') {
        if (!m) return undefined;
        return integerKey(((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0, def.keySize);
      }
      if (!/^-?\d+$/.test(sample.value.trim())) return undefined;
      return integerKey(Number(sample.value.trim()), def.keySize);
    }
    case 'string':
      return stringKey(sample.value, def.keySize);
    case 'binary': {
      const bytes = new Uint8Array(def.keySize);
      const { written } = new TextEncoder().encodeInto(sample.value, bytes);
      void written;
      return { bytes, len: def.keySize };
    }
  }
}
