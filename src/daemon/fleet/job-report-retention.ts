import { isTerminal } from '../../store/job-states';
import type { JobRow, Store } from '../../store/types';

/** The newest job whose retained jobs/JOBID report has been cleared: the scan stops there. */
export const CLEARED_THROUGH_SETTING = 'fleet.jobReportsClearedThrough';

/** Jobs a pass reads beyond the kept ones; when its marker is not among them (a first pass), it reads them all. */
const RECENT = 1000;
const ALL = 1_000_000;

/** Jobs older than the `keep` newest and newer than the marker, newest first. */
function unclearedJobs(store: Store, keep: number, through: string | undefined, recent: number): JobRow[] {
  for (const limit of [recent, ALL]) {
    const beyond = store.jobs(keep + limit).slice(keep);
    const stop = beyond.findIndex((j) => j.id === through);
    if (stop !== -1) return beyond.slice(0, stop);
    if (beyond.length < limit) return beyond;
  }
  return [];
}

/**
 * Every job leaves a retained jobs/JOBID report on the broker; without this, a device that upgrades daily would leave
 * thousands. Keeps the reports of the `keep` newest jobs and clears each older ended job's report (`clear` publishes
 * an empty retained message through the outbox, after the job's own reports). An older job that has not ended is
 * left for a later pass, and the marker stays before it: the jobs after it are cleared again then (clearing a
 * cleared topic changes nothing on the broker). Returns the ids cleared, oldest first.
 */
export function clearOldJobReports(
  store: Store,
  keep: number,
  clear: (jobId: string) => void,
  recent = RECENT,
): string[] {
  const cleared: string[] = [];
  let unfinished = false;
  let newestCleared: string | undefined;
  for (const job of unclearedJobs(store, keep, store.getSetting(CLEARED_THROUGH_SETTING), recent).reverse()) {
    if (!isTerminal(job.state)) {
      unfinished = true;
      continue;
    }
    clear(job.id);
    cleared.push(job.id);
    if (!unfinished) newestCleared = job.id;
  }
  if (newestCleared !== undefined) store.setSetting(CLEARED_THROUGH_SETTING, newestCleared);
  return cleared;
}
