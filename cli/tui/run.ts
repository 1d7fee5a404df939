/**
 * Starts the TUI on a snapshot file: decodes it (cli/tui/data/model.ts), renders the App with ink
 * in the terminal's alternate screen, and waits until the user quits. The terminal is restored on
 * quit, on Ctrl-C, on SIGTERM/SIGHUP and on an error inside the UI (ink unmounts, which leaves the
 * alternate screen, shows the cursor and turns raw mode off), and the error is then reported.
 * Colours follow NO_COLOR (https://no-color.org: set and non-empty disables them).
 */
import { render } from 'ink';
import { createElement } from 'react';
import { App } from './app.tsx';
import { openSnapshot, TuiOpenError } from './data/model.ts';
import { LiveSource, type LiveSourceOptions } from './data/live-source.ts';
import { LiveApp } from './live-app.tsx';

/** Options of {@link runTui}. */
export interface RunTuiOptions {
  /** Dist directories of the build that wrote the snapshot (`--maps`). */
  maps?: string[];
}

/** True unless NO_COLOR is set to a non-empty value (or the terminal is dumb). */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') && env.TERM !== 'dumb';
}

/**
 * Runs the TUI on `file` and resolves with the exit status: 0 after the user quit, 1 when the UI
 * failed or stdin/stdout is not a terminal, 2 when the file cannot be decoded (as `flightbox decode`).
 */
export async function runTui(file: string, opts: RunTuiOptions = {}): Promise<number> {
  let model;
  try {
    model = openSnapshot(file, { mapsDirs: opts.maps });
  } catch (e) {
    process.stderr.write(`flightbox tui: ${e instanceof TuiOpenError ? e.message : (e as Error).message}\n`);
    return 2;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('flightbox tui: needs an interactive terminal (stdin and stdout); for a text report use `flightbox decode <file>`\n');
    return 1;
  }
  return runInk(createElement(App, { model, color: colorEnabled() }));
}

/**
 * Runs the TUI live on the runtime socket `socket` (cli/tui/live-app.tsx) and resolves with the exit
 * status: 0 after the user quit (also after `S` opened a snapshot), 1 when the UI failed or the
 * terminal is not interactive. An unreachable socket is not an error: the UI shows it and retries.
 */
export async function runTuiLive(socket: string, opts: RunTuiOptions & LiveSourceOptions = {}): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('flightbox tui: needs an interactive terminal (stdin and stdout); for text answers use `flightbox cli -S <socket> show info`\n');
    return 1;
  }
  const source = new LiveSource(socket, opts);
  try {
    return await runInk(createElement(LiveApp, { source, color: colorEnabled(), maps: opts.maps }));
  } finally {
    source.stop();
  }
}

/**
 * Renders `el` in the alternate screen until it exits, restoring the terminal in every case. Both
 * callers have checked for a TTY, so interactive mode is forced: ink would otherwise fall back to
 * printing only the final frame whenever `CI` is set in the environment (is-in-ci), leaving an
 * operator's terminal blank inside a CI container or a shell that exports it.
 */
async function runInk(el: Parameters<typeof render>[0]): Promise<number> {
  const app = render(el, { alternateScreen: true, exitOnCtrlC: true, patchConsole: true, interactive: true });
  const stop = () => app.unmount();
  process.once('SIGTERM', stop);
  process.once('SIGHUP', stop);
  try {
    await app.waitUntilExit();
    return 0;
  } catch (e) {
    // ink has unmounted (terminal restored) before the promise rejects.
    process.stderr.write(`flightbox tui: the interface failed: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGHUP', stop);
  }
}
