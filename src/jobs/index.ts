// Upgrade jobs: the state machine of docs/design/jobs.md.
export { JobRunner } from './runner';
export { CRASH_ENV } from './crash';
export { MAX_INTERRUPTIONS } from './recover';
export type {
  JobEvents,
  JobProgress,
  RecoverReport,
  RequestAnswer,
  RunnerDeps,
  RunnerTuning,
  UpgradeRequest,
} from './types';
export type { UpgradePlan } from './plan';
