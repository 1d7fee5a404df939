/**
 * The runtime command registry: commands are registered next to what they inspect
 * (`proxy/quic/cli.ts` registers `show quic`), looked up by their longest keyword prefix, and
 * listed by `help` and for unknown commands the way HAProxy's cli_gen_usage_msg() does
 * (src/cli.c, HAProxy 2.7+ wording).
 */
import { RUNTIME_LEVELS } from './runtime.types.ts';
import type {
  CommandMatch,
  CommandSpec,
  RegisteredCommand,
  Registry,
  RuntimeLevel,
  SessionView,
} from './runtime.types.ts';
import { registerBuiltins } from './builtin.ts';

/**
 * An error whose message is meant for the CLI user: the server prints it verbatim as the
 * command's response (with one trailing "\n"), e.g. `throw new CommandError('No such backend.')`.
 */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** True when a session at level `have` may run a command of level `need`. */
export function levelAtLeast(have: RuntimeLevel, need: RuntimeLevel): boolean {
  return RUNTIME_LEVELS.indexOf(have) >= RUNTIME_LEVELS.indexOf(need);
}

/** True if `s` names an access level. */
export function isRuntimeLevel(s: string): s is RuntimeLevel {
  return (RUNTIME_LEVELS as readonly string[]).includes(s);
}

/** HAProxy aligns the help text of each command on column 40 after two spaces of indent. */
const USAGE_COLUMN = 40;

/**
 * One line of help output: `  <usage padded to 40> : <help>` plus "\n", as HAProxy prints its
 * usage strings ("  help [<command>]                        : list matching or all commands").
 */
export function formatUsageLine(usage: string, help: string): string {
  const left = usage.length >= USAGE_COLUMN ? usage + ' ' : usage.padEnd(USAGE_COLUMN);
  return `  ${left}: ${help}\n`;
}

/** The lines HAProxy always appends to help output, for the commands every session has. */
const ALWAYS_LISTED =
  formatUsageLine('help [<command>]', 'list matching or all commands') +
  formatUsageLine('prompt [help | n | i | p]', 'toggle interactive mode with prompt') +
  formatUsageLine('quit', 'disconnect');

/** HAProxy's CLI_PREFIX_KW_NB: words considered when matching keywords. */
const PREFIX_KW_NB = 5;
/** HAProxy's CLI_MAX_MATCHES: suggestions kept for a mistyped command. */
const MAX_MATCHES = 5;

/**
 * Adds the letter-pair fingerprint of `word` to `fp` (32x32 counters): letters are 1..26, digits
 * 27, anything else 28, and 28 also marks the word's start and end. Two words that share most of
 * their letter pairs have a small distance, whatever their typos.
 */
function addFingerprint(fp: Uint8Array, word: string): void {
  let from = 28;
  for (const ch of word.toLowerCase()) {
    const c = ch.charCodeAt(0);
    let to = 28;
    if (c >= 97 && c <= 122) to = c - 96;
    else if (c >= 48 && c <= 57) to = 27;
    fp[32 * from + to] = Math.min(255, fp[32 * from + to] + 1);
    from = to;
  }
  fp[32 * from + 28] = Math.min(255, fp[32 * from + 28] + 1);
}

function fingerprintDistance(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
  return d;
}

/** Number of leading words of `cmd` equal to `args` (stopping at the first missing one). */
function matchingWords(cmd: RegisteredCommand, args: readonly string[], limit: number): number {
  let n = 0;
  while (n < limit && n < cmd.words.length && n < args.length && args[n] !== '' && cmd.words[n] === args[n]) n++;
  return n;
}

function validateSpec(spec: CommandSpec): void {
  const what = `runtime command ${JSON.stringify(spec.words?.join(' ') ?? '')}`;
  if (!Array.isArray(spec.words) || spec.words.length === 0) {
    throw new TypeError(`${what}: 'words' must list at least one keyword`);
  }
  for (const w of spec.words) {
    if (typeof w !== 'string' || w === '' || /[\s;\\]/.test(w)) {
      throw new TypeError(`${what}: keyword ${JSON.stringify(w)} must be non-empty, without spaces, ';' or '\\'`);
    }
  }
  if (!isRuntimeLevel(spec.level)) {
    throw new TypeError(`${what}: level ${JSON.stringify(spec.level)} is not one of ${RUNTIME_LEVELS.join(', ')}`);
  }
  if (typeof spec.handler !== 'function') throw new TypeError(`${what}: 'handler' must be a function`);
  if (typeof spec.usage !== 'string' || typeof spec.help !== 'string') {
    throw new TypeError(`${what}: 'usage' and 'help' must be strings`);
  }
}

