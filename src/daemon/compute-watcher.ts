import { schedule, ScheduledTask } from 'node-cron';
import { computeFacts, computeFingerprint, ComputeFacts } from '../compute/detect';
import { matchRule, Policy, PolicyRule, RuleMatch } from '../policy';
import type { JobRow, Store } from '../store';
import { HardwareSource } from './hardware-source';
import { Logger } from '../util/log';
import { RunnerPort } from '../jobs/runner-port';
import { Decision, decideUpgrade } from './upgrade-decision';
import { retriesOf } from '../policy/retries';
import { HELD_OUT_FRACTION, heldOutFractionForRetry } from '../jobs/held-out-share';
import type { GateOutcomeFigures } from '../jobs/gate';
import { isImportJob } from '../jobs/outcome';
import { forgetUpgradeDecision, SETTING } from './upgrade-settings';

interface AutoJob {
  jobId: string;
  fingerprint: string;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
}

interface PendingRetry {
  fingerprint: string;
  attempt: number;
  retryOf: string;
  /** Set when the rejected try held out too few samples to bound its loss: the retry holds out this share. */
  heldOutFraction?: number;
}

/** A rejection by the gate has the gate's figures as its result; one by planning ("nothing to do") has none. */
function rejectedByGate(job: JobRow): boolean {
  return typeof job.result?.gain === 'number';
}

export interface Detection {
  facts: ComputeFacts;
  fingerprint: string;
  /** The fingerprint stored before this detection (undefined on first start). */
  previous: string | undefined;
  changed: boolean;
  match: RuleMatch;
  detectedAt: string;
}

export interface TriggerOutcome {
  detection: Detection;
  decision: Decision;
  /** Set when an automatic upgrade was queued. */
  job?: JobRow;
  /** Why the runner refused the upgrade, when it did. */
  refused?: string;
}

export interface WatcherDeps {
  store: Store;
  policy: Policy;
  backend: string;
  read: HardwareSource;
  log: Logger;
  /** Depth of the committed model now. */
  committedDepth: () => number;
  /** The depth the committed model's lineage was imported or shipped with. */
  baseDepth: () => number;
  now?: () => Date;
}

/**
 * Detects compute, keeps the matching policy rule, and queues automatic
 * upgrades. An upgrade is tried when compute changed since the last handled
 * fingerprint (decideUpgrade); the fingerprint counts as handled once there is
 * nothing more to do for it, or once its automatic job ended without success.
 * A job the gate rejected is first grown again with another seed, up to the
 * rule's `retries`, each try due like the first (inside the window); after the
 * last, the device waits for the hardware to change again.
 * A successful automatic job is followed by the next step while the rule asks
 * for more depth than maxStep allowed in one job.
 */
export class ComputeWatcher {
  private last?: Detection;
  private runner?: RunnerPort;
  private task?: ScheduledTask;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly now: () => Date;

