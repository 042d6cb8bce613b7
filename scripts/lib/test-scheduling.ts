import { cpus } from 'node:os';

/**
 * How many test files run at once (scripts/run-tests.ts). A fixed number either leaves cores idle while
 * the files running wait on brokers, daemons and timers, or oversubscribes them while the files compute,
 * so the runner starts `jobs` files, and one more (up to `maxJobs`) each time the machine's cores have
 * stood idle for a while, as `make -l` and GNU parallel's --load start jobs by load.
 */
export interface SchedulingLimits {
  /** Files run at once however busy the machine is. */
  jobs: number;
  /** Files run at once at most, extra ones included. */
  maxJobs: number;
  /** Idle cores (over the last sample) that start one more file. */
  minIdleCores: number;
}

export function startsAnother(limits: SchedulingLimits, running: number, idleCores: number): boolean {
  if (running < limits.jobs) return true;
  return running < limits.maxJobs && idleCores >= limits.minIdleCores;
}

/**
 * The machine's idle cores between two calls of `sample()`. Time at nice > 0 counts as busy: the daemon
 * tests' growth processes run at nice 19, and a file started on their cores would starve them and
 * lengthen the files that wait for them (measured: the two longest files took 262 s instead of 221 s).
 */
export class IdleCores {
  private last = IdleCores.busyMs();
  private lastAt = performance.now();

  private static busyMs(): number {
    return cpus().reduce((ms, c) => ms + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
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

/** The counts a TAP stream of node:test ends with (`# pass 12`, ...). */
export const TAP_COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const;
export type TapCounts = Record<(typeof TAP_COUNTS)[number], number>;

export function emptyCounts(): TapCounts {
  return { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
}

/** Adds the summary of one file's TAP output to `into`; false when it has none (the file ended before it). */
export function addTapCounts(into: TapCounts, tap: string): boolean {
  let found = false;
  for (const key of TAP_COUNTS) {
    const m = tap.match(new RegExp(`^# ${key} (\\d+)$`, 'm'));
    if (!m) continue;
    into[key] += Number(m[1]);
    found = true;
  }
  return found;
}

/**
 * The files in the order they start: the longest first (by `seconds`, a previous run's times), so that
 * no long file starts last and ends alone; files with no time yet (new ones) before them all.
 */
export function longestFirst(
  files: string[],
  seconds: Record<string, number>,
  key: (file: string) => string,
): string[] {
  const time = (f: string) => seconds[key(f)] ?? Number.POSITIVE_INFINITY;
  return [...files].sort((a, b) => time(b) - time(a) || a.localeCompare(b));
}
