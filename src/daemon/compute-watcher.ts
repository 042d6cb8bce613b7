import { schedule, ScheduledTask } from 'node-cron';
import { computeFacts, computeFingerprint, ComputeFacts } from '../compute/detect';
import { matchRule, Policy, PolicyRule, RuleMatch } from '../policy';
import type { JobRow, Store } from '../store';
import { HardwareSource } from './hardware-source';
import { Logger } from './log';
import { RunnerPort } from './runner-port';
import { Decision, decideUpgrade } from './upgrade-decision';

/** Settings rows (store.getSetting) this file owns. */
export const SETTING = {
  fingerprint: 'compute.fingerprint',
  facts: 'compute.facts',
  detectedAt: 'compute.detectedAt',
  /** The fingerprint whose automatic upgrade is done with. */
  handled: 'upgrade.handledFingerprint',
  /** {jobId, fingerprint} of the automatic job in flight. */
  autoJob: 'upgrade.autoJob',
} as const;

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
 * nothing more to do for it, or once its automatic job ended without success
 * (so a rejected upgrade is not retried until the hardware changes again).
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
    if (auto?.jobId === job.id) {
      this.deps.store.setSetting(SETTING.autoJob, '');
      if (job.state !== 'succeeded') {
        this.deps.store.setSetting(SETTING.handled, auto.fingerprint);
        this.deps.log.info('automatic upgrade ended without success: not retried until compute changes', { job: job.id, state: job.state });
      }
    }
    if (this.last) void this.decide(`job ${job.state}`).catch((err: unknown) => this.deps.log.error('upgrade decision after a job failed', { error: err }));
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

  private autoJob(): { jobId: string; fingerprint: string } | undefined {
    const raw = this.deps.store.getSetting(SETTING.autoJob);
    return raw ? (JSON.parse(raw) as { jobId: string; fingerprint: string }) : undefined;
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
      if (changed) store.logEvent('compute.changed', { from: previous ?? null, to: fingerprint, rule: match.rule?.name ?? null });
    });
    const fields = { fingerprint: fingerprint.slice(0, 12), rule: match.rule?.name ?? null, cores: facts.cpu.cores, gpus: facts.gpus.length };
    if (changed) log.info(previous === undefined ? 'compute detected (first start)' : 'compute changed', { ...fields, previous: previous?.slice(0, 12) });
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
    const result = this.runner.request({ trigger: 'automatic' });
    if (!result.accepted) {
      log.info('automatic upgrade not queued now', { why: result.reason, busyWith: result.job?.id });
      return { decision, refused: result.reason };
    }
    store.setSetting(SETTING.autoJob, JSON.stringify({ jobId: result.job.id, fingerprint: detection.fingerprint }));
    log.info('automatic upgrade queued', { job: result.job.id, why: decision.reason, after: reason });
    return { decision, job: result.job };
  }
}
