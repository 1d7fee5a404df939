/**
 * Types of the runtime socket (HAProxy's "stats socket" CLI, management.txt section 9.3) shared by
 * the server, the command registry, the built-in commands and every module that registers a
 * runtime command (`proxy/<subsystem>/cli.ts`). No logic here.
 */

/**
 * Access levels, lowest first, as on HAProxy's `stats socket ... level <user|operator|admin>`.
 * A session may run a command whose level is at or below its own.
 */
export const RUNTIME_LEVELS = ['user', 'operator', 'admin'] as const;

/** One of {@link RUNTIME_LEVELS}. */
export type RuntimeLevel = (typeof RUNTIME_LEVELS)[number];

/**
 * Session mode, named after HAProxy's `prompt n|i|p`: `n` non-interactive (the connection closes
 * after the first line), `i` interactive without prompt, `p` interactive with the `> ` prompt.
 */
export type PromptMode = 'n' | 'i' | 'p';

/**
 * What a command may change in its own session. Only the built-in commands need it; every method
 * keeps HAProxy's rules (a level is never raised, expert mode needs admin level).
 */
export interface SessionControl {
  /** Lowers the session's level and turns expert mode off. Throws a CommandError to raise it. */
  setLevel(level: RuntimeLevel): void;
  /** Turns expert mode on or off. Throws a CommandError to turn it on below admin level. */
  setExpert(on: boolean): void;
  /** Switches between non-interactive, interactive and prompt modes. */
  setMode(mode: PromptMode): void;
  /** Closes the connection once the command returns; nothing more is written (HAProxy `quit`). */
  quit(): void;
  /** Omits the empty line that ends this command's response in non-prompt modes (`user -`). */
  suppressTerminator(): void;
}

/** What a handler knows about the session that runs it, as it was when the command started. */
export interface CommandContext {
  /** The session's level when the command started. */
  readonly level: RuntimeLevel;
  /** Whether the session is in expert mode (`expert-mode on`). */
  readonly expert: boolean;
  /** True in interactive (`i`) and prompt (`p`) modes. */
  readonly interactive: boolean;
  /** The session's mode. */
  readonly mode: PromptMode;
  /**
   * The payload given with HAProxy's `<<` syntax: the lines after the command line up to the
   * terminating empty line (or the custom `<<PATTERN` line), joined with "\n", without a trailing
   * newline. `undefined` when the command line did not end with `<<`.
   */
  readonly payload: string | undefined;
  /** The registered words that matched (`['show', 'pools']`). */
  readonly words: readonly string[];
  /** Controls the session (levels, modes, quit); see {@link SessionControl}. */
  readonly session: SessionControl;
  /**
   * Writes part of the response now, for commands that follow a source (`show events -w`). The
   * returned text of the handler still ends the response. Resolves when the socket takes more.
   */
  write(text: string): Promise<void>;
  /** Aborted when the client disconnects: a following command stops on it. */
  readonly closed: AbortSignal;
}

/**
 * Runs one command. `args` are the words after the matched command words, unescaped. The
 * returned text is written as the response; the server ends it with exactly one "\n" and then
 * the empty line (or prompt) that ends every response, so the text must not itself contain an
 * empty line (scripts split responses on them). Throw a `CommandError` for a message meant for
 * the user; any other error is reported as an internal error. Handlers may be async; a session
 * runs its commands strictly one after the other.
 */
export type CommandHandler = (args: string[], ctx: CommandContext) => Promise<string> | string;

/** A command as given to `registry.register`. */
export interface CommandSpec {
  /** Keywords that select the command, e.g. `['show', 'pools']`; the longest match wins. */
  readonly words: readonly string[];
  /** Lowest level allowed to run it; below it the session gets "Permission denied". */
  readonly level: RuntimeLevel;
  /** Restricted to expert mode (HAProxy's `debug dev ...`): needs `expert-mode on` (admin). */
  readonly expert?: boolean;
  /** Not listed by `help` (HAProxy lists neither `expert-mode` nor help/prompt/quit this way). */
  readonly hidden?: boolean;
  /** Synopsis shown by `help`, e.g. `show pools [byname|bysize|byusage] [<nb>]`. */
  readonly usage: string;
  /** One-line description shown by `help` after the synopsis. */
  readonly help: string;
  readonly handler: CommandHandler;
}

/** A registered command. */
export interface RegisteredCommand extends CommandSpec {
  /** The words joined by one space; unique in a registry. */
  readonly name: string;
}

/** The result of looking a command line up: the command and the words after its keywords. */
export interface CommandMatch {
  readonly command: RegisteredCommand;
  readonly args: string[];
}

/** The part of a session that decides which commands it may see and run. */
export interface SessionView {
  readonly level: RuntimeLevel;
  readonly expert: boolean;
}

/** The set of runtime commands one socket serves. Create it with `createRegistry()`. */
export interface Registry {
  /** Adds a command. Throws if the same words are already registered or the spec is malformed. */
  register(spec: CommandSpec): void;
  /** Finds the command whose words are the longest prefix of `words`, whatever its level. */
  lookup(words: readonly string[]): CommandMatch | undefined;
  /** Every registered command, in registration order. */
  commands(): readonly RegisteredCommand[];
  /**
   * The text of `help [<words>]` for a session: "The following commands are valid at this
   * level:" and the matching commands' synopses, as HAProxy's cli_gen_usage_msg() prints them.
   */
  helpText(words: readonly string[], view: SessionView): string;
  /** The text HAProxy prints for an unknown command: "Unknown command: '<w>', but maybe ...". */
  unknownCommandText(words: readonly string[], view: SessionView): string;
}

/** Options of `startRuntimeServer`. */
export interface RuntimeServerOptions {
  /** Where to create the UNIX socket (`stats socket <path>`). At most 107 bytes. */
  readonly path: string;
  /** File mode of the socket, e.g. 0o600 (`mode 600`). Default 0o600. */
  readonly mode?: number;
  /** Level every new session starts at (`level operator`). Default `operator`, as HAProxy. */
  readonly level?: RuntimeLevel;
  readonly registry: Registry;
  /** Closes a client that sends nothing for this long (`stats timeout`). Default 10 000 ms. */
  readonly idleTimeoutMs?: number;
  /** Longest command line accepted; longer ones get an error and the connection closes. 64 KiB. */
  readonly maxLineBytes?: number;
  /** Largest `<<` payload accepted. Default 16 MiB. */
  readonly maxPayloadBytes?: number;
  /** Told of every error a handler threw that was not a CommandError (for the log). */
  readonly onInternalError?: (err: unknown, command: string) => void;
}

/** A running runtime socket. */
export interface RuntimeServer {
  /** The socket's path. */
  readonly path: string;
  /** Stops accepting, drops open sessions, and removes the socket file. Safe to call twice. */
  close(): Promise<void>;
}
