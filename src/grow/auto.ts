import { tf, tfl } from '../tf';
import { ArchSpec } from '../model/arch';
import { Budget } from '../train/budget';
import { trainClassifier } from '../train/classifier';
import { haltAfter, Interlude } from '../train/interlude';
import { ProgressCallback, throwIfAborted } from '../train/progress';
import { TensorSet } from '../train/tensors';
import { methodByName } from './methods';
import { inexactIdentityReason } from './methods/identity-exact';
import { Stage2Options, stage2Schedule } from './stage2';
import { GrowthMethodName, Initialised, InsertionPlan, StageCurve } from './types';
import { correctFlags } from './held-out-pairs';
import { discordantCounts } from '../stats/bitset';
import { pairedGain } from '../stats/paired-gain';

/**
 * The methods `auto` tries, in order of preference: the first that can run is
 * grown, and a later one replaces it only when it is better on the validation
 * part with AUTO_CONFIDENCE. Identity comes first: it keeps the parent exactly,
 * and over 3 data sets x 5 splits it ended at or above DILS and look-ahead on
 * every set (docs/design/dils.md, fourth round), so a trial's noise should not
 * trade it away. Look-ahead ended 0.8 to 2.8 points below identity on all three
 * sets of that round and is not tried.
 */
export const AUTO_CANDIDATES: readonly GrowthMethodName[] = ['identity', 'dils'];
/** How sure a paired comparison on the validation part must be that a later candidate beats the kept one. */
export const AUTO_CONFIDENCE = 0.95;
/**
 * Share of its seconds budget the first candidate's Stage II runs before a later one is tried for as many steps.
 * The pause costs the growth about that share again (7.5% cost tabular 0.25 points against identity at 20 s,
 * docs/design/dils.md eighth round), and none of the 14 dils trials of that round's 30 runs beat identity
 * with AUTO_CONFIDENCE.
 */
export const AUTO_TRIAL_SHARE = 0.04;
/** A later candidate whose start differs from the kept one's on at most this share of the validation samples
 * is not trained: its trial would measure training noise, and its time would be lost. */
export const AUTO_SAME_START = 0.01;

export interface AutoTrial {
  method: GrowthMethodName;
  /** The better of the validation accuracies at its start and after the trial's steps (Stage II never hands
   * back weights the validation part shows worse than its start); absent when skipped, and for the first
   * candidate when no later one was trained. */
  validationAccuracy?: number;
  validationAfterInit?: number;
  /** Stage II steps it had trained when compared. */
  steps?: number;
  /** Seconds of its initialisation and trial (the first candidate's: of its Stage II up to the comparison). */
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
  /** Where the first candidate's Stage II paused for the others: its seconds, or steps under an epochs budget. */
  trialPoint: { seconds: number } | { steps: number };
  /** Seconds the later candidates took (the choice's cost to the growth), and that over the seconds budget. */
  seconds: number;
  share?: number;
}

export interface AutoContext {
  head: tfl.LayersModel;
  parentSpec: ArchSpec;
  plan: InsertionPlan;
  train: TensorSet;
  validation: TensorSet;
  batchSize: number;
  learningRate: number;
  seed: number;
  stage2?: Stage2Options;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** The methods to try, in order; default AUTO_CANDIDATES. */
  candidates?: readonly GrowthMethodName[];
}

/** The candidate that beat the first one: its model as its trial left it, to go on with Stage II. */
export interface AutoReplacement {
  method: GrowthMethodName;
  init: Initialised;
  /** Its weights right after initialisation (the report's accuracy after insertion); the caller disposes them. */
  insertedWeights: tf.Tensor[];
  /** Its trial's steps, as a stage of the learning curve. */
  trialCurve: StageCurve;
  /** Seconds (on the growth's clock) its initialisation started and ended. */
  initStart: number;
  initEnd: number;
}

