import { isTerminal } from '../../store/job-states';
import type { Store } from '../../store/types';

/** The newest job whose retained jobs/JOBID report has been cleared: the scan stops there. */
export const CLEARED_THROUGH_SETTING = 'fleet.jobReportsClearedThrough';

/** Jobs looked at beyond the kept ones in one pass; the first pass on a device with a long history clears them all. */
const SCAN = 1000;

/**
 * Every job leaves a retained jobs/JOBID report on the broker; without this, a device that upgrades daily would leave
 * thousands. Keeps the reports of the `keep` newest jobs and clears each older ended job's report once (`clear`
 * publishes an empty retained message through the outbox, after the job's own reports). An older job that has not
 * ended is left for a later pass. Returns the ids cleared, oldest first.
 */
export function clearOldJobReports(store: Store, keep: number, clear: (jobId: string) => void): string[] {
  const through = store.getSetting(CLEARED_THROUGH_SETTING);
  const older: string[] = [];
  let unfinished = false;
  let newestCleared: string | undefined;
  // newest first: stop at the one the last pass ended with
  const beyond = store.jobs(keep + SCAN).slice(keep);
  const stop = beyond.findIndex((j) => j.id === through);
  for (const job of (stop === -1 ? beyond : beyond.slice(0, stop)).reverse()) {
    if (!isTerminal(job.state)) {
      unfinished = true;
      continue;
    }
    clear(job.id);
    older.push(job.id);
    // past an unfinished job the marker stays put, so the next pass looks at it again
    if (!unfinished) newestCleared = job.id;
  }
  if (newestCleared !== undefined) store.setSetting(CLEARED_THROUGH_SETTING, newestCleared);
  return older;
}
