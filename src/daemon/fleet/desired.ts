import type { Config } from '../../config';
import type { Logger } from '../../util/log';
import type { RunnerPort } from '../../jobs/runner-port';
import type { GrowthMethodName } from '../../growth-methods';
import { isTerminal } from '../../store/job-states';
import { REPORTED_SETTING } from '../../store/settings';
import type { JobRow, Store } from '../../store/types';
import type { DesiredMessage, ReportedMessage, ReportedStatus } from '../../contract/messages';
import { requestProblem } from '../../jobs/plan';
import { rolloutCommandId, rolloutOfCommand } from './job-message';
import { stepWatch, watchRollbackReason } from './step-watch';

/** How soon a step the runner could not take yet (a job still ending, recovery) is tried again. */
const RETRY_MS = 500;

/** Which desired document: the device's own, or one of its groups'. */
export type DesiredSource = 'device' | `group:${string}`;

export interface DesiredContext {
  config: Config;
  store: Store;
  log: Logger;
  runner(): RunnerPort | undefined;
  report(message: ReportedMessage): void;
}

/**
 * Desired state: a rollout's target depth for this device or one of its
 * groups, retained on the broker so a device that was offline converges
 * when it comes back. The device's own document wins over its groups'; among
 * groups the newest. Each rollout runs jobs (one growth step each, command
 * id `rollout:ID:vN` from committed version N) until the committed depth
 * reaches the target or a job does not succeed, then reports once.
 */
export class DesiredState {
  private readonly documents = new Map<DesiredSource, DesiredMessage>();
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly ctx: DesiredContext) {}

  update(source: DesiredSource, doc: DesiredMessage | null): void {
    if (doc) this.documents.set(source, doc);
    else this.documents.delete(source);
    this.converge();
  }

  /** Called when a job ends (a rollout's next step may be due) and when the runner becomes available. */
  jobEnded(job: JobRow): void {
    if (rolloutOfCommand(job.commandId) !== undefined || !this.ctx.runner()?.active()) this.converge();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  last(): ReportedMessage | undefined {
    const raw = this.ctx.store.getSetting(REPORTED_SETTING);
    return raw ? (JSON.parse(raw) as ReportedMessage) : undefined;
  }

  private effective(): { source: DesiredSource; doc: DesiredMessage } | undefined {
    const own = this.documents.get('device');
    if (own) return { source: 'device', doc: own };
    const groups = [...this.documents.entries()]
      .filter(([s]) => s !== 'device')
      .sort((a, b) => Date.parse(b[1].ts) - Date.parse(a[1].ts));
    return groups[0] && { source: groups[0][0], doc: groups[0][1] };
  }

  converge(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    if (this.stopped) return;
    const target = this.effective();
    const runner = this.ctx.runner();
    if (!target || !runner) return;
    const { source, doc } = target;
    const done = this.last();
    if (done && done.rolloutId === doc.rolloutId && done.status !== 'running') return;

    const { store, config } = this.ctx;
    const committed = store.committedVersion(config.model.name);
    if (!committed) return;
    if (committed.depth >= doc.toDepth) {
      const step = store.jobByCommand(rolloutCommandId(doc.rolloutId, committed.parent ?? committed.version));
      const watch = step ? stepWatch(store, step) : ({ state: 'none' } as const);
      if (watch.state === 'watching') {
        // the last step swapped v(committed) in; its watch has the last word (the runner reports its end)
        const reason = `the watch after the swap to v${committed.version} runs until ${watch.ends.toISOString()}`;
        if (done?.rolloutId !== doc.rolloutId || done.reason !== reason)
          this.reportStatus(source, doc, 'running', step!.id, reason);
        this.retryAt(watch.until);
        return;
      }
      if (watch.state === 'ended' && watch.figures.verdict === 'rolled-back') {
        this.reportStatus(source, doc, 'failed', step!.id, watchRollbackReason(watch.figures));
        return;
      }
      this.reportStatus(source, doc, 'succeeded', step?.id ?? null);
      return;
    }

    const active = runner.active();
    if (active) {
      if (rolloutOfCommand(active.commandId) === doc.rolloutId && done?.jobId !== active.id)
        this.reportStatus(source, doc, 'running', active.id);
      return;
    }
    const commandId = rolloutCommandId(doc.rolloutId, committed.version);
    const previous = store.jobByCommand(commandId);
    if (previous && isTerminal(previous.state)) {
      // This step already ran from this version and the committed version is not what it made: it did not succeed,
      // or its watch rolled it back.
      const watch = stepWatch(store, previous);
      let reason = previous.reason ?? `job ${previous.state}`;
      if (watch.state === 'ended' && watch.figures.verdict === 'rolled-back')
        reason = watchRollbackReason(watch.figures);
      else if (previous.state === 'succeeded')
        reason = `v${String(previous.result?.version ?? '?')}, which this step made, was rolled back before the rollout's depth was reached`;
      this.reportStatus(source, doc, 'failed', previous.id, reason);
      return;
    }
    if (previous) return;
    const request = {
      toDepth: doc.toDepth,
      method: doc.method as GrowthMethodName | undefined,
      trigger: 'fleet' as const,
      commandId,
    };
    const problem = requestProblem(request);
    if (problem) {
      this.reportStatus(source, doc, 'failed', null, problem);
      return;
    }
    const answer = runner.request(request);
    if (!answer.accepted) {
      // The runner is busy (a job still ending, recovery): not this rollout's failure.
      this.retry = setTimeout(() => this.converge(), RETRY_MS);
      this.retry.unref();
      return;
    }
    this.ctx.log.info('rollout step started', {
      rollout: doc.rolloutId,
      source,
      job: answer.job.id,
      toDepth: doc.toDepth,
    });
    this.reportStatus(source, doc, 'running', answer.job.id);
  }

  /** Looks again at `at` (a watch whose end was never recorded stops holding the answer back then). */
  private retryAt(at: Date): void {
    this.retry = setTimeout(() => this.converge(), Math.max(0, at.getTime() - Date.now()) + 10);
    this.retry.unref();
  }

  private reportStatus(
    source: DesiredSource,
    doc: DesiredMessage,
    status: ReportedStatus,
    jobId: string | null,
    reason?: string,
  ): void {
    const { store, config } = this.ctx;
    const committed = store.committedVersion(config.model.name);
    const message: ReportedMessage = {
      rolloutId: doc.rolloutId,
      source,
      toDepth: doc.toDepth,
      status,
      jobId,
      depth: committed?.depth ?? 0,
      modelVersion: committed?.version ?? 0,
      ts: new Date().toISOString(),
    };
    if (reason !== undefined) message.reason = reason.slice(0, 1000);
    store.setSetting(REPORTED_SETTING, JSON.stringify(message));
    if (status !== 'running')
      this.ctx.log.info(`rollout ${status}`, { rollout: doc.rolloutId, source, depth: message.depth, reason });
    this.ctx.report(message);
  }
}
