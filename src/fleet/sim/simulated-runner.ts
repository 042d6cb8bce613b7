import type { RequestResult, RunnerPort, UpgradeRequest } from '../../jobs/runner-port';
import { checkGate } from '../../jobs/gate';
import { planUpgrade, requestProblem } from '../../jobs/plan';
import type { GrowStep, JobEvents, RecoverReport } from '../../jobs/types';
import type { PolicyRule } from '../../policy/types';
import { isTerminal } from '../../store/job-states';
import type { JobRow, JsonObject, Store } from '../../store/types';
import { simulatedShadow, simulatedWatch } from './simulated-live';

const SIMULATED_HELD_OUT = 2000;

export interface SimulationOptions {
  /** How long a simulated growth takes (both stages). */
  growSeconds: number;
  /** Held-out accuracy change of a simulated candidate: negative makes the gate reject it. */
  accuracyGain: number;
  rule: PolicyRule;
}

/** Progress events per simulated growth. */
const PROGRESS_TICKS = 8;

/** A simulated epoch ends every this many progress ticks: the job message then carries a validation accuracy. */
const EPOCH_TICKS = 2;

/**
 * The simulated learning curve: a dip of a point below the parent while a
 * block is inserted (the first quarter, Stage I), then a climb to the
 * candidate's accuracy through Stage II.
 */
function simulatedValidation(before: number, after: number, fraction: number): number {
  const v =
    fraction <= 0.25
      ? before - 0.01 + 0.02 * fraction
      : before - 0.005 + (after - before + 0.005) * ((fraction - 0.25) / 0.75);
  return Math.min(1, Math.max(0, v));
}

/**
 * Simulation mode (docs/design/fleet.md): a job runner that keeps the real job
 * bookkeeping, the store's state machine with every transition written
 * first, the real planning (policy rule, maxStep) and the real gate, but
 * replaces growth by a timer and the hot swap by committing a version row
 * that points at the parent's files. It lets one machine host hundreds of
 * fleet devices with real MQTT and SQLite for the fleet benchmark.
 */
export class SimulatedRunner implements RunnerPort {
  private current?: { id: string; canceled: boolean };
  private running?: Promise<void>;

  private readonly watchTimers = new Set<NodeJS.Timeout>();
  constructor(private readonly deps: { store: Store; modelName: string; events: JobEvents; sim: SimulationOptions }) {}

  async recover(): Promise<RecoverReport> {
    const failed: string[] = [];
    for (const job of this.deps.store.unfinishedJobs()) {
      this.move(job.id, 'failed', { reason: 'interrupted: a simulated job does not resume' });
      failed.push(job.id);
    }
    return { resumed: [], rolledBack: [], failed };
  }

  request(req: UpgradeRequest): RequestResult {
    const problem = requestProblem(req);
    if (problem) return { accepted: false, reason: problem };
    if (this.current) {
      const busy = this.deps.store.job(this.current.id)!;
      return { accepted: false, reason: `job ${busy.id} is ${busy.state}: one job at a time`, job: busy };
    }
    const { store } = this.deps;
    if (req.commandId !== undefined) {
      const earlier = store.jobByCommand(req.commandId);
      if (earlier)
        return {
          accepted: false,
          reason: `command ${req.commandId} already created job ${earlier.id} (${earlier.state})`,
          job: earlier,
        };
    }
    const job = store.createJob({
      kind: 'upgrade',
      trigger: req.trigger,
      request: { toDepth: req.toDepth, method: req.method },
      commandId: req.commandId,
    });
    this.deps.events.onState(job);
    this.current = { id: job.id, canceled: false };
    this.running = this.run(job.id, req).finally(() => (this.current = undefined));
    return { accepted: true, job };
  }

  cancel(jobId: string): boolean {
    const job = this.deps.store.job(jobId);
    if (!job || isTerminal(job.state) || job.state === 'swapping' || this.current?.id !== jobId) return false;
    this.current.canceled = true;
    this.move(jobId, 'canceled', { reason: 'canceled' });
    return true;
  }

  async rollback(version?: number): Promise<JobRow> {
    const { store, modelName } = this.deps;
    if (this.current) throw new Error('a job is running: one job at a time');
    const committed = store.committedVersion(modelName);
    if (!committed) throw new Error(`model ${modelName} has no committed version`);
    const target = version ?? committed.parent;
    if (target === null || !store.modelVersion(modelName, target))
      throw new Error(`model ${modelName} has no v${String(target)} to roll back to`);
    const job = store.createJob({ kind: 'rollback', trigger: 'fleet', request: { version: target } });
    this.deps.events.onState(job);
    this.move(job.id, 'swapping', { version: target, fromVersion: committed.version });
    store.setCommitted(modelName, target);
    return this.move(job.id, 'succeeded', {
      result: { version: target, fromVersion: committed.version, rollback: true },
    });
  }

  /** As the real runner: a job that has ended is not active, though the runner may still be finishing it. */
  active(): JobRow | undefined {
    const job = this.current ? this.deps.store.job(this.current.id) : undefined;
    return job && !isTerminal(job.state) ? job : undefined;
  }

  async idle(): Promise<void> {
    await this.running;
  }

  async stop(): Promise<void> {
    for (const timer of this.watchTimers) clearTimeout(timer);
    this.watchTimers.clear();
    if (this.current) this.current.canceled = true;
    await this.running;
  }

