/**
 * Sample converters (HAProxy configuration manual 7.3.1 "Converters"): the `,<conv>[(<args>)]`
 * chain that may follow a sample fetch wherever Flightbox accepts a sample expression (ACLs,
 * `%[...]` in log-format strings, `track-sc*` and `stick` keys):
 *
 *   <fetch>[(<args>)][,<conv>[(<args>)]]...
 *
 * The chain is parsed once, at configuration time, into pure data ({@link ConverterCall}: a name and
 * its parsed arguments, so it survives structured cloning) and type-checked the way HAProxy's
 * sample_parse_expr() does: each converter's input type must be reachable from the previous output
 * type through HAProxy's `sample_casts[][]` matrix (for instance `src,lower` is accepted, the
 * address being cast to its text, but `ssl_fc,hex` is refused: a boolean cannot become binary).
 * Error messages are HAProxy's (`unknown conv method 'x'`, `conv method 'x' cannot be applied`,
 * `invalid arg 1 in conv method 'x' : ...`, `missing args for conv method 'x'`, `conv method 'x'
 * does not support any args`).
 *
 * Supported converters:
 * - text: `lower`, `upper` (ASCII only, as C's tolower/toupper), `length`, `field(<idx>,<delims>[,<count>])`,
 *   `word(<idx>,<delims>[,<count>])` (negative index counts from the end; index 0 or a field that
 *   does not exist gives no sample), `json([<input-code>])` (`ascii` by default, `utf8`, `utf8s`,
 *   `utf8p`, `utf8ps`);
 * - binary: `bytes(<offset>[,<length>])` (an offset past the end gives an empty sample, a length
 *   past the end is truncated), `hex` (upper case), `base64`;
 * - address: `ipmask(<mask4>[,<mask6>])` (an IPv6 sample without `<mask6>` gives no sample);
 * - arithmetic: `add(<n>)`, `sub(<n>)`, `mul(<n>)`, `div(<n>)` on 64-bit signed integers, saturating
 *   as HAProxy's arith_* helpers; `div(0)` gives LLONG_MAX (9223372036854775807), as does
 *   LLONG_MIN / -1. Arguments are integers (HAProxy's variable names are not supported yet);
 * - stick-tables: `table_<data>(<table>)` and `in_table(<table>)` (./table-converters.ts).
 *
 * Samples are byte strings: each character of a `str`/`bin` value is one octet (header values are
 * read as latin1), so lengths and offsets count bytes, as in HAProxy.
 */
import type { RequestContext, SampleType } from './acl.types.ts';
import { formatIpv6, parseIpAddress, v6tov4 } from './ip.ts';

/** RFC 5952 text of an IPv6 address (proxy/acl/ip.ts), as the `ipmask` converter prints it. */
export { formatIpv6 };
import { TABLE_CONVERTERS } from './table-converters.ts';

/**
 * Sample types as HAProxy's converters declare them (`smp_to_type[]`): the fetch types of
 * {@link SampleType} plus `any` (accepts everything), `addr` (IPv4 or IPv6, the output of `ipmask`)
 * and `bin` (bytes).
 */
export type ConvSampleType = 'any' | 'bool' | 'int' | 'addr' | 'ip' | 'str' | 'bin' | 'meth';

/** A typed sample flowing through a chain: number for `int`, boolean for `bool`, text otherwise. */
export interface Sample {
  readonly type: ConvSampleType;
  readonly value: string | number | boolean;
}

/** A parsed converter argument (integer, string, or a parsed IPv4/IPv6 mask). */
export type ConvArg = number | string;

/** One converter of a chain, as parsed: pure data. */
export interface ConverterCall {
  readonly name: string;
  readonly args: readonly ConvArg[];
}

/** A parsed and type-checked chain and the type it outputs. */
export interface ConverterChain {
  readonly convs: readonly ConverterCall[];
  readonly outType: ConvSampleType;
}

/** Argument types, named as HAProxy's `arg_type_names[]`. */
export type ConvArgType = 'integer' | 'string' | 'table' | 'IPv4 mask' | 'IPv6 mask';

