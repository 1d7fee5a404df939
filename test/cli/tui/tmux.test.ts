/**
 * End to end: drives the real `flightbox tui` binary in a tmux pane of 80x24 (send-keys,
 * capture-pane) on the golden snapshot and live on a real proxy (stopped and restarted on the same
 * socket, then `S` for a snapshot), and checks that quitting restores the terminal (the shell gets
 * its prompt back, the tty is in canonical mode again). The shells export CI=true, as CI runners do:
 * the UI must still draw (ink alone would print only its final frame). Runs the built CLI (dist/,
 * built by `npm test`; FLIGHTBOX_CLI overrides the path); skipped, saying why, without tmux or a build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { configText, startProxy, type Proxy } from '../../e2e/harness.ts';
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
    const started = tmux('new-session', '-d', '-s', 'tui', '-x', '80', '-y', '24', 'env', 'PS1=$ ', 'TERM=xterm-256color', 'NO_COLOR=1', 'CI=true', 'sh');
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

describe.skipIf(why !== '')('flightbox tui -S in tmux (live)', () => {
  const sockDir = mkdtempSync(join(tmpdir(), 'fb-tui-tmux-live-'));
  const start = () => startProxy({ config: (_d, port) => configText(sockDir, port) });
  let p: Proxy | undefined;
  afterAll(async () => {
    await p?.stop();
    rmSync(sockDir, { recursive: true, force: true });
  });

  test('polls a proxy, shows it gone and back on the same socket, S opens a snapshot, q restores the terminal', async () => {
    p = await start();
    await p.get('/');
    const socket = join(sockDir, 'admin.sock');
    const started = tmux('new-session', '-d', '-s', 'live', '-x', '80', '-y', '24', 'env', 'PS1=$ ', 'TERM=xterm-256color', 'NO_COLOR=1', 'CI=true', 'sh');
    expect(started.status, started.stderr).toBe(0);
    const cap = () => tmux('capture-pane', '-p', '-t', 'live').stdout;
    const waitLive = async (pred: (s: string) => boolean, what: string, ms = 15_000) => {
      const end = Date.now() + ms;
      let screen = '';
      while (Date.now() < end) {
        screen = cap();
        if (pred(screen)) return screen;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
    };
    tmux('send-keys', '-t', 'live', `${process.execPath} ${CLI} tui -S ${socket} --interval 300; echo EXIT=$?`, 'Enter');
    let screen = await waitLive((s) => s.includes('live: connected'), 'the live Overview');
    expect(screen).toContain(`flightbox tui  live ${socket}`.slice(0, 80));
    expect(screen).toMatch(/Live {4}: pid \d+/);
    tmux('send-keys', '-t', 'live', '4');
    screen = await waitLive((s) => s.includes('[4 Pools]') && / used +[▁▂▃▄▅▆▇█]+ \d+/.test(s), 'Pools with sparklines');
    await p.stop();
    screen = await waitLive((s) => s.includes('live: disconnected, retrying in'), 'the disconnected state');
    p = await start();
    screen = await waitLive((s) => s.includes('live: connected'), 'the reconnection', 20_000);
    tmux('send-keys', '-t', 'live', 'S');
    screen = await waitLive((s) => s.includes('Reason  : on-demand'), 'the snapshot opened');
    // The configuration puts the snapshots beside the socket.
    expect(screen).toContain(`flightbox tui  ${join(sockDir, 'snapshots')}`.slice(0, 80));
    expect(readdirSync(join(sockDir, 'snapshots')).filter((f) => f.endsWith('.fbsnap'))).toHaveLength(1);
    tmux('send-keys', '-t', 'live', 'q');
    screen = await waitLive((s) => s.includes('EXIT=0'), 'the shell after quitting');
    expect(screen).not.toContain('[1 Overview]');
    tmux('send-keys', '-t', 'live', "stty -a | tr ' ' '\\n' | grep -x -- '-*icanon' | sed 's/^/TTY:/'", 'Enter');
    screen = await waitLive((s) => /^TTY:-?icanon$/m.test(s), 'stty');
    expect(screen).toMatch(/^TTY:icanon$/m);
  }, 60_000);
});
