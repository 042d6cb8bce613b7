import { resolve } from 'node:path';
import { isTerminal } from '../store/job-states';
import { reconcile } from '../store/model-dirs';
import type { JobRow } from '../store/types';
import { removeCandidateFiles } from './candidate';
import { ActiveJob, RunContext, announce, candidateOf, errorText, makeContext, move } from './context';
import { crashIfAsked } from './crash';
import { requestProblem } from './plan';
import { recoverJob } from './recover';
import { rollbackTarget, runRollback } from './rollback-job';
import { serveCommitted } from './swap';
import type { RecoverReport, RequestAnswer, RunnerDeps, UpgradeRequest } from './types';
import type { ShadowView, WatchView } from './runner-port';
import { runUpgrade, UpgradeStart } from './upgrade-job';
import { recordedPlan } from './recorded-plan';
import { describeWatch, SwapWatch, WatchFigures } from './swap-watch';
import type { JsonObject } from '../store/types';

/** How often a job end that could not be written is tried again. */
const SETTLE_RETRY_MS = 5000;

type Start = UpgradeStart | 'rollback';

/**
 * Runs upgrade and rollback jobs one at a time, every transition written to
 * the store before its action (docs/design/jobs.md). Growth runs in a worker
 * thread; this thread only loads the result and swaps it into the slot.
 */
export class JobRunner {
  private readonly ctx: RunContext;
  private queue: { id: string; start: Start }[] = [];
  private current?: ActiveJob;
  private loop?: Promise<void>;
  private recovering = false;
  private stopping = false;
  /** The watch after the last upgrade's swap (and that upgrade), while it runs: upgrades wait for it, a rollback ends it. */
  private watch?: { run: SwapWatch; jobId: string };
  /** The upgrade taken off the queue that waits for the watch to end. */
  private held?: { id: string; start: Start };

  constructor(deps: RunnerDeps) {
    if (resolve(deps.home) !== deps.store.home)
      throw new Error(`${resolve(deps.home)} is not the home directory of the store (${deps.store.home})`);
    this.ctx = makeContext(deps);
  }

  /**
   * At start, after the committed model is serving: repairs disk and database
   * (reconcile), makes sure the slot serves the committed version, then
   * resumes, finishes or fails every unfinished job. Interrupted swaps are
   * settled before this resolves; other resumed jobs run afterwards.
   */
  async recover(): Promise<RecoverReport> {
    const report: RecoverReport = { resumed: [], rolledBack: [], failed: [] };
    const { store, modelName } = this.ctx;
    this.recovering = true;
    try {
      const repaired = reconcile(store.home, modelName, store);
      for (const action of repaired.actions)
        this.ctx.log({ level: 'warn', msg: 'reconcile', model: modelName, action });
      await serveCommitted(this.ctx);
      for (const job of store.unfinishedJobs()) {
        const r = await recoverJob(this.ctx, job);
        report[r.outcome].push(job.id);
        if (r.outcome === 'resumed' && r.run) this.queue.push({ id: job.id, start: r.run });
        this.ctx.log({
          level: 'warn',
          msg: 'job recovered',
          job: job.id,
          was: job.state,
          outcome: r.outcome,
          now: store.job(job.id)?.state,
        });
      }
    } finally {
      this.recovering = false;
    }
    this.kick();
    return report;
  }

  /** Queues one upgrade, or says why not (one job at a time; a command id runs once). */
  request(req: UpgradeRequest): RequestAnswer {
    const problem = requestProblem(req);
    if (problem) return { accepted: false, reason: problem };
    const refused = this.refusal();
    if (refused) return refused;
    if (req.commandId !== undefined) {
      const earlier = this.ctx.store.jobByCommand(req.commandId);
      if (earlier)
        return {
          accepted: false,
          reason: `command ${req.commandId} already created job ${earlier.id} (${earlier.state})`,
          job: earlier,
        };
    }
    const job = this.ctx.store.createJob({
      kind: 'upgrade',
      trigger: req.trigger,
      request: {
        toDepth: req.toDepth,
        method: req.method,
        attempt: req.attempt,
        retryOf: req.retryOf,
        heldOutFraction: req.heldOutFraction,
      },
      commandId: req.commandId,
    });
    announce(this.ctx, job);
    crashIfAsked('queued');
    this.queue.push({ id: job.id, start: 'planning' });
    this.kick();
    return { accepted: true, job };
  }