const points = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}`;

function trialText(t: AutoTrial): string {
  const vs = t.versus
    ? ` (${points(t.versus.gain)} points vs ${t.versus.method}, lower bound ${points(t.versus.lowerBound)})`
    : '';
  return `${t.method} ${(t.validationAccuracy! * 100).toFixed(2)}%${vs}`;
}

function shareCorrect(flags: Uint8Array): number {
  let n = 0;
  for (const f of flags) n += f;
  return flags.length > 0 ? n / flags.length : 0;
}

/** The better of a model's start and its state now on validation: accuracy and per-sample answers. */
function betterOf(start: Uint8Array, now: Uint8Array): { accuracy: number; correct: Uint8Array; atStart: boolean } {
  const a0 = shareCorrect(start);
  const a1 = shareCorrect(now);
  return a1 >= a0 ? { accuracy: a1, correct: now, atStart: false } : { accuracy: a0, correct: start, atStart: true };
}

/**
 * `method: auto` (issue 10, rule 3) as a race inside Stage II. The first
 * candidate that can run (identity, unless it would not be exact at these
 * sites) is grown as that method alone would be: its insertion, then its own
 * Stage II on the whole train part with the whole schedule and both cores. At
 * AUTO_TRIAL_SHARE of the seconds budget (one epoch under an epochs budget)
 * that Stage II pauses (its `interlude`), and each later candidate is
 * initialised and trained for the same number of steps, on the same batches,
 * at the same learning rates. A later candidate replaces the kept one only when
 * the gate's exact paired test (McNemar's discordant counts, Clopper-Pearson
 * lower bound, stats/paired-gain.ts) says it is more accurate on the
 * validation part with AUTO_CONFIDENCE; then the kept Stage II ends and the
 * winner's goes on from its trial. Otherwise the first Stage II resumes, so a
 * choice that keeps it costs the later candidates' trials only, and no more
 * than an initialisation when a later one starts as identity does
 * (Initialised.identityStart) or answers as the kept one did (AUTO_SAME_START). Before, the
 * trials ran on a 2,000-sample slice with a schedule of their own ahead of
 * Stage II, and auto ended 0.12 to 0.44 points below the best single method
 * (docs/design/dils.md, seventh round). The held-out test part is not used.
 */
export class AutoRace {
  readonly first: GrowthMethodName;
  private readonly later: GrowthMethodName[];
  private readonly tried: AutoTrial[] = [];
  private kept?: { trial: AutoTrial; correct: () => Uint8Array };
  private winner?: AutoReplacement;
  private point: AutoChoice['trialPoint'] = { steps: 0 };
  private pause?: { start: number; end: number };

  constructor(
    private readonly ctx: AutoContext,
    private readonly clock: () => number,
  ) {
    let identitySkip: string | undefined;
    for (const i of ctx.plan.afterIndices) identitySkip ??= inexactIdentityReason(ctx.parentSpec.blocks[i]);
    const candidates = (ctx.candidates ?? AUTO_CANDIDATES).filter((m) => m !== 'identity' || !identitySkip);
    if (candidates.length === 0) throw new Error('auto: no candidate method can run at these sites');
    [this.first, ...this.later] = candidates;
    if (identitySkip && candidates.length < (ctx.candidates ?? AUTO_CANDIDATES).length)
      this.tried.push({ method: 'identity', seconds: 0, skipped: identitySkip });
  }

  /**
   * The pause for the first candidate's Stage II, whose model is `model`,
   * answering the validation part as `startCorrect` says at its start, under
   * `budget` (the later candidates train under the same one).
   */
  interlude(model: tfl.LayersModel, startCorrect: Uint8Array, budget: Budget): Interlude {
    const stage2Started = this.clock();
    const point: AutoChoice['trialPoint'] =
      budget.seconds !== undefined
        ? { seconds: budget.seconds * AUTO_TRIAL_SHARE }
        : { steps: Math.max(1, Math.ceil(this.ctx.train.count / this.ctx.batchSize)) };
    this.point = point;
    return {
      ...('seconds' in point ? { afterSeconds: point.seconds } : { afterSteps: point.steps }),
      run: async (steps, ended) => {
        const started = this.clock();
        const firstTrial: AutoTrial = {
          method: this.first,
          steps,
          seconds: started - stage2Started,
          validationAfterInit: shareCorrect(startCorrect),
        };
        // Measured only when a later candidate is trained to be compared with it: one validation pass saved
        // where none is (DILS on a conv model starts as identity does).
        let measured: Uint8Array | undefined;
        const correct = () => {
          if (!measured) {
            const now = betterOf(startCorrect, correctFlags(model, this.ctx.validation));
            firstTrial.validationAccuracy = now.accuracy;
            measured = now.correct;
          }
          return measured;
        };
        this.tried.push(firstTrial);
        this.kept = { trial: firstTrial, correct };
        try {
          for (const method of this.later) {
            if (ended && budget.seconds !== undefined) {
              this.tried.push({
                method,
                seconds: 0,
                skipped: `${this.first}'s Stage II ended after ${steps} steps, before the trial point`,
              });
              continue;
            }
            await this.tryLater(method, steps, startCorrect, budget);
          }
        } finally {
          this.pause = { start: started, end: this.clock() };
        }
        return this.winner !== undefined;
      },
    };
  }

  /** A later candidate: initialised, and (unless it starts as the first did) trained `steps` steps and compared. */
  private async tryLater(method: GrowthMethodName, steps: number, startCorrect: Uint8Array, budget: Budget) {
    const ctx = this.ctx;
    throwIfAborted(ctx.signal, 'auto');
    ctx.onProgress?.({
      stage: 'auto',
      detail: `trying ${method}`,
      epoch: 0,
      step: 0,
      stepsPerEpoch: 1,
      loss: Number.NaN,
      fraction: 0,
      elapsedSeconds: 0,
    });
    const t0 = this.clock();
    const trialSeconds = 'seconds' in this.point ? this.point.seconds : undefined;
    const init = await methodByName(method).initialise({
      parent: ctx.head,
      parentSpec: ctx.parentSpec,
      plan: ctx.plan,
      data: { train: ctx.train, validation: ctx.validation },
      budget: trialSeconds !== undefined ? { seconds: trialSeconds / 4 } : { epochs: 1 },
      batchSize: ctx.batchSize,
      learningRate: ctx.learningRate,
      seed: ctx.seed,
      signal: ctx.signal,
    });
    const initEnd = this.clock();
    let handedOver = false;
    let startWeights: tf.Tensor[] = [];
    try {
      if (this.first === 'identity' && init.identityStart) {
        this.tried.push({
          method,
          seconds: this.clock() - t0,
          skipped: `its start is identity's (${init.identityStart}), so a trial would measure noise`,
        });
        return;
      }
      const start = correctFlags(init.model, ctx.validation);
      const { n, n01, n10 } = discordantCounts(startCorrect, start);
      if (n01 + n10 <= AUTO_SAME_START * n) {
        this.tried.push({
          method,
          seconds: this.clock() - t0,
          skipped: `it starts as ${this.first} did (${n01 + n10} of ${n} validation answers differ after initialisation), so a trial would measure noise`,
        });
        return;
      }
      // Copied before training: a trial that does not better its start hands back its start, as Stage II does.
      startWeights = init.model.getWeights().map((w) => w.clone());
      const loop = await trainClassifier(init.model, ctx.train, {
        stage: 'auto',
        detail: `trial of ${method}`,
        budget,
        batchSize: ctx.batchSize,
        schedule: stage2Schedule(ctx.stage2 ?? {}, ctx.learningRate),
        // Stage II's seed: the same batches as the first candidate's steps.
        seed: ctx.seed + 1,
        signal: ctx.signal,
        interlude: haltAfter(steps),
      });
      const end = betterOf(start, correctFlags(init.model, ctx.validation));
      if (end.atStart) init.model.setWeights(startWeights);
      const kept = this.kept!;
      const paired = pairedGain(discordantCounts(kept.correct(), end.correct), AUTO_CONFIDENCE);
      const trial: AutoTrial = {
        method,
        validationAccuracy: end.accuracy,
        validationAfterInit: shareCorrect(start),
        steps: loop.steps,
        seconds: this.clock() - t0,
        versus: { method: kept.trial.method, gain: paired.gain, lowerBound: paired.lowerBound },
      };
      this.tried.push(trial);
      if (paired.lowerBound <= 0) return;
      this.winner?.init.model.dispose();
      for (const w of this.winner?.insertedWeights ?? []) w.dispose();
      this.kept = { trial, correct: () => end.correct };
      this.winner = {
        method,
        init,
        insertedWeights: startWeights,
        initStart: t0,
        initEnd,
        trialCurve: {
          stage: 'auto',
          detail: `trial of ${method}, carried on`,
          metric: 'loss',
          epochs: loop.epochs,
          seconds: loop.seconds,
          startSeconds: initEnd,
        },
      };
      handedOver = true;
    } finally {
      if (!handedOver) {
        init.model.dispose();
        for (const w of startWeights) w.dispose();
      }
    }
  }

  /** When (on the growth's clock) the first candidate's Stage II paused for the others, once it has. */
  span(): { start: number; end: number } | undefined {
    return this.pause;
  }

  /** The candidate that beat the first, if one did (its model and weights are the caller's from here). */
  replacement(): AutoReplacement | undefined {
    return this.winner;
  }

  /** What report.json says of the choice; `budgetSeconds` is the growth's seconds budget, if any. */
  choice(budgetSeconds?: number): AutoChoice {
    const ran = this.tried.filter((t) => t.validationAccuracy !== undefined);
    const best = this.kept?.trial ?? { method: this.first, seconds: 0 };
    const skipped = this.tried
      .filter((t) => t.skipped)
      .map((t) => `; ${t.method} not tried: ${t.skipped}`)
      .join('');
    const at =
      'seconds' in this.point
        ? `${this.point.seconds.toFixed(1)} s of ${this.first}'s Stage II`
        : `${this.point.steps} steps of ${this.first}'s Stage II`;
    const spent = this.pause ? this.pause.end - this.pause.start : 0;
    const figures = ran.length ? `: ${ran.map(trialText).join(', ')}` : '';
    return {
      chosen: best.method,
      reason: `${best.method === this.first ? `kept ${this.first}, the first candidate` : `${best.method} beat ${best.versus!.method}`}: a later one must be more accurate on validation with ${AUTO_CONFIDENCE * 100}% confidence after as many Stage II steps on the same batches (compared at ${at})${figures}${skipped}`,
      tried: this.tried,
      trialPoint: this.point,
      seconds: spent,
      ...(budgetSeconds !== undefined ? { share: spent / budgetSeconds } : {}),
    };
  }
}
