import { cpus } from 'node:os';

/**
 * The machine's idle cores between two calls of `sample()` (the first: since construction), from the
 * kernel's per-core times. Time at nice > 0 counts as busy: a daemon's growth runs at nice 19, and a
 * core it keeps busy is no more free for other work than one busy at nice 0.
 */
export class IdleCores {
  private last = IdleCores.busyMs();
  private lastAt = performance.now();

  private static busyMs(): number {
    return cpus().reduce((ms, c) => ms + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
  }

  /** Milliseconds since the last sample (or construction). */
  get windowMs(): number {
    return performance.now() - this.lastAt;
  }

  sample(): number {
    const busy = IdleCores.busyMs();
    const at = performance.now();
    const busyCores = (busy - this.last) / Math.max(1, at - this.lastAt);
    this.last = busy;
    this.lastAt = at;
    return Math.max(0, cpus().length - busyCores);
  }
}
