/**
 * Pieces of an HTTP request as HAProxy's layer 7 fetches see them (configuration manual, 7.3.6
 * "Fetching HTTP samples"): the path and query of a request-target, header values split at commas,
 * and URL parameters.
 */
import type { AclHeaders } from './acl.types.ts';

/**
 * Splits a request-target as HAProxy's `path` and `query` fetches do. `path` runs from the first
 * `/` (after `scheme://authority` in the absolute-form) to the `?`; it is `*` for the
 * asterisk-form and undefined when there is no path (authority-form). `query` is whatever follows
 * the first `?` of the target, undefined when there is none.
 */
export function splitTarget(target: string): { path: string | undefined; query: string | undefined } {
  const q = target.indexOf('?');
  const query = q < 0 ? undefined : target.slice(q + 1);
  const beforeQuery = q < 0 ? target : target.slice(0, q);
  let path: string | undefined;
  if (beforeQuery.startsWith('/') || beforeQuery === '*') path = beforeQuery;
  else {
    const scheme = beforeQuery.indexOf('://');
    if (scheme > 0) {
      const slash = beforeQuery.indexOf('/', scheme + 3);
      if (slash >= 0) path = beforeQuery.slice(slash);
    }
  }
  return { path, query };
}

/**
 * Splits one header field value into its comma-separated elements, as HAProxy's `hdr` family does
 * (`req.hdr`: "considers any comma as a delimiter for distinct values"). Commas inside a
 * quoted-string (RFC 9110 §5.6.4) do not split; spaces and tabs around each element are removed.
 */
export function splitHeaderValue(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(value.slice(start, i).replace(/^[ \t]+|[ \t]+$/g, ''));
      start = i + 1;
    }
  }
  out.push(value.slice(start).replace(/^[ \t]+|[ \t]+$/g, ''));
  return out;
}

/**
 * The values of header `name` (every header when `name` is empty or undefined), split at commas
 * unless `full` (`req.fhdr`). `occ` selects one occurrence as HAProxy: 1 is the first, -1 the last;
 * 0 or undefined keeps them all (an ACL iterates over every occurrence).
 */
export function headerValues(headers: AclHeaders, name: string | undefined, occ: number | undefined, full: boolean): string[] {
  const lines = name ? headers.getAll(name) : (headers.headers ?? []).map((h) => h[1]);
  const values = full ? lines : lines.flatMap(splitHeaderValue);
  if (!occ) return values;
  const v = occ > 0 ? values[occ - 1] : values[values.length + occ];
  return v === undefined ? [] : [v];
}

/**
 * The values of URL parameter `name` (of every parameter when `name` is empty or undefined), as
 * HAProxy's `url_param` / `urlp` (7.3.6): parameters start after the first `?` (or `delim`), end at
 * `&`, `;` or `delim`; the name is case-sensitive; values are not URL-decoded. With a name, only
 * parameters written `name=value` count; without one, every non-empty parameter counts, one
 * written without `=` giving an empty value.
 */
export function urlParamValues(url: string, name: string | undefined, delim: string | undefined): string[] {
  const d = delim ? delim[0] : undefined;
  let start = -1;
  for (let i = 0; i < url.length; i++) {
    if (url[i] === '?' || url[i] === d) {
      start = i + 1;
      break;
    }
  }
  if (start < 0) return [];
  const out: string[] = [];
  let from = start;
  for (let i = start; i <= url.length; i++) {
    const c = url[i];
    if (i < url.length && c !== '&' && c !== ';' && c !== d) continue;
    const param = url.slice(from, i);
    from = i + 1;
    const eq = param.indexOf('=');
    const pname = eq < 0 ? param : param.slice(0, eq);
    if (name ? pname === name && eq >= 0 : param !== '') out.push(eq < 0 ? '' : param.slice(eq + 1));
  }
  return out;
}
