/**
 * End to end: drives the real `flightbox tui` binary in a tmux pane of 80x24 (send-keys,
 * capture-pane) on the golden snapshot, and checks that quitting restores the terminal (the shell
 * gets its prompt back, the tty is in canonical mode again). Runs the built CLI (dist/, built by
 * `npm test`; FLIGHTBOX_CLI overrides the path); skipped, saying why, without tmux or a build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { GOLDEN } from './big-snapshot.ts';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = process.env.FLIGHTBOX_CLI ?? join(ROOT, 'dist', 'cli', 'main.js');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const hasBuild = existsSync(CLI) && existsSync(join(dirname(CLI), 'commands', 'tui.js'));
const why = !hasTmux ? 'tmux is not installed (Debian package tmux)' : !hasBuild ? `no built CLI with the tui command at ${CLI} (run npm run build)` : '';
if (why) process.stdout.write(`skipping the tmux end-to-end test of flightbox tui: ${why}\n`);

const server = `fbtui-${process.pid}`;
const tmux = (...args: string[]) => spawnSync('tmux', ['-L', server, '-f', '/dev/null', ...args], { encoding: 'utf8' });
const capture = () => tmux('capture-pane', '-p', '-t', 'tui').stdout;

/** Polls the pane until `pred` holds (or fails with the last screen). */
async function waitFor(pred: (screen: string) => boolean, what: string, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  let screen = '';
  while (Date.now() < end) {
    screen = capture();
    if (pred(screen)) return screen;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
}

afterAll(() => {
  if (hasTmux) tmux('kill-server');
});

describe.skipIf(why !== '')('flightbox tui in tmux', () => {
  test('opens the golden snapshot at 80x24, switches views, quits and restores the terminal', async () => {
    const started = tmux('new-session', '-d', '-s', 'tui', '-x', '80', '-y', '24', 'env', 'PS1=$ ', 'TERM=xterm-256color', 'NO_COLOR=1', 'sh');
    expect(started.status, started.stderr).toBe(0);
    tmux('send-keys', '-t', 'tui', `${process.execPath} ${CLI} tui ${GOLDEN}; echo EXIT=$?`, 'Enter');
    let screen = await waitFor((s) => s.includes('Reason  : bug'), 'the Overview');
    expect(screen).toContain('[1 Overview]');
    expect(screen).toContain('Message : BUG_ON: header of 9000 bytes exceeds the buffer (4096)');
    expect(screen).not.toContain('EXIT=');
    tmux('send-keys', '-t', 'tui', '2');
    screen = await waitFor((s) => s.includes('[2 Call chain]'), 'the Call chain');
    expect(screen).toMatch(/>\s+68 \|\s+BUG_ON\(len > max/);
    // Typed at once: '3f' arrives as one chunk and must still act as two keys.
    tmux('send-keys', '-t', 'tui', '3f');
    await waitFor((s) => s.includes('[conn=_]'), 'the filter form');
    tmux('send-keys', '-t', 'tui', 'Tab');
    tmux('send-keys', '-t', 'tui', '-l', '0x4'); // -l: tmux reads a bare 0x4 as the key code 4
    tmux('send-keys', '-t', 'tui', 'Enter');
    screen = await waitFor((s) => s.includes('filter: stream=0x4'), 'the filtered Timeline');
    expect(screen).toMatch(/^>\S+ t1 stream\/state c=0x3 s=0x4 stream_lifecycle\(\): created: GET \/big/m);
    tmux('send-keys', '-t', 'tui', 'G');
    screen = await waitFor((s) => /^>.*h1_check_header\(\): header too large/m.test(s), 'the last event selected');
    tmux('send-keys', '-t', 'tui', 'q');
    screen = await waitFor((s) => s.includes('EXIT=0'), 'the shell after quitting');
    // The alternate screen was left: the UI is gone and the command line is back.
    expect(screen).not.toContain('[3 Timeline]');
    tmux('send-keys', '-t', 'tui', "stty -a | tr ' ' '\\n' | grep -x -- '-*icanon' | sed 's/^/TTY:/'", 'Enter');
    screen = await waitFor((s) => /^TTY:-?icanon$/m.test(s), 'stty');
    expect(screen).toMatch(/^TTY:icanon$/m); // raw mode was turned off
  });
});
