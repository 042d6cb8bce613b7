import type { Logger } from '../util/log';
import { describeCommit, displayKind } from '../jobs/outcome';
import type { JobEvents } from '../jobs/types';
import { isTerminal } from '../store';

/** The daemon log's view of jobs: every transition, and progress once per tenth of a job. */
export function jobLogListener(log: Logger): JobEvents {
  const loggedDecile = new Map<string, number>();
  return {
    onState: (job) => {
      log.info(`job ${job.state}`, {
        job: job.id,
        kind: displayKind(job),
        trigger: job.trigger,
        outcome: job.state === 'succeeded' ? describeCommit(job) : undefined,
        reason: job.reason ?? undefined,
      });
      if (isTerminal(job.state)) loggedDecile.delete(job.id);
    },
    onProgress: (job, e) => {
      const decile = Math.floor(e.percent / 10);
      if (decile <= (loggedDecile.get(job.id) ?? -1)) return;
      loggedDecile.set(job.id, decile);
      log.info('job progress', {
        job: job.id,
        percent: e.percent,
        step: e.step,
        loss: Number(e.loss.toPrecision(4)),
        validationAccuracy: e.validationAccuracy,
      });
    },
  };
}