  constructor(private readonly deps: WatcherDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  current(): Detection | undefined {
    return this.last;
  }

  rule(): PolicyRule | null {
    return this.last?.match.rule ?? null;
  }

  /** Reads the hardware, stores the fingerprint and matches the policy; decides nothing. */
  detect(): Promise<Detection> {
    return this.serialised(() => this.readAndStore());
  }

  /** From now on detections may queue upgrades through `runner`. */
  attach(runner: RunnerPort): void {
    this.runner = runner;
  }

  /** Re-detects and, when due, queues an automatic upgrade. */
  trigger(reason: string): Promise<TriggerOutcome> {
    return this.serialised(async () => {
      const detection = await this.readAndStore();
      return { detection, ...this.evaluate(reason) };
    });
  }

  /** The upgrade decision on the last detection, without reading the hardware again. */
  decide(reason: string): Promise<Omit<TriggerOutcome, 'detection'>> {
    return this.serialised(async () => {
      if (!this.last) throw new Error('compute has not been detected yet');
      return this.evaluate(reason);
    });
  }

  /** Runs detection (and the upgrade decision) on the cron schedule. */
  startSchedule(cron: string): void {
    this.task = schedule(
      cron,
      () =>
        this.trigger('schedule').catch((err: unknown) => {
          this.deps.log.error('scheduled detection failed', { error: err });
        }),
      { name: 'deepend-detect', noOverlap: true },
    );
  }

  /** Called for every job that reached a terminal state. */
  jobEnded(job: JobRow): void {
    const auto = this.autoJob();
    if (auto?.jobId === job.id) this.automaticJobEnded(job, auto);
    if (!this.last) return;
    if (job.kind === 'rollback' && job.request.reason === 'watch') {
      // the grown model failed on live traffic: growing it again on the same compute would fail the same way
      this.deps.store.setSetting(SETTING.handled, this.last.fingerprint);
      this.deps.log.info('the watch after a swap rolled back: no automatic upgrade until compute changes', {
        job: job.id,
      });
      return;
    }
    if (isImportJob(job) && job.state === 'succeeded') {
      // another model now serves: what was decided for the one before does not hold for it
      forgetUpgradeDecision(this.deps.store);
      this.deps.log.info('an imported model serves: the policy decides its upgrade afresh', { job: job.id });
    }
    // the runner refuses new jobs until the ended one has cleaned up
    const runner = this.runner;
    void Promise.resolve(runner?.idle())
      .then(() => this.decide(`job ${job.state}`))
      .catch((err: unknown) => this.deps.log.error('upgrade decision after a job failed', { error: err }));
  }

  private automaticJobEnded(job: JobRow, auto: AutoJob): void {
    const { store, log } = this.deps;
    store.setSetting(SETTING.autoJob, '');
    const rule = this.rule();
    const retries = rule ? retriesOf(rule) : 0;
    if (job.state === 'rejected' && rejectedByGate(job) && auto.attempt <= retries) {
      const current = typeof job.request.heldOutFraction === 'number' ? job.request.heldOutFraction : HELD_OUT_FRACTION;
      const share = heldOutFractionForRetry(job.result as Partial<GateOutcomeFigures>, current);
      const next: PendingRetry = {
        fingerprint: auto.fingerprint,
        attempt: auto.attempt + 1,
        retryOf: job.id,
        ...(share !== undefined ? { heldOutFraction: share } : {}),
      };
      store.setSetting(SETTING.retry, JSON.stringify(next));
      const larger = share !== undefined ? ` and ${Math.round(share * 100)}% of the data held out for the gate` : '';
      log.info(`automatic upgrade rejected by the gate: it is grown again with another seed${larger}`, {
        job: job.id,
        attempt: next.attempt,
        of: retries + 1,
        why: job.reason,
      });
      return;
    }
    store.setSetting(SETTING.retry, '');
    if (job.state !== 'succeeded') {
      store.setSetting(SETTING.handled, auto.fingerprint);
      const tries = auto.attempt > 1 ? ` after ${auto.attempt} tries` : '';
      log.info(`automatic upgrade ended without success${tries}: not retried until compute changes`, {
        job: job.id,
        state: job.state,
      });
    }
  }

  async stop(): Promise<void> {
    await this.task?.destroy();
    this.task = undefined;
    await this.chain.catch(() => undefined);
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private autoJob(): AutoJob | undefined {
    const raw = this.deps.store.getSetting(SETTING.autoJob);
    if (!raw) return undefined;
    const auto = JSON.parse(raw) as Partial<AutoJob> & { jobId: string; fingerprint: string };
    return { ...auto, attempt: auto.attempt ?? 1 };
  }

  /** The retry due for this fingerprint, if the last automatic job for it was rejected by the gate. */
  private pendingRetry(fingerprint: string): PendingRetry | undefined {
    const raw = this.deps.store.getSetting(SETTING.retry);
    const retry = raw ? (JSON.parse(raw) as PendingRetry) : undefined;
    return retry?.fingerprint === fingerprint ? retry : undefined;
  }

  private async readAndStore(): Promise<Detection> {
    const { store, policy, backend, log } = this.deps;
    const raw = await this.deps.read();
    const facts = computeFacts(raw, backend);
    const fingerprint = computeFingerprint(facts);
    const previous = store.getSetting(SETTING.fingerprint);
    const detectedAt = this.now().toISOString();
    const match = matchRule(policy, facts);
    const changed = previous !== fingerprint;
    store.atomically(() => {
      store.setSetting(SETTING.fingerprint, fingerprint);
      store.setSetting(SETTING.facts, JSON.stringify(facts));
      store.setSetting(SETTING.detectedAt, detectedAt);
      if (changed)
        store.logEvent('compute.changed', { from: previous ?? null, to: fingerprint, rule: match.rule?.name ?? null });
    });
    const fields = {
      fingerprint: fingerprint.slice(0, 12),
      rule: match.rule?.name ?? null,
      cores: facts.cpu.cores,
      gpus: facts.gpus.length,
    };
    if (changed)
      log.info(previous === undefined ? 'compute detected (first start)' : 'compute changed', {
        ...fields,
        previous: previous?.slice(0, 12),
      });
    else log.debug('compute unchanged', fields);
    this.last = { facts, fingerprint, previous, changed, match, detectedAt };
    return this.last;
  }

  private evaluate(reason: string): Omit<TriggerOutcome, 'detection'> {
    const { store, log } = this.deps;
    const detection = this.last!;
    const decision = decideUpgrade({
      fingerprint: detection.fingerprint,
      handled: store.getSetting(SETTING.handled),
      rule: detection.match.rule,
      committedDepth: this.deps.committedDepth(),
      baseDepth: this.deps.baseDepth(),
      now: this.now(),
    });
    if (decision.action === 'none') {
      if (store.getSetting(SETTING.handled) !== detection.fingerprint) {
        store.setSetting(SETTING.handled, detection.fingerprint);
        log.info('no automatic upgrade', { why: decision.reason, after: reason });
      }
      return { decision };
    }
    if (decision.action === 'wait') {
      log.info('automatic upgrade waits', { why: decision.reason, after: reason });
      return { decision };
    }
    if (!this.runner) return { decision, refused: 'the job runner is not started yet' };
    const retry = this.pendingRetry(detection.fingerprint);
    const result = this.runner.request(
      retry
        ? {
            trigger: 'automatic',
            attempt: retry.attempt,
            retryOf: retry.retryOf,
            ...(retry.heldOutFraction !== undefined ? { heldOutFraction: retry.heldOutFraction } : {}),
          }
        : { trigger: 'automatic' },
    );
    if (!result.accepted) {
      log.info('automatic upgrade not queued now', { why: result.reason, busyWith: result.job?.id });
      return { decision, refused: result.reason };
    }
    const auto: AutoJob = { jobId: result.job.id, fingerprint: detection.fingerprint, attempt: retry?.attempt ?? 1 };
    store.atomically(() => {
      store.setSetting(SETTING.autoJob, JSON.stringify(auto));
      store.setSetting(SETTING.retry, '');
    });
    log.info('automatic upgrade queued', {
      job: result.job.id,
      why: decision.reason,
      after: reason,
      ...(retry ? { attempt: retry.attempt, retryOf: retry.retryOf } : {}),
    });
    return { decision, job: result.job };
  }
}
