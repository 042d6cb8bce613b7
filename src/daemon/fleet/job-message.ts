import type { JobMessage, JobStatus } from '../../contract/messages';
import { isTerminal } from '../../store/job-states';
import type { JobRow, JsonObject, Store } from '../../store/types';

/** Where a job is within its run, for the percent of a job message outside growth. */
const PERCENT_AT: Record<string, number> = { queued: 0, planning: 1, validating: 92, shadow: 93, swapping: 96 };

/** Growth (both stages) spans 2..90 % of a job's percent. */
const GROWTH_FROM = 2;
const GROWTH_SPAN = 88;

export interface JobProgressNow {
  step: string;
  percent: number;
  /** The candidate's latest validation accuracy in this job's growth (an epoch's end), when one was measured. */
  validationAccuracy?: number;
}

const ROLLOUT_PREFIX = 'rollout:';

/** `rollout:ID:vN` -> ID, for jobs started by a desired document. */
export function rolloutOfCommand(commandId: string | null): string | undefined {
  if (!commandId?.startsWith(ROLLOUT_PREFIX)) return undefined;
  const rest = commandId.slice(ROLLOUT_PREFIX.length);
  const cut = rest.lastIndexOf(':');
  return cut > 0 ? rest.slice(0, cut) : rest;
}

export function rolloutCommandId(rolloutId: string, fromVersion: number): string {
  return `${ROLLOUT_PREFIX}${rolloutId}:v${fromVersion}`;
}

function statusOf(job: JobRow): JobStatus {
  if (isTerminal(job.state)) return job.state;
  return job.state === 'queued' ? 'queued' : 'running';
}

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** The latest transition detail that has `key`. */
function lastDetail(store: Store, jobId: string, key: string): JsonObject | undefined {
  return store
    .transitions(jobId)
    .filter((t) => t.detail[key] !== undefined)
    .at(-1)?.detail;
}

/**
 * The job's state; `parked` for a job the daemon's stop took off its step (it
 * resumes at the next start); `shadow` while its candidate answers live traffic.
 */
function stepOf(store: Store, job: JobRow): string {
  const last = store.transitions(job.id).at(-1)?.detail;
  if (last?.parked === true && (job.state === 'queued' || job.state === 'validating')) return 'parked';
  if (job.state === 'validating' && last?.step === 'shadow') return 'shadow';
  return job.state;
}

/**
 * A job as the fleet sees it (`jobs/JOBID`): the depths and held-out
 * accuracies before and after, read from the plan, the candidate and the
 * result the job's transitions recorded.
 */
export function jobMessage(store: Store, modelName: string, job: JobRow, progress?: JobProgressNow): JobMessage {
  const committed = store.committedVersion(modelName);
  const plan = lastDetail(store, job.id, 'plan')?.plan as JsonObject | undefined;
  const candidate = lastDetail(store, job.id, 'candidate')?.candidate as JsonObject | undefined;
  const result = job.result ?? {};
  let depthBefore: number;
  let depthAfter: number | null;
  let accuracyBefore: number | null;
  if (job.kind === 'rollback') {
    const swap = lastDetail(store, job.id, 'fromVersion');
    const from = swap ? store.modelVersion(modelName, swap.fromVersion as number) : undefined;
    const to = store.modelVersion(modelName, (job.request.version as number | undefined) ?? -1);
    depthBefore = from?.depth ?? committed?.depth ?? 0;
    depthAfter = to?.depth ?? null;
    accuracyBefore = num(from?.metrics.accuracy) ?? null;
  } else {
    const parent = plan ? store.modelVersion(modelName, plan.fromVersion as number) : undefined;
    depthBefore = num(plan?.fromDepth) ?? num(candidate?.depthBefore) ?? committed?.depth ?? 0;
    depthAfter = num(candidate?.depthAfter) ?? num(plan?.toDepth) ?? num(job.request.toDepth);
    accuracyBefore =
      num(result.accuracyBefore) ?? num(candidate?.accuracyBefore) ?? num(parent?.metrics.accuracy) ?? null;
  }
  const accuracyAfter =
    job.kind === 'rollback'
      ? num(store.modelVersion(modelName, (job.request.version as number | undefined) ?? -1)?.metrics.accuracy)
      : (num(result.accuracyAfter) ?? num(candidate?.accuracyAfter));

  const status = statusOf(job);
  const growing = job.state === 'growing' && progress !== undefined;
  const step = growing ? progress.step : stepOf(store, job);
  let percent = PERCENT_AT[step] ?? PERCENT_AT[job.state] ?? GROWTH_FROM;
  if (isTerminal(job.state)) percent = 100;
  else if (growing) percent = Math.round(GROWTH_FROM + (GROWTH_SPAN * progress.percent) / 100);
  const message: JobMessage = {
    jobId: job.id,
    kind: job.kind,
    trigger: job.trigger,
    status,
    step,
    percent: Math.min(100, Math.max(0, percent)),
    depthBefore,
    depthAfter,
    accuracyBefore,
    accuracyAfter: accuracyAfter ?? null,
    ts: new Date().toISOString(),
  };
  if (growing && progress.validationAccuracy !== undefined) message.validationAccuracy = progress.validationAccuracy;
  const gate = plan?.gate as JsonObject | undefined;
  const minGain = num(gate?.minGain);
  const minAccuracy = num(gate?.minAccuracy);
  if (job.kind !== 'rollback' && accuracyBefore !== null && minGain !== null && minAccuracy !== null)
    message.gateAccuracy = Math.min(1, Math.max(0, minAccuracy, accuracyBefore + minGain));
  const shadow = result.shadow as JobMessage['shadow'] | undefined;
  if (shadow !== undefined) message.shadow = shadow;
  const watch = (result.watch ?? job.request.watch) as JobMessage['watch'] | undefined;
  if (watch !== undefined) message.watch = watch;
  if (job.commandId !== null) message.commandId = job.commandId;
  const rolloutId = rolloutOfCommand(job.commandId);
  if (rolloutId !== undefined) message.rolloutId = rolloutId;
  if (job.reason !== null && status !== 'running' && status !== 'succeeded') message.reason = job.reason;
  return message;
}