/**
 * Creates a registry. Unless `builtins` is false it already holds HAProxy's built-in commands
 * (help, prompt, quit, user, operator, expert-mode, show cli level; see builtin.ts), so a module
 * registering one of those names gets the duplicate error.
 */
export function createRegistry(options: { builtins?: boolean } = {}): Registry {
  const byName = new Map<string, RegisteredCommand>();
  const ordered: RegisteredCommand[] = [];

  /** Commands a session may see: within its level, expert ones only in expert mode. */
  const visible = (view: SessionView): RegisteredCommand[] =>
    ordered.filter((c) => levelAtLeast(view.level, c.level) && (!c.expert || view.expert));

  /**
   * HAProxy's cli_gen_usage_msg(): `length` is the longest run of leading words some visible
   * command shares with `args`; the words after it are fuzzy-matched against the commands that
   * share that run; with no close candidate, every command sharing the run is listed.
   */
  function usageBody(args: readonly string[], view: SessionView): string {
    const cmds = visible(view);
    let length = 0;
    for (const c of cmds) length = Math.max(length, matchingWords(c, args, PREFIX_KW_NB));

    const listed = cmds.filter((c) => !c.hidden && matchingWords(c, args, length) === length);
    let entries: RegisteredCommand[] = [];
    if (args[length]) {
      const typed = new Uint8Array(1024);
      let typedLen = 0;
      for (let i = length; i < PREFIX_KW_NB && i < args.length && args[i]; i++) {
        addFingerprint(typed, args[i]);
        typedLen += args[i].length;
      }
      const scored: { c: RegisteredCommand; dist: number }[] = [];
      for (const c of listed) {
        const sig = new Uint8Array(1024);
        let totlen = typedLen;
        for (let i = length; i < PREFIX_KW_NB && i < c.words.length; i++) {
          addFingerprint(sig, c.words[i]);
          totlen += c.words[i].length;
        }
        const dist = fingerprintDistance(typed, sig);
        if (dist < Math.floor((5 * totlen) / 2)) scored.push({ c, dist });
      }
      // stable sort keeps registration order among equal distances, as HAProxy's insertion does
      scored.sort((a, b) => a.dist - b.dist);
      const best = scored.slice(0, MAX_MATCHES);
      if (best.length > 0) {
        const limit = Math.floor((5 * best[0].dist) / 2);
        entries = best.filter((s) => s.dist <= limit).map((s) => s.c);
      }
    }
    if (entries.length === 0) entries = listed;

    const lines = entries.map((c) => formatUsageLine(c.usage, c.help)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return lines.join('') + ALWAYS_LISTED;
  }

  const registry: Registry = {
    register(spec) {
      validateSpec(spec);
      const name = spec.words.join(' ');
      const prior = byName.get(name);
      if (prior) {
        throw new Error(
          `runtime command '${name}' is already registered (usage '${prior.usage}'); ` +
            `each command must be registered once, by the module that owns it`,
        );
      }
      const cmd: RegisteredCommand = Object.freeze({ ...spec, words: Object.freeze([...spec.words]), name });
      byName.set(name, cmd);
      ordered.push(cmd);
    },

    lookup(words) {
      let best: RegisteredCommand | undefined;
      for (const c of ordered) {
        if (c.words.length > words.length || (best && c.words.length <= best.words.length)) continue;
        if (c.words.every((w, i) => w === words[i])) best = c;
      }
      return best ? ({ command: best, args: words.slice(best.words.length) } satisfies CommandMatch) : undefined;
    },

    commands() {
      return ordered.slice();
    },

    helpText(words, view) {
      return 'The following commands are valid at this level:\n' + usageBody(words, view);
    },

    unknownCommandText(words, view) {
      const head = `Unknown command: '${words[0] ?? ''}'`;
      const tail = !words[0]
        ? '. Please enter one of the following commands only:\n'
        : ', but maybe one of the following ones is a better match:\n';
      return head + tail + usageBody(words, view);
    },
  };

  if (options.builtins !== false) registerBuiltins(registry);
  return registry;
}