/** One converter keyword. */
export interface ConverterDef {
  readonly inType: ConvSampleType;
  readonly outType: ConvSampleType;
  readonly args: readonly ConvArgType[];
  readonly minArgs: number;
  /** Checks parsed arguments (HAProxy's val_args); returns a message when invalid. */
  validate?(args: readonly ConvArg[]): string | undefined;
  /** Applies the converter to a sample already cast to `inType`; undefined: no sample. */
  run(s: Sample, args: readonly ConvArg[], ctx: RequestContext | undefined): Sample | undefined;
}

/** 2^63, what Number() gives for LLONG_MAX; printed back as LLONG_MAX by {@link sampleText}. */
const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

function clamp64(n: bigint): number {
  return Number(n > I64_MAX ? I64_MAX : n < I64_MIN ? I64_MIN : n);
}

const big = (n: number): bigint => BigInt(Math.trunc(n));

/**
 * HAProxy's `sample_casts[from][to]` as a predicate: whether a sample of static type `from` may feed
 * a converter taking `to`. `ip` is IPV4 (HAProxy declares address fetches IPv4: "v4/v6 must be
 * declared v4"); `addr` (ipmask's output) only feeds `any`.
 */
export function canCast(from: ConvSampleType, to: ConvSampleType): boolean {
  if (to === 'any' || from === 'any' || from === 'str') return true;
  switch (from) {
    case 'bool':
      return to === 'bool' || to === 'int' || to === 'str';
    case 'int':
      return to !== 'meth';
    case 'ip':
      return to === 'int' || to === 'addr' || to === 'ip' || to === 'str' || to === 'bin';
    case 'bin':
      return to === 'str' || to === 'bin' || to === 'meth';
    case 'meth':
      return to === 'str' || to === 'bin' || to === 'meth';
    case 'addr':
      return false;
  }
}

function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** `read_int64()`: optional sign then leading digits (0 when none). */
function leadingInt64(s: string): number {
  const m = /^[-+]?[0-9]*/.exec(s)![0];
  const digits = m.replace(/^[-+]/, '');
  if (digits === '') return 0;
  return clamp64(BigInt(m[0] === '+' ? digits : m));
}

/**
 * Casts a sample at run time as HAProxy's c_* functions do; undefined when the value cannot be
 * converted (an IPv6 address to an integer, a text that is no address to `ip`, an empty text to
 * `int`).
 */
export function castSample(s: Sample, to: ConvSampleType): Sample | undefined {
  if (to === 'any' || s.type === to) return s;
  const v = s.value;
  switch (to) {
    case 'str':
    case 'bin':
    case 'meth':
      if (s.type === 'bool') return to === 'str' ? { type: to, value: v ? '1' : '0' } : undefined;
      return { type: to, value: typeof v === 'number' ? intText(v) : String(v) };
    case 'int':
    case 'bool': {
      let n: number;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'boolean') n = v ? 1 : 0;
      else if (s.type === 'ip' || s.type === 'addr') {
        const a = parseIpAddress(v);
        const v4 = a?.v === 4 ? a.n : a ? v6tov4(a.b) : undefined;
        if (v4 === undefined) return undefined;
        n = v4 >>> 0;
      } else {
        if (v === '') return undefined;
        n = leadingInt64(v);
      }
      return to === 'int' ? { type: 'int', value: n } : { type: 'bool', value: n !== 0 };
    }
    case 'ip':
    case 'addr': {
      if (typeof v === 'number') return { type: 'ip', value: ipv4Text(Number(BigInt.asUintN(32, big(v)))) };
      if (typeof v === 'boolean') return undefined;
      const a = parseIpAddress(v.trim());
      return a ? { type: 'ip', value: v.trim() } : undefined;
    }
  }
}

/** Decimal text of a 64-bit integer sample (the saturated bounds print exactly). */
export function intText(n: number): string {
  if (n >= 2 ** 63) return I64_MAX.toString();
  if (n <= -(2 ** 63)) return I64_MIN.toString();
  return String(Math.trunc(n));
}

/** The text of a sample as log-format strings print it (booleans as 1/0, HAProxy's cast to str). */
export function sampleText(s: Sample): string {
  if (typeof s.value === 'boolean') return s.value ? '1' : '0';
  if (typeof s.value === 'number') return intText(s.value);
  return s.value;
}

