import type { JobRow, Store } from '../../store/types';
import type { WatchFigures } from '../../jobs/swap-watch';
import { recordedPlan } from '../../jobs/recorded-plan';

/**
 * A watch that never judged (the daemon stopped or was killed during it, and a restart does not watch again) holds
 * the answer back this long past its minutes, then no longer.
 */
const UNJUDGED_SLACK_MS = 60_000;

/**
 * `none`: no watch follows the step (none in its plan, or it did not swap), so its end is the answer. `watching`:
 * `ends` when its minutes run out, and the answer stops waiting `until` then for a watch that never judged.
 */
export type StepWatch =
  | { state: 'none' }
  | { state: 'watching'; ends: Date; until: Date }
  | { state: 'ended'; figures: WatchFigures };

/**
 * The watch after a rollout step's swap (the policy's `watch`). The device answers the rollout only once it has
 * ended: a rollout that counted the swap would advance to the next wave on a version its watch may still roll back.
 * The job ends `succeeded` before the runner starts the watch, so a step whose plan has one and whose result has no
 * figures yet is still being watched.
 */
export function stepWatch(store: Pick<Store, 'transitions'>, step: JobRow, now = Date.now()): StepWatch {
  if (step.state !== 'succeeded') return { state: 'none' };
  const figures = step.result?.watch as unknown as WatchFigures | undefined;
  // `stopped`: the daemon stopped before the watch could judge, which is no pass
  if (figures !== undefined && figures.verdict !== 'stopped') return { state: 'ended', figures };
  const settings = recordedPlan(store, step.id)?.watch;
  if (!settings) return { state: 'none' };
  const ends = Date.parse(step.endedAt ?? step.updatedAt) + settings.minutes * 60_000;
  const until = ends + UNJUDGED_SLACK_MS;
  return now < until ? { state: 'watching', ends: new Date(ends), until: new Date(until) } : { state: 'none' };
}

/** Why a rollout step counts as failed although its job succeeded. */
export function watchRollbackReason(figures: WatchFigures): string {
  return `the watch after the swap to v${figures.version} rolled it back: ${figures.reason ?? 'a figure crossed its limit'}`;
}
