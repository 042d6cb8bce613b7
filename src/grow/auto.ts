import { tf, tfl } from '../tf';
import { ArchSpec } from '../model/arch';
import { Budget } from '../train/budget';
import { trainClassifier } from '../train/classifier';
import { ProgressCallback, throwIfAborted } from '../train/progress';
import { disposeTensorSet, TensorSet } from '../train/tensors';
import { methodByName } from './methods';
import { inexactIdentityReason } from './methods/identity-exact';
import { defaultStage2Schedule } from '../train/schedule';
import { Stage2Options } from './stage2';
import { GrowthMethodName, Initialised, InsertionPlan, StageCurve } from './types';
import { LoopResult } from '../train/loop';
import { correctFlags } from './held-out-pairs';
import { discordantCounts } from '../stats/bitset';
import { pairedGain } from '../stats/paired-gain';

/**
 * The methods `auto` tries, in order of preference: the first that runs is kept unless a later one is
 * better on the validation part with AUTO_CONFIDENCE. Identity comes first: it keeps the parent exactly, and
 * over 3 data sets x 5 splits it ended at or above DILS and look-ahead on every set (docs/design/dils.md,
 * fourth round), so a trial's noise should not trade it away. Look-ahead is not tried: it ended 0.8 to 2.8
 * points below identity on all three sets of that round, and each trial costs the growth its set-up and
 * validation passes as well as its share.
 */
export const AUTO_CANDIDATES: readonly GrowthMethodName[] = ['identity', 'dils'];
/** How sure a paired comparison on the validation part must be that a later candidate beats the kept one. */
export const AUTO_CONFIDENCE = 0.95;
/** Share of a seconds budget the trials' training may take together (set-up and validation come on top). The
 * kept trial is carried on, so what a choice costs is the other candidates' part of it. */
export const AUTO_SHARE = 0.15;
/** A later candidate whose start differs from the kept one's on at most this share of the validation samples
 * is not trained: its trial would measure training noise, and its time would be lost. */
export const AUTO_SAME_START = 0.01;
/** Training samples each trial sees (the first of the shuffled train part). */
export const AUTO_SLICE = 2000;

export interface AutoTrial {
  method: GrowthMethodName;
  /** The better of the validation accuracies right after initialisation and at the trial's end, as
   * Stage II never hands back weights the validation part shows worse than its start; absent when skipped. */
  validationAccuracy?: number;
  validationAfterInit?: number;
  seconds: number;
  skipped?: string;
  /** Set for a candidate compared with the one kept before it: the paired gain on the validation part. */
  versus?: { method: GrowthMethodName; gain: number; lowerBound: number };
}

/** What report.json says about a `method: auto` choice. */
export interface AutoChoice {
  chosen: GrowthMethodName;
  reason: string;
  tried: AutoTrial[];
  /** Training samples each trial used, and its budget. */
  slice: number;
  trialBudget: Budget;
  /** Seconds all trials took, and that over the growth's seconds budget (when it has one). */
  seconds: number;
  share?: number;
}