  private move(jobId: string, to: JobRow['state'], detail: JsonObject): JobRow {
    const job = this.deps.store.transition(jobId, to, detail);
    this.deps.events.onState(job);
    return job;
  }

  private async run(jobId: string, req: UpgradeRequest): Promise<void> {
    const { store, modelName, sim } = this.deps;
    const stillOn = () => !this.current?.canceled;
    const committed = store.committedVersion(modelName)!;
    this.move(jobId, 'planning', {});
    // Simulated versions have no files: the lineage starts at the first version's depth.
    const outcome = planUpgrade(committed, sim.rule, req, store.modelVersion(modelName, 1)?.depth ?? committed.depth);
    if ('rejected' in outcome) return void this.move(jobId, 'rejected', { reason: outcome.rejected });
    const plan = outcome.plan;
    const accuracyBefore = typeof committed.metrics.accuracy === 'number' ? committed.metrics.accuracy : 0.9;
    const accuracyAfter = Math.min(1, Math.max(0, accuracyBefore + sim.accuracyGain));
    let job = this.move(jobId, 'growing', { step: 'stage1', plan: plan as unknown as JsonObject });
    let step: GrowStep = 'stage1';
    for (let tick = 1; tick <= PROGRESS_TICKS; tick++) {
      await new Promise((r) => setTimeout(r, (sim.growSeconds * 1000) / PROGRESS_TICKS));
      if (!stillOn()) return;
      const now: GrowStep = tick <= PROGRESS_TICKS / 4 ? 'stage1' : 'stage2';
      if (now !== step) {
        step = now;
        job = this.move(jobId, 'growing', { step });
      }
      const fraction = tick / PROGRESS_TICKS;
      this.deps.events.onProgress(job, {
        stage: step,
        epoch: 0,
        stageStep: tick,
        stepsPerEpoch: PROGRESS_TICKS,
        loss: 0.1 / tick,
        fraction,
        elapsedSeconds: sim.growSeconds * fraction,
        step,
        percent: 100 * fraction,
        ...(tick % EPOCH_TICKS === 0
          ? { validationAccuracy: simulatedValidation(accuracyBefore, accuracyAfter, fraction) }
          : {}),
      });
    }
    const candidate = {
      method: plan.method,
      depthBefore: plan.fromDepth,
      depthAfter: plan.toDepth,
      accuracyBefore,
      accuracyAfter,
      simulated: true,
    };
    this.move(jobId, 'validating', { candidate });
    // a simulated held-out part of 2,000 samples on which the two models differ only by the gain
    const flipped = Math.round((accuracyAfter - accuracyBefore) * SIMULATED_HELD_OUT);
    const pairs = { n: SIMULATED_HELD_OUT, n01: Math.max(0, -flipped), n10: Math.max(0, flipped) };
    const gate = checkGate({ accuracyBefore, accuracyAfter, pairs }, plan.gate);
    if (!gate.pass)
      return void this.move(jobId, 'rejected', {
        reason: `gate not met: ${gate.reasons.join('; ')}`,
        result: gate.figures,
      });
    const depths = { before: plan.fromDepth, after: plan.toDepth };
    const accuracy = { before: accuracyBefore, after: accuracyAfter };
    const tickSeconds = sim.growSeconds / PROGRESS_TICKS;
    let shadow: JsonObject | undefined;
    if (plan.shadow) {
      this.move(jobId, 'validating', { step: 'shadow' });
      await new Promise((r) => setTimeout(r, tickSeconds * 1000));
      if (!stillOn()) return;
      shadow = simulatedShadow(committed.version, depths, accuracy, tickSeconds) as unknown as JsonObject;
    }
    const version = Math.max(...store.modelVersions(modelName).map((v) => v.version)) + 1;
    this.move(jobId, 'swapping', { version, fromVersion: committed.version });
    store.atomically(() => {
      store.addModelVersion({
        name: modelName,
        version,
        parent: committed.version,
        depth: plan.toDepth,
        method: `${plan.method} (simulated)`,
        sha256: committed.sha256,
        metrics: { accuracy: accuracyAfter },
        dir: committed.dir,
      });
      store.setCommitted(modelName, version);
    });
    this.move(jobId, 'succeeded', {
      result: {
        version,
        fromVersion: committed.version,
        depthBefore: plan.fromDepth,
        depthAfter: plan.toDepth,
        ...gate.figures,
        ...(shadow ? { shadow } : {}),
      },
    });
    if (plan.watch) this.watchLater(jobId, { version, fromVersion: committed.version }, depths, accuracy);
  }

  /** The simulated watch after the swap ends `passed` one growth's time later, and the job's result gains its figures. */
  private watchLater(
    jobId: string,
    versions: { version: number; fromVersion: number },
    depths: { before: number; after: number },
    accuracy: { before: number; after: number },
  ): void {
    const { store, sim, events } = this.deps;
    const timer = setTimeout(() => {
      this.watchTimers.delete(timer);
      const watch = simulatedWatch(versions, depths, accuracy, sim.growSeconds);
      events.onResult?.(store.amendResult(jobId, { watch: watch as unknown as JsonObject }));
    }, sim.growSeconds * 1000);
    timer.unref();
    this.watchTimers.add(timer);
  }
}