  /**
   * Ends a queued, planning, growing or validating job `canceled`: the state
   * is written first, then the growth worker is told to stop and terminated
   * after the grace period, then the candidate is deleted. A swap is not
   * cancelable: false, as for an unknown or finished job.
   */
  cancel(jobId: string): boolean {
    const job = this.ctx.store.job(jobId);
    const running = this.current?.id === jobId ? this.current : undefined;
    if (!job || isTerminal(job.state) || job.state === 'swapping' || running?.phase === 'swapping') return false;
    move(
      this.ctx,
      jobId,
      'canceled',
      { reason: 'canceled on request', from: job.state },
      { active: running, crash: false },
    );
    this.queue = this.queue.filter((q) => q.id !== jobId);
    if (running) {
      running.canceled = true;
      running.growth?.abort(this.ctx.graceMs);
      running.shadow?.stop();
    } else {
      removeCandidateFiles(candidateOf(this.ctx, jobId));
    }
    return true;
  }

  /**
   * Swaps to `version` (default: the committed version's parent) the way an
   * upgrade swaps in; resolves with the ended job. `reason: 'import'` swaps
   * to a version `deepend models import` just registered.
   */
  async rollback(version?: number, reason?: 'import'): Promise<JobRow> {
    const refused = this.refusal();
    if (refused) throw new Error(refused.reason);
    const target = rollbackTarget(this.ctx.store, this.ctx.modelName, version);
    const job = this.ctx.store.createJob({
      kind: 'rollback',
      trigger: 'manual',
      request: reason ? { version: target.version, reason } : { version: target.version },
    });
    announce(this.ctx, job);
    crashIfAsked('queued');
    this.queue.push({ id: job.id, start: 'rollback' });
    this.kick();
    await this.idle();
    return this.ctx.store.job(job.id)!;
  }

  shadowing(): ShadowView | undefined {
    return this.current?.shadow?.progress();
  }

  watching(): WatchView | undefined {
    if (!this.watch) return undefined;
    const { run: w, jobId } = this.watch;
    const { requests, failures, shift, labelled, accuracy } = w.now();
    return {
      jobId,
      version: w.version,
      fromVersion: w.fromVersion,
      endsAt: w.endsAt.toISOString(),
      requests,
      failures,
      shift,
      labelled,
      accuracy,
    };
  }

  /** The unfinished job the runner works on or will run next. */
  active(): JobRow | undefined {
    const id = this.current?.id ?? this.queue[0]?.id;
    const job = id !== undefined ? this.ctx.store.job(id) : this.ctx.store.activeJob();
    return job && !isTerminal(job.state) ? job : undefined;
  }

  /** Resolves when no job runs or waits to run. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /**
   * SIGTERM: a growing job's worker is stopped and the job parked (queued,
   * resumed at the next start without counting as a crash); a validating or
   * swapping job is let finish, it takes a second; queued jobs stay queued.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const running = this.current;
    if (running) {
      running.stopping = true;
      running.growth?.abort(this.ctx.graceMs);
      running.shadow?.stop();
    }
    this.watch?.run.stop();
    // the upgrade waiting for the watch is parked with the queue (runOne sees the stop and lets it be)
    const waiting = [...(this.held ? [this.held] : []), ...this.queue];
    this.queue = [];
    for (const q of waiting) {
      const job = this.ctx.store.job(q.id);
      if (job && !isTerminal(job.state))
        move(
          this.ctx,
          q.id,
          'queued',
          { parked: true, reason: 'the daemon stopped before the job ran' },
          { crash: false },
        );
    }
    await this.idle();
  }

  private refusal(): { accepted: false; reason: string; job?: JobRow } | undefined {
    if (this.stopping) return { accepted: false, reason: 'the daemon is stopping' };
    if (this.recovering) return { accepted: false, reason: 'the daemon is recovering interrupted jobs' };
    const id = this.current?.id ?? this.queue[0]?.id;
    const job = id !== undefined ? this.ctx.store.job(id) : this.ctx.store.activeJob();
    if (!job) return undefined;
    const what = isTerminal(job.state) ? `has ended (${job.state}) and is still cleaning up` : `is ${job.state}`;
    return { accepted: false, reason: `job ${job.id} ${what}: one job at a time`, job };
  }

  private kick(): void {
    if (this.loop || this.stopping || this.queue.length === 0) return;
    this.loop = (async () => {
      // let request() return, and its caller see the job queued, before it runs
      await new Promise((r) => setImmediate(r));
      while (!this.stopping && this.queue.length > 0) await this.runOne(this.queue.shift()!);
    })().finally(() => {
      this.loop = undefined;
      this.kick();
    });
  }

  private async runOne(next: { id: string; start: Start }): Promise<void> {
    const job = this.ctx.store.job(next.id);
    if (!job || isTerminal(job.state)) return;
    if (next.start === 'rollback') this.watch?.run.stop('superseded');
    else if (this.watch) {
      // an upgrade starts from a version that has come through its watch
      this.held = next;
      await this.watch.run.done;
      await new Promise((r) => setImmediate(r));
      this.held = undefined;
      if (this.stopping) return;
      // the watch tripped: its rollback goes first
      if (this.queue[0]?.start === 'rollback') {
        this.queue.splice(1, 0, next);
        return;
      }
    }
    if (this.ended(next.id)) return;
    const active: ActiveJob = { id: job.id, phase: job.state, canceled: false, stopping: this.stopping };
    this.current = active;
    try {
      if (next.start === 'rollback') await runRollback(this.ctx, active);
      else {
        await runUpgrade(this.ctx, active, next.start);
        this.watchAfter(job.id);
      }
    } catch (err) {
      this.ctx.log({ level: 'error', msg: 'job runner error', job: job.id, error: errorText(err) });
      this.settleLater(job.id, errorText(err));
    } finally {
      this.current = undefined;
    }
  }

  /** Starts the policy's watch on the version an upgrade just swapped in (when its plan has one). */
  private watchAfter(jobId: string): void {
    const job = this.ctx.store.job(jobId);
    const settings = recordedPlan(this.ctx.store, jobId)?.watch;
    if (job?.state !== 'succeeded' || !settings || this.stopping) return;
    const version = job.result?.version as number;
    const fromVersion = job.result?.fromVersion as number;
    const watch = { run: new SwapWatch(this.ctx.slot, version, fromVersion, settings), jobId };
    this.watch = watch;
    this.ctx.log({ level: 'info', msg: 'watch', job: jobId, version, fromVersion, minutes: settings.minutes });
    void watch.run.done.then((figures) => {
      if (this.watch === watch) this.watch = undefined;
      this.watchEnded(jobId, figures);
    });
  }

