import { randomUUID } from 'node:crypto';
import type { StoreContext } from './context';
import { StoreError } from './errors';
import { fromJson, fromJsonOrNull, toJson } from './json-column';
import {
  JOB_KINDS,
  JOB_TRIGGERS,
  JobState,
  TERMINAL_STATES,
  isJobState,
  isTerminal,
  refusedTransition,
} from './job-states';
import type { JobRow, JsonObject, NewJob, TransitionDetail, TransitionRow } from './types';

interface JobRecord {
  id: string;
  kind: JobRow['kind'];
  triggered_by: JobRow['trigger'];
  request: string;
  command_id: string | null;
  state: JobState;
  attempts: number;
  reason: string | null;
  result: string | null;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
}

interface TransitionRecord {
  job_id: string;
  seq: number;
  from_state: JobState | null;
  to_state: JobState;
  at: string;
  detail: string;
}

function toJobRow(r: JobRecord): JobRow {
  return {
    id: r.id,
    kind: r.kind,
    trigger: r.triggered_by,
    request: fromJson(r.request),
    commandId: r.command_id,
    state: r.state,
    attempts: r.attempts,
    reason: r.reason,
    result: fromJsonOrNull(r.result),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    endedAt: r.ended_at,
  };
}

const TERMINAL_SQL = `(${TERMINAL_STATES.map((s) => `'${s}'`).join(', ')})`;

