/**
 * The health counter of one checked server, as HAProxy keeps it (src/check.c,
 * set_server_check_status(); configuration.txt 5.2 `rise`, `fall`, `init-state`): `health` runs
 * from 0 to rise+fall-1 and the server is up while health >= rise.
 *
 * - A server starts up with health = rise (HAProxy's default `init-state up`: "up, but will fall
 *   down at first failure").
 * - A failed check on an up server decrements health while it stays >= rise; when it would drop
 *   below rise the server goes down and health restarts at 0, so `rise` successes are needed.
 * - A passed check increments health up to rise+fall-1; reaching rise brings the server up and
 *   puts health at rise+fall-1 (fully up: `fall` failures are needed to go down again).
 *
 * Pure and clock-free: the scheduler (checker.ts) feeds results in.
 */

/** The counter and its thresholds. */
export interface Health {
  readonly rise: number;
  readonly fall: number;
  health: number;
}

/** A new counter for `rise`/`fall` (both >= 1), starting up as HAProxy's default init-state. */
export function createHealth(rise: number, fall: number, startUp = true): Health {
  if (!(rise >= 1 && fall >= 1)) throw new RangeError(`rise and fall must be >= 1, got ${rise}/${fall}`);
  return { rise, fall, health: startUp ? rise : 0 };
}

/** True while the counter says the server is up. */
export function isUp(h: Health): boolean {
  return h.health >= h.rise;
}

/**
 * Feeds one check result. Returns the transition it caused ('up' or 'down'), or undefined when the
 * operational state stays the same.
 */
export function feed(h: Health, passed: boolean): 'up' | 'down' | undefined {
  const wasUp = isUp(h);
  if (passed) {
    if (h.health < h.rise + h.fall - 1) h.health++;
    if (!wasUp && h.health >= h.rise) {
      h.health = h.rise + h.fall - 1;
      return 'up';
    }
    return undefined;
  }
  if (!wasUp) {
    h.health = 0;
    return undefined;
  }
  if (h.health > h.rise) {
    h.health--;
    return undefined;
  }
  h.health = 0;
  return 'down';
}
