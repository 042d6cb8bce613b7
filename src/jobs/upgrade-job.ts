import { isTerminal } from '../store/job-states';
import type { JsonObject } from '../store/types';
import { recordedPlan } from './recorded-plan';
import { CandidateSummary, readCandidate, removeCandidateFiles } from './candidate';
import { ActiveJob, RunContext, candidateOf, errorText, move } from './context';
import { CRASH_ENV } from './crash';
import { growthSpaceProblem } from './disk-budget';
import { checkGate } from './gate';
import { gateSettings } from '../policy/gate';
import { startGrowth } from './grow-process';
import { planUpgrade, UpgradePlan } from './plan';
import { jobProgress } from './progress';
import { finishSwap, nextVersion, SwapDetail } from './swap';
import type { GrowStep, UpgradeRequest } from './types';
import { planningFactsOf } from '../store/model-verify';
import { loadServedModel } from '../serve/served-model';
import { describeShadow, ShadowFigures, shadowOnSlot, shadowProblems, ShadowSettings } from './shadow-run';

/** Where a run of an upgrade job starts: from the top, or re-gating a candidate that survived a crash. */
export type UpgradeStart = 'planning' | 'validating';

/** A graceful stop leaves the job queued, marked so that recovery does not count it as a crash. */
export function park(ctx: RunContext, active: ActiveJob): void {
  move(
    ctx,
    active.id,
    'queued',
    { parked: true, reason: 'the daemon stopped; the job resumes at the next start', from: active.phase },
    { active, crash: false },
  );
  removeCandidateFiles(candidateOf(ctx, active.id));
}

function planStep(ctx: RunContext, active: ActiveJob, request: UpgradeRequest): UpgradePlan | undefined {
  move(ctx, active.id, 'planning', {}, { active });
  const committed = ctx.store.committedVersion(ctx.modelName);
  if (!committed) throw new Error(`model ${ctx.modelName} has no committed version to grow`);
  const facts = planningFactsOf(committed.dir);
  const outcome = planUpgrade(committed, ctx.rule(), request, facts.baseDepth, facts.arch);
  if ('rejected' in outcome) {
    move(ctx, active.id, 'rejected', { reason: outcome.rejected }, { active });
    return undefined;
  }
  const space = growthSpaceProblem(ctx.store.home, committed.dir, outcome.plan.fromDepth, outcome.plan.toDepth);
  if (space) {
    move(ctx, active.id, 'rejected', { reason: space }, { active });
    return undefined;
  }
  if (outcome.plan.methodReason)
    ctx.log({
      level: 'info',
      msg: 'job method',
      job: active.id,
      method: outcome.plan.method,
      reason: outcome.plan.methodReason,
    });
  return outcome.plan;
}

async function growStep(ctx: RunContext, active: ActiveJob, plan: UpgradePlan): Promise<CandidateSummary | undefined> {
  const parent = ctx.store.modelVersion(ctx.modelName, plan.fromVersion);
  if (!parent) throw new Error(`v${plan.fromVersion} is not registered`);
  let job = move(ctx, active.id, 'growing', { step: 'stage1', plan: plan as unknown as JsonObject }, { active });
  const dir = candidateOf(ctx, active.id);
  removeCandidateFiles(dir);
  const started = performance.now();
  let step: GrowStep = 'stage1';
  const handle = startGrowth(
    {
      parentDir: parent.dir,
      candidateDir: dir,
      data: ctx.data,
      dataLimit: ctx.tuning?.dataLimit,
      nice: ctx.tuning?.growthNice,
      toDepth: plan.toDepth,
      method: plan.method,
      budget: plan.budget,
      // plans recorded before seeds and full gates were (a job resumed across an upgrade of deepend)
      seed: plan.seed ?? 1,
      heldOutFraction: plan.heldOutFraction,
      gate: gateSettings(plan.gate),
      backend: ctx.backend,
      crashAt: process.env[CRASH_ENV],
    },
    (event) => {
      if (active.canceled || active.stopping) return;
      const progress = jobProgress(event, (performance.now() - started) / 1000, plan.budget.seconds);
      if (progress.step !== step) {
        step = progress.step;
        try {
          job = move(ctx, active.id, 'growing', { step }, { active, crash: false });
        } catch (err) {
          // a sub-stage not recorded (full or failing disk) is no reason to stop the growth
          ctx.log({ level: 'warn', msg: 'job progress not recorded', job: active.id, error: errorText(err) });
        }
      }
      ctx.emitProgress(job, progress);
    },
    (warning) => ctx.log({ level: 'warn', msg: 'growth warning', job: active.id, warning }),
  );
  active.growth = handle;
  const outcome = await handle.result;
  active.growth = undefined;
  if (active.canceled) {
    removeCandidateFiles(dir);
    return undefined;
  }
  if (outcome.kind === 'failed') throw new Error(`growth failed: ${outcome.message}`);
  if (outcome.kind === 'aborted') {
    if (!active.stopping) throw new Error('growth stopped without being asked to');
    park(ctx, active);
    return undefined;
  }
  return outcome.candidate;
}