const str = (s: Sample): string => String(s.value);
const int = (s: Sample): number => s.value as number;
const text = (value: string): Sample => ({ type: 'str', value });

function asciiMap(s: string, lower: boolean): string {
  return lower ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}

/** sample_conv_field(): the <idx>-th field (1-based, negative from the end) separated by any of <delims>. */
export function convField(s: string, idx: number, delims: string, count = 1): string | undefined {
  if (idx === 0) return undefined;
  const isDelim = (c: string): boolean => delims.includes(c);
  let start: number;
  let end: number;
  let field: number;
  if (idx < 0) {
    field = -1;
    end = start = s.length;
    for (; start > 0; start--) {
      if (!isDelim(s[start - 1]!)) continue;
      if (field === idx) {
        if (count === 1) return s.slice(start, end);
        if (count > 1) count--;
      } else {
        end = start - 1;
        field--;
      }
    }
  } else {
    field = 1;
    start = end = 0;
    for (; end < s.length; end++) {
      if (!isDelim(s[end]!)) continue;
      if (field === idx) {
        if (count === 1) return s.slice(start, end);
        if (count > 1) count--;
      } else {
        start = end + 1;
        field++;
      }
    }
  }
  return field === idx ? s.slice(start, end) : undefined;
}

/** sample_conv_word(): the <idx>-th word (1-based, negative from the end); runs of delimiters count as one. */
export function convWord(s: string, idx: number, delims: string, count = 1): string | undefined {
  if (idx === 0) return undefined;
  const isDelim = (c: string): boolean => delims.includes(c);
  let word = 0;
  let inword = false;
  // A negative index counts words from the end: walk backwards, the cursor being the word's start.
  const back = idx < 0;
  const step = back ? -1 : 1;
  let start = back ? s.length : 0;
  let end = start;
  for (let p = start; back ? p > 0 : p < s.length; p += step) {
    const sep = isDelim(s[back ? p - 1 : p]!);
    if (!inword) {
      if (!sep) {
        if (word !== idx) {
          word += step;
          if (back) end = p;
          else start = p;
        }
        inword = true;
      }
    } else if (sep) {
      if (word === idx) {
        if (count === 1) return back ? s.slice(p, end) : s.slice(start, p);
        if (count > 1) count--;
      }
      inword = false;
    }
  }
  if (word !== idx) return undefined;
  return back ? s.slice(0, end) : s.slice(start);
}

const JSON_CODES = ['', 'ascii', 'utf8', 'utf8s', 'utf8p', 'utf8ps'] as const;

/**
 * Decodes one UTF-8 character of byte string `s` at `i` (HAProxy utf8_next()): the code point, its
 * length, and whether it was overlong or otherwise invalid.
 */
function utf8Next(s: string, i: number): { c: number; len: number; overlong: boolean; bad: boolean } {
  const b0 = s.charCodeAt(i);
  if (b0 < 0x80) return { c: b0, len: 1, overlong: false, bad: false };
  const n = b0 >= 0xf0 && b0 < 0xf8 ? 3 : b0 >= 0xe0 ? 2 : b0 >= 0xc0 ? 1 : -1;
  if (n < 0 || b0 >= 0xf8) return { c: b0, len: 1, overlong: false, bad: true };
  let c = b0 & (0x3f >> n);
  for (let k = 1; k <= n; k++) {
    const b = i + k < s.length ? s.charCodeAt(i + k) : -1;
    if (b < 0 || (b & 0xc0) !== 0x80) return { c: b0, len: k, overlong: false, bad: true };
    c = (c << 6) | (b & 0x3f);
  }
  const min = [0, 0x80, 0x800, 0x10000][n]!;
  const bad = c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff);
  return { c, len: n + 1, overlong: c < min, bad };
}

const JSON_ESC: Readonly<Record<number, string>> = { 0x22: '\\"', 0x5c: '\\\\', 0x2f: '\\/', 0x08: '\\b', 0x0c: '\\f', 0x0d: '\\r', 0x0a: '\\n', 0x09: '\\t' };