  /** Records the watch's figures on the upgrade job and, when it tripped, rolls back ahead of every queued job. */
  private watchEnded(jobId: string, figures: WatchFigures): void {
    const { ctx } = this;
    ctx.log({ level: figures.verdict === 'rolled-back' ? 'warn' : 'info', msg: describeWatch(figures), job: jobId });
    try {
      const job = ctx.store.amendResult(jobId, { watch: figures as unknown as JsonObject });
      ctx.events?.onResult?.(job);
    } catch (err) {
      ctx.log({ level: 'warn', msg: 'watch figures not recorded', job: jobId, error: errorText(err) });
    }
    if (figures.verdict !== 'rolled-back' || this.stopping) return;
    if (ctx.store.committedVersion(ctx.modelName)?.version !== figures.version) return;
    // automatic upgrades and the fleet's (a rollout's next step) still queued would grow on as if the version just
    // rolled away from had held: the rollout must see the step fail, not a later one succeed
    for (const q of [...(this.held ? [this.held] : []), ...this.queue].filter((q) => q.start === 'planning')) {
      const queued = ctx.store.job(q.id);
      if ((queued?.trigger === 'automatic' || queued?.trigger === 'fleet') && queued.state === 'queued')
        move(ctx, q.id, 'canceled', { reason: `the watch after the swap to v${figures.version} rolled it back` });
    }
    this.queue = this.queue.filter((q) => !this.ended(q.id));
    const rollback = ctx.store.createJob({
      kind: 'rollback',
      trigger: 'automatic',
      request: { version: figures.fromVersion, reason: 'watch', watch: figures as unknown as JsonObject },
    });
    announce(ctx, rollback);
    this.queue.unshift({ id: rollback.id, start: 'rollback' });
    this.kick();
  }

  /** The job has ended (or is gone). */
  private ended(jobId: string): boolean {
    return isTerminal(this.ctx.store.job(jobId)?.state ?? 'canceled');
  }

  /**
   * A job whose end could not be written (a full or failing disk) would hold
   * "one job at a time" until the next start: its `failed` is written as
   * soon as the store takes it again, tried every few seconds.
   */
  private settleLater(jobId: string, reason: string): void {
    const job = this.ctx.store.job(jobId);
    if (!job || isTerminal(job.state) || this.stopping) return;
    const timer = setInterval(() => {
      try {
        const now = this.ctx.store.job(jobId);
        if (this.stopping || !now || isTerminal(now.state)) return clearInterval(timer);
        removeCandidateFiles(candidateOf(this.ctx, jobId));
        move(
          this.ctx,
          jobId,
          'failed',
          { reason: `${reason} (recorded late: the store could not be written)` },
          { crash: false },
        );
        clearInterval(timer);
      } catch {
        // still full: next time
      }
    }, SETTLE_RETRY_MS);
    timer.unref();
  }
}