export interface AutoContext {
  head: tfl.LayersModel;
  parentSpec: ArchSpec;
  plan: InsertionPlan;
  train: TensorSet;
  validation: TensorSet;
  budget: { seconds?: number; epochs?: number };
  batchSize: number;
  learningRate: number;
  seed: number;
  stage2?: Stage2Options;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

const points = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}`;

function trialText(t: AutoTrial): string {
  const vs = t.versus
    ? ` (${points(t.versus.gain)} points vs ${t.versus.method}, lower bound ${points(t.versus.lowerBound)})`
    : '';
  return `${t.method} ${(t.validationAccuracy! * 100).toFixed(2)}%${vs}`;
}

/** Why identity cannot be tried at these sites (see inexactIdentityReason), if it cannot. */
function identitySkip(ctx: AutoContext): string | undefined {
  for (const i of ctx.plan.afterIndices) {
    const reason = inexactIdentityReason(ctx.parentSpec.blocks[i]);
    if (reason) return reason;
  }
  return undefined;
}

/** Validation accuracy from per-sample correctness (the same class rule as evaluate). */
function shareCorrect(flags: Uint8Array): number {
  let n = 0;
  for (const f of flags) n += f;
  return flags.length > 0 ? n / flags.length : 0;
}

function sliceOf(set: TensorSet, count: number): TensorSet {
  const n = Math.min(count, set.count);
  return { ...set, x: tf.slice(set.x, 0, n), labels: tf.slice(set.labels, 0, n) as tf.Tensor1D, count: n };
}

/** A trial's model and what it measured; the kept one's model goes on to Stage II. */
interface TrialRun {
  init: Initialised;
  afterInit: number;
  end: number;
  /** Per-sample correctness on validation of the weights a real Stage II would hand back, and right after
   * initialisation. */
  correct: Uint8Array;
  startCorrect: Uint8Array;
  /** Seconds from the start of chooseMethod to the trial's start, and the initialisation's own seconds. */
  startSeconds: number;
  initSeconds: number;
  loop: LoopResult;
  /** The weights right after initialisation (owned: the caller disposes them). */
  startWeights: tf.Tensor[];
}

/**
 * One trial: the method's insertion and initialisation, then Stage II (its
 * schedule, without validation checkpoints, which would eat a short trial),
 * on the slice, within `budget`; validation accuracy right after
 * initialisation and at the end. The model is the caller's to keep or dispose.
 */
async function trial(
  ctx: AutoContext,
  name: GrowthMethodName,
  slice: TensorSet,
  budget: Budget,
  startSeconds: number,
  keptStart?: Uint8Array,
): Promise<TrialRun | { sameStart: string }> {
  const method = methodByName(name);
  const started = performance.now();
  const initBudget: Budget = budget.seconds !== undefined ? { seconds: budget.seconds / 4 } : { epochs: 1 };
  const init = await method.initialise({
    parent: ctx.head,
    parentSpec: ctx.parentSpec,
    plan: ctx.plan,
    data: { train: slice, validation: ctx.validation },
    budget: initBudget,
    batchSize: ctx.batchSize,
    learningRate: ctx.learningRate,
    seed: ctx.seed,
    signal: ctx.signal,
  });
  try {
    const initSeconds = (performance.now() - started) / 1000;
    const afterInitFlags = correctFlags(init.model, ctx.validation);
    const afterInit = shareCorrect(afterInitFlags);
    if (keptStart) {
      const { n, n01, n10 } = discordantCounts(keptStart, afterInitFlags);
      if (n01 + n10 <= AUTO_SAME_START * n) {
        init.model.dispose();
        return {
          sameStart: `it starts as the kept one does (${n01 + n10} of ${n} validation answers differ after initialisation), so a trial would measure noise`,
        };
      }
    }
    // Copied before training: a trial that does not better its start hands back its start, as Stage II does.
    const startWeights = init.model.getWeights().map((w) => w.clone());
    const spent = (performance.now() - started) / 1000;
    const schedule = ctx.stage2?.schedule;
    try {
      const loop = trainClassifier(init.model, slice, {
        stage: 'auto',
        detail: `trial of ${name}`,
        budget: {
          epochs: budget.epochs,
          seconds: budget.seconds !== undefined ? Math.max(0.001, budget.seconds - spent) : undefined,
        },
        batchSize: ctx.batchSize,
        learningRate: ctx.learningRate,
        schedule: schedule === 'constant' ? undefined : (schedule ?? defaultStage2Schedule(ctx.learningRate)),
        seed: ctx.seed + 1,
        signal: ctx.signal,
      });
      const endFlags = correctFlags(init.model, ctx.validation);
      const end = shareCorrect(endFlags);
      if (end < afterInit) init.model.setWeights(startWeights);
      return {
        init,
        afterInit,
        end,
        correct: end >= afterInit ? endFlags : afterInitFlags,
        startCorrect: afterInitFlags,
        startSeconds,
        initSeconds,
        loop,
        startWeights,
      };
    } catch (err) {
      for (const w of startWeights) w.dispose();
      throw err;
    }
  } catch (err) {
    init.model.dispose();
    throw err;
  }
}

function disposeRun(run: TrialRun): void {
  run.init.model.dispose();
  for (const w of run.startWeights) w.dispose();
}

/** What chooseMethod hands to the growth: the choice for the report, and the kept trial to carry on from. */
export interface AutoOutcome {
  choice: AutoChoice;
  /** The kept candidate's model as its trial left it (inserted, initialised, trained on the slice). */
  kept: Initialised;
  /** Seconds from the start of chooseMethod to the kept trial's start, and its initialisation's seconds. */
  keptStartSeconds: number;
  keptInitSeconds: number;
  /** The kept trial's training on the slice, as a stage of the learning curve. */
  keptCurve: StageCurve;
  /** Its weights right after initialisation (the report's accuracy after insertion); the caller disposes them. */
  insertedWeights: tf.Tensor[];
}

/**
 * `method: auto`: tries each candidate method on a slice of the local train
 * part, every one under the same budget (an equal part of AUTO_SHARE of the
 * seconds, or one epoch of initialisation and one of Stage II on the slice
 * under an epochs-only budget). The first candidate tried is kept; a later one
 * replaces it only when the exact paired test of the gate (McNemar's counts,
 * Clopper-Pearson lower bound, stats/paired-gain.ts) says it is more accurate
 * on the validation part with AUTO_CONFIDENCE. The kept trial's model is handed
 * on to Stage II as its trial left it, so only the other candidates' trials
 * cost the growth budget (before, every trial was thrown away, and auto ended
 * 0.3 to 1.5 points below the best single method on 20 s budgets, docs/design/
 * dils.md fifth round). A short trial's higher figure alone is mostly noise: with "highest wins" auto chose DILS or look-ahead on
 * the MLP set in 5 of 5 splits, where identity ended 1.1 points higher. The
 * held-out test part is not used.
 */
export async function chooseMethod(ctx: AutoContext): Promise<AutoOutcome> {
  const started = performance.now();
  const skip = identitySkip(ctx);
  const candidates = AUTO_CANDIDATES.filter((m) => m !== 'identity' || !skip);
  const share = ctx.budget.seconds !== undefined ? ctx.budget.seconds * AUTO_SHARE : undefined;
  const trialBudget: Budget = share !== undefined ? { seconds: share / candidates.length } : { epochs: 1 };
  const spent = () => (performance.now() - started) / 1000;
  const slice = sliceOf(ctx.train, AUTO_SLICE);
  const tried: AutoTrial[] = [];
  let kept: { trial: AutoTrial; run: TrialRun } | undefined;
  let handedOver = false;
  try {
    for (const method of AUTO_CANDIDATES) {
      if (method === 'identity' && skip) {
        tried.push({ method, seconds: 0, skipped: skip });
        continue;
      }
      throwIfAborted(ctx.signal, 'auto');
      // Model building, the first kernels of a new shape and the final validation are not in a trial's
      // training budget; once the share is spent, the candidates left are not tried.
      if (share !== undefined && tried.some((t) => t.validationAccuracy !== undefined) && spent() >= share) {
        tried.push({
          method,
          seconds: 0,
          skipped: `the trials' share of the budget (${share.toFixed(1)} s) was spent`,
        });
        continue;
      }
      ctx.onProgress?.({
        stage: 'auto',
        detail: `trying ${method}`,
        epoch: tried.length,
        epochs: AUTO_CANDIDATES.length,
        step: 0,
        stepsPerEpoch: 1,
        loss: Number.NaN,
        fraction: tried.length / AUTO_CANDIDATES.length,
        elapsedSeconds: (performance.now() - started) / 1000,
      });
      const t0 = performance.now();
      const run = await trial(ctx, method, slice, trialBudget, spent(), kept?.run.startCorrect);
      if ('sameStart' in run) {
        tried.push({ method, seconds: (performance.now() - t0) / 1000, skipped: run.sameStart });
        continue;
      }
      const record: AutoTrial = {
        method,
        validationAccuracy: Math.max(run.afterInit, run.end),
        validationAfterInit: run.afterInit,
        seconds: (performance.now() - t0) / 1000,
      };
      tried.push(record);
      if (!kept) {
        kept = { trial: record, run };
        continue;
      }
      const paired = pairedGain(discordantCounts(kept.run.correct, run.correct), AUTO_CONFIDENCE);
      record.versus = { method: kept.trial.method, gain: paired.gain, lowerBound: paired.lowerBound };
      const loser = paired.lowerBound > 0 ? kept.run : run;
      if (loser === kept.run) kept = { trial: record, run };
      disposeRun(loser);
    }
    handedOver = true;
  } finally {
    disposeTensorSet(slice);
    if (!handedOver && kept) disposeRun(kept.run);
  }
  const ran = tried.filter((t) => t.validationAccuracy !== undefined);
  if (!kept) throw new Error('auto: no candidate method was tried');
  const best = kept.trial;
  const seconds = (performance.now() - started) / 1000;
  const skipped = tried
    .filter((t) => t.skipped && t.skipped !== skip)
    .map((t) => `; ${t.method} not tried: ${t.skipped}`)
    .join('');
  const figures = ran.map(trialText).join(', ');
  const budgetText =
    trialBudget.seconds !== undefined
      ? `${trialBudget.seconds.toFixed(1)} s each`
      : 'one epoch of initialisation and one of Stage II each';
  const choice: AutoChoice = {
    chosen: best.method,
    reason: `${best === ran[0] ? 'kept the first candidate' : `${best.method} beat ${best.versus!.method}`}: a later one must be more accurate on validation with ${AUTO_CONFIDENCE * 100}% confidence, after equal trials (${budgetText} on ${slice.count} training samples): ${figures}${skip ? `; identity not tried: ${skip}` : ''}${skipped}`,
    tried,
    slice: slice.count,
    trialBudget,
    seconds,
    share: ctx.budget.seconds !== undefined ? seconds / ctx.budget.seconds : undefined,
  };
  const { run } = kept;
  return {
    choice,
    kept: run.init,
    keptStartSeconds: run.startSeconds,
    keptInitSeconds: run.initSeconds,
    insertedWeights: run.startWeights,
    keptCurve: {
      stage: 'auto',
      detail: `trial of ${best.method}, carried on`,
      metric: 'loss',
      epochs: run.loop.epochs,
      seconds: run.loop.seconds,
    },
  };
}
