import type { Store } from '../store/types';
import type { UpgradePlan } from './plan';

/** The plan the job's `growing` transition recorded. */
export function recordedPlan(store: Pick<Store, 'transitions'>, jobId: string): UpgradePlan | undefined {
  const growing = store.transitions(jobId).filter((t) => t.to === 'growing' && t.detail.plan !== undefined);
  return growing.at(-1)?.detail.plan as UpgradePlan | undefined;
}
