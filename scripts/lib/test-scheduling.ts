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
