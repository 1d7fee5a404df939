/**
 * `debug dev ...` expert commands, executed on a worker thread (the supervisor forwards them): ways
 * to make the proxy break on purpose, so that every crash path and its snapshot can be exercised.
 * HAProxy has the same family of commands (`debug dev panic|bug|loop|exit|...`).
 */
import { BUG_ON, CHECK_IF, panic } from '../../diag/invariants.ts';
import { faultSites, findFaultSite } from '../../diag/fault-sites.ts';

/** Synopsis of each subcommand, for `help` and errors. */
export const DEBUG_DEV_USAGE = [
  'debug dev panic                 : panic the worker thread (snapshot, then respawn)',
  'debug dev bug                   : trip a BUG_ON in the worker thread',
  'debug dev warn                  : trip a CHECK_IF (warning with stack, proxy goes on)',
  'debug dev check                 : same as warn (HAProxy name)',
  'debug dev loop <ms>             : make the worker busy-loop for <ms> (the watchdog catches > watchdog-timeout)',
  'debug dev exit [<code>]         : end the worker thread with <code> (default 0)',
  'debug dev oom                   : allocate until the worker runs out of memory',
  'debug dev fault [<site> [on|off|<count>]] : list fault sites, or arm/disarm one',
  'debug dev snapshot              : write a snapshot now (supervisor)',
  '(append "thread <n>" to run a worker command on thread <n>; default thread 1)',
].join('\n');

/** Busy-loops for `ms` milliseconds without yielding (the function the watchdog must show on top). */
export function debugDevLoop(ms: number): number {
  const end = Date.now() + ms;
  let spins = 0;
  while (Date.now() < end) spins++;
  return spins;
}

/**
 * Allocates until the heap limit is reached (never returns normally). Large chunks reach the limit
 * in a few steps, before garbage-collection thrash could freeze the heartbeat long enough for the
 * watchdog to call it a stall.
 */
export function debugDevOom(): never {
  const hoard: unknown[] = [];
  for (;;) hoard.push(new Array(1 << 22).fill(hoard.length));
}

/**
 * Runs one `debug dev` subcommand (args without `debug dev`) in this thread. Returns the text to
 * answer; commands that end the thread do not return. Unknown subcommands or bad arguments throw an
 * Error whose message is shown to the operator.
 */
export function runDebugDev(args: string[]): string {
  const [cmd, a1, a2] = args;
  switch (cmd) {
    case 'panic':
      return panic('panic', 'debug dev panic: panic requested from the CLI');
    case 'bug':
      BUG_ON(true, 'debug dev bug: BUG_ON requested from the CLI');
      return '';
    case 'warn':
    case 'check':
      CHECK_IF(true, `debug dev ${cmd}: CHECK_IF requested from the CLI`);
      return 'CHECK_IF triggered; the proxy goes on.';
    case 'loop': {
      const ms = Number(a1);
      if (!Number.isFinite(ms) || ms <= 0 || ms > 600_000) throw new Error('debug dev loop: expects a duration in ms (1..600000)');
      debugDevLoop(ms);
      return `looped for ${ms} ms`;
    }
    case 'exit': {
      const code = a1 === undefined ? 0 : Number(a1);
      if (!Number.isInteger(code) || code < 0 || code > 255) throw new Error('debug dev exit: expects an exit code 0..255');
      process.exit(code);
      return '';
    }
    case 'oom':
      return debugDevOom();
    case 'fault': {
      if (!a1)
        return faultSites()
          .map((s) => `  ${s.armed ? '*' : ' '} ${s.name.padEnd(28)} : ${s.desc} (hits ${s.hits})`)
          .join('\n');
      const site = findFaultSite(a1);
      if (!site) throw new Error(`debug dev fault: no fault site '${a1}' (run 'debug dev fault' for the list)`);
      if (a2 === 'off') {
        site.disarm();
        return `fault site ${a1} disarmed`;
      }
      const count = a2 === undefined || a2 === 'on' ? 1 : Number(a2);
      if (!Number.isInteger(count) || count < 1) throw new Error('debug dev fault: expects on, off or a positive count');
      site.arm(count);
      return `fault site ${a1} armed for ${count} hit${count > 1 ? 's' : ''}`;
    }
    default:
      throw new Error(`debug dev: unknown subcommand '${cmd ?? ''}'\n${DEBUG_DEV_USAGE}`);
  }
}
