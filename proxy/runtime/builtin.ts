/**
 * The commands every runtime socket has, with HAProxy's names, levels and messages
 * (src/cli.c and management.txt section 9.3): help, prompt, quit, user, operator, expert-mode and
 * show cli level. `createRegistry()` registers them; nothing else should.
 */
import { RUNTIME_LEVELS } from './runtime.types.ts';
import type { CommandContext, PromptMode, Registry, RuntimeLevel } from './runtime.types.ts';

/** HAProxy's cli_permission_denied_msg. */
export const PERMISSION_DENIED = 'Permission denied\n';

const rank = (l: RuntimeLevel): number => RUNTIME_LEVELS.indexOf(l);

const PROMPT_HELP =
  'Options for the prompt command:\n' +
  '  n : non-interactive mode: the connection closes after the current line\n' +
  '  i : interactive mode: commands are read until quit, without prompt\n' +
  '  p : prompt mode: interactive, with a "> " prompt after each response\n' +
  "Without an option, 'prompt' toggles between prompt mode and non-interactive mode.\n";

/**
 * `user` / `operator`: lower the session's level (never raise it: that answers "Permission
 * denied"), which also leaves expert mode. A `-` argument omits the response's empty line, as
 * HAProxy's master CLI uses it.
 */
function lowerLevelTo(target: RuntimeLevel) {
  return (args: string[], ctx: CommandContext): string => {
    if (args[0] === '-') ctx.session.suppressTerminator();
    if (rank(ctx.level) < rank(target)) return PERMISSION_DENIED;
    ctx.session.setLevel(target);
    return '';
  };
}

/** `prompt [help | n | i | p]`: without option, toggles prompt mode (management.txt "prompt"). */
function prompt(args: string[], ctx: CommandContext): string {
  if (args.length === 0) {
    ctx.session.setMode(ctx.mode === 'p' ? 'n' : 'p');
    return '';
  }
  const opt = args[0];
  if (opt === 'help') return PROMPT_HELP;
  if (opt === 'n' || opt === 'i' || opt === 'p') {
    ctx.session.setMode(opt satisfies PromptMode);
    return '';
  }
  return `Unknown prompt option '${opt}'. Use 'prompt help' to list the options (n, i, p).\n`;
}

/** Adds the built-in commands to `registry`. */
export function registerBuiltins(registry: Registry): void {
  registry.register({
    words: ['help'],
    level: 'user',
    hidden: true,
    usage: 'help [<command>]',
    help: 'list matching or all commands',
    handler: (args, ctx) => registry.helpText(args, ctx),
  });
  registry.register({
    words: ['prompt'],
    level: 'user',
    hidden: true,
    usage: 'prompt [help | n | i | p]',
    help: 'toggle interactive mode with prompt',
    handler: prompt,
  });
  registry.register({
    words: ['quit'],
    level: 'user',
    hidden: true,
    usage: 'quit',
    help: 'disconnect',
    handler: (_args, ctx) => {
      ctx.session.quit();
      return '';
    },
  });
  registry.register({
    words: ['operator'],
    level: 'user',
    usage: 'operator',
    help: 'lower the level of the current CLI session to operator',
    handler: lowerLevelTo('operator'),
  });
  registry.register({
    words: ['user'],
    level: 'user',
    usage: 'user',
    help: 'lower the level of the current CLI session to user',
    handler: lowerLevelTo('user'),
  });
  // HAProxy: "Note that this command is purposely not listed in the help message. This command
  // is only accessible in admin level. Changing to another level automatically resets the
  // expert mode." Any argument other than "on" turns it off.
  registry.register({
    words: ['expert-mode'],
    level: 'admin',
    hidden: true,
    usage: 'expert-mode [on|off]',
    help: 'show or toggle expert mode, for expert-only commands such as debug dev',
    handler: (args, ctx) => {
      if (args.length === 0) return `expert-mode is ${ctx.expert ? 'ON' : 'OFF'}\n`;
      ctx.session.setExpert(args[0] === 'on');
      return '';
    },
  });
  registry.register({
    words: ['show', 'cli', 'level'],
    level: 'user',
    usage: 'show cli level',
    help: 'display the level of the current CLI session',
    handler: (_args, ctx) => `${ctx.level}\n`,
  });
}