/**
 * The gate passed: the candidate answers live traffic beside the served
 * model (ShadowRun) until the policy's shadow ends. Undefined when the job
 * was canceled or the daemon stops meanwhile (the job is then parked).
 */
async function shadowStep(
  ctx: RunContext,
  active: ActiveJob,
  settings: ShadowSettings,
): Promise<ShadowFigures | undefined> {
  move(ctx, active.id, 'validating', { step: 'shadow' }, { active });
  const candidate = await loadServedModel(candidateOf(ctx, active.id), nextVersion(ctx));
  let figures: ShadowFigures;
  try {
    figures = await shadowOnSlot(ctx.slot, candidate, settings, (run) => {
      active.shadow = run;
      if (active.canceled || active.stopping) run.stop();
    });
  } finally {
    active.shadow = undefined;
    candidate.model.dispose();
  }
  if (active.canceled) {
    removeCandidateFiles(candidateOf(ctx, active.id));
    return undefined;
  }
  if (active.stopping) {
    // the candidate passed its gate: keep it, and shadow it again at the next start
    const reason = 'the daemon stopped during the shadow run; it runs again at the next start';
    move(ctx, active.id, 'validating', { parked: true, reason, step: 'shadow' }, { active, crash: false });
    return undefined;
  }
  ctx.log({ level: 'info', msg: 'job shadow', job: active.id, summary: describeShadow(figures) });
  return figures;
}

/** validating (with its shadow run, when the policy asks for one) and, when the candidate passes, swapping. */
async function gateAndSwap(
  ctx: RunContext,
  active: ActiveJob,
  plan: UpgradePlan,
  candidate: CandidateSummary,
): Promise<void> {
  move(ctx, active.id, 'validating', { candidate: candidate as unknown as JsonObject }, { active });
  if (candidate.depthAfter !== plan.toDepth)
    throw new Error(`the candidate has depth ${candidate.depthAfter}, the plan asked for ${plan.toDepth}`);
  const gate = checkGate(candidate, gateSettings(plan.gate));
  if (!gate.pass) {
    move(
      ctx,
      active.id,
      'rejected',
      { reason: `gate not met: ${gate.reasons.join('; ')}`, result: gate.figures },
      { active },
    );
    removeCandidateFiles(candidateOf(ctx, active.id));
    return;
  }
  let shadow: ShadowFigures | undefined;
  if (plan.shadow) {
    shadow = await shadowStep(ctx, active, plan.shadow);
    if (!shadow) return;
    const problems = shadowProblems(shadow, plan.shadow);
    if (problems.length > 0) {
      move(
        ctx,
        active.id,
        'rejected',
        {
          reason: `shadow run not passed: ${problems.join('; ')}`,
          result: { ...gate.figures, shadow: shadow as unknown as JsonObject },
        },
        { active },
      );
      removeCandidateFiles(candidateOf(ctx, active.id));
      return;
    }
  }
  const version = nextVersion(ctx);
  const detail: SwapDetail = {
    version,
    fromVersion: plan.fromVersion,
    sha256: candidate.weightsSha256,
    commit: {
      version,
      fromVersion: plan.fromVersion,
      depthBefore: candidate.depthBefore,
      depthAfter: candidate.depthAfter,
      method: candidate.method,
      backend: candidate.backend,
      growSeconds: candidate.seconds,
      ...gate.figures,
      ...(shadow ? { shadow: shadow as unknown as JsonObject } : {}),
    },
  };
  move(ctx, active.id, 'swapping', detail, { active });
  await finishSwap(ctx, active.id, detail, true, active);
}

/**
 * Runs an upgrade job to its end (or to a park when the daemon stops). Every
 * step writes its state before acting; a cancel is written by JobRunner.cancel
 * and noticed here after the step that was awaiting.
 */
export async function runUpgrade(ctx: RunContext, active: ActiveJob, start: UpgradeStart): Promise<void> {
  const job = ctx.store.job(active.id);
  if (!job || isTerminal(job.state)) return;
  try {
    if (start === 'validating') {
      const plan = recordedPlan(ctx.store, active.id);
      const candidate = readCandidate(candidateOf(ctx, active.id));
      if (!plan || !candidate) throw new Error('the candidate to validate is gone');
      await gateAndSwap(ctx, active, plan, candidate);
      return;
    }
    const plan = planStep(ctx, active, job.request as unknown as UpgradeRequest);
    if (!plan) return;
    if (active.stopping) return park(ctx, active);
    const candidate = await growStep(ctx, active, plan);
    if (!candidate) return;
    await gateAndSwap(ctx, active, plan, candidate);
  } catch (err) {
    if (isTerminal(ctx.store.job(active.id)!.state)) throw err;
    move(ctx, active.id, 'failed', { reason: errorText(err) }, { active, crash: false });
    removeCandidateFiles(candidateOf(ctx, active.id));
  }
}