/** sample_conv_json(): escapes `s` for a JSON string; undefined when `code` makes an error fatal. */
export function convJson(s: string, code: string): string | undefined {
  const utf8 = code.startsWith('utf8');
  const skip = code.endsWith('s');
  const permissive = code === 'utf8p' || code === 'utf8ps';
  let out = '';
  for (let i = 0; i < s.length; ) {
    let c: number;
    if (!utf8) {
      c = s.charCodeAt(i) & 0xff;
      i++;
    } else {
      const d = utf8Next(s, i);
      i += d.len;
      if (d.bad || (d.overlong && !permissive)) {
        if (skip) continue;
        return undefined;
      }
      c = d.c;
      if (c > 0xffff) {
        if (skip) continue;
        return undefined;
      }
    }
    const esc = JSON_ESC[c];
    if (esc) out += esc;
    else if (c < 0x20 || c >= 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += String.fromCharCode(c);
  }
  return out;
}

function arith(op: 'add' | 'sub' | 'mul' | 'div', a: number, b: number): number {
  const x = big(a);
  const y = big(b);
  switch (op) {
    case 'add':
      return clamp64(x + y);
    case 'sub':
      return clamp64(x - y);
    case 'mul':
      return clamp64(x * y);
    case 'div':
      return y === 0n ? Number(I64_MAX) : clamp64(x / y);
  }
}

/** Parses a `MSK4` argument: a prefix length (0..32) or a dotted mask; the mask as a 32-bit number. */
function parseMask4(a: string): number | undefined {
  if (/^[0-9]+$/.test(a)) {
    const bits = Number(a);
    return bits > 32 ? undefined : bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  }
  const ip = parseIpAddress(a);
  return ip?.v === 4 ? ip.n >>> 0 : undefined;
}

function ipmask(s: Sample, args: readonly ConvArg[]): Sample | undefined {
  const a = parseIpAddress(str(s));
  if (!a) return undefined;
  const v4 = a.v === 4 ? a.n : v6tov4(a.b);
  if (v4 !== undefined) return { type: 'ip', value: ipv4Text((v4 & (args[0] as number)) >>> 0) };
  if (a.v !== 6 || args[1] === undefined) return undefined;
  const bits = args[1] as number;
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = a.b[i]! & ((0xff00 >> keep) & 0xff);
  }
  return { type: 'ip', value: formatIpv6(out) };
}

const REGISTRY = new Map<string, ConverterDef>();

function conv(name: string, d: Omit<ConverterDef, 'minArgs'> & { minArgs?: number }): void {
  REGISTRY.set(name, { minArgs: d.args.length, ...d });
}

conv('lower', { inType: 'str', outType: 'str', args: [], run: (s) => text(asciiMap(str(s), true)) });
conv('upper', { inType: 'str', outType: 'str', args: [], run: (s) => text(asciiMap(str(s), false)) });
conv('length', { inType: 'str', outType: 'int', args: [], run: (s) => ({ type: 'int', value: str(s).length }) });
/** `field` and `word`: (<index>, <delimiters>[, <count>]) over `split`. */
function splitConv(split: (s: string, idx: number, delims: string, count: number) => string | undefined): Omit<ConverterDef, 'minArgs'> & { minArgs?: number } {
  return {
    inType: 'str', outType: 'str', args: ['integer', 'string', 'integer'], minArgs: 2,
    validate: (a) => (a[1] === '' ? 'empty separators list' : undefined),
    run: (s, a) => {
      const v = split(str(s), a[0] as number, a[1] as string, (a[2] as number | undefined) ?? 1);
      return v === undefined ? undefined : text(v);
    },
  };
}
conv('field', splitConv(convField));
conv('word', splitConv(convWord));
conv('json', {
  inType: 'str', outType: 'str', args: ['string'], minArgs: 0,
  validate: (a) =>
    (JSON_CODES as readonly string[]).includes((a[0] as string | undefined) ?? '')
      ? undefined
      : "Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'",
  run: (s, a) => {
    const v = convJson(str(s), (a[0] as string | undefined) ?? 'ascii');
    return v === undefined ? undefined : text(v);
  },
});
conv('bytes', {
  inType: 'bin', outType: 'bin', args: ['integer', 'integer'], minArgs: 1,
  validate: (a) => (a.some((n) => (n as number) < 0) ? 'offset and length must not be negative' : undefined),
  run: (s, a) => {
    const v = str(s);
    const off = a[0] as number;
    if (off >= v.length) return { type: 'bin', value: '' };
    const len = a[1] === undefined ? v.length - off : Math.min(a[1] as number, v.length - off);
    return { type: 'bin', value: v.substr(off, len) };
  },
});
conv('hex', { inType: 'bin', outType: 'str', args: [], run: (s) => text(Buffer.from(str(s), 'latin1').toString('hex').toUpperCase()) });
conv('base64', { inType: 'bin', outType: 'str', args: [], run: (s) => text(Buffer.from(str(s), 'latin1').toString('base64')) });
conv('ipmask', { inType: 'addr', outType: 'addr', args: ['IPv4 mask', 'IPv6 mask'], minArgs: 1, run: (s, a) => ipmask(s, a) });
for (const op of ['add', 'sub', 'mul', 'div'] as const) {
  conv(op, { inType: 'int', outType: 'int', args: ['integer'], run: (s, a) => ({ type: 'int', value: arith(op, int(s), a[0] as number) }) });
}
let merged = false;

