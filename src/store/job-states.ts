export const JOB_STATES = [
  'queued',
  'planning',
  'growing',
  'validating',
  'swapping',
  'succeeded',
  'rejected',
  'failed',
  'canceled',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES = ['succeeded', 'rejected', 'failed', 'canceled'] as const satisfies readonly JobState[];
export type TerminalState = (typeof TERMINAL_STATES)[number];

export const JOB_KINDS = ['upgrade', 'rollback'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_TRIGGERS = ['automatic', 'manual', 'fleet'] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

export function isTerminal(state: JobState): state is TerminalState {
  return (TERMINAL_STATES as readonly string[]).includes(state);
}

/**
 * The forward edges of each job kind. A rollback swaps to a version that
 * already exists, so it has nothing to plan, grow or validate.
 */
const FORWARD: Record<JobKind, Partial<Record<JobState, readonly JobState[]>>> = {
  upgrade: {
    queued: ['planning', 'canceled', 'failed'],
    planning: ['growing', 'rejected', 'failed', 'canceled'],
    growing: ['validating', 'failed', 'canceled'],
    validating: ['swapping', 'rejected', 'failed', 'canceled'],
    swapping: ['succeeded', 'failed'],
  },
  rollback: {
    queued: ['swapping', 'canceled', 'failed'],
    swapping: ['succeeded', 'failed'],
  },
};

/**
 * Why `from -> to` is refused for a job of `kind`, or null when allowed.
 *
 * Besides the forward edges, every non-terminal state may go to itself (a
 * restart resumes the step, or a step records a sub-stage such as Stage II)
 * and back to `queued` (crash recovery starts the job over). Nothing leaves a
 * terminal state: a job ends exactly once.
 */
export function refusedTransition(kind: JobKind, from: JobState, to: JobState): string | null {
  if (isTerminal(from)) return `has already ended (${from}); it cannot go to ${to}`;
  if (to === from || to === 'queued') return null;
  if (FORWARD[kind][from]?.includes(to)) return null;
  return `${from} -> ${to} is not an allowed transition for a${kind === 'upgrade' ? 'n' : ''} ${kind} job`;
}

/** The states a job of `kind` may go to from `from`, for messages and tests. */
export function allowedTargets(kind: JobKind, from: JobState): JobState[] {
  return JOB_STATES.filter((to) => refusedTransition(kind, from, to) === null);
}

export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && (JOB_STATES as readonly string[]).includes(value);
}
