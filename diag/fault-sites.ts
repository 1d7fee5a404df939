/**
 * Named fault sites: places in the code where a test or an operator (`debug dev fault <site>`, expert
 * mode) can inject a failure to prove the proxy survives it and the recorder explains it. A site is
 * inert unless armed; the check on the hot path is one property load.
 *
 *   const FS_DOUBLE_FREE = declareFaultSite('h1.stream-double-free', 'frees the stream object twice');
 *   if (FS_DOUBLE_FREE.armed && FS_DOUBLE_FREE.fire()) { ... the faulty path ... }
 */

/** A fault site. `armed` is cheap to test; `fire()` consumes one arming and says whether to fail. */
export class FaultSite {
  readonly name: string;
  readonly desc: string;
  armed = false;
  private remaining = 0;
  hits = 0;

  constructor(name: string, desc: string) {
    this.name = name;
    this.desc = desc;
  }

  /** Arms the site for `count` hits (Infinity = until disarmed). */
  arm(count = 1): void {
    this.remaining = count;
    this.armed = count > 0;
  }

  /** Disarms the site. */
  disarm(): void {
    this.remaining = 0;
    this.armed = false;
  }

  /** Called where the site is: true when the fault must happen now. */
  fire(): boolean {
    if (!this.armed) return false;
    this.hits++;
    if (--this.remaining <= 0) this.armed = false;
    return true;
  }
}

const sites = new Map<string, FaultSite>();

/** Declares a fault site (once, at module load). Names are unique. */
export function declareFaultSite(name: string, desc: string): FaultSite {
  if (sites.has(name)) throw new Error(`fault site ${name} declared twice`);
  const s = new FaultSite(name, desc);
  sites.set(name, s);
  return s;
}

/** Every declared site, sorted by name. */
export function faultSites(): FaultSite[] {
  return [...sites.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The site called `name`, or undefined. */
export function findFaultSite(name: string): FaultSite | undefined {
  return sites.get(name);
}