/**
 * Every converter keyword Flightbox knows, by name. The stick-table ones are merged on first use
 * (./table-converters.ts imports proxy/stick/track-key.ts, which imports this module).
 */
export function converters(): ReadonlyMap<string, ConverterDef> {
  if (!merged) {
    for (const [name, d] of TABLE_CONVERTERS) REGISTRY.set(name, d);
    merged = true;
  }
  return REGISTRY;
}

/**
 * Splits a sample expression into its fetch part and the text of its converter chain (after the
 * first comma that follows the fetch and its parenthesised arguments); `convs` is undefined when
 * there is no converter.
 */
export function splitSampleExpr(expr: string): { fetch: string; convs: string | undefined } {
  const open = expr.search(/[(,]/);
  if (open < 0) return { fetch: expr, convs: undefined };
  let i = open;
  if (expr[i] === '(') {
    const close = expr.indexOf(')', i);
    if (close < 0) return { fetch: expr, convs: undefined };
    i = close + 1;
  }
  if (expr[i] !== ',') return { fetch: expr, convs: undefined };
  return { fetch: expr.slice(0, i), convs: expr.slice(i + 1) };
}

/**
 * Splits converter arguments as HAProxy's make_arg_list(): at commas, with `\` escaping the next
 * character and single or double quotes grouping.
 */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) cur += text[++i];
    else if (quote) {
      if (c === quote) quote = '';
      else cur += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function parseArg(a: string, type: ConvArgType, pos: number): ConvArg | string {
  const bad = `failed to parse '${a}' as type '${type}' at position ${pos}`;
  switch (type) {
    case 'string':
    case 'table':
      return a;
    case 'integer':
      if (a === '') return `expected type '${type}' at position ${pos}, but got nothing`;
      if (!/^[-+]?[0-9]+$/.test(a)) return /^[A-Za-z]/.test(a) ? `${bad} (variables are not supported by Flightbox yet; give an integer)` : bad;
      return clamp64(BigInt(a.replace(/^\+/, '')));
    case 'IPv4 mask': {
      const m = parseMask4(a);
      return m === undefined ? bad : m;
    }
    case 'IPv6 mask':
      return /^[0-9]+$/.test(a) && Number(a) <= 128 ? Number(a) : bad;
  }
}

/** Parses one `<conv>[(<args>)]` term; returns the call and its definition, or HAProxy's message. */
function parseTerm(term: string, prevType: ConvSampleType): { call: ConverterCall; def: ConverterDef } | string {
  const m = /^([^(]*)(?:\((.*))?$/s.exec(term)!;
  const name = m[1]!;
  const def = converters().get(name);
  if (!def) {
    if (name === '') return `missing conv method name after ','`;
    return `unknown conv method '${name}'`;
  }
  let argText: string | undefined;
  if (m[2] !== undefined) {
    if (!m[2].endsWith(')') || m[2].indexOf(')') !== m[2].length - 1) {
      return m[2].includes(')') ? `missing comma after conv keyword '${name}'` : `syntax error: missing ')' after conv keyword '${name}'`;
    }
    argText = m[2].slice(0, -1);
  }
  if (!canCast(prevType, def.inType)) return `conv method '${name}' cannot be applied`;
  if (argText !== undefined && def.args.length === 0) return `conv method '${name}' does not support any args`;
  const given = argText === undefined || argText === '' ? [] : splitArgs(argText);
  if (argText === undefined && def.minArgs > 0) return `missing args for conv method '${name}'`;
  if (given.length > def.args.length) {
    return `invalid arg ${def.args.length + 1} in conv method '${name}' : end of arguments expected at position ${def.args.length + 1}, but got '${given.slice(def.args.length).join(',')}'`;
  }
  if (given.length < def.minArgs) {
    return `invalid arg ${given.length + 1} in conv method '${name}' : missing arguments (got ${given.length}/${def.minArgs}), type '${def.args[given.length]}' expected`;
  }
  const args: ConvArg[] = [];
  for (let i = 0; i < given.length; i++) {
    const a = parseArg(given[i]!, def.args[i]!, i + 1);
    if (typeof a === 'string' && def.args[i] !== 'string' && def.args[i] !== 'table') return `invalid arg ${i + 1} in conv method '${name}' : ${a}`;
    if (def.args[i] === 'table' && a === '') return `invalid arg ${i + 1} in conv method '${name}' : missing table name`;
    args.push(a);
  }
  const invalid = def.validate?.(args);
  if (invalid) return `invalid args in conv method '${name}' : ${invalid}`;
  return { call: { name, args }, def };
}

/**
 * Parses and type-checks the converter chain `text` (what follows the fetch's comma, e.g.
 * `lower,field(1,:)`) applied to a fetch of output type `inType`. Never throws.
 */
export function parseConverterChain(text: string, inType: ConvSampleType): ConverterChain | { error: string } {
  const convs: ConverterCall[] = [];
  let type = inType;
  let i = 0;
  for (;;) {
    // A term ends at the first ',' outside its parenthesised arguments (HAProxy: args end at the first ')').
    let j = i;
    while (j < text.length && text[j] !== ',' && text[j] !== '(') j++;
    if (text[j] === '(') {
      const close = text.indexOf(')', j);
      j = close < 0 ? text.length : close + 1;
      while (j < text.length && text[j] !== ',') j++;
    }
    const r = parseTerm(text.slice(i, j), type);
    if (typeof r === 'string') return { error: r };
    convs.push(r.call);
    type = r.def.outType;
    if (j >= text.length) break;
    i = j + 1;
  }
  return { convs, outType: type };
}

/**
 * Runs `convs` on `sample` (HAProxy sample_process()): each converter's input is cast to its type
 * first; undefined as soon as a cast or a converter gives no sample. `ctx` is the request the
 * sample came from (unused by today's converters; kept for the ones that need the stream).
 */
export function applyConverters(convs: readonly ConverterCall[], sample: Sample, ctx?: RequestContext): Sample | undefined {
  let s: Sample | undefined = sample;
  for (const c of convs) {
    const def = converters().get(c.name);
    if (!def) return undefined;
    s = castSample(s, def.inType);
    if (!s) return undefined;
    s = def.run(s, c.args, ctx);
    if (!s) return undefined;
  }
  return s;
}

/**
 * The ACL view of a chain's output type: the {@link SampleType} whose default match method applies
 * (`addr` matches as `ip`); undefined for `bin`, which Flightbox cannot match yet.
 */
export function aclSampleType(t: ConvSampleType): SampleType | undefined {
  switch (t) {
    case 'addr':
      return 'ip';
    case 'bin':
    case 'any':
      return undefined;
    default:
      return t;
  }
}

/** The stick-table names the `table_*` / `in_table` converters of a chain refer to. */
export function converterTables(convs: readonly ConverterCall[]): { conv: string; table: string }[] {
  return convs.filter((c) => converters().get(c.name)?.args[0] === 'table').map((c) => ({ conv: c.name, table: String(c.args[0]) }));
}