export function jobQueries(ctx: StoreContext) {
  const { db } = ctx;
  const insertJob = db.prepare(
    `INSERT INTO jobs (id, kind, triggered_by, request, command_id, state, attempts, created_at, updated_at)
     VALUES (@id, @kind, @trigger, @request, @commandId, 'queued', 0, @at, @at)`,
  );
  const insertTransition = db.prepare(
    `INSERT INTO job_transitions (job_id, seq, from_state, to_state, at, detail)
     VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM job_transitions WHERE job_id = ?), ?, ?, ?, ?)`,
  );
  const selectJob = db.prepare(`SELECT * FROM jobs WHERE id = ?`);
  const selectByCommand = db.prepare(`SELECT * FROM jobs WHERE command_id = ?`);
  const selectJobs = db.prepare(`SELECT * FROM jobs ORDER BY rowid DESC LIMIT ?`);
  const selectUnfinished = db.prepare(`SELECT * FROM jobs WHERE state NOT IN ${TERMINAL_SQL} ORDER BY rowid`);
  const selectTransitions = db.prepare(`SELECT * FROM job_transitions WHERE job_id = ? ORDER BY seq`);
  const updateState = db.prepare(
    `UPDATE jobs SET state = @to, updated_at = @at, ended_at = @endedAt,
       reason = CASE WHEN @keepReason THEN coalesce(@reason, reason) ELSE @reason END,
       result = coalesce(@result, result)
     WHERE id = @id`,
  );
  const bumpAttempts = db.prepare(
    `UPDATE jobs SET attempts = attempts + 1, updated_at = ? WHERE id = ? RETURNING attempts`,
  );

  function get(jobId: string): JobRow | undefined {
    const r = selectJob.get(jobId) as JobRecord | undefined;
    return r && toJobRow(r);
  }

  function mustGet(jobId: string): JobRow {
    const job = get(jobId);
    if (!job) throw new StoreError(`job ${jobId}`, 'does not exist');
    return job;
  }

  const create = db.transaction((j: NewJob): JobRow => {
    if (!JOB_KINDS.includes(j.kind)) throw new StoreError('createJob', `unknown job kind ${JSON.stringify(j.kind)}`);
    if (!JOB_TRIGGERS.includes(j.trigger))
      throw new StoreError('createJob', `unknown trigger ${JSON.stringify(j.trigger)}`);
    if (j.commandId !== undefined) {
      const earlier = selectByCommand.get(j.commandId) as JobRecord | undefined;
      if (earlier) throw new StoreError(`command ${j.commandId}`, `already created job ${earlier.id}`);
    }
    const id = randomUUID();
    const at = ctx.now();
    insertJob.run({
      id,
      kind: j.kind,
      trigger: j.trigger,
      request: toJson(j.request, 'job request'),
      commandId: j.commandId ?? null,
      at,
    });
    insertTransition.run(id, id, null, 'queued', at, '{}');
    return mustGet(id);
  });

  const transition = db.transaction((jobId: string, to: JobState, detail: TransitionDetail = {}): JobRow => {
    if (!isJobState(to)) throw new StoreError(`job ${jobId}`, `unknown state ${JSON.stringify(to)}`);
    const job = mustGet(jobId);
    const refused = refusedTransition(job.kind, job.state, to);
    if (refused) throw new StoreError(`job ${jobId}`, refused);
    if (detail.reason !== undefined && typeof detail.reason !== 'string')
      throw new StoreError(`job ${jobId}`, 'detail.reason must be a string');
    const at = ctx.now();
    const detailJson = toJson(detail, `job ${jobId} transition detail`);
    updateState.run({
      id: jobId,
      to,
      at,
      endedAt: isTerminal(to) ? at : null,
      reason: detail.reason ?? null,
      // Why a job waits in `queued` (parked by a stop, requeued after a crash) ends with the wait.
      keepReason: job.state === 'queued' && to !== 'queued' ? 0 : 1,
      result: detail.result === undefined ? null : toJson(detail.result, `job ${jobId} result`),
    });
    insertTransition.run(jobId, jobId, job.state, to, at, detailJson);
    return mustGet(jobId);
  });

  const setResult = db.prepare(`UPDATE jobs SET result = ?, updated_at = ? WHERE id = ?`);
  const amendResult = db.transaction((jobId: string, patch: JsonObject): JobRow => {
    const job = mustGet(jobId);
    if (!isTerminal(job.state))
      throw new StoreError(
        `job ${jobId}`,
        `has not ended (${job.state}); its result is written by its last transition`,
      );
    setResult.run(toJson({ ...(job.result ?? {}), ...patch }, `job ${jobId} result`), ctx.now(), jobId);
    return mustGet(jobId);
  });

  const recordAttempt = db.transaction((jobId: string): number => {
    const job = mustGet(jobId);
    if (isTerminal(job.state))
      throw new StoreError(`job ${jobId}`, `has already ended (${job.state}); nothing to attempt`);
    return (bumpAttempts.get(ctx.now(), jobId) as { attempts: number }).attempts;
  });

  return {
    createJob: (j: NewJob) => create.immediate(j),
    // immediate: the state is read and written under one write lock, so two writers cannot both end a job
    transition: (jobId: string, to: JobState, detail?: TransitionDetail) => transition.immediate(jobId, to, detail),
    recordAttempt: (jobId: string) => recordAttempt.immediate(jobId),
    amendResult: (jobId: string, patch: JsonObject) => amendResult.immediate(jobId, patch),
    job: get,
    jobByCommand(commandId: string): JobRow | undefined {
      const r = selectByCommand.get(commandId) as JobRecord | undefined;
      return r && toJobRow(r);
    },
    jobs(limit = 50): JobRow[] {
      return (selectJobs.all(limit) as JobRecord[]).map(toJobRow);
    },
    unfinishedJobs(): JobRow[] {
      return (selectUnfinished.all() as JobRecord[]).map(toJobRow);
    },
    activeJob(): JobRow | undefined {
      const r = selectUnfinished.get() as JobRecord | undefined;
      return r && toJobRow(r);
    },
    transitions(jobId: string): TransitionRow[] {
      return (selectTransitions.all(jobId) as TransitionRecord[]).map((r) => ({
        jobId: r.job_id,
        seq: r.seq,
        from: r.from_state,
        to: r.to_state,
        at: r.at,
        detail: fromJson(r.detail),
      }));
    },
  };
}
